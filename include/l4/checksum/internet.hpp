// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's
// complement sum of 16-bit words, used by IPv4, ICMP, UDP and TCP.
//
// Four models of checksum_strategy (concept.hpp), bit-identical on any input:
//   internet_reference  byte at a time, as RFC 1071 defines the sum; the
//                       oracle for tests, not for use
//   internet_portable   64-bit words on two independent carry chains; any
//                       compiler, any CPU, any alignment
//   internet_avx2       32-byte vectors; compiled for x86-64 only, run only
//                       where the CPU has AVX2 (else it is internet_portable)
//   internet            picks one of the two above at run time: use this one
// All of them also run in constant expressions (byte at a time there).
//
// Reading list
//   RFC 1071 Computing the Internet Checksum (§2 properties, §4.1 C code)
//   RFC 1624 incremental update (incremental.hpp)
//   RFC 768 (UDP: a computed zero is sent as 0xFFFF; l4/wire/udp.hpp)
//
// How the sum is kept
//   RFC 1071 §2(B): the sum is byte-order independent, so the fast paths add
//   16-bit words in the CPU's own order and swap bytes once, at the end.
//   RFC 1071 §2(C): carries may be deferred; the portable path adds 64-bit
//   words and counts carries, the AVX2 path adds pairs of 16-bit words into
//   32-bit lanes. Both are exact sums modulo 2^16 - 1, which is all the checksum
//   sees, and both are zero only when every byte is zero, as a 16-bit
//   end-around-carry sum is: the results never differ in the +0/-0 choice.
//   Spans: a span that starts at an odd offset of the message has all its
//   bytes in the other half of their 16-bit words, which in one's complement
//   arithmetic is a byte swap of its sum (DPDK's rte_raw_cksum does the
//   same). The state remembers that parity.
//
// The two zeros
//   finish() returns ~sum. A message with any non-zero byte has a sum in
//   [1, 0xFFFF], so its checksum is in [0x0000, 0xFFFE]: a checksum computed
//   from scratch is never 0xFFFF except over all-zero bytes. verify() accepts
//   a stored value when sum + stored is 0xFFFF (-0), so a stored 0x0000 and
//   a stored 0xFFFF are both accepted when the computed checksum is 0x0000
//   (RFC 768 transmits that case as 0xFFFF).
#pragma once

#include <l4/checksum/cpu.hpp>
#include <l4/core/bytes.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace l4::checksum {

namespace detail {

// One's complement addition on 64 bits: the carry out is added back in, so
// the result is the sum modulo 2^64 - 1 (and 2^16 - 1 divides 2^64 - 1).
[[nodiscard]] constexpr std::uint64_t add_eac(std::uint64_t a, std::uint64_t b) noexcept {
    a += b;
    return a + (a < b);
}

// RFC 1071 §2(C): fold the carries back until 16 bits remain. Keeps zero
// zero and anything else in [1, 0xFFFF].
[[nodiscard]] constexpr std::uint16_t fold(std::uint64_t s) noexcept {
    std::uint32_t x = static_cast<std::uint32_t>(s);
    const auto hi = static_cast<std::uint32_t>(s >> 32);
    x += hi;
    x += (x < hi);
    x = (x & 0xFFFF) + (x >> 16);
    x = (x & 0xFFFF) + (x >> 16);
    return static_cast<std::uint16_t>(x);
}

// Multiplying by 256 modulo 2^16 - 1 swaps the two bytes of a 16-bit one's
// complement value; rotating a 64-bit end-around sum left by 8 is that
// multiplication modulo 2^64 - 1.
[[nodiscard]] constexpr std::uint64_t swap_sum_bytes(std::uint64_t s) noexcept { return std::rotl(s, 8); }

// RFC 1071 §2(B): a sum of native-order words, folded, is the sum of
// network-order words with its bytes swapped on little-endian hosts.
[[nodiscard]] constexpr std::uint16_t native_to_network(std::uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little)
        return static_cast<std::uint16_t>((v << 8) | (v >> 8));
    else
        return v;
}

// Where a byte lands in a native-order 16-bit word: at an even offset it is
// the word's high-order byte in network order, which a little-endian load
// makes the low-order one.
[[nodiscard]] constexpr std::uint64_t even_byte_native(std::uint8_t b) noexcept {
    return std::endian::native == std::endian::little ? b : std::uint64_t{b} << 8;
}
[[nodiscard]] constexpr std::uint64_t odd_byte_native(std::uint8_t b) noexcept {
    return std::endian::native == std::endian::little ? std::uint64_t{b} << 8 : b;
}

// Native-order sum for constant evaluation, where memcpy loads are not
// allowed. Same value as sum_portable.
[[nodiscard]] constexpr std::uint64_t sum_bytewise(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < n; ++i) s += (i % 2 == 0) ? even_byte_native(p[i]) : odd_byte_native(p[i]);
    return s;
}

