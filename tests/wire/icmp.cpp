// ICMP and ICMPv6: the four wire tests against messages the Linux kernel
// sent, the quoted flow of an error, malformed input, a round-trip property,
// and tshark's verdict on every kind of message we emit.
#include <l4/checksum/internet.hpp>
#include <l4/wire/icmp.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pcap.hpp>
#include <l4/wire/pseudo_header.hpp>

#include "../net/kernel_icmp.hpp"
#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace l4::wire;
using l4::checksum::internet;
namespace k = l4::test::kernel_icmp;

namespace {

ip_packet parsed(const std::vector<std::uint8_t>& datagram) {
    auto p = parse_ip(datagram);
    REQUIRE(p);
    return *p;
}

// The ICMPv6 pseudo-header of a message of `len` bytes between two addresses.
pseudo_header ph6(const ipv6_address& src, const ipv6_address& dst, std::size_t len) {
    return pseudo_header::ipv6(src, dst, ip_protocol::icmpv6, static_cast<std::uint32_t>(len));
}

const ipv6_address loopback6 = *ipv6_address::from_string("::1");

}  // namespace

TEST_CASE("icmp: fields of the kernel's echo request and reply", "[icmp]") {
    const auto req = parsed(k::echo_request_v4);
    REQUIRE(req.protocol == ip_protocol::icmp);
    auto v = icmpv4_view::check(req.transport);
    REQUIRE(v);
    CHECK(v->type() == icmpv4_type::echo_request);
    CHECK(v->code() == 0);
    CHECK(v->checksum() == 0x38ac);
    CHECK(v->identifier() == 27154);
    CHECK(v->sequence() == 1);
    CHECK(v->message() == icmp_message::echo_request);
    CHECK_FALSE(v->is_error());
    CHECK(std::ranges::equal(v->body(), k::ping_data));
    CHECK(v->verify_checksum<internet>());

    const auto rep = parsed(k::echo_reply_v4);
    v = icmpv4_view::check(rep.transport);
    REQUIRE(v);
    CHECK(v->message() == icmp_message::echo_reply);
    CHECK(v->checksum() == 0x40ac);
    CHECK(v->verify_checksum<internet>());

    const auto req6 = parsed(k::echo_request_v6);
    REQUIRE(req6.protocol == ip_protocol::icmpv6);
    auto v6 = icmpv6_view::check(req6.transport);
    REQUIRE(v6);
    CHECK(v6->type() == icmpv6_type::echo_request);
    CHECK(v6->checksum() == 0x5449);
    CHECK(v6->identifier() == 27155);
    CHECK(v6->sequence() == 1);
    CHECK(std::ranges::equal(v6->body(), k::ping6_data));
    // RFC 4443 §2.3: the pseudo-header is part of the sum; without it the check fails.
    CHECK(v6->verify_checksum<internet>(req6.pseudo.bytes()));
    CHECK_FALSE(v6->verify_checksum<internet>({}));
    CHECK(icmpv6_view::check(parsed(k::echo_reply_v6).transport)->verify_checksum<internet>(
        parsed(k::echo_reply_v6).pseudo.bytes()));
}

TEST_CASE("icmp: fields of the kernel's port unreachable, and the flow it quotes", "[icmp]") {
    const auto p = parsed(k::port_unreachable_v4);
    const auto v = icmpv4_view::check(p.transport);
    REQUIRE(v);
    CHECK(v->type() == icmpv4_type::dest_unreachable);
    CHECK(v->code() == icmpv4_unreachable::port);
    CHECK(v->checksum() == 0x1eb3);
    CHECK(v->is_error());
    CHECK(v->extension_length() == 0);
    CHECK(std::ranges::equal(v->invoking_packet(), k::udp_to_closed_v4));
    CHECK(v->verify_checksum<internet>());
    const auto f = parse_quoted_flow(v->invoking_packet(), icmp_family::v4);
    REQUIRE(f);
    CHECK(f->protocol == ip_protocol::udp);
    CHECK(f->src == socket_address{ipv4_address{127, 0, 0, 1}, 40000});
    CHECK(f->dst == socket_address{ipv4_address{127, 0, 0, 1}, 9});
    CHECK(f->transport.size() == 13);

    const auto p6 = parsed(k::port_unreachable_v6);
    const auto v6 = icmpv6_view::check(p6.transport);
    REQUIRE(v6);
    CHECK(v6->type() == icmpv6_type::dest_unreachable);
    CHECK(v6->code() == icmpv6_unreachable::port);
    CHECK(v6->checksum() == 0xd118);
    CHECK(v6->verify_checksum<internet>(p6.pseudo.bytes()));
    const auto f6 = parse_quoted_flow(v6->invoking_packet(), icmp_family::v6);
    REQUIRE(f6);
    CHECK(f6->src == socket_address{loopback6, 40001});
    CHECK(f6->dst == socket_address{loopback6, 9});
}

