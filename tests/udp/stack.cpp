// UDP through the stack: the socket verbs, the port rules and datagram
// semantics, between hosts joined by a memory link. A test either runs two
// stacks, or one stack and a raw link end the test writes frames into.
#include "../support.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/udp.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace l4;
using net::socket_address;
using net::ip_address;
using udp_t = udp::endpoint<>;
using host = net::stack<link::memory_end, udp_t>;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");
const ip_address a6 = *ip_address::from_string("2001:db8::1");
const ip_address b6 = *ip_address::from_string("2001:db8::2");
const instant t0{};

net::socket_id udp_socket(host& h) {
    auto s = h.socket(net::socket_type::datagram);
    REQUIRE(s);
    return *s;
}
const udp::counters& udp_stats(const host& h) { return h.transport<udp_t>().stats(); }

bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }
std::string_view text(bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

struct two_hosts {
    explicit two_hosts(net::stack_config ca = {}, net::stack_config cb = {}, udp::config ub = {})
        : two_hosts{link::memory_pair(), ca, cb, ub} {}
    two_hosts(std::pair<link::memory_end, link::memory_end> p, net::stack_config ca, net::stack_config cb,
              udp::config ub)
        : a{std::move(p.first), with_addresses(ca, {a4, a6})},
          b{std::move(p.second), with_addresses(cb, {b4, b6}), udp_t{ub}} {}
    static net::stack_config with_addresses(net::stack_config c, std::vector<ip_address> addrs) {
        c.addresses = std::move(addrs);
        return c;
    }
    host a, b;
};

// One stack at 192.0.2.2 and the raw other end of its link.
struct host_and_wire {
    host_and_wire() : host_and_wire{link::memory_pair()} {}
    explicit host_and_wire(std::pair<link::memory_end, link::memory_end> p)
        : h{std::move(p.second), {.addresses = {b4, b6}}}, wire{std::move(p.first)} {}
    host h;
    link::memory_end wire;

    // A UDP/IPv6 datagram from 2001:db8::1 to 2001:db8::2 with the checksum field given.
    static std::vector<std::uint8_t> frame6(std::uint16_t dport, bytes payload, std::uint16_t checksum_field) {
        std::vector<std::uint8_t> f(40 + 8 + payload.size());
        wire::ipv6_repr ip;
        ip.src = a6.v6();
        ip.dst = b6.v6();
        ip.next_header = wire::ip_protocol::udp;
        ip.hop_limit = 64;
        ip.payload_len = static_cast<std::uint16_t>(8 + payload.size());
        (void)ip.emit(f);
        (void)wire::udp_repr{1234, dport, payload}.emit(std::span{f}.subspan(40));
        store_be16(f.data() + 40 + 6, checksum_field);
        return f;
    }

    // A UDP/IPv4 datagram from 192.0.2.1:sport to 192.0.2.2:dport, as bytes.
    static std::vector<std::uint8_t> frame(std::uint16_t sport, std::uint16_t dport, std::string_view payload) {
        std::vector<std::uint8_t> f(20 + 8 + payload.size());
        wire::ipv4_repr ip{a4.v4(), b4.v4(), wire::ip_protocol::udp, 64, 1, true, 0, 0,
                           static_cast<std::uint16_t>(8 + payload.size())};
        (void)ip.emit(f);
        const auto pseudo = wire::pseudo_header::ipv4(a4.v4(), b4.v4(), wire::ip_protocol::udp,
                                                      static_cast<std::uint16_t>(8 + payload.size()));
        (void)wire::udp_repr{sport, dport, text(payload)}.emit(std::span{f}.subspan(20), pseudo.bytes(),
                                                                 checksum::internet{});
        return f;
    }
};

}  // namespace

