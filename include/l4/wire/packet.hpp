// From an IP datagram to its transport segment: the one place that knows how
// IPv4 and IPv6 lead to TCP or UDP.
//
// `parse_ip` checks the IP header (either version, chosen by the version
// nibble), refuses fragments, skips IPv4's Authentication Header and walks
// IPv6 extension headers, and hands back the transport protocol, its bytes
// and the pseudo-header its checksum covers. `parse_captured_ip` does the
// same for a datagram a capture may have cut short. Link framing (Ethernet,
// pcap link types) is capture.hpp's business, not this header's.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/pseudo_header.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>

namespace l4::wire {

struct ip_packet {
    // Provided, so that result<ip_packet>'s value-initialized packet sets
    // its members only: zeroed whole first, its 136 bytes took a rep stos
    // (2 % of a simulated bulk transfer, one per datagram received).
    constexpr ip_packet() noexcept {}

    std::optional<ipv4_view> v4;  // exactly one of v4, v6 is set
    std::optional<ipv6_view> v6;
    std::uint8_t protocol = 0;  // of the transport: ip_protocol::tcp, ip_protocol::udp, ...
    bytes transport;            // the transport header and its data, up to the end of the IP payload
    // What the transport checksum covers besides the transport's bytes, with
    // the IP payload's length: right for TCP, whose length is the IP
    // payload's. For UDP use pseudo_for(Length field) instead.
    pseudo_header pseudo;
    // The transport's length as the IP header says it. More than
    // transport.size() only after parse_captured_ip cut the datagram.
    std::size_t transport_len = 0;

    [[nodiscard]] constexpr int version() const noexcept { return v4 ? 4 : 6; }
    // The ECN codepoint it arrived with (RFC 3168 §5): IPv4's ECN field, or
    // the low two bits of IPv6's traffic class.
    [[nodiscard]] constexpr std::uint8_t ecn() const noexcept {
        return v4 ? v4->ecn() : static_cast<std::uint8_t>(v6->traffic_class() & 0x3);
    }

    // The pseudo-header for a transport of `length` bytes: the same
    // addresses and protocol as `pseudo` (the final destination of an IPv6
    // Routing header included). RFC 768, RFC 8200 §8.1: UDP's pseudo-header
    // holds UDP's Length field, which is shorter than the IP payload when
    // bytes trail the datagram; so a UDP receiver calls
    // pseudo_for(udp.length()). At most 65535 over IPv4.
    [[nodiscard]] constexpr pseudo_header pseudo_for(std::size_t length) const noexcept {
        return pseudo.with_length(static_cast<std::uint32_t>(length));
    }

