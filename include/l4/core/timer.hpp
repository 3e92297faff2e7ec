// Timers: an indexed 4-ary min-heap over a slab of timer slots.
//
// What it is
// ----------
// `timer_heap` holds any number of timers, each a slot with a 64-bit
// `user_data` (a socket id, a connection index, a tag: whatever tells the
// owner what to do when it fires) and, while armed, a deadline. The owner
// drives it with the time it is given (l4/core/time.hpp: nothing here reads a
// clock) and asks it when it next needs to run:
//
//   l4::timer_heap timers;
//   timers.reserve(1024);                             // optional: no allocation
//                                                     // afterwards, up to 1024 timers
//   const auto rto = timers.add(conn_index);          // a slot, unarmed
//   timers.arm(rto, now + 200ms);                     // arm or re-arm
//   timers.cancel(rto);                               // disarm, keep the slot
//   ...
//   if (auto t = timers.next_deadline()) wake_at(*t);
//   timers.expire(now, [&](l4::timer_handle h, std::uint64_t conn) {
//       on_timeout(conn, h);                          // may arm, cancel or remove anything
//   });
//   timers.remove(rto);                               // free the slot for reuse
//
// Handles are an index and a generation. Removing a timer bumps its slot's
// generation, so a handle kept after `remove` is stale: every operation on a
// stale handle (or on a default-constructed one) does nothing and answers as
// for an unarmed timer. A slot whose generation would wrap is retired instead
// of reused (16 bytes lost per 2^32 reuses of one slot), so a stale handle can
// never come back to life.
//
// Complexity (n = armed timers)
// -----------------------------
//   add, remove of an unarmed timer   O(1) amortised (O(1) after reserve)
//   arm, re-arm, cancel, remove       O(log4 n)
//   next_deadline, armed, when        O(1)
//   expire firing k timers            O(k log4 n)
// Storage is 16 bytes per slot, 16 per armed timer and, after the largest
// expire so far, 16 per timer it fired; it grows like std::vector and never
// shrinks (`capacity_bytes` reports it), so a steady workload allocates
// nothing once warm.
//
// Laws
// ----
//   1. Order: `expire` reports timers by deadline; timers with equal
//      deadlines in the order they were (last) armed. Re-arming a timer counts
//      as arming it anew, even for the same deadline.
//   2. Exactly once: a timer armed once fires at most once; `expire` disarms
//      it before reporting it, so firing late (an `expire` long after the
//      deadline) is one report, not many.
//   3. No livelock: a timer armed or re-armed inside a callback of `expire`,
//      even for a deadline <= now, does not fire in the same call; it fires in
//      the next call. So a callback that re-arms its own timer for `now` runs
//      once per call.
//   4. Callbacks win: a due timer that an earlier callback of the same
//      `expire` cancels, removes or re-arms is not reported by that call.
//   5. `next_deadline()` is the minimum deadline of the armed timers, exactly;
//      inside a callback it excludes the timers of the current batch.
//   6. If a callback throws, the timers of the batch not yet reported are
//      armed again at their deadlines (after any timer with the same deadline
//      armed meanwhile) and the exception propagates.
// `expire` must not be called from one of its own callbacks (it returns 0).
//
// Why a heap and not a timing wheel: deadlines here are exact nanoseconds
// from the caller, retransmission timers are mostly cancelled before they
// fire, and the simulator runs virtual time that jumps; a heap is exact at any
// resolution and span and needs no tick. The index from slot to heap position
// is what makes cancel and re-arm O(log n) instead of leaving dead entries
// behind (lazy deletion), so memory stays flat however often timers re-arm.
// 4-ary because a node's four 16-byte children fill one cache line and the
// tree is half as deep as a binary one.
#pragma once

#include <l4/core/time.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace l4 {

struct timer_handle {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0;
    friend bool operator==(timer_handle, timer_handle) = default;
};

namespace detail {
struct timer_heap_access;  // tests reach the arming counter through it
}

class timer_heap {
public:
    timer_heap() = default;

    // No allocation afterwards while at most n timers exist (armed or not),
    // whatever they do, `expire` included.
    void reserve(std::size_t n) {
        slots_.reserve(n);
        heap_.reserve(n);
        batch_.reserve(n);
    }

    // A new, unarmed timer that carries `user_data`. Throws std::length_error
    // past 2^32 - 4 slots (the index space), as std::vector does past its own.
    [[nodiscard]] timer_handle add(std::uint64_t user_data) {
        std::uint32_t i;
        if (free_head_ != no_slot) {
            i = free_head_;
            free_head_ = static_cast<std::uint32_t>(slots_[i].user_data);
        } else {
            if (slots_.size() >= max_slots) throw std::length_error("l4::timer_heap: too many timers");
            i = static_cast<std::uint32_t>(slots_.size());
            slots_.push_back(slot{});
        }
        slot& s = slots_[i];
        s.user_data = user_data;
        s.pos = unarmed;
        ++live_;
        return {i, s.generation};
    }

