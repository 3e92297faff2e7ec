// The delivery-rate sampler of draft-cheng-iccrg-delivery-rate-estimation:
// per segment sent it remembers how much had been delivered, and when; per
// ACK it makes a rate_sample (concept.hpp) of the bytes delivered between
// the send of the newest acknowledged segment and this ACK, over the longer
// of the send and the ACK intervals. BBR (bbr.hpp) reads it from
// ack_event::rate; without it BBR falls back to an estimate from ACKs alone.
//
// Reading list: draft-cheng-iccrg-delivery-rate-estimation-02 §3 (the
// algorithm, whose names this header keeps: C.delivered, P.delivered, ...).
//
// How a connection drives it:
//   on_send(seq, len, now, in_flight)   every data segment that leaves,
//                                       retransmissions too, before it leaves;
//                                       in_flight is the bytes in flight before it
//   on_app_limited(in_flight)           when the send pass stops with less than
//                                       one SMSS queued while cwnd had room, not
//                                       in recovery (§3.4): samples until that
//                                       data is delivered are app-limited
//   on_ack(snd_una, now, prior_in_flight, min_rtt, sack_blocks)
//                                       -> optional<rate_sample>, on every ACK
//                                       (the SACK blocks it carries, or none):
//                                       a segment is delivered when first SACKed
//                                       or cumulatively ACKed; when snd.una
//                                       advanced put the result in ack_event::rate
//   on_sack(snd_una, now, sack_blocks)  on_ack without the sample, for an ACK
//                                       whose sample nobody reads
//   on_rto()                            after a timeout (the records stay: the
//                                       retransmissions re-stamp them)
// It holds at most Capacity records, oldest dropped first (a segment without
// a record gives no sample); 0 allocations.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace l4::congestion {

template <std::size_t Capacity = 1024>
class delivery_rate_sampler {
    static_assert(Capacity > 0);

public:
    // §3.2 upon sending a packet.
    constexpr void on_send(seq32 seq, std::uint32_t len, instant now, std::uint32_t in_flight) noexcept {
        if (len == 0) return;
        if (in_flight == 0) first_sent_time_ = delivered_time_ = now;  // the flight starts now
        if (size_ > 0 && seq < at(size_ - 1).end) return on_resend(seq, len, now);
        if (size_ == Capacity) pop();
        at(size_++) = stamp(seq, len, now);
    }

    // §3.4: the sender is application-limited until what is in flight now is delivered.
    constexpr void on_app_limited(std::uint32_t in_flight) noexcept {
        app_limited_ = std::max<std::uint64_t>(delivered_ + in_flight, 1);
    }

    // §3.3 upon receiving an ACK: a packet is delivered when it is first SACKed
    // (wholly inside one of `sack_blocks`, ranges with .left/.right) or first
    // below snd.una, whichever comes first; the ACK that fills a hole credits
    // only the bytes it newly delivers, not what was SACKed before it.
    template <class Blocks>
    constexpr std::optional<rate_sample> on_ack(seq32 snd_una, instant now, std::uint32_t prior_in_flight,
                                                std::optional<duration> min_rtt, const Blocks& sack_blocks) noexcept {
        const record* newest = take_delivered(snd_una, now, sack_blocks);
        if (!newest) return std::nullopt;
        // §3.3 GenerateRateSample: the longer of the send and ACK phases.
        const duration send_elapsed = newest->sent_time - newest->first_sent_time;
        const duration ack_elapsed = delivered_time_ - newest->delivered_time;
        const duration interval = std::max(send_elapsed, ack_elapsed);
        // An interval shorter than the minimum RTT is ACK compression, not a rate.
        if (interval <= duration::zero() || (min_rtt && interval < *min_rtt)) return std::nullopt;
        const std::uint64_t delivered = delivered_ - newest->delivered;
        return rate_sample{.delivery_rate = static_cast<double>(delivered) / std::chrono::duration<double>(interval).count(),
                           .interval = interval,
                           .delivered = delivered,
                           .prior_delivered = newest->delivered,
                           .prior_in_flight = prior_in_flight,
                           .is_app_limited = newest->is_app_limited};
    }
    // Cumulative ACKs alone.
    constexpr std::optional<rate_sample> on_ack(seq32 snd_una, instant now, std::uint32_t prior_in_flight,
                                                std::optional<duration> min_rtt) noexcept {
        return on_ack(snd_una, now, prior_in_flight, min_rtt, std::array<no_block, 0>{});
    }
    // on_ack for an ACK whose sample nobody reads (a duplicate's: no ack_event
    // carries it): the same deliveries, no sample built.
    template <class Blocks>
    constexpr void on_sack(seq32 snd_una, instant now, const Blocks& sack_blocks) noexcept {
        (void)take_delivered(snd_una, now, sack_blocks);
    }

