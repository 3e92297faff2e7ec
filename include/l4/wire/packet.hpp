// From an IP datagram to its transport segment: the one place that knows how
// IPv4 and IPv6 lead to TCP or UDP.
//
// `parse_ip` checks the IP header (either version, chosen by the version
// nibble), refuses fragments, walks IPv6 extension headers, and hands back
// the transport protocol, its bytes and the pseudo-header its checksum
// covers. `ip_payload_of_frame` does the step before it for pcap link types.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/ethernet.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/pcap.hpp>
#include <l4/wire/pseudo_header.hpp>

#include <cstdint>
#include <optional>
#include <ostream>

namespace l4::wire {

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86DD;

struct ip_packet {
    std::optional<ipv4_view> v4;  // exactly one of v4, v6 is set
    std::optional<ipv6_view> v6;
    std::uint8_t protocol = 0;  // of the transport: ip_protocol::tcp, ip_protocol::udp, ...
    bytes transport;            // the transport header and its data
    pseudo_header pseudo;       // what the transport checksum covers besides `transport`

    [[nodiscard]] constexpr int version() const noexcept { return v4 ? 4 : 6; }
};

// Errors: those of ipv4_view::check and ipv6_view::check, errc::fragment for
// a piece of a larger datagram, errc::unsupported_version for a version
// nibble other than 4 or 6, and the extension-header errors of
// ipv6_view::upper_layer.
[[nodiscard]] constexpr result<ip_packet> parse_ip(bytes datagram) noexcept {
    if (datagram.empty()) return errc::truncated;
    switch (datagram[0] >> 4) {
    case 4: {
        auto ip = ipv4_view::check(datagram);
        if (!ip) return ip.error();
        if (ip->is_fragment()) return errc::fragment;
        const bytes payload = ip->payload();
        return ip_packet{*ip, std::nullopt, ip->protocol(), payload,
                         pseudo_header::ipv4(*ip, static_cast<std::uint16_t>(payload.size()))};
    }
    case 6: {
        auto ip = ipv6_view::check(datagram);
        if (!ip) return ip.error();
        auto upper = ip->upper_layer();
        if (!upper) return upper.error();
        return ip_packet{std::nullopt, *ip, upper->protocol, upper->payload, pseudo_header::ipv6(*ip, *upper)};
    }
    default:
        return errc::unsupported_version;
    }
}

// The IP datagram inside a captured frame. Frames that carry something else
// (ARP, LLDP, ...) give errc::unknown_protocol.
[[nodiscard]] inline result<bytes> ip_payload_of_frame(pcap::link_type link, bytes frame) noexcept {
    if (pcap::is_raw_ip(link)) return frame;
    auto eth = ethernet::view::parse(frame);
    if (!eth) return eth.error();
    if (eth->ethertype() != ethertype_ipv4 && eth->ethertype() != ethertype_ipv6) return errc::unknown_protocol;
    return eth->payload();
}

inline std::ostream& operator<<(std::ostream& os, const ip_packet& p) {
    if (p.v4) return os << p.v4->src() << " > " << p.v4->dst();
    return os << p.v6->src() << " > " << p.v6->dst();
}

}  // namespace l4::wire
