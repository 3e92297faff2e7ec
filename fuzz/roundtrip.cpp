// Fuzz target: parse → emit → parse for TCP and UDP.
//
// Input: byte 0 chooses the format (bit 0: UDP, else TCP) and the family
// of the pseudo-header used by the checksum-filling emit (bit 1: IPv6, else
// IPv4; bits 2-7 go into the source address); the rest is the segment or
// datagram. The pseudo-header is built here, so the input's own checksum
// plays no part: fuzz/tcp.cpp and fuzz/udp.cpp verify received checksums.
//
// Oracles (the repr is the canonical form; the first emit normalises):
//   TCP  - r1 = parse(x), e1 = emit(r1): e1 carries x's fields and payload;
//          emit refuses only with options_too_long, and only when the
//          canonical options need more than 40 bytes (x may pack them
//          tighter: 4 SACK blocks and a window scale fit in 37 bytes on the
//          wire but take 44 in Linux's NOP-aligned layout);
//        - r2 = parse(e1) equals r1 without the unknown option kinds, which
//          emit drops by design; e2 = emit(r2) equals e1 byte for byte (the
//          fixpoint after one normalisation);
//        - where x's option bytes are already what emit writes and its
//          reserved bits are zero, e1 is x byte for byte, checksum zeroed;
//        - emit with a pseudo-header and `internet` (and `incremental`)
//          fills a checksum that the verifying parse accepts, equal to
//          internet_reference's;
//        - RFC 1624: rewriting the window, the sequence number and a port
//          in place, with incremental::update16/update32/update, gives the
//          checksum a full recomputation gives.
//   UDP  - parse and emit are exact inverses (UDP is canonical): emit(parse(x))
//          is x with a zero checksum field; the checksum-filling emit
//          verifies, in both zero-checksum modes, and parses back equal.
#include <l4/checksum/incremental.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/udp.hpp>

#include "oracle.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::wire;
using l4::checksum::incremental;
using l4::checksum::internet;
using l4::checksum::internet_reference;

pseudo_header make_pseudo(std::uint8_t selector, std::uint8_t protocol, std::size_t length) {
    const auto tag = static_cast<std::uint8_t>(selector >> 2);
    if (selector & 2) {
        std::array<std::uint8_t, 16> src{0x20, 0x01, 0x0d, 0xb8}, dst = src;
        src[15] = tag;
        dst[15] = 2;
        return pseudo_header::ipv6(ipv6_address{src}, ipv6_address{dst}, protocol,
                                   static_cast<std::uint32_t>(length));
    }
    return pseudo_header::ipv4(ipv4_address{192, 0, 2, tag}, ipv4_address{192, 0, 2, 2}, protocol,
                               static_cast<std::uint16_t>(length));
}

std::vector<std::uint8_t> emit_tcp(const tcp_repr& r) {
    std::vector<std::uint8_t> out(r.buffer_len());
    const auto n = r.emit(out);
    L4_FUZZ_CHECK(n.has_value() && *n == out.size());
    // One byte short is refused, not overrun.
    if (!out.empty()) L4_FUZZ_CHECK(!r.emit(std::span{out}.first(out.size() - 1)));
    return out;
}

// RFC 1624 on a real segment with a filled checksum: rewrite a field in
// place, update the checksum incrementally, compare with recomputing.
void check_incremental(std::vector<std::uint8_t>& seg, l4::bytes pseudo, std::uint32_t seed) {
    auto recompute = [&] { return compute_checksum<internet_reference>(pseudo, seg, tcp_checksum_offset); };
    auto stored = [&] { return l4::load_be16(seg.data() + tcp_checksum_offset); };
    auto store = [&](std::uint16_t c) { l4::store_be16(seg.data() + tcp_checksum_offset, c); };

    // The window (bytes 14-15): update16.
    const std::uint16_t old_win = l4::load_be16(seg.data() + 14);
    const auto new_win = static_cast<std::uint16_t>(seed ^ 0x5555);
    l4::store_be16(seg.data() + 14, new_win);
    store(incremental::update16(stored(), old_win, new_win));
    L4_FUZZ_CHECK(stored() == recompute());

    // The sequence number (bytes 4-7): update32.
    const std::uint32_t old_seq = l4::load_be32(seg.data() + 4);
    const std::uint32_t new_seq = old_seq + seed * 2654435761u;
    l4::store_be32(seg.data() + 4, new_seq);
    store(incremental::update32(stored(), old_seq, new_seq));
    L4_FUZZ_CHECK(stored() == recompute());

    // Both ports and the sequence number (bytes 0-7) as one field: update.
    std::array<std::uint8_t, 8> old_field{}, new_field{};
    std::copy_n(seg.begin(), 8, old_field.begin());
    for (std::size_t i = 0; i < 8; ++i) new_field[i] = static_cast<std::uint8_t>(old_field[i] + (seed >> (i % 4)));
    std::copy(new_field.begin(), new_field.end(), seg.begin());
    store(incremental::update(stored(), old_field, new_field));
    L4_FUZZ_CHECK(stored() == recompute());
    L4_FUZZ_CHECK(tcp_view::check(seg)->verify_checksum<internet>(pseudo));
}

