// SipHash-2-4: a keyed hash (a pseudorandom function) for short inputs.
//
// What it is for
// --------------
// Wherever an attacker chooses the input and must not predict or steer the
// output: ephemeral ports (RFC 6056 §3.3.3, algorithm 3: a keyed hash of the
// 4-tuple), initial sequence numbers (RFC 6528: ISN = M + F(4-tuple, secret)),
// SYN cookies, and the buckets of demultiplexing tables, where an unkeyed hash
// lets a sender aim every flow at one bucket (hash flooding). The key is a
// secret from the caller (the stack's configuration; tests pass a fixed one):
// nothing here reads a random source.
//
// SipHash-2-4 is Aumasson and Bernstein's "SipHash: a fast short-input PRF"
// (INDOCRYPT 2012), written here from the paper's description: a 256-bit
// state v0..v3 initialised from the 128-bit key and four constants, two
// SipRounds per 8-byte little-endian message word, a final word that carries
// the message length mod 256 in its top byte, and four SipRounds to finish.
// It is a PRF, not a MAC for long-lived authentication and not a password
// hash; 64 bits of output suit the uses above.
//
// How to use it
// -------------
//   l4::siphash_key key = config.secret;               // 16 bytes
//   std::uint64_t h = l4::siphash24(key, some_bytes);  // one shot
//
//   // Several fields without building a buffer (the result is the hash of
//   // their concatenation; the fixed-width helpers feed network order):
//   const auto port_offset = l4::siphash24_hasher{key}
//                                .update(local_address)   // any byte span
//                                .update(remote_address)
//                                .update_be16(remote_port)
//                                .finish();
//
// `finish` is const: a hasher fed a common prefix can be copied and each copy
// finished with a different suffix. Everything is constexpr.
//
// Complexity and cost: O(n) in the input; 2 SipRounds per 8 bytes plus 4 at
// the end (benchmarks/keyed_hash.cpp measures it). No allocation, no table,
// no data-dependent branches or memory accesses.
//
// Laws
// ----
//   1. siphash24(k, a ++ b) == siphash24_hasher{k}.update(a).update(b).finish()
//      for every split, empty parts included.
//   2. update_be16(v) is update of v's two bytes, most significant first
//      (update_be32, update_be64 likewise).
//   3. With key 00 01 .. 0f, the 64 messages 00 01 .. (n-1) for n = 0..63
//      hash to the reference implementation's published vectors
//      (tests/core/keyed_hash.cpp).
#pragma once

#include <l4/core/bytes.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

namespace l4 {

using siphash_key = std::array<std::uint8_t, 16>;

namespace detail {

[[nodiscard]] constexpr std::uint64_t sip_load_le64(const std::uint8_t* p) noexcept {
    // Byte by byte so that it is constexpr; compilers fuse it into one load.
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// The state v0..v3 and the compression and finalisation of the paper.
struct sip_state {
    std::uint64_t v0, v1, v2, v3;

    constexpr explicit sip_state(const siphash_key& key) noexcept
        : v0{0x736f6d6570736575u}, v1{0x646f72616e646f6du}, v2{0x6c7967656e657261u}, v3{0x7465646279746573u} {
        // The constants spell "somepseudorandomlygeneratedbytes".
        const std::uint64_t k0 = sip_load_le64(key.data()), k1 = sip_load_le64(key.data() + 8);
        v0 ^= k0;
        v1 ^= k1;
        v2 ^= k0;
        v3 ^= k1;
    }

    constexpr void round() noexcept {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }

    // c = 2 compression rounds per message word.
    constexpr void compress(std::uint64_t m) noexcept {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    // The last word (the remaining 0-7 bytes, the length mod 256 on top),
    // then d = 4 finalisation rounds.
    [[nodiscard]] constexpr std::uint64_t finish(std::uint64_t last) noexcept {
        compress(last);
        v2 ^= 0xff;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
};

}  // namespace detail

// SipHash-2-4 of `message` under `key`.
[[nodiscard]] constexpr std::uint64_t siphash24(const siphash_key& key, std::span<const std::uint8_t> message) noexcept {
    detail::sip_state s{key};
    const std::uint8_t* p = message.data();
    const std::size_t n = message.size();
    const std::size_t words = n / 8;
    for (std::size_t i = 0; i < words; ++i, p += 8) s.compress(detail::sip_load_le64(p));
    std::uint64_t last = std::uint64_t{static_cast<std::uint8_t>(n)} << 56;
    for (std::size_t i = 0; i < n % 8; ++i) last |= std::uint64_t{p[i]} << (8 * i);
    return s.finish(last);
}

// The same hash fed in pieces (laws 1 and 2).
class siphash24_hasher {
public:
    constexpr explicit siphash24_hasher(const siphash_key& key) noexcept : s_{key} {}

    constexpr siphash24_hasher& update(std::span<const std::uint8_t> data) noexcept {
        const std::uint8_t* p = data.data();
        std::size_t n = data.size();
        length_ += n;
        // Top up a partial word first.
        while (pending_ != 0 && n != 0) {
            push(*p++);
            --n;
        }
        for (; n >= 8; n -= 8, p += 8) s_.compress(detail::sip_load_le64(p));
        while (n-- != 0) push(*p++);
        return *this;
    }

    // Fixed-width values in network order, the way they travel in headers.
    constexpr siphash24_hasher& update_be16(std::uint16_t v) noexcept {
        const std::uint8_t b[2] = {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
        return update(b);
    }
    constexpr siphash24_hasher& update_be32(std::uint32_t v) noexcept {
        update_be16(static_cast<std::uint16_t>(v >> 16));
        return update_be16(static_cast<std::uint16_t>(v));
    }
    constexpr siphash24_hasher& update_be64(std::uint64_t v) noexcept {
        update_be32(static_cast<std::uint32_t>(v >> 32));
        return update_be32(static_cast<std::uint32_t>(v));
    }

    // The hash of everything fed so far. The hasher is unchanged and may be
    // fed more (or copied first).
    [[nodiscard]] constexpr std::uint64_t finish() const noexcept {
        detail::sip_state s = s_;
        return s.finish(tail_ | (std::uint64_t{static_cast<std::uint8_t>(length_)} << 56));
    }

private:
    // One byte into the partial word, compressing it when full.
    constexpr void push(std::uint8_t b) noexcept {
        tail_ |= std::uint64_t{b} << (8 * pending_);
        if (++pending_ == 8) {
            s_.compress(tail_);
            tail_ = 0;
            pending_ = 0;
        }
    }

    detail::sip_state s_;
    std::uint64_t tail_ = 0;   // the pending bytes, little-endian
    std::uint64_t length_ = 0; // bytes fed in all; only mod 256 reaches the hash
    unsigned pending_ = 0;     // how many bytes tail_ holds (0-7)
};

}  // namespace l4
