// A memory link that also delivers frames the test injects (a flood, a
// blind attacker), and the IPv4 frame of a TCP segment with its checksum.
#pragma once

#include "../support.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/tcp.hpp>

#include <algorithm>
#include <deque>
#include <vector>

namespace l4::test {

struct injecting_link {
    link::memory_end inner;
    std::deque<std::vector<std::uint8_t>> injected;

    io_result<void> transmit(bytes frame, instant now) { return inner.transmit(frame, now); }
    io_result<std::size_t> receive(mut_bytes buffer, instant now) {
        if (injected.empty()) return inner.receive(buffer, now);
        const auto f = std::move(injected.front());
        injected.pop_front();
        std::copy(f.begin(), f.end(), buffer.begin());
        return f.size();
    }
    std::size_t mtu() const { return inner.mtu(); }
    std::optional<instant> next_deadline() const {
        if (!injected.empty()) return instant{};
        return inner.next_deadline();
    }
    int poll_fd() const { return inner.poll_fd(); }
};

inline std::vector<std::uint8_t> ipv4_frame(wire::ipv4_address src, wire::ipv4_address dst, const wire::tcp_repr& seg) {
    std::vector<std::uint8_t> frame(wire::ipv4_min_header_len + seg.header_len() + seg.payload.size());
    const auto out = std::span{frame}.subspan(wire::ipv4_min_header_len);
    const auto ph = wire::pseudo_header::ipv4(src, dst, wire::ip_protocol::tcp, static_cast<std::uint16_t>(out.size()));
    REQUIRE(seg.emit(out, ph.bytes(), checksum::internet{}));
    wire::ipv4_repr ip{.src = src, .dst = dst, .protocol = wire::ip_protocol::tcp};
    ip.payload_len = static_cast<std::uint16_t>(out.size());
    REQUIRE(ip.emit(frame));
    return frame;
}

}  // namespace l4::test
