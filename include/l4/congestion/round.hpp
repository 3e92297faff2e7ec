// Round trips counted in acknowledged bytes, for algorithms that act once
// per RTT (Vegas, HyStart++, BBR) without a clock of their own.
//
// A round ends when every byte that was in flight when it began has been
// acknowledged: at the ACK that ends round n, the bytes still in flight are
// round n+1's, and round n+1 ends once they are acknowledged too. This is
// BBR's packet-timed round (draft-cardwell-iccrg-bbr-congestion-control §4.1.1.3)
// counted from the ack_event alone, so it needs no per-segment state; bytes
// sent after the round began are counted in the next one.
#pragma once

#include <l4/congestion/concept.hpp>

#include <cstdint>

namespace l4::congestion {

class round_counter {
public:
    // Counts the ACK; true when it ended a round (the first ACK ends round 0).
    constexpr bool on_ack(const ack_event& ev) noexcept {
        acked_ += ev.bytes_acked;
        if (acked_ < end_) return false;
        const std::uint32_t left = ev.bytes_in_flight > ev.bytes_acked ? ev.bytes_in_flight - ev.bytes_acked : 0;
        end_ = acked_ + left;
        ++count_;
        return true;
    }
    // Ends the current round at the next ACK (after a loss, a state change).
    constexpr void restart() noexcept { end_ = acked_; }
    // Starts a round now, with `flight` bytes in flight: it ends once they
    // are acknowledged (BBR's next_round_delivered = delivered).
    constexpr void begin(std::uint32_t flight) noexcept { end_ = acked_ + flight; }
    [[nodiscard]] constexpr std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] constexpr std::uint64_t acked() const noexcept { return acked_; }

private:
    std::uint64_t acked_ = 0;  // bytes acknowledged since construction
    std::uint64_t end_ = 0;    // the round ends when acked_ reaches it
    std::uint64_t count_ = 0;  // rounds ended
};

}  // namespace l4::congestion
