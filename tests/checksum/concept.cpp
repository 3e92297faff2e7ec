// checksum_strategy: who models it, who does not, and what the models say
// about themselves.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <set>
#include <string_view>

namespace {

using namespace l4::checksum;

// Near misses: each lacks one thing the concept asks for.
struct no_verify {
    using value_type = std::uint16_t;
    using state = int;
    static constexpr std::size_t width = 2;
    static state init() { return 0; }
    static state update(state s, l4::bytes) { return s; }
    static value_type finish(state) { return 0; }
    static value_type compute(l4::bytes) { return 0; }
};
struct wrong_width : none {
    static constexpr std::size_t width = 4;
};
struct signed_value : none {
    using value_type = std::int16_t;
};

template <class... S>
constexpr bool all_model(std::tuple<S...>*) {
    return (checksum_strategy<S> && ...);
}

// RFC 1071 §3's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xDDF2.
constexpr std::array<std::uint8_t, 8> rfc1071_example{0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7};

}  // namespace

TEST_CASE("every shipped strategy models checksum_strategy", "[checksum][concept]") {
    STATIC_REQUIRE(all_model(static_cast<test::all_strategies*>(nullptr)));
    STATIC_REQUIRE(assert_checksum_strategy<internet>());
    STATIC_REQUIRE(internet::width == 2);
    STATIC_REQUIRE(crc32c::width == 4);
    STATIC_REQUIRE(none::width == 2);
}

TEST_CASE("near misses do not model checksum_strategy", "[checksum][concept]") {
    STATIC_REQUIRE_FALSE(checksum_strategy<int>);
    STATIC_REQUIRE_FALSE(checksum_strategy<no_verify>);
    STATIC_REQUIRE_FALSE(checksum_strategy<wrong_width>);
    STATIC_REQUIRE_FALSE(checksum_strategy<signed_value>);
}

TEST_CASE("the one's complement models say so, for UDP's zero", "[checksum][concept]") {
    STATIC_REQUIRE(test::is_ones_complement<internet>);
    STATIC_REQUIRE(test::is_ones_complement<incremental>);
    STATIC_REQUIRE(test::is_ones_complement<internet_reference>);
    STATIC_REQUIRE_FALSE(test::is_ones_complement<crc32c>);
    STATIC_REQUIRE_FALSE(test::is_ones_complement<none>);
}

TEST_CASE("every strategy has its own name", "[checksum][concept]") {
    const std::set<std::string_view> names{internet_reference::name, internet_portable::name, internet_avx2::name,
                                           internet::name,           incremental::name,       crc32c_portable::name,
                                           crc32c_sse42::name,       crc32c::name,            none::name};
    CHECK(names.size() == 9);
    STATIC_REQUIRE(internet::name == "internet");
    STATIC_REQUIRE(internet_portable::name == "internet_portable");
}

TEST_CASE("RFC 1071 §3: the worked example, in constant expressions too", "[checksum][concept][internet]") {
    STATIC_REQUIRE(internet_reference::compute(rfc1071_example) == 0x220D);
    STATIC_REQUIRE(internet::compute(rfc1071_example) == 0x220D);
    STATIC_REQUIRE(incremental::compute(rfc1071_example) == 0x220D);
    CHECK(internet_portable::compute(rfc1071_example) == 0x220D);
    CHECK(internet_avx2::compute(rfc1071_example) == 0x220D);
    CHECK(internet::compute(rfc1071_example) == 0x220D);
}

TEST_CASE("none stores zero and accepts anything", "[checksum][concept]") {
    const auto bytes = test::random_bytes(5, 100);
    CHECK(none::compute(bytes) == 0);
    CHECK(none::verify(none::update(none::init(), bytes), 0x1234));
}
