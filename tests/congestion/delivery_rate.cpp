// The delivery-rate sampler (draft-cheng-iccrg-delivery-rate-estimation)
// against a link modelled by hand: segments of 1000 bytes leave the
// bottleneck every 0.8 ms (1.25 MB/s) and are acknowledged 40 ms later.
#include "support.hpp"

#include <l4/congestion/delivery_rate.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace std::chrono_literals;
using l4::seq32;

constexpr std::uint32_t mss = 1000;
constexpr double rate = 1.25e6;
constexpr auto serialisation = 800us;
constexpr auto propagation = 40ms;

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
    CHECK(s.records() == 0);
}
