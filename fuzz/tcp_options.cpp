// Fuzz target: TCP options from arbitrary bytes, of any length (the wire
// allows at most 40; the parser must not care).
//
// Oracles:
//   - option_walker and tcp_options::parse agree with a naive reference
//     (tcp_reference.hpp), option by option and value by value;
//   - emit writes exactly buffer_len() bytes, a multiple of 4, refuses more
//     than 40 with options_too_long and a short buffer with
//     buffer_too_small, and touches nothing past what it wrote;
//   - parse → emit → parse gives the value back, minus the unknown kinds,
//     which emit drops by design; the second emit is byte-identical to the
//     first (the s1 == s2 fixpoint), so our own output is canonical;
//   - NOPs before and EOL plus any bytes after our output change nothing;
//   - the other direction: a value built from the input, emitted and
//     parsed, comes back equal;
//   - the lenient parse agrees with the strict one where the strict one
//     succeeds, reports a malformed option where it fails, at an offset
//     holding that kind, and keeps every other option: blanking the
//     reported option with NOPs (or cutting the walk where its length byte
//     stopped it) leaves the decoded options as they were, with one
//     malformed option fewer.
#include <l4/wire/tcp_options.hpp>

#include "oracle.hpp"
#include "tcp_reference.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::wire;

constexpr std::uint8_t sentinel = 0xA5;

// Emits o into a sentinel-filled 40-byte buffer and checks the contract.
// Returns the bytes written, or an empty vector when emit refused.
std::vector<std::uint8_t> emit_checked(const tcp_options& o) {
    const std::size_t want = o.buffer_len();
    L4_FUZZ_CHECK(want % 4 == 0);
    // Room for every option emit knows at once (76 bytes), though it writes
    // at most 40: g++ 12 -O3 cannot tie emit's length check to the writes
    // after it and warns of an overflow that cannot happen.
    constexpr std::size_t room = 80;
    std::array<std::uint8_t, room> buf;
    buf.fill(sentinel);
    const auto n = o.emit(std::span{buf}.first(max_options_len));
    if (want > max_options_len) {
        L4_FUZZ_CHECK(!n && n.error() == l4::errc::options_too_long);
        L4_FUZZ_CHECK(std::all_of(buf.begin(), buf.end(), [](auto b) { return b == sentinel; }));
        return {};
    }
    L4_FUZZ_CHECK(n.has_value() && *n == want);
    L4_FUZZ_CHECK(std::all_of(buf.begin() + static_cast<std::ptrdiff_t>(want), buf.end(),
                              [](auto b) { return b == sentinel; }));
    if (want > 0) {
        std::array<std::uint8_t, room> small{};
        const auto m = o.emit(std::span{small}.first(want - 1));
        L4_FUZZ_CHECK(!m && m.error() == l4::errc::buffer_too_small);
    }
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(want)};
}

tcp_options without_unknown(tcp_options o) {
    o.unknown_count = 0;
    return o;
}

void check_parse_emit(std::span<const std::uint8_t> in) {
    L4_FUZZ_CHECK(l4::fuzz::walker_agrees(in));

    const auto p1 = tcp_options::parse(in);
    const auto ref = l4::fuzz::parse_reference(in);
    L4_FUZZ_CHECK(p1.has_value() == ref.has_value());
    if (!p1) {
        L4_FUZZ_CHECK(p1.error() == l4::errc::bad_option_length);
        return;
    }
    L4_FUZZ_CHECK(*p1 == *ref && p1->unknown_count == ref->unknown_count);
    L4_FUZZ_CHECK(p1->sack_count <= max_sack_blocks);

    const std::vector<std::uint8_t> s1 = emit_checked(*p1);
    if (s1.empty()) return;  // refused (over 40 bytes) or nothing to write

    const auto p2 = tcp_options::parse(s1);
    L4_FUZZ_CHECK(p2.has_value());
    L4_FUZZ_CHECK(*p2 == without_unknown(*p1));
    L4_FUZZ_CHECK(p2->unknown_count == 0);

    const std::vector<std::uint8_t> s2 = emit_checked(*p2);
    L4_FUZZ_CHECK(s2 == s1);
    const auto p3 = tcp_options::parse(s2);
    L4_FUZZ_CHECK(p3.has_value() && *p3 == *p2);

    // RFC 9293 §3.1: NOPs may precede, and after an EOL anything is padding.
    const std::size_t junk = std::min<std::size_t>(in.size(), 8);
    // Byte by byte: g++ 12 finds out-of-bounds copies in every bulk form of this at -O2 or -O3.
    std::vector<std::uint8_t> padded(3, option_kind::nop);
    for (const std::uint8_t b : s1) padded.push_back(b);
    padded.push_back(option_kind::eol);
    for (const std::uint8_t b : in.first(junk)) padded.push_back(b);
    const auto p4 = tcp_options::parse(padded);
    L4_FUZZ_CHECK(p4.has_value() && *p4 == *p2);
}

