// Traces of what the SYN's options bring: window scaling, timestamps (RTTM,
// TS.Recent, PAWS), SACK blocks, the effective MSS; and the timers of an
// idle or stalled connection: keep-alive and the user timeout.
#include "trace.hpp"

using namespace l4;
using namespace l4::trace;

namespace {

wire::tcp_options all_options(std::uint8_t shift, std::uint32_t tsval, std::uint32_t tsecr = 0) {
    wire::tcp_options o;
    o.window_scale = shift;
    o.sack_permitted = true;
    o.ts = wire::timestamps{tsval, tsecr};
    return o;
}

// ESTABLISHED by an active open whose SYN-ACK carried every option.
conn established_with_options(tcp::config cfg = small(), std::uint8_t peer_shift = 7) {
    conn c{cfg, seq32{iss}, t0};
    const auto syn = poll(c, t0);
    REQUIRE(syn.size() == 1);
    REQUIRE(syn[0].options.ts);
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000, all_options(peer_shift, 7000, syn[0].options.ts->tsval)},
            t0 + 10ms);
    (void)poll(c, t0 + 10ms);
    REQUIRE(c.current_state() == tcp::state::established);
    return c;
}

}  // namespace

TEST_CASE("tcp options: the window shift is the smallest that covers the receive buffer", "[tcp][options]") {
    CHECK(tcp::window_shift_for(65535) == 0);
    CHECK(tcp::window_shift_for(65536) == 1);
    CHECK(tcp::window_shift_for(1 << 20) == 5);
    CHECK(tcp::window_shift_for(1u << 30) == 14);
    CHECK(tcp::window_shift_for(0xFFFFFFFF) == 14);  // RFC 7323 §2.3: never above 14
}

TEST_CASE("tcp options: the SYN offers MSS, window scale, SACK-permitted and timestamps, its window unscaled",
          "[tcp][options][trace]") {
    auto cfg = small();
    cfg.receive_buffer = 1 << 20;
    conn c{cfg, seq32{iss}, t0};
    const auto out = poll(c, t0);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::syn);
    CHECK(out[0].options.mss == 1000);
    CHECK(out[0].options.window_scale == 5);
    CHECK(out[0].options.sack_permitted);
    REQUIRE(out[0].options.ts);
    CHECK(out[0].options.ts->tsecr == 0);
    CHECK(out[0].window == 65535);  // RFC 7323 §2.2: a SYN's window is the buffer, capped, never scaled
}

TEST_CASE("tcp options: an option the SYN-ACK did not carry is not used", "[tcp][options][trace]") {
    conn c = established();  // the SYN-ACK carried an MSS alone
    CHECK_FALSE(c.options().window_scaling());
    CHECK_FALSE(c.options().sack());
    CHECK_FALSE(c.options().timestamps());
    CHECK(c.snd_mss() == 1000);
    REQUIRE(c.send(as_bytes(text(10))));
    const auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK_FALSE(out[0].options.ts);
    CHECK(out[0].window == 8 * 1024);  // unscaled
}

TEST_CASE("tcp options: with both SYNs offering, windows are scaled each way", "[tcp][options][trace]") {
    auto cfg = small();
    cfg.receive_buffer = 256 * 1024;  // shift 3
    conn c = established_with_options(cfg, 7);
    CHECK(c.options().rcv_wscale() == 3);
    CHECK(c.options().snd_wscale() == 7);
    CHECK(c.snd_wnd() == 65535);  // the SYN-ACK's window, never scaled
    deliver(c, {irs + 1, iss + 1, f::ack, 100, {}, {}, all_options(7, 7001)}, t0 + 20ms);
    CHECK(c.snd_wnd() == 100u << 7);
    REQUIRE(c.send(as_bytes(text(10))));
    const auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].window == (256 * 1024) >> 3);
}

