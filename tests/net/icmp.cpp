// The host's ICMP: echo answered, received errors matched to the flow they
// quote, port unreachable quoting as the RFCs say and never where they
// forbid it, and the error rate limit, exact in virtual time.
#include <l4/checksum/internet.hpp>
#include <l4/net/icmp.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/udp.hpp>

#include "../support.hpp"
#include "kernel_icmp.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

using namespace l4::wire;
using namespace std::chrono_literals;
using l4::instant;
using l4::checksum::internet;
using l4::net::icmp;
using l4::net::icmp_flow_error;
using kind = icmp_flow_error::kind;

namespace {

const ipv4_address us4{192, 0, 2, 1}, them4{198, 51, 100, 7};
const ipv6_address us6 = *ipv6_address::from_string("2001:db8::1");
const ipv6_address them6 = *ipv6_address::from_string("2001:db8:ff::7");

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed = 1) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 7);
    return v;
}

std::vector<std::uint8_t> ip4(ipv4_address src, ipv4_address dst, std::uint8_t proto, l4::bytes payload) {
    std::vector<std::uint8_t> out(ipv4_min_header_len + payload.size());
    ipv4_repr ip{.src = src, .dst = dst, .protocol = proto};
    ip.payload_len = static_cast<std::uint16_t>(payload.size());
    REQUIRE(ip.emit(out));
    std::copy(payload.begin(), payload.end(), out.begin() + ipv4_min_header_len);
    return out;
}

std::vector<std::uint8_t> ip6(ipv6_address src, ipv6_address dst, std::uint8_t proto, l4::bytes payload) {
    std::vector<std::uint8_t> out(ipv6_header_len + payload.size());
    ipv6_repr ip{.src = src, .dst = dst, .next_header = proto};
    ip.payload_len = static_cast<std::uint16_t>(payload.size());
    REQUIRE(ip.emit(out));
    std::copy(payload.begin(), payload.end(), out.begin() + ipv6_header_len);
    return out;
}

// A UDP datagram in its IP packet, checksum filled.
std::vector<std::uint8_t> udp_packet(const ip_address& src, std::uint16_t sport, const ip_address& dst,
                                     std::uint16_t dport, l4::bytes payload) {
    const udp_repr u{sport, dport, payload};
    std::vector<std::uint8_t> seg(u.buffer_len());
    const auto len = static_cast<std::uint16_t>(seg.size());
    if (src.is_v4()) {
        REQUIRE(u.emit(seg, pseudo_header::ipv4(src.v4(), dst.v4(), ip_protocol::udp, len).bytes(), internet{}));
        return ip4(src.v4(), dst.v4(), ip_protocol::udp, seg);
    }
    REQUIRE(u.emit(seg, pseudo_header::ipv6(src.v6(), dst.v6(), ip_protocol::udp, len).bytes(), internet{}));
    return ip6(src.v6(), dst.v6(), ip_protocol::udp, seg);
}

// An ICMPv4 message in an IPv4 packet.
std::vector<std::uint8_t> icmp4_packet(ipv4_address src, ipv4_address dst, const icmpv4_repr& m) {
    std::vector<std::uint8_t> msg(m.buffer_len());
    REQUIRE(m.emit(msg, internet{}));
    return ip4(src, dst, ip_protocol::icmp, msg);
}

std::vector<std::uint8_t> icmp6_packet(ipv6_address src, ipv6_address dst, const icmpv6_repr& m) {
    std::vector<std::uint8_t> msg(m.buffer_len());
    const auto ph = pseudo_header::ipv6(src, dst, ip_protocol::icmpv6, static_cast<std::uint32_t>(msg.size()));
    REQUIRE(m.emit(msg, ph.bytes(), internet{}));
    return ip6(src, dst, ip_protocol::icmpv6, msg);
}

ip_packet parsed(const std::vector<std::uint8_t>& datagram) {
    auto p = parse_ip(datagram);
    REQUIRE(p);
    return *p;
}

// Sum of the counters every received packet lands in exactly once.
std::uint64_t rx_total(const l4::net::icmp_counters& c) {
    return c.rx_echo_requests + c.rx_echo_replies + c.rx_dest_unreachable + c.rx_packet_too_big +
           c.rx_time_exceeded + c.rx_parameter_problem + c.rx_other_error + c.rx_other + c.rx_malformed +
           c.rx_bad_checksum;
}

