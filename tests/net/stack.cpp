// The stack as a carrier of transports: a transport written here, in the
// test, plugs in beside UDP with nothing changed in the library; timers,
// the send pass and ICMP work for every transport the same way.
#include "../support.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>
#include <l4/wire/icmp.hpp>
#include <l4/wire/udp.hpp>

#include <array>
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
const instant t0{};

bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// A toy transport on protocol 253 (RFC 3692, experiments): every packet is a
// one-byte "port" and a payload; it counts what it receives and, on a timer
// it arms when a socket binds, sends one "tick" packet to the last sender.
// Written only here: the stack knows it through net/transport.hpp alone.
struct ticker {
    static constexpr std::uint8_t ip_protocol = 253;
    static constexpr wire::socket_type socket_kind = wire::socket_type::stream;

    std::vector<std::uint8_t> ports;  // per socket; 0 = unbound
    std::uint64_t received = 0, ticks_fired = 0;
    std::optional<ip_address> last_sender;
    timer_handle tick{};

    result<void> check_config() const { return {}; }
    template <class Host>
    void start(Host&) {}
    result<std::uint32_t> open() {
        ports.push_back(0);
        return static_cast<std::uint32_t>(ports.size() - 1);
    }
    template <class Host>
    result<void> close(Host& host, std::uint32_t, instant) {
        host.remove_timer(tick);
        return {};
    }
    template <class Host>
    result<socket_address> bind(Host& host, std::uint32_t id, const socket_address& local) {
        ports[id] = static_cast<std::uint8_t>(local.port);
        tick = host.add_timer(*this, 42);
        host.arm_timer(tick, instant{} + 10ms);
        return local;
    }
    template <class Host>
    wire::input_verdict input(Host&, const wire::ip_packet& p, instant) {
        if (p.transport.empty()) return wire::input_verdict::dropped;
        for (auto port : ports)
            if (port == p.transport[0]) {
                ++received;
                last_sender = ip_address{p.v4->src()};
                return wire::input_verdict::accepted;
            }
        return wire::input_verdict::port_unreachable;
    }
    template <class Host>
    void on_timer(Host& host, std::uint64_t key, instant) {
        REQUIRE(key == 42);
        ++ticks_fired;
        if (!last_sender) return;
        const ip_address to = *last_sender;
        (void)host.transmit(*host.source_for(to), to, ip_protocol, 5, [](mut_bytes out) -> result<std::size_t> {
            std::copy_n("\x07tick", 5, out.begin());
            return 5;
        });
    }
    template <class Host>
    void poll(Host&, instant) {}
    std::optional<instant> next_deadline() const { return std::nullopt; }
};

using udp_t = udp::endpoint<>;
using two_transports = net::stack<link::memory_end, udp_t, ticker>;

std::vector<std::uint8_t> frame_253(std::uint8_t port) {
    std::vector<std::uint8_t> f(21);
    wire::ipv4_repr ip{a4.v4(), b4.v4(), 253, 64, 1, true, 0, 0, 1};
    REQUIRE(ip.emit(f));
    f[20] = port;
    return f;
}

}  // namespace

TEST_CASE("stack: a transport written outside the library plugs in beside UDP", "[net][stack][transport]") {
    static_assert(net::check_transport<ticker, two_transports::host_view>());
    auto [near, far] = link::memory_pair();
    two_transports h{std::move(near), {.addresses = {b4}}};
    auto stream = h.socket(net::socket_type::stream);
    auto dgram = h.socket(net::socket_type::datagram);
    REQUIRE(stream);
    REQUIRE(dgram);
    // The same port number in two transports at once: each has its own table.
    REQUIRE(h.bind(*stream, {b4, 7}));
    REQUIRE(h.bind(*dgram, {b4, 7}));
    // Verbs a transport lacks answer not_supported; a handle never reaches another transport's socket.
    std::array<std::uint8_t, 8> buf{};
    CHECK(h.recvfrom(*stream, buf).error() == errc::not_supported);
    CHECK(h.transport<ticker>().ports.size() == 1);

    REQUIRE(far.transmit(frame_253(7), t0));
    REQUIRE(far.transmit(frame_253(9), t0));  // nobody there
    h.poll(t0);
    CHECK(h.transport<ticker>().received == 1);
    CHECK(h.stats().rx_port_unreachable == 1);
    // The stack answered port 9 with ICMP, as it does for UDP.
    std::array<std::uint8_t, 1500> f{};
    auto n = far.receive(f, t0);
    REQUIRE(n);
    auto icmp = wire::parse_ip(std::span{f}.first(*n));
    REQUIRE(icmp);
    CHECK(icmp->protocol == wire::ip_protocol::icmp);
    CHECK(icmp->transport[0] == 3);  // destination unreachable
    CHECK(icmp->transport[1] == 3);  // port unreachable
}

