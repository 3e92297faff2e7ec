// The layout DSL: offsets and sizes computed at compile time, fields of any
// width at any bit offset, and the generic view, printing and repr that a
// user's own layout gets.
#include <l4/checksum/crc32c.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/layout_repr.hpp>
#include <l4/wire/transport_checksum.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <array>
#include <sstream>
#include <string>
#include <vector>

using namespace l4::wire;

namespace {

// A user's variant of UDP: 32-bit ports, a version nibble, three flag bits,
// a 13-bit length and a CRC32C instead of the internet checksum.
using wide_udp = layout<field<"src_port", 32>, field<"dst_port", 32>,  //
                        field<"version", 4>, field<"urgent", 1>, field<"ack", 1>, field<"fin", 1>,
                        field<"length", 9>,                          //
                        field<"checksum", 32>>;
static_assert(wide_udp::size == 14);
static_assert(wide_udp::offset_of<"version"> == 64);
static_assert(wide_udp::offset_of<"length"> == 71);
static_assert(wide_udp::offset_of<"checksum"> == 80);
static_assert(std::is_same_v<wide_udp::field_t<"src_port">::value_type, std::uint32_t>);
static_assert(std::is_same_v<wide_udp::field_t<"length">::value_type, std::uint16_t>);
static_assert(std::is_same_v<wide_udp::field_t<"fin">::value_type, std::uint8_t>);

using with_address = layout<field<"a", 3>, field<"b", 5>, field<"addr", 128>>;
static_assert(with_address::size == 17);
static_assert(std::is_same_v<with_address::field_t<"addr">::value_type, std::array<std::uint8_t, 16>>);

}  // namespace

