// The host's ICMP and ICMPv6: answering echo requests, reading received
// errors back to the flow they quote, and sending port unreachable, rate
// limited. Sans-IO: the stack hands in parsed packets and `now`, and gets
// back bytes to send and what an error means for its sockets.
//
// Reading list
//   RFC 792              ICMP; RFC 4443 ICMPv6
//   RFC 1122 §3.2.2      which errors a host never sends, and echo (§3.2.2.6)
//   RFC 1122 §4.1.3.1    UDP: a datagram to a port nobody listens on gets port unreachable
//   RFC 1812 §4.3.2.3    what an ICMPv4 error quotes (up to 576 bytes in all)
//   RFC 1812 §4.3.2.8    rate limiting of ICMPv4 errors; RFC 4443 §2.4(f) of ICMPv6's
//   RFC 4443 §2.4        ICMPv6 error rules: what to quote (c), when never to send (e)
//   RFC 5927             ICMP attacks against TCP: why a transport checks the quote
//
// How the stack drives it
//   - A received packet with protocol ip_protocol::icmp (IPv4) or
//     ip_protocol::icmpv6 (IPv6), addressed to this host: on_packet(p, reply,
//     now). If it returns reply_len > 0, send `reply` [0, reply_len) as an
//     ICMP/ICMPv6 message from result.src to result.dst (the ICMPv6 checksum
//     already covers exactly that pseudo-header). If it returns an error,
//     give it to the transport whose socket matches (protocol, local, remote);
//     a connected UDP socket then reports connection_refused, as Linux does.
//   - A UDP datagram for which no socket exists: port_unreachable(p, datagram,
//     out, now). On success, send `out` [0, n) from the datagram's destination
//     to its source.
//
// What this class cannot know, the stack filters: the host's own addresses
// and subnets. It treats 255.255.255.255 and multicast (224.0.0.0/4,
// ff00::/8) as "not unicast"; a directed broadcast (the all-ones host of one
// of our subnets) must be dropped by the stack before port_unreachable.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/time.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/icmp.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pseudo_header.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace l4::net {

struct icmp_config {
    // RFC 1812 §4.3.2.8, RFC 4443 §2.4(f): a token bucket. 0 = never send errors.
    std::uint32_t errors_per_second = 1000;
    std::uint32_t error_burst = 50;  // bucket size; 0 also means never
    bool answer_echo = true;
};

// Every packet given to on_packet lands in exactly one rx_ counter except
// rx_bad_quote, which counts again the errors among rx_dest_unreachable ...
// rx_other_error whose quote names no UDP or TCP flow.
struct icmp_counters {
    std::uint64_t rx_echo_requests = 0;
    std::uint64_t rx_echo_replies = 0;
    std::uint64_t rx_dest_unreachable = 0;
    std::uint64_t rx_packet_too_big = 0;    // ICMPv6 type 2 (ICMPv4's is a dest unreachable)
    std::uint64_t rx_time_exceeded = 0;
    std::uint64_t rx_parameter_problem = 0;
    std::uint64_t rx_other_error = 0;       // source quench, redirect, unknown ICMPv6 errors
    std::uint64_t rx_other = 0;             // informational messages other than echo (NDP, MLD, ...)
    std::uint64_t rx_malformed = 0;         // under 8 bytes, or ICMP of the other IP version
    std::uint64_t rx_bad_checksum = 0;
    std::uint64_t rx_bad_quote = 0;         // an error whose quote holds no UDP/TCP ports (also counted above)

    std::uint64_t tx_echo_replies = 0;
    std::uint64_t echo_not_answered = 0;    // answer_echo off, not to unicast, from a non-unicast source, no room
    std::uint64_t tx_errors = 0;
    std::uint64_t tx_errors_rate_limited = 0;
    std::uint64_t tx_errors_suppressed = 0;  // broadcast/multicast/ICMP-error/unspecified source
};

