// sim::drive_all_until (link/sim/drive.hpp): hosts polled only when due,
// with the outcome of net::drive_all_until, which polls every host at every
// event of the network.
#include "../support.hpp"

#include <catch2/catch.hpp>

#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;

namespace {

using tcp_t = tcp::endpoint<>;
using host = net::stack<link::sim::port, tcp_t>;

struct outcome {
    std::uint64_t received = 0, rounds = 0, events = 0;
    instant end{};
    bool done = false;
    tcp::counters sender, receiver;
    net::stack_counters a_stack, b_stack;
    link::sim::channel_counters bottleneck;
};

// 3 MB one way over a dumbbell whose bottleneck drops (a 20-frame queue and
// 1 % loss) and whose access link refuses (8 frames: the sender's stack
// keeps frames for later), read in small pieces so that window updates go
// out; with one driver or the other.
template <bool by_arrival>
outcome bulk(std::uint64_t seed) {
    link::sim::network net{{.seed = seed}};
    link::sim::channel_config bottleneck{.bandwidth_bps = 20'000'000, .delay = 5ms,
                                         .queue = link::sim::drop_tail_packets{20}};
    bottleneck.impair.loss = link::sim::bernoulli_loss{0.01};
    const std::array<duration, 1> access_delay{1ms};
    auto d = link::sim::dumbbell(
        net, {.sender_access = link::sim::dumbbell_config::access_links(
                  {.bandwidth_bps = 100'000'000, .queue = link::sim::drop_tail_packets{8}}, access_delay),
              .bottleneck = bottleneck,
              .reverse = {.bandwidth_bps = 20'000'000, .delay = 5ms}});
    tcp::endpoint_config ec{};
    ec.connection.send_buffer = ec.connection.receive_buffer = 256 * 1024;
    const auto a4 = *net::ip_address::from_string("192.0.2.1");
    const auto b4 = *net::ip_address::from_string("198.51.100.2");
    host a{d.senders[0], {.addresses = {a4}, .secret = {1}}, tcp_t{ec}};
    host b{d.receivers[0], {.addresses = {b4}, .secret = {2}}, tcp_t{ec}};
    const auto l = b.socket(net::socket_type::stream).value();
    REQUIRE(b.bind(l, {b4, 80}));
    REQUIRE(b.listen(l));
    const auto c = a.socket(net::socket_type::stream).value();
    virtual_clock clk;
    REQUIRE(a.connect(c, {b4, 80}, clk.now()));

    outcome o;
    constexpr std::uint64_t total = 3'000'000;
    static const std::array<std::uint8_t, 16 * 1024> chunk{};
    std::array<std::uint8_t, 3000> buf{};
    std::optional<net::socket_id> accepted;
    std::uint64_t sent = 0;
    const auto step = [&] {
        ++o.rounds;
        if (!accepted)
            if (auto s = b.accept(l)) accepted = *s;
        while (sent < total) {
            auto w = a.send(c, bytes{chunk}.first(std::min<std::size_t>(chunk.size(), total - sent)), clk.now());
            if (!w || *w == 0) break;
            sent += *w;
        }
        if (accepted)
            while (auto r = b.recv(*accepted, buf)) {
                if (*r == 0) break;
                o.received += *r;
            }
        return o.received == total;
    };
    const instant deadline = clk.now() + 60s;
    if constexpr (by_arrival) o.done = link::sim::drive_all_until(net, clk, deadline, step, a, b).has_value();
    else o.done = net::drive_all_until(clk, deadline, step, a, b).has_value();
    o.end = clk.now();
    o.events = net.events_processed();
    o.sender = a.transport<tcp_t>().connection_of(a.sockets().find(c)->local)->stats();
    if (accepted) o.receiver = b.transport<tcp_t>().connection_of(b.sockets().find(*accepted)->local)->stats();
    o.a_stack = a.stats();
    o.b_stack = b.stats();
    o.bottleneck = net.channel_at(d.bottleneck).counters();
    return o;
}

}  // namespace

TEST_CASE("sim driver: the outcome of polling every host at every event, with fewer rounds", "[sim][drive]") {
    std::uint64_t queue_drops = 0;
    for (const std::uint64_t seed : {1u, 2u}) {
        CAPTURE(seed);
        const outcome every = bulk<false>(seed), due = bulk<true>(seed);
        REQUIRE(every.done);
        REQUIRE(due.done);
        // The path did drop and refuse: losses, deferred frames (and queue drops, below).
        CHECK(every.bottleneck.lost > 0);
        CHECK(every.a_stack.tx_deferred > 0);
        CHECK(every.sender.retransmits_fast > 0);
        queue_drops += every.bottleneck.dropped_queue;
        CHECK(due.received == every.received);
        CHECK(due.end.time_since_epoch().count() == every.end.time_since_epoch().count());
        CHECK(due.events == every.events);
        CHECK(due.sender.segments_out == every.sender.segments_out);
        CHECK(due.sender.retransmits_fast == every.sender.retransmits_fast);
        CHECK(due.sender.retransmits_timeout == every.sender.retransmits_timeout);
        CHECK(due.receiver.segments_out == every.receiver.segments_out);
        CHECK(due.receiver.out_of_order_in == every.receiver.out_of_order_in);
        CHECK(due.a_stack.tx_deferred == every.a_stack.tx_deferred);
        CHECK(due.b_stack.rx_frames == every.b_stack.rx_frames);
        CHECK(due.bottleneck.lost == every.bottleneck.lost);
        CHECK(due.bottleneck.dropped_queue == every.bottleneck.dropped_queue);
        CHECK(due.rounds < every.rounds * 3 / 4);
    }
    CHECK(queue_drops > 0);
}

TEST_CASE("sim driver: nothing left to happen ends the wait where net::drive_all_until ends it", "[sim][drive]") {
    const auto run = [](bool by_arrival) {
        link::sim::network net;
        auto p = link::sim::point_to_point(net, {.delay = 3ms}, {.delay = 3ms});
        host a{p.a, {.addresses = {*net::ip_address::from_string("192.0.2.1")}}};
        virtual_clock clk;
        // A frame on its way to a port that no host reads (the hosts see nothing).
        REQUIRE(p.a.transmit(std::vector<std::uint8_t>(40), clk.now()));
        std::uint64_t asked = 0;
        const auto never = [&] {
            ++asked;
            return false;
        };
        const auto r = by_arrival ? link::sim::drive_all_until(net, clk, clk.now() + 1s, never, a)
                                  : net::drive_all_until(clk, clk.now() + 1s, never, a);
        CHECK(r == errc::timed_out);
        CHECK(net.port_deadline_mode() == link::sim::network::port_deadlines::network_wide);  // restored
        return clk.now();
    };
    const instant every = run(false), due = run(true);
    CHECK(every == instant{3ms});  // the frame's arrival, the last event
    CHECK(due == every);
}
