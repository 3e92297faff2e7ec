// The minimal IP layer a host needs: put an IPv4 or IPv6 header in front of
// a transport segment, and decide for each received datagram whether it is
// for this host. No fragmentation, no reassembly: what the layer cannot
// handle it drops and counts. ICMP is the stack's (net/icmp.hpp).
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/error_counts.hpp>
#include <l4/core/socket_option.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pseudo_header.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace l4::net {

using wire::ip_address;
using wire::ipv4_address;
using wire::ipv6_address;
using wire::socket_address;

struct ip_counters {
    std::uint64_t rx_datagrams = 0;      // handed to a transport or ICMP
    std::uint64_t rx_malformed = 0;      // truncated, bad lengths, bad version: the sum of rx_malformed_by
    error_counts rx_malformed_by;        // each class by its errc
    std::uint64_t rx_bad_checksum = 0;   // IPv4 header checksum
    std::uint64_t rx_fragments = 0;      // RFC 791 / RFC 8200 §4.5: not reassembled
    std::uint64_t rx_unknown_protocol = 0;
    std::uint64_t rx_not_for_us = 0;     // destination is none of our addresses
    std::uint64_t tx_datagrams = 0;
};

struct ip_config {
    std::vector<ip_address> addresses;  // this host's addresses, either family
    std::uint8_t ttl = 64;              // also the IPv6 hop limit
};

class ip_layer {
public:
    explicit ip_layer(ip_config cfg) : cfg_{std::move(cfg)} {}

    [[nodiscard]] const std::vector<ip_address>& addresses() const noexcept { return cfg_.addresses; }
    [[nodiscard]] bool is_local(const ip_address& a) const noexcept {
        return std::find(cfg_.addresses.begin(), cfg_.addresses.end(), a) != cfg_.addresses.end();
    }
    // The address a socket bound to the wildcard sends from: the first of ours in the family.
    [[nodiscard]] result<ip_address> source_for(const ip_address& dst) const noexcept {
        for (const auto& a : cfg_.addresses)
            if (a.version() == dst.version()) return a;
        return errc::no_route;
    }

    [[nodiscard]] static constexpr std::size_t header_len(const ip_address& dst) noexcept {
        return dst.is_v4() ? wire::ipv4_min_header_len : wire::ipv6_header_len;
    }

    [[nodiscard]] static wire::pseudo_header pseudo(const ip_address& src, const ip_address& dst,
                                                    std::uint8_t protocol, std::size_t len) noexcept {
        if (src.is_v4()) return wire::pseudo_header::ipv4(src.v4(), dst.v4(), protocol, static_cast<std::uint16_t>(len));
        return wire::pseudo_header::ipv6(src.v6(), dst.v6(), protocol, static_cast<std::uint32_t>(len));
    }

    // Writes the IP header for a `payload_len`-byte segment at the start of
    // `out`; the segment follows it. Both addresses must be of one family.
    // `ecn`: the ECN codepoint (RFC 3168 §5), IPv4's ECN field or the low
    // two bits of IPv6's traffic class; the transport chooses it. `opts`:
    // the socket's DS field and IPv4 DF, by reference: by value, GCC copied
    // them into a 2-byte local and read it back as 4 bytes, a load that
    // waited for the store to retire (a store-forwarding stall, every frame).
    // Inline, IPv4 at least: a call of its own for every frame moved its
    // arguments and its result through memory. IPv6 is a call (emit_header_v6).
    [[gnu::always_inline]] [[nodiscard]] result<std::size_t> emit_header(mut_bytes out, const ip_address& src, const ip_address& dst,
                                                  std::uint8_t protocol, std::size_t payload_len,
                                                  std::uint8_t ecn = 0, const ip_header_options& opts = {}) noexcept {
        if (src.version() != dst.version()) return errc::no_route;
        if (ecn > 3) return errc::invalid_argument;
        if (src.is_v4()) {
            if (payload_len > wire::ipv4_max_total_len - wire::ipv4_min_header_len) return errc::message_too_long;
            wire::ipv4_repr ip;
            ip.src = src.v4();
            ip.dst = dst.v4();
            ip.protocol = protocol;
            ip.ttl = cfg_.ttl;
            ip.ecn = ecn;
            ip.dscp = opts.dscp & 0x3F;
            // RFC 6864 §4.1: with DF set the ID is not used for reassembly; a counter is enough. Without DF
            // (IP_PMTUDISC_DONT) §4.2 asks it unique within the MSL per source, destination and protocol,
            // which a counter is as long as fewer than 65,536 datagrams leave in that time.
            ip.identification = next_id_++;
            ip.dont_fragment = opts.dont_fragment;
            ip.payload_len = static_cast<std::uint16_t>(payload_len);
            auto n = ip.emit(out);
            if (n) ++counters_.tx_datagrams;
            return n;
        }
        return emit_header_v6(out, src, dst, protocol, payload_len, ecn, opts);
    }

