// One TCP connection as a state machine (RFC 9293), sans-IO: it never
// touches a link and never reads a clock.
//
// How to drive it (the endpoint does this; tests do it by hand):
//   inputs        on_segment(seg, now) for every segment of this 4-tuple,
//                 whose checksum the caller has verified;
//   commands      send(bytes), recv(buffer), shutdown(), close(), abort();
//   outputs       poll_transmit(now, emit) hands out every segment that may
//                 leave now, as tcp::segment values; copy_payload() fills a
//                 segment's data from the send buffer;
//   time          next_deadline() says when poll_transmit must run again
//                 even if nothing arrives. A poll before that does nothing
//                 extra; a late one catches up.
// After every input or command, call poll_transmit.
//
// Composed from a congestion algorithm (congestion/concept.hpp), a sender
// flow policy and a receive-window policy (flow/concept.hpp); it calls only
// their concepts.
//
// Reading list
//   RFC 9293 §3.3.2 states, §3.4 sequence numbers, §3.10.7 segment arrival
//   RFC 6298 retransmission timer; RFC 5681 congestion control and fast
//   retransmit; RFC 6582 partial ACKs; RFC 1122 §4.2.3.2 delayed ACKs;
//   RFC 9293 §3.8.6.1 zero-window probing; RFC 5961 §3-4 challenge ACKs;
//   RFC 7323 window scale, timestamps and PAWS (options.hpp); RFC 9293
//   §3.8.4 keep-alive; §3.8.3 the user timeout; RFC 3168 ECN (ecn.hpp);
//   RFC 8985 §6 RACK loss detection (rack.hpp) and RFC 6937 proportional
//   rate reduction (prr.hpp), when the config asks; RFC 7413 TCP Fast Open,
//   the client's half (fast_open.hpp), when the endpoint sets it up.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/delivery_rate.hpp>
#include <l4/congestion/send_quantum.hpp>
#include <l4/congestion/trace.hpp>
#include <l4/core/byte_ring.hpp>
#include <l4/core/error.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/shared_callable.hpp>
#include <l4/core/time.hpp>
#include <l4/flow/concept.hpp>
#include <l4/tcp/config.hpp>
#include <l4/tcp/ecn.hpp>
#include <l4/tcp/fast_open.hpp>
#include <l4/tcp/linux_choices.hpp>
#include <l4/tcp/options.hpp>
#include <l4/tcp/prr.hpp>
#include <l4/tcp/rack.hpp>
#include <l4/tcp/reassembly.hpp>
#include <l4/tcp/rto.hpp>
#include <l4/tcp/segment.hpp>
#include <l4/tcp/state.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

namespace l4::tcp {

// Takes in-order bytes as they arrive and returns how many it took
// (connection::set_recv_handler). It may own what cannot be copied
// (core/shared_callable.hpp).
using recv_handler = callback<std::size_t(bytes)>;

template <class Congestion, class Sender, class Receiver>
class connection {
public:
    // Active open: SYN-SENT, the SYN leaves at the next poll_transmit.
    connection(const config& cfg, seq32 iss, instant now)
        : cfg_{cfg}, send_buf_{cfg.send_buffer}, recv_buf_{cfg.receive_buffer, cfg.reassembly_ranges}, rto_{cfg.rto},
          opts_{cfg.offer, cfg.receive_buffer, ts_offset_for(iss)}, iss_{iss},
          snd_una_{iss}, snd_nxt_{iss}, snd_wl2_{iss}, snd_max_{iss}, created_{now}, now_{now}, idle_since_{now} {
        state_ = state::syn_sent;
        snd_mss_ = cfg.default_peer_mss;
        ecn_.mode = cfg.ecn;
        ecn_.recover = iss;
    }

    // Passive open from a listener: the peer's SYN moves us to SYN-RECEIVED.
    template <class Repr>
    connection(const config& cfg, seq32 iss, const Repr& syn, instant now) : connection(cfg, iss, now) {
        state_ = state::syn_received;
        take_syn(syn);
        ecn_.on_syn(syn.flags.has(wire::tcp_flags::ece), syn.flags.has(wire::tcp_flags::cwr));  // RFC 3168 §6.1.1
    }

    // --- the application's commands -------------------------------------

    // Queues what fits in the send buffer. Errors: not_connected (before
    // the handshake completes the data still queues: RFC 9293 §3.10.2), and
    // after shutdown or reset.
    // `more` (MSG_MORE): more data follows at once, so a short segment of
    // this write waits for it, as under config::cork, until a write without
    // it, an arriving segment, push(), or the override timeout (one RTO).
    [[nodiscard]] result<std::size_t> send(bytes data, bool more = false) {
        if (const errc e = write_refused(); e != errc::ok) return e;
        if (fo_.deferred) data = fast_open_first_write(data);
        const std::size_t n = below_notsent_lowat() ? send_buf_.push(data) : 0;
        if (n == 0 && !data.empty()) return errc::would_block;
        more_ = more;
        if (cfg_.push_per_write) {
            const seq32 end = data_front() + static_cast<std::uint32_t>(send_buf_.size());
            const seq32 start = end - static_cast<std::uint32_t>(n);
            // Linux paces (and so sizes skbs) from the first ACK of data on; before it a write goes whole.
            const bool data_acked = static_cast<std::uint32_t>(snd_una_ - iss_) > 1;
            const std::uint32_t goal =
                cfg_.push_per_skb ? push_marks::skb_size_goal(snd_mss_, cwnd(), cc_.ssthresh(), in_flight(),
                                                              data_acked ? rto_.srtt() : std::nullopt, max_snd_wnd_)
                                  : 0;
            push_marks_.on_write(start, end, snd_mss_, max_snd_wnd_, !more, goal, snd_max_ < start);
        }
        return n;
    }

    // Writes in place: f(mut_bytes) is handed up to `max` bytes of the send
    // buffer's free space where they lie (up to where its storage wraps),
    // fills what it likes from the front and returns how many; those are
    // queued as send() queues them, with no copy. Errors as send(); and
    // would_block when there is no room (or TCP_NOTSENT_LOWAT holds writes
    // back) and max > 0, f not called.
    template <class F>
        requires std::is_invocable_r_v<std::size_t, F&, mut_bytes>
    [[nodiscard]] result<std::size_t> send_in_place(std::size_t max, F&& f, bool more = false) {
        if (const errc e = write_refused(); e != errc::ok) return e;
        if (fo_.deferred) max = std::min<std::size_t>(max, fo_.syn_room);  // what the SYN carries: send() takes no more
        const mut_bytes room = below_notsent_lowat() ? send_buf_.back_span(max) : mut_bytes{};
        if (room.empty()) return max == 0 ? result<std::size_t>{std::size_t{0}} : result<std::size_t>{errc::would_block};
        const std::size_t n = std::min(static_cast<std::size_t>(f(room)), room.size());
        return send(room.first(n), more);  // already where send() puts them: queued without a copy
    }

    // A forced push (TCP_NODELAY set, even while corked: tcp(7)): what is
    // queued leaves at the next poll_transmit, short segment included.
    void push() noexcept {
        more_ = false;
        push_now_ = true;
    }

    // Reads in-order bytes. Zero bytes and no error: the peer has closed its
    // side and everything before its FIN was read.
    [[nodiscard]] result<std::size_t> recv(mut_bytes out) {
        const std::size_t n = recv_buf_.read(out);
        if (n > 0) {
            maybe_window_update();
            return n;
        }
        if (error_ != errc::ok) return error_;
        if (peer_closed()) return std::size_t{0};
        if (state_ == state::closed) return errc::not_connected;
        return errc::would_block;
    }

    // Reads in place: f(bytes) sees the first in-order bytes where they lie
    // (those up to the end of the storage, where the buffer wraps: call again
    // for the rest) and returns how many it consumed (at most as many); those
    // are freed. Returns that count, or as recv() does when nothing is there.
    template <class F>
        requires std::is_invocable_r_v<std::size_t, F&, bytes>
    [[nodiscard]] result<std::size_t> recv_in_place(F&& f) {
        const bytes in = recv_buf_.readable_span();
        if (in.empty()) return recv(mut_bytes{});
        const std::size_t n = std::min(static_cast<std::size_t>(f(in)), in.size());
        recv_buf_.discard(n);
        if (n > 0) maybe_window_update();
        return n;
    }

