// The UDP header (RFC 768): layout, zero-copy view, strict repr.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/transport_checksum.hpp>

#include <cstdint>
#include <ostream>

namespace l4::wire {

// The UDP checksum field is 16 bits: a wider strategy (crc32c) needs a
// custom layout with a field of its width (see layout.hpp).
template <class S>
concept udp_checksum = S::width == 2;

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

class udp_view {
public:
    [[nodiscard]] static constexpr result<udp_view> check(bytes datagram) noexcept {
        if (datagram.size() < udp_header_len) return errc::truncated;
        const std::size_t len = view<udp_layout>{datagram.data()}.get<"length">();
        if (len < udp_header_len) return errc::length_mismatch;
        if (len > datagram.size()) return errc::truncated;
        return udp_view{datagram.first(len)};
    }

    [[nodiscard]] constexpr view<udp_layout> header() const noexcept { return view<udp_layout>{dgram_.data()}; }
    [[nodiscard]] constexpr std::uint16_t src_port() const noexcept { return header().get<"src_port">(); }
    [[nodiscard]] constexpr std::uint16_t dst_port() const noexcept { return header().get<"dst_port">(); }
    [[nodiscard]] constexpr std::uint16_t length() const noexcept { return header().get<"length">(); }
    [[nodiscard]] constexpr std::uint16_t checksum() const noexcept { return header().get<"checksum">(); }
    // Bytes past the length field (link padding) are not part of the datagram.
    [[nodiscard]] constexpr bytes payload() const noexcept { return dgram_.subspan(udp_header_len); }
    [[nodiscard]] constexpr bytes datagram() const noexcept { return dgram_; }

    template <udp_checksum Checksum>
    [[nodiscard]] constexpr bool verify_checksum(bytes pseudo, udp_zero_checksum zero,
                                                 Checksum = {}) const noexcept {
        if (udp_checksum_absent<Checksum>(checksum(), zero)) return true;
        if (is_ones_complement<Checksum> && checksum() == 0) return false;  // RFC 8200 §8.1: zero is invalid
        return wire::verify_checksum<Checksum>(pseudo, dgram_, udp_checksum_offset);
    }

private:
    constexpr explicit udp_view(bytes d) noexcept : dgram_{d} {}
    bytes dgram_;
};

struct udp_repr {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    bytes payload;

    // Strict: the length field must cover exactly the bytes given.
    [[nodiscard]] static constexpr result<udp_repr> parse(bytes datagram) noexcept {
        auto v = udp_view::check(datagram);
        if (!v) return v.error();
        if (v->length() != datagram.size()) return errc::length_mismatch;
        return udp_repr{v->src_port(), v->dst_port(), v->payload()};
    }

    template <udp_checksum Checksum>
    [[nodiscard]] static constexpr result<udp_repr> parse(bytes datagram, bytes pseudo, udp_zero_checksum zero,
                                                          Checksum = {}) noexcept {
        auto r = parse(datagram);
        if (r && !udp_view::check(datagram)->verify_checksum<Checksum>(pseudo, zero)) return errc::bad_checksum;
        return r;
    }

    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept { return udp_header_len + payload.size(); }

    // Header and payload with checksum 0 ("none" over IPv4).
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        const std::size_t n = buffer_len();
        if (n > 0xFFFF) return errc::length_mismatch;
        if (out.size() < n) return errc::buffer_too_small;
        mut_view<udp_layout> h{out.data()};
        h.set<"src_port">(src_port);
        h.set<"dst_port">(dst_port);
        h.set<"length">(static_cast<std::uint16_t>(n));
        h.set<"checksum">(0);
        copy_bytes(payload, out.data() + udp_header_len);
        return n;
    }

    // RFC 768: a computed ones'-complement zero is transmitted as all ones,
    // since a zero field would read as "no checksum".
    template <udp_checksum Checksum>
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out, bytes pseudo, Checksum = {}) const noexcept {
        auto n = emit(out);
        if (!n) return n;
        const auto sum = compute_checksum<Checksum>(pseudo, out.first(*n), udp_checksum_offset);
        store_checksum<Checksum>(out.first(*n), udp_checksum_offset, udp_transmitted_checksum<Checksum>(sum));
        return n;
    }

    friend constexpr bool operator==(const udp_repr& a, const udp_repr& b) noexcept {
        return a.src_port == b.src_port && a.dst_port == b.dst_port && equal_bytes(a.payload, b.payload);
    }
};

[[gnu::cold]] inline std::ostream& operator<<(std::ostream& os, const udp_view& v) {
    return os << v.src_port() << " > " << v.dst_port() << ": UDP, length " << v.payload().size();
}

}  // namespace l4::wire
