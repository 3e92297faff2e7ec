// The TCP header: the four wire tests (read, build, parse, emit) and every
// way a segment can be malformed.
#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/wire/tcp.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <array>
#include <sstream>
#include <string_view>
#include <vector>

using namespace l4::wire;
using l4::seq32;

namespace {

// A SYN from Linux, 192.0.2.1:37366 -> 192.0.2.2:50007 (tcp_echo_ipv4.pcap frame 9).
constexpr std::array<std::uint8_t, 40> syn_bytes{
    0x91, 0xf6, 0xc3, 0x57, 0x6c, 0xe9, 0xa1, 0x0e, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
    0xfa, 0xf0, 0x1d, 0x16, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
    0xeb, 0x89, 0x5d, 0x22, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a};
// Its IPv4 pseudo-header: src, dst, zero, protocol 6, TCP length 40.
constexpr std::array<std::uint8_t, 12> syn_pseudo{0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
                                                  0x00, 0x06, 0x00, 0x28};

tcp_repr syn_repr() {
    tcp_repr r;
    r.src_port = 37366;
    r.dst_port = 50007;
    r.seq_number = seq32{1827250446};
    r.flags.bits = tcp_flags::syn;
    r.window = 64240;
    r.options.mss = 1460;
    r.options.sack_permitted = true;
    r.options.ts = timestamps{3951648034u, 0};
    r.options.window_scale = 10;
    return r;
}

}  // namespace

TEST_CASE("tcp: fields of a captured SYN read as Wireshark reads them", "[tcp]") {
    auto v = tcp_view::check(syn_bytes);
    REQUIRE(v);
    CHECK(v->src_port() == 37366);
    CHECK(v->dst_port() == 50007);
    CHECK(v->seq_number() == seq32{1827250446});
    CHECK(v->ack_number() == seq32{0});
    CHECK(v->header_len() == 40);
    CHECK(v->flags() == tcp_flags{tcp_flags::syn});
    CHECK(v->window() == 64240);
    CHECK(v->checksum() == 0x1d16);
    CHECK(v->payload().empty());
    CHECK(v->sequence_len() == 1);
    CHECK(v->verify_checksum<l4::checksum::internet>(syn_pseudo));
}

TEST_CASE("tcp: the header is also reachable field by field through its layout", "[tcp][layout]") {
    auto h = tcp_view::check(syn_bytes)->header();
    CHECK(h.get<"data_offset">() == 10);
    CHECK(h.get<"syn">() == 1);
    CHECK(h.get<"ack">() == 0);
    CHECK(h.get<"window">() == 64240);
}

TEST_CASE("tcp: parse decodes the SYN's options", "[tcp]") {
    auto r = tcp_repr::parse(syn_bytes, syn_pseudo, l4::checksum::internet{});
    REQUIRE(r);
    CHECK(*r == syn_repr());
}

TEST_CASE("tcp: build and emit give back a segment that parses to the same repr", "[tcp]") {
    const tcp_repr r = syn_repr();
    std::array<std::uint8_t, 60> buf{};
    auto n = r.emit(buf, syn_pseudo, l4::checksum::internet{});
    REQUIRE(n);
    CHECK(*n == 40);
    auto back = tcp_repr::parse(std::span{buf}.first(*n), syn_pseudo, l4::checksum::internet{});
    REQUIRE(back);
    CHECK(*back == r);
    // Linux lays the options out the same way, so the bytes agree too.
    CHECK(std::ranges::equal(std::span{buf}.first(*n), syn_bytes));
}

