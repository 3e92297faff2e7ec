// The TCP header (RFC 9293 §3.1): layout, zero-copy view, strict repr.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/short_text.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/tcp_options.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <cstdint>
#include <ostream>

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

// The eight control bits, as one byte (byte 13 of the header).
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

// A TCP segment over bytes it does not own. `check` is the only way in from
// untrusted bytes: it validates the length and the data offset once, so no
// accessor can read out of bounds afterwards. Checksum and options are not
// validated here (see tcp_repr::parse).
class tcp_view {
public:
    [[nodiscard]] static constexpr result<tcp_view> check(bytes segment) noexcept {
        if (segment.size() < tcp_header_len) return errc::truncated;
        const std::size_t hlen = std::size_t{view<tcp_layout>{segment.data()}.get<"data_offset">()} * 4;
        // RFC 9293 §3.1: the data offset counts 32-bit words and is at least 5.
        if (hlen < tcp_header_len || hlen > segment.size()) return errc::bad_data_offset;
        return tcp_view{segment};
    }

    [[nodiscard]] constexpr view<tcp_layout> header() const noexcept { return view<tcp_layout>{seg_.data()}; }

    [[nodiscard]] constexpr std::uint16_t src_port() const noexcept { return header().get<"src_port">(); }
    [[nodiscard]] constexpr std::uint16_t dst_port() const noexcept { return header().get<"dst_port">(); }
    [[nodiscard]] constexpr seq32 seq_number() const noexcept { return seq32{header().get<"seq_number">()}; }
    [[nodiscard]] constexpr seq32 ack_number() const noexcept { return seq32{header().get<"ack_number">()}; }
    [[nodiscard]] constexpr std::size_t header_len() const noexcept {
        return std::size_t{header().get<"data_offset">()} * 4;
    }
    [[nodiscard]] constexpr std::uint8_t reserved() const noexcept { return header().get<"reserved">(); }
    [[nodiscard]] constexpr tcp_flags flags() const noexcept { return {seg_[13]}; }
    [[nodiscard]] constexpr std::uint16_t window() const noexcept { return header().get<"window">(); }
    [[nodiscard]] constexpr std::uint16_t checksum() const noexcept { return header().get<"checksum">(); }
    [[nodiscard]] constexpr std::uint16_t urgent_pointer() const noexcept {
        return header().get<"urgent_pointer">();
    }

    [[nodiscard]] constexpr bytes options() const noexcept {
        return seg_.subspan(tcp_header_len, header_len() - tcp_header_len);
    }
    [[nodiscard]] constexpr option_walker walk_options() const noexcept { return option_walker{options()}; }
    [[nodiscard]] constexpr bytes payload() const noexcept { return seg_.subspan(header_len()); }
    [[nodiscard]] constexpr bytes segment() const noexcept { return seg_; }

    // Sequence space the segment occupies: payload plus one each for SYN and FIN.
    [[nodiscard]] constexpr std::uint32_t sequence_len() const noexcept {
        return static_cast<std::uint32_t>(payload().size()) + flags().has(tcp_flags::syn) +
               flags().has(tcp_flags::fin);
    }

    template <tcp_checksum Checksum>
    [[nodiscard]] constexpr bool verify_checksum(bytes pseudo, Checksum = {}) const noexcept {
        return wire::verify_checksum<Checksum>(pseudo, seg_, tcp_checksum_offset);
    }

private:
    constexpr explicit tcp_view(bytes segment) noexcept : seg_{segment} {}
    bytes seg_;
};

// The decoded segment: what a TCP implementation reasons about. Reserved
// bits and unknown options are not carried to emit (RFC 9293 §3.1: reserved
// bits are sent as zero).
struct tcp_repr {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    seq32 seq_number;
    seq32 ack_number;
    tcp_flags flags;
    std::uint16_t window = 0;
    std::uint16_t urgent_pointer = 0;
    tcp_options options;
    bytes payload;

    // Structure and options, strictly; the checksum is not looked at.
    [[nodiscard]] static constexpr result<tcp_repr> parse(bytes segment) noexcept {
        auto v = tcp_view::check(segment);
        if (!v) return v.error();
        return from_view(*v);
    }

