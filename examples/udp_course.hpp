// The course's UDP programs as l4kit code: a server on port 50000 that
// answers every datagram upper-cased, and a client that sends "Hello World"
// and prints the answer. udp_server.cpp and udp_client.cpp run them over a
// simulated network (default) or over a TUN device against the kernel.
#pragma once

#include <l4/core/time.hpp>
#include <l4/net/drive.hpp>
#include <l4/link/tun.hpp>
#include <l4/net/stack.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace course {

using l4::net::socket_address;
using l4::net::ip_address;
constexpr std::uint16_t server_port = 50000;

struct options {
    bool tun = false;
    std::string dev = "l4tun0";
    std::string address;  // ours
    std::string peer;     // the server's (client) or unused (server)
    std::string message = "Hello World";
    int size = -1;  // if >= 0: send this many bytes instead of the message
    int count = 1;  // datagrams the server answers before it exits
    double timeout_s = 10;
};

inline ip_address parse_address(const std::string& text) {
    auto a = ip_address::from_string(text);
    if (!a) {
        std::cerr << "not an IPv4 or IPv6 address: " << text << '\n';
        std::exit(2);
    }
    return *a;
}

inline options parse_options(int argc, char** argv, std::string_view usage) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "usage: " << argv[0] << ' ' << usage << '\n';
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--tun") o.tun = true, o.dev = value();
        else if (a == "--address") o.address = value();
        else if (a == "--server") o.peer = value();
        else if (a == "--message") o.message = value();
        else if (a == "--size") o.size = std::stoi(value());
        else if (a == "--count") o.count = std::stoi(value());
        else if (a == "--timeout") o.timeout_s = std::stod(value());
        else {
            std::cerr << "usage: " << argv[0] << ' ' << usage << '\n';
            std::exit(2);
        }
    }
    return o;
}

inline std::vector<std::uint8_t> payload_of(const options& o) {
    if (o.size < 0) return {o.message.begin(), o.message.end()};
    std::vector<std::uint8_t> p(static_cast<std::size_t>(o.size));
    for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>('a' + i % 26);
    return p;
}

inline std::string printable(l4::bytes b) {
    if (b.size() > 64) return std::to_string(b.size()) + " bytes";
    return "\"" + std::string(reinterpret_cast<const char*>(b.data()), b.size()) + "\"";
}

// serverSocket.recvfrom(2048); sendto(message.upper(), clientAddress)
template <class Stack, class Clock>
bool serve_one(Stack& host, Clock& clock, typename Stack::socket_id sock, l4::instant deadline) {
    std::array<std::uint8_t, 2048> buf{};
    auto got = l4::net::recvfrom_until(host, clock, sock, buf, deadline);
    if (!got) {
        std::cerr << "server: " << got.error().message() << '\n';
        return false;
    }
    const auto message = std::span{buf}.first(got->size);
    std::cout << "server: " << printable(message) << " from " << got->from << '\n';
    std::transform(message.begin(), message.end(), message.begin(),
                   [](std::uint8_t c) { return static_cast<std::uint8_t>(std::toupper(c)); });
    if (auto sent = host.sendto(sock, message, got->from, clock.now()); !sent) {
        std::cerr << "server: sendto: " << sent.error().message() << '\n';
        return false;
    }
    return true;
}

// clientSocket.sendto(message, (serverName, serverPort)); recvfrom(2048)
template <class Stack, class Clock>
bool ask(Stack& host, Clock& clock, typename Stack::socket_id sock, socket_address server, l4::bytes message,
         l4::instant deadline) {
    if (auto sent = host.sendto(sock, message, server, clock.now()); !sent) {
        std::cerr << "client: sendto: " << sent.error().message() << '\n';
        return false;
    }
    std::array<std::uint8_t, 2048> buf{};
    auto got = l4::net::recvfrom_until(host, clock, sock, buf, deadline);
    if (!got) {
        std::cerr << "client: " << got.error().message() << '\n';
        return false;
    }
    const auto reply = std::span{buf}.first(got->size);
    std::cout << "client: " << printable(reply) << " from " << got->from << '\n';
    std::vector<std::uint8_t> expected(message.begin(), message.end());
    for (auto& c : expected) c = static_cast<std::uint8_t>(std::toupper(c));
    return std::ranges::equal(reply, expected);
}

// socket(AF_INET, SOCK_DGRAM), or the reason on stderr.
template <class Stack>
std::optional<typename Stack::socket_id> udp_socket(Stack& host) {
    auto s = host.socket(l4::net::socket_type::datagram);
    if (!s) {
        std::cerr << "socket: " << l4::describe(s.error()) << '\n';
        return std::nullopt;
    }
    return *s;
}

using udp = l4::udp::endpoint<>;
using tun_stack = l4::net::stack<l4::link::tun, udp>;

// Our side of "checksums verified on both sides": what the stack refused.
template <class Stack>
bool report_checksums(const Stack& host) {
    const auto& u = host.template transport<udp>().stats();
    std::cout << "checksums: " << u.rx_delivered << " datagrams verified, " << u.rx_bad_checksum << " bad\n";
    return u.rx_bad_checksum == 0;
}

// A host at --address behind the TUN device --tun, or nothing (and why, on stderr).
inline std::optional<tun_stack> tun_host(const options& o) {
    auto dev = l4::link::tun::open(o.dev);
    if (!dev) {
        std::cerr << "tun " << o.dev << ": " << dev.error().message() << '\n';
        return std::nullopt;
    }
    return std::optional<tun_stack>{std::in_place, std::move(*dev),
                                    l4::net::stack_config{.addresses = {parse_address(o.address)}}};
}

inline l4::duration seconds(double s) {
    return std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>{s});
}

}  // namespace course
