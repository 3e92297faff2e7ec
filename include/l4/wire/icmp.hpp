// ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443): layouts, zero-copy views,
// strict reprs, and the flow an error message quotes.
//
// Reading list
//   RFC 792          ICMP: echo, destination unreachable, time exceeded, parameter problem
//   RFC 1122 §3.2.2  what a host does with each ICMP message, and which errors it never sends
//   RFC 1191 §4      the next-hop MTU in "fragmentation needed" (type 3 code 4)
//   RFC 1812 §4.3.2  error contents (§4.3.2.3: up to 576 bytes) and rate limiting (§4.3.2.8)
//   RFC 4443         ICMPv6: message types, the checksum over the pseudo-header (§2.3), rules (§2.4)
//   RFC 4884         the length attribute of errors that carry extensions after the quote
//
// Both versions share one shape: Type, Code, Checksum, four bytes whose
// meaning the Type chooses, then the body. One view and one repr serve both,
// chosen by `icmp_family`. They differ in three ways that the types keep
// apart: the numbers (echo request is 8 in ICMPv4 and 128 in ICMPv6), the
// width of the MTU and pointer fields, and the checksum: ICMPv4's covers the
// message only (RFC 792), ICMPv6's also the IPv6 pseudo-header with Next
// Header 58 (RFC 4443 §2.3), so only the ICMPv6 calls take a pseudo-header.
//
// The checksum strategy is a template argument, as in udp.hpp: the wire
// layer does not include checksum/; callers pass l4::checksum::internet.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <cstddef>
#include <cstdint>
#include <ostream>