    // Receives as the bytes arrive: from now on, in-order bytes that find
    // the receive buffer empty go to `h` where they lie in the segment,
    // before any copy; it returns how many it took (at most as many), and
    // the rest is stored for recv() as without it. Bytes behind a hole, or
    // behind bytes still unread, are stored: the stream keeps its order. The
    // window counts only what is stored. lwIP's tcp_recv, without the pbuf.
    // `h` runs inside the host's poll: it must not call the host. An empty
    // `h` stops it.
    void set_recv_handler(recv_handler h) { recv_handler_ = std::move(h); }

    // Half-close: a FIN follows the queued data (RFC 9293 §3.10.4).
    result<void> shutdown() {
        if (error_ != errc::ok) return error_;
        if (fin_queued_) return {};
        // As shutdown(2): not before the connection is, and not after it is gone.
        if (!(state_ == state::syn_received || may_send_data(state_))) return errc::not_connected;
        fin_queued_ = true;
        fin_seq_ = iss_ + 1 + static_cast<std::uint32_t>(acked_data_ + send_buf_.size());
        return {};
    }

    // Graceful close: shutdown, and data that arrives afterwards resets the
    // connection (RFC 9293 §3.10.4: the application cannot read it any more).
    result<void> close() {
        app_closed_ = true;
        if (state_ == state::listen || state_ == state::syn_sent) {  // RFC 9293 §3.10.4: nothing to tell the peer
            enter_closed(errc::ok);
            return {};
        }
        if (state_ == state::closed) return {};
        // RFC 1122 §4.2.2.13: with a half-duplex close, a CLOSE that leaves received data
        // unread SHOULD send RST, to show that data was lost (as data after it does).
        if (recv_buf_.readable() > 0 && synchronized(state_) && state_ != state::time_wait) {
            queue_reset(snd_max_, rcv_nxt_);
            reset_->options.ts = opts_.segment_timestamps(now_);  // RFC 7323 §3.2: an RST may carry it
            enter_closed(errc::ok);
            return {};
        }
        return shutdown();
    }

    // RFC 9293 §3.10.5: a reset now, everything queued discarded.
    void abort() {
        if (synchronized(state_) && state_ != state::time_wait) queue_reset(snd_max_);
        enter_closed(errc::ok);
    }

    // An ICMP error about this connection (RFC 1122 §4.2.3.9): a hard one
    // ends a handshake at once; later it is kept, and reported if the
    // connection times out.
    void on_icmp_error(errc e) {
        if (state_ == state::syn_sent || state_ == state::syn_received) enter_closed(e);
        else if (synchronized(state_) && state_ != state::time_wait) soft_error_ = e;
    }

    // A SYN cookie's connection (syn_cookie.hpp), made from the handshake's
    // last ACK: our SYN-ACK left without us, offering a window of what the
    // buffer holds; the ACK itself comes next, through on_segment.
    void syn_ack_sent_statelessly() {
        snd_nxt_ = snd_max_ = iss_ + 1;
        rcv_adv_ = rcv_nxt_ + static_cast<std::uint32_t>(std::min<std::size_t>(recv_buf_.free(), 0xFFFF));
        rcv_adv_sent_ = rcv_adv_;
    }

    // SO_SNDBUF on a live connection: a new send buffer, if the old one is
    // empty (one allocation per call, none per segment).
    bool resize_send_buffer(std::uint32_t capacity) {
        if (send_buf_.size() != 0) return false;
        cfg_.send_buffer = capacity;
        send_buf_ = byte_ring{capacity};
        return true;
    }

    // setsockopt on a live connection: the settings that may change after
    // the handshake (buffers, MSS and the SYN's options may not).
    void update(const config& c) {
        cfg_.nodelay = c.nodelay;
        if (cfg_.cork && !c.cork) more_ = false;  // uncorked: what waits goes as the send decision allows
        cfg_.cork = c.cork;
        cfg_.ip = c.ip;
        cfg_.delayed_ack = c.delayed_ack;
        cfg_.max_retransmissions = c.max_retransmissions;
        cfg_.user_timeout = c.user_timeout;
        if (c.keepalive && !cfg_.keepalive) idle_since_ = now_;
        cfg_.keepalive = c.keepalive;
        cfg_.keep_idle = c.keep_idle;
        cfg_.keep_interval = c.keep_interval;
        cfg_.keep_count = c.keep_count;
    }

    // RFC 7413: this connection's SYN asks for a cookie (none cached) or
    // carries `cookie` with data, as much as the server's cached MSS allows
    // (`peer_mss`; 0: not known). `defer` (TCP_FASTOPEN_CONNECT, with a
    // cookie): nothing leaves until the first write, whose data the SYN
    // carries. Before the first poll_transmit.
    void use_fast_open(std::optional<wire::fast_open_cookie> cookie, std::uint16_t peer_mss, bool defer) noexcept {
        if (state_ != state::syn_sent || snd_max_ != iss_) return;
        fo_.enabled = true;
        fo_.cookie = cookie;
        fo_.deferred = defer && cookie.has_value();
        fo_.syn_room = cookie ? fast_open_syn_room(cfg_.mss, peer_mss ? peer_mss : cfg_.mss) : 0;
    }
    [[nodiscard]] const fast_open_client& fast_open() const noexcept { return fo_; }
    // What the SYN-ACK (or the SYN's timeout) taught about the server, once.
    [[nodiscard]] std::optional<fast_open_report> take_fast_open_report() noexcept {
        return std::exchange(fo_.report, std::nullopt);
    }

    // --- segments in -------------------------------------------------------

    // Where the payload of a segment starting at `seq` would land if it is
    // accepted: the endpoint copies it there as it verifies the checksum and
    // hands on_segment a payload that already lies in place. Empty where that
    // cannot be (not in order, data not expected, the place wraps); anything
    // written there by a segment that is then refused stays beyond rcv.nxt,
    // in space that holds nothing yet. Empty too where the receive handler
    // takes in-order bytes: they are verified where they lie in the frame and
    // handed over there, and only those it leaves are copied.
    [[nodiscard]] mut_bytes in_order_slot(seq32 seq, std::size_t len) {
        if (seq != rcv_nxt_ || !may_receive_data(state_) || app_closed_ || handler_takes_in_order()) return {};
        return recv_buf_.in_order_slot(len);
    }

    // `seg` is a parsed segment of this 4-tuple (wire::basic_tcp_repr), its
    // checksum verified; `ip_ecn` the ECN codepoint its IP header carried.
    // `in_receive_batch`: the stack's receive pass is under way, and its send
    // pass follows (config::ack_coalescing acknowledges in-order data there).
    template <class Repr>
    void on_segment(const Repr& seg, instant now, std::uint8_t ip_ecn = tcp::ip_ecn::not_ect,
                    bool in_receive_batch = false) {
        ++counters_.segments_in;
        now_ = now;
        batch_continues_ = in_receive_batch && cfg_.ack_coalescing > 0;
        more_ = false;  // MSG_MORE held a write's tail at that write only: an arrival sends as the socket's settings say
        rx_ecn_ = ip_ecn;
        if (state_ == state::closed) return;
        if (state_ == state::syn_sent) return on_segment_syn_sent(seg, now);
        on_segment_synchronized(seg, now);
    }

    // --- segments out ------------------------------------------------------