TEST_CASE("tcp: malformed segments are refused with the reason", "[tcp][errors]") {
    std::vector<std::uint8_t> seg(syn_bytes.begin(), syn_bytes.end());

    SECTION("shorter than the fixed header") {
        CHECK(tcp_view::check(std::span{seg}.first(19)).error() == l4::errc::truncated);
        CHECK(tcp_view::check({}).error() == l4::errc::truncated);
    }
    SECTION("data offset below five words") {
        for (std::uint8_t doff : {0, 1, 4}) {
            seg[12] = static_cast<std::uint8_t>(doff << 4);
            CHECK(tcp_view::check(seg).error() == l4::errc::bad_data_offset);
        }
    }
    SECTION("data offset past the end of the segment") {
        CHECK(tcp_view::check(std::span{seg}.first(36)).error() == l4::errc::bad_data_offset);
        seg[12] = 0xF0;
        CHECK(tcp_view::check(seg).error() == l4::errc::bad_data_offset);
    }
    SECTION("an option whose length runs past the options") {
        seg[21] = 40;  // MSS claims 40 bytes
        REQUIRE(tcp_view::check(seg));
        CHECK(tcp_repr::parse(seg).error() == l4::errc::bad_option_length);
    }
    SECTION("a one-bit change breaks the checksum") {
        seg[5] ^= 0x10;
        CHECK(tcp_repr::parse(seg).has_value());
        CHECK(tcp_repr::parse(seg, syn_pseudo, l4::checksum::internet{}).error() == l4::errc::bad_checksum);
    }
}

TEST_CASE("tcp: emit refuses a buffer that is too small and options that do not fit", "[tcp][errors]") {
    tcp_repr r = syn_repr();
    std::array<std::uint8_t, 39> small{};
    CHECK(r.emit(small).error() == l4::errc::buffer_too_small);
    r.options.add_sack({seq32{1}, seq32{2}});
    r.options.add_sack({seq32{3}, seq32{4}});
    r.options.add_sack({seq32{5}, seq32{6}});
    std::array<std::uint8_t, 100> big{};
    CHECK(r.emit(big).error() == l4::errc::options_too_long);
}

TEST_CASE("tcp: a segment without options prints no options list", "[tcp]") {
    // The RST+ACK a closed port sends (tcp_rst_closed_port.pcap frame 4).
    constexpr std::array<std::uint8_t, 20> rst{0xc3, 0xb3, 0x9b, 0xea, 0x00, 0x00, 0x00, 0x00, 0x3e, 0xcc,
                                               0x1f, 0x9d, 0x50, 0x14, 0x00, 0x00, 0x6d, 0xc5, 0x00, 0x00};
    std::ostringstream os;
    os << *tcp_view::check(rst);
    CHECK(os.str() == "50099 > 39914: Flags [R.], seq 0, ack 1053564829, win 0, length 0");
}

TEST_CASE("tcp: a view prints as one tcpdump-like line", "[tcp]") {
    std::ostringstream os;
    os << *tcp_view::check(syn_bytes);
    CHECK(os.str() ==
          "37366 > 50007: Flags [S], seq 1827250446, win 64240, "
          "options [mss 1460,sackOK,TS val 3951648034 ecr 0,wscale 10], length 0");
}

TEST_CASE("tcp: Fast Open options print as tcpdump prints them", "[tcp][fast_open]") {
    // A SYN with <FO,nop,nop>, then one with <FO abcd1234,nop,nop>.
    std::array<std::uint8_t, 28> syn{0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff,
                                     0,    0,    0,    0,    34, 2, 1, 1, 0, 0, 0, 0};
    std::ostringstream os;
    os << *tcp_view::check(std::span{syn}.first(24));
    CHECK(os.str() == "40000 > 80: Flags [S], seq 1, win 65535, options [tfo cookiereq], length 0");
    syn[12] = 0x70;
    const std::array<std::uint8_t, 8> cookie{34, 6, 0xab, 0xcd, 0x12, 0x34, 1, 1};
    std::copy(cookie.begin(), cookie.end(), syn.begin() + 20);
    std::ostringstream os2;
    os2 << *tcp_view::check(syn);
    CHECK(os2.str() == "40000 > 80: Flags [S], seq 1, win 65535, options [tfo cookie abcd1234], length 0");
}

