// setsockopt and getsockopt through the stack, and what each option changes
// on the wire; an ICMP error ending a connect.
#include "../support.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/wire/icmp.hpp>
#include <l4/wire/ipv4.hpp>

#include <array>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;
using opt = l4::socket_option;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

using tcp_t = tcp::endpoint<>;
using host = net::stack<link::memory_end, udp::endpoint<>, tcp_t>;

struct pair_on_memory {
    pair_on_memory() : pair_on_memory{link::memory_pair({.mtu = 1500, .queue_frames = 1024})} {}
    explicit pair_on_memory(std::pair<link::memory_end, link::memory_end> p)
        : a{std::move(p.first), {.addresses = {a4}, .secret = {1}}},
          b{std::move(p.second), {.addresses = {b4}, .secret = {2}}} {}
    host a, b;
    virtual_clock clk;

    template <class Done>
    bool run(duration limit, Done&& done) {
        return net::drive_all_until(clk, clk.now() + limit, done, a, b).has_value();
    }
};

net::socket_id stream(host& h) { return h.socket(net::socket_type::stream).value(); }

const tcp_t::connection_type& connection(host& h, net::socket_id s) {
    const auto* c = h.transport<tcp_t>().connection_of(h.sockets().find(s)->local);
    REQUIRE(c);
    return *c;
}

// A listener on b:50007 and a client on a connected to it; returns (client, accepted).
std::pair<net::socket_id, net::socket_id> connected(pair_on_memory& n, net::socket_id client) {
    auto listener = stream(n.b);
    REQUIRE(n.b.bind(listener, {ip_address::any_v4(), 50007}));
    REQUIRE(n.b.listen(listener, 4));
    REQUIRE(n.a.connect(client, {b4, 50007}, n.clk.now()));
    std::optional<net::socket_id> server;
    REQUIRE(n.run(5s, [&] {
        if (auto s = n.b.accept(listener)) server = *s;
        return server && n.a.writable(client);
    }));
    return {client, *server};
}

}  // namespace