// What a received ICMP error says about one of our flows.
struct icmp_flow_error {
    std::uint8_t protocol = 0;         // of the quoted datagram: 17 UDP, 6 TCP
    wire::socket_address local, remote;  // the quoted datagram's source (us) and destination (them)
    enum class kind {
        port_unreachable,
        host_unreachable,
        net_unreachable,
        protocol_unreachable,
        admin_prohibited,
        packet_too_big,
        time_exceeded,
        other,
    } what = kind::other;
    std::uint32_t mtu = 0;  // packet too big / fragmentation needed (0: the router did not say)
    std::uint8_t type = 0, code = 0;  // as received, for logs and finer mappings
    // The quoted transport header, as much as was quoted (at least the
    // ports); it points into the packet given to on_packet. RFC 5927 §4.1:
    // TCP checks that the quoted sequence number is in its window.
    bytes quoted_transport;
};

class icmp {
public:
    explicit icmp(icmp_config cfg = {}) noexcept : cfg_{cfg} {}

    // RFC 1812 §4.3.2.3: an ICMPv4 error is at most 576 bytes, IP header included.
    static constexpr std::size_t v4_error_max = 576;
    // RFC 4443 §2.4(c): an ICMPv6 error must not exceed the minimum IPv6 MTU.
    static constexpr std::size_t v6_error_max = 1280;
    // Our replies carry IP headers without options or extension headers.
    static constexpr std::size_t v4_max_quote = v4_error_max - wire::ipv4_min_header_len - wire::icmp_header_len;
    static constexpr std::size_t v6_max_quote = v6_error_max - wire::ipv6_header_len - wire::icmp_header_len;
    static_assert(v4_max_quote == 548 && v6_max_quote == 1232);

    struct input_result {
        std::size_t reply_len = 0;         // > 0: an echo reply waits in `reply`
        std::optional<icmp_flow_error> error;
        wire::ip_address src, dst;          // the reply's addresses (us, the requester) when reply_len > 0
    };

    // An ICMP or ICMPv6 packet addressed to us (`reply` must not overlap it).
    // An echo request to answer: the whole reply message (not the IP header)
    // goes into `reply`. An error quoting a UDP or TCP datagram: the flow
    // error. Anything else is counted and nothing returned.
    input_result on_packet(const wire::ip_packet& p, mut_bytes reply, instant now) noexcept {
        (void)now;  // echo replies are not rate limited; the parameter keeps the verb's shape
        if (p.v4 && p.protocol == wire::ip_protocol::icmp) return input<wire::icmp_family::v4>(p, reply);
        if (p.v6 && p.protocol == wire::ip_protocol::icmpv6) return input<wire::icmp_family::v6>(p, reply);
        ++counters_.rx_malformed;
        return {};
    }

    // The port unreachable error about `offending`, a received datagram no
    // socket wants; `offending_datagram` is its whole IP datagram (bytes past
    // the IP length, link padding, are not quoted). Writes the ICMP message
    // (type 3 code 3, or ICMPv6 type 1 code 4) into `out` and returns its
    // length; send it from the datagram's destination to its source.
    // Errors, each counted:
    //   suppressed    RFC 1122 §3.2.2, RFC 4443 §2.4(e): the datagram went to
    //                 a broadcast or multicast address, came from an address
    //                 that is not one host's (unspecified, multicast, class E),
    //                 is a non-first fragment, or is itself an ICMP error
    //   buffer_too_small  `out` cannot hold the header and the IP header plus
    //                 8 bytes (RFC 792's minimum quote)
    //   rate_limited  no token left in the bucket
    result<std::size_t> port_unreachable(const wire::ip_packet& offending, bytes offending_datagram,
                                         mut_bytes out, instant now) noexcept {
        if (offending.v4) return error_reply<wire::icmp_family::v4>(offending, offending_datagram, out, now);
        return error_reply<wire::icmp_family::v6>(offending, offending_datagram, out, now);
    }

    [[nodiscard]] const icmp_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const icmp_config& config() const noexcept { return cfg_; }

    // Whole errors left in the bucket at `now` (for tests and logs; takes none).
    [[nodiscard]] std::uint64_t tokens(instant now) const noexcept {
        bucket b = bucket_;
        b.refill(cfg_, now);
        return b.credit / unit;
    }

