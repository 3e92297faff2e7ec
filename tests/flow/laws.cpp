// The laws of sender_policy and receiver_policy (l4/flow/concept.hpp),
// checked for every model over random states.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::flow;

// Byte counts from every region that matters: nothing, a few bytes (short
// segments), around an MSS and a 16-bit window, and anything at all.
rc::Gen<std::uint32_t> bytes_count() {
    return rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 4), rc::gen::inRange<std::uint32_t>(0, 3000),
                          rc::gen::inRange<std::uint32_t>(0, 70000), rc::gen::arbitrary<std::uint32_t>());
}

send_state gen_send_state() {
    return {.in_flight = *bytes_count(),
            .peer_window = *bytes_count(),
            .cwnd = *bytes_count(),
            .mss = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 100),
                                   rc::gen::element<std::uint32_t>(536, 1220, 1460, 8960, 65495)),
            .queued = *bytes_count(),
            .nodelay = *rc::gen::arbitrary<bool>(),
            .fin_queued = *rc::gen::arbitrary<bool>(),
            .override_timeout = *rc::gen::arbitrary<bool>()};
}

receive_state gen_receive_state() {
    const auto capacity = *bytes_count();
    const auto free = *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{capacity} + 1);
    return {.free = static_cast<std::uint32_t>(free),
            .capacity = capacity,
            .mss = *rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 100),
                                   rc::gen::element<std::uint32_t>(536, 1220, 1460, 65495)),
            .advertised_right_edge_room = *bytes_count()};
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("a sender never exceeds the windows nor the queue", "[flow][laws]", l4::flow::test::all_senders) {
    using S = TestType;
    // One policy object through a sequence of states: a policy may remember
    // (the largest window offered), and the laws hold whatever it remembers.
    rc::prop("laws 1-4 over a random sequence of states", [] {
        S s{};
        const auto steps = *rc::gen::inRange(1, 40);
        for (int i = 0; i < steps; ++i) {
            const send_state st = gen_send_state();
            const std::uint32_t n = s.may_send(st);
            const std::uint32_t window = std::min(st.cwnd, st.peer_window);
            const std::uint32_t usable = window > st.in_flight ? window - st.in_flight : 0;
            RC_ASSERT(n <= usable);                         // law 1
            RC_ASSERT(n <= st.queued);                      // law 2
            if (usable == 0) RC_ASSERT(n == 0u);            // law 3
            if (const auto segments = s.max_in_flight_segments(); segments && n > 0)  // law 4
                RC_ASSERT(std::uint64_t{st.in_flight} + n <= std::uint64_t{*segments} * std::max<std::uint32_t>(st.mss, 1));
        }
    });
}

TEMPLATE_LIST_TEST_CASE("a shipped sender keeps Nagle's and SWS avoidance's promises", "[flow][laws][nagle]",
                        l4::flow::test::shipped_senders) {
    using S = TestType;
    rc::prop("a short segment leaves only when RFC 1122 §4.2.3.4 allows it", [] {
        S s{};
        std::uint32_t max_window = 0;
        const auto steps = *rc::gen::inRange(1, 40);
        for (int i = 0; i < steps; ++i) {
            send_state st = gen_send_state();
            st.mss = std::max<std::uint32_t>(st.mss, 1);
            max_window = std::max(max_window, st.peer_window);
            const std::uint32_t n = s.may_send(st);
            const std::uint32_t tail = n % st.mss;
            if (tail == 0) continue;
            const bool drains_queue = n == st.queued;
            const bool alone = st.in_flight == 0 && n < st.mss;
            const bool nagle_allows = drains_queue && (st.nodelay || st.fin_queued || alone);
            const bool half_max_window = 2 * std::uint64_t{tail} >= max_window;
            RC_ASSERT(st.override_timeout || nagle_allows || half_max_window);
        }
    });
    rc::prop("whole segments are never held back", [] {
        S s{};
        send_state st = gen_send_state();
        st.mss = std::max<std::uint32_t>(st.mss, 1);
        const std::uint32_t n = s.may_send(st);
        const std::uint32_t whole = sendable(st) / st.mss * st.mss;
        if (s.max_in_flight_segments()) {  // stop-and-wait: one whole segment when nothing is in flight
            if (st.in_flight > 0) RC_ASSERT(n == 0u);
            else RC_ASSERT(n >= std::min(whole, st.mss));
        } else {
            RC_ASSERT(n >= whole);
        }
    });
}

TEMPLATE_LIST_TEST_CASE("a shipped sender told on_idle answers as one asked with nothing queued", "[flow][laws][idle]",
                        l4::flow::test::shipped_senders) {
    using S = TestType;
    STATIC_REQUIRE(idle_aware_sender<S>);
    rc::prop("the same answers after any mix of idle passes and states", [] {
        S asked{};
        S told{};
        const auto steps = *rc::gen::inRange(1, 40);
        for (int i = 0; i < steps; ++i) {
            send_state st = gen_send_state();
            if (*rc::gen::arbitrary<bool>()) {
                st.queued = 0;
                RC_ASSERT(asked.may_send(st) == 0u);
                told.on_idle(st.peer_window);
            } else {
                RC_ASSERT(asked.may_send(st) == told.may_send(st));
            }
        }
    });
}

TEMPLATE_LIST_TEST_CASE("a receiver never shrinks the window and offers only free space", "[flow][laws]",
                        l4::flow::test::all_receivers) {
    using R = TestType;
    rc::prop("laws 5 and 6 over random states", [] {
        R r{};
        const receive_state rs = gen_receive_state();
        const std::uint32_t w = r.window(rs);
        RC_ASSERT(w >= rs.advertised_right_edge_room);                    // law 5
        RC_ASSERT(w <= std::max(rs.free, rs.advertised_right_edge_room));  // law 6
    });
}
