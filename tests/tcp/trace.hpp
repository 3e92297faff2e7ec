// The trace tests' harness: one connection driven by hand, segments in and
// out in virtual time, as smoltcp's tests read.
#pragma once

#include "../support.hpp"

#include <l4/congestion/reno.hpp>
#include <l4/flow/receive_window.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/tcp/connection.hpp>
#include <l4/wire/tcp.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l4::trace {

using namespace std::chrono_literals;
using f = wire::tcp_flags;
using conn = tcp::connection<congestion::reno, flow::sliding_window, flow::receive_window<>>;

// A segment as it went out, with its payload copied.
struct out_seg {
    seq32 seq, ack;
    std::uint8_t flags;
    std::uint16_t window;
    std::optional<std::uint16_t> mss;
    std::string payload;
    wire::tcp_options options;
};

template <class C>
std::vector<out_seg> poll(C& c, instant now) {
    std::vector<out_seg> out;
    c.poll_transmit(now, [&](const tcp::segment& s) {
        std::string p(s.payload_len, '\0');
        c.copy_payload(s, {reinterpret_cast<std::uint8_t*>(p.data()), p.size()});
        out.push_back({s.seq, s.ack, s.flags.bits, s.window, s.options.mss, p, s.options});
    });
    return out;
}

// A segment from the peer.
struct in_seg {
    std::uint32_t seq, ack;
    std::uint8_t flags;
    std::uint16_t window = 65535;
    std::string_view payload = {};
    std::optional<std::uint16_t> mss = {};
    wire::tcp_options options = {};  // besides mss
};

template <class C>
void deliver(C& c, const in_seg& s, instant now) {
    wire::tcp_repr r;
    r.src_port = 50007;
    r.dst_port = 40000;
    r.seq_number = seq32{s.seq};
    r.ack_number = seq32{s.ack};
    r.flags.bits = s.flags;
    r.window = s.window;
    r.options = s.options;
    if (s.mss) r.options.mss = s.mss;
    r.payload = {reinterpret_cast<const std::uint8_t*>(s.payload.data()), s.payload.size()};
    c.on_segment(r, now);
}

inline constexpr std::uint32_t iss = 1000, irs = 5000;
inline const instant t0 = instant{} + 1s;

inline tcp::config small() {
    tcp::config cfg;
    cfg.mss = 1000;
    cfg.send_buffer = 16 * 1024;
    cfg.receive_buffer = 8 * 1024;
    return cfg;
}

// A connection in ESTABLISHED by an active open: SYN out, SYN-ACK in (with
// an MSS and no other option), ACK out.
template <class C = conn>
C established(tcp::config cfg = small()) {
    C c{cfg, seq32{iss}, t0};
    (void)poll(c, t0);
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000}, t0 + 10ms);
    (void)poll(c, t0 + 10ms);
    REQUIRE(c.current_state() == tcp::state::established);
    return c;
}

inline std::string text(std::size_t n, char fill = 'x') { return std::string(n, fill); }
inline bytes as_bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace l4::trace
