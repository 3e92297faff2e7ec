// random_key(): the secret a host on a real network gives its stack. Each
// call draws a key of its own from the system's random source, never the
// all-zero default, with every byte of the key drawn (not only some bits of
// each 32-bit draw). A broken source fails these; a working one fails them
// with a probability below 2^-100.
#include <l4/core/random_key.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>

TEST_CASE("random_key: each call gives a key of its own, never the all-zero default", "[core][random_key]") {
    const l4::siphash_key zero{};
    std::set<l4::siphash_key> keys;
    for (int i = 0; i < 16; ++i) {
        const l4::siphash_key k = l4::random_key();
        CHECK(k != zero);
        keys.insert(k);
    }
    CHECK(keys.size() == 16);
}

TEST_CASE("random_key: every byte of the key takes many values", "[core][random_key]") {
    // 256 keys: each byte position draws 256 values from 256, about 162
    // distinct ones; below 100 means a byte that is not random (a stuck or
    // half-used draw).
    std::array<std::set<std::uint8_t>, 16> seen;
    for (int i = 0; i < 256; ++i) {
        const l4::siphash_key k = l4::random_key();
        for (std::size_t b = 0; b < k.size(); ++b) seen[b].insert(k[b]);
    }
    for (std::size_t b = 0; b < seen.size(); ++b) {
        INFO("byte " << b);
        CHECK(seen[b].size() >= 100);
    }
}
