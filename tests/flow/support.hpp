// Shared by the flow tests: the lists of models, a custom sender policy
// written only here, and send_state builders.
#pragma once

#include <l4/flow/concept.hpp>
#include <l4/flow/receive_window.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/flow/stop_and_wait.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>

namespace l4::flow::test {

// A sender policy the library does not ship: at most two segments per call,
// and on a timeout only the first segment again. It touches nothing in
// include/ and must satisfy the concept and its laws like the models.
struct two_per_burst {
    using policy_family = l4::policy::flow_family;
    static constexpr std::string_view name = "two_per_burst";
    std::uint32_t calls = 0;

    std::uint32_t may_send(const send_state& s) {
        ++calls;
        return std::min(sendable(s), 2 * std::max<std::uint32_t>(s.mss, 1));
    }
    rto_action on_timeout() { return rto_action::first_segment; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
};
L4_ASSERT_SENDER_POLICY(two_per_burst);

// Every sender policy: the laws hold for all of them.
using all_senders = std::tuple<sliding_window, selective_repeat, stop_and_wait, two_per_burst>;
// The ones that ship, which also keep Nagle's and SWS avoidance's promises.
using shipped_senders = std::tuple<sliding_window, selective_repeat, stop_and_wait>;

using all_receivers = std::tuple<receive_window<sws::rfc1122>, receive_window<sws::course>,
                                 receive_window<sws::none>>;

// A sender with the windows wide open: 1000-byte MSS, nothing in flight.
constexpr send_state open_state(std::uint32_t queued) {
    return {.in_flight = 0, .peer_window = 65535, .cwnd = 1u << 20, .mss = 1000, .queued = queued,
            .nodelay = false, .fin_queued = false};
}

}  // namespace l4::flow::test
