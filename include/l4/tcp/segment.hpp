// A segment as the connection hands it out: the header's values, and where
// its payload lies in the send buffer. The endpoint lays it out in whatever
// segment layout it was composed with and fills the checksum; a test reads
// it as it is.
#pragma once

#include <l4/core/seq32.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/tcp_options.hpp>

#include <cstdint>
#include <optional>

namespace l4::tcp {

struct segment {
    seq32 seq;
    seq32 ack;
    wire::tcp_flags flags;
    std::uint16_t window = 0;  // as sent (already scaled down)
    wire::tcp_options options;
    std::uint32_t payload_offset = 0;  // bytes past the send buffer's front (snd.una's data)
    std::uint32_t payload_len = 0;
    std::uint8_t ecn = 0;  // the IP ECN codepoint it leaves with (RFC 3168 §5; tcp/ecn.hpp): not-ECT unless said

    [[nodiscard]] constexpr bool has(std::uint8_t f) const noexcept { return flags.has(f); }
    // RFC 9293 §3.4: SYN and FIN each take one sequence number.
    [[nodiscard]] constexpr std::uint32_t seq_len() const noexcept {
        return payload_len + (flags.has(wire::tcp_flags::syn) ? 1u : 0u) + (flags.has(wire::tcp_flags::fin) ? 1u : 0u);
    }
};

// The length of a received segment in sequence space.
template <class Repr>
[[nodiscard]] constexpr std::uint32_t seq_len(const Repr& r) noexcept {
    return static_cast<std::uint32_t>(r.payload.size()) + (r.flags.has(wire::tcp_flags::syn) ? 1u : 0u) +
           (r.flags.has(wire::tcp_flags::fin) ? 1u : 0u);
}

// RFC 9293 §3.10.7.1: the reset for a segment that belongs to no
// connection (CLOSED), or that a connection must refuse before it is
// synchronized. Never a reset for a reset.
template <class Repr>
[[nodiscard]] constexpr std::optional<segment> reset_for(const Repr& r) noexcept {
    if (r.flags.has(wire::tcp_flags::rst)) return std::nullopt;
    segment s;
    if (r.flags.has(wire::tcp_flags::ack)) {
        s.seq = r.ack_number;
        s.flags.bits = wire::tcp_flags::rst;
    } else {
        s.seq = seq32{0};
        s.ack = r.seq_number + seq_len(r);
        s.flags.bits = wire::tcp_flags::rst | wire::tcp_flags::ack;
    }
    return s;
}

}  // namespace l4::tcp
