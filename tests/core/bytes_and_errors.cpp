#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/error_code.hpp>

#include "../support.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

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

TEST_CASE("result holds a value or an error, never both", "[error]") {
    l4::result<int> ok = 7;
    REQUIRE(ok);
    CHECK(*ok == 7);
    CHECK(ok.value() == 7);
    CHECK(ok.error() == l4::errc::ok);  // E{} while a value is held
    CHECK_FALSE(ok == l4::errc::ok);    // equality with an error asks for that error

    l4::result<int> bad = l4::errc::bad_checksum;
    REQUIRE(bad.has_error());
    CHECK(bad == l4::errc::bad_checksum);
    CHECK_FALSE(bad == l4::errc::truncated);
    CHECK_THROWS_AS(bad.value(), l4::bad_result_access<l4::errc>);
    try {
        (void)bad.value();
    } catch (const l4::bad_result_access<l4::errc>& e) {
        CHECK(e.error() == l4::errc::bad_checksum);
    }
}

TEST_CASE("result<void> is success or an error", "[error]") {
    l4::result<void> ok;
    CHECK(ok);
    CHECK_NOTHROW(ok.value());
    l4::result<void> bad = l4::errc::queue_full;
    CHECK_FALSE(bad);
    CHECK(bad == l4::errc::queue_full);
    CHECK_THROWS_AS(bad.value(), l4::bad_result_access<l4::errc>);
}

TEST_CASE("result carries move-only values", "[error]") {
    l4::result<std::unique_ptr<int>> r = std::make_unique<int>(5);
    REQUIRE(r);
    std::unique_ptr<int> p = *std::move(r);
    CHECK(*p == 5);
}

TEST_CASE("a wire error travels into an io_result unchanged, next to errno", "[error]") {
    auto parse = []() -> l4::result<std::size_t> { return l4::errc::truncated; };
    auto io = [&]() -> l4::io_result<std::size_t> {
        auto r = parse();
        if (!r) return r.error();
        return *r;
    };
    const auto r = io();
    REQUIRE_FALSE(r);
    CHECK(r == l4::errc::truncated);
    CHECK(r.error().message() == "truncated");

    l4::io_result<void> sys = boost::system::error_code{EAGAIN, boost::system::system_category()};
    CHECK_FALSE(sys == l4::errc::would_block);  // an errno is not an l4 code
    CHECK(sys.error().value() == EAGAIN);

    l4::io_result<void> widened = l4::result<void>{l4::errc::link_closed};
    CHECK(widened == l4::errc::link_closed);
    l4::io_result<std::size_t> value = l4::result<std::size_t>{3};
    CHECK(*value == 3);
}

TEST_CASE("every errc has its own description", "[error]") {
    // Up to the sentinel, so a code added later is checked too.
    constexpr int end = static_cast<int>(l4::errc::sentinel_);
    STATIC_REQUIRE(end > static_cast<int>(l4::errc::connection_refused));  // the last code when this was written
    std::vector<std::string> seen;
    for (int e = 0; e < end; ++e) {
        INFO("errc " << e);
        std::string d = l4::describe(static_cast<l4::errc>(e));
        CHECK(d != "unknown l4 error");
        CHECK(std::find(seen.begin(), seen.end(), d) == seen.end());
        // The error_code category says the same as describe().
        const boost::system::error_code ec = static_cast<l4::errc>(e);
        CHECK(ec.message() == d);
        seen.push_back(d);
    }
    CHECK(seen.size() == static_cast<std::size_t>(end));
    // The sentinel is no code: it has no description of its own.
    CHECK(std::string{l4::describe(l4::errc::sentinel_)} == "unknown l4 error");
}

TEST_CASE("equal_bytes and copy_bytes work on empty and unequal spans", "[bytes]") {
    const std::array<std::uint8_t, 3> a{1, 2, 3}, b{1, 2, 4};
    CHECK(l4::equal_bytes(a, a));
    CHECK_FALSE(l4::equal_bytes(a, b));
    CHECK_FALSE(l4::equal_bytes(a, std::span{a}.first(2)));
    CHECK(l4::equal_bytes({}, {}));
    std::array<std::uint8_t, 3> out{};
    l4::copy_bytes(a, out.data());
    CHECK(out == a);
    l4::copy_bytes({}, nullptr);  // nothing to copy, nothing touched
    static_assert(l4::equal_bytes(std::array<std::uint8_t, 2>{7, 8}, std::array<std::uint8_t, 2>{7, 8}));
}
