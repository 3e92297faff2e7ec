#include <l4/core/seq32.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

using l4::seq32;

TEST_CASE("seq32 orders numbers across the 2^32 wrap", "[seq32]") {
    CHECK(seq32{0xFFFF'FFFFu} < seq32{0});
    CHECK(seq32{0xFFFF'FFF0u} < seq32{0x10});
    CHECK(seq32{0x10} > seq32{0xFFFF'FFF0u});
    CHECK_FALSE(seq32{0x10} < seq32{0xFFFF'FFF0u});
    CHECK(seq32{5} <= seq32{5});
    CHECK(seq32{5} >= seq32{5});
}

TEST_CASE("seq32 addition wraps modulo 2^32", "[seq32]") {
    CHECK((seq32{0xFFFF'FFFEu} + 3u).raw() == 1u);
    CHECK((seq32{1} - 3u).raw() == 0xFFFF'FFFEu);
    CHECK(seq32{1} - seq32{0xFFFF'FFFEu} == 3);
    CHECK(seq32{0xFFFF'FFFEu} - seq32{1} == -3);
}

TEST_CASE("seq32 numbers exactly 2^31 apart are unordered, as RFC 1982 leaves them", "[seq32]") {
    const seq32 a{7}, b{7u + 0x8000'0000u};
    CHECK_FALSE(a < b);
    CHECK_FALSE(b < a);
    CHECK_FALSE(a == b);
}

TEST_CASE("seq32 in_window is a half-open interval that survives the wrap", "[seq32]") {
    const seq32 lo{0xFFFF'FF00u};
    CHECK(l4::in_window(lo, lo, 0x200));
    CHECK(l4::in_window(seq32{0x50}, lo, 0x200));
    CHECK_FALSE(l4::in_window(seq32{0x100}, lo, 0x200));
    CHECK_FALSE(l4::in_window(lo, lo, 0));
}

TEST_CASE("seq32 properties", "[seq32][property]") {
    rc::prop("a + n is after a for 0 < n < 2^31", [](std::uint32_t a, std::uint32_t n) {
        n = n % 0x7FFF'FFFFu + 1;
        RC_ASSERT(seq32{a} < seq32{a} + n);
        RC_ASSERT(seq32{a} + n > seq32{a});
        RC_ASSERT(!(seq32{a} + n < seq32{a}));
    });
    rc::prop("ordering is antisymmetric", [](std::uint32_t a, std::uint32_t b) {
        RC_ASSERT(!(seq32{a} < seq32{b} && seq32{b} < seq32{a}));
    });
    rc::prop("the distance undoes the addition", [](std::uint32_t a, std::int32_t d) {
        RC_PRE(d != INT32_MIN);
        const seq32 b = seq32{a} + static_cast<std::uint32_t>(d);
        RC_ASSERT(b - seq32{a} == d);
    });
}