    // Hands every segment that may leave now to emit(const segment&), after
    // running the timers that are due.
    template <class Emit>
    [[gnu::hot]] void poll_transmit(instant now, Emit&& emit) {
        now_ = std::max(now_, now);
        if (ack_at_batch_end_) {
            ack_now_ = true;
            advertise();
        }
        run_timers(now);
        if (reset_) {
            if (reset_->options.ts) reset_->options.ts = opts_.segment_timestamps(now);  // its TSval: when it leaves
            emit(*reset_);
            ++counters_.segments_out;
            reset_.reset();
            return;
        }
        if (state_ != state::established) {  // ESTABLISHED, every data segment's, passes none of these
            if (state_ == state::closed || state_ == state::listen || state_ == state::time_wait) {
                if (ack_now_ && state_ == state::time_wait) send_ack(emit, now);
                return;
            }
            // RFC 9293 §3.10.7.4: in SYN-RECEIVED the answer to a repeated SYN is our SYN-ACK again.
            if (state_ == state::syn_received && ack_now_) snd_nxt_ = iss_;
            if ((state_ == state::syn_sent || state_ == state::syn_received) && snd_nxt_ == iss_)
                return send_syn(emit, now);
            if (!synchronized(state_) || state_ == state::syn_received) {
                ack_now_ = fast_retransmit_ = probe_now_ = false;  // nothing of the kind exists yet
                return;
            }
        }
        bool sent = false;
        if (fast_retransmit_) {
            fast_retransmit_ = false;
            // Only what was sent: a retransmission never carries new data.
            const auto sent_len = std::min<std::uint32_t>(snd_mss_, static_cast<std::uint32_t>(snd_max_ - snd_una_));
            if (auto* s = sent_len > 0 ? data_segment(snd_una_, sent_len) : nullptr) {
                mark_resent_push(*s);
                put(emit, *s, now);
                ++counters_.retransmits_fast;
                high_rxt_ = std::max(high_rxt_, s->seq + s->payload_len);
                sent = true;
            }
        }
        std::optional<std::uint32_t> pipe_now;
        if (in_recovery_ && scoreboard_active()) {
            const auto r = retransmit_lost(emit, now);
            sent |= r.sent;
            pipe_now = r.pipe;
        }
        pace_at_ = std::optional<instant>{};  // a plain store: reset() tests first
        // Nothing queued (a receiver's pass after every data segment): a policy that says how it
        // would take the state (flow::idle_aware_sender) is told of the window, not asked.
        if (idle()) {
            note_app_limited(0);
        } else {
            flow::send_state st = send_state(pipe_now);
            bool again = false;  // a segment of this loop is in tx_seg_, without a D-SACK block
            while (true) {
                const std::uint32_t allowed = sender_.may_send(st);
                if (allowed == 0) {
                    note_app_limited(st.queued);
                    break;
                }
                if (next_send_ > now) {  // an algorithm that paces: not before the rate allows
                    pace_at_ = next_send_;
                    break;
                }
                std::uint32_t len = std::min<std::uint32_t>(allowed, snd_mss_);
                if (snd_nxt_ < snd_max_ && scoreboard_active()) {
                    // RFC 6675 §5.1: going back after a timeout, what the peer holds is not sent again.
                    const auto& board = scoreboard();
                    if (const auto* held = board.find(snd_nxt_)) {
                        snd_nxt_ = std::min(held->right, snd_max_);
                        st = send_state();
                        continue;
                    }
                    const auto* queued = cfg_.resend_whole_segment ? rack_.find(snd_nxt_) : nullptr;
                    if (queued) {
                        // As Linux: a segment the peer holds only part of goes again whole.
                        len = std::min(len, static_cast<std::uint32_t>(queued->end - snd_nxt_));
                    } else if (const auto next = board.next_sacked(snd_nxt_)) {
                        len = std::min(len, static_cast<std::uint32_t>(*next - snd_nxt_));
                    }
                }
                const bool dsack = dsack_.has_value();
                auto* s = data_segment(snd_nxt_, len, again);
                if (!s) break;
                again = !dsack;
                if (s->seq >= snd_max_) mark_new_data(*s);
                if (cfg_.push_per_write ? push_marks_.push(s->seq, s->seq + s->payload_len) ||
                                              (s->seq >= snd_max_ && window_ends_burst(s->payload_len))
                                        : static_cast<std::uint32_t>(s->payload_offset) + s->payload_len == send_buf_.size())
                    s->flags.bits |= wire::tcp_flags::psh;  // the last byte queued (or, as Linux, written)
                else if (cfg_.push_per_write && override_now_)
                    s->flags.bits |= wire::tcp_flags::psh;  // as Linux's tcp_write_wakeup, what the override timeout sends
                // As Linux (config::fin_with_data): the FIN rides on the segment with the last byte.
                const bool fin = cfg_.fin_with_data && fin_queued_ && s->seq + s->payload_len == fin_seq_;
                if (fin) s->flags.bits |= wire::tcp_flags::fin;
                // New data from snd.max moves only snd.nxt and snd.max: no byte past snd.max is SACKed, so pipe
                // (RFC 6675's SetPipe in recovery too) grows by the segment as in_flight does. In recovery RACK's
                // marks, which pipe leaves out, may change as it records the segment: there, and for anything
                // else, the state is built again.
                const bool new_data = s->seq == snd_max_;
                const bool at_edge = new_data && !(in_recovery_ && rack_active());
                if (new_data) put<true>(emit, *s, now, st.pipe);
                else put(emit, *s, now, st.pipe);
                snd_nxt_ += s->payload_len;
                pace(s->payload_len, now);
                sent = true;
                if (fin) {
                    fin_sent();
                    break;
                }
                if (at_edge) {
                    st.in_flight += s->payload_len;
                    st.queued -= s->payload_len;
                    if (st.pipe) *st.pipe += s->payload_len;
                } else {
                    st = send_state();
                }
            }
        }
        if (fin_queued_ && snd_nxt_ == fin_seq_ && may_send_fin()) {
            send_fin(emit, now);
            sent = true;
        }
        arm_persist(now);
        if (probe_now_) {
            probe_now_ = false;
            send_probe(emit, now);
            sent = true;
        }
        if (keepalive_now_) {
            keepalive_now_ = false;
            ++counters_.keepalive_probes;
            put(emit, header(snd_una_ - 1), now);
            sent = true;
        }
        if (std::exchange(tlp_now_, false)) sent |= send_tail_probe(emit, now);
        if (!sent && ack_now_) send_ack(emit, now);
    }

    // The earliest of the retransmission, delayed-ACK, persist, keep-alive
    // and TIME-WAIT timers, or nullopt.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept {
        instant d{};
        if (!next_deadline(d)) return std::nullopt;
        return d;
    }

    // An ACK is to leave at once: after a read, the window opened enough to
    // be worth a segment (maybe_window_update), so the send pass has work.
    [[nodiscard]] bool ack_due() const noexcept { return ack_now_; }

    // config::ack_coalescing: the segment just taken in belongs to a receive
    // batch that goes on, left the connection established (the endpoint's
    // bookkeeping of a state change is not put off), and called for nothing
    // that must leave before the batch ends.
    [[nodiscard]] bool may_wait_for_batch_end() const noexcept {
        return batch_continues_ && state_ == state::established &&
               !(reset_ || ack_now_ || fast_retransmit_ || probe_now_ || keepalive_now_ || tlp_now_);
    }

    // The same as a flag and a value, for the endpoint after every segment:
    // GCC hands a std::optional<instant> back through memory, its flag stored
    // as a byte and loaded as part of a word (a store-forwarding stall).
    // Inline: the endpoint asks after every send pass.
    [[nodiscard, gnu::always_inline]] bool next_deadline(instant& at) const noexcept {
        if ((reset_ || ack_now_ || fast_retransmit_ || probe_now_ || keepalive_now_ || tlp_now_) && state_ != state::closed) {
            at = created_;
            return true;
        }
        bool any = false;
        const auto take = [&](const std::optional<instant>& t) {
            if (t.has_value() && (!any || *t < at)) {
                at = *t;
                any = true;
            }
        };
        take(rto_at_);
        take(delack_at_);
        take(persist_at_);
        take(time_wait_at_);
        if (cfg_.keepalive) take(keepalive_due());
        take(pace_at_);
        if (tlp_enabled()) take(tlp_.at());
        if (rack_active()) take(rack_.timer());
        return any;
    }

    // The bytes of a segment handed out by poll_transmit.
    std::size_t copy_payload(const segment& s, mut_bytes out) const {
        return send_buf_.peek(s.payload_offset, out.first(std::min<std::size_t>(out.size(), s.payload_len)));
    }
    // The same bytes where they lie in the send buffer: one span, or two
    // where the ring wraps (for a caller that sums them as it copies).
    [[nodiscard]] std::pair<bytes, bytes> payload(const segment& s) const noexcept {
        return send_buf_.spans(s.payload_offset, s.payload_len);
    }

    // --- what the application and the stack may ask -------------------------