    // Structure, options and the checksum over pseudo-header and segment.
    template <tcp_checksum Checksum>
    [[nodiscard]] static constexpr result<tcp_repr> parse(bytes segment, bytes pseudo, Checksum = {}) noexcept {
        auto v = tcp_view::check(segment);
        if (!v) return v.error();
        if (!v->verify_checksum<Checksum>(pseudo)) return errc::bad_checksum;
        return from_view(*v);
    }

    [[nodiscard]] static constexpr result<tcp_repr> from_view(const tcp_view& v) noexcept {
        auto opts = tcp_options::parse(v.options());
        if (!opts) return opts.error();
        return tcp_repr{v.src_port(), v.dst_port(), v.seq_number(), v.ack_number(), v.flags(),
                        v.window(),   v.urgent_pointer(), *opts,    v.payload()};
    }

    [[nodiscard]] constexpr std::size_t header_len() const noexcept {
        return tcp_header_len + options.buffer_len();
    }
    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return header_len() + payload.size(); }
    [[nodiscard]] constexpr std::uint32_t sequence_len() const noexcept {
        return static_cast<std::uint32_t>(payload.size()) + flags.has(tcp_flags::syn) + flags.has(tcp_flags::fin);
    }

    // Writes header, options and payload with a zero checksum; returns the length.
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        const std::size_t hlen = header_len();
        if (hlen > tcp_header_len + max_options_len) return errc::options_too_long;
        if (out.size() < hlen + payload.size()) return errc::buffer_too_small;
        mut_view<tcp_layout> h{out.data()};
        h.set<"src_port">(src_port);
        h.set<"dst_port">(dst_port);
        h.set<"seq_number">(seq_number.raw());
        h.set<"ack_number">(ack_number.raw());
        h.set<"data_offset">(static_cast<std::uint8_t>(hlen / 4));
        h.set<"reserved">(0);
        out[13] = flags.bits;
        h.set<"window">(window);
        h.set<"checksum">(0);
        h.set<"urgent_pointer">(urgent_pointer);
        if (auto n = options.emit(out.subspan(tcp_header_len)); !n) return n.error();
        copy_bytes(payload, out.data() + hlen);
        return hlen + payload.size();
    }

    // As emit, then fills the checksum over pseudo-header and segment.
    template <tcp_checksum Checksum>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, bytes pseudo, Checksum = {}) const noexcept {
        auto n = emit(out);
        if (n) fill_checksum<Checksum>(pseudo, out.first(*n), tcp_checksum_offset);
        return n;
    }

    friend constexpr bool operator==(const tcp_repr& a, const tcp_repr& b) noexcept {
        return a.src_port == b.src_port && a.dst_port == b.dst_port && a.seq_number == b.seq_number &&
               a.ack_number == b.ack_number && a.flags == b.flags && a.window == b.window &&
               a.urgent_pointer == b.urgent_pointer && a.options == b.options &&
               equal_bytes(a.payload, b.payload);
    }
};

// What tcpdump prints after the addresses: "Flags [S.], seq 1, ack 2, win
// 64240, options [mss 1460,...], length 0".
[[gnu::cold]] inline std::ostream& print_summary(std::ostream& os, const tcp_view& v) {
    os << "Flags [" << v.flags().text().view() << "], seq " << v.seq_number();
    if (!v.payload().empty()) os << ':' << (v.seq_number() + static_cast<std::uint32_t>(v.payload().size()));
    if (v.flags().has(tcp_flags::ack)) os << ", ack " << v.ack_number();
    os << ", win " << v.window();
    if (auto opts = tcp_options::parse(v.options())) {
        bool any = false;
        auto item = [&] {
            os << (any ? "," : ", options [");
            any = true;
        };
        if (opts->mss) { item(); os << "mss " << *opts->mss; }
        if (opts->sack_permitted) { item(); os << "sackOK"; }
        if (opts->ts) { item(); os << "TS val " << opts->ts->tsval << " ecr " << opts->ts->tsecr; }
        if (opts->window_scale) { item(); os << "wscale " << unsigned{*opts->window_scale}; }
        if (opts->sack_count) {
            item();
            os << "sack " << unsigned{opts->sack_count};
            for (const auto& b : opts->sack_blocks()) os << " {" << b.left << ':' << b.right << '}';
        }
        if (any) os << ']';
    } else {
        os << ", options [" << describe(opts.error()) << ']';
    }
    return os << ", length " << v.payload().size();
}

[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const tcp_view& v) {
    return print_summary(os << v.src_port() << " > " << v.dst_port() << ": ", v);
}

}  // namespace l4::wire
