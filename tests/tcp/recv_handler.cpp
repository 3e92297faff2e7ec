// Receiving as the bytes arrive (net::stack::set_recv_handler, lwIP's
// tcp_recv): in-order bytes go to the application's handler where they lie
// in the frame; what it leaves, and whatever waits behind a hole or behind
// unread bytes, goes through the receive buffer to recv(), in stream order.
#include "../support.hpp"

#include <l4/link/memory.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

template <class Link>
using host = net::stack<Link, udp::endpoint<>, tcp::endpoint<>>;

std::vector<std::uint8_t> pattern(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t k = 0; k < n; ++k) v[k] = static_cast<std::uint8_t>(k * 13 + k / 257);
    return v;
}

// Two hosts on `Link`s, a connection from a to b, and the socket b accepted.
template <class Link>
struct connected {
    host<Link> a, b;
    virtual_clock clk;
    net::socket_id client{}, server{};

    connected(Link la, Link lb, std::int64_t receive_buffer)
        : a{std::move(la), {.addresses = {a4}, .secret = {1}}}, b{std::move(lb), {.addresses = {b4}, .secret = {2}}} {
        const auto listener = b.socket(net::socket_type::stream).value();
        REQUIRE(b.set_option(listener, socket_option::receive_buffer, receive_buffer));
        REQUIRE(b.bind(listener, {ip_address::any_v4(), 5001}));
        REQUIRE(b.listen(listener));
        CHECK(b.set_recv_handler(listener, [](bytes in) { return in.size(); }).error() == errc::not_connected);
        client = a.socket(net::socket_type::stream).value();
        REQUIRE(a.connect(client, {b4, 5001}, clk.now()));
        std::optional<net::socket_id> s;
        REQUIRE(run(10s, [&] {
            if (!s)
                if (auto acc = b.accept(listener)) s = *acc;
            return s.has_value();
        }));
        server = *s;
    }

    template <class Done>
    bool run(duration limit, Done&& done) {
        return net::drive_all_until(clk, clk.now() + limit, done, a, b).has_value();
    }

    // Sends `data` from the client while `step()` runs on the receiving side, until step says it has all.
    template <class Step>
    bool transfer(const std::vector<std::uint8_t>& data, duration limit, Step&& step) {
        std::size_t out = 0;
        return run(limit, [&] {
            while (out < data.size()) {
                auto w = a.send(client, std::span{data}.subspan(out), clk.now());
                if (!w || *w == 0) break;
                out += *w;
            }
            return step();
        });
    }
};

connected<link::memory_end> on_memory(std::int64_t receive_buffer) {
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
    return {std::move(la), std::move(lb), receive_buffer};
}

}  // namespace

