// The course's sliding window: the default sender policy.
//
// As many bytes in flight as min(cwnd, peer window) allows, acknowledged
// cumulatively; on a retransmission timeout everything from the first
// unacknowledged byte is sent again (go-back-N: the connection rewinds snd.nxt
// to snd.una). Short segments are held back by sender silly-window avoidance
// and, unless send_state::nodelay, by Nagle's algorithm (nagle.hpp).
//
//   RFC 9293 §3.8.6.2.1  when to send data
//   RFC 1122 §4.2.3.4    sender SWS avoidance and Nagle
//   RFC 6298 §5          on a timeout, the earliest unacknowledged segment first
#pragma once

#include <l4/flow/concept.hpp>
#include <l4/flow/nagle.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::flow {

class sliding_window {
public:
    using policy_family = l4::policy::flow_family;
    static constexpr std::string_view name = "sliding_window";

    // Inline: every send pass asks at least once, and as a call its send_state went through memory.
    [[gnu::always_inline]] constexpr std::uint32_t may_send(const send_state& s) noexcept {
        nagle_.observe(s);
        return nagle_.admit(s, sendable(s));
    }

    // With nothing queued may_send only notes the window (concept.hpp's on_idle).
    constexpr void on_idle(std::uint32_t peer_window) noexcept { nagle_.observe(peer_window); }

    // Go-back-N: after a timeout the receiver is assumed to hold nothing
    // beyond snd.una (cumulative ACKs say no more), so all of it goes again.
    constexpr rto_action on_timeout() const noexcept { return rto_action::from_una; }

    constexpr std::optional<std::uint32_t> max_in_flight_segments() const noexcept { return std::nullopt; }

    // RFC 1122 §4.2.3.4: Max(SND.WND) seen so far.
    constexpr std::uint32_t max_peer_window() const noexcept { return nagle_.max_snd_wnd(); }

private:
    nagle nagle_;
};

// The course's and issue 11's name for the same policy.
using go_back_n = sliding_window;

L4_ASSERT_SENDER_POLICY(sliding_window);

}  // namespace l4::flow