TEST_CASE("udp: Hello World crosses from a client to a server bound on port 50000", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {ip_address::any_v4(), 50000}));
    auto client = udp_socket(n.a);
    REQUIRE(n.a.sendto(client, text("Hello World"), {b4, 50000}, t0));
    n.b.poll(t0);
    std::array<std::uint8_t, 1500> buf{};
    auto r = n.b.recvfrom(server, buf);
    REQUIRE(r);
    CHECK(text(std::span{buf}.first(r->size)) == "Hello World");
    CHECK(r->from.address == a4);
    CHECK(classify_port(r->from.port) == port_range::dynamic);
    // The server answers to where it came from.
    REQUIRE(n.b.sendto(server, text("HELLO WORLD"), r->from, t0));
    n.a.poll(t0);
    auto back = n.a.recvfrom(client, buf);
    REQUIRE(back);
    CHECK(text(std::span{buf}.first(back->size)) == "HELLO WORLD");
    CHECK(back->from == socket_address{b4, 50000});
}

TEST_CASE("udp: IPv6 works the same way, with the mandatory checksum", "[udp][stack][ipv6]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b6, 50000}));
    auto client = udp_socket(n.a);
    REQUIRE(n.a.sendto(client, text("Hello World"), {b6, 50000}, t0));
    n.b.poll(t0);
    std::array<std::uint8_t, 1500> buf{};
    auto r = n.b.recvfrom(server, buf);
    REQUIRE(r);
    CHECK(r->from.address == a6);
    CHECK(udp_stats(n.b).rx_delivered == 1);
}

TEST_CASE("udp: datagram boundaries are preserved, zero-length ones included", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 7}));
    auto client = udp_socket(n.a);
    for (std::string_view m : {"a", "", "a longer datagram", ""}) REQUIRE(n.a.sendto(client, text(m), {b4, 7}, t0));
    n.b.poll(t0);
    std::array<std::uint8_t, 64> buf{};
    for (std::string_view m : {"a", "", "a longer datagram", ""}) {
        auto r = n.b.recvfrom(server, buf);
        REQUIRE(r);
        CHECK(text(std::span{buf}.first(r->size)) == m);
    }
    CHECK(n.b.recvfrom(server, buf).error() == errc::would_block);
}

TEST_CASE("udp: the largest payload fits the MTU exactly, one byte more is refused", "[udp][stack][errors]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {ip_address::any_v6(), 9}));
    REQUIRE(n.b.bind(udp_socket(n.b), {ip_address::any_v4(), 9}));
    auto client = udp_socket(n.a);
    CHECK(n.a.max_payload(b4) == 1472);
    CHECK(n.a.max_payload(b6) == 1452);
    std::vector<std::uint8_t> big(1473, 0x5A);
    CHECK(n.a.sendto(client, std::span{big}.first(1472), {b4, 9}, t0).value() == 1472);
    CHECK(n.a.sendto(client, big, {b4, 9}, t0).error() == errc::message_too_long);
    auto client6 = udp_socket(n.a);  // a socket lives in one family: the first sendto bound it
    CHECK(n.a.sendto(client6, std::span{big}.first(1452), {b6, 9}, t0).value() == 1452);
    CHECK(n.a.sendto(client6, std::span{big}.first(1453), {b6, 9}, t0).error() == errc::message_too_long);
}

TEST_CASE("udp: bind refuses a port in use, with wildcard conflicts both ways", "[udp][stack][errors]") {
    two_hosts n;
    auto s1 = udp_socket(n.b), s2 = udp_socket(n.b), s3 = udp_socket(n.b);
    REQUIRE(n.b.bind(s1, {b4, 50000}));
    CHECK(n.b.bind(s2, {b4, 50000}).error() == errc::address_in_use);
    CHECK(n.b.bind(s2, {ip_address::any_v4(), 50000}).error() == errc::address_in_use);
    CHECK(n.b.bind(s2, {b6, 50000}));  // another family is another port space
    REQUIRE(n.b.bind(s3, {ip_address::any_v4(), 50001}));
    auto s4 = udp_socket(n.b);
    CHECK(n.b.bind(s4, {b4, 50001}).error() == errc::address_in_use);
    REQUIRE(n.b.close(s1));
    CHECK(n.b.bind(s4, {b4, 50000}));  // freed by close
    CHECK(n.b.bind(s4, {b4, 50002}).error() == errc::invalid_argument);  // already bound
}