namespace l4::wire {

// The ICMP checksum is 16 bits.
template <class S>
concept icmp_checksum = S::width == 2;

enum class icmp_family : std::uint8_t { v4 = 4, v6 = 6 };

// RFC 792 (and RFC 1122 §3.2.2 for which of them are errors).
namespace icmpv4_type {
inline constexpr std::uint8_t echo_reply = 0;
inline constexpr std::uint8_t dest_unreachable = 3;
inline constexpr std::uint8_t source_quench = 4;  // RFC 6633: deprecated, hosts ignore it
inline constexpr std::uint8_t redirect = 5;
inline constexpr std::uint8_t echo_request = 8;
inline constexpr std::uint8_t time_exceeded = 11;
inline constexpr std::uint8_t parameter_problem = 12;
}  // namespace icmpv4_type

// RFC 792 codes 0-5, RFC 1122 §3.2.2.1 codes 6-12, RFC 1812 §5.2.7.1 codes 13-15.
namespace icmpv4_unreachable {
inline constexpr std::uint8_t net = 0;
inline constexpr std::uint8_t host = 1;
inline constexpr std::uint8_t protocol = 2;
inline constexpr std::uint8_t port = 3;
inline constexpr std::uint8_t fragmentation_needed = 4;  // RFC 1191: with the next-hop MTU
inline constexpr std::uint8_t source_route_failed = 5;
inline constexpr std::uint8_t net_unknown = 6;
inline constexpr std::uint8_t host_unknown = 7;
inline constexpr std::uint8_t source_host_isolated = 8;
inline constexpr std::uint8_t net_prohibited = 9;
inline constexpr std::uint8_t host_prohibited = 10;
inline constexpr std::uint8_t net_unreachable_for_tos = 11;
inline constexpr std::uint8_t host_unreachable_for_tos = 12;
inline constexpr std::uint8_t communication_prohibited = 13;
inline constexpr std::uint8_t host_precedence_violation = 14;
inline constexpr std::uint8_t precedence_cutoff = 15;
}  // namespace icmpv4_unreachable

// RFC 4443 §2.1: types 0-127 are errors, 128-255 informational.
namespace icmpv6_type {
inline constexpr std::uint8_t dest_unreachable = 1;
inline constexpr std::uint8_t packet_too_big = 2;
inline constexpr std::uint8_t time_exceeded = 3;
inline constexpr std::uint8_t parameter_problem = 4;
inline constexpr std::uint8_t echo_request = 128;
inline constexpr std::uint8_t echo_reply = 129;
inline constexpr std::uint8_t redirect = 137;  // RFC 4861 §4.5
}  // namespace icmpv6_type

// RFC 4443 §3.1.
namespace icmpv6_unreachable {
inline constexpr std::uint8_t no_route = 0;
inline constexpr std::uint8_t admin_prohibited = 1;
inline constexpr std::uint8_t beyond_scope = 2;
inline constexpr std::uint8_t address = 3;
inline constexpr std::uint8_t port = 4;
inline constexpr std::uint8_t source_policy_failed = 5;
inline constexpr std::uint8_t reject_route = 6;
}  // namespace icmpv6_unreachable

// RFC 4443 §3.4. Codes added later (RFC 7112, RFC 8883) are read as numbers like any other.
namespace icmpv6_parameter_problem {
inline constexpr std::uint8_t erroneous_header_field = 0;
inline constexpr std::uint8_t unrecognized_next_header = 1;
inline constexpr std::uint8_t unrecognized_option = 2;
}  // namespace icmpv6_parameter_problem

// What a message is, the same for both versions. ICMPv4's "fragmentation
// needed" is a dest_unreachable with code 4 (and an MTU); ICMPv6 gives it a
// type of its own.
enum class icmp_message : std::uint8_t {
    echo_request,
    echo_reply,
    dest_unreachable,
    packet_too_big,  // ICMPv6 only
    time_exceeded,
    parameter_problem,
    other,
};

// The header every ICMP message starts with, RFC 792 and RFC 4443 §2.1:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     (depends on the Type)                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Message Body ...
// +-+-+-+-+-+-+-+-+-
using icmp_layout = layout<field<"type", 8>, field<"code", 8>, field<"checksum", 16>,  //
                           field<"rest_of_header", 32>>;
static_assert(icmp_layout::size == 8, "RFC 792, RFC 4443 §2.1: every ICMP header is 8 bytes");

// Echo and echo reply, RFC 792 p.14 and RFC 4443 §4.1-§4.2:
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Identifier          |        Sequence Number        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Data ...
// +-+-+-+-+-
using icmp_echo_layout = layout<field<"type", 8>, field<"code", 8>, field<"checksum", 16>,  //
                                field<"identifier", 16>, field<"sequence", 16>>;
static_assert(icmp_echo_layout::size == 8, "RFC 792: the echo header is 8 bytes");

// ICMPv4 destination unreachable, time exceeded and parameter problem,
// RFC 792 with RFC 1191 §4 (Next-Hop MTU, in "fragmentation needed" only)
// and RFC 4884 §4.1 (Length of the quoted datagram in 32-bit words, 0 when
// no extension follows). Pointer is parameter problem's (the octet where
// the error was found); the other two types leave that octet unused.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    Pointer    |    Length     |          Next-Hop MTU         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Internet Header + leading octets of original datagram    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using icmpv4_error_layout = layout<field<"type", 8>, field<"code", 8>, field<"checksum", 16>,  //
                                   field<"pointer", 8>, field<"length", 8>, field<"next_hop_mtu", 16>>;
static_assert(icmpv4_error_layout::size == 8, "RFC 792: the error header is 8 bytes");

// ICMPv6 destination unreachable and time exceeded, RFC 4443 §3.1 and §3.3
// with RFC 4884 §4.5 (Length in 64-bit words):
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    Length     |                    Unused                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                As much of invoking packet                     |
// +                as possible without the ICMPv6 packet          +
// |                exceeding the minimum IPv6 MTU [IPv6]          |
using icmpv6_error_layout = layout<field<"type", 8>, field<"code", 8>, field<"checksum", 16>,  //
                                   field<"length", 8>, field<"unused", 24>>;
static_assert(icmpv6_error_layout::size == 8, "RFC 4443 §3.1: the error header is 8 bytes");

// ICMPv6 packet too big (RFC 4443 §3.2, MTU) and parameter problem (§3.4,
// Pointer): one 32-bit field.
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      |     Code      |          Checksum             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          MTU / Pointer                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using icmpv6_value_layout = layout<field<"type", 8>, field<"code", 8>, field<"checksum", 16>,  //
                                   field<"value", 32>>;
static_assert(icmpv6_value_layout::size == 8, "RFC 4443 §3.2: the packet too big header is 8 bytes");

inline constexpr std::size_t icmp_header_len = icmp_layout::size;
inline constexpr std::size_t icmp_checksum_offset = icmp_layout::offset_of<"checksum"> / 8;
static_assert(icmp_checksum_offset == 2);

// The numbers of one family, for code written once over both.
template <icmp_family F>
struct icmp_numbers;

template <>
struct icmp_numbers<icmp_family::v4> {
    static constexpr std::uint8_t echo_request = icmpv4_type::echo_request;
    static constexpr std::uint8_t echo_reply = icmpv4_type::echo_reply;
    static constexpr std::uint8_t dest_unreachable = icmpv4_type::dest_unreachable;
    static constexpr std::uint8_t port_unreachable_code = icmpv4_unreachable::port;
    static constexpr std::uint8_t time_exceeded = icmpv4_type::time_exceeded;
    static constexpr std::uint8_t parameter_problem = icmpv4_type::parameter_problem;
    static constexpr std::uint8_t ip_protocol = ip_protocol::icmp;
    static constexpr std::size_t ip_header_len = ipv4_min_header_len;
    static constexpr std::size_t rfc4884_unit = 4;  // RFC 4884 §4.1: 32-bit words
};

template <>
struct icmp_numbers<icmp_family::v6> {
    static constexpr std::uint8_t echo_request = icmpv6_type::echo_request;
    static constexpr std::uint8_t echo_reply = icmpv6_type::echo_reply;
    static constexpr std::uint8_t dest_unreachable = icmpv6_type::dest_unreachable;
    static constexpr std::uint8_t port_unreachable_code = icmpv6_unreachable::port;
    static constexpr std::uint8_t time_exceeded = icmpv6_type::time_exceeded;
    static constexpr std::uint8_t parameter_problem = icmpv6_type::parameter_problem;
    static constexpr std::uint8_t ip_protocol = ip_protocol::icmpv6;
    static constexpr std::size_t ip_header_len = ipv6_header_len;
    static constexpr std::size_t rfc4884_unit = 8;  // RFC 4884 §4.5: 64-bit words
};

// Whether a Type is an error message. RFC 1122 §3.2.2: destination
// unreachable, source quench, redirect, time exceeded and parameter problem
// are ICMPv4's errors. RFC 4443 §2.1: ICMPv6 types below 128.
template <icmp_family F>
[[nodiscard]] constexpr bool icmp_is_error(std::uint8_t type) noexcept {
    if constexpr (F == icmp_family::v6) return type < 128;
    else
        return type == icmpv4_type::dest_unreachable || type == icmpv4_type::source_quench ||
               type == icmpv4_type::redirect || type == icmpv4_type::time_exceeded ||
               type == icmpv4_type::parameter_problem;
}

template <icmp_family F>
[[nodiscard]] constexpr icmp_message icmp_message_of(std::uint8_t type) noexcept {
    using n = icmp_numbers<F>;
    if (type == n::echo_request) return icmp_message::echo_request;
    if (type == n::echo_reply) return icmp_message::echo_reply;
    if (type == n::dest_unreachable) return icmp_message::dest_unreachable;
    if (F == icmp_family::v6 && type == icmpv6_type::packet_too_big) return icmp_message::packet_too_big;
    if (type == n::time_exceeded) return icmp_message::time_exceeded;
    if (type == n::parameter_problem) return icmp_message::parameter_problem;
    return icmp_message::other;
}

// An ICMP or ICMPv6 message over bytes it does not own. check() needs the
// 8-byte header and nothing else; the IP layer delimits the message (ICMP
// has no length field), so every byte given is the message. Accessors read
// fixed places whatever the Type says: each says for which types it means
// something.
template <icmp_family F>
class basic_icmp_view {
public:
    static constexpr icmp_family family = F;

