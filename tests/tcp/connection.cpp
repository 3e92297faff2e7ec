// The connection as traces: from a named state, a segment in, the segments
// out, in virtual time (RFC 9293 §3.10.7's rules, one behaviour per test).
#include "trace.hpp"

#include <array>
#include <memory>
#include <string>
#include <string_view>

using namespace l4;
using namespace l4::trace;

TEST_CASE("tcp trace: active open sends SYN with our MSS, SYN-ACK in, ACK out, ESTABLISHED", "[tcp][trace][open]") {
    conn c{small(), seq32{iss}, t0};
    CHECK(c.current_state() == tcp::state::syn_sent);
    auto out = poll(c, t0);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::syn);
    CHECK(out[0].seq == seq32{iss});
    CHECK(out[0].mss == 1000);
    deliver(c, {irs, iss + 1, f::syn | f::ack, 4000, {}, 536}, t0 + 20ms);
    CHECK(c.current_state() == tcp::state::established);
    CHECK(c.snd_mss() == 536);  // the smaller of the two
    out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::ack);
    CHECK(out[0].seq == seq32{iss + 1});
    CHECK(out[0].ack == seq32{irs + 1});
    CHECK(c.rto().srtt() == 20ms);  // the SYN's round trip is the first sample
}

TEST_CASE("tcp trace: passive open answers SYN with SYN-ACK and the ACK completes it", "[tcp][trace][open]") {
    wire::tcp_repr syn;
    syn.seq_number = seq32{irs};
    syn.flags.bits = f::syn;
    syn.window = 65535;
    conn c{small(), seq32{iss}, syn, t0};
    CHECK(c.current_state() == tcp::state::syn_received);
    CHECK(c.snd_mss() == 536);  // RFC 9293 §3.7.1: no MSS option, 536 assumed
    auto out = poll(c, t0);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == (f::syn | f::ack));
    CHECK(out[0].ack == seq32{irs + 1});
    deliver(c, {irs + 1, iss + 1, f::ack}, t0 + 1ms);
    CHECK(c.current_state() == tcp::state::established);
}

TEST_CASE("tcp trace: simultaneous open goes through SYN-RECEIVED on both sides", "[tcp][trace][open]") {
    conn c{small(), seq32{iss}, t0};
    (void)poll(c, t0);
    deliver(c, {irs, 0, f::syn, 65535, {}, 1000}, t0 + 1ms);  // their SYN crossed ours
    CHECK(c.current_state() == tcp::state::syn_received);
    auto out = poll(c, t0 + 1ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == (f::syn | f::ack));
    CHECK(out[0].seq == seq32{iss});
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000}, t0 + 2ms);  // their SYN-ACK
    CHECK(c.current_state() == tcp::state::syn_received);  // a SYN in a synchronized state is challenged
    deliver(c, {irs + 1, iss + 1, f::ack}, t0 + 3ms);
    CHECK(c.current_state() == tcp::state::established);
}

TEST_CASE("tcp trace: in SYN-SENT an ACK for what we never sent gets RST, an RST without ACK is ignored",
          "[tcp][trace][rst]") {
    conn c{small(), seq32{iss}, t0};
    (void)poll(c, t0);
    deliver(c, {irs, iss + 7, f::ack}, t0);
    auto out = poll(c, t0);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::rst);
    CHECK(out[0].seq == seq32{iss + 7});
    deliver(c, {irs, 0, f::rst}, t0);
    CHECK(c.current_state() == tcp::state::syn_sent);
    deliver(c, {0, iss + 1, f::rst | f::ack}, t0);
    CHECK(c.current_state() == tcp::state::closed);
    CHECK(c.error() == errc::connection_refused);
}

TEST_CASE("tcp trace: the SYN is retransmitted with backoff, and the connection gives up", "[tcp][trace][rto]") {
    auto cfg = small();
    cfg.max_retransmissions = 3;
    conn c{cfg, seq32{iss}, t0};
    CHECK(poll(c, t0).size() == 1);
    CHECK(c.next_deadline() == t0 + 1s);  // RFC 6298 §2.1: initial RTO 1 s
    std::vector<instant> resent;
    instant now = t0;
    for (int i = 0; i < 10 && c.current_state() != tcp::state::closed; ++i) {
        now = *c.next_deadline();
        for (auto& s : poll(c, now)) {
            CHECK(s.flags == f::syn);
            resent.push_back(now);
        }
    }
    REQUIRE(resent.size() == 3);
    CHECK(resent[0] == t0 + 1s);
    CHECK(resent[1] == t0 + 3s);  // doubled
    CHECK(resent[2] == t0 + 7s);
    CHECK(c.error() == errc::timed_out);
}