TEST_CASE("udp: bind refuses an address that is not the host's", "[udp][stack][errors]") {
    two_hosts n;
    CHECK(n.b.bind(udp_socket(n.b), {a4, 50000}).error() == errc::address_not_available);
    CHECK(n.b.bind(udp_socket(n.b), {*ip_address::from_string("198.51.100.7"), 1}).error() ==
          errc::address_not_available);
}

TEST_CASE("udp: well-known ports need privilege when the stack reserves them", "[udp][stack][errors]") {
    two_hosts n{{}, {.reserve_well_known_ports = true}};
    CHECK(n.b.bind(udp_socket(n.b), {b4, 53}).error() == errc::permission_denied);
    CHECK(n.b.bind(udp_socket(n.b), {b4, 1023}).error() == errc::permission_denied);
    CHECK(n.b.bind(udp_socket(n.b), {b4, 1024}));
    two_hosts root{{}, {.reserve_well_known_ports = true, .privileged = true}};
    CHECK(root.b.bind(udp_socket(root.b), {b4, 53}));
}

TEST_CASE("udp: ephemeral ports come from 49152-65535, distinct, until they run out", "[udp][stack][errors]") {
    two_hosts n{{}, {}, {.queue_datagrams = 1}};
    std::vector<bool> seen(65536);
    for (int i = 0; i < 16384; ++i) {
        auto e = n.b.bind(udp_socket(n.b), {b4, 0});
        REQUIRE(e);
        REQUIRE(classify_port(e->port) == port_range::dynamic);
        REQUIRE_FALSE(seen[e->port]);
        seen[e->port] = true;
    }
    CHECK(n.b.bind(udp_socket(n.b), {b4, 0}).error() == errc::no_ports_available);
    CHECK(n.b.bind(udp_socket(n.b), {b4, 40000}));  // fixed ports outside the range still work
}

TEST_CASE("udp: a closed or unknown socket is refused by every verb", "[udp][stack][errors]") {
    two_hosts n;
    auto s = udp_socket(n.a);
    REQUIRE(n.a.close(s));
    std::array<std::uint8_t, 8> buf{};
    CHECK(n.a.close(s).error() == errc::bad_socket);
    CHECK(n.a.bind(s, {a4, 1}).error() == errc::bad_socket);
    CHECK(n.a.sendto(s, text("x"), {b4, 1}, t0).error() == errc::bad_socket);
    CHECK(n.a.recvfrom(s, buf).error() == errc::bad_socket);
    CHECK(n.a.connect(s, {b4, 1}, t0).error() == errc::bad_socket);
    auto reused = udp_socket(n.a);  // the slot is reused, the old handle stays dead
    CHECK(reused.index == s.index);
    CHECK(n.a.close(s).error() == errc::bad_socket);
}

TEST_CASE("udp: send and recv need a connected socket, and a connected socket hears only its peer", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 50000}));
    auto c = udp_socket(n.a);
    std::array<std::uint8_t, 64> buf{};
    CHECK(n.a.send(c, text("x"), t0).error() == errc::not_connected);
    CHECK(n.a.recv(c, buf).error() == errc::not_connected);
    CHECK(n.a.connect(c, {b4, 0}, t0).error() == errc::invalid_argument);
    REQUIRE(n.a.connect(c, {b4, 50000}, t0));
    REQUIRE(n.a.send(c, text("ping"), t0));
    n.b.poll(t0);
    auto r = n.b.recvfrom(server, buf);
    REQUIRE(r);
    // A stranger writes to the connected client's port: dropped and counted.
    auto stranger = udp_socket(n.b);
    REQUIRE(n.b.sendto(stranger, text("spam"), r->from, t0));
    REQUIRE(n.b.sendto(server, text("pong"), r->from, t0));
    n.a.poll(t0);
    auto got = n.a.recv(c, buf);
    REQUIRE(got);
    CHECK(text(std::span{buf}.first(*got)) == "pong");
    CHECK(n.a.socket_stats(c)->rx_dropped_not_peer == 1);
    CHECK(udp_stats(n.a).rx_not_from_peer == 1);
}

