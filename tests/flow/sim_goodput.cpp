// The course's laws of flow control, measured on l4kit's TCP over the
// simulator (flow_sim.hpp: point to point, congestion::none, every segment
// acknowledged at once unless stated): stop-and-wait moves one segment per
// RTT, a sliding window one window per RTT up to the bottleneck, and under
// random loss go-back-N sends whole windows again where selective repeat
// sends only what was lost. Fixed seeds; each tolerance is stated beside
// its check and the figures are printed.
//
// A segment carries 1448 bytes (MSS 1460 less 12 of timestamps): "MSS"
// below is that, the sender's effective MSS.
#include "flow_sim.hpp"

#include <l4/flow/sliding_window.hpp>
#include <l4/flow/stop_and_wait.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using namespace l4;
using namespace l4::flow;
using namespace l4::flow::test;

// 10 Mbit/s of 1500-byte frames carrying 1448 bytes each.
constexpr double payload_rate(std::uint64_t bps) { return static_cast<double>(bps) / 8 * 1448 / 1500; }

// The most common window the receiver advertised in the steady state (the
// middle 80 % of the transfer), in bytes.
std::uint32_t steady_window(const transfer_result& r) {
    std::vector<std::uint32_t> w;
    for (std::size_t i = r.answers.size() / 10; i < r.answers.size() * 9 / 10; ++i) w.push_back(r.answers[i].window);
    std::sort(w.begin(), w.end());
    std::uint32_t best = 0;
    std::size_t best_n = 0;
    for (std::size_t i = 0; i < w.size();) {
        std::size_t j = i;
        while (j < w.size() && w[j] == w[i]) ++j;
        if (j - i > best_n) best = w[i], best_n = j - i;
        i = j;
    }
    return best;
}

}  // namespace

TEST_CASE("stop-and-wait moves one segment per round trip: goodput = MSS / RTT", "[flow][sim][stop_and_wait]") {
    // 10 Mbit/s, RTT 100 ms, lossless, 200 segments. Measured: 14,308 B/s
    // against MSS / RTT = 14,480 B/s (-1.2 %: each round trip also holds the
    // segment's 1.2 ms on the wire and its ACK's).
    transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 50ms}, .bytes = 200 * 1448};
    const auto r = run_transfer<stop_and_wait>(c);
    REQUIRE(r.complete);
    REQUIRE(r.snd_mss == 1448);
    const double goodput = r.goodput(0.1, 0.9);
    std::printf("flow/sim: stop-and-wait, RTT 100 ms: %.0f B/s, MSS/RTT %.0f B/s\n", goodput, 1448 / 0.1);
    CHECK(goodput == Approx(1448 / 0.1).epsilon(0.05));  // +-5 %
    CHECK(r.bytes_retransmitted() == 0);
    // One segment in flight, always: the next leaves after the previous one's ACK.
    std::size_t acked = 0;
    for (const auto& s : r.sent) {
        if (s.payload == 0) continue;
        while (acked < r.acks.size() && r.acks[acked].at <= s.at) ++acked;
        REQUIRE(acked > 0);
        CHECK(r.offset(r.acks[acked - 1].ack) == r.offset(s.seq));
    }

    // With the receiver's delayed ACK (RFC 1122 §4.2.3.2, 200 ms) a lone
    // segment waits for the timer: MSS / (RTT + 200 ms). Measured 4,807 B/s
    // against 4,827 B/s.
    c.delayed_ack = 200ms;
    const auto d = run_transfer<stop_and_wait>(c);
    REQUIRE(d.complete);
    std::printf("flow/sim: stop-and-wait, RTT 100 ms, delayed ACK 200 ms: %.0f B/s, MSS/(RTT+200ms) %.0f B/s\n",
                d.goodput(0.1, 0.9), 1448 / 0.3);
    CHECK(d.goodput(0.1, 0.9) == Approx(1448 / 0.3).epsilon(0.05));  // +-5 %
}

TEMPLATE_LIST_TEST_CASE("a sliding window at least the BDP fills the bottleneck", "[flow][sim][sliding_window]",
                        windowed_senders) {
    // 10 Mbit/s, RTT 20 ms: BDP 25,000 bytes, window 65,535. Measured
    // (go-back-N and selective repeat): 1,206,667 B/s, 100.0 % of the
    // payload rate.
    using sender = typename TestType::sender;
    const transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 10ms}, .bytes = 4 << 20,
                            .receive_buffer = 65535};
    const auto r = run_transfer<sender>(c);
    REQUIRE(r.complete);
    CHECK(r.invariants);
    const double goodput = r.goodput(0.1, 0.9);
    std::printf("flow/sim: %s, window 65535 >= BDP 25000: %.0f B/s, %.1f %% of the payload rate\n",
                std::string(sender::name).c_str(), goodput, 100 * goodput / payload_rate(10'000'000));
    CHECK(goodput >= 0.95 * payload_rate(10'000'000));  // >= 95 % of what the bottleneck carries
    CHECK(r.bytes_retransmitted() == 0);
}

