// Fuzz target: a UDP datagram from arbitrary bytes.
//
// Input: as fuzz/tcp.cpp, byte 0 chooses the pseudo-header (bit 0: IPv6, 40
// bytes; else IPv4, 12 bytes), the pseudo-header follows, and the rest is
// the datagram. The seeds are real datagrams with their real pseudo-headers.
//
// Oracles:
//   - udp_view::check accepts exactly when 8 <= length field <= size, with
//     the documented reason otherwise, and trims link padding past the
//     length; udp_repr::parse also wants length == size;
//   - verification in both zero-checksum modes (RFC 768: a zero means none
//     over IPv4; RFC 8200 §8.1: invalid over IPv6) agrees with
//     internet_reference and a hand-written sum; `none` accepts everything;
//   - emit without a checksum reproduces the datagram with a zero field;
//     emit with `internet` never writes 0 (RFC 768 sends a computed 0 as
//     0xFFFF), verifies in both modes, and is byte-identical to an input
//     whose non-zero checksum verified.
#include <l4/checksum/internet.hpp>
#include <l4/checksum/none.hpp>
#include <l4/wire/udp.hpp>

#include "oracle.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace l4::wire;
using l4::checksum::internet;
using l4::checksum::internet_reference;
using l4::checksum::none;

bool sum_is_all_ones(std::span<const std::uint8_t> pseudo, std::span<const std::uint8_t> dgram) {
    std::uint64_t sum = 0;
    std::size_t at = 0;
    for (auto part : {pseudo, dgram})
        for (auto b : part) sum += (at++ % 2 == 0) ? std::uint64_t{b} << 8 : b;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum == 0xFFFF;
}

void check_verify(const udp_view& v, std::span<const std::uint8_t> pseudo) {
    const bool by_hand = sum_is_all_ones(pseudo, v.datagram());
    for (auto zero : {udp_zero_checksum::means_none, udp_zero_checksum::invalid}) {
        const bool expect = v.checksum() == 0 ? zero == udp_zero_checksum::means_none : by_hand;
        L4_FUZZ_CHECK(v.verify_checksum<internet>(pseudo, zero) == expect);
        L4_FUZZ_CHECK(v.verify_checksum(pseudo, zero, internet_reference{}) == expect);
        L4_FUZZ_CHECK(v.verify_checksum<none>(pseudo, zero));

        const auto strict = udp_repr::parse(v.datagram(), pseudo, zero, internet{});
        L4_FUZZ_CHECK(strict.has_value() == expect);
        if (!strict) L4_FUZZ_CHECK(strict.error() == l4::errc::bad_checksum);
    }
}

void check_emit(const udp_view& v, const udp_repr& r, std::span<const std::uint8_t> pseudo) {
    const auto d = v.datagram();
    std::vector<std::uint8_t> out(r.buffer_len() + 3, 0x5A);
    L4_FUZZ_CHECK(r.buffer_len() == d.size());

    // No checksum: the input again, with a zero field.
    auto n = r.emit(out);
    L4_FUZZ_CHECK(n.has_value() && *n == d.size());
    L4_FUZZ_CHECK(std::equal(d.begin(), d.begin() + 6, out.begin()));
    L4_FUZZ_CHECK(out[6] == 0 && out[7] == 0);
    L4_FUZZ_CHECK(std::equal(d.begin() + 8, d.end(), out.begin() + 8));
    L4_FUZZ_CHECK(out[d.size()] == 0x5A && out[d.size() + 2] == 0x5A);
    L4_FUZZ_CHECK(!r.emit(std::span{out}.first(d.size() - 1)));

    // With `none`: the same bytes.
    std::vector<std::uint8_t> out_none(d.size());
    L4_FUZZ_CHECK(r.emit(out_none, pseudo, none{}).has_value());
    L4_FUZZ_CHECK(std::equal(out_none.begin(), out_none.end(), out.begin()));

    // With `internet`: never zero, verifies both ways, parses back.
    n = r.emit(out, pseudo, internet{});
    L4_FUZZ_CHECK(n.has_value() && *n == d.size());
    const auto e = std::span{out}.first(*n);
    const auto ev = udp_view::check(e);
    L4_FUZZ_CHECK(ev.has_value());
    L4_FUZZ_CHECK(ev->checksum() != 0);
    L4_FUZZ_CHECK(ev->verify_checksum<internet>(pseudo, udp_zero_checksum::invalid));
    L4_FUZZ_CHECK(ev->verify_checksum<internet_reference>(pseudo, udp_zero_checksum::invalid));
    const auto back = udp_repr::parse(e, pseudo, udp_zero_checksum::invalid, internet{});
    L4_FUZZ_CHECK(back.has_value() && *back == r);

    // A verified, non-zero checksum is the one we compute: byte-exact.
    if (v.checksum() != 0 && v.verify_checksum<internet>(pseudo, udp_zero_checksum::invalid))
        L4_FUZZ_CHECK(std::equal(d.begin(), d.end(), e.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto [pseudo, in] = l4::fuzz::split_pseudo(l4::fuzz::input(data, size));

    const auto v = udp_view::check(in);
    const auto r = udp_repr::parse(in);
    if (in.size() < udp_header_len) {
        L4_FUZZ_CHECK(!v && v.error() == l4::errc::truncated);
        L4_FUZZ_CHECK(!r && r.error() == l4::errc::truncated);
        return 0;
    }
    const std::size_t len = std::size_t{in[4]} * 256 + in[5];
    if (len < udp_header_len || len > in.size()) {
        L4_FUZZ_CHECK(!v && v.error() == (len < udp_header_len ? l4::errc::length_mismatch : l4::errc::truncated));
        L4_FUZZ_CHECK(!r && r.error() == v.error());
        return 0;
    }
    L4_FUZZ_CHECK(v.has_value());
    L4_FUZZ_CHECK(v->datagram().data() == in.data() && v->datagram().size() == len);
    L4_FUZZ_CHECK(v->src_port() == in[0] * 256 + in[1] && v->dst_port() == in[2] * 256 + in[3]);
    L4_FUZZ_CHECK(v->length() == len && v->checksum() == in[6] * 256 + in[7]);
    L4_FUZZ_CHECK(v->payload().data() == in.data() + 8 && v->payload().size() == len - 8);
    L4_FUZZ_CHECK(v->header().get<"length">() == len);

    std::ostringstream os;
    os << *v;
    L4_FUZZ_CHECK(os.str() == std::to_string(v->src_port()) + " > " + std::to_string(v->dst_port()) +
                                  ": UDP, length " + std::to_string(len - 8));

    check_verify(*v, pseudo);

    L4_FUZZ_CHECK(r.has_value() == (len == in.size()));
    if (!r) {
        L4_FUZZ_CHECK(r.error() == l4::errc::length_mismatch);
        // The view's datagram, without the link padding, is a strict one.
        const auto trimmed = udp_repr::parse(v->datagram());
        L4_FUZZ_CHECK(trimmed.has_value());
        check_emit(*v, *trimmed, pseudo);
        return 0;
    }
    L4_FUZZ_CHECK(r->src_port == v->src_port() && r->dst_port == v->dst_port());
    L4_FUZZ_CHECK(r->payload.data() == v->payload().data() && r->payload.size() == v->payload().size());
    check_emit(*v, *r, pseudo);
    return 0;
}
