// IPv4: the four wire tests on captured headers, every error of check,
// parse and emit, fragments, options, the header checksum, address text,
// and every IPv4 datagram of the shared captures.
#include <l4/wire/ethernet.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/pcap.hpp>

#include "../support.hpp"
#include <rapidcheck/catch.h>

#include <algorithm>
#include <array>
#include <cstdint>
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

// Hex digits with spaces between words for the reader, as in the RFC diagrams.
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

// udp_ipv4.pcap frame 1: "Hello World" from 192.0.2.1:36323 to 192.0.2.2:50000.
const byte_vector hello = hex(
    "4500 0027 bfd4 4000 4011 f6ed c000 0201 c000 0202"  // IPv4
    " 8de3 c350 0013 d8c1 4865 6c6c 6f20 576f 726c 64");  // UDP, "Hello World"

// tcp_echo_ipv4.pcap frame 9: the SYN from 192.0.2.1:37366 to 192.0.2.2:50007.
const byte_vector syn_header = hex("4500 003c 2f9e 4000 4006 871a c000 0201 c000 0202");

// A hand-made header with one option, Router Alert (RFC 2113: 94 04 00 00),
// carrying an empty UDP datagram.
const byte_vector with_router_alert = hex(
    "4600 0020 0001 0000 4011 61c4 c000 0201 c000 0202 9404 0000"
    " 8de3 c350 0008 0000");

// An independent RFC 1071 sum, so a test can re-checksum a header it edited.
void refill_checksum(byte_vector& d) {
    const std::size_t hlen = std::size_t{d[0] & 0x0Fu} * 4;
    d[10] = d[11] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < hlen; i += 2) sum += (std::uint32_t{d[i]} << 8) | d[i + 1];
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
    d[10] = static_cast<std::uint8_t>(~sum >> 8);
    d[11] = static_cast<std::uint8_t>(~sum);
}

template <class Edit>
byte_vector edited(byte_vector d, Edit edit) {
    edit(d);
    return d;
}

ipv4_repr hello_repr() {
    ipv4_repr r;
    r.src = ipv4_address{192, 0, 2, 1};
    r.dst = ipv4_address{192, 0, 2, 2};
    r.protocol = ip_protocol::udp;
    r.ttl = 64;
    r.identification = 0xbfd4;
    r.dont_fragment = true;
    r.payload_len = 19;
    return r;
}

rc::Gen<ipv4_repr> any_ipv4_repr() {
    return rc::gen::exec([] {
        ipv4_repr r;
        r.src = ipv4_address::from_u32(*rc::gen::arbitrary<std::uint32_t>());
        r.dst = ipv4_address::from_u32(*rc::gen::arbitrary<std::uint32_t>());
        r.protocol = *rc::gen::arbitrary<std::uint8_t>();
        r.ttl = *rc::gen::arbitrary<std::uint8_t>();
        r.identification = *rc::gen::arbitrary<std::uint16_t>();
        r.dont_fragment = *rc::gen::arbitrary<bool>();
        r.dscp = *rc::gen::inRange<std::uint8_t>(0, 64);
        r.ecn = *rc::gen::inRange<std::uint8_t>(0, 4);
        r.payload_len = *rc::gen::inRange<std::uint16_t>(0, 65516);
        return r;
    });
}

