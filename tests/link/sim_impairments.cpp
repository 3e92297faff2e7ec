// Each impairment's statistics over 10^5 frames or more, measured at the
// receiving port, and the channel's counters agreeing with what arrived.
#include "../support.hpp"

#include <catch2/catch.hpp>

#include "sim_support.hpp"

#include <bit>
#include <cmath>
#include <map>
#include <set>

using namespace l4::link::sim;
using namespace l4::link::sim::test;
using l4::duration;
using l4::instant;

namespace {

// A channel with no bit rate limit (no queue, no serialisation) and 1 ms of
// propagation, so only the impairment under test shapes the traffic.
channel_config impaired(impairments_config imp) {
    return {.bandwidth_bps = 0, .delay = 1ms, .queue = drop_tail_packets{}, .impair = imp};
}

struct run {
    std::vector<delivery> got;
    channel_counters c;
};

run one_way(const impairments_config& imp, std::uint64_t frames, l4::duration interval = 1us, std::size_t size = 64,
            bool keep_bytes = false, std::uint64_t seed = 1) {
    network net{{.seed = seed}};
    auto link = point_to_point(net, impaired(imp), impaired({}));
    auto got = send_periodic(net, link.a, link.b, frames, size, interval, keep_bytes);
    return {std::move(got), net.channel_at(link.a_to_b).counters()};
}

std::set<std::uint64_t> lost_numbers(const run& r, std::uint64_t frames) {
    std::set<std::uint64_t> missing;
    std::vector<bool> seen(frames);
    for (const auto& d : r.got) seen[d.number] = true;
    for (std::uint64_t i = 0; i < frames; ++i)
        if (!seen[i]) missing.insert(i);
    return missing;
}

}  // namespace

TEST_CASE("Bernoulli loss of 1 % measures 1 % +- 0.15 %", "[sim][impairments]") {
    const std::uint64_t n = 200'000;
    const auto r = one_way({.loss = bernoulli_loss{0.01}}, n);
    const auto missing = lost_numbers(r, n);
    CHECK(missing.size() == r.c.lost);
    CHECK(r.c.delivered + r.c.lost == n);
    const double rate = static_cast<double>(r.c.lost) / n;
    CHECK(rate == Approx(0.01).margin(0.0015));
}

TEST_CASE("the loss pattern of a seed does not change when other impairments are switched on",
          "[sim][impairments]") {
    const std::uint64_t n = 20'000;
    const auto plain = one_way({.loss = bernoulli_loss{0.05}}, n);
    const auto busy = one_way({.loss = bernoulli_loss{0.05},
                               .corrupt = 0.1,
                               .duplicate = 0.1,
                               .reorder = {0.1, 20us},
                               .jitter = {5us, jitter_shape::bell}},
                              n);
    CHECK(lost_numbers(plain, n) == lost_numbers(busy, n));
    CHECK(busy.c.duplicated > 0);
}

TEST_CASE("Gilbert-Elliott: bursts of mean length 1/r, loss rate p/(p+r)", "[sim][impairments]") {
    // Gilbert's model: every frame is lost in the bad state, none in the good.
    // Mean burst 1/r = 4 frames; long-run loss p/(p+r) = 0.02/0.27 = 7.4 %.
    // With ~1850 bursts the mean's standard error is sqrt(12)/sqrt(1850) =
    // 0.08 frame; the tolerance of 0.3 frame (7.5 %) is almost 4 of them.
    const std::uint64_t n = 100'000;
    const auto r = one_way({.loss = gilbert_elliott{.p = 0.02, .r = 0.25, .loss_in_good = 0, .loss_in_bad = 1}}, n);
    const auto missing = lost_numbers(r, n);
    REQUIRE(missing.size() == r.c.lost);
    std::uint64_t bursts = 0, previous = ~std::uint64_t{0};
    for (auto i : missing) {
        if (i != previous + 1) ++bursts;
        previous = i;
    }
    const double mean_burst = static_cast<double>(missing.size()) / static_cast<double>(bursts);
    CHECK(mean_burst == Approx(4.0).margin(0.3));
    CHECK(static_cast<double>(r.c.lost) / n == Approx(0.02 / 0.27).margin(0.01));
}

TEST_CASE("Gilbert-Elliott with partial loss in each state", "[sim][impairments]") {
    // Stationary P(bad) = p/(p+r) = 0.1/0.5 = 0.2; loss = 0.8·0.01 + 0.2·0.5 = 10.8 %.
    const std::uint64_t n = 100'000;
    const auto r = one_way({.loss = gilbert_elliott{.p = 0.1, .r = 0.4, .loss_in_good = 0.01, .loss_in_bad = 0.5}}, n);
    CHECK(static_cast<double>(r.c.lost) / n == Approx(0.108).margin(0.006));
}

TEST_CASE("duplication: the rate as configured, the copy right behind the original", "[sim][impairments]") {
    const std::uint64_t n = 100'000;
    const auto r = one_way({.duplicate = 0.05}, n);
    CHECK(static_cast<double>(r.c.duplicated) / n == Approx(0.05).margin(0.003));  // 4.4 sd
    REQUIRE(r.got.size() == n + r.c.duplicated);
    std::uint64_t copies = 0;
    for (std::size_t i = 1; i < r.got.size(); ++i) {
        if (r.got[i].number == r.got[i - 1].number) {
            ++copies;
            CHECK(r.got[i].at_ns == r.got[i - 1].at_ns);
        } else {
            REQUIRE(r.got[i].number == r.got[i - 1].number + 1);  // nothing else changes
        }
    }
    CHECK(copies == r.c.duplicated);
}

