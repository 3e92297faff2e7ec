// Two choices the RFCs leave to the implementation, made as Linux makes
// them, for a connection whose config asks (tcp::config's quick_acks and
// push_per_write; the linux_like profile of tests/conformance). With both
// off, nothing here changes what a connection does.
//
//   quick_ack    RFC 1122 §4.2.3.2 lets a receiver delay an ACK; Linux does
//                not at a connection's start, nor after an idle time of more
//                than an RTO (tcp_event_data_recv, tcp_incr_quickack): it
//                acknowledges each data segment at once, up to 16 of them
//                (or half the window in segments), unless the connection is
//                interactive (it sent data within the delayed-ACK time of
//                the last data it got: "ping-pong").
//   push_marks   RFC 9293 §3.9.1 leaves PSH to the sender; Linux sets it on
//                the last segment of each write (tcp_push) and on the
//                segment where the data written since the last PSH passes
//                half the largest window the peer offered (forced_push),
//                and, in slow start, where the windows cut a burst short
//                with data queued (as the scripts of packetdrill's corpus
//                show Linux doing). With config::push_per_skb, also at the
//                end of each piece of a write as Linux cuts it into skbs
//                (tcp_xmit_size_goal: half a millisecond at its pacing
//                rate, at least 2 segments, at most 64 KB and half the
//                largest window): each TSO burst leaves with PSH on its
//                last segment, as the corpus shows (slow-start-fq-ack-per-
//                2pkt, https_client, sack-route-refresh-ip-tos).
//   tail_loss_probe  RFC 6298 §5 leaves a lost tail to the RTO; Linux (RFC
//                8985 §7) probes first, 2·SRTT after the last new data left
//                (plus its 200 ms minimum RTO when one segment is out, else
//                2 ms), never later than the RTO would fire: new data if the
//                peer's window allows, else the last segment again. The RTO
//                restarts from the probe; one probe until an ACK passes it.
#pragma once

#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace l4::tcp {

class quick_ack {
public:
    // A data segment arrived in order: true if it is to be acknowledged at
    // once. `max` is the configured number (0: never), `rcv_wnd` the window
    // we offer, `idle_limit` the RTO.
    bool on_data(instant now, std::uint32_t max, std::uint32_t rcv_wnd, std::uint32_t rcv_mss, duration idle_limit) {
        if (max == 0) return false;
        if (!started_ || now - last_data_in_ > idle_limit) {
            started_ = true;
            // tcp_incr_quickack: half the window in segments, at least 2, at most max.
            const std::uint32_t n = std::clamp<std::uint32_t>(rcv_wnd / (2 * std::max<std::uint32_t>(rcv_mss, 1)), 2, max);
            budget_ = std::max(budget_, n);
            // After an idle time the exchange starts over (Linux leaves ping-pong when its delayed ACK fires).
            pingpong_ = false;
        }
        last_data_in_ = now;
        if (budget_ == 0 || pingpong_) return false;
        --budget_;  // tcp_dec_quickack_mode: one for each ACK of new data
        return true;
    }
    // We sent data: a reply within the delayed-ACK time of what came in makes the exchange interactive.
    void on_data_sent(instant now, duration delayed_ack) {
        if (started_ && now - last_data_in_ < delayed_ack) pingpong_ = true;
    }
    // The delayed-ACK timer fired: an exchange that was interactive is not any more (tcp_delack_timer_handler).
    void on_delayed_ack() { pingpong_ = false; }

private:
    instant last_data_in_{};
    std::uint32_t budget_ = 0;
    bool started_ = false, pingpong_ = false;
};

// The sequence numbers after which a segment carries PSH (each the end of a
// segment), oldest first; a fixed number of them (no allocation): when full,
// the oldest goes, its data then pushed with the next mark's.
class push_marks {
public:
    static constexpr std::size_t capacity = 32;

