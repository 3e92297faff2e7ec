// timer_heap and timer_wheel, one suite for both (same API, same laws): order
// and ties, re-arm, cancel, stale handles, callbacks that change timers while
// they fire, a reference model (std::multimap) under random operations, and a
// million timers re-armed with memory flat and the earliest deadline exact.
// Then the wheel's own cases: time jumps, far-future and past deadlines, slot
// boundaries, and the model again over the whole range of l4::instant.
#include <l4/core/timer.hpp>
#include <l4/core/timer_wheel.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace l4::detail {
// The arming counter wraps after 2^32 arms; tests move it near the wrap.
struct timer_heap_access {
    static void set_next_order(timer_heap& t, std::uint32_t v) { t.next_order_ = v; }
};
// The wheel's cursor and its count of cascade moves.
struct timer_wheel_access {
    static std::uint64_t moves(const timer_wheel& t) { return t.moves_; }
    static std::int64_t cursor(const timer_wheel& t) {
        return static_cast<std::int64_t>(t.cur_ ^ (std::uint64_t{1} << 63));
    }
};
}  // namespace l4::detail

namespace {

using l4::instant;
using l4::timer_handle;
using l4::timer_heap;
using l4::timer_wheel;

constexpr instant at(std::int64_t ns) { return instant{l4::duration{ns}}; }

// Everything `expire` reports, as user_data, in order.
template <class Timers>
std::vector<std::uint64_t> expire_all(Timers& t, instant now) {
    std::vector<std::uint64_t> fired;
    const auto n = t.expire(now, [&](timer_handle, std::uint64_t u) { fired.push_back(u); });
    CHECK(n == fired.size());
    return fired;
}

using list = std::vector<std::uint64_t>;

TEMPLATE_TEST_CASE("timers fire by deadline, ties in arming order", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 8; ++i) h.push_back(t.add(i));
    CHECK(t.size() == 8);
    CHECK(t.armed_count() == 0);
    CHECK_FALSE(t.next_deadline());

    t.arm(h[0], at(30));
    t.arm(h[1], at(10));
    t.arm(h[2], at(20));
    t.arm(h[3], at(10));  // tie with 1, armed later
    t.arm(h[4], at(20));
    t.arm(h[5], at(10));
    // 6 and 7 stay unarmed
    CHECK(t.armed_count() == 6);
    CHECK(t.next_deadline() == at(10));
    CHECK(t.when(h[2]) == at(20));
    CHECK_FALSE(t.when(h[6]));
    CHECK_FALSE(t.armed(h[7]));

    CHECK(expire_all(t, at(9)).empty());
    CHECK(expire_all(t, at(20)) == list{1, 3, 5, 2, 4});
    CHECK(t.armed_count() == 1);
    CHECK(t.size() == 8);  // fired timers keep their slots
    CHECK_FALSE(t.armed(h[1]));
    CHECK(t.next_deadline() == at(30));
    CHECK(expire_all(t, at(1000)) == list{0});
    CHECK_FALSE(t.next_deadline());
    CHECK(expire_all(t, at(2000)).empty());
}

TEMPLATE_TEST_CASE("re-arming counts as arming anew, even for the same deadline", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    const auto a = t.add(1), b = t.add(2), c = t.add(3);
    t.arm(a, at(5));
    t.arm(b, at(5));
    t.arm(c, at(5));
    t.arm(a, at(5));  // a now after c
    CHECK(expire_all(t, at(5)) == list{2, 3, 1});
}

TEMPLATE_TEST_CASE("re-arm moves a deadline earlier or later", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 100; ++i) {
        h.push_back(t.add(i));
        t.arm(h.back(), at(1000 + static_cast<std::int64_t>(i)));
    }
    CHECK(t.next_deadline() == at(1000));
    t.arm(h[50], at(1));  // earlier: becomes the head
    CHECK(t.next_deadline() == at(1));
    CHECK(t.when(h[50]) == at(1));
    t.arm(h[50], at(5000));  // later: the old head returns
    CHECK(t.next_deadline() == at(1000));
    t.arm(h[0], at(1050));  // the head later, past others
    CHECK(t.next_deadline() == at(1001));
    CHECK(t.armed_count() == 100);

    const auto fired = expire_all(t, at(1050));
    // 1..50 except 50 (moved to 5000), then 0 (1050 armed before 50? no: 50 moved away)
    list expect;
    for (std::uint64_t i = 1; i <= 49; ++i) expect.push_back(i);
    expect.push_back(0);  // 1050, re-armed: fires after every earlier deadline
    CHECK(fired == expect);
    CHECK(t.next_deadline() == at(1051));
}

TEMPLATE_TEST_CASE("a lone timer re-armed again and again is always the next deadline", "[timer]", timer_heap,
                   timer_wheel) {
    // A host with one connection: its timer pushed on by every ACK, earlier by a delayed ACK.
    TestType t;
    const auto h = t.add(7);
    const auto other = t.add(8);
    for (const std::int64_t d : {5'000'000, 5'000'100, 5'000'050, 5'000'900, 4'000'000, 4'000'001}) {
        t.arm(h, at(d));
        CHECK(t.next_deadline() == at(d));
    }
    t.arm(other, at(4'000'002));  // two armed: the earlier one stays the minimum
    t.arm(h, at(4'000'003));
    CHECK(t.next_deadline() == at(4'000'002));
    t.cancel(other);
    t.arm(h, at(4'000'010));
    CHECK(t.next_deadline() == at(4'000'010));
    CHECK(expire_all(t, at(4'000'010)) == list{7});
    CHECK_FALSE(t.next_deadline());
}

