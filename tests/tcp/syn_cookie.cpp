// SYN cookies (RFC 4987 §3.6): the cookie's own laws, then a listener under
// a flood of spoofed SYNs that still completes a real client's handshake.
#include "injecting_link.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/tcp/syn_cookie.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/pseudo_header.hpp>

#include <deque>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;

namespace {

const socket_address server{*ip_address::from_string("192.0.2.2"), 80};
const socket_address client{*ip_address::from_string("192.0.2.1"), 40000};
const instant t0 = instant{} + 1000s;

std::vector<std::uint8_t> spoofed_syn(wire::ipv4_address from, std::uint16_t port, std::uint32_t isn) {
    wire::tcp_repr syn;
    syn.src_port = port;
    syn.dst_port = server.port;
    syn.seq_number = seq32{isn};
    syn.flags.bits = wire::tcp_flags::syn;
    syn.window = 65535;
    syn.options.mss = 1460;
    return test::ipv4_frame(from, server.address.v4(), syn);
}

using host_b = net::stack<test::injecting_link, tcp::endpoint<>>;
using host_a = net::stack<link::memory_end, tcp::endpoint<>>;

// backlog 4 filled with spoofed SYNs; then the real client connects.
struct flooded {
    explicit flooded(bool cookies) {
        auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 4096});
        tcp::endpoint_config ec;
        ec.syn_cookies = cookies;
        a = std::make_unique<host_a>(std::move(x), net::stack_config{.addresses = {client.address}, .secret = {1}});
        b = std::make_unique<host_b>(test::injecting_link{std::move(y), {}},
                                     net::stack_config{.addresses = {server.address}, .secret = {2}},
                                     tcp::endpoint<>{ec});
        listener = b->socket(net::socket_type::stream).value();
        REQUIRE(b->bind(listener, server));
        REQUIRE(b->listen(listener, 4));
    }
    void flood(std::uint32_t n) {
        for (std::uint32_t i = 0; i < n; ++i)
            b->link().injected.push_back(spoofed_syn(wire::ipv4_address{203, 0, 113, static_cast<std::uint8_t>(i % 250)},
                                                     static_cast<std::uint16_t>(1024 + i), i * 7919));
    }
    std::unique_ptr<host_a> a;
    std::unique_ptr<host_b> b;
    net::socket_id listener{};
    virtual_clock clk;
};

}  // namespace

TEST_CASE("syn cookies: a cookie checks for the 4-tuple and ISN it was made for, within its time window",
          "[tcp][syn_cookie][security]") {
    const tcp::syn_cookies cookies{siphash_key{7}};
    const seq32 peer_isn{123456};
    const seq32 c = cookies.make(server, client, peer_isn, 1460, t0);
    CHECK(cookies.check(server, client, peer_isn + 1, c + 1, t0) == 1460);
    CHECK(cookies.check(server, client, peer_isn + 1, c + 1, t0 + 100s) == 1460);
    CHECK_FALSE(cookies.check(server, client, peer_isn + 1, c + 1, t0 + 200s));  // older than 3 ticks
    CHECK_FALSE(cookies.check(server, client, peer_isn + 2, c + 1, t0));         // another ISN
    CHECK_FALSE(cookies.check(server, {client.address, 40001}, peer_isn + 1, c + 1, t0));
    CHECK_FALSE(cookies.check(server, client, peer_isn + 1, c + 2, t0));
    CHECK_FALSE(tcp::syn_cookies{siphash_key{8}}.check(server, client, peer_isn + 1, c + 1, t0));  // another secret
}

TEST_CASE("syn cookies: the MSS is the table's largest not above the peer's", "[tcp][syn_cookie]") {
    const tcp::syn_cookies cookies{siphash_key{7}};
    for (auto [peer, kept] : std::vector<std::pair<std::uint16_t, std::uint16_t>>{
             {1460, 1460}, {1400, 1380}, {9000, 8960}, {536, 536}, {100, 536}, {1220, 1220}}) {
        const seq32 c = cookies.make(server, client, seq32{1}, peer, t0);
        CHECK(cookies.check(server, client, seq32{2}, c + 1, t0) == kept);
    }
}

TEST_CASE("syn cookies: the TSval carries window scale and SACK-permitted, never ahead of the clock",
          "[tcp][syn_cookie]") {
    for (std::uint32_t now : {1000u, 64u, 63u, 0xFFFFFFFFu}) {
        for (std::optional<std::uint8_t> ws : {std::optional<std::uint8_t>{}, std::optional<std::uint8_t>{7}}) {
            const auto ts = tcp::syn_cookies::encode_ts(now, {.mss = 1460, .window_scale = ws, .sack_permitted = true});
            CHECK(static_cast<std::int32_t>(now - ts) >= 0);
            CHECK(now - ts < 64);
            tcp::syn_cookie_options back;
            tcp::syn_cookies::decode_ts(ts, back);
            CHECK(back.window_scale == ws);
            CHECK(back.sack_permitted);
        }
    }
}