TEST_CASE("tcp trace: data is segmented by the MSS and the last segment carries PSH", "[tcp][trace][send]") {
    auto cfg = small();
    cfg.nodelay = true;
    auto c = established(cfg);
    const auto data = text(2500);
    REQUIRE(c.send(as_bytes(data)).value() == 2500);
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 3);
    CHECK(out[0].payload.size() == 1000);
    CHECK(out[1].seq == seq32{iss + 1 + 1000});
    CHECK(out[2].payload.size() == 500);
    CHECK((out[2].flags & f::psh) != 0);
    CHECK((out[0].flags & f::psh) == 0);
    CHECK(c.in_flight() == 2500);
    deliver(c, {irs + 1, iss + 1 + 2500, f::ack}, t0 + 40ms);
    CHECK(c.in_flight() == 0);
    CHECK(c.send_queue() == 0);
}

TEST_CASE("tcp trace: Nagle holds a short tail while data is in flight, and sends it on the ACK",
          "[tcp][trace][send]") {
    auto c = established();
    REQUIRE(c.send(as_bytes(text(2500))));
    auto out = poll(c, t0 + 20ms);
    REQUIRE(out.size() == 2);  // RFC 896: the 500-byte tail waits
    deliver(c, {irs + 1, iss + 1 + 2000, f::ack}, t0 + 40ms);
    out = poll(c, t0 + 40ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload.size() == 500);
}

TEST_CASE("tcp trace: a lost segment is sent again after the RTO, then the RTO doubles", "[tcp][trace][rto]") {
    auto c = established();
    const auto data = text(100);
    REQUIRE(c.send(as_bytes(data)));
    const instant sent = t0 + 20ms;
    REQUIRE(poll(c, sent).size() == 1);
    const auto rto = *c.next_deadline() - sent;
    CHECK(rto == 1s);  // RFC 6298 §2.4: the 1 s minimum over a 10 ms SRTT
    auto out = poll(c, sent + rto);
    REQUIRE(out.size() == 1);
    CHECK(out[0].seq == seq32{iss + 1});
    CHECK(out[0].payload == data);
    CHECK(c.stats().retransmits_timeout == 1);
    CHECK(*c.next_deadline() - (sent + rto) == 2s);
    // Karn: the ACK of a retransmitted segment gives no RTT sample.
    deliver(c, {irs + 1, iss + 101, f::ack}, sent + rto + 5ms);
    CHECK(c.rto().srtt() == 10ms);
}

TEST_CASE("tcp trace: delayed ACK: every second segment at once, a lone one after the delay",
          "[tcp][trace][ack]") {
    auto c = established();
    const instant t = t0 + 30ms;
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "aaaa"}, t);
    CHECK(poll(c, t).empty());
    CHECK(c.next_deadline() == t + 200ms);
    deliver(c, {irs + 5, iss + 1, f::ack, 65535, "bbbb"}, t + 1ms);
    auto out = poll(c, t + 1ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 9});
    deliver(c, {irs + 9, iss + 1, f::ack, 65535, "cccc"}, t + 2ms);
    CHECK(poll(c, t + 2ms).empty());
    out = poll(c, t + 202ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 13});
}

TEST_CASE("tcp trace: out-of-order data is acknowledged at once, and the hole's filling too", "[tcp][trace][ack]") {
    auto c = established();
    const instant t = t0 + 30ms;
    deliver(c, {irs + 5, iss + 1, f::ack, 65535, "bbbb"}, t);  // ahead of a 4-byte hole
    auto out = poll(c, t);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 1});  // a duplicate ACK for the hole
    CHECK(c.stats().out_of_order_in == 1);
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "aaaa"}, t + 1ms);
    out = poll(c, t + 1ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 9});
    std::array<std::uint8_t, 16> buf{};
    REQUIRE(c.recv(buf).value() == 8);
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), 8) == "aaaabbbb");
}

