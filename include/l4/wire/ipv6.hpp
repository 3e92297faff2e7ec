// The IPv6 header (RFC 8200): address, layout, zero-copy view with the walk
// over extension headers, strict repr.
//
// Reading list
//   RFC 8200 §3    the fixed header
//   RFC 8200 §4    extension headers: order, lengths, the fragment header
//   RFC 4291 §2.2  the text form of addresses (what is accepted)
//   RFC 5952       the canonical text form (what is printed)
//   RFC 4302       the Authentication Header's length unit
//   RFC 6946       atomic fragments are whole packets
//
// ipv6_view::check is the only way in from untrusted bytes. The fixed header
// says nothing about the transport: upper_layer() walks the extension
// headers to find it. ipv6_repr is the fixed header alone; emit writes it
// with no extension headers.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/short_text.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/layout.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace l4::wire {

// An IPv6 address in network byte order, with its text forms.
struct ipv6_address {
    std::array<std::uint8_t, 16> octets{};

    constexpr ipv6_address() noexcept = default;
    constexpr explicit ipv6_address(const std::array<std::uint8_t, 16>& o) noexcept : octets{o} {}

    // From the eight 16-bit groups of the text form, most significant first.
    [[nodiscard]] static constexpr ipv6_address from_groups(const std::array<std::uint16_t, 8>& groups) noexcept {
        ipv6_address a;
        for (std::size_t i = 0; i < groups.size(); ++i) store_be16(a.octets.data() + 2 * i, groups[i]);
        return a;
    }
    [[nodiscard]] constexpr std::uint16_t group(std::size_t i) const noexcept {
        return load_be16(octets.data() + 2 * i);
    }

    // RFC 4291 §2.5.5.2: ::ffff:a.b.c.d carries an IPv4 address.
    [[nodiscard]] constexpr bool is_ipv4_mapped() const noexcept {
        for (std::size_t i = 0; i < 10; ++i)
            if (octets[i] != 0) return false;
        return octets[10] == 0xFF && octets[11] == 0xFF;
    }

    // Any RFC 4291 §2.2 form: hex groups of 1-4 digits in either case, at
    // most one "::" standing for one or more zero groups, and a dotted quad
    // in place of the last two groups. Zone indices ("%eth0") are refused.
    [[nodiscard]] static constexpr std::optional<ipv6_address> from_string(std::string_view text) noexcept {
        std::array<std::uint16_t, 8> head{}, tail{};  // the groups before and after "::"
        std::size_t n_head = 0, n_tail = 0;
        bool compressed = false;
        auto push = [&](std::uint16_t g) {
            if (compressed) tail[n_tail++] = g;
            else head[n_head++] = g;
        };
        if (text.starts_with("::")) {
            compressed = true;
            text.remove_prefix(2);
        }
        while (!text.empty()) {
            if (n_head + n_tail >= 8) return std::nullopt;
            const std::size_t colon = text.find(':');
            const std::string_view piece = text.substr(0, colon);
            if (piece.find('.') != std::string_view::npos) {
                if (colon != std::string_view::npos || n_head + n_tail > 6) return std::nullopt;
                const auto v4 = ipv4_address::from_string(piece);
                if (!v4) return std::nullopt;
                push(load_be16(v4->octets.data()));
                push(load_be16(v4->octets.data() + 2));
                break;
            }
            if (piece.empty() || piece.size() > 4) return std::nullopt;
            std::uint16_t g = 0;
            for (const char c : piece) {
                const int d = hex_digit(c);
                if (d < 0) return std::nullopt;
                g = static_cast<std::uint16_t>(g * 16 + d);
            }
            push(g);
            if (colon == std::string_view::npos) break;
            text.remove_prefix(colon + 1);
            if (text.starts_with(':')) {
                if (compressed) return std::nullopt;
                compressed = true;
                text.remove_prefix(1);
            } else if (text.empty()) {
                return std::nullopt;  // a trailing single colon
            }
        }
        const std::size_t n = n_head + n_tail;
        if (compressed ? n > 7 : n != 8) return std::nullopt;
        std::array<std::uint16_t, 8> groups{};
        for (std::size_t i = 0; i < n_head; ++i) groups[i] = head[i];
        for (std::size_t i = 0; i < n_tail; ++i) groups[8 - n_tail + i] = tail[i];
        return from_groups(groups);
    }

