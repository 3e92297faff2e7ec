// Shared by the checksum tests: the lists of models, oracles, random bytes.
#pragma once

#include <l4/checksum.hpp>
#include <l4/core/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <tuple>
#include <type_traits>
#include <vector>

namespace l4::checksum::test {

// Every model and every path: the laws hold for all of them.
using all_strategies = std::tuple<internet_reference, internet_portable, internet_avx2, internet,
                                  incremental, crc32c_portable, crc32c_sse42, crc32c, none>;

// Every model that has an independent oracle to agree with.
using fast_strategies = std::tuple<internet_portable, internet_avx2, internet, incremental,
                                   crc32c_portable, crc32c_sse42, crc32c>;

template <class S>
inline constexpr bool is_ones_complement = requires { requires S::ones_complement; };

// CRC32C one bit at a time, straight from the definition (RFC 3720 §12.1):
// reflected polynomial 0x82F63B78, preset and final complement.
inline std::uint32_t crc32c_bitwise(l4::bytes b) {
    std::uint32_t crc = 0xFFFFFFFF;
    for (std::uint8_t byte : b) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? 0x82F63B78u : 0u);
    }
    return ~crc;
}

// The value an independent, obviously-correct computation gives for S.
template <class S>
typename S::value_type oracle(l4::bytes b) {
    if constexpr (is_ones_complement<S>)
        return internet_reference::compute(b);
    else
        return crc32c_bitwise(b);
}

// Deterministic bytes from a seed, so that rapidcheck generates (and
// shrinks) a seed and a length rather than thousands of separate bytes.
inline std::vector<std::uint8_t> random_bytes(std::uint64_t seed, std::size_t n) {
    std::mt19937_64 rng{seed};
    std::vector<std::uint8_t> v(n);
    for (auto& byte : v) byte = static_cast<std::uint8_t>(rng());
    return v;
}

// Feeds b to S in the spans that `cuts` (sorted offsets into b) delimit.
template <class S>
typename S::state update_in_spans(typename S::state s, l4::bytes b, const std::vector<std::size_t>& cuts) {
    std::size_t from = 0;
    for (std::size_t cut : cuts) {
        s = S::update(s, b.subspan(from, cut - from));
        from = cut;
    }
    return S::update(s, b.subspan(from));
}

// A receiver's state: the message with its field's bytes fed as zeros.
template <class S>
typename S::state state_with_zero_field(l4::bytes message, std::size_t field_offset) {
    const std::vector<std::uint8_t> zeros(S::width, 0);
    auto s = S::update(S::init(), message.first(field_offset));
    s = S::update(s, zeros);
    return S::update(s, message.subspan(field_offset + S::width));
}

template <class S>
typename S::value_type load_field(l4::bytes message, std::size_t offset) {
    if constexpr (S::width == 4)
        return l4::load_be32(message.data() + offset);
    else
        return l4::load_be16(message.data() + offset);
}

template <class S>
void store_field(std::vector<std::uint8_t>& message, std::size_t offset, typename S::value_type v) {
    if constexpr (S::width == 4)
        l4::store_be32(message.data() + offset, v);
    else
        l4::store_be16(message.data() + offset, v);
}

}  // namespace l4::checksum::test
