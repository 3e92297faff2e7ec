// A SYN flood (RFC 4987) against a listener over the simulator: 1,000,000
// spoofed SYNs from random addresses and ports of 198.51.100.0/24 and
// 203.0.113.0/24, 100 a millisecond of virtual time, while a legitimate
// client, another host on the same simulated network, connects every 10 ms,
// sends 12 bytes and reads their echo (examples/syn_flood.hpp runs it).
//
//   - With SYN cookies every legitimate connection succeeds, and the
//     listener's memory stays within 1 MiB of its idle level throughout: the
//     half-open queue is full of spoofed connections that hold no buffers,
//     and every later SYN gets a cookie and costs nothing.
//   - Without them the oldest half-open connection makes way for each new
//     SYN; at 100 SYNs a millisecond and a 4 ms round trip, the client's is
//     gone before its ACK comes back, and every legitimate connection fails.
//
// The listener's memory: this file replaces the global operator new and
// delete of the test_security binary with ones that put the size and an
// owner in a header before each block and count live bytes per owner. The
// owner is the listener while the scenario is inside a call to the
// listener's host (syn_flood::run's Observer::scope), so the client's
// connections and the simulator's frames are not counted.
#include "../../examples/syn_flood.hpp"
#include "../support.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

enum owner : std::uint64_t { anyone = 0, listener = 1 };
owner current_owner = anyone;
std::int64_t live_bytes[2]{};
std::int64_t peak_listener_bytes = 0;

// Every block starts 16 bytes (or its alignment) before the pointer given
// out; the header sits just before that pointer.
struct header {
    std::uint64_t size;
    owner who;
};
static_assert(sizeof(header) == 16);
constexpr std::size_t base_align = 16;

void* allocate(std::size_t n, std::size_t align) noexcept {
    align = std::max(align, base_align);
    const std::size_t total = (n + align + align - 1) / align * align;
    auto* base = static_cast<std::byte*>(align == base_align ? std::malloc(total) : std::aligned_alloc(align, total));
    if (!base) return nullptr;
    std::byte* p = base + align;
    auto* h = reinterpret_cast<header*>(p - sizeof(header));
    h->size = n;
    h->who = current_owner;
    live_bytes[h->who] += static_cast<std::int64_t>(n);
    if (h->who == listener) peak_listener_bytes = std::max(peak_listener_bytes, live_bytes[listener]);
    return p;
}
void release(void* ptr, std::size_t align) noexcept {
    if (!ptr) return;
    align = std::max(align, base_align);
    auto* p = static_cast<std::byte*>(ptr);
    const auto* h = reinterpret_cast<const header*>(p - sizeof(header));
    live_bytes[h->who] -= static_cast<std::int64_t>(h->size);
    std::free(p - align);
}

// The listener's share: every call into its host is made inside a scope.
struct watch_listener {
    struct scope {
        owner saved = current_owner;
        scope() { current_owner = listener; }
        ~scope() { current_owner = saved; }
        scope(const scope&) = delete;
        scope& operator=(const scope&) = delete;
    };
    std::int64_t idle = 0;
    void flood_starts() {
        idle = live_bytes[listener];
        peak_listener_bytes = idle;
    }
};

}  // namespace

// g++ sees free() on memory from "new" and cannot tell it is our own new.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    if (void* p = allocate(n, base_align)) return p;
    throw std::bad_alloc{};
}
void* operator new[](std::size_t n) {
    if (void* p = allocate(n, base_align)) return p;
    throw std::bad_alloc{};
}
void* operator new(std::size_t n, std::align_val_t a) {
    if (void* p = allocate(n, static_cast<std::size_t>(a))) return p;
    throw std::bad_alloc{};
}
void* operator new[](std::size_t n, std::align_val_t a) {
    if (void* p = allocate(n, static_cast<std::size_t>(a))) return p;
    throw std::bad_alloc{};
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, base_align); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, base_align); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { release(p, base_align); }
void operator delete[](void* p) noexcept { release(p, base_align); }
void operator delete(void* p, std::size_t) noexcept { release(p, base_align); }
void operator delete[](void* p, std::size_t) noexcept { release(p, base_align); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p, base_align); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p, base_align); }
void operator delete(void* p, std::align_val_t a) noexcept { release(p, static_cast<std::size_t>(a)); }
void operator delete[](void* p, std::align_val_t a) noexcept { release(p, static_cast<std::size_t>(a)); }
void operator delete(void* p, std::size_t, std::align_val_t a) noexcept { release(p, static_cast<std::size_t>(a)); }
void operator delete[](void* p, std::size_t, std::align_val_t a) noexcept { release(p, static_cast<std::size_t>(a)); }
void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
    release(p, static_cast<std::size_t>(a));
}
void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
    release(p, static_cast<std::size_t>(a));
}