namespace {
// A TCP variant: 32-bit ports, the control bits in the opposite order, a
// CRC32C in a 32-bit checksum field, and a spare field to end on a word.
using wide_tcp_layout =
    layout<field<"src_port", 32>, field<"dst_port", 32>, field<"seq_number", 32>, field<"ack_number", 32>,
           field<"data_offset", 4>, field<"reserved", 4>,                                      //
           field<"fin", 1>, field<"syn", 1>, field<"rst", 1>, field<"psh", 1>,                 //
           field<"ack", 1>, field<"urg", 1>, field<"ece", 1>, field<"cwr", 1>,                 //
           field<"window", 16>, field<"checksum", 32>, field<"urgent_pointer", 16>, field<"spare", 16>>;
static_assert(wide_tcp_layout::size == 28);
using wide_tcp_view = basic_tcp_view<wide_tcp_layout>;
using wide_tcp_repr = basic_tcp_repr<wide_tcp_layout>;
}  // namespace

TEST_CASE("tcp: a custom layout (32-bit ports, CRC32C) goes through the same view and repr", "[tcp][layout]") {
    constexpr std::array<std::uint8_t, 12> pseudo{192, 0, 2, 1, 192, 0, 2, 2, 0, 6, 0, 0};
    constexpr std::string_view text = "hello";
    wide_tcp_repr r;
    r.src_port = 100000;
    r.dst_port = 4000000000u;
    r.seq_number = seq32{0xFFFFFFF0u};
    r.ack_number = seq32{7};
    r.flags.bits = tcp_flags::syn | tcp_flags::ack | tcp_flags::ece;
    r.window = 512;
    r.urgent_pointer = 3;
    r.options.mss = 8960;
    r.options.ts = timestamps{1, 2};
    r.payload = l4::bytes{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};

    std::vector<std::uint8_t> buf(r.buffer_len(), 0xEE);
    auto n = r.emit(buf, pseudo, l4::checksum::crc32c{});
    REQUIRE(n);
    CHECK(*n == 28 + 16 + 5);

    auto v = wide_tcp_view::check(buf);
    REQUIRE(v);
    CHECK(v->src_port() == 100000u);
    CHECK(v->dst_port() == 4000000000u);
    CHECK(v->header_len() == 44);
    CHECK(v->flags() == r.flags);
    // The bits sit where the layout says, not in byte 13.
    CHECK(v->header().get<"fin">() == 0);
    CHECK(v->header().get<"syn">() == 1);
    CHECK(v->header().get<"ack">() == 1);
    CHECK(v->header().get<"ece">() == 1);
    CHECK(buf[16] >> 4 == 11);  // data offset: 44 bytes
    CHECK(buf[17] == 0b0100'1010);  // syn, ack, ece in this layout's order
    CHECK(v->header().get<"spare">() == 0);
    CHECK(v->window() == 512);
    CHECK(v->urgent_pointer() == 3);
    CHECK(v->payload().size() == 5);
    CHECK(v->verify_checksum<l4::checksum::crc32c>(pseudo));

    auto back = wide_tcp_repr::parse(buf, pseudo, l4::checksum::crc32c{});
    REQUIRE(back);
    CHECK(*back == r);

    buf.back() ^= 1;
    CHECK(wide_tcp_repr::parse(buf, pseudo, l4::checksum::crc32c{}).error() == l4::errc::bad_checksum);

    std::ostringstream os;
    os << *v;
    CHECK(os.str() == "100000 > 4000000000: Flags [SE.], seq 4294967280:4294967285, ack 7, win 512, "
                      "options [mss 8960,TS val 1 ecr 2], length 5");

    // The data offset can count 60 bytes: 28 fixed and 32 of options.
    r.options.add_sack({seq32{1}, seq32{2}});
    r.options.add_sack({seq32{3}, seq32{4}});
    REQUIRE(r.options.buffer_len() == 36);
    CHECK(r.emit(buf).error() == l4::errc::options_too_long);
}

TEST_CASE("tcp: a print reads options leniently: good ones shown, a malformed one marked", "[tcp][options]") {
    // The SYN above with its last option, window scale, given length 4: it
    // runs past the options, so the walk stops there (tcpdump: "[bad opt]").
    std::array<std::uint8_t, 40> seg = syn_bytes;
    seg[38] = 4;
    std::ostringstream os;
    os << *tcp_view::check(seg);
    CHECK(os.str() ==
          "37366 > 50007: Flags [S], seq 1827250446, win 64240, "
          "options [mss 1460,sackOK,TS val 3951648034 ecr 0,[bad opt]], length 0");
    CHECK(tcp_repr::parse(seg).error() == l4::errc::bad_option_length);
}

namespace {
tcp_repr random_repr(std::vector<std::uint8_t>& payload_store) {
    tcp_repr r;
    r.src_port = *rc::gen::arbitrary<std::uint16_t>();
    r.dst_port = *rc::gen::arbitrary<std::uint16_t>();
    r.seq_number = seq32{*rc::gen::arbitrary<std::uint32_t>()};
    r.ack_number = seq32{*rc::gen::arbitrary<std::uint32_t>()};
    r.flags.bits = *rc::gen::arbitrary<std::uint8_t>();
    r.window = *rc::gen::arbitrary<std::uint16_t>();
    r.urgent_pointer = *rc::gen::arbitrary<std::uint16_t>();
    if (*rc::gen::arbitrary<bool>()) r.options.mss = *rc::gen::arbitrary<std::uint16_t>();
    if (*rc::gen::arbitrary<bool>()) r.options.window_scale = *rc::gen::inRange<std::uint8_t>(0, 15);
    r.options.sack_permitted = *rc::gen::arbitrary<bool>();
    if (*rc::gen::arbitrary<bool>())
        r.options.ts = timestamps{*rc::gen::arbitrary<std::uint32_t>(), *rc::gen::arbitrary<std::uint32_t>()};
    const int blocks = *rc::gen::inRange(0, 5);
    for (int i = 0; i < blocks; ++i)
        r.options.add_sack({seq32{*rc::gen::arbitrary<std::uint32_t>()}, seq32{*rc::gen::arbitrary<std::uint32_t>()}});
    payload_store = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange(0, 1500),
                                                                    rc::gen::arbitrary<std::uint8_t>());
    r.payload = payload_store;
    return r;
}
}  // namespace

