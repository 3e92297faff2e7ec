// TCP's receive buffer: in-order bytes waiting for the application, and a
// bounded number of out-of-order ranges waiting for the holes before them.
//
// Reading list
//   RFC 9293  §3.4 sequence space and the window, §3.8.6.2.2 (don't shrink it),
//             §3.10.7.4 segment arrives: trim to the window, queue out-of-order data
//   RFC 2018  §4 SACK blocks: the block holding the latest segment first
//   RFC 5681  §4.2 an immediate ACK for out-of-order data and for data that fills a hole
//
// Layout
// ------
// One byte_ring of `capacity` bytes. Its content is the readable bytes; its
// free space is the receive window, rcv.nxt at its start. An out-of-order
// byte is written straight to its final place in the free space (offset
// bytes past rcv.nxt) and its range noted in a fixed array of at most
// max_holes entries; when the hole before it fills, the ring's content grows
// over it with no copy. The ranges are allocated by the constructor, the
// bytes by the first write, nothing after: receiving never allocates (issue
// 10 §2) and a connection that gets no data holds no buffer.
//
//   rcv.nxt - readable()      rcv.nxt                          rcv.nxt + free()
//        | readable bytes      | hole | ooo | hole | ooo |  ...       |
//        \__ read() ___________/\______ the advertised window _______/
//
// The window: free() = capacity() - readable(). Out-of-order bytes are
// *inside* the window and do not reduce it: the window's right edge,
// rcv.nxt + free(), then never moves left when data arrives (RFC 9293
// §3.8.6.2.2 says not to shrink it), and every out-of-order byte the peer
// was allowed to send still fits. The edge moves right only when read()
// frees space.
//
// How the connection uses it
// --------------------------
//   offset = seg.seq - rcv.nxt after RFC 9293 §3.10.7.4's trimming (the part
//   before rcv.nxt is the caller's to cut), then
//   auto r = buf.insert(offset, payload);
//   rcv.nxt += r.advanced;            // and advertise free()
//   ACK at once if offset != 0 or (r.advanced and a hole was filled) (RFC 5681 §4.2)
//   for_each_range(...) gives the SACK blocks when SACK is on (RFC 2018 §4)
//
// Cost: insert is O(data + h + k log k) for h ranges held (at most
// max_holes, 8 by default) of which the segment joins k; read is O(data),
// everything else O(1) or O(h). State: 56 bytes, buffers excluded.
#pragma once

#include <l4/core/byte_ring.hpp>
#include <l4/core/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace l4::tcp {

class receive_buffer {
public:
    // What insert did with each byte of `data`: duplicate + stored + dropped == data.size().
    struct insert_result {
        std::size_t advanced = 0;   // bytes that became readable (rcv.nxt moves by this much); may exceed stored when a hole fills
        std::size_t stored = 0;     // new bytes kept, in order or out of order
        std::size_t duplicate = 0;  // bytes held already (out of order) and ignored
        std::size_t dropped = 0;    // bytes not kept: beyond the window, or a new range past max_holes
        std::size_t beyond_window = 0;  // the part of `dropped` that lay beyond the window
    };

    receive_buffer(std::size_t capacity, std::size_t max_holes = 8)
        : ring_{capacity},
          ranges_{max_holes != 0 ? std::make_unique<range[]>(max_holes) : nullptr},
          max_holes_{max_holes} {}

    // Data `offset` bytes past rcv.nxt (0 = in order).
    insert_result insert(std::size_t offset, bytes data) {
        // In order, nothing held out of order, all of it inside the window: the
        // bulk of any flow, taken where the connection calls, without a call.
        if (offset == 0 && count_ == 0 && !data.empty() && data.size() <= ring_.free()) [[likely]] {
            insert_result r;
            r.stored = r.advanced = ring_.push(data);
            return r;
        }
        return insert_any(offset, data);
    }

    // Contiguous bytes the application may read.
    [[nodiscard]] std::size_t readable() const noexcept { return ring_.size(); }

    // Copies up to out.size() readable bytes and frees their space (the window opens by as much).
    std::size_t read(mut_bytes out) noexcept {
        const std::size_t n = ring_.peek(0, out);
        discard(n);
        return n;
    }

    // The first readable bytes where they lie, for a reader that takes them
    // in place and then discards what it took: all of them, or those up to
    // the end of the storage where they wrap.
    [[nodiscard]] bytes readable_span() const noexcept { return ring_.spans(0, ring_.size()).first; }

    // Frees the first min(n, readable()) bytes (the window opens by as much).
    void discard(std::size_t n) noexcept {
        ring_.consume(n);
        // Emptied, with nothing held beyond: the next bytes go to the ring's first byte again, whose
        // cache lines are still warm, instead of walking on through the storage's cold ones.
        if (ring_.empty() && count_ == 0) ring_.clear();
    }

    // Copies readable bytes from `offset` past the first without freeing them (MSG_PEEK).
    std::size_t peek(std::size_t offset, mut_bytes out) const noexcept { return ring_.peek(offset, out); }

    // The receive window to advertise: capacity() - readable(). Out-of-order
    // bytes lie inside it and are not subtracted (see the top of the file).
    [[nodiscard]] std::size_t free() const noexcept { return ring_.free(); }

    [[nodiscard]] bool has_out_of_order() const noexcept { return count_ != 0; }

    // Where n in-order bytes would go, for a caller that copies them there
    // itself and then inserts that same span at offset 0 (no second copy);
    // empty when something is held out of order, or the place wraps. May
    // make or grow the ring's storage (byte_ring::free_span).
    [[nodiscard]] mut_bytes in_order_slot(std::size_t n) {
        return count_ == 0 ? ring_.free_span(0, n) : mut_bytes{};
    }