TEST_CASE("udp: a full receive queue drops and counts, and keeps what it has", "[udp][stack]") {
    two_hosts n{{}, {}, {.queue_datagrams = 4}};
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    auto c = udp_socket(n.a);
    for (char i = 0; i < 6; ++i) REQUIRE(n.a.sendto(c, bytes{reinterpret_cast<std::uint8_t*>(&i), 1}, {b4, 9}, t0));
    n.b.poll(t0);
    CHECK(n.b.socket_stats(server)->rx_dropped_queue_full == 2);
    std::array<std::uint8_t, 4> buf{};
    for (std::uint8_t i = 0; i < 4; ++i) {
        REQUIRE(n.b.recvfrom(server, buf));
        CHECK(buf[0] == i);  // the first four, in order
    }
    CHECK(n.b.recvfrom(server, buf).error() == errc::would_block);
}

TEST_CASE("udp: a receive handler takes each datagram with its sender, and one it declines goes to recvfrom", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    auto client = udp_socket(n.a);
    std::vector<std::string> taken;
    std::vector<socket_address> senders;
    bool take = true;
    REQUIRE(n.b.set_recv_handler(server, [&](bytes d, const socket_address& from) {
        if (!take) return false;
        taken.emplace_back(text(d));
        senders.push_back(from);
        return true;
    }));
    const auto send = [&](std::string_view m) {
        REQUIRE(n.a.sendto(client, text(m), {b4, 9}, t0));
        n.b.poll(t0);
    };
    std::array<std::uint8_t, 64> buf{};
    send("one");
    send("");
    CHECK(taken == std::vector<std::string>{"one", ""});
    REQUIRE(senders.size() == 2);
    CHECK(senders[0] == socket_address{a4, n.a.local_address(client)->port});
    CHECK(n.b.recvfrom(server, buf).error() == errc::would_block);  // taken: not queued as well
    CHECK(udp_stats(n.b).rx_delivered == 2);
    CHECK(n.b.socket_stats(server)->rx_datagrams == 2);

    take = false;
    send("two");
    take = true;
    send("three");  // finds "two" queued: it queues behind it, so recvfrom keeps the order
    CHECK(taken.size() == 2);
    for (std::string_view m : {"two", "three"}) {
        auto r = n.b.recvfrom(server, buf);
        REQUIRE(r);
        CHECK(text(std::span{buf}.first(r->size)) == m);
    }
    send("four");  // the queue empty again: to the handler
    CHECK(taken.back() == "four");

    REQUIRE(n.b.set_recv_handler(server, udp::recv_handler{}));  // an empty handler stops it
    send("five");
    CHECK(taken.size() == 3);
    auto r = n.b.recvfrom(server, buf);
    REQUIRE(r);
    CHECK(text(std::span{buf}.first(r->size)) == "five");
}

TEST_CASE("udp: a receive handler may own what cannot be copied, and keeps it across datagrams", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    auto client = udp_socket(n.a);
    auto log = std::make_unique<std::vector<std::string>>();
    const auto* seen = log.get();
    // Move-only: the unique_ptr. std::function alone could not hold it.
    REQUIRE(n.b.set_recv_handler(server, [log = std::move(log)](bytes d, const socket_address&) {
        log->emplace_back(text(d));
        return true;
    }));
    for (std::string_view m : {"one", "two", "three"}) {
        REQUIRE(n.a.sendto(client, text(m), {b4, 9}, t0));
        n.b.poll(t0);
    }
    CHECK(*seen == std::vector<std::string>{"one", "two", "three"});  // one handler, its state kept
    std::array<std::uint8_t, 8> buf{};
    CHECK(n.b.recvfrom(server, buf).error() == errc::would_block);
}

