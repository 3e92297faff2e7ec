// The `checksum_strategy` concept: how a segment's integrity check is computed.
//
// Description
// -----------
// A checksum strategy turns the bytes a transport header covers (pseudo-
// header, header, payload) into the value stored in the header's checksum
// field, and tells a receiver whether a stored value matches. The bytes may
// arrive as several spans (pseudo-header built on the stack, header, payload
// in a ring buffer), so the computation is split into init / update / finish
// with a `state` carried between spans. Every member is static: a strategy is
// a policy type, never an object.
//
// Minimal complete definition
// ---------------------------
//   S::value_type     unsigned integer type of the field (std::uint16_t for
//                     the Internet checksum, std::uint32_t for CRC32C)
//   S::width          static constexpr std::size_t: bytes of the field on the
//                     wire, equal to sizeof(value_type)
//   S::state          the partial computation carried between spans
//   S::init()         -> state
//   S::update(state, l4::bytes) -> state
//   S::finish(state)  -> value_type: the value to store, given that the
//                     field's own bytes were fed as zeros
//   S::verify(state, value_type stored) -> bool: state computed with the
//                     field's bytes fed as zeros, `stored` read from the wire
//   S::compute(l4::bytes) -> value_type: finish(update(init(), b))
// and, not checked by the concept but provided by every model that ships,
//   S::name           static constexpr std::string_view, used in test and
//                     benchmark names ("internet", "crc32c_sse42", ...)
//   S::ones_complement  static constexpr bool, true for the RFC 1071 family:
//                     such a sum is never transmitted as 0, which lets UDP
//                     give a zero field its RFC 768 meaning ("no checksum").
//                     Absent means false (l4/wire/udp.hpp asks for it).
//
// Values are in host order; the caller stores them with store_be16 or
// store_be32 (l4/core/bytes.hpp) and reads them back with load_be16/32.
//
// Laws
// ----
// For all byte strings a and b (of any lengths, odd included):
//   1. Concatenation: update(update(s, a), b) behaves exactly as
//      update(s, a ++ b). A span may start at an odd offset of the message.
//   2. Round trip: with `s` the state over a message whose field bytes are
//      zero, verify(s, finish(s)) is true.
//   3. Detection: if verify(s, v) is true and s' covers the same message with
//      one bit flipped (or v' differs from v in one bit), verify(s', v) and
//      verify(s, v') are false. `none` is the documented exception: it
//      verifies everything.
//   4. compute(b) == finish(update(init(), b)).
// tests/checksum/laws.cpp checks all four for every model and every path.
//
// Models
// ------
//   internet_reference, internet_portable, internet_avx2, internet  (internet.hpp)
//   incremental (internet plus RFC 1624 field rewrites)             (incremental.hpp)
//   crc32c_portable, crc32c_sse42, crc32c                           (crc32c.hpp)
//   none                                                            (none.hpp)
//
// Example
// -------
//   // Fill a UDP checksum: pseudo-header, then the header with its checksum
//   // field zeroed, then the payload.
//   template <l4::checksum::checksum_strategy S>
//   void fill(l4::bytes pseudo, l4::mut_bytes header, l4::bytes payload) {
//       l4::store_be16(header.data() + 6, 0);
//       auto s = S::init();
//       s = S::update(s, pseudo);
//       s = S::update(s, header);
//       s = S::update(s, payload);
//       l4::store_be16(header.data() + 6, S::finish(s));
//   }
//
// A type meant to be a strategy should say so where it is defined:
//   L4_ASSERT_CHECKSUM_STRATEGY(my_strategy);
// The build then fails with a message naming the member that is missing,
// rather than with a failed constraint somewhere in tcp/ or udp/.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <l4/core/bytes.hpp>

namespace l4::checksum {

namespace detail {

// One requirement each, so that a failing static_assert can name it.
template <class S> concept has_value_type = requires { typename S::value_type; } &&
                                            std::unsigned_integral<typename S::value_type>;
template <class S> concept has_state = requires { typename S::state; } &&
                                       std::copyable<typename S::state>;
template <class S> concept has_width = requires {
    { S::width } -> std::convertible_to<std::size_t>;
} && has_value_type<S> && (S::width == sizeof(typename S::value_type));
template <class S> concept has_init = has_state<S> && requires {
    { S::init() } -> std::same_as<typename S::state>;
};
template <class S> concept has_update = has_state<S> && requires(typename S::state s, l4::bytes b) {
    { S::update(s, b) } -> std::same_as<typename S::state>;
};
template <class S> concept has_finish = has_state<S> && has_value_type<S> &&
                                        requires(typename S::state s) {
    { S::finish(s) } -> std::same_as<typename S::value_type>;
};
template <class S> concept has_verify = has_state<S> && has_value_type<S> &&
                                        requires(typename S::state s, typename S::value_type v) {
    { S::verify(s, v) } -> std::same_as<bool>;
};
template <class S> concept has_compute = has_value_type<S> && requires(l4::bytes b) {
    { S::compute(b) } -> std::same_as<typename S::value_type>;
};

}  // namespace detail

template <class S>
concept checksum_strategy = detail::has_value_type<S> && detail::has_state<S> &&
                            detail::has_width<S> && detail::has_init<S> &&
                            detail::has_update<S> && detail::has_finish<S> &&
                            detail::has_verify<S> && detail::has_compute<S>;

// update(s, src) that also copies `src` to `dst` (which must not overlap
// it): a model with a static update_copy does both in one pass (internet
// does); any other copies, then updates.
template <checksum_strategy S>
[[nodiscard]] typename S::state update_copy(typename S::state s, l4::bytes src, std::uint8_t* dst) noexcept {
    if constexpr (requires { { S::update_copy(s, src, dst) } -> std::same_as<typename S::state>; }) {
        return S::update_copy(s, src, dst);
    } else {
        if (!src.empty()) std::memcpy(dst, src.data(), src.size());
        return S::update(s, src);
    }
}

// Evaluates to true for a model; for anything else, fails to compile with
// one message per missing member. Use through L4_ASSERT_CHECKSUM_STRATEGY.
template <class S>
consteval bool assert_checksum_strategy() {
    static_assert(detail::has_value_type<S>,
                  "checksum_strategy: missing `using value_type = <unsigned integer>;`");
    static_assert(detail::has_state<S>,
                  "checksum_strategy: missing `using state = <copyable type>;`");
    static_assert(detail::has_width<S>,
                  "checksum_strategy: missing `static constexpr std::size_t width` "
                  "equal to sizeof(value_type)");
    static_assert(detail::has_init<S>, "checksum_strategy: missing `static state init()`");
    static_assert(detail::has_update<S>,
                  "checksum_strategy: missing `static state update(state, l4::bytes)`");
    static_assert(detail::has_finish<S>,
                  "checksum_strategy: missing `static value_type finish(state)`");
    static_assert(detail::has_verify<S>,
                  "checksum_strategy: missing `static bool verify(state, value_type)`");
    static_assert(detail::has_compute<S>,
                  "checksum_strategy: missing `static value_type compute(l4::bytes)`");
    return checksum_strategy<S>;
}

}  // namespace l4::checksum

#define L4_ASSERT_CHECKSUM_STRATEGY(...) \
    static_assert(::l4::checksum::assert_checksum_strategy<__VA_ARGS__>())
