// A channel's timing (serialisation and propagation, to the nanosecond) and
// its queue policies: drop-tail by packets and by bytes, and RED.
#include "../support.hpp"

#include <catch2/catch.hpp>

#include "sim_support.hpp"

#include <cmath>

using namespace l4::link::sim;
using namespace l4::link::sim::test;
using l4::duration;
using l4::instant;

TEST_CASE("1500 B at 10 Mbit/s with 5 ms of propagation arrives 6.2 ms later, to the nanosecond",
          "[sim][channel]") {
    network net;
    auto [a, b, ab, ba] = point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 5ms}, {});
    (void)ba;
    const std::vector<std::uint8_t> frame(1500, 0xab);
    std::vector<std::uint8_t> buf(1500);

    REQUIRE(a.transmit(frame, at(0ns)));
    REQUIRE(a.transmit(frame, at(0ns)));  // waits for the first: back to back
    // Each crossing is planned when the frame is taken: the only events are
    // the arrivals, 1.2 ms of serialisation and 5 ms of propagation later.
    CHECK(net.channel_at(ab).queue().packets() == 1);
    CHECK(net.next_deadline() == at(6200us));
    net.run_until(at(1200us));
    CHECK(net.channel_at(ab).counters().delivered == 0);

    CHECK(b.receive(buf, at(6200us - 1ns)) == l4::errc::would_block);
    CHECK(b.next_deadline() == at(6200us));
    const auto n = b.receive(buf, at(6200us));
    REQUIRE(n);
    CHECK(*n == 1500);
    CHECK(buf == frame);
    CHECK(b.receive(buf, at(7400us - 1ns)) == l4::errc::would_block);
    CHECK(b.receive(buf, at(7400us)));
    CHECK_FALSE(net.next_deadline());
    CHECK(net.channel_at(ab).counters().delivered == 2);
}

TEST_CASE("serialisation rounds each frame up to the nanosecond and carries the fraction", "[sim][channel]") {
    // 1 byte at 3 Mbit/s is 2666.67 ns: ends 2666.7, 5333.3, 8000.
    network net;
    auto link = point_to_point(net, {.bandwidth_bps = 3'000'000}, {});
    const std::vector<std::uint8_t> one{1};
    for (int i = 0; i < 3; ++i) REQUIRE(link.a.transmit(one, at(0ns)));
    const auto got = send_periodic(net, link.a, link.b, 0, 1, 1ns);
    REQUIRE(got.size() == 3);
    CHECK(got[0].at_ns == 2667);
    CHECK(got[1].at_ns == 5334);
    CHECK(got[2].at_ns == 8000);
}

TEST_CASE("the long-run rate is exactly the configured bandwidth", "[sim][channel]") {
    // 3000 frames of 1000 B at 3 Mbit/s, all offered at once: the last one
    // leaves at 3000·8000/3e6 s = 8 s exactly, with no rounding piled up.
    network net;
    auto link = point_to_point(net, {.bandwidth_bps = 3'000'000, .queue = drop_tail_packets{3000}}, {});
    const std::vector<std::uint8_t> frame(1000);
    for (int i = 0; i < 3000; ++i) REQUIRE(link.a.transmit(frame, at(0ns)));
    const auto got = send_periodic(net, link.a, link.b, 0, 1, 1ns);
    REQUIRE(got.size() == 3000);
    CHECK(got.back().at_ns == 8'000'000'000);
    CHECK(got[0].at_ns == 2'666'667);  // 2 666 666.67, rounded up
    CHECK(got[1].at_ns == 5'333'334);  // 5 333 333.33, rounded up
}

TEST_CASE("drop-tail by packets: a burst fills the queue to its limit, the rest is refused", "[sim][queue]") {
    network net;
    auto [a, b, ab, ba] =
        point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 1ms, .queue = drop_tail_packets{10}}, {});
    (void)ba;
    const std::vector<std::uint8_t> frame(1000);
    int taken = 0, refused = 0;
    for (int i = 0; i < 100; ++i) {
        const auto r = a.transmit(frame, at(0ns));
        if (r) ++taken;
        else if (r.error() == l4::errc::queue_full) ++refused;
    }
    CHECK(taken == 11);  // one on the wire, ten waiting
    CHECK(refused == 89);
    CHECK(a.counters().tx_dropped_full == 89);
    net.run_until(at(1s));
    const auto c = net.channel_at(ab).counters();
    CHECK(c.offered == 100);
    CHECK(c.dropped_queue == 89);
    CHECK(c.queue_hwm_packets == 10);
    CHECK(c.delivered == 11);
    CHECK(b.pending() == 11);
}

