// An established connection for tests that inject frames: a client host on
// a plain memory link, a server host whose link also delivers the frames a
// test injects (injecting_link.hpp), and the server's socket accepted.
#pragma once

#include "injecting_link.hpp"

#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace l4::test {

struct injected_connection {
    using client_host = net::stack<link::memory_end, tcp::endpoint<>>;
    using server_host = net::stack<injecting_link, tcp::endpoint<>>;

    inline static const net::socket_address server{*net::ip_address::from_string("192.0.2.2"), 80};
    inline static const net::ip_address client_ip = *net::ip_address::from_string("192.0.2.1");

    virtual_clock clk;
    client_host a;
    server_host b;
    net::socket_id c{}, s{};
    std::uint16_t client_port = 0;

    // `queue_frames` each way on the link; the server's TCP configured as `server_config`.
    explicit injected_connection(std::size_t queue_frames = 64, tcp::endpoint_config server_config = {})
        : injected_connection(link::memory_pair({.mtu = 1500, .queue_frames = queue_frames}), server_config) {}

    [[nodiscard]] const tcp::endpoint<>::connection_type& server_conn() const {
        return *b.transport<tcp::endpoint<>>().connection_of(b.sockets().find(s)->local);
    }

    // A first byte from the client, read by the server: its receive buffer then exists.
    void exchange_first_byte() {
        const std::uint8_t x = 'x';
        REQUIRE(a.send(c, {&x, 1}, clk.now()));
        std::uint8_t one = 0;
        REQUIRE(net::drive_all_until(clk, clk.now() + std::chrono::seconds{5},
                                     [&] { return b.recv(s, {&one, 1}).has_value(); }, a, b));
    }

    // The IPv4 frame of a data segment from the client at `seq`, acknowledging
    // all the server sent, with a correct checksum.
    [[nodiscard]] std::vector<std::uint8_t> data_frame(seq32 seq, bytes payload,
                                                       std::uint8_t flags = wire::tcp_flags::ack) const {
        wire::tcp_repr seg;
        seg.src_port = client_port;
        seg.dst_port = server.port;
        seg.seq_number = seq;
        seg.ack_number = server_conn().snd_nxt();
        seg.flags.bits = flags;
        seg.window = 65535;
        seg.payload = payload;
        return ipv4_frame(client_ip.v4(), server.address.v4(), seg);
    }

private:
    injected_connection(std::pair<link::memory_end, link::memory_end> ends, tcp::endpoint_config server_config)
        : a{std::move(ends.first), {.addresses = {client_ip}, .secret = {1}}},
          b{injecting_link{std::move(ends.second), {}},
            {.addresses = {server.address}, .secret = {2}},
            tcp::endpoint<>{server_config}} {
        auto l = b.socket(net::socket_type::stream).value();
        REQUIRE(b.bind(l, server));
        REQUIRE(b.listen(l, 4));
        c = a.socket(net::socket_type::stream).value();
        REQUIRE(a.connect(c, server, clk.now()));
        std::optional<net::socket_id> accepted;
        REQUIRE(net::drive_all_until(clk, clk.now() + std::chrono::seconds{5}, [&] {
            if (!accepted)
                if (auto r = b.accept(l)) accepted = *r;
            return accepted && a.writable(c);
        }, a, b));
        s = *accepted;
        client_port = a.local_address(c)->port;
    }
};

}  // namespace l4::test
