// link::tun without privileges: what open() refuses before it touches the
// kernel, and the messages of its typed errors. The device itself, with the
// kernel on the other side, is tested in tests/interop/tun.cpp (root only).
#include <l4/link/tun.hpp>

#include "../support.hpp"

#include <string>

using l4::link::tun;
using l4::link::tun_errc;

static_assert(l4::link::check_link<tun>());

TEST_CASE("tun: names that do not fit an interface name are refused", "[link][tun]") {
    CHECK(tun::open("l4tun-name-too-long").error() == tun_errc::bad_name);  // 19 > 15 characters
    CHECK(tun::open("0123456789abcdef").error() == tun_errc::bad_name);     // 16: no room for the NUL
    CHECK(tun::open("l4/tun").error() == tun_errc::bad_name);
    CHECK(tun::open("l4 tun").error() == tun_errc::bad_name);
    CHECK(tun::open("l4:tun").error() == tun_errc::bad_name);
}

TEST_CASE("tun: an MTU outside 68-65535 is refused", "[link][tun]") {
    CHECK(tun::open("", {.mtu = 67}).error() == l4::errc::value_out_of_range);
    CHECK(tun::open("", {.mtu = 65536}).error() == l4::errc::value_out_of_range);
}

TEST_CASE("tun: the typed errors say what is missing", "[link][tun]") {
    const auto missing = make_error_code(tun_errc::device_missing);
    CHECK(std::string{missing.category().name()} == "l4.tun");
    CHECK(missing.message().starts_with("/dev/net/tun is missing"));
    CHECK(make_error_code(tun_errc::not_permitted).message().starts_with("CAP_NET_ADMIN is missing"));
    CHECK(make_error_code(tun_errc::bad_name).message().starts_with("bad interface name"));
    // An error_code compares equal to its enum, as l4::errc does.
    const boost::system::error_code ec = tun_errc::not_permitted;
    CHECK(ec == tun_errc::not_permitted);
    CHECK(ec != tun_errc::device_missing);
}
