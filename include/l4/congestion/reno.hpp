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
// on_ack, on_ecn_echo and on_rto are rfc5681_window's, shared with Tahoe
// and NewReno.
//
// A partial ACK: Reno leaves recovery on the first ACK of new data (§3.2
// step 6) and so deflates there; the connection, which keeps a recovery
// point, may still call on_dup_ack afterwards, and each inflates again.
// NewReno (RFC 6582) is its own header.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/rfc5681.hpp>
#include <l4/congestion/window.hpp>

#include <string_view>

namespace l4::congestion {

class reno : public rfc5681_window {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "reno";

    explicit constexpr reno(const params& p) noexcept : rfc5681_window{p} {}

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        cut_ssthresh(ev);                            // RFC 5681 §3.2 step 2: max(FlightSize/2, 2*SMSS)
        cwnd_ = recovery_window(ssthresh_, smss_);  // RFC 5681 §3.2 step 3: ssthresh + 3*SMSS
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
    constexpr void on_exit_recovery(instant) noexcept { deflate_to_ssthresh(); }
};

L4_ASSERT_CONGESTION_ALGORITHM(reno);

}  // namespace l4::congestion