TEST_CASE("icmp: build and emit give the kernel's bytes", "[icmp]") {
    std::array<std::uint8_t, 256> buf{};
    auto n = icmpv4_repr::echo_request(27154, 1, k::ping_data).emit(buf, internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), std::span{k::echo_request_v4}.subspan(20)));
    n = icmpv4_repr::echo_reply(27154, 1, k::ping_data).emit(buf, internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), std::span{k::echo_reply_v4}.subspan(20)));
    n = icmpv4_repr::port_unreachable(k::udp_to_closed_v4).emit(buf, internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), std::span{k::port_unreachable_v4}.subspan(20)));

    const auto req6 = icmpv6_repr::echo_request(27155, 1, k::ping6_data);
    n = req6.emit(buf, ph6(loopback6, loopback6, req6.buffer_len()).bytes(), internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), std::span{k::echo_request_v6}.subspan(40)));
    const auto un6 = icmpv6_repr::port_unreachable(k::udp_to_closed_v6);
    n = un6.emit(buf, ph6(loopback6, loopback6, un6.buffer_len()).bytes(), internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), std::span{k::port_unreachable_v6}.subspan(40)));
}

TEST_CASE("icmp: parse gives the repr that emits the same bytes", "[icmp]") {
    const auto req = parsed(k::echo_request_v4);
    const auto r = icmpv4_repr::parse(req.transport, internet{});
    REQUIRE(r);
    CHECK(*r == icmpv4_repr::echo_request(27154, 1, k::ping_data));

    const auto un = parsed(k::port_unreachable_v4);
    const auto u = icmpv4_repr::parse(un.transport, internet{});
    REQUIRE(u);
    CHECK(*u == icmpv4_repr::port_unreachable(k::udp_to_closed_v4));
    CHECK(u->message() == icmp_message::dest_unreachable);

    const auto un6 = parsed(k::port_unreachable_v6);
    const auto u6 = icmpv6_repr::parse(un6.transport, un6.pseudo.bytes(), internet{});
    REQUIRE(u6);
    CHECK(*u6 == icmpv6_repr::port_unreachable(k::udp_to_closed_v6));

    std::vector<std::uint8_t> out(u6->buffer_len());
    REQUIRE(u6->emit(out, un6.pseudo.bytes(), internet{}));
    CHECK(std::ranges::equal(out, un6.transport));
}

TEST_CASE("icmp: the MTU and pointer fields where each version keeps them", "[icmp]") {
    const auto quote4 = k::udp_to_closed_v4;
    std::array<std::uint8_t, 256> buf{};

    // RFC 1191 §4: fragmentation needed, next-hop MTU in the low 16 bits.
    auto n = icmpv4_repr::packet_too_big(1400, quote4).emit(buf, internet{});
    REQUIRE(n);
    CHECK(buf[0] == 3);
    CHECK(buf[1] == 4);
    CHECK(l4::load_be16(buf.data() + 6) == 1400);
    auto v = icmpv4_view::check(std::span{buf}.first(*n));
    CHECK(v->mtu() == 1400);
    CHECK(icmpv4_repr::parse(std::span{buf}.first(*n), internet{})->mtu == 1400);

    // RFC 792: parameter problem, pointer in byte 4.
    n = icmpv4_repr::parameter_problem(0, 9, quote4).emit(buf, internet{});
    REQUIRE(n);
    CHECK(buf[4] == 9);
    CHECK(icmpv4_repr::parse(std::span{buf}.first(*n), internet{})->pointer == 9);

    // RFC 4443 §3.2 and §3.4: 32-bit MTU and pointer.
    const auto quote6 = k::udp_to_closed_v6;
    auto ptb = icmpv6_repr::packet_too_big(1280, quote6);
    n = ptb.emit(buf, ph6(loopback6, loopback6, ptb.buffer_len()).bytes(), internet{});
    REQUIRE(n);
    CHECK(buf[0] == 2);
    CHECK(l4::load_be32(buf.data() + 4) == 1280);
    CHECK(icmpv6_view::check(std::span{buf}.first(*n))->mtu() == 1280);
    auto pp = icmpv6_repr::parameter_problem(icmpv6_parameter_problem::unrecognized_next_header, 6, quote6);
    n = pp.emit(buf, ph6(loopback6, loopback6, pp.buffer_len()).bytes(), internet{});
    REQUIRE(n);
    CHECK(l4::load_be32(buf.data() + 4) == 6);
    const auto back = icmpv6_repr::parse(std::span{buf}.first(*n), ph6(loopback6, loopback6, *n).bytes(), internet{});
    REQUIRE(back);
    CHECK(*back == pp);
}

