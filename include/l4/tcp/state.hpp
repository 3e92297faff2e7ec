// The eleven states of a TCP connection (RFC 9293 §3.3.2) and their names
// as netstat and ss print them.
#pragma once

#include <cstdint>
#include <string_view>

namespace l4::tcp {

enum class state : std::uint8_t {
    closed,
    listen,
    syn_sent,
    syn_received,
    established,
    fin_wait_1,
    fin_wait_2,
    close_wait,
    closing,
    last_ack,
    time_wait,
};

[[nodiscard]] constexpr std::string_view name(state s) noexcept {
    switch (s) {
    case state::closed: return "CLOSED";
    case state::listen: return "LISTEN";
    case state::syn_sent: return "SYN-SENT";
    case state::syn_received: return "SYN-RECEIVED";
    case state::established: return "ESTABLISHED";
    case state::fin_wait_1: return "FIN-WAIT-1";
    case state::fin_wait_2: return "FIN-WAIT-2";
    case state::close_wait: return "CLOSE-WAIT";
    case state::closing: return "CLOSING";
    case state::last_ack: return "LAST-ACK";
    case state::time_wait: return "TIME-WAIT";
    }
    return "?";
}

// RFC 9293 §3.3.2: the states in which our side has not yet sent its FIN.
[[nodiscard]] constexpr bool may_send_data(state s) noexcept {
    return s == state::established || s == state::close_wait;
}

// Whether the peer may still send us data (it has not sent its FIN).
[[nodiscard]] constexpr bool may_receive_data(state s) noexcept {
    return s == state::established || s == state::fin_wait_1 || s == state::fin_wait_2;
}

// States past the handshake in which a segment is processed in full (RFC 9293 §3.10.7.4).
[[nodiscard]] constexpr bool synchronized(state s) noexcept {
    return s != state::closed && s != state::listen && s != state::syn_sent;
}

}  // namespace l4::tcp
