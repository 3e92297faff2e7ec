// Incremental update of an Internet checksum (RFC 1624).
//
// A router rewriting a TTL, a NAT rewriting an address or port, a stack
// rewriting an ACK in a queued segment: each changes a few 16-bit words of a
// header whose checksum is already known. RFC 1624 §3 gives the new checksum
// from the old one without reading the rest of the bytes:
//
//   HC' = ~(~HC + ~m + m')                                      [Eqn. 3]
//
// where m and m' are the old and new values of the 16-bit word, + is one's
// complement addition and ~ is the complement.
//
// `incremental` is a full checksum_strategy (the same as `internet` for a
// computation from scratch) plus three static functions:
//   update16(hc, m, m')             one 16-bit word: ports, TTL+protocol,
//                                   the TCP window
//   update32(hc, m, m')             one 32-bit word: an IPv4 address, a
//                                   sequence or acknowledgment number
//   update(hc, old_field, new_field)  any field, e.g. a 16-byte IPv6 address
// All values are in host order, as load_be16/load_be32 return them, and the
// field must start at an even offset of the covered bytes (every address,
// port and number in IPv4, IPv6, TCP and UDP does).
//
// The two zeros
//   RFC 1624 §3-§4: Eqn. 2 of RFC 1141 (HC' = HC + m + ~m') can produce
//   0xFFFF (-0) where a full computation gives 0x0000; Eqn. 3 cannot. When HC
//   came from a full computation over bytes that are not all zero, ~HC is
//   non-zero, an end-around-carry sum with a non-zero operand is never +0, so
//   HC' is never 0xFFFF, and the result is bit-identical to recomputing.
//   Two corners remain, and these are the choices made:
//   - RFC 1624 erratum 4782: when the field does not change, return HC
//     unchanged. This matters for UDP, which transmits a computed 0x0000 as
//     0xFFFF (RFC 768): Eqn. 3 would turn that 0xFFFF into 0x0000, which
//     means "no checksum". When the field does change, the result is
//     arithmetically right and UDP re-applies RFC 768's rule to it, as after
//     a full computation.
//   - Covered bytes that become all zero: a full computation gives 0xFFFF,
//     Eqn. 3 gives 0x0000. No real header is all zero (the pseudo-header
//     carries the protocol number), so only synthetic tests meet this one.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/core/bytes.hpp>

#include <cstdint>
#include <string_view>

namespace l4::checksum {

struct incremental : internet {
    static constexpr std::string_view name = "incremental";

    using internet::update;

    // RFC 1624 §3 Eqn. 3 for one 16-bit word.
    [[nodiscard]] static constexpr std::uint16_t update16(std::uint16_t hc, std::uint16_t m,
                                                          std::uint16_t m_new) noexcept {
        if (m == m_new) return hc;  // RFC 1624 erratum 4782
        return apply(hc, complement(m), m_new);
    }

    // Eqn. 3 applied to both 16-bit halves at once.
    [[nodiscard]] static constexpr std::uint16_t update32(std::uint16_t hc, std::uint32_t m,
                                                          std::uint32_t m_new) noexcept {
        if (m == m_new) return hc;  // RFC 1624 erratum 4782
        const std::uint32_t removed = std::uint32_t{complement(high(m))} + complement(low(m));
        const std::uint32_t added = std::uint32_t{high(m_new)} + low(m_new);
        return apply(hc, removed, added);
    }

    // Eqn. 3 with m and m' the one's complement sums of the old and new
    // bytes of a field (RFC 1071 §2(A): the sum may be regrouped freely).
    // An odd-length field's last byte is the high byte of a word whose low
    // byte does not change. Fields of different lengths read as if the
    // shorter were padded with zeros.
    [[nodiscard]] static constexpr std::uint16_t update(std::uint16_t hc, l4::bytes old_field,
                                                        l4::bytes new_field) noexcept {
        if (equal_bytes(old_field, new_field)) return hc;  // RFC 1624 erratum 4782
        return apply(hc, complement(field_sum(old_field)), field_sum(new_field));
    }

private:
    [[nodiscard]] static constexpr std::uint16_t complement(std::uint16_t v) noexcept {
        return static_cast<std::uint16_t>(~v);
    }
    [[nodiscard]] static constexpr std::uint16_t high(std::uint32_t v) noexcept {
        return static_cast<std::uint16_t>(v >> 16);
    }
    [[nodiscard]] static constexpr std::uint16_t low(std::uint32_t v) noexcept {
        return static_cast<std::uint16_t>(v);
    }

    // Network-order one's complement sum of a field, folded to 16 bits.
    [[nodiscard]] static constexpr std::uint16_t field_sum(l4::bytes field) noexcept {
        return detail::native_to_network(detail::fold(internet::update(internet::init(), field).sum));
    }

    // ~(~hc + removed + added), carries folded back in (RFC 1071 §2(C)).
    [[nodiscard]] static constexpr std::uint16_t apply(std::uint16_t hc, std::uint32_t removed,
                                                       std::uint32_t added) noexcept {
        const std::uint64_t sum = std::uint64_t{complement(hc)} + removed + added;
        return complement(detail::fold(sum));
    }
};

}  // namespace l4::checksum
