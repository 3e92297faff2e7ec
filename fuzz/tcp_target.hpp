// The TCP fuzz oracles, shared by fuzz/tcp.cpp (plain libFuzzer mutation)
// and fuzz/tcp_valid.cpp (a mutator that keeps lengths and checksums valid).
//
// Input: byte 0 chooses the pseudo-header (bit 0: IPv6, 40 bytes; else IPv4,
// 12 bytes), the pseudo-header follows, and the rest is the segment. The
// seeds in corpus/tcp/ are real segments with their real pseudo-headers, so
// both outcomes of checksum verification are reached.
//
// Oracles, beyond "no crash, no sanitizer report":
//   - tcp_view::check accepts exactly when 20 <= 4 * data offset <= size, and
//     says why not otherwise;
//   - every accessor reads the bytes RFC 9293 §3.1 puts the field in;
//   - the option walk and the strict option parse agree with a naive
//     reference (tcp_reference.hpp);
//   - tcp_repr::from_view succeeds exactly when the options parse, and
//     carries the view's fields;
//   - the generic layout repr re-emits the 20-byte header bit for bit;
//   - operator<< ends with the payload length;
//   - checksum verification agrees between `internet` and
//     `internet_reference`, with a hand-written RFC 1071 sum, and with the
//     checksum-verifying parse; filling the checksum makes it verify.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/wire/layout_repr.hpp>
#include <l4/wire/tcp.hpp>

#include "oracle.hpp"
#include "tcp_reference.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace l4::fuzz::tcp_target {

using namespace l4::wire;
using l4::checksum::internet;
using l4::checksum::internet_reference;

// RFC 1071 §1: the one's complement sum of the 16-bit words of pseudo-header
// and segment (stored checksum included) is all ones when the segment is
// intact. Both parts are whole words here only if the pseudo-header is; it
// always is (12 or 40 bytes) unless the input was short, and then the
// segment is empty.
inline bool verifies_by_hand(std::span<const std::uint8_t> pseudo, std::span<const std::uint8_t> seg) {
    std::uint64_t sum = 0;
    std::size_t at = 0;
    auto add = [&](std::uint8_t b) {
        sum += (at++ % 2 == 0) ? std::uint64_t{b} << 8 : b;
    };
    for (auto b : pseudo) add(b);
    for (auto b : seg) add(b);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum == 0xFFFF;
}

inline void check_accessors(const tcp_view& v, std::span<const std::uint8_t> seg) {
    const std::uint8_t* d = seg.data();
    L4_FUZZ_CHECK(v.segment().data() == d && v.segment().size() == seg.size());
    L4_FUZZ_CHECK(v.src_port() == ((d[0] << 8) | d[1]));
    L4_FUZZ_CHECK(v.dst_port() == ((d[2] << 8) | d[3]));
    L4_FUZZ_CHECK(v.seq_number().raw() == l4::fuzz::be32_at(seg, 4));
    L4_FUZZ_CHECK(v.ack_number().raw() == l4::fuzz::be32_at(seg, 8));
    L4_FUZZ_CHECK(v.header_len() == std::size_t{d[12]} / 16 * 4);
    L4_FUZZ_CHECK(v.reserved() == (d[12] & 0x0F));
    L4_FUZZ_CHECK(v.flags().bits == d[13]);
    L4_FUZZ_CHECK(v.window() == ((d[14] << 8) | d[15]));
    L4_FUZZ_CHECK(v.checksum() == ((d[16] << 8) | d[17]));
    L4_FUZZ_CHECK(v.urgent_pointer() == ((d[18] << 8) | d[19]));
    L4_FUZZ_CHECK(v.options().data() == d + 20 && v.options().size() == v.header_len() - 20);
    L4_FUZZ_CHECK(v.payload().data() == d + v.header_len() && v.payload().size() == seg.size() - v.header_len());
    L4_FUZZ_CHECK(v.sequence_len() == v.payload().size() + ((d[13] >> 1) & 1) + (d[13] & 1));

    // The single-bit fields through the layout agree with the flags byte.
    const auto h = v.header();
    L4_FUZZ_CHECK(h.get<"fin">() == (d[13] & 1) && h.get<"syn">() == ((d[13] >> 1) & 1));
    L4_FUZZ_CHECK(h.get<"rst">() == ((d[13] >> 2) & 1) && h.get<"psh">() == ((d[13] >> 3) & 1));
    L4_FUZZ_CHECK(h.get<"ack">() == ((d[13] >> 4) & 1) && h.get<"urg">() == ((d[13] >> 5) & 1));
    L4_FUZZ_CHECK(h.get<"ece">() == ((d[13] >> 6) & 1) && h.get<"cwr">() == (d[13] >> 7));
    for (std::uint8_t f = 1; f != 0; f = static_cast<std::uint8_t>(f << 1))
        L4_FUZZ_CHECK(v.flags().has(f) == ((d[13] & f) != 0));
    L4_FUZZ_CHECK(!v.flags().text().empty());

    // The generic repr of the fixed header: parse, emit, same 20 bytes.
    auto generic = layout_repr<tcp_layout>::parse(seg);
    L4_FUZZ_CHECK(generic.has_value() && generic->fits());
    std::array<std::uint8_t, tcp_header_len> again{};
    auto n = generic->emit(again);
    L4_FUZZ_CHECK(n.has_value() && *n == tcp_header_len);
    L4_FUZZ_CHECK(std::equal(again.begin(), again.end(), d));
    L4_FUZZ_CHECK(generic->get<"window">() == v.window());
}

