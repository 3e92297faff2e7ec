// One direction of a link: a queue, a transmitter of fixed bit rate, the
// impairments, then the propagation delay.
//
//   offered ─► [queue policy] ─► queue ─► wire (size·8/bandwidth)
//                   │                         │
//              dropped_queue        impairments (impairments.hpp)
//                                             │
//                                     propagation delay ─► delivered
//
// Time is exact. A frame of n bytes occupies the wire for n·8·10^9/bandwidth
// nanoseconds, a rational number. The channel keeps when the wire becomes
// free as whole nanoseconds plus a remainder in units of 1/bandwidth ns, so
// back-to-back frames carry the fraction forward and the long-run rate is
// exactly `bandwidth_bps`; the frame itself is released at the next whole
// nanosecond at or after its last bit (rounded up: never early). Example:
// 1500 B at 10 Mbit/s is exactly 1.2 ms; three 1-byte frames at 3 Mbit/s
// leave at 2667, 5334 and 8000 ns (exact ends 2666.7, 5333.3, 8000).
//
// The wire is a FIFO of fixed rate, so a frame's whole crossing is known
// when the channel takes it: it starts when the frame ahead of it ends (or
// at once on an idle wire), ends len·8/bandwidth later, and arrives `delay`
// after that. accept() computes all three and puts the frame straight into
// the propagation "pipe"; the queue holds what the policies count, the
// frames still waiting, each leaving it when its start comes (catch_up,
// run before every admission). A frame therefore costs one event per channel: its
// arrival at the far end. The decisions are the same as an event at every
// end of transmission would give, every policy deciding at admission; at
// the nanosecond a frame starts, it has left the queue (a departure comes
// before an arrival of the same instant). Impairments are drawn when the
// frame is taken, in the order frames cross, from the channel's own
// streams. A channel without bandwidth, delay or impairments (an access
// link "of no length") passes frames through at once, with no event at all.
//
// The pipe's arrival times never decrease (jitter cannot reorder, see
// impairments.hpp), so only the pipe's head is in the scheduler's heap; the
// heap holds a few events per channel however long the pipe is. A
// reordered frame leaves the pipe and gets a heap event of its own.
#pragma once

#include <l4/core/fixed_divisor.hpp>
#include <l4/core/time.hpp>
#include <l4/link/sim/impairments.hpp>
#include <l4/link/sim/pool.hpp>
#include <l4/link/sim/queue.hpp>
#include <l4/link/sim/ring.hpp>
#include <l4/link/sim/scheduler.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace l4::link::sim {

using channel_id = std::uint32_t;

struct channel_config {
    std::uint64_t bandwidth_bps = 0;  // 0: no serialisation delay and no queue (frames go straight to propagation)
    duration delay{};                 // one-way propagation delay
    queue_config queue = drop_tail_packets{};
    impairments_config impair{};
};

struct channel_counters {
    std::uint64_t offered = 0;        // frames that reached the input
    std::uint64_t queued = 0;         // taken by the queue (also those that went straight onto an idle wire)
    std::uint64_t dropped_queue = 0;  // refused by the queue policy; offered = queued + dropped_queue
    std::uint64_t ce_marked = 0;      // taken and marked CE by the queue policy (queue.hpp's ce_threshold)
    std::uint64_t lost = 0;           // loss impairment
    std::uint64_t corrupted = 0;      // one bit flipped
    std::uint64_t duplicated = 0;     // extra copies made
    std::uint64_t reordered = 0;      // frames held back by the reordering impairment
    std::uint64_t delivered = 0;      // frames out of the far end, copies included
    std::uint64_t delivered_bytes = 0;
    // Most frames and bytes ever waiting (the frame on the wire is not waiting).
    std::size_t queue_hwm_packets = 0, queue_hwm_bytes = 0;
};

// What a channel's event means; packed with the channel's index into an
// event's `target` word. `room`: a frame leaves a full queue, so a port
// whose frame it refused may try again (the event itself does nothing).
enum class channel_event : std::uint32_t { room = 0, pipe_head = 1, late_arrival = 2 };

[[nodiscard]] constexpr std::uint32_t event_target(channel_id c, channel_event k) noexcept {
    return (c << 2) | static_cast<std::uint32_t>(k);
}

class channel {
public:
    channel(channel_id id, const channel_config& cfg, std::uint64_t network_seed)
        : id_{id},
          cfg_{cfg},
          queue_{cfg.queue, derive_seed(network_seed, id, stream::red), cfg.bandwidth_bps},
          impair_{cfg.impair, network_seed, id},
          impaired_{impair_.any()},
          impaired_after_loss_{impair_.any_after_loss()},
          transparent_{cfg.bandwidth_bps == 0 && cfg.delay.count() == 0 && !impaired_},
          reads_ecn_{cfg.bandwidth_bps != 0 && queue_.marks()},
          by_bandwidth_{std::max<std::uint64_t>(cfg.bandwidth_bps, 1)} {}

