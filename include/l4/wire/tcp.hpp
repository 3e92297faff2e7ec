// The TCP header (RFC 9293 §3.1): layout, zero-copy view, strict repr.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/short_text.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/tcp_options.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>

namespace l4::wire {

// The TCP checksum field is 16 bits: a wider strategy (crc32c) needs a
// custom layout with a field of its width (see layout.hpp).
template <class S>
concept tcp_checksum = S::width == 2;

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                        Sequence Number                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                    Acknowledgment Number                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |       |       |R|E|G|K|H|T|N|N|                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Checksum            |         Urgent Pointer        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using tcp_layout = layout<field<"src_port", 16>, field<"dst_port", 16>,  //
                          field<"seq_number", 32>,                       //
                          field<"ack_number", 32>,                       //
                          field<"data_offset", 4>, field<"reserved", 4>, //
                          field<"cwr", 1>, field<"ece", 1>, field<"urg", 1>, field<"ack", 1>,
                          field<"psh", 1>, field<"rst", 1>, field<"syn", 1>, field<"fin", 1>,
                          field<"window", 16>,                           //
                          field<"checksum", 16>, field<"urgent_pointer", 16>>;
static_assert(tcp_layout::size == 20, "RFC 9293 §3.1: the fixed TCP header is 20 bytes");
static_assert(tcp_layout::offset_of<"window"> == 14 * 8);

inline constexpr std::size_t tcp_header_len = tcp_layout::size;
inline constexpr std::size_t tcp_checksum_offset = tcp_layout::offset_of<"checksum"> / 8;

// The eight control bits, as one byte (byte 13 of the standard header).
struct tcp_flags {
    static constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20,
                                  ece = 0x40, cwr = 0x80;
    std::uint8_t bits = 0;

    [[nodiscard]] constexpr bool has(std::uint8_t f) const noexcept { return (bits & f) == f; }
    friend constexpr bool operator==(tcp_flags, tcp_flags) noexcept = default;

    // tcpdump's spelling: S F P R U E W and '.' for ACK, e.g. "S." for SYN-ACK.
    [[nodiscard, gnu::cold]] constexpr short_text<8> text() const noexcept {
        short_text<8> s;
        if (has(syn)) s.push_back('S');
        if (has(fin)) s.push_back('F');
        if (has(psh)) s.push_back('P');
        if (has(rst)) s.push_back('R');
        if (has(urg)) s.push_back('U');
        if (has(ece)) s.push_back('E');
        if (has(cwr)) s.push_back('W');
        if (has(ack)) s.push_back('.');
        if (s.empty()) s.append("none");
        return s;
    }
};

namespace detail {

template <class L>
[[nodiscard]] constexpr bool has_field_named(std::string_view name) noexcept {
    for (std::string_view n : L::names)
        if (n == name) return true;
    return false;
}

}  // namespace detail

// A layout TCP's view and repr can read: every field of the RFC's diagram
// by its name, in any width and order (a variant may widen the ports or the
// checksum), with a 32-bit sequence space and a fixed part of whole 32-bit
// words, since the data offset counts words.
template <class L>
concept tcp_layout_type =
    layout_type<L> && detail::has_field_named<L>("src_port") && detail::has_field_named<L>("dst_port") &&
    detail::has_field_named<L>("seq_number") && detail::has_field_named<L>("ack_number") &&
    detail::has_field_named<L>("data_offset") && detail::has_field_named<L>("reserved") &&
    detail::has_field_named<L>("cwr") && detail::has_field_named<L>("ece") && detail::has_field_named<L>("urg") &&
    detail::has_field_named<L>("ack") && detail::has_field_named<L>("psh") && detail::has_field_named<L>("rst") &&
    detail::has_field_named<L>("syn") && detail::has_field_named<L>("fin") &&
    detail::has_field_named<L>("window") && detail::has_field_named<L>("checksum") &&
    detail::has_field_named<L>("urgent_pointer");

// What a TCP layout fixes besides its fields: where the checksum is, how
// long the header may be, and how the eight control bits are reached.
template <class L>
struct tcp_layout_traits {
    static_assert(tcp_layout_type<L>,
                  "a TCP layout needs fields named src_port, dst_port, seq_number, ack_number, data_offset, "
                  "reserved, cwr, ece, urg, ack, psh, rst, syn, fin, window, checksum and urgent_pointer");
    static_assert(L::template field_t<"seq_number">::bits == 32 && L::template field_t<"ack_number">::bits == 32,
                  "RFC 9293 §3.4: sequence and acknowledgment numbers are 32 bits (seq32)");
    static_assert(L::size % 4 == 0, "RFC 9293 §3.1: the data offset counts 32-bit words");

