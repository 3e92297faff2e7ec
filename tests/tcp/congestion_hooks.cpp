// What the connection gives its congestion algorithm, as traces: the
// duplicates it counts (RFC 5681, and RFC 6675's with SACK), the settings
// it passes, the pacing it applies, the events it reports to an observer.
#include "trace.hpp"

#include <l4/congestion/concept.hpp>

using namespace l4;
using namespace l4::trace;

namespace {

// A window that never limits, and a rate that does (bytes per second).
template <std::uint64_t Rate>
class paced_at {
public:
    using policy_family = policy::congestion_family;
    explicit paced_at(const congestion::params&) {}
    void on_ack(const congestion::ack_event&) {}
    void on_enter_recovery(const congestion::loss_event&) {}
    void on_exit_recovery(instant) {}
    void on_rto(const congestion::loss_event&) {}
    std::uint32_t cwnd() const { return 1 << 20; }
    std::uint32_t ssthresh() const { return 1 << 20; }
    std::optional<std::uint64_t> pacing_rate() const { return Rate; }
};
using paced_at_100kBps = paced_at<100'000>;
L4_ASSERT_CONGESTION_ALGORITHM(paced_at_100kBps);

wire::tcp_options sack_ok() {
    wire::tcp_options o;
    o.sack_permitted = true;
    return o;
}

// ESTABLISHED with SACK in use, 5 segments of 1000 bytes in flight.
conn five_in_flight(tcp::config cfg = small()) {
    cfg.nodelay = true;
    conn c{cfg, seq32{iss}, t0};
    (void)poll(c, t0);
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000, sack_ok()}, t0 + 10ms);
    (void)poll(c, t0 + 10ms);
    REQUIRE(c.options().sack());
    REQUIRE(c.send(as_bytes(text(5000))));
    REQUIRE(poll(c, t0 + 20ms).size() == 5);
    return c;
}

}  // namespace

TEST_CASE("tcp congestion hooks: ACKs that carry data and new SACK blocks count as duplicates (RFC 6675 §2)",
          "[tcp][congestion][sack][trace]") {
    conn c = five_in_flight();
    // The first segment is lost; each of the peer's segments (it is sending
    // too) acknowledges iss + 1 and SACKs one more of ours.
    std::vector<out_seg> out;
    for (std::uint32_t i = 1; i <= 3; ++i) {
        wire::tcp_options o;
        o.add_sack({seq32{iss + 1001}, seq32{iss + 1 + 1000 * (i + 1)}});
        deliver(c, {irs + 1 + 10 * (i - 1), iss + 1, f::ack, 65535, text(10), {}, o}, t0 + 30ms + i * 1ms);
        out = poll(c, t0 + 30ms + i * 1ms);
    }
    CHECK(c.stats().retransmits_fast == 1);
    REQUIRE_FALSE(out.empty());
    CHECK(out[0].seq == seq32{iss + 1});  // the hole, at once, not at the timeout
    CHECK(out[0].payload.size() == 1000);
}

TEST_CASE("tcp congestion hooks: a SACK block for what was never sent is no news", "[tcp][congestion][sack][trace]") {
    conn c = five_in_flight();
    for (std::uint32_t i = 1; i <= 3; ++i) {
        wire::tcp_options o;
        o.add_sack({seq32{iss + 9001}, seq32{iss + 9001 + i}});  // beyond snd.max
        deliver(c, {irs + 1 + 10 * (i - 1), iss + 1, f::ack, 65535, text(10), {}, o}, t0 + 30ms + i * 1ms);
        (void)poll(c, t0 + 30ms + i * 1ms);
    }
    CHECK(c.stats().retransmits_fast == 0);
}

