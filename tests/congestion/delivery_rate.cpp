// The delivery-rate sampler (draft-cheng-iccrg-delivery-rate-estimation)
// against a link modelled by hand: segments of 1000 bytes leave the
// bottleneck every 0.8 ms (1.25 MB/s) and are acknowledged 40 ms later.
#include "support.hpp"

#include <l4/congestion/delivery_rate.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace std::chrono_literals;
using l4::seq32;

constexpr std::uint32_t mss = 1000;
constexpr double rate = 1.25e6;
constexpr auto serialisation = 800us;
constexpr auto propagation = 40ms;

struct block {
    seq32 left, right;
};

}  // namespace

TEST_CASE("delivery rate: a window-limited flow measures the bottleneck's rate", "[congestion][delivery_rate]") {
    delivery_rate_sampler<> s;
    l4::instant now{}, link_free{};
    seq32 snd_nxt{1000}, snd_una{1000};
    std::deque<std::pair<seq32, l4::instant>> acks;  // (ack number, when)
    const std::uint32_t window = 80 * mss;           // more than the BDP (51 segments): the link stays busy
    std::vector<rate_sample> samples;
    const auto send = [&] {
        while (static_cast<std::uint32_t>(snd_nxt - snd_una) + mss <= window) {
            s.on_send(snd_nxt, mss, now, static_cast<std::uint32_t>(snd_nxt - snd_una));
            snd_nxt += mss;
            link_free = std::max(link_free, now) + serialisation;
            acks.emplace_back(snd_nxt, link_free + propagation);
        }
    };
    send();
    while (now < l4::instant{} + 2s) {
        const auto [a, at] = acks.front();
        acks.pop_front();
        now = at;
        const auto flight = static_cast<std::uint32_t>(snd_nxt - snd_una);
        snd_una = a;
        if (auto r = s.on_ack(snd_una, now, flight, propagation)) samples.push_back(*r);
        send();
    }
    REQUIRE(samples.size() > 1000);
    CHECK(s.delivered() == static_cast<std::uint64_t>(snd_una - seq32{1000}));
    // After the first round, every sample is the link's rate.
    for (std::size_t i = 200; i < samples.size(); ++i) {
        CHECK(samples[i].delivery_rate == Approx(rate).epsilon(0.02));
        CHECK(!samples[i].is_app_limited);
        CHECK(samples[i].interval >= propagation);
    }
}

TEST_CASE("delivery rate: an idle sender's first flight starts a fresh interval, and app-limited data is marked",
          "[congestion][delivery_rate]") {
    delivery_rate_sampler<> s;
    l4::instant now{};
    seq32 snd{1};
    // Two segments leave at t = 0; then the application has nothing more.
    s.on_send(snd, mss, now, 0);
    s.on_send(snd + mss, mss, now, mss);
    s.on_app_limited(2 * mss);
    CHECK(s.app_limited());
    // One ACK for both 50 ms later: they left before the bubble, so not app-limited.
    now += 50ms;
    auto r = s.on_ack(snd + 2 * mss, now, 2 * mss, 40ms);
    REQUIRE(r);
    CHECK(r->delivered == 2 * mss);
    CHECK(r->interval == 50ms);
    CHECK(r->delivery_rate == Approx(2 * mss / 0.05));
    CHECK(!r->is_app_limited);
    CHECK(s.app_limited());  // until more than what was in flight is delivered
    // A segment sent into the bubble: its sample is app-limited, and its delivery ends the bubble.
    s.on_send(snd + 2 * mss, mss, now, 0);
    now += 50ms;
    r = s.on_ack(snd + 3 * mss, now, mss, 40ms);
    REQUIRE(r);
    CHECK(r->is_app_limited);
    CHECK(r->interval == 50ms);  // an idle sender's flight starts a fresh interval
    CHECK(!s.app_limited());
    // An interval below the minimum RTT is no sample (ACK compression).
    s.on_send(snd + 3 * mss, mss, now, 0);
    now += 10ms;
    CHECK(!s.on_ack(snd + 4 * mss, now, mss, 40ms));
}

TEST_CASE("delivery rate: a SACKed segment is delivered once, though resent after a timeout",
          "[congestion][delivery_rate]") {
    delivery_rate_sampler<> s;
    l4::instant now{};
    const seq32 snd{1};
    for (std::uint32_t i = 0; i < 4; ++i) s.on_send(snd + i * mss, mss, now, i * mss);
    now += 50ms;
    // The third and fourth are SACKed: delivered now.
    const std::array<block, 1> sacked{block{snd + 2 * mss, snd + 4 * mss}};
    auto r = s.on_ack(snd, now, 4 * mss, 40ms, sacked);
    REQUIRE(r);
    CHECK(r->delivered == 2 * mss);
    CHECK(s.delivered() == 2 * mss);
    // A timeout: go-back-N resends all four.
    s.on_rto();
    now += 1s;
    for (std::uint32_t i = 0; i < 4; ++i) s.on_send(snd + i * mss, mss, now, i * mss);
    now += 50ms;
    r = s.on_ack(snd + 4 * mss, now, 4 * mss, 40ms, std::array<block, 0>{});
    REQUIRE(r);
    CHECK(r->delivered == 2 * mss);  // the first two only: the others were delivered before
    CHECK(s.delivered() == 4 * mss);
    CHECK(r->interval == 50ms);
}