    using port_type = typename L::template field_t<"src_port">::value_type;
    using window_type = typename L::template field_t<"window">::value_type;
    using urgent_type = typename L::template field_t<"urgent_pointer">::value_type;

    static constexpr std::size_t fixed_len = L::size;
    static constexpr std::size_t checksum_offset = L::template offset_of<"checksum"> / 8;
    static constexpr std::size_t checksum_width = L::template field_t<"checksum">::bits / 8;
    // RFC 9293 §3.1: the data offset's largest value bounds header and options.
    static constexpr std::size_t max_header_len =
        ((std::size_t{1} << L::template field_t<"data_offset">::bits) - 1) * 4;
    static_assert(max_header_len >= fixed_len, "the data offset field must be able to count the fixed header");

    // Where the standard layout keeps the eight bits in one byte, in
    // tcp_flags' order, they are read and written as that byte.
    static constexpr bool flags_in_one_byte = [] {
        constexpr std::size_t at = L::template offset_of<"cwr">;
        constexpr std::array<std::size_t, 8> offsets{
            L::template offset_of<"cwr">, L::template offset_of<"ece">, L::template offset_of<"urg">,
            L::template offset_of<"ack">, L::template offset_of<"psh">, L::template offset_of<"rst">,
            L::template offset_of<"syn">, L::template offset_of<"fin">};
        for (std::size_t i = 0; i < offsets.size(); ++i)
            if (offsets[i] != at + i) return false;  // so cwr..syn are one bit each
        return at % 8 == 0 && L::template field_t<"fin">::bits == 1;
    }();

    [[nodiscard]] static constexpr tcp_flags read_flags(view<L> h) noexcept {
        if constexpr (flags_in_one_byte) {
            return {static_cast<std::uint8_t>(detail::read_bits(h.data(), L::template offset_of<"cwr">, 8))};
        } else {
            return {static_cast<std::uint8_t>(
                h.template get<"cwr">() << 7 | h.template get<"ece">() << 6 | h.template get<"urg">() << 5 |
                h.template get<"ack">() << 4 | h.template get<"psh">() << 3 | h.template get<"rst">() << 2 |
                h.template get<"syn">() << 1 | h.template get<"fin">())};
        }
    }

    static constexpr void write_flags(mut_view<L> h, tcp_flags f) noexcept {
        if constexpr (flags_in_one_byte) {
            detail::write_bits(h.data(), L::template offset_of<"cwr">, 8, f.bits);
        } else {
            h.template set<"cwr">(f.has(tcp_flags::cwr));
            h.template set<"ece">(f.has(tcp_flags::ece));
            h.template set<"urg">(f.has(tcp_flags::urg));
            h.template set<"ack">(f.has(tcp_flags::ack));
            h.template set<"psh">(f.has(tcp_flags::psh));
            h.template set<"rst">(f.has(tcp_flags::rst));
            h.template set<"syn">(f.has(tcp_flags::syn));
            h.template set<"fin">(f.has(tcp_flags::fin));
        }
    }

    // Whether v fits the field's width (a repr's member may be wider).
    template <fixed_string Name, class T>
    [[nodiscard]] static constexpr bool fits(T v) noexcept {
        constexpr std::size_t bits = L::template field_t<Name>::bits;
        if constexpr (bits >= 64) return true;
        else return static_cast<std::uint64_t>(v) < (std::uint64_t{1} << bits);
    }
};

// A checksum strategy whose value fills the layout's checksum field.
template <class S, class L>
concept tcp_checksum_for = S::width == tcp_layout_traits<L>::checksum_width;

// A TCP segment over bytes it does not own. `check` is the only way in from
// untrusted bytes: it validates the length and the data offset once, so no
// accessor can read out of bounds afterwards. Checksum and options are not
// validated here (see basic_tcp_repr::parse). Every field is reached by its
// name in `Layout`, so a custom layout goes through the same code.
template <class Layout>
class basic_tcp_view {
    using traits = tcp_layout_traits<Layout>;

public:
    using layout_type = Layout;
    using port_type = typename traits::port_type;
    using window_type = typename traits::window_type;
    using urgent_type = typename traits::urgent_type;
    static constexpr std::size_t fixed_header_len = traits::fixed_len;