byte_vector read_capture(const std::string& name) {
    std::ifstream in(std::string(L4_TEST_DATA) + "/pcap/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("ipv4: fields of a captured datagram read as Wireshark reads them", "[ipv4]") {
    auto v = ipv4_view::check(hello);
    REQUIRE(v);
    CHECK(v->version() == 4);
    CHECK(v->ihl() == 5);
    CHECK(v->header_len() == 20);
    CHECK(v->dscp() == 0);
    CHECK(v->ecn() == 0);
    CHECK(v->total_length() == 39);
    CHECK(v->identification() == 0xbfd4);
    CHECK_FALSE(v->reserved_flag());
    CHECK(v->dont_fragment());
    CHECK_FALSE(v->more_fragments());
    CHECK(v->fragment_offset() == 0);
    CHECK_FALSE(v->is_fragment());
    CHECK(v->ttl() == 64);
    CHECK(v->protocol() == ip_protocol::udp);
    CHECK(v->header_checksum() == 0xf6ed);
    CHECK(v->src() == ipv4_address{192, 0, 2, 1});
    CHECK(v->dst() == ipv4_address{192, 0, 2, 2});
    CHECK(v->options().empty());
    CHECK(v->header_bytes().size() == 20);
    REQUIRE(v->payload().size() == 19);
    CHECK(v->payload()[0] == 0x8d);
    CHECK(v->verify_header_checksum());
}

TEST_CASE("ipv4: the header is also reachable field by field through its layout", "[ipv4][layout]") {
    auto v = ipv4_view::check(hello);
    REQUIRE(v);
    std::ostringstream os;
    print_fields(os, v->header());
    CHECK(os.str() ==
          "version=4 ihl=5 dscp=0 ecn=0 total_length=39 identification=49108 reserved=0 df=1 mf=0 "
          "fragment_offset=0 ttl=64 protocol=17 header_checksum=63213 src=3221225985 dst=3221225986");
    std::ostringstream line;
    line << *v;
    CHECK(line.str() ==
          "192.0.2.1 > 192.0.2.2: IP (tos 0x0, ttl 64, id 49108, offset 0, flags [DF], proto 17, length 39)");
}

TEST_CASE("ipv4: build then emit gives the captured header byte for byte", "[ipv4]") {
    byte_vector buf(20);
    auto n = hello_repr().emit(buf);
    REQUIRE(n);
    CHECK(*n == 20);
    CHECK(buf == byte_vector(hello.begin(), hello.begin() + 20));
}

TEST_CASE("ipv4: parse of the captured datagram gives the repr it was built from", "[ipv4]") {
    auto r = ipv4_repr::parse(hello);
    REQUIRE(r);
    CHECK(*r == hello_repr());
    CHECK(r->header_len() == 20);
    CHECK(r->buffer_len() == 39);
}

// RFC 1071 §4.1: the carry is folded until none is left. This header's
// words sum to 0x2FFFE; one fold gives 0x10000, which still carries, and a
// second gives 0x0001: the checksum is 0xFFFE. Code that folds once writes
// 0xFFFF.
TEST_CASE("ipv4: a header whose checksum needs the carry folded twice", "[ipv4][checksum]") {
    ipv4_repr r;
    r.src = ipv4_address{192, 0, 2, 1};
    r.dst = ipv4_address{192, 0, 2, 2};
    r.protocol = ip_protocol::udp;
    r.ttl = 64;
    r.dont_fragment = true;
    r.identification = 0xB6CE;
    r.payload_len = 8;
    std::array<std::uint8_t, 28> buf{};
    const auto n = r.emit(buf);
    REQUIRE(n);
    CHECK(*n == 20);
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 20; i += 2)
        if (i != 10) sum += l4::load_be16(buf.data() + i);
    CHECK(sum == 0x2FFFE);
    const auto v = ipv4_view::check(buf);
    REQUIRE(v);
    CHECK(v->header_checksum() == 0xFFFE);
    CHECK(v->verify_header_checksum());
    CHECK(ipv4_repr::parse(buf).has_value());
    buf[11] = 0xFF;  // the single-fold answer, 0xFFFF, is wrong
    CHECK_FALSE(ipv4_view::check(buf)->verify_header_checksum());
}

TEST_CASE("ipv4: the header sum taken 32 bits at a time is RFC 1071's sum of 16-bit words", "[ipv4][checksum][property]") {
    rc::prop("any bytes, any length up to a 60-byte header and past it", [] {
        const auto data = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange<std::size_t>(0, 70),
                                                                         rc::gen::arbitrary<std::uint8_t>());
        std::uint64_t sum = 0;  // the textbook loop: 16-bit words, an odd byte padded with zero
        for (std::size_t i = 0; i < data.size(); i += 2)
            sum += std::uint64_t{data[i]} << 8 | (i + 1 < data.size() ? data[i + 1] : 0u);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        RC_ASSERT(l4::wire::detail::ipv4_header_sum(data) == static_cast<std::uint16_t>(~sum));
    });
}

