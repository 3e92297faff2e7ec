// TCP_CORK and MSG_MORE (config::cork, send(data, more), socket_option::cork,
// send_flags::more): a short segment waits while the application says more
// is coming, and leaves when it stops saying so, on a forced push
// (TCP_NODELAY set), when an ACK arrives after a MSG_MORE write, or at the
// override timeout (RFC 1122 §4.2.3.4) with nothing in flight. And the IP
// header options a socket sets (IP_TOS, IP_MTU_DISCOVER) on the wire.
#include "trace.hpp"

#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include <array>

using namespace l4;
using namespace l4::trace;

TEST_CASE("tcp cork: short writes wait while corked, whole segments go, uncorking sends the rest",
          "[tcp][trace][cork]") {
    auto cfg = small();  // MSS 1000
    cfg.nodelay = true;
    cfg.cork = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(40))));
    CHECK(poll(c, t0 + 20ms).empty());  // TCP_NODELAY alone would send it; the cork holds it
    REQUIRE(c.send(as_bytes(text(1000))));
    auto out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);  // one whole segment, the 40-byte rest waits
    CHECK(out[0].payload.size() == 1000);
    deliver(c, {irs + 1, iss + 1 + 1000, f::ack}, t0 + 40ms);
    CHECK(poll(c, t0 + 40ms).empty());  // an ACK does not uncork
    cfg.cork = false;
    c.update(cfg);
    out = poll(c, t0 + 50ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == seq32{iss + 1 + 1000});
    CHECK(out[0].payload.size() == 40);
}

TEST_CASE("tcp cork: a forced push sends what the cork holds, and the cork stays", "[tcp][trace][cork]") {
    auto cfg = small();
    cfg.cork = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(80))));
    CHECK(poll(c, t0 + 20ms).empty());
    c.push();  // what setting TCP_NODELAY does (tcp(7))
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload.size() == 80);
    deliver(c, {irs + 1, iss + 81, f::ack}, t0 + 30ms);
    REQUIRE(c.send(as_bytes(text(10))));
    CHECK(poll(c, t0 + 30ms).empty());  // still corked
}

TEST_CASE("tcp cork: held data leaves at the override timeout, one RTO after it stopped", "[tcp][trace][cork]") {
    auto cfg = small();
    cfg.cork = true;
    auto c = established(cfg);  // SRTT 10 ms: the RTO is RFC 6298's 1 s minimum
    REQUIRE(c.send(as_bytes(text(40))));
    CHECK(poll(c, t0 + 20ms).empty());
    REQUIRE(c.next_deadline());
    CHECK(*c.next_deadline() == t0 + 20ms + 1s);
    CHECK(poll(c, t0 + 20ms + 999ms).empty());
    auto out = poll(c, t0 + 20ms + 1s);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload.size() == 40);
}

TEST_CASE("tcp cork: closing sends what the cork holds, with the FIN", "[tcp][trace][cork]") {
    auto cfg = small();
    cfg.cork = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(40))));
    CHECK(poll(c, t0 + 20ms).empty());
    REQUIRE(c.shutdown());
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 2);
    CHECK(out[0].payload.size() == 40);
    CHECK((out[1].flags & f::fin) != 0);
}

TEST_CASE("tcp MSG_MORE: writes with more wait, the next write without it sends them all", "[tcp][trace][cork]") {
    auto cfg = small();
    cfg.nodelay = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(100)), true));
    CHECK(poll(c, t0 + 20ms).empty());
    REQUIRE(c.send(as_bytes(text(160)), true));
    CHECK(poll(c, t0 + 25ms).empty());
    REQUIRE(c.send(as_bytes(text(5))));
    auto out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload.size() == 265);
}

TEST_CASE("tcp MSG_MORE: holds at its own write only, an arriving ACK sends as TCP_NODELAY says",
          "[tcp][trace][cork]") {
    auto cfg = small();
    cfg.nodelay = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(2100)), true));
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 2);  // the whole segments; 100 bytes wait
    CHECK(poll(c, t0 + 21ms).empty());
    deliver(c, {irs + 1, iss + 1 + 1000, f::ack}, t0 + 30ms);
    out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == seq32{iss + 1 + 2000});
    CHECK(out[0].payload.size() == 100);
}

TEST_CASE("tcp MSG_MORE: without TCP_NODELAY, Nagle still holds the tail after the ACK", "[tcp][trace][cork]") {
    auto c = established();
    REQUIRE(c.send(as_bytes(text(2100)), true));
    REQUIRE(poll(c, t0 + 20ms).size() == 2);
    deliver(c, {irs + 1, iss + 1 + 1000, f::ack}, t0 + 30ms);
    CHECK(poll(c, t0 + 30ms).empty());  // RFC 896: 1000 bytes still in flight
    deliver(c, {irs + 1, iss + 1 + 2000, f::ack}, t0 + 40ms);
    auto out = poll(c, t0 + 40ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload.size() == 100);
}