TEMPLATE_TEST_CASE("cancel disarms and keeps the slot, and twice is harmless", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    const auto a = t.add(1), b = t.add(2), c = t.add(3);
    t.arm(a, at(10));
    t.arm(b, at(20));
    t.arm(c, at(30));
    t.cancel(a);
    CHECK_FALSE(t.armed(a));
    CHECK_FALSE(t.when(a));
    CHECK(t.next_deadline() == at(20));
    t.cancel(a);  // unarmed: no-op
    t.cancel(c);  // the last heap entry
    CHECK(t.armed_count() == 1);
    CHECK(t.size() == 3);
    CHECK(expire_all(t, at(100)) == list{2});
    t.cancel(b);  // already fired: no-op
    t.arm(a, at(200));  // a cancelled timer arms again
    CHECK(expire_all(t, at(200)) == list{1});
}

TEMPLATE_TEST_CASE("a removed timer's handle is stale, also after its slot is reused", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    const auto a = t.add(1);
    t.arm(a, at(10));
    t.remove(a);
    CHECK(t.size() == 0);
    CHECK(t.armed_count() == 0);
    CHECK_FALSE(t.armed(a));

    const auto b = t.add(2);  // reuses a's slot with a new generation
    CHECK(b.index == a.index);
    CHECK(b.generation != a.generation);
    CHECK_FALSE(b == a);
    t.arm(a, at(5));  // stale: nothing happens to b
    CHECK_FALSE(t.armed(b));
    CHECK(t.armed_count() == 0);
    t.arm(b, at(20));
    t.cancel(a);
    t.remove(a);
    CHECK(t.armed(b));
    CHECK_FALSE(t.when(a));
    CHECK(t.when(b) == at(20));
    CHECK(t.size() == 1);
    CHECK(expire_all(t, at(20)) == list{2});

    // A default handle and one from nowhere are stale too.
    const timer_handle none{};
    t.arm(none, at(1));
    t.arm(timer_handle{12345, 0}, at(1));
    t.remove(none);
    CHECK_FALSE(t.armed(none));
    CHECK(t.armed_count() == 0);
    CHECK(t.size() == 1);
    // remove twice: the second is stale
    t.remove(b);
    t.remove(b);
    CHECK(t.size() == 0);
}

TEMPLATE_TEST_CASE("callbacks may arm, cancel and remove any timer while they fire", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 6; ++i) h.push_back(t.add(i));
    for (std::uint64_t i = 0; i < 6; ++i) t.arm(h[i], at(10 + static_cast<std::int64_t>(i)));
    const auto extra = t.add(99);

    list fired;
    const auto n = t.expire(at(100), [&](timer_handle self, std::uint64_t u) {
        fired.push_back(u);
        CHECK_FALSE(t.armed(self));  // disarmed before it is reported
        switch (u) {
        case 0:
            t.arm(self, at(50));  // re-armed for <= now: not in this call
            t.remove(h[2]);       // a due timer removed: not reported
            t.arm(extra, at(1));  // armed for the past: not in this call
            break;
        case 1:
            t.cancel(h[3]);        // a due timer cancelled: not reported
            t.arm(h[4], at(500));  // a due timer re-armed later: not reported now
            break;
        case 5:
            t.remove(self);  // removing itself is fine
            break;
        default:
            FAIL("unexpected timer " << u);
        }
    });
    CHECK(n == 3);
    CHECK(fired == list{0, 1, 5});
    CHECK(t.size() == 5);  // 2 and 5 removed
    CHECK(t.when(h[0]) == at(50));
    CHECK(t.when(extra) == at(1));
    CHECK_FALSE(t.armed(h[3]));
    CHECK(t.next_deadline() == at(1));
    // The next call fires what the callbacks armed for the past.
    CHECK(expire_all(t, at(100)) == list{99, 0});
    CHECK(expire_all(t, at(1000)) == list{4});
}

TEMPLATE_TEST_CASE("a callback that re-arms itself for now fires once per call", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    const auto a = t.add(7);
    t.arm(a, at(0));
    for (int call = 0; call < 3; ++call) {
        const auto n = t.expire(at(10), [&](timer_handle self, std::uint64_t) { t.arm(self, at(10)); });
        CHECK(n == 1);
    }
    CHECK(t.when(a) == at(10));
}

TEMPLATE_TEST_CASE("expire called from its own callback does nothing", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    const auto a = t.add(1), b = t.add(2);
    t.arm(a, at(1));
    t.arm(b, at(2));
    std::size_t inner = 99;
    CHECK(t.expire(at(5), [&](timer_handle, std::uint64_t u) {
        if (u == 1) inner = t.expire(at(5), [](timer_handle, std::uint64_t) {});
    }) == 2);
    CHECK(inner == 0);
}

