// The laws of checksum_strategy (l4/checksum/concept.hpp), checked for every
// model and every path.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <vector>

namespace {

using namespace l4::checksum;
using namespace l4::checksum::test;

// A message of at least S::width bytes with room for a field at a random
// offset; the Internet checksum's field sits at an even offset, like every
// transport header's.
template <class S>
struct message_with_field {
    std::vector<std::uint8_t> bytes;
    std::size_t field_offset;
};

template <class S>
message_with_field<S> gen_message() {
    const auto length = *rc::gen::inRange<std::size_t>(S::width, 2000);
    auto bytes = random_bytes(*rc::gen::arbitrary<std::uint64_t>(), length);
    auto offset = *rc::gen::inRange<std::size_t>(0, length - S::width + 1);
    if (is_ones_complement<S>) offset &= ~std::size_t{1};
    return {std::move(bytes), offset};
}

// The sender: field zeroed, value computed, stored big-endian.
template <class S>
void fill(message_with_field<S>& m) {
    std::fill_n(m.bytes.begin() + static_cast<std::ptrdiff_t>(m.field_offset), S::width, std::uint8_t{0});
    store_field<S>(m.bytes, m.field_offset, S::compute(m.bytes));
}

// The receiver: field read, then fed as zeros.
template <class S>
bool receiver_accepts(const message_with_field<S>& m) {
    return S::verify(state_with_zero_field<S>(m.bytes, m.field_offset), load_field<S>(m.bytes, m.field_offset));
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("feeding bytes in any spans gives the same value as one span",
                        "[checksum][laws]", all_strategies) {
    using S = TestType;
    rc::prop("law 1: update(update(s, a), b) == update(s, a ++ b), odd lengths included", [] {
        const auto length = *rc::gen::inRange<std::size_t>(0, 3000);
        const auto bytes = random_bytes(*rc::gen::arbitrary<std::uint64_t>(), length);
        auto cuts = *rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(0, length + 1));
        std::sort(cuts.begin(), cuts.end());
        const auto whole = S::compute(bytes);
        RC_ASSERT(S::finish(update_in_spans<S>(S::init(), bytes, cuts)) == whole);
        RC_ASSERT(S::finish(S::update(S::init(), bytes)) == whole);  // law 4
    });
}

TEMPLATE_LIST_TEST_CASE("feeding empty spans changes nothing", "[checksum][laws]", all_strategies) {
    using S = TestType;
    const auto bytes = random_bytes(7, 41);
    auto s = S::update(S::init(), l4::bytes{bytes}.first(13));
    s = S::update(s, l4::bytes{});
    s = S::update(s, l4::bytes{bytes}.subspan(13));
    CHECK(S::finish(S::update(s, l4::bytes{})) == S::compute(bytes));
    CHECK(S::compute(l4::bytes{}) == S::finish(S::init()));
}

TEMPLATE_LIST_TEST_CASE("a stored checksum verifies at the receiver", "[checksum][laws]", all_strategies) {
    using S = TestType;
    rc::prop("law 2: verify(s, finish(s)) with the field fed as zeros", [] {
        auto m = gen_message<S>();
        fill(m);
        RC_ASSERT(receiver_accepts(m));
    });
    if constexpr (is_ones_complement<S>) {
        rc::prop("RFC 1071 §1: the sum over the message including its checksum is all ones", [] {
            auto m = gen_message<S>();
            fill(m);
            RC_ASSERT(S::verify(S::update(S::init(), m.bytes), 0));
        });
    }
}

TEMPLATE_LIST_TEST_CASE("a single flipped bit is detected", "[checksum][laws]", all_strategies) {
    using S = TestType;
    // For `none`, the law is the opposite: it accepts everything.
    constexpr bool detects = !std::is_same_v<S, none>;
    rc::prop("law 3: every single-bit error in a short message, field included", [] {
        const auto length = *rc::gen::inRange<std::size_t>(S::width, 64);
        message_with_field<S> m{random_bytes(*rc::gen::arbitrary<std::uint64_t>(), length),
                                *rc::gen::inRange<std::size_t>(0, length - S::width + 1)};
        if (is_ones_complement<S>) m.field_offset &= ~std::size_t{1};
        fill(m);
        for (std::size_t bit = 0; bit < length * 8; ++bit) {
            auto corrupted = m;
            corrupted.bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
            RC_ASSERT(receiver_accepts(corrupted) == !detects);
        }
    });
    rc::prop("law 3: a random single-bit error in a long message", [] {
        auto m = gen_message<S>();
        fill(m);
        const auto bit = *rc::gen::inRange<std::size_t>(0, m.bytes.size() * 8);
        m.bytes[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        RC_ASSERT(receiver_accepts(m) == !detects);
    });
}

TEST_CASE("all-zero bytes check as 0xFFFF, and only they do", "[checksum][laws][internet]") {
    // RFC 1071: a sum with any non-zero word is in [1, 0xFFFF], so a checksum
    // computed from scratch is 0xFFFF only for all-zero bytes.
    const std::vector<std::uint8_t> zeros(100, 0);
    CHECK(internet::compute(zeros) == 0xFFFF);
    CHECK(internet_reference::compute(zeros) == 0xFFFF);
    CHECK(internet::verify(internet::update(internet::init(), zeros), 0xFFFF));
    CHECK_FALSE(internet::verify(internet::update(internet::init(), zeros), 0x0000));
}

TEST_CASE("a checksum of 0x0000 may be stored as 0x0000 or 0xFFFF", "[checksum][laws][internet]") {
    // Bytes whose sum is 0xFFFF (-0): checksum 0x0000, which UDP sends as
    // 0xFFFF (RFC 768). The receiver accepts both forms.
    const std::vector<std::uint8_t> bytes{0x12, 0x34, 0xED, 0xCB};  // 0x1234 + 0xEDCB = 0xFFFF
    const auto s = internet::update(internet::init(), bytes);
    REQUIRE(internet::finish(s) == 0x0000);
    CHECK(internet::verify(s, 0x0000));
    CHECK(internet::verify(s, 0xFFFF));
    CHECK_FALSE(internet::verify(s, 0x0001));
}
