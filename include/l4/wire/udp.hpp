// The UDP header (RFC 768): layout, zero-copy view, strict repr.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <cstdint>
#include <ostream>
#include <type_traits>

namespace l4::wire {

//  0      7 8     15 16    23 24    31
// +--------+--------+--------+--------+
// |     Source      |   Destination   |
// |      Port       |      Port       |
// +--------+--------+--------+--------+
// |                 |                 |
// |     Length      |    Checksum     |
// +--------+--------+--------+--------+
// |          data octets ...
// +---------------- ...
using udp_layout = layout<field<"src_port", 16>, field<"dst_port", 16>,  //
                          field<"length", 16>, field<"checksum", 16>>;
static_assert(udp_layout::size == 8, "RFC 768: the UDP header is 8 bytes");

inline constexpr std::size_t udp_header_len = udp_layout::size;
inline constexpr std::size_t udp_checksum_offset = udp_layout::offset_of<"checksum"> / 8;

// How a received zero checksum is read. RFC 768: over IPv4 a transmitted zero
// means the sender computed none. RFC 8200 §8.1: over IPv6 the checksum is
// mandatory and a zero is invalid.
enum class udp_zero_checksum { means_none, invalid };

// Ones'-complement strategies say so; on the wire they cannot produce a
// zero for a real sum, which frees 0 to mean "none".
template <class S>
inline constexpr bool is_ones_complement = requires { requires S::ones_complement; };

// RFC 768: a computed ones'-complement zero is transmitted as all ones,
// since a zero field would read as "no checksum".
template <class S>
[[nodiscard]] constexpr typename S::value_type udp_transmitted_checksum(typename S::value_type sum) noexcept {
    if (is_ones_complement<S> && sum == 0) return static_cast<typename S::value_type>(~sum);
    return sum;
}

// Whether a received checksum field says "none computed" (and so is not
// verified). Only a ones'-complement zero over IPv4 means that.
template <class S>
[[nodiscard]] constexpr bool udp_checksum_absent(typename S::value_type stored, udp_zero_checksum zero) noexcept {
    return is_ones_complement<S> && stored == 0 && zero == udp_zero_checksum::means_none;
}

// A checksum strategy fits a layout when its value is as wide as the
// layout's checksum field (crc32c needs a custom layout with 32 bits there).
template <class S, class Layout>
concept udp_checksum_for = S::width * 8 == Layout::template field_t<"checksum">::bits;
template <class S>
concept udp_checksum = udp_checksum_for<S, udp_layout>;

// The rules below are UDP's whatever its layout: RFC 768's header with
// fields named "src_port", "dst_port", "length" (header plus data, in
// bytes) and "checksum", in any order and any widths. Fields a custom
// layout adds are carried as zero. The standard header is
// basic_udp_view<udp_layout>, spelled udp_view.
template <class Layout>
class basic_udp_view {
public:
    using layout_type = Layout;
    static constexpr std::size_t header_len = Layout::size;
    static constexpr std::size_t checksum_offset = Layout::template offset_of<"checksum"> / 8;
    static_assert(Layout::template offset_of<"checksum"> % 8 == 0, "the checksum field must be byte-aligned");

    // Bytes past the length field (link padding, trailing bytes of the IP
    // payload) are not part of the datagram.
    [[nodiscard]] static constexpr result<basic_udp_view> check(bytes datagram) noexcept {
        if (datagram.size() < header_len) return errc::truncated;
        const std::uint64_t len = view<Layout>{datagram.data()}.template get<"length">();
        if (len < header_len) return errc::length_mismatch;
        if (len > datagram.size()) return errc::truncated;
        return basic_udp_view{datagram.first(static_cast<std::size_t>(len))};
    }

    [[nodiscard]] constexpr view<Layout> header() const noexcept { return view<Layout>{dgram_.data()}; }
    [[nodiscard]] constexpr auto src_port() const noexcept { return header().template get<"src_port">(); }
    [[nodiscard]] constexpr auto dst_port() const noexcept { return header().template get<"dst_port">(); }
    [[nodiscard]] constexpr auto length() const noexcept { return header().template get<"length">(); }
    [[nodiscard]] constexpr auto checksum() const noexcept { return header().template get<"checksum">(); }
    [[nodiscard]] constexpr bytes payload() const noexcept { return dgram_.subspan(header_len); }
    [[nodiscard]] constexpr bytes datagram() const noexcept { return dgram_; }

