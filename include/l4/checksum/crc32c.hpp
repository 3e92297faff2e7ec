// CRC32C (Castagnoli) as a checksum strategy.
//
// TCP and UDP mandate the Internet checksum; CRC32C is what SCTP (RFC 9260
// Appendix A), iSCSI (RFC 3720 §12.1) and many storage formats use, and a
// far stronger check for experiments or an extra integrity tag: it detects
// every burst error up to 32 bits, where a one's complement sum misses
// swapped 16-bit words and many double-bit errors.
//
// Three models of checksum_strategy (concept.hpp), bit-identical:
//   crc32c_portable  slicing-by-8 tables (8 KiB, built on first use); any
//                    CPU
//   crc32c_sse42     the SSE4.2 `crc32` instruction, 8 bytes per step;
//                    x86-64 only, run only where the CPU has SSE4.2 (else it
//                    is crc32c_portable)
//   crc32c           picks one of the two above at run time: use this one
//
// Parameters (RFC 3720 §12.1, "CRC-32C" in Williams' notation): polynomial
// 0x1EDC6F41, reflected (0x82F63B78), register preset to all ones, result
// complemented. Check value: "123456789" -> 0xE3069283.
//
// The stored value is the CRC of the covered bytes with the field zeroed,
// in host order; like every strategy it goes on the wire with store_be32.
// (SCTP's own byte order for this field is the layout's business.)
//
// The sse42 path runs one dependency chain: the instruction's 3-cycle
// latency limits it to 8 bytes per 3 cycles (about 8.5 GiB/s on Zen 5,
// against about 2 GiB/s for slicing-by-8). Three interleaved streams with a
// recombination step would roughly triple that; not done yet.
#pragma once

#include <l4/checksum/cpu.hpp>
#include <l4/core/bytes.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace l4::checksum {

namespace detail {

inline constexpr std::uint32_t crc32c_poly_reflected = 0x82F63B78;

// The register after feeding byte b to a zero register, one bit at a time.
[[nodiscard]] constexpr std::uint32_t crc32c_byte(std::uint32_t b) noexcept {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ ((c & 1) ? crc32c_poly_reflected : 0);
    return c;
}

// Advances the (reflected, uncomplemented) register over [p, p + n) a byte
// at a time without tables: the path for constant evaluation.
[[nodiscard]] constexpr std::uint32_t crc32c_bytewise(std::uint32_t crc, const std::uint8_t* p,
                                                      std::size_t n) noexcept {
    for (; n > 0; ++p, --n) crc = (crc >> 8) ^ crc32c_byte((crc ^ *p) & 0xFF);
    return crc;
}

using crc32c_table_set = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0][b]: the register after feeding byte b to a zero register.
// tables[k][b]: the same byte followed by k zero bytes, so that eight table
// look-ups advance the register by eight bytes at once (slicing-by-8).
//
// Built once, at run time, on first use. Built as a constant, the 2,048
// entries cost g++ about 0.2 s of constant evaluation in every translation
// unit that includes this header, which is why this is not constexpr.
[[nodiscard]] inline crc32c_table_set make_crc32c_tables() noexcept {
    crc32c_table_set t{};
    for (std::uint32_t b = 0; b < 256; ++b) t[0][b] = crc32c_byte(b);
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    return t;
}

[[nodiscard]] inline const crc32c_table_set& crc32c_tables() noexcept {
    static const crc32c_table_set tables = make_crc32c_tables();
    return tables;
}

// Advances the (reflected, uncomplemented) register over [p, p + n).
[[nodiscard]] inline std::uint32_t crc32c_slice8(std::uint32_t crc, const std::uint8_t* p, std::size_t n) noexcept {
    const auto& t = crc32c_tables();
    // A reflected CRC consumes bytes in address order, least significant
    // first: load little-endian whatever the host.
    for (; n >= 8; p += 8, n -= 8) {
        const std::uint32_t lo = crc ^ l4::load_le32(p);
        const std::uint32_t hi = l4::load_le32(p + 4);
        crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
              t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^ t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
    }
    for (; n > 0; ++p, --n) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xFF];
    return crc;
}

#if L4_CHECKSUM_X86
__attribute__((target("sse4.2"))) inline std::uint32_t crc32c_sse42_kernel(std::uint32_t crc,
                                                                           const std::uint8_t* p,
                                                                           std::size_t n) noexcept {
    std::uint64_t c = crc;
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, 8);  // x86 is little-endian, as the CRC wants
        c = __builtin_ia32_crc32di(c, word);  // crc32 r64, r/m64
    }
    auto c32 = static_cast<std::uint32_t>(c);
    for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, *p);
    return c32;
}
#endif

// Out of line, like the internet checksum's vector path: a call costs less
// than the compile time of inlining both kernels at every call site.
[[nodiscard, gnu::noinline]] inline std::uint32_t crc32c_sse42_or_portable(std::uint32_t crc,
                                                                           const std::uint8_t* p,
                                                                           std::size_t n) noexcept {
#if L4_CHECKSUM_X86
    if (cpu::has_sse42()) return crc32c_sse42_kernel(crc, p, n);
#endif
    return crc32c_slice8(crc, p, n);
}

// What the three models share; `Kernel` advances the register.
template <std::uint32_t (*Kernel)(std::uint32_t, const std::uint8_t*, std::size_t)>
struct crc32c_base {
    using value_type = std::uint32_t;
    static constexpr std::size_t width = 4;
    static constexpr bool ones_complement = false;

    struct state {
        std::uint32_t reg = 0xFFFFFFFF;  // RFC 3720 §12.1: preset to all ones
        friend constexpr bool operator==(const state&, const state&) = default;
    };

    [[nodiscard]] static constexpr state init() noexcept { return {}; }

    [[nodiscard]] static constexpr state update(state s, l4::bytes b) noexcept {
        if (std::is_constant_evaluated()) return {crc32c_bytewise(s.reg, b.data(), b.size())};
        return {Kernel(s.reg, b.data(), b.size())};
    }

    [[nodiscard]] static constexpr value_type finish(state s) noexcept { return ~s.reg; }

    [[nodiscard]] static constexpr bool verify(state s, value_type stored) noexcept {
        return finish(s) == stored;
    }

    [[nodiscard]] static constexpr value_type compute(l4::bytes b) noexcept {
        return finish(update(init(), b));
    }
};

}  // namespace detail

struct crc32c_portable : detail::crc32c_base<detail::crc32c_slice8> {
    static constexpr std::string_view name = "crc32c_portable";
};

// SSE4.2 path; crc32c_portable under another name where the CPU lacks it.
struct crc32c_sse42 : detail::crc32c_base<detail::crc32c_sse42_or_portable> {
    static constexpr std::string_view name = "crc32c_sse42";

    // Whether update() really runs the crc32 instruction on this machine.
    [[nodiscard]] static bool available() noexcept { return L4_CHECKSUM_X86 && cpu::has_sse42(); }
};

// The one to use.
struct crc32c : detail::crc32c_base<detail::crc32c_sse42_or_portable> {
    static constexpr std::string_view name = "crc32c";

    // "crc32c_sse42" or "crc32c_portable", for benchmark and test output.
    [[nodiscard]] static std::string_view active_path() noexcept {
        return crc32c_sse42::available() ? crc32c_sse42::name : crc32c_portable::name;
    }
};

}  // namespace l4::checksum