    // True when a capture cut the datagram: the transport checksum cannot be
    // verified, whatever it says.
    [[nodiscard]] constexpr bool cut() const noexcept { return transport.size() < transport_len; }
};

namespace detail {

// RFC 4302 §2.2: AH's Payload Len is in 4-octet units, minus 2; the header
// starts with Next Header. Over IPv4 it sits between the IP header and the
// transport (RFC 4302 §3.1.1), and the transport's pseudo-header is that of
// the IP header with the protocol AH protects (RFC 4302 §3.3.3.1.1.1 keeps
// the addresses).
struct ipv4_upper {
    std::uint8_t protocol;
    std::size_t offset;  // into the IP payload
};

[[nodiscard]] constexpr result<ipv4_upper> skip_ipv4_ah(std::uint8_t protocol, bytes payload) noexcept {
    std::size_t at = 0;
    // Each AH is at least 8 bytes, so the payload bounds the walk.
    while (protocol == ip_protocol::ah) {
        if (payload.size() - at < 2) return errc::truncated;
        const std::size_t len = (std::size_t{payload[at + 1]} + 2) * 4;
        if (len > payload.size() - at) return errc::truncated;
        protocol = payload[at];
        at += len;
    }
    return ipv4_upper{protocol, at};
}

// Inlined, and built in the result it returns (which the caller receives
// in place): a returned and copied ip_packet has its pseudo-header, written
// in 8- and 4-byte stores, read back with 16-byte loads, a store-forwarding
// stall on every datagram.
[[nodiscard, gnu::always_inline]] constexpr inline result<ip_packet> parse_ip(bytes datagram, bool may_be_cut) noexcept {
    result<ip_packet> out;
    ip_packet& p = *out;
    // The checks inlined too: GCC had made them a call of their own, on every datagram.
    const errc e = [&]() __attribute__((always_inline)) -> errc {
        if (datagram.empty()) return errc::truncated;
        switch (datagram[0] >> 4) {
        case 4: {
            auto ip = may_be_cut ? ipv4_view::check_cut(datagram) : ipv4_view::check(datagram);
            if (!ip) return ip.error();
            if (ip->is_fragment()) return errc::fragment;
            // Each of these once: the header's length, the payload's span, AH only when the protocol is AH.
            // All read before the first store into p, which may alias the datagram's bytes: GCC read the
            // lengths again after it.
            const std::size_t header_len = ip->header_len();
            const std::size_t total_len = ip->total_length();
            const bytes payload = ip->datagram().subspan(header_len);
            ipv4_upper upper{ip->protocol(), 0};
            if (upper.protocol == ip_protocol::ah) {
                const auto past_ah = skip_ipv4_ah(upper.protocol, payload);
                if (!past_ah) return past_ah.error();
                upper = *past_ah;
            }
            const std::size_t transport_len = total_len - header_len - upper.offset;
            p.pseudo.assign_ipv4(*ip, upper.protocol, static_cast<std::uint16_t>(transport_len));
            p.protocol = upper.protocol;
            p.transport = payload.subspan(upper.offset);
            p.transport_len = transport_len;
            // Last, and from the bytes rather than a copy of *ip (ipv4_view's friend: why).
            p.v4.emplace(ipv4_view{datagram.first(ip->datagram().size())});
            return errc::ok;
        }
        case 6: {
            auto ip = may_be_cut ? ipv6_view::check_cut(datagram) : ipv6_view::check(datagram);
            if (!ip) return ip.error();
            auto upper = ip->upper_layer();
            if (!upper) return upper.error();
            const auto offset = static_cast<std::size_t>(upper->payload.data() - ip->packet().data());
            p.v6 = *ip;
            p.protocol = upper->protocol;
            p.transport = upper->payload;
            p.transport_len = ipv6_header_len + ip->payload_length() - offset;
            p.pseudo = pseudo_header::ipv6(*ip, *upper).with_length(static_cast<std::uint32_t>(p.transport_len));
            return errc::ok;
        }
        default:
            return errc::unsupported_version;
        }
    }();
    if (e != errc::ok) out = e;
    return out;
}

}  // namespace detail

// Errors: those of ipv4_view::check and ipv6_view::check, errc::fragment for
// a piece of a larger datagram, errc::unsupported_version for a version
// nibble other than 4 or 6, errc::truncated for an IPv4 AH past the end, and
// the extension-header errors of ipv6_view::upper_layer.
[[nodiscard, gnu::always_inline]] constexpr inline result<ip_packet> parse_ip(bytes datagram) noexcept {
    return detail::parse_ip(datagram, false);
}

// A datagram from a capture whose snaplen may have cut it: the IP header
// and the extension headers must be present, the transport may end early.
// ip_packet::cut() then says so (Wireshark: "checksum unverified"). Errors:
// as parse_ip, with check_cut in place of check.
[[nodiscard]] constexpr result<ip_packet> parse_captured_ip(bytes datagram) noexcept {
    return detail::parse_ip(datagram, true);
}

inline std::ostream& operator<<(std::ostream& os, const ip_packet& p) {
    if (p.v4) return os << p.v4->src() << " > " << p.v4->dst();
    return os << p.v6->src() << " > " << p.v6->dst();
}

}  // namespace l4::wire
