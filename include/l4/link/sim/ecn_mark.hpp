// What a marking queue (queue.hpp's ce_threshold) reads and writes in a
// frame: the ECN field of its IP header (RFC 3168 §5). The simulator's
// frames are IP datagrams (the stack's); anything that is not IPv4 or IPv6
// reads as not-ECT and is never marked.
//
//   IPv4  byte 1, bits 0-1 (after the 6-bit DSCP); the header checksum is
//         updated incrementally (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
//   IPv6  the low two bits of the traffic class: byte 1, bits 4-5.
#pragma once

#include <l4/core/bytes.hpp>

#include <cstdint>

namespace l4::link::sim {

[[nodiscard]] constexpr std::uint8_t ecn_codepoint(bytes frame) noexcept {
    if (frame.size() < 2) return 0;
    switch (frame[0] >> 4) {
    case 4: return frame.size() >= 20 ? static_cast<std::uint8_t>(frame[1] & 0x3) : 0;
    case 6: return frame.size() >= 40 ? static_cast<std::uint8_t>((frame[1] >> 4) & 0x3) : 0;
    default: return 0;
    }
}

// Sets CE (RFC 3168 §5: both bits) on an ECN-capable frame.
constexpr void mark_ce(mut_bytes frame) noexcept {
    const std::uint8_t cp = ecn_codepoint(frame);
    if (cp == 0 || cp == 3) return;
    if ((frame[0] >> 4) == 6) {
        frame[1] = static_cast<std::uint8_t>(frame[1] | 0x30);
        return;
    }
    const std::uint16_t m = static_cast<std::uint16_t>(frame[0] << 8 | frame[1]);
    frame[1] = static_cast<std::uint8_t>(frame[1] | 0x3);
    const std::uint16_t m2 = static_cast<std::uint16_t>(frame[0] << 8 | frame[1]);
    const std::uint16_t hc = static_cast<std::uint16_t>(frame[10] << 8 | frame[11]);
    // One's complement sum of ~HC, ~m and m', folded; its complement is HC'.
    std::uint32_t sum = std::uint32_t{static_cast<std::uint16_t>(~hc)} + static_cast<std::uint16_t>(~m) + m2;
    sum = (sum & 0xFFFF) + (sum >> 16);
    sum = (sum & 0xFFFF) + (sum >> 16);
    const auto hc2 = static_cast<std::uint16_t>(~sum);
    frame[10] = static_cast<std::uint8_t>(hc2 >> 8);
    frame[11] = static_cast<std::uint8_t>(hc2 & 0xFF);
}

}  // namespace l4::link::sim
