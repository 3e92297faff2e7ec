// BBR v1: a model-based algorithm. It estimates the bottleneck bandwidth
// (the most delivered per second over the last 10 rounds) and the round-trip
// propagation time (the least RTT over the last 10 s), and sends at their
// product: the pacing rate is pacing_gain * BtlBw, cwnd is cwnd_gain * BDP.
//
// Reading list: draft-cardwell-iccrg-bbr-congestion-control-00 §4 (the
// algorithm, whose names this header keeps), draft-cheng-iccrg-delivery-
// rate-estimation (the samples, delivery_rate.hpp), Cardwell et al., "BBR:
// Congestion-Based Congestion Control", ACM Queue 14(5), 2016.
//
//   state       pacing_gain                     cwnd_gain   leaves when
//   startup     2/ln2 = 2.885                   2.885       BtlBw grew < 25 % in 3 rounds (full pipe)
//   drain       1/2.885                         (1)         in flight <= BDP
//   probe_bw    cycle 1.25, .75, 1, 1, 1, 1, 1, 1 (one     RTprop not refreshed for 10 s
//               phase per RTprop; random start, never .75)
//   probe_rtt   1                               1           200 ms and a round at cwnd 4 segments
//
//   event               cwnd                                        ssthresh
//   on_ack,             towards cwnd_gain*BDP + 3 send quanta,       0xFFFFFFFF (unused)
//   on_partial_ack      +acked per ACK; at least 4 SMSS
//   on_enter_recovery   in flight + 1 SMSS (packet conservation      -
//                       for one round), at least 4 SMSS
//   on_dup_ack          + SMSS while conserving packets              -
//   on_exit_recovery    max(cwnd, the cwnd before recovery)          -
//   on_rto              1 SMSS (draft §4.2.3.4)                       -
//   on_ecn_echo         (none: BBR v1 ignores ECN; the draft's v1 has no ECN response)
//
// Delivery rate: from ack_event::rate when the connection runs
// delivery_rate.hpp's sampler (from its first sample on, only there);
// otherwise BBR estimates it from the ACKs
// alone, as the bytes acknowledged over the last RTprop or more (the ACK
// rate, which equals the delivery rate while the sender is not app-limited
// and the ACKs are not compressed). BBR wants pacing at pacing_rate(); a
// sender that does not pace still works, limited by cwnd, with a standing
// queue of up to (cwnd_gain - 1) * BDP; for it, drain caps cwnd at one BDP
// (the draft keeps 2.885 BDP there and relies on pacing). Not done: the long-term (policer)
// bandwidth model, idle restart, ack aggregation.
//
// BBR shrinks cwnd on ACKs (drain, probe_rtt): concept.hpp's law 2 is for
// loss-based algorithms only. The "random" start of the gain cycle comes
// from a fixed-seed generator, so runs are reproducible.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/round.hpp>
#include <l4/congestion/send_quantum.hpp>
#include <l4/congestion/window.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::congestion {

class bbr {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "bbr";

    enum class mode : std::uint8_t { startup, drain, probe_bw, probe_rtt };

    // draft §4.1-4.3's constants.
    static constexpr double high_gain = 2.88539008177792681;  // 2/ln 2
    static constexpr std::array<double, 8> pacing_gain_cycle{1.25, 0.75, 1, 1, 1, 1, 1, 1};
    static constexpr std::uint64_t btlbw_filter_rounds = 10;
    static constexpr duration rtprop_filter_len = std::chrono::seconds{10};
    static constexpr duration probe_rtt_duration = std::chrono::milliseconds{200};
    static constexpr std::uint32_t min_pipe_segments = 4;

    explicit bbr(const params& p) noexcept
        : smss_{congestion::smss(p)}, initial_cwnd_{initial_window(p)}, cwnd_{initial_cwnd_} {
        // draft §4.2.1 BBRInitPacingRate: InitialCwnd / SRTT, SRTT unknown: 1 ms.
        set_pacing_rate(high_gain * initial_cwnd_ / 1e-3);
    }

