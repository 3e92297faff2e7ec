// Selective repeat with SACK (RFC 2018, RFC 6675, RFC 2883) as traces:
// what goes again is what the receiver lacks, and nothing it holds.
#include "trace.hpp"

#include <l4/flow/selective_repeat.hpp>

#include <algorithm>
#include <set>

using namespace l4;
using namespace l4::trace;

namespace {

using sr_conn = tcp::connection<congestion::reno, flow::selective_repeat, flow::receive_window<>>;

wire::tcp_options sack_blocks(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    wire::tcp_options o;
    for (auto [l, r] : blocks) o.add_sack({seq32{iss + l}, seq32{iss + r}});
    return o;
}

// ESTABLISHED by an active open whose SYN-ACK permitted SACK.
template <class C>
C established_with_sack() {
    auto cfg = small();
    cfg.offer.timestamps = false;
    C c{cfg, seq32{iss}, t0};
    (void)poll(c, t0);
    wire::tcp_options o;
    o.sack_permitted = true;
    deliver(c, {irs, iss + 1, f::syn | f::ack, 65535, {}, 1000, o}, t0 + 10ms);
    (void)poll(c, t0 + 10ms);
    REQUIRE(c.current_state() == tcp::state::established);
    REQUIRE(c.options().sack());
    return c;
}

// Sequence offsets (from iss) of the data segments sent at or below `below`.
std::set<std::uint32_t> resent(const std::vector<out_seg>& out, std::uint32_t below) {
    std::set<std::uint32_t> r;
    for (const auto& s : out)
        if (!s.payload.empty() && s.seq.raw() - iss < below) r.insert(s.seq.raw() - iss);
    return r;
}

}  // namespace

TEST_CASE("selective repeat: in recovery only the holes go again, each once, never a SACKed segment (RFC 6675)",
          "[tcp][trace][sack][selective]") {
    auto c = established_with_sack<sr_conn>();
    instant t = t0 + 30ms;
    REQUIRE(c.send(as_bytes(text(8000))).value() == 8000u);
    REQUIRE(poll(c, t).size() == 8);  // the initial window: segments at 1, 1001, ..., 7001

    // Segments at 1 and 3001 are lost; the receiver SACKs the rest as they come, latest block first.
    std::vector<out_seg> out;
    const auto ack_with = [&](wire::tcp_options o) {
        deliver(c, {irs + 1, iss + 1, f::ack, 65535, {}, {}, o}, t += 1ms);
        const auto sent = poll(c, t);
        out.insert(out.end(), sent.begin(), sent.end());
    };
    ack_with(sack_blocks({{1001, 2001}}));
    ack_with(sack_blocks({{1001, 3001}}));
    ack_with(sack_blocks({{4001, 5001}, {1001, 3001}}));
    ack_with(sack_blocks({{4001, 6001}, {1001, 3001}}));
    ack_with(sack_blocks({{4001, 7001}, {1001, 3001}}));
    ack_with(sack_blocks({{4001, 8001}, {1001, 3001}}));
    CHECK(resent(out, 8001) == std::set<std::uint32_t>{1, 3001});
    CHECK(c.stats().retransmits_fast == 2);
    CHECK(c.stats().retransmits_timeout == 0);
    CHECK(c.invariants_held());

    // Both holes filled: everything is acknowledged, recovery ends.
    deliver(c, {irs + 1, iss + 8001, f::ack}, t += 1ms);
    CHECK(c.snd_una() == seq32{iss + 8001});
    CHECK(c.congestion().cwnd() == c.congestion().ssthresh());
}

TEST_CASE("selective repeat: after a timeout go-back-N sends everything again, selective repeat only what the "
          "receiver lacks (RFC 6675 §5.1)", "[tcp][trace][sack][selective][rto]") {
    const auto after_timeout = [](auto c) {
        instant t = t0 + 30ms;
        REQUIRE(c.send(as_bytes(text(5000))).value() == 5000u);
        REQUIRE(poll(c, t).size() == 5);
        // The first segment is lost, and the last two; one ACK SACKs the second and third: one duplicate,
        // and two SACKed segments are not enough to deem the first lost (RFC 6675 §4 IsLost).
        deliver(c, {irs + 1, iss + 1, f::ack, 65535, {}, {}, sack_blocks({{1001, 3001}})}, t += 10ms);
        REQUIRE(poll(c, t).empty());
        const auto deadline = c.next_deadline();
        REQUIRE(deadline);
        auto out = poll(c, *deadline);
        for (int i = 0; i < 4; ++i) {  // slow start after the timeout: the ACKs of the first let the rest go
            if (out.empty() || resent(out, 5001).empty()) break;
            const auto last = out.back();
            deliver(c, {irs + 1, last.seq.raw() + static_cast<std::uint32_t>(last.payload.size()), f::ack, 65535,
                        {}, {}, sack_blocks({{1001, 3001}})}, *deadline + std::chrono::milliseconds{i + 1});
            auto more = poll(c, *deadline + std::chrono::milliseconds{i + 1});
            out.insert(out.end(), more.begin(), more.end());
        }
        CHECK(c.stats().retransmits_timeout == 1);
        return resent(out, 5001);
    };
    CHECK(after_timeout(established_with_sack<sr_conn>()) == std::set<std::uint32_t>{1, 3001, 4001});
    CHECK(after_timeout(established_with_sack<conn>()) == std::set<std::uint32_t>{1, 1001, 2001, 3001, 4001});
}

TEST_CASE("selective repeat: a duplicate segment is reported in the next ACK's first SACK block (D-SACK, RFC 2883)",
          "[tcp][trace][sack][dsack]") {
    auto c = established_with_sack<sr_conn>();
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, text(1000)}, t0 + 20ms);
    (void)poll(c, t0 + 20ms + 1s);  // the delayed ACK
    deliver(c, {irs + 1, iss + 1, f::ack, 65535, text(1000)}, t0 + 2s);
    const auto out = poll(c, t0 + 2s);
    REQUIRE(out.size() == 1);
    CHECK(out[0].ack == seq32{irs + 1001});
    REQUIRE(out[0].options.sack_count == 1);
    CHECK(out[0].options.sack[0].left == seq32{irs + 1});
    CHECK(out[0].options.sack[0].right == seq32{irs + 1001});
    // Once only: the next ACK has no D-SACK.
    deliver(c, {irs + 1001, iss + 1, f::ack, 65535, text(500)}, t0 + 3s);
    const auto next = poll(c, t0 + 3s + 1s);
    REQUIRE_FALSE(next.empty());
    CHECK(next.back().options.sack_count == 0);
}

TEST_CASE("selective repeat: a D-SACK at the sender is counted, not taken for new information",
          "[tcp][trace][sack][dsack]") {
    auto c = established_with_sack<sr_conn>();
    instant t = t0 + 30ms;
    REQUIRE(c.send(as_bytes(text(3000))).value() == 3000u);
    REQUIRE(poll(c, t).size() == 3);
    deliver(c, {irs + 1, iss + 1001, f::ack, 65535, {}, {}, sack_blocks({{1, 1001}})}, t += 1ms);
    CHECK(c.stats().dsacks_in == 1);
    CHECK(c.stats().retransmits_fast == 0);
}
