// Socket options, as setsockopt(2) and getsockopt(2) know them: one enum
// and an integer value, so that an adapter for POSIX calls maps each option
// in one line, and a transport answers not_supported for what it lacks.
// The stack's verbs are net::stack::set_option and get_option.
#pragma once

#include <cstdint>
#include <string_view>

namespace l4 {

enum class socket_option : std::uint8_t {
    send_buffer,     // SO_SNDBUF, bytes; before connect() or listen()
    receive_buffer,  // SO_RCVBUF, bytes; before connect() or listen()
    nodelay,         // TCP_NODELAY: 1 turns Nagle off (RFC 896)
    max_segment,     // TCP_MAXSEG: caps the MSS we announce and use, bytes
    linger,          // SO_LINGER: < 0 off; 0: close() resets (RFC 9293 §3.10.5); > 0 seconds
    keepalive,       // SO_KEEPALIVE: 0 or 1 (RFC 9293 §3.8.4)
    keep_idle,       // TCP_KEEPIDLE, seconds of idleness before the first probe
    keep_interval,   // TCP_KEEPINTVL, seconds between probes
    keep_count,      // TCP_KEEPCNT, unanswered probes before the connection ends
    user_timeout,    // TCP_USER_TIMEOUT, milliseconds; 0: the retransmission limit alone (RFC 9293 §3.8.3)
    delayed_ack,     // microseconds an ACK may wait (RFC 1122 §4.2.3.2); 0: ACK at once
    error,           // SO_ERROR, read only: the pending error as an l4::errc, cleared by reading
    window_scale,    // RFC 7323 §2: 1 offers it on the SYN (the default), 0 does not
    sack,            // RFC 2018: 1 offers SACK-permitted (the default), 0 does not
    timestamps,      // RFC 7323 §3: 1 offers timestamps (the default), 0 does not
    cork,            // TCP_CORK: 1 holds segments shorter than the MSS until 0, a forced push or one RTO
    tos,             // IP_TOS / IPV6_TCLASS: the DS field (RFC 2474) of what the socket sends; its ECN bits are the transport's
    dont_fragment,   // IP_MTU_DISCOVER: 1 sets IPv4's DF (RFC 1191, the default), 0 (IP_PMTUDISC_DONT) clears it
    fast_open_connect,  // TCP_FASTOPEN_CONNECT: 1 before connect(): RFC 7413 Fast Open, the SYN waiting for the first send
    notsent_lowat,   // TCP_NOTSENT_LOWAT, bytes: writable, and send() takes bytes, only while fewer wait unsent; 0: off
};

// Flags of one send (net::stack::send), as send(2)'s.
enum class send_flags : std::uint8_t {
    none = 0,
    more = 1,  // MSG_MORE: more data follows at once; a short segment waits for it, as under TCP_CORK
    fast_open = 2,  // MSG_FASTOPEN on sendto: connect with RFC 7413 Fast Open, the data in the SYN
};

// What a socket asks of the IP header of the datagrams it sends (the `tos`
// and `dont_fragment` options); the transport passes it to the IP layer.
struct ip_header_options {
    std::uint8_t dscp = 0;       // RFC 2474: the DS field's six upper bits (IPv4's TOS, IPv6's traffic class)
    bool dont_fragment = true;   // IPv4 only: IPv6 routers never fragment (RFC 8200 §5)
};

[[nodiscard]] constexpr std::string_view name(socket_option o) noexcept {
    switch (o) {
    case socket_option::send_buffer: return "SO_SNDBUF";
    case socket_option::receive_buffer: return "SO_RCVBUF";
    case socket_option::nodelay: return "TCP_NODELAY";
    case socket_option::max_segment: return "TCP_MAXSEG";
    case socket_option::linger: return "SO_LINGER";
    case socket_option::keepalive: return "SO_KEEPALIVE";
    case socket_option::keep_idle: return "TCP_KEEPIDLE";
    case socket_option::keep_interval: return "TCP_KEEPINTVL";
    case socket_option::keep_count: return "TCP_KEEPCNT";
    case socket_option::user_timeout: return "TCP_USER_TIMEOUT";
    case socket_option::delayed_ack: return "delayed_ack";
    case socket_option::error: return "SO_ERROR";
    case socket_option::window_scale: return "window_scale";
    case socket_option::sack: return "sack";
    case socket_option::timestamps: return "timestamps";
    case socket_option::cork: return "TCP_CORK";
    case socket_option::tos: return "IP_TOS";
    case socket_option::dont_fragment: return "IP_MTU_DISCOVER";
    case socket_option::fast_open_connect: return "TCP_FASTOPEN_CONNECT";
    case socket_option::notsent_lowat: return "TCP_NOTSENT_LOWAT";
    }
    return "?";
}

}  // namespace l4