    // A write of the bytes [start, end) (first transmission not yet made);
    // mss: the size of the segments it will leave in; max_window: the
    // largest window the peer offered; end_pushed: false for a write with
    // MSG_MORE (tcp_push marks no PSH for it; forced pushes still count).
    // skb_goal (bytes, 0: none): the write is cut into pieces of this size,
    // each ending with a mark; a piece still unsent (`unsent_tail`: the
    // previous write's end has not left yet) is filled up first, as Linux
    // appends to the last skb of its write queue.
    void on_write(seq32 start, seq32 end, std::uint32_t mss, std::uint32_t max_window, bool end_pushed = true,
                  std::uint32_t skb_goal = 0, bool unsent_tail = false) {
        if (!(start < end)) return;
        if (!started_) pushed_ = start, started_ = true;
        if (skb_goal > 0) {
            // Every skb boundary is marked, so forced pushes (taken there) are among them.
            if (!unsent_tail || !piece_started_) piece_ = start, piece_started_ = true;
            for (seq32 at = piece_ + skb_goal; at < end; at += skb_goal) {
                if (start < at) add(at);
                piece_ = at;
            }
        } else {
            for (seq32 at = start + std::max<std::uint32_t>(mss, 1); at < end; at += std::max<std::uint32_t>(mss, 1))
                if (static_cast<std::uint32_t>(at - pushed_) > max_window / 2) add(at);  // forced_push
        }
        if (end_pushed) add(end);
    }
    // Linux's TSO size goal for a write (tcp_xmit_size_goal of the kernels
    // packetdrill's corpus was recorded on), in whole segments: half a
    // millisecond at the pacing rate, which is ratio·max(cwnd, flight)/SRTT
    // with ratio 2 in slow start below ssthresh/2, else 1.2 (unlimited
    // before an RTT sample); at least 2 segments (tcp_min_tso_segs), at
    // most 64 KB less the headers, and half the largest window.
    static std::uint32_t skb_size_goal(std::uint32_t mss, std::uint32_t cwnd, std::uint32_t ssthresh,
                                       std::uint32_t flight, std::optional<duration> srtt, std::uint32_t max_window) {
        mss = std::max<std::uint32_t>(mss, 1);
        constexpr std::uint64_t gso_max = 65536 - 1 - 40;
        std::uint64_t goal = gso_max;
        const auto srtt_us = srtt ? std::chrono::duration_cast<std::chrono::microseconds>(*srtt).count() : 0;
        if (srtt_us > 0) {
            const std::uint64_t ratio_x1000 = cwnd < ssthresh / 2 ? 2000 : 1200;
            // rate/2000 bytes = ratio · W / SRTT / 2000, SRTT in µs: ratio · W · 500 / SRTT.
            goal = ratio_x1000 * std::max(cwnd, flight) / 2 / static_cast<std::uint64_t>(srtt_us);
        }
        goal = std::min(std::max<std::uint64_t>(goal, 2ull * mss), gso_max);
        // tcp_bound_to_half_wnd
        const std::uint32_t cutoff = max_window > 536 ? max_window / 2 : max_window;
        if (cutoff > 0 && goal > cutoff) goal = cutoff;
        return std::max<std::uint32_t>(static_cast<std::uint32_t>(goal / mss), 1) * mss;
    }
    // True if the segment [seq, end) is to carry PSH.
    [[nodiscard]] bool push(seq32 seq, seq32 end) const noexcept {
        for (std::size_t i = 0; i < count_; ++i) {
            const seq32 m = marks_[(head_ + i) % capacity];
            if (seq < m && m <= end) return true;
        }
        return false;
    }
    // Linux's last segment of a slow-start burst that the congestion or peer
    // window cuts short carries PSH too: true if, after `len` more bytes, data is
    // still queued and neither window has room for its next segment.
    static bool window_ends_burst(std::uint32_t queued, std::uint32_t pipe, std::uint32_t in_flight,
                                  std::uint32_t cwnd, std::uint32_t snd_wnd, std::uint32_t mss, std::uint32_t len) {
        if (queued <= len) return false;
        const std::uint32_t next = std::min(queued - len, mss);
        const auto room = [&](std::uint32_t limit, std::uint32_t used) { return limit > used ? limit - used : 0u; };
        return std::min(room(cwnd, pipe + len), room(snd_wnd, in_flight + len)) < next;
    }
    // Everything up to una is acknowledged.
    void on_ack(seq32 una) {
        while (count_ > 0 && marks_[head_] <= una) head_ = (head_ + 1) % capacity, --count_;
    }

private:
    void add(seq32 at) {
        pushed_ = at;
        if (count_ == capacity) head_ = (head_ + 1) % capacity, --count_;
        marks_[(head_ + count_) % capacity] = at;
        ++count_;
    }

    std::array<seq32, capacity> marks_{};
    std::size_t head_ = 0, count_ = 0;
    seq32 pushed_;
    seq32 piece_;  // where the last (unfinished) skb-sized piece began
    bool started_ = false, piece_started_ = false;
};

class tail_loss_probe {
public:
    // New data left at `now` from `seq`, or an ACK advanced with data in
    // flight (seq unchanged): when the probe goes, if one may.
    void arm(instant now, std::optional<duration> srtt, bool one_segment, duration rto_min, std::optional<instant> rto_at) {
        at_.reset();
        if (outstanding_ || !srtt) return;  // without an RTT sample Linux waits 1 s: the RTO's own
        using namespace std::chrono_literals;
        instant t = now + 2 * *srtt + (one_segment ? rto_min : duration{2ms});
        if (rto_at && *rto_at < t) t = *rto_at;
        at_ = t;
    }
    void on_new_data(seq32 seq) { last_seq_ = seq; }
    void cancel() { at_.reset(); }
    [[nodiscard]] bool due(instant now) const noexcept { return at_ && now >= *at_; }
    // The probe goes now; none again until an ACK reaches `high` (snd.max).
    void fired(seq32 high) {
        at_.reset();
        outstanding_ = true;
        high_ = high;
    }
    void on_ack(seq32 una) {
        if (outstanding_ && !(una < high_)) outstanding_ = false;
    }
    [[nodiscard]] std::optional<instant> at() const noexcept { return at_; }
    [[nodiscard]] seq32 last_segment() const noexcept { return last_seq_; }

private:
    std::optional<instant> at_;
    seq32 last_seq_, high_;
    bool outstanding_ = false;
};

}  // namespace l4::tcp
