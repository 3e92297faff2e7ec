// The simulator's event queue: a binary min-heap of 24-byte events ordered by
// (time, insertion number).
//
// Determinism: two events at the same nanosecond run in the order they were
// scheduled, because every event gets a fresh 64-bit insertion number and the
// heap compares (at, seq) — a strict total order, so the heap's internal
// layout never decides anything. The same inputs give the same sequence of
// events on every platform.
//
// An event is plain data: a time and two 32-bit words the owner interprets
// (the network packs a channel index and an event kind into `target`, and a
// frame's slot into `arg`). No callbacks, no allocation once the heap's
// vector has reached its working size.
#pragma once

#include <l4/core/time.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

namespace l4::link::sim {

struct event {
    std::int64_t at;      // nanoseconds of virtual time
    std::uint64_t seq;    // insertion order; breaks ties first-in first-out
    std::uint32_t target;
    std::uint32_t arg;

    [[nodiscard]] friend constexpr bool before(const event& a, const event& b) noexcept {
        return a.at < b.at || (a.at == b.at && a.seq < b.seq);
    }
};
static_assert(sizeof(event) == 24 && std::is_trivially_copyable_v<event>);

[[nodiscard]] constexpr std::int64_t ns_of(instant t) noexcept { return t.time_since_epoch().count(); }
[[nodiscard]] constexpr instant instant_of(std::int64_t ns) noexcept { return instant{duration{ns}}; }

class scheduler {
public:
    scheduler() : heap_(16), capacity_{16} { heap_.front().at = never; }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] const event& top() const noexcept { return heap_.front(); }
    // The top's time, or the largest time when empty: "is an event due by
    // t" is one comparison, next_at() <= t, when t is below that (at that
    // t, ask empty() too).
    [[nodiscard]] std::int64_t next_at() const noexcept { return heap_.front().at; }
    [[nodiscard]] std::optional<instant> next_time() const noexcept {
        if (size_ == 0) return std::nullopt;
        return instant_of(heap_.front().at);
    }
    // Events scheduled so far (also the next insertion number).
    [[nodiscard]] std::uint64_t scheduled() const noexcept { return seq_; }

    void push(std::int64_t at, std::uint32_t target, std::uint32_t arg) {
        if (size_ == capacity_) grow();
        // Sift up from a hole at the end: move parents down until the new
        // event's place is found, then write it once.
        const event e{at, seq_++, target, arg};
        std::size_t i = size_++;
        while (i > 0) {
            const std::size_t parent = (i - 1) / 2;
            if (!before(e, heap_[parent])) break;
            heap_[i] = heap_[parent];
            i = parent;
        }
        heap_[i] = e;
    }

    event pop() noexcept {
        const event first = heap_.front();
        const std::size_t n = --size_;
        if (n > 0) sift_down(heap_[n], n);
        else heap_.front().at = never;
        return first;
    }

    // pop() then push(at, target, arg), in one sift: the same insertion
    // number, the same order after. For an event whose handling schedules
    // the next of its kind (a channel's next frame arriving). The heap is
    // not empty.
    void replace_top(std::int64_t at, std::uint32_t target, std::uint32_t arg) noexcept {
        sift_down({at, seq_++, target, arg}, size_);
    }

    void reserve(std::size_t n) {
        if (n <= capacity_) return;
        heap_.resize(n);
        capacity_ = n;
    }

private:
    static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

    // Fills the root's hole with e, in heap_[0, n): moves the earlier
    // child up until e's place is found, then writes e once.
    void sift_down(const event e, std::size_t n) noexcept {
        std::size_t i = 0;
        for (;;) {
            std::size_t child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
            if (!before(heap_[child], e)) break;
            heap_[i] = heap_[child];
            i = child;
        }
        heap_[i] = e;
    }

    // Out of line: inlined, the reallocation made every push save and
    // restore six registers.
    [[gnu::noinline]] void grow() { reserve(std::max<std::size_t>(16, 2 * capacity_)); }

    // The heap is heap_[0, size_); the rest is room to grow into. Never
    // empty: with no event, heap_[0].at is `never`, what next_at() reads.
    std::vector<event> heap_;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;  // heap_.size(), without a division by 24 at every push
    std::uint64_t seq_ = 0;
};

}  // namespace l4::link::sim
