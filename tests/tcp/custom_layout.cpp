// A TCP variant of the user's own runs through the same endpoint: its
// header declared as a layout (32-bit ports and window, the flags in their
// own bytes, a CRC32C instead of the internet checksum), on an experimental
// IP protocol number (RFC 3692), beside the standard TCP in one stack.
#include "../support.hpp"

#include <l4/checksum/crc32c.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <array>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using wire::field;

namespace {

// 0               1               2               3
// |          src_port (32)                                        |
// |          dst_port (32)                                        |
// |          seq_number (32)                                      |
// |          ack_number (32)                                      |
// | data_offset 8 | reserved 8    |c e u a p r s f|  (8 spare)    |
// |          window (32)                                          |
// |          checksum (32: CRC32C)                                |
// |  urgent_pointer (16)          |        pad (16)               |
using fabric_tcp_layout =
    wire::layout<field<"src_port", 32>, field<"dst_port", 32>, field<"seq_number", 32>, field<"ack_number", 32>,
                 field<"data_offset", 8>, field<"reserved", 8>,  //
                 field<"cwr", 1>, field<"ece", 1>, field<"urg", 1>, field<"ack", 1>, field<"psh", 1>, field<"rst", 1>,
                 field<"syn", 1>, field<"fin", 1>, field<"spare", 8>,  //
                 field<"window", 32>, field<"checksum", 32>, field<"urgent_pointer", 16>, field<"pad", 16>>;
static_assert(fabric_tcp_layout::size == 32);

struct fabric_format {
    using policy_family = policy::segment_format_family;
    using layout = fabric_tcp_layout;
    static constexpr std::uint8_t ip_protocol = 253;  // RFC 3692: for experimentation
};

using fabric_tcp = tcp::endpoint<use<fabric_format>, use<checksum::crc32c>>;
using host = net::stack<link::memory_end, tcp::endpoint<>, fabric_tcp>;

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");

}  // namespace

TEST_CASE("tcp custom layout: a user's header, checksum and protocol number carry a connection",
          "[tcp][custom_layout]") {
    auto [x, y] = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
    auto a = host::create(std::move(x), {.addresses = {a4}, .secret = {1}}, tcp::endpoint<>{},
                          fabric_tcp{}).value();
    auto b = host::create(std::move(y), {.addresses = {b4}, .secret = {2}}, tcp::endpoint<>{},
                          fabric_tcp{}).value();
    virtual_clock clk;
    // Both transports are streams: socket(stream) gives the first's, socket<T>() names one.
    const auto fabric_socket = [](host& h) { return h.socket<fabric_tcp>().value(); };
    auto listener = fabric_socket(b);
    REQUIRE(b.bind(listener, {ip_address::any_v4(), 50007}));
    REQUIRE(b.listen(listener, 4));
    auto client = fabric_socket(a);
    REQUIRE(a.connect(client, {b4, 50007}, clk.now()));

    std::vector<std::uint8_t> data(200'000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 13 + 5);
    std::optional<net::socket_id> server;
    std::vector<std::uint8_t> got;
    std::size_t sent = 0;
    std::array<std::uint8_t, 4096> buf{};
    const bool done = net::drive_all_until(clk, clk.now() + 60s, [&] {
        if (!server)
            if (auto s = b.accept(listener)) server = *s;
        if (sent < data.size())
            if (auto n = a.send(client, bytes{data}.subspan(sent), clk.now())) sent += *n;
        if (server)
            while (auto n = b.recv(*server, buf)) {
                if (*n == 0) break;
                got.insert(got.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
            }
        return got.size() == data.size();
    }, a, b).has_value();
    REQUIRE(done);
    CHECK(got == data);
    CHECK(a.transport<tcp::endpoint<>>().stats().rx_segments == 0);  // the standard TCP saw none of it
    CHECK(b.transport<fabric_tcp>().stats().rx_bad_checksum == 0);
    CHECK(b.transport<fabric_tcp>().stats().rx_segments > 0);
    // The MSS leaves room for this header's 32 bytes: 1500 − 20 − 32, less the timestamps.
    CHECK(a.transport<fabric_tcp>().connection_of(a.sockets().find(client)->local)->snd_mss() == 1448 - 12);
}
