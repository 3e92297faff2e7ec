// TCP through the stack: the socket verbs between two hosts, in virtual
// time, over a memory link and over the simulator with loss.
#include "../support.hpp"

#include <l4/checksum/none.hpp>
#include <l4/link/memory.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <rapidcheck/catch.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");
const ip_address a6 = *ip_address::from_string("2001:db8::1");
const ip_address b6 = *ip_address::from_string("2001:db8::2");

using tcp_t = tcp::endpoint<>;
template <class Link>
using host = net::stack<Link, udp::endpoint<>, tcp_t>;

bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Polls both hosts until `done()` or the deadline, in virtual time.
template <class A, class B, class Done>
bool run(A& a, B& b, virtual_clock& clk, duration limit, Done&& done) {
    return net::drive_all_until(clk, clk.now() + limit, done, a, b).has_value();
}

struct pair_on_memory {
    pair_on_memory() : pair_on_memory{link::memory_pair({.mtu = 1500, .queue_frames = 1024})} {}
    explicit pair_on_memory(std::pair<link::memory_end, link::memory_end> p)
        : a{std::move(p.first), {.addresses = {a4, a6}, .secret = {1}}},
          b{std::move(p.second), {.addresses = {b4, b6}, .secret = {2}}} {}
    host<link::memory_end> a, b;
    virtual_clock clk;
};

net::socket_id stream(auto& h) { return h.socket(net::socket_type::stream).value(); }

// `client` on a connects to a listener on b:port; returns the listener and the socket b accepted.
std::pair<net::socket_id, net::socket_id> connect_and_accept(pair_on_memory& n, net::socket_id client,
                                                             std::uint16_t port) {
    auto listener = stream(n.b);
    REQUIRE(n.b.bind(listener, {ip_address::any_v4(), port}));
    REQUIRE(n.b.listen(listener));
    REQUIRE(n.a.connect(client, {b4, port}, n.clk.now()));
    std::optional<net::socket_id> server;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        if (!server)
            if (auto s = n.b.accept(listener)) server = *s;
        return server.has_value();
    }));
    return {listener, *server};
}

}  // namespace

TEST_CASE("tcp: the course's echo: connect, accept, send, recv, close", "[tcp][stack]") {
    pair_on_memory n;
    auto listener = stream(n.b);
    REQUIRE(n.b.bind(listener, {ip_address::any_v4(), 50007}));
    REQUIRE(n.b.listen(listener, 5));
    auto client = stream(n.a);
    REQUIRE(n.a.connect(client, {b4, 50007}, n.clk.now()));
    std::optional<net::socket_id> server;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        if (!server)
            if (auto s = n.b.accept(listener)) server = *s;
        return server && n.a.transport<tcp_t>().state_of(n.a.sockets().find(client)->local) == tcp::state::established;
    }));
    CHECK(n.b.peer_address(*server)->address == a4);
    CHECK(n.a.peer_address(client) == socket_address{b4, 50007});
    CHECK(classify_port(n.a.local_address(client)->port) == port_range::dynamic);

    REQUIRE(n.a.send(client, text("Hello, echo"), n.clk.now()));
    std::array<std::uint8_t, 64> buf{};
    std::size_t got = 0;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        auto r = n.b.recv(*server, std::span{buf}.subspan(got));
        if (r) got += *r;
        return got == 11;
    }));
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), got) == "Hello, echo");
    REQUIRE(n.b.send(*server, std::span{buf}.first(got), n.clk.now()));
    std::array<std::uint8_t, 64> back{};
    std::size_t echoed = 0;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        auto r = n.a.recv(client, std::span{back}.subspan(echoed));
        if (r) echoed += *r;
        return echoed == 11;
    }));

    // The client closes first: the server reads the end of the stream, closes too.
    REQUIRE(n.a.close(client, n.clk.now()));
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        auto r = n.b.recv(*server, buf);
        return r && *r == 0;
    }));
    REQUIRE(n.b.close(*server, n.clk.now()));
    // TIME-WAIT on the client's side, then nothing left anywhere.
    REQUIRE(run(n.a, n.b, n.clk, 5min, [&] {
        return n.a.transport<tcp_t>().connections() == 0 && n.b.transport<tcp_t>().connections() == 0;
    }));
    CHECK(n.clk.now() >= instant{} + 60s);  // 2·MSL
}

