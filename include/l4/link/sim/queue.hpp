// The queue at a channel's input, and the policy that decides which arriving
// frames it refuses.
//
// The queue holds frames waiting for the wire; the frame being serialised is
// not in it (as in a Linux qdisc or an ns-3 queue). A frame that arrives to
// an idle wire goes straight onto it, so a drop-tail queue with limit 0 is a
// link without a buffer. Limits therefore bound the waiting frames, and the
// high-water marks measure the same thing.
//
// Policies
//   drop_tail_packets{limit}  refuse when `limit` frames are waiting
//   drop_tail_bytes{limit}    refuse when the frame would take the waiting
//                             bytes past `limit`
//   red_config{...}           Random Early Detection, counted in packets:
//       Floyd & Jacobson, "Random Early Detection Gateways for Congestion
//       Avoidance", IEEE/ACM Trans. Networking 1(4), 1993 (Fig. 2 is the
//       algorithm implemented below, step for step).
//   ce_threshold{limit, k}    ECN step marking, as DCTCP's switches do
//       (Alizadeh et al., "Data Center TCP", SIGCOMM 2010, §3.1): an
//       ECN-capable frame (ECT(0), ECT(1) or CE: RFC 3168 §5) arriving when
//       more than k frames wait is taken and marked CE; every frame is
//       refused when `limit` wait (drop-tail for the rest). The channel does
//       the marking (ecn_mark.hpp); the queue only says which.
#pragma once

#include <l4/link/sim/random.hpp>
#include <l4/link/sim/ring.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <variant>

namespace l4::link::sim {

struct drop_tail_packets {
    std::size_t limit = 100;
};
struct drop_tail_bytes {
    std::size_t limit = 150'000;
};

// RED parameters. Defaults are the ones Floyd & Jacobson use in their
// simulations (min_th 5, max_th 15, w_q 0.002, max_p 1/50).
struct red_config {
    double min_th = 5;     // average queue (packets) below which nothing is dropped
    double max_th = 15;    // average at and above which every arrival is dropped
    double max_p = 0.02;   // drop probability as the average reaches max_th
    double w_q = 0.002;    // EWMA weight of each new sample of the queue length
    std::size_t limit = 60;               // the physical buffer (packets): drops beyond it are overflows
    std::size_t typical_packet_bytes = 500;  // sets s, the idle decay's time unit (§6, below)
};

struct ce_threshold {
    std::size_t limit = 100;  // frames waiting, for every frame
    std::size_t k = 20;       // above it, ECN-capable arrivals are marked CE
};

using queue_config = std::variant<drop_tail_packets, drop_tail_bytes, red_config, ce_threshold>;

// What the queue does with an arriving frame.
enum class admission : std::uint8_t { refuse, take, take_marked };

// A waiting frame as the policies see it (the frame itself is already in
// the channel's pipe: its crossing is planned when it is taken).
struct queued_frame {
    std::uint32_t len;
    std::int64_t leaves;  // when the frame ahead of it leaves the wire and it starts
};

struct queue_stats {
    std::size_t hwm_packets = 0, hwm_bytes = 0;  // most frames / bytes ever waiting at once
    std::uint64_t red_early = 0;     // RED: dropped with probability p_a, min_th <= avg < max_th
    std::uint64_t red_forced = 0;    // RED: dropped because avg >= max_th
    std::uint64_t overflow = 0;      // the limit was reached (any policy)
    std::uint64_t ce_marked = 0;     // ce_threshold: taken and marked CE instead of dropped
};

class input_queue {
public:
    // bandwidth_bps gives RED its s (0 = infinitely fast: an idle wire
    // forgets the average at once).
    input_queue(const queue_config& cfg, std::uint64_t seed, std::uint64_t bandwidth_bps)
        : cfg_{cfg}, red_rng_{seed} {
        if (const auto* red = std::get_if<red_config>(&cfg_); red && bandwidth_bps > 0)
            red_s_ns_ = static_cast<std::int64_t>(
                (std::uint64_t{red->typical_packet_bytes} * 8 * 1'000'000'000 + bandwidth_bps - 1) / bandwidth_bps);
    }

    // Would a frame of `len` bytes arriving at `now` be taken? Counts the
    // refusal. `wire_busy`: whether it would have to wait.
    [[nodiscard]] bool admit(std::uint32_t len, bool wire_busy, std::int64_t now) noexcept {
        return classify(len, wire_busy, now, false) != admission::refuse;
    }
    // The same, for a frame that is ECN-capable or not (`ect`): a marking
    // policy may take it marked. Counts the refusal and the mark.
    [[nodiscard]] admission classify(std::uint32_t len, bool wire_busy, std::int64_t now, bool ect) noexcept {
        const auto taken = [](bool ok) { return ok ? admission::take : admission::refuse; };
        switch (cfg_.index()) {
        case 0:
            if (wire_busy && frames_.size() >= std::get<0>(cfg_).limit) return taken(refuse_overflow());
            return admission::take;
        case 1:
            if (wire_busy && bytes_ + len > std::get<1>(cfg_).limit) return taken(refuse_overflow());
            return admission::take;
        case 2: return taken(red_admit(std::get<2>(cfg_), wire_busy, now));
        default: {
            const auto& c = std::get<3>(cfg_);
            if (wire_busy && frames_.size() >= c.limit) return taken(refuse_overflow());
            if (ect && wire_busy && frames_.size() > c.k) {
                ++stats_.ce_marked;
                return admission::take_marked;
            }
            return admission::take;
        }
        }
    }

    // Whether classify() would take any frame up to `max_len` bytes, as long
    // as nothing joins the queue first. RED draws at random: never sure.
    [[nodiscard]] bool surely_admits(std::size_t max_len, bool wire_busy) const noexcept {
        if (!wire_busy) return cfg_.index() != 2;
        switch (cfg_.index()) {
        case 0: return frames_.size() < std::get<0>(cfg_).limit;
        case 1: return bytes_ + max_len <= std::get<1>(cfg_).limit;
        case 2: return false;
        default: return frames_.size() < std::get<3>(cfg_).limit;
        }
    }

    void push(const queued_frame& f) {
        frames_.push_back(f);
        bytes_ += f.len;
        stats_.hwm_packets = std::max(stats_.hwm_packets, frames_.size());
        stats_.hwm_bytes = std::max(stats_.hwm_bytes, bytes_);
    }
    queued_frame pop() noexcept {
        const queued_frame f = frames_.pop_front();
        bytes_ -= f.len;
        return f;
    }
    // The frame that leaves next (the queue is not empty).
    [[nodiscard]] const queued_frame& front() const noexcept { return frames_.front(); }
    // The wire went idle with nothing waiting: RED's "q_time ← time".
    void on_idle(std::int64_t now) noexcept { idle_since_ = now; }

    // Whether classify() ever looks at `ect`: only a marking policy does.
    [[nodiscard]] bool marks() const noexcept { return std::holds_alternative<ce_threshold>(cfg_); }

    [[nodiscard]] bool empty() const noexcept { return frames_.empty(); }
    [[nodiscard]] std::size_t packets() const noexcept { return frames_.size(); }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] const queue_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] double red_average() const noexcept { return avg_; }
    [[nodiscard]] const queue_config& config() const noexcept { return cfg_; }

private:
    bool refuse_overflow() noexcept {
        ++stats_.overflow;
        return false;
    }