    // `pseudo` must carry this datagram's length field as its length
    // (RFC 768; RFC 8200 §8.1), which is datagram().size().
    template <class Checksum>
        requires udp_checksum_for<Checksum, Layout>
    [[nodiscard]] constexpr bool verify_checksum(bytes pseudo, udp_zero_checksum zero, Checksum = {}) const noexcept {
        const auto stored = wire::stored_checksum<Checksum>(dgram_, checksum_offset);
        if (udp_checksum_absent<Checksum>(stored, zero)) return true;
        // RFC 8200 §8.1: over IPv6 a zero is invalid even where the data
        // would make a ones'-complement zero verify.
        if (is_ones_complement<Checksum> && stored == 0) return false;
        return wire::verify_checksum<Checksum>(pseudo, dgram_, checksum_offset);
    }

private:
    constexpr explicit basic_udp_view(bytes d) noexcept : dgram_{d} {}
    bytes dgram_;
};

template <class Layout>
struct basic_udp_repr {
    using port_type = typename Layout::template field_t<"src_port">::value_type;
    static constexpr std::size_t header_len = Layout::size;

    port_type src_port = 0;
    port_type dst_port = 0;
    bytes payload;

    // Strict: the length field must cover exactly the bytes given.
    [[nodiscard]] static constexpr result<basic_udp_repr> parse(bytes datagram) noexcept {
        auto v = basic_udp_view<Layout>::check(datagram);
        if (!v) return v.error();
        if (v->datagram().size() != datagram.size()) return errc::length_mismatch;
        return basic_udp_repr{static_cast<port_type>(v->src_port()), static_cast<port_type>(v->dst_port()),
                              v->payload()};
    }

    template <class Checksum>
        requires udp_checksum_for<Checksum, Layout>
    [[nodiscard]] static constexpr result<basic_udp_repr> parse(bytes datagram, bytes pseudo, udp_zero_checksum zero,
                                                                Checksum = {}) noexcept {
        auto r = parse(datagram);
        if (r && !basic_udp_view<Layout>::check(datagram)->template verify_checksum<Checksum>(pseudo, zero))
            return errc::bad_checksum;
        return r;
    }

    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return header_len + payload.size(); }

    // Header and payload with checksum 0 ("none" over IPv4). Errors:
    // message_too_long (the length field cannot hold it), buffer_too_small.
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        const std::size_t n = buffer_len();
        constexpr std::size_t length_bits = Layout::template field_t<"length">::bits;
        if (length_bits < 64 && (n >> length_bits) != 0) return errc::message_too_long;
        if (out.size() < n) return errc::buffer_too_small;
        // A custom layout's extra fields go out as zero; the standard one has none.
        if constexpr (!std::is_same_v<Layout, udp_layout>)
            for (std::size_t i = 0; i < header_len; ++i) out[i] = 0;
        mut_view<Layout> h{out.data()};
        h.template set<"checksum">(0);
        h.template set<"src_port">(src_port);
        h.template set<"dst_port">(dst_port);
        h.template set<"length">(static_cast<typename Layout::template field_t<"length">::value_type>(n));
        copy_bytes(payload, out.data() + header_len);
        return n;
    }

    // `pseudo` carries buffer_len() as its length.
    template <class Checksum>
        requires udp_checksum_for<Checksum, Layout>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, bytes pseudo, Checksum = {}) const noexcept {
        auto n = emit(out);
        if (!n) return n;
        constexpr std::size_t offset = basic_udp_view<Layout>::checksum_offset;
        const auto sum = compute_checksum<Checksum>(pseudo, out.first(*n), offset);
        store_checksum<Checksum>(out.first(*n), offset, udp_transmitted_checksum<Checksum>(sum));
        return n;
    }

    friend constexpr bool operator==(const basic_udp_repr& a, const basic_udp_repr& b) noexcept {
        return a.src_port == b.src_port && a.dst_port == b.dst_port && equal_bytes(a.payload, b.payload);
    }
};

using udp_view = basic_udp_view<udp_layout>;
using udp_repr = basic_udp_repr<udp_layout>;

[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const udp_view& v) {
    return os << v.src_port() << " > " << v.dst_port() << ": UDP, length " << v.payload().size();
}

}  // namespace l4::wire