    // f(start, end) for each out-of-order range, [start, end) in bytes past
    // rcv.nxt, the most recently received first (RFC 2018 §4); the first
    // `most` only (a SACK option has room for 3 or 4 of thousands).
    template <class F>
    void for_each_range(F&& f, std::size_t most = SIZE_MAX) const {
        for (std::size_t i = 0; i < std::min(count_, most); ++i) f(ranges_[i].start, ranges_[i].end);
    }

    [[nodiscard]] std::size_t range_count() const noexcept { return count_; }
    [[nodiscard]] std::size_t max_holes() const noexcept { return max_holes_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }

    // Bytes held out of order.
    [[nodiscard]] std::size_t out_of_order_bytes() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < count_; ++i) n += ranges_[i].end - ranges_[i].start;
        return n;
    }

    // Forgets everything (a connection reused after reset).
    void clear() noexcept {
        ring_.clear();
        count_ = 0;
    }

private:
    struct range {
        std::size_t start, end;  // [start, end) past rcv.nxt; start > 0, and ranges neither overlap nor touch
    };

    // insert's general case, out of line so that its in-order case inlines where it is called.
    [[gnu::noinline]] insert_result insert_any(std::size_t offset, bytes data) {
        insert_result r;
        const std::size_t window = ring_.free();
        std::size_t n = data.size();
        // RFC 9293 §3.10.7.4: only the part inside the receive window is kept.
        if (offset >= window) {
            r.dropped = r.beyond_window = n;
            return r;
        }
        if (n > window - offset) {
            r.beyond_window = n - (window - offset);
            n = window - offset;
        }
        r.dropped = r.beyond_window;
        if (n == 0) return r;
        if (offset == 0 && count_ == 0) {  // in order, nothing out of order held, cut at the window's edge
            r.stored = r.advanced = ring_.push(data.first(n));
            return r;
        }
        const std::size_t start = offset, end = offset + n;
        // While a hole waits, the next segments grow the latest range (RFC 2018 §4's first): one that
        // joins it alone keeps every range where it is, with no partition, sort or shift.
        if (start != 0 && count_ != 0 && joins_only_first(start, end)) {
            range& h = ranges_[0];
            const std::size_t lo = std::max(start, h.start), hi = std::min(end, h.end);
            if (lo < hi) r.duplicate = hi - lo;
            r.stored = n - r.duplicate;
            write_new_bytes(start, end, data.data(), &h, &h + 1);
            h = {std::min(start, h.start), std::max(end, h.end)};
            return r;
        }

        // The ranges this segment overlaps or touches go to the back, the others keep their order in
        // front (Lomuto's partition is stable for the front). Ranges neither overlap nor touch, so the
        // segment joins exactly these: each range is walked once, however many the segment spans.
        std::size_t kept = 0;
        for (std::size_t i = 0; i < count_; ++i)
            if (ranges_[i].start > end || ranges_[i].end < start) std::swap(ranges_[kept++], ranges_[i]);
        range* const joined = ranges_.get() + kept;
        range* const joined_end = ranges_.get() + count_;
        // A new separate range when the table is full: dropped, so the state stays bounded (the peer resends it).
        if (start != 0 && joined == joined_end && count_ == max_holes_) {
            r.dropped += n;
            return r;
        }
        std::sort(joined, joined_end, [](const range& a, const range& b) { return a.start < b.start; });
        for (const range* h = joined; h != joined_end; ++h) {
            const std::size_t lo = std::max(start, h->start), hi = std::min(end, h->end);
            if (lo < hi) r.duplicate += hi - lo;  // a range that only touches the segment holds none of it
        }
        r.stored = n - r.duplicate;
        write_new_bytes(start, end, data.data(), joined, joined_end);
        range merged{start, end};
        if (joined != joined_end) {
            merged.start = std::min(start, joined->start);
            merged.end = std::max(end, (joined_end - 1)->end);
        }
        count_ = kept;

        if (start == 0) {
            // In order: rcv.nxt moves to the end of the segment and of the ranges it joined; no range
            // left touches that (it would have touched one of them).
            ring_.commit(merged.end);
            for (std::size_t i = 0; i < count_; ++i) {
                ranges_[i].start -= merged.end;
                ranges_[i].end -= merged.end;
            }
            r.advanced = merged.end;
        } else {
            // RFC 2018 §4: the range holding this segment goes first; the others keep their order.
            std::copy_backward(ranges_.get(), ranges_.get() + count_, ranges_.get() + count_ + 1);
            ranges_[0] = merged;
            ++count_;
        }
        return r;
    }

    // [start, end) overlaps or touches the first range and no other.
    [[nodiscard]] bool joins_only_first(std::size_t start, std::size_t end) const noexcept {
        if (ranges_[0].start > end || ranges_[0].end < start) return false;
        for (std::size_t i = 1; i < count_; ++i)
            if (!(ranges_[i].start > end || ranges_[i].end < start)) return false;
        return true;
    }

    // Writes the bytes of [start, end) that no range in [held, held_end) holds (those ranges sorted by
    // start, each overlapping or touching [start, end)): the first copy of a byte wins.
    void write_new_bytes(std::size_t start, std::size_t end, const std::uint8_t* data, const range* held,
                         const range* held_end) noexcept {
        std::size_t at = start;
        for (; held != held_end && at < end; ++held) {
            if (held->start > at) ring_.write_ahead(at, bytes{data + (at - start), std::min(held->start, end) - at});
            at = std::max(at, held->end);
        }
        if (at < end) ring_.write_ahead(at, bytes{data + (at - start), end - at});
    }

    byte_ring ring_;
    std::unique_ptr<range[]> ranges_;
    std::size_t max_holes_;
    std::size_t count_ = 0;
};

}  // namespace l4::tcp