    void on_ack(const ack_event& ev) noexcept { update(ev); }
    void on_partial_ack(const ack_event& ev) noexcept { update(ev); }  // the model runs in recovery too

    void on_enter_recovery(const loss_event& ev) noexcept {
        prior_cwnd_ = save_cwnd();
        in_recovery_ = true;
        loss_in_cycle_ = true;
        // draft §4.2.3.4: packet conservation for one round.
        cwnd_ = std::max(saturating_add(ev.bytes_in_flight, smss_), min_pipe());
        packet_conservation_ = true;
        conservation_round_ = rounds_.count();
    }
    void on_dup_ack(const loss_event&) noexcept {
        if (packet_conservation_) cwnd_ = saturating_add(cwnd_, smss_);  // a segment left: one may enter
    }
    void on_exit_recovery(instant) noexcept {
        in_recovery_ = false;
        packet_conservation_ = false;
        cwnd_ = std::max(cwnd_, prior_cwnd_);  // draft §4.2.3.4 BBRRestoreCwnd
    }
    void on_rto(const loss_event&) noexcept {
        prior_cwnd_ = save_cwnd();
        in_recovery_ = false;
        packet_conservation_ = false;
        loss_in_cycle_ = true;
        cwnd_ = loss_window(smss_);  // draft §4.2.3.4: one segment, then grow as usual
    }

    [[nodiscard]] std::uint32_t cwnd() const noexcept { return cwnd_; }
    [[nodiscard]] std::uint32_t ssthresh() const noexcept { return 0xFFFFFFFF; }
    [[nodiscard]] std::optional<std::uint64_t> pacing_rate() const noexcept {
        return static_cast<std::uint64_t>(std::min(pacing_rate_, 1.8e19));
    }

    [[nodiscard]] mode state() const noexcept { return mode_; }
    [[nodiscard]] std::string_view state_name() const noexcept {
        constexpr std::array<std::string_view, 4> names{"startup", "drain", "probe_bw", "probe_rtt"};
        return names[static_cast<std::size_t>(mode_)];
    }
    [[nodiscard]] double btlbw() const noexcept { return max_bw(); }  // bytes per second
    [[nodiscard]] std::optional<duration> rtprop() const noexcept { return rtprop_; }
    [[nodiscard]] double pacing_gain() const noexcept { return pacing_gain_; }
    [[nodiscard]] double cwnd_gain() const noexcept { return cwnd_gain_; }
    [[nodiscard]] std::size_t cycle_index() const noexcept { return cycle_index_; }
    [[nodiscard]] bool filled_pipe() const noexcept { return filled_pipe_; }
    // BBRInflight(gain): gain * BDP plus three send quanta, bytes.
    [[nodiscard]] std::uint32_t inflight(double gain) const noexcept {
        if (!rtprop_) return initial_cwnd_;
        const double bdp = max_bw() * rtprop_secs_;
        return static_cast<std::uint32_t>(std::min(gain * bdp + three_quanta_, 4294967295.0));
    }

private:
    // draft §4.1 BBRUpdateOnACK: the model, then the controls.
    void update(const ack_event& ev) noexcept {
        const std::uint32_t flight = ev.bytes_in_flight > ev.bytes_acked ? ev.bytes_in_flight - ev.bytes_acked : 0;
        const bool round_start = rounds_.on_ack(ev);
        const auto sample = bw_sample_of(ev);
        // §4.1.1.5 BBRUpdateBtlBw: samples that are app-limited only count if they raise the max.
        if (sample && (!sample->is_app_limited || sample->delivery_rate >= max_bw()))
            bw_update(rounds_.count(), sample->delivery_rate);
        check_cycle_phase(ev);
        check_full_pipe(round_start, sample && sample->is_app_limited);
        check_drain(ev.now, flight);
        const bool rtprop_expired = update_rtprop(ev);
        check_probe_rtt(ev.now, flight, round_start, rtprop_expired);
        // §4.2.1 BBRSetPacingRate: in startup the rate only rises.
        const double rate = pacing_gain_ * max_bw() * 0.99;  // pace 1 % below the estimate
        if (max_bw() > 0 && rate != pacing_rate_ && (filled_pipe_ || rate > pacing_rate_)) set_pacing_rate(rate);
        set_cwnd(ev.bytes_acked, flight);
    }