    // Errors: truncated (under 8 bytes).
    [[nodiscard]] static constexpr result<basic_icmp_view> check(bytes message) noexcept {
        if (message.size() < icmp_header_len) return errc::truncated;
        return basic_icmp_view{message};
    }

    [[nodiscard]] constexpr view<icmp_layout> header() const noexcept { return view<icmp_layout>{msg_.data()}; }
    [[nodiscard]] constexpr std::uint8_t type() const noexcept { return view<icmp_layout>{msg_.data()}.get<"type">(); }
    [[nodiscard]] constexpr std::uint8_t code() const noexcept { return view<icmp_layout>{msg_.data()}.get<"code">(); }
    [[nodiscard]] constexpr std::uint16_t checksum() const noexcept { return view<icmp_layout>{msg_.data()}.get<"checksum">(); }
    [[nodiscard]] constexpr std::uint32_t rest_of_header() const noexcept {
        return view<icmp_layout>{msg_.data()}.get<"rest_of_header">();
    }

    [[nodiscard]] constexpr icmp_message message() const noexcept { return icmp_message_of<F>(type()); }
    [[nodiscard]] constexpr bool is_error() const noexcept { return icmp_is_error<F>(type()); }

    // Echo request and reply.
    [[nodiscard]] constexpr std::uint16_t identifier() const noexcept {
        return view<icmp_echo_layout>{msg_.data()}.get<"identifier">();
    }
    [[nodiscard]] constexpr std::uint16_t sequence() const noexcept {
        return view<icmp_echo_layout>{msg_.data()}.get<"sequence">();
    }

