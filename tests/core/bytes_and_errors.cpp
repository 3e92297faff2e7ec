#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>

#include "../support.hpp"

#include <array>

TEST_CASE("big-endian loads read network order at any alignment", "[bytes]") {
    const std::array<std::uint8_t, 9> b{0xAA, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    CHECK(l4::load_be16(b.data() + 1) == 0x0102);
    CHECK(l4::load_be32(b.data() + 1) == 0x01020304u);
    CHECK(l4::load_be64(b.data() + 1) == 0x0102030405060708ull);
    CHECK(l4::load_le32(b.data() + 1) == 0x04030201u);
}

TEST_CASE("stores are the inverse of loads", "[bytes]") {
    std::array<std::uint8_t, 8> b{};
    l4::store_be16(b.data(), 0xBEEF);
    CHECK(b[0] == 0xBE);
    CHECK(l4::load_be16(b.data()) == 0xBEEF);
    l4::store_be64(b.data(), 0x1122334455667788ull);
    CHECK(b[0] == 0x11);
    CHECK(b[7] == 0x88);
    l4::store_le32(b.data(), 0xA1B2C3D4u);
    CHECK(b[0] == 0xD4);
    CHECK(l4::load_le32(b.data()) == 0xA1B2C3D4u);
}

TEST_CASE("l4 error codes carry their category and a readable message", "[error]") {
    boost::system::error_code ec = l4::errc::bad_data_offset;
    CHECK(ec == l4::errc::bad_data_offset);
    CHECK(ec != l4::errc::truncated);
    CHECK(std::string{ec.category().name()} == "l4");
    CHECK(ec.message() == "bad TCP data offset");
    l4::result<int> r = l4::errc::truncated;
    REQUIRE_FALSE(r);
    CHECK(r.error() == l4::errc::truncated);
}
