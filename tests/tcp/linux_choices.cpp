// The choices the RFCs leave open, made as Linux makes them when a config
// asks (quick_acks, push_per_write: linux_choices.hpp); off, the default
// behaviour stays (connection.cpp tests it).
#include "trace.hpp"

using namespace l4;
using namespace l4::trace;

TEST_CASE("linux choices: quick-ACK mode acknowledges the first data segments at once, then delays",
          "[tcp][trace][ack][linux]") {
    auto cfg = small();
    cfg.quick_acks = 2;
    auto c = established(cfg);
    instant t = t0 + 30ms;
    std::uint32_t seq = irs + 1;
    for (int i = 0; i < 2; ++i, t += 1ms, seq += 4) {
        deliver(c, {seq, iss + 1, f::ack, 65535, "aaaa"}, t);
        auto out = poll(c, t);
        REQUIRE(out.size() == 1);  // RFC 1122 §4.2.3.2 would let it wait 200 ms
        CHECK(out[0].ack == seq32{seq + 4});
    }
    deliver(c, {seq, iss + 1, f::ack, 65535, "aaaa"}, t);
    CHECK(poll(c, t).empty());  // the budget is spent: delayed as by default
    CHECK(c.next_deadline() == t + 200ms);
    // After an idle time longer than the RTO, quick ACKs again.
    (void)poll(c, t + 200ms);
    const instant later = t + 5s;
    deliver(c, {seq + 4, iss + 1, f::ack, 65535, "bbbb"}, later);
    CHECK(poll(c, later).size() == 1);
}

TEST_CASE("linux choices: a reply within the delayed-ACK time makes the exchange interactive (no quick ACK)",
          "[tcp][trace][ack][linux]") {
    auto cfg = small();
    cfg.quick_acks = 16;
    cfg.nodelay = true;
    auto c = established(cfg);
    const instant t = t0 + 30ms;
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "request"}, t);
    REQUIRE(poll(c, t).size() == 1);
    REQUIRE(c.send(as_bytes(text(10))));
    REQUIRE(poll(c, t + 1ms).size() == 1);  // the reply carries the ACK
    deliver(c, {irs + 8, iss + 11, f::ack, 65535, "next"}, t + 2ms);
    CHECK(poll(c, t + 2ms).empty());  // ping-pong: delayed
}

TEST_CASE("linux choices: PSH on each write's last segment and where slow start's window cuts a burst",
          "[tcp][trace][send][linux]") {
    auto cfg = small();
    cfg.push_per_write = true;
    cfg.nodelay = true;
    cfg.initial_window = 3000;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(1000))).value() == 1000);
    REQUIRE(c.send(as_bytes(text(3000))).value() == 3000);
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 3);  // cwnd is 3000
    CHECK((out[0].flags & f::psh) != 0);  // the first write's last byte
    CHECK((out[1].flags & f::psh) == 0);
    CHECK((out[2].flags & f::psh) != 0);  // the burst's last segment: cwnd is full, 1000 bytes wait
    // The default marks only the last byte queued: nothing here.
    auto d = established([] {
        auto k = small();
        k.nodelay = true;
        k.initial_window = 3000;
        return k;
    }());
    REQUIRE(d.send(as_bytes(text(1000))).value() == 1000);
    REQUIRE(d.send(as_bytes(text(3000))).value() == 3000);
    for (const auto& s : poll(d, t0 + 20ms)) CHECK((s.flags & f::psh) == 0);
}

TEST_CASE("linux choices: push marks survive retransmission and go with the ACK", "[tcp][linux]") {
    tcp::push_marks m;
    m.on_write(seq32{100}, seq32{100 + 5000}, 1000, 4000);
    // Forced pushes where more than half the largest window (2000) was written since the last PSH.
    CHECK(m.push(seq32{2100}, seq32{3100}));
    CHECK_FALSE(m.push(seq32{100}, seq32{1100}));
    CHECK(m.push(seq32{4100}, seq32{5100}));  // the write's end
    m.on_ack(seq32{3100});
    CHECK_FALSE(m.push(seq32{2100}, seq32{3100}));
    CHECK(m.push(seq32{4100}, seq32{5100}));
}