TEST_CASE("syn cookies: under a SYN flood the listener keeps no state and a real client still connects",
          "[tcp][syn_cookie][security]") {
    flooded n{true};
    n.flood(1000);
    n.b->poll(n.clk.now());
    const auto& st = n.b->transport<tcp::endpoint<>>().stats();
    CHECK(st.syn_cookies_sent == 1000 - 4);  // the first four took the backlog
    CHECK(n.b->transport<tcp::endpoint<>>().connections() == 4);
    auto c = n.a->socket(net::socket_type::stream).value();
    REQUIRE(n.a->connect(c, server, n.clk.now()));
    std::optional<net::socket_id> accepted;
    std::array<std::uint8_t, 16> buf{};
    REQUIRE(net::drive_all_until(n.clk, n.clk.now() + 5s, [&] {
        if (!accepted)
            if (auto s = n.b->accept(n.listener)) accepted = *s;
        return accepted && n.a->writable(c);
    }, *n.a, *n.b));
    CHECK(st.syn_cookies_accepted == 1);
    // It behaves like any other: data both ways, with the options the cookie kept.
    REQUIRE(n.a->send(c, bytes{reinterpret_cast<const std::uint8_t*>("ping"), 4}, n.clk.now()));
    REQUIRE(net::drive_all_until(n.clk, n.clk.now() + 5s, [&] {
        auto r = n.b->recv(*accepted, buf);
        return r && *r == 4;
    }, *n.a, *n.b));
    const auto* conn = n.b->transport<tcp::endpoint<>>().connection_of(n.b->sockets().find(*accepted)->local);
    REQUIRE(conn);
    CHECK(conn->options().timestamps());
    CHECK(conn->options().sack());
    CHECK(conn->options().window_scaling());
    CHECK(conn->snd_mss() == 1460 - 12);
}

TEST_CASE("syn cookies: switched off, a SYN over a full backlog evicts the oldest half-open connection, "
          "so a flood that goes on outruns a real client's handshake",
          "[tcp][syn_cookie][security]") {
    flooded n{false};
    n.flood(1000);
    n.b->poll(n.clk.now());
    const auto& st = n.b->transport<tcp::endpoint<>>().stats();
    CHECK(st.syn_cookies_sent == 0);
    CHECK(st.half_open_evicted == 1000 - 4);  // RFC 4987 §3.4: the queue recycles, it never grows
    CHECK(n.b->transport<tcp::endpoint<>>().connections() == 4);

    // Eight spoofed SYNs for every step of the handshake: the client's half-open
    // connection is evicted before its ACK arrives, and that ACK is answered with RST.
    auto c = n.a->socket(net::socket_type::stream).value();
    REQUIRE(n.a->connect(c, server, n.clk.now()));
    const auto evicted_before = st.half_open_evicted;
    int steps = 0;
    (void)net::drive_all_until(n.clk, n.clk.now() + 3s, [&] {
        if (++steps <= 50) n.flood(8);
        return false;
    }, *n.a, *n.b);
    CHECK_FALSE(n.a->writable(c));
    CHECK(n.a->get_option(c, socket_option::error).value() == std::int64_t(errc::connection_reset));
    CHECK_FALSE(n.b->accept(n.listener));
    CHECK(st.half_open_evicted > evicted_before + 8);
    CHECK(n.b->transport<tcp::endpoint<>>().connections() <= 4);

    // The flood over, the next client's SYN recycles a spoofed entry and completes.
    auto d = n.a->socket(net::socket_type::stream).value();
    REQUIRE(n.a->connect(d, server, n.clk.now()));
    std::optional<net::socket_id> accepted;
    REQUIRE(net::drive_all_until(n.clk, n.clk.now() + 5s, [&] {
        if (!accepted)
            if (auto s = n.b->accept(n.listener)) accepted = *s;
        return accepted && n.a->writable(d);
    }, *n.a, *n.b));
}

TEST_CASE("syn cookies: an ACK with a forged cookie is answered with RST and makes nothing",
          "[tcp][syn_cookie][security]") {
    flooded n{true};
    n.flood(10);  // the listener has sent cookies lately
    n.b->poll(n.clk.now());
    wire::tcp_repr ack;
    ack.src_port = 5555;
    ack.dst_port = server.port;
    ack.seq_number = seq32{1001};
    ack.ack_number = seq32{0xDEADBEEF};
    ack.flags.bits = wire::tcp_flags::ack;
    ack.window = 1000;
    const auto frame = test::ipv4_frame(wire::ipv4_address{198, 51, 100, 9}, server.address.v4(), ack);
    const auto resets = n.b->transport<tcp::endpoint<>>().stats().tx_resets;
    n.b->link().injected.push_back(frame);
    n.b->poll(n.clk.now());
    CHECK(n.b->transport<tcp::endpoint<>>().stats().syn_cookies_rejected == 1);
    CHECK(n.b->transport<tcp::endpoint<>>().stats().tx_resets == resets + 1);
    CHECK(n.b->transport<tcp::endpoint<>>().connections() == 4);
}
