// Blind attacks on an established connection (RFC 5961): an off-path
// attacker who knows the 4-tuple but not the sequence numbers sends resets,
// SYNs and data with guessed numbers. None may reset the connection or put
// a byte in front of the application.
#include "injected_connection.hpp"

#include <random>
#include <string>

using namespace l4;
using namespace std::chrono_literals;

TEST_CASE("tcp blind injection: 100,000 guessed RSTs, SYNs and data segments reset nothing and deliver nothing",
          "[tcp][security][rfc5961]") {
    test::injected_connection e{4096};
    auto& clk = e.clk;
    auto& a = e.a;
    auto& b = e.b;
    const auto c = e.c, s = e.s;
    const auto client_port = e.client_port;
    const auto& server = test::injected_connection::server;
    const auto& client_ip = test::injected_connection::client_ip;

    const auto segments_out_before =
        b.transport<tcp::endpoint<>>().connection_of(b.sockets().find(s)->local)->stats().segments_out;
    std::mt19937 rng{5961};
    const std::string forged(10, 'X');
    constexpr std::uint32_t attempts = 100'000;
    for (std::uint32_t i = 0; i < attempts; ++i) {
        wire::tcp_repr seg;
        seg.src_port = client_port;
        seg.dst_port = server.port;
        seg.seq_number = seq32{static_cast<std::uint32_t>(rng())};
        seg.ack_number = seq32{static_cast<std::uint32_t>(rng())};
        seg.window = 65535;
        switch (i % 3) {
        case 0: seg.flags.bits = wire::tcp_flags::rst; break;
        case 1: seg.flags.bits = wire::tcp_flags::syn; break;
        default:
            seg.flags.bits = wire::tcp_flags::ack | wire::tcp_flags::psh;
            seg.payload = {reinterpret_cast<const std::uint8_t*>(forged.data()), forged.size()};
        }
        b.link().injected.push_back(test::ipv4_frame(client_ip.v4(), server.address.v4(), seg));
        if (b.link().injected.size() == 1000) {
            clk.advance_by(1ms);
            b.poll(clk.now());
            a.poll(clk.now());
        }
    }
    b.poll(clk.now());
    const auto* conn = b.transport<tcp::endpoint<>>().connection_of(b.sockets().find(s)->local);
    REQUIRE(conn);
    CHECK(conn->current_state() == tcp::state::established);
    CHECK(conn->error() == errc::ok);
    CHECK(conn->recv_queue() == 0);  // no injected byte
    CHECK(conn->stats().bytes_in == 0);
    // RFC 5961 §7: at most 10 answers a second over the flood's 100 ms, the rest suppressed.
    const auto answered = conn->stats().segments_out - segments_out_before;
    INFO("answered " << answered << ", challenge ACKs " << conn->stats().challenge_acks << ", suppressed "
                     << conn->stats().acks_suppressed);
    CHECK(answered <= 10);
    const std::uint32_t not_resets = attempts - (attempts + 2) / 3;  // a reset is never answered
    CHECK(conn->stats().acks_suppressed + answered == not_resets);

    // The real peer's bytes still arrive, and only they.
    REQUIRE(a.send(c, bytes{reinterpret_cast<const std::uint8_t*>("genuine"), 7}, clk.now()));
    std::array<std::uint8_t, 64> buf{};
    std::size_t got = 0;
    REQUIRE(net::drive_all_until(clk, clk.now() + 5s, [&] {
        if (auto r = b.recv(s, std::span{buf}.subspan(got))) got += *r;
        return got >= 7;
    }, a, b));
    CHECK(std::string(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(got)) == "genuine");
}
