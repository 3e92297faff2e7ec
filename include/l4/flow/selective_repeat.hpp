// Selective repeat: the sliding window whose receiver says, with SACK
// blocks (RFC 2018), what it holds beyond the cumulative ACK, so that the
// sender resends only what is missing.
//
// The policy owns the scoreboard (scoreboard.hpp); the connection fills it
// from every ACK and asks it what to resend:
//   - cwnd is measured against pipe, not everything in flight (RFC 6675 §5):
//     a SACKed segment has left the network, so one new segment may take
//     its place; before recovery starts this is RFC 3042's limited
//     transmit, bounded by the two SACKed segments that start it;
//   - in recovery the holes deemed lost go first, each once (NextSeg);
//   - after a timeout the sender goes back to snd.una as go-back-N does,
//     but steps over what the peer holds (RFC 6675 §5.1); a second timeout
//     for the same data clears the scoreboard, in case the peer discarded
//     what it had SACKed (RFC 2018 §8).
// Without SACK negotiated on the connection it behaves as go_back_n.
// The send decision (sender silly-window avoidance, Nagle) and the timeout
// are the sliding window's; selective repeat adds the scoreboard.
#pragma once

#include <l4/flow/concept.hpp>
#include <l4/flow/scoreboard.hpp>
#include <l4/flow/sliding_window.hpp>

#include <string_view>

namespace l4::flow {

class selective_repeat : public sliding_window {
public:
    static constexpr std::string_view name = "selective_repeat";

    flow::scoreboard& scoreboard() noexcept { return board_; }
    [[nodiscard]] const flow::scoreboard& scoreboard() const noexcept { return board_; }

private:
    flow::scoreboard board_;
};

L4_ASSERT_SENDER_POLICY(selective_repeat);
static_assert(selective_sender<selective_repeat>);

}  // namespace l4::flow