TEST_CASE("icmp: an RFC 4884 length marks where the quote ends and the extension begins", "[icmp]") {
    // A time exceeded quoting 128 bytes (32 words), then an 8-byte extension.
    std::vector<std::uint8_t> body(128 + 8, 0xEE);
    std::copy(k::udp_to_closed_v4.begin(), k::udp_to_closed_v4.end(), body.begin());
    std::vector<std::uint8_t> msg(8 + body.size());
    REQUIRE(icmpv4_repr::time_exceeded(0, body).emit(msg, internet{}));
    msg[5] = 32;
    auto v = icmpv4_view::check(msg);
    CHECK(v->extension_length() == 128);
    CHECK(v->invoking_packet().size() == 128);
    CHECK(v->body().size() == 136);
    // A length past the end is ignored (RFC 4884 §5): the whole body is the quote.
    msg[5] = 200;
    CHECK(icmpv4_view::check(msg)->invoking_packet().size() == 136);
    // ICMPv6 counts 64-bit words.
    std::vector<std::uint8_t> msg6(8 + body.size());
    std::copy(k::udp_to_closed_v6.begin(), k::udp_to_closed_v6.end(), body.begin());
    REQUIRE(icmpv6_repr::time_exceeded(0, body).emit(msg6, {}, internet{}));
    msg6[4] = 16;
    CHECK(icmpv6_view::check(msg6)->invoking_packet().size() == 128);
}

TEST_CASE("icmp: malformed messages are refused with the reason", "[icmp][errors]") {
    const std::vector<std::uint8_t> msg{k::echo_request_v4.begin() + 20, k::echo_request_v4.end()};
    CHECK(icmpv4_view::check(std::span{msg}.first(7)).error() == l4::errc::truncated);
    CHECK(icmpv4_repr::parse(std::span{msg}.first(7)).error() == l4::errc::truncated);
    CHECK(icmpv4_view::check(std::span{msg}.first(8)));  // an echo without data is fine

    auto bad = msg;
    bad.back() ^= 0x40;
    CHECK(icmpv4_repr::parse(bad, internet{}).error() == l4::errc::bad_checksum);
    CHECK(icmpv4_repr::parse(bad));  // the checksum is not looked at without a strategy

    bad = msg;
    bad[1] = 1;  // RFC 792: echo has code 0
    CHECK(icmpv4_repr::parse(bad).error() == l4::errc::unknown_message);
    bad[0] = 13;  // timestamp: not represented
    bad[1] = 0;
    CHECK(icmpv4_repr::parse(bad).error() == l4::errc::unknown_message);
    CHECK(icmpv4_view::check(bad)->message() == icmp_message::other);

    // An error must quote at least an IP header of its own version.
    std::array<std::uint8_t, 64> buf{};
    auto n = icmpv4_repr::port_unreachable(std::span{k::udp_to_closed_v4}.first(19)).emit(buf, internet{});
    REQUIRE(n);
    CHECK(icmpv4_repr::parse(std::span{buf}.first(*n)).error() == l4::errc::truncated);
    n = icmpv4_repr::port_unreachable(std::span{k::udp_to_closed_v6}.first(20)).emit(buf, internet{});
    REQUIRE(n);
    CHECK(icmpv4_repr::parse(std::span{buf}.first(*n)).error() == l4::errc::unsupported_version);
}