TEST_CASE("tcp congestion hooks: the observer sees each event with cwnd and ssthresh after it",
          "[tcp][congestion][observer][trace]") {
    std::vector<congestion::trace_record> seen;
    auto cfg = small();
    cfg.observer = {&seen, [](void* v, const congestion::trace_record& r) {
                        static_cast<std::vector<congestion::trace_record>*>(v)->push_back(r);
                    }};
    conn c = five_in_flight(cfg);
    deliver(c, {irs + 1, iss + 1001, f::ack}, t0 + 40ms);  // one segment acknowledged
    for (int i = 0; i < 3; ++i) deliver(c, {irs + 1, iss + 1001, f::ack}, t0 + 41ms + i * 1ms);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].event == congestion::trace_event::ack);
    CHECK(seen[0].ssthresh == 0xFFFFFFFF);
    CHECK(seen[1].event == congestion::trace_event::enter_recovery);
    CHECK(seen[1].state == "recovery");
    CHECK(seen[1].ssthresh == c.congestion().ssthresh());
    CHECK(seen[1].bytes_in_flight == 4000);
    CHECK(seen[1].at == t0 + 43ms);
    (void)poll(c, t0 + 43ms);
    (void)poll(c, c.next_deadline().value());  // the retransmission timer
    REQUIRE(seen.size() == 3);
    CHECK(seen[2].event == congestion::trace_event::rto);
    CHECK(seen[2].cwnd == c.snd_mss());  // RFC 5681 §3.1: the loss window
}

TEST_CASE("tcp congestion hooks: the course's profile starts ssthresh at 64 KB", "[tcp][congestion][trace]") {
    auto cfg = small();
    cfg.initial_window = 1000;
    cfg.initial_ssthresh = 64 * 1024;
    conn c = established(cfg);
    CHECK(c.congestion().cwnd() == 1000);
    CHECK(c.congestion().ssthresh() == 64 * 1024);
}

TEST_CASE("tcp congestion hooks: an algorithm's pacing rate spaces new data out", "[tcp][congestion][pacing][trace]") {
    using paced = tcp::connection<paced_at_100kBps, flow::sliding_window, flow::receive_window<>>;
    auto cfg = small();
    cfg.nodelay = true;
    paced c = established<paced>(cfg);
    REQUIRE(c.send(as_bytes(text(3000))));
    const instant start = t0 + 20ms;
    CHECK(poll(c, start).size() == 1);
    CHECK(c.next_deadline() == start + 10ms);  // 1000 bytes at 100 kB/s
    CHECK(poll(c, start + 5ms).empty());
    CHECK(poll(c, start + 10ms).size() == 1);
    CHECK(poll(c, start + 20ms).size() == 1);
    CHECK(c.in_flight() == 3000);
}

TEST_CASE("tcp congestion hooks: a paced sender sends bursts of one send quantum, then waits for the rate",
          "[tcp][congestion][pacing][trace]") {
    auto cfg = small();  // MSS 1000
    cfg.nodelay = true;
    // 1.6 Mbit/s: a quantum of 2 SMSS, so two segments every 10 ms.
    {
        using paced = tcp::connection<paced_at<200'000>, flow::sliding_window, flow::receive_window<>>;
        paced c = established<paced>(cfg);
        REQUIRE(c.send(as_bytes(text(5000))));
        const instant start = t0 + 20ms;
        CHECK(poll(c, start).size() == 2);
        CHECK(c.next_deadline() == start + 10ms);
        CHECK(poll(c, start + 9ms).empty());
        CHECK(poll(c, start + 10ms).size() == 2);
        CHECK(poll(c, start + 20ms).size() == 1);
    }
    // 80 Mbit/s: 1 ms of data, 10 segments, then the next 10 a millisecond later.
    {
        using paced = tcp::connection<paced_at<10'000'000>, flow::sliding_window, flow::receive_window<>>;
        paced c = established<paced>(cfg);
        REQUIRE(c.send(as_bytes(text(16'000))));
        const instant start = t0 + 20ms;
        CHECK(poll(c, start).size() == 10);
        CHECK(c.next_deadline() == start + 1ms);
        CHECK(poll(c, start + 999us).empty());
        CHECK(poll(c, start + 1ms).size() == 6);
        CHECK(c.in_flight() == 16'000);
    }
}
