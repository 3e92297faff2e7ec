// Vegas: a delay-based congestion avoidance. Once per RTT it compares the
// rate it expects (cwnd / BaseRTT) with the rate it gets (cwnd / RTT) and
// keeps the difference, the bytes it has queued at the bottleneck, between
// alpha and beta segments (Brakmo & Peterson 1995); losses are handled as
// Reno does.
//
// Reading list: L. Brakmo, L. Peterson, "TCP Vegas: End to End Congestion
// Avoidance on a Global Internet", IEEE JSAC 13(8), 1995; RFC 5681 §3.
//
//   diff = cwnd * (RTT - BaseRTT) / RTT / SMSS   segments queued, per round
//   BaseRTT: the least RTT sample ever seen;  RTT: the least of the round;
//   cwnd: as the round began (the window the RTT measured)
//
//   event                 cwnd                               ssthresh
//   construction          initial_window(params)             params.initial_ssthresh
//   on_ack, slow start    + min(acked, SMSS); at a round's   at the exit: cwnd - SMSS
//                         end with diff > gamma = 1: leave,
//                         cwnd = min(cwnd, expected + SMSS)
//   on_ack, avoidance     at a round's end: diff < alpha=2: + SMSS;
//                         diff > beta=4: - SMSS; else hold   -
//   loss events           as reno.hpp                        as reno.hpp
//   on_ecn_echo           ssthresh                           max(FlightSize/2, 2*SMSS)
//
// Vegas shrinks cwnd on an ACK (diff > beta): concept.hpp's law 2 is for
// loss-based algorithms only. A round without an RTT sample changes
// nothing in avoidance (Linux instead falls back to Reno's increase).
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/round.hpp>
#include <l4/congestion/window.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::congestion {

class vegas {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "vegas";
    static constexpr std::uint32_t alpha = 2, beta = 4, gamma = 1;  // segments

    explicit constexpr vegas(const params& p) noexcept
        : smss_{congestion::smss(p)}, cwnd_{initial_window(p)}, ssthresh_{p.initial_ssthresh} {}

    constexpr void on_ack(const ack_event& ev) noexcept {
        timed_out_ = false;
        if (ev.rtt && ev.rtt->count() > 0) {
            if (!base_rtt_ || *ev.rtt < *base_rtt_) base_rtt_ = *ev.rtt;
            round_rtt_ = std::min(round_rtt_, *ev.rtt);
        }
        const bool round_end = rounds_.on_ack(ev);
        if (round_end && round_rtt_ != no_sample && base_rtt_) adjust(round_rtt_, *base_rtt_);
        if (round_end) {
            round_rtt_ = no_sample;
            round_cwnd_ = cwnd_;
        }
        if (cwnd_ < ssthresh_) cwnd_ = slow_start(cwnd_, ssthresh_, ev.bytes_acked, smss_);
    }

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);  // RFC 5681 §3.2 step 2
        cwnd_ = recovery_window(ssthresh_, smss_);             // step 3
    }
    constexpr void on_dup_ack(const loss_event&) noexcept { cwnd_ = saturating_add(cwnd_, smss_); }
    constexpr void on_partial_ack(const ack_event&) noexcept { cwnd_ = ssthresh_; }
    constexpr void on_exit_recovery(instant) noexcept {
        cwnd_ = ssthresh_;
        rounds_.restart();
        round_rtt_ = no_sample;
    }
    // RFC 3168 §6.1.2: an ECN echo halves the window as a loss would.
    constexpr void on_ecn_echo(const loss_event& ev) noexcept {
        ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);
        cwnd_ = ssthresh_;
    }
    constexpr void on_rto(const loss_event& ev) noexcept {
        if (!timed_out_) ssthresh_ = loss_ssthresh(ev.bytes_in_flight, smss_);  // RFC 5681 §3.1
        cwnd_ = loss_window(smss_);
        timed_out_ = true;
        rounds_.restart();
        round_rtt_ = no_sample;
    }

    [[nodiscard]] constexpr std::uint32_t cwnd() const noexcept { return cwnd_; }
    [[nodiscard]] constexpr std::uint32_t ssthresh() const noexcept { return ssthresh_; }
    [[nodiscard]] constexpr std::optional<duration> base_rtt() const noexcept { return base_rtt_; }
    // The last round's estimate of the segments this flow keeps queued.
    [[nodiscard]] constexpr double queued_segments() const noexcept { return diff_; }

private:
    constexpr void adjust(duration rtt, duration base) noexcept {
        // The window that was in flight over the round, which the RTT measured
        // (slow start has grown cwnd since).
        const double w = round_cwnd_ != 0 ? round_cwnd_ : cwnd_;
        const double r = static_cast<double>(rtt.count()), b = static_cast<double>(base.count());
        diff_ = w * (r - b) / r / smss_;  // (Expected - Actual) * BaseRTT, in segments
        const std::uint32_t floor = saturating_add(smss_, smss_);
        if (cwnd_ < ssthresh_) {
            if (diff_ <= gamma) return;
            // Leave slow start at the window the path holds without a queue, plus one segment.
            const auto expected = static_cast<std::uint32_t>(std::min(w * b / r, 4294967295.0));
            cwnd_ = std::max(std::min(cwnd_, saturating_add(expected, smss_)), floor);
            ssthresh_ = std::max(cwnd_ - smss_, floor);
            if (ssthresh_ >= cwnd_) cwnd_ = ssthresh_;  // avoidance from here
        } else if (diff_ < alpha) {
            cwnd_ = saturating_add(cwnd_, smss_);
        } else if (diff_ > beta) {
            cwnd_ = std::max(cwnd_ - smss_, floor);
            ssthresh_ = std::min(ssthresh_, cwnd_);
        }
    }

    std::uint32_t smss_;
    std::uint32_t cwnd_;
    std::uint32_t ssthresh_;
    round_counter rounds_;
    std::optional<duration> base_rtt_;
    // The round's smallest RTT: a plain minimum, `no_sample` (its identity) until one comes.
    static constexpr duration no_sample = duration::max();
    duration round_rtt_ = no_sample;
    std::uint32_t round_cwnd_ = 0;  // cwnd when the round began
    double diff_ = 0;
    bool timed_out_ = false;
};

L4_ASSERT_CONGESTION_ALGORITHM(vegas);

}  // namespace l4::congestion