TEST_CASE("icmp: emit refuses what it cannot write", "[icmp][errors]") {
    std::array<std::uint8_t, 64> buf{};
    const auto data = std::span{k::ping_data};
    CHECK(icmpv4_repr::echo_request(1, 2, data).emit(std::span{buf}.first(23), internet{}) ==
          l4::errc::buffer_too_small);
    CHECK(icmpv4_repr::echo_request(1, 2, data).emit(std::span{buf}.first(24), internet{}));

    auto r = icmpv4_repr::echo_request(1, 2, data);
    r.mtu = 1500;  // an echo carries no MTU
    CHECK(r.emit(buf, internet{}) == l4::errc::value_out_of_range);
    CHECK(icmpv4_repr::packet_too_big(0x10000, {}).emit(buf, internet{}) == l4::errc::value_out_of_range);
    CHECK(icmpv6_repr::packet_too_big(0x10000, {}).emit(buf, {}, internet{}));  // 32 bits in ICMPv6
    CHECK(icmpv4_repr::parameter_problem(0, 256, {}).emit(buf, internet{}) == l4::errc::value_out_of_range);
    auto e = icmpv4_repr::port_unreachable({});
    e.identifier = 1;
    CHECK(e.emit(buf, internet{}) == l4::errc::value_out_of_range);
    icmpv4_repr ts{};
    ts.type = 13;
    CHECK(ts.emit(buf, internet{}) == l4::errc::unknown_message);
}

TEST_CASE("icmp: the quoted flow of an error, and quotes that name none", "[icmp][errors]") {
    const auto q4 = k::udp_to_closed_v4;
    // RFC 792's minimum: the IP header and 8 bytes. The ports need only 4.
    CHECK(parse_quoted_flow(std::span{q4}.first(28), icmp_family::v4));
    CHECK(parse_quoted_flow(std::span{q4}.first(24), icmp_family::v4));
    CHECK(parse_quoted_flow(std::span{q4}.first(23), icmp_family::v4).error() == l4::errc::truncated);
    CHECK(parse_quoted_flow(std::span{q4}.first(19), icmp_family::v4).error() == l4::errc::truncated);
    CHECK(parse_quoted_flow({}, icmp_family::v4).error() == l4::errc::truncated);
    CHECK(parse_quoted_flow(q4, icmp_family::v6).error() == l4::errc::unsupported_version);
    auto bad = q4;
    bad[0] = 0x44;  // IHL 4
    CHECK(parse_quoted_flow(bad, icmp_family::v4).error() == l4::errc::bad_header_length);
    bad = q4;
    bad[0] = 0x46;  // IHL 6: the "ports" would be past a 4-byte option, which this quote lacks
    CHECK(parse_quoted_flow(std::span{bad}.first(24), icmp_family::v4).error() == l4::errc::truncated);
    bad = q4;
    bad[7] = 0x10;  // a fragment at offset 128: no UDP header in it
    CHECK(parse_quoted_flow(bad, icmp_family::v4).error() == l4::errc::fragment);
    bad = q4;
    bad[9] = ip_protocol::icmp;
    CHECK(parse_quoted_flow(bad, icmp_family::v4).error() == l4::errc::unknown_protocol);
    bad[9] = ip_protocol::tcp;
    CHECK(parse_quoted_flow(bad, icmp_family::v4)->protocol == ip_protocol::tcp);

    // IPv6 with a Hop-by-Hop header and an atomic Fragment header before UDP.
    const auto& q6 = k::udp_to_closed_v6;
    std::vector<std::uint8_t> chain(q6.begin(), q6.begin() + 40);
    chain[6] = ip_protocol::hop_by_hop;
    const std::array<std::uint8_t, 8> hbh{ip_protocol::fragment, 0, 1, 4, 0, 0, 0, 0};
    const std::array<std::uint8_t, 8> frag{ip_protocol::udp, 0, 0, 0, 0, 0, 0, 1};
    chain.insert(chain.end(), hbh.begin(), hbh.end());
    chain.insert(chain.end(), frag.begin(), frag.end());
    chain.insert(chain.end(), q6.begin() + 40, q6.begin() + 48);
    const auto f = parse_quoted_flow(chain, icmp_family::v6);
    REQUIRE(f);
    CHECK(f->protocol == ip_protocol::udp);
    CHECK(f->src.port == 40001);
    CHECK(f->dst.port == 9);
    CHECK(parse_quoted_flow(std::span{chain}.first(40 + 8 + 4), icmp_family::v6).error() == l4::errc::truncated);
    chain[40 + 8 + 3] = 8;  // fragment offset 1: not the first fragment
    CHECK(parse_quoted_flow(chain, icmp_family::v6).error() == l4::errc::fragment);
    chain[6] = ip_protocol::esp;
    CHECK(parse_quoted_flow(chain, icmp_family::v6).error() == l4::errc::unknown_protocol);
}