TEST_CASE("ipv4: the header checksum of a captured SYN verifies, and any flipped bit breaks it", "[ipv4][checksum]") {
    const auto syn = edited(syn_header, [](byte_vector& d) { d.resize(60); });
    auto v = ipv4_view::check(syn);
    REQUIRE(v);
    CHECK(v->header_checksum() == 0x871a);
    CHECK(v->protocol() == ip_protocol::tcp);
    CHECK(v->verify_header_checksum());
    for (std::size_t bit = 0; bit < 160; ++bit) {
        // Flipping a bit of Total Length may make check() fail instead; those bits say nothing here.
        auto d = edited(syn_header, [&](byte_vector& b) {
            b.resize(60);
            b[bit / 8] ^= static_cast<std::uint8_t>(0x80 >> bit % 8);
        });
        if (auto f = ipv4_view::check(d)) {
            INFO("bit " << bit);
            CHECK_FALSE(f->verify_header_checksum());
            CHECK(ipv4_repr::parse(d).error() == errc::bad_checksum);
        }
    }
}

// The header the fuzzer found: its words sum to 0xFFFF without the checksum,
// so the checksum is 0x0000, and 0xFFFF (one's-complement minus zero) is as good.
TEST_CASE("ipv4: a checksum of 0xFFFF where 0x0000 is computed verifies, and re-emits as 0x0000", "[ipv4][checksum]") {
    const byte_vector minus_zero{0x45, 0x64, 0x00, 0x14, 0x05, 0x22, 0x00, 0x00, 0xb6, 0xfd,
                                 0xff, 0xff, 0xff, 0x64, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    auto v = ipv4_view::check(minus_zero);
    REQUIRE(v);
    CHECK(v->header_checksum() == 0xFFFF);
    CHECK(v->verify_header_checksum());
    auto r = ipv4_repr::parse(minus_zero);
    REQUIRE(r);
    byte_vector out(20);
    REQUIRE(r->emit(out));
    CHECK(l4::load_be16(out.data() + 10) == 0x0000);
    CHECK(ipv4_view::check(out)->verify_header_checksum());
    CHECK(std::equal(out.begin(), out.begin() + 10, minus_zero.begin()));
    CHECK(std::equal(out.begin() + 12, out.end(), minus_zero.begin() + 12));
}

TEST_CASE("ipv4: DSCP and ECN share the old Type of Service byte", "[ipv4]") {
    ipv4_repr r = hello_repr();
    r.dscp = 46;  // RFC 3246 Expedited Forwarding
    r.ecn = 1;    // RFC 3168 ECT(1)
    byte_vector buf(20);
    REQUIRE(r.emit(buf));
    CHECK(buf[1] == 0xb9);
    buf.resize(39);
    auto v = ipv4_view::check(buf);
    REQUIRE(v);
    CHECK(v->dscp() == 46);
    CHECK(v->ecn() == 1);
}

TEST_CASE("ipv4: bytes after Total Length are link padding, not payload", "[ipv4]") {
    auto padded = edited(hello, [](byte_vector& d) { d.resize(d.size() + 7, 0); });
    auto v = ipv4_view::check(padded);
    REQUIRE(v);
    CHECK(v->datagram().size() == 39);
    CHECK(v->payload().size() == 19);
    auto r = ipv4_repr::parse(padded);
    REQUIRE(r);
    CHECK(r->payload_len == 19);
}

TEST_CASE("ipv4: options are skipped: the payload starts at IHL * 4", "[ipv4]") {
    auto v = ipv4_view::check(with_router_alert);
    REQUIRE(v);
    CHECK(v->ihl() == 6);
    CHECK(v->header_len() == 24);
    CHECK(v->options().size() == 4);
    CHECK(v->options()[0] == 0x94);
    CHECK(v->payload().size() == 8);
    CHECK(v->payload()[0] == 0x8d);
    CHECK(v->verify_header_checksum());
    auto r = ipv4_repr::parse(with_router_alert);
    REQUIRE(r);
    CHECK(r->payload_len == 8);
    CHECK(r->header_len() == 20);  // emit writes no options
}

TEST_CASE("ipv4: check names what is wrong with a malformed header", "[ipv4][errors]") {
    SECTION("no bytes") { CHECK(ipv4_view::check({}).error() == errc::truncated); }
    SECTION("fewer than 20 bytes") {
        CHECK(ipv4_view::check(l4::bytes(hello).first(19)).error() == errc::truncated);
    }
    SECTION("version 6") {
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[0] = 0x65; })).error() ==
              errc::unsupported_version);
    }
    SECTION("version 0") {
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[0] = 0x05; })).error() ==
              errc::unsupported_version);
    }
    SECTION("IHL below 5") {
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[0] = 0x44; })).error() ==
              errc::bad_header_length);
    }
    SECTION("IHL past the bytes") {
        // IHL 15 says 60 bytes of header; 39 bytes are there.
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[0] = 0x4f; })).error() == errc::truncated);
    }
    SECTION("Total Length shorter than the header") {
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[3] = 19; })).error() ==
              errc::length_mismatch);
    }
    SECTION("Total Length past the bytes") {
        CHECK(ipv4_view::check(edited(hello, [](byte_vector& d) { d[3] = 40; })).error() == errc::truncated);
    }
    SECTION("every cut of a valid datagram is truncated") {
        for (std::size_t n = 0; n < hello.size(); ++n) {
            INFO("first " << n << " bytes");
            CHECK(ipv4_view::check(l4::bytes(hello).first(n)).error() == errc::truncated);
        }
    }
}

