// The UDP protocol engine, composed from policies: how datagrams are laid
// out and how they are checksummed. It is stateless: the stack asks it to
// write a datagram for a pseudo-header, or to read one it received.
//
//     l4::udp::endpoint<>                                   // RFC 768 UDP, internet checksum
//     l4::udp::endpoint<l4::use<l4::checksum::none>>        // no checksum (IPv4 only)
//     l4::udp::endpoint<l4::use<my_format>, l4::use<l4::checksum::crc32c>>
//
// A datagram format is a layout with fields named "src_port", "dst_port",
// "length" (header plus payload, in bytes) and "checksum" (as wide as the
// checksum strategy's value), plus the IP protocol number it travels under.
// Other fields of a custom layout are sent as zero.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/core/error.hpp>
#include <l4/policy.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/transport_checksum.hpp>
#include <l4/wire/udp.hpp>

#include <algorithm>
#include <cstdint>

namespace l4::udp {

// RFC 768 UDP, protocol 17.
struct standard_format {
    using policy_family = policy::datagram_format_family;
    using layout = wire::udp_layout;
    static constexpr std::uint8_t ip_protocol = wire::ip_protocol::udp;
};

struct datagram {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    bytes payload;
};

template <class... Uses>
class endpoint {
    static_assert(policy::no_family_twice<Uses...>(), "l4::udp::endpoint: two policies of the same family");
    using bundle_t = decltype(policy::bundle<Uses...>(hana::make_map(
        hana::make_pair(hana::type_c<policy::checksum_family>, hana::type_c<checksum::internet>),
        hana::make_pair(hana::type_c<policy::datagram_format_family>, hana::type_c<standard_format>))));

public:
    using checksum_type = policy::at<bundle_t, policy::checksum_family>;
    using format = policy::at<bundle_t, policy::datagram_format_family>;
    using layout = typename format::layout;

    static_assert(checksum::assert_checksum_strategy<checksum_type>());
    static_assert(layout::template field_t<"checksum">::bits == 8 * checksum_type::width,
                  "the layout's checksum field must be as wide as the checksum strategy's value");

    static constexpr std::size_t header_len = layout::size;
    static constexpr std::uint8_t ip_protocol = format::ip_protocol;
    static constexpr std::size_t checksum_offset = layout::template offset_of<"checksum"> / 8;
    static_assert(layout::template offset_of<"checksum"> % 8 == 0, "the checksum field must be byte-aligned");

    // Writes header and payload into `out` and fills the checksum over
    // `pseudo` and the datagram. Errors: message_too_long (the length field
    // cannot hold it), buffer_too_small.
    [[nodiscard]] static result<std::size_t> emit(mut_bytes out, std::uint16_t src_port, std::uint16_t dst_port,
                                                  bytes payload, bytes pseudo) noexcept {
        const std::size_t n = header_len + payload.size();
        constexpr std::size_t length_bits = layout::template field_t<"length">::bits;
        if (length_bits < 64 && n >> length_bits) return errc::message_too_long;
        if (out.size() < n) return errc::buffer_too_small;
        std::fill_n(out.begin(), header_len, std::uint8_t{0});
        wire::mut_view<layout> h{out.data()};
        h.template set<"src_port">(src_port);
        h.template set<"dst_port">(dst_port);
        h.template set<"length">(static_cast<typename layout::template field_t<"length">::value_type>(n));
        std::copy(payload.begin(), payload.end(), out.begin() + header_len);
        const auto sum = wire::compute_checksum<checksum_type>(pseudo, out.first(n), checksum_offset);
        wire::store_checksum<checksum_type>(out.first(n), checksum_offset,
                                            wire::udp_transmitted_checksum<checksum_type>(sum));
        return n;
    }

    // Reads a received datagram. `ip_version` decides what a zero checksum
    // means (RFC 768 over IPv4: none; RFC 8200 §8.1 over IPv6: invalid).
    // Errors: truncated, length_mismatch, bad_checksum.
    [[nodiscard]] static result<datagram> parse(bytes transport, bytes pseudo, int ip_version) noexcept {
        auto v = wire::view<layout>::check(transport);
        if (!v) return v.error();
        const std::size_t len = v->template get<"length">();
        if (len < header_len) return errc::length_mismatch;
        if (len > transport.size()) return errc::truncated;
        const bytes d = transport.first(len);
        const auto stored = wire::stored_checksum<checksum_type>(d, checksum_offset);
        const auto zero = ip_version == 4 ? wire::udp_zero_checksum::means_none : wire::udp_zero_checksum::invalid;
        const bool skip = wire::udp_checksum_absent<checksum_type>(stored, zero);
        if (!skip && !wire::verify_checksum<checksum_type>(pseudo, d, checksum_offset)) return errc::bad_checksum;
        return datagram{static_cast<std::uint16_t>(v->template get<"src_port">()),
                        static_cast<std::uint16_t>(v->template get<"dst_port">()), d.subspan(header_len)};
    }
};

}  // namespace l4::udp
