// TCP options: each kind, padding, unknown kinds, and every malformed length.
#include <l4/wire/tcp_options.hpp>

#include "../support.hpp"

#include <rapidcheck/catch.h>

#include <algorithm>
#include <array>
#include <span>
#include <vector>

using namespace l4::wire;
using l4::seq32;

TEST_CASE("tcp options: MSS, SACK-permitted, timestamps and window scale decode", "[tcp][options]") {
    const std::array<std::uint8_t, 20> raw{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9, 1, 3, 3, 7};
    auto o = tcp_options::parse(raw);
    REQUIRE(o);
    CHECK(o->mss == 1460);
    CHECK(o->sack_permitted);
    CHECK(o->ts == timestamps{7, 9});
    CHECK(o->window_scale == 7);
    CHECK(o->sack_count == 0);
}

TEST_CASE("tcp options: SACK with one to four blocks", "[tcp][options]") {
    for (std::uint8_t n = 1; n <= 4; ++n) {
        std::vector<std::uint8_t> raw{1, 1, 5, static_cast<std::uint8_t>(2 + 8 * n)};
        for (std::uint8_t i = 0; i < n; ++i)
            for (int b : {0, 0, 0, 2 * i, 0, 0, 0, 2 * i + 1})
                raw.push_back(static_cast<std::uint8_t>(b));
        auto o = tcp_options::parse(raw);
        REQUIRE(o);
        REQUIRE(o->sack_count == n);
        CHECK(o->sack_blocks().back() == sack_block{seq32{2u * (n - 1u)}, seq32{2u * n - 1u}});
    }
}

TEST_CASE("tcp options: EOL ends the list and what follows is padding", "[tcp][options]") {
    const std::array<std::uint8_t, 8> raw{2, 4, 0x02, 0x18, 0, 0xff, 0xff, 0xff};
    auto o = tcp_options::parse(raw);
    REQUIRE(o);
    CHECK(o->mss == 536);
}

TEST_CASE("tcp options: unknown kinds are skipped by their length and reported", "[tcp][options]") {
    const std::array<std::uint8_t, 12> raw{30, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 254, 4, 0x12, 0x34};
    auto o = tcp_options::parse(raw);
    REQUIRE(o);
    CHECK(o->mss == 1460);
    REQUIRE(o->unknown_count == 2);
    CHECK(o->unknown_kinds[0] == 30);
    CHECK(o->unknown_kinds[1] == 254);
}

TEST_CASE("tcp options: impossible lengths are refused", "[tcp][options][errors]") {
    using V = std::vector<std::uint8_t>;
    const auto bad = GENERATE(V{2},                     // kind without a length byte
                              V{2, 0},                  // length below 2
                              V{2, 1, 0, 0},            // length below 2
                              V{2, 5, 0, 0},            // past the end
                              V{2, 3, 0},               // MSS must be 4
                              V{3, 4, 0, 0},            // window scale must be 3
                              V{4, 3, 0},               // SACK-permitted must be 2
                              V{8, 8, 0, 0, 0, 0, 0, 0},  // timestamps must be 10
                              V{5, 2},                  // SACK without a block
                              V{5, 6, 0, 0, 0, 0},      // SACK not a multiple of 8
                              V{30, 1});                // unknown kind, length 1
    CHECK(tcp_options::parse(bad).error() == l4::errc::bad_option_length);
}

TEST_CASE("tcp options: emit pads to 32-bit words and parses back", "[tcp][options]") {
    tcp_options o;
    o.window_scale = 14;
    o.sack_permitted = true;
    o.add_sack({seq32{100}, seq32{200}});
    std::array<std::uint8_t, 40> buf{};
    auto n = o.emit(buf);
    REQUIRE(n);
    CHECK(*n % 4 == 0);
    CHECK(*n == o.buffer_len());
    auto back = tcp_options::parse(std::span{buf}.first(*n));
    REQUIRE(back);
    CHECK(*back == o);
}

TEST_CASE("tcp options: Fast Open's cookie and cookie request decode", "[tcp][options][fast_open]") {
    // RFC 7413 §4.1.1: kind 34, the cookie after the length byte; length 2 asks for a cookie.
    const std::array<std::uint8_t, 12> raw{1, 1, 4, 2, 34, 6, 0xab, 0xcd, 0x12, 0x34, 1, 1};
    auto o = tcp_options::parse(raw);
    REQUIRE(o);
    CHECK(o->sack_permitted);
    REQUIRE(o->fast_open);
    CHECK(!o->fast_open->request());
    const std::array<std::uint8_t, 4> want{0xab, 0xcd, 0x12, 0x34};
    CHECK(std::ranges::equal(o->fast_open->value(), want));
    CHECK(o->unknown_count == 0);

    const std::array<std::uint8_t, 4> request{34, 2, 1, 1};
    o = tcp_options::parse(request);
    REQUIRE(o);
    REQUIRE(o->fast_open);
    CHECK(o->fast_open->request());
}