    // A frame of `len` bytes arrives at the input at `now`: will the queue
    // take it, and marked CE? Counted either way. Asked before the frame is
    // copied, so a refused frame costs no copy; `ecn` is its IP ECN
    // codepoint (ecn_mark.hpp), read only when reads_ecn() (else pass 0:
    // the caller need not read the frame), and the caller marks a
    // take_marked frame.
    [[nodiscard]] admission admit(std::uint32_t len, std::int64_t now, std::uint8_t ecn = 0) noexcept {
        ++counters_.offered;
        if (cfg_.bandwidth_bps == 0) return admission::take;
        const bool busy = catch_up(now);
        const admission a = queue_.classify(len, busy, now, ecn != 0);
        if (a == admission::refuse) ++counters_.dropped_queue;
        return a;
    }

    // Whether admit() decides on the frame's ECN codepoint: a marking queue
    // behind a wire. Every other channel takes or refuses regardless.
    [[nodiscard]] bool reads_ecn() const noexcept { return reads_ecn_; }

    // Whether every frame up to `max_len` bytes, ECN-capable or not, would
    // be taken at `now` and until more frames arrive (the wire only drains
    // the queue meanwhile): what a port checks before it lends a slot.
    [[nodiscard]] bool surely_admits(std::size_t max_len, std::int64_t now) noexcept {
        return cfg_.bandwidth_bps == 0 || queue_.surely_admits(max_len, catch_up(now));
    }

    // When the next waiting frame leaves the queue (room for one more),
    // nullopt when none waits. Valid after an admit() at the same instant.
    [[nodiscard]] std::optional<std::int64_t> next_departure() const noexcept {
        if (queue_.empty()) return std::nullopt;
        return queue_.front().leaves;
    }

    // Brings the queue to `now`: frames whose start has come are on the wire
    // (logically const: it only catches up with what happened by `now`).
    // Returns whether the wire is busy at `now`; an idle wire tells RED
    // since when (its "q_time").
    bool catch_up(std::int64_t now) const noexcept {
        while (!queue_.empty() && queue_.front().leaves <= now) (void)queue_.pop();
        if (now < free_at_) return true;
        queue_.on_idle(free_at_);
        return false;
    }

    // Whether this channel passes frames through at once: no wire, no
    // delay, no impairment.
    [[nodiscard]] bool transparent() const noexcept { return transparent_; }

    // A transparent channel's whole crossing at once, what admit() and
    // accept() would count: offered, taken, delivered.
    void pass_through(std::uint32_t len) noexcept {
        ++counters_.offered;
        ++counters_.queued;
        ++counters_.delivered;
        counters_.delivered_bytes += len;
    }

    // The admitted frame, in slot s: its crossing is planned and it is in
    // flight (or lost). Returns true when a transparent channel hands it
    // on at once (the caller forwards it); it is then counted delivered.
    // Inlined into its callers (a port's transmit, forward()): out of line,
    // every frame paid for six registers saved and restored at each channel.
    [[gnu::always_inline]] [[nodiscard]] bool accept(slot_id s, std::uint32_t len, std::int64_t now, scheduler& sched, frame_pool& pool) {
        ++counters_.queued;
        if (transparent_) {
            count_delivery(s, pool);
            return true;
        }
        propagate(s, len, cfg_.bandwidth_bps == 0 ? now : serialise(len, now), sched, pool);
        return false;
    }

    // Event: the frame at the head of the pipe arrives at the far end. Its
    // event is the scheduler's top; the next head's takes its place.
    [[nodiscard]] slot_id on_pipe_head(scheduler& sched, const frame_pool& pool) {
        const in_flight f = pipe_.pop_front();
        if (pipe_.empty()) (void)sched.pop();
        else {
            sched.replace_top(pipe_.front().at, event_target(id_, channel_event::pipe_head), 0);
            // The frame after the next one is read two deliveries from now,
            // by the host it reaches: its headers were written a whole
            // propagation delay ago and have left the cache since (with BBR
            // on the bottleneck, that first read was 5 % of the run). Their
            // two lines, fetched now, are there in time; the next head is
            // too close to gain much.
            if (pipe_.size() > 1) {
                const std::uint8_t* headers = pool.data(pipe_.at(1).slot);
                __builtin_prefetch(headers);
                __builtin_prefetch(headers + 64);
            }
        }
        count_delivery(f.slot, pool);
        return f.slot;
    }
    // Event: a reordered frame arrives.
    void on_late_arrival(slot_id s, const frame_pool& pool) noexcept { count_delivery(s, pool); }

    [[nodiscard]] channel_id id() const noexcept { return id_; }
    [[nodiscard]] const channel_config& config() const noexcept { return cfg_; }
    [[nodiscard]] channel_counters counters() const noexcept {
        channel_counters c = counters_;
        c.queue_hwm_packets = queue_.stats().hwm_packets;
        c.queue_hwm_bytes = queue_.stats().hwm_bytes;
        c.ce_marked = queue_.stats().ce_marked;
        return c;
    }
    // As of the last admission or catch_up (network::channel_at() runs one).
    [[nodiscard]] const input_queue& queue() const noexcept { return queue_; }
    [[nodiscard]] std::size_t in_flight_frames() const noexcept { return pipe_.size(); }

private:
    struct in_flight {
        std::int64_t at;
        slot_id slot;
    };

