// The IPv4 header (RFC 791): address, layout, zero-copy view, strict repr.
//
// Reading list
//   RFC 791 §3.1   the header format
//   RFC 1071       the Internet checksum (the header checksum)
//   RFC 1122 §3.2  what a host must check on receipt and may ignore
//   RFC 2474, 3168 DSCP and ECN, which replaced the Type of Service byte
//   RFC 6864       the Identification field of datagrams that are never fragmented
//
// ipv4_view::check is the only way in from untrusted bytes; it is lenient
// (options are skipped, fragments and bad checksums are reported by
// accessors). ipv4_repr::parse is strict: it refuses what a host would
// discard. ipv4_repr::emit writes the 20-byte header, checksum included;
// the payload goes after it.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/short_text.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/layout.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <ostream>
#include <string_view>

namespace l4::wire {

// An IPv4 address in network byte order, with its dotted-quad text form.
struct ipv4_address {
    std::array<std::uint8_t, 4> octets{};

    constexpr ipv4_address() noexcept = default;
    constexpr ipv4_address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept
        : octets{a, b, c, d} {}
    constexpr explicit ipv4_address(const std::array<std::uint8_t, 4>& o) noexcept : octets{o} {}

    [[nodiscard]] static constexpr ipv4_address from_u32(std::uint32_t v) noexcept {
        ipv4_address a;
        store_be32(a.octets.data(), v);
        return a;
    }
    [[nodiscard]] constexpr std::uint32_t to_u32() const noexcept { return load_be32(octets.data()); }

    // Strict dotted quad: four decimal numbers 0-255 and nothing else. A
    // leading zero is refused because inet_aton reads "010" as octal 8 and
    // other parsers as decimal 10 (RFC 6943 §3.1.1).
    [[nodiscard]] static constexpr std::optional<ipv4_address> from_string(std::string_view text) noexcept {
        ipv4_address a;
        std::size_t i = 0;
        for (std::size_t part = 0; part < 4; ++part) {
            if (part > 0) {
                if (i >= text.size() || text[i] != '.') return std::nullopt;
                ++i;
            }
            const std::size_t start = i;
            unsigned value = 0;
            while (i < text.size() && i - start < 4 && text[i] >= '0' && text[i] <= '9')
                value = value * 10 + static_cast<unsigned>(text[i++] - '0');
            const std::size_t digits = i - start;
            if (digits == 0 || digits > 3 || value > 255) return std::nullopt;
            if (digits > 1 && text[start] == '0') return std::nullopt;
            a.octets[part] = static_cast<std::uint8_t>(value);
        }
        if (i != text.size()) return std::nullopt;
        return a;
    }

    [[nodiscard, gnu::cold]] constexpr short_text<15> text() const noexcept {
        short_text<15> s;
        for (std::size_t i = 0; i < octets.size(); ++i) {
            if (i > 0) s.push_back('.');
            s.append_decimal(octets[i]);
        }
        return s;
    }