TEST_CASE("layout: sub-byte fields are read and written in RFC bit order", "[layout]") {
    std::array<std::uint8_t, 14> b{};
    mut_view<wide_udp> v{b.data()};
    v.set<"version">(0xA);
    v.set<"fin">(1);
    v.set<"length">(0x1FF);
    // version 1010, urgent 0, ack 0, fin 1, length 1 1111 1111
    CHECK(b[8] == 0b1010'0011);
    CHECK(b[9] == 0xFF);
    v.set<"length">(0);
    CHECK(b[8] == 0b1010'0010);
    CHECK(b[9] == 0x00);
    CHECK(v.get<"version">() == 0xA);
    CHECK(v.get<"fin">() == 1);
}

TEST_CASE("layout: setting a field leaves its neighbours alone", "[layout][property]") {
    rc::prop("every field keeps its value whatever is written next to it", [](std::uint8_t version, bool urgent,
                                                                             bool fin, std::uint16_t length,
                                                                             std::uint32_t port) {
        std::array<std::uint8_t, 14> b{};
        b.fill(*rc::gen::arbitrary<std::uint8_t>());
        mut_view<wide_udp> v{b.data()};
        v.set<"version">(version & 0xF);
        v.set<"urgent">(urgent);
        v.set<"fin">(fin);
        v.set<"length">(length & 0x1FF);
        v.set<"dst_port">(port);
        RC_ASSERT(v.get<"version">() == (version & 0xF));
        RC_ASSERT(v.get<"urgent">() == urgent);
        RC_ASSERT(v.get<"fin">() == fin);
        RC_ASSERT(v.get<"length">() == (length & 0x1FF));
        RC_ASSERT(v.get<"dst_port">() == port);
    });
}

TEST_CASE("layout: a view over too few bytes is refused", "[layout][errors]") {
    std::array<std::uint8_t, 13> b{};
    CHECK(view<wide_udp>::check(b).error() == l4::errc::truncated);
    CHECK(view<wide_udp>::check(std::span{b}.first(0)).error() == l4::errc::truncated);
}

TEST_CASE("layout: any layout prints field by field", "[layout]") {
    std::array<std::uint8_t, 17> b{};
    mut_view<with_address> v{b.data()};
    v.set<"a">(5);
    v.set<"b">(17);
    std::array<std::uint8_t, 16> addr{0x20, 0x01, 0x0d, 0xb8};
    addr[15] = 1;
    v.set<"addr">(addr);
    std::ostringstream os;
    print_fields(os, view<with_address>{v});
    CHECK(os.str() == "a=5 b=17 addr=20010db8000000000000000000000001");
}

TEST_CASE("layout: differences are named field by field", "[layout]") {
    std::array<std::uint8_t, 14> x{}, y{};
    mut_view<wide_udp>{y.data()}.set<"ack">(1);
    mut_view<wide_udp>{y.data()}.set<"src_port">(9);
    std::vector<std::string> diff;
    for_each_difference(view<wide_udp>{x.data()}, view<wide_udp>{y.data()},
                        [&](std::string_view name) { diff.emplace_back(name); });
    CHECK(diff == std::vector<std::string>{"src_port", "ack"});
}

// Printing and comparing walk the run-time field table; typed access is
// compiled per field. Both must read the same bits.
TEST_CASE("layout: printing agrees with the typed visitor on random bytes", "[layout][property]") {
    rc::prop("print_fields == for_each_field, for a layout with unaligned fields", [] {
        const auto bytes = *rc::gen::container<std::vector<std::uint8_t>>(wide_udp::size, rc::gen::arbitrary<std::uint8_t>());
        std::ostringstream printed, visited;
        print_fields(printed, view<wide_udp>{bytes.data()});
        bool first = true;
        for_each_field(view<wide_udp>{bytes.data()}, [&](std::string_view name, auto value) {
            visited << (first ? "" : " ") << name << '=' << std::uint64_t{value};
            first = false;
        });
        RC_ASSERT(printed.str() == visited.str());
    });
}

TEST_CASE("layout: a difference in any single bit names exactly its field", "[layout][property]") {
    rc::prop("flipping bit k differs only in the field holding bit k", [] {
        const auto k = *rc::gen::inRange<std::size_t>(0, wide_udp::bits);
        std::array<std::uint8_t, wide_udp::size> x{}, y{};
        y[k / 8] ^= static_cast<std::uint8_t>(0x80u >> (k % 8));
        std::vector<std::string_view> diff;
        for_each_difference(view<wide_udp>{x.data()}, view<wide_udp>{y.data()},
                            [&](std::string_view name) { diff.push_back(name); });
        RC_ASSERT(diff.size() == 1u);
        std::size_t i = 0;
        while (!(wide_udp::bit_offsets[i] <= k && k < wide_udp::bit_offsets[i] + wide_udp::infos[i].bits)) ++i;
        RC_ASSERT(diff[0] == wide_udp::names[i]);
    });
}

TEST_CASE("layout repr: a custom layout round-trips through parse and emit", "[layout]") {
    layout_repr<wide_udp> r;
    r.get<"src_port">() = 70000;
    r.get<"dst_port">() = 4000000000u;
    r.get<"version">() = 3;
    r.get<"ack">() = 1;
    r.get<"length">() = 300;
    std::array<std::uint8_t, 14> buf{};
    REQUIRE(r.emit(buf));
    auto back = layout_repr<wide_udp>::parse(buf);
    REQUIRE(back);
    CHECK(*back == r);
    std::ostringstream os;
    os << *back;
    CHECK(os.str() == "src_port=70000 dst_port=4000000000 version=3 urgent=0 ack=1 fin=0 length=300 checksum=0");
}

TEST_CASE("layout repr: emit refuses a value wider than its field", "[layout][errors]") {
    layout_repr<wide_udp> r;
    r.get<"length">() = 512;  // 9 bits hold at most 511
    std::array<std::uint8_t, 14> buf{};
    CHECK(r.emit(buf).error() == l4::errc::value_out_of_range);
    std::array<std::uint8_t, 13> small{};
    r.get<"length">() = 1;
    CHECK(r.emit(small).error() == l4::errc::buffer_too_small);
}

TEST_CASE("layout: a custom layout carries a CRC32C with the same checksum plumbing as TCP", "[layout][checksum]") {
    using crc = l4::checksum::crc32c;
    constexpr std::size_t at = wide_udp::offset_of<"checksum"> / 8;
    std::vector<std::uint8_t> dgram(14 + 5, 0);
    layout_repr<wide_udp> r;
    r.get<"src_port">() = 1;
    r.get<"dst_port">() = 2;
    r.get<"length">() = 19;
    REQUIRE(r.emit(dgram));
    std::copy_n("hello", 5, dgram.begin() + 14);
    fill_checksum<crc>({}, dgram, at);
    CHECK(verify_checksum<crc>({}, dgram, at));
    dgram[16] ^= 0x04;
    CHECK_FALSE(verify_checksum<crc>({}, dgram, at));
}

TEST_CASE("layout repr properties", "[layout][property]") {
    rc::prop("parse(emit(r)) == r for every in-range value", [](std::uint32_t s, std::uint32_t d, std::uint8_t ver,
                                                              std::uint16_t len, std::uint32_t sum) {
        layout_repr<wide_udp> r;
        r.get<"src_port">() = s;
        r.get<"dst_port">() = d;
        r.get<"version">() = ver & 0xF;
        r.get<"length">() = len & 0x1FF;
        r.get<"checksum">() = sum;
        std::array<std::uint8_t, 14> buf{};
        RC_ASSERT(r.emit(buf).has_value());
        RC_ASSERT(*layout_repr<wide_udp>::parse(buf) == r);
    });
}