TEST_CASE("udp: a connected socket's handler hears only its peer", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    auto peer = udp_socket(n.a), stranger = udp_socket(n.a);
    REQUIRE(n.a.bind(peer, {a4, 1000}));
    REQUIRE(n.b.connect(server, {a4, 1000}, t0));
    std::vector<std::string> taken;
    REQUIRE(n.b.set_recv_handler(server, [&](bytes d, const socket_address&) {
        taken.emplace_back(text(d));
        return true;
    }));
    REQUIRE(n.a.sendto(stranger, text("spam"), {b4, 9}, t0));
    REQUIRE(n.a.sendto(peer, text("ham"), {b4, 9}, t0));
    n.b.poll(t0);
    CHECK(taken == std::vector<std::string>{"ham"});
    CHECK(udp_stats(n.b).rx_not_from_peer == 1);
}

TEST_CASE("udp: a byte-stream handler, or a closed socket, is refused", "[udp][stack][errors]") {
    two_hosts n;
    auto s = udp_socket(n.b);
    CHECK(n.b.set_recv_handler(s, [](bytes in) { return in.size(); }).error() == errc::not_supported);
    REQUIRE(n.b.close(s, t0));
    CHECK(n.b.set_recv_handler(s, [](bytes, const socket_address&) { return true; }).error() == errc::bad_socket);
}

TEST_CASE("udp: a short receive buffer gets the head of the datagram and the truncated flag", "[udp][stack]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    REQUIRE(n.a.sendto(udp_socket(n.a), text("0123456789"), {b4, 9}, t0));
    n.b.poll(t0);
    std::array<std::uint8_t, 4> buf{};
    auto r = n.b.recvfrom(server, buf);
    REQUIRE(r);
    CHECK(r->truncated);
    CHECK(text(std::span{buf}.first(r->size)) == "0123");
}

TEST_CASE("udp: bad datagrams are dropped and counted per reason, good ones still arrive", "[udp][stack][errors]") {
    host_and_wire t;
    auto s = udp_socket(t.h);
    REQUIRE(t.h.bind(s, {b4, 50000}));

    auto good = host_and_wire::frame(1234, 50000, "Hello World");
    auto bad_sum = good;
    bad_sum[20 + 8] ^= 0x01;  // first payload byte
    auto bad_len = good;
    bad_len[20 + 5] += 1;  // UDP length one past the datagram
    auto no_socket = host_and_wire::frame(1234, 50001, "anyone?");
    auto no_checksum = host_and_wire::frame(1234, 50000, "unchecked");
    no_checksum[20 + 6] = no_checksum[20 + 7] = 0;  // RFC 768: zero means the sender computed none
    // IPv4 header edits keep the header checksum right, so only the edit is judged.
    auto reseal = [](std::vector<std::uint8_t>& f) {
        f[10] = f[11] = 0;
        store_be16(f.data() + 10, checksum::internet::compute(std::span{f}.first(20)));
    };
    auto fragment = good;
    fragment[6] |= 0x20;  // More Fragments
    reseal(fragment);
    auto not_for_us = host_and_wire::frame(1, 2, "x");
    not_for_us[19] = 99;  // 192.0.2.99
    reseal(not_for_us);
    auto bad_ip_sum = good;
    bad_ip_sum[8] -= 1;  // TTL changed, header checksum not

    for (auto* f : {&good, &bad_sum, &bad_len, &no_socket, &no_checksum, &fragment, &not_for_us, &bad_ip_sum})
        REQUIRE(t.wire.transmit(*f, t0));
    t.h.poll(t0);

    CHECK(udp_stats(t.h).rx_delivered == 2);
    CHECK(udp_stats(t.h).rx_bad_checksum == 1);
    CHECK(udp_stats(t.h).rx_truncated == 1);
    CHECK(udp_stats(t.h).rx_no_socket == 1);
    CHECK(t.h.ip_stats().rx_fragments == 1);
    CHECK(t.h.ip_stats().rx_not_for_us == 1);
    CHECK(t.h.ip_stats().rx_bad_checksum == 1);
    std::array<std::uint8_t, 64> buf{};
    CHECK(text(std::span{buf}.first(t.h.recvfrom(s, buf)->size)) == "Hello World");
    CHECK(text(std::span{buf}.first(t.h.recvfrom(s, buf)->size)) == "unchecked");
}

