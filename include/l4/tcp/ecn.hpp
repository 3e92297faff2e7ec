// Explicit Congestion Notification for one TCP connection (RFC 3168): the
// setting, the negotiation, and the two flags' bookkeeping. tcp::connection
// holds one ecn_state and asks it at the points RFC 3168 §6.1 names; the
// reaction itself is the congestion algorithm's on_ecn_echo.
//
//   negotiation (§6.1.1)  an ECN-setup SYN carries ECE|CWR, an ECN-setup
//                         SYN-ACK ECE alone; anything else: no ECN.
//   sending (§6.1.4-5)    new data goes out ECT(0); SYNs, SYN-ACKs, pure
//                         ACKs, window probes, RSTs and retransmissions
//                         are not-ECT.
//   receiving (§6.1.3)    a CE-marked segment sets ECE on every segment we
//                         send until one arrives with CWR.
//   sender (§6.1.2)       an ECE reduces the window at most once per window
//                         of data, never in loss recovery, and never makes
//                         a retransmission; the next new data carries CWR.
//                         A reduction for loss (fast retransmit, timeout)
//                         counts as the window's reduction too.
//
// SYN cookies (syn_cookie.hpp) keep no ECN: the cookie's SYN-ACK is not an
// ECN-setup SYN-ACK, so neither side uses ECN on such a connection.
#pragma once

#include <l4/core/seq32.hpp>

#include <cstdint>

namespace l4::tcp {

// As Linux's net.ipv4.tcp_ecn: 0 off, 1 request (and accept), 2 accept only.
enum class ecn_mode : std::uint8_t { off, accept, request };

// RFC 3168 §5: the two bits of IPv4's ECN field and IPv6's traffic class.
namespace ip_ecn {
inline constexpr std::uint8_t not_ect = 0, ect1 = 1, ect0 = 2, ce = 3;
}

struct ecn_state {
    ecn_mode mode = ecn_mode::accept;
    bool asked = false;        // our SYN was an ECN-setup SYN
    bool enabled = false;      // negotiated for this connection
    bool ece_pending = false;  // receiver: a CE arrived, and no CWR since (§6.1.3)
    bool cwr_pending = false;  // sender: the window was reduced; the next new data says so (§6.1.2)
    seq32 recover;             // snd.max at the last reduction: no new one until the ACKs pass it

    // The flags of our SYN: ECE|CWR when we ask for ECN.
    [[nodiscard]] constexpr bool requests() const noexcept { return mode == ecn_mode::request; }

    // Passive open: the peer's SYN asked (ECE and CWR) and we accept.
    constexpr void on_syn(bool ece, bool cwr) noexcept { enabled = mode != ecn_mode::off && ece && cwr; }
    // Active open: the SYN-ACK answered our ECN-setup SYN with ECE alone.
    constexpr void on_syn_ack(bool ece, bool cwr) noexcept { enabled = asked && ece && !cwr; }

    // The IP codepoint of a segment: ECT(0) for a first transmission of data.
    [[nodiscard]] constexpr std::uint8_t codepoint(bool new_data) const noexcept {
        return enabled && new_data ? ip_ecn::ect0 : ip_ecn::not_ect;
    }

    // §6.1.3: CWR ends the echo, then a CE (on the same segment too) starts
    // it again. True when a CE starts an echo (worth an immediate ACK).
    constexpr bool on_arrival(std::uint8_t ip_codepoint, bool cwr) noexcept {
        if (!enabled) return false;
        if (cwr) ece_pending = false;
        if (ip_codepoint != ip_ecn::ce) return false;
        const bool starts = !ece_pending;
        ece_pending = true;
        return starts;
    }

    // §6.1.2: may this ECE reduce the window? Not before every byte that was
    // outstanding at the last reduction is acknowledged, and the CWR'd data after it.
    [[nodiscard]] constexpr bool may_react(seq32 snd_una) const noexcept { return enabled && recover < snd_una; }
    // The window was reduced (for an ECE, a fast retransmit or a timeout).
    constexpr void on_reduced(seq32 snd_max) noexcept {
        if (!enabled) return;
        recover = snd_max;
        cwr_pending = true;
    }
};

}  // namespace l4::tcp