const instant t0 = instant{} + 5s;

}  // namespace

TEST_CASE("icmp: an IPv4 echo request is answered with its identifier, sequence and data", "[net][icmp][echo]") {
    const auto data = pattern(56);
    const auto req = icmp4_packet(them4, us4, icmpv4_repr::echo_request(0x4d2, 7, data));
    icmp host;
    std::array<std::uint8_t, 1500> reply{};
    const auto r = host.on_packet(parsed(req), reply, t0);
    REQUIRE(r.reply_len == 8 + data.size());
    CHECK_FALSE(r.error);
    CHECK(r.src == ip_address{us4});
    CHECK(r.dst == ip_address{them4});
    const auto back = icmpv4_repr::parse(std::span{reply}.first(r.reply_len), internet{});  // checksum verified
    REQUIRE(back);
    CHECK(*back == icmpv4_repr::echo_reply(0x4d2, 7, data));
    CHECK(reply[0] == icmpv4_type::echo_reply);
    CHECK(host.counters().rx_echo_requests == 1);
    CHECK(host.counters().tx_echo_replies == 1);
}

TEST_CASE("icmp: an ICMPv6 echo request is answered, the checksum over the reply's pseudo-header",
          "[net][icmp][echo]") {
    const auto data = pattern(1000, 9);
    const auto req = icmp6_packet(them6, us6, icmpv6_repr::echo_request(1, 65535, data));
    icmp host;
    std::array<std::uint8_t, 1500> reply{};
    const auto r = host.on_packet(parsed(req), reply, t0);
    REQUIRE(r.reply_len == 8 + data.size());
    CHECK(r.src == ip_address{us6});
    CHECK(r.dst == ip_address{them6});
    const auto msg = std::span{reply}.first(r.reply_len);
    const auto ph = pseudo_header::ipv6(us6, them6, ip_protocol::icmpv6, static_cast<std::uint32_t>(msg.size()));
    const auto back = icmpv6_repr::parse(msg, ph.bytes(), internet{});
    REQUIRE(back);
    CHECK(*back == icmpv6_repr::echo_reply(1, 65535, data));
    // The pseudo-header matters: with the addresses swapped it no longer verifies.
    const auto wrong = pseudo_header::ipv6(them6, them6, ip_protocol::icmpv6, static_cast<std::uint32_t>(msg.size()));
    CHECK(icmpv6_repr::parse(msg, wrong.bytes(), internet{}) == l4::errc::bad_checksum);
}

TEST_CASE("icmp: echo requests that are not answered, and why", "[net][icmp][echo]") {
    const auto data = pattern(32);
    std::array<std::uint8_t, 1500> reply{};

    SECTION("a bad checksum is counted and dropped") {
        auto req = icmp4_packet(them4, us4, icmpv4_repr::echo_request(1, 1, data));
        req.back() ^= 1;
        icmp host;
        CHECK(host.on_packet(parsed(req), reply, t0).reply_len == 0);
        CHECK(host.counters().rx_bad_checksum == 1);
        CHECK(host.counters().rx_echo_requests == 0);
    }
    SECTION("an ICMPv6 checksum made without the pseudo-header is bad") {
        icmpv6_repr m = icmpv6_repr::echo_request(1, 1, data);
        std::vector<std::uint8_t> msg(m.buffer_len());
        REQUIRE(m.emit(msg, {}, internet{}));
        icmp host;
        CHECK(host.on_packet(parsed(ip6(them6, us6, ip_protocol::icmpv6, msg)), reply, t0).reply_len == 0);
        CHECK(host.counters().rx_bad_checksum == 1);
    }
    SECTION("answer_echo off") {
        icmp host{{.answer_echo = false}};
        CHECK(host.on_packet(parsed(icmp4_packet(them4, us4, icmpv4_repr::echo_request(1, 1, data))), reply, t0)
                  .reply_len == 0);
        CHECK(host.counters().rx_echo_requests == 1);
        CHECK(host.counters().echo_not_answered == 1);
    }
    SECTION("to a broadcast or multicast address (RFC 1122 §3.2.2.6 MAY discard; the reply needs a unicast source)") {
        icmp host;
        for (auto dst : {ipv4_address{255, 255, 255, 255}, ipv4_address{224, 0, 0, 1}})
            CHECK(host.on_packet(parsed(icmp4_packet(them4, dst, icmpv4_repr::echo_request(1, 1, data))), reply, t0)
                      .reply_len == 0);
        const auto all_nodes = *ipv6_address::from_string("ff02::1");
        CHECK(host.on_packet(parsed(icmp6_packet(them6, all_nodes, icmpv6_repr::echo_request(1, 1, data))), reply, t0)
                  .reply_len == 0);
        CHECK(host.counters().echo_not_answered == 3);
        CHECK(host.counters().tx_echo_replies == 0);
    }
    SECTION("from the unspecified address: nobody to answer") {
        icmp host;
        CHECK(host.on_packet(parsed(icmp4_packet({}, us4, icmpv4_repr::echo_request(1, 1, data))), reply, t0)
                  .reply_len == 0);
        CHECK(host.counters().echo_not_answered == 1);
    }
    SECTION("no room for the whole reply (RFC 1122 §3.2.2.6: all the data is returned)") {
        icmp host;
        std::array<std::uint8_t, 39> small{};
        CHECK(host.on_packet(parsed(icmp4_packet(them4, us4, icmpv4_repr::echo_request(1, 1, data))), small, t0)
                  .reply_len == 0);
        CHECK(host.counters().echo_not_answered == 1);
        std::array<std::uint8_t, 40> exact{};
        CHECK(host.on_packet(parsed(icmp4_packet(them4, us4, icmpv4_repr::echo_request(1, 1, data))), exact, t0)
                  .reply_len == 40);
    }
}