namespace {

const net::ip_address a4 = *net::ip_address::from_string("192.0.2.1");
const net::ip_address b4 = *net::ip_address::from_string("192.0.2.2");
const net::ip_address a6 = *net::ip_address::from_string("2001:db8::1");
const net::ip_address b6 = *net::ip_address::from_string("2001:db8::2");

using tcp_t = tcp::endpoint<>;
using host = net::stack<link::memory_end, tcp_t>;

struct raw_peer {
    raw_peer() : raw_peer{link::memory_pair({.mtu = 1500, .queue_frames = 64})} {}
    explicit raw_peer(std::pair<link::memory_end, link::memory_end> p)
        : h{std::move(p.first), {.addresses = {a4, a6}, .secret = {1}}}, wire{std::move(p.second)} {}
    host h;
    link::memory_end wire;
    virtual_clock clk;

    // The next frame the host sent.
    std::vector<std::uint8_t> next() {
        h.poll(clk.now());
        std::array<std::uint8_t, 1500> f{};
        auto n = wire.receive(f, clk.now());
        REQUIRE(n);
        return {f.begin(), f.begin() + static_cast<std::ptrdiff_t>(*n)};
    }
};

}  // namespace

TEST_CASE("tcp socket options: IP_MTU_DISCOVER off clears DF, IP_TOS sets the DS field of what the socket sends",
          "[tcp][socket_options][ip]") {
    raw_peer p;
    auto plain = p.h.socket(net::socket_type::stream).value();
    REQUIRE(p.h.connect(plain, {b4, 50007}, p.clk.now()));
    auto f = p.next();
    auto v = wire::ipv4_view::check(f);
    REQUIRE(v);
    CHECK(v->dont_fragment());  // RFC 1191: DF by default
    CHECK(v->dscp() == 0);

    auto s = p.h.socket(net::socket_type::stream).value();
    REQUIRE(p.h.set_option(s, socket_option::dont_fragment, 0));
    REQUIRE(p.h.set_option(s, socket_option::tos, 0x28 | 0x3));  // AF11; the ECN bits are not the socket's
    CHECK(p.h.get_option(s, socket_option::dont_fragment).value() == 0);
    CHECK(p.h.get_option(s, socket_option::tos).value() == 0x28);
    REQUIRE(p.h.connect(s, {b4, 50008}, p.clk.now()));
    f = p.next();
    v = wire::ipv4_view::check(f);
    REQUIRE(v);
    CHECK_FALSE(v->dont_fragment());
    CHECK(v->dscp() == 0x0A);
    CHECK(v->ecn() == 0);
    CHECK(v->verify_header_checksum());

    auto s6 = p.h.socket(net::socket_type::stream).value();
    REQUIRE(p.h.set_option(s6, socket_option::tos, 0x28));
    REQUIRE(p.h.connect(s6, {b6, 50009}, p.clk.now()));
    f = p.next();
    auto v6 = wire::ipv6_view::check(f);
    REQUIRE(v6);
    CHECK(v6->traffic_class() == 0x28);
    CHECK(p.h.set_option(s, socket_option::tos, 256).error() == errc::invalid_argument);
}

TEST_CASE("tcp stack: TCP_CORK and send_flags::more through the verbs", "[tcp][stack][cork]") {
    auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 64});
    host a{std::move(x), {.addresses = {a4}, .secret = {1}}};
    host b{std::move(y), {.addresses = {b4}, .secret = {2}}};
    virtual_clock clk;
    auto listener = b.socket(net::socket_type::stream).value();
    REQUIRE(b.bind(listener, {net::ip_address::any_v4(), 50007}));
    REQUIRE(b.listen(listener, 4));
    auto s = a.socket(net::socket_type::stream).value();
    REQUIRE(a.set_option(s, socket_option::nodelay, 1));
    REQUIRE(a.connect(s, {b4, 50007}, clk.now()));
    std::optional<net::socket_id> server;
    const auto run = [&](duration d, auto&& done) {
        return net::drive_all_until(clk, clk.now() + d, done, a, b).has_value();
    };
    REQUIRE(run(1s, [&] {
        if (auto r = b.accept(listener)) server = *r;
        return server.has_value();
    }));
    std::array<std::uint8_t, 64> buf{};
    const auto arrived = [&] {
        auto r = b.recv(*server, buf);
        return r ? *r : std::size_t{0};
    };
    const auto quiet = [] { return false; };

    REQUIRE(a.send(s, as_bytes(text(20)), clk.now(), send_flags::more).value() == 20);
    (void)run(50ms, quiet);
    CHECK(arrived() == 0);  // MSG_MORE holds it, TCP_NODELAY or not
    REQUIRE(a.send(s, as_bytes(text(20)), clk.now()).value() == 20);
    (void)run(50ms, quiet);
    CHECK(arrived() == 40);

    REQUIRE(a.set_option(s, socket_option::cork, 1));
    CHECK(a.get_option(s, socket_option::cork).value() == 1);
    REQUIRE(a.send(s, as_bytes(text(30)), clk.now()).value() == 30);
    (void)run(50ms, quiet);
    CHECK(arrived() == 0);
    REQUIRE(a.set_option(s, socket_option::cork, 0));
    (void)run(50ms, quiet);
    CHECK(arrived() == 30);
}