    // A timeout keeps the records: the resends re-stamp theirs in place, and a
    // SACKed one stays counted once (go-back-N resends it; the jump of the
    // cumulative ACK over it must not count it again).
    constexpr void on_rto() noexcept {}

    [[nodiscard]] constexpr std::uint64_t delivered() const noexcept { return delivered_; }  // C.delivered
    [[nodiscard]] constexpr bool app_limited() const noexcept { return app_limited_ != 0; }
    [[nodiscard]] constexpr std::size_t records() const noexcept { return size_; }

private:
    struct record {
        seq32 seq, end;
        instant sent_time, first_sent_time, delivered_time;  // P.sent_time, P.first_sent_time, P.delivered_time
        std::uint64_t delivered;                             // P.delivered
        bool is_app_limited;
        bool sacked;  // delivered by a SACK, before snd.una passed it
        // When sacked: how far on the next record that may not be lies (at
        // least 1). An offset, so popping the oldest record changes none.
        std::uint32_t skip;
    };
    struct no_block {
        seq32 left, right;
    };

    // What an ACK delivers (§3.3 UpdateRateSample for each packet), and the
    // newest record of it, or null. Where it lies: a record popped here stays
    // in the ring untouched until the next on_send, so no copy is needed.
    template <class Blocks>
    constexpr const record* take_delivered(seq32 snd_una, instant now, const Blocks& sack_blocks) noexcept {
        const record* newest = nullptr;
        bool latest = true;  // the first block walked: RFC 2018 §4's latest, the one that grows
        for (const auto& b : sack_blocks) {
            const seq32 left = b.left, right = b.right;
            if (!(left < right) || !(snd_una < right)) continue;  // RFC 2883 D-SACK, or bogus
            // Records are in sequence order: those wholly inside [left, right) and not SACKed before.
            std::size_t i = unsacked_from(grows_last_walk(left, right) ? static_cast<std::size_t>(walked_to_ - popped_)
                                                                       : first_ending_after(left));
            for (; i < size_ && !(right < at(i).end); i = unsacked_from(i + 1)) {
                record& p = at(i);
                if (p.seq < left) continue;
                p.sacked = true;
                p.skip = 1;
                deliver(p, now, newest);
            }
            if (std::exchange(latest, false)) {
                walked_left_ = left;
                walked_right_ = right;
                walked_to_ = popped_ < ragged_until_ ? no_walk : popped_ + i;
            }
        }
        // What snd.una passed, oldest first; the ring's head and size and the
        // count held in locals for the walk (one store each, not one a record).
        std::uint64_t first = popped_;
        std::size_t size = size_;
        std::uint64_t delivered = delivered_;
        while (size > 0 && ring_[first % Capacity].end <= snd_una) {
            const record& p = ring_[first % Capacity];
            ++first;
            --size;
            if (p.sacked) continue;
            delivered += static_cast<std::uint32_t>(p.end - p.seq);
            if (is_newer(p, newest)) newest = &p;
        }
        popped_ = first;
        size_ = size;
        if (delivered != delivered_) {  // a record was delivered: none is empty
            delivered_ = delivered;
            delivered_time_ = now;
        }
        if (app_limited_ != 0 && delivered_ > app_limited_) app_limited_ = 0;
        if (newest) first_sent_time_ = newest->sent_time;
        return newest;
    }
    // A retransmission takes the send-time state of now, in the record of the same bytes; one that
    // does not match a record's start leaves the original (which still counts the bytes once).
    // Out of line: on every segment's path on_send only tells it apart.
    [[gnu::noinline]] constexpr void on_resend(seq32 seq, std::uint32_t len, instant now) noexcept {
        const record r = stamp(seq, len, now);
        const std::size_t i = first_ending_after(seq);
        if (i < size_ && at(i).seq == seq && !at(i).sacked) {
            // Other bytes than before: the records may be out of order until it leaves.
            if (at(i).end != r.end) {
                ragged_until_ = std::max<std::uint64_t>(ragged_until_, popped_ + i + 1);
                walked_to_ = no_walk;
            }
            at(i) = r;
        }
    }
    // §3.2: the send-time state a segment sent now is delivered against.
    [[nodiscard]] constexpr record stamp(seq32 seq, std::uint32_t len, instant now) const noexcept {
        return {seq, seq + len, now, first_sent_time_, delivered_time_, delivered_, app_limited_ != 0, false, 0};
    }
    constexpr record& at(std::size_t i) noexcept { return ring_[(popped_ + i) % Capacity]; }
    constexpr void pop() noexcept {
        ++popped_;
        --size_;
    }
    // A SACK block that grows the latest one walked (RFC 2018 §4: the
    // receiver repeats its latest block, longer by what came since): [left,
    // right) starts inside [walked_left_, walked_right_] and ends no lower.
    // That walk left every record from where it began to walked_to_ SACKed
    // or starting below walked_left_, nothing this walk would take, and the
    // records from there to first_ending_after(left), if that lies beyond,
    // end before `left`: this walk may begin where that one stopped. Only
    // while the records are in order, as first_ending_after takes them: a
    // walk among ragged ones (a resend changed a record's end) leaves no
    // mark, and such a resend wipes the last.
    [[nodiscard]] constexpr bool grows_last_walk(seq32 left, seq32 right) const noexcept {
        return walked_to_ - popped_ <= size_ && !(left < walked_left_) && !(walked_right_ < left) &&
               !(right < walked_right_);
    }
    // The first record that ends after `s` (records are in sequence order): O(log n).
    // Records lie mostly back to back and one segment long: the index the
    // oldest record's length gives is tried first, with its neighbour, and
    // a SACK block's edge costs two probes instead of a whole search. The
    // search goes on from whatever bounds they leave.
    constexpr std::size_t first_ending_after(seq32 s) noexcept {
        std::size_t lo = 0, hi = size_;
        if (size_ > 0) {
            const record& oldest = at(0);
            // Never 0: on_send records no empty segment.
            const auto len = static_cast<std::uint32_t>(oldest.end - oldest.seq);
            if (const std::size_t g = static_cast<std::uint32_t>(s - oldest.seq) / len; g < size_) {
                if (s < at(g).end) {
                    hi = g;
                    if (g > 0 && !(s < at(g - 1).end)) lo = g;
                } else {
                    lo = g + 1;
                    if (lo < size_ && s < at(lo).end) hi = lo;
                }
            }
        }
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (s < at(mid).end) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }
    // The first record at or after i that is not SACKed, or size_. Every ACK
    // of a recovery repeats the SACK blocks of the ACK before it, grown a
    // little: their records are jumped over, not walked again. Each jump is
    // lengthened on the way (path halving, as in a union-find), so a long
    // run of SACKed records costs a few steps however often it is crossed.
    // A jump never passes size_: it ends on a record, or just past the
    // newest, where later records are appended.
    constexpr std::size_t unsacked_from(std::size_t i) noexcept {
        while (i < size_ && at(i).sacked) {
            record& p = at(i);
            if (const std::size_t next = i + p.skip; next < size_ && at(next).sacked) p.skip += at(next).skip;
            i += p.skip;
        }
        return i;
    }
    // §3.3 UpdateRateSample: P is delivered now; the most recently sent of
    // the packets this ACK delivers sets the sample (ties: the higher end).
    constexpr void deliver(const record& p, instant now, const record*& newest) noexcept {
        delivered_ += static_cast<std::uint32_t>(p.end - p.seq);
        delivered_time_ = now;
        if (is_newer(p, newest)) newest = &p;
    }
    [[nodiscard]] static constexpr bool is_newer(const record& p, const record* newest) noexcept {
        return !newest || p.sent_time > newest->sent_time || (p.sent_time == newest->sent_time && newest->end < p.end);
    }