TEST_CASE("linux choices: Linux's TSO size goal, half a millisecond at its pacing rate, 2 segments at least",
          "[tcp][linux]") {
    using tcp::push_marks;
    // 2·cwnd/SRTT in slow start: 10 segments over 100 ms is 200 kB/s, 100 bytes a half millisecond.
    CHECK(push_marks::skb_size_goal(1000, 10'000, 0xFFFFFFFF, 0, 100ms, 65535) == 2000);
    // 1.2·cwnd/SRTT past ssthresh/2: 200 segments of 1460 over 10 ms, 35 MB/s, 17,520 bytes: 12 segments.
    CHECK(push_marks::skb_size_goal(1460, 292'000, 300'000, 0, 10ms, 1'000'000) == 12 * 1460);
    // At most 64 KB less the headers, and half the largest window.
    CHECK(push_marks::skb_size_goal(1460, 2'920'000, 0xFFFFFFFF, 0, 1ms, 1'000'000) == 44 * 1460);
    CHECK(push_marks::skb_size_goal(1000, 2'920'000, 0xFFFFFFFF, 0, 1ms, 9000) == 4000);
    // No RTT sample: no pacing rate, so the bounds alone.
    CHECK(push_marks::skb_size_goal(1000, 10'000, 0xFFFFFFFF, 0, std::nullopt, 20'000) == 10'000);
}

TEST_CASE("linux choices: PSH where the TSO size goal cuts a write, once data was acknowledged",
          "[tcp][trace][send][linux]") {
    auto cfg = small();  // MSS 1000
    cfg.push_per_write = true;
    cfg.push_per_skb = true;
    cfg.nodelay = true;
    auto c = established(cfg);  // SRTT 10 ms
    // No data acknowledged yet, so Linux has no pacing rate: the write is one skb, PSH at its end only.
    REQUIRE(c.send(as_bytes(text(3000))).value() == 3000);
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 3);
    CHECK((out[0].flags & f::psh) == 0);
    CHECK((out[1].flags & f::psh) == 0);
    CHECK((out[2].flags & f::psh) != 0);
    deliver(c, {irs + 1, iss + 3001, f::ack}, t0 + 30ms);
    // Paced now: half a millisecond at 2·cwnd/SRTT is under 2 segments, so skbs of 2000 bytes.
    REQUIRE(c.send(as_bytes(text(4500))).value() == 4500);
    out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 5);
    const bool expected_psh[] = {false, true, false, true, true};
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(((out[i].flags & f::psh) != 0) == expected_psh[i]);
    // A fast retransmission keeps the PSH of the skb end inside it (Linux resends the skb's tail piece).
    deliver(c, {irs + 1, iss + 4001, f::ack}, t0 + 40ms);
    for (int i = 0; i < 3; ++i) deliver(c, {irs + 1, iss + 4001, f::ack}, t0 + 41ms + std::chrono::milliseconds{i});
    out = poll(c, t0 + 43ms);
    REQUIRE_FALSE(out.empty());
    CHECK(out[0].seq == seq32{iss + 4001});
    CHECK(out[0].payload.size() == 1000);
    CHECK((out[0].flags & f::psh) != 0);
    // Without push_per_skb the same writes carry PSH at their ends only.
    cfg.push_per_skb = false;
    auto d = established(cfg);
    REQUIRE(d.send(as_bytes(text(3000))).value() == 3000);
    (void)poll(d, t0 + 20ms);
    deliver(d, {irs + 1, iss + 3001, f::ack}, t0 + 30ms);
    REQUIRE(d.send(as_bytes(text(4500))).value() == 4500);
    out = poll(d, t0 + 30ms);
    REQUIRE(out.size() == 5);
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(((out[i].flags & f::psh) != 0) == (i == 4));
}

namespace {
// ESTABLISHED with SACK permitted (as RFC 8985's probe needs) and a 10 ms first RTT sample.
conn established_with_sack(tcp::config cfg) {
    conn c{cfg, seq32{iss}, t0};
    (void)poll(c, t0);
    wire::tcp_options o;
    o.sack_permitted = true;
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000, o}, t0 + 10ms);
    (void)poll(c, t0 + 10ms);
    REQUIRE(c.options().sack());
    return c;
}
}  // namespace

