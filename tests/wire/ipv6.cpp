// IPv6: the four wire tests on captured headers, every error of check, the
// walk over extension headers (captured and hand-made chains, fragments,
// bounds), address text in RFC 5952 form, and every IPv6 packet of the
// shared captures.
#include <l4/wire/ethernet.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/pcap.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace l4::wire;
using l4::errc;

namespace {

using byte_vector = std::vector<std::uint8_t>;

byte_vector hex(std::string_view text) {
    byte_vector out;
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ' ') continue;
        out.push_back(static_cast<std::uint8_t>((nibble(text[i]) << 4) | nibble(text[i + 1])));
        ++i;
    }
    return out;
}

byte_vector operator+(byte_vector a, const byte_vector& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

ipv6_address addr(std::string_view text) {
    const auto a = ipv6_address::from_string(text);
    REQUIRE(a);
    return *a;
}

// udp_ipv6.pcap frame 1: "Hello World" from [2001:db8::1]:33134 to [2001:db8::2]:50000.
const byte_vector hello = hex(
    "600c bb44 0013 1140"
    " 2001 0db8 0000 0000 0000 0000 0000 0001"
    " 2001 0db8 0000 0000 0000 0000 0000 0002"
    " 816e c350 0013 0dc6 4865 6c6c 6f20 576f 726c 64");

// tcp_echo_ipv4.pcap frame 1: an MLDv2 report from fe80::9c2b:ccff:fec3:63d7
// to ff02::16, behind a Hop-by-Hop header with a Router Alert (RFC 2711).
const byte_vector mld_report = hex(
    "6000 0000 0038 0001"
    " fe80 0000 0000 0000 9c2b ccff fec3 63d7"
    " ff02 0000 0000 0000 0000 0000 0000 0016"
    " 3a00 0502 0000 0100"  // Hop-by-Hop: next 58, 8 bytes, Router Alert, PadN
    " 8f00 3e8c 0000 0002 0400 0000 ff02 0000 0000 0000 0000 0001 ffc3 63d7"
    " 0400 0000 ff02 0000 0000 0000 0000 0001 ff00 0002");

// Extension headers, each starting with its Next Header byte.
byte_vector hop_by_hop(std::uint8_t next) { return byte_vector{next, 0} + hex("0104 0000 0000"); }  // PadN
byte_vector destination_options(std::uint8_t next) {
    return byte_vector{next, 1} + hex("010c 0000 0000 0000 0000 0000 0000");  // 16 bytes: PadN
}
byte_vector routing(std::uint8_t next) {
    return byte_vector{next, 0} + hex("fd00 0000 0000");  // 8 bytes: type 253, segments left 0
}
byte_vector fragment(std::uint8_t next, std::uint16_t offset_res_m) {
    return byte_vector{next, 0, static_cast<std::uint8_t>(offset_res_m >> 8), static_cast<std::uint8_t>(offset_res_m)} +
           hex("1234 5678");  // Identification
}
byte_vector authentication(std::uint8_t next) {
    // 24 bytes: reserved, SPI, sequence number, 12-byte ICV
    return byte_vector{next, 4} + hex("0000 1111 1111 0000 0001 aaaa aaaa bbbb bbbb cccc cccc");
}
const byte_vector tcp_header = hex("a4ec c357 4d80 9aa6 0000 0000 5002 fd20 0000 0000");

// A packet from 2001:db8::1 to 2001:db8::2 around the given payload.
byte_vector packet(std::uint8_t next_header, const byte_vector& payload) {
    ipv6_repr r;
    r.src = addr("2001:db8::1");
    r.dst = addr("2001:db8::2");
    r.next_header = next_header;
    r.payload_len = static_cast<std::uint16_t>(payload.size());
    byte_vector out(40);
    REQUIRE(r.emit(out));
    return out + payload;
}

ipv6_repr hello_repr() {
    ipv6_repr r;
    r.src = addr("2001:db8::1");
    r.dst = addr("2001:db8::2");
    r.next_header = ip_protocol::udp;
    r.hop_limit = 64;
    r.traffic_class = 0;
    r.flow_label = 0xcbb44;
    r.payload_len = 19;
    return r;
}

rc::Gen<ipv6_address> any_ipv6_address() {
    // Zero groups often, so that runs of zeros of every length and position turn up.
    return rc::gen::map(rc::gen::container<std::array<std::uint16_t, 8>>(
                            rc::gen::weightedOneOf<std::uint16_t>({{3, rc::gen::just<std::uint16_t>(0)},
                                                                   {2, rc::gen::arbitrary<std::uint16_t>()}})),
                        [](const std::array<std::uint16_t, 8>& g) { return ipv6_address::from_groups(g); });
}

rc::Gen<ipv6_repr> any_ipv6_repr() {
    return rc::gen::exec([] {
        ipv6_repr r;
        r.src = *any_ipv6_address();
        r.dst = *any_ipv6_address();
        r.next_header = *rc::gen::arbitrary<std::uint8_t>();
        r.hop_limit = *rc::gen::arbitrary<std::uint8_t>();
        r.traffic_class = *rc::gen::arbitrary<std::uint8_t>();
        r.flow_label = *rc::gen::inRange<std::uint32_t>(0, 0x100000);
        r.payload_len = *rc::gen::arbitrary<std::uint16_t>();
        return r;
    });
}

std::string glibc_text(const ipv6_address& a) {
    char buf[INET6_ADDRSTRLEN];
    REQUIRE(inet_ntop(AF_INET6, a.octets.data(), buf, sizeof buf));
    return buf;
}

byte_vector read_capture(const std::string& name) {
    std::ifstream in(std::string(L4_TEST_DATA) + "/pcap/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("ipv6: fields of a captured packet read as Wireshark reads them", "[ipv6]") {
    auto v = ipv6_view::check(hello);
    REQUIRE(v);
    CHECK(v->version() == 6);
    CHECK(v->traffic_class() == 0);
    CHECK(v->flow_label() == 0xcbb44);
    CHECK(v->payload_length() == 19);
    CHECK(v->next_header() == ip_protocol::udp);
    CHECK(v->hop_limit() == 64);
    CHECK(v->src().text().view() == "2001:db8::1");
    CHECK(v->dst().text().view() == "2001:db8::2");
    CHECK(v->packet().size() == 59);
    REQUIRE(v->payload().size() == 19);
    CHECK(v->payload()[0] == 0x81);
}

TEST_CASE("ipv6: the header is also reachable field by field through its layout", "[ipv6][layout]") {
    auto v = ipv6_view::check(hello);
    REQUIRE(v);
    std::ostringstream os;
    print_fields(os, v->header());
    CHECK(os.str() ==
          "version=6 traffic_class=0 flow_label=834372 payload_length=19 next_header=17 hop_limit=64 "
          "src=20010db8000000000000000000000001 dst=20010db8000000000000000000000002");
    std::ostringstream line;
    line << *v;
    CHECK(line.str() ==
          "2001:db8::1 > 2001:db8::2: IP6 (class 0x0, flowlabel 0xcbb44, hlim 64, next-header 17, payload length 19)");
}

TEST_CASE("ipv6: build then emit gives the captured header byte for byte", "[ipv6]") {
    byte_vector buf(40);
    auto n = hello_repr().emit(buf);
    REQUIRE(n);
    CHECK(*n == 40);
    CHECK(buf == byte_vector(hello.begin(), hello.begin() + 40));
}

TEST_CASE("ipv6: parse of the captured packet gives the repr it was built from", "[ipv6]") {
    auto r = ipv6_repr::parse(hello);
    REQUIRE(r);
    CHECK(*r == hello_repr());
    CHECK(r->header_len() == 40);
    CHECK(r->buffer_len() == 59);
}

TEST_CASE("ipv6: Traffic Class and Flow Label straddle byte boundaries", "[ipv6]") {
    ipv6_repr r = hello_repr();
    r.traffic_class = 0xb9;  // DSCP 46, ECT(1)
    r.flow_label = 0xfedcb;
    byte_vector buf(59);
    REQUIRE(r.emit(buf));
    CHECK(byte_vector(buf.begin(), buf.begin() + 4) == hex("6b9f edcb"));
    auto v = ipv6_view::check(buf);
    REQUIRE(v);
    CHECK(v->traffic_class() == 0xb9);
    CHECK(v->flow_label() == 0xfedcb);
}

TEST_CASE("ipv6: bytes after Payload Length are link padding, not payload", "[ipv6]") {
    const auto padded = hello + byte_vector(5, 0);
    auto v = ipv6_view::check(padded);
    REQUIRE(v);
    CHECK(v->packet().size() == 59);
    CHECK(v->payload().size() == 19);
}

TEST_CASE("ipv6: check names what is wrong with a malformed header", "[ipv6][errors]") {
    auto with_byte = [](std::size_t at, std::uint8_t value) {
        byte_vector d = hello;
        d[at] = value;
        return d;
    };
    CHECK(ipv6_view::check({}).error() == errc::truncated);
    CHECK(ipv6_view::check(l4::bytes(hello).first(39)).error() == errc::truncated);
    CHECK(ipv6_view::check(with_byte(0, 0x40)).error() == errc::unsupported_version);
    CHECK(ipv6_view::check(with_byte(0, 0x00)).error() == errc::unsupported_version);
    CHECK(ipv6_view::check(with_byte(5, 20)).error() == errc::truncated);  // Payload Length 20, 19 bytes there
    CHECK(ipv6_repr::parse(with_byte(0, 0x40)).error() == errc::unsupported_version);
    for (std::size_t n = 0; n < hello.size(); ++n) {
        INFO("first " << n << " bytes");
        CHECK(ipv6_view::check(l4::bytes(hello).first(n)).error() == errc::truncated);
    }
}

TEST_CASE("ipv6: without extension headers the upper layer is the payload", "[ipv6][extension]") {
    auto v = ipv6_view::check(hello);
    REQUIRE(v);
    auto up = v->upper_layer();
    REQUIRE(up);
    CHECK(up->protocol == ip_protocol::udp);
    CHECK(up->payload.data() == v->payload().data());
    CHECK(up->payload.size() == 19);
}

TEST_CASE("ipv6: a captured MLD report is reached behind its Hop-by-Hop header", "[ipv6][extension]") {
    auto v = ipv6_view::check(mld_report);
    REQUIRE(v);
    CHECK(v->next_header() == ip_protocol::hop_by_hop);
    CHECK(v->hop_limit() == 1);
    CHECK(v->src().text().view() == "fe80::9c2b:ccff:fec3:63d7");
    CHECK(v->dst().text().view() == "ff02::16");
    auto up = v->upper_layer();
    REQUIRE(up);
    CHECK(up->protocol == ip_protocol::icmpv6);
    REQUIRE(up->payload.size() == 48);
    CHECK(up->payload[0] == 143);  // RFC 3810 §5.2: Version 2 Multicast Listener Report
}

TEST_CASE("ipv6: Hop-by-Hop, Destination Options and an atomic fragment are skipped to TCP", "[ipv6][extension]") {
    const auto p = packet(ip_protocol::hop_by_hop, hop_by_hop(ip_protocol::destination_options) +
                                                       destination_options(ip_protocol::fragment) +
                                                       fragment(ip_protocol::tcp, 0x0000) + tcp_header);
    auto v = ipv6_view::check(p);
    REQUIRE(v);
    auto up = v->upper_layer();
    REQUIRE(up);
    CHECK(up->protocol == ip_protocol::tcp);
    CHECK(byte_vector(up->payload.begin(), up->payload.end()) == tcp_header);
}

TEST_CASE("ipv6: Routing and Authentication headers are skipped by their own length units", "[ipv6][extension]") {
    const auto p = packet(ip_protocol::routing, routing(ip_protocol::ah) + authentication(ip_protocol::udp) +
                                                    hex("816e c350 0008 0000"));
    auto v = ipv6_view::check(p);
    REQUIRE(v);
    auto up = v->upper_layer();
    REQUIRE(up);
    CHECK(up->protocol == ip_protocol::udp);
    CHECK(up->payload.size() == 8);
    CHECK(up->payload[0] == 0x81);
}

TEST_CASE("ipv6: a fragment of a larger packet is reported, an atomic fragment passes", "[ipv6][extension][fragment]") {
    auto walk = [](std::uint16_t offset_res_m) {
        const auto p = packet(ip_protocol::fragment, fragment(ip_protocol::tcp, offset_res_m) + tcp_header);
        return ipv6_view::check(p)->upper_layer();
    };
    CHECK(walk(0x0001).error() == errc::fragment);  // offset 0, M: the first fragment
    CHECK(walk(0x05a9).error() == errc::fragment);  // offset 181, M: a middle fragment
    CHECK(walk(0x05a8).error() == errc::fragment);  // offset 181, no M: the last fragment
    CHECK(walk(0x0000).value().protocol == ip_protocol::tcp);  // RFC 6946: atomic
    CHECK(walk(0x0006).value().protocol == ip_protocol::tcp);  // reserved bits are not a fragment
}

TEST_CASE("ipv6: ESP, No Next Header and misplaced or endless chains have no upper layer",
          "[ipv6][extension][errors]") {
    auto walk = [](std::uint8_t next_header, const byte_vector& payload) {
        const auto p = packet(next_header, payload);
        return ipv6_view::check(p)->upper_layer();
    };
    CHECK(walk(ip_protocol::esp, hex("0000 0001 0000 0001")).error() == errc::unknown_protocol);
    CHECK(walk(ip_protocol::no_next_header, {}).error() == errc::unknown_protocol);
    CHECK(walk(ip_protocol::destination_options, destination_options(ip_protocol::no_next_header)).error() ==
          errc::unknown_protocol);
    // RFC 8200 §4.1: Hop-by-Hop only directly after the IPv6 header.
    CHECK(walk(ip_protocol::destination_options,
               destination_options(ip_protocol::hop_by_hop) + hop_by_hop(ip_protocol::tcp) + tcp_header)
              .error() == errc::unknown_protocol);

    auto chain_of = [](std::size_t n) {
        byte_vector chain;
        for (std::size_t i = 0; i < n; ++i)
            chain = chain + destination_options(i + 1 < n ? ip_protocol::destination_options : ip_protocol::tcp);
        return chain + tcp_header;
    };
    // RFC 8200 §4.1: headers may repeat; the walk is bounded by the bytes,
    // not by a count (it used to stop after 8).
    CHECK(walk(ip_protocol::destination_options, chain_of(9)).value().protocol == ip_protocol::tcp);
    CHECK(walk(ip_protocol::destination_options, chain_of(100)).value().protocol == ip_protocol::tcp);
    // An endless chain ends with the packet.
    byte_vector endless;
    for (int i = 0; i < 100; ++i) endless = endless + destination_options(ip_protocol::destination_options);
    CHECK(walk(ip_protocol::destination_options, endless).error() == errc::truncated);
}

TEST_CASE("ipv6: an extension header past the end of the packet is truncated", "[ipv6][extension][errors]") {
    auto walk = [](std::uint8_t next_header, const byte_vector& payload) {
        const auto p = packet(next_header, payload);
        return ipv6_view::check(p)->upper_layer();
    };
    CHECK(walk(ip_protocol::hop_by_hop, {}).error() == errc::truncated);
    CHECK(walk(ip_protocol::hop_by_hop, {ip_protocol::tcp}).error() == errc::truncated);
    CHECK(walk(ip_protocol::routing, hex("0600 0000 0000 00")).error() == errc::truncated);  // 7 of 8 bytes
    CHECK(walk(ip_protocol::destination_options, hex("0601 0000 0000 0000")).error() == errc::truncated);  // 8 of 16
    CHECK(walk(ip_protocol::fragment, hex("0600 0000 1234 56")).error() == errc::truncated);
    CHECK(walk(ip_protocol::ah, hex("0604 0000 0000 0000")).error() == errc::truncated);  // 8 of 24
    // Cutting the captured Hop-by-Hop header short (and Payload Length with it).
    for (std::uint8_t len = 0; len < 8; ++len) {
        auto cut = byte_vector(mld_report.begin(), mld_report.begin() + 40 + len);
        cut[5] = len;
        INFO("Hop-by-Hop cut to " << unsigned{len} << " bytes");
        CHECK(ipv6_view::check(cut)->upper_layer().error() == errc::truncated);
    }
}

TEST_CASE("ipv6: emit refuses a small buffer and a flow label over 20 bits", "[ipv6][errors]") {
    byte_vector buf(40);
    CHECK(hello_repr().emit(l4::mut_bytes(buf).first(39)).error() == errc::buffer_too_small);
    ipv6_repr r = hello_repr();
    r.flow_label = 0x100000;
    CHECK(r.emit(buf).error() == errc::value_out_of_range);
    r.flow_label = 0xfffff;
    CHECK(r.emit(buf));
}

TEST_CASE("ipv6: emit then parse gives the same repr", "[ipv6][property]") {
    rc::prop("for any repr", [] {
        const ipv6_repr r = *any_ipv6_repr();
        byte_vector buf(r.buffer_len());
        const auto n = r.emit(buf);
        RC_ASSERT(n);
        RC_ASSERT(*n == 40u);
        const auto back = ipv6_repr::parse(buf);
        RC_ASSERT(back);
        RC_ASSERT(*back == r);
    });
}

TEST_CASE("ipv6: any bytes give a view and a walk or an error, never a read out of bounds", "[ipv6][property]") {
    rc::prop("for any bytes, often with a plausible header and chain", [](byte_vector d) {
        if (d.size() >= 40 && *rc::gen::arbitrary<bool>()) {
            d[0] = 0x60;
            const auto len = static_cast<std::uint16_t>(d.size() - 40 - *rc::gen::inRange<std::size_t>(0, 2));
            d[4] = static_cast<std::uint8_t>(len >> 8);
            d[5] = static_cast<std::uint8_t>(len);
            d[6] = *rc::gen::element<std::uint8_t>(0, 43, 44, 50, 51, 59, 60, 6, 17);
            for (std::size_t i = 40; i < d.size(); ++i)
                if (*rc::gen::inRange(0, 8) == 0) d[i] = *rc::gen::element<std::uint8_t>(0, 43, 44, 51, 60, 6);
        }
        if (auto v = ipv6_view::check(d)) {
            RC_ASSERT(v->packet().size() == 40u + v->payload_length());
            std::ostringstream os;
            os << *v;
            if (auto up = v->upper_layer()) {
                RC_ASSERT(up->payload.data() >= v->payload().data());
                RC_ASSERT(up->payload.data() + up->payload.size() == v->packet().data() + v->packet().size());
            }
        }
        (void)ipv6_repr::parse(d);
    });
}

TEST_CASE("ipv6: addresses print in the RFC 5952 canonical form", "[ipv6][address]") {
    struct example {
        const char* in;
        const char* canonical;
    };
    for (const auto& [in, canonical] : {
             example{"2001:db8:0:0:0:0:2:1", "2001:db8::2:1"},                // §4.2.1: shortest
             example{"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},  // §4.1: no leading zeros
             example{"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},         // §4.2.2: one 0 group stays
             example{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},                  // §4.2.3: the longest run
             example{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},            // §4.2.3: the first of equal runs
             example{"2001:DB8::ABCD:EF", "2001:db8::abcd:ef"},               // §4.3: lower case
             example{"0:0:0:0:0:0:0:0", "::"},
             example{"0:0:0:0:0:0:0:1", "::1"},
             example{"2001:db8:0:0:0:0:0:0", "2001:db8::"},
             example{"1:0:0:0:0:0:0:0", "1::"},
             example{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},  // "::" for a single group is read, not written
             example{"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
             example{"fe80::9c2b:ccff:fec3:63d7", "fe80::9c2b:ccff:fec3:63d7"},
             example{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},  // §5: IPv4-mapped ends in a dotted quad
             example{"::ffff:c000:201", "::ffff:192.0.2.1"},
             example{"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
         }) {
        INFO(in);
        const auto a = ipv6_address::from_string(in);
        REQUIRE(a);
        CHECK(a->text().view() == canonical);
    }
    static_assert(ipv6_address::from_string("::1")->group(7) == 1);
    std::ostringstream os;
    os << addr("2001:db8::2");
    CHECK(os.str() == "2001:db8::2");
}

TEST_CASE("ipv6: address text that is not RFC 4291 §2.2 is refused", "[ipv6][address]") {
    for (const char* bad : {"", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "::1::", ":1::",
                            "1:", ":1", "1::2:", "12345::", "g::", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
                            "1.2.3.4", "::1.2.3", "::1.2.3.4.5", "::ffff:1.2.3.4:1", "::ffff:01.2.3.4",
                            "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", " ::1", "::1 ", "[::1]", "::-1"}) {
        INFO('"' << bad << '"');
        CHECK_FALSE(ipv6_address::from_string(bad));
    }
}

TEST_CASE("ipv6: any address survives printing and parsing, and prints as glibc does", "[ipv6][address][property]") {
    rc::prop("from_string(to_string(a)) == a", [] {
        const auto a = *any_ipv6_address();
        const std::string text{a.text().view()};
        RC_ASSERT(ipv6_address::from_string(text) == a);
        // glibc also prints ::a.b.c.d, the IPv4-compatible form that RFC 4291
        // §2.5.5.1 deprecated: when exactly the first six groups are zero.
        bool compatible = a.group(6) != 0;
        for (std::size_t i = 0; i < 6; ++i) compatible = compatible && a.group(i) == 0;
        if (!compatible) RC_ASSERT(text == glibc_text(a));
    });
    rc::prop("any spelling of the groups parses to the same address", [] {
        const auto a = *any_ipv6_address();
        // Each group in upper or lower case, with or without leading zeros,
        // and "::" in place of any run of zero groups (not only the longest).
        std::vector<std::string> groups;
        for (std::size_t i = 0; i < 8; ++i) {
            char buf[8];
            std::snprintf(buf, sizeof buf, *rc::gen::arbitrary<bool>() ? "%04X" : "%x", a.group(i));
            groups.emplace_back(buf);
        }
        std::size_t from = 8, to = 8;
        for (std::size_t i = 0; i < 8; ++i) {
            std::size_t j = i;
            while (j < 8 && a.group(j) == 0) ++j;
            if (j > i && *rc::gen::arbitrary<bool>()) {
                from = i;
                to = j;
            }
            if (j > i) i = j;
        }
        std::string text;
        for (std::size_t i = 0; i < 8; ++i) {
            if (i == from) {
                text += "::";
                i = to - 1;
                continue;
            }
            if (!text.empty() && text.back() != ':') text += ':';
            text += groups[i];
        }
        RC_ASSERT(ipv6_address::from_string(text) == a);
    });
}

TEST_CASE("ipv6: every IPv6 packet in the shared captures walks to its upper layer and re-emits", "[ipv6][pcap]") {
    std::size_t seen = 0;
    for (const char* name : {"tcp_echo_ipv4.pcap", "tcp_echo_ipv6.pcap", "tcp_no_options.pcap",
                             "tcp_rst_closed_port.pcap", "tcp_zero_window.pcap", "udp_ipv6.pcap"}) {
        const byte_vector file = read_capture(name);
        auto reader = pcap::span_reader::open(file);
        REQUIRE(reader);
        for (;;) {
            auto rec = reader->next();
            REQUIRE(rec);
            if (!*rec) break;
            auto frame = ethernet::view::check((*rec)->data);
            REQUIRE(frame);
            if (frame->ethertype() != ethernet::ethertype_ipv6) continue;
            INFO(name << " packet " << seen);
            auto v = ipv6_view::check(frame->payload());
            REQUIRE(v);
            auto up = v->upper_layer();
            REQUIRE(up);
            CHECK((up->protocol == ip_protocol::tcp || up->protocol == ip_protocol::udp ||
                   up->protocol == ip_protocol::icmpv6));
            auto r = ipv6_repr::parse(frame->payload());
            REQUIRE(r);
            byte_vector buf(40);
            REQUIRE(r->emit(buf));
            CHECK(std::equal(buf.begin(), buf.end(), frame->payload().begin()));
            ++seen;
        }
    }
    CHECK(seen == 6 + 22 + 2 + 2 + 3 + 5);
}
