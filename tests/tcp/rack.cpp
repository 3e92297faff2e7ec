// RACK loss detection (RFC 8985 §6) and proportional rate reduction (RFC
// 6937) as traces: when a segment is deemed lost, what goes again, and how
// much a sender in recovery sends per ACK.
#include "trace.hpp"

#include <l4/flow/selective_repeat.hpp>

#include <algorithm>
#include <utility>
#include <vector>

using namespace l4;
using namespace l4::trace;

namespace {

using sr_conn = tcp::connection<congestion::reno, flow::selective_repeat, flow::receive_window<>>;

wire::tcp_options sack_blocks(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    wire::tcp_options o;
    for (auto [l, r] : blocks) o.add_sack({seq32{iss + l}, seq32{iss + r}});
    return o;
}

tcp::config recovery_config(bool rack, bool prr) {
    auto cfg = small();
    cfg.offer.timestamps = false;
    cfg.nodelay = true;
    cfg.send_buffer = 64 * 1024;
    cfg.rack = rack;
    cfg.prr = prr;
    return cfg;
}

// ESTABLISHED by an active open whose SYN-ACK, 100 ms later, permitted SACK.
sr_conn with_sack(const tcp::config& cfg) {
    sr_conn c{cfg, seq32{iss}, t0};
    (void)poll(c, t0);
    wire::tcp_options o;
    o.sack_permitted = true;
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000, o}, t0 + 100ms);
    (void)poll(c, t0 + 100ms);
    REQUIRE(c.options().sack());
    return c;
}

// The same, and one segment sent and acknowledged after exactly 100 ms, so
// that SRTT and min_RTT are 100 ms; `t` is when that ACK came.
sr_conn warmed_up(const tcp::config& cfg, instant& t) {
    auto c = with_sack(cfg);
    t = t0 + 200ms;
    REQUIRE(c.send(as_bytes(text(1000))).value() == 1000u);
    REQUIRE(poll(c, t).size() == 1);
    t += 100ms;
    deliver(c, {irs + 1, iss + 1001, f::ack}, t);
    REQUIRE(poll(c, t).empty());
    REQUIRE(c.rto().srtt() == std::optional<duration>{100ms});
    return c;
}

// An ACK of `ack` (offset from iss) with SACK blocks, at `at`; what left in answer.
std::vector<out_seg> sack_at(sr_conn& c, std::uint32_t ack, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks,
                             instant at) {
    deliver(c, {irs + 1, iss + ack, f::ack, 65535, {}, {}, sack_blocks(blocks)}, at);
    return poll(c, at);
}

std::vector<std::uint32_t> offsets(const std::vector<out_seg>& out) {
    std::vector<std::uint32_t> r;
    for (const auto& s : out)
        if (!s.payload.empty()) r.push_back(s.seq.raw() - iss);
    return r;
}

}  // namespace

TEST_CASE("rack: one SACKed segment, and the reordering timer deems the ones sent before it lost at "
          "RTT + min_RTT/4 (RFC 8985 §6.2)", "[tcp][trace][sack][rack]") {
    instant t;
    auto c = warmed_up(recovery_config(true, false), t);
    const instant sent = t;
    REQUIRE(c.send(as_bytes(text(4000))).value() == 4000u);
    REQUIRE(offsets(poll(c, sent)) == std::vector<std::uint32_t>{1001, 2001, 3001, 4001});

    // The last one arrives, one RTT later; the first three do not (or not yet).
    REQUIRE(sack_at(c, 1001, {{4001, 5001}}, sent + 100ms).empty());
    // One SACKed segment is not DupThresh: RACK waits reo_wnd = min_RTT/4 = 25 ms past RACK.rtt.
    REQUIRE(c.next_deadline() == sent + 125ms);
    CHECK(poll(c, sent + 124ms).empty());
    const auto out = poll(c, sent + 125ms);
    REQUIRE(!out.empty());
    CHECK(offsets(out).front() == 1001);  // the first hole goes first
    CHECK(c.stats().rack_timeouts == 1);
    CHECK(c.stats().retransmits_fast >= 1);
    CHECK(c.stats().retransmits_timeout == 0);

    // RFC 6675 alone: one SACKed segment is no loss; the RTO (1 s) is all that is left.
    instant u;
    auto d = warmed_up(recovery_config(false, false), u);
    REQUIRE(d.send(as_bytes(text(4000))).value() == 4000u);
    REQUIRE(poll(d, u).size() == 4);
    REQUIRE(sack_at(d, 1001, {{4001, 5001}}, u + 100ms).empty());
    CHECK(poll(d, u + 125ms).empty());
    CHECK(d.next_deadline() > u + 900ms);
}