    // RFC 1122 §3.2.2: never an error about a datagram "destined to an IP
    // broadcast or IP multicast address"; RFC 4443 §2.4(e.3) the same for
    // ICMPv6 (multicast). 255.255.255.255 and 224.0.0.0/4; directed
    // broadcasts are the stack's to filter (it knows its subnets).
    [[nodiscard]] static constexpr bool is_broadcast_or_multicast(const wire::ip_address& a) noexcept {
        if (a.is_v4()) return a.v4() == wire::ipv4_address{255, 255, 255, 255} || (a.v4().octets[0] & 0xF0) == 0xE0;
        return a.v6().octets[0] == 0xFF;  // RFC 4291 §2.7: ff00::/8
    }

    // RFC 1122 §3.2.2: nor about a datagram whose source "does not define a
    // single host -- e.g., a zero address, a loopback address, a broadcast
    // address, a multicast address, or a Class E address"; RFC 4443
    // §2.4(e.6): the unspecified address or multicast. Loopback sources are
    // kept: a stack over a loopback link talks to itself and wants its errors.
    [[nodiscard]] static constexpr bool is_single_host(const wire::ip_address& a) noexcept {
        if (a.is_unspecified()) return false;
        if (a.is_v4()) return (a.v4().octets[0] & 0xE0) != 0xE0;  // 224/4 multicast, 240/4 class E and broadcast
        return a.v6().octets[0] != 0xFF;
    }

private:
    // Credit in nano-tokens: a token is 1e9 units and every nanosecond adds
    // errors_per_second units, so the refill is exact in integers whatever
    // the rate and however time is sliced.
    static constexpr std::uint64_t unit = 1'000'000'000;

    struct bucket {
        std::uint64_t credit = 0;
        instant last{};
        bool started = false;

        void refill(const icmp_config& cfg, instant now) noexcept {
            const std::uint64_t cap = std::uint64_t{cfg.error_burst} * unit;  // < 2^62
            if (!started) {  // a full bucket at the first use
                started = true;
                credit = cap;
                last = now;
                return;
            }
            if (now <= last) return;  // a clock that stands still or steps back adds nothing
            const auto elapsed = static_cast<std::uint64_t>((now - last).count());
            last = now;
            if (cfg.errors_per_second == 0 || credit >= cap) {
                credit = credit > cap ? cap : credit;
                return;
            }
            // Time to fill the bucket; past it, no multiplication (it could overflow).
            const std::uint64_t to_full = (cap - credit + cfg.errors_per_second - 1) / cfg.errors_per_second;
            credit = elapsed >= to_full ? cap : credit + elapsed * cfg.errors_per_second;
        }

        [[nodiscard]] bool take(const icmp_config& cfg, instant now) noexcept {
            refill(cfg, now);
            if (cfg.errors_per_second == 0) return false;  // never, whatever the burst
            if (credit < unit) return false;
            credit -= unit;
            return true;
        }
    };

    template <wire::icmp_family F>
    static wire::ip_address src_of(const wire::ip_packet& p) noexcept {
        if constexpr (F == wire::icmp_family::v4) return p.v4->src();
        else return p.v6->src();
    }
    template <wire::icmp_family F>
    static wire::ip_address dst_of(const wire::ip_packet& p) noexcept {
        if constexpr (F == wire::icmp_family::v4) return p.v4->dst();
        else return p.v6->dst();
    }

    // RFC 4443 §2.3: the pseudo-header of the packet that will carry a
    // message of `len` bytes from `src` to `dst`.
    static wire::pseudo_header v6_pseudo(const wire::ip_address& src, const wire::ip_address& dst,
                                         std::size_t len) noexcept {
        return wire::pseudo_header::ipv6(src.v6(), dst.v6(), wire::ip_protocol::icmpv6,
                                         static_cast<std::uint32_t>(len));
    }