    // ICMPv4 "fragmentation needed" (RFC 1191 §4: 16 bits, 0 from a router
    // older than RFC 1191) or ICMPv6 packet too big (32 bits).
    [[nodiscard]] constexpr std::uint32_t mtu() const noexcept {
        if constexpr (F == icmp_family::v4) return view<icmpv4_error_layout>{msg_.data()}.get<"next_hop_mtu">();
        else return view<icmpv6_value_layout>{msg_.data()}.get<"value">();
    }

    // Parameter problem: the offset of the error in the invoking packet
    // (ICMPv4 8 bits, ICMPv6 32 bits).
    [[nodiscard]] constexpr std::uint32_t pointer() const noexcept {
        if constexpr (F == icmp_family::v4) return view<icmpv4_error_layout>{msg_.data()}.get<"pointer">();
        else return view<icmpv6_value_layout>{msg_.data()}.get<"value">();
    }

    // RFC 4884: the length of the quoted datagram in bytes when an
    // extension structure follows it, else 0. Carried by destination
    // unreachable and time exceeded (both versions) and ICMPv4's parameter
    // problem; 0 for every other type.
    [[nodiscard]] constexpr std::size_t extension_length() const noexcept {
        using n = icmp_numbers<F>;
        const std::uint8_t t = type();
        std::size_t words = 0;
        if constexpr (F == icmp_family::v4) {
            if (t == n::dest_unreachable || t == n::time_exceeded || t == n::parameter_problem)
                words = view<icmpv4_error_layout>{msg_.data()}.get<"length">();
        } else if (t == n::dest_unreachable || t == n::time_exceeded) {
            words = view<icmpv6_error_layout>{msg_.data()}.get<"length">();
        }
        return words * n::rfc4884_unit;
    }

    // Everything after the header: an echo's data, or an error's invoking
    // packet followed by any RFC 4884 extension.
    [[nodiscard]] constexpr bytes body() const noexcept { return msg_.subspan(icmp_header_len); }

    // An error's invoking packet: the body, without the RFC 4884 extension
    // when the length attribute says where it ends (a length past the end of
    // the message is ignored, as RFC 4884 §5 has receivers do).
    [[nodiscard]] constexpr bytes invoking_packet() const noexcept {
        const std::size_t len = extension_length();
        if (len != 0 && len <= body().size()) return body().first(len);
        return body();
    }

    [[nodiscard]] constexpr bytes message_bytes() const noexcept { return msg_; }