TEST_CASE("udp: frames the stack sends are valid IPv4/UDP with verified checksums", "[udp][stack]") {
    host_and_wire t;
    auto s = udp_socket(t.h);
    REQUIRE(t.h.sendto(s, text("Hello World"), {a4, 50000}, t0));
    std::array<std::uint8_t, 1500> f{};
    auto n = t.wire.receive(f, t0);
    REQUIRE(n);
    auto ip = wire::parse_ip(std::span{f}.first(*n));
    REQUIRE(ip);
    CHECK(ip->v4->verify_header_checksum());
    CHECK(ip->v4->dont_fragment());
    CHECK(ip->v4->ttl() == 64);
    auto u = wire::udp_repr::parse(ip->transport, ip->pseudo.bytes(), wire::udp_zero_checksum::invalid,
                                   checksum::internet{});
    REQUIRE(u);
    CHECK(u->dst_port == 50000);
    CHECK(text(u->payload) == "Hello World");
}

TEST_CASE("udp: recvfrom_until waits in virtual time and stops at the deadline", "[udp][stack][drive]") {
    two_hosts n;
    auto server = udp_socket(n.b);
    REQUIRE(n.b.bind(server, {b4, 9}));
    virtual_clock clk;
    std::array<std::uint8_t, 16> buf{};
    const instant deadline = clk.now() + std::chrono::seconds{2};
    CHECK(net::recvfrom_until(n.b, clk, server, buf, deadline).error() == errc::timed_out);
    CHECK(clk.now() == deadline);
    REQUIRE(n.a.sendto(udp_socket(n.a), text("late"), {b4, 9}, clk.now()));
    auto r = net::recvfrom_until(n.b, clk, server, buf, clk.now() + std::chrono::seconds{1});
    REQUIRE(r);
    CHECK(r->size == 4);
}

TEST_CASE("udp: over IPv6 a zero checksum is dropped even when the data would make it verify",
          "[udp][stack][ipv6][errors]") {
    // RFC 8200 §8.1. The payload is chosen so that the ones'-complement sum of
    // pseudo-header, header and data is 0xFFFF with the field at zero: the
    // computed checksum is 0x0000, sent as 0xFFFF, and a receiver that only
    // added up the words would accept a stored 0x0000 as well.
    host_and_wire t;
    auto s = udp_socket(t.h);
    REQUIRE(t.h.bind(s, {b6, 50000}));
    std::array<std::uint8_t, 2> payload{};
    auto probe = host_and_wire::frame6(50000, payload, 0);
    const auto pseudo = wire::pseudo_header::ipv6(a6.v6(), b6.v6(), wire::ip_protocol::udp, 10);
    const auto sum = wire::compute_checksum<checksum::internet>(pseudo.bytes(), std::span{probe}.subspan(40), 6);
    store_be16(payload.data(), sum);  // adding the checksum's own value makes every word sum to 0xFFFF
    auto verifies_with_zero = host_and_wire::frame6(50000, payload, 0);
    REQUIRE(wire::compute_checksum<checksum::internet>(pseudo.bytes(), std::span{verifies_with_zero}.subspan(40), 6) ==
            0);
    auto sent_properly = host_and_wire::frame6(50000, payload, 0xFFFF);
    REQUIRE(t.wire.transmit(verifies_with_zero, t0));
    REQUIRE(t.wire.transmit(sent_properly, t0));
    t.h.poll(t0);
    CHECK(udp_stats(t.h).rx_bad_checksum == 1);
    CHECK(udp_stats(t.h).rx_delivered == 1);
    std::array<std::uint8_t, 8> buf{};
    CHECK(t.h.recvfrom(s, buf));
    CHECK(t.h.recvfrom(s, buf).error() == errc::would_block);
}