TEST_CASE("icmp: a port unreachable quoting our IPv4 UDP datagram names its flow", "[net][icmp][error]") {
    // We sent 192.0.2.1:40000 -> 198.51.100.7:53; they answer with the quote.
    const auto ours = udp_packet(us4, 40000, them4, 53, pattern(100));
    icmp host;
    std::array<std::uint8_t, 1500> reply{};

    for (std::size_t quoted : {ours.size(), std::size_t{20 + 8}}) {  // all of it, or RFC 792's minimum
        INFO("quoted " << quoted);
        const auto err = icmp4_packet(them4, us4, icmpv4_repr::port_unreachable(std::span{ours}.first(quoted)));
        const auto r = host.on_packet(parsed(err), reply, t0);
        CHECK(r.reply_len == 0);
        REQUIRE(r.error);
        CHECK(r.error->protocol == ip_protocol::udp);
        CHECK(r.error->local == socket_address{us4, 40000});
        CHECK(r.error->remote == socket_address{them4, 53});
        CHECK(r.error->what == kind::port_unreachable);
        CHECK(r.error->quoted_transport.size() == quoted - 20);
    }

    SECTION("fragmentation needed carries the next-hop MTU (RFC 1191)") {
        const auto err = icmp4_packet(them4, us4, icmpv4_repr::packet_too_big(1400, std::span{ours}.first(28)));
        const auto r = host.on_packet(parsed(err), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::packet_too_big);
        CHECK(r.error->mtu == 1400);
    }
    SECTION("host unreachable and time exceeded") {
        auto r = host.on_packet(
            parsed(icmp4_packet(them4, us4, icmpv4_repr::dest_unreachable(icmpv4_unreachable::host, ours))), reply,
            t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::host_unreachable);
        r = host.on_packet(parsed(icmp4_packet(them4, us4, icmpv4_repr::time_exceeded(0, ours))), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::time_exceeded);
        CHECK(host.counters().rx_time_exceeded == 1);
    }
    SECTION("a quote too short to hold both ports is counted and ignored") {
        const auto err = icmp4_packet(them4, us4, icmpv4_repr::port_unreachable(std::span{ours}.first(23)));
        const auto r = host.on_packet(parsed(err), reply, t0);
        CHECK_FALSE(r.error);
        CHECK(host.counters().rx_bad_quote == 1);
        CHECK(host.counters().rx_dest_unreachable == 3);
    }
    SECTION("source quench is ignored (RFC 6633)") {
        icmpv4_repr sq = icmpv4_repr::dest_unreachable(0, ours);
        sq.type = icmpv4_type::source_quench;
        std::vector<std::uint8_t> msg(sq.buffer_len());
        REQUIRE(sq.emit_unchecked(msg) == l4::errc::unknown_message);  // not a type the repr represents
        msg = std::vector<std::uint8_t>(8 + ours.size());
        msg[0] = icmpv4_type::source_quench;
        std::copy(ours.begin(), ours.end(), msg.begin() + 8);
        fill_checksum<internet>({}, msg, icmp_checksum_offset);
        const auto r = host.on_packet(parsed(ip4(them4, us4, ip_protocol::icmp, msg)), reply, t0);
        CHECK_FALSE(r.error);
        CHECK(host.counters().rx_other_error == 1);
    }
    CHECK(rx_total(host.counters()) == host.counters().rx_dest_unreachable + host.counters().rx_time_exceeded +
                                           host.counters().rx_other_error);
}

