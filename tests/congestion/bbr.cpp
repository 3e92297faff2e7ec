// BBR against a bottleneck modelled by hand: one FIFO link of 10 Mbit/s
// (1.25 MB/s) and 40 ms of propagation, a sender with unlimited data that
// sends whenever cwnd allows (no pacing), an RTT sample on every ACK.
// SMSS 1000 bytes, so one segment takes 0.8 ms on the link.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint32_t mss = 1000;
constexpr double rate = 1.25e6;  // bytes per second
constexpr auto propagation = 40ms;
const l4::duration serialisation = std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>(mss / rate));
const double bdp = rate * std::chrono::duration<double>(propagation + serialisation).count();  // 51,000 bytes

struct sample {
    l4::instant at;
    bbr::mode mode;
    std::size_t cycle_index;
    double pacing_gain;
    std::uint32_t cwnd;
    double queued;  // bytes waiting at the link
};

struct run_result {
    std::vector<sample> trace;
    std::uint64_t delivered = 0;
};

run_result run(bbr& b, l4::duration length) {
    struct segment {
        l4::instant sent, acked_at;
    };
    std::deque<segment> flight;
    l4::instant now{}, link_free{};
    const l4::instant end = now + length;
    run_result out;
    const auto send = [&] {
        while ((flight.size() + 1) * mss <= b.cwnd()) {
            link_free = std::max(link_free, now) + serialisation;
            flight.push_back({now, link_free + propagation});
        }
    };
    send();
    while (now < end && !flight.empty()) {
        const segment s = flight.front();
        now = s.acked_at;
        const auto in_flight = static_cast<std::uint32_t>(flight.size() * mss);
        flight.pop_front();
        b.on_ack(ack(mss, in_flight, now, now - s.sent));
        out.delivered += mss;
        const double queued = link_free > now ? std::chrono::duration<double>(link_free - now).count() * rate : 0;
        out.trace.push_back({now, b.state(), b.cycle_index(), b.pacing_gain(), b.cwnd(), queued});
        send();
    }
    return out;
}

template <class T, class F>
std::vector<T> collapse(const std::vector<sample>& trace, F field) {
    std::vector<T> out;
    for (const auto& s : trace)
        if (out.empty() || out.back() != field(s)) out.push_back(field(s));
    return out;
}

}  // namespace

TEST_CASE("bbr: startup, drain, probe_bw, with the model of the path", "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    CHECK(b.state() == bbr::mode::startup);
    CHECK(b.pacing_gain() == Approx(2 / std::log(2.0)));
    const auto r = run(b, 5s);
    const auto modes = collapse<bbr::mode>(r.trace, [](const sample& s) { return s.mode; });
    REQUIRE(modes.size() >= 3);
    CHECK(modes[0] == bbr::mode::startup);
    CHECK(modes[1] == bbr::mode::drain);
    CHECK(modes[2] == bbr::mode::probe_bw);
    CHECK(modes.size() == 3);  // no probe_rtt in the first 10 s
    CHECK(b.filled_pipe());
    // The model: BtlBw within 10 % of the link's rate, RTprop the path's.
    CHECK(b.btlbw() == Approx(rate).epsilon(0.10));
    REQUIRE(b.rtprop());
    CHECK(*b.rtprop() == propagation + serialisation);
    // cwnd = 2 BDP + 3 send quanta (2 SMSS each below 24 Mbit/s) in probe_bw.
    CHECK(b.cwnd() == Approx(2 * bdp + 6 * mss).epsilon(0.10));
    CHECK(*b.pacing_rate() == Approx(b.pacing_gain() * b.btlbw() * 0.99).epsilon(1e-6));
}

TEST_CASE("bbr: probe_bw cycles its pacing gain 1.25, 0.75, 1 x 6, one phase per RTprop", "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    const auto r = run(b, 5s);
    std::vector<sample> probe;
    for (const auto& s : r.trace)
        if (s.mode == bbr::mode::probe_bw) probe.push_back(s);
    REQUIRE(!probe.empty());
    const auto phases = collapse<std::size_t>(probe, [](const sample& s) { return s.cycle_index; });
    REQUIRE(phases.size() >= 16);
    CHECK(phases.front() != 1);  // never starts in the draining phase
    for (std::size_t i = 1; i < phases.size(); ++i) CHECK(phases[i] == (phases[i - 1] + 1) % 8);
    for (const auto& s : probe) CHECK(s.pacing_gain == bbr::pacing_gain_cycle[s.cycle_index]);
    // Each phase lasts about one RTprop (41 ms) on this path: 8 phases in ~330 ms.
    const double seconds = std::chrono::duration<double>(probe.back().at - probe.front().at).count();
    CHECK(static_cast<double>(phases.size()) / seconds == Approx(1 / 0.0408).epsilon(0.15));
}