    // What the bandwidth filter reads of a rate sample. Taken field by field: a whole rate_sample copied
    // out of the ACK event was read as 16-byte words from the 8-byte stores that had just written it (a
    // store-forwarding stall on every ACK).
    struct bw_sample {
        double delivery_rate;
        bool is_app_limited;
    };
    [[nodiscard]] std::optional<bw_sample> bw_sample_of(const ack_event& ev) noexcept {
        if (ev.rate) sampled_ = true;
        // With a sampler, an ACK without a sample has none: an ACK count over
        // it would credit at once what the sampler delivered before (SACKed).
        if (sampled_) {
            if (!ev.rate) return std::nullopt;
            return bw_sample{ev.rate->delivery_rate, ev.rate->is_app_limited};
        }
        // The ACK-side estimate: bytes acknowledged since the newest checkpoint at least RTprop old.
        std::optional<bw_sample> out;
        if (rtprop_) {
            for (std::size_t i = 0; i < checkpoints_.size(); ++i) {
                const auto& cp = checkpoints_[(next_cp_ + checkpoints_.size() - 1 - i) % checkpoints_.size()];
                if (!cp.valid) break;
                const duration elapsed = ev.now - cp.at;
                if (elapsed < *rtprop_ || elapsed <= duration::zero()) continue;
                const double secs = std::chrono::duration<double>(elapsed).count();
                out = bw_sample{.delivery_rate = static_cast<double>(rounds_.acked() - cp.acked) / secs, .is_app_limited = false};
                break;
            }
        }
        const auto& last = checkpoints_[(next_cp_ + checkpoints_.size() - 1) % checkpoints_.size()];
        const duration spacing = rtprop_ ? *rtprop_ / 8 : duration::zero();
        if (!last.valid || ev.now - last.at >= spacing) {
            checkpoints_[next_cp_] = {ev.now, rounds_.acked(), true};
            next_cp_ = (next_cp_ + 1) % checkpoints_.size();
        }
        return out;
    }

    // A windowed max over btlbw_filter_rounds rounds: the best sample of each
    // round. Taken here, since every ACK reads it several times; walked only
    // when a round begins (the window slides), else a sample can only raise it.
    // Rounds only grow: the latest round's slot, which most samples go to,
    // holds that round already.
    void bw_update(std::uint64_t round, double rate) noexcept {
        if (round == latest_round_) {
            auto& slot = bw_rounds_[latest_slot_];
            slot.rate = std::max(slot.rate, rate);
            max_bw_ = std::max(max_bw_, rate);
            return;
        }
        latest_slot_ = round % bw_rounds_.size();
        auto& slot = bw_rounds_[latest_slot_];
        if (slot.round != round) slot = {round, 0};
        slot.rate = std::max(slot.rate, rate);
        latest_round_ = round;
        max_bw_ = 0;
        for (const auto& s : bw_rounds_)
            if (s.round + btlbw_filter_rounds > latest_round_ && s.round <= latest_round_)
                max_bw_ = std::max(max_bw_, s.rate);
    }
    [[nodiscard]] double max_bw() const noexcept { return max_bw_; }

