// Frames a fuzz target writes into a stack: the input read front to back,
// TCP segments and ICMP errors under an IP header, and checksums fixed after
// a mutation so that it reaches past the checksum checks. No logic of the
// library under test: the headers come from its emitters, the checksums from
// RFC 1071.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/core/bytes.hpp>
#include <l4/net/ip.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace l4::fuzz {

// The input, front to back; past its end every read is zero.
class reader {
public:
    reader(const std::uint8_t* d, std::size_t n) : p_{d}, n_{n} {}
    [[nodiscard]] bool empty() const { return n_ == 0; }
    std::uint8_t u8() {
        if (n_ == 0) return 0;
        --n_;
        return *p_++;
    }
    std::uint16_t u16() {
        const std::uint16_t hi = u8();
        return static_cast<std::uint16_t>(hi << 8 | u8());
    }
    std::uint32_t u32() {
        const std::uint32_t hi = u16();
        return hi << 16 | u16();
    }
    bytes take(std::size_t n) {
        n = std::min(n, n_);
        bytes b{p_, n};
        p_ += n;
        n_ -= n;
        return b;
    }

private:
    const std::uint8_t* p_;
    std::size_t n_;
};

// RFC 1071 over an IPv4 header whose checksum field is zero.
[[nodiscard]] inline std::uint16_t ipv4_header_checksum(bytes h) {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) s += std::uint32_t{h[i]} << 8 | h[i + 1];
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return static_cast<std::uint16_t>(~s);
}

// The TCP checksum of a datagram that parses, whatever its bytes say.
inline void refill_tcp_checksum(std::vector<std::uint8_t>& frame) {
    auto p = wire::parse_ip(frame);
    if (!p || p->protocol != wire::ip_protocol::tcp) return;
    const auto at = static_cast<std::size_t>(p->transport.data() - frame.data());
    wire::fill_checksum<checksum::internet>(p->pseudo.bytes(), std::span{frame}.subspan(at, p->transport.size()), 16);
}

// The IPv4 header checksum where the header is whole, then the TCP checksum.
inline void fix_checksums(std::vector<std::uint8_t>& frame) {
    if (frame.size() >= 20 && (frame[0] >> 4) == 4) {
        const std::size_t ihl = std::size_t{frame[0] & 15u} * 4;
        if (ihl >= 20 && ihl <= frame.size()) {
            frame[10] = frame[11] = 0;
            const std::uint16_t c = ipv4_header_checksum(std::span{frame}.first(ihl));
            frame[10] = static_cast<std::uint8_t>(c >> 8);
            frame[11] = static_cast<std::uint8_t>(c);
        }
    }
    refill_tcp_checksum(frame);
}

// A TCP segment in an IP datagram, checksums right; empty if it cannot be made.
[[nodiscard]] inline std::vector<std::uint8_t> tcp_frame(const net::ip_address& src, const net::ip_address& dst,
                                                         std::uint16_t sport, std::uint16_t dport, seq32 seq, seq32 ack,
                                                         std::uint8_t flags, std::uint16_t window,
                                                         const wire::tcp_options& o, bytes payload) {
    wire::tcp_repr r;
    r.src_port = sport;
    r.dst_port = dport;
    r.seq_number = seq;
    r.ack_number = ack;
    r.flags.bits = flags;
    r.window = window;
    r.options = o;
    r.payload = payload;
    const std::size_t len = r.buffer_len(), ip_len = src.is_v4() ? 20 : 40;
    std::vector<std::uint8_t> frame(ip_len + len);
    net::ip_layer ip{{{src}, 64}};
    if (!ip.emit_header(frame, src, dst, wire::ip_protocol::tcp, len)) return {};
    const auto pseudo = net::ip_layer::pseudo(src, dst, wire::ip_protocol::tcp, len);
    if (!r.emit(std::span{frame}.subspan(ip_len), pseudo.bytes(), checksum::internet{})) return {};
    return frame;
}

// What an ICMP error quotes of a segment `src` sent: its IP header and the
// first 8 bytes of its TCP header (ports and sequence number), RFC 792.
[[nodiscard]] inline std::vector<std::uint8_t> quoted_tcp(const net::ip_address& src, const net::ip_address& dst,
                                                          std::uint16_t sport, std::uint16_t dport, seq32 seq) {
    const std::size_t ip_len = src.is_v4() ? 20 : 40;
    std::vector<std::uint8_t> quote(ip_len + 8);
    net::ip_layer ip{{{src}, 64}};
    if (!ip.emit_header(quote, src, dst, wire::ip_protocol::tcp, 20)) return {};
    store_be16(&quote[ip_len], sport);
    store_be16(&quote[ip_len + 2], dport);
    store_be32(&quote[ip_len + 4], seq.raw());
    return quote;
}

// An ICMP (over IPv4) or ICMPv6 error from `src` to `dst` quoting `quote`;
// `mtu` where the type carries one (RFC 1191 §4, RFC 4443 §3.2).
[[nodiscard]] inline std::vector<std::uint8_t> icmp_error_frame(const net::ip_address& src, const net::ip_address& dst,
                                                                std::uint8_t type, std::uint8_t code, std::uint16_t mtu,
                                                                const std::vector<std::uint8_t>& quote) {
    std::vector<std::uint8_t> msg(8 + quote.size());
    msg[0] = type;
    msg[1] = code;
    if (src.is_v4()) store_be16(&msg[6], mtu);
    else store_be32(&msg[4], mtu);
    std::copy(quote.begin(), quote.end(), msg.begin() + 8);
    const std::uint8_t protocol = src.is_v4() ? std::uint8_t{1} : std::uint8_t{58};
    const std::size_t ip_len = src.is_v4() ? 20 : 40;
    std::vector<std::uint8_t> frame(ip_len + msg.size());
    net::ip_layer ip{{{src}, 64}};
    if (!ip.emit_header(frame, src, dst, protocol, msg.size())) return {};
    // ICMPv6's checksum covers a pseudo-header (RFC 4443 §2.3); ICMPv4's does not.
    const auto pseudo = net::ip_layer::pseudo(src, dst, protocol, msg.size());
    wire::fill_checksum<checksum::internet>(src.is_v4() ? bytes{} : pseudo.bytes(), msg, 2);
    std::copy(msg.begin(), msg.end(), frame.begin() + static_cast<std::ptrdiff_t>(ip_len));
    return frame;
}

}  // namespace l4::fuzz
