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
// The connection keeps `recover` (RFC 6582 §3.2 step 1) and retransmits the
// next hole on each partial ACK (step 5); having on_partial_ack is what
// tells it to stay in recovery. On a full ACK this header takes step 5's
// option (2), cwnd = ssthresh: option (1) needs FlightSize after the ACK,
// which loss_event does not carry at exit.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/window.hpp>

#include <cstdint>
#include <string_view>

namespace l4::congestion {

class newreno {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "newreno";

    explicit constexpr newreno(const params& p) noexcept
        : smss_{congestion::smss(p)}, cwnd_{initial_window(p)}, ssthresh_{p.initial_ssthresh} {}

    constexpr void on_ack(const ack_event& ev) noexcept {
        cwnd_ = grow_window(cwnd_, ssthresh_, ai_, ev.bytes_acked, smss_);
        timed_out_ = false;
    }

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);  // RFC 6582 §3.2 step 2 (RFC 5681 eq. 4)
        cwnd_ = recovery_window(ssthresh_, smss_);             // RFC 6582 §3.2 step 2: ssthresh + 3*SMSS
        ai_.reset();
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
    constexpr void on_exit_recovery(instant) noexcept {
        cwnd_ = ssthresh_;
        ai_.reset();
        timed_out_ = false;
    }

    // RFC 3168 §6.1.2: an ECN echo halves the window as a loss would, without
    // a retransmission (the connection answers at most once per window, CWR).
    constexpr void on_ecn_echo(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        cwnd_ = ssthresh_;
        ai_.reset();
    }

    constexpr void on_rto(const loss_event& ev) noexcept {
        // RFC 6582 §3.2 step 6: a timeout ends recovery; RFC 5681 §3.1 for the window.
        if (!timed_out_) ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
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
    bool timed_out_ = false;
};

L4_ASSERT_CONGESTION_ALGORITHM(newreno);

}  // namespace l4::congestion