TEMPLATE_TEST_CASE("a callback that throws leaves the rest of the batch armed", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 4; ++i) h.push_back(t.add(i));
    for (std::uint64_t i = 0; i < 4; ++i) t.arm(h[i], at(10 + static_cast<std::int64_t>(i)));
    CHECK_THROWS_AS(t.expire(at(100),
                             [&](timer_handle, std::uint64_t u) {
                                 if (u == 1) throw std::runtime_error("boom");
                             }),
                    std::runtime_error);
    CHECK_FALSE(t.armed(h[0]));
    CHECK_FALSE(t.armed(h[1]));  // it was reported (and threw)
    CHECK(t.when(h[2]) == at(12));
    CHECK(t.when(h[3]) == at(13));
    CHECK(expire_all(t, at(100)) == list{2, 3});
}

// timer_heap's arming counter is 32 bits and renumbers at the wrap;
// timer_wheel's is 64 bits, which no program lives long enough to wrap.
TEST_CASE("ties keep arming order across the wrap of the arming counter", "[timer]") {
    timer_heap t;
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 8; ++i) h.push_back(t.add(i));
    l4::detail::timer_heap_access::set_next_order(t, UINT32_MAX - 3);
    for (std::uint64_t i = 0; i < 8; ++i) t.arm(h[i], at(i % 2 ? 7 : 5));  // renumbers half-way
    CHECK(expire_all(t, at(10)) == list{0, 2, 4, 6, 1, 3, 5, 7});
}

TEMPLATE_TEST_CASE("after reserve, nothing allocates up to that many timers", "[timer]", timer_heap, timer_wheel) {
    TestType t;
    t.reserve(1000);
    const auto bytes = t.capacity_bytes();
    CHECK(bytes >= 1000 * 44);  // 48 a timer for the heap, 44 for the wheel
    std::vector<timer_handle> h;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        h.push_back(t.add(i));
        t.arm(h.back(), at(static_cast<std::int64_t>((i * 7919) % 1000)));
    }
    CHECK(t.expire(at(2000), [&](timer_handle self, std::uint64_t) { t.arm(self, at(3000)); }) == 1000);
    for (auto x : h) t.remove(x);
    for (std::uint64_t i = 0; i < 1000; ++i) t.arm(t.add(i), at(1));
    CHECK(t.capacity_bytes() == bytes);
}

// ---------------------------------------------------------------------------
// Against a reference model: a std::multimap from deadline to timer, whose
// insertion at the end of equal keys is arming order.

struct model {
    enum class state : std::uint8_t { unarmed, armed, firing, freed };
    struct timer {
        state s = state::unarmed;
        std::int64_t when = 0;
        std::uint64_t user = 0;
        std::multimap<std::int64_t, std::size_t>::iterator it;
    };
    std::vector<timer> timers;  // by the order they were added; index = id
    std::multimap<std::int64_t, std::size_t> armed;

    void disarm(std::size_t k) {
        if (timers[k].s == state::armed) armed.erase(timers[k].it);
        if (timers[k].s != state::freed) timers[k].s = state::unarmed;
    }
    void arm(std::size_t k, std::int64_t when) {
        if (timers[k].s == state::freed) return;
        disarm(k);
        timers[k].s = state::armed;
        timers[k].when = when;
        timers[k].it = armed.emplace(when, k);
    }
    void remove(std::size_t k) {
        disarm(k);
        timers[k].s = state::freed;
    }
};

struct op {
    op() = default;
    op(std::uint8_t k, std::uint32_t w, std::int64_t t, std::uint8_t a) : kind{k}, which{w}, time{t}, action{a} {}
    std::uint8_t kind = 0;   // 0 add, 1-3 arm, 4 cancel, 5 remove, 6-7 expire
    std::uint32_t which = 0;  // a timer, live or not
    std::int64_t time = 0;    // small, so deadlines tie often
    std::uint8_t action = 0;  // what a callback does: nothing; re-arm or remove itself; arm, cancel or remove
                              // another due timer or any timer; add one (see harness::expire)
};

template <class Timers>
struct harness {
    Timers t;
    model m;
    std::vector<timer_handle> handles;  // handles[id]

    std::size_t id_of(timer_handle h) const {
        for (std::size_t k = 0; k < handles.size(); ++k)
            if (handles[k] == h) return k;
        return SIZE_MAX;
    }

    // One operation on both; `inside` marks a callback of expire.
    void apply(const op& o, bool inside) {
        if (o.kind == 0 || handles.empty()) {
            const auto user = static_cast<std::uint64_t>(handles.size()) * 1000 + 7;
            handles.push_back(t.add(user));
            m.timers.push_back({model::state::unarmed, 0, user, {}});
            return;
        }
        const std::size_t k = o.which % handles.size();
        switch (o.kind) {
        case 1:
        case 2:
        case 3:
            t.arm(handles[k], at(o.time));
            m.arm(k, o.time);
            break;
        case 4:
            t.cancel(handles[k]);
            m.disarm(k);
            break;
        case 5:
            t.remove(handles[k]);
            m.remove(k);
            break;
        default:
            if (inside) break;
            expire(o.time, o.action, o.which);
        }
    }

