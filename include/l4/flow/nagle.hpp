// The sender's send decision: silly-window avoidance and Nagle's algorithm,
// shared by every sender policy that ships.
//
// Reading list:
//   RFC 896   Congestion Control in IP/TCP Internetworks (Nagle's algorithm)
//   RFC 1122  §4.2.3.4 When to Send Data (sender SWS avoidance, Nagle)
//   RFC 9293  §3.8.6.2.1 Sender's Algorithm -- When to Send Data
//
// A full-sized segment always goes (the windows permitting). A segment
// shorter than the MSS is what makes a window silly, so it goes only when
// waiting cannot make it longer or cannot help:
//   - it carries the last queued bytes and Nagle allows it: TCP_NODELAY, or
//     nothing in flight (RFC 896: one small segment outstanding at most), or
//     FIN follows (the application closed, no byte will join it);
//   - it is at least half the largest window the peer ever offered (a peer
//     with a window smaller than the MSS gets segments that fill it);
//   - the override timeout fired (send_state::override_timeout).
// Corked (send_state::cork: TCP_CORK, MSG_MORE), a short tail waits for the
// bytes the application said are coming: only FIN or the override timeout
// sends it (Linux's TCP_CORK, whose "200 ms ceiling" is its RTO floor).
// Sender silly-window avoidance stays on with TCP_NODELAY: RFC 1122 makes it
// a MUST, and only Nagle a SHOULD that the application may turn off.
#pragma once

#include <l4/flow/concept.hpp>

#include <algorithm>
#include <cstdint>

namespace l4::flow {

class nagle {
public:
    // RFC 1122 §4.2.3.4: Max(SND.WND), the largest window the peer offered.
    // Call with every send_state before admit().
    constexpr void observe(const send_state& s) noexcept { observe(s.peer_window); }
    // The same, for a policy's on_idle (concept.hpp): the only state may_send keeps.
    constexpr void observe(std::uint32_t peer_window) noexcept { max_snd_wnd_ = std::max(max_snd_wnd_, peer_window); }

    constexpr std::uint32_t max_snd_wnd() const noexcept { return max_snd_wnd_; }

    // Of the n bytes a policy would send now (n <= sendable(s), starting at
    // snd.nxt), how many leave: the whole segments, and the short tail only
    // when the rules above allow it.
    constexpr std::uint32_t admit(const send_state& s, std::uint32_t n) const noexcept {
        n = std::min(n, sendable(s));
        const std::uint32_t mss = std::max<std::uint32_t>(s.mss, 1);
        const std::uint32_t tail = n % mss;
        const std::uint32_t whole = n - tail;
        if (tail == 0) return n;
        return tail_may_go(s, whole, tail) ? n : whole;
    }

private:
    constexpr bool tail_may_go(const send_state& s, std::uint32_t whole, std::uint32_t tail) const noexcept {
        // RFC 1122 §4.2.3.4 (4): the override timeout sends what the window holds.
        if (s.override_timeout) return true;
        // RFC 1122 §4.2.3.4 (2) with RFC 896: all queued data goes now, and no
        // small segment would be outstanding beside it unless Nagle is off.
        const bool drains_queue = whole + tail == s.queued;
        // Corked (TCP_CORK, MSG_MORE): the application said more comes; only a FIN ends the wait early.
        if (s.cork) return drains_queue && s.fin_queued;
        const bool nothing_before_it = s.in_flight == 0 && whole == 0;
        if (drains_queue && (s.nodelay || s.fin_queued || nothing_before_it)) return true;
        // RFC 1122 §4.2.3.4 (3): at least Fs = 1/2 of Max(SND.WND).
        return max_snd_wnd_ > 0 && 2 * std::uint64_t{tail} >= max_snd_wnd_;
    }

    std::uint32_t max_snd_wnd_ = 0;
};

}  // namespace l4::flow