TEST_CASE("icmp: ICMPv6 errors quoting our UDP datagram name its flow", "[net][icmp][error]") {
    const auto ours = udp_packet(us6, 40001, them6, 5353, pattern(300));
    icmp host;
    std::array<std::uint8_t, 1500> reply{};

    for (std::size_t quoted : {ours.size(), std::size_t{40 + 8}}) {
        INFO("quoted " << quoted);
        const auto err = icmp6_packet(them6, us6, icmpv6_repr::port_unreachable(std::span{ours}.first(quoted)));
        const auto r = host.on_packet(parsed(err), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->protocol == ip_protocol::udp);
        CHECK(r.error->local == socket_address{us6, 40001});
        CHECK(r.error->remote == socket_address{them6, 5353});
        CHECK(r.error->what == kind::port_unreachable);
        CHECK(r.error->type == icmpv6_type::dest_unreachable);
        CHECK(r.error->code == icmpv6_unreachable::port);
    }
    SECTION("packet too big carries the MTU") {
        const auto r =
            host.on_packet(parsed(icmp6_packet(them6, us6, icmpv6_repr::packet_too_big(1280, ours))), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::packet_too_big);
        CHECK(r.error->mtu == 1280);
        CHECK(host.counters().rx_packet_too_big == 1);
    }
    SECTION("admin prohibited, and an unknown error type still reaches the flow (RFC 4443 §2.4(b))") {
        auto r = host.on_packet(
            parsed(icmp6_packet(them6, us6, icmpv6_repr::dest_unreachable(icmpv6_unreachable::admin_prohibited, ours))),
            reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::admin_prohibited);
        std::vector<std::uint8_t> msg(8 + ours.size());
        msg[0] = 100;  // an error type (below 128) nobody assigned to us
        std::copy(ours.begin(), ours.end(), msg.begin() + 8);
        fill_checksum<internet>(pseudo_header::ipv6(them6, us6, ip_protocol::icmpv6, static_cast<std::uint32_t>(msg.size())).bytes(),
                                msg, icmp_checksum_offset);
        r = host.on_packet(parsed(ip6(them6, us6, ip_protocol::icmpv6, msg)), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::other);
        CHECK(r.error->local == socket_address{us6, 40001});
    }
    SECTION("a quote too short to hold both ports is counted and ignored") {
        const auto r = host.on_packet(
            parsed(icmp6_packet(them6, us6, icmpv6_repr::port_unreachable(std::span{ours}.first(43)))), reply, t0);
        CHECK_FALSE(r.error);
        CHECK(host.counters().rx_bad_quote == 1);
    }
    SECTION("informational messages other than echo are counted as other (RFC 4443 §2.4(a))") {
        std::vector<std::uint8_t> msg(24);
        msg[0] = 135;  // neighbour solicitation
        fill_checksum<internet>(pseudo_header::ipv6(them6, us6, ip_protocol::icmpv6, 24).bytes(), msg,
                                icmp_checksum_offset);
        const auto r = host.on_packet(parsed(ip6(them6, us6, ip_protocol::icmpv6, msg)), reply, t0);
        CHECK_FALSE(r.error);
        CHECK(r.reply_len == 0);
        CHECK(host.counters().rx_other == 1);
    }
}