TEST_CASE("udp: the pseudo-header carries UDP's length, so bytes after the datagram do not spoil it",
          "[udp][stack]") {
    // RFC 768: the checksum covers the datagram as its Length field says; an
    // IP payload may carry more (padding), which is not part of it.
    host_and_wire t;
    auto s = udp_socket(t.h);
    REQUIRE(t.h.bind(s, {b4, 50000}));
    auto f = host_and_wire::frame(1234, 50000, "Hello World");
    f.insert(f.end(), {0xAA, 0xBB, 0xCC, 0xDD});
    store_be16(f.data() + 2, static_cast<std::uint16_t>(f.size()));  // IPv4 total length covers the trailer
    f[10] = f[11] = 0;
    store_be16(f.data() + 10, checksum::internet::compute(std::span{f}.first(20)));
    REQUIRE(t.wire.transmit(f, t0));
    t.h.poll(t0);
    std::array<std::uint8_t, 64> buf{};
    auto r = t.h.recvfrom(s, buf);
    REQUIRE(r);
    CHECK(text(std::span{buf}.first(r->size)) == "Hello World");
    CHECK(udp_stats(t.h).rx_bad_checksum == 0);
}

TEST_CASE("udp: every port of the ephemeral range is reachable, the last one included", "[udp][stack]") {
    two_hosts n{{}, {}, {.queue_datagrams = 1}};
    std::vector<net::socket_id> sockets;
    net::socket_id holder_of_65535{};
    for (int i = 0; i < 16384; ++i) {
        sockets.push_back(udp_socket(n.b));
        auto e = n.b.bind(sockets.back(), {b4, 0});
        REQUIRE(e);
        if (e->port == 65535) holder_of_65535 = sockets.back();
    }
    REQUIRE(n.b.is_open(holder_of_65535));
    const auto last = sockets.back();
    const auto last_port = n.b.local_address(last)->port;
    REQUIRE(n.b.close(last));
    CHECK(n.b.bind(udp_socket(n.b), {b4, 0})->port == last_port);
    REQUIRE(n.b.close(holder_of_65535));
    CHECK(n.b.bind(udp_socket(n.b), {b4, 0})->port == 65535);
    CHECK(n.b.bind(udp_socket(n.b), {b4, 0}).error() == errc::no_ports_available);
}

TEST_CASE("udp: ephemeral ports are keyed on the destination and the secret (RFC 6056 algorithm 3)",
          "[udp][stack]") {
    const auto first_port = [](net::stack_config cfg, const ip_address& to) {
        two_hosts n{cfg};
        auto s = udp_socket(n.a);
        REQUIRE(n.a.sendto(s, text("x"), {to, 53}, t0));
        return n.a.local_address(s)->port;
    };
    const net::stack_config key1{.secret = {1}}, key2{.secret = {2}};
    const ip_address far1 = b4, far2 = *ip_address::from_string("192.0.2.77");
    CHECK(first_port(key1, far1) == first_port(key1, far1));  // a fixed secret repeats
    // Different secrets or destinations start the search elsewhere: of these
    // four draws from 16,384 ports, two equal by chance with odds ~1e-4.
    CHECK(first_port(key1, far1) != first_port(key2, far1));
    CHECK(first_port(key1, far1) != first_port(key1, far2));
}