TEST_CASE("tcp options: a passive open answers only what the SYN offered", "[tcp][options][trace]") {
    wire::tcp_repr syn;
    syn.seq_number = seq32{irs};
    syn.flags.bits = f::syn;
    syn.window = 65535;
    syn.options.mss = 1200;
    syn.options.sack_permitted = true;
    SECTION("SACK-permitted alone") {
        conn c{small(), seq32{iss}, syn, t0};
        const auto out = poll(c, t0);
        REQUIRE(out.size() == 1);
        CHECK(out[0].options.sack_permitted);
        CHECK_FALSE(out[0].options.window_scale);
        CHECK_FALSE(out[0].options.ts);
        CHECK(c.options().sack());
        CHECK_FALSE(c.options().timestamps());
    }
    SECTION("everything: TSecr echoes the SYN's TSval") {
        syn.options = all_options(2, 424242);
        syn.options.mss = 1200;
        conn c{small(), seq32{iss}, syn, t0};
        const auto out = poll(c, t0);
        REQUIRE(out.size() == 1);
        CHECK(out[0].options.window_scale == 0);  // an 8 KiB buffer needs no shift, but the option is there
        CHECK(out[0].options.sack_permitted);
        REQUIRE(out[0].options.ts);
        CHECK(out[0].options.ts->tsecr == 424242);
        CHECK(c.snd_mss() == 1000 - 12);  // RFC 9293 §3.7.1: our MSS (the smaller), less the timestamps
    }
}

TEST_CASE("tcp options: data segments leave room for the timestamps every segment carries", "[tcp][options][trace]") {
    auto cfg = small();
    cfg.nodelay = true;  // the last, short segment leaves at once
    conn c = established_with_options(cfg);
    CHECK(c.snd_mss() == 988);
    REQUIRE(c.send(as_bytes(text(2000))));
    const auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 3);
    CHECK(out[0].payload.size() == 988);
    CHECK(out[1].payload.size() == 988);
    CHECK(out[2].payload.size() == 24);
    for (const auto& s : out) CHECK(s.options.ts);
}

TEST_CASE("tcp options: a delayed ACK echoes the TSval of the earliest segment it acknowledges (RFC 7323 §4.3)",
          "[tcp][options][timestamps][trace]") {
    conn c = established_with_options();
    const std::string a = text(1000, 'a'), b = text(1000, 'b');
    deliver(c, {irs + 1, iss + 1, f::ack, 512, a, {}, all_options(7, 8000)}, t0 + 20ms);
    CHECK(poll(c, t0 + 20ms).empty());  // the first full segment waits
    deliver(c, {irs + 1001, iss + 1, f::ack, 512, b, {}, all_options(7, 8005)}, t0 + 25ms);
    const auto out = poll(c, t0 + 25ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 2001});
    REQUIRE(out[0].options.ts);
    CHECK(out[0].options.ts->tsecr == 8000);
    CHECK(c.options().ts_recent() == 8000);
}

TEST_CASE("tcp options: PAWS drops a segment whose TSval is older than TS.Recent and answers with an ACK",
          "[tcp][options][timestamps][paws][trace]") {
    conn c = established_with_options();
    deliver(c, {irs + 1, iss + 1, f::ack, 512, "new", {}, all_options(7, 9000)}, t0 + 20ms);
    (void)poll(c, t0 + 20ms + 200ms);
    CHECK(c.options().ts_recent() == 9000);
    deliver(c, {irs + 4, iss + 1, f::ack, 512, "old", {}, all_options(7, 8999)}, t0 + 300ms);
    CHECK(c.stats().dropped_paws == 1);
    CHECK(c.recv_queue() == 3);  // only the first segment's bytes
    const auto out = poll(c, t0 + 300ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::ack);
    CHECK(out[0].ack == seq32{irs + 4});
}

TEST_CASE("tcp options: the timestamp echo gives an RTT sample even for a retransmission (RFC 7323 §4.1)",
          "[tcp][options][timestamps][rtt][trace]") {
    conn c = established_with_options();
    CHECK(c.rto().srtt() == 10ms);  // the SYN's round trip
    REQUIRE(c.send(as_bytes(text(100))));
    const instant sent = t0 + 100ms;
    REQUIRE(poll(c, sent).size() == 1);
    const instant rto_at = c.next_deadline().value();
    const auto again = poll(c, rto_at);
    REQUIRE(again.size() == 1);
    CHECK(c.stats().retransmits_timeout == 1);
    REQUIRE(again[0].options.ts);
    // The ACK echoes the retransmission's TSval: 30 ms after it left.
    deliver(c, {irs + 1, iss + 101, f::ack, 512, {}, {}, all_options(7, 7100, again[0].options.ts->tsval)},
            rto_at + 30ms);
    CHECK(c.snd_una() == seq32{iss + 101});
    CHECK(c.rto().srtt() == 12500us);  // 7/8 · 10 ms + 1/8 · 30 ms; Karn's rule alone would have taken none
}