    [[nodiscard]] static constexpr result<basic_tcp_view> check(bytes segment) noexcept {
        if (segment.size() < traits::fixed_len) return errc::truncated;
        const std::size_t hlen = std::size_t{view<Layout>{segment.data()}.template get<"data_offset">()} * 4;
        // RFC 9293 §3.1: the data offset counts 32-bit words and covers at least the fixed header.
        if (hlen < traits::fixed_len || hlen > segment.size()) return errc::bad_data_offset;
        return basic_tcp_view{segment};
    }

    [[nodiscard]] constexpr view<Layout> header() const noexcept { return view<Layout>{seg_.data()}; }

    [[nodiscard]] constexpr port_type src_port() const noexcept { return header().template get<"src_port">(); }
    [[nodiscard]] constexpr port_type dst_port() const noexcept { return header().template get<"dst_port">(); }
    [[nodiscard]] constexpr seq32 seq_number() const noexcept {
        return seq32{header().template get<"seq_number">()};
    }
    [[nodiscard]] constexpr seq32 ack_number() const noexcept {
        return seq32{header().template get<"ack_number">()};
    }
    [[nodiscard]] constexpr std::size_t header_len() const noexcept {
        return std::size_t{header().template get<"data_offset">()} * 4;
    }
    [[nodiscard]] constexpr auto reserved() const noexcept { return header().template get<"reserved">(); }
    [[nodiscard]] constexpr tcp_flags flags() const noexcept { return traits::read_flags(header()); }
    [[nodiscard]] constexpr window_type window() const noexcept { return header().template get<"window">(); }
    [[nodiscard]] constexpr auto checksum() const noexcept { return header().template get<"checksum">(); }
    [[nodiscard]] constexpr urgent_type urgent_pointer() const noexcept {
        return header().template get<"urgent_pointer">();
    }

    [[nodiscard]] constexpr bytes options() const noexcept {
        return seg_.subspan(traits::fixed_len, header_len() - traits::fixed_len);
    }
    [[nodiscard]] constexpr option_walker walk_options() const noexcept { return option_walker{options()}; }
    [[nodiscard]] constexpr bytes payload() const noexcept { return seg_.subspan(header_len()); }
    [[nodiscard]] constexpr bytes segment() const noexcept { return seg_; }

    // Sequence space the segment occupies: payload plus one each for SYN and FIN.
    [[nodiscard]] constexpr std::uint32_t sequence_len() const noexcept {
        return static_cast<std::uint32_t>(payload().size()) + flags().has(tcp_flags::syn) +
               flags().has(tcp_flags::fin);
    }

    template <tcp_checksum_for<Layout> Checksum>
    [[nodiscard]] constexpr bool verify_checksum(bytes pseudo, Checksum = {}) const noexcept {
        return wire::verify_checksum<Checksum>(pseudo, seg_, traits::checksum_offset);
    }

private:
    constexpr explicit basic_tcp_view(bytes segment) noexcept : seg_{segment} {}
    bytes seg_;
};

// The decoded segment: what a TCP implementation reasons about. Reserved
// bits and unknown options are not carried to emit (RFC 9293 §3.1: reserved
// bits are sent as zero).
template <class Layout>
struct basic_tcp_repr {
    using traits = tcp_layout_traits<Layout>;
    using layout_type = Layout;
    using view_type = basic_tcp_view<Layout>;

    typename traits::port_type src_port = 0;
    typename traits::port_type dst_port = 0;
    seq32 seq_number;
    seq32 ack_number;
    tcp_flags flags;
    typename traits::window_type window = 0;
    typename traits::urgent_type urgent_pointer = 0;
    tcp_options options;
    bytes payload;

    // Structure and options, strictly; the checksum is not looked at.
    [[nodiscard]] static constexpr result<basic_tcp_repr> parse(bytes segment) noexcept {
        auto v = view_type::check(segment);
        if (!v) return v.error();
        return from_view(*v);
    }