TEST_CASE("ipv4: parse refuses a bad checksum and fragments", "[ipv4][errors]") {
    SECTION("bad checksum") {
        CHECK(ipv4_repr::parse(edited(hello, [](byte_vector& d) { d[11] ^= 1; })).error() == errc::bad_checksum);
    }
    SECTION("TTL changed without updating the checksum") {
        CHECK(ipv4_repr::parse(edited(hello, [](byte_vector& d) { --d[8]; })).error() == errc::bad_checksum);
    }
    SECTION("a first fragment (MF set)") {
        auto d = edited(hello, [](byte_vector& b) {
            b[6] = 0x20;
            refill_checksum(b);
        });
        CHECK(ipv4_repr::parse(d).error() == errc::fragment);
    }
    SECTION("a last fragment (offset, MF clear)") {
        auto d = edited(hello, [](byte_vector& b) {
            b[6] = 0x00;
            b[7] = 0xb9;
            refill_checksum(b);
        });
        CHECK(ipv4_repr::parse(d).error() == errc::fragment);
    }
}

TEST_CASE("ipv4: a fragment is recognised by MF or a non-zero offset, not by DF", "[ipv4][fragment]") {
    // Bytes 6 and 7: R D M and the 13-bit offset.
    auto with_flags = [](std::uint8_t b6, std::uint8_t b7) {
        return edited(hello, [&](byte_vector& d) {
            d[6] = b6;
            d[7] = b7;
        });
    };
    const auto dont_fragment = with_flags(0x40, 0x00);
    CHECK_FALSE(ipv4_view::check(dont_fragment)->is_fragment());
    const auto may_fragment = with_flags(0x00, 0x00);
    CHECK_FALSE(ipv4_view::check(may_fragment)->is_fragment());

    const auto first_bytes = with_flags(0x20, 0x00);  // MF, offset 0
    const auto first = *ipv4_view::check(first_bytes);
    CHECK(first.is_fragment());
    CHECK(first.more_fragments());
    CHECK(first.fragment_offset() == 0);

    const auto middle_bytes = with_flags(0x20, 0xb9);  // MF, offset 185 (1480 bytes)
    const auto middle = *ipv4_view::check(middle_bytes);
    CHECK(middle.is_fragment());
    CHECK(middle.fragment_offset() == 185);

    const auto last_bytes = with_flags(0x1f, 0xff);  // no MF, the largest offset
    const auto last = *ipv4_view::check(last_bytes);
    CHECK(last.is_fragment());
    CHECK_FALSE(last.more_fragments());
    CHECK(last.fragment_offset() == 0x1fff);
}

