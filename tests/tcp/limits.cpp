// Resource limits (issue 13): past max_connections or the memory budget a
// connect() gets a typed error and a SYN is dropped, each with its counter;
// the budget comes back when connections end.
#include "../support.hpp"

#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

using tcp_t = tcp::endpoint<>;
using host = net::stack<link::memory_end, tcp_t>;

// Buffers of 16 KiB each way: a connection charges 32 KiB.
tcp::endpoint_config small_buffers(std::uint64_t budget, std::uint32_t max_connections = 1 << 20) {
    tcp::endpoint_config c;
    c.connection.send_buffer = c.connection.receive_buffer = 16 * 1024;
    c.memory_budget = budget;
    c.max_connections = max_connections;
    return c;
}

struct pair {
    explicit pair(tcp::endpoint_config ca, tcp::endpoint_config cb)
        : pair{link::memory_pair({.mtu = 1500, .queue_frames = 1024}), ca, cb} {}
    pair(std::pair<link::memory_end, link::memory_end> p, tcp::endpoint_config ca, tcp::endpoint_config cb)
        : a{std::move(p.first), {.addresses = {a4}, .secret = {1}}, tcp_t{ca}},
          b{std::move(p.second), {.addresses = {b4}, .secret = {2}}, tcp_t{cb}} {}
    host a, b;
    virtual_clock clk;
    bool run(auto&& done) { return net::drive_all_until(clk, clk.now() + 5s, done, a, b).has_value(); }
};

}  // namespace

TEST_CASE("limits: past the memory budget connect() says out_of_memory and counts it, and a closed connection "
          "gives its share back", "[tcp][limits][security]") {
    pair n{small_buffers(2 * 32 * 1024), {}};
    const auto l = n.b.socket(net::socket_type::stream).value();
    REQUIRE(n.b.bind(l, {b4, 80}));
    REQUIRE(n.b.listen(l, 8));
    std::vector<net::socket_id> c;
    for (int i = 0; i < 3; ++i) c.push_back(n.a.socket(net::socket_type::stream).value());
    REQUIRE(n.a.connect(c[0], {b4, 80}, n.clk.now()));
    REQUIRE(n.a.connect(c[1], {b4, 80}, n.clk.now()));
    const auto third = n.a.connect(c[2], {b4, 80}, n.clk.now());
    REQUIRE_FALSE(third);
    CHECK(third.error() == errc::out_of_memory);
    CHECK(n.a.transport<tcp_t>().stats().connects_over_budget == 1);

    REQUIRE(n.a.abort(c[0], n.clk.now()));
    REQUIRE(n.run([&] { return n.a.transport<tcp_t>().connections() == 1; }));
    REQUIRE(n.a.connect(c[2], {b4, 80}, n.clk.now()));
}

TEST_CASE("limits: a listener past its budget or max_connections drops the SYN and counts it, and the client "
          "retransmits into the room a closed connection leaves", "[tcp][limits][security]") {
    pair n{{}, small_buffers(1 << 30, 1)};
    const auto l = n.b.socket(net::socket_type::stream).value();
    REQUIRE(n.b.bind(l, {b4, 80}));
    REQUIRE(n.b.listen(l, 8));
    const auto first = n.a.socket(net::socket_type::stream).value();
    const auto second = n.a.socket(net::socket_type::stream).value();
    REQUIRE(n.a.connect(first, {b4, 80}, n.clk.now()));
    REQUIRE(n.run([&] { return n.a.writable(first); }));
    REQUIRE(n.a.connect(second, {b4, 80}, n.clk.now()));
    REQUIRE(n.run([&] { return n.b.transport<tcp_t>().stats().rx_over_budget >= 1; }));
    CHECK_FALSE(n.a.writable(second));
    CHECK(n.b.transport<tcp_t>().connections() == 1);

    // The first goes away; the second's retransmitted SYN finds room.
    auto accepted = n.b.accept(l);
    REQUIRE(accepted);
    REQUIRE(n.b.abort(*accepted, n.clk.now()));
    REQUIRE(n.run([&] { return n.a.writable(second); }));
}