// A value made from the input, emitted and read back.
void check_build_emit(std::span<const std::uint8_t> in) {
    FuzzedDataProvider fdp(in.data(), in.size());
    tcp_options o;
    if (fdp.ConsumeBool()) o.mss = fdp.ConsumeIntegral<std::uint16_t>();
    if (fdp.ConsumeBool()) o.window_scale = fdp.ConsumeIntegral<std::uint8_t>();
    o.sack_permitted = fdp.ConsumeBool();
    if (fdp.ConsumeBool()) o.ts = timestamps{fdp.ConsumeIntegral<std::uint32_t>(), fdp.ConsumeIntegral<std::uint32_t>()};
    const auto blocks = fdp.ConsumeIntegralInRange<std::size_t>(0, max_sack_blocks + 1);
    for (std::size_t i = 0; i < blocks; ++i)  // add_sack ignores a fifth block
        o.add_sack({l4::seq32{fdp.ConsumeIntegral<std::uint32_t>()}, l4::seq32{fdp.ConsumeIntegral<std::uint32_t>()}});
    L4_FUZZ_CHECK(o.sack_count == std::min(blocks, max_sack_blocks));
    if (fdp.ConsumeBool()) {  // RFC 7413 §4.1.1: a request, or a cookie of 4 to 16 bytes, even
        fast_open_cookie c;
        c.len = static_cast<std::uint8_t>(2 * fdp.ConsumeIntegralInRange<std::size_t>(1, fast_open_cookie::max_len / 2));
        if (c.len < fast_open_cookie::min_len) c.len = 0;
        for (std::size_t i = 0; i < c.len; ++i) c.data[i] = fdp.ConsumeIntegral<std::uint8_t>();
        o.fast_open = c;
    }

    const std::vector<std::uint8_t> s = emit_checked(o);
    if (o.buffer_len() > max_options_len) return;
    const auto back = tcp_options::parse(s);
    L4_FUZZ_CHECK(back.has_value() && *back == o);
}

void check_lenient(std::span<const std::uint8_t> in) {
    const auto strict = tcp_options::parse(in);
    const auto lenient = lenient_tcp_options::parse(in);
    L4_FUZZ_CHECK(lenient.ok() == strict.has_value());
    L4_FUZZ_CHECK(lenient.malformed.has_value() == !lenient.ok());
    if (strict) {
        L4_FUZZ_CHECK(lenient.options == *strict);
        return;
    }
    const malformed_option m = *lenient.malformed;
    L4_FUZZ_CHECK(m.error == l4::errc::bad_option_length);
    L4_FUZZ_CHECK(m.offset < in.size() && in[m.offset] == m.kind);
    if (lenient.malformed_count == 255) return;  // saturated: one fewer is not observable

    std::vector<std::uint8_t> fixed(in.begin(), in.end());
    const bool followable = m.offset + 1 < in.size() && in[m.offset + 1] >= 2 && m.offset + in[m.offset + 1] <= in.size();
    if (followable) std::fill_n(fixed.begin() + static_cast<std::ptrdiff_t>(m.offset), in[m.offset + 1], option_kind::nop);
    else fixed.resize(m.offset);
    const auto again = lenient_tcp_options::parse(fixed);
    L4_FUZZ_CHECK(again.options == lenient.options);
    L4_FUZZ_CHECK(again.malformed_count + 1 == lenient.malformed_count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto in = l4::fuzz::input(data, size);
    check_parse_emit(in);
    if (in.size() > max_options_len) check_parse_emit(in.first(max_options_len));
    check_build_emit(in);
    check_lenient(in);
    return 0;
}