TEST_CASE("icmp: malformed ICMP is counted, never read past its end", "[net][icmp][errors]") {
    icmp host;
    std::array<std::uint8_t, 1500> reply{};
    const std::array<std::uint8_t, 7> seven{8, 0, 0, 0, 0, 0, 0};
    CHECK(host.on_packet(parsed(ip4(them4, us4, ip_protocol::icmp, seven)), reply, t0).reply_len == 0);
    // ICMPv4's number in an IPv6 packet (and ICMPv6's in IPv4) is not ICMP of that version.
    std::vector<std::uint8_t> msg(8);
    msg[0] = icmpv4_type::echo_request;
    fill_checksum<internet>({}, msg, icmp_checksum_offset);
    CHECK(host.on_packet(parsed(ip6(them6, us6, ip_protocol::icmp, msg)), reply, t0).reply_len == 0);
    CHECK(host.on_packet(parsed(ip4(them4, us4, ip_protocol::icmpv6, msg)), reply, t0).reply_len == 0);
    CHECK(host.counters().rx_malformed == 3);
    CHECK(rx_total(host.counters()) == 3);
}

TEST_CASE("icmp: port unreachable quotes as much of an IPv4 datagram as fits in 576 bytes", "[net][icmp][unreachable]") {
    icmp host;
    std::array<std::uint8_t, 2000> out{};

    SECTION("a long datagram: 548 bytes quoted, 576 with the IP and ICMP headers (RFC 1812 §4.3.2.3)") {
        const auto dgram = udp_packet(them4, 5000, us4, 9, pattern(1200));
        const auto n = host.port_unreachable(parsed(dgram), dgram, out, t0);
        REQUIRE(n);
        CHECK(*n == 8 + 548);
        CHECK(ipv4_min_header_len + *n == 576);
        const auto m = icmpv4_repr::parse(std::span{out}.first(*n), internet{});
        REQUIRE(m);
        CHECK(m->type == icmpv4_type::dest_unreachable);
        CHECK(m->code == icmpv4_unreachable::port);
        CHECK(std::ranges::equal(m->data, std::span{dgram}.first(548)));
        CHECK(host.counters().tx_errors == 1);
    }
    SECTION("a short datagram is quoted whole; link padding past Total Length is not") {
        auto dgram = udp_packet(them4, 5000, us4, 9, pattern(5));
        const std::size_t len = dgram.size();
        dgram.resize(60, 0);  // an Ethernet frame's padding
        const auto n = host.port_unreachable(parsed(dgram), dgram, out, t0);
        REQUIRE(n);
        CHECK(*n == 8 + len);
        CHECK(std::ranges::equal(std::span{out}.subspan(8, len), std::span{dgram}.first(len)));
    }
    SECTION("a small buffer quotes less, but never under the IP header and 8 bytes (RFC 792)") {
        const auto dgram = udp_packet(them4, 5000, us4, 9, pattern(100));
        auto n = host.port_unreachable(parsed(dgram), dgram, std::span{out}.first(8 + 28), t0);
        REQUIRE(n);
        CHECK(*n == 36);
        CHECK(host.port_unreachable(parsed(dgram), dgram, std::span{out}.first(35), t0) == l4::errc::buffer_too_small);
    }
    SECTION("the peer that receives it finds its own flow in it") {
        const auto dgram = udp_packet(them4, 5000, us4, 9, pattern(100));
        const auto n = host.port_unreachable(parsed(dgram), dgram, out, t0);
        REQUIRE(n);
        // Sent from the datagram's destination to its source.
        const auto err = ip4(us4, them4, ip_protocol::icmp, std::span{out}.first(*n));
        icmp peer;
        std::array<std::uint8_t, 64> reply{};
        const auto r = peer.on_packet(parsed(err), reply, t0);
        REQUIRE(r.error);
        CHECK(r.error->what == kind::port_unreachable);
        CHECK(r.error->local == socket_address{them4, 5000});
        CHECK(r.error->remote == socket_address{us4, 9});
    }
}

TEST_CASE("icmp: port unreachable quotes as much of an IPv6 packet as fits in 1280 bytes", "[net][icmp][unreachable]") {
    icmp host;
    std::array<std::uint8_t, 2000> out{};
    const auto dgram = udp_packet(them6, 5000, us6, 9, pattern(1400));
    const auto n = host.port_unreachable(parsed(dgram), dgram, out, t0);
    REQUIRE(n);
    CHECK(*n == 8 + 1232);
    CHECK(ipv6_header_len + *n == 1280);  // RFC 4443 §2.4(c): the minimum IPv6 MTU
    // Sent from the datagram's destination (us) to its source: that is the pseudo-header.
    const auto msg = std::span{out}.first(*n);
    const auto ph = pseudo_header::ipv6(us6, them6, ip_protocol::icmpv6, static_cast<std::uint32_t>(*n));
    const auto m = icmpv6_repr::parse(msg, ph.bytes(), internet{});
    REQUIRE(m);
    CHECK(m->type == icmpv6_type::dest_unreachable);
    CHECK(m->code == icmpv6_unreachable::port);
    CHECK(std::ranges::equal(m->data, std::span{dgram}.first(1232)));

    const auto small = udp_packet(them6, 5000, us6, 9, pattern(3));
    const auto k = host.port_unreachable(parsed(small), small, out, t0);
    REQUIRE(k);
    CHECK(*k == 8 + small.size());
}

