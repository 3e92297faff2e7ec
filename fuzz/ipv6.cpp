// Fuzz target: an IPv6 packet from arbitrary bytes.
//
// Input: the packet, as it follows an Ethernet header. The seeds in
// corpus/ipv6/ are packets cut from the shared captures (TCP, UDP, ICMPv6
// behind Hop-by-Hop) and hand-made extension-header chains.
//
// Oracles, beyond "no crash, no sanitizer report":
//   - ipv6_view::check accepts exactly when the fixed header and Payload
//     Length fit, and names the first rule broken;
//   - every accessor reads the bits RFC 8200 §3 puts the field in;
//   - upper_layer() agrees with a reference walk written here by offsets,
//     and its payload is a suffix of the packet that is never an extension
//     header the walk skips;
//   - the pseudo-header built from the walk holds the packet's source, the
//     final destination (RFC 8200 §8.1: the last address of a Routing
//     header still in transit), and the upper layer's protocol and length;
//   - ipv6_repr::parse succeeds exactly when check does, emit reproduces the
//     40 header bytes exactly, and parse(emit(r)) == r.
#include <l4/wire/ipv6.hpp>
#include <l4/wire/pseudo_header.hpp>

#include "oracle.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

namespace {

using namespace l4::wire;
using l4::errc;
using byte_span = std::span<const std::uint8_t>;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] * 256 + p[1]); }

errc expected_check(byte_span in) {
    if (in.size() < 40) return errc::truncated;
    if (in[0] >> 4 != 6) return errc::unsupported_version;
    if (40u + be16(in.data() + 4) > in.size()) return errc::truncated;
    return errc::ok;
}

// The walk of RFC 8200 §4 by offsets into the packet: where the upper layer
// starts, or why there is none.
// final_at: where the pseudo-header's destination is read from (24, the
// Destination Address, unless a Routing header of type 0, 2 or 4 with
// Segments Left not zero names the final destination).
struct walk_result {
    errc error = errc::ok;
    std::uint8_t protocol = 0;
    std::size_t offset = 0;
    std::size_t final_at = 24;
};
walk_result reference_walk(const std::uint8_t* pkt, std::size_t end) {
    std::uint8_t next = pkt[6];
    std::size_t at = 40;
    std::size_t final_at = 24;
    for (std::size_t count = 0;; ++count) {  // no limit but the bytes (RFC 8200 §4.1)
        const bool two_bytes = at + 2 <= end;
        std::size_t len = 0;
        if (next == 0 || next == 43 || next == 60) {
            if (next == 0 && count > 0) return {errc::unknown_protocol};
            if (!two_bytes) return {errc::truncated};
            len = 8 + 8 * std::size_t{pkt[at + 1]};
            if (next == 43 && at + len <= end && pkt[at + 3] != 0) {
                const std::uint8_t type = pkt[at + 2];
                if ((type == 0 || type == 2) && len >= 24) final_at = at + len - 16 - (len - 8) % 16;
                if (type == 4 && len >= 24) final_at = at + 8;
            }
        } else if (next == 44) {
            if (at + 8 > end) return {errc::truncated};
            if ((((pkt[at + 2] << 8) | pkt[at + 3]) & ~0x6) != 0) return {errc::fragment};
            len = 8;
        } else if (next == 51) {
            if (!two_bytes) return {errc::truncated};
            len = 4 * (std::size_t{pkt[at + 1]} + 2);
        } else if (next == 50 || next == 59) {
            return {errc::unknown_protocol};
        } else {
            return {errc::ok, next, at, final_at};
        }
        if (at + len > end) return {errc::truncated};
        next = pkt[at];
        at += len;
    }
}