TEST_CASE("bbr: the link stays busy and the queue below 2 BDP", "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    const auto r = run(b, 8s);
    // From 2 s on (startup over): delivered >= 90 % of the link.
    std::uint64_t bytes = 0;
    double worst_queue = 0;
    for (const auto& s : r.trace)
        if (s.at >= l4::instant{} + 2s) {
            bytes += mss;
            worst_queue = std::max(worst_queue, s.queued);
        }
    CHECK(static_cast<double>(bytes) / 6.0 >= 0.90 * rate);
    CHECK(worst_queue < 2 * bdp);
}

TEST_CASE("bbr: probe_rtt after 10 s without a lower RTT: 4 segments for at least 200 ms, then probe_bw",
          "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    const auto r = run(b, 12s);
    const auto modes = collapse<bbr::mode>(r.trace, [](const sample& s) { return s.mode; });
    REQUIRE(modes.size() >= 5);
    CHECK(modes[3] == bbr::mode::probe_rtt);
    CHECK(modes[4] == bbr::mode::probe_bw);
    std::optional<l4::instant> in, out;
    for (const auto& s : r.trace) {
        if (s.mode == bbr::mode::probe_rtt) {
            if (!in) in = s.at;
            out = s.at;
            CHECK(s.cwnd <= 4 * mss);
        }
    }
    REQUIRE(in);
    CHECK(*in >= l4::instant{} + 10s);
    CHECK(*in < l4::instant{} + 10.5s);
    CHECK(*out - *in >= 200ms);
    CHECK(*out - *in < 400ms);
}

TEST_CASE("bbr: BtlBw is the best rate sampled in the last 10 rounds, every sample of a round counted",
          "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    l4::instant now{};
    // One ACK of one segment with a delivery-rate sample; `in_flight` before it.
    // An ACK that leaves nothing in flight ends the round: the next one opens another.
    const auto sampled_ack = [&](double delivery_rate, std::uint32_t in_flight) {
        now += 10ms;
        auto ev = ack(mss, in_flight, now, 10ms);
        ev.rate = rate_sample{.delivery_rate = delivery_rate, .interval = 10ms, .delivered = mss};
        b.on_ack(ev);
        return b.btlbw();
    };
    CHECK(sampled_ack(2e6, mss) == 2e6);
    for (int round = 1; round < 10; ++round) CHECK(sampled_ack(1e6, mss) == 2e6);
    CHECK(sampled_ack(1e6, mss) == 1e6);  // the tenth round on: 2e6 has left the window
    // A round of three ACKs (3 segments left in flight after the first).
    CHECK(sampled_ack(1.2e6, 4 * mss) == 1.2e6);
    CHECK(sampled_ack(1.6e6, 3 * mss) == 1.6e6);  // a higher sample later in the round raises it
    CHECK(sampled_ack(1.4e6, 2 * mss) == 1.6e6);  // a lower one leaves it
    for (int round = 1; round < 10; ++round) CHECK(sampled_ack(1e6, mss) == 1.6e6);
    CHECK(sampled_ack(1e6, mss) == 1e6);
}

TEST_CASE("bbr: recovery conserves packets, a timeout falls to one segment", "[congestion][bbr]") {
    bbr b{{.mss = mss}};
    run(b, 3s);
    const std::uint32_t before = b.cwnd();
    b.on_enter_recovery(loss(40 * mss));
    CHECK(b.cwnd() == 41 * mss);  // in flight + 1 SMSS
    dup_ack(b, loss(40 * mss));
    CHECK(b.cwnd() == 42 * mss);
    b.on_exit_recovery(t0);
    CHECK(b.cwnd() == before);  // the cwnd before recovery comes back
    b.on_rto(loss(40 * mss));
    CHECK(b.cwnd() == mss);
    CHECK(b.ssthresh() == 0xFFFFFFFF);  // BBR does not use it
}

TEST_CASE("send quantum: 1 SMSS below 1.2 Mbit/s, 2 below 24 Mbit/s, else 1 ms of data up to 64 KB", "[congestion][bbr]") {
    using l4::congestion::send_quantum;
    CHECK(send_quantum(100'000, 1448) == 1448);           // 0.8 Mbit/s
    CHECK(send_quantum(1.2e6 / 8, 1448) == 2 * 1448);     // 1.2 Mbit/s
    CHECK(send_quantum(2'999'999, 1448) == 2 * 1448);     // just under 24 Mbit/s
    CHECK(send_quantum(12'500'000, 1448) == 12'500);      // 100 Mbit/s: 1 ms
    CHECK(send_quantum(125'000'000, 1448) == 65'536);     // 1 Gbit/s: capped
}