TEST_CASE("icmp: never an error about broadcast, multicast, a non-host source or an ICMP error",
          "[net][icmp][unreachable]") {
    icmp host;
    std::array<std::uint8_t, 1500> out{};
    const auto payload = pattern(10);
    auto refused = [&](const std::vector<std::uint8_t>& d) {
        return host.port_unreachable(parsed(d), d, out, t0) == l4::errc::suppressed;
    };
    // RFC 1122 §3.2.2: to a broadcast or multicast address.
    CHECK(refused(udp_packet(them4, 68, ipv4_address{255, 255, 255, 255}, 67, payload)));
    CHECK(refused(udp_packet(them4, 5353, ipv4_address{224, 0, 0, 251}, 5353, payload)));
    CHECK(refused(udp_packet(them4, 5353, ipv4_address{239, 255, 255, 250}, 1900, payload)));
    // From an address that is not one host: zero, multicast, class E, broadcast.
    CHECK(refused(udp_packet(ipv4_address{}, 68, us4, 67, payload)));
    CHECK(refused(udp_packet(ipv4_address{224, 0, 0, 5}, 1, us4, 2, payload)));
    CHECK(refused(udp_packet(ipv4_address{240, 0, 0, 1}, 1, us4, 2, payload)));
    CHECK(refused(udp_packet(ipv4_address{255, 255, 255, 255}, 1, us4, 2, payload)));
    // RFC 4443 §2.4(e): IPv6 multicast destination, unspecified or multicast source.
    CHECK(refused(udp_packet(them6, 5353, *ipv6_address::from_string("ff02::fb"), 5353, payload)));
    CHECK(refused(udp_packet(ipv6_address{}, 546, us6, 547, payload)));
    CHECK(refused(udp_packet(*ipv6_address::from_string("ff05::2"), 1, us6, 2, payload)));
    // An ICMP error (both versions), and a datagram too short to say whether it is one.
    const auto quoted = udp_packet(us4, 1, them4, 2, payload);
    CHECK(refused(icmp4_packet(them4, us4, icmpv4_repr::port_unreachable(quoted))));
    const auto quoted6 = udp_packet(us6, 1, them6, 2, payload);
    CHECK(refused(icmp6_packet(them6, us6, icmpv6_repr::time_exceeded(0, quoted6))));
    CHECK(refused(ip4(them4, us4, ip_protocol::icmp, std::array<std::uint8_t, 4>{3, 3, 0, 0})));
    CHECK(host.counters().tx_errors_suppressed == 13);
    CHECK(host.counters().tx_errors == 0);
    CHECK(host.counters().tx_errors_rate_limited == 0);
    CHECK(host.tokens(t0) == 50);  // suppression costs no token

    // What is allowed: an echo request is not an error; a unicast UDP datagram from a host.
    const auto ping = icmp4_packet(them4, us4, icmpv4_repr::echo_request(1, 1, payload));
    CHECK(host.port_unreachable(parsed(ping), ping, out, t0));
    const auto fine = udp_packet(them4, 1, us4, 2, payload);
    CHECK(host.port_unreachable(parsed(fine), fine, out, t0));
    CHECK(host.counters().tx_errors == 2);
}

