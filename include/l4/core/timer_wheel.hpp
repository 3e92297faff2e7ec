// Timers: a hierarchical timing wheel with exact nanosecond deadlines.
//
// What it is
// ----------
// `timer_wheel` is a drop-in twin of `timer_heap` (l4/core/timer.hpp): the
// same handles, members and laws, so an owner can switch between them by
// changing one type. It holds any number of timers, each a slot with a 64-bit
// `user_data` and, while armed, a deadline; the owner gives it the time
// (nothing here reads a clock) and asks when it next needs to run:
//
//   l4::timer_wheel timers;
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
// Handles are an index and a generation, exactly as for timer_heap: every
// operation on a stale handle (removed, default-constructed, from nowhere)
// does nothing and answers as for an unarmed timer; a slot whose generation
// would wrap is retired, not reused.
//
// Design (Varghese & Lauck's hierarchical wheel, on a 64-bit key)
// ---------------------------------------------------------------
// A deadline becomes an unsigned 64-bit key (the instant's nanoseconds with
// the sign bit flipped, so key order is time order over the whole range of
// `l4::instant`). The wheel has a cursor `cur` (one past the `now` of the last
// `expire`, in keys) and 7 levels of 1024 slots; level L holds, in slot d,
// the timers whose key agrees with `cur` above bit 10(L+1) and has the digit d
// in bits 10L..10L+9 -- the level is the highest 10-bit digit in which key and
// cur differ. Level 0 slots are single nanoseconds, level 1 slots 1.02 us,
// level 2 1.05 ms, level 3 1.07 s, level 4 18.3 min, level 5 13 days, level 6
// (16 slots) the rest of the 2^64 ns range: no overflow list is needed. Each
// slot is an intrusive doubly linked list through the timer slots (indices,
// not pointers), and each level has a two-word occupancy bitmap, so the first
// non-empty slot is two count-trailing-zeros away. When time reaches a slot of
// level L > 0, its timers move ("cascade") to lower levels, placed relative to
// the exact earliest deadline in that slot (not the slot's start), so the
// timer about to fire drops straight to level 0. A move always goes down at
// least one level: a timer moves at most 6 times in its life, and only as far
// as the distance to its deadline requires (a 200 ms timer is armed into
// level 2 and moves at most twice). A timer armed for a key below `cur` (a deadline in the past, or
// armed inside a callback for <= now) goes on a separate "past" list, which
// the next `expire` empties. The deadline stored and checked is always the
// exact key; slots only say where to look. A cancel that leaves nothing
// armed leaves its timer in its slot's list, unarmed ("lingering"): nothing
// reads a slot while nothing is armed, and armed again in that slot (a
// receiver's delayed ACK, cancelled and re-armed at every other segment) it
// costs no list or bitmap work; the cursor stays meanwhile, and any other
// arm takes the lingering timer out of its list first.
//
// Complexity (n = armed timers, p = timers on the past list, s = timers in
// the earliest non-empty slot)
// -----------------------------------------------------------------------
//   add, remove of an unarmed timer   O(1) amortised (O(1) after reserve)
//   arm, re-arm, cancel, remove       O(1): a list unlink and link, a bit;
//                                     a re-arm within its slot rewrites the key
//   armed, when                       O(1)
//   next_deadline                     O(1) while the cached minimum stands;
//                                     after the minimum timer fires, is
//                                     cancelled or moves later, the next call
//                                     pays O(1) bitmaps + O(s + p) to rescan
//   expire with nothing due           O(1) while the cached minimum stands
//   expire firing k timers            O(k + m + p) + O(t log t) per group of
//                                     t timers sharing one deadline, where m
//                                     are cascade moves: at most 6 per arming,
//                                     amortised O(1) per timer, independent of n
// A jump of virtual time by any amount costs the same: empty slots are
// skipped through the bitmaps, never walked. In monotonic use (now never goes
// back) the past list holds only timers due at the next `expire`, so p is
// part of k. Storage is 40 bytes per slot and 4 per timer fired in the largest
// `expire` so far, plus 28 KiB of slot heads allocated by the first `add` or
// `reserve`; it grows like std::vector and never shrinks (`capacity_bytes`).
//
// Laws (the same as timer_heap's)
// -------------------------------
//   1. Order: `expire` reports timers by deadline; timers with equal
//      deadlines in the order they were (last) armed. Re-arming counts as
//      arming anew, even for the same deadline.
//   2. Exactly once: `expire` disarms a timer before reporting it, so firing
//      late is one report, not many.
//   3. No livelock: a timer armed or re-armed inside a callback of `expire`,
//      even for a deadline <= now, does not fire in the same call; it fires in
//      the next call.
//   4. Callbacks win: a due timer that an earlier callback of the same
//      `expire` cancels, removes or re-arms is not reported by that call.
//   5. `next_deadline()` is the minimum deadline of the armed timers, exactly;
//      inside a callback it excludes the timers of the current batch.
//   6. If a callback throws, the timers of the batch not yet reported are
//      armed again at their deadlines (after any timer with the same deadline
//      armed meanwhile) and the exception propagates.
// `expire` must not be called from one of its own callbacks (it returns 0).
// `next_deadline` is const but refreshes a cached minimum: like the rest of
// the class, one instance is for one thread at a time.
//
// Why a wheel beside the heap: the heap's pop touches one cache line per
// level, so its cost per fire grows with log n and with the cache misses of a
// large heap; the wheel touches the fired timer, its slot head and, amortised,
// a bounded number of cascade moves, whatever n is.
#pragma once

