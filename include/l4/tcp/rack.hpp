// RACK loss detection (RFC 8985 §6): a segment is lost once a segment sent
// after it has been delivered (SACKed or cumulatively ACKed) and a
// reordering window has passed since. Time, not counts of duplicates,
// decides: a single SACKed segment starts recovery after RTT + reo_wnd (the
// reordering timer), and a retransmission that is lost again is found as
// soon as something sent after it is delivered, without waiting for the RTO.
//
// Reading list
//   RFC 8985 §6.1 the per-segment and per-connection state; §6.2 the
//            algorithm's steps 1-5 on each ACK (RACK.rtt and RACK.xmit_ts,
//            reordering detection, reo_wnd, loss detection); §6.3 the timer
//   RFC 2883 D-SACK, which widens reo_wnd when recovery was spurious
//
// Layout
// ------
// One record per transmitted segment in [snd.una, snd.max), in sequence
// order: its range, its latest transmission time, and whether it was
// retransmitted, is SACKed whole (delivered) or is marked lost (waiting to
// be resent). A retransmission of part of a record splits it. The table has
// a fixed capacity chosen at the connection's start (no allocation per
// segment); when it is full, a new segment extends the last record, whose
// time becomes the newer one (its loss is then found later, never early).
//
// The connection owns the SACK scoreboard (flow/scoreboard.hpp); RACK reads
// it to know which records are delivered and adds what it marks lost, so
// that pipe and the next segment to resend (RFC 6675 §4 SetPipe and
// NextSeg) follow RACK's marks instead of RFC 6675's IsLost.
#pragma once

#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>
#include <l4/flow/scoreboard.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace l4::tcp {

class rack {
public:
    struct record {
        seq32 seq, end;
        instant xmit{};
        bool retransmitted = false, delivered = false, lost = false;
    };
    // A range to resend: where it starts and how many bytes.
    struct hole {
        seq32 start;
        std::uint32_t len;
    };

    rack() = default;
    // Room for `segments` records; 0: off (nothing is recorded).
    explicit rack(std::size_t segments) : capacity_{segments} { records_.reserve(segments); }

    [[nodiscard]] bool enabled() const noexcept { return capacity_ > 0; }
    [[nodiscard]] std::size_t size() const noexcept { return records_.size(); }
    [[nodiscard]] const record& operator[](std::size_t i) const noexcept { return records_[i]; }

    // RFC 8985 §6.1: [seq, end) left at `now`; the part below the highest
    // byte recorded is a retransmission (its time is renewed and its loss
    // mark cleared), the rest is new.
    [[gnu::hot]] void on_send(seq32 seq, seq32 end, instant now) {
        if (!enabled() || !(seq < end)) return;
        const bool any = !records_.empty();
        const seq32 top = any ? records_.back().end : seq;
        if (any && seq < top) retransmitted(seq, std::min(end, top, less), now);
        if (!any || top < end) {
            const seq32 from = any && seq < top ? top : seq;
            if (records_.size() < capacity_) {
                records_.push_back({from, end, now});
            } else {
                record& last = records_.back();  // full: the last record grows, with the newer time
                last.end = end;
                last.xmit = now;
                last.delivered = last.lost = false;
            }
        }
    }

