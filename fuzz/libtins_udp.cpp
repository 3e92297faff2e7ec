// Differential fuzz target: our UDP view and repr against libtins 4.0
// (Debian libtins-dev), on the raw bytes of a UDP datagram.
//
// Agreement rules, from libtins' UDP(const uint8_t*, uint32_t) and
// experiment:
//  1. Both refuse fewer than 8 bytes (libtins throws malformed_packet).
//  2. libtins does not read the Length field to parse: it accepts any value
//     and takes every byte past the header as payload. We refuse a length
//     below 8 or past the end (udp_view::check) and trim bytes past it
//     (link padding). So on 8 bytes or more libtins always accepts; ports,
//     length field and checksum read the same whatever the length says.
//  3. Payload: where the length field covers exactly the bytes given
//     (udp_repr::parse accepts), both have the same payload bytes; where it
//     covers fewer, ours is the prefix the length field names.
//  4. The checksum is read as stored by both; libtins does not verify it.
#include <l4/wire/udp.hpp>

#include "oracle.hpp"

#include <tins/exceptions.h>
#include <tins/rawpdu.h>
#include <tins/udp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace l4::wire;
    const l4::bytes in{data, size};

    std::optional<Tins::UDP> u;
    try {
        u.emplace(data, static_cast<std::uint32_t>(size));
    } catch (const Tins::malformed_packet&) {
    }

    const auto v = udp_view::check(in);
    if (size < udp_header_len) {  // rule 1
        L4_FUZZ_CHECK(!u && !v && v.error() == l4::errc::truncated);
        return 0;
    }
    L4_FUZZ_CHECK(u.has_value());  // rule 2

    const auto* raw = u->find_pdu<Tins::RawPDU>();
    const std::size_t their_payload = raw ? raw->payload().size() : 0;
    L4_FUZZ_CHECK(their_payload == size - udp_header_len);
    if (raw) L4_FUZZ_CHECK(std::equal(raw->payload().begin(), raw->payload().end(), data + udp_header_len));

    if (!v) {
        L4_FUZZ_CHECK(u->length() < udp_header_len || u->length() > size);
        return 0;
    }
    L4_FUZZ_CHECK(u->sport() == v->src_port() && u->dport() == v->dst_port());
    L4_FUZZ_CHECK(u->length() == v->length() && u->checksum() == v->checksum());  // rule 4

    // Rule 3.
    L4_FUZZ_CHECK(v->payload().size() <= their_payload);
    if (raw) L4_FUZZ_CHECK(std::equal(v->payload().begin(), v->payload().end(), raw->payload().begin()));
    const auto r = udp_repr::parse(in);
    L4_FUZZ_CHECK(r.has_value() == (u->length() == size));
    if (r) L4_FUZZ_CHECK(r->payload.size() == their_payload && r->src_port == u->sport() && r->dst_port == u->dport());
    return 0;
}