void roundtrip_tcp(std::uint8_t selector, l4::bytes x) {
    const auto r1 = tcp_repr::parse(x);
    if (!r1) return;
    if (r1->options.buffer_len() > max_options_len) {
        std::vector<std::uint8_t> out(r1->buffer_len());
        const auto n = r1->emit(out);
        L4_FUZZ_CHECK(!n && n.error() == l4::errc::options_too_long);
        return;
    }
    const std::vector<std::uint8_t> e1 = emit_tcp(*r1);

    // e1 carries x's fields and payload.
    const auto v = tcp_view::check(x);
    const auto v1 = tcp_view::check(e1);
    L4_FUZZ_CHECK(v1.has_value() && v1->header_len() == r1->header_len());
    L4_FUZZ_CHECK(std::equal(x.begin(), x.begin() + 12, e1.begin()));  // ports, seq, ack
    L4_FUZZ_CHECK(e1[13] == x[13] && std::equal(x.begin() + 14, x.begin() + 16, e1.begin() + 14));
    L4_FUZZ_CHECK(e1[16] == 0 && e1[17] == 0 && e1[18] == x[18] && e1[19] == x[19]);
    L4_FUZZ_CHECK(v1->reserved() == 0 && std::ranges::equal(v1->payload(), v->payload()));

    tcp_repr expect = *r1;
    expect.options.unknown_count = 0;
    const auto r2 = tcp_repr::parse(e1);
    L4_FUZZ_CHECK(r2.has_value() && *r2 == expect && r2->options.unknown_count == 0);
    const std::vector<std::uint8_t> e2 = emit_tcp(*r2);
    L4_FUZZ_CHECK(e2 == e1);

    // Canonical input: byte-exact.
    if (v->reserved() == 0 && std::ranges::equal(v->options(), v1->options())) {
        L4_FUZZ_CHECK(e1.size() == x.size());
        L4_FUZZ_CHECK(std::equal(x.begin(), x.begin() + 16, e1.begin()));
        L4_FUZZ_CHECK(std::equal(x.begin() + 18, x.end(), e1.begin() + 18));
    }

    // The checksum-filling path.
    const pseudo_header ph = make_pseudo(selector, ip_protocol::tcp, e1.size());
    std::vector<std::uint8_t> c(e1.size());
    const auto n = r2->emit(c, ph.bytes(), internet{});
    L4_FUZZ_CHECK(n.has_value() && *n == c.size());
    L4_FUZZ_CHECK(std::equal(c.begin(), c.begin() + 16, e1.begin()) && std::equal(c.begin() + 18, c.end(), e1.begin() + 18));
    L4_FUZZ_CHECK(l4::load_be16(c.data() + tcp_checksum_offset) ==
                  compute_checksum<internet_reference>(ph.bytes(), e1, tcp_checksum_offset));
    const auto r3 = tcp_repr::parse(c, ph.bytes(), internet{});
    L4_FUZZ_CHECK(r3.has_value() && *r3 == *r2);
    L4_FUZZ_CHECK(tcp_repr::parse(c, ph.bytes(), internet_reference{}).has_value());

    std::vector<std::uint8_t> ci(e1.size());
    L4_FUZZ_CHECK(r2->emit(ci, ph.bytes(), incremental{}).has_value() && ci == c);

    check_incremental(c, ph.bytes(), l4::load_be32(x.data() + 4) ^ selector);
}

void roundtrip_udp(std::uint8_t selector, l4::bytes x) {
    const auto r1 = udp_repr::parse(x);
    if (!r1) return;
    std::vector<std::uint8_t> e1(r1->buffer_len());
    auto n = r1->emit(e1);
    L4_FUZZ_CHECK(n.has_value() && *n == x.size());
    L4_FUZZ_CHECK(std::equal(x.begin(), x.begin() + 6, e1.begin()) && e1[6] == 0 && e1[7] == 0);
    L4_FUZZ_CHECK(std::equal(x.begin() + 8, x.end(), e1.begin() + 8));
    const auto r2 = udp_repr::parse(e1);
    L4_FUZZ_CHECK(r2.has_value() && *r2 == *r1);
    std::vector<std::uint8_t> e2(r2->buffer_len());
    L4_FUZZ_CHECK(r2->emit(e2).has_value() && e2 == e1);

    const pseudo_header ph = make_pseudo(selector, ip_protocol::udp, e1.size());
    std::vector<std::uint8_t> c(e1.size());
    n = r1->emit(c, ph.bytes(), internet{});
    L4_FUZZ_CHECK(n.has_value() && *n == c.size());
    const std::uint16_t sum = l4::load_be16(c.data() + udp_checksum_offset);
    const std::uint16_t ref = compute_checksum<internet_reference>(ph.bytes(), e1, udp_checksum_offset);
    L4_FUZZ_CHECK(sum == (ref == 0 ? 0xFFFF : ref));  // RFC 768: a computed 0 is sent as all ones
    for (auto zero : {udp_zero_checksum::means_none, udp_zero_checksum::invalid}) {
        const auto r3 = udp_repr::parse(c, ph.bytes(), zero, internet{});
        L4_FUZZ_CHECK(r3.has_value() && *r3 == *r1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0];
    const l4::bytes x{data + 1, size - 1};
    if (selector & 1) roundtrip_udp(selector, x);
    else roundtrip_tcp(selector, x);
    return 0;
}