template <class T>
[[nodiscard]] inline T load(const std::uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Sum of the native-order 16-bit words of [p, p + n), the first byte taken to
// be at an even offset; modulo 2^64 - 1, zero only when all bytes are.
// Two accumulators so that two adds can retire per cycle; their carries are
// counted on two more chains rather than added back, which would make each
// accumulator's chain two instructions long.
[[nodiscard]] inline std::uint64_t sum_portable(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t a = 0, b = 0, carries_a = 0, carries_b = 0;
    for (; n >= 32; p += 32, n -= 32) {
        carries_a += __builtin_add_overflow(a, load<std::uint64_t>(p), &a);
        carries_b += __builtin_add_overflow(b, load<std::uint64_t>(p + 8), &b);
        carries_a += __builtin_add_overflow(a, load<std::uint64_t>(p + 16), &a);
        carries_b += __builtin_add_overflow(b, load<std::uint64_t>(p + 24), &b);
    }
    // Fewer than 32 bytes remain, starting at an even offset; each piece
    // below is too, so each adds whole 16-bit words.
    if (n & 16) {
        carries_a += __builtin_add_overflow(a, load<std::uint64_t>(p), &a);
        carries_b += __builtin_add_overflow(b, load<std::uint64_t>(p + 8), &b);
        p += 16;
    }
    if (n & 8) {
        carries_a += __builtin_add_overflow(a, load<std::uint64_t>(p), &a);
        p += 8;
    }
    std::uint64_t tail = 0;  // at most 17 bits
    if (n & 4) {
        tail += load<std::uint32_t>(p);
        p += 4;
    }
    if (n & 2) {
        tail += load<std::uint16_t>(p);
        p += 2;
    }
    if (n & 1) tail += even_byte_native(*p);  // RFC 1071 §4.1: pad with a zero byte
    return add_eac(add_eac(a, b), add_eac(carries_a + carries_b, tail));
}

#if L4_CHECKSUM_X86
// GCC/Clang vector types, operators and the one builtin vpmaddwd, instead of
// <immintrin.h>: that header is 45,000 lines, a third of a wire TU's
// compile time. Under target("avx2") these compile to the same instructions.
using v16hi = short __attribute__((vector_size(32)));
using v8si = int __attribute__((vector_size(32)));
using v4di = long long __attribute__((vector_size(32)));

__attribute__((target("avx2"))) inline v16hi load256(const std::uint8_t* p) noexcept {
    v16hi v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Pairs of 16-bit words of v, summed into 32-bit lanes, each pair minus
// 65536. vpmaddwd multiplies signed words; flipping a word's top bit turns
// the unsigned w into the signed w - 32768 exactly, so one xor and one
// multiply-add by ones give w0 + w1 - 65536, and the caller adds the 65536s
// back once. Three vector operations per 32 bytes instead of four for a
// mask-and-shift widening.
__attribute__((target("avx2"))) inline v8si add_word_pairs(v8si acc, v16hi v) noexcept {
    constexpr short top = -32768;
    constexpr v16hi flip = {top, top, top, top, top, top, top, top, top, top, top, top, top, top, top, top};
    constexpr v16hi ones = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    return acc + __builtin_ia32_pmaddwd256(v ^ flip, ones);
}

// Adds the eight signed 32-bit lanes of acc into the four 64-bit lanes of
// total: each 64-bit lane of acc holds two of them, sign-extended by shifts.
__attribute__((target("avx2"))) inline v4di widen_into(v4di total, v8si acc) noexcept {
    const auto pairs = __builtin_bit_cast(v4di, acc);
    return total + ((pairs << 32) >> 32) + (pairs >> 32);
}

__attribute__((target("avx2"))) inline void store256(std::uint8_t* d, v16hi v) noexcept { std::memcpy(d, &v, sizeof v); }

// The same sum as sum_portable on 32-byte vectors, computed exactly. Each
// 32-bit lane moves by at most 65536 per vector, so four accumulators that
// together take at most 32767 vectors still add up within the int32 range;
// a block of 8191 iterations of 128 bytes, plus up to three 32-byte vectors
// after the last one, stays inside that. After each block the lanes are
// widened into 64-bit lanes. Four accumulators hide the add latency.
// With Copy, every vector loaded is also stored to `d`: the payload of a
// segment is copied into its frame and summed in one pass.
template <bool Copy>
__attribute__((target("avx2"))) inline std::uint64_t sum_avx2_pass(const std::uint8_t* p, std::size_t n,
                                                                   [[maybe_unused]] std::uint8_t* d) noexcept {
    constexpr std::size_t max_block_iterations = 8191;
    v4di total{};
    v8si acc0{}, acc1{}, acc2{}, acc3{};
    std::uint64_t vectors = 0;
    const auto take = [&](v8si& acc, std::size_t at) __attribute__((target("avx2"))) {
        const v16hi v = load256(p + at);
        if constexpr (Copy) store256(d + at, v);
        acc = add_word_pairs(acc, v);
    };
    for (;;) {
        std::size_t iterations = n / 128;
        if (iterations > max_block_iterations) iterations = max_block_iterations;
        for (std::size_t i = 0; i < iterations; ++i) {
            take(acc0, 0);
            take(acc1, 32);
            take(acc2, 64);
            take(acc3, 96);
            p += 128;
            if constexpr (Copy) d += 128;
        }
        n -= iterations * 128;
        vectors += iterations * 4;
        if (n < 128) break;
        total = widen_into(total, (acc0 + acc1) + (acc2 + acc3));
        acc0 = acc1 = acc2 = acc3 = v8si{};
    }
    for (; n >= 32; n -= 32, ++vectors) {
        take(acc0, 0);
        p += 32;
        if constexpr (Copy) d += 32;
    }
    total = widen_into(total, (acc0 + acc1) + (acc2 + acc3));

    // Horizontal sum of the four 64-bit lanes. The exact sum is non-negative
    // and far below 2^64, so unsigned wrap-around makes the signed lanes plus
    // the 65536 per 32-bit lane and vector come out exact.
    const std::uint64_t lanes = static_cast<std::uint64_t>(total[0]) + static_cast<std::uint64_t>(total[1]) +
                                static_cast<std::uint64_t>(total[2]) + static_cast<std::uint64_t>(total[3]);
    const std::uint64_t vector_sum = lanes + vectors * 8 * 65536;
    if constexpr (Copy) std::memcpy(d, p, n);
    return add_eac(vector_sum, sum_portable(p, n));  // fewer than 32 bytes left, at an even offset
}

__attribute__((target("avx2"))) inline std::uint64_t sum_avx2(const std::uint8_t* p, std::size_t n) noexcept {
    return sum_avx2_pass<false>(p, n, nullptr);
}
#endif

// The partial sum shared by every fast model, so that a state started on one
// path may be continued on another.
struct internet_state {
    std::uint64_t sum = 0;  // native-order word sum, modulo 2^64 - 1
    bool odd = false;       // an odd number of bytes fed so far
    friend constexpr bool operator==(const internet_state&, const internet_state&) = default;
};

// What every fast model shares: init, update, finish, verify. `Sum` is the
// kernel; a span at an odd offset is byte-swapped here, once per span.
template <std::uint64_t (*Sum)(const std::uint8_t*, std::size_t)>
struct internet_base {
    using value_type = std::uint16_t;
    using state = internet_state;
    static constexpr std::size_t width = 2;
    static constexpr bool ones_complement = true;

    [[nodiscard]] static constexpr state init() noexcept { return {}; }

    [[nodiscard]] static constexpr state update(state s, l4::bytes b) noexcept {
        std::uint64_t part = std::is_constant_evaluated() ? sum_bytewise(b.data(), b.size())
                                                          : Sum(b.data(), b.size());
        if (s.odd) part = swap_sum_bytes(part);
        return {add_eac(s.sum, part), s.odd != ((b.size() & 1) != 0)};
    }

    [[nodiscard]] static constexpr value_type finish(state s) noexcept {
        return static_cast<value_type>(~native_to_network(fold(s.sum)));
    }

    // RFC 1071 §1: the receiver's sum over the message including the stored
    // checksum is all ones.
    [[nodiscard]] static constexpr bool verify(state s, value_type stored) noexcept {
        return fold(add_eac(native_to_network(fold(s.sum)), stored)) == 0xFFFF;
    }

    [[nodiscard]] static constexpr value_type compute(l4::bytes b) noexcept {
        return finish(update(init(), b));
    }
};

// Out of line: one call is nothing next to a sum of 256 bytes or more, and
// inlining the vector path into every checksum call site cost users' TUs
// compile time for no speed.
[[nodiscard, gnu::noinline]] inline std::uint64_t sum_avx2_or_portable(const std::uint8_t* p,
                                                                       std::size_t n) noexcept {
#if L4_CHECKSUM_X86
    if (cpu::has_avx2()) return sum_avx2(p, n);
#endif
    return sum_portable(p, n);
}

// Below this length the scalar path is faster: the vector kernel's
// horizontal reduction adds 2-3 ns of latency, which it wins back only from
// about 200 bytes on (measured with g++ 12 and clang 14 on Zen 5). Every
// header and pseudo-header, and a bare ACK, go straight to the scalar path.
inline constexpr std::size_t avx2_threshold = 256;

[[nodiscard]] inline std::uint64_t sum_dispatch(const std::uint8_t* p, std::size_t n) noexcept {
    if (n < avx2_threshold) return sum_portable(p, n);
    return sum_avx2_or_portable(p, n);
}

// sum_dispatch(src, n) while copying the bytes to dst. Short spans and the
// portable path copy first and sum the copy, which is then in L1.
[[nodiscard, gnu::noinline]] inline std::uint64_t sum_copy_avx2_or_portable(std::uint8_t* dst, const std::uint8_t* src,
                                                                            std::size_t n) noexcept {
#if L4_CHECKSUM_X86
    if (cpu::has_avx2()) return sum_avx2_pass<true>(src, n, dst);
#endif
    std::memcpy(dst, src, n);
    return sum_portable(dst, n);
}
[[nodiscard]] inline std::uint64_t sum_copy_dispatch(std::uint8_t* dst, const std::uint8_t* src,
                                                     std::size_t n) noexcept {
    if (n < avx2_threshold) {
        if (n != 0) std::memcpy(dst, src, n);
        return sum_portable(dst, n);
    }
    return sum_copy_avx2_or_portable(dst, src, n);
}

}  // namespace detail

// RFC 1071 §1 read literally: each byte added into the high or low half of a
// 16-bit word according to its offset in the message, carries folded at the
// end. Slow and obviously right; the other models are tested against it.
struct internet_reference {
    using value_type = std::uint16_t;
    static constexpr std::size_t width = 2;
    static constexpr bool ones_complement = true;
    static constexpr std::string_view name = "internet_reference";

    struct state {
        std::uint64_t sum = 0;     // sum of network-order words, carries deferred
        std::uint64_t length = 0;  // bytes fed so far; its parity places the next byte
        friend constexpr bool operator==(const state&, const state&) = default;
    };

    [[nodiscard]] static constexpr state init() noexcept { return {}; }

    [[nodiscard]] static constexpr state update(state s, l4::bytes b) noexcept {
        for (std::uint8_t byte : b) {
            s.sum += (s.length % 2 == 0) ? std::uint64_t{byte} << 8 : std::uint64_t{byte};
            ++s.length;
        }
        return s;
    }

    [[nodiscard]] static constexpr std::uint16_t folded(state s) noexcept {
        std::uint64_t sum = s.sum;
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        return static_cast<std::uint16_t>(sum);
    }

    [[nodiscard]] static constexpr value_type finish(state s) noexcept {
        return static_cast<value_type>(~folded(s));
    }

    [[nodiscard]] static constexpr bool verify(state s, value_type stored) noexcept {
        std::uint64_t sum = std::uint64_t{folded(s)} + stored;
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        return sum == 0xFFFF;
    }

    [[nodiscard]] static constexpr value_type compute(l4::bytes b) noexcept {
        return finish(update(init(), b));
    }
};

// 64-bit scalar path: 30-40 GiB/s in cache on a Zen 5 core, with no SIMD
// instruction and no alignment requirement.
struct internet_portable : detail::internet_base<detail::sum_portable> {
    static constexpr std::string_view name = "internet_portable";
};

// AVX2 path. Runs the vector kernel only if the CPU has AVX2 (checked once);
// elsewhere, including non-x86 builds, it is internet_portable under another
// name, so code and tests that name it still build and pass.
struct internet_avx2 : detail::internet_base<detail::sum_avx2_or_portable> {
    static constexpr std::string_view name = "internet_avx2";

    // Whether update() really runs AVX2 code on this machine.
    [[nodiscard]] static bool available() noexcept { return L4_CHECKSUM_X86 && cpu::has_avx2(); }
};

// The one to use. Spans shorter than 256 bytes take the scalar path (a
// 40-byte header costs 2-3 ns); longer ones take AVX2 where the CPU has it.
struct internet : detail::internet_base<detail::sum_dispatch> {
    static constexpr std::string_view name = "internet";

    // Spans at least this long take the vector path where there is one.
    static constexpr std::size_t vector_threshold = detail::avx2_threshold;

    // The model that spans of vector_threshold bytes or more go through:
    // "internet_avx2" or "internet_portable". For benchmark and test output.
    [[nodiscard]] static std::string_view active_path() noexcept {
        return internet_avx2::available() ? internet_avx2::name : internet_portable::name;
    }

    // update(s, src) that also copies src to dst, in one pass over the bytes
    // (checksum::update_copy, concept.hpp): a segment's payload going into
    // its frame. `dst` must not overlap `src`.
    [[nodiscard]] static state update_copy(state s, l4::bytes src, std::uint8_t* dst) noexcept {
        std::uint64_t part = detail::sum_copy_dispatch(dst, src.data(), src.size());
        if (s.odd) part = detail::swap_sum_bytes(part);
        return {detail::add_eac(s.sum, part), s.odd != ((src.size() & 1) != 0)};
    }
};

}  // namespace l4::checksum
