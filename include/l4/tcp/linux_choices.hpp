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
//                show Linux doing).
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
    void on_write(seq32 start, seq32 end, std::uint32_t mss, std::uint32_t max_window, bool end_pushed = true) {
        if (!(start < end)) return;
        if (!started_) pushed_ = start, started_ = true;
        for (seq32 at = start + std::max<std::uint32_t>(mss, 1); at < end; at += std::max<std::uint32_t>(mss, 1))
            if (static_cast<std::uint32_t>(at - pushed_) > max_window / 2) add(at);  // forced_push
        if (end_pushed) add(end);
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
    bool started_ = false;
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