TEST_CASE("ipv4: the reserved (evil) bit is read, accepted by parse, and not emitted", "[ipv4]") {
    auto evil = edited(hello, [](byte_vector& d) {
        d[6] |= 0x80;
        refill_checksum(d);
    });
    auto v = ipv4_view::check(evil);
    REQUIRE(v);
    CHECK(v->reserved_flag());
    CHECK(v->dont_fragment());
    auto r = ipv4_repr::parse(evil);
    REQUIRE(r);
    byte_vector buf(20);
    REQUIRE(r->emit(buf));
    CHECK(buf == byte_vector(hello.begin(), hello.begin() + 20));
}

TEST_CASE("ipv4: emit refuses a small buffer and values wider than their fields", "[ipv4][errors]") {
    byte_vector buf(20);
    CHECK(hello_repr().emit(l4::mut_bytes(buf).first(19)).error() == errc::buffer_too_small);
    CHECK(hello_repr().emit({}).error() == errc::buffer_too_small);
    auto with = [](auto edit) {
        ipv4_repr r = hello_repr();
        edit(r);
        return r;
    };
    CHECK(with([](ipv4_repr& r) { r.dscp = 64; }).emit(buf).error() == errc::value_out_of_range);
    CHECK(with([](ipv4_repr& r) { r.ecn = 4; }).emit(buf).error() == errc::value_out_of_range);
    CHECK(with([](ipv4_repr& r) { r.payload_len = 65516; }).emit(buf).error() == errc::value_out_of_range);
    CHECK(with([](ipv4_repr& r) { r.payload_len = 65515; }).emit(buf));
}

TEST_CASE("ipv4: emit then parse gives the same repr", "[ipv4][property]") {
    rc::prop("for any repr", [] {
        const ipv4_repr r = *any_ipv4_repr();
        byte_vector buf(r.buffer_len());
        const auto n = r.emit(buf);
        RC_ASSERT(n);
        RC_ASSERT(*n == 20u);
        const auto back = ipv4_repr::parse(buf);
        RC_ASSERT(back);
        RC_ASSERT(*back == r);
    });
}

TEST_CASE("ipv4: emit's header sums to all ones by RFC 1071's 16-bit sum", "[ipv4][checksum][property]") {
    rc::prop("for any repr", [] {
        const ipv4_repr r = *any_ipv4_repr();
        byte_vector buf(r.buffer_len());
        RC_ASSERT(r.emit(buf));
        RC_ASSERT(l4::wire::detail::ipv4_header_sum(l4::bytes{buf}.first(20)) == 0);
    });
}

TEST_CASE("ipv4: a header summed in the machine's byte order verifies as the general sum does", "[ipv4][checksum][property]") {
    rc::prop("any 20 bytes, the checksum field right, or off by a little, or all ones or zero", [] {
        auto data = *rc::gen::container<byte_vector>(l4::wire::ipv4_min_header_len, rc::gen::arbitrary<std::uint8_t>());
        const auto choice = *rc::gen::inRange(0, 4);
        if (choice < 3) {
            data[10] = data[11] = 0;
            const std::uint16_t right = l4::wire::detail::ipv4_header_sum(data);
            const std::uint16_t stored = choice == 0   ? right
                                         : choice == 1 ? static_cast<std::uint16_t>(right + *rc::gen::inRange(1, 4))
                                                       : static_cast<std::uint16_t>(right ^ 0xFFFF);
            l4::store_be16(data.data() + 10, stored);
        }
        RC_ASSERT(l4::wire::detail::ipv4_plain_header_sums_to_ones(data.data()) ==
                  (l4::wire::detail::ipv4_header_sum(data) == 0));
    });
    byte_vector zeros(20), ones(20, 0xFF);
    CHECK_FALSE(l4::wire::detail::ipv4_plain_header_sums_to_ones(zeros.data()));
    CHECK(l4::wire::detail::ipv4_plain_header_sums_to_ones(ones.data()));
    CHECK(l4::wire::detail::ipv4_header_sum(ones) == 0);
}

