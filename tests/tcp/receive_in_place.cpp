// The receiver verifies an in-order segment's checksum while it copies the
// payload into the receive buffer. A segment that fails the check must
// leave nothing readable behind, and its good copy must then arrive whole;
// a segment that lands after an out-of-order range goes the other way (it
// is verified where it lies) with the same outcome.
#include "injecting_link.hpp"

#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <string>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;

namespace {

const socket_address server{*ip_address::from_string("192.0.2.2"), 80};
const ip_address client_ip = *ip_address::from_string("192.0.2.1");

using host_a = net::stack<link::memory_end, tcp::endpoint<>>;
using host_b = net::stack<test::injecting_link, tcp::endpoint<>>;

struct established {
    virtual_clock clk;
    host_a a;
    host_b b;
    net::socket_id c{}, s{};
    std::uint16_t client_port = 0;

    established() : established(link::memory_pair({.mtu = 1500, .queue_frames = 64})) {}
    explicit established(std::pair<link::memory_end, link::memory_end> ends)
        : a{std::move(ends.first), {.addresses = {client_ip}, .secret = {1}}},
          b{test::injecting_link{std::move(ends.second), {}}, {.addresses = {server.address}, .secret = {2}}} {
        auto l = b.socket(net::socket_type::stream).value();
        REQUIRE(b.bind(l, server));
        REQUIRE(b.listen(l, 4));
        c = a.socket(net::socket_type::stream).value();
        REQUIRE(a.connect(c, server, clk.now()));
        std::optional<net::socket_id> accepted;
        REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] {
            if (!accepted)
                if (auto r = b.accept(l)) accepted = *r;
            return accepted && a.writable(c);
        }, a, b));
        s = *accepted;
        client_port = a.local_address(c)->port;
        // A first byte, so that the server's receive buffer exists.
        REQUIRE(a.send(c, as_bytes("x"), clk.now()));
        std::uint8_t one = 0;
        REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] { return b.recv(s, {&one, 1}).has_value(); }, a, b));
    }

    const tcp::endpoint<>::connection_type& server_conn() {
        return *b.transport<tcp::endpoint<>>().connection_of(b.sockets().find(s)->local);
    }

    // A data segment from the client's 4-tuple at rcv.nxt + `ahead`.
    std::vector<std::uint8_t> data(const std::string& text, std::uint32_t ahead = 0) {
        wire::tcp_repr seg;
        seg.src_port = client_port;
        seg.dst_port = server.port;
        seg.seq_number = server_conn().rcv_nxt() + ahead;
        seg.ack_number = server_conn().snd_nxt();
        seg.flags.bits = wire::tcp_flags::ack | wire::tcp_flags::psh;
        seg.window = 65535;
        seg.payload = as_bytes(text);
        return test::ipv4_frame(client_ip.v4(), server.address.v4(), seg);
    }

    void inject(std::vector<std::uint8_t> frame) {
        b.link().injected.push_back(std::move(frame));
        b.poll(clk.now());
    }

    std::string read_all() {
        std::string out(4096, '\0');
        auto n = b.recv(s, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
        out.resize(n ? *n : 0);
        return out;
    }

    static bytes as_bytes(const std::string& t) { return {reinterpret_cast<const std::uint8_t*>(t.data()), t.size()}; }
};

std::uint64_t bad_checksums(const host_b& b) { return b.transport<tcp::endpoint<>>().stats().rx_bad_checksum; }

}  // namespace

TEST_CASE("tcp receive: an in-order segment that fails its checksum leaves nothing readable, its good copy arrives whole",
          "[tcp][checksum]") {
    established e;
    const std::string text(1000, 'a');
    auto corrupted = e.data(text);
    corrupted.back() ^= 0x01;  // the last payload byte: the copy into the buffer is done before the sum is known

    e.inject(corrupted);
    CHECK(bad_checksums(e.b) == 1);
    CHECK(e.server_conn().recv_queue() == 0);
    CHECK(e.server_conn().stats().bytes_in == 1);  // the first byte only

    e.inject(e.data(text));
    CHECK(bad_checksums(e.b) == 1);
    CHECK(e.read_all() == text);
}

TEST_CASE("tcp receive: a corrupted segment beside out-of-order data spoils neither", "[tcp][checksum]") {
    established e;
    const std::string first(100, 'f'), later(100, 'l');
    e.inject(e.data(later, 100));  // held out of order, 100 bytes past rcv.nxt
    REQUIRE(e.server_conn().recv_queue() == 0);

    auto corrupted = e.data(std::string(200, 'X'));  // would overwrite the held range, and fails its checksum
    corrupted.back() ^= 0x80;
    e.inject(corrupted);
    CHECK(bad_checksums(e.b) == 1);

    e.inject(e.data(first));
    CHECK(e.read_all() == first + later);
}
