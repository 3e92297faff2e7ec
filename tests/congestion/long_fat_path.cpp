// CUBIC against Reno on a long fat path (issue 12: "CUBIC's goodput beats
// Reno's by >= 2x on a long fat path"), both inside l4kit's TCP over the
// simulator, the same path, the same seed.
//
// Why CUBIC wins there (RFC 9438 §5.1): after a loss Reno needs W/2 RTTs to
// regain its window W, so under a random loss rate p it averages
// 1.22/sqrt(p) segments per RTT (Mathis); CUBIC regains W_max in
// K = cbrt(W_max (1 - beta) / C) seconds whatever the RTT, about
// 1.05 RTT^0.75 / p^0.75 segments per RTT. Their ratio, 0.86 RTT^0.75 / p^0.25
// (RTT in seconds), is 3.4 at RTT 200 ms and p = 5e-5.
//
// The path and its cost: 100 Mbit/s, RTT 200 ms (BDP 2.5 MB, 1,667 frames),
// a drop-tail queue of one BDP, random loss 5e-5 on the data's way. Both
// hosts have 4 MB buffers, so the window is scaled (RFC 7323, shift 6) and
// the flight is bounded by 1.6 BDP, which the pipe and the queue hold. The
// hosts' own 1 Gbit/s links queue 4,000 frames, as a host's queue pushes
// back rather than drops: with the harness's 100, the line-rate burst that
// follows a recovery's cumulative ACK lost 720 of CUBIC's segments at its
// own link. Most losses are the random ones; in CUBIC's run the rest are
// such bursts at the bottleneck (72 frames) and out-of-order segments past
// the receiver's 8 reassembly ranges (1,910). SACK (selective repeat), as
// every sender on such a path has: without it, recovery mends one hole per
// RTT (with 100-frame host queues CUBIC's goodput was 0 from 50 s to 90 s,
// mending 142 burst losses). A lower loss rate (the 1e-5) would
// need minutes of virtual time before Reno's saw-tooth settles; this test
// must run in well under 20 s under ASan.
#include "sim_support.hpp"

#include <l4/congestion/cubic.hpp>
#include <l4/congestion/reno.hpp>
#include <l4/flow/selective_repeat.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

using namespace l4;
using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint64_t bottleneck_bps = 100'000'000;
constexpr duration one_way = 100ms;
constexpr std::size_t bdp_frames = bottleneck_bps / 8 / 5 / 1500;  // RTT 200 ms: 1,666 frames of 1500 bytes

path_config long_fat_path(std::uint64_t seed) {
    path_config c{.bottleneck = {.bandwidth_bps = bottleneck_bps, .delay = one_way,
                                 .queue = link::sim::drop_tail_packets{bdp_frames}},
                  .reverse = {.bandwidth_bps = bottleneck_bps, .delay = one_way,
                              .queue = link::sim::drop_tail_packets{10 * bdp_frames}},
                  .access = {.bandwidth_bps = 1'000'000'000, .queue = link::sim::drop_tail_packets{4000}},
                  .seed = seed,
                  .send_buffer = 4'000'000,
                  .receive_buffer = 4'000'000};
    c.bottleneck.impair.loss = link::sim::bernoulli_loss{5e-5};
    return c;
}

struct measured {
    double goodput = 0;            // bytes per second, 30 s to the end
    std::uint32_t max_flight = 0;  // bytes
    bool invariants = false;
    std::uint64_t timeouts = 0;
    double wall_seconds = 0;
};

template <class Algo>
measured run(const path_config& c, duration length) {
    const auto w0 = std::chrono::steady_clock::now();
    const auto d = bulk_transfer<Algo, flow::selective_repeat>(c, length);
    measured m;
    m.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    const auto& r = d.flows.at(0);
    m.goodput = r.goodput(instant{} + 30s, instant{} + length);
    for (const auto& e : r.trace) m.max_flight = std::max(m.max_flight, e.bytes_in_flight);
    m.invariants = r.connected && r.invariants;
    m.timeouts = r.sender.retransmits_timeout;
    return m;
}

}  // namespace

TEST_CASE("sim: cubic's goodput is at least twice reno's on a long fat path (100 Mbit/s and RTT 200 ms with 5e-5 loss)",
          "[congestion][sim][cubic]") {
    // Seed 1, 90 s of virtual time, goodput from 30 s on (slow start and
    // Reno's first halvings from the window's bound are over by then).
    // Measured (g++ -O2): Reno 1.05 MB/s, CUBIC 4.42 MB/s, ratio 4.2 (the
    // model's 3.4). The ratio rests on a handful of Reno's losses, so it
    // varies with the seed: seeds 2, 3 and 4 gave 3.90, 4.11 and 3.04.
    // Tolerance: the 2x, not the model's figure.
    constexpr duration length = 90s;
    const auto c = long_fat_path(1);
    const auto reno_m = run<reno>(c, length);
    const auto cubic_m = run<cubic>(c, length);
    const double ratio = cubic_m.goodput / reno_m.goodput;
    std::printf("long fat path (100 Mbit/s, RTT 200 ms, loss 5e-5, %lld s virtual): reno %.3f MB/s (wall %.2f s), "
                "cubic %.3f MB/s (wall %.2f s), ratio %.2f\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(length).count()),
                reno_m.goodput / 1e6, reno_m.wall_seconds, cubic_m.goodput / 1e6, cubic_m.wall_seconds, ratio);
    CAPTURE(reno_m.goodput, cubic_m.goodput, ratio, reno_m.timeouts, cubic_m.timeouts);
    CHECK(reno_m.invariants);
    CHECK(cubic_m.invariants);
    // The window was scaled: CUBIC had more than 64 KB, and more than one BDP, in flight.
    CHECK(cubic_m.max_flight > 2'500'000);
    CHECK(ratio >= 2.0);
}