    template <wire::icmp_family F>
    input_result input(const wire::ip_packet& p, mut_bytes reply) noexcept {
        using view = wire::basic_icmp_view<F>;
        using checksum::internet;
        const auto v = view::check(p.transport);
        if (!v) {
            ++counters_.rx_malformed;
            return {};
        }
        bool good = false;
        // RFC 792: over the message only; RFC 4443 §2.3: over the pseudo-header
        // (Next Header 58, as parse_ip built it) too.
        if constexpr (F == wire::icmp_family::v4) good = v->template verify_checksum<internet>();
        else good = v->template verify_checksum<internet>(p.pseudo.bytes());
        if (!good) {
            ++counters_.rx_bad_checksum;
            return {};
        }
        switch (v->message()) {
        case wire::icmp_message::echo_request: ++counters_.rx_echo_requests; return echo(p, *v, reply);
        case wire::icmp_message::echo_reply: ++counters_.rx_echo_replies; return {};
        case wire::icmp_message::dest_unreachable: ++counters_.rx_dest_unreachable; break;
        case wire::icmp_message::packet_too_big: ++counters_.rx_packet_too_big; break;
        case wire::icmp_message::time_exceeded: ++counters_.rx_time_exceeded; break;
        case wire::icmp_message::parameter_problem: ++counters_.rx_parameter_problem; break;
        case wire::icmp_message::other:
            if (!v->is_error()) {
                // RFC 4443 §2.4(a): unknown informational messages are discarded.
                ++counters_.rx_other;
                return {};
            }
            ++counters_.rx_other_error;
            // RFC 6633: hosts ignore source quench; a redirect is routing's business, not a flow's.
            if (F == wire::icmp_family::v4) return {};
            break;  // RFC 4443 §2.4(b): an unknown ICMPv6 error goes to the upper layer
        }
        const auto flow = wire::parse_quoted_flow(v->invoking_packet(), F);
        if (!flow) {
            ++counters_.rx_bad_quote;
            return {};
        }
        icmp_flow_error e;
        e.protocol = flow->protocol;
        e.local = flow->src;
        e.remote = flow->dst;
        e.type = v->type();
        e.code = v->code();
        e.quoted_transport = flow->transport;
        e.what = kind_of<F>(*v);
        if (e.what == icmp_flow_error::kind::packet_too_big) e.mtu = v->mtu();
        return {0, e, {}, {}};
    }

    template <wire::icmp_family F>
    static icmp_flow_error::kind kind_of(const wire::basic_icmp_view<F>& v) noexcept {
        using k = icmp_flow_error::kind;
        const std::uint8_t code = v.code();
        switch (v.message()) {
        case wire::icmp_message::packet_too_big: return k::packet_too_big;
        case wire::icmp_message::time_exceeded: return k::time_exceeded;
        case wire::icmp_message::parameter_problem:
            // RFC 4443 §3.4 code 1: the Next Header (the protocol) is not understood there.
            if (F == wire::icmp_family::v6 && code == wire::icmpv6_parameter_problem::unrecognized_next_header)
                return k::protocol_unreachable;
            return k::other;
        case wire::icmp_message::dest_unreachable: break;
        default: return k::other;
        }
        if constexpr (F == wire::icmp_family::v4) {
            namespace c = wire::icmpv4_unreachable;
            switch (code) {
            case c::net:
            case c::net_unknown:
            case c::net_unreachable_for_tos: return k::net_unreachable;
            case c::host:
            case c::host_unknown:
            case c::source_host_isolated:
            case c::host_unreachable_for_tos: return k::host_unreachable;
            case c::protocol: return k::protocol_unreachable;
            case c::port: return k::port_unreachable;
            case c::fragmentation_needed: return k::packet_too_big;  // RFC 1191 §4
            case c::net_prohibited:
            case c::host_prohibited:
            case c::communication_prohibited: return k::admin_prohibited;  // RFC 1812 §5.2.7.1
            default: return k::other;
            }
        } else {
            namespace c = wire::icmpv6_unreachable;
            switch (code) {
            case c::no_route: return k::net_unreachable;
            case c::admin_prohibited:
            case c::source_policy_failed:
            case c::reject_route: return k::admin_prohibited;
            case c::address: return k::host_unreachable;
            case c::port: return k::port_unreachable;
            default: return k::other;
            }
        }
    }

