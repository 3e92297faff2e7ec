// The laws of congestion::algorithm (l4/congestion/concept.hpp), checked for
// every model over random event sequences that a connection could produce.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;

// A step's kind and two random numbers, scaled to the window when applied,
// so the same steps replay to the same events.
using step = std::tuple<std::uint8_t, std::uint32_t, std::uint32_t>;

params gen_params() {
    const auto mss = *rc::gen::inRange<std::uint32_t>(1, 9001);
    switch (*rc::gen::inRange(0, 3)) {
    case 0: return {.mss = mss};
    case 1: return params::course(mss);
    default:
        return {.mss = mss,
                .initial_window = *rc::gen::inRange<std::uint32_t>(0, 100 * mss),
                .initial_ssthresh = *rc::gen::inRange<std::uint32_t>(mss, 0xFFFFFFFF)};
    }
}

// Feeds events as a connection would: on_ack only outside recovery; dup and
// partial ACKs only inside it; an RTO at any time, ending recovery. Checks
// the laws after every event and returns the states it went through.
template <algorithm C>
std::vector<std::pair<std::uint32_t, std::uint32_t>> run(const params& p, const std::vector<step>& steps) {
    C c{p};
    const std::uint32_t mss = smss(p);
    bool in_recovery = false;
    l4::instant now = t0;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> trace{{c.cwnd(), c.ssthresh()}};
    RC_ASSERT(c.cwnd() >= mss);
    for (const auto& [kind, a, b] : steps) {
        // In flight: at least one byte, never more than cwnd (capped so that
        // `none` sees realistic flights).
        const std::uint32_t window = std::min<std::uint32_t>(c.cwnd(), 1u << 26);
        const std::uint32_t flight = 1 + a % window;
        const std::uint32_t acked = 1 + b % flight;
        const std::uint32_t before = c.cwnd();
        // Time moves on by up to ~65 ms per event, so the time-driven
        // algorithms (CUBIC, BBR) leave their first instant.
        now += std::chrono::microseconds{(a ^ b) & 0xFFFF};
        switch (kind % 6) {
        case 0:  // new data acknowledged
            if (in_recovery) {
                partial_ack(c, ack(acked, flight, now));
                if constexpr (keeps_two_segments_in_recovery<C>) RC_ASSERT(c.cwnd() >= 2 * mss);
            } else {
                c.on_ack(ack(acked, flight, now));
                if constexpr (loss_based<C>) RC_ASSERT(c.cwnd() >= before);  // law 2
            }
            break;
        case 1:  // duplicate ACK
            if (in_recovery) {
                dup_ack(c, loss(flight, now));
            } else {
                c.on_enter_recovery(loss(flight, now));
                in_recovery = true;
                RC_ASSERT(c.ssthresh() >= 2 * mss);  // law 3
            }
            if constexpr (keeps_two_segments_in_recovery<C>) RC_ASSERT(c.cwnd() >= 2 * mss);  // law 1
            break;
        case 2:  // the recovery point is acknowledged
            if (in_recovery) {
                c.on_exit_recovery(now);
                in_recovery = false;
                if constexpr (keeps_two_segments_in_recovery<C>) RC_ASSERT(c.cwnd() >= 2 * mss);  // law 1
            }
            break;
        case 3:  // retransmission timeout
            c.on_rto(loss(flight, now));
            in_recovery = false;
            RC_ASSERT(c.ssthresh() >= 2 * mss);  // law 3
            if constexpr (reacts_to_loss<C>) RC_ASSERT(c.cwnd() <= loss_window(mss));  // law 4
            break;
        case 4:  // ECN echo, outside recovery
            if (!in_recovery) {
                ecn_echo(c, loss(flight, now));
                if constexpr (l4::congestion::detail::has_on_ecn_echo<C>) RC_ASSERT(c.ssthresh() >= 2 * mss);  // law 3
            }
            break;
        default: {  // what may be sent now never takes flight past min(cwnd, snd_wnd)
            const std::uint32_t snd_wnd = b;
            const std::uint32_t budget = send_budget(c, snd_wnd, flight);
            const std::uint64_t limit = std::min(c.cwnd(), snd_wnd);
            RC_ASSERT(std::uint64_t{flight} + budget <= std::max<std::uint64_t>(flight, limit));
            if (flight < limit) RC_ASSERT(std::uint64_t{flight} + budget == limit);
            RC_ASSERT(c.cwnd() == before);  // asking changes nothing
            break;
        }
        }
        RC_ASSERT(c.cwnd() >= mss);  // law 1
        trace.emplace_back(c.cwnd(), c.ssthresh());
    }
    return trace;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("every algorithm keeps the laws over random event sequences", "[congestion][laws]",
                        all_algorithms) {
    using C = TestType;
    rc::prop("cwnd >= its floor, on_ack never shrinks, ssthresh >= 2 SMSS after loss, RTO -> loss window", [] {
        const params p = gen_params();
        const auto steps = *rc::gen::arbitrary<std::vector<step>>();
        const auto first = run<C>(p, steps);
        RC_ASSERT(run<C>(p, steps) == first);  // law 5: deterministic
    });
}

TEMPLATE_LIST_TEST_CASE("every algorithm starts within its floor and reports its state the same way",
                        "[congestion][laws]", all_algorithms) {
    using C = TestType;
    STATIC_REQUIRE(check_algorithm<C>());
    STATIC_REQUIRE(std::is_same_v<typename decltype(l4::policy::family_of<C>())::type, l4::policy::congestion_family>);
    CHECK(!name_of<C>().empty());
    for (std::uint32_t mss : {1u, 536u, 1220u, 1460u, 8960u, 65535u}) {
        for (const params& p : {params{.mss = mss}, params::course(mss)}) {
            const C c{p};
            CAPTURE(mss, p.initial_window, p.initial_ssthresh);
            CHECK(c.cwnd() >= mss);
            const snapshot s = state_of(c);
            CHECK(s.cwnd == c.cwnd());
            CHECK(s.ssthresh == c.ssthresh());
            CHECK(s.pacing_rate == pacing_rate(c));
        }
    }
}

TEMPLATE_LIST_TEST_CASE("on_ack never shrinks a loss-based cwnd, however large the ACK", "[congestion][laws]", all_algorithms) {
    using C = TestType;
    C c{params{.mss = 1000}};
    for (std::uint32_t acked : {1u, 999u, 1000u, 1001u, 65535u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
        const std::uint32_t before = c.cwnd();
        c.on_ack(ack(acked, 0xFFFFFFFF));
        if constexpr (loss_based<C>) CHECK(c.cwnd() >= before);  // law 2
        else CHECK(c.cwnd() >= 1000);                             // law 1: delay- and model-based may shrink
    }
}