    // RFC 792: the checksum covers the ICMP message only.
    template <icmp_checksum Checksum>
    [[nodiscard]] constexpr bool verify_checksum(Checksum = {}) const noexcept
        requires(F == icmp_family::v4)
    {
        return wire::verify_checksum<Checksum>({}, msg_, icmp_checksum_offset);
    }

    // RFC 4443 §2.3: the checksum covers the IPv6 pseudo-header (Next
    // Header 58) too: pseudo_header::ipv6(src, dst, ip_protocol::icmpv6, size).
    template <icmp_checksum Checksum>
    [[nodiscard]] constexpr bool verify_checksum(bytes pseudo, Checksum = {}) const noexcept
        requires(F == icmp_family::v6)
    {
        return wire::verify_checksum<Checksum>(pseudo, msg_, icmp_checksum_offset);
    }

private:
    constexpr explicit basic_icmp_view(bytes m) noexcept : msg_{m} {}
    bytes msg_;
};

using icmpv4_view = basic_icmp_view<icmp_family::v4>;
using icmpv6_view = basic_icmp_view<icmp_family::v6>;

// The messages a host sends and acts on, as values: echo request and reply,
// destination unreachable, (ICMPv6) packet too big, time exceeded and
// parameter problem. `type` and `code` are the wire numbers; the other
// fields are those the Type carries and are 0 otherwise:
//
//   echo request/reply        identifier, sequence, data = the echo data
//   dest unreachable          data = the invoking packet; ICMPv4 code 4 also mtu (16 bits)
//   packet too big (v6)       mtu, data = the invoking packet
//   time exceeded             data = the invoking packet
//   parameter problem         pointer (ICMPv4 8 bits, ICMPv6 32), data = the invoking packet
//
// For errors `data` is every byte after the header: an RFC 4884 extension,
// if any, stays in it (use the view's invoking_packet() to cut it off). The
// length attribute is not kept: emit() writes 0 there, which RFC 4884 §5
// reads as "no extension", and the repr round-trips.
template <icmp_family F>
struct basic_icmp_repr {
    static constexpr icmp_family family = F;
    using numbers = icmp_numbers<F>;

    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint16_t identifier = 0;
    std::uint16_t sequence = 0;
    std::uint32_t mtu = 0;
    std::uint32_t pointer = 0;
    bytes data;

    [[nodiscard]] static constexpr basic_icmp_repr echo_request(std::uint16_t id, std::uint16_t seq,
                                                                bytes data) noexcept {
        return {numbers::echo_request, 0, id, seq, 0, 0, data};
    }
    [[nodiscard]] static constexpr basic_icmp_repr echo_reply(std::uint16_t id, std::uint16_t seq,
                                                              bytes data) noexcept {
        return {numbers::echo_reply, 0, id, seq, 0, 0, data};
    }
    [[nodiscard]] static constexpr basic_icmp_repr dest_unreachable(std::uint8_t code, bytes invoking) noexcept {
        return {numbers::dest_unreachable, code, 0, 0, 0, 0, invoking};
    }
    [[nodiscard]] static constexpr basic_icmp_repr port_unreachable(bytes invoking) noexcept {
        return dest_unreachable(numbers::port_unreachable_code, invoking);
    }
    // ICMPv4 "fragmentation needed and DF set" (RFC 1191 §4), ICMPv6 packet too big (RFC 4443 §3.2).
    [[nodiscard]] static constexpr basic_icmp_repr packet_too_big(std::uint32_t mtu, bytes invoking) noexcept {
        if constexpr (F == icmp_family::v4)
            return {icmpv4_type::dest_unreachable, icmpv4_unreachable::fragmentation_needed, 0, 0, mtu, 0, invoking};
        else return {icmpv6_type::packet_too_big, 0, 0, 0, mtu, 0, invoking};
    }
    [[nodiscard]] static constexpr basic_icmp_repr time_exceeded(std::uint8_t code, bytes invoking) noexcept {
        return {numbers::time_exceeded, code, 0, 0, 0, 0, invoking};
    }
    [[nodiscard]] static constexpr basic_icmp_repr parameter_problem(std::uint8_t code, std::uint32_t pointer,
                                                                     bytes invoking) noexcept {
        return {numbers::parameter_problem, code, 0, 0, 0, pointer, invoking};
    }

