// The heavier compile-cost probe (benchmarks/compile_cost.sh reports it next
// to all_formats.cpp, outside the budget): every format as there, plus
// every checksum strategy inside TCP's and UDP's own parse and emit (nine
// strategies times two formats) and the generic repr and field printing
// instantiated for all four shipped layouts. It shows what a TU pays for
// combinations a user rarely needs at once.
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
#include <l4/wire/udp.hpp>

#include <cstddef>
#include <cstdint>
#include <ostream>

namespace {

// The usual shape: View::check, operator<< on the view, Repr::parse, emit.
template <class View, class Repr>
std::size_t view_and_repr(std::ostream& os, l4::bytes in, l4::mut_bytes out) {
    std::size_t n = 0;
    if (auto v = View::check(in)) os << *v << '\n';
    if (auto r = Repr::parse(in))
        if (auto w = r->emit(out)) n += *w;
    return n;
}

// The generic repr and field printing every layout gets for free.
template <class Layout>
std::size_t generic_layout(std::ostream& os, l4::bytes in, l4::mut_bytes out) {
    std::size_t n = 0;
    if (auto r = l4::wire::layout_repr<Layout>::parse(in)) {
        os << *r << '\n';
        if (auto w = r->emit(out)) n += *w;
    }
    if (in.size() >= Layout::size) l4::wire::print_fields(os, l4::wire::view<Layout>{in.data()});
    return n;
}

// A strategy alone (the concept's members), and inside TCP and UDP where
// their headers accept it (a 16-bit field takes no CRC32C).
template <class S>
std::size_t strategy(l4::bytes pseudo, l4::bytes in, l4::mut_bytes out) {
    auto s = S::update(S::update(S::init(), pseudo), in);
    std::size_t n = S::compute(in) + S::verify(s, S::finish(s));
    if constexpr (requires { l4::wire::tcp_repr::parse(in, pseudo, S{}); })
        if (auto r = l4::wire::tcp_repr::parse(in, pseudo, S{}))
            if (auto w = r->emit(out, pseudo, S{})) n += *w;
    constexpr auto zero = l4::wire::udp_zero_checksum::means_none;
    if constexpr (requires { l4::wire::udp_repr::parse(in, pseudo, zero, S{}); })
        if (auto r = l4::wire::udp_repr::parse(in, pseudo, zero, S{}))
            if (auto w = r->emit(out, pseudo, S{})) n += *w;
    return n;
}

}  // namespace

std::size_t formats(std::ostream& os, l4::bytes in, l4::mut_bytes out) {
    namespace w = l4::wire;
    std::size_t n = in.empty() ? 0 : static_cast<std::size_t>(l4::classify_port(l4::load_be16(in.data())));
    n += view_and_repr<w::tcp_view, w::tcp_repr>(os, in, out);
    if (auto o = w::tcp_options::parse(in))
        if (auto e = o->emit(out)) n += *e;
    for (w::option_walker walker{in}; auto opt = walker.next();) n += opt->kind;
    n += view_and_repr<w::udp_view, w::udp_repr>(os, in, out);
    n += view_and_repr<w::ipv4_view, w::ipv4_repr>(os, in, out);
    n += view_and_repr<w::ipv6_view, w::ipv6_repr>(os, in, out);
    if (auto v = w::ethernet::view::check(in))
        if (auto e = w::ethernet::header::from(*v).emit(out)) n += *e;
    if (auto reader = w::pcap::span_reader::open(in))
        for (auto rec = reader->next(); rec && *rec; rec = reader->next()) n += (*rec)->data.size();
    w::pcap::writer pw{os, w::pcap::link_type::ethernet, w::pcap::precision::micro};
    if (pw.write(0, in)) ++n;
    n += generic_layout<w::tcp_layout>(os, in, out);
    n += generic_layout<w::udp_layout>(os, in, out);
    n += generic_layout<w::ipv4_layout>(os, in, out);
    n += generic_layout<w::ipv6_layout>(os, in, out);
    return n;
}

std::size_t strategies(l4::bytes pseudo, l4::bytes in, l4::mut_bytes out) {
    namespace c = l4::checksum;
    std::size_t n = 0;
    n += strategy<c::internet_reference>(pseudo, in, out);
    n += strategy<c::internet_portable>(pseudo, in, out);
    n += strategy<c::internet_avx2>(pseudo, in, out);
    n += strategy<c::internet>(pseudo, in, out);
    n += strategy<c::incremental>(pseudo, in, out);
    n += strategy<c::crc32c_portable>(pseudo, in, out);
    n += strategy<c::crc32c_sse42>(pseudo, in, out);
    n += strategy<c::crc32c>(pseudo, in, out);
    n += strategy<c::none>(pseudo, in, out);
    return n;
}