    // A received datagram for one of our transports, or the reason it was
    // dropped (already counted).
    // Every path returns `p` itself, so the caller receives it in place (see parse_ip).
    [[nodiscard, gnu::always_inline]] inline result<wire::ip_packet> accept(bytes frame) noexcept {
        auto p = wire::parse_ip(frame);
        if (!p) {
            if (p.error() == errc::fragment) ++counters_.rx_fragments;
            else if (p.error() == errc::unknown_protocol) ++counters_.rx_unknown_protocol;
            else {
                ++counters_.rx_malformed;
                counters_.rx_malformed_by.add(p.error());
            }
            return p;
        }
        // RFC 1122 §3.2.1.2: a host MUST verify the header checksum and silently discard on failure.
        if (p->v4 && !p->v4->verify_header_checksum()) {
            ++counters_.rx_bad_checksum;
            p = errc::bad_checksum;
            return p;
        }
        if (!(p->v4 ? is_local_v4(p->v4->header().get<"dst">()) : is_local(ip_address{p->v6->dst()}))) {
            ++counters_.rx_not_for_us;
            p = errc::address_not_available;
            return p;
        }
        ++counters_.rx_datagrams;
        return p;
    }

    // For transports to count what they do not handle.
    void count_unknown_protocol() noexcept { ++counters_.rx_unknown_protocol; }

    [[nodiscard]] const ip_counters& counters() const noexcept { return counters_; }

private:
    // emit_header for IPv6.
    [[nodiscard]] result<std::size_t> emit_header_v6(mut_bytes out, const ip_address& src, const ip_address& dst,
                                                     std::uint8_t protocol, std::size_t payload_len, std::uint8_t ecn,
                                                     const ip_header_options& opts) noexcept {
        if (payload_len > 0xFFFF) return errc::message_too_long;
        wire::ipv6_repr ip;
        ip.src = src.v6();
        ip.dst = dst.v6();
        ip.next_header = protocol;
        ip.hop_limit = cfg_.ttl;
        ip.traffic_class = static_cast<std::uint8_t>((opts.dscp & 0x3F) << 2 | ecn);
        ip.payload_len = static_cast<std::uint16_t>(payload_len);
        auto n = ip.emit(out);
        if (n) ++counters_.tx_datagrams;
        return n;
    }

    // is_local for an IPv4 destination as the header holds it: no ip_address
    // built, and one 32-bit comparison an address, for every datagram.
    [[nodiscard]] bool is_local_v4(std::uint32_t dst) const noexcept {
        for (const auto& a : cfg_.addresses)
            if (a.is_v4() && a.v4().to_u32() == dst) return true;
        return false;
    }

    ip_config cfg_;
    std::uint16_t next_id_ = 0;
    ip_counters counters_;
};

[[nodiscard]] inline ip_address source_of(const wire::ip_packet& p) noexcept {
    return p.v4 ? ip_address{p.v4->src()} : ip_address{p.v6->src()};
}
[[nodiscard]] inline ip_address destination_of(const wire::ip_packet& p) noexcept {
    return p.v4 ? ip_address{p.v4->dst()} : ip_address{p.v6->dst()};
}

}  // namespace l4::net