    [[nodiscard]] constexpr icmp_message message() const noexcept { return icmp_message_of<F>(type); }
    [[nodiscard]] constexpr bool is_error() const noexcept { return icmp_is_error<F>(type); }

    // Strict, checksum not verified. Errors, in the order checked:
    //   truncated        under 8 bytes, or an error whose body cannot hold
    //                    the fixed IP header of the invoking packet
    //   unknown_message  a Type outside the list above, or an echo whose
    //                    Code is not 0 (RFC 792, RFC 4443 §4.1: Code 0)
    //   unsupported_version  an error whose invoking packet is not of this
    //                    family's IP version
    [[nodiscard]] static constexpr result<basic_icmp_repr> parse(bytes message) noexcept {
        auto v = basic_icmp_view<F>::check(message);
        if (!v) return v.error();
        basic_icmp_repr r;
        r.type = v->type();
        r.code = v->code();
        r.data = v->body();
        switch (v->message()) {
        case icmp_message::echo_request:
        case icmp_message::echo_reply:
            if (r.code != 0) return errc::unknown_message;
            r.identifier = v->identifier();
            r.sequence = v->sequence();
            return r;
        case icmp_message::dest_unreachable:
            if (F == icmp_family::v4 && r.code == icmpv4_unreachable::fragmentation_needed) r.mtu = v->mtu();
            break;
        case icmp_message::packet_too_big: r.mtu = v->mtu(); break;
        case icmp_message::time_exceeded: break;
        case icmp_message::parameter_problem: r.pointer = v->pointer(); break;
        case icmp_message::other: return errc::unknown_message;
        }
        // RFC 792, RFC 4443 §2.4(c): an error quotes the invoking packet from its IP header on.
        if (r.data.size() < numbers::ip_header_len) return errc::truncated;
        if ((r.data[0] >> 4) != static_cast<std::uint8_t>(F)) return errc::unsupported_version;
        return r;
    }

    // Strict, and the checksum verified: bad_checksum besides the above.
    template <icmp_checksum Checksum>
    [[nodiscard]] static constexpr result<basic_icmp_repr> parse(bytes message, Checksum = {}) noexcept
        requires(F == icmp_family::v4)
    {
        auto r = parse(message);
        if (r && !basic_icmp_view<F>::check(message)->template verify_checksum<Checksum>()) return errc::bad_checksum;
        return r;
    }
    template <icmp_checksum Checksum>
    [[nodiscard]] static constexpr result<basic_icmp_repr> parse(bytes message, bytes pseudo,
                                                                 Checksum = {}) noexcept
        requires(F == icmp_family::v6)
    {
        auto r = parse(message);
        if (r && !basic_icmp_view<F>::check(message)->template verify_checksum<Checksum>(pseudo))
            return errc::bad_checksum;
        return r;
    }

    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return icmp_header_len + data.size(); }

