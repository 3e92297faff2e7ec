// Nothing allocates per datagram once warmed up: the memory link, the
// simulator and the UDP stack keep their frames in storage made up front.
// This file replaces the global operator new of the test_udp binary with one
// that counts, and each test looks at the count over many datagrams.
#include "../support.hpp"

#include <l4/link/memory.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/stack.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <vector>

namespace {
std::atomic<std::uint64_t> allocations{0};
}

// g++ sees free() on memory from "new" and cannot tell it is our own new.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc{};
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace l4;
using net::ip_address;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

// Sends `n` datagrams from one host to the other and reads them; returns the
// allocations made while doing it.
template <class Driver>
std::uint64_t allocations_for(std::size_t n, Driver&& exchange_one) {
    for (int warm = 0; warm < 16; ++warm) exchange_one();
    const std::uint64_t before = allocations.load();
    for (std::size_t i = 0; i < n; ++i) exchange_one();
    return allocations.load() - before;
}

}  // namespace

TEST_CASE("no allocation per datagram: UDP over the memory link", "[udp][alloc]") {
    auto [la, lb] = link::memory_pair();
    net::stack ha{std::move(la), {.addresses = {a4}}};
    net::stack hb{std::move(lb), {.addresses = {b4}}};
    auto tx = ha.socket(net::socket_type::datagram).value();
    auto rx = hb.socket(net::socket_type::datagram).value();
    REQUIRE(hb.bind(rx, {b4, 9}));
    std::vector<std::uint8_t> payload(1000, 1);
    std::array<std::uint8_t, 1500> buf{};
    std::size_t received = 0;
    const auto n = allocations_for(10'000, [&] {
        (void)ha.sendto(tx, payload, {b4, 9}, instant{});
        hb.poll(instant{});
        received += hb.recvfrom(rx, buf).has_value();
    });
    CHECK(received == 10'016);
    CHECK(n == 0);
}

TEST_CASE("no allocation per datagram: UDP across the simulator", "[udp][alloc][sim]") {
    link::sim::network sim{{.seed = 1}};
    const link::sim::channel_config path{.bandwidth_bps = 100'000'000, .delay = std::chrono::microseconds{100}};
    auto p2p = link::sim::point_to_point(sim, path, path);
    net::stack ha{p2p.a, {.addresses = {a4}}};
    net::stack hb{p2p.b, {.addresses = {b4}}};
    auto tx = ha.socket(net::socket_type::datagram).value();
    auto rx = hb.socket(net::socket_type::datagram).value();
    REQUIRE(hb.bind(rx, {b4, 9}));
    std::vector<std::uint8_t> payload(1000, 1);
    std::array<std::uint8_t, 1500> buf{};
    virtual_clock clock;
    std::size_t received = 0;
    const auto n = allocations_for(10'000, [&] {
        (void)ha.sendto(tx, payload, {b4, 9}, clock.now());
        clock.advance_by(std::chrono::microseconds{200});
        hb.poll(clock.now());
        received += hb.recvfrom(rx, buf).has_value();
    });
    CHECK(received == 10'016);
    CHECK(n == 0);
}