TEST_CASE("tcp recv handler: a handler that takes every byte keeps the buffer empty and the window open",
          "[tcp][stack]") {
    auto n = on_memory(4096);  // 25 windows' worth below: the transfer goes on only because nothing is stored
    std::vector<std::uint8_t> got;
    std::size_t calls = 0;
    REQUIRE(n.b.set_recv_handler(n.server, [&](bytes in) {
        ++calls;
        got.insert(got.end(), in.begin(), in.end());
        return in.size();
    }));
    const auto sent = pattern(100'000);
    bool ever_readable = false;
    REQUIRE(n.transfer(sent, 60s, [&] {
        ever_readable = ever_readable || n.b.readable(n.server);
        return got.size() == sent.size();
    }));
    CHECK(got == sent);
    CHECK_FALSE(ever_readable);  // nothing ever waited for recv()
    CHECK(calls >= sent.size() / 1460);  // once a segment: where each lies in its frame
    std::array<std::uint8_t, 16> buf{};
    CHECK(n.b.recv(n.server, buf).error() == errc::would_block);
}

TEST_CASE("tcp recv handler: a handler may own what cannot be copied, and keeps it for the whole stream",
          "[tcp][stack]") {
    auto n = on_memory(4096);
    auto sink = std::make_unique<std::vector<std::uint8_t>>();
    const auto* got = sink.get();
    // Move-only: the unique_ptr. std::function alone could not hold it.
    REQUIRE(n.b.set_recv_handler(n.server, [sink = std::move(sink)](bytes in) {
        sink->insert(sink->end(), in.begin(), in.end());
        return in.size();
    }));
    const auto sent = pattern(20'000);
    REQUIRE(n.transfer(sent, 60s, [&] { return got->size() == sent.size(); }));
    CHECK(*got == sent);
    CHECK_FALSE(n.b.readable(n.server));
}

TEST_CASE("tcp recv handler: bytes it leaves wait for recv, and it sees nothing while any wait", "[tcp][stack]") {
    auto n = on_memory(1 << 20);
    std::vector<std::uint8_t> got;  // handler's and recv's bytes, in the order they were given
    bool waiting = false;
    std::size_t called_while_waiting = 0;
    REQUIRE(n.b.set_recv_handler(n.server, [&](bytes in) {
        if (waiting) ++called_while_waiting;  // unread bytes in front of these
        const std::size_t take = std::min<std::size_t>(in.size(), 700);
        got.insert(got.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
        waiting = take < in.size();  // the rest is stored
        return take;
    }));
    const auto sent = pattern(50'000);
    std::array<std::uint8_t, 300> buf{};
    bool read_now = false;  // every other round: the handler meets unread bytes half the time
    REQUIRE(n.transfer(sent, 60s, [&] {
        waiting = n.b.readable(n.server);
        if ((read_now = !read_now))
            while (auto r = n.b.recv(n.server, buf)) {
                if (*r == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
        waiting = n.b.readable(n.server);
        return got.size() == sent.size();
    }));
    CHECK(got == sent);
    CHECK(called_while_waiting == 0);

    // Emptied, it stops: the next bytes go to recv() alone.
    REQUIRE(n.b.set_recv_handler(n.server, tcp::recv_handler{}));
    const std::size_t before = got.size();
    REQUIRE(n.a.send(n.client, std::span{sent}.first(100), n.clk.now()));
    REQUIRE(n.run(5s, [&] { return n.b.readable(n.server); }));
    CHECK(got.size() == before);
    auto r = n.b.recv(n.server, buf);
    REQUIRE(r);
    CHECK(*r == 100);
}

TEST_CASE("tcp recv handler: over a lossy path the stream arrives whole and in order", "[tcp][stack][sim]") {
    link::sim::network sim{{.seed = 7}};
    link::sim::channel_config path{.bandwidth_bps = 20'000'000, .delay = 5ms};
    path.impair.loss = link::sim::bernoulli_loss{0.03};  // holes: the bytes behind them are stored, then read
    auto p2p = link::sim::point_to_point(sim, path, path);
    connected<link::sim::port> n{p2p.a, p2p.b, 1 << 20};
    std::vector<std::uint8_t> got;
    std::size_t by_handler = 0, by_recv = 0;
    REQUIRE(n.b.set_recv_handler(n.server, [&](bytes in) {
        by_handler += in.size();
        got.insert(got.end(), in.begin(), in.end());
        return in.size();
    }));
    const auto sent = pattern(300'000);
    std::array<std::uint8_t, 2048> buf{};
    REQUIRE(n.transfer(sent, 120s, [&] {
        while (auto r = n.b.recv(n.server, buf)) {
            if (*r == 0) break;
            by_recv += *r;
            got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return got.size() >= sent.size();
    }));
    CHECK(got == sent);
    CHECK(by_handler > 0);
    CHECK(by_recv > 0);  // the holes' bytes came through the buffer
    CHECK(sim.channel_at(p2p.a_to_b).counters().lost > 0);
}

TEST_CASE("tcp recv handler: a corrupted segment that arrives while bytes wait leaves nothing of itself",
          "[tcp][stack][sim]") {
    // Behind unread bytes, an in-order segment is copied into the buffer as
    // its checksum is verified; one that fails is dropped, and the bytes it
    // wrote past rcv.nxt are overwritten by its retransmission.
    link::sim::network sim{{.seed = 11}};
    link::sim::channel_config path{.bandwidth_bps = 20'000'000, .delay = 2ms};
    path.impair.corrupt = 0.05;
    auto p2p = link::sim::point_to_point(sim, path, link::sim::channel_config{.bandwidth_bps = 20'000'000, .delay = 2ms});
    connected<link::sim::port> n{p2p.a, p2p.b, 1 << 20};
    std::vector<std::uint8_t> got;
    REQUIRE(n.b.set_recv_handler(n.server, [&](bytes in) {
        const std::size_t take = std::min<std::size_t>(in.size(), 500);  // the rest waits
        got.insert(got.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
        return take;
    }));
    const auto sent = pattern(200'000);
    std::array<std::uint8_t, 400> buf{};
    bool read_now = false;  // every other round: segments meet unread bytes
    REQUIRE(n.transfer(sent, 120s, [&] {
        if ((read_now = !read_now))
            while (auto r = n.b.recv(n.server, buf)) {
                if (*r == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
        return got.size() >= sent.size();
    }));
    CHECK(got == sent);
    CHECK(sim.channel_at(p2p.a_to_b).counters().corrupted > 0);
    CHECK(n.b.transport<tcp::endpoint<>>().stats().rx_bad_checksum > 0);
}

TEST_CASE("tcp recv handler: errors", "[tcp][stack][errors]") {
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 64});
    host<link::memory_end> h{std::move(la), {.addresses = {a4}, .secret = {1}}};
    const auto take_all = [](bytes in) { return in.size(); };
    const auto unconnected = h.socket(net::socket_type::stream).value();
    CHECK(h.set_recv_handler(unconnected, take_all).error() == errc::not_connected);
    const auto u = h.socket(net::socket_type::datagram).value();
    CHECK(h.set_recv_handler(u, take_all).error() == errc::not_supported);
    REQUIRE(h.close(unconnected, {}));
    CHECK(h.set_recv_handler(unconnected, take_all).error() == errc::bad_socket);
}