    [[nodiscard]] tcp::state current_state() const noexcept { return state_; }
    [[nodiscard]] errc error() const noexcept { return error_; }
    [[nodiscard]] bool established() const noexcept { return synchronized(state_) && state_ != state::syn_received; }
    [[nodiscard]] bool readable() const noexcept {
        return recv_buf_.readable() > 0 || peer_closed() || error_ != errc::ok;
    }
    [[nodiscard]] bool writable() const noexcept {
        return (may_send_data(state_) || fo_.deferred) && !fin_queued_ && send_buf_.free() > 0 && below_notsent_lowat();
    }
    // Bytes queued and never sent, not even once (TCP_NOTSENT_LOWAT counts these).
    [[nodiscard]] std::uint32_t unsent() const noexcept { return queued_past(snd_max_); }
    // Nothing left to send or acknowledge: a closed connection may be freed.
    [[nodiscard]] bool finished() const noexcept { return state_ == state::closed && !reset_; }
    [[nodiscard]] std::size_t send_queue() const noexcept { return send_buf_.size(); }
    [[nodiscard]] std::size_t recv_queue() const noexcept { return recv_buf_.readable(); }
    [[nodiscard]] const counters& stats() const noexcept { return counters_; }
    [[nodiscard]] const Congestion& congestion() const noexcept { return cc_; }
    [[nodiscard]] const rto_estimator& rto() const noexcept { return rto_; }
    [[nodiscard]] const negotiated_options& options() const noexcept { return opts_; }
    [[nodiscard]] ip_header_options ip_options() const noexcept { return cfg_.ip; }
    [[nodiscard]] const config& settings() const noexcept { return cfg_; }
    [[nodiscard]] const ecn_state& ecn() const noexcept { return ecn_; }
    [[nodiscard]] seq32 snd_una() const noexcept { return snd_una_; }
    [[nodiscard]] seq32 snd_nxt() const noexcept { return snd_nxt_; }
    [[nodiscard]] seq32 rcv_nxt() const noexcept { return rcv_nxt_; }
    [[nodiscard]] std::uint32_t snd_wnd() const noexcept { return snd_wnd_; }
    [[nodiscard]] std::uint32_t snd_mss() const noexcept { return snd_mss_; }
    [[nodiscard]] std::uint32_t in_flight() const noexcept { return static_cast<std::uint32_t>(snd_nxt_ - snd_una_); }
    // False if new data ever left beyond min(cwnd, peer window) (probes aside).
    [[nodiscard]] bool invariants_held() const noexcept { return invariants_ok_ && !(snd_nxt_ < snd_una_); }

private:
    // --- receiving: RFC 9293 §3.10.7, defined in arrival.hpp -----------------

    template <class Repr>
    void take_syn(const Repr& syn);
    template <class Repr>
    void on_segment_syn_sent(const Repr& seg, instant now);
    template <class Repr>
    [[gnu::hot]] void on_segment_synchronized(const Repr& seg, instant now);
    template <class Repr>
    void on_fast_open_syn_ack(const Repr& seg);
    [[nodiscard]] bool acceptable(seq32 seq, std::uint32_t len, std::uint32_t rcv_wnd) const noexcept;
    // Inline into its one caller: a call of its own on every segment.
    template <class Repr>
    [[gnu::always_inline]] inline bool on_ack(const Repr& seg, instant now);
    void on_duplicate_ack(instant now, std::uint32_t flight);
    [[gnu::cold]] void enter_recovery(instant now, std::uint32_t flight);
    [[gnu::hot]] void after_ack(instant now, std::uint32_t delivered, std::uint32_t flight, bool una_advanced, bool dsack);
    [[gnu::cold]] void on_reordering_timer(instant now);
    // Inline: every ACK asks, and most carry no SACK block.
    template <class Repr>
    [[gnu::always_inline]] inline bool new_sack_information(const Repr& seg);
    template <class Repr>
    [[gnu::hot]] bool update_scoreboard(const Repr& seg);
    template <class Repr>
    [[gnu::always_inline]] inline void on_data(const Repr& seg, instant now);
    // Whether the receive handler takes bytes arriving at rcv.nxt where they
    // lie: only when nothing waits in front of them, so that it sees the
    // stream in order (on_data hands them over; in_order_slot then leaves
    // them in the frame).
    [[nodiscard]] bool handler_takes_in_order() const noexcept {
        return recv_handler_ && recv_buf_.readable() == 0 && !recv_buf_.has_out_of_order();
    }
    template <class Repr>
    void on_ecn_arrival(const Repr& seg);
    void on_ecn_echo(instant now, std::uint32_t flight);
    [[gnu::cold]] void challenge();
    [[gnu::cold]] bool limited_ack();

    // --- sending -------------------------------------------------------------

    // Built in tx_seg_, which every segment reuses: a fresh tcp::segment
    // zeroes its 100 bytes (SACK and unknown-kind arrays) each time, and a
    // returned copy moves them again. Valid until the next call.
    [[gnu::hot]] [[nodiscard]] segment& header(seq32 seq) {
        advertise();
        segment& s = tx_seg_;
        // Plain stores (the optionals are trivially copyable): reset() tested each first.
        s.options.mss = {};
        s.options.window_scale = {};
        s.options.sack_permitted = false;
        s.options.sack_count = 0;
        s.options.unknown_count = 0;
        s.payload_offset = s.payload_len = 0;
        s.ecn = segment{}.ecn;  // Not-ECT unless mark_new_data says otherwise
        s.seq = seq;
        s.ack = rcv_nxt_;
        s.flags.bits = wire::tcp_flags::ack;
        if (ecn_.enabled && ecn_.ece_pending) s.flags.bits |= wire::tcp_flags::ece;  // RFC 3168 §6.1.3
        s.window = window_field();
        s.options.ts = opts_.segment_timestamps(now_);
        if (opts_.sack()) {
            // RFC 2883 §4: a duplicate's D-SACK block first, in the next ACK only.
            if (dsack_) s.options.add_sack(*std::exchange(dsack_, std::nullopt));
            // RFC 2018 §4: the block of the latest segment first; the reassembly keeps them in that order.
            recv_buf_.for_each_range(
                [&](std::size_t start, std::size_t end) {
                    s.options.add_sack({rcv_nxt_ + static_cast<std::uint32_t>(start),
                                        rcv_nxt_ + static_cast<std::uint32_t>(end)});
                },
                opts_.max_sack_blocks() - s.options.sack_count);
        }
        return s;
    }

    // header(seq) for the next segment of one send loop, over the previous one's (no D-SACK in it): a
    // send pass receives nothing, so the ACK, the timestamps (now_'s) and the SACK blocks are the same.
    // The window is asked again: a receiver policy may move the edge when asked twice.
    [[nodiscard]] segment& header_again(seq32 seq) {
        advertise();
        segment& s = tx_seg_;
        s.ecn = segment{}.ecn;
        s.seq = seq;
        s.flags.bits = wire::tcp_flags::ack;
        if (ecn_.enabled && ecn_.ece_pending) s.flags.bits |= wire::tcp_flags::ece;
        s.window = window_field();
        return s;
    }

    // The window field: rcv.nxt to the right edge, scaled down (RFC 7323
    // §2.3), rounded up so that the edge the peer computes never moves left.
    [[nodiscard]] std::uint16_t window_field() {
        const std::uint8_t shift = opts_.rcv_wscale();
        const auto room = static_cast<std::uint32_t>(std::max<std::int32_t>(rcv_adv_ - rcv_nxt_, 0));
        const std::uint32_t field = std::min<std::uint32_t>((room + (1u << shift) - 1) >> shift, 0xFFFF);
        if (rcv_nxt_ + (field << shift) > rcv_adv_) rcv_adv_ = rcv_nxt_ + (field << shift);
        rcv_adv_sent_ = rcv_nxt_ + (field << shift);
        return static_cast<std::uint16_t>(field);
    }

    // The receive window, from the policy; the right edge never moves left.
    void advertise() {
        if (!synchronized(state_) && state_ != state::syn_received) return;
        const auto room = static_cast<std::uint32_t>(std::max<std::int32_t>(rcv_adv_ - rcv_nxt_, 0));
        // The MSS the peer's segments actually carry: ours less the options each bears (timestamps).
        const std::uint32_t rcv_mss = cfg_.mss - std::min<std::uint32_t>(cfg_.mss - 1, opts_.fixed_options_len());
        flow::receive_state rs{static_cast<std::uint32_t>(recv_buf_.free()),
                               static_cast<std::uint32_t>(recv_buf_.capacity()), rcv_mss, room};
        const std::uint8_t shift = opts_.rcv_wscale();
        // Whole units of the scale, so that scaling down loses nothing.
        const std::uint32_t wnd = (std::min<std::uint32_t>(receiver_.window(rs), 0xFFFFu << shift) >> shift) << shift;
        if (rcv_nxt_ + wnd > rcv_adv_) rcv_adv_ = rcv_nxt_ + wnd;
    }

    // RFC 7323 §2.3: every window but a SYN's is scaled.
    template <class Repr>
    [[nodiscard]] std::uint32_t peer_window(const Repr& seg) const noexcept {
        return static_cast<std::uint32_t>(seg.window) << opts_.snd_wscale();
    }