TEST_CASE("icmp properties", "[icmp][property]") {
    rc::prop("ICMPv4: repr -> emit -> parse is the identity and the checksum verifies", [] {
        const auto data = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange(0, 600),
                                                                          rc::gen::arbitrary<std::uint8_t>());
        std::vector<std::uint8_t> quote = k::udp_to_closed_v4;
        quote.insert(quote.end(), data.begin(), data.end());
        const auto id = *rc::gen::arbitrary<std::uint16_t>();
        const auto seq = *rc::gen::arbitrary<std::uint16_t>();
        const auto code = *rc::gen::arbitrary<std::uint8_t>();
        const icmpv4_repr r = *rc::gen::element(
            icmpv4_repr::echo_request(id, seq, data), icmpv4_repr::echo_reply(id, seq, data),
            icmpv4_repr::dest_unreachable(code == 4 ? 3 : code, quote), icmpv4_repr::packet_too_big(id, quote),
            icmpv4_repr::time_exceeded(code, quote), icmpv4_repr::parameter_problem(code, seq & 0xFF, quote));
        std::vector<std::uint8_t> buf(r.buffer_len());
        RC_ASSERT(r.emit(buf, internet{}).has_value());
        const auto back = icmpv4_repr::parse(buf, internet{});
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == r);
    });
    rc::prop("ICMPv6: repr -> emit -> parse is the identity under the pseudo-header", [] {
        const auto data = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange(0, 1200),
                                                                          rc::gen::arbitrary<std::uint8_t>());
        std::vector<std::uint8_t> quote = k::udp_to_closed_v6;
        quote.insert(quote.end(), data.begin(), data.end());
        const auto a = *rc::gen::arbitrary<std::uint32_t>();
        const auto code = *rc::gen::arbitrary<std::uint8_t>();
        const auto id = static_cast<std::uint16_t>(a);
        const icmpv6_repr r = *rc::gen::element(
            icmpv6_repr::echo_request(id, static_cast<std::uint16_t>(a >> 16), data),
            icmpv6_repr::echo_reply(id, 7, data), icmpv6_repr::dest_unreachable(code, quote),
            icmpv6_repr::packet_too_big(a, quote), icmpv6_repr::time_exceeded(code, quote),
            icmpv6_repr::parameter_problem(code, a, quote));
        std::array<std::uint8_t, 16> src{}, dst{};
        src[0] = static_cast<std::uint8_t>(a);
        dst[15] = code;
        const auto ph = ph6(ipv6_address{src}, ipv6_address{dst}, r.buffer_len());
        std::vector<std::uint8_t> buf(r.buffer_len());
        RC_ASSERT(r.emit(buf, ph.bytes(), internet{}).has_value());
        const auto back = icmpv6_repr::parse(buf, ph.bytes(), internet{});
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == r);
    });
}

namespace {

std::vector<std::uint8_t> in_ipv4(const ipv4_address& src, const ipv4_address& dst, const icmpv4_repr& m) {
    std::vector<std::uint8_t> out(20 + m.buffer_len());
    ipv4_repr ip{.src = src, .dst = dst, .protocol = ip_protocol::icmp};
    ip.payload_len = static_cast<std::uint16_t>(m.buffer_len());
    REQUIRE(ip.emit(out));
    REQUIRE(m.emit(std::span{out}.subspan(20), internet{}));
    return out;
}

std::vector<std::uint8_t> in_ipv6(const ipv6_address& src, const ipv6_address& dst, const icmpv6_repr& m) {
    std::vector<std::uint8_t> out(40 + m.buffer_len());
    ipv6_repr ip{.src = src, .dst = dst, .next_header = ip_protocol::icmpv6};
    ip.payload_len = static_cast<std::uint16_t>(m.buffer_len());
    REQUIRE(ip.emit(out));
    REQUIRE(m.emit(std::span{out}.subspan(40), ph6(src, dst, m.buffer_len()).bytes(), internet{}));
    return out;
}

}  // namespace

