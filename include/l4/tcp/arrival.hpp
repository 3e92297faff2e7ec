// Segment arrival (RFC 9293 §3.10.7): the half of tcp::connection that
// takes a segment in, from the SYN-SENT rules through the acceptability
// test, RST and SYN handling, the ACK and the data. Included by
// connection.hpp, which declares these members; read that first.
#pragma once

#include <l4/tcp/connection.hpp>

namespace l4::tcp {

template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::take_syn(const Repr& syn) {
    irs_ = syn.seq_number;
    rcv_nxt_ = irs_ + 1;
    rcv_adv_ = rcv_nxt_;
    rcv_adv_sent_ = rcv_nxt_;
    snd_wnd_ = syn.window;  // RFC 7323 §2.2: a SYN's window is never scaled
    max_snd_wnd_ = snd_wnd_;
    last_peer_window_ = syn.window;
    snd_wl1_ = syn.seq_number;
    opts_.on_peer_syn(syn.options);
    const std::uint32_t mss = std::min<std::uint32_t>(syn.options.mss.value_or(cfg_.default_peer_mss), cfg_.mss);
    // RFC 9293 §3.7.1: the options every segment carries come out of the MSS.
    snd_mss_ = std::max<std::uint32_t>(mss - std::min(mss, opts_.fixed_options_len()), 1);
    cc_ = Congestion{congestion::params{.mss = snd_mss_,
                                        .initial_window = cfg_.initial_window,
                                        .initial_ssthresh = cfg_.initial_ssthresh,
                                        .algorithm = cfg_.congestion_algorithm}};
    highest_sacked_ = iss_;
    rto_recover_ = iss_;
}

template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::on_segment_syn_sent(const Repr& seg, instant now) {
    using f = wire::tcp_flags;
    const bool has_ack = seg.flags.has(f::ack);
    // RFC 9293 §3.10.7.3 first: an ACK for something we never sent.
    // Against snd.max: a SYN with data (RFC 7413) sent again without it may be acknowledged whole.
    if (has_ack && (seg.ack_number <= iss_ || seg.ack_number > snd_max_)) {
        if (!seg.flags.has(f::rst)) queue_reset(seg.ack_number, std::nullopt);
        ++counters_.dropped_bad_ack;
        return;
    }
    if (seg.flags.has(f::rst)) {
        if (has_ack) enter_closed(errc::connection_refused);  // only with an acceptable ACK
        return;
    }
    if (!seg.flags.has(f::syn)) return;
    take_syn(seg);
    idle_since_ = now;
    if (has_ack) {
        ecn_.on_syn_ack(seg.flags.has(f::ece), seg.flags.has(f::cwr));  // RFC 3168 §6.1.1
        snd_una_ = seg.ack_number;
        snd_wl2_ = seg.ack_number;
        if (fo_.enabled) on_fast_open_syn_ack(seg);
        rtt_sample(now);
        rto_at_.reset();
        state_ = state::established;
        ack_now_ = true;
    } else {
        // Simultaneous open (RFC 9293 §3.5, figure 8): our SYN again, now with an ACK.
        state_ = state::syn_received;
        snd_nxt_ = iss_;
        rto_at_.reset();
    }
}

template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::on_segment_synchronized(const Repr& seg, instant now) {
    using f = wire::tcp_flags;
    const std::uint32_t len = seq_len(seg);
    const std::uint32_t rcv_wnd = rcv_adv_ - rcv_nxt_ > 0 ? static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
    const auto age = opts_.age(seg.options.ts);  // RFC 7323 §5.3 R1 and §4.3 R3 both ask it
    if (age == negotiated_options::ts_age::older && !seg.flags.has(f::rst)) {
        ++counters_.dropped_paws;  // RFC 7323 §5.3 R1: answered like an unacceptable segment
        limited_ack();
        return;
    }
    if (!acceptable(seg.seq_number, len, rcv_wnd)) {
        ++counters_.dropped_unacceptable;
        const seq32 end = seg.seq_number + static_cast<std::uint32_t>(seg.payload.size());
        if (opts_.sack() && !seg.payload.empty() && !(rcv_nxt_ < end)) dsack_ = wire::sack_block{seg.seq_number, end};
        if (!seg.flags.has(f::rst)) limited_ack();  // RFC 9293 §3.10.7.4 first
        if (state_ == state::time_wait && seg.flags.has(f::fin)) restart_time_wait(now);
        return;
    }
    opts_.on_acceptable_segment(age, seg.options.ts, seg.seq_number);  // RFC 7323 §4.3 R3
    idle_since_ = now;
    keep_probes_ = 0;
    on_ecn_arrival(seg);
    if (seg.flags.has(f::rst)) {
        // RFC 5961 §3.2: only the exact next sequence number resets; the rest of the window is challenged.
        if (seg.seq_number != rcv_nxt_) return challenge();
        const bool orderly = state_ == state::closing || state_ == state::last_ack || state_ == state::time_wait;
        enter_closed(orderly ? errc::ok : errc::connection_reset);
        return;
    }
    if (seg.flags.has(f::syn)) return challenge();  // RFC 5961 §4.2
    if (!seg.flags.has(f::ack)) {
        ++counters_.dropped_no_ack;
        return;
    }
    if (state_ == state::syn_received) {
        if (!(snd_una_ < seg.ack_number && seg.ack_number <= snd_nxt_)) {
            queue_reset(seg.ack_number, std::nullopt);  // RFC 9293 §3.10.7.4 fifth
            ++counters_.dropped_bad_ack;
            return;
        }
        state_ = state::established;
        snd_wnd_ = peer_window(seg);
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
        snd_wl1_ = seg.seq_number;
        snd_wl2_ = seg.ack_number;
    }
    if (!on_ack(seg, now)) return;
    if (state_ == state::closed || state_ == state::time_wait) {
        if (state_ == state::time_wait && seg.flags.has(f::fin)) {
            ack_now_ = true;
            restart_time_wait(now);
        }
        return;
    }
    on_data(seg, now);
}

// RFC 7413 §4.2.2: a SYN-ACK for a SYN that asked for a cookie or carried
// one. The data it acknowledges leaves the send buffer; what it does not is
// sent again at once (snd.nxt back to snd.una). Its cookie and MSS go to the
// endpoint's cache; a SYN with data that timed out, answered with neither a
// cookie nor an acknowledgement of its data, counts as a loss (as Linux's
// syn_drop, which then holds Fast Open off for that server a while).
template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::on_fast_open_syn_ack(const Repr& seg) {
    const auto acked = static_cast<std::uint32_t>(seg.ack_number - (iss_ + 1));
    send_buf_.consume(acked);
    acked_data_ += acked;
    delivered_ += acked;
    push_marks_.on_ack(snd_una_);
    fo_.syn_data_acked = acked > 0;
    snd_nxt_ = snd_una_;  // whatever of the SYN's data is left goes again with the handshake's ACK
    const bool has_cookie = seg.options.fast_open && !seg.options.fast_open->request();
    fast_open_report r;
    if (has_cookie) r.cookie = seg.options.fast_open;
    r.mss = seg.options.mss.value_or(0);
    r.syn_lost = fo_.syn_retransmitted && fo_.syn_data > 0 && !has_cookie && acked == 0;
    fo_.report = r;
}

// RFC 9293 §3.10.7.4 first: the four cases of segment acceptability.
template <class Congestion, class Sender, class Receiver>
bool connection<Congestion, Sender, Receiver>::acceptable(seq32 seq, std::uint32_t len, std::uint32_t rcv_wnd) const noexcept {
    if (len == 0) return rcv_wnd == 0 ? seq == rcv_nxt_ : in_window(seq, rcv_nxt_, rcv_wnd);
    if (rcv_wnd == 0) return false;
    return in_window(seq, rcv_nxt_, rcv_wnd) || in_window(seq + (len - 1), rcv_nxt_, rcv_wnd);
}

// RFC 9293 §3.10.7.4 fifth. False: the segment is dropped here.
template <class Congestion, class Sender, class Receiver>
template <class Repr>
bool connection<Congestion, Sender, Receiver>::on_ack(const Repr& seg, instant now) {
    const seq32 ack = seg.ack_number;
    // Against the highest byte ever sent: a timeout rewinds snd.nxt, and
    // ACKs for what left before it are still good.
    if (ack > snd_max_) {
        limited_ack();
        ++counters_.dropped_bad_ack;
        return false;
    }
    // RFC 5961 §5.2: an ACK older than the largest window the peer ever
    // offered cannot be the peer's; a blind injection gets a challenge ACK.
    if (ack < snd_una_ - std::max(max_snd_wnd_, snd_mss_)) {
        challenge();
        ++counters_.dropped_bad_ack;
        return false;
    }
    probes_unanswered_ = 0;
    const std::uint32_t flight_before = in_flight();
    // A segment that acknowledges nothing with nothing in flight (a receiver's data) has no news for
    // the scoreboard, the estimators or the loss hooks: none of their bookkeeping.
    if (ack != snd_una_ || flight_before > 0) {
        // RFC 6937's DeliveredData: the change in snd.una plus the change in SACKed bytes.
        const seq32 una_before = snd_una_;
        // after_ack feeds RACK (its records) and PRR only: without either it has nothing to do.
        const bool loss_hooks = scoreboard_active() && (rack_.enabled() || cfg_.prr);
        const std::uint32_t sacked_before = loss_hooks ? scoreboard().sacked_bytes() : 0;
        const std::uint64_t dsacks_before = counters_.dsacks_in;
        bool loss_recovery_input = false;
        if (ack > snd_una_) {
            loss_recovery_input = true;
            const auto acked = static_cast<std::uint32_t>(ack - snd_una_);
            std::uint32_t data = acked;
            if (snd_una_ == iss_) --data;  // the SYN
            if (fin_queued_ && ack == fin_seq_ + 1) --data;  // the FIN
            send_buf_.consume(data);
            send_buf_.trim();
            acked_data_ += data;
            delivered_ += data;
            snd_una_ = ack;
            push_marks_.on_ack(snd_una_);
            if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
            dupacks_ = 0;
            if (scoreboard_active()) (void)new_sack_information(seg);  // RFC 6675 §4 Update()
            una_since_ = now;
            auto rtt = opts_.rtt_sample(seg.options.ts, now);  // RFC 7323 §4.1: every ACK of new data
            if (rtt) {
                rto_.on_sample(*rtt);
                if (rtt_timing_ && !(snd_una_ < rtt_seq_)) rtt_timing_ = false;
            } else {
                rtt = rtt_sample(now);
            }
            if (rtt && (!min_rtt_ || *rtt < *min_rtt_)) min_rtt_ = rtt;
            congestion::ack_event ev{now, acked, flight_before, rtt, delivered_};
            ev.rate = rate_.on_ack(snd_una_, now, flight_before, min_rtt_, seg.options.sack_blocks());
            if (in_recovery_) {
                if (ack >= recover_) {
                    in_recovery_ = false;
                    rack_.on_exit_recovery();
                    cc_.on_exit_recovery(now);
                    observe(congestion::trace_event::exit_recovery, now, flight_before);
                } else if (scoreboard_active()) {
                    // RFC 6675 §5: recovery goes on until the recovery point; the scoreboard says what is lost,
                    // and pipe, not cwnd, takes the bytes this ACK covered.
                    observe(congestion::trace_event::partial_ack, now, flight_before);
                } else if constexpr (requires { cc_.on_partial_ack(ev); }) {
                    cc_.on_partial_ack(ev);  // RFC 6582: the next hole is lost too
                    fast_retransmit_ = true;
                    observe(congestion::trace_event::partial_ack, now, flight_before);
                } else {
                    in_recovery_ = false;
                    cc_.on_exit_recovery(now);
                    observe(congestion::trace_event::exit_recovery, now, flight_before);
                }
            } else {
                cc_.on_ack(ev);
                observe(congestion::trace_event::ack, now, flight_before);
            }
            retries_ = 0;
            rto_.reset_backoff();
            rto_at_ = in_flight() > 0 ? std::optional<instant>{now + rto_.rto()} : std::nullopt;
            tlp_.on_ack(snd_una_);
            if (rto_at_ && tlp_enabled()) arm_tail_probe(now, snd_max_);
            persist_at_.reset();
        } else if (ack == snd_una_ && flight_before > 0) {
            loss_recovery_input = true;
            // RFC 5681 §2's duplicate: no data, no FIN, the same window. RFC 6675
            // §2 counts an ACK with new SACK information too, so that a
            // transfer both ways, whose ACKs carry data, still recovers fast.
            const bool pure = seg.payload.empty() && !seg.flags.has(wire::tcp_flags::fin) &&
                              seg.window == last_peer_window_;
            if (new_sack_information(seg) || pure) on_duplicate_ack(now, flight_before);
            // draft-cheng-iccrg-delivery-rate-estimation §3.3: what this ACK SACKs is delivered now.
            if (opts_.sack()) rate_.on_sack(snd_una_, now, seg.options.sack_blocks());
        } else if (ack < snd_una_ && scoreboard_active() && (cfg_.rack || cfg_.prr)) {
            // An ACK overtaken by a later one: its SACK blocks are news all the same (RFC 6675 §4 Update()
            // takes any ACK's; Linux's tcp_ack does), for RACK's marks and PRR's DeliveredData.
            loss_recovery_input = new_sack_information(seg);
        }
        if (loss_recovery_input && loss_hooks) {
            const std::int64_t delivered = static_cast<std::int64_t>(snd_una_ - una_before) +
                                           static_cast<std::int64_t>(scoreboard().sacked_bytes()) - sacked_before;
            after_ack(now, static_cast<std::uint32_t>(std::max<std::int64_t>(delivered, 0)), flight_before,
                      una_before < snd_una_, counters_.dsacks_in != dsacks_before);
        }
    }
    if (seg.flags.has(wire::tcp_flags::ece) && ecn_.enabled) on_ecn_echo(now, flight_before);
    // RFC 9293 §3.10.7.4: the window comes from the newest segment only.
    if (snd_wl1_ < seg.seq_number || (snd_wl1_ == seg.seq_number && snd_wl2_ <= ack)) {
        snd_wnd_ = peer_window(seg);
        snd_wl1_ = seg.seq_number;
        snd_wl2_ = ack;
        max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    }
    last_peer_window_ = seg.window;
    if (snd_wnd_ > 0) {
        persist_at_.reset();
        persist_backoff_ = 0;
    }
    const bool fin_acked = fin_queued_ && snd_una_ == fin_seq_ + 1;
    if (fin_acked) {
        if (state_ == state::fin_wait_1) state_ = state::fin_wait_2;
        else if (state_ == state::closing) enter_time_wait(now);
        else if (state_ == state::last_ack) {
            enter_closed(errc::ok);
            return false;
        }
    }
    return true;
}

template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::on_duplicate_ack(instant now, std::uint32_t flight) {
    ++dupacks_;
    congestion::loss_event ev{now, flight};
    if (in_recovery_) {
        // With a scoreboard, pipe counts what left the network; no inflation (RFC 6675 §5).
        if (!scoreboard_active()) congestion::dup_ack(cc_, ev);
        observe(congestion::trace_event::dup_ack, now, flight);
    } else if (!rack_active() && (dupacks_ == 3 || sack_says_lost()) && rto_recover_ < snd_una_) {
        // RFC 5681 §3.2 fast retransmit, RFC 6675 §5 IsLost (with RACK, its marks decide:
        // after_ack); RFC 6582 §4: not on the duplicates of data sent before the last timeout.
        enter_recovery(now, flight);
    }
}

template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::enter_recovery(instant now, std::uint32_t flight) {
    in_recovery_ = true;
    recover_ = snd_nxt_;
    high_rxt_ = snd_una_;
    cc_.on_enter_recovery(congestion::loss_event{now, flight});
    observe(congestion::trace_event::enter_recovery, now, flight);
    ecn_.on_reduced(snd_max_);  // RFC 3168 §6.1.2: this window's reduction
    // The first retransmission: snd.una's segment, or with RACK the first it marked lost.
    (rack_active() ? rack_retransmit_ : fast_retransmit_) = true;
    rtt_timing_ = false;  // Karn: the retransmitted segment gives no sample
    prr_.on_enter(static_cast<std::uint32_t>(snd_nxt_ - snd_una_));  // RFC 6937 §3 RecoverFS
}

// After an ACK's scoreboard update, with SACK: RACK's loss detection (RFC
// 8985 §6.2), recovery when it finds a loss, and PRR's sending allowance
// (RFC 6937 §3) for the ACK.
template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::after_ack(instant now, std::uint32_t delivered, std::uint32_t flight,
                                                         bool una_advanced, bool dsack) {
    std::uint32_t newly_lost = 0;
    if (rack_.enabled()) rack_.on_ack(snd_una_, scoreboard(), now, min_rtt_);
    if (rack_active()) {
        if (dsack) rack_.on_dsack(snd_una_, snd_nxt_);
        newly_lost = rack_.detect_loss(now, scoreboard(), rack_.reo_wnd(in_recovery_, rto_.srtt(), min_rtt_));
        // RFC 6582 §4 as for duplicates: not for data sent before the last timeout.
        if (!in_recovery_ && rack_.any_lost() && rto_recover_ < snd_una_) enter_recovery(now, flight);
    }
    if (in_recovery_ && cfg_.prr) {
        const std::uint32_t p = pipe();
        prr_cwnd_ = p + prr_.on_ack(delivered, p, cc_.ssthresh(), snd_mss_, una_advanced && newly_lost == 0);
    }
}

// RFC 8985 §6.3: the reordering timer fired; what it finds lost starts recovery (with PRR's first allowance).
template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::on_reordering_timer(instant now) {
    if (rack_.detect_loss(now, scoreboard(), rack_.reo_wnd(in_recovery_, rto_.srtt(), min_rtt_)) == 0) return;
    ++counters_.rack_timeouts;
    if (in_recovery_ || !(rto_recover_ < snd_una_)) return;
    enter_recovery(now, in_flight());
    if (cfg_.prr) {
        const std::uint32_t p = pipe();
        prr_cwnd_ = p + prr_.on_ack(0, p, cc_.ssthresh(), snd_mss_, false);
    }
}

template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::on_data(const Repr& seg, instant now) {
    using f = wire::tcp_flags;
    if (!seg.payload.empty()) {
        if (!may_receive_data(state_)) return;  // data after the peer's FIN: ignored
        if (app_closed_) {
            // RFC 9293 §3.10.4: nobody will read it; tell the peer. At SEG.ACK, where
            // the peer stands: RFC 5961 §3.2 makes it take an RST only at exactly RCV.NXT,
            // and it may not have our FIN yet (snd.max would earn a challenge ACK).
            queue_reset(seg.flags.has(f::ack) && snd_una_ <= seg.ack_number && seg.ack_number <= snd_max_
                            ? seg.ack_number : snd_max_);
            enter_closed(errc::ok);
            return;
        }
        // Bytes before rcv.nxt are old; the rest goes in at its offset.
        std::uint32_t skip = 0;
        if (seg.seq_number < rcv_nxt_) skip = static_cast<std::uint32_t>(rcv_nxt_ - seg.seq_number);
        bytes data = seg.payload.size() > skip ? seg.payload.subspan(skip) : bytes{};
        if (peer_fin_ && seg.seq_number + skip + static_cast<std::uint32_t>(data.size()) > *peer_fin_)
            data = data.first(static_cast<std::size_t>(std::max<std::int32_t>(*peer_fin_ - (seg.seq_number + skip), 0)));  // nothing after a FIN
        counters_.duplicates_in += std::min<std::size_t>(skip, seg.payload.size());
        const auto offset = static_cast<std::size_t>(seg.seq_number + skip - rcv_nxt_);
        const bool had_hole = recv_buf_.has_out_of_order();
        // The handler's first, where the bytes lie: only what nothing is waiting in front of.
        std::size_t taken = 0;
        if (offset == 0 && !data.empty() && handler_takes_in_order()) {
            taken = std::min(recv_handler_(data), data.size());
            data = data.subspan(taken);
        }
        auto r = taken > 0 && data.empty() ? receive_buffer::insert_result{} : recv_buf_.insert(offset, data);
        r.advanced += taken;
        counters_.duplicates_in += r.duplicate;
        // RFC 2883 §4: tell the sender it sent these bytes twice.
        if (opts_.sack() && skip > 0)
            dsack_ = wire::sack_block{seg.seq_number, seg.seq_number + static_cast<std::uint32_t>(std::min<std::size_t>(skip, seg.payload.size()))};
        else if (opts_.sack() && r.duplicate > 0 && r.stored == 0)
            dsack_ = wire::sack_block{seg.seq_number + skip, seg.seq_number + skip + static_cast<std::uint32_t>(data.size())};
        counters_.dropped_reassembly_full += r.dropped > 0 ? 1 : 0;
        counters_.bytes_in += r.advanced;
        rcv_nxt_ += static_cast<std::uint32_t>(r.advanced);
        if (r.advanced == 0 || had_hole || recv_buf_.has_out_of_order()) {
            // RFC 5681 §4.2: out-of-order data, or data that fills a hole, is acknowledged at once.
            if (offset > 0) ++counters_.out_of_order_in;
            ack_now_ = true;
        } else {
            // Off (quick_acks 0, as by default) it says no: its arguments, the RTO among them, not worked out.
            const bool quick = cfg_.quick_acks > 0 &&
                               quick_ack_.on_data(now, cfg_.quick_acks, static_cast<std::uint32_t>(rcv_adv_ - rcv_nxt_),
                                                  cfg_.mss, rto_.rto());
            // RFC 1122 §4.2.3.2: at least every second full-sized segment (as Linux: each, at first).
            if (++unacked_segments_ >= 2 || cfg_.delayed_ack == duration::zero() || quick) {
                // config::ack_coalescing: one ACK when the batch ends, as Linux's GRO gives one per packet it merged.
                if (batch_continues_ && static_cast<std::uint32_t>(rcv_nxt_ - opts_.last_ack_sent()) < cfg_.ack_coalescing) ack_at_batch_end_ = true;
                else ack_now_ = true;
            } else if (!delack_at_) delack_at_ = now + cfg_.delayed_ack;
        }
    }
    if (seg.flags.has(f::fin) && !peer_fin_) {
        // The first FIN that is neither old nor past what we could take; a later, different one is the peer's error.
        const seq32 fin = seg.seq_number + static_cast<std::uint32_t>(seg.payload.size());
        if (fin >= rcv_nxt_ && fin <= rcv_adv_ && recv_buf_.readable() + static_cast<std::size_t>(fin - rcv_nxt_) <= recv_buf_.capacity())
            peer_fin_ = fin;
    }
    if (peer_fin_ && *peer_fin_ == rcv_nxt_ && may_receive_data(state_)) {
        rcv_nxt_ += 1;
        fin_received_ = true;
        ack_now_ = true;
        if (state_ == state::established) state_ = state::close_wait;
        else if (state_ == state::fin_wait_2) enter_time_wait(now);
        else if (state_ == state::fin_wait_1) state_ = state::closing;  // simultaneous close
    }
    if (ack_now_) advertise();
}

// RFC 3168 §6.1.3: the receiver echoes a CE mark with ECE on every segment
// until the sender's CWR; the first mark is acknowledged at once, so that
// the sender hears of it within a segment, not a delayed-ACK timeout.
template <class Congestion, class Sender, class Receiver>
template <class Repr>
void connection<Congestion, Sender, Receiver>::on_ecn_arrival(const Repr& seg) {
    if (!ecn_.enabled) return;
    if (rx_ecn_ == ip_ecn::ce) ++counters_.ce_received;
    if (ecn_.on_arrival(rx_ecn_, seg.flags.has(wire::tcp_flags::cwr))) ack_now_ = true;
}

// RFC 3168 §6.1.2: an ECE reduces the window as a loss would, once per
// window of data and not in loss recovery (which reduced it already); no
// retransmission. The next new data carries CWR.
template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::on_ecn_echo(instant now, std::uint32_t flight) {
    ++counters_.ece_received;
    if (in_recovery_ || !ecn_.may_react(snd_una_)) return;
    congestion::ecn_echo(cc_, congestion::loss_event{now, flight});
    ecn_.on_reduced(snd_max_);
    ++counters_.ecn_echoes;
    observe(congestion::trace_event::ecn_echo, now, flight);
}

template <class Congestion, class Sender, class Receiver>
void connection<Congestion, Sender, Receiver>::challenge() {
    if (limited_ack()) ++counters_.challenge_acks;
}

// RFC 5961 §7: the ACKs that answer a segment we drop (a challenge, or
// one out of the window) are rate-limited, so that a flood of forged
// segments cannot turn us into an ACK generator.
template <class Congestion, class Sender, class Receiver>
bool connection<Congestion, Sender, Receiver>::limited_ack() {
    if (now_ - challenge_since_ >= std::chrono::seconds{1}) {
        challenge_since_ = now_;
        challenges_in_second_ = 0;
    }
    if (challenges_in_second_ >= max_challenges_per_second) {
        ++counters_.acks_suppressed;
        return false;
    }
    ++challenges_in_second_;
    ack_now_ = true;
    return true;
}

template <class Congestion, class Sender, class Receiver>
template <class Repr>
bool connection<Congestion, Sender, Receiver>::new_sack_information(const Repr& seg) {
    if (!opts_.sack()) return false;
    // No block: all that Update() does is forget what snd.una passed.
    if (seg.options.sack_blocks().empty()) {
        if constexpr (selective) sender_.scoreboard().advance(snd_una_);
        return false;
    }
    return update_scoreboard(seg);
}

template <class Congestion, class Sender, class Receiver>
template <class Repr>
bool connection<Congestion, Sender, Receiver>::update_scoreboard(const Repr& seg) {
    if constexpr (selective) {
        const auto r = sender_.scoreboard().update(snd_una_, snd_max_, seg.options.sack_blocks());
        counters_.dsacks_in += r.dsack;
        counters_.sack_blocks_dropped += r.dropped;
        return r.new_information;
    }
    bool news = false;
    for (const auto& b : seg.options.sack_blocks()) {
        // Blocks above snd.una and within what we sent; anything else is stale or forged.
        if (b.right > highest_sacked_ && b.right > snd_una_ && b.right <= snd_max_ && b.left < b.right) {
            highest_sacked_ = b.right;
            news = true;
        }
    }
    return news;
}

}  // namespace l4::tcp