    // Structure, options and the checksum over pseudo-header and segment.
    template <tcp_checksum_for<Layout> Checksum>
    [[nodiscard]] static constexpr result<basic_tcp_repr> parse(bytes segment, bytes pseudo,
                                                                Checksum = {}) noexcept {
        auto v = view_type::check(segment);
        if (!v) return v.error();
        if (!v->template verify_checksum<Checksum>(pseudo)) return errc::bad_checksum;
        return from_view(*v);
    }

    // Built where the caller receives it, the options decoded in place
    // (tcp_options::parse's strict rules): every received segment passes
    // here, and copies of a repr and its options cost it 8 %.
    [[nodiscard]] static constexpr result<basic_tcp_repr> from_view(const view_type& v) noexcept {
        result<basic_tcp_repr> out;
        if (const errc e = read(v, *out); e != errc::ok) out = e;
        return out;
    }

    // from_view into a repr the caller keeps and reuses (an earlier
    // segment's: every field is overwritten). Errors: those of from_view;
    // `r` then holds part of the segment.
    // Every field is read before the first store into `r`: such a store may
    // alias the segment's bytes, and GCC read the data offset three times.
    [[nodiscard, gnu::always_inline]] static constexpr errc read(const view_type& v, basic_tcp_repr& r) noexcept {
        const auto src_port = v.src_port();
        const auto dst_port = v.dst_port();
        const seq32 seq_number = v.seq_number(), ack_number = v.ack_number();
        const tcp_flags flags = v.flags();
        const auto window = v.window();
        const auto urgent_pointer = v.urgent_pointer();
        const bytes segment = v.segment();
        const std::size_t header_len = v.header_len();
        r.options.clear();
        r.src_port = src_port;
        r.dst_port = dst_port;
        r.seq_number = seq_number;
        r.ack_number = ack_number;
        r.flags = flags;
        r.window = window;
        r.urgent_pointer = urgent_pointer;
        r.payload = segment.subspan(header_len);
        return r.options.decode_all(segment.subspan(traits::fixed_len, header_len - traits::fixed_len));
    }

    [[nodiscard]] constexpr std::size_t header_len() const noexcept {
        return traits::fixed_len + options.buffer_len();
    }
    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return header_len() + payload.size(); }
    [[nodiscard]] constexpr std::uint32_t sequence_len() const noexcept {
        return static_cast<std::uint32_t>(payload.size()) + flags.has(tcp_flags::syn) + flags.has(tcp_flags::fin);
    }

    // Writes header, options and payload with a zero checksum; returns the
    // length. Errors: options_too_long (past what the data offset can
    // count), value_out_of_range (a value wider than its field),
    // buffer_too_small.
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        auto hlen = emit_header(out, {src_port, dst_port, seq_number, ack_number, flags, window, urgent_pointer},
                                options, payload.size());
        if (!hlen) return hlen.error();
        copy_bytes(payload, out.data() + *hlen);
        return *hlen + payload.size();
    }

    // The values of the fixed header that a sender sets.
    struct header_values {
        typename traits::port_type src_port;
        typename traits::port_type dst_port;
        seq32 seq_number;
        seq32 ack_number;
        tcp_flags flags;
        typename traits::window_type window;
        typename traits::urgent_type urgent_pointer;
    };

    // The header alone, options included, with a zero checksum, leaving room
    // for `payload_len` bytes after it; returns the header's length. For a
    // sender that keeps these values elsewhere (tcp::endpoint writes each
    // segment straight from the connection's). Errors: those of emit().
    // Inline: a sender calls it for every segment, and as a call its values went through memory.
    [[nodiscard, gnu::always_inline]] static constexpr result<std::size_t> emit_header(
        mut_bytes out, const header_values& v, const tcp_options& options, std::size_t payload_len) noexcept {
        return emit_sized_header(out, v, options, options.buffer_len(), payload_len);
    }

    // emit_header for a sender that has `options_len`, options.buffer_len(),
    // already (tcp::endpoint sized the frame with it): the options are
    // looked over once a segment, not twice.
    [[nodiscard, gnu::always_inline]] static constexpr result<std::size_t> emit_sized_header(
        mut_bytes out, const header_values& v, const tcp_options& options, std::size_t options_len,
        std::size_t payload_len) noexcept {
        const std::size_t hlen = traits::fixed_len + options_len;
        if (hlen > traits::max_header_len || options_len > max_options_len) return errc::options_too_long;
        if (!traits::template fits<"src_port">(v.src_port) || !traits::template fits<"dst_port">(v.dst_port) ||
            !traits::template fits<"window">(v.window) || !traits::template fits<"urgent_pointer">(v.urgent_pointer))
            return errc::value_out_of_range;
        if (out.size() < hlen + payload_len) return errc::buffer_too_small;
        const mut_view<Layout> h{out.data()};
        // Fields a custom layout adds beyond RFC 9293's are sent as zero.
        if constexpr (Layout::field_count != tcp_layout::field_count)
            for (std::size_t i = 0; i < traits::fixed_len; ++i) out[i] = 0;
        h.template set<"src_port">(v.src_port);
        h.template set<"dst_port">(v.dst_port);
        h.template set<"seq_number">(v.seq_number.raw());
        h.template set<"ack_number">(v.ack_number.raw());
        h.template set<"data_offset">(static_cast<std::uint8_t>(hlen / 4));
        h.template set<"reserved">(0);
        traits::write_flags(h, v.flags);
        h.template set<"window">(v.window);
        h.template set<"checksum">(0);
        h.template set<"urgent_pointer">(v.urgent_pointer);
        options.write(out.data() + traits::fixed_len, options_len);
        return hlen;
    }

    // As emit, then fills the checksum over pseudo-header and segment.
    template <tcp_checksum_for<Layout> Checksum>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, bytes pseudo, Checksum = {}) const noexcept {
        auto n = emit(out);
        if (n) fill_checksum<Checksum>(pseudo, out.first(*n), traits::checksum_offset);
        return n;
    }

    friend constexpr bool operator==(const basic_tcp_repr& a, const basic_tcp_repr& b) noexcept {
        return a.src_port == b.src_port && a.dst_port == b.dst_port && a.seq_number == b.seq_number &&
               a.ack_number == b.ack_number && a.flags == b.flags && a.window == b.window &&
               a.urgent_pointer == b.urgent_pointer && a.options == b.options &&
               equal_bytes(a.payload, b.payload);
    }
};