    // The RFC 5952 canonical form.
    // RFC 5952 text, at most 45 characters ("::ffff:" and a dotted quad, or
    // eight groups of four).
    [[nodiscard, gnu::cold]] constexpr short_text<45> text() const noexcept {
        short_text<45> s;
        // RFC 5952 §5: IPv4-mapped addresses end in a dotted quad.
        if (is_ipv4_mapped()) {
            s.append("::ffff:");
            s.append(ipv4_address{octets[12], octets[13], octets[14], octets[15]}.text().view());
            return s;
        }
        // RFC 5952 §4.2.1-§4.2.3: "::" replaces the longest run of zero
        // groups, the first of equal runs, and never a single zero group.
        std::size_t run_at = 8, run_len = 1;
        for (std::size_t i = 0; i < 8;) {
            std::size_t j = i;
            while (j < 8 && group(j) == 0) ++j;
            if (j - i > run_len) {
                run_at = i;
                run_len = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        constexpr std::string_view hex = "0123456789abcdef";  // RFC 5952 §4.3: lower case
        for (std::size_t i = 0; i < 8; ++i) {
            if (i == run_at) {
                s.append("::");
                i += run_len - 1;
                continue;
            }
            if (!s.empty() && s.back() != ':') s.push_back(':');
            // RFC 5952 §4.1: leading zeros are suppressed.
            const unsigned g = group(i);
            for (int shift = 12; shift >= 0; shift -= 4)
                if ((g >> shift) != 0 || shift == 0) s.push_back(hex[(g >> shift) & 0xF]);
        }
        return s;
    }

    friend constexpr auto operator<=>(const ipv6_address&, const ipv6_address&) noexcept = default;

private:
    [[nodiscard]] static constexpr int hex_digit(char c) noexcept {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
};

inline std::ostream& operator<<(std::ostream& os, const ipv6_address& a) { return os << a.text().view(); }

// RFC 8200 §3:
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Payload Length        |  Next Header  |   Hop Limit   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                                                               +
// |                                                               |
// +                         Source Address                        +
// |                                                               |
// +                                                               +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                                                               +
// |                                                               |
// +                      Destination Address                      +
// |                                                               |
// +                                                               +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using ipv6_layout = layout<field<"version", 4>, field<"traffic_class", 8>, field<"flow_label", 20>,  //
                           field<"payload_length", 16>, field<"next_header", 8>, field<"hop_limit", 8>,  //
                           field<"src", 128>,                                                        //
                           field<"dst", 128>>;
static_assert(ipv6_layout::size == 40, "RFC 8200 §3: the IPv6 header is 40 bytes");
static_assert(ipv6_layout::offset_of<"src"> == 8 * 8);

inline constexpr std::size_t ipv6_header_len = ipv6_layout::size;

// Where the transport header starts: its protocol number and its bytes.
struct ipv6_upper_layer {
    std::uint8_t protocol = 0;
    bytes payload;
    // RFC 8200 §8.1: the destination the upper layer's pseudo-header holds,
    // when a Routing header with Segments Left not zero names it (the packet
    // is in transit, seen by a router or a capture on the way). Empty when
    // the Destination Address is the final one.
    std::optional<ipv6_address> final_destination;
};

// Routing types whose final destination upper_layer() can read.
namespace routing_type {
inline constexpr std::uint8_t source_route = 0;     // RFC 2460 §4.4, deprecated by RFC 5095
inline constexpr std::uint8_t mobile_ipv6 = 2;      // RFC 6275 §6.4
inline constexpr std::uint8_t segment_routing = 4;  // RFC 8754 §2
}  // namespace routing_type

// An IPv6 packet over bytes it does not own. check() validates the version
// and the Payload Length once, so no accessor can read out of bounds
// afterwards.
class ipv6_view {
public:
    // Errors, in the order checked: truncated (under 40 bytes),
    // unsupported_version, truncated (Payload Length past the bytes).
    // RFC 2675 jumbograms (Payload Length 0, the real length in a Hop-by-Hop
    // option) are not supported: their payload reads as empty.
    [[nodiscard]] static constexpr result<ipv6_view> check(bytes packet) noexcept {
        if (packet.size() < ipv6_header_len) return errc::truncated;
        const view<ipv6_layout> h{packet.data()};
        if (h.get<"version">() != 6) return errc::unsupported_version;
        const std::size_t total = ipv6_header_len + h.get<"payload_length">();
        if (total > packet.size()) return errc::truncated;
        // Bytes past Payload Length are link padding.
        return ipv6_view{packet.first(total)};
    }

    // A packet whose end a capture may have cut (pcap's snaplen): as check,
    // except that Payload Length may run past the bytes. packet() and
    // payload() are then the bytes present, payload_length() still what the
    // header says, and nothing that covers the missing bytes (the transport
    // checksum) can be verified.
    [[nodiscard]] static constexpr result<ipv6_view> check_cut(bytes packet) noexcept {
        auto v = check(packet);
        if (v || v.error() != errc::truncated || packet.size() < ipv6_header_len) return v;
        return ipv6_view{packet};
    }

    [[nodiscard]] constexpr view<ipv6_layout> header() const noexcept { return view<ipv6_layout>{pkt_.data()}; }

    [[nodiscard]] constexpr std::uint8_t version() const noexcept { return header().get<"version">(); }
    [[nodiscard]] constexpr std::uint8_t traffic_class() const noexcept { return header().get<"traffic_class">(); }
    [[nodiscard]] constexpr std::uint32_t flow_label() const noexcept { return header().get<"flow_label">(); }
    [[nodiscard]] constexpr std::uint16_t payload_length() const noexcept {
        return header().get<"payload_length">();
    }
    [[nodiscard]] constexpr std::uint8_t next_header() const noexcept { return header().get<"next_header">(); }
    [[nodiscard]] constexpr std::uint8_t hop_limit() const noexcept { return header().get<"hop_limit">(); }
    [[nodiscard]] constexpr ipv6_address src() const noexcept { return ipv6_address{header().get<"src">()}; }
    [[nodiscard]] constexpr ipv6_address dst() const noexcept { return ipv6_address{header().get<"dst">()}; }

    // Everything after the fixed header, extension headers included.
    [[nodiscard]] constexpr bytes payload() const noexcept { return pkt_.subspan(ipv6_header_len); }
    [[nodiscard]] constexpr bytes packet() const noexcept { return pkt_; }

    // Skips Hop-by-Hop Options, Routing, Destination Options, an atomic
    // Fragment header and AH, and returns the first other header with the
    // bytes from it to the end of the packet. Other values are returned as
    // they are, for the demultiplexer to drop: RFC 8200 §4 numbers not listed
    // here are upper layers or extension headers this host does not process.
    // Errors: truncated (a header past the end of the packet), fragment (a
    // fragment of a larger packet), unknown_protocol (ESP, No Next Header,
    // Hop-by-Hop not first).
    //
    // RFC 8200 §4.1 lets headers repeat (a sender may, a receiver must cope),
    // so the walk is not cut at a count: every header is at least 8 bytes,
    // and the bytes of the packet bound it.
    [[nodiscard]] constexpr result<ipv6_upper_layer> upper_layer() const noexcept {
        std::uint8_t next = next_header();
        bytes rest = payload();
        std::optional<ipv6_address> final_destination;
        for (bool first = true;; first = false) {
            std::size_t len = 0;
            switch (next) {
            case ip_protocol::hop_by_hop:
                // RFC 8200 §4.1: Hop-by-Hop Options must immediately follow the IPv6 header.
                if (!first) return errc::unknown_protocol;
                [[fallthrough]];
            case ip_protocol::routing:
            case ip_protocol::destination_options:
                // RFC 8200 §4.3: Hdr Ext Len is in 8-octet units, not including the first 8 octets.
                if (rest.size() < 2) return errc::truncated;
                len = (std::size_t{rest[1]} + 1) * 8;
                if (next == ip_protocol::routing && len <= rest.size())
                    if (auto d = routing_final_destination(rest.first(len))) final_destination = d;
                break;
            case ip_protocol::fragment: {
                // RFC 8200 §4.5: 8 bytes; Fragment Offset (13 bits), Res (2), M (1).
                if (rest.size() < 8) return errc::truncated;
                const std::uint16_t offset_res_m = load_be16(rest.data() + 2);
                // RFC 6946 §4: offset 0 with M clear is an atomic fragment, a whole packet.
                if ((offset_res_m & 0xFFF9) != 0) return errc::fragment;
                len = 8;
                break;
            }
            case ip_protocol::ah:
                // RFC 4302 §2.2: Payload Len is in 4-octet units, minus 2.
                if (rest.size() < 2) return errc::truncated;
                len = (std::size_t{rest[1]} + 2) * 4;
                break;
            case ip_protocol::esp:             // RFC 4303: what follows is encrypted
            case ip_protocol::no_next_header:  // RFC 8200 §4.7: nothing follows
                return errc::unknown_protocol;
            default:
                return ipv6_upper_layer{next, rest, final_destination};
            }
            if (len > rest.size()) return errc::truncated;
            next = rest[0];  // every extension header starts with Next Header
            rest = rest.subspan(len);
        }
    }

    // A Routing header (whole, as upper_layer found it) whose Segments Left
    // is not zero: the address the packet is finally for, if its type says
    // where that is. RFC 8200 §8.1: "the Destination Address used in the
    // pseudo-header is that of the final destination".
    [[nodiscard]] static constexpr std::optional<ipv6_address> routing_final_destination(bytes rh) noexcept {
        // RFC 8200 §4.4: Next Header, Hdr Ext Len, Routing Type, Segments Left, type-specific data.
        if (rh.size() < 8 || rh[3] == 0) return std::nullopt;
        auto address_at = [&](std::size_t at) {
            ipv6_address a;
            for (std::size_t i = 0; i < a.octets.size(); ++i) a.octets[i] = rh[at + i];
            return a;
        };
        switch (rh[2]) {
        case routing_type::source_route:
        case routing_type::mobile_ipv6: {
            // RFC 2460 §4.4, RFC 6275 §6.4: four reserved bytes, then the
            // addresses to visit; the last is the final destination (for
            // type 2, the one home address).
            const std::size_t n = (rh.size() - 8) / 16;
            if (n == 0) return std::nullopt;
            return address_at(8 + 16 * (n - 1));
        }
        case routing_type::segment_routing:
            // RFC 8754 §2: the Segment List is in reverse order, so
            // Segment List[0], right after the 8 fixed bytes, is the last segment.
            if (rh.size() < 8 + 16) return std::nullopt;
            return address_at(8);
        default:
            // RFC 6554's compressed addresses and unknown types: not read.
            return std::nullopt;
        }
    }

private:
    constexpr explicit ipv6_view(bytes packet) noexcept : pkt_{packet} {}
    bytes pkt_;  // exactly 40 + Payload Length bytes (after check_cut: at most, and the fixed header)
};

// The fixed header. next_header is the fixed header's: extension headers, if
// any, are part of the payload (ipv6_view::upper_layer walks them).
struct ipv6_repr {
    ipv6_address src;
    ipv6_address dst;
    std::uint8_t next_header = 0;  // ip_protocol::tcp, ip_protocol::udp, ...
    std::uint8_t hop_limit = 64;
    std::uint8_t traffic_class = 0;
    std::uint32_t flow_label = 0;  // 20 bits
    std::uint16_t payload_len = 0;

    // Errors: those of ipv6_view::check.
    [[nodiscard]] static constexpr result<ipv6_repr> parse(bytes packet) noexcept {
        auto v = ipv6_view::check(packet);
        if (!v) return v.error();
        ipv6_repr r;
        r.src = v->src();
        r.dst = v->dst();
        r.next_header = v->next_header();
        r.hop_limit = v->hop_limit();
        r.traffic_class = v->traffic_class();
        r.flow_label = v->flow_label();
        r.payload_len = v->payload_length();
        return r;
    }

    [[nodiscard]] constexpr std::size_t header_len() const noexcept { return ipv6_header_len; }
    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return header_len() + payload_len; }

    // Writes the 40-byte header at the start of `out` and returns 40; the
    // payload goes after it. Errors: value_out_of_range (a flow label over
    // 20 bits), buffer_too_small.
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        if (flow_label > 0xFFFFF) return errc::value_out_of_range;
        if (out.size() < header_len()) return errc::buffer_too_small;
        const mut_view<ipv6_layout> h{out.data()};
        h.set<"version">(6);
        h.set<"traffic_class">(traffic_class);
        h.set<"flow_label">(flow_label);
        h.set<"payload_length">(payload_len);
        h.set<"next_header">(next_header);
        h.set<"hop_limit">(hop_limit);
        h.set<"src">(src.octets);
        h.set<"dst">(dst.octets);
        return header_len();
    }

    friend constexpr bool operator==(const ipv6_repr&, const ipv6_repr&) noexcept = default;
};

// After tcpdump -v: "2001:db8::1 > 2001:db8::2: IP6 (class 0x0, flowlabel 0xcbb44, hlim 64,
// next-header 17, payload length 19)"
[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const ipv6_view& v) {
    return os << v.src() << " > " << v.dst() << ": IP6 (class 0x" << std::hex << unsigned{v.traffic_class()}
              << ", flowlabel 0x" << v.flow_label() << std::dec << ", hlim " << unsigned{v.hop_limit()}
              << ", next-header " << unsigned{v.next_header()} << ", payload length " << v.payload_length() << ')';
}

[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const ipv6_repr& r) {
    return os << r.src << " > " << r.dst << ": IP6 (class 0x" << std::hex << unsigned{r.traffic_class}
              << ", flowlabel 0x" << r.flow_label << std::dec << ", hlim " << unsigned{r.hop_limit}
              << ", next-header " << unsigned{r.next_header} << ", payload length " << r.payload_len << ')';
}

}  // namespace l4::wire