TEMPLATE_LIST_TEST_CASE("a sliding window below the BDP moves one window per round trip", "[flow][sim][sliding_window]",
                        windowed_senders) {
    // 10 Mbit/s, RTT 100 ms: BDP 125,000 bytes. The receive buffer, 12
    // segments (17,376 bytes), limits the window the receiver offers: most
    // ACKs offer 14,480 bytes (10 segments), one segment less because the
    // ACK leaves before the application reads the segment it acknowledges,
    // and one more because RFC 1122's rule waits for an increase of the
    // 1460-byte MSS we announced, which a 1448-byte segment does not free.
    // Measured (go-back-N and selective repeat): 145,065 B/s against
    // window / RTT = 144,800 B/s.
    using sender = typename TestType::sender;
    const transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 50ms}, .bytes = 1 << 20,
                            .receive_buffer = 12 * 1448};
    const auto r = run_transfer<sender>(c);
    REQUIRE(r.complete);
    CHECK(r.invariants);
    const std::uint32_t window = steady_window(r);
    const double goodput = r.goodput(0.1, 0.9);
    std::printf("flow/sim: %s, receive buffer %u, window %u < BDP 125000, RTT 100 ms: %.0f B/s, window/RTT %.0f B/s\n",
                std::string(sender::name).c_str(), c.receive_buffer, window, goodput, window / 0.1);
    CHECK(window <= c.receive_buffer);
    CHECK(window >= c.receive_buffer / 2);
    CHECK(goodput == Approx(window / 0.1).epsilon(0.05));  // +-5 %
}

namespace {

struct loss_figures {
    std::string_view name;
    recovery how;
    std::uint64_t retransmitted, lost;
    std::uint64_t timeouts;
    double goodput;
};

template <class Entry>
loss_figures lossy_run(const transfer_config& c) {
    using sender = typename Entry::sender;
    const auto r = run_transfer<sender>(c);
    CHECK(r.complete);
    CHECK(r.invariants);
    const loss_figures f{sender::name, Entry::how, r.bytes_retransmitted(), r.bytes_lost(),
                         r.sender.retransmits_timeout, r.goodput(0.1, 0.9)};
    std::printf("flow/sim: %s, 1 %% loss: %llu bytes lost, %llu retransmitted (%.2fx), %llu timeouts, %.0f B/s\n",
                std::string(f.name).c_str(), static_cast<unsigned long long>(f.lost),
                static_cast<unsigned long long>(f.retransmitted),
                static_cast<double>(f.retransmitted) / static_cast<double>(f.lost),
                static_cast<unsigned long long>(f.timeouts), f.goodput);
    return f;
}

template <class... Entries>
std::vector<loss_figures> lossy_runs(const transfer_config& c, std::tuple<Entries...>*) {
    return {lossy_run<Entries>(c)...};
}

}  // namespace

TEST_CASE("1 % random loss: go-back-N sends whole windows again, selective repeat only what was lost",
          "[flow][sim][go_back_n][selective_repeat]") {
    // 10 Mbit/s, RTT 40 ms, window 65,535 (>= the BDP of 50,000), 1 % of the
    // data segments lost, 4 MiB, seed 1. Measured: go-back-N 49,232 bytes
    // lost, 236,024 retransmitted (4.79x), 3 timeouts, 459 kB/s (fast
    // retransmit resends one segment, but each timeout rewinds to snd.una and
    // resends the window behind it, most of which had arrived); selective
    // repeat 49,232 lost, 49,232 retransmitted (1.00x), no timeout, 962 kB/s.
    const transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 20ms, .loss = 0.01, .seed = 1},
                            .bytes = 4 << 20, .receive_buffer = 65535};
    const auto all = lossy_runs(c, static_cast<windowed_senders*>(nullptr));
    for (const auto& f : all) {
        CAPTURE(f.name, f.retransmitted, f.lost, f.timeouts);
        REQUIRE(f.lost > 0);
        CHECK(f.retransmitted >= f.lost);  // every lost byte was sent again
        if (f.how == recovery::go_back) {
            // At least one timeout on this seed, and its window went again:
            // well above what selective repeat may send.
            CHECK(f.timeouts >= 1);
            CHECK(static_cast<double>(f.retransmitted) > 1.1 * static_cast<double>(f.lost));
        } else {
            CHECK(static_cast<double>(f.retransmitted) <= 1.1 * static_cast<double>(f.lost));  // <= 1.1x the bytes lost
            for (const auto& g : all)
                if (g.how == recovery::go_back) CHECK(f.retransmitted < g.retransmitted);
        }
    }

    // Stop-and-wait, for the record: it resends exactly what was lost (one
    // segment is all there is), at one segment per round trip. Measured:
    // 49,232 lost and 49,232 retransmitted, 26.7 kB/s.
    const auto s = lossy_run<windowed<stop_and_wait, recovery::selective>>(c);
    CHECK(s.retransmitted == s.lost);
}
