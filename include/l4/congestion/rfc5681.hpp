// What Tahoe, Reno and NewReno do alike, written once: the window outside
// fast recovery. They differ only around fast retransmit, and each adds its
// own on_enter_recovery, on_exit_recovery (and on_dup_ack, on_partial_ack)
// to this base.
//
//   event          cwnd                          ssthresh
//   construction   initial_window(params)        params.initial_ssthresh
//   on_ack         slow start / +1 SMSS per RTT  -
//   on_ecn_echo    ssthresh                      max(FlightSize/2, 2*SMSS)
//   on_rto         1 SMSS (the loss window)      max(FlightSize/2, 2*SMSS),
//                                                kept on a repeated timeout
//
// Reading list: RFC 5681 §3.1, RFC 3465 (byte counting), RFC 6928 (IW),
// RFC 3168 §6.1.2 (ECN).
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/window.hpp>

#include <cstdint>

namespace l4::congestion {

class rfc5681_window {
public:
    constexpr void on_ack(const ack_event& ev) noexcept {
        cwnd_ = grow_window(cwnd_, ssthresh_, ai_, ev.bytes_acked, smss_);
        timed_out_ = false;
    }

    // RFC 3168 §6.1.2: an ECN echo halves the window as a loss would, without
    // a retransmission or an inflated window (the connection answers at most
    // once per window, and sends CWR).
    constexpr void on_ecn_echo(const loss_event& ev) noexcept {
        cut_ssthresh(ev);
        cwnd_ = ssthresh_;
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

protected:
    explicit constexpr rfc5681_window(const params& p) noexcept
        : smss_{congestion::smss(p)}, cwnd_{initial_window(p)}, ssthresh_{p.initial_ssthresh} {}

    // RFC 5681 eq. 4 on a loss; congestion avoidance then counts afresh.
    constexpr void cut_ssthresh(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        ai_.reset();
    }

    // Leaving recovery, the window is ssthresh (RFC 5681 §3.2 step 6, RFC 6582 §3.2 step 5).
    constexpr void deflate_to_ssthresh() noexcept {
        cwnd_ = ssthresh_;
        ai_.reset();
        timed_out_ = false;
    }

    std::uint32_t smss_;
    std::uint32_t cwnd_;
    std::uint32_t ssthresh_;
    additive_increase ai_;
    bool timed_out_ = false;  // an RTO, and no new data acknowledged since
};

}  // namespace l4::congestion
