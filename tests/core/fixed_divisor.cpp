#include <l4/core/fixed_divisor.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>

using l4::fixed_divisor;
using qr = fixed_divisor::quotient_remainder;

namespace {

constexpr std::uint64_t limit = fixed_divisor::exact_below;

[[nodiscard]] qr plain(std::uint64_t n, std::uint64_t d) { return {n / d, n % d}; }

}  // namespace

TEST_CASE("fixed_divisor gives the quotient and remainder of a division at the edges", "[fixed_divisor]") {
    // The simulator's divisors: link rates in bit/s. Numerators: a frame's bits
    // times 10^9 plus a remainder carried from the frame ahead.
    for (const std::uint64_t d : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}, std::uint64_t{1'000'000},
                                  std::uint64_t{3'000'000}, std::uint64_t{100'000'000}, std::uint64_t{1'000'000'007},
                                  std::uint64_t{400'000'000'000}, limit - 1, limit, limit + 1,
                                  std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        const fixed_divisor f{d};
        CAPTURE(d);
        for (const std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, d - 1, d, d + 1, 2 * d - 1,
                                      std::uint64_t{1500} * 8 * 1'000'000'000, limit - 2, limit - 1, limit,
                                      limit + 1, ~std::uint64_t{0} - 1, ~std::uint64_t{0}}) {
            CAPTURE(n);
            CHECK(f.divide(n) == plain(n, d));
        }
    }
}

TEST_CASE("fixed_divisor works in constant evaluation", "[fixed_divisor]") {
    constexpr fixed_divisor by3{3};
    static_assert(by3.divide(10) == qr{3, 1});
    static_assert(fixed_divisor{1}.divide(limit - 1) == qr{limit - 1, 0});
    STATIC_REQUIRE(fixed_divisor{1'000'000'000}.divide(12'000'000'000'000) == qr{12'000, 0});
}

TEST_CASE("fixed_divisor properties", "[fixed_divisor][property]") {
    rc::prop("below 2^52, divide(n) is n / d and n % d for every divisor", [](std::uint64_t d, std::uint64_t n) {
        d = d == 0 ? 1 : d;
        n %= limit;
        RC_ASSERT(fixed_divisor{d}.divide(n) == plain(n, d));
    });
    rc::prop("small divisors, as link rates are (up to 2^40 bit/s)", [](std::uint64_t d, std::uint64_t n) {
        d = d % (std::uint64_t{1} << 40) + 1;
        n %= limit;
        RC_ASSERT(fixed_divisor{d}.divide(n) == plain(n, d));
    });
    rc::prop("at and above 2^52 the answer is still the division's", [](std::uint64_t d, std::uint64_t n) {
        d = d == 0 ? 1 : d;
        n |= limit;
        RC_ASSERT(fixed_divisor{d}.divide(n) == plain(n, d));
    });
}
