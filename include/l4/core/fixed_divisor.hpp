// Division by a divisor fixed at construction: a multiply and a shift
// instead of a 64-bit DIV (about 40-90 cycles on older Intel cores, 10-20
// on newer ones), exact for every numerator below 2^52 and a plain
// division above.
//
//     const fixed_divisor by_rate{bandwidth_bps};
//     const auto [q, r] = by_rate.divide(bits * 1'000'000'000);   // q = n / d, r = n % d
//
// Granlund & Montgomery, "Division by Invariant Integers using
// Multiplication" (PLDI 1994), theorem 4.2, with N >= 52 bits of numerator:
// take l = ceil(log2 d) and m = ceil(2^(N+l) / d). Then m·d = 2^(N+l) + e
// with 0 <= e < d <= 2^l, and for 0 <= n < 2^N
//     n·m / 2^(N+l) = n/d + n·e / (d·2^(N+l)),
// where the second term is below 2^N·2^l / (d·2^(N+l)) = 1/d: too little to
// carry n/d past the next integer, so floor(n·m / 2^(N+l)) = floor(n / d).
// m <= 2^(N+1) - 1 fits 64 bits for N <= 63, and n·m fits 128.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>

namespace l4 {

class fixed_divisor {
public:
    struct quotient_remainder {
        std::uint64_t quotient;
        std::uint64_t remainder;
        friend constexpr bool operator==(const quotient_remainder&, const quotient_remainder&) noexcept = default;
    };

    // Numerators below this divide by multiplication (for a divisor of 1,
    // none: n / 1 needs no m).
    static constexpr std::uint64_t exact_below = std::uint64_t{1} << 52;

    // d must not be 0.
    explicit constexpr fixed_divisor(std::uint64_t d) noexcept
        : d_{d}, limit_{d > 1 ? exact_below : 0}, extra_shift_{0}, m_{0} {
        if (d <= 1) return;
        // N = 52, or more where that makes N + l at least 64: the quotient
        // is then the product's high word shifted, with no 128-bit shift.
        const unsigned l = static_cast<unsigned>(64 - std::countl_zero(d - 1));  // ceil(log2 d), at least 1
        const unsigned shift = std::max(52 + l, 64u);
        extra_shift_ = shift - 64;
        m_ = static_cast<std::uint64_t>(((u128{1} << shift) + d - 1) / d);
    }

    [[nodiscard]] constexpr quotient_remainder divide(std::uint64_t n) const noexcept {
        if (n >= limit_) [[unlikely]]
            return {n / d_, n % d_};
        const auto q = static_cast<std::uint64_t>((u128{n} * m_) >> 64) >> extra_shift_;
        return {q, n - q * d_};
    }

private:
    __extension__ using u128 = unsigned __int128;

    std::uint64_t d_;
    std::uint64_t limit_;
    unsigned extra_shift_;  // N + l - 64
    std::uint64_t m_;
};

}  // namespace l4