TEST_CASE("delivery rate: a retransmission is re-stamped in place, and the records are bounded",
          "[congestion][delivery_rate]") {
    delivery_rate_sampler<4> s;
    l4::instant now{};
    seq32 snd{1};
    for (std::uint32_t i = 0; i < 4; ++i) s.on_send(snd + i * mss, mss, now, i * mss);
    CHECK(s.records() == 4);
    now += 100ms;
    s.on_send(snd, mss, now, 4 * mss);  // the first is retransmitted
    CHECK(s.records() == 4);
    now += 50ms;
    const auto r = s.on_ack(snd + mss, now, 4 * mss, std::nullopt);
    REQUIRE(r);
    CHECK(r->interval == 150ms);  // its delivered_time is the flight's start; its send is the retransmission's
    s.on_send(snd + 4 * mss, mss, now, 3 * mss);
    s.on_send(snd + 5 * mss, mss, now, 4 * mss);  // a fifth record: the oldest is dropped
    CHECK(s.records() == 4);
    s.on_rto();
    CHECK(s.records() == 4);  // kept: resends after the timeout re-stamp them
}

namespace {

// The window-limited flow above with SACK: of every 300 segments, the first
// transmissions of two, 20 apart, are lost, so one window has two holes.
// The receiver SACKs all it holds above rcv_nxt; after three duplicate ACKs
// the sender resends every hole below the highest SACKed byte, once, and
// keeps sending new data while the bytes not SACKed stay within the window
// (RFC 6675's pipe, simplified). Returns the samples; `sack` false hands the
// sampler cumulative ACKs only (what it did before SACK was fed to it).
std::vector<rate_sample> lossy_flow(bool sack, std::uint64_t& delivered, seq32& acked) {
    delivery_rate_sampler<> s;
    l4::instant now{}, link_free{};
    const seq32 iss{1000};
    seq32 snd_nxt = iss, snd_una = iss, rcv_nxt = iss;
    std::set<std::uint32_t> held;     // the receiver's segments above rcv_nxt, offsets from iss
    std::set<std::uint32_t> resent;   // holes resent (a resend is never lost here)
    struct arrival {
        seq32 seq;
        l4::instant at;
    };
    std::deque<arrival> link;  // segments that reach the receiver, in order; the ACK is back at `at`
    const std::uint32_t window = 80 * mss;
    std::uint32_t sent = 0, dupacks = 0;
    std::vector<rate_sample> samples;
    std::vector<block> blocks;
    const auto transmit = [&](seq32 seq, bool lost) {
        s.on_send(seq, mss, now, static_cast<std::uint32_t>(snd_nxt - snd_una));
        link_free = std::max(link_free, now) + serialisation;
        if (!lost) link.push_back({seq, link_free + propagation});
    };
    const auto sacked = [&] {
        std::uint32_t n = 0;
        for (const auto& b : blocks) n += static_cast<std::uint32_t>(b.right - b.left);
        return n;
    };
    const auto send = [&] {
        while (static_cast<std::uint32_t>(snd_nxt - snd_una) - sacked() + mss <= window) {
            ++sent;
            transmit(snd_nxt, sent > 500 && (sent % 300 == 0 || sent % 300 == 20));
            snd_nxt += mss;
        }
    };
    send();
    while (now < l4::instant{} + 4s && !link.empty()) {
        const auto [seq, at] = link.front();
        link.pop_front();
        now = at;
        // The receiver: in-order data moves rcv_nxt; the rest is held and SACKed.
        if (seq == rcv_nxt) {
            rcv_nxt += mss;
            while (!held.empty() && iss + *held.begin() == rcv_nxt) {
                held.erase(held.begin());
                rcv_nxt += mss;
            }
        } else if (rcv_nxt < seq) {
            held.insert(static_cast<std::uint32_t>(seq - iss));
        }
        blocks.clear();
        for (const std::uint32_t off : held) {
            if (!blocks.empty() && blocks.back().right == iss + off) blocks.back().right += mss;
            else blocks.push_back({iss + off, iss + off + mss});
        }
        // The sender.
        const auto flight = static_cast<std::uint32_t>(snd_nxt - snd_una);
        const std::vector<block> given = sack ? blocks : std::vector<block>{};
        if (snd_una < rcv_nxt) {
            snd_una = rcv_nxt;
            dupacks = 0;
        } else {
            ++dupacks;
        }
        if (auto r = s.on_ack(snd_una, now, flight, propagation, given)) samples.push_back(*r);
        if (dupacks >= 3) {
            // Every hole below the highest SACKed byte, once.
            seq32 h = snd_una;
            for (const auto& b : blocks) {
                for (; h < b.left; h += mss)
                    if (resent.insert(static_cast<std::uint32_t>(h - iss)).second) transmit(h, false);
                h = b.right;
            }
        }
        send();
    }
    delivered = s.delivered();
    acked = snd_una;
    return samples;
}

}  // namespace

