// Initial sequence numbers as RFC 6528 §3 computes them:
//
//     ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
//
// M is a clock ticking every 4 µs (RFC 9293 §3.4.1's ISN clock), so that a
// new incarnation of a connection starts ahead of the old one's sequence
// numbers; F is a keyed PRF, here SipHash-2-4 (core/keyed_hash.hpp) cut to 32
// bits, so that an off-path attacker who does not know the secret cannot
// guess the ISN of someone else's connection (RFC 6528 §1; the blind attacks
// of RFC 5961 need it).
//
// The secret is the stack's (net::stack's config.secret); `now` is the
// caller's time, virtual or real: nothing here reads a clock or a random
// source, so the same inputs always give the same ISN.
//
// F's input starts with a label ("l4kit tcp isn"): the same secret keys
// other hashes of the same 4-tuple (the connection table's buckets, RFC 6056
// ports), and an ISN, which the peer sees, must not hand out 32 bits of one
// of them.
#pragma once

#include <l4/core/keyed_hash.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>
#include <l4/wire/address.hpp>

#include <cstdint>
#include <string_view>

namespace l4::tcp {

namespace detail {
inline constexpr std::string_view isn_label{"l4kit tcp isn"};
}

// RFC 6528 §3: F(localip, localport, remoteip, remoteport, secretkey), the 4-tuple's part of the ISN.
[[nodiscard]] inline std::uint32_t isn_offset(const siphash_key& secret, const wire::socket_address& local,
                                              const wire::socket_address& remote) noexcept {
    siphash24_hasher h{secret};
    h.update({reinterpret_cast<const std::uint8_t*>(detail::isn_label.data()), detail::isn_label.size()});
    wire::hash_append(h, local);  // address then port: localip, localport
    wire::hash_append(h, remote);  // remoteip, remoteport
    return static_cast<std::uint32_t>(h.finish());
}

// RFC 6528 §3: M, the 4 µs timer, modulo 2^32 (it wraps every 4.77 hours).
[[nodiscard]] constexpr std::uint32_t isn_clock(instant now) noexcept {
    return static_cast<std::uint32_t>(to_ns(now) / 4000);
}

// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
[[nodiscard]] inline seq32 isn(const siphash_key& secret, const wire::socket_address& local,
                               const wire::socket_address& remote, instant now) noexcept {
    return seq32{isn_clock(now)} + isn_offset(secret, local, remote);
}

}  // namespace l4::tcp
