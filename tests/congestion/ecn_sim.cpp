// ECN (RFC 3168) end to end on the simulator: one bulk flow through a
// 100-packet bottleneck that marks ECN-capable frames CE above K = 20
// waiting (link/sim/queue.hpp's ce_threshold, DCTCP's step marking), and
// drops what does not fit. With ECN the window is cut by marks before the
// queue can overflow; without it, the same queue drops.
//
// Path: 10 Mbit/s, RTT 40 ms (BDP 50 KB, 34 segments), 1 MB buffers so
// that the peer's window never limits; seed 1, 30 s virtual, goodput from
// 5 s. Reno's window halves at a mark with about BDP + K = 54 segments in
// flight, to 27: the queue drains and the link idles a little; CUBIC's
// 0.7 keeps it busier. Tolerances in each check.
#include "sim_support.hpp"

#include <l4/congestion/cubic.hpp>
#include <l4/congestion/reno.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

using namespace l4;
using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint64_t bps = 10'000'000;
const double payload_rate = bps / 8.0 * 1448 / 1500;  // timestamps take 12 of each 1460

path_config marking_path(tcp::ecn_mode ecn) {
    path_config p{.bottleneck = {.bandwidth_bps = bps, .delay = 20ms,
                                 .queue = link::sim::ce_threshold{.limit = 100, .k = 20}},
                  .reverse = {.bandwidth_bps = 100'000'000, .delay = 20ms,
                              .queue = link::sim::drop_tail_packets{1000}}};
    p.send_buffer = 1 << 20;
    p.receive_buffer = 1 << 20;
    p.ecn = ecn;
    return p;
}

struct outcome {
    double goodput;  // bytes per second, 5 s to 30 s
    std::uint64_t dropped, marked, echoes, cwr, retransmits;
};

template <class Algo>
outcome run(tcp::ecn_mode ecn) {
    const auto d = bulk_transfer<Algo>(marking_path(ecn), 30s);
    const auto& r = d.flows.at(0);
    REQUIRE(r.connected);
    CHECK(r.invariants);
    const outcome o{r.goodput(instant{} + 5s, instant{} + 30s), d.bottleneck.dropped_queue, d.bottleneck.ce_marked,
                    r.sender.ecn_echoes, r.sender.cwr_sent, r.sender.retransmits_fast + r.sender.retransmits_timeout};
    std::printf("ecn_sim %s, ECN %s: goodput %.1f %% of the payload rate, dropped %llu, marked %llu, "
                "reductions %llu, cwr %llu, retransmits %llu, queue hwm %zu\n",
                std::string{name_of<Algo>()}.c_str(), ecn == tcp::ecn_mode::request ? "on" : "off", 100 * o.goodput / payload_rate,
                static_cast<unsigned long long>(o.dropped), static_cast<unsigned long long>(o.marked),
                static_cast<unsigned long long>(o.echoes), static_cast<unsigned long long>(o.cwr),
                static_cast<unsigned long long>(o.retransmits), d.bottleneck.queue_hwm_packets);
    return o;
}

}  // namespace

TEMPLATE_TEST_CASE("ecn sim: marks at K = 20 keep a 100-packet bottleneck from dropping, at >= 90 % goodput",
                   "[congestion][sim][ecn]", reno, cubic) {
    const outcome with = run<TestType>(tcp::ecn_mode::request);
    CHECK(with.dropped == 0);      // exact: the marks cut the window long before 100 wait
    CHECK(with.marked > 0);
    CHECK(with.echoes > 0);        // the window was reduced by marks...
    CHECK(with.echoes <= with.marked);  // ...at most once per mark (once per window, in fact)
    CHECK(with.cwr == with.echoes);     // each reduction announced once
    CHECK(with.retransmits == 0);       // an echo is no loss
    CHECK(with.goodput >= 0.90 * payload_rate);

    const outcome without = run<TestType>(tcp::ecn_mode::accept);  // nobody asks: not-ECT, drop-tail at 100
    CHECK(without.marked == 0);
    CHECK(without.echoes == 0);
    CHECK(without.dropped > 0);
    CHECK(without.retransmits > 0);
}