    // Arm for `when`, or move the deadline of an armed timer (earlier or
    // later). Stale handle: no-op.
    void arm(timer_handle h, instant when) {
        slot* s = find(h);
        if (!s) return;
        const entry e{when.time_since_epoch().count(), next_arm_order(), h.index};
        if (s->pos < unarmed_limit) {
            const std::uint32_t p = s->pos;
            const bool earlier = before(e, heap_[p]);
            heap_[p] = e;
            if (earlier)
                sift_up(p);
            else
                sift_down(p);
        } else {
            // Unarmed, or due in the current batch of `expire`: arming takes
            // it out of the batch (law 4).
            heap_.push_back(e);
            sift_up(static_cast<std::uint32_t>(heap_.size() - 1));
        }
    }

    // Disarm, keeping the slot and its handle. No-op if stale or unarmed.
    void cancel(timer_handle h) {
        slot* s = find(h);
        if (!s) return;
        if (s->pos < unarmed_limit) erase_at(s->pos);
        s->pos = unarmed;
    }

    // Cancel and free the slot; the handle (and every copy) becomes stale.
    void remove(timer_handle h) {
        slot* s = find(h);
        if (!s) return;
        if (s->pos < unarmed_limit) erase_at(s->pos);
        s->pos = freed;
        --live_;
        if (s->generation == UINT32_MAX) return;  // retired: never handed out again
        ++s->generation;
        s->user_data = free_head_;
        free_head_ = h.index;
    }

    [[nodiscard]] bool armed(timer_handle h) const {
        const slot* s = find(h);
        return s && s->pos < unarmed_limit;
    }

    [[nodiscard]] std::optional<instant> when(timer_handle h) const {
        const slot* s = find(h);
        if (!s || s->pos >= unarmed_limit) return std::nullopt;
        return to_instant(heap_[s->pos].when);
    }

    [[nodiscard]] std::optional<instant> next_deadline() const {
        if (heap_.empty()) return std::nullopt;
        return to_instant(heap_[0].when);
    }

    // Disarm and report every timer whose deadline is <= now, earliest first
    // (laws 1-6), calling fn(timer_handle, std::uint64_t user_data) for each.
    // Returns how many were reported.
    template <class F>
    std::size_t expire(instant now, F&& fn) {
        if (expiring_) return 0;
        const std::int64_t t = now.time_since_epoch().count();
        if (heap_.empty() || heap_[0].when > t) return 0;

        // Take the whole due batch out of the heap first, so that whatever the
        // callbacks arm cannot join it (law 3) and the heap is consistent
        // while they run.
        batch_.clear();
        while (!heap_.empty() && heap_[0].when <= t) {
            const entry e = heap_[0];
            erase_at(0);
            slots_[e.slot].pos = firing;
            batch_.push_back(e);
        }

        std::size_t next = 0, fired = 0;
        struct guard {
            timer_heap& self;
            std::size_t& next;
            ~guard() {
                // Normal exit: nothing left. Unwinding: re-arm the unreported (law 6).
                for (; next < self.batch_.size(); ++next) {
                    const entry e = self.batch_[next];
                    if (self.slots_[e.slot].pos != firing) continue;
                    self.heap_.push_back({e.when, self.next_arm_order(), e.slot});
                    self.sift_up(static_cast<std::uint32_t>(self.heap_.size() - 1));
                }
                self.batch_.clear();
                self.expiring_ = false;
            }
        } g{*this, next};
        expiring_ = true;
        while (next < batch_.size()) {
            const entry e = batch_[next++];
            slot& s = slots_[e.slot];
            if (s.pos != firing) continue;  // cancelled, removed or re-armed meanwhile (law 4)
            s.pos = unarmed;
            ++fired;
            fn(timer_handle{e.slot, s.generation}, s.user_data);
        }
        return fired;
    }

    [[nodiscard]] std::size_t size() const { return live_; }
    [[nodiscard]] std::size_t armed_count() const { return heap_.size(); }
    [[nodiscard]] std::size_t capacity_bytes() const {
        return slots_.capacity() * sizeof(slot) + (heap_.capacity() + batch_.capacity()) * sizeof(entry);
    }

private:
    friend struct detail::timer_heap_access;