    // The wire takes a frame of `len` bytes at `now`: returns when its last
    // bit leaves.
    std::int64_t serialise(std::uint32_t len, std::int64_t now) {
        // Exact end = start + len·8·10^9 / bandwidth, kept as ns + frac/bandwidth;
        // the frame leaves the wire at the next whole nanosecond (never early).
        std::int64_t start_ns = now;
        std::uint64_t start_frac = 0;
        if (now < free_at_) {
            // Back to back: it starts at the exact end of the frame ahead,
            // and waits in the queue until that one leaves the wire.
            start_ns = end_ns_;
            start_frac = end_frac_;
            queue_.push({len, free_at_});
        }
        const auto [ns, frac] = by_bandwidth_.divide(start_frac + std::uint64_t{len} * 8 * 1'000'000'000);
        end_ns_ = start_ns + static_cast<std::int64_t>(ns);
        end_frac_ = frac;
        free_at_ = end_ns_ + (end_frac_ != 0 ? 1 : 0);
        return free_at_;
    }

    // After the wire (the frame's last bit leaves at `now`): impairments in
    // the order impairments.hpp gives, then the propagation delay. Steps
    // that cannot act draw nothing, so skipping them changes nothing.
    // Inlined: a channel without impairments (most) then pays no call, where
    // one saved and restored six registers for every frame.
    [[gnu::always_inline]] void propagate(slot_id s, std::uint32_t len, std::int64_t now, scheduler& sched, frame_pool& pool) {
        const std::int64_t at = now + cfg_.delay.count();
        if (impaired_) return impair(s, len, at, sched, pool);
        enter_pipe(s, at, sched);
    }

    // propagate() on a channel with impairments, the frame due at `at`
    // without them. Inlined too: out of line, a lossy bottleneck's every
    // frame paid for a second call's six registers.
    [[gnu::always_inline]] void impair(slot_id s, std::uint32_t len, std::int64_t at, scheduler& sched, frame_pool& pool) {
        if (impair_.lose()) {
            ++counters_.lost;
            pool.release(s);
            return;
        }
        if (impaired_after_loss_) return impair_after_loss(s, len, at, sched, pool);
        enter_pipe(s, at, sched);
    }

    // Steps 2-5 for a frame not lost, due at `at` without them. Out of line:
    // most channels have no such impairment, and the per-frame path stays short.
    [[gnu::noinline]] void impair_after_loss(slot_id s, std::uint32_t len, std::int64_t at, scheduler& sched, frame_pool& pool) {
        if (const std::int64_t bit = impair_.corrupt_bit(len); bit >= 0) {
            pool.data(s)[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
            ++counters_.corrupted;
        }
        slot_id copy = s;  // s itself means: no copy
        if (impair_.duplicate()) {
            copy = pool.clone(s);
            ++counters_.duplicated;
        }
        at += impair_.jitter().count();
        if (impair_.reorder()) {
            // Outside the pipe: later frames may pass it.
            ++counters_.reordered;
            at += impair_.reorder_delay().count();
            sched.push(at, event_target(id_, channel_event::late_arrival), s);
            if (copy != s) sched.push(at, event_target(id_, channel_event::late_arrival), copy);
            return;
        }
        enter_pipe(s, at, sched);
        if (copy != s) enter_pipe(copy, at, sched);
    }

    void enter_pipe(slot_id s, std::int64_t at, scheduler& sched) {
        // Jitter never reorders: not before the frame ahead of it.
        at = std::max(at, last_arrival_);
        last_arrival_ = at;
        const bool was_empty = pipe_.empty();
        pipe_.push_back({at, s});
        if (was_empty) sched.push(at, event_target(id_, channel_event::pipe_head), 0);
    }

    void count_delivery(slot_id s, const frame_pool& pool) noexcept {
        ++counters_.delivered;
        counters_.delivered_bytes += pool.meta(s).len;
    }

    channel_id id_;
    channel_config cfg_;
    mutable input_queue queue_;  // brought up to the time when read: catch_up() is const
    impairments impair_;
    bool impaired_;
    bool impaired_after_loss_;
    bool transparent_;
    bool reads_ecn_;
    // The transmitter: the exact end of the last frame taken, and the
    // nanosecond the wire is free again; a frame's time on the wire is
    // divided by the bandwidth without a DIV (one a frame and channel).
    fixed_divisor by_bandwidth_;
    std::int64_t end_ns_ = 0;
    std::uint64_t end_frac_ = 0;
    std::int64_t free_at_ = 0;
    // Propagation.
    ring<in_flight> pipe_;
    std::int64_t last_arrival_ = 0;
    channel_counters counters_;
};

}  // namespace l4::link::sim
