// IP protocol numbers: the IPv4 Protocol field and the IPv6 Next Header
// field share one IANA registry ("Assigned Internet Protocol Numbers"), so
// the upper layers and the IPv6 extension headers live in one list.
//
// Plain std::uint8_t constants rather than an enum: the field holds any of
// 256 values, and a view must report the unknown ones as they are.
#pragma once

#include <cstdint>

namespace l4::wire::ip_protocol {

// Upper-layer protocols.
inline constexpr std::uint8_t icmp = 1;     // RFC 792
inline constexpr std::uint8_t tcp = 6;      // RFC 9293
inline constexpr std::uint8_t udp = 17;     // RFC 768
inline constexpr std::uint8_t icmpv6 = 58;  // RFC 4443

// IPv6 extension headers and the two values that end a header chain.
inline constexpr std::uint8_t hop_by_hop = 0;        // RFC 8200 §4.3
inline constexpr std::uint8_t routing = 43;          // RFC 8200 §4.4
inline constexpr std::uint8_t fragment = 44;         // RFC 8200 §4.5
inline constexpr std::uint8_t esp = 50;              // RFC 4303: the rest is encrypted
inline constexpr std::uint8_t ah = 51;               // RFC 4302
inline constexpr std::uint8_t no_next_header = 59;   // RFC 8200 §4.7
inline constexpr std::uint8_t destination_options = 60;  // RFC 8200 §4.6

}  // namespace l4::wire::ip_protocol