TEST_CASE("tcp trace: past config::reassembly_ranges a new out-of-order range is dropped and counted, and comes again",
          "[tcp][trace][ack]") {
    auto cfg = small();
    cfg.reassembly_ranges = 2;
    auto c = established(cfg);
    const instant t = t0 + 30ms;
    // Three ranges apart, each behind a hole: the third finds no room.
    deliver(c, {irs + 5, iss + 1, f::ack, 65535, "bbbb"}, t);
    deliver(c, {irs + 13, iss + 1, f::ack, 65535, "dddd"}, t);
    CHECK(c.stats().dropped_reassembly_full == 0);
    deliver(c, {irs + 21, iss + 1, f::ack, 65535, "ffff"}, t);
    CHECK(c.stats().dropped_reassembly_full == 1);
    // One that touches a range held joins it: no new range, nothing dropped.
    deliver(c, {irs + 17, iss + 1, f::ack, 65535, "eeee"}, t);
    CHECK(c.stats().dropped_reassembly_full == 1);
    (void)poll(c, t);
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "aaaa"}, t + 1ms);
    deliver(c, {irs + 9, iss + 1, f::ack, 65535, "cccc"}, t + 1ms);
    auto out = poll(c, t + 1ms);
    REQUIRE_FALSE(out.empty());
    CHECK(out.back().ack == seq32{irs + 21});  // up to the dropped segment, which the peer sends again
    deliver(c, {irs + 21, iss + 1, f::ack, 65535, "ffff"}, t + 2ms);
    std::array<std::uint8_t, 32> buf{};
    REQUIRE(c.recv(buf).value() == 24);
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), 24) == "aaaabbbbccccddddeeeeffff");
}

TEST_CASE("tcp trace: a receive handler set on the connection itself may own what cannot be copied",
          "[tcp][trace][recv_handler]") {
    auto c = established();
    auto owned = std::make_unique<std::string>();
    const std::string* seen = owned.get();
    c.set_recv_handler([sink = std::move(owned)](bytes in) {
        sink->append(reinterpret_cast<const char*>(in.data()), in.size());
        return in.size();
    });
    const instant t = t0 + 30ms;
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, "abcd"}, t);
    deliver(c, {irs + 9, iss + 1, f::ack, 65535, "ijkl"}, t);  // behind a hole: to the buffer, not the handler
    CHECK(*seen == "abcd");
    deliver(c, {irs + 5, iss + 1, f::ack, 65535, "efgh"}, t);  // the hole filled: all of it waits for recv, in order
    CHECK(*seen == "abcd");
    std::array<std::uint8_t, 16> buf{};
    REQUIRE(c.recv(buf).value() == 8);
    CHECK(std::string_view(reinterpret_cast<const char*>(buf.data()), 8) == "efghijkl");
    deliver(c, {irs + 13, iss + 1, f::ack, 65535, "mnop"}, t);  // nothing waits: the handler's again
    CHECK(*seen == "abcdmnop");
}

TEST_CASE("tcp trace: the four cases of segment acceptability", "[tcp][trace][acceptability]") {
    auto c = established();
    const instant t = t0 + 30ms;
    // len 0, window > 0: inside the window is fine, outside is answered with an ACK and dropped.
    deliver(c, {irs + 1 + 100000, iss + 1, f::ack}, t);
    CHECK(c.stats().dropped_unacceptable == 1);
    auto out = poll(c, t);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 1});
    // len > 0 starting before rcv.nxt but ending inside: acceptable, the old part trimmed.
    deliver(c, {irs - 2, iss + 1, f::ack, 65535, "xyzab"}, t);
    CHECK(c.stats().dropped_unacceptable == 1);
    CHECK(c.rcv_nxt() == seq32{irs + 3});
    // len > 0 entirely old: a duplicate, answered.
    deliver(c, {irs - 10, iss + 1, f::ack, 65535, "old"}, t);
    CHECK(c.stats().dropped_unacceptable == 2);
}

TEST_CASE("tcp trace: an exact RST resets, one elsewhere in the window is challenged (RFC 5961)",
          "[tcp][trace][rst]") {
    auto c = established();
    const instant t = t0 + 30ms;
    deliver(c, {irs + 100, 0, f::rst}, t);
    CHECK(c.current_state() == tcp::state::established);
    CHECK(c.stats().challenge_acks == 1);
    auto out = poll(c, t);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::ack);
    deliver(c, {irs + 1, 0, f::rst}, t);
    CHECK(c.current_state() == tcp::state::closed);
    CHECK(c.error() == errc::connection_reset);
}

