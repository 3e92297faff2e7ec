// Ethernet II framing, just enough to reach the IP packet inside a captured
// frame (pcap link type 1).
//
//     +-------------------+-------------------+-----------+---------...
//     | destination (6)   | source (6)        | type (2)  | payload
//     +-------------------+-------------------+-----------+---------...
//
// With one IEEE 802.1Q tag, the type field says 0x8100 and four more bytes
// follow before the real type:
//
//     | destination | source | 0x8100 | TCI (2): PCP 3 | DEI 1 | VID 12 | type | payload
//
// Only one tag is skipped: stacked tags (802.1ad, 0x88a8) are rare in the
// captures this library reads, and their payload is reported with its own
// ethertype for the caller to ignore. The payload may end in padding up to
// the 60-byte minimum frame; the IP header's length field says where the
// packet ends, so nothing here trims it.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace l4::wire::ethernet {

inline constexpr std::size_t min_header_len = 14;  // 18 with a VLAN tag
inline constexpr std::size_t vlan_tag_len = 4;

inline constexpr std::uint16_t ethertype_ipv4 = 0x0800;
inline constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
inline constexpr std::uint16_t ethertype_vlan = 0x8100;  // an IEEE 802.1Q tag follows

using mac_address = std::array<std::uint8_t, 6>;

// A zero-copy view of an Ethernet II frame. check() validates the length once;
// after that every accessor is in bounds.
class view {
public:
    // Errors: truncated (shorter than the header, or than the header and its
    // VLAN tag when the type says one follows).
    [[nodiscard]] static result<view> check(bytes frame) noexcept {
        if (frame.size() < min_header_len) return errc::truncated;
        const bool tagged = load_be16(frame.data() + 12) == ethertype_vlan;
        if (tagged && frame.size() < min_header_len + vlan_tag_len) return errc::truncated;
        return view{frame, tagged};
    }

    [[nodiscard]] mac_address destination() const noexcept { return mac_at(0); }
    [[nodiscard]] mac_address source() const noexcept { return mac_at(6); }

    // The type of the payload, after the VLAN tag if there is one.
    [[nodiscard]] std::uint16_t ethertype() const noexcept {
        return load_be16(frame_.data() + header_len() - 2);
    }

    // The 802.1Q tag control information (priority, DEI, VLAN id), if tagged.
    [[nodiscard]] std::optional<std::uint16_t> vlan_tci() const noexcept {
        if (!tagged_) return std::nullopt;
        return load_be16(frame_.data() + 14);
    }

    // 14, or 18 with a VLAN tag.
    [[nodiscard]] std::size_t header_len() const noexcept {
        return tagged_ ? min_header_len + vlan_tag_len : min_header_len;
    }

    [[nodiscard]] bytes payload() const noexcept { return frame_.subspan(header_len()); }

private:
    view(bytes frame, bool tagged) noexcept : frame_{frame}, tagged_{tagged} {}

    [[nodiscard]] mac_address mac_at(std::size_t offset) const noexcept {
        mac_address m{};
        copy_bytes(frame_.subspan(offset, m.size()), m.data());
        return m;
    }

    bytes frame_;
    bool tagged_;
};

// The header as plain values, to build frames.
struct header {
    mac_address destination{};
    mac_address source{};
    std::uint16_t ethertype = ethertype_ipv4;  // of the payload
    std::optional<std::uint16_t> vlan_tci;     // adds an 802.1Q tag when set

    [[nodiscard]] static header from(const view& v) noexcept {
        return {v.destination(), v.source(), v.ethertype(), v.vlan_tci()};
    }

    [[nodiscard]] std::size_t header_len() const noexcept {
        return vlan_tci ? min_header_len + vlan_tag_len : min_header_len;
    }

    // Writes the header at the start of `out` and returns its length; the
    // payload goes after it. Errors: buffer_too_small.
    [[nodiscard]] result<std::size_t> emit(mut_bytes out) const noexcept {
        if (out.size() < header_len()) return errc::buffer_too_small;
        std::uint8_t* p = out.data();
        copy_bytes(destination, p);
        copy_bytes(source, p + 6);
        if (vlan_tci) {
            store_be16(p + 12, ethertype_vlan);
            store_be16(p + 14, *vlan_tci);
        }
        store_be16(p + header_len() - 2, ethertype);
        return header_len();
    }

    friend bool operator==(const header&, const header&) = default;
};

}  // namespace l4::wire::ethernet
