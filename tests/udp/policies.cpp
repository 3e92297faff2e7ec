// udp::endpoint composed from policies: the defaults, each policy swapped on
// its own, order-independence, and a user's own datagram format running
// through the same stack.
#include "../support.hpp"

#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/none.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>
#include <l4/udp/endpoint.hpp>

#include <array>
#include <string_view>
#include <type_traits>

using namespace l4;
using net::ip_address;

namespace {

// A variant for a lab network: 16-bit ports, an 8-bit version and an 8-bit
// flags field the standard header lacks, and a CRC32C over everything.
// Protocol 253 is reserved for experiments (RFC 3692).
struct lab_format {
    using policy_family = policy::datagram_format_family;
    using layout = wire::layout<wire::field<"src_port", 16>, wire::field<"dst_port", 16>,  //
                                wire::field<"version", 8>, wire::field<"flags", 8>,        //
                                wire::field<"length", 16>, wire::field<"checksum", 32>>;
    static constexpr std::uint8_t ip_protocol = 253;
};
static_assert(lab_format::layout::size == 12);

using standard = udp::endpoint<>;
using unchecked = udp::endpoint<use<checksum::none>>;
using lab = udp::endpoint<use<lab_format>, use<checksum::crc32c>>;
using lab_reordered = udp::endpoint<use<checksum::crc32c>, use<lab_format>>;

static_assert(std::is_same_v<standard::checksum_type, checksum::internet>);
static_assert(std::is_same_v<standard::format, udp::standard_format>);
static_assert(std::is_same_v<unchecked::checksum_type, checksum::none>);
static_assert(std::is_same_v<unchecked::format, udp::standard_format>, "the rest defaults");
static_assert(std::is_same_v<lab::checksum_type, lab_reordered::checksum_type>, "order does not matter");
static_assert(std::is_same_v<lab::format, lab_reordered::format>);
static_assert(lab::header_len == 12 && lab::ip_protocol == 253);

const ip_address a = *ip_address::from_string("192.0.2.1");
const ip_address b = *ip_address::from_string("192.0.2.2");
const instant t0{};

bytes text(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

template <class Udp>
std::string round_trip(std::string_view msg) {
    auto [la, lb] = link::memory_pair();
    net::stack<link::memory_end, Udp> ha{std::move(la), {.addresses = {a}}}, hb{std::move(lb), {.addresses = {b}}};
    auto s = hb.socket(net::socket_type::datagram).value();
    REQUIRE(hb.bind(s, {b, 4000}));
    REQUIRE(ha.sendto(ha.socket(net::socket_type::datagram).value(), text(msg), {b, 4000}, t0));
    hb.poll(t0);
    std::array<std::uint8_t, 256> buf{};
    auto r = hb.recvfrom(s, buf);
    REQUIRE(r);
    return std::string(reinterpret_cast<const char*>(buf.data()), r->size);
}

}  // namespace

TEST_CASE("udp policies: every composition carries datagrams between two stacks", "[udp][policy]") {
    CHECK(round_trip<standard>("standard") == "standard");
    CHECK(round_trip<unchecked>("no checksum") == "no checksum");
    CHECK(round_trip<lab>("lab variant") == "lab variant");
    CHECK(round_trip<lab_reordered>("same thing") == "same thing");
}

TEST_CASE("udp policies: the none strategy sends a zero checksum, read as none over IPv4", "[udp][policy]") {
    std::array<std::uint8_t, 64> buf{};
    auto n = unchecked::emit(buf, 1, 2, text("x"), {});
    REQUIRE(n);
    CHECK(buf[6] == 0);
    CHECK(buf[7] == 0);
    CHECK(standard::parse(std::span{buf}.first(*n), {}, 4));
    CHECK(standard::parse(std::span{buf}.first(*n), {}, 6).error() == errc::bad_checksum);
}

TEST_CASE("udp policies: a custom format lays out its own header and its CRC32C catches corruption",
          "[udp][policy][layout]") {
    std::array<std::uint8_t, 64> buf{};
    auto n = lab::emit(buf, 7, 9, text("payload"), {});
    REQUIRE(n);
    CHECK(*n == 12 + 7);
    const wire::view<lab_format::layout> h{buf.data()};
    CHECK(h.get<"src_port">() == 7);
    CHECK(h.get<"dst_port">() == 9);
    CHECK(h.get<"length">() == 19);
    CHECK(h.get<"version">() == 0);
    auto d = lab::parse(std::span{buf}.first(*n), {}, 4);
    REQUIRE(d);
    CHECK(d->payload.size() == 7);
    buf[14] ^= 0x80;
    CHECK(lab::parse(std::span{buf}.first(*n), {}, 4).error() == errc::bad_checksum);
}

TEST_CASE("udp policies: a stack of one format ignores another format's protocol", "[udp][policy]") {
    auto [la, lb] = link::memory_pair();
    net::stack<link::memory_end, lab> ha{std::move(la), {.addresses = {a}}};
    net::stack<link::memory_end, standard> hb{std::move(lb), {.addresses = {b}}};
    auto s = hb.socket(net::socket_type::datagram).value();
    REQUIRE(hb.bind(s, {b, 4000}));
    REQUIRE(ha.sendto(ha.socket(net::socket_type::datagram).value(), text("wrong dialect"), {b, 4000}, t0));
    hb.poll(t0);
    CHECK_FALSE(hb.readable(s));
    CHECK(hb.ip_stats().rx_unknown_protocol == 1);
}