inline void check_repr(const tcp_view& v) {
    const auto ref = l4::fuzz::parse_reference(v.options());
    const auto opts = tcp_options::parse(v.options());
    L4_FUZZ_CHECK(opts.has_value() == ref.has_value());
    if (!opts) L4_FUZZ_CHECK(opts.error() == l4::errc::bad_option_length);
    else L4_FUZZ_CHECK(*opts == *ref && opts->unknown_count == ref->unknown_count);

    const auto r = tcp_repr::from_view(v);
    L4_FUZZ_CHECK(r.has_value() == opts.has_value());
    if (!r) return;
    L4_FUZZ_CHECK(r->src_port == v.src_port() && r->dst_port == v.dst_port());
    L4_FUZZ_CHECK(r->seq_number == v.seq_number() && r->ack_number == v.ack_number());
    L4_FUZZ_CHECK(r->flags == v.flags() && r->window == v.window() && r->urgent_pointer == v.urgent_pointer());
    L4_FUZZ_CHECK(r->options == *opts);
    L4_FUZZ_CHECK(r->payload.data() == v.payload().data() && r->payload.size() == v.payload().size());
    L4_FUZZ_CHECK(r->sequence_len() == v.sequence_len());
    L4_FUZZ_CHECK(r->header_len() % 4 == 0 && r->buffer_len() == r->header_len() + r->payload.size());
    L4_FUZZ_CHECK(*r == *r);
}

inline void check_print(const tcp_view& v) {
    std::ostringstream os;
    os << v;
    const std::string s = os.str();
    const std::string tail = ", length " + std::to_string(v.payload().size());
    L4_FUZZ_CHECK(s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0);
    L4_FUZZ_CHECK(s.starts_with(std::to_string(v.src_port()) + " > " + std::to_string(v.dst_port()) + ": Flags ["));

    std::ostringstream fields;
    print_fields(fields, v.header());
    L4_FUZZ_CHECK(fields.str().starts_with("src_port=" + std::to_string(v.src_port()) + " "));
}

inline void check_checksum(const tcp_view& v, std::span<const std::uint8_t> pseudo) {
    const bool fast = v.verify_checksum<internet>(pseudo);
    const bool slow = v.verify_checksum(pseudo, internet_reference{});
    L4_FUZZ_CHECK(fast == slow);
    L4_FUZZ_CHECK(fast == verifies_by_hand(pseudo, v.segment()));

    const auto strict = tcp_repr::parse(v.segment(), pseudo, internet{});
    if (!fast) L4_FUZZ_CHECK(!strict && strict.error() == l4::errc::bad_checksum);
    else L4_FUZZ_CHECK(strict.has_value() == tcp_repr::from_view(v).has_value());

    // Fill the checksum into a copy: it verifies, and where the original
    // verified, the filled value is the stored one up to the two zeros
    // (internet.hpp: 0x0000 and 0xFFFF both verify a computed 0x0000).
    std::vector<std::uint8_t> copy(v.segment().begin(), v.segment().end());
    fill_checksum<internet>(pseudo, copy, tcp_checksum_offset);
    auto filled = tcp_view::check(copy);
    L4_FUZZ_CHECK(filled.has_value());
    L4_FUZZ_CHECK(filled->verify_checksum<internet>(pseudo));
    L4_FUZZ_CHECK(filled->verify_checksum<internet_reference>(pseudo));
    const std::uint16_t computed = filled->checksum();
    L4_FUZZ_CHECK(computed == compute_checksum<internet_reference>(pseudo, v.segment(), tcp_checksum_offset));
    if (fast) L4_FUZZ_CHECK(computed == v.checksum() || (computed == 0 && v.checksum() == 0xFFFF));
    // One flipped bit in the stored checksum never verifies.
    copy[tcp_checksum_offset + 1] ^= 0x01;
    L4_FUZZ_CHECK(!tcp_view::check(copy)->verify_checksum<internet>(pseudo));
}

// The whole target: one input, every oracle.
inline void run(const std::uint8_t* data, std::size_t size) {
    const auto [pseudo, seg] = l4::fuzz::split_pseudo(l4::fuzz::input(data, size));

    const auto v = tcp_view::check(seg);
    if (seg.size() < tcp_header_len) {
        L4_FUZZ_CHECK(!v && v.error() == l4::errc::truncated);
        L4_FUZZ_CHECK(!tcp_repr::parse(seg) && tcp_repr::parse(seg).error() == l4::errc::truncated);
        return;
    }
    const std::size_t hlen = std::size_t{seg[12]} / 16 * 4;
    const bool offset_ok = hlen >= tcp_header_len && hlen <= seg.size();
    L4_FUZZ_CHECK(v.has_value() == offset_ok);
    if (!v) {
        L4_FUZZ_CHECK(v.error() == l4::errc::bad_data_offset);
        return;
    }

    check_accessors(*v, seg);
    L4_FUZZ_CHECK(l4::fuzz::walker_agrees(v->options()));
    check_repr(*v);
    check_print(*v);
    check_checksum(*v, pseudo);

    const auto parsed = tcp_repr::parse(seg);
    L4_FUZZ_CHECK(parsed.has_value() == tcp_repr::from_view(*v).has_value());
    if (parsed) L4_FUZZ_CHECK(*parsed == *tcp_repr::from_view(*v));
}

}  // namespace l4::fuzz::tcp_target