#include <l4/core/time.hpp>
#include <l4/core/timer.hpp>  // timer_handle

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace l4 {

namespace detail {
struct timer_wheel_access;  // tests read the cursor and the cascade counter through it
}

class timer_wheel {
public:
    timer_wheel() = default;

    // No allocation afterwards while at most n timers exist (armed or not),
    // whatever they do, `expire` included.
    void reserve(std::size_t n) {
        init_heads();
        nodes_.reserve(n);
        batch_.reserve(n);
    }

    // A new, unarmed timer that carries `user_data`. Throws std::length_error
    // past 2^32 - 4 slots.
    [[nodiscard]] timer_handle add(std::uint64_t user_data) {
        init_heads();
        std::uint32_t i;
        if (free_head_ != none) {
            i = free_head_;
            free_head_ = static_cast<std::uint32_t>(nodes_[i].user_data);
        } else {
            if (nodes_.size() >= max_slots) throw std::length_error("l4::timer_wheel: too many timers");
            i = static_cast<std::uint32_t>(nodes_.size());
            nodes_.push_back(node{});
            ++slots_;
        }
        node& s = nodes_[i];
        s.user_data = user_data;
        s.where = unarmed;
        ++live_;
        return {i, s.generation};
    }

    // Arm for `when`, or move the deadline of an armed timer. Stale: no-op.
    [[gnu::hot]] void arm(timer_handle h, instant when) {
        node* s = find(h);
        if (!s) return;
        const std::uint64_t key = to_key(when);
        if (s->where < past_bucket && stays_in_slot(*s, key)) {
            // The same slot (a connection's RTO pushed on by a few ns): slots are unordered lists, so only
            // the key and the arming order change, not the list or the bitmaps.
            if (armed_ == 1) {  // the only armed timer (a host with one connection) is the minimum
                min_key_ = key;
                min_valid_ = true;
            } else if (s->key == min_key_ && key != s->key) {
                min_valid_ = false;
            } else if (min_valid_ && key < min_key_) {
                min_key_ = key;
            }
            s->key = key;
            s->order = next_order_++;
            return;
        }
        if (h.index == linger_) {
            // Cancelled as the last armed timer and left in its slot: armed again in that slot (a
            // receiver's delayed ACK, cancelled by every second segment), no list or bitmap changes.
            linger_ = none;
            s->where = linger_bucket_;
            if (stays_in_slot(*s, key)) {
                s->key = key;
                s->order = next_order_++;
                count_armed(key);
                return;
            }
            unlink(h.index);
        } else if (s->where < unarmed_limit) {
            disarm(h.index);
        }
        // Unarmed, or due in the current batch of `expire`: arming takes it
        // out of the batch (law 4), since the batch reports only `firing`.
        s->key = key;
        s->order = next_order_++;
        insert(h.index);
    }

    // Disarm, keeping the slot and its handle. No-op if stale or unarmed.
    void cancel(timer_handle h) {
        node* s = find(h);
        if (!s) return;
        if (s->where < past_bucket && armed_ == 1) {
            // The last armed timer stays in its wheel slot, unarmed, until it is armed again there or
            // anything else is armed: nothing reads a slot while nothing is armed.
            --armed_;
            linger_ = h.index;
            linger_bucket_ = s->where;
        } else if (s->where < unarmed_limit) {
            disarm(h.index);
        }
        s->where = unarmed;
    }

    // Cancel and free the slot; the handle (and every copy) becomes stale.
    void remove(timer_handle h) {
        node* s = find(h);
        if (!s) return;
        if (h.index == linger_) drop_lingering();
        if (s->where < unarmed_limit) disarm(h.index);
        s->where = freed;
        --live_;
        if (s->generation == UINT32_MAX) return;  // retired: never handed out again
        ++s->generation;
        s->user_data = free_head_;
        free_head_ = h.index;
    }

    [[nodiscard]] bool armed(timer_handle h) const {
        const node* s = find(h);
        return s && s->where < unarmed_limit;
    }

    [[nodiscard]] std::optional<instant> when(timer_handle h) const {
        const node* s = find(h);
        if (!s || s->where >= unarmed_limit) return std::nullopt;
        return to_instant(s->key);
    }

    [[nodiscard]] std::optional<instant> next_deadline() const {
        if (armed_ == 0) return std::nullopt;
        if (!min_valid_) {
            min_key_ = find_minimum();
            min_valid_ = true;
        }
        return to_instant(min_key_);
    }

    // Disarm and report every timer whose deadline is <= now, earliest first
    // (laws 1-6), calling fn(timer_handle, std::uint64_t user_data) for each.
    // Returns how many were reported.
    template <class F>
    std::size_t expire(instant now, F&& fn) {
        if (expiring_) return 0;
        const std::uint64_t now_key = to_key(now);
        // Nothing due: a host polled for a frame pays a comparison, not a
        // walk of the past list and the levels. Past the cached minimum the
        // cursor stays (moving it may ask for cascades).
        if (armed_ != 0 && min_valid_ && min_key_ > now_key) return 0;
        // The cursor moves to one past now (saturating at the last key, where
        // it stays at now). Every wheel timer is at or above the cursor, so
        // only a now at or above it can find one due.
        const std::uint64_t target = now_key == UINT64_MAX ? now_key : now_key + 1;
        // With nothing armed the cursor moves for free, unless a cancelled
        // timer lingers in its slot (which the cursor's move could make wrong).
        if (armed_ == 0) {
            if (linger_ == none) cur_ = std::max(cur_, target);
            return 0;
        }
        return expire_due(now_key, target, fn);
    }

    [[nodiscard]] std::size_t size() const { return live_; }
    [[nodiscard]] std::size_t armed_count() const { return armed_; }
    [[nodiscard]] std::size_t capacity_bytes() const {
        return nodes_.capacity() * sizeof(node) + batch_.capacity() * sizeof(std::uint32_t) +
               heads_.capacity() * sizeof(std::uint32_t);
    }

private:
    friend struct detail::timer_wheel_access;

    static constexpr unsigned bits = 10;                 // per level
    static constexpr std::uint32_t slots = 1u << bits;  // per level
    static constexpr unsigned levels = (64 + bits - 1) / bits;
    static constexpr std::uint32_t words = slots / 64;  // bitmap words per level
    static_assert(words <= 64, "one summary word per level");
    static constexpr std::uint32_t past_bucket = levels * slots;
    static constexpr std::uint32_t buckets = past_bucket + 1;

    // node::where is a bucket below unarmed_limit, else one of these.
    static constexpr std::uint32_t unarmed = UINT32_MAX;
    static constexpr std::uint32_t firing = UINT32_MAX - 1;  // in expire's batch, not yet reported
    static constexpr std::uint32_t freed = UINT32_MAX - 2;
    static constexpr std::uint32_t unarmed_limit = buckets;
    static constexpr std::uint32_t none = UINT32_MAX;
    static constexpr std::size_t max_slots = UINT32_MAX - 3;

    struct node {
        std::uint64_t key = 0;        // the exact deadline, as a key
        std::uint64_t order = 0;      // arming order: 64 bits never wrap in practice
        std::uint64_t user_data = 0;  // free slots: the next free slot's index
        std::uint32_t next = none, prev = none;
        std::uint32_t generation = 0;
        std::uint32_t where = unarmed;
    };
    static_assert(sizeof(node) == 40);

    // Key order is instant order: flip the sign bit of the two's complement.
    static constexpr std::uint64_t to_key(instant t) {
        return static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ (std::uint64_t{1} << 63);
    }
    static constexpr instant to_instant(std::uint64_t key) {
        return instant{duration{static_cast<std::int64_t>(key ^ (std::uint64_t{1} << 63))}};
    }

    node* find(timer_handle h) {
        if (h.index >= slots_) return nullptr;
        node& s = nodes_[h.index];
        return s.generation == h.generation && s.where != freed ? &s : nullptr;
    }
    const node* find(timer_handle h) const { return const_cast<timer_wheel*>(this)->find(h); }

    void init_heads() {
        if (heads_.empty()) heads_.assign(buckets, none);
    }

    // ---- buckets: lists and occupancy ----------------------------------

    void set_bit(std::uint32_t bucket) {
        const std::uint32_t level = bucket / slots, digit = bucket % slots;
        map_[level][digit / 64] |= std::uint64_t{1} << (digit % 64);
        summary_[level] |= std::uint64_t{1} << (digit / 64);
        level_mask_ |= 1u << level;
    }
    void clear_bit(std::uint32_t bucket) {
        const std::uint32_t level = bucket / slots, digit = bucket % slots;
        std::uint64_t& w = map_[level][digit / 64];
        w &= ~(std::uint64_t{1} << (digit % 64));
        if (w != 0) return;
        summary_[level] &= ~(std::uint64_t{1} << (digit / 64));
        if (summary_[level] == 0) level_mask_ &= ~(1u << level);
    }
    // The first non-empty slot of a non-empty level. No position to start
    // from is needed: every armed timer's digit at its level is above cur's
    // (level 0: at or above), so the slots below cur's digit are empty.
    std::uint32_t first_slot(unsigned level) const {
        const auto w = static_cast<std::uint32_t>(std::countr_zero(summary_[level]));
        return w * 64 + static_cast<std::uint32_t>(std::countr_zero(map_[level][w]));
    }
    // The first key of slot `digit` of `level`, in cur's block of that level.
    std::uint64_t slot_start(unsigned level, std::uint32_t digit) const {
        const unsigned shift = bits * (level + 1);
        const std::uint64_t high = shift >= 64 ? 0 : cur_ & ~((std::uint64_t{1} << shift) - 1);
        return high | (std::uint64_t{digit} << (bits * level));
    }

    void link(std::uint32_t i, std::uint32_t bucket) {
        node& s = nodes_[i];
        s.where = bucket;
        s.prev = none;
        s.next = heads_[bucket];
        if (s.next != none)
            nodes_[s.next].prev = i;
        else if (bucket != past_bucket)
            set_bit(bucket);
        heads_[bucket] = i;
    }
    void unlink(std::uint32_t i) {
        const node& s = nodes_[i];
        if (s.prev != none)
            nodes_[s.prev].next = s.next;
        else
            heads_[s.where] = s.next;
        if (s.next != none) nodes_[s.next].prev = s.prev;
        if (heads_[s.where] == none && s.where != past_bucket) clear_bit(s.where);
    }

    // The wheel slot of a key at or above cur (below it: the past list's number, no slot).
    std::uint32_t wheel_bucket(std::uint64_t key) const {
        if (key < cur_) return past_bucket;
        const std::uint64_t x = key ^ cur_;
        const unsigned level = static_cast<unsigned>(std::bit_width(x | 1) - 1) / bits;
        const auto digit = static_cast<std::uint32_t>((key >> (bits * level)) & (slots - 1));
        return level * slots + digit;
    }

    // Whether wheel_bucket(key) is the slot a wheel timer is in: every wheel
    // timer's slot is wheel_bucket of its key (cascades keep it so), and a
    // key at or above cur with the same digits from the slot's level up has
    // the same. A shift and a compare, not a bit_width and a division.
    bool stays_in_slot(const node& s, std::uint64_t key) const {
        return key >= cur_ && ((key ^ s.key) >> (bits * (s.where / slots))) == 0;
    }

    // Place an armed timer (key and order set) by its key relative to cur.
    [[gnu::hot]] void place(std::uint32_t i) {
        const std::uint64_t key = nodes_[i].key;
        if (key < cur_) {
            if (level_mask_ != 0 || heads_[past_bucket] != none) {
                link(i, past_bucket);
                return;
            }
            // Nothing is armed: the cursor may move back for free, and this
            // timer goes into the wheel instead of the past list.
            cur_ = key;
        }
        link(i, wheel_bucket(key));
    }

    // Arm: place, count, and keep the cached minimum exact. A lingering
    // timer leaves its slot first: the slots are read again once one is armed.
    void insert(std::uint32_t i) {
        if (linger_ != none) drop_lingering();
        place(i);
        count_armed(nodes_[i].key);
    }
    void count_armed(std::uint64_t key) {
        if (armed_++ == 0) {
            min_key_ = key;
            min_valid_ = true;
        } else if (min_valid_ && key < min_key_) {
            min_key_ = key;
        }
    }
    // The lingering timer (see cancel) out of its slot.
    void drop_lingering() {
        nodes_[linger_].where = linger_bucket_;
        unlink(linger_);
        nodes_[linger_].where = unarmed;
        linger_ = none;
    }
    // Disarm: the caller sets `where`.
    void disarm(std::uint32_t i) {
        unlink(i);
        --armed_;
        if (nodes_[i].key == min_key_) min_valid_ = false;
    }

    // The minimum key of the armed timers (armed_ > 0). Every past timer is
    // below cur and every wheel timer at or above it; in the wheel, the
    // lowest non-empty level's first slot holds the earliest timers (a
    // higher level's slots start past the end of cur's block of this one).
    std::uint64_t find_minimum() const {
        std::uint64_t best = UINT64_MAX;
        if (heads_[past_bucket] != none) {
            for (std::uint32_t i = heads_[past_bucket]; i != none; i = nodes_[i].next)
                best = std::min(best, nodes_[i].key);
            return best;
        }
        const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
        const std::uint32_t digit = first_slot(level);
        if (level == 0) return slot_start(0, digit);
        return bucket_minimum(level * slots + digit);
    }
    std::uint64_t bucket_minimum(std::uint32_t bucket) const {
        std::uint64_t best = UINT64_MAX;
        for (std::uint32_t i = heads_[bucket]; i != none; i = nodes_[i].next) best = std::min(best, nodes_[i].key);
        return best;
    }

    // ---- expire's steps ---------------------------------------------------

    // expire() past its checks: the walk and the callbacks. Out of line, so
    // that a host's poll with nothing due (most of them) carries none of its
    // code in the instruction cache.
    template <class F>
    [[gnu::noinline]] std::size_t expire_due(std::uint64_t now_key, std::uint64_t target, F& fn) {
        // Collect the whole due batch first, so that whatever the callbacks
        // arm cannot join it (law 3) and the wheel is consistent while they run.
        batch_.clear();
        collect_past(now_key);
        if (now_key >= cur_) {
            while (level_mask_ != 0) {
                const unsigned level = static_cast<unsigned>(std::countr_zero(level_mask_));
                const std::uint32_t digit = first_slot(level);
                const std::uint64_t start = slot_start(level, digit);
                const std::uint32_t bucket = level * slots + digit;
                if (level == 0) {
                    if (start > now_key) break;
                    cur_ = start;
                    collect_bucket(bucket);  // every timer of a level-0 slot has key == start
                } else {
                    if (start > target) break;
                    // The earliest armed timer is in this slot (the past list
                    // is empty here: all of it was due). Moving the cursor to
                    // its exact deadline, not to the slot's start, sends it to
                    // level 0 in one move instead of one move per level; the
                    // others go down as far as their distance from it says.
                    if (!min_valid_) {
                        min_key_ = bucket_minimum(bucket);
                        min_valid_ = true;
                    }
                    cur_ = std::min(min_key_, target);
                    cascade(bucket);
                }
            }
            cur_ = std::max(cur_, target);
        }
        if (batch_.empty()) return 0;

        std::size_t next = 0, fired = 0;
        struct guard {
            timer_wheel& self;
            std::size_t& next;
            ~guard() {
                // Normal exit: nothing left. Unwinding: re-arm the unreported (law 6).
                for (; next < self.batch_.size(); ++next) {
                    const std::uint32_t i = self.batch_[next];
                    node& s = self.nodes_[i];
                    if (s.where != firing) continue;
                    s.order = self.next_order_++;
                    self.insert(i);
                }
                self.batch_.clear();
                self.expiring_ = false;
            }
        } g{*this, next};
        expiring_ = true;
        while (next < batch_.size()) {
            const std::uint32_t i = batch_[next++];
            node& s = nodes_[i];
            if (s.where != firing) continue;  // cancelled, removed or re-armed meanwhile (law 4)
            s.where = unarmed;
            ++fired;
            fn(timer_handle{i, s.generation}, s.user_data);
        }
        return fired;
    }


    // Move a bucket's timers to the batch as `firing`, sorted by (key, order).
    void take(std::uint32_t i) {
        --armed_;
        nodes_[i].where = firing;
        batch_.push_back(i);
    }
    void sort_run(std::size_t from) {
        if (batch_.size() - from < 2) return;
        std::sort(batch_.begin() + static_cast<std::ptrdiff_t>(from), batch_.end(),
                  [this](std::uint32_t a, std::uint32_t b) {
                      const node &x = nodes_[a], &y = nodes_[b];
                      return x.key < y.key || (x.key == y.key && x.order < y.order);
                  });
    }
    void collect_past(std::uint64_t now_key) {
        const std::size_t from = batch_.size();
        for (std::uint32_t i = heads_.empty() ? none : heads_[past_bucket]; i != none;) {
            const std::uint32_t next = nodes_[i].next;
            if (nodes_[i].key <= now_key) {
                unlink(i);
                take(i);
            }
            i = next;
        }
        if (batch_.size() != from) min_valid_ = false;
        sort_run(from);
    }
    void collect_bucket(std::uint32_t bucket) {
        const std::size_t from = batch_.size();
        for (std::uint32_t i = heads_[bucket]; i != none; i = nodes_[i].next) take(i);
        heads_[bucket] = none;
        clear_bit(bucket);
        min_valid_ = false;
        sort_run(from);
    }
    // cur has just reached this slot (at or past its start, at or before its
    // earliest timer): its timers now agree with cur in this level's digit,
    // so each belongs to a lower level.
    void cascade(std::uint32_t bucket) {
        std::uint32_t i = heads_[bucket];
        heads_[bucket] = none;
        clear_bit(bucket);
        while (i != none) {
            const std::uint32_t next = nodes_[i].next;
            place(i);
            ++moves_;
            i = next;
        }
    }

    std::vector<node> nodes_;
    std::uint32_t slots_ = 0;  // nodes_.size(), which find() would divide by sizeof(node) to get
    std::vector<std::uint32_t> heads_;   // per bucket: first timer of its list
    std::vector<std::uint32_t> batch_;   // expire's due timers, kept to reuse its storage
    std::array<std::array<std::uint64_t, words>, levels> map_{};  // occupancy per slot
    std::array<std::uint64_t, levels> summary_{};                 // occupancy per map word
    std::uint32_t level_mask_ = 0;                                // occupancy per level
    std::uint64_t cur_ = std::uint64_t{1} << 63;                  // instant zero
    std::uint64_t next_order_ = 0;
    std::uint64_t moves_ = 0;  // cascade moves, for tests and benchmarks
    mutable std::uint64_t min_key_ = 0;
    mutable bool min_valid_ = false;
    std::size_t armed_ = 0;
    std::size_t live_ = 0;
    std::uint32_t free_head_ = none;
    // A timer cancelled as the last armed one, unarmed but still in its
    // slot's list (nothing reads a slot while nothing is armed), or none.
    std::uint32_t linger_ = none, linger_bucket_ = 0;
    bool expiring_ = false;
};

}  // namespace l4
