// CRC32C known answers, on every path.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>

namespace {

using namespace l4::checksum;
using namespace l4::checksum::test;

using crc32c_paths = std::tuple<crc32c_portable, crc32c_sse42, crc32c>;

std::array<std::uint8_t, 32> filled(std::uint8_t v) {
    std::array<std::uint8_t, 32> a{};
    a.fill(v);
    return a;
}

l4::bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace

TEMPLATE_LIST_TEST_CASE("CRC32C gives the RFC 3720 B.4 and catalogue check values", "[checksum][crc32c]",
                        crc32c_paths) {
    using S = TestType;
    INFO(std::string{S::name} << " (crc32c runs " << std::string{crc32c::active_path()} << ")");

    std::array<std::uint8_t, 32> ascending{}, descending{};
    std::iota(ascending.begin(), ascending.end(), std::uint8_t{0});
    std::iota(descending.rbegin(), descending.rend(), std::uint8_t{0});
    // RFC 3720 B.4: an iSCSI READ command PDU (48 bytes).
    const std::array<std::uint8_t, 48> read_pdu{0x01, 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                0x14, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18,
                                                0x28, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0};

    CHECK(S::compute(filled(0x00)) == 0x8A9136AA);
    CHECK(S::compute(filled(0xFF)) == 0x62A8AB43);
    CHECK(S::compute(ascending) == 0x46DD794E);
    CHECK(S::compute(descending) == 0x113FDB5C);
    CHECK(S::compute(read_pdu) == 0xD9963A56);
    CHECK(S::compute(text("123456789")) == 0xE3069283);  // the CRC catalogue's check value
    CHECK(S::compute(l4::bytes{}) == 0x00000000);
}

TEST_CASE("CRC32C's tables are built at compile time and usable in constant expressions", "[checksum][crc32c]") {
    static constexpr std::array<std::uint8_t, 9> digits{'1', '2', '3', '4', '5', '6', '7', '8', '9'};
    STATIC_REQUIRE(crc32c_portable::compute(digits) == 0xE3069283);
    STATIC_REQUIRE(crc32c::compute(digits) == 0xE3069283);
    STATIC_REQUIRE(crc32c::verify(crc32c::update(crc32c::init(), digits), 0xE3069283));
}

TEST_CASE("the SSE4.2 path agrees with slicing-by-8 and with the bitwise definition", "[checksum][crc32c]") {
    WARN("crc32c_sse42 " << (crc32c_sse42::available() ? "runs the crc32 instruction"
                                                       : "is not available here: it runs crc32c_portable"));
    const auto bytes = random_bytes(42, 4099);
    for (std::size_t offset = 0; offset < 9; ++offset) {
        const l4::bytes b = l4::bytes{bytes}.subspan(offset);
        CHECK(crc32c_sse42::compute(b) == crc32c_portable::compute(b));
        CHECK(crc32c_portable::compute(b) == crc32c_bitwise(b));
    }
}

TEST_CASE("CRC32C verifies by equality", "[checksum][crc32c]") {
    const auto s = crc32c::update(crc32c::init(), text("123456789"));
    CHECK(crc32c::verify(s, 0xE3069283));
    CHECK_FALSE(crc32c::verify(s, 0xE3069282));
    CHECK_FALSE(crc32c::verify(s, 0x00000000));
}
