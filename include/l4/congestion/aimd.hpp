// AIMD(a, b), generic: additive increase of a segments per RTT, and on loss
// multiplicative decrease to b times the flight (Chiu & Jain 1989), with
// RFC 5681's slow start before the first loss and its fast recovery.
// aimd<> = aimd<std::ratio<1>, std::ratio<1, 2>> is Reno, event for event;
// other pairs give the course's experiments (AIMD(1, 0.875) is gentler,
// GAIMD's a = 0.31, b = 0.875 is TCP-friendly).
//
// Reading list: Chiu & Jain, "Analysis of the Increase and Decrease
// Algorithms for Congestion Avoidance", 1989; RFC 5681 §3.1-3.2; RFC 3465.
//
//   event                 cwnd                          ssthresh
//   construction          initial_window(params)        params.initial_ssthresh
//   on_ack                slow start / +a*SMSS per RTT  -
//   on_enter_recovery     ssthresh + 3*SMSS             max(b*FlightSize, 2*SMSS)
//   on_dup_ack            + SMSS                        -
//   on_partial_ack        ssthresh (deflate)            -
//   on_exit_recovery      ssthresh (deflate)            -
//   on_rto                1 SMSS (the loss window)      max(b*FlightSize, 2*SMSS),
//                                                       kept on a repeated timeout
//   on_ecn_echo           ssthresh                      max(b*FlightSize, 2*SMSS)
//
// Increase and Decrease are std::ratio: 0 < a, 0 < b < 1. The increase is
// counted in bytes as window.hpp's additive_increase does (a*SMSS once a
// cwnd's worth of bytes is acknowledged), at least one byte.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/window.hpp>

#include <algorithm>
#include <cstdint>
#include <ratio>
#include <string_view>

namespace l4::congestion {

template <class Increase = std::ratio<1>, class Decrease = std::ratio<1, 2>>
class aimd {
    static_assert(Increase::num > 0 && Increase::den > 0, "aimd: the additive increase a must be > 0");
    static_assert(Decrease::num > 0 && Decrease::den > 0 && Decrease::num < Decrease::den,
                  "aimd: the multiplicative decrease b must be in (0, 1)");

public:
    using policy_family = policy::congestion_family;
    using increase = Increase;
    using decrease = Decrease;
    static constexpr std::string_view name = "aimd";

    explicit constexpr aimd(const params& p) noexcept
        : smss_{congestion::smss(p)}, step_{increment(smss_)}, cwnd_{initial_window(p)},
          ssthresh_{p.initial_ssthresh} {}

    // Inside congestion::any, g++ 12 at -O3 follows std::visit's branch for
    // this alternative into a variant that holds another one and warns that
    // ssthresh_ may be uninitialised (GCC bug 80635, std::variant's case).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    constexpr void on_ack(const ack_event& ev) noexcept {
        if (cwnd_ < ssthresh_) cwnd_ = slow_start(cwnd_, ssthresh_, ev.bytes_acked, smss_);
        else cwnd_ = ai_.grow(cwnd_, ev.bytes_acked, step_);
        timed_out_ = false;
    }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    constexpr void on_enter_recovery(const loss_event& ev) noexcept {
        ssthresh_ = decreased(ev.bytes_in_flight);
        cwnd_ = recovery_window(ssthresh_, smss_);  // RFC 5681 §3.2 step 3
        ai_.reset();
    }
    constexpr void on_dup_ack(const loss_event&) noexcept { cwnd_ = saturating_add(cwnd_, smss_); }
    constexpr void on_partial_ack(const ack_event&) noexcept {
        cwnd_ = ssthresh_;  // RFC 5681 §3.2 step 6, as reno.hpp
        timed_out_ = false;
    }
    constexpr void on_exit_recovery(instant) noexcept {
        cwnd_ = ssthresh_;
        ai_.reset();
        timed_out_ = false;
    }
    // RFC 3168 §6.1.2: an ECN echo cuts the window to b as a loss would, without
    // a retransmission (the connection answers at most once per window, CWR).
    constexpr void on_ecn_echo(const loss_event& ev) noexcept {
        ssthresh_ = decreased(ev.bytes_in_flight);
        cwnd_ = ssthresh_;
        ai_.reset();
    }

    constexpr void on_rto(const loss_event& ev) noexcept {
        if (!timed_out_) ssthresh_ = decreased(ev.bytes_in_flight);
        cwnd_ = loss_window(smss_);  // RFC 5681 §3.1
        ai_.reset();
        timed_out_ = true;
    }

    [[nodiscard]] constexpr std::uint32_t cwnd() const noexcept { return cwnd_; }
    [[nodiscard]] constexpr std::uint32_t ssthresh() const noexcept { return ssthresh_; }

private:
    [[nodiscard]] static constexpr std::uint32_t increment(std::uint32_t smss) noexcept {
        const std::uint64_t v = std::uint64_t{smss} * Increase::num / Increase::den;
        return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(v, 1, 0xFFFFFFFF));
    }
    // ssthresh = max(b*FlightSize, 2*SMSS): RFC 5681 eq. 4 with b for 1/2.
    [[nodiscard]] constexpr std::uint32_t decreased(std::uint32_t flight) const noexcept {
        const auto v = static_cast<std::uint32_t>(std::uint64_t{flight} * Decrease::num / Decrease::den);
        return std::max(v, saturating_add(smss_, smss_));
    }

    std::uint32_t smss_;
    std::uint32_t step_;  // a*SMSS, bytes
    std::uint32_t cwnd_;
    std::uint32_t ssthresh_;
    additive_increase ai_;
    bool timed_out_ = false;
};

L4_ASSERT_CONGESTION_ALGORITHM(aimd<>);

}  // namespace l4::congestion