// The standard header of RFC 9293.
using tcp_view = basic_tcp_view<tcp_layout>;
using tcp_repr = basic_tcp_repr<tcp_layout>;

// What tcpdump prints after the addresses: "Flags [S.], seq 1, ack 2, win
// 64240, options [mss 1460,...], length 0". Options are read leniently, as
// tcpdump does: the well-formed ones are printed, and "[bad opt]" where the
// first malformed one was.
template <class Layout>
[[gnu::cold]] std::ostream& print_summary(std::ostream& os, const basic_tcp_view<Layout>& v) {
    os << "Flags [" << v.flags().text().view() << "], seq " << v.seq_number();
    if (!v.payload().empty()) os << ':' << (v.seq_number() + static_cast<std::uint32_t>(v.payload().size()));
    if (v.flags().has(tcp_flags::ack)) os << ", ack " << v.ack_number();
    os << ", win " << v.window();
    const auto lenient = lenient_tcp_options::parse(v.options());
    const tcp_options& opts = lenient.options;
    bool any = false;
    auto item = [&] {
        os << (any ? "," : ", options [");
        any = true;
    };
    if (opts.mss) { item(); os << "mss " << *opts.mss; }
    if (opts.sack_permitted) { item(); os << "sackOK"; }
    if (opts.ts) { item(); os << "TS val " << opts.ts->tsval << " ecr " << opts.ts->tsecr; }
    if (opts.window_scale) { item(); os << "wscale " << unsigned{*opts.window_scale}; }
    if (opts.sack_count) {
        item();
        os << "sack " << unsigned{opts.sack_count};
        for (const auto& b : opts.sack_blocks()) os << " {" << b.left << ':' << b.right << '}';
    }
    if (opts.fast_open) {  // RFC 7413, as tcpdump prints it
        item();
        os << "tfo " << (opts.fast_open->request() ? "cookiereq" : "cookie ");
        constexpr char hex[] = "0123456789abcdef";
        for (const std::uint8_t b : opts.fast_open->value()) os << hex[b >> 4] << hex[b & 15];
    }
    if (lenient.malformed) { item(); os << "[bad opt]"; }
    if (any) os << ']';
    return os << ", length " << v.payload().size();
}

template <class Layout>
[[gnu::cold]] std::ostream& operator<<(std::ostream& os, const basic_tcp_view<Layout>& v) {
    return print_summary(os << v.src_port() << " > " << v.dst_port() << ": ", v);
}

}  // namespace l4::wire