    // RFC 1122 §3.2.2.6, RFC 4443 §4.2: the reply carries the request's
    // identifier, sequence number and data, back to its source.
    template <wire::icmp_family F>
    input_result echo(const wire::ip_packet& p, const wire::basic_icmp_view<F>& v, mut_bytes reply) noexcept {
        const wire::ip_address requester = src_of<F>(p), us = dst_of<F>(p);
        // RFC 1122 §3.2.2.6: an echo to a broadcast or multicast address MAY
        // be discarded, and a reply must come from one of our unicast
        // addresses, which only the stack knows. A source that is not one
        // host cannot be answered.
        const auto r = wire::basic_icmp_repr<F>::echo_reply(v.identifier(), v.sequence(), v.body());
        if (!cfg_.answer_echo || is_broadcast_or_multicast(us) || !is_single_host(requester) ||
            reply.size() < r.buffer_len()) {
            ++counters_.echo_not_answered;
            return {};
        }
        result<std::size_t> n = 0;
        if constexpr (F == wire::icmp_family::v4) n = r.emit(reply, checksum::internet{});
        else n = r.emit(reply, v6_pseudo(us, requester, r.buffer_len()).bytes(), checksum::internet{});
        if (!n) {  // not reachable: the repr is an echo reply and the room was checked
            ++counters_.echo_not_answered;
            return {};
        }
        ++counters_.tx_echo_replies;
        return {*n, std::nullopt, us, requester};
    }

    // Whether a datagram may get an ICMP error at all (RFC 1122 §3.2.2, RFC 4443 §2.4(e)).
    template <wire::icmp_family F>
    static bool may_answer(const wire::ip_packet& p) noexcept {
        if (is_broadcast_or_multicast(dst_of<F>(p)) || !is_single_host(src_of<F>(p))) return false;
        // RFC 1122 §3.2.2: "a datagram fragment other than the first".
        if constexpr (F == wire::icmp_family::v4)
            if (p.v4->fragment_offset() != 0) return false;
        if (p.protocol == wire::icmp_numbers<F>::ip_protocol) {
            // "an ICMP error message": an ICMP message too short to say what it is counts as one.
            const auto v = wire::basic_icmp_view<F>::check(p.transport);
            if (!v || v->is_error()) return false;
            // RFC 4443 §2.4(e.2): nor about a redirect (an informational type for ICMPv6).
            if (F == wire::icmp_family::v6 && v->type() == wire::icmpv6_type::redirect) return false;
        }
        return true;
    }

    template <wire::icmp_family F>
    result<std::size_t> error_reply(const wire::ip_packet& p, bytes datagram, mut_bytes out, instant now) noexcept {
        if (!may_answer<F>(p)) {
            ++counters_.tx_errors_suppressed;
            return errc::suppressed;
        }
        // Link padding past the IP datagram's own length is not the datagram's.
        const bytes packet = F == wire::icmp_family::v4 ? p.v4->datagram() : p.v6->packet();
        if (datagram.size() > packet.size()) datagram = datagram.first(packet.size());
        // RFC 792: at least the IP header (IPv6 extension headers included)
        // and 64 bits of the data; RFC 1812 §4.3.2.3 and RFC 4443 §2.4(c): as
        // much more as fits in 576 / 1280 bytes.
        const auto header_len = static_cast<std::size_t>(p.transport.data() - packet.data());
        const std::size_t max_quote = F == wire::icmp_family::v4 ? v4_max_quote : v6_max_quote;
        std::size_t min_quote = datagram.size() < header_len + 8 ? datagram.size() : header_len + 8;
        if (min_quote > max_quote) min_quote = max_quote;  // IPv6 extension headers longer than 1232 bytes
        if (out.size() < wire::icmp_header_len + min_quote) return errc::buffer_too_small;
        std::size_t quote = datagram.size() < max_quote ? datagram.size() : max_quote;
        if (quote > out.size() - wire::icmp_header_len) quote = out.size() - wire::icmp_header_len;

        if (!bucket_.take(cfg_, now)) {
            ++counters_.tx_errors_rate_limited;
            return errc::rate_limited;
        }
        const auto r = wire::basic_icmp_repr<F>::port_unreachable(datagram.first(quote));
        result<std::size_t> n = 0;
        if constexpr (F == wire::icmp_family::v4) n = r.emit(out, checksum::internet{});
        else n = r.emit(out, v6_pseudo(dst_of<F>(p), src_of<F>(p), r.buffer_len()).bytes(), checksum::internet{});
        if (n) ++counters_.tx_errors;
        return n;
    }

    icmp_config cfg_;
    icmp_counters counters_;
    bucket bucket_;
};

}  // namespace l4::net