    // §4.1.1.4 (BBRSetSendQuantum): the bursts the endpoint's pacer sends, three of
    // which BBRInflight adds; they change with the pacing rate only.
    void set_pacing_rate(double rate) noexcept {
        pacing_rate_ = rate;
        three_quanta_ = 3.0 * congestion::send_quantum(rate, smss_);
    }
    [[nodiscard]] std::uint32_t min_pipe() const noexcept {
        return static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{min_pipe_segments} * smss_, 0xFFFFFFFF));
    }

    // §4.3.4.4 BBRCheckCyclePhase.
    void check_cycle_phase(const ack_event& ev) noexcept {
        if (mode_ != mode::probe_bw) return;
        const bool full_length = rtprop_ && ev.now - cycle_stamp_ > *rtprop_;
        bool next = full_length;
        if (pacing_gain_ > 1) next = full_length && (loss_in_cycle_ || ev.bytes_in_flight >= inflight(pacing_gain_));
        else if (pacing_gain_ < 1) next = full_length || ev.bytes_in_flight <= inflight(1);
        if (next) advance_cycle_phase(ev.now);
    }
    void advance_cycle_phase(instant now) noexcept {
        cycle_stamp_ = now;
        cycle_index_ = (cycle_index_ + 1) % pacing_gain_cycle.size();
        pacing_gain_ = pacing_gain_cycle[cycle_index_];
        loss_in_cycle_ = false;
    }

    // §4.3.2.2 BBRCheckFullPipe: three rounds without 25 % growth.
    void check_full_pipe(bool round_start, bool app_limited) noexcept {
        if (filled_pipe_ || !round_start || app_limited) return;
        if (max_bw() >= full_bw_ * 1.25) {
            full_bw_ = max_bw();
            full_bw_count_ = 0;
            return;
        }
        if (++full_bw_count_ >= 3) filled_pipe_ = true;
    }

    // §4.3.2-4.3.3 startup -> drain -> probe_bw.
    void check_drain(instant now, std::uint32_t flight) noexcept {
        if (mode_ == mode::startup && filled_pipe_) {
            mode_ = mode::drain;
            pacing_gain_ = 1 / high_gain;
            cwnd_gain_ = high_gain;
        }
        if (mode_ == mode::drain && flight <= inflight(1.0)) enter_probe_bw(now);
    }
    void enter_probe_bw(instant now) noexcept {
        mode_ = mode::probe_bw;
        pacing_gain_ = 1;
        cwnd_gain_ = 2;
        // §4.3.4.3: start at a random phase other than the 0.75 one.
        rng_ ^= rng_ << 13;
        rng_ ^= rng_ >> 7;
        rng_ ^= rng_ << 17;
        cycle_index_ = pacing_gain_cycle.size() - 1 - static_cast<std::size_t>(rng_ % 7);
        advance_cycle_phase(now);
    }

    // §4.1.2.3 BBRUpdateRTprop; returns whether the estimate had expired.
    bool update_rtprop(const ack_event& ev) noexcept {
        const bool expired = rtprop_ && ev.now > rtprop_stamp_ + rtprop_filter_len;
        if (ev.rtt && ev.rtt->count() > 0 && (!rtprop_ || *ev.rtt <= *rtprop_ || expired)) {
            // §4.2.1 BBRInitPacingRate with the first RTT for SRTT (before it: 1 ms).
            if (!rtprop_ && max_bw() == 0)
                set_pacing_rate(high_gain * initial_cwnd_ / std::chrono::duration<double>(*ev.rtt).count());
            rtprop_ = *ev.rtt;
            rtprop_secs_ = std::chrono::duration<double>(*ev.rtt).count();
            rtprop_stamp_ = ev.now;
        }
        return expired;
    }

    // §4.3.5 ProbeRTT: every 10 s without a lower RTT, hold 4 segments for 200 ms and a round.
    void check_probe_rtt(instant now, std::uint32_t flight, bool round_start, bool rtprop_expired) noexcept {
        if (mode_ != mode::probe_rtt && rtprop_expired) {
            mode_ = mode::probe_rtt;
            pacing_gain_ = 1;
            cwnd_gain_ = 1;
            prior_cwnd_ = save_cwnd();
            probe_rtt_done_.reset();
        }
        if (mode_ != mode::probe_rtt) return;
        if (!probe_rtt_done_ && flight <= min_pipe()) {
            probe_rtt_done_ = now + probe_rtt_duration;
            probe_rtt_round_done_ = false;
            rounds_.begin(flight);
        } else if (probe_rtt_done_) {
            if (round_start) probe_rtt_round_done_ = true;
            if (probe_rtt_round_done_ && now > *probe_rtt_done_) {
                rtprop_stamp_ = now;
                cwnd_ = std::max(cwnd_, prior_cwnd_);
                if (filled_pipe_) {
                    enter_probe_bw(now);
                } else {
                    mode_ = mode::startup;
                    pacing_gain_ = cwnd_gain_ = high_gain;
                }
            }
        }
    }

    [[nodiscard]] std::uint32_t save_cwnd() const noexcept {
        if (!in_recovery_ && mode_ != mode::probe_rtt) return cwnd_;
        return std::max(prior_cwnd_, cwnd_);
    }

    // §4.2.3 BBRSetCwnd.
    void set_cwnd(std::uint32_t acked, std::uint32_t flight) noexcept {
        // Drain's cwnd is one BDP: the draft keeps cwnd_gain 2.885 and lets
        // pacing drain the queue, which a sender that does not pace never would.
        const std::uint32_t target = inflight(mode_ == mode::drain ? 1.0 : cwnd_gain_);
        if (packet_conservation_ && rounds_.count() > conservation_round_) packet_conservation_ = false;
        if (packet_conservation_) {
            cwnd_ = std::max(cwnd_, saturating_add(flight, acked));
        } else {
            if (filled_pipe_) cwnd_ = std::min(saturating_add(cwnd_, acked), target);
            else if (cwnd_ < target || rounds_.acked() < initial_cwnd_) cwnd_ = saturating_add(cwnd_, acked);
            cwnd_ = std::max(cwnd_, min_pipe());
        }
        if (mode_ == mode::probe_rtt) cwnd_ = std::min(cwnd_, min_pipe());  // §4.2.3.5
    }

    struct checkpoint {
        instant at{};
        std::uint64_t acked = 0;
        bool valid = false;
    };
    struct round_rate {
        std::uint64_t round = 0;
        double rate = 0;
    };

    std::uint32_t smss_, initial_cwnd_, cwnd_, prior_cwnd_ = 0;
    double pacing_rate_ = 0;  // bytes per second
    double three_quanta_ = 0;  // 3 * the send quantum at pacing_rate_
    mode mode_ = mode::startup;
    double pacing_gain_ = high_gain, cwnd_gain_ = high_gain;
    round_counter rounds_;
    std::uint64_t latest_round_ = 0, conservation_round_ = 0;
    std::array<round_rate, btlbw_filter_rounds> bw_rounds_{};
    std::size_t latest_slot_ = 0;  // latest_round_'s in bw_rounds_
    double max_bw_ = 0;  // over bw_rounds_, as of latest_round_
    std::array<checkpoint, 16> checkpoints_{};
    std::size_t next_cp_ = 0;
    std::optional<duration> rtprop_;
    double rtprop_secs_ = 0;  // *rtprop_ in seconds
    instant rtprop_stamp_{};
    double full_bw_ = 0;
    std::uint32_t full_bw_count_ = 0;
    bool sampled_ = false;  // ack_event::rate came once: the connection runs a sampler
    bool filled_pipe_ = false, in_recovery_ = false, packet_conservation_ = false, loss_in_cycle_ = false;
    std::size_t cycle_index_ = 0;
    instant cycle_stamp_{};
    std::optional<instant> probe_rtt_done_;
    bool probe_rtt_round_done_ = false;
    std::uint64_t rng_ = 0x9E3779B97F4A7C15ull;
};

L4_ASSERT_CONGESTION_ALGORITHM(bbr);

}  // namespace l4::congestion