    // After a read: tell the peer when the window opened enough to matter.
    // As Linux (tcp_cleanup_rbuf): when the window the peer last heard of is
    // at most half the buffer and the read at least doubles it. A window that
    // is still wide reaches the peer on the next ACK: an update of its own
    // would only cost a segment each way (a bulk receiver that keeps up sent
    // one for every few data segments).
    void maybe_window_update() {
        if (!may_receive_data(state_)) return;
        // Against the edge the peer last heard of: advertise() may have moved ours since without a segment.
        const auto before = static_cast<std::uint32_t>(std::max<std::int32_t>(rcv_adv_sent_ - rcv_nxt_, 0));
        const seq32 edge = rcv_adv_;
        advertise();
        const auto after = static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_);
        if (after > before && 2 * std::uint64_t{before} <= recv_buf_.capacity() && after >= 2 * std::uint64_t{before})
            ack_now_ = true;
        else
            rcv_adv_ = edge;  // unsent, so unpromised: a rule that opens byte by byte must not creep the edge
    }

    [[nodiscard]] seq32 data_front() const noexcept { return iss_ + 1 + static_cast<std::uint32_t>(acked_data_); }

    // A segment of up to `len` bytes of data from `seq`, or nothing if the buffer has none there.
    // In header()'s tx_seg_, valid until the next segment is built. `again`: tx_seg_ holds the send
    // loop's previous segment, whose header this one shares (header_again).
    [[nodiscard, gnu::always_inline]] segment* data_segment(seq32 seq, std::uint32_t len, bool again = false) {
        const auto offset = static_cast<std::uint32_t>(seq - data_front());
        if (offset >= send_buf_.size()) return nullptr;
        segment& s = again ? header_again(seq) : header(seq);
        const std::uint32_t sack_len = s.options.sack_count ? 4 + 8u * s.options.sack_count : 0;
        len = std::min(len, std::max<std::uint32_t>(snd_mss_ - std::min(snd_mss_, sack_len), 1));
        s.payload_offset = offset;
        s.payload_len = std::min<std::uint32_t>(len, static_cast<std::uint32_t>(send_buf_.size() - offset));
        return &s;
    }

    // RFC 3168 §6.1.2, §6.1.5: a first transmission of data is ECT(0), and
    // the first one after a window reduction carries CWR.
    void mark_new_data(segment& s) noexcept {
        s.ecn = ecn_.codepoint(true);
        if (ecn_.enabled && ecn_.cwr_pending) {
            ecn_.cwr_pending = false;
            s.flags.bits |= wire::tcp_flags::cwr;
            ++counters_.cwr_sent;
        }
    }

    // Inline: the send pass builds it once; as a call it came back through memory and was unpacked again.
    // `pipe_now`: pipe(), where the caller has just measured it.
    [[nodiscard, gnu::always_inline]] flow::send_state send_state(
        std::optional<std::uint32_t> pipe_now = {}) const noexcept {
        return {in_flight(), snd_wnd_, cwnd(), snd_mss_, queued(), cfg_.nodelay, fin_queued_, override_now_ || push_now_,
                scoreboard_active() ? std::optional<std::uint32_t>{pipe_now ? *pipe_now : pipe()} : std::nullopt,
                cfg_.cork || more_};
    }
    // The bytes queued past snd.nxt (send_state().queued), without the
    // scoreboard walk that send_state's pipe costs.
    [[nodiscard]] std::uint32_t queued() const noexcept { return queued_past(snd_nxt_); }
    // The send buffer's bytes from `seq` on.
    [[nodiscard]] std::uint32_t queued_past(seq32 seq) const noexcept {
        const auto size = static_cast<std::uint32_t>(send_buf_.size());
        return size - std::min(static_cast<std::uint32_t>(seq - data_front()), size);
    }

    // Why a write may queue nothing at all: the connection's error, or
    // not_connected (after shutdown, or in a state that takes no data); ok otherwise.
    [[nodiscard]] errc write_refused() const noexcept {
        if (error_ != errc::ok) return error_;
        if (fin_queued_ || !(state_ == state::syn_sent || state_ == state::syn_received || may_send_data(state_)))
            return errc::not_connected;
        return errc::ok;
    }

    [[nodiscard]] bool below_notsent_lowat() const noexcept {
        return cfg_.notsent_lowat == 0 || unsent() < cfg_.notsent_lowat;
    }

    // In slow start, after `len` more bytes the windows stop a burst while data waits (Linux marks PSH there).
    [[nodiscard]] bool window_ends_burst(std::uint32_t len) const noexcept {
        if (in_recovery_ || dupacks_ > 0 || cc_.cwnd() >= cc_.ssthresh()) return false;  // not RFC 3042 limited transmit
        const auto st = send_state();
        return push_marks::window_ends_burst(st.queued, st.pipe.value_or(st.in_flight), st.in_flight, cwnd(), snd_wnd_,
                                             snd_mss_, len);
    }

    // As Linux (config::push_per_write): a resent segment keeps the PSH of where a write or skb ended in it.
    void mark_resent_push(segment& s) const noexcept {
        if (cfg_.push_per_write && s.payload_len > 0 && push_marks_.push(s.seq, s.seq + s.payload_len))
            s.flags.bits |= wire::tcp_flags::psh;
    }

    // RFC 8985 §6: RACK needs SACK and a sender policy with a scoreboard.
    [[nodiscard]] bool rack_active() const noexcept { return cfg_.rack && scoreboard_active(); }
    // One record per segment the send buffer can hold at half the usual MSS, within bounds.
    static std::size_t rack_records(const config& c) noexcept {
        return std::clamp<std::size_t>(c.send_buffer / 512 + 16, 64, 4096);
    }

    // RFC 8985 §7 as Linux runs it (linux_choices.hpp): with SACK, outside recovery and timeouts.
    [[nodiscard]] bool tlp_enabled() const noexcept {
        return cfg_.tail_loss_probe && opts_.sack() && !in_recovery_ && retries_ == 0 && established();
    }
    void arm_tail_probe(instant now, seq32 end) {
        const bool one_segment = static_cast<std::uint32_t>(end - snd_una_) <= snd_mss_;
        tlp_.arm(now, rto_.srtt(), one_segment, cfg_.rto.min, rto_at_);
    }
    // The probe: new data if the peer's window takes it (past cwnd), else the last segment again.
    template <class Emit>
    [[gnu::cold]] bool send_tail_probe(Emit& emit, instant now) {
        if (in_flight() == 0 || !tlp_enabled()) return false;
        const auto waiting = queued();
        segment* s = nullptr;
        if (waiting > 0 && snd_nxt_ == snd_max_ && in_flight() + std::min(waiting, snd_mss_) <= snd_wnd_) {
            s = data_segment(snd_nxt_, snd_mss_);
            if (s) mark_new_data(*s);
        } else if (fin_queued_ && snd_max_ == fin_seq_ + 1 && snd_una_ <= fin_seq_) {
            s = &header(fin_seq_);
            s->flags.bits = wire::tcp_flags::fin | wire::tcp_flags::ack;
        } else {
            const seq32 from = std::max(tlp_.last_segment(), snd_una_);
            s = data_segment(from, static_cast<std::uint32_t>(snd_max_ - from));
        }
        if (!s) return false;
        if (s->payload_len > 0 && push_marks_.push(s->seq, s->seq + s->payload_len)) s->flags.bits |= wire::tcp_flags::psh;
        put(emit, *s, now);
        if (s->seq == snd_nxt_) snd_nxt_ += s->seq_len();
        ++counters_.tail_loss_probes;
        tlp_.fired(snd_max_);
        return true;
    }

    // RFC 7413 §4.2: the first SYN carries the cookie, or a request, and
    // with a cookie the data queued, up to the room the cached MSS leaves.
    // A SYN sent again after a timeout carries neither (§4.1.3, as Linux):
    // a middlebox may drop SYNs with data or unknown options.
    void fast_open_syn(segment& s) {
        if (retries_ > 0) {
            if (fo_.syn_data > 0 && !fo_.syn_retransmitted) {
                fo_.report = fast_open_report{};
                fo_.report->syn_lost = true;
            }
            fo_.syn_retransmitted = true;
            return;
        }
        s.options.fast_open = fo_.cookie.value_or(wire::fast_open_cookie{});
        if (!fo_.cookie) return;
        s.payload_offset = 0;
        s.payload_len = std::min<std::uint32_t>(fo_.syn_room, static_cast<std::uint32_t>(send_buf_.size()));
        fo_.syn_data = s.payload_len;
    }
    // The first write of a deferred connection (TCP_FASTOPEN_CONNECT): what
    // the SYN carries is queued, the rest waits for the handshake, as the
    // write of a non-blocking Linux socket.
    [[nodiscard]] bytes fast_open_first_write(bytes data) noexcept {
        fo_.deferred = false;
        return data.first(std::min<std::size_t>(data.size(), fo_.syn_room));
    }

    [[gnu::cold]] void fin_sent() {
        snd_nxt_ += 1;
        if (state_ == state::established) state_ = state::fin_wait_1;
        else if (state_ == state::close_wait) state_ = state::last_ack;
    }

    [[nodiscard]] bool may_send_fin() const noexcept {
        return static_cast<std::uint32_t>(snd_nxt_ - data_front()) == send_buf_.size();
    }

    // A pacing rate, when the algorithm sets one, spaces new data out; the
    // endpoint paces any algorithm. New data leaves in bursts of a send
    // quantum (congestion/send_quantum.hpp), each segment booking
    // bytes / rate; once a quantum is booked, nothing more leaves until the
    // rate has caught up with it. The long-run rate is the pacing rate.
    void pace(std::uint32_t len, instant now) {
        const auto rate = congestion::pacing_rate(cc_);
        if (!rate || *rate == 0) return;
        // The rate changes far less often than segments leave: what depends on it alone is kept.
        if (*rate != pace_.rate || snd_mss_ != pace_.smss) {
            pace_.rate = *rate;
            pace_.smss = snd_mss_;
            pace_.r = static_cast<double>(*rate);
            // In bytes, a byte short: the nanoseconds each segment's time was cut to must not add a segment.
            pace_.burst = congestion::send_quantum(pace_.r, snd_mss_) - 1;
        }
        const double r = pace_.r;
        paced_until_ = std::max(paced_until_, now) +
                       std::chrono::duration_cast<duration>(std::chrono::duration<double>(len / r));
        const double booked = std::chrono::duration<double>(paced_until_ - now).count() * r;
        if (booked >= pace_.burst) next_send_ = paced_until_;
    }

    // --- selective repeat (a sender policy with a scoreboard, SACK negotiated) ---

    static constexpr bool selective = flow::selective_sender<Sender>;
    [[nodiscard]] bool scoreboard_active() const noexcept {
        if constexpr (selective) return opts_.sack();
        return false;
    }
    [[nodiscard]] const flow::scoreboard& scoreboard() const noexcept {
        if constexpr (selective) return sender_.scoreboard();
        static constexpr flow::scoreboard none{};  // never filled: scoreboard_active() is false
        return none;
    }
    // The window new data and retransmissions are measured against. In
    // recovery with a scoreboard, RFC 6675 §5 (4.2) sets cwnd = ssthresh: pipe
    // already leaves out the SACKed segments for which RFC 5681's recovery
    // window adds 3 SMSS and inflates on every duplicate, and partial ACKs
    // shrink pipe, not cwnd. The algorithm's own cwnd returns on exit.
    // Inline: asked on every send pass and for every segment put out.
    [[nodiscard, gnu::always_inline]] std::uint32_t cwnd() const noexcept {
        if (in_recovery_ && cfg_.prr && scoreboard_active()) return prr_cwnd_;  // RFC 6937: pipe at the last ACK + sndcnt
        if (in_recovery_ && scoreboard_active()) return std::min(cc_.cwnd(), cc_.ssthresh());
        return cc_.cwnd();
    }

    // RFC 6675 §5: IsLost(HighACK + 1), unless a timeout's go-back is under way.
    [[nodiscard]] bool sack_says_lost() const noexcept {
        return scoreboard_active() && snd_nxt_ == snd_max_ && snd_una_ < scoreboard().lost_below(snd_una_, snd_mss_);
    }
    // RFC 6675 §4 SetPipe in recovery; outside it, what is in flight and not SACKed.
    // Inline outside recovery: every send pass asks, often more than once.
    [[nodiscard, gnu::always_inline]] std::uint32_t pipe() const noexcept {
        if (!scoreboard_active()) return in_flight();
        if (in_recovery_) return pipe_in_recovery();
        return scoreboard().unsacked(snd_una_, snd_nxt_);
    }
    [[nodiscard, gnu::noinline]] std::uint32_t pipe_in_recovery() const noexcept {
        // RFC 8985 §6: with RACK the lost bytes are those it marked, resent ones back in the network.
        if (rack_active()) return scoreboard().unsacked(snd_una_, snd_max_) - rack_.lost_bytes(scoreboard());
        return scoreboard().pipe(snd_una_, snd_max_, high_rxt_, snd_mss_);
    }

    // RFC 6675 §5 step (C): while cwnd - pipe allows a segment, the next
    // lost hole (NextSeg rule 1) or, with no new data to send, the next
    // unSACKed one below the highest SACKed byte (rule 3).
    // With RACK, the segments it marked lost, oldest first; the first of a
    // recovery goes whatever the window says, as RFC 6675's fast retransmit.
    // Returns whether any left, and the pipe it measured last if nothing left after that.
    struct retransmitted {
        bool sent = false;
        std::optional<std::uint32_t> pipe;
    };
    template <class Emit>
    retransmitted retransmit_lost(Emit& emit, instant now) {
        retransmitted r;
        const std::size_t limit = rack_active() ? rack_.size() + 2 : flow::scoreboard::capacity + 2;
        for (std::size_t guard = 0; guard < limit; ++guard) {
            const std::uint32_t p = pipe();
            r.pipe = p;
            const bool forced = std::exchange(rack_retransmit_, false);
            if (!forced && (cwnd() <= p || cwnd() - p < snd_mss_)) break;
            std::optional<flow::scoreboard::hole> h;
            if (rack_active()) {
                if (const auto r = rack_.next_lost(scoreboard(), cfg_.resend_whole_segment)) h = {{r->start, r->len}};
            } else {
                h = scoreboard().next_lost(high_rxt_, snd_una_, snd_mss_);
                if (!h && queued() == 0) h = scoreboard().next_unsacked(high_rxt_, snd_una_);
            }
            if (!h) break;
            auto* s = data_segment(h->start, std::min(h->len, snd_mss_));
            if (!s) break;
            mark_resent_push(*s);
            put(emit, *s, now);
            ++counters_.retransmits_fast;
            high_rxt_ = std::max(high_rxt_, s->seq + s->payload_len);
            r.sent = true;
            r.pipe.reset();
        }
        return r;
    }

    // A policy told of the window where nothing is queued (flow::idle_aware_sender) is not asked:
    // may_send would answer 0 (flow law 2).
    [[nodiscard]] bool idle() {
        if constexpr (flow::idle_aware_sender<Sender>) {
            if (queued() != 0) return false;
            sender_.on_idle(snd_wnd_);
            return true;
        }
        return false;
    }

    // Delivery-rate estimation §3.4: the application, not the network, stopped us.
    // `queued_now`: queued(), which the send pass knows.
    void note_app_limited(std::uint32_t queued_now) {
        if (!in_recovery_ && queued_now < snd_mss_ && in_flight() < cc_.cwnd())
            rate_.on_app_limited(in_flight());
    }

    // Inline: the test of an observer is on every ACK's path; the record is not.
    [[gnu::always_inline]] void observe(congestion::trace_event e, instant now, std::uint32_t flight) {
        if (cfg_.observer) record(e, now, flight);
    }
    [[gnu::noinline]] void record(congestion::trace_event e, instant now, std::uint32_t flight) {
        cfg_.observer({now, e, cc_.cwnd(), cc_.ssthresh(), rto_.srtt().value_or(duration::zero()), flight,
                       congestion::state_name_of(cc_, in_recovery_), congestion::pacing_rate(cc_)});
    }

    // `pipe_now`: pipe() before `s`, where the caller knows it (RACK's recording `s` may change it).
    // `NewData`: `s` carries data from snd.max, with ACK, and is neither a SYN nor a probe (the send
    // pass's own segments); the tests that settles are left out.
    template <bool NewData = false, class Emit>
    [[gnu::hot]] void put(Emit& emit, const segment& s, instant now, std::optional<std::uint32_t> pipe_now = {}) {
        const bool data = NewData || s.payload_len > 0;
        const bool probe = !NewData && probing_;
        if (data) rate_.on_send(s.seq, s.payload_len, now, in_flight());
        if (data && !probe && scoreboard_active()) {
            rack_.on_send(s.seq, s.seq + s.payload_len, now);
            if (in_recovery_) prr_.on_sent(s.payload_len);
        }
        emit(s);
        ++counters_.segments_out;
        if (NewData || s.has(wire::tcp_flags::ack)) opts_.on_ack_sent(s.ack);
        ack_now_ = ack_at_batch_end_ = false;
        delack_at_ = std::optional<instant>{};
        unacked_segments_ = 0;
        if (!NewData && s.seq_len() == 0) return;
        if (data) quick_ack_.on_data_sent(now, cfg_.delayed_ack);
        if (snd_una_ == snd_max_) una_since_ = now;  // the oldest unacknowledged byte leaves now
        const seq32 end = s.seq + (NewData ? s.payload_len + (s.has(wire::tcp_flags::fin) ? 1u : 0u) : s.seq_len());
        const bool first_transmission = NewData || s.seq >= snd_max_;
        const bool past_max = NewData || end > snd_max_;
        if (NewData || (data && past_max && !probe && !s.has(wire::tcp_flags::syn))) {
            // New data: never beyond min(cwnd, peer window) (RFC 5681 §3.1, RFC 9293 §3.8.6.2.1).
            const auto flight_after = static_cast<std::uint32_t>(end - snd_una_);
            // Outside recovery pipe never exceeds snd.nxt - snd.una: within cwnd by that bound, no walk needed.
            const bool over_cwnd =
                scoreboard_active()
                    ? (in_recovery_ || in_flight() + s.payload_len > cwnd()) &&
                          (pipe_now && !rack_active() ? *pipe_now : pipe()) + s.payload_len > cwnd()
                    : flight_after > cwnd();
            if (over_cwnd || flight_after > snd_wnd_) invariants_ok_ = false;
        }
        if (probe) {
            snd_max_ = std::max(snd_max_, end);  // an ACK of the probe's byte is one of what was sent
            return;
        }
        if (!rto_at_) rto_at_ = now + rto_.rto();
        if (!rtt_timing_ && first_transmission) {
            rtt_timing_ = true;  // Karn: time only a first transmission
            rtt_seq_ = end;
            rtt_sent_ = now;
        } else if (!first_transmission && rtt_timing_ && s.seq < rtt_seq_) {
            rtt_timing_ = false;
        }
        if (past_max && tlp_enabled()) {
            if (data) tlp_.on_new_data(s.seq);
            arm_tail_probe(now, end);
        }
        if (past_max) {
            if (data) counters_.bytes_out += static_cast<std::uint32_t>(end - std::max(s.seq, snd_max_));
            snd_max_ = end;
        }
    }

    // Our SYN or SYN-ACK. Cold: once a connection (or per retransmission),
    // and out of the per-segment path's instruction-cache lines.
    template <class Emit>
    [[gnu::cold]] void send_syn(Emit& emit, instant now) {
        const bool syn_ack = state_ == state::syn_received;
        segment s;
        s.seq = iss_;
        s.ack = syn_ack ? rcv_nxt_ : seq32{0};
        s.flags.bits = wire::tcp_flags::syn | (syn_ack ? wire::tcp_flags::ack : 0);
        // RFC 3168 §6.1.1: ECE|CWR asks, ECE alone answers; §6.1.1.1: a SYN sent again asks no more.
        if (!syn_ack) ecn_.asked = ecn_.requests() && retries_ == 0;
        if (ecn_.asked && !syn_ack) s.flags.bits |= wire::tcp_flags::ece | wire::tcp_flags::cwr;
        if (ecn_.enabled && syn_ack) s.flags.bits |= wire::tcp_flags::ece;
        // RFC 7323 §2.2: a SYN's window is never scaled.
        s.window = static_cast<std::uint16_t>(std::min<std::size_t>(recv_buf_.free(), 0xFFFF));
        if (syn_ack) {
            rcv_adv_ = std::max(rcv_adv_, rcv_nxt_ + s.window);
            rcv_adv_sent_ = rcv_nxt_ + s.window;
        }
        s.options = opts_.syn_options(cfg_.mss, syn_ack, now);
        if (!syn_ack && fo_.enabled) {
            if (fo_.deferred) return;  // TCP_FASTOPEN_CONNECT: the first write sends the SYN
            fast_open_syn(s);
        }
        put(emit, s, now);
        snd_nxt_ = iss_ + 1 + s.payload_len;
    }

    // A FIN of its own (not on the last data segment). Cold: once a connection.
    template <class Emit>
    [[gnu::cold]] void send_fin(Emit& emit, instant now) {
        segment s = header(snd_nxt_);
        s.flags.bits = wire::tcp_flags::fin | wire::tcp_flags::ack;
        put(emit, s, now);
        fin_sent();
    }

    template <class Emit>
    void send_ack(Emit& emit, instant now) {
        // After a timeout's rewind the peer has seen up to snd.max; while the
        // window is closed, a probe's byte beyond it was not taken (BSD's rule).
        put(emit, header(persist_at_ ? snd_nxt_ : snd_max_), now);
    }

    // RFC 9293 §3.8.6.1: one byte past a zero window, so its reopening is
    // heard. The persist timer is its timer: snd.nxt stays (the receiver
    // most likely dropped the byte, and new data must start where it did)
    // and the retransmission timer is not armed for it.
    template <class Emit>
    [[gnu::cold]] void send_probe(Emit& emit, instant now) {
        ++counters_.window_probes;
        auto* s = data_segment(snd_una_, 1);
        if (!s) return;
        probing_ = true;
        put(emit, *s, now);
        probing_ = false;
    }

    [[gnu::cold]] void queue_reset(seq32 seq, std::optional<seq32> ack = {}) {
        segment s;
        s.seq = seq;
        s.flags.bits = wire::tcp_flags::rst;
        if (ack) {
            s.ack = *ack;
            s.flags.bits |= wire::tcp_flags::ack;
        }
        reset_ = s;
    }

    // --- time ------------------------------------------------------------------

    std::optional<duration> rtt_sample(instant now) {
        if (!rtt_timing_ || snd_una_ < rtt_seq_) return std::nullopt;
        rtt_timing_ = false;
        const duration rtt = now - rtt_sent_;
        rto_.on_sample(rtt);
        return rtt;
    }

    // Inline: every send pass runs it, and mostly nothing is due.
    [[gnu::always_inline]] void run_timers(instant now) {
        if (time_wait_at_ && now >= *time_wait_at_) {
            time_wait_at_.reset();
            enter_closed(errc::ok);
            return;
        }
        if (delack_at_ && now >= *delack_at_) {
            delack_at_.reset();
            ack_now_ = true;
            quick_ack_.on_delayed_ack();
        }
        if (tlp_enabled() && tlp_.due(now)) {
            tlp_.cancel();
            tlp_now_ = true;
            rto_at_ = now + rto_.rto();  // RFC 8985 §7.3: the RTO restarts from the probe
        }
        if (rack_active() && rack_.timer_due(now)) on_reordering_timer(now);
        if (rto_at_ && now >= *rto_at_) on_rto(now);
        if (state_ == state::closed) return;
        if (auto k = keepalive_due(); k && now >= *k) on_keepalive(now);
        if (persist_at_ && now >= *persist_at_) {
            // RFC 1122 §4.2.2.17: open for as long as the probes are answered, however long the window stays 0.
            if (++probes_unanswered_ > cfg_.max_retransmissions) {
                enter_closed(errc::timed_out);
                return;
            }
            // A closed window is probed (RFC 9293 §3.8.6.1); one open but too small for the
            // sender's silly-window rule gets what it holds (RFC 1122 §4.2.3.4's override timeout).
            (snd_wnd_ == 0 ? probe_now_ : override_now_) = true;
            persist_backoff_ = std::min<std::uint32_t>(persist_backoff_ + 1, 6);
            persist_at_ = now + std::min(rto_.rto() * (1 << persist_backoff_), cfg_.rto.max);
        }
    }

    // Bytes wait and nothing is in flight, so no ACK will come to reopen the
    // send decision: the persist timer runs (re-armed by every window update,
    // as arrival resets it).
    void arm_persist(instant now) {
        override_now_ = push_now_ = false;
        // The tests that fail on a data segment's pass first: data in flight (a sender's), nothing queued (a receiver's).
        if (in_flight() == 0 && queued() > 0 && !persist_at_ && !pace_at_ && established())
            persist_at_ = now + rto_.rto();
    }

    [[gnu::cold]] void on_rto(instant now) {
        rto_at_.reset();
        tlp_.cancel();
        if (in_flight() == 0) return;
        const bool user_timeout = cfg_.user_timeout > duration::zero() && now - una_since_ >= cfg_.user_timeout;
        if (++retries_ > cfg_.max_retransmissions || user_timeout) {
            enter_closed(errc::timed_out);
            return;
        }
        ++counters_.retransmits_timeout;
        rto_.backoff();  // RFC 6298 §5.5
        rtt_timing_ = false;
        if (synchronized(state_) && state_ != state::syn_received) {
            cc_.on_rto({now, in_flight()});
            observe(congestion::trace_event::rto, now, in_flight());
            ecn_.on_reduced(snd_max_);  // RFC 3168 §6.1.2: a timeout is the window's reduction too
        }
        rate_.on_rto();
        in_recovery_ = false;
        dupacks_ = 0;
        if (established()) rto_recover_ = snd_max_;  // RFC 6582 §4: what was sent before the timeout
        // RFC 2018 §8: the peer may have discarded what it SACKed; a second timeout stops trusting it.
        if constexpr (selective)
            if (retries_ >= 2) sender_.scoreboard().clear();
        rack_.on_rto(retries_ >= 2);
        // RFC 6298 §5.4 and the flow policy: go back to snd.una (the SYN or FIN included).
        if (sender_.on_timeout() == flow::rto_action::from_una || state_ == state::syn_sent ||
            state_ == state::syn_received) {
            snd_nxt_ = snd_una_;
        } else {
            fast_retransmit_ = true;
        }
        rto_at_ = now + rto_.rto();
        // RFC 5482: the user timeout ends the connection when it says, not at the next backoff.
        if (cfg_.user_timeout > duration::zero()) rto_at_ = std::min(*rto_at_, una_since_ + cfg_.user_timeout);
    }

    // RFC 9293 §3.8.4: when keep-alive is on, an idle connection is probed
    // with a segment the peer must acknowledge (sequence number snd.una − 1,
    // no data, as RFC 1122 §4.2.3.6 allows).
    [[nodiscard]] std::optional<instant> keepalive_due() const noexcept {
        if (!cfg_.keepalive || !established() || state_ == state::time_wait) return std::nullopt;
        return idle_since_ + cfg_.keep_idle + cfg_.keep_interval * keep_probes_;
    }

    [[gnu::cold]] void on_keepalive(instant now) {
        if (in_flight() > 0 || queued() > 0) {
            idle_since_ = now;  // not idle: the retransmission timer watches the peer
            keep_probes_ = 0;
            return;
        }
        if (keep_probes_ >= cfg_.keep_count) {
            enter_closed(errc::timed_out);
            return;
        }
        ++keep_probes_;
        keepalive_now_ = true;
    }

    [[gnu::cold]] void enter_time_wait(instant now) {
        state_ = state::time_wait;
        rto_at_.reset();
        persist_at_.reset();
        tlp_.cancel();  // nothing in flight: a probe armed for the FIN has nothing to probe, and TIME-WAIT sends none
        tlp_now_ = false;
        restart_time_wait(now);
    }
    void restart_time_wait(instant now) { time_wait_at_ = now + cfg_.time_wait; }

    [[gnu::cold]] void enter_closed(errc why) {
        state_ = state::closed;
        // RFC 1122 §4.2.3.9: a timeout reports the ICMP error that explains it, if one came.
        if (why == errc::timed_out && soft_error_ != errc::ok) why = soft_error_;
        if (error_ == errc::ok) error_ = why;
        rto_at_.reset();
        delack_at_.reset();
        persist_at_.reset();
        time_wait_at_.reset();
        tlp_.cancel();
        ack_now_ = ack_at_batch_end_ = fast_retransmit_ = probe_now_ = keepalive_now_ = tlp_now_ = false;
    }

    [[nodiscard]] bool peer_closed() const noexcept {
        return fin_received_ && recv_buf_.readable() == 0;
    }

    config cfg_;
    byte_ring send_buf_;
    receive_buffer recv_buf_;
    recv_handler recv_handler_;  // set_recv_handler: in-order bytes taken before the buffer
    rto_estimator rto_;
    negotiated_options opts_;
    Congestion cc_{congestion::params{536, 0}};
    // Delivery-rate samples cost a record per segment in flight: kept only
    // for an algorithm that paces (BBR, any<...>), which is what reads them.
    [[no_unique_address]] std::conditional_t<congestion::detail::has_pacing_rate<Congestion>,
                                             congestion::delivery_rate_sampler<>, congestion::no_delivery_rate> rate_{};
    std::optional<duration> min_rtt_;
    instant next_send_{};    // pacing: no new data before this
    instant paced_until_{};  // pacing: when the rate has caught up with what was sent
    std::optional<instant> pace_at_;
    seq32 highest_sacked_;  // RFC 6675: the highest SACKed byte + 1, for counting duplicates
    Sender sender_{};
    Receiver receiver_{};

    tcp::state state_ = state::closed;
    errc error_ = errc::ok;
    // RFC 9293 §3.3.1's variables
    seq32 iss_, snd_una_, snd_nxt_, snd_wl1_, snd_wl2_;
    seq32 snd_max_;  // the highest sequence number sent + 1: below it, a send is a retransmission
    std::uint32_t snd_wnd_ = 0, snd_mss_ = 536, last_peer_window_ = 0;
    std::uint32_t max_snd_wnd_ = 0;  // RFC 5961 §5.2's MAX.SND.WND
    static constexpr std::uint32_t max_challenges_per_second = 10;
    instant challenge_since_{};
    std::uint32_t challenges_in_second_ = 0;
    seq32 irs_, rcv_nxt_, rcv_adv_;  // rcv_adv_: the right edge we advertised (rcv.nxt + rcv.wnd)
    seq32 rcv_adv_sent_;              // the right edge in the last segment sent
    std::uint64_t acked_data_ = 0, delivered_ = 0;
    bool fin_queued_ = false, app_closed_ = false;
    seq32 fin_seq_;
    std::optional<seq32> peer_fin_;  // where the peer's FIN lies, once seen
    bool fin_received_ = false;      // rcv.nxt has passed it

    std::optional<instant> rto_at_, delack_at_, persist_at_, time_wait_at_;
    instant created_;
    instant now_{};         // the latest time an input or poll brought
    instant idle_since_;    // the last acceptable segment, for keep-alive
    instant una_since_{};   // when the oldest unacknowledged byte was sent or the last ACK advanced, for the user timeout
    std::uint32_t keep_probes_ = 0;
    bool keepalive_now_ = false;
    errc soft_error_ = errc::ok;
    bool rtt_timing_ = false;
    seq32 rtt_seq_;
    instant rtt_sent_{};
    std::uint32_t retries_ = 0, dupacks_ = 0, unacked_segments_ = 0, persist_backoff_ = 0, probes_unanswered_ = 0;
    bool in_recovery_ = false, fast_retransmit_ = false, ack_now_ = false, probe_now_ = false, probing_ = false,
         override_now_ = false;
    bool invariants_ok_ = true;
    seq32 recover_;
    seq32 rto_recover_;  // snd.max at the last timeout: duplicates below it start no fast retransmit
    seq32 high_rxt_;  // RFC 6675 §2 HighRxt: the highest byte retransmitted in this recovery + 1
    std::optional<wire::sack_block> dsack_;  // RFC 2883: a duplicate to report in the next ACK
    std::optional<segment> reset_;
    ecn_state ecn_;
    std::uint8_t rx_ecn_ = 0;  // the codepoint of the segment being taken in
    quick_ack quick_ack_;
    push_marks push_marks_;
    tail_loss_probe tlp_;
    bool tlp_now_ = false;
    // RFC 8985 §6's records, kept when RACK or resend_whole_segment asks (a fixed table per connection).
    rack rack_{selective && (cfg_.rack || cfg_.resend_whole_segment) ? rack_records(cfg_) : 0};
    bool rack_retransmit_ = false;  // recovery began: its first retransmission goes whatever the window
    prr prr_;
    std::uint32_t prr_cwnd_ = 0;    // RFC 6937: pipe after the last ACK in recovery + sndcnt
    bool more_ = false, push_now_ = false;  // the last write's MSG_MORE; a forced push pending (push())
    bool batch_continues_ = false, ack_at_batch_end_ = false;  // config::ack_coalescing
    segment tx_seg_;  // header()'s segment, rebuilt in place for each one
    fast_open_client fo_;  // RFC 7413, when the endpoint sets it up
    counters counters_;
    struct {
        std::uint64_t rate = 0;  // the pacing rate these are for (0: none yet)
        std::uint32_t smss = 0;
        double r = 0;      // rate as a double
        double burst = 0;  // the send quantum at rate, less a byte
    } pace_;
};

}  // namespace l4::tcp

#include <l4/tcp/arrival.hpp>
