// The compile-cost probe (benchmarks/compile_cost.sh), budgeted at 2 s and
// 600 MB with g++ -O2: one translation unit that includes the wire and
// checksum headers and instantiates every format the way a user's TU does.
//
// - each shipped format: its view (check and printing), its strict repr
//   (parse, emit), TCP and UDP with their checksum verified and filled;
// - TCP options (walker and repr), Ethernet, pcap (reader, stream reader,
//   writer);
// - a user-declared layout through the generic repr, view and printing,
//   with a CRC32C in place of the internet checksum (as in
//   examples/custom_layout.cpp).
//
// every_combination.cpp, measured next to it, adds every checksum strategy
// inside TCP's and UDP's parse and emit, and the generic repr of every
// shipped layout.
#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/incremental.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/checksum/none.hpp>
#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/seq32.hpp>
#include <l4/wire/ethernet.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/layout_repr.hpp>
#include <l4/wire/pcap.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/tcp_options.hpp>
#include <l4/wire/transport_checksum.hpp>
#include <l4/wire/udp.hpp>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <ostream>

namespace w = l4::wire;
namespace c = l4::checksum;

// A user's own header, as in examples/custom_layout.cpp.
using fabric_header = w::layout<w::field<"src_port", 32>, w::field<"dst_port", 32>, w::field<"version", 4>,
                                w::field<"urgent", 1>, w::field<"ack", 1>, w::field<"fin", 1>,
                                w::field<"length_words", 9>, w::field<"checksum", 32>>;

namespace {

template <class View, class Repr>
std::size_t view_and_repr(std::ostream& os, l4::bytes in, l4::mut_bytes out) {
    std::size_t n = 0;
    if (auto v = View::check(in)) os << *v << '\n';
    if (auto r = Repr::parse(in))
        if (auto e = r->emit(out)) n += *e;
    return n;
}

}  // namespace

std::size_t formats(std::ostream& os, std::istream& is, l4::bytes pseudo, l4::bytes in, l4::mut_bytes out) {
    std::size_t n = in.empty() ? 0 : static_cast<std::size_t>(l4::classify_port(l4::load_be16(in.data())));
    n += view_and_repr<w::ipv4_view, w::ipv4_repr>(os, in, out);
    n += view_and_repr<w::ipv6_view, w::ipv6_repr>(os, in, out);
    n += view_and_repr<w::tcp_view, w::tcp_repr>(os, in, out);
    n += view_and_repr<w::udp_view, w::udp_repr>(os, in, out);
    if (auto r = w::tcp_repr::parse(in, pseudo, c::internet{}))
        if (auto e = r->emit(out, pseudo, c::internet{})) n += *e;
    if (auto r = w::udp_repr::parse(in, pseudo, w::udp_zero_checksum::means_none, c::internet{}))
        if (auto e = r->emit(out, pseudo, c::internet{})) n += *e;

    if (auto o = w::tcp_options::parse(in))
        if (auto e = o->emit(out)) n += *e;
    for (w::option_walker walker{in}; auto opt = walker.next();) n += opt->kind;

    if (auto v = w::ethernet::view::check(in))
        if (auto e = w::ethernet::header::from(*v).emit(out)) n += *e;

    if (auto reader = w::pcap::span_reader::open(in))
        for (auto rec = reader->next(); rec && *rec; rec = reader->next()) n += (*rec)->data.size();
    if (auto reader = w::pcap::stream_reader::open(is))
        for (auto rec = reader->next(); rec && *rec; rec = reader->next()) n += (*rec)->data.size();
    w::pcap::writer pw{os, w::pcap::link_type::ethernet, w::pcap::precision::micro};
    if (pw.write(0, in)) ++n;

    if (auto r = w::layout_repr<fabric_header>::parse(in)) {
        os << *r << '\n';
        if (auto e = r->emit(out)) n += *e;
    }
    if (auto v = w::view<fabric_header>::check(in)) w::print_fields(os, *v) << '\n';
    constexpr std::size_t at = fabric_header::offset_of<"checksum"> / 8;
    if (out.size() >= fabric_header::size) w::fill_checksum<c::crc32c>(pseudo, out, at);
    if (in.size() >= fabric_header::size && w::verify_checksum<c::crc32c>(pseudo, in, at)) ++n;
    return n;
}