TEST_CASE("tcp trace: active close through FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT", "[tcp][trace][close]") {
    auto c = established();
    instant t = t0 + 30ms;
    REQUIRE(c.close());
    auto out = poll(c, t);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == (f::fin | f::ack));
    CHECK(c.current_state() == tcp::state::fin_wait_1);
    deliver(c, {irs + 1, iss + 2, f::ack}, t += 10ms);
    CHECK(c.current_state() == tcp::state::fin_wait_2);
    deliver(c, {irs + 1, iss + 2, f::fin | f::ack}, t += 10ms);
    CHECK(c.current_state() == tcp::state::time_wait);
    out = poll(c, t);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 2});
    CHECK(c.next_deadline() == t + 60s);
    (void)poll(c, t + 60s);
    CHECK(c.current_state() == tcp::state::closed);
    CHECK(c.error() == errc::ok);
}

TEST_CASE("tcp trace: passive close through CLOSE-WAIT and LAST-ACK", "[tcp][trace][close]") {
    auto c = established();
    instant t = t0 + 30ms;
    deliver(c, {irs + 1, iss + 1, f::fin | f::ack}, t);
    CHECK(c.current_state() == tcp::state::close_wait);
    std::array<std::uint8_t, 8> buf{};
    CHECK(c.recv(buf).value() == 0);  // the end of the stream
    REQUIRE(c.send(as_bytes("bye")));  // half-close: we may still send
    REQUIRE(c.close());
    auto out = poll(c, t);
    REQUIRE(out.size() == 2);
    CHECK(out[0].payload == "bye");
    CHECK(out[1].flags == (f::fin | f::ack));
    CHECK(c.current_state() == tcp::state::last_ack);
    deliver(c, {irs + 2, iss + 5, f::ack}, t + 10ms);
    CHECK(c.current_state() == tcp::state::closed);
}

TEST_CASE("tcp trace: simultaneous close goes through CLOSING", "[tcp][trace][close]") {
    auto c = established();
    instant t = t0 + 30ms;
    REQUIRE(c.close());
    (void)poll(c, t);
    deliver(c, {irs + 1, iss + 1, f::fin | f::ack}, t);  // their FIN, not acknowledging ours
    CHECK(c.current_state() == tcp::state::closing);
    deliver(c, {irs + 2, iss + 2, f::ack}, t + 1ms);
    CHECK(c.current_state() == tcp::state::time_wait);
}

TEST_CASE("tcp trace: data arriving after close is answered with RST", "[tcp][trace][rst]") {
    auto c = established();
    REQUIRE(c.close());
    (void)poll(c, t0 + 30ms);
    deliver(c, {irs + 1, iss + 2, f::ack, 65535, "late"}, t0 + 40ms);
    auto out = poll(c, t0 + 40ms);
    REQUIRE(out.size() == 1);
    CHECK((out[0].flags & f::rst) != 0);
    CHECK(c.current_state() == tcp::state::closed);
}

TEST_CASE("tcp trace: abort sends RST and ends the connection", "[tcp][trace][rst]") {
    auto c = established();
    c.abort();
    auto out = poll(c, t0 + 30ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].flags == f::rst);
    CHECK(out[0].seq == seq32{iss + 1});
    CHECK(c.current_state() == tcp::state::closed);
}

TEST_CASE("tcp trace: three duplicate ACKs retransmit at once and enter fast recovery", "[tcp][trace][fast]") {
    auto c = established();
    instant t = t0 + 30ms;
    REQUIRE(c.send(as_bytes(text(5000))));
    REQUIRE(poll(c, t).size() == 5);
    const auto cwnd = c.congestion().cwnd();
    for (int i = 0; i < 2; ++i) deliver(c, {irs + 1, iss + 1, f::ack}, t += 1ms);
    CHECK(poll(c, t).empty());
    deliver(c, {irs + 1, iss + 1, f::ack}, t += 1ms);
    auto out = poll(c, t);
    REQUIRE_FALSE(out.empty());
    CHECK(out[0].seq == seq32{iss + 1});
    CHECK(out[0].payload.size() == 1000);
    CHECK(c.stats().retransmits_fast == 1);
    CHECK(c.stats().retransmits_timeout == 0);
    CHECK(c.congestion().ssthresh() == 2500);  // RFC 5681 eq. 4: FlightSize / 2
    CHECK(c.congestion().cwnd() < cwnd);
    deliver(c, {irs + 1, iss + 5001, f::ack}, t += 1ms);
    CHECK(c.congestion().cwnd() == 2500);  // deflated to ssthresh on leaving recovery
}