    void expire(std::int64_t now, std::uint8_t action, std::uint32_t other) {
        // The model's batch: every armed timer due by now, in order.
        std::vector<std::size_t> batch;
        while (!m.armed.empty() && m.armed.begin()->first <= now) {
            const auto k = m.armed.begin()->second;
            m.armed.erase(m.armed.begin());
            m.timers[k].s = model::state::firing;
            batch.push_back(k);
        }
        std::size_t cursor = 0, fired = 0;
        const auto n = t.expire(at(now), [&](timer_handle h, std::uint64_t user) {
            while (cursor < batch.size() && m.timers[batch[cursor]].s != model::state::firing) ++cursor;
            RC_ASSERT(cursor < batch.size());
            const auto k = batch[cursor++];
            RC_ASSERT(id_of(h) == k);
            RC_ASSERT(user == m.timers[k].user);
            m.timers[k].s = model::state::unarmed;
            ++fired;
            const std::uint32_t who = static_cast<std::uint32_t>(k);
            // Law 4 needs targets in the batch that are still to be reported.
            const std::uint32_t pending =
                cursor < batch.size()
                    ? static_cast<std::uint32_t>(batch[cursor + (other + who) % (batch.size() - cursor)])
                    : other + who;
            const std::int64_t near_now = now + static_cast<std::int64_t>(other % 5) - 2;
            switch (action % 9) {
            case 1: apply({1, who, now - 1 + static_cast<std::int64_t>(other % 3), 0}, true); break;
            case 2: apply({5, who, 0, 0}, true); break;
            case 3: apply({2, pending, near_now, 0}, true); break;
            case 4: apply({4, pending, 0, 0}, true); break;
            case 5: apply({5, pending, 0, 0}, true); break;
            case 6: apply({2, other + who, near_now, 0}, true); break;
            case 7: apply({5, other + who, 0, 0}, true); break;
            case 8: apply({0, 0, 0, 0}, true); break;  // add
            default: break;
            }
            check();
        });
        RC_ASSERT(n == fired);
        for (; cursor < batch.size(); ++cursor) RC_ASSERT(m.timers[batch[cursor]].s != model::state::firing);
    }

    void check() const {
        std::size_t live = 0;
        for (std::size_t k = 0; k < handles.size(); ++k) {
            const auto& mt = m.timers[k];
            live += mt.s != model::state::freed;
            const bool armed = mt.s == model::state::armed;
            RC_ASSERT(t.armed(handles[k]) == armed);
            RC_ASSERT(t.when(handles[k]) == (armed ? std::optional{at(mt.when)} : std::nullopt));
        }
        RC_ASSERT(t.size() == live);
        RC_ASSERT(t.armed_count() == m.armed.size());
        RC_ASSERT(t.next_deadline() == (m.armed.empty() ? std::nullopt : std::optional{at(m.armed.begin()->first)}));
    }
};

// Drawn inside a property: up to 400 operations, long enough for batches
// whose callbacks reach each other (law 4) in most runs, at full size from
// the first run (rapidcheck otherwise starts small).
std::vector<op> draw_ops(const rc::Gen<std::uint32_t>& which, const rc::Gen<std::int64_t>& time) {
    const auto count = *rc::gen::resize(100, rc::gen::inRange<std::size_t>(0, 400));
    return *rc::gen::resize(
        100, rc::gen::container<std::vector<op>>(
                 count, rc::gen::construct<op>(rc::gen::inRange<std::uint8_t>(0, 8), which, time,
                                               rc::gen::inRange<std::uint8_t>(0, 9))));
}

// Applies each operation and checks the timers against the model after it;
// then everything left fires at `last`, in order.
template <class Timers>
void replay(harness<Timers>& h, const std::vector<op>& ops, std::int64_t last) {
    for (const auto& o : ops) {
        h.apply(o, false);
        h.check();
    }
    h.expire(last, 0, 0);
    RC_ASSERT(h.t.armed_count() == 0u);
}

// The same, with a clock that only moves forward from `now`: an expire's
// time is a step (advance(now, time) gives the new now), an arm's a
// distance (deadline(now, time) gives its deadline).
template <class Timers, class Advance, class Deadline>
void replay_clocked(harness<Timers>& h, std::vector<op> ops, std::int64_t now, Advance advance, Deadline deadline) {
    for (auto& o : ops) o.time = o.kind >= 6 ? (now = advance(now, o.time)) : deadline(now, o.time);
    replay(h, ops, INT64_MAX - 2);  // the latest now the harness takes
}

TEMPLATE_TEST_CASE("timers agree with a std::multimap model under random operations", "[timer][property]", timer_heap,
                   timer_wheel) {
    rc::prop("random add, arm, cancel, remove and expire, callbacks included", [] {
        harness<TestType> h;
        replay(h, draw_ops(rc::gen::inRange<std::uint32_t>(0, 64), rc::gen::inRange<std::int64_t>(-3, 40)), 1000);
    });
}