TEST_CASE("tcp: two IPv4 connections between the same hosts, their segments interleaved, and one made again on the "
          "4-tuple of a closed one: each byte reaches its own socket", "[tcp][stack]") {
    // The endpoint finds an IPv4 segment's connection through a memo of the last 4-tuple it looked up.
    pair_on_memory n;
    auto listener = stream(n.b);
    REQUIRE(n.b.bind(listener, {ip_address::any_v4(), 50008}));
    REQUIRE(n.b.listen(listener, 5));
    const auto open = [&](std::uint16_t port) {
        auto client = stream(n.a);
        REQUIRE(n.a.bind(client, {a4, port}));
        REQUIRE(n.a.connect(client, {b4, 50008}, n.clk.now()));
        std::optional<net::socket_id> server;
        REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
            if (!server)
                if (auto s = n.b.accept(listener)) server = *s;
            return server.has_value();
        }));
        return std::pair{client, *server};
    };
    const auto receive = [&](net::socket_id s, std::size_t want) {
        std::string got;
        std::array<std::uint8_t, 64> buf{};
        REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
            if (auto r = n.b.recv(s, buf)) got.append(reinterpret_cast<const char*>(buf.data()), *r);
            return got.size() >= want;
        }));
        return got;
    };
    auto [c1, s1] = open(40001);
    auto [c2, s2] = open(40002);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(n.a.send(c1, text("one"), n.clk.now()));
        REQUIRE(n.a.send(c2, text("two"), n.clk.now()));
    }
    CHECK(receive(s1, 9) == "oneoneone");
    CHECK(receive(s2, 9) == "twotwotwo");

    // The first goes away whole (TIME-WAIT included), and a new one takes its 4-tuple.
    REQUIRE(n.a.close(c1, n.clk.now()));
    REQUIRE(n.b.close(s1, n.clk.now()));
    REQUIRE(run(n.a, n.b, n.clk, 5min, [&] { return n.a.transport<tcp_t>().connections() == 1; }));
    auto [c3, s3] = open(40001);
    REQUIRE(n.a.send(c3, text("three"), n.clk.now()));
    REQUIRE(n.a.send(c2, text("two"), n.clk.now()));
    CHECK(receive(s3, 5) == "three");
    CHECK(receive(s2, 3) == "two");
}

TEST_CASE("tcp: recv_in_place reads where the bytes lie and frees only what it consumed", "[tcp][stack]") {
    pair_on_memory n;
    auto client = stream(n.a);
    REQUIRE(n.a.set_option(client, socket_option::receive_buffer, 4096));  // small: the echo below wraps its storage
    const auto ends = connect_and_accept(n, client, 50008);  // no structured binding: clang 14's lambdas cannot capture one
    const net::socket_id listener = ends.first, server = ends.second;
    const auto nothing = [](bytes) { return std::size_t{0}; };
    CHECK(n.b.recv_in_place(server, nothing).error() == errc::would_block);
    CHECK(n.b.recv_in_place(listener, nothing).error() == errc::not_connected);
    auto u = n.b.socket(net::socket_type::datagram).value();
    CHECK(n.b.recv_in_place(u, nothing).error() == errc::not_supported);

    REQUIRE(n.a.send(client, text("Hello, in place"), n.clk.now()));
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] { return n.b.readable(server); }));
    // Taking 7 of the 15 bytes leaves the other 8 to read, in order.
    std::string seen;
    auto took = n.b.recv_in_place(server, [&](bytes in) {
        seen.assign(reinterpret_cast<const char*>(in.data()), in.size());
        return std::size_t{7};
    });
    REQUIRE(took);
    CHECK(*took == 7);
    CHECK(seen == "Hello, in place");
    std::array<std::uint8_t, 64> buf{};
    auto rest = n.b.recv(server, buf);
    REQUIRE(rest);
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), *rest) == "in place");
    // Claiming more than was offered consumes what was offered, no more.
    REQUIRE(n.a.send(client, text("abc"), n.clk.now()));
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] { return n.b.readable(server); }));
    const auto all = n.b.recv_in_place(server, [](bytes) { return std::size_t{1000}; });
    REQUIRE(all);
    CHECK(*all == 3);
    CHECK_FALSE(n.b.readable(server));

    // 100 KB echoed back through the client's 4 KiB buffer, read in place:
    // each read sees at most what lies before the storage wraps, and the
    // window the reads open lets the rest through, byte for byte.
    std::vector<std::uint8_t> sent(100'000);
    for (std::size_t k = 0; k < sent.size(); ++k) sent[k] = static_cast<std::uint8_t>(k * 7 + k / 251);
    std::size_t out = 0;
    std::vector<std::uint8_t> got;
    std::size_t largest = 0;
    REQUIRE(run(n.a, n.b, n.clk, 60s, [&] {
        while (out < sent.size()) {
            auto w = n.b.send(server, std::span{sent}.subspan(out), n.clk.now());
            if (!w || *w == 0) break;
            out += *w;
        }
        while (true) {
            auto r = n.a.recv_in_place(client, [&](bytes in) {
                largest = std::max(largest, in.size());
                const std::size_t take = std::min<std::size_t>(in.size(), 1000);  // in pieces
                got.insert(got.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
                return take;
            });
            if (!r || *r == 0) break;
        }
        return got.size() == sent.size();
    }));
    CHECK(got == sent);
    CHECK(largest <= 4096);
    // The peer's end of the stream reads as recv's does: 0 bytes, no error.
    REQUIRE(n.b.close(server, n.clk.now()));
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        auto r = n.a.recv_in_place(client, nothing);
        return r && *r == 0;
    }));
}