TEST_CASE("rack: a reordered segment that arrives within reo_wnd is not resent", "[tcp][trace][sack][rack]") {
    instant t;
    auto c = warmed_up(recovery_config(true, false), t);
    const instant sent = t;
    REQUIRE(c.send(as_bytes(text(2000))).value() == 2000u);
    REQUIRE(poll(c, sent).size() == 2);
    REQUIRE(sack_at(c, 1001, {{2001, 3001}}, sent + 100ms).empty());
    // The first arrives 10 ms late: within the 25 ms window, no retransmission, no recovery.
    deliver(c, {irs + 1, iss + 3001, f::ack}, sent + 110ms);
    CHECK(poll(c, sent + 110ms).empty());
    CHECK(poll(c, sent + 130ms).empty());
    CHECK(c.stats().retransmits_fast == 0);
    CHECK(c.stats().rack_timeouts == 0);
}

TEST_CASE("rack: a lost retransmission is found when data sent after it is SACKed, without the RTO "
          "(RFC 8985 §6.2)", "[tcp][trace][sack][rack]") {
    const auto run = [](bool rack) {
        instant t;
        auto c = warmed_up(recovery_config(rack, false), t);
        const instant sent = t;
        REQUIRE(c.send(as_bytes(text(5000))).value() == 5000u);
        REQUIRE(offsets(poll(c, sent)) == std::vector<std::uint32_t>{1001, 2001, 3001, 4001, 5001});
        std::vector<std::uint32_t> out;
        const auto take = [&](std::vector<out_seg> o) {
            const auto x = offsets(o);
            out.insert(out.end(), x.begin(), x.end());
        };
        // 1001 is lost; 2001, 3001 and 4001 are SACKed: DupThresh segments, loss, recovery.
        take(sack_at(c, 1001, {{2001, 3001}}, sent + 100ms));
        take(sack_at(c, 1001, {{2001, 4001}}, sent + 100ms));
        take(sack_at(c, 1001, {{2001, 5001}}, sent + 100ms));
        REQUIRE(!out.empty());
        CHECK(out.front() == 1001);  // the retransmission, at sent + 100 ms; it is lost too
        REQUIRE(c.send(as_bytes(text(3000))).value() == 3000u);
        // 5001 arrives; the window lets new data go.
        take(sack_at(c, 1001, {{2001, 6001}}, sent + 101ms));
        REQUIRE(out.size() >= 2);
        const std::uint32_t fresh = out.back();
        CHECK(fresh >= 6001);  // new data, sent after the retransmission
        const std::size_t before = out.size();
        // One RTT later that new segment is SACKed; the retransmission, sent before it, was not.
        take(sack_at(c, 1001, {{2001, fresh + 1000}}, sent + 201ms));
        const std::vector<std::uint32_t> later(out.begin() + static_cast<std::ptrdiff_t>(before), out.end());
        CHECK(c.stats().retransmits_timeout == 0);
        return std::make_pair(later, c.next_deadline());
    };
    // With RACK: at once, 1001 for the third time, long before the RTO.
    const auto [with, deadline] = run(true);
    REQUIRE(!with.empty());
    CHECK(with.front() == 1001);
    // RFC 6675 alone: HighRxt has passed 1001; it waits for the RTO.
    const auto [without, rto] = run(false);
    CHECK(std::find(without.begin(), without.end(), 1001u) == without.end());
    REQUIRE(rto);
    CHECK(*rto > t0 + 1s);
}

TEST_CASE("prr: in recovery the sender sends in proportion to what is delivered, ssthresh/RecoverFS "
          "(RFC 6937 §5's example: one segment for every two ACKs)", "[tcp][trace][sack][prr]") {
    const auto run = [](bool prr) {
        auto cfg = recovery_config(false, prr);
        cfg.initial_window = 20 * 1000;  // 20 segments in flight, as RFC 6937's example
        auto c = with_sack(cfg);
        const instant sent = t0 + 200ms;
        REQUIRE(c.send(as_bytes(text(40000))).value() == 40000u);
        REQUIRE(poll(c, sent).size() == 20);
        // Segment 1 is lost; segments 2, 3, ... arrive, each ACK SACKing one more.
        std::vector<std::size_t> per_ack;
        for (std::uint32_t k = 1; k <= 19; ++k) {
            const auto out = sack_at(c, 1, {{1001, 1001 + 1000 * k}}, sent + 100ms + k * 1ms);
            per_ack.push_back(offsets(out).size());
        }
        return std::make_pair(per_ack, c.stats().retransmits_fast);
    };
    // RFC 3042 limited transmit for the first two duplicates; the third starts recovery (RecoverFS
    // = 22 segments, Reno's ssthresh = 11): the fast retransmit, then one segment for every second
    // ACK (11/22 of what is delivered) while pipe is above ssthresh, then one per ACK, holding pipe
    // at ssthresh (PRR-SSRB).
    const auto [with, fast] = run(true);
    CHECK(fast == 1);
    CHECK(with == std::vector<std::size_t>{1, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1});
    // RFC 6675 alone: cwnd = ssthresh = 11 segments against a pipe of 19 (the retransmission in it):
    // silence for 8 ACKs until pipe falls below cwnd, then one per ACK.
    const auto [without, fast_without] = run(false);
    CHECK(fast_without == 1);
    CHECK(without == std::vector<std::size_t>{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1});
}
