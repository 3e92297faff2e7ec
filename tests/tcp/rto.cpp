// rto_estimator: RFC 6298's formulas on sequences worked out by hand, the
// first-sample rule, G, the clamps of §2.4/§2.5 and the backoff of §5.5.
#include <l4/tcp/rto.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <chrono>
#include <cstdint>

using namespace std::chrono_literals;
using l4::duration;
using l4::tcp::rto_config;
using l4::tcp::rto_estimator;

namespace {

// No lower clamp, so the formulas show through.
constexpr rto_config unclamped{.min = 0s};

}  // namespace

// Part of the ≤ 512 B a connection may spend at rest (issue 10 §2).
static_assert(sizeof(rto_estimator) <= 56);

TEST_CASE("rto: before any sample, RTO is the initial value and there is no SRTT", "[tcp][rto]") {
    const rto_estimator e;
    CHECK(e.rto() == 1s);  // RFC 6298 §2.1
    CHECK_FALSE(e.srtt());
    CHECK(e.rttvar() == 0s);
    CHECK(e.backoffs() == 0);

    CHECK(rto_estimator{{.initial = 3s}}.rto() == 3s);
    CHECK(rto_estimator{{.initial = 90s, .max = 60s}}.rto() == 60s);  // §2.5 applies to the initial value too
}

TEST_CASE("rto: the first sample sets SRTT = R and RTTVAR = R/2", "[tcp][rto]") {
    rto_estimator e{unclamped};
    e.on_sample(100ms);
    CHECK(e.srtt() == 100ms);
    CHECK(e.rttvar() == 50ms);
    // RTO = 100 + max(1 ms, 4 * 50) = 300 ms
    CHECK(e.rto() == 300ms);
}

