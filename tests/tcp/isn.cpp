// RFC 6528 ISNs: deterministic in their inputs, advanced by the 4 µs clock,
// different for every tuple and secret, and F exactly SipHash-2-4 of the
// bytes the header says.
#include <l4/tcp/isn.hpp>

#include <l4/core/random_key.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <set>
#include <vector>

using namespace std::chrono_literals;
using l4::instant;
using l4::seq32;
using l4::siphash_key;
using l4::tcp::isn;
using l4::wire::ip_address;
using l4::wire::socket_address;

namespace {

const siphash_key key{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
const socket_address local{*ip_address::from_string("192.0.2.1"), 50007};
const socket_address remote{*ip_address::from_string("198.51.100.7"), 40000};
constexpr instant t0{std::chrono::seconds{1000}};

}  // namespace

TEST_CASE("isn: the same inputs give the same ISN", "[tcp][isn]") {
    CHECK(isn(key, local, remote, t0) == isn(key, local, remote, t0));
    const siphash_key copy = key;
    CHECK(isn(copy, socket_address{local}, socket_address{remote}, t0) == isn(key, local, remote, t0));
}

TEST_CASE("isn: M ticks once per 4 microseconds", "[tcp][isn]") {
    const seq32 base = isn(key, local, remote, instant{});
    CHECK(isn(key, local, remote, instant{3999ns}) == base);
    CHECK(isn(key, local, remote, instant{4us}) == base + 1);
    CHECK(isn(key, local, remote, instant{7999ns}) == base + 1);
    CHECK(isn(key, local, remote, instant{1s}) == base + 250'000);
    CHECK(isn(key, local, remote, t0 + 4us) - isn(key, local, remote, t0) == 1);
    CHECK(isn(key, local, remote, t0 + 40ms) - isn(key, local, remote, t0) == 10'000);
    // RFC 6528 §3: M is a 32-bit counter; after 2^32 ticks (4.77 h) it is back where it was.
    CHECK(isn(key, local, remote, instant{std::chrono::nanoseconds{4000 * (std::int64_t{1} << 32)}}) == base);
    CHECK(l4::tcp::isn_clock(instant{4000ns * 0xFFFF'FFFFll}) == 0xFFFF'FFFFu);
}

TEST_CASE("isn: every part of the tuple and the secret changes it", "[tcp][isn]") {
    const seq32 a = isn(key, local, remote, t0);
    const auto other = [](socket_address s, const char* ip) { return socket_address{*ip_address::from_string(ip), s.port}; };
    CHECK(isn(key, {local.address, 50008}, remote, t0) != a);
    CHECK(isn(key, local, {remote.address, 40001}, t0) != a);
    CHECK(isn(key, other(local, "192.0.2.2"), remote, t0) != a);
    CHECK(isn(key, local, other(remote, "198.51.100.8"), t0) != a);
    CHECK(isn(key, remote, local, t0) != a);  // the two directions of a connection
    CHECK(isn(key, other(local, "::ffff:192.0.2.1"), other(remote, "::ffff:198.51.100.7"), t0) != a);  // family counts
    siphash_key k2 = key;
    k2[15] ^= 1;
    CHECK(isn(k2, local, remote, t0) != a);

    // Ephemeral ports one after another give unrelated offsets, not a sequence.
    std::set<std::uint32_t> offsets;
    for (std::uint16_t p = 49152; p < 49152 + 1000; ++p)
        offsets.insert(l4::tcp::isn_offset(key, local, {remote.address, p}));
    CHECK(offsets.size() >= 999);
}

TEST_CASE("isn: F is SipHash-2-4 of the label and the tuple, cut to 32 bits", "[tcp][isn]") {
    std::vector<std::uint8_t> m{'l', '4', 'k', 'i', 't', ' ', 't', 'c', 'p', ' ', 'i', 's', 'n'};
    const std::vector<std::uint8_t> tuple{4, 192, 0, 2, 1, 0xC3, 0x57,     // localip (family first), localport 50007
                                          4, 198, 51, 100, 7, 0x9C, 0x40};  // remoteip, remoteport 40000
    m.insert(m.end(), tuple.begin(), tuple.end());
    const auto f = static_cast<std::uint32_t>(l4::siphash24(key, m));
    CHECK(l4::tcp::isn_offset(key, local, remote) == f);
    CHECK(isn(key, local, remote, instant{}) == seq32{f});
    CHECK(isn(key, local, remote, t0) == seq32{f + 250'000'000u});  // 1000 s = 2.5e8 ticks
}

TEST_CASE("isn: two hosts keyed by random_key() start the same tuple at different ISNs", "[tcp][isn]") {
    // With the all-zero default every host gives a tuple the same ISN, which an
    // off-path attacker computes too (RFC 6528 §3); 1 in 2^32 to fail by chance.
    CHECK(isn(l4::random_key(), local, remote, t0) != isn(l4::random_key(), local, remote, t0));
    CHECK(isn(siphash_key{}, local, remote, t0) == isn(siphash_key{}, local, remote, t0));
}