    std::array<record, Capacity> ring_{};
    // Records are counted from the first ever sent: the one at i (from the
    // oldest) is popped_ + i, in ring_[(popped_ + i) % Capacity].
    std::uint64_t popped_ = 0;
    std::size_t size_ = 0;
    // The last SACK block walked, and the record its walk stopped at (no_walk, or one popped: none).
    static constexpr std::uint64_t no_walk = ~std::uint64_t{0};
    seq32 walked_left_{}, walked_right_{};
    std::uint64_t walked_to_ = no_walk;
    std::uint64_t ragged_until_ = 0;  // a resend changed the end of the record before it: maybe out of order
    std::uint64_t delivered_ = 0;    // C.delivered, bytes
    std::uint64_t app_limited_ = 0;  // C.app_limited: 0, or delivered_ + in flight when it began
    instant delivered_time_{}, first_sent_time_{};
};

// The sampler's interface doing nothing: what a connection holds when its
// algorithm reads no rate samples.
struct no_delivery_rate {
    constexpr void on_send(seq32, std::uint32_t, instant, std::uint32_t) noexcept {}
    constexpr void on_app_limited(std::uint32_t) noexcept {}
    constexpr std::optional<rate_sample> on_ack(seq32, instant, std::uint32_t, std::optional<duration>) noexcept {
        return std::nullopt;
    }
    template <class Blocks>
    constexpr std::optional<rate_sample> on_ack(seq32, instant, std::uint32_t, std::optional<duration>, const Blocks&) noexcept {
        return std::nullopt;
    }
    template <class Blocks>
    constexpr void on_sack(seq32, instant, const Blocks&) noexcept {}
    constexpr void on_rto() noexcept {}
};

}  // namespace l4::congestion
