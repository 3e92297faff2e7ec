// CUBIC (RFC 9438): after a loss the window follows a cubic function of the
// time since the loss, concave up to the old maximum W_max and convex past
// it, so it is independent of the RTT in the cubic region and fast on long
// fat paths; where Reno would do better (short RTTs), it follows Reno's
// estimate instead. Slow start is HyStart++ (RFC 9406, hystart.hpp).
//
// Reading list: RFC 9438 §4.1-4.8; RFC 9406; RFC 5681 §3.2 and RFC 6582
// (the fast recovery CUBIC runs inside).
//
//   W_cubic(t) = C*(t - K)^3 + W_max      segments, t in seconds,
//   K = cbrt((W_max - cwnd_epoch) / C)    C = 0.4, beta = 0.7     (§4.2)
//   W_est += alpha * acked / cwnd,        alpha = 3(1-beta)/(1+beta) until
//                                         W_est reaches cwnd_prior, then 1 (§4.3)
//
//   event               cwnd                                ssthresh
//   construction        initial_window(params)              params.initial_ssthresh
//   on_ack, cwnd <      HyStart++ slow start                 cwnd, when CSS ends
//     ssthresh
//   on_ack, avoidance   W_est if W_cubic(t) < W_est (§4.3);  -
//                       else += (target - cwnd)/cwnd per
//                       SMSS acked, target = W_cubic(t+RTT)
//                       within [cwnd, 1.5 cwnd] (§4.4-4.5)
//   on_enter_recovery   ssthresh + 3*SMSS                    max(beta*FlightSize, 2*SMSS) (§4.6);
//                                                            W_max with fast convergence (§4.7)
//   on_dup_ack          + SMSS                               -
//   on_partial_ack      RFC 6582 §3.2 step 5                 -
//   on_exit_recovery    ssthresh                             -
//   on_rto              1 SMSS (§4.8)                        as on_enter_recovery, kept on a
//                                                            repeated timeout; the next epoch
//                                                            has K = 0, W_max = its cwnd
//   on_ecn_echo         ssthresh                             as on_enter_recovery
//
// t is ack_event::now minus the first ACK of the avoidance epoch; RTT is a
// smoothed RTT kept from the ack_event samples (RFC 6298's 1/8 gain), 0
// before the first. Not done: spurious-loss undo (§4.9), the app-limited
// rule (§5.8, cwnd grows even when the sender does not fill it).
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/hystart.hpp>
#include <l4/congestion/round.hpp>
#include <l4/congestion/window.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::congestion {

// RenoFriendly: whether §4.3's Reno-friendly region runs (RFC 9438: it
// does; cubic). basic_cubic<false>, cubic_without_reno_friendly, follows
// W_cubic alone, as ns-3 3.37's TcpCubic does: for like-for-like runs beside
// it (benchmarks/ns3_compare), not for the Internet.
template <bool RenoFriendly = true>
class basic_cubic {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = RenoFriendly ? "cubic" : "cubic_without_reno_friendly";
    static constexpr bool reno_friendly = RenoFriendly;
    static constexpr double c = 0.4;     // RFC 9438 §5.1: C
    static constexpr double beta = 0.7;  // RFC 9438 §4.6: beta_cubic
    static constexpr bool fast_convergence = true;

    explicit basic_cubic(const params& p) noexcept
        : smss_{congestion::smss(p)}, cwnd_{static_cast<double>(initial_window(p))}, ssthresh_{p.initial_ssthresh} {
        if (p.initial_ssthresh != 0xFFFFFFFF) hystart_.stop();  // RFC 9406: only from an arbitrarily high ssthresh
    }

    void on_ack(const ack_event& ev) noexcept {
        timed_out_ = false;
        if (ev.rtt) srtt_ = srtt_.count() == 0 ? *ev.rtt : srtt_ + (*ev.rtt - srtt_) / 8;  // RFC 6298 §2.3
        const bool round_end = rounds_.on_ack(ev);
        if (cwnd() < ssthresh_) {
            const auto s = hystart_.on_ack(ev, smss_, round_end);
            cwnd_ = std::min(cwnd_ + s.increase, static_cast<double>(ssthresh_));  // never past ssthresh
            if (s.exit) ssthresh_ = std::max(cwnd(), 2 * smss_);
            return;
        }
        avoid(ev);
    }