TEST_CASE("tcp options: a Fast Open cookie of an impossible length is refused", "[tcp][options][errors][fast_open]") {
    // RFC 7413 §4.1.1: 0, or 4 to 16 bytes and even.
    for (std::size_t len = 0; len <= 18; ++len) {
        std::vector<std::uint8_t> raw{34, static_cast<std::uint8_t>(2 + len)};
        raw.resize(2 + len, 0x5a);
        const bool valid = len == 0 || (len >= 4 && len <= 16 && len % 2 == 0);
        INFO("cookie length " << len);
        CHECK(tcp_options::parse(raw).has_value() == valid);
        if (!valid) CHECK(tcp_options::parse(raw).error() == l4::errc::bad_option_length);
    }
}

TEST_CASE("tcp options: Fast Open emits last, NOP-padded, as Linux lays out a SYN", "[tcp][options][fast_open]") {
    tcp_options o;
    o.mss = 1460;
    o.sack_permitted = true;
    o.window_scale = 8;
    o.fast_open = fast_open_cookie{};
    std::array<std::uint8_t, 40> buf{};
    auto n = o.emit(buf);
    REQUIRE(n);
    // packetdrill's <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop>
    const std::array<std::uint8_t, 16> request{2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8, 34, 2, 1, 1};
    REQUIRE(*n == request.size());
    CHECK(*n == o.buffer_len());
    CHECK(std::equal(request.begin(), request.end(), buf.begin()));
    auto back = tcp_options::parse(std::span{buf}.first(*n));
    REQUIRE(back);
    CHECK(*back == o);

    for (std::uint8_t len = 4; len <= 16; len += 2) {  // <..., FO cookie[,nop,nop]>: whole words
        fast_open_cookie c;
        c.len = len;
        for (std::uint8_t i = 0; i < len; ++i) c.data[i] = static_cast<std::uint8_t>(i + 1);
        o.fast_open = c;
        o.ts = timestamps{1, 2};
        n = o.emit(buf);
        REQUIRE(n);
        CHECK(*n == o.buffer_len());
        CHECK(*n % 4 == 0);
        back = tcp_options::parse(std::span{buf}.first(*n));
        REQUIRE(back);
        CHECK(back->fast_open == c);
    }
}

