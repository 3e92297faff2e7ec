// Vegas against a bottleneck modelled by hand: a path of BaseRTT 100 ms and
// 200 segments per second (a BDP of 20 segments), where every segment above
// the BDP waits in the queue and adds 5 ms to the RTT. Vegas' diff is then
// exactly the segments it has queued, which it keeps between alpha and beta.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint32_t mss = 1000;
constexpr auto base_rtt = 100ms;

// One round: the window is acknowledged one segment per ACK, each ACK
// clocking out a new segment (so the flight stays at cwnd), with the RTT
// that the queue of the window gives on a path of BaseRTT 100 ms holding
// `bdp_segments` (its rate is bdp_segments per 100 ms). Returns the
// segments queued.
std::uint32_t one_round(vegas& v, l4::instant& now, std::uint32_t bdp_segments = 20) {
    const std::uint32_t w = v.cwnd() / mss;
    const std::uint32_t queued = w > bdp_segments ? w - bdp_segments : 0;
    const l4::duration rtt = base_rtt + queued * (base_rtt / bdp_segments);
    for (std::uint32_t i = 0; i < w; ++i) {
        now += rtt / w;
        v.on_ack(ack(mss, w * mss, now, rtt));
    }
    return queued;
}

}  // namespace

TEST_CASE("vegas keeps between alpha = 2 and beta = 4 segments in the bottleneck's queue", "[congestion][vegas]") {
    vegas v{{.mss = mss, .initial_window = 2 * mss}};
    l4::instant now{};
    std::vector<std::uint32_t> queue;
    for (int round = 0; round < 60; ++round) queue.push_back(one_round(v, now));
    REQUIRE(v.base_rtt() == base_rtt);
    // It left slow start on delay, not loss: the round after the queue
    // appeared, with less than a BDP queued (12 of 20 segments: one doubling).
    CHECK(v.cwnd() >= v.ssthresh());
    CHECK(*std::max_element(queue.begin(), queue.end()) < 20);
    // After the first 20 rounds it holds the queue within [alpha, beta].
    for (std::size_t i = 20; i < queue.size(); ++i) {
        CAPTURE(i);
        CHECK(queue[i] >= vegas::alpha);
        CHECK(queue[i] <= vegas::beta);
    }
    CHECK(v.queued_segments() >= vegas::alpha);
    CHECK(v.queued_segments() <= vegas::beta);
}

TEST_CASE("vegas: below alpha it grows by one segment per round, beyond beta it shrinks by one",
          "[congestion][vegas]") {
    // Avoidance from the BDP: it learns BaseRTT, then grows to 2 queued and holds.
    vegas v{{.mss = mss, .initial_window = 20 * mss, .initial_ssthresh = 20 * mss}};
    l4::instant now{};
    std::vector<std::uint32_t> cwnd;
    for (int i = 0; i < 4; ++i) {
        one_round(v, now);
        cwnd.push_back(v.cwnd() / mss);
    }
    REQUIRE(v.base_rtt() == base_rtt);
    CHECK(cwnd.back() == 22);
    CHECK(v.queued_segments() == Approx(2.0));
    // The path's capacity drops to 15 segments: 7 queued, more than beta.
    cwnd.clear();
    for (int i = 0; i < 5; ++i) {
        one_round(v, now, 15);
        cwnd.push_back(v.cwnd() / mss);
    }
    // A round to measure the new RTT, then one segment per round down to 4 queued, then hold.
    CHECK(cwnd == std::vector<std::uint32_t>{22, 21, 20, 19, 19});
}

TEST_CASE("vegas handles loss as reno does", "[congestion][vegas]") {
    vegas v{{.mss = mss, .initial_window = 10 * mss}};
    v.on_enter_recovery(loss(10'000));
    CHECK(v.ssthresh() == 5'000);
    CHECK(v.cwnd() == 8'000);
    dup_ack(v, loss(10'000));
    CHECK(v.cwnd() == 9'000);
    v.on_exit_recovery(t0);
    CHECK(v.cwnd() == 5'000);
    v.on_rto(loss(5'000));
    CHECK(v.cwnd() == 1'000);
    CHECK(v.ssthresh() == 2'500);
}
