// Reno's relatives, step by step: Tahoe (no fast recovery), NewReno (RFC
// 6582's partial ACKs) and AIMD(a, b). SMSS is 1000 bytes throughout so the
// numbers read as segments.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <ratio>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;

constexpr std::uint32_t mss = 1000;

template <class C>
std::vector<std::uint32_t> cwnd_per_rtt(C& c, int rtts, std::uint32_t per_ack) {
    std::vector<std::uint32_t> out{c.cwnd()};
    for (int i = 0; i < rtts; ++i) {
        one_rtt(c, per_ack);
        out.push_back(c.cwnd());
    }
    return out;
}

}  // namespace

TEST_CASE("tahoe: three duplicate ACKs drop cwnd to 1 MSS, then slow start to the halved threshold",
          "[congestion][tahoe]") {
    tahoe t{{.mss = mss, .initial_window = 20 * mss}};
    t.on_enter_recovery(loss(20'000));
    CHECK(t.ssthresh() == 10'000);  // max(FlightSize/2, 2*SMSS)
    CHECK(t.cwnd() == 1'000);       // the loss window, as on a timeout
    // No inflation: further duplicates change nothing (Tahoe has no on_dup_ack).
    STATIC_REQUIRE(!l4::congestion::detail::has_on_dup_ack<tahoe>);
    STATIC_REQUIRE(!l4::congestion::detail::has_on_partial_ack<tahoe>);
    dup_ack(t, loss(20'000));
    dup_ack(t, loss(20'000));
    CHECK(t.cwnd() == 1'000);
    // The retransmission is acknowledged: one ACK's worth of slow start.
    t.on_exit_recovery(t0);
    CHECK(t.cwnd() == 2'000);
    CHECK(cwnd_per_rtt(t, 4, mss) == std::vector<std::uint32_t>{2'000, 4'000, 8'000, 10'000, 11'000});
}

TEST_CASE("tahoe: a timeout is the same fall, and a repeated timeout keeps ssthresh", "[congestion][tahoe]") {
    tahoe t{{.mss = mss, .initial_window = 16 * mss}};
    t.on_rto(loss(16'000));
    CHECK(t.ssthresh() == 8'000);
    CHECK(t.cwnd() == 1'000);
    t.on_rto(loss(1'000));
    CHECK(t.ssthresh() == 8'000);
    CHECK(cwnd_per_rtt(t, 5, mss) == std::vector<std::uint32_t>{1'000, 2'000, 4'000, 8'000, 9'000, 10'000});
}

TEST_CASE("tahoe and reno differ only after three duplicate ACKs", "[congestion][tahoe]") {
    tahoe t{{.mss = mss}};
    reno r{{.mss = mss}};
    CHECK(cwnd_per_rtt(t, 3, mss) == cwnd_per_rtt(r, 3, mss));
    t.on_enter_recovery(loss(80'000));
    r.on_enter_recovery(loss(80'000));
    CHECK(t.ssthresh() == r.ssthresh());
    CHECK(t.cwnd() == 1'000);
    CHECK(r.cwnd() == 43'000);
}

TEST_CASE("newreno: RFC 6582 §3.2 step by step, with two losses in one window", "[congestion][newreno]") {
    newreno n{{.mss = mss, .initial_window = 10 * mss}};
    STATIC_REQUIRE(l4::congestion::detail::has_on_partial_ack<newreno>);  // the connection stays in recovery
    n.on_enter_recovery(loss(10'000));
    CHECK(n.ssthresh() == 5'000);  // step 2
    CHECK(n.cwnd() == 8'000);      // step 2: ssthresh + 3*SMSS
    for (int i = 0; i < 5; ++i) dup_ack(n, loss(10'000));
    CHECK(n.cwnd() == 13'000);  // step 3: one SMSS per further duplicate
    // Step 5, a partial ACK of 4 segments: deflate by 4000, add back one SMSS.
    partial_ack(n, ack(4 * mss, 13'000));
    CHECK(n.cwnd() == 10'000);
    CHECK(n.ssthresh() == 5'000);
    // A partial ACK of less than one SMSS adds nothing back.
    partial_ack(n, ack(500, 9'000));
    CHECK(n.cwnd() == 9'500);
    dup_ack(n, loss(8'500));
    CHECK(n.cwnd() == 10'500);
    // Step 5, the full acknowledgment: cwnd = ssthresh (option 2).
    n.on_exit_recovery(t0);
    CHECK(n.cwnd() == 5'000);
    CHECK(cwnd_per_rtt(n, 2, mss) == std::vector<std::uint32_t>{5'000, 6'000, 7'000});
}

TEST_CASE("newreno: a partial ACK of more than the window never wraps, and keeps 2 SMSS", "[congestion][newreno]") {
    newreno n{{.mss = mss, .initial_window = 10 * mss}};
    n.on_enter_recovery(loss(10'000));
    partial_ack(n, ack(9 * mss, 10'000));
    CHECK(n.cwnd() == 2'000);
    n.on_rto(loss(1'000));
    CHECK(n.cwnd() == 1'000);
    CHECK(n.ssthresh() == 2'000);
}

TEST_CASE("aimd<1, 1/2> is reno, event for event", "[congestion][aimd][property]") {
    rc::prop("the same cwnd and ssthresh after every event", [] {
        const auto m = *rc::gen::inRange<std::uint32_t>(1, 9001);
        params p{.mss = m, .initial_window = *rc::gen::inRange<std::uint32_t>(0, 50 * m)};
        aimd<std::ratio<1>, std::ratio<1, 2>> a{p};
        reno r{p};
        bool in_recovery = false;
        const auto steps = *rc::gen::container<std::vector<std::pair<int, std::uint32_t>>>(
            rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange<std::uint32_t>(1, 1u << 24)));
        for (const auto& [kind, x] : steps) {
            const std::uint32_t flight = 1 + x % r.cwnd();
            if (kind == 0 && !in_recovery) {
                a.on_ack(ack(flight, flight));
                r.on_ack(ack(flight, flight));
            } else if (kind == 0) {
                partial_ack(a, ack(flight, flight));
                partial_ack(r, ack(flight, flight));
            } else if (kind == 1) {
                if (in_recovery) {
                    dup_ack(a, loss(flight));
                    dup_ack(r, loss(flight));
                } else {
                    a.on_enter_recovery(loss(flight));
                    r.on_enter_recovery(loss(flight));
                    in_recovery = true;
                }
            } else if (kind == 2 && in_recovery) {
                a.on_exit_recovery(t0);
                r.on_exit_recovery(t0);
                in_recovery = false;
            } else if (kind == 3) {
                a.on_rto(loss(flight));
                r.on_rto(loss(flight));
                in_recovery = false;
            }
            RC_ASSERT(a.cwnd() == r.cwnd());
            RC_ASSERT(a.ssthresh() == r.ssthresh());
        }
    });
}

TEST_CASE("aimd<2, 7/8>: two SMSS per RTT, and a loss keeps 7/8 of the flight", "[congestion][aimd]") {
    aimd<std::ratio<2>, std::ratio<7, 8>> a{{.mss = mss, .initial_window = 16 * mss, .initial_ssthresh = 16 * mss}};
    CHECK(cwnd_per_rtt(a, 3, mss) == std::vector<std::uint32_t>{16'000, 18'000, 20'000, 22'000});
    a.on_enter_recovery(loss(16'000));
    CHECK(a.ssthresh() == 14'000);
    a.on_exit_recovery(t0);
    CHECK(a.cwnd() == 14'000);
    a.on_rto(loss(8'000));
    CHECK(a.ssthresh() == 7'000);
    CHECK(a.cwnd() == 1'000);
}

TEST_CASE("aimd<1/2, 1/2>: half an SMSS per RTT", "[congestion][aimd]") {
    aimd<std::ratio<1, 2>> a{{.mss = mss, .initial_window = 10 * mss, .initial_ssthresh = 10 * mss}};
    CHECK(cwnd_per_rtt(a, 4, mss) == std::vector<std::uint32_t>{10'000, 10'500, 11'000, 11'500, 12'000});
}

TEMPLATE_TEST_CASE("an ECN echo halves the window without a fall to 1 MSS (RFC 3168 §6.1.2)", "[congestion][ecn]",
                   reno, tahoe, newreno, aimd<>, vegas) {
    TestType c{{.mss = mss, .initial_window = 20 * mss}};
    STATIC_REQUIRE(l4::congestion::detail::has_on_ecn_echo<TestType>);
    ecn_echo(c, loss(20'000));
    CHECK(c.ssthresh() == 10'000);
    CHECK(c.cwnd() == 10'000);
    ecn_echo(c, loss(3'000));  // the floor
    CHECK(c.ssthresh() == 2'000);
    CHECK(c.cwnd() == 2'000);
}

TEST_CASE("cubic: an ECN echo is a congestion event of RFC 9438 §4.6, cwnd = 0.7 of the flight", "[congestion][ecn]") {
    cubic c{{.mss = mss, .initial_window = 20 * mss}};
    ecn_echo(c, loss(20'000));
    CHECK(c.ssthresh() == 14'000);
    CHECK(c.cwnd() == 14'000);
    CHECK(c.w_max() == 20'000);
}