    void on_enter_recovery(const loss_event& ev) noexcept {
        reduce(ev.bytes_in_flight);
        cwnd_ = recovery_window(ssthresh_, smss_);  // RFC 5681 §3.2 step 3
    }
    void on_dup_ack(const loss_event&) noexcept { cwnd_ += smss_; }
    void on_partial_ack(const ack_event& ev) noexcept {
        cwnd_ = deflate_partial(cwnd(), ev.bytes_acked, smss_);
        timed_out_ = false;
    }
    void on_exit_recovery(instant) noexcept {
        cwnd_ = ssthresh_;
        timed_out_ = false;
    }
    // RFC 9438 §4.6 with ECE: the same reduction, cwnd = ssthresh (not below
    // 2 SMSS here, the floor of every other reduction); RFC 3168 §6.1.2.
    void on_ecn_echo(const loss_event& ev) noexcept {
        reduce(ev.bytes_in_flight);
        cwnd_ = ssthresh_;
    }
    void on_rto(const loss_event& ev) noexcept {
        // RFC 9438 §4.8: ssthresh as on any loss (once per timed-out segment), cwnd as RFC 5681.
        if (!timed_out_) reduce(ev.bytes_in_flight);
        cwnd_ = loss_window(smss_);
        after_rto_ = true;
        timed_out_ = true;
    }

    [[nodiscard]] std::uint32_t cwnd() const noexcept {
        return static_cast<std::uint32_t>(std::min(cwnd_, 4294967295.0));
    }
    [[nodiscard]] std::uint32_t ssthresh() const noexcept { return ssthresh_; }

    // For traces and tests: the current epoch's model, in bytes and seconds.
    [[nodiscard]] double w_max() const noexcept { return w_max_; }
    [[nodiscard]] double k() const noexcept { return k_; }
    [[nodiscard]] std::optional<instant> epoch_start() const noexcept { return epoch_start_; }
    [[nodiscard]] hystart_pp::phase slow_start_phase() const noexcept { return hystart_.current(); }
    // W_cubic(t), bytes, t seconds since the epoch began.
    [[nodiscard]] double w_cubic(double t) const noexcept {
        return c * (t - k_) * (t - k_) * (t - k_) * smss_ + w_max_;
    }

private:
    // RFC 9438 §4.6-4.7: a congestion event.
    void reduce(std::uint32_t flight) noexcept {
        hystart_.stop();
        epoch_start_.reset();
        // §4.7 fast convergence: a flow whose maximum shrank releases bandwidth sooner.
        if (fast_convergence && cwnd_ < w_max_) w_max_ = cwnd_ * (1 + beta) / 2;
        else w_max_ = cwnd_;
        cwnd_prior_ = cwnd_;
        ssthresh_ = std::max(static_cast<std::uint32_t>(flight * beta), 2 * smss_);
        rounds_.restart();
    }

    // RFC 9438 §4.2-4.5: one ACK in congestion avoidance.
    void avoid(const ack_event& ev) noexcept {
        if (!epoch_start_) {
            epoch_start_ = ev.now;
            const double cwnd_epoch = cwnd_;
            if (after_rto_ || w_max_ <= cwnd_epoch) {
                // §4.8 after a timeout, and a first epoch that never saw a loss:
                // K = 0 and W_max = cwnd, the plateau is here.
                w_max_ = cwnd_epoch;
                k_ = 0;
            } else {
                k_ = std::cbrt((w_max_ - cwnd_epoch) / smss_ / c);
            }
            if (after_rto_) cwnd_prior_ = cwnd_epoch;
            after_rto_ = false;
            w_est_ = cwnd_epoch;  // §4.3
        }
        const double t = std::chrono::duration<double>(ev.now - *epoch_start_).count();
        const double rtt = std::chrono::duration<double>(srtt_).count();
        // §4.3: the Reno-friendly estimate, alpha_cubic until it reaches cwnd_prior.
        const double alpha = w_est_ >= cwnd_prior_ ? 1.0 : 3 * (1 - beta) / (1 + beta);
        w_est_ += alpha * ev.bytes_acked * smss_ / std::max(cwnd_, 1.0);
        double next = cwnd_;
        if (RenoFriendly && w_cubic(t) < w_est_) {
            next = w_est_;  // §4.3: the Reno-friendly region
        } else {
            // §4.4-4.5: towards W_cubic one RTT ahead, at most 1.5x per RTT.
            const double target = std::clamp(w_cubic(t + rtt), cwnd_, 1.5 * cwnd_);
            next = cwnd_ + (target - cwnd_) / cwnd_ * ev.bytes_acked;
        }
        cwnd_ = std::max(cwnd_, std::min(next, 4294967295.0));
    }

    std::uint32_t smss_;
    double cwnd_;  // bytes; fractional, so per-ACK growth of less than a byte adds up
    std::uint32_t ssthresh_;
    double w_max_ = 0, k_ = 0, w_est_ = 0, cwnd_prior_ = 0;  // bytes, seconds
    std::optional<instant> epoch_start_;
    duration srtt_{};
    round_counter rounds_;
    hystart_pp hystart_;
    bool after_rto_ = false, timed_out_ = false;
};

using cubic = basic_cubic<true>;
using cubic_without_reno_friendly = basic_cubic<false>;

L4_ASSERT_CONGESTION_ALGORITHM(cubic);
L4_ASSERT_CONGESTION_ALGORITHM(cubic_without_reno_friendly);

}  // namespace l4::congestion
