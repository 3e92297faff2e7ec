// The course's TCP echo programs as l4kit code: a server on port 50007 that
// answers each connection's message upper-cased, and a client that sends a
// sentence and prints the answer. tcp_echo_server.cpp and tcp_echo_client.cpp
// run them over a simulated network (default) or over a TUN device against
// the kernel.
#pragma once

#include "udp_course.hpp"

#include <l4/tcp/endpoint.hpp>

namespace course {

constexpr std::uint16_t echo_port = 50007;

using tcp = l4::tcp::endpoint<>;
template <class Link>
using tcp_host = l4::net::stack<Link, udp, tcp>;

template <class Stack>
std::optional<typename Stack::socket_id> tcp_socket(Stack& host) {
    auto s = host.socket(l4::net::socket_type::stream);
    if (!s) {
        std::cerr << "socket: " << l4::describe(s.error()) << '\n';
        return std::nullopt;
    }
    return *s;
}

// Reads until `want` bytes or the end of the stream; false on an error or the deadline.
template <class Stack, class Clock>
bool recv_all(Stack& host, Clock& clock, typename Stack::socket_id s, std::vector<std::uint8_t>& into,
              std::size_t want, l4::instant deadline) {
    std::array<std::uint8_t, 2048> buf{};
    bool eof = false;
    l4::errc failed = l4::errc::ok;
    auto done = [&] {
        while (into.size() < want && !eof) {
            auto r = host.recv(s, buf);
            if (!r) {
                if (r.error() != l4::errc::would_block) failed = static_cast<l4::errc>(r.error().value());
                break;
            }
            if (*r == 0) eof = true;
            into.insert(into.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return into.size() >= want || eof || failed != l4::errc::ok;
    };
    if (auto r = l4::net::drive_until(host, clock, deadline, done); !r) {
        std::cerr << "recv: " << r.error().message() << '\n';
        return false;
    }
    if (failed != l4::errc::ok) std::cerr << "recv: " << l4::describe(failed) << '\n';
    return failed == l4::errc::ok;
}

// Sends everything, driving the stack while the send buffer is full.
template <class Stack, class Clock>
bool send_all(Stack& host, Clock& clock, typename Stack::socket_id s, l4::bytes data, l4::instant deadline) {
    std::size_t off = 0;
    bool failed = false;
    auto done = [&] {
        while (off < data.size()) {
            auto w = host.send(s, data.subspan(off), clock.now());
            if (!w) {
                if (w.error() != l4::errc::would_block) {
                    std::cerr << "send: " << w.error().message() << '\n';
                    failed = true;
                }
                break;
            }
            off += *w;
        }
        return off == data.size() || failed;
    };
    return l4::net::drive_until(host, clock, deadline, done).has_value() && !failed;
}

// A host at --address behind the TUN device --tun, or nothing (and why, on stderr).
inline std::optional<tcp_host<l4::link::tun>> tcp_tun_host(const options& o) {
    auto dev = l4::link::tun::open(o.dev);
    if (!dev) {
        std::cerr << "tun " << o.dev << ": " << dev.error().message() << '\n';
        return std::nullopt;
    }
    return std::optional<tcp_host<l4::link::tun>>{std::in_place, std::move(*dev),
                                                  l4::net::stack_config{.addresses = {parse_address(o.address)}}};
}

}  // namespace course