TEST_CASE("tcp: send_in_place queues what the writer put where the bytes will lie", "[tcp][stack]") {
    pair_on_memory n;
    auto client = stream(n.a);
    REQUIRE(n.a.set_option(client, socket_option::send_buffer, 4096));  // small: it fills, and its storage wraps
    bool called = false;
    const auto mark = [&](mut_bytes) {
        called = true;
        return std::size_t{0};
    };
    CHECK(n.a.send_in_place(client, 10, mark, n.clk.now()).error() == errc::not_connected);
    auto u = n.a.socket(net::socket_type::datagram).value();
    CHECK(n.a.send_in_place(u, 10, mark, n.clk.now()).error() == errc::not_supported);
    CHECK_FALSE(called);
    const net::socket_id server = connect_and_accept(n, client, 50009).second;

    // The writer is shown at most `max` bytes, fills some, and only those are sent.
    std::size_t offered = 0;
    const auto hello = n.a.send_in_place(client, 100, [&](mut_bytes room) {
        offered = room.size();
        const std::string_view w = "Hello, world";
        std::copy(w.begin(), w.end(), room.begin());
        return std::size_t{5};
    }, n.clk.now());
    REQUIRE(hello);
    CHECK(*hello == 5);
    CHECK(offered == 100);
    std::array<std::uint8_t, 64> buf{};
    std::size_t got = 0;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        if (auto r = n.b.recv(server, std::span{buf}.subspan(got))) got += *r;
        return got >= 5;
    }));
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), got) == "Hello");
    // Claiming more than it was shown queues what it was shown.
    const auto all = n.a.send_in_place(client, 3, [](mut_bytes room) {
        std::fill(room.begin(), room.end(), std::uint8_t{'!'});
        return std::size_t{1000};
    }, n.clk.now());
    REQUIRE(all);
    CHECK(*all == 3);

    // 100 KB through the 4 KiB buffer, written in place in pieces of up to
    // 1000 bytes, arrive byte for byte; a full buffer is would_block and
    // the writer is not called.
    std::vector<std::uint8_t> sent(100'000);
    for (std::size_t k = 0; k < sent.size(); ++k) sent[k] = static_cast<std::uint8_t>(k * 13 + k / 257);
    std::size_t out = 0, blocked = 0;
    std::vector<std::uint8_t> received;
    got = 0;
    REQUIRE(run(n.a, n.b, n.clk, 60s, [&] {
        while (out < sent.size()) {
            called = false;
            auto w = n.a.send_in_place(client, std::min<std::size_t>(1000, sent.size() - out), [&](mut_bytes room) {
                called = true;
                std::copy_n(sent.begin() + static_cast<std::ptrdiff_t>(out), room.size(), room.begin());
                return room.size();
            }, n.clk.now());
            if (!w) {
                CHECK(w.error() == errc::would_block);
                CHECK_FALSE(called);
                ++blocked;
                break;
            }
            out += *w;
        }
        while (auto r = n.b.recv(server, buf)) {
            if (*r == 0) break;
            received.insert(received.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return received.size() == 3 + sent.size();
    }));
    CHECK(std::all_of(received.begin(), received.begin() + 3, [](std::uint8_t b) { return b == '!'; }));
    CHECK(std::equal(received.begin() + 3, received.end(), sent.begin()));
    CHECK(blocked > 0);
}

TEST_CASE("tcp: connecting to a port nobody listens on is refused by RST", "[tcp][stack][errors]") {
    pair_on_memory n;
    auto client = stream(n.a);
    REQUIRE(n.a.connect(client, {b4, 9}, n.clk.now()));
    std::array<std::uint8_t, 8> buf{};
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] { return n.a.recv(client, buf).error() == errc::connection_refused; }));
    CHECK(n.b.transport<tcp_t>().stats().tx_resets == 1);
}

