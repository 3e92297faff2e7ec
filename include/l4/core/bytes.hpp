// Byte spans and big-endian (network order) load/store.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace l4 {

using bytes = std::span<const std::uint8_t>;
using mut_bytes = std::span<std::uint8_t>;

// Unaligned network-order loads and stores: memcpy and a byteswap, one
// mov (or movbe) each. Byte by byte, GCC merges the bytes of a store only in
// straight-line code: in a loop, or after a branch, a 16-bit store stays two
// byte stores with their shifts (an IPv4 header cost 140 instructions). The
// byte-wise form is for constant evaluation, where memcpy is not allowed.
namespace detail {
template <class T>
[[nodiscard]] constexpr T to_big_endian(T v) noexcept {
    if constexpr (std::endian::native == std::endian::big || sizeof(T) == 1) return v;
    else if constexpr (sizeof(T) == 2) return __builtin_bswap16(v);
    else if constexpr (sizeof(T) == 4) return __builtin_bswap32(v);
    else return __builtin_bswap64(v);
}
template <class T>
[[nodiscard]] inline T load_be(const std::uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return to_big_endian(v);
}
template <class T>
inline void store_be(std::uint8_t* p, T v) noexcept {
    v = to_big_endian(v);
    std::memcpy(p, &v, sizeof v);
}
}  // namespace detail

[[nodiscard]] constexpr std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    if (!std::is_constant_evaluated()) return detail::load_be<std::uint16_t>(p);
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
[[nodiscard]] constexpr std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    if (!std::is_constant_evaluated()) return detail::load_be<std::uint32_t>(p);
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
[[nodiscard]] constexpr std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    if (!std::is_constant_evaluated()) return detail::load_be<std::uint64_t>(p);
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
constexpr void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    if (!std::is_constant_evaluated()) return detail::store_be(p, v);
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
constexpr void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    if (!std::is_constant_evaluated()) return detail::store_be(p, v);
    store_be16(p, static_cast<std::uint16_t>(v >> 16));
    store_be16(p + 2, static_cast<std::uint16_t>(v));
}
constexpr void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
    if (!std::is_constant_evaluated()) return detail::store_be(p, v);
    store_be32(p, static_cast<std::uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<std::uint32_t>(v));
}

// Little-endian variants: pcap files written on little-endian hosts.
[[nodiscard]] constexpr std::uint16_t load_le16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
[[nodiscard]] constexpr std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
}
constexpr void store_le16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
constexpr void store_le32(std::uint8_t* p, std::uint32_t v) noexcept {
    store_le16(p, static_cast<std::uint16_t>(v));
    store_le16(p + 2, static_cast<std::uint16_t>(v >> 16));
}

// Byte-wise equality and copying for the wire layer, which does without
// <algorithm> to keep its compile cost down (benchmarks/compile_cost.sh).
[[nodiscard]] constexpr bool equal_bytes(bytes a, bytes b) noexcept {
    if (a.size() != b.size()) return false;
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i] != b[i]) return false;
        return true;
    }
    return a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0;
}

// Copies `from` to `to`, which has room for from.size() bytes.
constexpr void copy_bytes(bytes from, std::uint8_t* to) noexcept {
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < from.size(); ++i) to[i] = from[i];
    } else if (!from.empty()) {
        std::memcpy(to, from.data(), from.size());
    }
}

}  // namespace l4
