// any<...>: the choice by name, index and params, and that the chosen
// algorithm behaves exactly as it does on its own.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;

constexpr std::uint32_t mss = 1000;
using choice = any<reno, newreno, cubic, bbr, tahoe>;

// The same random events to the chosen algorithm inside any<> and to the
// algorithm alone; the cwnd and ssthresh must agree after each.
template <class A>
void agrees_with_alone(std::string_view algo) {
    const auto m = *rc::gen::inRange<std::uint32_t>(1, 9001);
    const params p{.mss = m};
    choice c{p, algo};
    A a{p};
    RC_ASSERT(c.chosen() == algo);
    bool in_recovery = false;
    l4::instant now{};
    const auto steps = *rc::gen::container<std::vector<std::pair<int, std::uint32_t>>>(
        rc::gen::pair(rc::gen::inRange(0, 4), rc::gen::inRange<std::uint32_t>(1, 1u << 24)));
    for (const auto& [kind, x] : steps) {
        now += std::chrono::microseconds{x & 0xFFFF};
        const std::uint32_t flight = 1 + x % a.cwnd();
        if (kind == 0 && !in_recovery) {
            c.on_ack(ack(flight, flight, now));
            a.on_ack(ack(flight, flight, now));
        } else if (kind == 0) {
            c.on_partial_ack(ack(flight, flight, now));
            partial_ack(a, ack(flight, flight, now));
        } else if (kind == 1) {
            if (in_recovery) {
                c.on_dup_ack(loss(flight, now));
                dup_ack(a, loss(flight, now));
            } else {
                c.on_enter_recovery(loss(flight, now));
                a.on_enter_recovery(loss(flight, now));
                in_recovery = true;
            }
        } else if (kind == 2 && in_recovery) {
            c.on_exit_recovery(now);
            a.on_exit_recovery(now);
            in_recovery = false;
        } else if (kind == 3) {
            c.on_rto(loss(flight, now));
            a.on_rto(loss(flight, now));
            in_recovery = false;
        }
        RC_ASSERT(c.cwnd() == a.cwnd());
        RC_ASSERT(c.ssthresh() == a.ssthresh());
        RC_ASSERT(c.pacing_rate() == pacing_rate(a));
    }
}

}  // namespace

TEST_CASE("any: picks by name, by index, by params, and the first otherwise", "[congestion][any]") {
    STATIC_REQUIRE(check_algorithm<choice>());
    CHECK(choice{{.mss = mss}}.chosen() == "reno");
    CHECK(choice{{.mss = mss}}.known());
    CHECK(choice{{.mss = mss}, "cubic"}.chosen() == "cubic");
    CHECK(choice{{.mss = mss}, std::size_t{3}}.chosen() == "bbr");
    CHECK(choice{{.mss = mss, .algorithm = "tahoe"}}.chosen() == "tahoe");
    CHECK(choice{{.mss = mss, .algorithm = "newreno"}}.index() == 1);
    const choice unknown{{.mss = mss}, "westwood"};
    CHECK(unknown.chosen() == "reno");
    CHECK(!unknown.known());
    CHECK(!choice{{.mss = mss}, std::size_t{9}}.known());
    CHECK(choice::index_of("bbr") == 3);
    CHECK(choice::index_of("vegas") == choice::size);
    // Its own accessors are reachable.
    const choice b{{.mss = mss}, "bbr"};
    REQUIRE(b.get_if<bbr>());
    CHECK(b.get_if<bbr>()->state() == bbr::mode::startup);
    CHECK(b.pacing_rate().has_value());
    CHECK(!choice{{.mss = mss}}.pacing_rate().has_value());
}

TEST_CASE("any: the chosen algorithm behaves as it does alone", "[congestion][any][property]") {
    rc::prop("reno", [] { agrees_with_alone<reno>("reno"); });
    rc::prop("newreno", [] { agrees_with_alone<newreno>("newreno"); });
    rc::prop("cubic", [] { agrees_with_alone<cubic>("cubic"); });
    rc::prop("bbr", [] { agrees_with_alone<bbr>("bbr"); });
}

TEST_CASE("any: an algorithm without partial ACKs leaves recovery at the first, as a connection would make it",
          "[congestion][any]") {
    choice c{{.mss = mss, .initial_window = 20 * mss}, "tahoe"};
    c.on_enter_recovery(loss(20'000));
    CHECK(c.cwnd() == 1'000);
    c.on_dup_ack(loss(20'000));
    CHECK(c.cwnd() == 1'000);
    c.on_partial_ack(ack(mss, 20'000));  // tahoe's on_exit_recovery: one ACK of slow start
    CHECK(c.cwnd() == 2'000);
    c.on_partial_ack(ack(mss, 19'000));  // then ordinary ACKs
    CHECK(c.cwnd() == 3'000);
    c.on_exit_recovery(t0);  // not passed on a second time
    CHECK(c.cwnd() == 3'000);
    CHECK(c.ssthresh() == 10'000);
}
