// A ring of bytes with a capacity fixed at construction: TCP's send buffer
// (bytes written and not yet acknowledged) and the storage of its receive
// buffer (tcp/reassembly.hpp).
//
// The capacity is a limit, not an allocation: the storage is made at the
// first write and doubles when the bytes in use (content and what
// write_ahead put beyond it) need more, up to the capacity. A connection
// that never carries data (a half-open one from a SYN flood) holds no
// buffer at all; one whose peer keeps 300 KB in flight through a 4 MiB
// buffer cycles through 512 KiB of storage, in cache, not through 4 MiB of
// cold memory. The storage grows at most log2(capacity / 4 KiB) times, so a
// connection's per-segment path allocates nothing once it reached its
// working size (issue 10 §2). A send buffer also trim()s: once its content
// fills at most a quarter of the storage, it wraps within a part of it
// again, so that a slow start's overshoot or a burst does not leave it
// writing through its peak size for ever (nothing is freed: growing back
// into the part set aside moves bytes and allocates nothing). Any size
// works: positions wrap by one comparison and subtraction, never by a
// modulo, and a copy is at most two memcpy calls. A ring holds at most
// 4 GiB - 1 bytes (a TCP window is at most 1 GiB).
//
//   front                              back
//     | <------------- size() -------------> | <----- free() ----> |
//     [ acknowledged-next ... unsent data ]   [ room for push() ]
//
//   push(data)          appends what fits, returns how much
//   peek(offset, out)   copies from `offset` bytes past the front, consuming nothing:
//                       a segment to (re)transmit starts at (seq - snd.una)
//   spans(offset, n)    the same bytes where they lie, for a caller that copies them itself
//   consume(n)          drops n bytes from the front: data the peer acknowledged
//   pop(out)            peek(0, out) then consume
//   write_ahead(offset, data), commit(n)
//                       write into the free space without making it content, then
//                       append it: out-of-order bytes stored in their final place
//   free_span(offset, n) that free space where it lies, for a caller that fills it
//                       itself (and then passes it to write_ahead, which copies nothing)
//   back_span(max)      the free space at the back where it lies, up to where the
//                       storage wraps, for a caller that fills it and push()es it
//   trim()              wraps within less of the storage when the content shrank
//
// State: a pointer and five 32-bit sizes (32 bytes), buffer excluded.
#pragma once

#include <l4/core/bytes.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

namespace l4 {

class byte_ring {
public:
    explicit byte_ring(std::size_t capacity) noexcept
        : capacity_{static_cast<std::uint32_t>(std::min<std::size_t>(capacity, max_capacity))} {}

    byte_ring(byte_ring&& o) noexcept
        : data_{std::move(o.data_)},
          capacity_{std::exchange(o.capacity_, 0)},
          storage_{std::exchange(o.storage_, 0)},
          allocated_{std::exchange(o.allocated_, 0)},
          head_{std::exchange(o.head_, 0)},
          size_{std::exchange(o.size_, 0)} {}
    byte_ring& operator=(byte_ring&& o) noexcept {
        data_ = std::move(o.data_);
        capacity_ = std::exchange(o.capacity_, 0);
        storage_ = std::exchange(o.storage_, 0);
        allocated_ = std::exchange(o.allocated_, 0);
        head_ = std::exchange(o.head_, 0);
        size_ = std::exchange(o.size_, 0);
        return *this;
    }

    static constexpr std::size_t max_capacity = std::numeric_limits<std::uint32_t>::max();

    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] std::size_t free() const noexcept { return capacity_ - size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] bool full() const noexcept { return size_ == capacity_; }

    // Appends as much of `data` as fits; returns how many bytes that was.
    std::size_t push(bytes data) {
        const std::size_t n = write_ahead(0, data);
        size_ += n;
        return n;
    }

    // Copies up to out.size() bytes starting `offset` bytes past the front;
    // returns how many (0 when offset >= size()).
    std::size_t peek(std::size_t offset, mut_bytes out) const noexcept {
        if (offset >= size_) return 0;
        const std::size_t n = std::min(out.size(), size_ - offset);
        copy_out(offset, out.data(), n);
        return n;
    }