    // RFC 8985 §6.2 steps 1-3 for one ACK, after the scoreboard took its
    // blocks: the records snd.una passed or the scoreboard holds whole are
    // delivered; each updates RACK.rtt, RACK.xmit_ts/end_seq and RACK.fack.
    void on_ack(seq32 snd_una, const flow::scoreboard& board, instant now, std::optional<duration> min_rtt) {
        if (!enabled()) return;
        std::size_t gone = 0;
        for (auto& r : records_) {
            const bool acked = !(snd_una < r.end);
            if (acked) ++gone;
            else if (r.seq < snd_una) r.seq = snd_una;  // partly acknowledged: the rest stays
            if (r.delivered) continue;
            if (!acked && board.unsacked(r.seq, r.end) != 0) continue;
            r.delivered = true;
            r.lost = false;
            delivered(r, now, min_rtt);
        }
        records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(gone));
    }

    // RFC 8985 §6.2 step 4: the D-SACK half. A D-SACK block (the peer got
    // something twice: a spurious retransmission) widens reo_wnd by min_RTT/4,
    // at most once a round trip; 16 recoveries later it is back to one step.
    void on_dsack(seq32 snd_una, seq32 snd_nxt) {
        if (dsack_round_ && !(snd_una < *dsack_round_)) dsack_round_.reset();
        if (dsack_round_) return;
        dsack_round_ = snd_nxt;
        reo_wnd_mult_ = std::min<std::uint32_t>(reo_wnd_mult_ + 1, 64);
        reo_wnd_persist_ = 16;
    }
    void on_exit_recovery() {
        if (reo_wnd_persist_ > 0 && --reo_wnd_persist_ == 0) reo_wnd_mult_ = 1;
    }

    // RFC 8985 §6.2 step 4: the reordering window.
    [[nodiscard]] duration reo_wnd(bool in_recovery, std::optional<duration> srtt, std::optional<duration> min_rtt) const {
        if (!reordering_seen_) {
            // Without reordering seen, be as fast as DupThresh: no wait in recovery, nor once
            // DupThresh segments are SACKed.
            if (in_recovery) return duration::zero();
            if (segs_sacked() >= flow::scoreboard::dup_thresh) return duration::zero();
        }
        const duration quarter = min_rtt ? reo_wnd_mult_ * (*min_rtt / 4) : srtt.value_or(duration::zero());
        return srtt ? std::min(quarter, *srtt) : quarter;
    }

    // RFC 8985 §6.2 step 5 (and §6.3, when the timer fires): every record
    // sent before RACK.xmit_ts whose RACK.rtt + reo_wnd has passed is lost;
    // for the others the reordering timer is armed at the latest of their
    // deadlines. Returns the bytes newly marked lost.
    std::uint32_t detect_loss(instant now, const flow::scoreboard& board, duration reo_wnd) {
        timer_.reset();
        if (!rtt_) return 0;
        std::uint32_t lost = 0;
        duration wait = duration::zero();
        for (auto& r : records_) {
            if (r.delivered || r.lost || !sent_after(xmit_ts_, end_seq_, r.xmit, r.end)) continue;
            const duration remaining = r.xmit + *rtt_ + reo_wnd - now;
            if (remaining <= duration::zero()) {
                r.lost = true;
                lost += board.unsacked(r.seq, r.end);
            } else {
                wait = std::max(wait, remaining);
            }
        }
        if (wait > duration::zero()) timer_ = now + wait;
        return lost;
    }

    // The reordering timer (RFC 8985 §6.3).
    [[nodiscard]] std::optional<instant> timer() const noexcept { return timer_; }
    [[nodiscard]] bool timer_due(instant now) const noexcept { return timer_ && now >= *timer_; }

    // Bytes marked lost and not yet resent, SACKed ones left out: pipe leaves them out too.
    [[nodiscard]] std::uint32_t lost_bytes(const flow::scoreboard& board) const noexcept {
        std::uint32_t n = 0;
        for (const auto& r : records_)
            if (r.lost) n += board.unsacked(r.seq, r.end);
        return n;
    }
    [[nodiscard]] bool any_lost() const noexcept {
        return std::any_of(records_.begin(), records_.end(), [](const record& r) { return r.lost; });
    }

    // The first lost record's bytes to resend: from its first unSACKed byte
    // to the next SACKed one (RFC 6675 §4 NextSeg), or, with `whole`, to
    // the record's end, as Linux resends a queued segment whole.
    [[nodiscard]] std::optional<hole> next_lost(const flow::scoreboard& board, bool whole) const noexcept {
        for (const auto& r : records_) {
            if (!r.lost) continue;
            if (whole) return hole{r.seq, static_cast<std::uint32_t>(r.end - r.seq)};
            seq32 s = r.seq;
            while (s < r.end) {
                const auto* held = board.find(s);
                if (!held) break;
                s = held->right;
            }
            if (!(s < r.end)) continue;
            const auto next = board.next_sacked(s);
            const seq32 stop = next && *next < r.end ? *next : r.end;
            return hole{s, static_cast<std::uint32_t>(stop - s)};
        }
        return std::nullopt;
    }

    // The record holding `s`, if any (for resending a queued segment whole).
    [[nodiscard]] const record* find(seq32 s) const noexcept {
        for (const auto& r : records_)
            if (!(s < r.seq) && s < r.end) return &r;
        return nullptr;
    }

    // A timeout: everything from snd.una goes again (RFC 6298 §5.4), so no
    // mark is left to act on; RFC 2018 §8: with the scoreboard cleared, the
    // peer's SACKs are forgotten too.
    void on_rto(bool scoreboard_cleared) {
        timer_.reset();
        for (auto& r : records_) {
            r.lost = false;
            if (scoreboard_cleared) r.delivered = false;
        }
    }

    [[nodiscard]] bool reordering_seen() const noexcept { return reordering_seen_; }
    [[nodiscard]] std::optional<duration> rtt() const noexcept { return rtt_; }