TEST_CASE("udp: a configured TTL is the IPv4 TTL and the IPv6 hop limit of every frame sent", "[udp][stack]") {
    auto [near, far] = link::memory_pair();
    host h{std::move(near), {.addresses = {b4, b6}, .ttl = 17}};
    auto s = udp_socket(h);
    REQUIRE(h.sendto(s, text("v4"), {a4, 9}, t0));
    REQUIRE(h.sendto(s, text("v6"), {a6, 9}, t0).error() == errc::no_route);  // bound to the IPv4 wildcard
    auto s6 = udp_socket(h);
    REQUIRE(h.sendto(s6, text("v6"), {a6, 9}, t0));
    std::array<std::uint8_t, 1500> f{};
    auto n = far.receive(f, t0);
    REQUIRE(n);
    CHECK(wire::parse_ip(std::span{f}.first(*n))->v4->ttl() == 17);
    n = far.receive(f, t0);
    REQUIRE(n);
    CHECK(wire::parse_ip(std::span{f}.first(*n))->v6->hop_limit() == 17);
}

TEST_CASE("udp: a queue of zero datagrams is refused when the stack is configured", "[udp][stack][errors]") {
    auto [near, far] = link::memory_pair();
    auto made = host::create(std::move(near), {.addresses = {b4}}, udp_t{{.queue_datagrams = 0}});
    CHECK(made.error() == errc::invalid_argument);
    host direct{std::move(far), {.addresses = {a4}}, udp_t{{.queue_datagrams = 0}}};
    CHECK(direct.socket(net::socket_type::datagram).error() == errc::invalid_argument);
    auto [x, y] = link::memory_pair();
    CHECK(host::create(std::move(x), {.addresses = {b4}, .ttl = 0}).error() == errc::invalid_argument);
    auto ok = host::create(std::move(y), {.addresses = {b4}});
    REQUIRE(ok);
    CHECK(ok->socket(net::socket_type::datagram));
}

TEST_CASE("udp: a connect that fails leaves the socket unbound", "[udp][stack][errors]") {
    auto [near, far] = link::memory_pair();
    host v4_only{std::move(near), {.addresses = {b4}}};
    auto s = udp_socket(v4_only);
    CHECK(v4_only.connect(s, {a6, 9}, t0).error() == errc::no_route);
    CHECK_FALSE(v4_only.local_address(s));
    CHECK(v4_only.connect(s, {a4, 0}, t0).error() == errc::invalid_argument);
    CHECK_FALSE(v4_only.local_address(s));
    REQUIRE(v4_only.connect(s, {a4, 9}, t0));
    CHECK(v4_only.local_address(s));
}

TEST_CASE("udp: frames the link refuses are kept and sent, in order, once it takes them again", "[udp][stack]") {
    auto [near, far] = link::memory_pair({.mtu = 1500, .queue_frames = 2});
    host h{std::move(near), {.addresses = {b4}, .tx_pending_frames = 3}};
    auto s = udp_socket(h);
    for (std::uint8_t i = 0; i < 5; ++i) REQUIRE(h.sendto(s, bytes{&i, 1}, {a4, 9}, t0));
    CHECK(h.sendto(s, text("no room"), {a4, 9}, t0).error() == errc::queue_full);
    CHECK(h.stats().tx_deferred == 3);
    CHECK(h.wants_writable());
    std::array<std::uint8_t, 1500> f{};
    std::vector<std::uint8_t> order;
    for (int round = 0; round < 4 && order.size() < 5; ++round) {
        while (auto n = far.receive(f, t0)) order.push_back(f[*n - 1]);
        h.poll(t0);
    }
    CHECK(order == std::vector<std::uint8_t>{0, 1, 2, 3, 4});
    CHECK_FALSE(h.wants_writable());
    CHECK(h.stats().tx_frames == 5);
}