    // The bytes from `offset` past the front, up to `n` of them, where they
    // lie: one span, or two where the ring wraps (the second empty otherwise).
    [[gnu::hot]] [[nodiscard]] std::pair<bytes, bytes> spans(std::size_t offset, std::size_t n) const noexcept {
        if (offset >= size_) return {};
        n = std::min(n, size_ - offset);
        const std::size_t at = wrap(head_ + offset);
        const std::size_t first = std::min(n, storage_ - at);
        return {bytes{data_.get() + at, first}, bytes{data_.get(), n - first}};
    }

    // Copies up to out.size() bytes from the front and removes them.
    std::size_t pop(mut_bytes out) noexcept {
        const std::size_t n = peek(0, out);
        consume(n);
        return n;
    }

    // Drops min(n, size()) bytes from the front.
    void consume(std::size_t n) noexcept {
        n = std::min<std::size_t>(n, size_);
        head_ = static_cast<std::uint32_t>(wrap(head_ + n));
        size_ -= n;
        // The front is not moved back to index 0 when the ring empties: bytes put in the free space by write_ahead
        // must stay where they are relative to the back.
    }

    // Empties the ring (and forgets whatever write_ahead put in the free space).
    void clear() noexcept {
        head_ = 0;
        size_ = 0;
    }

    // Copies as much of `data` as fits into the free space starting `offset`
    // bytes past the back; size() is unchanged. Returns how many bytes fit
    // (0 when offset >= free()).
    [[gnu::hot]] std::size_t write_ahead(std::size_t offset, bytes data) {
        if (offset >= free()) return 0;
        const std::size_t n = std::min(data.size(), free() - offset);
        if (n == 0) return 0;
        reserve(size_ + offset + n);
        copy_in(size_ + offset, data.data(), n);
        return n;
    }

    // The n bytes of free space from `offset` past the back, where they lie
    // (the storage made or grown to hold them), when they are one span;
    // empty where they wrap. A caller that writes there hands the same span
    // to write_ahead, which then copies nothing: TCP's receiver verifies a
    // segment's checksum as it copies the payload here, one pass over its
    // bytes instead of two.
    [[nodiscard]] mut_bytes free_span(std::size_t offset, std::size_t n) {
        if (n == 0 || offset >= free() || n > free() - offset) return {};
        reserve(size_ + offset + n);
        const std::size_t at = wrap(head_ + size_ + offset);
        if (n > storage_ - at) return {};
        return mut_bytes{data_.get() + at, n};
    }

    // Up to `max` bytes of free space at the back, where they lie: the
    // storage made or grown to hold them, and the span cut where the
    // storage wraps (the rest follows at its start). Empty when full. A
    // caller that fills it and push()es the same bytes copies nothing.
    [[nodiscard]] mut_bytes back_span(std::size_t max) {
        const std::size_t n = std::min(max, free());
        if (n == 0) return {};
        reserve(size_ + n);
        const std::size_t at = wrap(head_ + size_);
        return mut_bytes{data_.get() + at, std::min(n, storage_ - at)};
    }

    // Makes the first min(n, free()) bytes of the free space content, as
    // written by write_ahead (or unspecified bytes where nothing was).
    void commit(std::size_t n) {
        n = std::min(n, free());
        if (n == 0) return;
        reserve(size_ + n);
        size_ += n;
    }

    // While the content fills at most a quarter of the storage in use, the
    // ring wraps within half as much (not below 4 KiB), the content moved to
    // its start: the next bytes written land on cache lines used a short
    // while ago, not on ones a whole peak-sized storage of traffic back (a
    // send buffer that overshot to 1 MiB in slow start and then holds 200 KB
    // missed a 1 MiB L2 at every line it wrote). Growing back starts by
    // doubling, so a content that hovers does not move bytes again and
    // again. For a ring without bytes written ahead: those are forgotten.
    void trim() noexcept {
        if (size_ > storage_ / 4 || storage_ / 2 < first_storage) [[likely]]
            return;
        std::uint32_t part = storage_;
        while (size_ <= part / 4 && part / 2 >= first_storage) part /= 2;
        // The piece before the wrap goes behind the piece from the front, then that one to the start.
        const std::size_t first = std::min(size_, storage_ - head_);
        std::memmove(data_.get() + first, data_.get(), size_ - first);
        std::memmove(data_.get(), data_.get() + head_, first);
        storage_ = part;
        head_ = 0;
    }