private:
    static constexpr auto less = [](seq32 a, seq32 b) { return a < b; };

    // RFC 8985 §6.2: t1 (ending at s1) was sent after t2 (ending at s2).
    static bool sent_after(instant t1, seq32 s1, instant t2, seq32 s2) noexcept {
        return t1 > t2 || (t1 == t2 && s2 < s1);
    }

    [[nodiscard]] std::uint32_t segs_sacked() const noexcept {
        return static_cast<std::uint32_t>(
            std::count_if(records_.begin(), records_.end(), [](const record& r) { return r.delivered; }));
    }

    // RFC 8985 §6.2 steps 2-3 for one newly delivered record.
    void delivered(const record& r, instant now, std::optional<duration> min_rtt) {
        // Step 3: delivered below the highest delivered byte, not resent: reordering.
        if (!fack_ || *fack_ < r.end) fack_ = r.end;
        else if (r.end < *fack_ && !r.retransmitted) reordering_seen_ = true;
        // Step 2: a retransmission ACKed sooner than min_RTT answers the first transmission (ambiguous).
        const duration rtt = now - r.xmit;
        if (r.retransmitted && min_rtt && rtt < *min_rtt) return;
        rtt_ = rtt;
        if (!rtt_set_ || sent_after(r.xmit, r.end, xmit_ts_, end_seq_)) {
            xmit_ts_ = r.xmit;
            end_seq_ = r.end;
            rtt_set_ = true;
        }
    }

    // [seq, end) resent at `now`: the records it covers, split at its edges.
    void retransmitted(seq32 seq, seq32 end, instant now) {
        for (std::size_t i = 0; i < records_.size(); ++i) {
            if (!(records_[i].seq < end)) break;
            if (!(seq < records_[i].end)) continue;
            // The part before seq stays as it was; the next record is the one that starts at seq.
            if (records_[i].seq < seq && split(i, seq)) continue;
            if (end < records_[i].end) (void)split(i, end);
            record& r = records_[i];
            r.xmit = now;
            r.retransmitted = true;
            r.lost = false;
        }
    }
    // Splits record i at `at`; false when the table has no room (the whole record then counts as resent).
    bool split(std::size_t i, seq32 at) {
        if (records_.size() >= capacity_) return false;
        record tail = records_[i];
        tail.seq = at;
        records_[i].end = at;
        records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(i) + 1, tail);
        return true;
    }

    std::size_t capacity_ = 0;
    std::vector<record> records_;
    std::optional<duration> rtt_;       // RACK.rtt: of the most recently sent segment delivered
    instant xmit_ts_{};                 // RACK.xmit_ts
    seq32 end_seq_;                     // RACK.end_seq
    bool rtt_set_ = false;
    std::optional<seq32> fack_;         // RACK.fack: the highest byte delivered + 1
    bool reordering_seen_ = false;      // RACK.reordering_seen
    std::uint32_t reo_wnd_mult_ = 1, reo_wnd_persist_ = 0;
    std::optional<seq32> dsack_round_;
    std::optional<instant> timer_;
};

}  // namespace l4::tcp