    friend constexpr auto operator<=>(const ipv4_address&, const ipv4_address&) noexcept = default;
};

inline std::ostream& operator<<(std::ostream& os, const ipv4_address& a) { return os << a.text().view(); }

// RFC 791 §3.1, with the Type of Service byte split into DSCP (RFC 2474)
// and ECN (RFC 3168), and the flags named: R reserved, D don't fragment,
// M more fragments.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |   DSCP    |ECN|          Total Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |         Identification        |R|D|M|     Fragment Offset     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Time to Live |    Protocol   |         Header Checksum       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       Source Address                          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Options                    |    Padding    |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using ipv4_layout = layout<field<"version", 4>, field<"ihl", 4>, field<"dscp", 6>, field<"ecn", 2>,  //
                           field<"total_length", 16>,                                              //
                           field<"identification", 16>,                                            //
                           field<"reserved", 1>, field<"df", 1>, field<"mf", 1>,                   //
                           field<"fragment_offset", 13>,                                           //
                           field<"ttl", 8>, field<"protocol", 8>, field<"header_checksum", 16>,    //
                           field<"src", 32>,                                                       //
                           field<"dst", 32>>;
static_assert(ipv4_layout::size == 20, "RFC 791 §3.1: the IPv4 header without options is 20 bytes");
static_assert(ipv4_layout::offset_of<"header_checksum"> == 10 * 8);

inline constexpr std::size_t ipv4_min_header_len = ipv4_layout::size;
inline constexpr std::size_t ipv4_max_header_len = 60;  // IHL is 4 bits of 32-bit words
inline constexpr std::size_t ipv4_max_total_len = 0xFFFF;

namespace detail {

// RFC 1071 §4.1: fold the carries back in, and complement.
[[nodiscard]] constexpr std::uint16_t ipv4_fold(std::uint64_t sum) noexcept {
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// RFC 1071 §4.1: the one's complement of the one's complement sum of the
// 16-bit words. Computed here rather than with l4/checksum/ so that wire/
// depends on core/ only; an IPv4 header is at most 60 bytes. Over a header
// whose checksum field is right the result is 0. Summed 32 bits at a time
// (a header is whole 32-bit words): 2^16 = 1 modulo 0xFFFF, so folding the
// sum of the words gives the sum of their halves, in half the additions.
[[nodiscard]] constexpr std::uint16_t ipv4_header_sum(bytes header) noexcept {
    std::uint64_t sum = 0;
    std::size_t i = 0;
    for (; i + 3 < header.size(); i += 4) sum += load_be32(header.data() + i);
    if (i + 1 < header.size()) {
        sum += load_be16(header.data() + i);
        i += 2;
    }
    if (i < header.size()) sum += std::uint64_t{header[i]} << 8;
    return ipv4_fold(sum);
}

// ipv4_header_sum of a header without options (20 bytes): its five words, no loop.
[[nodiscard]] constexpr std::uint16_t ipv4_plain_header_sum(const std::uint8_t* header) noexcept {
    std::uint64_t sum = std::uint64_t{load_be32(header)} + load_be32(header + 4) + load_be32(header + 8) +
                        load_be32(header + 12) + load_be32(header + 16);
    // Under 2^35: three folds bring any such sum to 16 bits, as ipv4_fold's loop would.
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

// RFC 1071 §2(C) with 64-bit words: 2^64 = 1 modulo 0xFFFF, so the carry out
// of an addition is added back in, and the sum keeps the residue of the
// 16-bit words' sum. Zero only when both words are.
[[nodiscard]] constexpr std::uint64_t ones_add64(std::uint64_t a, std::uint64_t b) noexcept {
    a += b;
    return a + (a < b);
}

// A ones_add64 sum folded to 16 bits, as ipv4_fold folds (before its
// complement): 32 bits with the carry added back, then Linux's csum_fold,
// whose high half is the two halves' sum with its carry added back.
[[nodiscard]] constexpr std::uint16_t ones_fold64(std::uint64_t sum) noexcept {
    const auto hi = static_cast<std::uint32_t>(sum >> 32);
    std::uint32_t t = static_cast<std::uint32_t>(sum) + hi;
    t += t < hi;
    t += t >> 16 | t << 16;
    return static_cast<std::uint16_t>(t >> 16);
}

// The bytes at p as the machine loads them, in whatever order it keeps.
template <class T>
[[nodiscard]] inline T load_native(const std::uint8_t* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Whether a header without options (20 bytes) sums to all ones. RFC 1071
// §2(B): the sum is the same in either byte order, byte-swapped; all ones
// and zero are their own swaps. So the words are summed as the machine
// loads them, two 8-byte ones and a 4-byte one, with no byte swaps: the
// answer is ipv4_plain_header_sum's == 0 (a sum of nonzero words is never 0).
[[nodiscard]] constexpr bool ipv4_plain_header_sums_to_ones(const std::uint8_t* header) noexcept {
    if (std::is_constant_evaluated()) return ipv4_plain_header_sum(header) == 0;
    const std::uint64_t first = load_native<std::uint64_t>(header), second = load_native<std::uint64_t>(header + 8);
    const std::uint64_t sum = ones_add64(ones_add64(first, second), load_native<std::uint32_t>(header + 16));
    return ones_fold64(sum) == 0xFFFF;
}

}  // namespace detail

struct ip_packet;
namespace detail {
[[nodiscard, gnu::always_inline]] constexpr inline result<ip_packet> parse_ip(bytes datagram, bool may_be_cut) noexcept;
}  // namespace detail

// An IPv4 datagram over bytes it does not own. check() validates the version
// and the two length fields once, so no accessor can read out of bounds
// afterwards; the header checksum and fragmentation are left to the caller
// (verify_header_checksum, is_fragment) or to ipv4_repr::parse.
class ipv4_view {
public:
    // Errors, in the order checked: truncated (under 20 bytes),
    // unsupported_version, bad_header_length (IHL < 5), truncated (IHL past
    // the bytes), length_mismatch (Total Length shorter than the header),
    // truncated (Total Length past the bytes).
    [[nodiscard]] static constexpr result<ipv4_view> check(bytes datagram) noexcept {
        if (datagram.size() < ipv4_min_header_len) return errc::truncated;
        const view<ipv4_layout> h{datagram.data()};
        if (h.get<"version">() != 4) return errc::unsupported_version;
        // RFC 791 §3.1: IHL counts 32-bit words; the minimum for a correct header is 5.
        const std::size_t hlen = std::size_t{h.get<"ihl">()} * 4;
        if (hlen < ipv4_min_header_len) return errc::bad_header_length;
        if (hlen > datagram.size()) return errc::truncated;
        const std::size_t total = h.get<"total_length">();
        if (total < hlen) return errc::length_mismatch;
        if (total > datagram.size()) return errc::truncated;
        // Bytes past Total Length are link padding (Ethernet pads frames to 60 bytes).
        return ipv4_view{datagram.first(total)};
    }

    // A datagram whose end a capture may have cut (pcap's snaplen): as
    // check, except that Total Length may run past the bytes. datagram()
    // and payload() are then the bytes present, total_length() still what
    // the header says, and nothing that covers the missing bytes (the
    // transport checksum) can be verified. The header itself must be whole.
    [[nodiscard]] static constexpr result<ipv4_view> check_cut(bytes datagram) noexcept {
        auto v = check(datagram);
        if (v || v.error() != errc::truncated || datagram.size() < ipv4_min_header_len) return v;
        const view<ipv4_layout> h{datagram.data()};
        const std::size_t hlen = std::size_t{h.get<"ihl">()} * 4;
        if (hlen > datagram.size()) return errc::truncated;
        return ipv4_view{datagram};
    }

    [[nodiscard]] constexpr view<ipv4_layout> header() const noexcept { return view<ipv4_layout>{dgram_.data()}; }

    [[nodiscard]] constexpr std::uint8_t version() const noexcept { return header().get<"version">(); }
    [[nodiscard]] constexpr std::uint8_t ihl() const noexcept { return header().get<"ihl">(); }
    [[nodiscard]] constexpr std::size_t header_len() const noexcept { return std::size_t{ihl()} * 4; }
    [[nodiscard]] constexpr std::uint8_t dscp() const noexcept { return header().get<"dscp">(); }
    [[nodiscard]] constexpr std::uint8_t ecn() const noexcept { return header().get<"ecn">(); }
    [[nodiscard]] constexpr std::uint16_t total_length() const noexcept { return header().get<"total_length">(); }
    [[nodiscard]] constexpr std::uint16_t identification() const noexcept {
        return header().get<"identification">();
    }
    // RFC 791 §3.1: "Bit 0: reserved, must be zero".
    [[nodiscard]] constexpr bool reserved_flag() const noexcept { return header().get<"reserved">() != 0; }
    [[nodiscard]] constexpr bool dont_fragment() const noexcept { return header().get<"df">() != 0; }
    [[nodiscard]] constexpr bool more_fragments() const noexcept { return header().get<"mf">() != 0; }
    // In units of 8 octets (RFC 791 §3.1).
    [[nodiscard]] constexpr std::uint16_t fragment_offset() const noexcept {
        return header().get<"fragment_offset">();
    }
    [[nodiscard]] constexpr std::uint8_t ttl() const noexcept { return header().get<"ttl">(); }
    [[nodiscard]] constexpr std::uint8_t protocol() const noexcept { return header().get<"protocol">(); }
    [[nodiscard]] constexpr std::uint16_t header_checksum() const noexcept {
        return header().get<"header_checksum">();
    }
    [[nodiscard]] constexpr ipv4_address src() const noexcept { return ipv4_address::from_u32(header().get<"src">()); }
    [[nodiscard]] constexpr ipv4_address dst() const noexcept { return ipv4_address::from_u32(header().get<"dst">()); }

    // RFC 791 §2.3: a datagram is a fragment unless it is the first (offset
    // 0) and the last (MF clear) fragment of itself.
    [[nodiscard]] constexpr bool is_fragment() const noexcept { return more_fragments() || fragment_offset() != 0; }

    // The whole header, options included: what the header checksum covers.
    [[nodiscard]] constexpr bytes header_bytes() const noexcept { return dgram_.first(header_len()); }
    [[nodiscard]] constexpr bytes options() const noexcept {
        return dgram_.subspan(ipv4_min_header_len, header_len() - ipv4_min_header_len);
    }
    // Bytes [IHL * 4, Total Length), or fewer after check_cut.
    [[nodiscard]] constexpr bytes payload() const noexcept { return dgram_.subspan(header_len()); }
    [[nodiscard]] constexpr bytes datagram() const noexcept { return dgram_; }

    [[nodiscard]] constexpr bool verify_header_checksum() const noexcept {
        if (header_len() == ipv4_min_header_len)  // as nearly every datagram comes
            return detail::ipv4_plain_header_sums_to_ones(dgram_.data());
        return detail::ipv4_header_sum(header_bytes()) == 0;
    }

private:
    // packet.hpp's parse_ip makes its packet's view again from the bytes
    // check() accepted: a copy of check()'s result, stored in two 8-byte
    // pieces, is read back as one 16-byte load, a store-forwarding stall
    // on every datagram received.
    friend constexpr result<ip_packet> detail::parse_ip(bytes, bool) noexcept;

    constexpr explicit ipv4_view(bytes datagram) noexcept : dgram_{datagram} {}
    bytes dgram_;  // exactly Total Length bytes (after check_cut: at most, and the whole header)
};

// The header as a host sends and receives it: no options, no fragments.
struct ipv4_repr {
    ipv4_address src;
    ipv4_address dst;
    std::uint8_t protocol = 0;   // ip_protocol::tcp, ip_protocol::udp, ...
    std::uint8_t ttl = 64;
    std::uint16_t identification = 0;
    bool dont_fragment = true;
    std::uint8_t dscp = 0;       // 6 bits
    std::uint8_t ecn = 0;        // 2 bits
    std::uint16_t payload_len = 0;

    // Errors: those of ipv4_view::check, then bad_checksum and fragment.
    // Options are skipped (RFC 1122 §3.2.1.8: a host interprets the options
    // it understands "and silently ignore[s] the others"), and so is the
    // reserved flag.
    [[nodiscard]] static constexpr result<ipv4_repr> parse(bytes datagram) noexcept {
        auto v = ipv4_view::check(datagram);
        if (!v) return v.error();
        // RFC 1122 §3.2.1.2: a host MUST verify the header checksum and discard on failure.
        if (!v->verify_header_checksum()) return errc::bad_checksum;
        // A repr is a whole datagram; reassembly is not the wire layer's business.
        if (v->is_fragment()) return errc::fragment;
        ipv4_repr r;
        r.src = v->src();
        r.dst = v->dst();
        r.protocol = v->protocol();
        r.ttl = v->ttl();
        r.identification = v->identification();
        r.dont_fragment = v->dont_fragment();
        r.dscp = v->dscp();
        r.ecn = v->ecn();
        r.payload_len = static_cast<std::uint16_t>(v->payload().size());
        return r;
    }

    [[nodiscard]] constexpr std::size_t header_len() const noexcept { return ipv4_min_header_len; }
    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return header_len() + payload_len; }

    // Writes the 20-byte header, checksum filled, at the start of `out` and
    // returns 20; the payload goes after it. Errors: value_out_of_range (DSCP
    // over 6 bits, ECN over 2, or a total length over 65535),
    // buffer_too_small. Always inline: the stack writes one for every
    // frame, and GCC left it a call wherever its unit-growth limit was met.
    [[nodiscard, gnu::always_inline]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        if (dscp > 0x3F || ecn > 0x3 || buffer_len() > ipv4_max_total_len) return errc::value_out_of_range;
        if (out.size() < header_len()) return errc::buffer_too_small;
        // Whole words, the checksum summed from the values: no read-modify-
        // write of bit fields, and no reading back of bytes just stored (a
        // frame's header is the first store into a slot that may not be in
        // the cache; a store-forwarding stall cost a send 8 %). The first
        // eight bytes go out as one store: GCC kept an array of the five
        // 16-bit words on the stack and stored them in a loop.
        const std::uint16_t tos_word = static_cast<std::uint16_t>(0x4500 | (dscp << 2) | ecn);  // version 4, IHL 5
        const auto total_len = static_cast<std::uint16_t>(buffer_len());
        const std::uint16_t flags_word = dont_fragment ? 0x4000 : 0;  // DF; MF and the offset 0
        const auto ttl_protocol = static_cast<std::uint16_t>(ttl << 8 | protocol);
        // The sum over the header as three words, bytes 0-7, 8-15 (the checksum's zero) and 16-19.
        const std::uint32_t s = src.to_u32(), d = dst.to_u32();
        const std::uint64_t first = std::uint64_t{tos_word} << 48 | std::uint64_t{total_len} << 32 |
                                    std::uint64_t{identification} << 16 | flags_word;
        const std::uint64_t second = std::uint64_t{ttl_protocol} << 48 | s;
        const std::uint64_t sum = detail::ones_add64(detail::ones_add64(first, second), d);
        const auto check = static_cast<std::uint16_t>(~detail::ones_fold64(sum));
        std::uint8_t* p = out.data();
        store_be64(p, first);
        store_be64(p + 8, second | std::uint64_t{check} << 32);
        store_be32(p + 16, d);
        return header_len();
    }

    friend constexpr bool operator==(const ipv4_repr&, const ipv4_repr&) noexcept = default;
};

// After tcpdump -v: "192.0.2.1 > 192.0.2.2: IP (tos 0x0, ttl 64, id 49108, offset 0, flags [DF],
// proto 17, length 39)"
[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const ipv4_view& v) {
    os << v.src() << " > " << v.dst() << ": IP (tos 0x" << std::hex << ((v.dscp() << 2) | v.ecn()) << std::dec
       << ", ttl " << unsigned{v.ttl()} << ", id " << v.identification() << ", offset " << v.fragment_offset() * 8
       << ", flags [" << (v.reserved_flag() ? "rsvd" : "") << (v.dont_fragment() ? "DF" : "")
       << (v.more_fragments() ? "+" : "") << "], proto " << unsigned{v.protocol()} << ", length "
       << v.total_length();
    if (v.header_len() > ipv4_min_header_len) os << ", options " << v.options().size() << " bytes";
    return os << ')';
}

[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const ipv4_repr& r) {
    return os << r.src << " > " << r.dst << ": IP (dscp " << unsigned{r.dscp} << ", ecn " << unsigned{r.ecn}
              << ", ttl " << unsigned{r.ttl} << ", id " << r.identification << ", flags ["
              << (r.dont_fragment ? "DF" : "") << "], proto " << unsigned{r.protocol} << ", payload "
              << r.payload_len << ')';
}

}  // namespace l4::wire