// Times over the whole range of l4::instant: +-(2^k + a little) for every k,
// so deadlines land in every level of the wheel and on its slot boundaries,
// and near both ends of the range (4 short of them, so that the harness's
// now +- 2 cannot overflow).
rc::Gen<std::int64_t> wide_time() {
    return rc::gen::apply(
        [](int k, int off, bool negative) -> std::int64_t {
            if (k == 63) return negative ? INT64_MIN + 4 + (off + 2) : INT64_MAX - 4 - (off + 2);
            const std::int64_t v = (std::int64_t{1} << k) + off;
            return negative ? -v : v;
        },
        rc::gen::inRange(0, 64), rc::gen::inRange(-2, 3), rc::gen::arbitrary<bool>());
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    if (b > 0 && a > INT64_MAX - 8 - b) return INT64_MAX - 8;
    if (b < 0 && a < INT64_MIN + 8 - b) return INT64_MIN + 8;
    return a + b;
}

std::int64_t magnitude(std::int64_t v) { return v == INT64_MIN ? INT64_MAX : (v < 0 ? -v : v); }

TEMPLATE_TEST_CASE("timers agree with the model over the whole range of instants", "[timer][property]", timer_heap,
                   timer_wheel) {
    rc::prop("random operations, deadlines and clock anywhere in the 64-bit range", [] {
        harness<TestType> h;
        replay(h, draw_ops(rc::gen::inRange<std::uint32_t>(0, 64), wide_time()), INT64_MAX - 2);
    });
}

TEMPLATE_TEST_CASE("timers agree with the model when the clock only moves forward, in jumps", "[timer][property]",
                   timer_heap, timer_wheel) {
    rc::prop("deadlines relative to a clock that jumps by up to 2^62 ns", [] {
        const auto ops = draw_ops(rc::gen::inRange<std::uint32_t>(0, 64), wide_time());
        harness<TestType> h;
        replay_clocked(
            h, ops, *wide_time(), [](std::int64_t now, std::int64_t t) { return saturating_add(now, magnitude(t)); },
            [](std::int64_t now, std::int64_t t) { return saturating_add(now, t); });  // before or after now
    });
}

TEMPLATE_TEST_CASE("timers agree with the model when the last armed timer is cancelled and armed again near its slot",
                   "[timer][property]", timer_heap, timer_wheel) {
    rc::prop("a delayed ACK's pattern: a few timers, deadlines 200 ms ahead give or take 2 ms, small steps", [] {
        const auto ops = draw_ops(rc::gen::inRange<std::uint32_t>(0, 3),
                                  rc::gen::inRange<std::int64_t>(-2'000'000, 2'000'000));
        harness<TestType> h;
        replay_clocked(
            h, ops, *wide_time(),
            [](std::int64_t now, std::int64_t t) {  // up to 0.5 ms, or past the deadlines
                return saturating_add(now, t % 11 == 0 ? 250'000'000 : magnitude(t) / 4);
            },
            [](std::int64_t now, std::int64_t t) { return saturating_add(now, 200'000'000 + t); });
    });
}

// ---------------------------------------------------------------------------
// The scale test.

// splitmix64: a fast deterministic stream, so the test is the same every run.
struct splitmix {
    std::uint64_t s;
    std::uint64_t operator()() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
    }
};

TEMPLATE_TEST_CASE("a million timers re-armed over and over: memory flat, next deadline exact", "[timer][scale]",
                   timer_heap, timer_wheel) {
    // 2^20 timers; a warm-up that arms them all and fires them all (each
    // re-armed by its callback), then 4 rounds that each advance time by a
    // quarter of the span, fire what is due (its callback re-arms it) and
    // re-arm every timer: each timer armed 6 or 7 times, about 7 M heap
    // operations. next_deadline is compared with the tracked minimum after
    // every one of them.
    constexpr std::size_t n = std::size_t{1} << 20;
    constexpr std::int64_t span = std::int64_t{1} << 30;  // about a second, in ns
    constexpr int rounds = 4;
    splitmix rng{42};
    TestType t;
    std::vector<timer_handle> h(n);
    std::vector<std::int64_t> deadline(n);  // what the test armed each timer for

    // The tracked minimum: lowered on every arm; recomputed by a scan only
    // when the timer holding it moves later (a few times per round).
    std::int64_t minimum = INT64_MAX;
    bool stale_minimum = false;
    std::size_t scans = 0, wrong_deadline = 0, wrong_order = 0;
    const auto tracked_minimum = [&] {
        if (stale_minimum) {
            ++scans;
            minimum = INT64_MAX;
            for (std::size_t i = 0; i < n; ++i)
                if (t.armed(h[i]) && deadline[i] < minimum) minimum = deadline[i];
            stale_minimum = false;
        }
        return minimum;
    };
    const auto arm = [&](std::size_t i, std::int64_t when) {
        const bool was_minimum = t.armed(h[i]) && deadline[i] == minimum;
        t.arm(h[i], at(when));
        deadline[i] = when;
        if (when <= minimum)
            minimum = when;
        else if (was_minimum)
            stale_minimum = true;
        const auto next = t.next_deadline();
        wrong_deadline += !next || l4::to_ns(*next) != static_cast<std::uint64_t>(tracked_minimum());
    };
    // Fire what is due by `now`, checking order and deadlines; each callback
    // re-arms its timer within the next span.
    const auto fire = [&](std::int64_t now) {
        std::int64_t previous = INT64_MIN;
        const auto fired = t.expire(at(now), [&](timer_handle self, std::uint64_t i) {
            wrong_order += deadline[i] > now || deadline[i] < previous || !(self == h[i]);
            previous = deadline[i];
            if (deadline[i] == minimum) stale_minimum = true;  // it left the heap
            arm(i, now + static_cast<std::int64_t>(rng() % span));
        });
        return fired;
    };

    for (std::size_t i = 0; i < n; ++i) h[i] = t.add(i);
    for (std::size_t i = 0; i < n; ++i) arm(i, static_cast<std::int64_t>(rng() % span));
    std::int64_t now = span;
    CHECK(fire(now) == n);  // every timer is due, the largest batch there is; each re-armed
    const auto warm = t.capacity_bytes();
    CHECK(t.size() == n);
    CHECK(t.armed_count() == n);

    std::size_t fired_total = 0;
    for (int r = 0; r < rounds; ++r) {
        now += span / 4;
        fired_total += fire(now);
        for (std::size_t i = 0; i < n; ++i) arm(i, now + static_cast<std::int64_t>(rng() % span));
        CHECK(t.capacity_bytes() == warm);
        CHECK(t.armed_count() == n);
    }
    CHECK(wrong_deadline == 0);
    CHECK(wrong_order == 0);
    CHECK(fired_total > n / 2);  // about a quarter of the timers per round fired
    CHECK(scans < 200);          // the check stayed cheap (11 at this seed)
    CHECK(t.size() == n);
    // 16 bytes a slot and 16 per heap and batch entry, with std::vector's growth.
    CHECK(warm <= 2 * 48 * n);
}