TEST_CASE("drop-tail by bytes counts bytes exactly", "[sim][queue]") {
    network net;
    auto [a, b, ab, ba] = point_to_point(net, {.bandwidth_bps = 1'000'000, .queue = drop_tail_bytes{5000}}, {});
    (void)b, (void)ba;
    const std::vector<std::uint8_t> big(1500), small(500), tiny(1);
    REQUIRE(a.transmit(big, at(0ns)));  // on the wire
    REQUIRE(a.transmit(big, at(0ns)));  // waiting: 1500
    REQUIRE(a.transmit(big, at(0ns)));  // 3000
    REQUIRE(a.transmit(big, at(0ns)));  // 4500
    CHECK(a.transmit(big, at(0ns)) == l4::errc::queue_full);  // would be 6000
    REQUIRE(a.transmit(small, at(0ns)));                        // exactly 5000
    CHECK(a.transmit(tiny, at(0ns)) == l4::errc::queue_full);
    const auto c = net.channel_at(ab).counters();
    CHECK(c.queue_hwm_bytes == 5000);
    CHECK(c.queue_hwm_packets == 4);
    CHECK(c.dropped_queue == 2);
}

TEST_CASE("offered load above the rate: the queue drops the excess and never passes its limit", "[sim][queue]") {
    // 1500 B frames every 0.6 ms into 10 Mbit/s (1.2 ms each): twice the rate.
    SECTION("packets") {
        network net;
        auto link = point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 2ms, .queue = drop_tail_packets{20}}, {});
        const auto got = send_periodic(net, link.a, link.b, 5000, 1500, 600us);
        const auto c = net.channel_at(link.a_to_b).counters();
        CHECK(c.queue_hwm_packets == 20);
        CHECK(c.dropped_queue == Approx(2500).margin(25));
        CHECK(got.size() == c.delivered);
        // The link ran flat out: one frame every 1.2 ms once busy.
        CHECK(got.back().at_ns - got.front().at_ns == static_cast<std::int64_t>(got.size() - 1) * 1'200'000);
    }
    SECTION("bytes") {
        network net;
        auto link =
            point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 2ms, .queue = drop_tail_bytes{20'000}}, {});
        const auto got = send_periodic(net, link.a, link.b, 5000, 1500, 600us);
        const auto c = net.channel_at(link.a_to_b).counters();
        CHECK(c.queue_hwm_bytes <= 20'000);
        CHECK(c.queue_hwm_bytes == 19'500);  // 13 frames; a 14th would pass 20 000
        CHECK(c.dropped_queue == Approx(2500).margin(25));
        CHECK(c.queued + c.dropped_queue == 5000);
    }
}

TEST_CASE("RED: drop gaps are uniform, as Floyd & Jacobson's count makes them", "[sim][queue][red]") {
    // w_q = 1 makes the average the instantaneous queue; hold it at 10
    // packets: p_b = 0.1·(10 − 5)/(15 − 5) = 0.05. With Fig. 2's count the
    // gap between drops is uniform on 1 .. 1/p_b − 1 = 19, so one arrival in
    // 10 is dropped, and no gap is longer than 20.
    input_queue q{red_config{.min_th = 5, .max_th = 15, .max_p = 0.1, .w_q = 1, .limit = 100}, 77, 10'000'000};
    for (int i = 0; i < 10; ++i) q.push({100, 0});
    int drops = 0, gap = 0, longest = 0;
    const int n = 100'000;
    for (int i = 0; i < n; ++i) {
        ++gap;
        if (!q.admit(100, true, i)) {
            ++drops;
            longest = std::max(longest, gap);
            gap = 0;
        }
    }
    CHECK(static_cast<double>(drops) / n == Approx(0.1).epsilon(0.03));
    CHECK(longest <= 20);
    CHECK(q.stats().red_early == static_cast<std::uint64_t>(drops));
    CHECK(q.stats().red_forced == 0);
}

TEST_CASE("RED: nothing dropped below min_th, everything at max_th and above", "[sim][queue][red]") {
    const red_config cfg{.min_th = 5, .max_th = 15, .max_p = 0.1, .w_q = 1, .limit = 100};
    input_queue q{cfg, 1, 10'000'000};
    for (int i = 0; i < 4; ++i) q.push({100, 0});
    for (int i = 0; i < 1000; ++i) REQUIRE(q.admit(100, true, i));
    for (int i = 4; i < 15; ++i) q.push({100, 0});
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(q.admit(100, true, i));
    CHECK(q.stats().red_forced == 1000);
}

TEST_CASE("RED: the average decays while the wire is idle", "[sim][queue][red]") {
    // s = 500 B at 10 Mbit/s = 400 us; after 10 s idle, m = 25 000 and
    // (1 − 0.002)^25000 ≈ 2e-22.
    input_queue q{red_config{}, 1, 10'000'000};
    for (int i = 0; i < 30; ++i) q.push({100, 0});
    for (int i = 0; i < 2000; ++i) (void)q.admit(100, true, 0);
    const double before = q.red_average();
    CHECK(before > 15);
    while (!q.empty()) (void)q.pop();
    q.on_idle(0);
    CHECK(q.admit(100, false, 10'000'000'000));
    CHECK(q.red_average() < 1e-20);
    CHECK(q.red_average() == Approx(before * std::pow(0.998, 25'000)).epsilon(1e-9));
}

TEST_CASE("RED on a channel drops early, keeping the queue short, where drop-tail fills it", "[sim][queue][red]") {
    // Offered: 1.1 times the rate. To match the rate RED must drop 1 in 11,
    // p_b ≈ 0.045, an average near 9.5 packets: between the thresholds.
    const auto overload = [](queue_config q) {
        network net;
        auto link = point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 1ms, .queue = q}, {});
        (void)send_periodic(net, link.a, link.b, 10'000, 1500, 1091us);  // 1.2 ms / 1.1
        return std::pair{net.channel_at(link.a_to_b).counters(), net.channel_at(link.a_to_b).queue().stats()};
    };
    const auto [red, red_stats] =
        overload(red_config{.min_th = 5, .max_th = 15, .max_p = 0.1, .w_q = 0.02, .limit = 100});
    CHECK(red_stats.red_early > 0);
    CHECK(red_stats.red_forced == 0);
    CHECK(red_stats.overflow == 0);
    CHECK(red.queue_hwm_packets < 30);
    CHECK(red.dropped_queue == Approx(10'000 / 11.0).epsilon(0.1));

    const auto [tail, tail_stats] = overload(drop_tail_packets{100});
    CHECK(tail.queue_hwm_packets == 100);
    CHECK(tail_stats.overflow == tail.dropped_queue);
}

TEST_CASE("RED's physical limit holds a burst its slow average lets through", "[sim][queue][red]") {
    // With w_q = 0.002 the average barely moves during a burst: RED admits,
    // the buffer of 10 packets refuses the rest.
    network net;
    auto link = point_to_point(net, {.bandwidth_bps = 10'000'000, .queue = red_config{.limit = 10}}, {});
    const std::vector<std::uint8_t> frame(1000);
    int taken = 0;
    for (int i = 0; i < 100; ++i) taken += link.a.transmit(frame, at(0ns)) ? 1 : 0;
    CHECK(taken == 11);
    const auto& q = net.channel_at(link.a_to_b).queue();
    CHECK(q.stats().overflow == 89);
    CHECK(q.stats().red_early + q.stats().red_forced == 0);
    CHECK(q.stats().hwm_packets == 10);
}

TEST_CASE("a channel without a bit rate has no queue: a burst arrives whole, in order, at once", "[sim][channel]") {
    network net;
    auto link = point_to_point(net, {.delay = 2ms, .queue = drop_tail_packets{0}}, {});
    for (std::uint64_t i = 0; i < 1000; ++i) REQUIRE(link.a.transmit(numbered_frame(i, 64), at(0ns)));
    const auto got = send_periodic(net, link.a, link.b, 0, 1, 1ns);
    REQUIRE(got.size() == 1000);
    for (std::uint64_t i = 0; i < 1000; ++i) {
        CHECK(got[i].number == i);
        CHECK(got[i].at_ns == ns(2ms));
    }
}

TEST_CASE("a frame leaves the queue the nanosecond it starts: a full queue has room again then, and says when",
          "[sim][queue]") {
    network net;
    auto [a, b, ab, ba] =
        point_to_point(net, {.bandwidth_bps = 10'000'000, .delay = 5ms, .queue = drop_tail_packets{1}}, {});
    (void)b, (void)ba;
    const std::vector<std::uint8_t> frame(1500);
    REQUIRE(a.transmit(frame, at(0ns)));  // on the wire until 1.2 ms
    REQUIRE(a.transmit(frame, at(0ns)));  // waits, starts at 1.2 ms
    CHECK(a.transmit(frame, at(0ns)) == l4::errc::queue_full);
    // The refusal asks for an event when there is room: before any arrival.
    CHECK(net.next_deadline() == at(1200us));
    CHECK(a.transmit(frame, at(1200us - 1ns)) == l4::errc::queue_full);
    REQUIRE(a.transmit(frame, at(1200us)));  // the second went onto the wire at this very instant
    CHECK(net.channel_at(ab).queue().packets() == 1);
    CHECK(net.channel_at(ab).counters().queue_hwm_packets == 1);
}

TEST_CASE("a channel of no length passes frames on at once, with no event of its own", "[sim][channel]") {
    // sender -> 10 Mbit/s, 1 ms -> a channel with neither rate nor delay -> receiver
    network net;
    const auto wire = net.add_channel({.bandwidth_bps = 10'000'000, .delay = 1ms});
    const auto none = net.add_channel({});
    port a = net.add_port(), b = net.add_port();
    const std::array hops{wire, none};
    net.route(a, hops, b);
    const std::vector<std::uint8_t> frame(1250);  // 1 ms on the wire
    REQUIRE(a.transmit(frame, at(0ns)));
    net.run_until(at(10ms));
    CHECK(net.events_processed() == 1);  // the arrival at the end of `wire`
    CHECK(b.next_deadline() == at(2ms));
    CHECK(net.channel_at(none).counters().delivered == 1);
    CHECK(b.pending() == 1);
}