TEST_CASE("reordering: the rate as configured, each reordered frame overtaken and late by the extra delay",
          "[sim][impairments]") {
    // Frames every 1 us; a reordered frame is held 10 us more, so the next
    // frame not reordered overtakes it.
    const std::uint64_t n = 100'000;
    const auto r = one_way({.reorder = {0.05, 10us}}, n);
    CHECK(static_cast<double>(r.c.reordered) / n == Approx(0.05).margin(0.003));
    REQUIRE(r.got.size() == n);
    std::uint64_t late = 0, highest = 0;
    for (const auto& d : r.got) {
        const std::int64_t sent = static_cast<std::int64_t>(d.number) * 1000;
        if (d.number < highest) {
            ++late;
            CHECK(d.at_ns - sent == ns(1ms + 10us));
        } else {
            highest = d.number;
        }
    }
    // Only a reordered frame among the last few sent can go un-overtaken.
    CHECK(late <= r.c.reordered);
    CHECK(late + 3 >= r.c.reordered);
}

TEST_CASE("corruption flips exactly one bit, at the configured rate, anywhere in the frame",
          "[sim][impairments]") {
    const std::uint64_t n = 100'000;
    const std::size_t size = 100;
    const auto r = one_way({.corrupt = 0.01}, n, 1us, size, true);
    REQUIRE(r.got.size() == n);
    std::uint64_t one_bit = 0;
    std::set<std::size_t> positions;
    for (const auto& d : r.got) {
        // The frame's number may be the part hit: which frame it is comes
        // from its arrival time (no jitter: sent at number·1 us, 1 ms delay).
        const std::uint64_t sent = static_cast<std::uint64_t>(d.at_ns - ns(1ms)) / 1000;
        const auto original = numbered_frame(sent, size);
        int flipped = 0;
        for (std::size_t k = 0; k < size; ++k) {
            const auto x = static_cast<std::uint8_t>(d.bytes[k] ^ original[k]);
            if (x) positions.insert(k * 8 + static_cast<std::size_t>(std::countl_zero(x)));
            flipped += std::popcount(x);
        }
        REQUIRE(flipped <= 1);
        one_bit += static_cast<std::uint64_t>(flipped);
    }
    CHECK(one_bit == r.c.corrupted);
    CHECK(static_cast<double>(one_bit) / n == Approx(0.01).margin(0.0015));
    // ~1000 flips over 800 bit positions: both ends of the frame are hit.
    CHECK(*positions.begin() < 40);
    CHECK(*positions.rbegin() > 760);
}

TEST_CASE("jitter: delays within [delay, delay + max] with the shape's mean and spread", "[sim][impairments]") {
    // Frames 1 ms apart, jitter up to 100 us: never close enough to be held
    // back by the frame ahead, so the raw distribution shows.
    for (auto shape : {jitter_shape::uniform, jitter_shape::bell}) {
        const std::uint64_t n = 100'000;
        const auto r = one_way({.jitter = {100us, shape}}, n, 1ms);
        REQUIRE(r.got.size() == n);
        double sum = 0, sum2 = 0;
        for (const auto& d : r.got) {
            const auto extra = d.at_ns - static_cast<std::int64_t>(d.number) * 1'000'000 - 1'000'000;
            REQUIRE(extra >= 0);
            REQUIRE(extra <= 100'000);
            sum += static_cast<double>(extra);
            sum2 += static_cast<double>(extra) * static_cast<double>(extra);
        }
        const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
        CHECK(mean == Approx(50'000).epsilon(0.01));
        CHECK(sd == Approx(100'000 / std::sqrt(shape == jitter_shape::uniform ? 12.0 : 48.0)).epsilon(0.02));
    }
}

TEST_CASE("jitter alone never reorders", "[sim][impairments]") {
    // Frames 1 us apart with up to 100 us of jitter: most would overtake.
    const std::uint64_t n = 100'000;
    const auto r = one_way({.jitter = {100us, jitter_shape::uniform}}, n);
    REQUIRE(r.got.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
        REQUIRE(r.got[i].number == i);
        const auto extra = r.got[i].at_ns - static_cast<std::int64_t>(i) * 1000 - 1'000'000;
        REQUIRE(extra >= 0);
        REQUIRE(extra <= 100'000);
    }
}

TEST_CASE("counters add up with every impairment on", "[sim][impairments]") {
    const std::uint64_t n = 50'000;
    const auto r = one_way({.loss = gilbert_elliott{},
                            .corrupt = 0.02,
                            .duplicate = 0.03,
                            .reorder = {0.04, 30us},
                            .jitter = {20us, jitter_shape::bell}},
                           n);
    CHECK(r.c.offered == n);
    CHECK(r.c.queued == n);
    CHECK(r.c.dropped_queue == 0);
    CHECK(r.c.queued == r.c.lost + r.c.delivered - r.c.duplicated);
    CHECK(r.got.size() == r.c.delivered);
    CHECK(r.c.delivered_bytes == 64 * r.c.delivered);
}
