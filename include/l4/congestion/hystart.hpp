// HyStart++ (RFC 9406): slow start that watches the RTT of each round and,
// when it rises, slows to Conservative Slow Start (CSS) before the queue
// overflows; CSS either sees the RTT fall back (a false alarm: slow start
// resumes) or lasts CSS_ROUNDS rounds and hands over to congestion avoidance.
//
// Reading list: RFC 9406 §4.2 (the algorithm), §4.3 (constants).
//
// A shared piece, not an algorithm: the owner calls on_ack for every ACK
// while cwnd < ssthresh, adds the returned increase to cwnd, and when
// `exit` is set, sets ssthresh = cwnd (RFC 9406 §4.2: "enter congestion
// avoidance by setting the ssthresh to the current cwnd"). After any loss
// the owner calls stop(): HyStart++ is for the first slow start only, later
// ones (after a timeout) are plain slow start.
//
// Rounds come from the owner's round_counter. The RTT samples are the
// ack_event's; the RFC wants N_RTT_SAMPLE = 8 of them per round before it
// judges, so a sender that times one segment per RTT never leaves slow
// start through HyStart++ (it needs timestamps or per-segment send times).
// L = 1 SMSS per ACK, as window.hpp's slow start (RFC 3465 §2.2); RFC 9406
// allows any L for a sender that does not pace.
#pragma once

#include <l4/congestion/concept.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

namespace l4::congestion {

class hystart_pp {
public:
    // RFC 9406 §4.3's constants.
    static constexpr duration min_rtt_thresh = std::chrono::milliseconds{4};
    static constexpr duration max_rtt_thresh = std::chrono::milliseconds{16};
    static constexpr int min_rtt_divisor = 8;
    static constexpr std::uint32_t n_rtt_sample = 8;
    static constexpr std::uint32_t css_growth_divisor = 4;
    static constexpr std::uint32_t css_rounds = 5;

    enum class phase : std::uint8_t { slow_start, css, done };

    struct step {
        std::uint32_t increase;  // bytes to add to cwnd
        bool exit;               // CSS is over: ssthresh = cwnd
    };

    // One ACK in slow start; `round_end` from the owner's round_counter.
    constexpr step on_ack(const ack_event& ev, std::uint32_t smss, bool round_end) noexcept {
        if (phase_ == phase::done) return {std::min(ev.bytes_acked, smss), false};
        if (round_end) {
            if (phase_ == phase::css && ++css_done_ >= css_rounds) {
                phase_ = phase::done;
                return {0, true};
            }
            last_round_min_ = current_round_min_;
            current_round_min_.reset();
            samples_ = 0;
        }
        if (ev.rtt) {
            if (!current_round_min_ || *ev.rtt < *current_round_min_) current_round_min_ = *ev.rtt;
            ++samples_;
        }
        const std::uint32_t n = std::min(ev.bytes_acked, smss);  // min(N, L*SMSS)
        if (phase_ == phase::slow_start) {
            if (samples_ >= n_rtt_sample && current_round_min_ && last_round_min_) {
                const duration thresh =
                    std::max(min_rtt_thresh, std::min(*last_round_min_ / min_rtt_divisor, max_rtt_thresh));
                if (*current_round_min_ >= *last_round_min_ + thresh) {  // the RTT rose: a queue builds
                    css_baseline_ = *current_round_min_;
                    phase_ = phase::css;
                    css_done_ = 0;
                }
            }
            return {n, false};
        }
        // CSS: a quarter of slow start's growth, and back to slow start if
        // the RTT falls below the baseline (the rise was not the queue).
        if (samples_ >= n_rtt_sample && current_round_min_ && *current_round_min_ < css_baseline_) {
            phase_ = phase::slow_start;
            return {n, false};
        }
        return {n / css_growth_divisor, false};
    }

    constexpr void stop() noexcept { phase_ = phase::done; }
    [[nodiscard]] constexpr phase current() const noexcept { return phase_; }

private:
    phase phase_ = phase::slow_start;
    std::optional<duration> last_round_min_, current_round_min_;
    duration css_baseline_{};  // the RTT that started CSS: set whenever phase_ is css, read only then
    std::uint32_t samples_ = 0, css_done_ = 0;
};

}  // namespace l4::congestion
