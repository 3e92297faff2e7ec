// No heap allocation per segment (issue 10 §2): once a connection is
// established and warm, a 100 MB transfer between two l4kit hosts over the
// memory link, in virtual time, allocates nothing: the buffers were made
// with the connection, the frames live in the link's and the stack's
// preallocated queues, the timers in the wheel's slab.
//
// This file replaces the global operator new of the test_tcp binary with one
// that forwards to malloc and counts, but only while `counting` is set, so
// the other tests of the binary are unaffected.
#include "../support.hpp"

#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

namespace {
std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0};
// Where the first allocations came from (return addresses, for a debugger:
// `info symbol <address>`), so a failure says where to look.
std::array<std::atomic<void*>, 4> first_callers{};

void count(void* caller) noexcept {
    if (!counting.load(std::memory_order_relaxed)) return;
    const auto n = allocations.fetch_add(1, std::memory_order_relaxed);
    if (n < first_callers.size()) first_callers[n].store(caller, std::memory_order_relaxed);
}
}  // namespace

// g++ sees free() on memory from "new" and cannot tell it is our own new.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    count(__builtin_return_address(0));
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    count(__builtin_return_address(0));
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

namespace {

// The 100 MB in every build: about 2 s under ASan+UBSan, 0.4 s at -O2.
constexpr std::uint64_t transfer_bytes = 100'000'000;
constexpr std::uint64_t warm_bytes = 4'000'000;

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

using tcp_t = tcp::endpoint<>;
using host = net::stack<link::memory_end, tcp_t>;

// The sender's bytes: a pattern whose length shares no factor with the
// buffers', so a byte out of place reads differently.
constexpr std::size_t pattern_len = 65'521;  // prime
std::uint8_t pattern_byte(std::uint64_t k) { return static_cast<std::uint8_t>((k % pattern_len) * 2654435761u >> 13); }

}  // namespace

TEST_CASE("tcp: no heap allocation per segment over a 100 MB transfer", "[tcp][alloc][stack]") {
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
    host a{std::move(la), {.addresses = {a4}, .secret = {1}}};
    host b{std::move(lb), {.addresses = {b4}, .secret = {2}}};
    virtual_clock clk;

    auto l = b.socket(net::socket_type::stream).value();
    REQUIRE(b.bind(l, {b4, 5001}));
    REQUIRE(b.listen(l, 4));
    auto c = a.socket(net::socket_type::stream).value();
    REQUIRE(a.connect(c, {b4, 5001}, clk.now()));
    std::optional<net::socket_id> s;
    REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] {
        if (!s)
            if (auto x = b.accept(l)) s = *x;
        return s.has_value() && a.writable(c);
    }, a, b));

    // The pattern repeated, so a send is one slice of it whatever the offset.
    std::vector<std::uint8_t> source(2 * pattern_len);
    for (std::size_t k = 0; k < source.size(); ++k) source[k] = pattern_byte(k);
    std::array<std::uint8_t, 16384> buf{};
    std::uint64_t sent = 0, received = 0;
    bool intact = true;
    // Sends and reads until `target` bytes have arrived; allocates nothing itself.
    const auto transfer = [&](std::uint64_t target) {
        return net::drive_all_until(clk, clk.now() + 1h, [&] {
            while (sent < target) {
                const std::size_t off = sent % pattern_len;
                const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(pattern_len, target - sent));
                auto w = a.send(c, std::span{source}.subspan(off, len), clk.now());
                if (!w || *w == 0) break;
                sent += *w;
            }
            while (received < target) {
                auto r = b.recv(*s, buf);
                if (!r || *r == 0) break;
                for (std::size_t k = 0; k < *r; ++k) intact &= buf[k] == pattern_byte(received + k);
                received += *r;
            }
            return received == target;
        }, a, b);
    };

    // Warm: the first round trips, the rings' first wrap, every vector's growth.
    REQUIRE(transfer(warm_bytes));
    // The counter sees an allocation (an explicit call: a new-expression may be optimised away).
    counting = true;
    ::operator delete(::operator new(16));
    counting = false;
    REQUIRE(allocations.exchange(0) == 1);

    counting = true;
    const bool done = transfer(warm_bytes + transfer_bytes).has_value();
    counting = false;

    REQUIRE(done);
    CHECK(intact);
    CHECK(received == warm_bytes + transfer_bytes);
    const auto* conn = a.transport<tcp_t>().connection_of(a.sockets().find(c)->local);
    REQUIRE(conn);
    CHECK(conn->invariants_held());
    CHECK(conn->stats().segments_out > transfer_bytes / 1460);
    INFO("allocations during the transfer: " << allocations.load() << "; first callers " << first_callers[0].load()
         << ' ' << first_callers[1].load() << ' ' << first_callers[2].load() << ' ' << first_callers[3].load());
    CHECK(allocations.load() == 0);
}