TEST_CASE("tcp options: the lenient parse keeps every good option and reports the first bad one",
          "[tcp][options][lenient]") {
    // MSS; window scale with length 4 (must be 3); SACK-permitted; timestamps.
    const std::vector<std::uint8_t> raw{2, 4, 0x05, 0xb4, 3, 4, 7, 0, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    CHECK(tcp_options::parse(raw).error() == l4::errc::bad_option_length);
    const auto o = lenient_tcp_options::parse(raw);
    CHECK_FALSE(o.ok());
    CHECK(o.malformed == malformed_option{option_kind::window_scale, 4, l4::errc::bad_option_length});
    CHECK(o.malformed_count == 1);
    CHECK(o.options.mss == 1460);
    CHECK_FALSE(o.options.window_scale);
    CHECK(o.options.sack_permitted);  // after the bad one: its length byte let the walk go on
    CHECK(o.options.ts == timestamps{1, 2});

    // A length byte of 0 ends the walk: what came before it stays.
    const std::vector<std::uint8_t> stop{2, 4, 0x05, 0xb4, 1, 34, 0, 4, 2};
    const auto s = lenient_tcp_options::parse(stop);
    CHECK(s.malformed == malformed_option{34, 5, l4::errc::bad_option_length});
    CHECK(s.options.mss == 1460);
    CHECK_FALSE(s.options.sack_permitted);

    // Well-formed options: the same as the strict parse, nothing reported.
    const std::vector<std::uint8_t> good{2, 4, 0x05, 0xb4, 1, 3, 3, 7};
    const auto g = lenient_tcp_options::parse(good);
    CHECK(g.ok());
    CHECK_FALSE(g.malformed);
    CHECK(g.options == tcp_options::parse(good).value());
}

namespace {

// The general path decode_all takes when the layout is not RFC 7323
// Appendix A's: the walk, one option at a time.
l4::errc walked(std::span<const std::uint8_t> raw, tcp_options& out) {
    option_walker walk{raw};
    while (const auto opt = walk.next())
        if (const l4::errc e = out.decode(*opt); e != l4::errc::ok) return e;
    return walk.error();
}

void require_same_as_walk(std::span<const std::uint8_t> raw) {
    tcp_options fast, slow;
    const l4::errc ef = fast.decode_all(raw), es = walked(raw, slow);
    RC_ASSERT(ef == es);
    RC_ASSERT(fast == slow);
}

// NOP NOP TS(10) tsval tsecr, then NOP NOP SACK with `blocks` blocks.
std::vector<std::uint8_t> appendix_a(std::uint32_t tsval, std::uint32_t tsecr, std::size_t blocks) {
    std::vector<std::uint8_t> raw{1, 1, 8, 10};
    for (const std::uint32_t w : {tsval, tsecr})
        for (int shift = 24; shift >= 0; shift -= 8) raw.push_back(static_cast<std::uint8_t>(w >> shift));
    if (blocks == 0) return raw;
    raw.insert(raw.end(), {1, 1, 5, static_cast<std::uint8_t>(2 + 8 * blocks)});
    for (std::size_t i = 0; i < 8 * blocks; ++i) raw.push_back(static_cast<std::uint8_t>(i * 37 + 11));
    return raw;
}

}  // namespace

TEST_CASE("tcp options: RFC 7323 Appendix A's layout decodes as the walk decodes it", "[tcp][options]") {
    for (std::size_t blocks = 0; blocks <= 3; ++blocks) {
        const auto raw = appendix_a(0x01020304, 0xa0b0c0d0, blocks);
        tcp_options o;
        REQUIRE(o.decode_all(raw) == l4::errc::ok);
        CHECK(o.ts == timestamps{0x01020304, 0xa0b0c0d0});
        CHECK(o.sack_count == blocks);
        CHECK(tcp_options::parse(raw).value() == o);
        tcp_options w;
        REQUIRE(walked(raw, w) == l4::errc::ok);
        CHECK(o == w);
    }
    // Near misses take the walk, and end as it ends.
    const auto near = [](std::vector<std::uint8_t> raw) {
        tcp_options fast, slow;
        CHECK(fast.decode_all(raw) == walked(raw, slow));
        CHECK(fast == slow);
    };
    auto ts = appendix_a(7, 9, 0);
    ts[3] = 11;  // the TS length byte one too many: past the end
    near(ts);
    ts[3] = 9;  // one too few: a TS of the wrong length
    near(ts);
    near(std::vector<std::uint8_t>(ts.begin(), ts.begin() + 11));  // the TS cut short
    auto sack = appendix_a(7, 9, 2);
    sack[15] = 26;  // the SACK length byte past the end
    near(sack);
    sack[15] = 17;  // not whole blocks
    near(sack);
    sack[15] = 10;  // one block, the second's bytes left as options
    near(sack);
    sack = appendix_a(7, 9, 1);
    sack.insert(sack.end(), {0, 0, 0, 0});  // EOL and padding after the SACK
    near(sack);
    sack = appendix_a(7, 9, 1);
    sack[14] = 6;  // another kind where SACK stands
    near(sack);
    ts = appendix_a(7, 9, 0);
    ts.insert(ts.end(), {1, 1, 1, 1});  // NOPs after the TS
    near(ts);
    ts = appendix_a(7, 9, 0);
    ts.insert(ts.end(), {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2});  // a second TS, which the walk takes last
    near(ts);
    CHECK(tcp_options{}.decode_all({}) == l4::errc::ok);
}

TEST_CASE("tcp options: decode_all agrees with the walk on any bytes", "[tcp][options][property]") {
    rc::prop("random option bytes", [] {
        const auto raw = *rc::gen::container<std::vector<std::uint8_t>>(
            *rc::gen::inRange<std::size_t>(0, max_options_len + 1), rc::gen::arbitrary<std::uint8_t>());
        require_same_as_walk(raw);
    });
    rc::prop("Appendix A's layout with some bytes changed", [] {
        auto raw = appendix_a(*rc::gen::arbitrary<std::uint32_t>(), *rc::gen::arbitrary<std::uint32_t>(),
                              *rc::gen::inRange<std::size_t>(0, 4));
        const auto changes = *rc::gen::inRange(0, 3);
        for (int i = 0; i < changes; ++i) {
            const auto at = *rc::gen::inRange<std::size_t>(0, raw.size());
            raw[at] = *rc::gen::elementOf(std::vector<std::uint8_t>{0, 1, 2, 5, 8, 9, 10, 11, 18, 26, 34, 255});
        }
        if (*rc::gen::arbitrary<bool>()) raw.resize(*rc::gen::inRange<std::size_t>(0, raw.size() + 1));
        require_same_as_walk(raw);
    });
}