TEST_CASE("tcp properties", "[tcp][property]") {
    rc::prop("repr -> emit -> view -> repr is the identity when the options fit", [] {
        std::vector<std::uint8_t> payload;
        const tcp_repr r = random_repr(payload);
        std::vector<std::uint8_t> buf(r.buffer_len());
        auto n = r.emit(buf);
        if (r.options.buffer_len() > max_options_len) {
            RC_ASSERT(n.error() == l4::errc::options_too_long);
            return;
        }
        RC_ASSERT(n.has_value());
        auto v = tcp_view::check(buf);
        RC_ASSERT(v.has_value());
        auto back = tcp_repr::from_view(*v);
        RC_ASSERT(back.has_value());
        RC_ASSERT(*back == r);
    });
    rc::prop("read over a repr that held another segment gives what from_view gives", [] {
        std::vector<std::uint8_t> pa, pb;
        const tcp_repr a = random_repr(pa), b = random_repr(pb);
        std::vector<std::uint8_t> ba(a.buffer_len()), bb(b.buffer_len());
        RC_PRE(a.emit(ba).has_value() && b.emit(bb).has_value());
        const auto va = tcp_view::check(ba), vb = tcp_view::check(bb);
        RC_ASSERT(va.has_value() && vb.has_value());
        tcp_repr reused;
        RC_ASSERT(tcp_repr::read(*va, reused) == l4::errc::ok);
        RC_ASSERT(tcp_repr::read(*vb, reused) == l4::errc::ok);
        RC_ASSERT(reused == *tcp_repr::from_view(*vb));
        RC_ASSERT(reused == b);
    });
    rc::prop("any bytes either check or are refused, and a checked view stays in bounds", [] {
        const auto raw = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange(0, 80),
                                                                         rc::gen::arbitrary<std::uint8_t>());
        auto v = tcp_view::check(raw);
        if (!v) return;
        RC_ASSERT(v->header_len() + v->payload().size() == raw.size());
        auto walk = v->walk_options();
        std::size_t seen = 0;
        while (auto opt = walk.next()) seen += opt->data.size() + 2;
        RC_ASSERT(seen <= v->options().size());
        (void)tcp_repr::from_view(*v);
    });
}
