// SipHash-2-4 against the reference implementation's 64 published vectors
// (at run time and in constant evaluation), and the incremental hasher
// against the one-shot function for every way of cutting the input.
#include <l4/core/keyed_hash.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace {

using l4::siphash24;
using l4::siphash24_hasher;
using l4::siphash_key;

// Key 00 01 .. 0f; message n is the n bytes 00 01 .. (n-1). The outputs of
// the reference code (vectors.h of the SipHash repository), read as
// little-endian 64-bit words.
constexpr std::array<std::uint64_t, 64> vectors = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d, 0xcf2794e0277187b7,
    0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137, 0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
    0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7, 0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee,
    0xa129ca6149be45e5, 0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8, 0xb8ad50c6f649af94,
    0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad, 0xde4daaaca71dc9a5, 0xa6a2506687956571,
    0xad87a3535c49ef28, 0x32d892fad841c342, 0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238,
    0x15e034d40fa197ae, 0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95, 0xf935451de4f21df2,
    0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb, 0xe612a3cb9ecba951, 0xc766e62cfcadaf96,
    0xee64435a9752fe72, 0xa192d576b245165a, 0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea,
    0x245731c13ca42499, 0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

constexpr siphash_key counting_key() {
    siphash_key k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(i);
    return k;
}

constexpr std::array<std::uint8_t, 64> counting_bytes() {
    std::array<std::uint8_t, 64> m{};
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::uint8_t>(i);
    return m;
}

constexpr std::uint64_t vector_hash(std::size_t n) {
    const auto m = counting_bytes();
    return siphash24(counting_key(), std::span{m}.first(n));
}

constexpr std::uint64_t vector_hash_in_pieces(std::size_t n, std::size_t cut1, std::size_t cut2) {
    const auto m = counting_bytes();
    const std::span<const std::uint8_t> all = std::span{m}.first(n);
    return siphash24_hasher{counting_key()}
        .update(all.first(cut1))
        .update(all.subspan(cut1, cut2 - cut1))
        .update(all.subspan(cut2))
        .finish();
}

constexpr bool all_vectors_match() {
    for (std::size_t n = 0; n < vectors.size(); ++n)
        if (vector_hash(n) != vectors[n] || vector_hash_in_pieces(n, n / 3, n - n / 4) != vectors[n]) return false;
    return true;
}

TEST_CASE("siphash24 gives the 64 published vectors", "[keyed_hash]") {
    for (std::size_t n = 0; n < vectors.size(); ++n) {
        INFO("message of " << n << " bytes");
        CHECK(vector_hash(n) == vectors[n]);
    }
    // The paper's own example (appendix A): 15 bytes 00..0e.
    CHECK(vector_hash(15) == 0xa129ca6149be45e5);
}

TEST_CASE("siphash24 and the hasher evaluate in constant expressions", "[keyed_hash]") {
    STATIC_REQUIRE(vector_hash(0) == 0x726fdb47dd0e0e31);
    STATIC_REQUIRE(vector_hash(7) == 0xab0200f58b01d137);   // a partial word only
    STATIC_REQUIRE(vector_hash(8) == 0x93f5f5799a932462);   // exactly one word
    STATIC_REQUIRE(vector_hash(63) == 0x958a324ceb064572);  // 7 words and 7 bytes
    STATIC_REQUIRE(vector_hash_in_pieces(37, 3, 20) == vectors[37]);
    STATIC_REQUIRE(all_vectors_match());
}

TEST_CASE("the hasher equals the one-shot hash at every cut of every vector", "[keyed_hash]") {
    for (std::size_t n = 0; n < vectors.size(); ++n)
        for (std::size_t a = 0; a <= n; ++a)
            for (std::size_t b = a; b <= n; b += 1 + (n - a) / 8) {
                INFO(n << " bytes cut at " << a << " and " << b);
                REQUIRE(vector_hash_in_pieces(n, a, b) == vectors[n]);
            }
}

