// The simulator's port lends: frames built in a pool slot and read where
// they lie (link/concept.hpp's optional lending), with the same deliveries
// and counters as the copying calls, and never a slot the first channel
// might refuse.
#include "../support.hpp"

#include <catch2/catch.hpp>

#include "sim_support.hpp"

#include <algorithm>
#include <array>

using namespace l4::link::sim;
using namespace l4::link::sim::test;
using l4::duration;
using l4::instant;

static_assert(l4::link::lends_transmit<port> && l4::link::lends_receive<port>);

namespace {

struct arrival {
    std::int64_t at;
    std::vector<std::uint8_t> bytes;
    bool operator==(const arrival&) const = default;
};

// 3000 frames of varying size from a to b over a lossy, jittery, queueing
// channel, sent by copy or built in lent slots, read by copy or lent.
struct outcome {
    std::vector<arrival> got;
    l4::link::link_counters a, b;
    channel_counters ab;
    std::uint64_t events = 0;
};
outcome run(bool lend_tx, bool lend_rx) {
    network net{{.seed = 7}};
    auto link = point_to_point(
        net,
        {.bandwidth_bps = 50'000'000, .delay = 2ms, .queue = drop_tail_packets{20},
         .impair = {.loss = bernoulli_loss{0.01}, .duplicate = 0.01, .jitter = {100us, jitter_shape::uniform}}},
        {.delay = 2ms});
    port &a = link.a, &b = link.b;
    outcome o;
    std::vector<std::uint8_t> frame, buf(1500);
    const auto drain = [&](instant t) {
        if (lend_rx) {
            while (auto f = b.receive_lent(t)) {
                o.got.push_back({ns_of(t), {f->begin(), f->end()}});
                b.release_received();
            }
        } else {
            while (auto n = b.receive(buf, t)) o.got.push_back({ns_of(t), {buf.begin(), buf.begin() + *n}});
        }
    };
    for (std::uint64_t i = 0; i < 3000; ++i) {
        const instant t = at(duration{static_cast<std::int64_t>(i) * 100'000});  // 61 Mbit/s offered
        drain(t);
        fill_numbered(frame, i, 60 + (i * 37) % 1400);
        const l4::mut_bytes slot = lend_tx ? a.transmit_buffer() : l4::mut_bytes{};
        if (!slot.empty()) {
            std::copy(frame.begin(), frame.end(), slot.begin());
            (void)a.transmit_built(frame.size(), t);
        } else {
            (void)a.transmit(frame, t);  // what the stack does when nothing is lent
        }
    }
    while (auto d = net.next_deadline()) {
        net.run_until(*d);
        drain(*d);
    }
    o.a = a.counters();
    o.b = b.counters();
    o.ab = net.channel_at(link.a_to_b).counters();
    o.events = net.events_processed();
    return o;
}

}  // namespace

TEST_CASE("a port lends: the same deliveries, times and counters as copying", "[sim][port][lending]") {
    const outcome copied = run(false, false), lent = run(true, true), mixed = run(true, false);
    REQUIRE(copied.got.size() > 2500);
    CHECK(copied.ab.dropped_queue > 0);  // the queue filled: some frames were refused, by copy
    CHECK(lent.got == copied.got);
    CHECK(mixed.got == copied.got);
    CHECK(lent.events == copied.events);
    CHECK(lent.a.tx_frames == copied.a.tx_frames);
    CHECK(lent.a.tx_dropped_full == copied.a.tx_dropped_full);
    CHECK(lent.b.rx_frames == copied.b.rx_frames);
    CHECK(lent.b.rx_bytes == copied.b.rx_bytes);
    CHECK(lent.ab.delivered == copied.ab.delivered);
}

TEST_CASE("a port lends no slot the first channel might refuse", "[sim][port][lending]") {
    SECTION("a full drop-tail queue") {
        network net{{.mtu = 1000}};
        auto link = point_to_point(net, {.bandwidth_bps = 1'000'000, .queue = drop_tail_packets{1}}, {});
        const std::vector<std::uint8_t> f(500);
        REQUIRE(link.a.transmit_buffer().size() == 1000);  // idle wire
        REQUIRE(link.a.transmit(f, at(0ns)));              // on the wire
        REQUIRE(link.a.transmit_buffer().size() == 1000);  // room for one waiting
        REQUIRE(link.a.transmit(f, at(0ns)));
        CHECK(link.a.transmit_buffer().empty());  // a third would be refused
        CHECK(link.a.transmit(f, at(0ns)) == l4::errc::queue_full);
        // Once the wire is free again (4 ms a frame), a slot is lent.
        net.run_until(at(4ms));
        CHECK(link.a.transmit_buffer().size() == 1000);
    }
    SECTION("a byte limit that the largest frame could pass") {
        network net{{.mtu = 1000}};
        auto link = point_to_point(net, {.bandwidth_bps = 1'000'000, .queue = drop_tail_bytes{1500}}, {});
        const std::vector<std::uint8_t> f(400);
        REQUIRE(link.a.transmit(f, at(0ns)));  // on the wire
        REQUIRE(link.a.transmit(f, at(0ns)));  // 400 waiting: 400 + 1000 fits
        CHECK_FALSE(link.a.transmit_buffer().empty());
        REQUIRE(link.a.transmit(f, at(0ns)));  // 800 waiting: a 1000-byte frame would not fit
        CHECK(link.a.transmit_buffer().empty());
        CHECK(link.a.transmit(f, at(0ns)));  // though this one does, by copy
    }
    SECTION("RED draws at random") {
        network net;
        auto link = point_to_point(net, {.bandwidth_bps = 1'000'000, .queue = red_config{}}, {});
        CHECK(link.a.transmit_buffer().empty());
    }
    SECTION("a channel that frames from elsewhere in the network may fill") {
        network net;
        const channel_id shared = net.add_channel({.bandwidth_bps = 1'000'000, .queue = drop_tail_packets{1}});
        const channel_id feeder = net.add_channel({.delay = 1ms});
        port p = net.add_port(), q = net.add_port(), sink = net.add_port();
        net.route(p, std::array{shared}, sink);
        net.route(q, std::array{feeder, shared}, sink);
        CHECK(p.transmit_buffer().empty());
        CHECK_FALSE(q.transmit_buffer().empty());
    }
    SECTION("no route") {
        network net;
        port lonely = net.add_port();
        CHECK(lonely.transmit_buffer().empty());
        CHECK(lonely.transmit_built(10, at(0ns)) == l4::errc::invalid_argument);  // nothing was lent
    }
}

TEST_CASE("a lent slot: too large a frame keeps it, and a received frame stays put until released",
          "[sim][port][lending]") {
    network net{{.mtu = 600}};
    auto [a, b, ab, ba] = point_to_point(net, {.delay = 1ms}, {.delay = 1ms});
    (void)ab, (void)ba;
    CHECK(a.transmit_built(10, at(0ns)) == l4::errc::invalid_argument);  // nothing lent yet
    const l4::mut_bytes slot = a.transmit_buffer();
    REQUIRE(slot.size() == 600);
    CHECK(a.transmit_built(601, at(0ns)) == l4::errc::frame_too_large);
    CHECK(a.counters().tx_dropped_too_big == 1);
    CHECK(a.transmit_buffer().data() == slot.data());  // still lent: the same slot
    const auto f = numbered_frame(42, 300);
    std::copy(f.begin(), f.end(), slot.begin());
    REQUIRE(a.transmit_built(f.size(), at(0ns)));
    CHECK(a.counters().tx_frames == 1);
    CHECK(a.counters().tx_bytes == 300);

    CHECK_FALSE(b.receive_lent(at(999us)));  // not due yet
    const auto got = b.receive_lent(at(1ms));
    REQUIRE(got);
    CHECK(got->data() == slot.data());  // where it was built: no copy on the way
    CHECK(std::equal(got->begin(), got->end(), f.begin(), f.end()));
    CHECK(b.counters().rx_frames == 0);
    // Transmitting meanwhile leaves it alone.
    REQUIRE(b.transmit(numbered_frame(7, 500), at(1ms)));
    REQUIRE(b.transmit_buffer().size() == 600);
    CHECK(number_of(*b.receive_lent(at(1ms))) == 42);
    CHECK(b.pending() == 1);
    b.release_received();
    CHECK(b.counters().rx_frames == 1);
    CHECK(b.counters().rx_bytes == 300);
    CHECK(b.pending() == 0);
    CHECK_FALSE(b.receive_lent(at(1s)));
    b.release_received();  // nothing lent: nothing happens
    CHECK(b.counters().rx_frames == 1);
    // The one slot b still holds lent, and a's frame back at a.
    CHECK(net.pool().in_use() == 2);
}
