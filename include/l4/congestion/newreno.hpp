// NewReno: Reno whose fast recovery survives partial ACKs (RFC 6582), so a
// window with several losses is repaired with one halving and no timeout.
//
// Reading list: RFC 6582 §3.2 (the algorithm), RFC 5681 §3.2, RFC 3465.
//
//   event                 cwnd                               ssthresh
//   construction          initial_window(params)             params.initial_ssthresh
//   on_ack                slow start / +1 SMSS per RTT       -
//   on_enter_recovery     ssthresh + 3*SMSS                  max(FlightSize/2, 2*SMSS)
//   on_dup_ack            + SMSS                             -
//   on_partial_ack        - bytes acked, + SMSS if >= SMSS   -
//                         (never below 2*SMSS)
//   on_exit_recovery      ssthresh                           -
//   on_rto                1 SMSS (the loss window)           max(FlightSize/2, 2*SMSS),
//                                                            kept on a repeated timeout
//   on_ecn_echo           ssthresh                           max(FlightSize/2, 2*SMSS)
//
// on_ack, on_ecn_echo and on_rto are rfc5681_window's, shared with Reno
// and Tahoe (RFC 6582 §3.2 step 6: a timeout ends recovery).
//
// The connection keeps `recover` (RFC 6582 §3.2 step 1) and retransmits the
// next hole on each partial ACK (step 5); having on_partial_ack is what
// tells it to stay in recovery. On a full ACK this header takes step 5's
// option (2), cwnd = ssthresh: option (1) needs FlightSize after the ACK,
// which loss_event does not carry at exit.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/rfc5681.hpp>
#include <l4/congestion/window.hpp>

#include <string_view>

namespace l4::congestion {

class newreno : public rfc5681_window {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "newreno";

    explicit constexpr newreno(const params& p) noexcept : rfc5681_window{p} {}

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        cut_ssthresh(ev);                            // RFC 6582 §3.2 step 2 (RFC 5681 eq. 4)
        cwnd_ = recovery_window(ssthresh_, smss_);  // RFC 6582 §3.2 step 2: ssthresh + 3*SMSS
    }

    // RFC 6582 §3.2 step 3: inflate by one SMSS per further duplicate ACK.
    constexpr void on_dup_ack(const loss_event&) noexcept { cwnd_ = saturating_add(cwnd_, smss_); }

    // RFC 6582 §3.2 step 5: deflate by the amount acknowledged, add back one
    // SMSS if at least one SMSS was acknowledged; stay in recovery.
    constexpr void on_partial_ack(const ack_event& ev) noexcept {
        cwnd_ = deflate_partial(cwnd_, ev.bytes_acked, smss_);
        timed_out_ = false;
    }

    // RFC 6582 §3.2 step 5, a full acknowledgment: option (2), cwnd = ssthresh.
    constexpr void on_exit_recovery(instant) noexcept { deflate_to_ssthresh(); }
};

L4_ASSERT_CONGESTION_ALGORITHM(newreno);

}  // namespace l4::congestion