TEST_CASE("linux choices: a tail loss probe at 2·SRTT resends the last segment, and the RTO restarts from it",
          "[tcp][trace][rto][linux]") {
    auto cfg = small();
    cfg.nodelay = true;
    cfg.tail_loss_probe = true;
    auto c = established_with_sack(cfg);
    const instant sent = t0 + 20ms;
    REQUIRE(c.send(as_bytes(text(3000))).value() == 3000);
    REQUIRE(poll(c, sent).size() == 3);
    // RFC 8985 §7.2: PTO = 2·SRTT (+ 2 ms, as Linux, with more than one segment out), before the 1 s RTO.
    REQUIRE(c.next_deadline() == sent + 22ms);
    auto out = poll(c, sent + 22ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == seq32{iss + 1 + 2000});
    CHECK(out[0].payload.size() == 1000);
    CHECK(c.stats().tail_loss_probes == 1);
    CHECK(c.stats().retransmits_timeout == 0);
    CHECK(c.next_deadline() == sent + 22ms + 1s);  // the RTO, restarted from the probe
    CHECK(poll(c, sent + 500ms).empty());          // one probe until an ACK passes it
    // Off (the default), the RTO alone.
    auto cfg_off = cfg;
    cfg_off.tail_loss_probe = false;
    auto d = established_with_sack(cfg_off);
    REQUIRE(d.send(as_bytes(text(3000))).value() == 3000);
    REQUIRE(poll(d, sent).size() == 3);
    CHECK(d.next_deadline() == sent + 1s);
}

TEST_CASE("linux choices: the FIN rides on the last data segment", "[tcp][trace][close][linux]") {
    auto cfg = small();
    cfg.fin_with_data = true;
    auto c = established(cfg);
    REQUIRE(c.send(as_bytes(text(500))).value() == 500);
    REQUIRE(c.close());
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK((out[0].flags & f::fin) != 0);
    CHECK(out[0].payload.size() == 500);
    CHECK(c.current_state() == tcp::state::fin_wait_1);
    deliver(c, {irs + 1, iss + 1 + 501, f::ack}, t0 + 30ms);
    CHECK(c.current_state() == tcp::state::fin_wait_2);
    // By default the FIN is a segment of its own.
    auto d = established();
    REQUIRE(d.send(as_bytes(text(500))).value() == 500);
    REQUIRE(d.close());
    out = poll(d, t0 + 20ms);
    REQUIRE(out.size() == 2);
    CHECK(out[1].flags == (f::fin | f::ack));
}

// Not profile choices: RFC behaviour the corpus showed missing, for every connection.
TEST_CASE("tcp trace: close with received data unread sends RST|ACK (RFC 1122 §4.2.2.13)", "[tcp][trace][rst]") {
    auto c = established();
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "unread"}, t0 + 20ms);
    REQUIRE(c.close());
    auto out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == (f::rst | f::ack));
    CHECK(out[0].seq == seq32{iss + 1});
    CHECK(out[0].ack == seq32{irs + 7});
    CHECK(c.current_state() == tcp::state::closed);
}

TEST_CASE("tcp trace: the RST for data after close goes at SEG.ACK, where the peer stands (RFC 5961 §3.2)",
          "[tcp][trace][rst]") {
    auto c = established();
    REQUIRE(c.close());
    REQUIRE(poll(c, t0 + 20ms).size() == 1);  // the FIN, iss + 1
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "late"}, t0 + 30ms);  // the peer has not got it
    auto out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);
    CHECK((out[0].flags & f::rst) != 0);
    CHECK(out[0].seq == seq32{iss + 1});  // snd.max (iss + 2) would be in its window but not exact
}