TEST_CASE("tcp options: out-of-order data is acknowledged at once with SACK blocks, the latest first (RFC 2018 §4)",
          "[tcp][options][sack][trace]") {
    conn c = established_with_options();
    deliver(c, {irs + 1001, iss + 1, f::ack, 512, text(500), {}, all_options(7, 8000)}, t0 + 20ms);
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 1});
    REQUIRE(out[0].options.sack_count == 1);
    CHECK(out[0].options.sack[0].left == seq32{irs + 1001});
    CHECK(out[0].options.sack[0].right == seq32{irs + 1501});
    deliver(c, {irs + 3001, iss + 1, f::ack, 512, text(500), {}, all_options(7, 8001)}, t0 + 21ms);
    out = poll(c, t0 + 21ms);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].options.sack_count == 2);
    CHECK(out[0].options.sack[0].left == seq32{irs + 3001});  // the block of the segment just received
    CHECK(out[0].options.sack[1].left == seq32{irs + 1001});
    // The hole fills: the blocks go as the data becomes in order.
    deliver(c, {irs + 1, iss + 1, f::ack, 512, text(1000), {}, all_options(7, 8002)}, t0 + 22ms);
    out = poll(c, t0 + 22ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 1501});
    REQUIRE(out[0].options.sack_count == 1);
    CHECK(out[0].options.sack[0].left == seq32{irs + 3001});
}

TEST_CASE("tcp keep-alive: an idle connection is probed, an answer keeps it, silence ends it",
          "[tcp][keepalive][trace]") {
    auto cfg = small();
    cfg.keepalive = true;
    cfg.keep_idle = 10s;
    cfg.keep_interval = 1s;
    cfg.keep_count = 3;
    conn c = established(cfg);
    const instant idle = t0 + 10ms;
    CHECK(c.next_deadline() == idle + 10s);
    auto out = poll(c, idle + 10s);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == seq32{iss});  // snd.una − 1: the peer must answer with an ACK
    CHECK(out[0].payload.empty());
    deliver(c, {irs + 1, iss + 1, f::ack}, idle + 10s + 5ms);
    CHECK(c.next_deadline() == idle + 20s + 5ms);  // the answer restarts the idle time
    for (int probe = 0; probe < 3; ++probe) {
        const instant at = c.next_deadline().value();
        REQUIRE(poll(c, at).size() == 1);
    }
    CHECK(c.stats().keepalive_probes == 4);
    CHECK(c.current_state() == tcp::state::established);
    (void)poll(c, c.next_deadline().value());
    CHECK(c.current_state() == tcp::state::closed);
    CHECK(c.error() == errc::timed_out);
}

TEST_CASE("tcp: the user timeout ends a connection whose data stays unacknowledged that long (RFC 5482)",
          "[tcp][user_timeout][trace]") {
    auto cfg = small();
    cfg.user_timeout = 5s;
    conn c = established(cfg);
    const instant sent = t0 + 100ms;
    REQUIRE(c.send(as_bytes(text(100))));
    REQUIRE(poll(c, sent).size() == 1);
    instant now = sent;
    for (int i = 0; i < 20 && c.current_state() != tcp::state::closed; ++i) {
        now = c.next_deadline().value();
        (void)poll(c, now);
    }
    CHECK(c.current_state() == tcp::state::closed);
    CHECK(c.error() == errc::timed_out);
    CHECK(now == sent + 5s);  // not at the next backoff
}

TEST_CASE("tcp: an ICMP error ends a handshake, and later explains a timeout (RFC 1122 §4.2.3.9)",
          "[tcp][icmp][trace]") {
    SECTION("SYN-SENT") {
        conn c{small(), seq32{iss}, t0};
        (void)poll(c, t0);
        c.on_icmp_error(errc::connection_refused);
        CHECK(c.current_state() == tcp::state::closed);
        CHECK(c.error() == errc::connection_refused);
    }
    SECTION("ESTABLISHED") {
        auto cfg = small();
        cfg.max_retransmissions = 2;
        conn c = established(cfg);
        c.on_icmp_error(errc::no_route);
        CHECK(c.current_state() == tcp::state::established);
        REQUIRE(c.send(as_bytes(text(10))));
        (void)poll(c, t0 + 20ms);
        for (int i = 0; i < 10 && c.current_state() != tcp::state::closed; ++i) (void)poll(c, c.next_deadline().value());
        CHECK(c.current_state() == tcp::state::closed);
        CHECK(c.error() == errc::no_route);
    }
}