TEST_CASE("stack: a transport's timer sets the stack's deadline and fires once, at poll", "[net][stack][timers]") {
    auto [near, far] = link::memory_pair();
    two_transports h{std::move(near), {.addresses = {b4}}};
    constexpr instant none = instant::max();
    CHECK_FALSE(h.next_deadline());
    CHECK(h.next_deadline_or(none) == none);
    auto s = h.socket(net::socket_type::stream);
    REQUIRE(h.bind(*s, {b4, 7}));
    CHECK(h.next_deadline() == instant{} + 10ms);
    CHECK(h.next_deadline_or(none) == instant{} + 10ms);
    REQUIRE(far.transmit(frame_253(7), t0));
    CHECK(h.next_deadline_or(none) == t0);  // the frame waiting in the link is earlier
    h.poll(instant{} + 9ms);
    CHECK(h.transport<ticker>().ticks_fired == 0);
    h.poll(instant{} + 25ms);  // late is fine
    CHECK(h.transport<ticker>().ticks_fired == 1);
    h.poll(instant{} + 50ms);
    CHECK(h.transport<ticker>().ticks_fired == 1);
    CHECK_FALSE(h.next_deadline());
    CHECK(h.next_deadline_or(none) == none);
    std::array<std::uint8_t, 1500> f{};
    auto n = far.receive(f, instant{} + 25ms);  // sent when the timer fired
    REQUIRE(n);
    auto p = wire::parse_ip(std::span{f}.first(*n));
    REQUIRE(p);
    CHECK(p->protocol == 253);
    CHECK(p->v4->dst() == a4.v4());
    CHECK(p->transport.size() == 5);
    // Closing removes the timer; its stale handle is harmless.
    auto s2 = h.socket(net::socket_type::stream);
    REQUIRE(h.bind(*s2, {b4, 8}));
    REQUIRE(h.close(*s2));
    CHECK_FALSE(h.next_deadline());
}

TEST_CASE("stack: sockets of every transport share one table of handles", "[net][stack]") {
    auto [near, far] = link::memory_pair();
    two_transports h{std::move(near), {.addresses = {b4}}};
    auto u = *h.socket(net::socket_type::datagram);
    auto t = *h.socket(net::socket_type::stream);
    CHECK(u.index != t.index);
    CHECK(h.sockets().size() == 2);
    REQUIRE(h.close(u));
    auto again = *h.socket(net::socket_type::stream);
    CHECK(again.index == u.index);  // the free slot is reused
    CHECK(again.generation != u.generation);
    CHECK(h.close(u).error() == errc::bad_socket);
    CHECK(h.sockets().size() == 2);
}