    // Writes header and data with a zero checksum; emit() below fills it.
    // Errors: unknown_message (a Type the repr does not represent, an echo
    // with a Code), value_out_of_range (a field wider than the wire's, or
    // set where the Type carries none), buffer_too_small.
    [[nodiscard]] constexpr result<std::size_t> emit_unchecked(mut_bytes out) const noexcept {
        const icmp_message m = message();
        const bool echo = m == icmp_message::echo_request || m == icmp_message::echo_reply;
        if (m == icmp_message::other || (echo && code != 0)) return errc::unknown_message;
        if (!echo && (identifier != 0 || sequence != 0)) return errc::value_out_of_range;
        if (!carries_mtu() && mtu != 0) return errc::value_out_of_range;
        if (F == icmp_family::v4 && mtu > 0xFFFF) return errc::value_out_of_range;
        if (m != icmp_message::parameter_problem && pointer != 0) return errc::value_out_of_range;
        if (F == icmp_family::v4 && pointer > 0xFF) return errc::value_out_of_range;
        if (out.size() < buffer_len()) return errc::buffer_too_small;

        const mut_view<icmp_layout> h{out.data()};
        h.set<"type">(type);
        h.set<"code">(code);
        h.set<"checksum">(0);
        h.set<"rest_of_header">(0);  // RFC 792: "unused", zero; RFC 4884 length 0: no extension
        if (echo) {
            const mut_view<icmp_echo_layout> e{out.data()};
            e.set<"identifier">(identifier);
            e.set<"sequence">(sequence);
        } else if constexpr (F == icmp_family::v4) {
            const mut_view<icmpv4_error_layout> e{out.data()};
            e.set<"pointer">(static_cast<std::uint8_t>(pointer));
            e.set<"next_hop_mtu">(static_cast<std::uint16_t>(mtu));
        } else {
            const mut_view<icmpv6_value_layout> e{out.data()};
            e.set<"value">(m == icmp_message::packet_too_big ? mtu : pointer);
        }
        copy_bytes(data, out.data() + icmp_header_len);
        return buffer_len();
    }

    // RFC 792: the checksum covers the ICMP message only.
    template <icmp_checksum Checksum>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, Checksum = {}) const noexcept
        requires(F == icmp_family::v4)
    {
        auto n = emit_unchecked(out);
        if (n) fill_checksum<Checksum>({}, out.first(*n), icmp_checksum_offset);
        return n;
    }

    // RFC 4443 §2.3: with the pseudo-header of the packet that will carry
    // it (source, destination, Next Header 58, this message's length).
    template <icmp_checksum Checksum>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, bytes pseudo, Checksum = {}) const noexcept
        requires(F == icmp_family::v6)
    {
        auto n = emit_unchecked(out);
        if (n) fill_checksum<Checksum>(pseudo, out.first(*n), icmp_checksum_offset);
        return n;
    }

    friend constexpr bool operator==(const basic_icmp_repr& a, const basic_icmp_repr& b) noexcept {
        return a.type == b.type && a.code == b.code && a.identifier == b.identifier && a.sequence == b.sequence &&
               a.mtu == b.mtu && a.pointer == b.pointer && equal_bytes(a.data, b.data);
    }

private:
    [[nodiscard]] constexpr bool carries_mtu() const noexcept {
        if constexpr (F == icmp_family::v4)
            return type == icmpv4_type::dest_unreachable && code == icmpv4_unreachable::fragmentation_needed;
        else return type == icmpv6_type::packet_too_big;
    }
};

using icmpv4_repr = basic_icmp_repr<icmp_family::v4>;
using icmpv6_repr = basic_icmp_repr<icmp_family::v6>;

// The flow of the datagram an ICMP error quotes: whose socket the error is
// for. `src` sent the quoted datagram (us, when the error is for us).
struct icmp_quoted_flow {
    std::uint8_t protocol = 0;  // ip_protocol::udp or ip_protocol::tcp
    socket_address src;
    socket_address dst;
    bytes transport;  // the quoted transport header, as much as was quoted (at least the ports)
};

