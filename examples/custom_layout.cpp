// Declare your own segment layout and get a view, printing, a repr and a
// checksum, the same machinery l4kit uses for TCP and UDP.
//
// The protocol here is a UDP variant for a datacentre fabric: 32-bit ports,
// a version nibble, three flag bits, a 9-bit length in words and a CRC32C in
// place of the 16-bit internet checksum.
#include <l4/checksum/crc32c.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/layout_repr.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <array>
#include <cstring>
#include <iostream>

namespace wire = l4::wire;
using wire::field;

// The layout is the header diagram, field by field, in wire order.
using fabric_header = wire::layout<field<"src_port", 32>, field<"dst_port", 32>,  //
                                   field<"version", 4>, field<"urgent", 1>, field<"ack", 1>, field<"fin", 1>,
                                   field<"length_words", 9>,  //
                                   field<"checksum", 32>>;
static_assert(fabric_header::size == 14, "offsets and size are computed at compile time");

int main() {
    constexpr std::size_t checksum_at = fabric_header::offset_of<"checksum"> / 8;
    std::array<std::uint8_t, 14 + 16> datagram{};

    // Build: a repr is a plain value with one member per field.
    wire::layout_repr<fabric_header> hdr;
    hdr.get<"src_port">() = 100000;
    hdr.get<"dst_port">() = 7;
    hdr.get<"version">() = 2;
    hdr.get<"ack">() = 1;
    hdr.get<"length_words">() = datagram.size() / 2;
    if (auto n = hdr.emit(datagram); !n) {
        std::cerr << "emit: " << l4::describe(n.error()) << '\n';
        return 1;
    }
    std::memcpy(datagram.data() + 14, "payload of 16 B.", 16);
    wire::fill_checksum<l4::checksum::crc32c>({}, datagram, checksum_at);

    // Read: a view checks the length once, then reads fields in place.
    auto view = wire::view<fabric_header>::check(datagram);
    if (!view) {
        std::cerr << "view: " << l4::describe(view.error()) << '\n';
        return 1;
    }
    std::cout << "fields:   ";
    wire::print_fields(std::cout, *view) << '\n';
    std::cout << "dst_port: " << view->get<"dst_port">() << ", version " << unsigned{view->get<"version">()} << '\n';
    const bool valid = wire::verify_checksum<l4::checksum::crc32c>({}, datagram, checksum_at);
    std::cout << "crc32c:   " << (valid ? "valid" : "BAD") << '\n';

    // Round trip: parse(emit(repr)) gives the same repr back, once the
    // checksum emit left as zero is taken from the datagram.
    auto back = wire::layout_repr<fabric_header>::parse(datagram);
    if (!back) {
        std::cerr << "parse: " << l4::describe(back.error()) << '\n';
        return 1;
    }
    hdr.get<"checksum">() = back->get<"checksum">();
    const bool identical = *back == hdr;
    std::cout << "round trip: " << (identical ? "identical" : "DIFFERENT") << '\n';

    datagram[20] ^= 1;  // one flipped bit in the payload
    const bool detected = !wire::verify_checksum<l4::checksum::crc32c>({}, datagram, checksum_at);
    std::cout << "after a bit flip: " << (detected ? "detected" : "NOT DETECTED") << '\n';

    // What this example shows must hold, or it fails (it runs under ctest).
    return valid && identical && detected && view->get<"dst_port">() == 7 ? 0 : 1;
}
