// Every fast path gives exactly what the obviously-correct oracle gives: the
// byte-at-a-time RFC 1071 sum for the Internet family, the bit-at-a-time
// CRC for CRC32C. Lengths, start addresses and span boundaries are where
// such code goes wrong (RFC 1071 §2(B), odd offsets, SIMD tails).
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace l4::checksum;
using namespace l4::checksum::test;

// The oracles take seconds on megabytes, and each long input is checked by
// several paths of the same family: compute each expected value once.
// Long inputs live in static buffers, so (address, length) names them.
template <class S>
typename S::value_type cached_oracle(l4::bytes b) {
    static std::map<std::pair<const std::uint8_t*, std::size_t>, typename S::value_type> memo;
    const auto [it, fresh] = memo.try_emplace({b.data(), b.size()});
    if (fresh) it->second = oracle<S>(b);
    return it->second;
}
template <class S>
typename S::value_type long_oracle(l4::bytes b) {
    if constexpr (is_ones_complement<S>)
        return cached_oracle<internet_reference>(b);
    else
        return cached_oracle<crc32c_portable>(b);  // keyed by family; the value is crc32c_bitwise's
}

// 16 MiB of 0xFF, and 3 more bytes to start at odd offsets.
const std::vector<std::uint8_t>& sixteen_mib_of_ones() {
    static const std::vector<std::uint8_t> v((16u << 20) + 3, 0xFF);
    return v;
}

// The AVX2 kernel widens its 32-bit lanes every 8192 * 128 bytes.
constexpr std::size_t avx2_block = 8192 * 128;
const std::vector<std::uint8_t>& two_blocks() {
    static const auto v = random_bytes(1, 2 * avx2_block + 300);
    return v;
}

}  // namespace

TEST_CASE("the run-time dispatch reports the path it takes", "[checksum][paths]") {
    WARN("internet runs " << std::string{internet::active_path()} << ", crc32c runs "
                          << std::string{crc32c::active_path()});
    CHECK((internet::active_path() == internet_avx2::name || internet::active_path() == internet_portable::name));
    CHECK((crc32c::active_path() == crc32c_sse42::name || crc32c::active_path() == crc32c_portable::name));
    CHECK(internet_avx2::available() == (internet::active_path() == internet_avx2::name));
    CHECK(crc32c_sse42::available() == (crc32c::active_path() == crc32c_sse42::name));
    // The exhaustive test below crosses the scalar/vector boundary.
    STATIC_REQUIRE(internet::vector_threshold <= 300);
}

TEMPLATE_LIST_TEST_CASE("every path agrees with the oracle at any length and start address",
                        "[checksum][paths]", fast_strategies) {
    using S = TestType;
    INFO(std::string{S::name} << " (internet runs " << std::string{internet::active_path()} << ")");
    rc::prop("random lengths 0-9000 at random offsets of the buffer", [] {
        const auto length = *rc::gen::inRange<std::size_t>(0, 9001);
        const auto offset = *rc::gen::inRange<std::size_t>(0, 64);
        const auto buffer = random_bytes(*rc::gen::arbitrary<std::uint64_t>(), offset + length);
        const l4::bytes b = l4::bytes{buffer}.subspan(offset);
        RC_ASSERT(S::compute(b) == oracle<S>(b));
    });
    rc::prop("random lengths fed in spans of random, often odd, lengths", [] {
        const auto length = *rc::gen::inRange<std::size_t>(0, 9001);
        const auto buffer = random_bytes(*rc::gen::arbitrary<std::uint64_t>(), length);
        auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, length + 1));
        std::sort(cuts.begin(), cuts.end());
        RC_ASSERT(S::finish(update_in_spans<S>(S::init(), buffer, cuts)) == oracle<S>(buffer));
    });
}

TEMPLATE_LIST_TEST_CASE("every path agrees with the oracle for every length 0-300 at offsets 0-7",
                        "[checksum][paths]", fast_strategies) {
    using S = TestType;
    const auto random = random_bytes(300, 308);
    const std::vector<std::uint8_t> ones(308, 0xFF);  // the most carries
    for (const auto* buffer : {&random, &ones}) {
        for (std::size_t offset = 0; offset < 8; ++offset) {
            for (std::size_t length = 0; length <= 300; ++length) {
                const l4::bytes b = l4::bytes{*buffer}.subspan(offset, length);
                INFO(std::string{S::name} << ": length " << length << " at offset " << offset);
                REQUIRE(S::compute(b) == oracle<S>(b));
                // The same bytes after an odd-length prefix.
                const auto split = length / 3 | 1;
                if (split <= length) {
                    auto s = S::update(S::init(), b.first(split));
                    REQUIRE(S::finish(S::update(s, b.subspan(split))) == oracle<S>(b));
                }
            }
        }
    }
}

TEST_CASE("a state started on one Internet path continues on any other", "[checksum][paths]") {
    // They share internet_state, so a stack may compute the pseudo-header on
    // one path and the payload on another.
    const auto bytes = random_bytes(11, 5001);
    const l4::bytes b{bytes};
    auto s = internet_portable::update(internet_portable::init(), b.first(1001));
    s = internet_avx2::update(s, b.subspan(1001, 2999));
    s = internet::update(s, b.subspan(4000, 1));
    s = incremental::update(s, b.subspan(4001));
    CHECK(internet_portable::finish(s) == internet_reference::compute(b));
}

TEMPLATE_LIST_TEST_CASE("very long input does not overflow the accumulators", "[checksum][paths][long]",
                        fast_strategies) {
    using S = TestType;
    // 2^23 words of 0xFFFF sum to about 2^39, far past any 32-bit
    // accumulator, and past the AVX2 kernel's block.
    const l4::bytes b{sixteen_mib_of_ones()};
    INFO(std::string{S::name});
    for (const auto part : {b.first(16u << 20), b.subspan(1), b.subspan(3)})
        CHECK(S::compute(part) == long_oracle<S>(part));
}

TEMPLATE_LIST_TEST_CASE("lengths around the AVX2 kernel's block boundary agree", "[checksum][paths][long]",
                        fast_strategies) {
    using S = TestType;
    const std::size_t block = avx2_block;
    for (std::size_t length : {block - 1, block, block + 1, block + 31, block + 32, block + 129, 2 * block + 255}) {
        const l4::bytes b = l4::bytes{two_blocks()}.first(length);
        INFO(std::string{S::name} << ": length " << length);
        CHECK(S::compute(b) == long_oracle<S>(b));
    }
}