void check_accessors(const ipv6_view& v, byte_span in) {
    const std::uint8_t* d = in.data();
    const std::size_t plen = be16(d + 4);
    L4_FUZZ_CHECK(v.version() == 6);
    L4_FUZZ_CHECK(v.traffic_class() == (((d[0] & 0x0F) << 4) | (d[1] >> 4)));
    L4_FUZZ_CHECK(v.flow_label() == ((std::uint32_t{d[1] & 0x0Fu} << 16) | be16(d + 2)));
    L4_FUZZ_CHECK(v.payload_length() == plen && v.next_header() == d[6] && v.hop_limit() == d[7]);
    L4_FUZZ_CHECK(std::equal(d + 8, d + 24, v.src().octets.begin()));
    L4_FUZZ_CHECK(std::equal(d + 24, d + 40, v.dst().octets.begin()));
    L4_FUZZ_CHECK(v.packet().data() == d && v.packet().size() == 40 + plen);
    L4_FUZZ_CHECK(v.payload().data() == d + 40 && v.payload().size() == plen);

    std::ostringstream os;
    os << v;
    L4_FUZZ_CHECK(os.str().back() == ')');
}

void check_walk(const ipv6_view& v, byte_span in) {
    const auto up = v.upper_layer();
    const walk_result want = reference_walk(in.data(), v.packet().size());
    L4_FUZZ_CHECK(up.has_value() == (want.error == errc::ok));
    if (!up) {
        L4_FUZZ_CHECK(up.error() == want.error);
        return;
    }
    L4_FUZZ_CHECK(up->protocol == want.protocol);
    L4_FUZZ_CHECK(up->payload.data() == in.data() + want.offset);
    L4_FUZZ_CHECK(up->payload.data() + up->payload.size() == v.packet().data() + v.packet().size());
    for (std::uint8_t skipped : {0, 43, 44, 50, 51, 59, 60}) L4_FUZZ_CHECK(up->protocol != skipped);

    const auto ph = pseudo_header::ipv6(v, *up);
    const std::size_t len = up->payload.size();
    const std::uint8_t tail[8] = {0, 0, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len),
                                  0, 0, 0, up->protocol};
    L4_FUZZ_CHECK(ph.size() == 40 && std::equal(in.data() + 8, in.data() + 24, ph.bytes().begin()) &&
                  std::equal(in.data() + want.final_at, in.data() + want.final_at + 16, ph.bytes().begin() + 16) &&
                  std::equal(tail, tail + 8, ph.bytes().begin() + 32));
    L4_FUZZ_CHECK(up->final_destination.has_value() == (want.final_at != 24));
}

void check_repr(const ipv6_view& v) {
    const auto r = ipv6_repr::parse(v.packet());
    L4_FUZZ_CHECK(r.has_value());
    L4_FUZZ_CHECK(r->src == v.src() && r->dst == v.dst() && r->next_header == v.next_header());
    L4_FUZZ_CHECK(r->hop_limit == v.hop_limit() && r->traffic_class == v.traffic_class());
    L4_FUZZ_CHECK(r->flow_label == v.flow_label() && r->payload_len == v.payload_length());

    std::vector<std::uint8_t> out(r->buffer_len());
    L4_FUZZ_CHECK(!r->emit(std::span{out}.first(39)));
    const auto n = r->emit(out);
    L4_FUZZ_CHECK(n.has_value() && *n == 40);
    L4_FUZZ_CHECK(std::equal(out.begin(), out.begin() + 40, v.packet().begin()));
    const auto back = ipv6_repr::parse(out);
    L4_FUZZ_CHECK(back.has_value() && *back == *r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const byte_span in = l4::fuzz::input(data, size);
    const auto v = ipv6_view::check(in);
    const errc want = expected_check(in);
    L4_FUZZ_CHECK(v.has_value() == (want == errc::ok));
    if (!v) {
        L4_FUZZ_CHECK(v.error() == want);
        const auto r = ipv6_repr::parse(in);
        L4_FUZZ_CHECK(!r && r.error() == want);
        return 0;
    }
    check_accessors(*v, in);
    check_walk(*v, in);
    check_repr(*v);
    return 0;
}