    static constexpr std::size_t arity = 4;
    // slot::pos is a heap position below unarmed_limit, else one of these.
    static constexpr std::uint32_t unarmed = UINT32_MAX;
    static constexpr std::uint32_t firing = UINT32_MAX - 1;  // in expire's batch, not yet reported
    static constexpr std::uint32_t freed = UINT32_MAX - 2;
    static constexpr std::uint32_t unarmed_limit = freed;
    static constexpr std::uint32_t no_slot = UINT32_MAX;
    static constexpr std::size_t max_slots = UINT32_MAX - 3;

    struct slot {
        std::uint64_t user_data = 0;  // free slots: the next free slot's index
        std::uint32_t generation = 0;
        std::uint32_t pos = unarmed;
    };
    // 16 bytes, so four siblings share a cache line. `order` is the arming
    // order that breaks ties; 32 bits wrap, so they are renumbered then (see
    // next_arm_order).
    struct entry {
        std::int64_t when;
        std::uint32_t order;
        std::uint32_t slot;
    };
    static_assert(sizeof(entry) == 16 && sizeof(slot) == 16);

    static constexpr instant to_instant(std::int64_t ns) { return instant{duration{ns}}; }

    // Bitwise, not short-circuit: the compiler can then pick the smaller
    // child with conditional moves, where branches would mispredict on every
    // level (the children of a node are in no order).
    static constexpr bool before(const entry& a, const entry& b) {
        return (a.when < b.when) | ((a.when == b.when) & (a.order < b.order));
    }

    slot* find(timer_handle h) {
        if (h.index >= slots_.size()) return nullptr;
        slot& s = slots_[h.index];
        return s.generation == h.generation && s.pos != freed ? &s : nullptr;
    }
    const slot* find(timer_handle h) const { return const_cast<timer_heap*>(this)->find(h); }

    std::uint32_t next_arm_order() {
        if (next_order_ == UINT32_MAX) renumber();
        return next_order_++;
    }

    // Once per 2^32 arms: give the armed timers the orders 0..n-1 in the
    // order they already have. A heap sorted by (when, order) is still a
    // heap, and no pair changes its relative order, so law 1 holds across
    // the wrap. O(n log n), in place: no allocation.
    void renumber() {
        std::sort(heap_.begin(), heap_.end(), [](const entry& a, const entry& b) { return before(a, b); });
        for (std::size_t i = 0; i < heap_.size(); ++i) {
            heap_[i].order = static_cast<std::uint32_t>(i);
            slots_[heap_[i].slot].pos = static_cast<std::uint32_t>(i);
        }
        next_order_ = static_cast<std::uint32_t>(heap_.size());
    }

    void place(std::uint32_t i, const entry& e) {
        heap_[i] = e;
        slots_[e.slot].pos = i;
    }

    void sift_up(std::uint32_t i) {
        const entry e = heap_[i];
        while (i > 0) {
            const std::uint32_t parent = static_cast<std::uint32_t>((i - 1) / arity);
            if (!before(e, heap_[parent])) break;
            place(i, heap_[parent]);
            i = parent;
        }
        place(i, e);
    }

    void sift_down(std::uint32_t i) {
        const entry e = heap_[i];
        const std::size_t n = heap_.size();
        for (;;) {
            const std::size_t first = std::size_t{i} * arity + 1;
            if (first >= n) break;
            std::size_t best;
            if (first + arity <= n) {
                // A full family, as a little tournament: two independent
                // pairs, then their winners.
                const std::size_t a = first + before(heap_[first + 1], heap_[first]);
                const std::size_t b = first + 2 + before(heap_[first + 3], heap_[first + 2]);
                best = before(heap_[b], heap_[a]) ? b : a;
            } else {
                best = first;
                for (std::size_t c = first + 1; c < n; ++c)
                    if (before(heap_[c], heap_[best])) best = c;
            }
            if (!before(heap_[best], e)) break;
            place(i, heap_[best]);
            i = static_cast<std::uint32_t>(best);
        }
        place(i, e);
    }

    // Remove the entry at heap position i; the caller sets its slot's pos.
    void erase_at(std::uint32_t i) {
        const entry last = heap_.back();
        heap_.pop_back();
        if (i == heap_.size()) return;
        heap_[i] = last;
        if (i > 0 && before(last, heap_[(i - 1) / arity]))
            sift_up(i);
        else
            sift_down(i);
    }

    std::vector<slot> slots_;
    std::vector<entry> heap_;
    std::vector<entry> batch_;  // expire's due timers, kept to reuse its storage
    std::uint32_t free_head_ = no_slot;
    std::uint32_t next_order_ = 0;
    std::size_t live_ = 0;
    bool expiring_ = false;
};

}  // namespace l4
