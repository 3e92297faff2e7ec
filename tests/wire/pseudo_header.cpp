// Pseudo-headers: their bytes field by field, and the checksums of captured
// TCP, UDP and ICMPv6 packets verified over them with an independent sum.
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/pseudo_header.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

using namespace l4::wire;

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

// RFC 1071, written out here so that these tests do not lean on l4/checksum/:
// a segment's checksum is right when the one's complement sum of
// pseudo-header and segment, checksum field included, is 0xFFFF.
bool sums_to_all_ones(l4::bytes pseudo, l4::bytes segment) {
    std::uint64_t sum = 0;
    auto add = [&](l4::bytes b) {
        for (std::size_t i = 0; i < b.size(); i += 2)
            sum += (std::uint32_t{b[i]} << 8) | (i + 1 < b.size() ? b[i + 1] : 0u);
    };
    add(pseudo);  // 12 or 40 bytes: even, so the segment's words stay aligned
    add(segment);
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum == 0xFFFF;
}

// udp_ipv4.pcap frame 1: "Hello World" from 192.0.2.1:36323 to 192.0.2.2:50000.
const byte_vector udp4 = hex(
    "4500 0027 bfd4 4000 4011 f6ed c000 0201 c000 0202"
    " 8de3 c350 0013 d8c1 4865 6c6c 6f20 576f 726c 64");

// tcp_echo_ipv4.pcap frame 9: a SYN with MSS, SACK-permitted, timestamps, window scale.
const byte_vector tcp4 = hex(
    "4500 003c 2f9e 4000 4006 871a c000 0201 c000 0202"
    " 91f6 c357 6ce9 a10e 0000 0000 a002 faf0 1d16 0000"
    " 0204 05b4 0402 080a eb89 5d22 0000 0000 0103 030a");

// udp_ipv6.pcap frame 1: "Hello World" from [2001:db8::1]:33134 to [2001:db8::2]:50000.
const byte_vector udp6 = hex(
    "600c bb44 0013 1140 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002"
    " 816e c350 0013 0dc6 4865 6c6c 6f20 576f 726c 64");

// tcp_echo_ipv6.pcap frame 5: the SYN over IPv6.
const byte_vector tcp6 = hex(
    "600f d852 0028 0640 2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002"
    " a4ec c357 4d80 9aa6 0000 0000 a002 fd20 11ca 0000"
    " 0204 05a0 0402 080a 857f 07c7 0000 0000 0103 030a");

// tcp_echo_ipv4.pcap frame 1: an MLDv2 report behind a Hop-by-Hop header.
const byte_vector mld6 = hex(
    "6000 0000 0038 0001 fe80 0000 0000 0000 9c2b ccff fec3 63d7 ff02 0000 0000 0000 0000 0000 0000 0016"
    " 3a00 0502 0000 0100"
    " 8f00 3e8c 0000 0002 0400 0000 ff02 0000 0000 0000 0000 0001 ffc3 63d7"
    " 0400 0000 ff02 0000 0000 0000 0000 0001 ff00 0002");

byte_vector as_vector(l4::bytes b) { return {b.begin(), b.end()}; }

}  // namespace

TEST_CASE("pseudo-header: IPv4 is source, destination, zero, protocol, length", "[pseudo_header]") {
    const auto p = pseudo_header::ipv4(ipv4_address{192, 0, 2, 1}, ipv4_address{192, 0, 2, 2}, ip_protocol::udp, 19);
    CHECK(p.size() == 12);
    CHECK(as_vector(p.bytes()) == hex("c000 0201 c000 0202 0011 0013"));
    const view<ipv4_pseudo_layout> fields{p.bytes().data()};
    CHECK(fields.get<"protocol">() == ip_protocol::udp);
    CHECK(fields.get<"length">() == 19);
}

TEST_CASE("pseudo-header: IPv6 is source, destination, 32-bit length, zeros, next header", "[pseudo_header]") {
    const auto src = ipv6_address::from_string("2001:db8::1").value();
    const auto dst = ipv6_address::from_string("2001:db8::2").value();
    const auto p = pseudo_header::ipv6(src, dst, ip_protocol::tcp, 0x12345);
    CHECK(p.size() == 40);
    CHECK(as_vector(p.bytes()) ==
          hex("2001 0db8 0000 0000 0000 0000 0000 0001 2001 0db8 0000 0000 0000 0000 0000 0002"
              " 0001 2345 0000 0006"));
    const view<ipv6_pseudo_layout> fields{p.bytes().data()};
    CHECK(fields.get<"upper_layer_length">() == 0x12345);
    CHECK(fields.get<"zero">() == 0);
    CHECK(fields.get<"next_header">() == ip_protocol::tcp);
}

TEST_CASE("pseudo-header: built from an IPv4 view, the captured UDP and TCP checksums verify",
          "[pseudo_header][checksum]") {
    for (const auto* d : {&udp4, &tcp4}) {
        auto ip = ipv4_view::check(*d);
        REQUIRE(ip);
        const auto p = pseudo_header::ipv4(*ip, static_cast<std::uint16_t>(ip->payload().size()));
        CHECK(p == pseudo_header::ipv4(ip->src(), ip->dst(), ip->protocol(),
                                       static_cast<std::uint16_t>(ip->payload().size())));
        CHECK(sums_to_all_ones(p.bytes(), ip->payload()));
        // Assigned from the header's bytes, over an IPv6 one, it is the same.
        auto assigned = pseudo_header::ipv6(ipv6_address{}, ipv6_address{}, ip_protocol::udp, 8);
        assigned.assign_ipv4(*ip, ip->protocol(), static_cast<std::uint16_t>(ip->payload().size()));
        CHECK(assigned == p);
        // One wrong field in the pseudo-header and the sum no longer holds.
        CHECK_FALSE(sums_to_all_ones(pseudo_header::ipv4(*ip, 1).bytes(), ip->payload()));
    }
}

