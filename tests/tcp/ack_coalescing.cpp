// config::ack_coalescing, as Linux's GRO: in-order data that arrives in one
// receive batch (the frames one poll finds due) is acknowledged once, at the
// batch's end or each time that many bytes wait, instead of every second
// segment. What must be acknowledged at once still is: out-of-order data
// gets a duplicate ACK each (RFC 5681 §4.2), and a lone segment waits for
// the delayed-ACK timer as it would without coalescing (RFC 1122 §4.2.3.2).
#include "injected_connection.hpp"

#include <string>

using namespace l4;
using namespace std::chrono_literals;

namespace {

// The server coalesces ACKs up to `coalescing` bytes; the first byte's ACK
// is already out of the way.
struct established : test::injected_connection {
    seq32 sent_to;  // the next sequence number the test injects

    explicit established(std::uint32_t coalescing)
        : injected_connection{64, {.connection = {.ack_coalescing = coalescing}}} {
        exchange_first_byte();
        clk.advance_by(1s);  // its delayed ACK
        b.poll(clk.now());
        a.poll(clk.now());
        REQUIRE(acks_sent().size() == 0);
        sent_to = server_conn().rcv_nxt();
    }

    // A 1000-byte data segment from the client at `seq`.
    std::vector<std::uint8_t> data_at(seq32 seq) const {
        static const std::vector<std::uint8_t> payload(1000, 'd');
        return data_frame(seq, payload);
    }

    // `n` in-order segments, all found by one poll of the server.
    void batch_of(int n) {
        for (int i = 0; i < n; ++i, sent_to += 1000) b.link().injected.push_back(data_at(sent_to));
        b.poll(clk.now());
    }

    // The acknowledgment numbers of the segments the server has sent since
    // the last call, taken off the link before the client sees them.
    std::vector<std::uint32_t> acks_sent() {
        std::vector<std::uint32_t> acks;
        while (const auto f = a.link().receive_lent(clk.now())) {
            const auto ip = wire::ipv4_view::check(*f);
            REQUIRE(ip);
            const auto t = wire::tcp_view::check(ip->payload());
            REQUIRE(t);
            acks.push_back(t->ack_number().raw());
            a.link().release_received();
        }
        return acks;
    }
};

}  // namespace

TEST_CASE("tcp ack coalescing: in-order segments of one receive batch get one ACK, at the batch's end", "[tcp][ack]") {
    established e{65536};
    const seq32 start = e.sent_to;
    e.batch_of(6);
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 6000).raw()});
    e.batch_of(4);
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 10000).raw()});
}

TEST_CASE("tcp ack coalescing: off, the same batch gets an ACK every second segment", "[tcp][ack]") {
    established e{0};
    const seq32 start = e.sent_to;
    e.batch_of(6);
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 2000).raw(), (start + 4000).raw(),
                                                      (start + 6000).raw()});
}

TEST_CASE("tcp ack coalescing: an ACK leaves each time the coalescing bound's bytes wait", "[tcp][ack]") {
    established e{2500};
    const seq32 start = e.sent_to;
    e.batch_of(6);
    // 3000 bytes unacknowledged reach the bound; the next 3000 again.
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 3000).raw(), (start + 6000).raw()});
}

TEST_CASE("tcp ack coalescing: out-of-order segments in a batch still get a duplicate ACK each", "[tcp][ack]") {
    established e{65536};
    const seq32 start = e.sent_to;
    for (std::uint32_t ahead : {1000u, 2000u, 3000u}) e.b.link().injected.push_back(e.data_at(start + ahead));
    e.b.poll(e.clk.now());
    CHECK(e.acks_sent() == std::vector<std::uint32_t>(3, start.raw()));
    // The hole filled: acknowledged at once, all four segments.
    e.b.link().injected.push_back(e.data_at(start));
    e.b.poll(e.clk.now());
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 4000).raw()});
}

TEST_CASE("tcp ack coalescing: a lone segment still waits for the delayed-ACK timer", "[tcp][ack]") {
    established e{65536};
    const seq32 start = e.sent_to;
    e.batch_of(1);
    CHECK(e.acks_sent().empty());
    const auto deadline = e.b.next_deadline();
    REQUIRE(deadline);
    CHECK(*deadline - e.clk.now() == 200ms);
    e.clk.advance_to(*deadline);
    e.b.poll(e.clk.now());
    CHECK(e.acks_sent() == std::vector<std::uint32_t>{(start + 1000).raw()});
}

TEST_CASE("tcp ack coalescing: bulk data arrives whole with fewer ACKs", "[tcp][ack]") {
    // Between two l4kit hosts over the memory link, both coalescing: the bytes
    // arrive in order and complete, and the receiver sends far fewer segments
    // than one per two it receives.
    const std::uint32_t total = 4 << 20;
    const tcp::endpoint_config cfg{.connection = {.send_buffer = 1 << 20, .receive_buffer = 1 << 20, .nodelay = true,
                                                  .ack_coalescing = 65536}};
    using host = test::injected_connection::client_host;
    const auto& server = test::injected_connection::server;
    const auto& client_ip = test::injected_connection::client_ip;
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 1024});
    host a{std::move(la), {.addresses = {client_ip}, .secret = {1}}, tcp::endpoint<>{cfg}};
    host b{std::move(lb), {.addresses = {server.address}, .secret = {2}}, tcp::endpoint<>{cfg}};
    virtual_clock clk;
    auto l = b.socket(net::socket_type::stream).value();
    REQUIRE(b.bind(l, server));
    REQUIRE(b.listen(l, 4));
    auto c = a.socket(net::socket_type::stream).value();
    REQUIRE(a.connect(c, server, clk.now()));
    std::optional<net::socket_id> s;
    REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] {
        if (!s)
            if (auto r = b.accept(l)) s = *r;
        return s && a.writable(c);
    }, a, b));
    std::vector<std::uint8_t> source(total), sink;
    for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
    std::size_t sent = 0;
    std::vector<std::uint8_t> buf(64 * 1024);
    REQUIRE(net::drive_all_until(clk, clk.now() + 60s, [&] {
        if (sent < source.size())
            if (auto w = a.send(c, std::span{source}.subspan(sent), clk.now())) sent += *w;
        while (auto r = b.recv(*s, buf)) {
            if (*r == 0) break;
            sink.insert(sink.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return sink.size() == source.size();
    }, a, b));
    CHECK(sink == source);
    const auto& rx = b.transport<tcp::endpoint<>>().connection_of(b.sockets().find(*s)->local)->stats();
    const auto& tx = a.transport<tcp::endpoint<>>().connection_of(a.sockets().find(c)->local)->stats();
    CHECK(tx.retransmits_timeout + tx.retransmits_fast == 0);
    CHECK(rx.segments_in > 2800);  // 4 MiB in segments of at most 1460 bytes
    CHECK(rx.segments_out * 8 < rx.segments_in);
}
