// Tahoe: slow start, congestion avoidance and fast retransmit, but no fast
// recovery: every loss, three duplicate ACKs or a timeout, drops cwnd to one
// segment and slow-starts to half the flight (Jacobson 1988; 4.3BSD-Tahoe).
//
// Reading list: RFC 5681 §3.1 (slow start, congestion avoidance, the loss
// window), §3.2 (fast retransmit; Tahoe stops before its step 3), RFC 3465.
//
//   event                 cwnd                          ssthresh
//   construction          initial_window(params)        params.initial_ssthresh
//   on_ack                slow start / +1 SMSS per RTT  -
//   on_enter_recovery     1 SMSS (the loss window)      max(FlightSize/2, 2*SMSS)
//   on_exit_recovery      + 1 SMSS of slow start        -
//   on_rto                1 SMSS (the loss window)      max(FlightSize/2, 2*SMSS),
//                                                       kept on a repeated timeout
//   on_ecn_echo           ssthresh (halved, no fall:    max(FlightSize/2, 2*SMSS)
//                         RFC 3168 §6.1.2 halves)
//
// on_ack, on_ecn_echo and on_rto are rfc5681_window's, shared with Reno
// and NewReno. No on_dup_ack (no inflation) and no on_partial_ack: the
// connection leaves recovery at the first ACK of new data, which
// on_exit_recovery counts as one ACK of slow start (the connection does not pass its size; with the
// byte-counting limit L = 1 SMSS that is what a full-sized ACK adds).
// Unlike Reno, Tahoe's cwnd is 1 SMSS, below RFC 5681's 2*SMSS floor, after
// three duplicate ACKs: that is Tahoe (concept.hpp's law 1 exempts it).
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/rfc5681.hpp>
#include <l4/congestion/window.hpp>

#include <string_view>

namespace l4::congestion {

class tahoe : public rfc5681_window {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "tahoe";

    explicit constexpr tahoe(const params& p) noexcept : rfc5681_window{p} {}

    // RFC 5681 §3.2 steps 1-2 (fast retransmit), then the loss window as on
    // a timeout: Tahoe treats every loss alike.
    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        cut_ssthresh(ev);
        cwnd_ = loss_window(smss_);
    }

    // The ACK of the retransmitted segment: slow start goes on.
    constexpr void on_exit_recovery(instant) noexcept {
        cwnd_ = grow_window(cwnd_, ssthresh_, ai_, smss_, smss_);
        timed_out_ = false;
    }
};

L4_ASSERT_CONGESTION_ALGORITHM(tahoe);

}  // namespace l4::congestion