// Reads the quoted datagram of an error, leniently: a quote is truncated by
// design, so its IP length fields are not held against the bytes. The
// transport must be UDP or TCP (their ports are the first four bytes) and
// at least the ports must be quoted; RFC 792 promises 8 bytes past the IP
// header, RFC 1812 §4.3.2.3 and RFC 4443 §2.4(c) more.
// Errors: truncated (shorter than the IP header or than the ports),
// unsupported_version (not `family`'s IP), bad_header_length (IHL under 5),
// fragment (a quoted non-first fragment: no transport header in it),
// unknown_protocol (neither UDP nor TCP, or an IPv6 header chain that ends
// elsewhere: ESP, No Next Header, ...).
[[nodiscard]] constexpr result<icmp_quoted_flow> parse_quoted_flow(bytes quote, icmp_family family) noexcept {
    if (quote.empty()) return errc::truncated;
    if ((quote[0] >> 4) != static_cast<std::uint8_t>(family)) return errc::unsupported_version;
    icmp_quoted_flow f;
    bytes rest;
    if (family == icmp_family::v4) {
        if (quote.size() < ipv4_min_header_len) return errc::truncated;
        const view<ipv4_layout> h{quote.data()};
        const std::size_t hlen = std::size_t{h.get<"ihl">()} * 4;
        if (hlen < ipv4_min_header_len) return errc::bad_header_length;
        if (hlen > quote.size()) return errc::truncated;
        if (h.get<"fragment_offset">() != 0) return errc::fragment;
        f.protocol = h.get<"protocol">();
        f.src.address = ipv4_address::from_u32(h.get<"src">());
        f.dst.address = ipv4_address::from_u32(h.get<"dst">());
        rest = quote.subspan(hlen);
    } else {
        if (quote.size() < ipv6_header_len) return errc::truncated;
        const view<ipv6_layout> h{quote.data()};
        f.src.address = ipv6_address{h.get<"src">()};
        f.dst.address = ipv6_address{h.get<"dst">()};
        // The same walk as ipv6_view::upper_layer, over bytes that may end
        // early. Every extension header is at least 8 bytes, so the quote's
        // length bounds the walk.
        std::uint8_t next = h.get<"next_header">();
        rest = quote.subspan(ipv6_header_len);
        while (next != ip_protocol::udp && next != ip_protocol::tcp) {
            std::size_t len = 0;
            switch (next) {
            case ip_protocol::hop_by_hop:
            case ip_protocol::routing:
            case ip_protocol::destination_options:
                if (rest.size() < 2) return errc::truncated;
                len = (std::size_t{rest[1]} + 1) * 8;  // RFC 8200 §4.3: 8-octet units after the first 8
                break;
            case ip_protocol::fragment:
                if (rest.size() < 8) return errc::truncated;
                // RFC 8200 §4.5: only the first fragment (offset 0) holds the transport header.
                if ((load_be16(rest.data() + 2) & 0xFFF8) != 0) return errc::fragment;
                len = 8;
                break;
            case ip_protocol::ah:
                if (rest.size() < 2) return errc::truncated;
                len = (std::size_t{rest[1]} + 2) * 4;  // RFC 4302 §2.2: 4-octet units, minus 2
                break;
            default:
                return errc::unknown_protocol;
            }
            if (len > rest.size()) return errc::truncated;
            next = rest[0];
            rest = rest.subspan(len);
        }
        f.protocol = next;
    }
    if (f.protocol != ip_protocol::udp && f.protocol != ip_protocol::tcp) return errc::unknown_protocol;
    if (rest.size() < 4) return errc::truncated;
    f.src.port = load_be16(rest.data());
    f.dst.port = load_be16(rest.data() + 2);
    f.transport = rest;
    return f;
}

// After tcpdump: "ICMP echo request, id 1, seq 2, length 64",
// "ICMP6 destination unreachable, code 4, length 56".
template <icmp_family F>
[[gnu::cold]] std::ostream& operator<<(std::ostream& os, const basic_icmp_view<F>& v) {
    os << (F == icmp_family::v4 ? "ICMP " : "ICMP6 ");
    switch (v.message()) {
    case icmp_message::echo_request: os << "echo request, id " << v.identifier() << ", seq " << v.sequence(); break;
    case icmp_message::echo_reply: os << "echo reply, id " << v.identifier() << ", seq " << v.sequence(); break;
    case icmp_message::dest_unreachable: os << "destination unreachable, code " << unsigned{v.code()}; break;
    case icmp_message::packet_too_big: os << "packet too big, mtu " << v.mtu(); break;
    case icmp_message::time_exceeded: os << "time exceeded, code " << unsigned{v.code()}; break;
    case icmp_message::parameter_problem: os << "parameter problem, pointer " << v.pointer(); break;
    case icmp_message::other: os << "type " << unsigned{v.type()} << ", code " << unsigned{v.code()}; break;
    }
    return os << ", length " << v.message_bytes().size();
}

}  // namespace l4::wire
