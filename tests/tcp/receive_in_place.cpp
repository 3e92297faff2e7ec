// The receiver verifies an in-order segment's checksum while it copies the
// payload into the receive buffer. A segment that fails the check must
// leave nothing readable behind, and its good copy must then arrive whole;
// a segment that lands after an out-of-order range goes the other way (it
// is verified where it lies) with the same outcome.
#include "injected_connection.hpp"

#include <string>

using namespace l4;

namespace {

// With a first byte sent and read, so that the server's receive buffer exists.
struct established : test::injected_connection {
    established() { exchange_first_byte(); }

    // A data segment from the client's 4-tuple at rcv.nxt + `ahead`.
    std::vector<std::uint8_t> data(const std::string& text, std::uint32_t ahead = 0) {
        return data_frame(server_conn().rcv_nxt() + ahead, as_bytes(text), wire::tcp_flags::ack | wire::tcp_flags::psh);
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

std::uint64_t bad_checksums(const test::injected_connection::server_host& b) { return b.transport<tcp::endpoint<>>().stats().rx_bad_checksum; }

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