TEST_CASE("stack: a UDP datagram to a closed port gets ICMP port unreachable, IPv4 and IPv6", "[net][stack][icmp]") {
    auto [near, far] = link::memory_pair();
    net::stack host{std::move(near), {.addresses = {b4, b6}}};
    auto [n2, f2] = link::memory_pair();
    net::stack peer{std::move(n2), {.addresses = {a4, a6}}};
    // Frames travel by hand between `far` (host's wire) and the peer's raw end.
    auto c4 = *peer.socket(net::socket_type::datagram), c6 = *peer.socket(net::socket_type::datagram);
    REQUIRE(peer.connect(c4, {b4, 9}, t0));
    REQUIRE(peer.connect(c6, {b6, 9}, t0));
    REQUIRE(peer.send(c4, text("anyone?"), t0));
    REQUIRE(peer.send(c6, text("anyone?"), t0));
    std::array<std::uint8_t, 1500> f{};
    const auto carry = [&](auto& from, auto& to) {
        int frames = 0;
        while (auto n = from.receive(f, t0)) {
            REQUIRE(to.transmit(std::span{f}.first(*n), t0));
            ++frames;
        }
        return frames;
    };
    CHECK(carry(f2, far) == 2);
    host.poll(t0);
    CHECK(host.stats().rx_port_unreachable == 2);
    CHECK(host.icmp_stats().tx_errors == 2);
    CHECK(carry(far, f2) == 2);
    peer.poll(t0);
    // A connected socket reports it on its next call, once, as Linux does.
    std::array<std::uint8_t, 64> buf{};
    CHECK(peer.readable(c4));
    CHECK(peer.recv(c4, buf).error() == errc::connection_refused);
    CHECK(peer.recv(c4, buf).error() == errc::would_block);
    CHECK(peer.send(c6, text("again"), t0).error() == errc::connection_refused);
    CHECK(peer.send(c6, text("again"), t0));
    CHECK(peer.stats().rx_icmp_flow_errors == 2);
}

TEST_CASE("stack: echo requests are answered, so ping works", "[net][stack][icmp]") {
    auto [near, far] = link::memory_pair();
    net::stack host{std::move(near), {.addresses = {b4, b6}}};
    const std::array<std::uint8_t, 4> data{1, 2, 3, 4};
    const auto req = wire::icmpv4_repr::echo_request(77, 1, data);
    std::vector<std::uint8_t> frame(20 + req.buffer_len());
    REQUIRE(req.emit(std::span{frame}.subspan(20), checksum::internet{}));
    wire::ipv4_repr ip{a4.v4(), b4.v4(), wire::ip_protocol::icmp, 64, 1, true, 0, 0,
                       static_cast<std::uint16_t>(req.buffer_len())};
    REQUIRE(ip.emit(frame));
    REQUIRE(far.transmit(frame, t0));
    host.poll(t0);
    std::array<std::uint8_t, 1500> f{};
    auto n = far.receive(f, t0);
    REQUIRE(n);
    auto p = wire::parse_ip(std::span{f}.first(*n));
    REQUIRE(p);
    CHECK(p->v4->dst() == a4.v4());
    auto reply = wire::icmpv4_repr::parse(p->transport, checksum::internet{});
    REQUIRE(reply);
    CHECK(*reply == wire::icmpv4_repr::echo_reply(77, 1, data));
}

TEST_CASE("stack: port unreachable is rate limited by the configured bucket", "[net][stack][icmp]") {
    auto ends = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
    auto& far = ends.second;  // a name a lambda can capture (clang 14 cannot capture structured bindings)
    net::stack host{std::move(ends.first), {.addresses = {b4}, .icmp = {.errors_per_second = 10, .error_burst = 3}}};
    const auto probe = [&](std::uint16_t port) {
        std::vector<std::uint8_t> f(28);
        wire::ipv4_repr ip{a4.v4(), b4.v4(), wire::ip_protocol::udp, 64, 1, true, 0, 0, 8};
        REQUIRE(ip.emit(f));
        const auto ph = wire::pseudo_header::ipv4(a4.v4(), b4.v4(), wire::ip_protocol::udp, 8);
        REQUIRE(wire::udp_repr{1000, port, {}}.emit(std::span{f}.subspan(20), ph.bytes(), checksum::internet{}));
        REQUIRE(far.transmit(f, t0));
    };
    for (std::uint16_t p = 1; p <= 10; ++p) probe(p);
    host.poll(t0);
    CHECK(host.icmp_stats().tx_errors == 3);
    CHECK(host.icmp_stats().tx_errors_rate_limited == 7);
    probe(11);
    host.poll(t0 + 100ms);  // one token a tenth of a second
    CHECK(host.icmp_stats().tx_errors == 4);
}
