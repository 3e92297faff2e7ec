// CUBIC driven by hand: a window's ACKs per RTT, evenly spread, and the
// window compared with RFC 9438's W(t) = C(t - K)^3 + W_max. HyStart++
// (RFC 9406) with RTT samples on every ACK. SMSS is 1000 bytes.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint32_t mss = 1000;

// One RTT: cwnd's worth of one-segment ACKs spread over `rtt`, the flight
// staying at cwnd (each ACK clocks out a segment).
template <class C>
void one_rtt_at(C& c, l4::instant& now, l4::duration rtt, l4::duration sample) {
    const std::uint32_t n = std::max<std::uint32_t>(c.cwnd() / mss, 1);
    const std::uint32_t flight = c.cwnd();
    for (std::uint32_t i = 0; i < n; ++i) {
        now += rtt / n;
        c.on_ack(ack(mss, flight, now, sample));
    }
}

// A CUBIC in avoidance that has just seen a loss at W_max = 100 segments.
cubic after_loss_at_100(l4::instant now) {
    cubic c{{.mss = mss, .initial_window = 100 * mss, .initial_ssthresh = 100 * mss}};
    c.on_enter_recovery(loss(100 * mss, now));
    c.on_exit_recovery(now);
    return c;
}

}  // namespace

TEST_CASE("cubic: a loss sets W_max, ssthresh = 0.7 W_max, and K = cbrt(W_max (1 - beta) / C)", "[congestion][cubic]") {
    l4::instant now{};
    cubic c = after_loss_at_100(now);
    CHECK(c.ssthresh() == 70'000);
    CHECK(c.cwnd() == 70'000);
    CHECK(c.w_max() == 100'000);
    c.on_ack(ack(mss, 70'000, now));  // the epoch begins at the first ACK of avoidance
    REQUIRE(c.epoch_start() == now);
    CHECK(c.k() == Approx(std::cbrt(100 * (1 - 0.7) / 0.4)).epsilon(1e-9));  // 4.217 s
}

TEST_CASE("cubic: after a loss the window follows W(t) = C(t - K)^3 + W_max within 10 %", "[congestion][cubic]") {
    l4::instant now{};
    cubic c = after_loss_at_100(now);
    const l4::instant start = now;
    const double k = std::cbrt(100 * (1 - cubic::beta) / cubic::c);
    std::vector<double> t_s, cwnd_s;
    while (now - start < 7s) {
        one_rtt_at(c, now, 100ms, 100ms);
        const double t = std::chrono::duration<double>(now - start).count();
        t_s.push_back(t);
        cwnd_s.push_back(static_cast<double>(c.cwnd()) / mss);
        const double w = cubic::c * std::pow(t - k, 3) + 100;
        CAPTURE(t, w);
        CHECK(static_cast<double>(c.cwnd()) / mss == Approx(w).epsilon(0.10));
    }
    // Concave before K (growth slowing), a plateau at W_max, convex after (growth quickening).
    const auto growth = [&](double from, double to) {
        std::size_t i = 0, j = 0;
        while (t_s[i] < from) ++i;
        while (t_s[j] < to) ++j;
        return cwnd_s[j] - cwnd_s[i];
    };
    CHECK(growth(0.0, 1.0) > growth(1.0, 2.0));
    CHECK(growth(1.0, 2.0) > growth(3.5, 4.5));
    CHECK(growth(3.5, 4.5) < 2);   // the plateau: about W_max
    CHECK(growth(5.5, 6.5) > growth(4.5, 5.5));
    CHECK(growth(4.5, 5.5) > growth(3.5, 4.5));
}

TEST_CASE("cubic: on a short RTT the Reno-friendly region takes over (RFC 9438 §4.3)", "[congestion][cubic]") {
    l4::instant now{};
    cubic c = after_loss_at_100(now);
    const l4::instant start = now;
    for (int i = 0; i < 60; ++i) one_rtt_at(c, now, 1ms, 1ms);
    const double t = std::chrono::duration<double>(now - start).count();
    // 60 RTTs in 60 ms: the cubic curve has hardly moved from 70 segments,
    // W_est has grown by alpha = 3(1 - 0.7)/(1 + 0.7) = 0.53 per RTT to 100
    // (cwnd_prior), then by 1.
    CHECK(c.w_cubic(t) / mss < 72);
    const double alpha = 3 * (1 - 0.7) / 1.7;
    const double rtts_to_prior = 30 / alpha;  // 57 RTTs
    CHECK(static_cast<double>(c.cwnd()) / mss == Approx(100 + (60 - rtts_to_prior)).epsilon(0.03));
}

TEST_CASE("cubic: fast convergence lowers W_max when the window did not reach it", "[congestion][cubic]") {
    l4::instant now{};
    cubic c = after_loss_at_100(now);
    for (int i = 0; i < 5; ++i) one_rtt_at(c, now, 100ms, 100ms);
    const double w = c.cwnd();
    REQUIRE(w < 100'000);
    c.on_enter_recovery(loss(c.cwnd(), now));
    CHECK(c.w_max() == Approx(w * (1 + 0.7) / 2));  // RFC 9438 §4.7
    CHECK(c.ssthresh() == static_cast<std::uint32_t>(w * 0.7));  // beta times the flight
}

TEST_CASE("cubic: a timeout falls to 1 SMSS, and the next epoch starts with K = 0 (RFC 9438 §4.8)",
          "[congestion][cubic]") {
    l4::instant now{};
    cubic c{{.mss = mss, .initial_window = 50 * mss, .initial_ssthresh = 50 * mss}};
    c.on_rto(loss(50 * mss, now));
    CHECK(c.cwnd() == 1'000);
    CHECK(c.ssthresh() == 35'000);
    while (c.cwnd() < c.ssthresh()) one_rtt_at(c, now, 100ms, 100ms);
    one_rtt_at(c, now, 100ms, 100ms);
    CHECK(c.k() == 0);
    CHECK(c.w_max() == Approx(35'000));
}

TEST_CASE("cubic: HyStart++ leaves slow start for CSS when the RTT rises, and avoidance after 5 rounds",
          "[congestion][cubic][hystart]") {
    l4::instant now{};
    cubic c{{.mss = mss}};
    REQUIRE(c.slow_start_phase() == hystart_pp::phase::slow_start);
    // Slow start at a steady 100 ms doubles per round.
    for (int i = 0; i < 3; ++i) one_rtt_at(c, now, 100ms, 100ms);
    CHECK(c.cwnd() == 80'000);
    CHECK(c.slow_start_phase() == hystart_pp::phase::slow_start);
    // The RTT rises by 20 ms, more than max(4 ms, min(100/8 ms, 16 ms)) = 12.5 ms: CSS.
    one_rtt_at(c, now, 120ms, 120ms);
    CHECK(c.slow_start_phase() == hystart_pp::phase::css);
    // CSS grows a quarter as fast as slow start.
    const std::uint32_t before = c.cwnd();
    one_rtt_at(c, now, 120ms, 120ms);
    CHECK(c.cwnd() - before == Approx(before / 4).epsilon(0.05));
    for (int i = 0; i < 5; ++i) one_rtt_at(c, now, 120ms, 120ms);
    CHECK(c.slow_start_phase() == hystart_pp::phase::done);
    CHECK(c.ssthresh() <= c.cwnd());  // avoidance
    CHECK(c.ssthresh() != 0xFFFFFFFF);
}

TEST_CASE("cubic: HyStart++ goes back to slow start when the RTT falls below CSS's baseline",
          "[congestion][cubic][hystart]") {
    l4::instant now{};
    cubic c{{.mss = mss}};
    for (int i = 0; i < 3; ++i) one_rtt_at(c, now, 100ms, 100ms);
    one_rtt_at(c, now, 120ms, 120ms);
    REQUIRE(c.slow_start_phase() == hystart_pp::phase::css);
    one_rtt_at(c, now, 100ms, 100ms);  // a false alarm
    CHECK(c.slow_start_phase() == hystart_pp::phase::slow_start);
    CHECK(c.ssthresh() == 0xFFFFFFFF);
}

TEST_CASE("cubic: a loss in slow start ends HyStart++", "[congestion][cubic][hystart]") {
    l4::instant now{};
    cubic c{{.mss = mss}};
    one_rtt_at(c, now, 100ms, 100ms);
    c.on_enter_recovery(loss(c.cwnd(), now));
    CHECK(c.slow_start_phase() == hystart_pp::phase::done);
    CHECK(c.ssthresh() == 14'000);
}