// ---------------------------------------------------------------------------
// The wheel's own cases: where a slot-based structure could go wrong.

using wheel_access = l4::detail::timer_wheel_access;

TEST_CASE("timer_wheel: deadlines are exact at every slot boundary of every level", "[timer][wheel]") {
    // Boundaries of 10-bit digits: k * 2^(10 L), and one either side, with the
    // cursor at zero and then just below the boundary.
    for (unsigned level = 1; level <= 6; ++level) {
        for (std::int64_t k : {1, 2, 7}) {
            const std::int64_t b = k << (10 * level);
            if (level == 6 && k > 1) continue;  // 7 * 2^60 overflows int64
            timer_wheel t;
            const auto lo = t.add(1), mid = t.add(2), hi = t.add(3);
            t.arm(hi, at(b + 1));
            t.arm(mid, at(b));
            t.arm(lo, at(b - 1));
            CHECK(t.next_deadline() == at(b - 1));
            CHECK(expire_all(t, at(b - 2)).empty());
            CHECK(t.next_deadline() == at(b - 1));
            CHECK(expire_all(t, at(b - 1)) == list{1});
            CHECK(t.next_deadline() == at(b));
            CHECK(t.when(mid) == at(b));
            CHECK(expire_all(t, at(b)) == list{2});
            CHECK(t.next_deadline() == at(b + 1));
            CHECK(expire_all(t, at(b)).empty());
            CHECK(expire_all(t, at(b + 5)) == list{3});
            CHECK_FALSE(t.next_deadline());
        }
    }
}

