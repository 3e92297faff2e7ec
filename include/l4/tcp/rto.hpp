// The retransmission timeout of RFC 6298: SRTT, RTTVAR and RTO from RTT
// samples, and the exponential backoff of §5.5.
//
// Reading list
//   RFC 6298  Computing TCP's Retransmission Timer (§2 the estimator, §3
//             Karn's rule, §5 managing the timer)
//   RFC 7323  §4 RTT samples from timestamps (fed here like any other)
//
// How to drive it
// ---------------
// The connection owns one estimator and does the rest of RFC 6298 itself:
//   - on_sample(R) for each valid RTT measurement. Karn's rule (§3) is the
//     caller's: no sample from a retransmitted segment unless timestamps
//     tell the copies apart (RFC 7323 §4.1).
//   - rto() when it (re)starts the retransmission timer (§5.1, §5.3).
//   - backoff() when the timer expires (§5.5); on_sample() or
//     reset_backoff() when new data is acknowledged (§5.7 lets the backed-off
//     value be kept until then; a new sample recomputes it anyway).
// RFC 6298 §5.7's "RTO back to 3 s when the SYN's timer expired" is also the
// connection's: it knows what a SYN is.
//
// All arithmetic is in nanoseconds, in integers: alpha = 1/8 and beta = 1/4
// are shifts of the difference, so nothing overflows for samples up to
// duration::max() and the sum in RTO saturates.
//
// State: 56 bytes (tests/tcp/rto.cpp holds it there), part of the 512 B a
// connection may spend (issue 10 §2).
#pragma once

#include <l4/core/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace l4::tcp {

struct rto_config {
    duration initial = std::chrono::seconds{1};  // RFC 6298 §2.1: RTO before the first sample
    duration min = std::chrono::seconds{1};      // RFC 6298 §2.4: "rounded up to 1 second" (Linux uses 200 ms)
    duration max = std::chrono::seconds{60};     // RFC 6298 §2.5: "at least 60 seconds" may be placed on RTO
    duration granularity = std::chrono::milliseconds{1};  // G, the clock granularity of §2
    std::uint32_t k = 4;                         // RFC 6298 §2: K = 4
};

class rto_estimator {
public:
    explicit rto_estimator(rto_config cfg = {}) noexcept
        : base_{clamp_max(cfg.initial, cfg.max)},
          min_{cfg.min},
          max_{cfg.max},
          granularity_{cfg.granularity},
          k_{cfg.k} {}

    // One RTT measurement R. Negative samples (a clock the caller got wrong)
    // count as zero rather than poisoning SRTT.
    [[gnu::hot]] void on_sample(duration rtt) noexcept {
        const duration r = std::max(rtt, duration::zero());
        if (srtt_ < duration::zero()) {
            // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2 on the first measurement.
            srtt_ = r;
            rttvar_ = r / 2;
        } else {
            // RFC 6298 §2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'| with the old SRTT, then
            // SRTT <- (1 - alpha) * SRTT + alpha * R'. Written as x + (y - x)/n: both terms are non-negative, so
            // nothing overflows.
            const duration err = srtt_ > r ? srtt_ - r : r - srtt_;
            rttvar_ = rttvar_ - rttvar_ / 4 + err / 4;
            srtt_ = srtt_ - srtt_ / 8 + r / 8;
        }
        // RFC 6298 §2.2/§2.3: RTO <- SRTT + max(G, K * RTTVAR).
        const duration var = std::max(granularity_, saturating_mul(rttvar_, k_));
        duration rto = saturating_add(srtt_, var);
        // RFC 6298 §2.4: a minimum on RTO; §2.5: a maximum. The maximum wins if the two cross.
        rto = std::max(rto, min_);
        base_ = clamp_max(rto, max_);
        // RFC 6298 §5.7: a fresh estimate replaces the backed-off value.
        backoffs_ = 0;
    }

    // RFC 6298 §5.5: the timer expired; RTO <- RTO * 2, and §2.5: no more than the maximum.
    void backoff() noexcept {
        if (backoffs_ != UINT32_MAX) ++backoffs_;
    }

    void reset_backoff() noexcept { backoffs_ = 0; }

    // The timeout to arm now: the estimate doubled once per backoff, capped at max.
    // Inline without backoff: every ACK of new data and every segment sent asks.
    [[nodiscard, gnu::always_inline]] duration rto() const noexcept { return backoffs_ == 0 ? base_ : backed_off(); }

    // Nothing until the first sample (RFC 6298 §2.1).
    [[nodiscard]] std::optional<duration> srtt() const noexcept {
        if (srtt_ < duration::zero()) return std::nullopt;
        return srtt_;
    }
    [[nodiscard]] duration rttvar() const noexcept { return rttvar_; }
    [[nodiscard]] std::uint32_t backoffs() const noexcept { return backoffs_; }

    // The RTO without backoff: the estimate of §2 itself.
    [[nodiscard]] duration base_rto() const noexcept { return base_; }

private:
    [[nodiscard]] duration backed_off() const noexcept {
        duration r = base_;
        for (std::uint32_t i = 0; i < backoffs_ && r > duration::zero() && r < max_; ++i) r = r > max_ / 2 ? max_ : r * 2;
        return r;
    }
    static duration clamp_max(duration d, duration max) noexcept { return d > max ? max : d; }
    static duration saturating_add(duration a, duration b) noexcept {
        return a > duration::max() - b ? duration::max() : a + b;
    }
    // For d >= 0 (RTTVAR is): the product overflows exactly when d > max / k, and the check costs no
    // division, which took 20-40 cycles on every sample.
    static duration saturating_mul(duration d, std::uint32_t k) noexcept {
        duration::rep r;
        if (__builtin_mul_overflow(d.count(), duration::rep{k}, &r)) return duration::max();
        return duration{r};
    }

    duration srtt_{-1};  // negative: no sample yet
    duration rttvar_{0};
    duration base_;      // RTO before backoff
    duration min_, max_, granularity_;
    std::uint32_t k_;
    std::uint32_t backoffs_ = 0;
};

}  // namespace l4::tcp