TEST_CASE("icmp: tshark reads every kind of message we emit with a good checksum", "[icmp][tshark]") {
    if (std::system("tshark --version > /dev/null 2>&1") != 0) {
        WARN("tshark is not installed (scripts/test installs it)");
        FAIL("tshark missing");
    }
    const ipv4_address a4{192, 0, 2, 1}, b4{198, 51, 100, 2};
    const ipv6_address a6 = *ipv6_address::from_string("2001:db8::1"), b6 = *ipv6_address::from_string("2001:db8::2");
    std::vector<std::uint8_t> odd(33);  // odd lengths exercise the checksum's padding byte
    for (std::size_t i = 0; i < odd.size(); ++i) odd[i] = static_cast<std::uint8_t>(0xA0 + i);
    const auto q4 = k::udp_to_closed_v4;
    const auto q6 = k::udp_to_closed_v6;
    std::vector<std::uint8_t> long_quote6 = q6;
    long_quote6.resize(1232, 0x5A);
    l4::store_be16(long_quote6.data() + 4, static_cast<std::uint16_t>(1232 - 40));  // a 1232-byte packet, quoted whole

    // (frame, ICMP type tshark must see)
    std::vector<std::pair<std::vector<std::uint8_t>, unsigned>> frames{
        {in_ipv4(a4, b4, icmpv4_repr::echo_request(0xbeef, 1, odd)), 8},
        {in_ipv4(b4, a4, icmpv4_repr::echo_reply(0xbeef, 1, odd)), 0},
        {in_ipv4(a4, b4, icmpv4_repr::port_unreachable(q4)), 3},
        {in_ipv4(a4, b4, icmpv4_repr::port_unreachable(std::span{q4}.first(28))), 3},
        {in_ipv4(a4, b4, icmpv4_repr::packet_too_big(1400, q4)), 3},
        {in_ipv4(a4, b4, icmpv4_repr::time_exceeded(0, q4)), 11},
        {in_ipv4(a4, b4, icmpv4_repr::parameter_problem(0, 8, q4)), 12},
        {in_ipv6(a6, b6, icmpv6_repr::echo_request(0xbeef, 1, odd)), 128},
        {in_ipv6(b6, a6, icmpv6_repr::echo_reply(0xbeef, 1, odd)), 129},
        {in_ipv6(a6, b6, icmpv6_repr::port_unreachable(q6)), 1},
        {in_ipv6(a6, b6, icmpv6_repr::port_unreachable(long_quote6)), 1},
        {in_ipv6(a6, b6, icmpv6_repr::packet_too_big(1280, q6)), 2},
        {in_ipv6(a6, b6, icmpv6_repr::time_exceeded(1, q6)), 3},
        {in_ipv6(a6, b6, icmpv6_repr::parameter_problem(1, 6, q6)), 4},
    };
    const auto path =
        std::filesystem::temp_directory_path() / ("l4_icmp_" + std::to_string(::getpid()) + ".pcap");
    {
        std::ofstream f{path, std::ios::binary};
        pcap::writer w{f, pcap::link_type::raw, pcap::precision::micro};
        std::uint64_t t = 1'700'000'000'000'000'000;
        for (const auto& [frame, type] : frames) REQUIRE(w.write(t += 1'000'000, frame));
    }
    // One line per frame: ICMP checksum status (1 = good), ICMPv6's, the
    // malformed marker, and the outer type. An error's quote is dissected
    // too, so fields can repeat; the first value is the outer message's.
    const std::string cmd = "tshark -r " + path.string() +
                            " -T fields -E separator=, -E occurrence=f -e icmp.checksum.status"
                            " -e icmpv6.checksum.status -e _ws.malformed -e icmp.type -e icmpv6.type"
                            " 2>/dev/null";  // stderr only says "running as root"
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::vector<std::string> lines;
    std::array<char, 512> line{};
    while (std::fgets(line.data(), line.size(), p)) lines.emplace_back(line.data());
    CHECK(::pclose(p) == 0);
    std::filesystem::remove(path);

    REQUIRE(lines.size() == frames.size());
    for (std::size_t i = 0; i < frames.size(); ++i) {
        INFO("frame " << i + 1 << ": " << lines[i]);
        const bool v6 = frames[i].first[0] >> 4 == 6;
        const std::string t = std::to_string(frames[i].second);
        CHECK(lines[i] == (v6 ? ",1,,," + t + "\n" : "1,,," + t + ",\n"));
    }
}
