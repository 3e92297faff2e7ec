// The timer facilities (l4/core/timer.hpp, l4/core/timer_wheel.hpp) against
// two peers in the same run.
//
// Every benchmark first arms n background timers with deadlines spread over a
// span much longer than the run, then times one operation:
//
//   timers/<variant>_arm_cancel/<n>  arm a timer for a random deadline within
//                                    the span, then cancel it: the life of a
//                                    retransmission timer acknowledged in time
//                                    (items_per_second = pairs per second)
//   timers/<variant>_fire/<n>        expire the earliest timer (one per call;
//                                    the clock jumps to it) and re-arm it from
//                                    its callback: the cost per fire at n armed
//                                    timers, kept at n
//
// Variants:
//   heap       l4::timer_heap: indexed 4-ary heap, generation handles
//   wheel      l4::timer_wheel: hierarchical timing wheel (7 levels of 1024
//              slots, exact deadlines), generation handles; `fire` also
//              reports cascade moves per fire (moves_per_fire)
//   lazy_pq    a binary heap of (deadline, id, generation) with lazy deletion
//              (std::push_heap / std::pop_heap): cancel bumps the timer's
//              generation and leaves the entry behind; the heap is rebuilt
//              without dead entries when they outnumber the live ones, or it
//              would grow without bound under arm+cancel
//   multimap   std::multimap<deadline, id> with an iterator per timer
//
//   bench_timers --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/core/timer.hpp>
#include <l4/core/timer_wheel.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <type_traits>
#include <vector>

namespace {

using l4::instant;

constexpr std::int64_t span = std::int64_t{1} << 40;  // about 18 minutes in ns

struct splitmix {
    std::uint64_t s;
    std::uint64_t operator()() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
    }
    std::int64_t within(std::int64_t from) { return from + static_cast<std::int64_t>((*this)() % span); }
};

constexpr instant at(std::int64_t ns) { return instant{l4::duration{ns}}; }

// ---- the variants behind one small interface ---------------------------------

}  // namespace

namespace l4::detail {
struct timer_wheel_access {
    static std::uint64_t moves(const timer_wheel& t) { return t.moves_; }
};
}  // namespace l4::detail

