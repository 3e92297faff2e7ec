// Fuzz target: an IPv4 datagram from arbitrary bytes.
//
// Input: the datagram, as it follows an Ethernet header. The seeds in
// corpus/ipv4/ are datagrams cut from the shared captures and hand-made ones
// with options, fragments and link padding.
//
// Oracles, beyond "no crash, no sanitizer report":
//   - ipv4_view::check accepts exactly when RFC 791's length rules hold, and
//     names the first one broken, in the documented order;
//   - every accessor reads the bits RFC 791 §3.1 puts the field in, and the
//     spans (header, options, payload) tile the datagram;
//   - verify_header_checksum agrees with a hand-written RFC 1071 sum;
//   - the pseudo-header built from the view holds the view's fields;
//   - ipv4_repr::parse fails exactly with bad_checksum or fragment where the
//     view says so, and otherwise carries the view's fields;
//   - emit reproduces the header byte for byte when it had no options and a
//     clear reserved bit, and parse(emit(r)) == r always.
// Each input is also run with its header checksum corrected, so that parse
// gets past bad_checksum.
#include <l4/wire/ipv4.hpp>
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

// RFC 1071: the one's complement sum of the header's words.
std::uint16_t ones_sum(byte_span header) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += be16(header.data() + i);
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// What check() must answer, from the raw bytes.
errc expected_check(byte_span in) {
    if (in.size() < 20) return errc::truncated;
    if (in[0] >> 4 != 4) return errc::unsupported_version;
    const std::size_t hlen = std::size_t{in[0] & 0x0Fu} * 4;
    if (hlen < 20) return errc::bad_header_length;
    if (hlen > in.size()) return errc::truncated;
    const std::size_t total = be16(in.data() + 2);
    if (total < hlen) return errc::length_mismatch;
    if (total > in.size()) return errc::truncated;
    return errc::ok;
}

void check_accessors(const ipv4_view& v, byte_span in) {
    const std::uint8_t* d = in.data();
    const std::size_t hlen = std::size_t{d[0] & 0x0Fu} * 4;
    const std::size_t total = be16(d + 2);
    L4_FUZZ_CHECK(v.version() == 4 && v.ihl() == (d[0] & 0x0F) && v.header_len() == hlen);
    L4_FUZZ_CHECK(v.dscp() == d[1] >> 2 && v.ecn() == (d[1] & 3));
    L4_FUZZ_CHECK(v.total_length() == total && v.identification() == be16(d + 4));
    L4_FUZZ_CHECK(v.reserved_flag() == ((d[6] & 0x80) != 0));
    L4_FUZZ_CHECK(v.dont_fragment() == ((d[6] & 0x40) != 0));
    L4_FUZZ_CHECK(v.more_fragments() == ((d[6] & 0x20) != 0));
    L4_FUZZ_CHECK(v.fragment_offset() == (be16(d + 6) & 0x1FFF));
    L4_FUZZ_CHECK(v.is_fragment() == ((be16(d + 6) & 0x3FFF) != 0));
    L4_FUZZ_CHECK(v.ttl() == d[8] && v.protocol() == d[9] && v.header_checksum() == be16(d + 10));
    L4_FUZZ_CHECK(std::equal(d + 12, d + 16, v.src().octets.begin()));
    L4_FUZZ_CHECK(std::equal(d + 16, d + 20, v.dst().octets.begin()));

    L4_FUZZ_CHECK(v.datagram().data() == d && v.datagram().size() == total);
    L4_FUZZ_CHECK(v.header_bytes().data() == d && v.header_bytes().size() == hlen);
    L4_FUZZ_CHECK(v.options().data() == d + 20 && v.options().size() == hlen - 20);
    L4_FUZZ_CHECK(v.payload().data() == d + hlen && v.payload().size() == total - hlen);

    L4_FUZZ_CHECK(v.verify_header_checksum() == (ones_sum(v.header_bytes()) == 0xFFFF));

    const auto len = static_cast<std::uint16_t>(v.payload().size());
    const auto ph = pseudo_header::ipv4(v, len);
    const std::uint8_t tail[4] = {0, d[9], static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)};
    L4_FUZZ_CHECK(ph.size() == 12 && std::equal(d + 12, d + 20, ph.bytes().begin()) &&
                  std::equal(tail, tail + 4, ph.bytes().begin() + 8));

    std::ostringstream os;
    os << v;
    L4_FUZZ_CHECK(os.str().back() == ')');
}

void check_repr(const ipv4_view& v, byte_span in) {
    const auto r = ipv4_repr::parse(in);
    if (!v.verify_header_checksum()) {
        L4_FUZZ_CHECK(!r && r.error() == errc::bad_checksum);
        return;
    }
    if (v.is_fragment()) {
        L4_FUZZ_CHECK(!r && r.error() == errc::fragment);
        return;
    }
    L4_FUZZ_CHECK(r.has_value());
    L4_FUZZ_CHECK(r->src == v.src() && r->dst == v.dst() && r->protocol == v.protocol() && r->ttl == v.ttl());
    L4_FUZZ_CHECK(r->identification == v.identification() && r->dont_fragment == v.dont_fragment());
    L4_FUZZ_CHECK(r->dscp == v.dscp() && r->ecn == v.ecn() && r->payload_len == v.payload().size());

    // Emit the header, copy the payload after it, parse again.
    std::vector<std::uint8_t> out(r->buffer_len());
    L4_FUZZ_CHECK(!r->emit(std::span{out}.first(19)));
    const auto n = r->emit(out);
    L4_FUZZ_CHECK(n.has_value() && *n == 20);
    std::copy(v.payload().begin(), v.payload().end(), out.begin() + 20);
    const auto back = ipv4_repr::parse(out);
    L4_FUZZ_CHECK(back.has_value() && *back == *r);
    if (v.header_len() == 20 && !v.reserved_flag()) {
        // RFC 1624 §3: a header whose checksum computes to 0x0000 verifies as
        // well with 0xFFFF (the other zero); emit always writes 0x0000.
        std::vector<std::uint8_t> sent(v.datagram().begin(), v.datagram().end());
        if (l4::load_be16(sent.data() + 10) == 0xFFFF && l4::load_be16(out.data() + 10) == 0) l4::store_be16(sent.data() + 10, 0);
        L4_FUZZ_CHECK(std::equal(out.begin(), out.end(), sent.begin()));
    }
}

void run(byte_span in) {
    const auto v = ipv4_view::check(in);
    const errc want = expected_check(in);
    L4_FUZZ_CHECK(v.has_value() == (want == errc::ok));
    if (!v) {
        L4_FUZZ_CHECK(v.error() == want);
        const auto r = ipv4_repr::parse(in);
        L4_FUZZ_CHECK(!r && r.error() == want);
        return;
    }
    check_accessors(*v, in);
    check_repr(*v, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const byte_span in = l4::fuzz::input(data, size);
    run(in);

    // The same header with its checksum right.
    if (expected_check(in) == errc::ok) {
        std::vector<std::uint8_t> fixed(in.begin(), in.end());
        const std::size_t hlen = std::size_t{fixed[0] & 0x0Fu} * 4;
        fixed[10] = fixed[11] = 0;
        const auto sum = static_cast<std::uint16_t>(~ones_sum(std::span{fixed}.first(hlen)));
        fixed[10] = static_cast<std::uint8_t>(sum >> 8);
        fixed[11] = static_cast<std::uint8_t>(sum);
        L4_FUZZ_CHECK(ipv4_view::check(fixed)->verify_header_checksum());
        run(fixed);
    }
    return 0;
}