TEST_CASE("delivery rate: with SACK, the ACK that fills a hole is not a burst of deliveries",
          "[congestion][delivery_rate]") {
    // Two holes a window on the 1.25 MB/s link. The second hole's resend
    // leaves before the first is filled: counted at cumulative ACKs alone,
    // its send-time C.delivered misses all that was SACKed, and the ACK that
    // fills it credits ~2 windows over one RTT. Measured (this model): max
    // sample 1.00x the link's rate with SACKed segments delivered when
    // SACKed; with cumulative ACKs alone, 1.76x (bbr.hpp keeps the max of ten
    // rounds and paces at 1.25x it: what the ns-3 comparison saw).
    std::uint64_t delivered = 0;
    seq32 acked{};
    const auto with_sack = lossy_flow(true, delivered, acked);
    REQUIRE(with_sack.size() > 1000);
    CHECK(delivered == static_cast<std::uint64_t>(acked - seq32{1000}));  // every byte counted once
    double max_sack = 0;
    for (const auto& r : with_sack) {
        max_sack = std::max(max_sack, r.delivery_rate);
        CHECK(r.delivery_rate <= rate * 1.05);
    }
    const auto cumulative = lossy_flow(false, delivered, acked);
    double max_cumulative = 0;
    for (const auto& r : cumulative) max_cumulative = std::max(max_cumulative, r.delivery_rate);
    INFO("max sample with SACK " << max_sack / rate << "x the link, cumulative ACKs alone " << max_cumulative / rate << 'x');
    CHECK(max_sack >= rate * 0.95);
    CHECK(max_cumulative > rate * 1.2);  // what feeding SACKed ranges to the sampler is for
}

// Whatever the SACK blocks (repeated, grown, merged, overlapping, unaligned,
// D-SACK) and resends, a record is delivered exactly once: when it first lies
// wholly inside a block above snd.una, or below snd.una. A sample comes with
// every ACK that delivers something (no minimum RTT given, time moving on).
TEST_CASE("delivery rate: property: each record is delivered once, by its first SACK or cumulative ACK",
          "[congestion][delivery_rate]") {
    rc::prop("against a set of records", [] {
        delivery_rate_sampler<> s;
        struct sent {
            seq32 seq, end;
            bool delivered = false;
        };
        std::vector<sent> records;
        const seq32 isn{*rc::gen::arbitrary<std::uint32_t>()};
        seq32 snd_nxt = isn, snd_una = isn;
        l4::instant now{};
        const auto count = *rc::gen::inRange<std::size_t>(1, 80);
        for (std::size_t i = 0; i < count; ++i) {
            const std::uint32_t len = 100 * *rc::gen::inRange<std::uint32_t>(1, 4);
            s.on_send(snd_nxt, len, now, static_cast<std::uint32_t>(snd_nxt - snd_una));
            records.push_back({snd_nxt, snd_nxt + len});
            snd_nxt += len;
            now += 1ms;
        }
        // A sequence number near a record's boundary, at or above `from`.
        const auto point = [&](seq32 from) {
            const auto& r = records[*rc::gen::inRange<std::size_t>(0, records.size())];
            const seq32 p = *rc::gen::element(r.seq, r.end, r.seq + 50);
            return p < from ? from : p;
        };
        std::uint64_t expected = 0;
        const auto acks = *rc::gen::inRange(1, 40);
        for (int a = 0; a < acks; ++a) {
            now += 1ms;
            if (*rc::gen::inRange(0, 4) == 0) {  // a resend, re-stamped unless SACKed
                const auto& r = records[*rc::gen::inRange<std::size_t>(0, records.size())];
                if (snd_una < r.end) s.on_send(r.seq, static_cast<std::uint32_t>(r.end - r.seq), now, 0);
                now += 1ms;
            }
            if (*rc::gen::inRange(0, 3) == 0) snd_una = point(snd_una);
            std::vector<block> blocks;
            for (int b = *rc::gen::inRange(0, 4); b > 0; --b) {
                const seq32 left = point(isn), right = point(left);
                blocks.push_back(*rc::gen::inRange(0, 6) == 0 ? block{right, left} : block{left, right});
            }
            bool any = false;
            const auto deliver = [&](sent& r) {
                r.delivered = any = true;
                expected += r.end - r.seq;
            };
            for (const block& b : blocks)
                for (auto& r : records)
                    if (!r.delivered && b.left < b.right && snd_una < b.right && !(r.seq < b.left) && !(b.right < r.end))
                        deliver(r);
            for (auto& r : records)
                if (!r.delivered && !(snd_una < r.end)) deliver(r);
            const auto sample = s.on_ack(snd_una, now, static_cast<std::uint32_t>(snd_nxt - snd_una), std::nullopt, blocks);
            RC_ASSERT(s.delivered() == expected);
            RC_ASSERT(sample.has_value() == any);
        }
    });
}