TEST_CASE("tcp trace: a zero window is probed with backoff and the transfer resumes", "[tcp][trace][persist]") {
    auto c = established();
    instant t = t0 + 30ms;
    REQUIRE(c.send(as_bytes(text(1000))));
    REQUIRE(poll(c, t).size() == 1);
    deliver(c, {irs + 1, iss + 1001, f::ack, 0}, t += 10ms);  // all taken, window closed
    REQUIRE(c.send(as_bytes(text(10, 'p'))));
    CHECK(poll(c, t).empty());
    const auto first = *c.next_deadline();
    auto out = poll(c, first);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "p");
    CHECK(c.stats().window_probes == 1);
    deliver(c, {irs + 1, iss + 1001, f::ack, 0}, first + 10ms);  // still closed
    deliver(c, {irs + 1, iss + 1002, f::ack, 8000}, first + 20ms);  // reopened, probe byte taken
    out = poll(c, first + 20ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == "ppppppppp");
}

TEST_CASE("tcp trace: a window too small to fill is not waited on for ever: the override timeout sends it",
          "[tcp][trace][persist]") {
    auto c = established();  // MSS 1000; the peer offered 65,535
    instant t = t0 + 30ms;
    REQUIRE(c.send(as_bytes(text(1000))));
    REQUIRE(poll(c, t).size() == 1);
    deliver(c, {irs + 1, iss + 1001, f::ack, 300}, t += 10ms);  // all taken, 300 bytes free
    REQUIRE(c.send(as_bytes(text(2000, 'o'))));
    // Sender silly-window avoidance: 300 is below the MSS and half the largest window offered.
    CHECK(poll(c, t).empty());
    // A window update that still does not open enough restarts the wait.
    deliver(c, {irs + 1, iss + 1001, f::ack, 400}, t += 500ms);
    CHECK(poll(c, t).empty());
    const auto override_at = *c.next_deadline();
    CHECK(override_at == t + c.rto().rto());
    CHECK(poll(c, override_at - 1ms).empty());
    // RFC 1122 §4.2.3.4 (4): the override timeout sends what the window holds.
    const auto out = poll(c, override_at);
    REQUIRE(out.size() == 1);
    CHECK(out[0].payload == text(400, 'o'));
    CHECK(c.stats().window_probes == 0);
    // The ACK opens the window: a whole segment, and Nagle holds the 600-byte tail behind it.
    deliver(c, {irs + 1, iss + 1401, f::ack, 8000}, override_at + 10ms);
    const auto rest = poll(c, override_at + 10ms);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].payload.size() == 1000);
}

TEST_CASE("tcp trace: reading a full receive buffer sends a window update", "[tcp][trace][window]") {
    auto c = established();
    instant t = t0 + 30ms;
    std::uint32_t seq = irs + 1;
    for (int i = 0; i < 8; ++i) {
        const auto chunk = text(1000, static_cast<char>('a' + i));
        deliver(c, {seq, iss + 1, f::ack, 65535, chunk}, t);
        seq += 1000;
        (void)poll(c, t);
    }
    std::vector<std::uint8_t> buf(8192);
    REQUIRE(c.recv(buf).value() == 8000);
    auto out = poll(c, t + 1ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].window >= 8000);
}

TEST_CASE("tcp trace: a read sends a window update only when the peer's view of the window was at most half and doubles",
          "[tcp][trace][window]") {
    auto c = established();  // an 8 KiB receive buffer, delayed ACK
    instant t = t0 + 30ms;
    std::uint32_t seq = irs + 1;
    std::vector<std::uint8_t> buf(8192);
    const auto arrive = [&](char fill) {
        deliver(c, {seq, iss + 1, f::ack, 65535, text(1000, fill)}, t);
        seq += 1000;
        return poll(c, t);
    };
    REQUIRE(arrive('a').empty());  // a lone segment waits for the delayed ACK
    auto out = arrive('b');
    REQUIRE(out.size() == 1);
    CHECK(out[0].window == 8192 - 2000);
    REQUIRE(arrive('c').empty());
    // The peer was told of 6192 and can still send 5192: reading 3000 opens
    // the window, but it is wide; the delayed ACK carries it.
    REQUIRE(c.recv(buf).value() == 3000);
    CHECK(poll(c, t += 1ms).empty());
    out = poll(c, *c.next_deadline());
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{seq});
    CHECK(out[0].window == 8192);
    // Five more unread: the peer last heard of 4192, can send 3192, under
    // half the buffer; a read that more than doubles it is announced at once.
    t += 1s;
    for (char fill : {'d', 'e', 'f', 'g', 'h'}) (void)arrive(fill);
    REQUIRE(c.recv(buf).value() == 5000);
    out = poll(c, t += 1ms);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{seq});
    CHECK(out[0].window == 8192);
}