    // Floyd & Jacobson 1993, Fig. 2, once per arriving packet. Determinism
    // across compilers: every a·b + c is an explicit std::fma (a compiler
    // must not contract it differently on different targets), and the idle
    // decay uses only multiplications, so the result is the same bits on
    // every IEEE-754 machine.
    bool red_admit(const red_config& c, bool wire_busy, std::int64_t now) noexcept {
        const auto q = static_cast<double>(frames_.size());
        if (wire_busy) {
            // §6: avg ← (1 − w_q)·avg + w_q·q, written avg + w_q·(q − avg).
            avg_ = std::fma(c.w_q, q - avg_, avg_);
        } else {
            // §6: the queue was empty for (now − q_time); the average decays
            // as if m small packets had arrived to an empty queue meanwhile,
            // m = (now − q_time)/s: avg ← (1 − w_q)^m · avg.
            avg_ = red_s_ns_ == 0 ? 0.0 : avg_ * power(1.0 - c.w_q, static_cast<std::uint64_t>(
                                                                 std::max<std::int64_t>(now - idle_since_, 0) / red_s_ns_));
        }
        if (avg_ >= c.max_th) {
            count_ = 0;
            ++stats_.red_forced;
            return false;
        }
        if (avg_ >= c.min_th) {
            ++count_;
            // §7: p_b grows linearly from 0 at min_th to max_p at max_th;
            // p_a = p_b / (1 − count·p_b) spreads the drops evenly instead
            // of geometrically. With Fig. 2's order (count incremented
            // first, reset to 0 on a drop) the gap between drops is uniform
            // on 1 .. 1/p_b − 1, so about one arrival in 1/(2·p_b) is
            // dropped (§7's analysis counts from 0: 1 .. 1/p_b).
            const double p_b = c.max_p * (avg_ - c.min_th) / (c.max_th - c.min_th);
            const double rest = std::fma(-static_cast<double>(count_), p_b, 1.0);
            const double p_a = rest <= p_b ? 1.0 : p_b / rest;
            if (draw(red_rng_, p_a)) {
                count_ = 0;
                ++stats_.red_early;
                return false;
            }
        } else {
            count_ = -1;
        }
        if (wire_busy && frames_.size() >= c.limit) return refuse_overflow();
        return true;
    }

    static double power(double base, std::uint64_t m) noexcept {
        double result = 1.0;
        while (m != 0 && result != 0.0) {
            if (m & 1) result *= base;
            base *= base;
            m >>= 1;
        }
        return result;
    }

    queue_config cfg_;
    ring<queued_frame> frames_;
    std::size_t bytes_ = 0;
    queue_stats stats_;
    // RED state (F&J's names).
    double avg_ = 0;
    std::int64_t count_ = -1;
    std::int64_t idle_since_ = 0;
    std::int64_t red_s_ns_ = 0;
    rng red_rng_;
};

}  // namespace l4::link::sim
