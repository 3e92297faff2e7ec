// Stop-and-wait: one segment in flight; the next leaves only after its ACK;
// a timeout sends it again.
//
// The course's first reliable protocol, and TFTP's (RFC 1350 §2: "each data
// packet ... must be acknowledged ... before the next packet can be sent").
// Nothing here is TCP-specific: a TFTP sender asks may_send with its 512-byte
// block as the mss. Goodput is at most mss / RTT whatever the windows.
//
// The segment is full-sized when the queue and the windows allow; a shorter
// one passes the same send decision as the sliding window's (nagle.hpp), so a
// tiny peer window does not make it silly.
#pragma once

#include <l4/flow/concept.hpp>
#include <l4/flow/nagle.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::flow {

class stop_and_wait {
public:
    using policy_family = l4::policy::flow_family;
    static constexpr std::string_view name = "stop_and_wait";

    constexpr std::uint32_t may_send(const send_state& s) noexcept {
        nagle_.observe(s);
        // The next segment waits for the ACK of the one in flight.
        if (s.in_flight > 0) return 0;
        return nagle_.admit(s, std::min(sendable(s), std::max<std::uint32_t>(s.mss, 1)));
    }

    // With nothing queued may_send only notes the window (concept.hpp's on_idle).
    constexpr void on_idle(std::uint32_t peer_window) noexcept { nagle_.observe(peer_window); }

    // The only unacknowledged segment is the first one.
    constexpr rto_action on_timeout() const noexcept { return rto_action::first_segment; }

    constexpr std::optional<std::uint32_t> max_in_flight_segments() const noexcept { return 1; }

private:
    nagle nagle_;
};

L4_ASSERT_SENDER_POLICY(stop_and_wait);

}  // namespace l4::flow