TEST_CASE("pseudo-header: built from an IPv6 view, the captured UDP and TCP checksums verify",
          "[pseudo_header][checksum]") {
    for (const auto* d : {&udp6, &tcp6}) {
        auto ip = ipv6_view::check(*d);
        REQUIRE(ip);
        auto up = ip->upper_layer();
        REQUIRE(up);
        const auto p = pseudo_header::ipv6(*ip, *up);
        CHECK(p == pseudo_header::ipv6(*ip, up->protocol, static_cast<std::uint32_t>(up->payload.size())));
        CHECK(sums_to_all_ones(p.bytes(), up->payload));
    }
}

TEST_CASE("pseudo-header: behind a Hop-by-Hop header it carries the upper layer's protocol",
          "[pseudo_header][checksum]") {
    auto ip = ipv6_view::check(mld6);
    REQUIRE(ip);
    auto up = ip->upper_layer();
    REQUIRE(up);
    // RFC 8200 §8.1: Next Header is ICMPv6's 58, not the IPv6 header's 0, and
    // the length excludes the Hop-by-Hop header (RFC 4443 §2.3 uses this pseudo-header).
    CHECK(sums_to_all_ones(pseudo_header::ipv6(*ip, *up).bytes(), up->payload));
    CHECK_FALSE(sums_to_all_ones(pseudo_header::ipv6(*ip, ip->next_header(), ip->payload_length()).bytes(),
                                 up->payload));
}

TEST_CASE("pseudo-header: the layouts read back every field it was built from", "[pseudo_header][property]") {
    rc::prop("IPv4", [](std::uint32_t src, std::uint32_t dst, std::uint8_t protocol, std::uint16_t length) {
        const auto p =
            pseudo_header::ipv4(ipv4_address::from_u32(src), ipv4_address::from_u32(dst), protocol, length);
        RC_ASSERT(p.size() == 12u);
        const view<ipv4_pseudo_layout> f{p.bytes().data()};
        RC_ASSERT(f.get<"src">() == src);
        RC_ASSERT(f.get<"dst">() == dst);
        RC_ASSERT(f.get<"zero">() == 0);
        RC_ASSERT(f.get<"protocol">() == protocol);
        RC_ASSERT(f.get<"length">() == length);
    });
    rc::prop("IPv6", [](std::array<std::uint8_t, 16> src, std::array<std::uint8_t, 16> dst, std::uint8_t next,
                        std::uint32_t length) {
        const auto p = pseudo_header::ipv6(ipv6_address{src}, ipv6_address{dst}, next, length);
        RC_ASSERT(p.size() == 40u);
        const view<ipv6_pseudo_layout> f{p.bytes().data()};
        RC_ASSERT(f.get<"src">() == src);
        RC_ASSERT(f.get<"dst">() == dst);
        RC_ASSERT(f.get<"upper_layer_length">() == length);
        RC_ASSERT(f.get<"zero">() == 0u);
        RC_ASSERT(f.get<"next_header">() == next);
    });
}

TEST_CASE("pseudo-header: equal when their bytes are, whatever one held before", "[pseudo_header]") {
    const auto v4 = [](std::uint16_t length) {
        return pseudo_header::ipv4(ipv4_address{192, 0, 2, 1}, ipv4_address{192, 0, 2, 2}, ip_protocol::tcp, length);
    };
    // A received datagram's pseudo-header is assigned in place, over whatever
    // an IPv6 datagram left there: only its 12 bytes count.
    auto reused = pseudo_header::ipv6(ipv6_address::from_string("2001:db8::1").value(),
                                      ipv6_address::from_string("2001:db8::2").value(), ip_protocol::tcp, 40);
    reused.assign_ipv4(ipv4_address{192, 0, 2, 1}, ipv4_address{192, 0, 2, 2}, ip_protocol::tcp, 40);
    CHECK(reused == v4(40));
    CHECK(reused != v4(41));
    CHECK(pseudo_header{} == pseudo_header{});
    CHECK(pseudo_header{} != v4(40));
}

TEST_CASE("pseudo-header: assigned from an IPv4 header, it holds the header's addresses", "[pseudo_header][property]") {
    rc::prop("any addresses", [](std::uint32_t src, std::uint32_t dst, std::uint8_t protocol, std::uint16_t length) {
        ipv4_repr r;
        r.src = ipv4_address::from_u32(src);
        r.dst = ipv4_address::from_u32(dst);
        byte_vector header(20);
        RC_ASSERT(r.emit(header));
        auto p = pseudo_header::ipv6(ipv6_address{}, ipv6_address{}, ip_protocol::udp, 8);
        p.assign_ipv4(*ipv4_view::check(header), protocol, length);
        RC_ASSERT(p == pseudo_header::ipv4(r.src, r.dst, protocol, length));
    });
}