TEST_CASE("tcp socket options: a value set is the value read back", "[tcp][socket_options]") {
    pair_on_memory n;
    auto s = stream(n.a);
    for (auto [o, v] : std::vector<std::pair<opt, std::int64_t>>{
             {opt::send_buffer, 200'000}, {opt::receive_buffer, 300'000}, {opt::nodelay, 1}, {opt::max_segment, 1000},
             {opt::keepalive, 1}, {opt::keep_idle, 30}, {opt::keep_interval, 5}, {opt::keep_count, 4},
             {opt::user_timeout, 2500}, {opt::delayed_ack, 40'000}, {opt::linger, 0}, {opt::timestamps, 0}}) {
        INFO(name(o));
        REQUIRE(n.a.set_option(s, o, v));
        CHECK(n.a.get_option(s, o).value() == v);
    }
}

TEST_CASE("tcp socket options: out-of-range values and late changes are refused", "[tcp][socket_options][errors]") {
    pair_on_memory n;
    auto s = stream(n.a);
    CHECK(n.a.set_option(s, opt::receive_buffer, 0).error() == errc::invalid_argument);
    CHECK(n.a.set_option(s, opt::receive_buffer, std::int64_t{1} << 31).error() == errc::invalid_argument);
    CHECK(n.a.set_option(s, opt::max_segment, 10).error() == errc::invalid_argument);
    CHECK(n.a.set_option(s, opt::keep_count, 0).error() == errc::invalid_argument);
    CHECK(n.a.set_option(s, opt::delayed_ack, 600'000).error() == errc::invalid_argument);  // RFC 1122: < 0.5 s
    CHECK(n.a.set_option(s, opt::error, 1).error() == errc::invalid_argument);
    CHECK(n.a.set_option(s, opt::notsent_lowat, -1).error() == errc::invalid_argument);
    CHECK(n.a.set_option(net::socket_id{999}, opt::nodelay, 1).error() == errc::bad_socket);
    const auto ends = connected(n, s);
    const net::socket_id client = ends.first;
    CHECK(n.a.set_option(client, opt::receive_buffer, 1 << 20).error() == errc::invalid_argument);  // after the SYN
    CHECK(n.a.set_option(client, opt::timestamps, 0).error() == errc::invalid_argument);
    // SO_SNDBUF may change while nothing is queued, as Linux lets it; not with bytes in the buffer.
    CHECK(n.a.set_option(client, opt::send_buffer, 1 << 20));
    REQUIRE(n.a.send(client, bytes{reinterpret_cast<const std::uint8_t*>("queued"), 6}, n.clk.now()));
    CHECK(n.a.set_option(client, opt::send_buffer, 1 << 16).error() == errc::invalid_argument);
    auto udp = n.a.socket(net::socket_type::datagram).value();
    CHECK(n.a.set_option(udp, opt::nodelay, 1).error() == errc::not_supported);
}

TEST_CASE("tcp socket options: SO_RCVBUF before connect sets the window scale the SYN offers",
          "[tcp][socket_options][options]") {
    pair_on_memory n;
    auto s = stream(n.a);
    REQUIRE(n.a.set_option(s, opt::receive_buffer, 1 << 20));
    const auto ends = connected(n, s);
    const net::socket_id client = ends.first;
    const net::socket_id server = ends.second;
    CHECK(connection(n.a, client).options().rcv_wscale() == 5);
    CHECK(connection(n.b, server).options().snd_wscale() == 5);
    CHECK(connection(n.b, server).snd_wnd() > 65535);  // our 1 MiB, scaled, as the server sees it
}

TEST_CASE("tcp socket options: options switched off before connect are not negotiated",
          "[tcp][socket_options][options]") {
    pair_on_memory n;
    auto s = stream(n.a);
    REQUIRE(n.a.set_option(s, opt::timestamps, 0));
    REQUIRE(n.a.set_option(s, opt::sack, 0));
    const auto ends = connected(n, s);
    const net::socket_id client = ends.first;
    const net::socket_id server = ends.second;
    CHECK_FALSE(connection(n.b, server).options().timestamps());
    CHECK_FALSE(connection(n.b, server).options().sack());
    CHECK(connection(n.b, server).options().window_scaling());
    CHECK(connection(n.a, client).snd_mss() == 1460);  // no timestamps: the whole MSS carries data
}

TEST_CASE("tcp socket options: a listener's settings pass to the connections it accepts", "[tcp][socket_options]") {
    pair_on_memory n;
    auto listener = stream(n.b);
    REQUIRE(n.b.set_option(listener, opt::nodelay, 1));
    REQUIRE(n.b.set_option(listener, opt::max_segment, 1000));
    REQUIRE(n.b.bind(listener, {ip_address::any_v4(), 50007}));
    REQUIRE(n.b.listen(listener, 4));
    auto client = stream(n.a);
    REQUIRE(n.a.connect(client, {b4, 50007}, n.clk.now()));
    std::optional<net::socket_id> server;
    REQUIRE(n.run(5s, [&] {
        if (auto s = n.b.accept(listener)) server = *s;
        return server.has_value();
    }));
    CHECK(n.b.get_option(*server, opt::nodelay).value() == 1);
    CHECK(connection(n.a, client).snd_mss() == 1000 - 12);  // the server announced 1000
}

TEST_CASE("tcp socket options: TCP_NOTSENT_LOWAT holds writes while that many bytes wait unsent",
          "[tcp][socket_options][notsent_lowat]") {
    constexpr std::uint32_t lowat = 16 * 1024, write_size = 64 * 1024, total = 1024 * 1024;
    pair_on_memory n;
    auto s = stream(n.a);
    REQUIRE(n.a.set_option(s, opt::send_buffer, 1 << 20));
    REQUIRE(n.a.set_option(s, opt::notsent_lowat, lowat));
    CHECK(n.a.get_option(s, opt::notsent_lowat).value() == lowat);
    const auto ends = connected(n, s);
    const net::socket_id client = ends.first, server = ends.second;
    const auto& c = connection(n.a, client);

    std::vector<std::uint8_t> data(total);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    // The first write is taken whole (nothing waits); the initial window leaves, the rest waits unsent.
    REQUIRE(n.a.send(client, bytes{data}.first(write_size), n.clk.now()).value() == write_size);
    CHECK(c.unsent() >= lowat);
    CHECK_FALSE(n.a.writable(client));
    CHECK(n.a.send(client, bytes{data}.subspan(write_size, write_size), n.clk.now()).error() == errc::would_block);

    // An application that writes whenever the socket is writable: what waits
    // unsent never passes the mark by more than one write, and every byte arrives.
    std::size_t sent = write_size, got = 0;
    std::uint32_t most_unsent = 0;
    std::vector<std::uint8_t> received(total), buf(32 * 1024);
    REQUIRE(n.run(10s, [&] {
        if (sent < total && n.a.writable(client))
            if (auto w = n.a.send(client, bytes{data}.subspan(sent, std::min<std::size_t>(write_size, total - sent)),
                                  n.clk.now()))
                sent += *w;
        most_unsent = std::max(most_unsent, c.unsent());
        while (auto r = n.b.recv(server, buf)) {
            if (*r == 0) break;
            std::copy_n(buf.begin(), *r, received.begin() + static_cast<std::ptrdiff_t>(got));
            got += *r;
        }
        return got == total;
    }));
    CHECK(most_unsent < lowat + write_size);
    CHECK(received == data);
}

TEST_CASE("tcp socket options: SO_LINGER 0 makes close() reset the connection", "[tcp][socket_options][linger]") {
    pair_on_memory n;
    const auto ends = connected(n, stream(n.a));
    const net::socket_id client = ends.first;
    const net::socket_id server = ends.second;
    REQUIRE(n.a.set_option(client, opt::linger, 0));
    REQUIRE(n.a.close(client, n.clk.now()));
    std::array<std::uint8_t, 8> buf{};
    REQUIRE(n.run(5s, [&] { return n.b.recv(server, buf).error() == errc::connection_reset; }));
    CHECK(n.a.transport<tcp_t>().connections() == 0);  // no TIME-WAIT left behind
}

TEST_CASE("tcp socket options: SO_ERROR reports a refused connect once", "[tcp][socket_options][errors]") {
    pair_on_memory n;
    auto s = stream(n.a);
    REQUIRE(n.a.connect(s, {b4, 9}, n.clk.now()));
    REQUIRE(n.run(5s, [&] { return n.a.readable(s); }));
    CHECK(n.a.get_option(s, opt::error).value() == static_cast<std::int64_t>(errc::connection_refused));
    CHECK(n.a.get_option(s, opt::error).value() == 0);
}

TEST_CASE("tcp socket options: SO_KEEPALIVE on a live connection probes it after the idle time",
          "[tcp][socket_options][keepalive]") {
    pair_on_memory n;
    const auto ends = connected(n, stream(n.a));
    const net::socket_id client = ends.first;
    REQUIRE(n.a.set_option(client, opt::keep_idle, 60));
    REQUIRE(n.a.set_option(client, opt::keepalive, 1));
    const instant start = n.clk.now();
    REQUIRE(n.run(5min, [&] { return connection(n.a, client).stats().keepalive_probes == 2; }));
    CHECK(n.clk.now() >= start + 120s);  // one probe per idle minute: each answered, so the idle time restarts
    CHECK(connection(n.a, client).current_state() == tcp::state::established);
}

TEST_CASE("tcp: an ICMP port unreachable for our SYN ends connect() with connection_refused",
          "[tcp][icmp][errors]") {
    auto [ours, raw] = link::memory_pair({.mtu = 1500, .queue_frames = 16});
    host a{std::move(ours), {.addresses = {a4}, .secret = {1}}};
    virtual_clock clk;
    auto s = stream(a);
    REQUIRE(a.connect(s, {b4, 50007}, clk.now()));
    a.poll(clk.now());
    std::array<std::uint8_t, 1500> frame{};
    auto n = raw.receive(frame, clk.now());
    REQUIRE(n);
    REQUIRE(*n >= 40);
    // The router's answer: ICMP destination unreachable, port, quoting the SYN's IP header and 8 bytes.
    const auto icmp = wire::icmpv4_repr::port_unreachable(std::span{frame}.first(28));
    std::vector<std::uint8_t> msg(icmp.buffer_len());
    REQUIRE(icmp.emit(msg, checksum::internet{}));
    std::vector<std::uint8_t> packet(wire::ipv4_min_header_len + msg.size());
    wire::ipv4_repr ip{.src = b4.v4(), .dst = a4.v4(), .protocol = wire::ip_protocol::icmp};
    ip.payload_len = static_cast<std::uint16_t>(msg.size());
    REQUIRE(ip.emit(packet));
    std::copy(msg.begin(), msg.end(), packet.begin() + wire::ipv4_min_header_len);
    REQUIRE(raw.transmit(packet, clk.now()));
    a.poll(clk.now());
    std::array<std::uint8_t, 8> buf{};
    CHECK(a.recv(s, buf).error() == errc::connection_refused);
    CHECK(a.transport<tcp_t>().connection_of(a.sockets().find(s)->local)->current_state() == tcp::state::closed);
}