TEST_CASE("ipv4: any bytes give a view or an error, never a read out of bounds", "[ipv4][property]") {
    rc::prop("for any bytes, often with a plausible first byte", [](byte_vector d) {
        if (!d.empty() && *rc::gen::arbitrary<bool>()) d[0] = *rc::gen::inRange<std::uint8_t>(0x40, 0x50);
        if (auto v = ipv4_view::check(d)) {
            RC_ASSERT(v->header_len() >= 20u);
            RC_ASSERT(v->header_len() <= v->total_length());
            RC_ASSERT(v->datagram().size() == v->total_length());
            RC_ASSERT(v->header_bytes().size() + v->payload().size() == v->datagram().size());
            RC_ASSERT(v->options().size() == v->header_len() - 20);
            std::ostringstream os;
            os << *v;
            (void)v->verify_header_checksum();
            (void)v->is_fragment();
        }
        (void)ipv4_repr::parse(d);
    });
}

TEST_CASE("ipv4: addresses print and parse as dotted quads", "[ipv4][address]") {
    CHECK(ipv4_address{192, 0, 2, 1}.text().view() == "192.0.2.1");
    CHECK(ipv4_address{}.text().view() == "0.0.0.0");
    CHECK(ipv4_address{255, 255, 255, 255}.text().view() == "255.255.255.255");
    CHECK(ipv4_address::from_string("192.0.2.1") == ipv4_address{192, 0, 2, 1});
    CHECK(ipv4_address::from_string("0.0.0.0") == ipv4_address{});
    CHECK(ipv4_address::from_u32(0xc0000201) == ipv4_address{192, 0, 2, 1});
    CHECK(ipv4_address{192, 0, 2, 1}.to_u32() == 0xc0000201);
    static_assert(ipv4_address::from_string("10.1.2.3") == ipv4_address{10, 1, 2, 3});
    std::ostringstream os;
    os << ipv4_address{198, 51, 100, 7};
    CHECK(os.str() == "198.51.100.7");
}

TEST_CASE("ipv4: address text that is not a strict dotted quad is refused", "[ipv4][address]") {
    for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "1..2.3", ".1.2.3", "1.2.3.",
                            "01.2.3.4", "1.2.3.00", "1234.1.1.1", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ", "0x1.2.3.4",
                            "1.2.3.4/24"}) {
        INFO('"' << bad << '"');
        CHECK_FALSE(ipv4_address::from_string(bad));
    }
}

TEST_CASE("ipv4: any address survives printing and parsing", "[ipv4][address][property]") {
    rc::prop("from_string(to_string(a)) == a", [](std::uint32_t raw) {
        const auto a = ipv4_address::from_u32(raw);
        RC_ASSERT(ipv4_address::from_string(a.text().view()) == a);
    });
}

TEST_CASE("ipv4: every IPv4 datagram in the shared captures parses and re-emits byte for byte", "[ipv4][pcap]") {
    std::size_t seen = 0;
    for (const char* name : {"tcp_bulk_loss_sack.pcap", "tcp_echo_ipv4.pcap", "tcp_ecn.pcap", "tcp_no_options.pcap",
                             "tcp_rst_closed_port.pcap", "tcp_zero_window.pcap", "udp_ipv4.pcap"}) {
        const byte_vector file = read_capture(name);
        auto reader = pcap::span_reader::open(file);
        REQUIRE(reader);
        for (;;) {
            auto rec = reader->next();
            REQUIRE(rec);
            if (!*rec) break;
            auto frame = ethernet::view::check((*rec)->data);
            REQUIRE(frame);
            if (frame->ethertype() != ethernet::ethertype_ipv4) continue;
            INFO(name << " datagram " << seen);
            auto r = ipv4_repr::parse(frame->payload());
            REQUIRE(r);
            byte_vector buf(20);
            REQUIRE(r->emit(buf));
            CHECK(std::equal(buf.begin(), buf.end(), frame->payload().begin()));
            ++seen;
        }
    }
    CHECK(seen == 2788 + 14 + 18 + 22 + 2 + 789 + 3);
}

TEST_CASE("ipv4: the sum of a header without options is the general sum", "[ipv4][checksum][property]") {
    rc::prop("any 20 bytes", [] {
        const auto data = *rc::gen::container<std::vector<std::uint8_t>>(l4::wire::ipv4_min_header_len,
                                                                         rc::gen::arbitrary<std::uint8_t>());
        RC_ASSERT(l4::wire::detail::ipv4_plain_header_sum(data.data()) == l4::wire::detail::ipv4_header_sum(data));
    });
}