TEST_CASE("tcp: UDP and TCP use the same port number at once", "[tcp][stack]") {
    pair_on_memory n;
    auto l = stream(n.b);
    auto u = n.b.socket(net::socket_type::datagram).value();
    REQUIRE(n.b.bind(l, {b4, 7}));
    REQUIRE(n.b.bind(u, {b4, 7}));
    REQUIRE(n.b.listen(l));
    CHECK(n.b.listen(u).error() == errc::not_supported);
}

TEST_CASE("tcp: 1 MB each way over IPv6 arrives byte for byte", "[tcp][stack][ipv6]") {
    pair_on_memory n;
    auto l = stream(n.b);
    REQUIRE(n.b.bind(l, {b6, 5000}));
    REQUIRE(n.b.listen(l));
    auto c = stream(n.a);
    REQUIRE(n.a.connect(c, {b6, 5000}, n.clk.now()));
    std::optional<net::socket_id> s;
    REQUIRE(run(n.a, n.b, n.clk, 5s, [&] {
        if (auto x = n.b.accept(l)) s = *x;
        return s.has_value();
    }));
    std::vector<std::uint8_t> data(1 << 20);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 131 + (i >> 12));
    std::size_t sent_a = 0, sent_b = 0;
    std::vector<std::uint8_t> at_b, at_a;
    std::array<std::uint8_t, 4096> buf{};
    REQUIRE(run(n.a, n.b, n.clk, 60s, [&] {
        if (sent_a < data.size())
            if (auto w = n.a.send(c, std::span{data}.subspan(sent_a), n.clk.now())) sent_a += *w;
        if (sent_b < data.size())
            if (auto w = n.b.send(*s, std::span{data}.subspan(sent_b), n.clk.now())) sent_b += *w;
        while (auto r = n.b.recv(*s, buf)) {
            if (*r == 0) break;
            at_b.insert(at_b.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        while (auto r = n.a.recv(c, buf)) {
            if (*r == 0) break;
            at_a.insert(at_a.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return at_a.size() == data.size() && at_b.size() == data.size();
    }));
    INFO("sent " << sent_a << '/' << sent_b << ", received " << at_b.size() << '/' << at_a.size());
    CHECK(at_b.size() == data.size());
    CHECK(at_b == data);
    CHECK(at_a == data);
    const auto* conn = n.a.transport<tcp_t>().connection_of(n.a.sockets().find(c)->local);
    REQUIRE(conn);
    CHECK(conn->invariants_held());
    CHECK(conn->snd_mss() == 1440 - 12);  // 1500 − 40 − 20, less the timestamps every segment carries
    CHECK(conn->options().timestamps());
}

namespace {

// One transfer each way over an impaired path; returns whether both ends
// got the other's bytes, in order, and ended closed.
struct lossy_run {
    bool complete = false, invariants = true;
    std::vector<std::uint8_t> sent_ab, sent_ba, got_b, got_a;
};

lossy_run transfer_over(link::sim::channel_config path, std::uint64_t seed, std::size_t bytes_each_way) {
    link::sim::network sim{{.seed = seed}};
    auto p2p = link::sim::point_to_point(sim, path, path);
    host<link::sim::port> a{p2p.a, {.addresses = {a4}, .secret = {3}}}, b{p2p.b, {.addresses = {b4}, .secret = {4}}};
    virtual_clock clk;
    lossy_run out;
    out.sent_ab.resize(bytes_each_way);
    out.sent_ba.resize(bytes_each_way);
    for (std::size_t i = 0; i < bytes_each_way; ++i) {
        out.sent_ab[i] = static_cast<std::uint8_t>(i * 7 + seed);
        out.sent_ba[i] = static_cast<std::uint8_t>(i * 13 + (seed >> 3));
    }
    auto l = stream(b);
    if (!b.bind(l, {b4, 80}) || !b.listen(l)) return out;
    auto c = stream(a);
    if (!a.connect(c, {b4, 80}, clk.now())) return out;
    std::optional<net::socket_id> s;
    std::size_t off_a = 0, off_b = 0;
    bool a_shut = false, b_shut = false, a_eof = false, b_eof = false;
    std::array<std::uint8_t, 4096> buf{};
    const auto step = [&] {
        if (!s)
            if (auto x = b.accept(l)) s = *x;
        if (off_a < out.sent_ab.size())
            if (auto w = a.send(c, std::span{out.sent_ab}.subspan(off_a), clk.now())) off_a += *w;
        if (!a_shut && off_a == out.sent_ab.size()) a_shut = a.shutdown(c, clk.now()).has_value();
        while (!a_eof) {
            auto r = a.recv(c, buf);
            if (!r) break;
            if (*r == 0) a_eof = true;
            out.got_a.insert(out.got_a.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        if (s) {
            if (off_b < out.sent_ba.size())
                if (auto w = b.send(*s, std::span{out.sent_ba}.subspan(off_b), clk.now())) off_b += *w;
            if (!b_shut && off_b == out.sent_ba.size()) b_shut = b.shutdown(*s, clk.now()).has_value();
            while (!b_eof) {
                auto r = b.recv(*s, buf);
                if (!r) break;
                if (*r == 0) b_eof = true;
                out.got_b.insert(out.got_b.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
            if (const auto* conn = b.transport<tcp_t>().connection_of(b.sockets().find(*s)->local))
                out.invariants = out.invariants && conn->invariants_held();
        }
        if (const auto* conn = a.transport<tcp_t>().connection_of(a.sockets().find(c)->local))
            out.invariants = out.invariants && conn->invariants_held();
        return a_eof && b_eof;
    };
    if (!run(a, b, clk, 30min, step)) return out;
    // Both close; after TIME-WAIT nothing is left of either connection.
    (void)a.close(c, clk.now());
    (void)b.close(*s, clk.now());
    out.complete = run(a, b, clk, 30min, [&] {
        return a.transport<tcp_t>().connections() == 0 && b.transport<tcp_t>().connections() == 0;
    });
    return out;
}

}  // namespace

TEST_CASE("tcp over an impaired network: every byte arrives once, in order, and both ends close",
          "[tcp][sim][property]") {
    rc::prop("random loss, reordering, duplication, corruption and jitter", [] {
        link::sim::channel_config path{.bandwidth_bps = *rc::gen::inRange<std::uint64_t>(1'000'000, 100'000'000),
                                       .delay = std::chrono::microseconds{*rc::gen::inRange(100, 50'000)}};
        path.impair.loss = link::sim::bernoulli_loss{*rc::gen::inRange(0, 21) / 100.0};
        path.impair.corrupt = *rc::gen::inRange(0, 5) / 100.0;
        path.impair.duplicate = *rc::gen::inRange(0, 10) / 100.0;
        path.impair.reorder = {*rc::gen::inRange(0, 10) / 100.0, 3ms};
        path.impair.jitter.max = std::chrono::microseconds{*rc::gen::inRange(0, 2000)};
        const auto bytes = *rc::gen::inRange<std::size_t>(0, 200'000);
        const auto r = transfer_over(path, *rc::gen::arbitrary<std::uint64_t>(), bytes);
        RC_ASSERT(r.complete);
        RC_ASSERT(r.invariants);
        RC_ASSERT(r.got_b == r.sent_ab);
        RC_ASSERT(r.got_a == r.sent_ba);
    });
}

TEST_CASE("tcp over an impaired network: 10 MB each way, byte for byte, both ends closed", "[tcp][sim][bulk]") {
    // The property's sizes stop at 200 kB to keep its hundred runs short;
    // this is its largest case, with every impairment at once.
    link::sim::channel_config path{.bandwidth_bps = 100'000'000, .delay = 5ms};
    path.impair.loss = link::sim::bernoulli_loss{0.02};
    path.impair.corrupt = 0.01;
    path.impair.duplicate = 0.02;
    path.impair.reorder = {0.02, 3ms};
    path.impair.jitter.max = 500us;
    const auto r = transfer_over(path, 7, 10'000'000);
    CHECK(r.complete);
    CHECK(r.invariants);
    CHECK(r.got_b.size() == r.sent_ab.size());
    CHECK(r.got_a.size() == r.sent_ba.size());
    CHECK(r.got_b == r.sent_ab);
    CHECK(r.got_a == r.sent_ba);
}

namespace {
// Whether a stack is made with this many reassembly ranges and this receive buffer.
bool accepted_with(std::uint32_t reassembly_ranges, std::uint32_t receive_buffer) {
    tcp::endpoint_config ec{};
    ec.connection.receive_buffer = receive_buffer;
    ec.connection.reassembly_ranges = reassembly_ranges;
    auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 64});
    auto h = host<link::memory_end>::create(std::move(x), {.addresses = {a4}}, udp::endpoint<>{}, tcp_t{ec});
    if (!h) CHECK(h.error() == errc::invalid_argument);
    return h.has_value();
}
}  // namespace

TEST_CASE("tcp: a configuration that asks for more reassembly ranges than the buffer can hold apart is refused",
          "[tcp][stack][errors]") {
    CHECK_FALSE(accepted_with(2049, 4096));  // each range takes a byte and a hole
    CHECK(accepted_with(2048, 4096));
}

TEST_CASE("tcp: a configuration that asks for more reassembly ranges than a segment's walk may take is refused",
          "[tcp][stack][errors]") {
    // 4 MiB: room for a million ranges apart, so the buffer is not the bound.
    CHECK_FALSE(accepted_with(tcp::config::max_reassembly_ranges + 1, 4 << 20));
    CHECK(accepted_with(tcp::config::max_reassembly_ranges, 4 << 20));
}

TEST_CASE("tcp with checksum::none: 100 kB each way over IPv4 and IPv6 arrive byte for byte", "[tcp][stack][checksum]") {
    using none_tcp = tcp::endpoint<use<checksum::none>>;
    using none_host = net::stack<link::memory_end, none_tcp>;
    for (const auto& [from, to] : {std::pair{a4, b4}, std::pair{a6, b6}}) {
        auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
        auto a = none_host::create(std::move(x), {.addresses = {a4, a6}, .secret = {1}}, none_tcp{}).value();
        auto b = none_host::create(std::move(y), {.addresses = {b4, b6}, .secret = {2}}, none_tcp{}).value();
        virtual_clock clk;
        auto listener = stream(b);
        REQUIRE(b.bind(listener, {to, 50009}));
        REQUIRE(b.listen(listener));
        auto client = stream(a);
        REQUIRE(a.bind(client, {from, 0}));
        REQUIRE(a.connect(client, {to, 50009}, clk.now()));
        std::vector<std::uint8_t> data(100'000);
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
        std::optional<net::socket_id> server;
        std::vector<std::uint8_t> at_b, at_a;
        std::size_t sent_a = 0, sent_b = 0;
        std::array<std::uint8_t, 4096> buf{};
        REQUIRE(run(a, b, clk, 60s, [&] {
            if (!server)
                if (auto s = b.accept(listener)) server = *s;
            if (sent_a < data.size())
                if (auto n = a.send(client, bytes{data}.subspan(sent_a), clk.now())) sent_a += *n;
            if (server && sent_b < data.size())
                if (auto n = b.send(*server, bytes{data}.subspan(sent_b), clk.now())) sent_b += *n;
            if (server)
                while (auto n = b.recv(*server, buf)) {
                    if (*n == 0) break;
                    at_b.insert(at_b.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
                }
            while (auto n = a.recv(client, buf)) {
                if (*n == 0) break;
                at_a.insert(at_a.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
            }
            return at_b.size() == data.size() && at_a.size() == data.size();
        }));
        CHECK(at_b == data);
        CHECK(at_a == data);
        CHECK(b.transport<none_tcp>().stats().rx_bad_checksum == 0);
    }
}