namespace {

constexpr std::uint64_t flood_syns = 1'000'000;
constexpr std::int64_t memory_slack = 1 << 20;  // 1 MiB over the idle listener
constexpr std::uint32_t backlog = 64;

syn_flood::config flood(bool cookies) {
    syn_flood::config cfg;
    cfg.spoofed_syns = flood_syns;
    cfg.syn_cookies = cookies;
    cfg.seed = 4987;
    cfg.backlog = backlog;
    return cfg;
}

// The client connects every 10 ms while the flood lasts (10 s), but for the last 10 ms.
constexpr std::uint64_t legit_sessions = 999;

}  // namespace

TEST_CASE("security: the counting allocator charges the listener's scope to the listener", "[security][alloc]") {
    const auto before = live_bytes[listener];
    void* p;
    {
        watch_listener::scope s;
        p = ::operator new(1000);
    }
    CHECK(live_bytes[listener] == before + 1000);
    void* q = ::operator new(64, std::align_val_t{64});
    CHECK(reinterpret_cast<std::uintptr_t>(q) % 64 == 0);
    ::operator delete(q, std::align_val_t{64});
    ::operator delete(p);
    CHECK(live_bytes[listener] == before);
}

TEST_CASE("security: 1,000,000 spoofed SYNs with SYN cookies: every legitimate connection succeeds, the "
          "listener's memory stays within 1 MiB of idle",
          "[security][syn_flood][rfc4987]") {
    watch_listener watch;
    const auto r = syn_flood::run(flood(true), watch);
    const std::int64_t delta = peak_listener_bytes - watch.idle;
    const auto& c = r.listener;
    WARN("cookies on: " << r.legit_succeeded << " of " << r.legit_started << " legitimate connections succeeded ("
         << r.legit_reset << " reset, " << r.legit_timed_out << " timed out); listener idle " << watch.idle
         << " B, peak " << peak_listener_bytes << " B (+" << delta << " B); syn_cookies_sent " << c.syn_cookies_sent
         << ", syn_cookies_accepted " << c.syn_cookies_accepted << ", syn_cookies_rejected " << c.syn_cookies_rejected
         << ", half_open_evicted " << c.half_open_evicted << ", rx_syn_queue_full " << c.rx_syn_queue_full
         << "; " << r.syns_injected << " SYNs in " << r.wall_seconds << " s wall");
    REQUIRE(r.finished);
    CHECK(r.syns_injected == flood_syns);
    CHECK(c.rx_bad_checksum + c.rx_malformed == 0);  // the flood's frames are good ones
    CHECK(r.legit_started == legit_sessions);
    CHECK(r.legit_succeeded == r.legit_started);
    // Every legitimate connection came through a cookie: the spoofed ones always filled the backlog.
    CHECK(c.syn_cookies_accepted == r.legit_started);
    CHECK(c.syn_cookies_rejected == 0);
    CHECK(c.syn_cookies_sent >= flood_syns - 2 * backlog);
    CHECK(c.rx_over_budget == 0);
    CHECK(delta <= memory_slack);
}

TEST_CASE("security: 1,000,000 spoofed SYNs without SYN cookies: the half-open queue churns and legitimate "
          "connections fail",
          "[security][syn_flood][rfc4987]") {
    watch_listener watch;
    const auto r = syn_flood::run(flood(false), watch);
    const std::int64_t delta = peak_listener_bytes - watch.idle;
    const auto& c = r.listener;
    WARN("cookies off: " << r.legit_succeeded << " of " << r.legit_started << " legitimate connections succeeded ("
         << r.legit_reset << " reset, " << r.legit_timed_out << " timed out); listener idle " << watch.idle
         << " B, peak " << peak_listener_bytes << " B (+" << delta << " B); half_open_evicted "
         << c.half_open_evicted << ", rx_syn_queue_full " << c.rx_syn_queue_full << ", rx_no_connection "
         << c.rx_no_connection << ", syn_cookies_sent " << c.syn_cookies_sent << "; " << r.syns_injected
         << " SYNs in " << r.wall_seconds << " s wall");
    REQUIRE(r.finished);
    CHECK(r.syns_injected == flood_syns);
    CHECK(r.legit_started == legit_sessions);
    CHECK(c.syn_cookies_sent == 0);
    // Each SYN past the backlog pushed out the oldest half-open connection.
    CHECK(c.half_open_evicted >= flood_syns - backlog);
    CHECK(r.legit_succeeded == 0);
    // Half-open connections hold no buffers, so churning them costs no memory either.
    CHECK(delta <= memory_slack);
}
