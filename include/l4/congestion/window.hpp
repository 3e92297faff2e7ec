// The pieces every window-based algorithm shares, written once: slow start,
// additive increase, the loss threshold and the loss window (RFC 5681 §3.1).
// Tahoe, Reno and NewReno differ only in what they do around these.
//
// Choices, where the RFCs leave one:
//   - Slow start counts bytes with RFC 3465's limit L = 1 SMSS, and stops at
//     ssthresh (as Linux's tcp_slow_start does): the ACK that would cross it
//     lands exactly on it, and the next ACK is congestion avoidance.
//   - Congestion avoidance counts bytes (RFC 3465 §2.1, which RFC 5681 §3.1
//     allows): cwnd grows by one SMSS once a cwnd's worth of bytes has been
//     acknowledged. Unlike the per-ACK SMSS*SMSS/cwnd formula, this is one
//     SMSS per RTT whatever the receiver's ACK pattern (delayed ACKs
//     included) and has no rounding drift at large windows.
// All arithmetic saturates at 0xFFFFFFFF rather than wrapping.
#pragma once

#include <algorithm>
#include <cstdint>

namespace l4::congestion {

[[nodiscard]] constexpr std::uint32_t saturating_add(std::uint32_t a, std::uint32_t b) noexcept {
    return a > 0xFFFFFFFF - b ? 0xFFFFFFFF : a + b;
}

// RFC 5681 §3.1: the loss window, cwnd after a retransmission timeout.
[[nodiscard]] constexpr std::uint32_t loss_window(std::uint32_t smss) noexcept { return smss; }

// RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS) on any loss.
[[nodiscard]] constexpr std::uint32_t loss_ssthresh(std::uint32_t flight_size, std::uint32_t smss) noexcept {
    return std::max(flight_size / 2, saturating_add(smss, smss));
}

// RFC 5681 §3.1 with RFC 3465 §2.2 (L = 1 SMSS): cwnd += min(N, SMSS) per ACK
// while cwnd < ssthresh, never past ssthresh.
[[nodiscard]] constexpr std::uint32_t slow_start(std::uint32_t cwnd, std::uint32_t ssthresh,
                                                std::uint32_t bytes_acked, std::uint32_t smss) noexcept {
    if (cwnd >= ssthresh) return cwnd;
    return std::min(saturating_add(cwnd, std::min(bytes_acked, smss)), ssthresh);
}

// RFC 3465 §2.1: congestion avoidance by byte counting. The counter is the
// only state; reset it when the window is cut.
class additive_increase {
public:
    [[nodiscard]] constexpr std::uint32_t grow(std::uint32_t cwnd, std::uint32_t newly_acked,
                                               std::uint32_t smss) noexcept {
        bytes_acked_ += newly_acked;
        // RFC 5681 §3.1: at most one SMSS per ACK, however much it acknowledges.
        if (bytes_acked_ < std::max<std::uint64_t>(cwnd, 1)) return cwnd;
        bytes_acked_ -= std::max<std::uint64_t>(cwnd, 1);
        // A stretch ACK of many windows must not leave credit for increments
        // on the ACKs that follow: keep less than a window.
        bytes_acked_ = std::min<std::uint64_t>(bytes_acked_, cwnd > 0 ? cwnd - 1 : 0);
        return saturating_add(cwnd, smss);
    }
    constexpr void reset() noexcept { bytes_acked_ = 0; }
    [[nodiscard]] constexpr std::uint64_t bytes_acked() const noexcept { return bytes_acked_; }

private:
    std::uint64_t bytes_acked_ = 0;
};

// Fast recovery's window, shared by Reno's relatives (RFC 5681 §3.2, RFC 6582 §3.2).

// RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS on entering fast recovery,
// the three segments that left the network to make the three duplicate ACKs.
[[nodiscard]] constexpr std::uint32_t recovery_window(std::uint32_t ssthresh, std::uint32_t smss) noexcept {
    return saturating_add(ssthresh, saturating_add(smss, saturating_add(smss, smss)));
}

// RFC 6582 §3.2 step 5: a partial ACK deflates cwnd by the bytes it
// acknowledged and adds back one SMSS when it acknowledged at least one SMSS.
// Floored at 2*SMSS (RFC 5681 eq. 4's floor), never below: a partial ACK of
// more than the inflated window would otherwise wrap.
[[nodiscard]] constexpr std::uint32_t deflate_partial(std::uint32_t cwnd, std::uint32_t bytes_acked,
                                                      std::uint32_t smss) noexcept {
    std::uint32_t w = cwnd > bytes_acked ? cwnd - bytes_acked : 0;
    if (bytes_acked >= smss) w = saturating_add(w, smss);
    return std::max(w, saturating_add(smss, smss));
}

// RFC 5681 §3.1: slow start below ssthresh, congestion avoidance at or above.
[[nodiscard]] constexpr std::uint32_t grow_window(std::uint32_t cwnd, std::uint32_t ssthresh,
                                                 additive_increase& ai, std::uint32_t bytes_acked,
                                                 std::uint32_t smss) noexcept {
    if (cwnd < ssthresh) return slow_start(cwnd, ssthresh, bytes_acked, smss);
    return ai.grow(cwnd, bytes_acked, smss);
}

}  // namespace l4::congestion
