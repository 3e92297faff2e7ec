// Reno: RFC 5681's slow start and congestion avoidance, with fast retransmit
// and fast recovery (§3.2). The default congestion algorithm of l4kit's TCP.
//
// Reading list: RFC 5681 §3.1-3.2, RFC 3465 (byte counting), RFC 6928 (IW).
//
//   event                 cwnd                          ssthresh
//   construction          initial_window(params)        params.initial_ssthresh
//   on_ack                slow start / +1 SMSS per RTT  -
//   on_enter_recovery     ssthresh + 3*SMSS             max(FlightSize/2, 2*SMSS)
//   on_dup_ack            + SMSS                        -
//   on_partial_ack        ssthresh (deflate)            -
//   on_exit_recovery      ssthresh (deflate)            -
//   on_ecn_echo           ssthresh                      max(FlightSize/2, 2*SMSS)
//   on_rto                1 SMSS (the loss window)      max(FlightSize/2, 2*SMSS),
//                                                       kept on a repeated timeout
//
// A partial ACK: Reno leaves recovery on the first ACK of new data (§3.2
// step 6) and so deflates there; the connection, which keeps a recovery
// point, may still call on_dup_ack afterwards, and each inflates again.
// NewReno (RFC 6582) is its own header.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/window.hpp>

#include <cstdint>
#include <string_view>

namespace l4::congestion {

class reno {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "reno";

    explicit constexpr reno(const params& p) noexcept
        : smss_{congestion::smss(p)}, cwnd_{initial_window(p)}, ssthresh_{p.initial_ssthresh} {}

    constexpr void on_ack(const ack_event& ev) noexcept {
        cwnd_ = grow_window(cwnd_, ssthresh_, ai_, ev.bytes_acked, smss_);
        timed_out_ = false;
    }

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize/2, 2*SMSS).
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        // RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS, the three segments
        // that left the network to make the three duplicate ACKs.
        cwnd_ = saturating_add(ssthresh_, saturating_add(smss_, saturating_add(smss_, smss_)));
        ai_.reset();
    }

    // RFC 5681 §3.2 step 4: each further duplicate ACK means one more segment
    // has left the network.
    constexpr void on_dup_ack(const loss_event&) noexcept { cwnd_ = saturating_add(cwnd_, smss_); }

    // RFC 5681 §3.2 step 6: the first ACK of new data deflates the window.
    constexpr void on_partial_ack(const ack_event&) noexcept {
        cwnd_ = ssthresh_;
        timed_out_ = false;
    }

    // RFC 5681 §3.2 step 6: cwnd = ssthresh.
    constexpr void on_exit_recovery(instant) noexcept {
        cwnd_ = ssthresh_;
        ai_.reset();
        timed_out_ = false;
    }

    // RFC 3168 §6.1.2: an ECN echo halves the window as a loss would, without
    // a retransmission or an inflated window (the connection answers at most
    // once per window, and sends CWR).
    constexpr void on_ecn_echo(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        cwnd_ = ssthresh_;
        ai_.reset();
    }

    constexpr void on_rto(const loss_event& ev) noexcept {
        // RFC 5681 §3.1: ssthresh is cut when the segment "has not yet been
        // resent by way of the retransmission timer"; a backed-off timeout of
        // the same segment (no new data acknowledged since) keeps it, rather
        // than flooring it at 2*SMSS from a flight of one segment.
        if (!timed_out_) ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        // RFC 5681 §3.1: cwnd = LW = 1 SMSS, then slow start to ssthresh.
        cwnd_ = loss_window(smss_);
        ai_.reset();
        timed_out_ = true;
    }

    [[nodiscard]] constexpr std::uint32_t cwnd() const noexcept { return cwnd_; }
    [[nodiscard]] constexpr std::uint32_t ssthresh() const noexcept { return ssthresh_; }

private:
    std::uint32_t smss_;
    std::uint32_t cwnd_;
    std::uint32_t ssthresh_;
    additive_increase ai_;
    bool timed_out_ = false;  // an RTO, and no new data acknowledged since
};

L4_ASSERT_CONGESTION_ALGORITHM(reno);

}  // namespace l4::congestion