TEST_CASE("the hasher: fixed-width fields in network order, finish leaves it reusable", "[keyed_hash]") {
    const auto key = counting_key();
    // A 4-tuple as RFC 6056's algorithm 3 hashes it: addresses then ports.
    const std::array<std::uint8_t, 12> wire = {192, 0, 2, 1, 198, 51, 100, 7, 0xc0, 0x01, 0x00, 0x50};
    const auto fields = siphash24_hasher{key}
                            .update(std::span{wire}.first(8))
                            .update_be16(0xc001)
                            .update_be16(80)
                            .finish();
    CHECK(fields == siphash24(key, wire));
    CHECK(siphash24_hasher{key}.update_be32(0xc0000201).update_be32(0xc6336407).update_be32(0xc0010050).finish() ==
          siphash24(key, wire));
    const auto m = counting_bytes();
    CHECK(siphash24_hasher{key}.update_be64(0x0001020304050607).update_be64(0x08090a0b0c0d0e0f).finish() ==
          vectors[16]);
    CHECK(siphash24(key, std::span{m}.first(16)) == vectors[16]);

    // finish is const: a common prefix, copied, then different suffixes.
    siphash24_hasher prefix{key};
    prefix.update(std::span{m}.first(10));
    CHECK(prefix.finish() == vectors[10]);
    CHECK(prefix.finish() == vectors[10]);  // again: unchanged
    auto longer = prefix;
    longer.update(std::span{m}.subspan(10, 30));
    CHECK(longer.finish() == vectors[40]);
    CHECK(prefix.update(std::span{m}.subspan(10, 2)).finish() == vectors[12]);
    // Empty updates change nothing.
    CHECK(siphash24_hasher{key}.update({}).update(std::span{m}.first(5)).update({}).finish() == vectors[5]);
}

TEST_CASE("the length enters the hash mod 256, as the paper says", "[keyed_hash]") {
    // Messages of 1 and 257 zero bytes differ only in what precedes the last
    // word; the hashes must still differ (they do, through the 32 compressed
    // words), and the hasher agrees with the one-shot function past 256.
    const auto key = counting_key();
    const std::vector<std::uint8_t> zeros(600, 0);
    for (std::size_t n : {255u, 256u, 257u, 511u, 600u}) {
        const std::span<const std::uint8_t> msg{zeros.data(), n};
        CHECK(siphash24_hasher{key}.update(msg.first(n / 2)).update(msg.subspan(n / 2)).finish() ==
              siphash24(key, msg));
    }
    CHECK(siphash24(key, std::span{zeros}.first(1)) != siphash24(key, std::span{zeros}.first(257)));
}

TEST_CASE("the hasher equals the one-shot hash for random keys, messages and cuts", "[keyed_hash][property]") {
    rc::prop("update in random pieces == siphash24 of the whole", [] {
        const auto kv = *rc::gen::container<std::vector<std::uint8_t>>(16, rc::gen::arbitrary<std::uint8_t>());
        siphash_key key{};
        for (std::size_t i = 0; i < 16; ++i) key[i] = kv[i];
        const auto msg = *rc::gen::container<std::vector<std::uint8_t>>(rc::gen::arbitrary<std::uint8_t>());
        const auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, 20));
        siphash24_hasher h{key};
        std::size_t at = 0;
        for (const auto c : cuts) {
            const auto len = std::min(c, msg.size() - at);
            h.update(std::span{msg}.subspan(at, len));
            at += len;
        }
        h.update(std::span{msg}.subspan(at));
        RC_ASSERT(h.finish() == siphash24(key, msg));
    });
}

TEST_CASE("a different key gives a different hash", "[keyed_hash]") {
    const auto m = counting_bytes();
    auto key = counting_key();
    const auto h = siphash24(key, m);
    for (std::size_t byte = 0; byte < 16; ++byte) {
        auto k = key;
        k[byte] ^= 0x01;
        CHECK(siphash24(k, m) != h);
    }
}

}  // namespace