TEST_CASE("timer_wheel: a jump of virtual time skips the empty slots", "[timer][wheel]") {
    timer_wheel t;
    std::vector<timer_handle> h;
    // One timer a decade apart, from a microsecond to a day.
    std::int64_t d = 1'000;
    for (std::uint64_t i = 0; i < 12; ++i, d *= 10) {
        h.push_back(t.add(i));
        t.arm(h.back(), at(d));
    }
    // A jump of 5 s fires the first 7 (1 us .. 1 s) in order, and the same
    // call from 5 s to 10^15 ns (11.6 days) fires the rest: each costs a few
    // cascade moves, never a walk of the ticks in between.
    CHECK(expire_all(t, at(5'000'000'000)) == list{0, 1, 2, 3, 4, 5, 6});
    CHECK(t.next_deadline() == at(10'000'000'000));
    CHECK(expire_all(t, at(1'000'000'000'000'000)) == list{7, 8, 9, 10, 11});
    CHECK(wheel_access::moves(t) <= 12 * 6);
    CHECK(wheel_access::cursor(t) == 1'000'000'000'000'001);
    // A jump to the end of time, with nothing armed: one call, no work.
    CHECK(expire_all(t, at(INT64_MAX)).empty());
    CHECK(wheel_access::cursor(t) == INT64_MAX);
}

TEST_CASE("timer_wheel: a million timers, each moved at most 6 times whatever the jumps", "[timer][wheel][scale]") {
    // 2^20 timers spread over [0, 2^50) ns (13 days); the clock then moves in
    // jumps of random size (up to a day), firing every timer once.
    constexpr std::size_t n = std::size_t{1} << 20;
    splitmix rng{7};
    timer_wheel t;
    t.reserve(n);
    std::vector<std::int64_t> deadline(n);
    for (std::size_t i = 0; i < n; ++i) {
        deadline[i] = static_cast<std::int64_t>(rng() >> 14);
        t.arm(t.add(i), at(deadline[i]));
    }
    std::int64_t now = 0, previous = INT64_MIN;
    std::size_t fired = 0, late = 0, early = 0, calls = 0;
    while (t.next_deadline()) {
        now += static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 46));
        ++calls;
        fired += t.expire(at(now), [&](timer_handle, std::uint64_t i) {
            early += deadline[i] > now;
            late += deadline[i] < previous;  // order across calls, too
            previous = deadline[i];
        });
        // No timer was due before this call's now and left behind.
        if (t.next_deadline()) late += l4::to_ns(*t.next_deadline()) <= static_cast<std::uint64_t>(now);
    }
    CHECK(fired == n);
    CHECK(early == 0);
    CHECK(late == 0);
    CHECK(calls > 10);
    CHECK(wheel_access::moves(t) <= 6 * n);
}

TEST_CASE("timer_wheel: far-future deadlines, up to the end of l4::instant", "[timer][wheel]") {
    timer_wheel t;
    constexpr std::int64_t hour = 3'600'000'000'000, day = 24 * hour;
    const auto a = t.add(1), b = t.add(2), c = t.add(3), d = t.add(4), e = t.add(5);
    t.arm(e, at(INT64_MAX));
    t.arm(d, at(INT64_MAX - 1));
    t.arm(c, at(std::int64_t{1} << 62));
    t.arm(b, at(30 * day + 1));
    t.arm(a, at(hour));
    CHECK(t.next_deadline() == at(hour));
    CHECK(expire_all(t, at(hour - 1)).empty());
    CHECK(expire_all(t, at(hour)) == list{1});
    CHECK(t.next_deadline() == at(30 * day + 1));
    CHECK(expire_all(t, at(30 * day)).empty());
    CHECK(expire_all(t, at((std::int64_t{1} << 62) - 1)) == list{2});
    CHECK(t.next_deadline() == at(std::int64_t{1} << 62));
    CHECK(t.when(e) == at(INT64_MAX));
    CHECK(expire_all(t, at(INT64_MAX - 2)) == list{3});
    CHECK(expire_all(t, at(INT64_MAX - 1)) == list{4});
    CHECK(t.next_deadline() == at(INT64_MAX));
    CHECK(expire_all(t, at(INT64_MAX)) == list{5});
    // At the end of time the cursor cannot pass now: a timer armed for the
    // last instant fires at the next call, not twice, and not in this one.
    t.arm(a, at(INT64_MAX));
    CHECK(t.expire(at(INT64_MAX), [&](timer_handle self, std::uint64_t) { t.arm(self, at(INT64_MAX)); }) == 1);
    CHECK(t.armed(a));
    CHECK(expire_all(t, at(INT64_MAX)) == list{1});
    // And the other end: the earliest instant.
    t.arm(b, at(INT64_MIN));
    CHECK(t.next_deadline() == at(INT64_MIN));
    CHECK(expire_all(t, at(INT64_MIN)) == list{2});
}

TEST_CASE("timer_wheel: deadlines in the past fire at the next expire, in order", "[timer][wheel]") {
    timer_wheel t;
    const auto keep = t.add(0), a = t.add(1), b = t.add(2), c = t.add(3), d = t.add(4);
    t.arm(keep, at(5'000));
    CHECK(expire_all(t, at(1'000)).empty());  // the cursor is now past 1000
    t.arm(c, at(500));
    t.arm(a, at(-5));
    t.arm(b, at(INT64_MIN));
    t.arm(d, at(1'000));  // exactly the last now: also in the past
    CHECK(t.next_deadline() == at(INT64_MIN));
    CHECK(t.armed_count() == 5);
    // A now behind the cursor (time going back) still fires exactly what is due.
    CHECK(expire_all(t, at(0)) == list{2, 1});
    CHECK(t.next_deadline() == at(500));
    t.cancel(c);
    CHECK(t.next_deadline() == at(1'000));
    t.arm(c, at(700));
    CHECK(expire_all(t, at(699)).empty());
    CHECK(t.next_deadline() == at(700));
    CHECK(expire_all(t, at(1'000)) == list{3, 4});
    CHECK(expire_all(t, at(4'999)).empty());
    CHECK(expire_all(t, at(5'000)) == list{0});
    // With nothing armed, a past deadline moves the cursor back for free.
    t.arm(a, at(-100));
    CHECK(wheel_access::cursor(t) == -100);
    CHECK(expire_all(t, at(-101)).empty());
    CHECK(expire_all(t, at(-100)) == list{1});
}

TEST_CASE("timer_wheel: the cached minimum follows cancels and re-arms inside one slot", "[timer][wheel]") {
    // Many timers in one far slot of a high level: next_deadline must rescan
    // it exactly whenever its minimum leaves.
    timer_wheel t;
    std::vector<timer_handle> h;
    constexpr std::int64_t base = std::int64_t{1} << 40;
    for (std::uint64_t i = 0; i < 64; ++i) {
        h.push_back(t.add(i));
        t.arm(h.back(), at(base + static_cast<std::int64_t>((i * 37) % 64) * 1'000));
    }
    for (std::int64_t expect = 0; expect < 64; ++expect) {
        REQUIRE(t.next_deadline() == at(base + expect * 1'000));
        const auto i = static_cast<std::size_t>((expect * 45) % 64);  // 37 * 45 = 1 (mod 64)
        REQUIRE(t.when(h[i]) == at(base + expect * 1'000));
        if (expect % 2)
            t.cancel(h[i]);
        else
            t.arm(h[i], at(base * 2 + expect));  // later, into another slot
    }
    CHECK(t.next_deadline() == at(base * 2));
    CHECK(t.armed_count() == 32);
    list expect;
    for (std::uint64_t e = 0; e < 64; e += 2) expect.push_back(static_cast<std::uint64_t>((e * 45) % 64));
    CHECK(expire_all(t, at(base * 3)) == expect);
}

TEST_CASE("timer_wheel: a re-arm within its slot moves the deadline and the minimum exactly", "[timer][wheel]") {
    // A connection's retransmission timer pushed on by a few microseconds stays in its level-2 slot (1.05 ms):
    // the wheel then rewrites the key in place, and next_deadline and the firing order must follow.
    timer_wheel t;
    const auto a = t.add(1), b = t.add(2), c = t.add(3);
    constexpr std::int64_t ms = 1'000'000;
    CHECK(expire_all(t, at(199 * ms)).empty());  // the cursor at 199 ms: 200 ms lies in level 2
    t.arm(a, at(200 * ms + 10'000));
    t.arm(b, at(200 * ms + 20'000));
    t.arm(c, at(200 * ms + 30'000));
    REQUIRE(t.next_deadline() == at(200 * ms + 10'000));
    t.arm(a, at(200 * ms + 25'000));  // the minimum moves later, inside the slot
    CHECK(t.next_deadline() == at(200 * ms + 20'000));
    t.arm(c, at(200 * ms + 5'000));  // another one moves below it
    CHECK(t.next_deadline() == at(200 * ms + 5'000));
    t.arm(b, at(200 * ms + 25'000));  // a tie, armed after a: fires after a
    CHECK(t.when(b) == at(200 * ms + 25'000));
    CHECK(expire_all(t, at(200 * ms + 24'999)) == list{3});
    CHECK(expire_all(t, at(201 * ms)) == list{1, 2});
    CHECK_FALSE(t.next_deadline());
}

TEST_CASE("timer_wheel: the last armed timer, cancelled, lingers in its slot without changing what anyone sees",
          "[timer][wheel]") {
    // A receiver's delayed ACK: armed 200 ms ahead by one segment, cancelled by the next (its ACK left), armed
    // again 116 us later. While nothing is armed the cancelled timer stays in its level-2 slot and the cursor
    // stays: armed again in that slot it is a rewrite of its key; anywhere else, or with another timer armed,
    // it leaves the slot first.
    timer_wheel t;
    const auto a = t.add(1), b = t.add(2);
    constexpr std::int64_t ms = 1'000'000, us = 1'000;
    CHECK(expire_all(t, at(10 * ms)).empty());
    const auto cursor = wheel_access::cursor(t);
    t.arm(a, at(210 * ms + 100 * us));
    t.cancel(a);
    CHECK_FALSE(t.armed(a));
    CHECK_FALSE(t.when(a));
    CHECK_FALSE(t.next_deadline());
    CHECK(t.armed_count() == 0);
    CHECK(expire_all(t, at(10 * ms + 116 * us)).empty());
    CHECK(wheel_access::cursor(t) == cursor);  // a move could put the lingering timer's slot wrong
    t.cancel(a);  // twice: still nothing
    t.arm(a, at(210 * ms + 216 * us));  // the same slot
    CHECK(t.when(a) == at(210 * ms + 216 * us));
    CHECK(t.next_deadline() == at(210 * ms + 216 * us));
    t.cancel(a);
    t.arm(a, at(211 * ms + 500 * us));  // the next slot
    CHECK(t.next_deadline() == at(211 * ms + 500 * us));
    t.cancel(a);
    t.arm(b, at(211 * ms + 400 * us));  // another timer: a leaves its slot, and is not reported
    CHECK(t.next_deadline() == at(211 * ms + 400 * us));
    CHECK(t.armed_count() == 1);
    t.arm(a, at(211 * ms + 400 * us));  // a tie, armed after b
    CHECK(expire_all(t, at(211 * ms + 399 * us)).empty());
    CHECK(expire_all(t, at(300 * ms)) == list{2, 1});
    // Removed while it lingers: the slot is free for reuse, the handle stale.
    t.arm(a, at(400 * ms));
    t.cancel(a);
    t.remove(a);
    CHECK_FALSE(t.armed(a));
    t.arm(a, at(400 * ms));
    CHECK_FALSE(t.next_deadline());
    const auto c = t.add(3);
    t.arm(c, at(350 * ms));
    CHECK(expire_all(t, at(500 * ms)) == list{3});
    CHECK(t.size() == 2);
    // Cancelled inside a callback as the last armed one, then armed again by a later callback of the batch.
    const auto d = t.add(4);
    t.arm(b, at(600 * ms));
    t.arm(c, at(600 * ms));
    t.arm(d, at(800 * ms));
    CHECK(t.expire(at(600 * ms), [&](timer_handle h, std::uint64_t u) {
        if (u == 2) t.cancel(d);
        if (u == 3) t.arm(d, at(800 * ms + 1));
        CHECK((h == b || h == c));
    }) == 2);
    CHECK(t.next_deadline() == at(800 * ms + 1));
    CHECK(expire_all(t, at(800 * ms)).empty());
    CHECK(expire_all(t, at(800 * ms + 1)) == list{4});
}

}  // namespace
