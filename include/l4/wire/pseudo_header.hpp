// The pseudo-headers that TCP and UDP checksums cover besides the segment.
//
// Reading list
//   RFC 768, RFC 9293 §3.1   the IPv4 pseudo-header of UDP and TCP
//   RFC 8200 §8.1            the IPv6 pseudo-header of every upper layer
//
// A pseudo_header is a small value (at most 40 bytes, held inline, nothing
// allocated) whose bytes() go to a checksum strategy before the segment, as
// in tcp_repr::parse(segment, ph.bytes(), internet{}).
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/layout.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace l4::wire {

// RFC 9293 §3.1 (RFC 768 has the same, with the UDP length):
//
// +--------+--------+--------+--------+
// |           Source Address          |
// +--------+--------+--------+--------+
// |         Destination Address       |
// +--------+--------+--------+--------+
// |  zero  |  PTCL  |    TCP Length   |
// +--------+--------+--------+--------+
using ipv4_pseudo_layout = layout<field<"src", 32>, field<"dst", 32>,  //
                                  field<"zero", 8>, field<"protocol", 8>, field<"length", 16>>;
static_assert(ipv4_pseudo_layout::size == 12, "RFC 9293 §3.1: the IPv4 pseudo-header is 96 bits");

// RFC 8200 §8.1:
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                                                               +
// |                                                               |
// +                         Source Address                        +
// |                                                               |
// +                                                               +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                                                               |
// +                                                               +
// |                                                               |
// +                      Destination Address                      +
// |                                                               |
// +                                                               +
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   Upper-Layer Packet Length                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      zero                     |  Next Header  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
using ipv6_pseudo_layout = layout<field<"src", 128>, field<"dst", 128>,  //
                                  field<"upper_layer_length", 32>,       //
                                  field<"zero", 24>, field<"next_header", 8>>;
static_assert(ipv6_pseudo_layout::size == 40, "RFC 8200 §8.1: the IPv6 pseudo-header is 40 bytes");

class pseudo_header {
public:
    static constexpr std::size_t max_size = ipv6_pseudo_layout::size;

    // Empty: no bytes, until assigned.
    constexpr pseudo_header() noexcept = default;

    // `length` is the transport header plus data (for UDP, its Length field).
    [[nodiscard]] static constexpr pseudo_header ipv4(const ipv4_address& src, const ipv4_address& dst,
                                                      std::uint8_t protocol, std::uint16_t length) noexcept {
        pseudo_header p{ipv4_pseudo_layout::size};
        p.assign_ipv4(src, dst, protocol, length);
        return p;
    }

    // The same, written over this one where it lies: a received datagram's
    // pseudo-header is built in its ip_packet, never copied (a copy reads
    // with 16-byte loads what was just stored in 8- and 4-byte pieces, and
    // stalls on store forwarding).
    constexpr void assign_ipv4(const ipv4_address& src, const ipv4_address& dst, std::uint8_t protocol,
                               std::uint16_t length) noexcept {
        size_ = ipv4_pseudo_layout::size;
        // src and dst, then zero, protocol and length (ipv4_pseudo_layout) as
        // one 8-byte and one 4-byte store, which the checksum's 8- and 4-byte
        // loads read straight back (byte stores there stall every segment's
        // checksum on store forwarding).
        store_be64(storage_.data(), std::uint64_t{src.to_u32()} << 32 | dst.to_u32());
        store_be32(storage_.data() + 8, std::uint32_t{protocol} << 16 | length);
    }

    // The same, with the addresses as a received header holds them: its
    // eight bytes copied as they are, not loaded, swapped and stored again.
    constexpr void assign_ipv4(const ipv4_view& ip, std::uint8_t protocol, std::uint16_t length) noexcept {
        size_ = ipv4_pseudo_layout::size;
        static_assert(ipv4_layout::offset_of<"dst"> == ipv4_layout::offset_of<"src"> + 32);
        const l4::bytes addresses = ip.datagram().subspan(ipv4_layout::offset_of<"src"> / 8, 8);
        if (std::is_constant_evaluated()) {
            for (std::size_t i = 0; i < addresses.size(); ++i) storage_[i] = addresses[i];
        } else {
            std::memcpy(storage_.data(), addresses.data(), addresses.size());
        }
        store_be32(storage_.data() + 8, std::uint32_t{protocol} << 16 | length);
    }

    // RFC 8200 §8.1: `next_header` is the upper layer's protocol, which
    // differs from the IPv6 header's Next Header when extension headers sit
    // in between; `length` is the upper-layer header plus data.
    [[nodiscard]] static constexpr pseudo_header ipv6(const ipv6_address& src, const ipv6_address& dst,
                                                      std::uint8_t next_header, std::uint32_t length) noexcept {
        pseudo_header p{ipv6_pseudo_layout::size};
        const mut_view<ipv6_pseudo_layout> h{p.storage_.data()};
        h.set<"src">(src.octets);
        h.set<"dst">(dst.octets);
        h.set<"upper_layer_length">(length);
        h.set<"zero">(0);
        h.set<"next_header">(next_header);
        return p;
    }

    // For a received datagram: addresses and protocol from its header.
    [[nodiscard]] static constexpr pseudo_header ipv4(const ipv4_view& ip, std::uint16_t transport_length) noexcept {
        return ipv4(ip.src(), ip.dst(), ip.protocol(), transport_length);
    }

    // For a received packet with no Routing header in transit: the
    // Destination Address of the IPv6 header, which at the recipient is the
    // final destination (RFC 8200 §8.1).
    [[nodiscard]] static constexpr pseudo_header ipv6(const ipv6_view& ip, std::uint8_t next_header,
                                                      std::uint32_t transport_length) noexcept {
        return ipv6(ip.src(), ip.dst(), next_header, transport_length);
    }

    // The same, with protocol and length from ipv6_view::upper_layer().
    // RFC 8200 §8.1: with a Routing header whose Segments Left is not zero,
    // the final destination it names replaces the Destination Address.
    [[nodiscard]] static constexpr pseudo_header ipv6(const ipv6_view& ip, const ipv6_upper_layer& upper) noexcept {
        return ipv6(ip.src(), upper.final_destination.value_or(ip.dst()), upper.protocol,
                    static_cast<std::uint32_t>(upper.payload.size()));
    }

    // The same pseudo-header for an upper layer of `length` bytes. RFC 768,
    // RFC 8200 §8.1: UDP's pseudo-header holds UDP's Length field, which is
    // shorter than the IP payload when bytes trail the datagram.
    [[nodiscard]] constexpr pseudo_header with_length(std::uint32_t length) const noexcept {
        pseudo_header p = *this;
        if (size_ == ipv4_pseudo_layout::size)
            mut_view<ipv4_pseudo_layout>{p.storage_.data()}.set<"length">(static_cast<std::uint16_t>(length));
        else
            mut_view<ipv6_pseudo_layout>{p.storage_.data()}.set<"upper_layer_length">(length);
        return p;
    }

    // 12 bytes for IPv4, 40 for IPv6.
    [[nodiscard]] constexpr l4::bytes bytes() const noexcept { return l4::bytes{storage_.data(), size_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }

    friend constexpr bool operator==(const pseudo_header& a, const pseudo_header& b) noexcept {
        return std::ranges::equal(a.bytes(), b.bytes());
    }

private:
    constexpr explicit pseudo_header(std::size_t size) noexcept : size_{size} {}

    // Only the first size_ bytes are written or read, the rest left unset:
    // zeroed, they made GCC zero every ip_packet whole (packet.hpp).
    std::array<std::uint8_t, max_size> storage_;
    std::size_t size_ = 0;
};

}  // namespace l4::wire