    // Whether the storage exists yet (it is made by the first write).
    [[nodiscard]] bool allocated() const noexcept { return data_ != nullptr; }
    // The bytes of storage made so far: at most capacity().
    [[nodiscard]] std::size_t storage() const noexcept { return allocated_; }
    // The part of it the ring wraps within: storage() unless trim() set some aside.
    [[nodiscard]] std::size_t storage_in_use() const noexcept { return storage_; }

private:
    static constexpr std::uint32_t first_storage = 4096;

    // Position `pos` bytes past the start of the storage; pos < 2 * storage.
    [[nodiscard]] std::size_t wrap(std::size_t pos) const noexcept { return pos >= storage_ ? pos - storage_ : pos; }

    // Makes the storage in use hold at least `used` bytes from the front
    // (used <= capacity): doubled, or at once to what is needed, the bytes
    // (content and whatever lies in the free space beyond it) kept at their
    // offsets from the front.
    void reserve(std::size_t used) {
        if (used <= storage_) [[likely]]
            return;
        auto grown = static_cast<std::uint32_t>(std::min<std::size_t>(
            capacity_, std::max({used, std::size_t{storage_} * 2, std::size_t{first_storage}})));
        if (used <= allocated_) grown = std::min(grown, allocated_);
        if (grown <= allocated_) {
            // Back into what trim() set aside: the bytes from the front to the old end move to the new end.
            if (head_ != 0) {
                const std::size_t tail = storage_ - head_;
                std::memmove(data_.get() + grown - tail, data_.get() + head_, tail);
                head_ = static_cast<std::uint32_t>(grown - tail);
            }
            storage_ = grown;
            return;
        }
        auto next = std::make_unique_for_overwrite<std::uint8_t[]>(grown);
        copy_out(0, next.get(), storage_);  // the whole storage in ring order, from the front
        data_ = std::move(next);
        storage_ = allocated_ = grown;
        head_ = 0;
    }

    void copy_out(std::size_t offset, std::uint8_t* to, std::size_t n) const noexcept {
        if (n == 0) return;
        const std::size_t at = wrap(head_ + offset);
        // Never taken (offset + n <= storage_). Said so that GCC 12, which cannot see it, does not warn of a copy
        // out of bounds (-Warray-bounds) where a caller passes a constant offset.
        if (at >= storage_) return;
        const std::size_t first = std::min(n, storage_ - at);
        copy_bytes(bytes{data_.get() + at, first}, to);
        copy_bytes(bytes{data_.get(), n - first}, to + first);
    }

    void copy_in(std::size_t offset, const std::uint8_t* from, std::size_t n) noexcept {
        if (n == 0) return;
        const std::size_t at = wrap(head_ + offset);
        // Never taken (offset + n <= storage_). Said so that GCC 12, which cannot see it, does not warn of a copy
        // out of bounds (-Warray-bounds) where a caller passes a constant offset.
        if (at >= storage_) return;
        if (from == data_.get() + at) return;  // written in place, through free_span
        const std::size_t first = std::min(n, storage_ - at);
        copy_bytes(bytes{from, first}, data_.get() + at);
        copy_bytes(bytes{from + first, n - first}, data_.get());
    }

    std::unique_ptr<std::uint8_t[]> data_;
    std::uint32_t capacity_;
    std::uint32_t storage_ = 0;    // bytes of data_ the ring wraps within
    std::uint32_t allocated_ = 0;  // bytes of data_
    std::uint32_t head_ = 0;  // index of the front byte
    std::uint32_t size_ = 0;
};

}  // namespace l4
