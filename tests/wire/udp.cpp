// The UDP header: the four wire tests, the zero-checksum rules of RFC 768
// and RFC 8200, and malformed lengths.
#include <l4/checksum/internet.hpp>
#include <l4/checksum/none.hpp>
#include <l4/wire/udp.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <array>
#include <string_view>
#include <vector>

using namespace l4::wire;
using l4::checksum::internet;

namespace {
// "Hello World" from 192.0.2.1:36323 to 192.0.2.2:50000 (udp_ipv4.pcap frame 1).
constexpr std::array<std::uint8_t, 19> hello{0x8d, 0xe3, 0xc3, 0x50, 0x00, 0x13, 0xd8, 0xc1, 'H', 'e',
                                             'l',  'l',  'o',  ' ',  'W',  'o',  'r',  'l',  'd'};
constexpr std::array<std::uint8_t, 12> hello_pseudo{0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00,
                                                    0x02, 0x02, 0x00, 0x11, 0x00, 0x13};
}  // namespace

TEST_CASE("udp: fields of a captured datagram", "[udp]") {
    auto v = udp_view::check(hello);
    REQUIRE(v);
    CHECK(v->src_port() == 36323);
    CHECK(v->dst_port() == 50000);
    CHECK(v->length() == 19);
    CHECK(v->checksum() == 0xd8c1);
    CHECK(std::string_view(reinterpret_cast<const char*>(v->payload().data()), v->payload().size()) == "Hello World");
    CHECK(v->verify_checksum<internet>(hello_pseudo, udp_zero_checksum::means_none));
}

TEST_CASE("udp: build, emit and parse agree with the capture", "[udp]") {
    const udp_repr r{36323, 50000, std::span{hello}.subspan(8)};
    std::array<std::uint8_t, 64> buf{};
    auto n = r.emit(buf, hello_pseudo, internet{});
    REQUIRE(n);
    CHECK(std::ranges::equal(std::span{buf}.first(*n), hello));
    auto back = udp_repr::parse(std::span{buf}.first(*n), hello_pseudo, udp_zero_checksum::invalid, internet{});
    REQUIRE(back);
    CHECK(*back == r);
}

TEST_CASE("udp: a computed checksum of zero is sent as 0xFFFF", "[udp][checksum]") {
    // Choose the last payload word so the sum over everything comes to 0xFFFF.
    std::array<std::uint8_t, 10> payload{};
    std::array<std::uint8_t, 64> buf{};
    udp_repr r{1, 2, payload};
    auto n = r.emit(buf, hello_pseudo, internet{});
    REQUIRE(n);
    const std::uint16_t c = udp_view::check(std::span{buf}.first(*n))->checksum();
    l4::store_be16(payload.data() + 8, c);  // adding the checksum makes the sum 0xFFFF: its complement is 0
    n = r.emit(buf, hello_pseudo, internet{});
    REQUIRE(n);
    auto v = udp_view::check(std::span{buf}.first(*n));
    CHECK(v->checksum() == 0xFFFF);
    CHECK(v->verify_checksum<internet>(hello_pseudo, udp_zero_checksum::invalid));
}

TEST_CASE("udp: a received zero checksum means none over IPv4 and is invalid over IPv6", "[udp][checksum]") {
    std::array<std::uint8_t, 19> d = hello;
    d[6] = d[7] = 0;
    auto v = udp_view::check(d);
    CHECK(v->verify_checksum<internet>(hello_pseudo, udp_zero_checksum::means_none));
    CHECK_FALSE(v->verify_checksum<internet>(hello_pseudo, udp_zero_checksum::invalid));
}

TEST_CASE("udp: the none strategy sends zero, read as no checksum", "[udp][checksum]") {
    const udp_repr r{7, 9, std::span{hello}.subspan(8)};
    std::array<std::uint8_t, 64> buf{};
    auto n = r.emit(buf, hello_pseudo, l4::checksum::none{});
    REQUIRE(n);
    CHECK(udp_view::check(std::span{buf}.first(*n))->checksum() == 0);
}

TEST_CASE("udp: malformed lengths are refused with the reason", "[udp][errors]") {
    std::array<std::uint8_t, 19> d = hello;
    CHECK(udp_view::check(std::span{d}.first(7)).error() == l4::errc::truncated);
    d[5] = 7;  // length below the header
    CHECK(udp_view::check(d).error() == l4::errc::length_mismatch);
    d[5] = 20;  // one byte more than present
    CHECK(udp_view::check(d).error() == l4::errc::truncated);
    d[5] = 18;  // one byte less: the view trims, the strict repr refuses
    REQUIRE(udp_view::check(d));
    CHECK(udp_view::check(d)->payload().size() == 10);
    CHECK(udp_repr::parse(d).error() == l4::errc::length_mismatch);
}

TEST_CASE("udp properties", "[udp][property]") {
    rc::prop("repr -> emit -> parse is the identity and the checksum verifies", [] {
        const auto payload = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange(0, 2000),
                                                                             rc::gen::arbitrary<std::uint8_t>());
        const udp_repr r{*rc::gen::arbitrary<std::uint16_t>(), *rc::gen::arbitrary<std::uint16_t>(), payload};
        std::vector<std::uint8_t> buf(r.buffer_len());
        auto n = r.emit(buf, hello_pseudo, internet{});
        RC_ASSERT(n.has_value());
        auto back = udp_repr::parse(buf, hello_pseudo, udp_zero_checksum::invalid, internet{});
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == r);
    });
}
