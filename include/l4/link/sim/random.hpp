// Seeded random streams for the simulator, bit-identical on every compiler.
//
// Every random decision in the simulator (is this frame lost? which bit
// flips? how much jitter?) draws from a stream of its own, so turning one
// impairment on or off never shifts the draws of another, and the same seed
// gives the same run on g++ and clang, libstdc++ and libc++. That rules out
// std::mt19937 with std::*_distribution: the engines are specified, the
// distributions are not, and their outputs differ across standard libraries.
// So the generator and the few distributions we need are written here, in
// integer arithmetic.
//
//   splitmix64     Steele, Lea & Flood, "Fast splittable pseudorandom number
//                  generators", OOPSLA 2014: seeds and derives streams.
//   xoshiro256**   Blackman & Vigna, "Scrambled linear pseudorandom number
//                  generators", ACM TOMS 2021: the per-stream generator
//                  (period 2^256 - 1, 1 ns a draw, passes BigCrush).
#pragma once

#include <l4/core/time.hpp>

#include <cstdint>

namespace l4::link::sim {

// The splitmix64 finaliser: a bijective 64-bit mixer (every input bit flips
// about half the output bits).
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// splitmix64 as a generator: a Weyl sequence (state += golden gamma) run
// through the finaliser. Used only to seed and derive; xoshiro draws.
class splitmix64 {
public:
    constexpr explicit splitmix64(std::uint64_t seed) noexcept : state_{seed} {}
    constexpr std::uint64_t operator()() noexcept { return mix64(state_ += golden_gamma); }

    static constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ull;  // 2^64 / phi

private:
    std::uint64_t state_;
};

// Which decision a stream serves. The value takes part in the stream's seed,
// so streams of one channel are independent of each other.
enum class stream : std::uint32_t { loss = 1, corrupt, duplicate, reorder, jitter, red };

// The seed of one stream: the network's seed, then the channel's index, then
// the stream's kind, each mixed in with the finaliser. A channel's streams
// depend only on (network seed, channel index), never on how many other
// channels exist or what they draw.
[[nodiscard]] constexpr std::uint64_t derive_seed(std::uint64_t network_seed, std::uint64_t channel,
                                                  stream s) noexcept {
    std::uint64_t h = mix64(network_seed + splitmix64::golden_gamma);
    h = mix64(h ^ (channel + 1) * splitmix64::golden_gamma);
    return mix64(h ^ static_cast<std::uint64_t>(s) * splitmix64::golden_gamma);
}

// xoshiro256**: four 64-bit words of state, seeded from splitmix64 as its
// authors recommend (an all-zero state is impossible that way).
class rng {
public:
    constexpr explicit rng(std::uint64_t seed = 0) noexcept {
        splitmix64 sm{seed};
        for (auto& w : s_) w = sm();
    }

    constexpr std::uint64_t operator()() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // For tests against the published reference outputs.
    static constexpr rng from_state(std::uint64_t a, std::uint64_t b, std::uint64_t c,
                                    std::uint64_t d) noexcept {
        rng r;
        r.s_[0] = a, r.s_[1] = b, r.s_[2] = c, r.s_[3] = d;
        return r;
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }
    std::uint64_t s_[4]{};
};

// A uniform integer in [0, n), n > 0, without modulo bias: draws whose value
// falls in the incomplete last block of n are rejected (the OpenBSD
// arc4random_uniform method). At most one retry in 2 on average for the worst
// n, almost never for the small n used here.
[[nodiscard]] constexpr std::uint64_t uniform_below(rng& g, std::uint64_t n) noexcept {
    const std::uint64_t reject_below = (0 - n) % n;  // 2^64 mod n
    for (;;) {
        const std::uint64_t x = g();
        if (x >= reject_below) return x % n;
    }
}

// An event of fixed probability p, decided by one 64-bit draw compared with
// p·2^64. The threshold is computed once, so each decision is one integer
// compare, and p = 0 never draws at all (enabling an impairment elsewhere
// cannot change this one's stream).
class chance {
public:
    constexpr chance() noexcept = default;
    constexpr explicit chance(double p) noexcept {
        if (!(p > 0)) return;  // also catches NaN
        if (p >= 1) {
            always_ = true;
            return;
        }
        // p < 1, so p·2^64 < 2^64: the conversion is exact-or-truncating and
        // the same on every IEEE-754 platform (scaling by 2^64 is exact).
        threshold_ = static_cast<std::uint64_t>(p * 0x1p64);
    }

    [[nodiscard]] constexpr bool possible() const noexcept { return always_ || threshold_ != 0; }
    [[nodiscard]] constexpr bool operator()(rng& g) const noexcept {
        if (always_) return true;
        if (threshold_ == 0) return false;
        return g() < threshold_;
    }
    // The probability actually used (p rounded down to a multiple of 2^-64).
    [[nodiscard]] double probability() const noexcept {
        return always_ ? 1.0 : static_cast<double>(threshold_) * 0x1p-64;
    }

private:
    std::uint64_t threshold_ = 0;
    bool always_ = false;
};

// One draw for a probability known only at the time (RED's p_a).
[[nodiscard]] constexpr bool draw(rng& g, double p) noexcept { return chance{p}(g); }

// Bounded random delays in [0, max], integer nanoseconds.
//   uniform:    every value equally likely; mean max/2, sd max/√12.
//   bell:       the sum of four uniforms on [0, max/4] (Irwin–Hall, n = 4):
//               a bounded stand-in for a normal; mean max/2, sd max/√48.
enum class jitter_shape : std::uint8_t { uniform, bell };

[[nodiscard]] constexpr duration random_delay(rng& g, duration max, jitter_shape shape) noexcept {
    if (max.count() <= 0) return duration{0};
    const auto m = static_cast<std::uint64_t>(max.count());
    if (shape == jitter_shape::uniform) return duration{static_cast<std::int64_t>(uniform_below(g, m + 1))};
    // Four parts whose maxima sum to exactly m.
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < 4; ++i) {
        const std::uint64_t part = m / 4 + (i < m % 4 ? 1 : 0);
        sum += uniform_below(g, part + 1);
    }
    return duration{static_cast<std::int64_t>(sum)};
}

}  // namespace l4::link::sim