TEST_CASE("rto: later samples follow RFC 6298 section 2.3 with RTTVAR updated first", "[tcp][rto]") {
    rto_estimator e{unclamped};
    e.on_sample(100ms);  // SRTT 100, RTTVAR 50, RTO 300
    e.on_sample(200ms);
    // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 37.5 + 25 = 62.5 ms  (with the old SRTT: the new one would give 59.375)
    // SRTT   = 7/8 * 100 + 1/8 * 200       = 87.5 + 25 = 112.5 ms
    // RTO    = 112.5 + 4 * 62.5 = 362.5 ms
    CHECK(e.rttvar() == 62'500us);
    CHECK(e.srtt() == 112'500us);
    CHECK(e.rto() == 362'500us);
    e.on_sample(50ms);
    // RTTVAR = 3/4 * 62.5 + 1/4 * |112.5 - 50| = 46.875 + 15.625 = 62.5 ms
    // SRTT   = 7/8 * 112.5 + 1/8 * 50 = 98.4375 + 6.25 = 104.6875 ms
    // RTO    = 104.6875 + 250 = 354.6875 ms
    CHECK(e.rttvar() == 62'500us);
    CHECK(e.srtt() == 104'687'500ns);
    CHECK(e.rto() == 354'687'500ns);
}

TEST_CASE("rto: K scales RTTVAR", "[tcp][rto]") {
    rto_estimator e{{.min = 0s, .k = 2}};
    e.on_sample(100ms);
    CHECK(e.rto() == 200ms);  // 100 + 2 * 50
}

TEST_CASE("rto: G bounds the variance term from below", "[tcp][rto]") {
    SECTION("a zero sample gives RTO = G") {
        rto_estimator e{unclamped};
        e.on_sample(0s);
        CHECK(e.srtt() == 0s);
        CHECK(e.rto() == 1ms);
    }
    SECTION("steady samples: RTTVAR decays by 3/4 each time until K * RTTVAR < G") {
        rto_estimator e{{.min = 0s, .granularity = 10ms}};
        e.on_sample(100ms);  // RTTVAR 50 ms
        // After n more equal samples RTTVAR = 50 * (3/4)^n ms; 4 * RTTVAR < 10 ms once (3/4)^n < 0.05, n >= 11.
        for (int n = 1; n <= 10; ++n) e.on_sample(100ms);
        CHECK(e.rto() > 110ms);  // 4 * 50 * 0.75^10 = 11.26 ms > G
        e.on_sample(100ms);
        CHECK(e.srtt() == 100ms);
        CHECK(e.rto() == 110ms);  // SRTT + G
    }
}

TEST_CASE("rto: clamped to [min, max]", "[tcp][rto]") {
    SECTION("RFC 6298 section 2.4: below 1 s rounds up") {
        rto_estimator e;
        e.on_sample(100ms);  // 300 ms computed
        CHECK(e.rto() == 1s);
        CHECK(e.base_rto() == 1s);
    }
    SECTION("a configured minimum (Linux's 200 ms)") {
        rto_estimator e{{.min = 200ms}};
        e.on_sample(10ms);  // 10 + 4 * 5 = 30 ms computed
        CHECK(e.rto() == 200ms);
    }
    SECTION("RFC 6298 section 2.5: the maximum") {
        rto_estimator e;
        e.on_sample(30s);  // 30 + 4 * 15 = 90 s computed
        CHECK(e.rto() == 60s);
    }
    SECTION("when min > max the maximum wins") {
        rto_estimator e{{.min = 10s, .max = 5s}};
        e.on_sample(1ms);
        CHECK(e.rto() == 5s);
    }
    SECTION("huge samples saturate instead of overflowing") {
        rto_estimator e;
        e.on_sample(duration::max());
        CHECK(e.rto() == 60s);
        e.on_sample(duration::max());
        e.on_sample(0s);
        CHECK(e.rto() == 60s);
        rto_estimator unbounded{{.max = duration::max()}};
        unbounded.on_sample(duration::max());
        CHECK(unbounded.rto() == duration::max());
        unbounded.backoff();
        CHECK(unbounded.rto() == duration::max());
    }
    SECTION("a negative sample counts as zero") {
        rto_estimator e{unclamped};
        e.on_sample(-5ms);
        CHECK(e.srtt() == 0s);
        CHECK(e.rto() == 1ms);
    }
}

TEST_CASE("rto: backoff doubles up to the maximum and a sample resets it", "[tcp][rto]") {
    rto_estimator e;
    // RFC 6298 §5.5: 1, 2, 4, 8, 16, 32, then 60 (§2.5), and it stays there.
    const duration expected[] = {2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
    for (std::uint32_t i = 0; i < std::size(expected); ++i) {
        e.backoff();
        CHECK(e.backoffs() == i + 1);
        CHECK(e.rto() == expected[i]);
    }
    e.on_sample(2s);  // 2 + 4 * 1 = 6 s
    CHECK(e.backoffs() == 0);
    CHECK(e.rto() == 6s);
    e.backoff();
    CHECK(e.rto() == 12s);
    e.reset_backoff();
    CHECK(e.backoffs() == 0);
    CHECK(e.rto() == 6s);

    SECTION("a maximum that is not a power-of-two multiple is reached exactly") {
        rto_estimator f{{.initial = 3s, .max = 10s}};
        f.backoff();
        CHECK(f.rto() == 6s);
        f.backoff();
        CHECK(f.rto() == 10s);
    }
    SECTION("many backoffs stay cheap and capped") {
        for (int i = 0; i < 100'000; ++i) e.backoff();
        CHECK(e.rto() == 60s);
    }
    SECTION("a zero RTO stays zero when backed off") {
        rto_estimator z{{.min = 0s, .granularity = 0s}};
        z.on_sample(0s);
        for (int i = 0; i < 100; ++i) z.backoff();
        CHECK(z.rto() == 0s);
    }
}

TEST_CASE("rto: invariants on random samples", "[tcp][rto][property]") {
    rc::prop("min <= RTO <= max, RTO >= SRTT + G, and backoff never lowers it", [] {
        const rto_config cfg{.min = std::chrono::milliseconds{*rc::gen::inRange(0, 2000)},
                             .max = std::chrono::seconds{*rc::gen::inRange(2, 120)},
                             .granularity = std::chrono::microseconds{*rc::gen::inRange(0, 20'000)}};
        rto_estimator e{cfg};
        const auto samples = *rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 200'000'000'000));
        for (const auto ns : samples) {
            e.on_sample(duration{ns});
            const duration r = e.rto();
            RC_ASSERT(r >= cfg.min);
            RC_ASSERT(r <= cfg.max);
            RC_ASSERT(r >= std::min(cfg.max, *e.srtt() + cfg.granularity));
            RC_ASSERT(e.rttvar() >= duration::zero());
            e.backoff();
            RC_ASSERT(e.rto() >= r);
            RC_ASSERT(e.rto() <= cfg.max);
            RC_ASSERT(e.rto() == std::min(cfg.max, 2 * r));
        }
    });
}