namespace {

// timer_heap and timer_wheel: the same API.
template <class Timers>
struct facility_variant {
    Timers t;
    std::vector<l4::timer_handle> h;
    explicit facility_variant(std::size_t n) {
        t.reserve(n + 1);
        for (std::size_t i = 0; i <= n; ++i) h.push_back(t.add(i));
    }
    void arm(std::size_t i, std::int64_t when) { t.arm(h[i], at(when)); }
    void cancel(std::size_t i) { t.cancel(h[i]); }
    template <class F>
    std::size_t fire_next(F&& rearm) {
        const auto now = *t.next_deadline();
        return t.expire(now, [&](l4::timer_handle, std::uint64_t i) {
            rearm(static_cast<std::size_t>(i), now.time_since_epoch().count());
        });
    }
    [[nodiscard]] double bytes_per_timer(std::size_t n) const {
        return static_cast<double>(t.capacity_bytes()) / static_cast<double>(n);
    }
    [[nodiscard]] std::uint64_t moves() const {
        if constexpr (std::is_same_v<Timers, l4::timer_wheel>)
            return l4::detail::timer_wheel_access::moves(t);
        else
            return 0;
    }
};
using heap_variant = facility_variant<l4::timer_heap>;
using wheel_variant = facility_variant<l4::timer_wheel>;

struct lazy_pq_variant {
    struct entry {
        std::int64_t when;
        std::uint32_t id, generation;
        // std::*_heap keeps the largest first: order by the earliest deadline.
        friend bool operator<(const entry& a, const entry& b) { return a.when > b.when; }
    };
    std::vector<entry> heap;
    std::vector<std::uint32_t> generation;  // current generation per timer
    std::vector<char> armed;
    std::size_t live = 0;
    explicit lazy_pq_variant(std::size_t n) : generation(n + 1), armed(n + 1) { heap.reserve(2 * n + 2); }
    void arm(std::size_t i, std::int64_t when) {
        if (armed[i]) cancel(i);
        heap.push_back({when, static_cast<std::uint32_t>(i), generation[i]});
        std::push_heap(heap.begin(), heap.end());
        armed[i] = 1;
        ++live;
    }
    void cancel(std::size_t i) {
        if (!armed[i]) return;
        ++generation[i];
        armed[i] = 0;
        --live;
        if (heap.size() > 2 * live + 16) {  // dead entries outnumber the live: compact
            std::erase_if(heap, [&](const entry& e) { return e.generation != generation[e.id]; });
            std::make_heap(heap.begin(), heap.end());
        }
    }
    template <class F>
    std::size_t fire_next(F&& rearm) {
        for (;;) {
            const entry e = heap.front();
            std::pop_heap(heap.begin(), heap.end());
            heap.pop_back();
            if (e.generation != generation[e.id]) continue;  // dead entry
            ++generation[e.id];
            armed[e.id] = 0;
            --live;
            rearm(e.id, e.when);
            return 1;
        }
    }
    [[nodiscard]] double bytes_per_timer(std::size_t n) const {
        return static_cast<double>(heap.capacity() * sizeof(entry) + generation.size() * 5) / static_cast<double>(n);
    }
};

struct multimap_variant {
    std::multimap<std::int64_t, std::size_t> m;
    std::vector<std::multimap<std::int64_t, std::size_t>::iterator> it;
    explicit multimap_variant(std::size_t n) : it(n + 1, m.end()) {}
    void arm(std::size_t i, std::int64_t when) {
        if (it[i] != m.end()) m.erase(it[i]);
        it[i] = m.emplace(when, i);
    }
    void cancel(std::size_t i) {
        if (it[i] == m.end()) return;
        m.erase(it[i]);
        it[i] = m.end();
    }
    template <class F>
    std::size_t fire_next(F&& rearm) {
        const auto [when, i] = *m.begin();
        m.erase(m.begin());
        it[i] = m.end();
        rearm(i, when);
        return 1;
    }
    [[nodiscard]] double bytes_per_timer(std::size_t) const { return 0; }  // node-based: not tracked
};

// ---- the two measurements ----------------------------------------------------

template <class V>
void arm_cancel(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    V v{n};
    splitmix rng{n};
    for (std::size_t i = 0; i < n; ++i) v.arm(i, rng.within(0));
    for (auto _ : state) {
        // Timer n is the one armed and cancelled; the n others stay armed.
        v.arm(n, rng.within(0));
        v.cancel(n);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    if (const double b = v.bytes_per_timer(n); b > 0) state.counters["bytes_per_timer"] = b;
}

template <class V>
void fire(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    V v{n};
    splitmix rng{n};
    for (std::size_t i = 0; i < n; ++i) v.arm(i, rng.within(0));
    std::size_t fired = 0;
    std::uint64_t moves = 0;
    constexpr bool wheel = std::is_same_v<V, wheel_variant>;
    if constexpr (wheel) moves = v.moves();
    for (auto _ : state) {
        fired += v.fire_next([&](std::size_t i, std::int64_t now) { v.arm(i, rng.within(now)); });
    }
    // One fire per call, but for the rare deadline two timers share (about
    // one fire in 10^6 at 1 M timers over 2^40 ns): then the call fires both.
    if (fired < static_cast<std::size_t>(state.iterations())) state.SkipWithError("a call fired nothing");
    state.SetItemsProcessed(static_cast<std::int64_t>(fired));
    if constexpr (wheel)
        if (fired > 0)
            state.counters["moves_per_fire"] = static_cast<double>(v.moves() - moves) / static_cast<double>(fired);
    if (const double b = v.bytes_per_timer(n); b > 0) state.counters["bytes_per_timer"] = b;
}

void sizes(benchmark::internal::Benchmark* b) {
    for (std::int64_t n : {1'000, 10'000, 100'000, 1'000'000}) b->Arg(n);
}

BENCHMARK(arm_cancel<heap_variant>)->Name("timers/heap_arm_cancel")->Apply(sizes);
BENCHMARK(arm_cancel<wheel_variant>)->Name("timers/wheel_arm_cancel")->Apply(sizes);
BENCHMARK(arm_cancel<lazy_pq_variant>)->Name("timers/lazy_pq_arm_cancel")->Apply(sizes);
BENCHMARK(arm_cancel<multimap_variant>)->Name("timers/multimap_arm_cancel")->Apply(sizes);
BENCHMARK(fire<heap_variant>)->Name("timers/heap_fire")->Apply(sizes);
BENCHMARK(fire<wheel_variant>)->Name("timers/wheel_fire")->Apply(sizes);
BENCHMARK(fire<lazy_pq_variant>)->Name("timers/lazy_pq_fire")->Apply(sizes);
BENCHMARK(fire<multimap_variant>)->Name("timers/multimap_fire")->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