TEST_CASE("icmp: errors are rate limited by a token bucket: the burst, then the rate", "[net][icmp][rate]") {
    icmp host{{.errors_per_second = 1000, .error_burst = 50}};
    std::array<std::uint8_t, 1500> out{};
    const auto d = udp_packet(them4, 1, us4, 2, pattern(10));
    const auto p = parsed(d);
    auto send = [&](instant t) { return host.port_unreachable(p, d, out, t).has_value(); };

    // The burst: 50 at once, then nothing.
    for (int i = 0; i < 50; ++i) REQUIRE(send(t0));
    CHECK(host.port_unreachable(p, d, out, t0) == l4::errc::rate_limited);
    // One token per millisecond, not a nanosecond earlier.
    CHECK_FALSE(send(t0 + 999'999ns));
    CHECK(send(t0 + 1ms));
    CHECK_FALSE(send(t0 + 1ms));
    // Attempts every 100 µs for 10 s: exactly one token per millisecond gets through.
    std::uint64_t sent = 0;
    for (int k = 1; k <= 100'000; ++k) sent += send(t0 + 1ms + k * 100us);
    CHECK(sent == 10'000);
    // Idle for an hour: the bucket holds the burst, no more.
    CHECK(host.tokens(t0 + 1h) == 50);
    const auto& c = host.counters();
    CHECK(c.tx_errors == 50 + 1 + 10'000);
    CHECK(c.tx_errors_rate_limited == 1 + 1 + 1 + (100'000 - 10'000));
}

TEST_CASE("icmp: the token bucket is exact at rates that do not divide a second", "[net][icmp][rate]") {
    // 3 per second: a token every 333 333 333.3 ns. Integer credit keeps the
    // third of a nanosecond, so 1000 s give exactly 3000 tokens. (The burst
    // is 2 so that the bucket never fills: a full bucket rightly drops what
    // would overflow it.)
    icmp host{{.errors_per_second = 3, .error_burst = 2}};
    std::array<std::uint8_t, 1500> out{};
    const auto d = udp_packet(them6, 1, us6, 2, pattern(10));
    const auto p = parsed(d);
    auto send = [&](instant t) { return host.port_unreachable(p, d, out, t).has_value(); };
    REQUIRE(send(t0));
    REQUIRE(send(t0));
    CHECK_FALSE(send(t0 + 333'333'333ns));
    CHECK(send(t0 + 333'333'334ns));
    std::uint64_t sent = 0;
    for (int k = 1; k <= 1'000'000; ++k) sent += send(t0 + 333'333'334ns + k * 1ms);
    CHECK(sent == 3000);
    // Time that stands still or steps back adds nothing.
    const instant end = t0 + 333'333'334ns + 1000s;
    CHECK_FALSE(send(end - 1s));
}

TEST_CASE("icmp: errors_per_second 0 sends no error at all", "[net][icmp][rate]") {
    icmp host{{.errors_per_second = 0}};
    std::array<std::uint8_t, 1500> out{};
    const auto d = udp_packet(them4, 1, us4, 2, pattern(10));
    for (int i = 0; i < 3; ++i) CHECK(host.port_unreachable(parsed(d), d, out, t0 + i * 1s) == l4::errc::rate_limited);
    CHECK(host.counters().tx_errors == 0);
    CHECK(host.counters().tx_errors_rate_limited == 3);
}

TEST_CASE("icmp: our echo replies and port unreachables are byte for byte the Linux kernel's", "[net][icmp][kernel]") {
    namespace k = l4::test::kernel_icmp;
    icmp host;
    std::array<std::uint8_t, 1500> out{};
    auto r = host.on_packet(parsed(k::echo_request_v4), out, t0);
    CHECK(std::ranges::equal(std::span{out}.first(r.reply_len), std::span{k::echo_reply_v4}.subspan(20)));
    r = host.on_packet(parsed(k::echo_request_v6), out, t0);
    CHECK(std::ranges::equal(std::span{out}.first(r.reply_len), std::span{k::echo_reply_v6}.subspan(40)));

    auto n = host.port_unreachable(parsed(k::udp_to_closed_v4), k::udp_to_closed_v4, out, t0);
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{out}.first(*n), std::span{k::port_unreachable_v4}.subspan(20)));
    n = host.port_unreachable(parsed(k::udp_to_closed_v6), k::udp_to_closed_v6, out, t0);
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{out}.first(*n), std::span{k::port_unreachable_v6}.subspan(40)));

    // And the kernel's errors name the flow of the datagram that caused them.
    const auto e = host.on_packet(parsed(k::port_unreachable_v6), out, t0);
    REQUIRE(e.error);
    CHECK(e.error->what == kind::port_unreachable);
    CHECK(e.error->local.port == 40001);
    CHECK(e.error->remote.port == 9);
}
