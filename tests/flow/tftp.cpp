// TFTP (RFC 1350) on flow::stop_and_wait, examples/tftp.hpp: the packets,
// the lock-step state machine, and whole transfers over the simulator.
#include "../../examples/tftp.hpp"

#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using l4::net::ip_address;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> file_of(std::size_t size, std::uint32_t seed) {
    std::vector<std::uint8_t> f(size);
    std::uint32_t x = seed;
    for (auto& b : f) b = static_cast<std::uint8_t>((x = x * 1103515245u + 12345u) >> 16);
    return f;
}

tftp::packet parsed(const std::vector<std::uint8_t>& b) {
    auto p = tftp::parse(b);
    REQUIRE(p.has_value());
    return *p;
}

// A client and a server on a simulated path; the server serves `files`.
struct sim_run {
    std::optional<tftp::transfer> client;  // the client's side when the run ended
    std::optional<tftp::transfer> server;
    std::map<std::string, std::vector<std::uint8_t>> files;
    l4::duration elapsed{};
};

sim_run run(const tftp::request& req, std::map<std::string, std::vector<std::uint8_t>> files, double loss,
            std::vector<std::uint8_t> put = {}) {
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = 5ms};
    if (loss > 0) path.impair.loss = l4::link::sim::bernoulli_loss{loss};
    l4::link::sim::network net{{.seed = 7}};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address caddr = *ip_address::from_string("192.0.2.1"), saddr = *ip_address::from_string("192.0.2.2");
    l4::net::stack client{p2p.a, {.addresses = {caddr}}};
    l4::net::stack server{p2p.b, {.addresses = {saddr}}};
    l4::virtual_clock clock;
    using C = decltype(client);
    using S = decltype(server);
    const auto listen = server.socket(l4::net::socket_type::datagram).value();
    REQUIRE(server.bind(listen, {saddr, tftp::server_port}).has_value());
    const auto csock = client.socket(l4::net::socket_type::datagram).value();
    const tftp::config cfg{};
    tftp::session<C> cli{client, csock, {saddr, tftp::server_port}, false,
                         req.write ? tftp::transfer::send_after(req, put, cfg)
                                   : tftp::transfer::receive_after(req, cfg)};
    std::optional<tftp::session<S>> srv;
    const auto find = [&](const std::string& name) -> std::optional<std::vector<std::uint8_t>> {
        if (auto it = files.find(name); it != files.end()) return it->second;
        return std::nullopt;
    };
    const auto limit = clock.now() + 600s;
    while (clock.now() < limit) {
        const auto now = clock.now();
        std::array<std::uint8_t, 2048> buf{};
        // One transfer at a time: a repeated request while one runs is a copy of the first.
        while (server.readable(listen)) {
            auto r = server.recvfrom(listen, buf);
            REQUIRE(r.has_value());
            auto p = tftp::parse(l4::bytes{buf}.first(r->size));
            if (srv || !p || !std::holds_alternative<tftp::request>(*p)) continue;
            const auto sock = server.socket(l4::net::socket_type::datagram).value();
            srv.emplace(tftp::session<S>{server, sock, r->from, true,
                                         tftp::answer(std::get<tftp::request>(*p), find, cfg)});
        }
        REQUIRE(cli.pump(now));
        if (srv) REQUIRE(srv->pump(now));
        if (cli.t.finished() && srv && srv->t.finished()) break;
        std::optional<l4::instant> next = cli.t.next_deadline();
        if (srv)
            if (auto d = srv->t.next_deadline(); d && (!next || *d < *next)) next = d;
        const auto until = std::min(next.value_or(limit), limit);
        const auto ready = [&] {
            return client.readable(csock) || server.readable(listen) || (srv && server.readable(srv->sock));
        };
        // With nothing on the network the stacks have no deadline: time goes straight to the transfers'.
        if (!l4::net::drive_all_until(clock, until, ready, client, server) && !ready()) clock.advance_to(until);
    }
    sim_run out;
    out.client = cli.t;
    if (srv) {
        out.server = srv->t;
        if (req.write && srv->t.complete()) files[req.filename] = srv->t.file();
    }
    out.files = std::move(files);
    out.elapsed = clock.now().time_since_epoch();
    return out;
}

}  // namespace

TEST_CASE("tftp packets: emit then parse gives the same packet", "[flow][tftp][wire]") {
    const auto payload = file_of(512, 1);
    const std::vector<tftp::packet> packets{
        tftp::request{false, "boot.img", "octet"}, tftp::request{true, "up.bin", "OCTET"},
        tftp::data{1, payload}, tftp::data{65535, {}}, tftp::ack{0}, tftp::ack{2048},
        tftp::error{tftp::error_code::file_not_found, "file not found"}, tftp::error{tftp::error_code::unknown_tid, ""},
    };
    for (const auto& p : packets) {
        const auto wire = tftp::emit(p);
        CHECK(parsed(wire) == p);
    }
    // RFC 1350 §5's layouts, byte for byte.
    CHECK(tftp::emit(tftp::request{false, "a", "octet"}) == bytes_of(std::string_view{"\0\1a\0octet\0", 10}));
    CHECK(tftp::emit(tftp::ack{258}) == std::vector<std::uint8_t>{0, 4, 1, 2});
    CHECK(tftp::emit(tftp::error{tftp::error_code::file_not_found, "x"}) == std::vector<std::uint8_t>{0, 5, 0, 1, 'x', 0});
    // RFC 2347 options after the mode are ignored.
    CHECK(parsed(bytes_of(std::string_view{"\0\1f\0octet\0tsize\0" "0\0", 18})) == tftp::packet{tftp::request{false, "f", "octet"}});
}

TEST_CASE("tftp packets: malformed ones give typed errors", "[flow][tftp][wire]") {
    using E = tftp::parse_error;
    const auto error_of = [](std::vector<std::uint8_t> b) {
        auto p = tftp::parse(b);
        REQUIRE_FALSE(p.has_value());
        return p.error();
    };
    CHECK(error_of({}) == E::truncated);
    CHECK(error_of({0}) == E::truncated);
    CHECK(error_of({0, 9, 0, 1}) == E::unknown_opcode);
    CHECK(error_of({0, 0}) == E::unknown_opcode);
    CHECK(error_of(bytes_of(std::string_view{"\0\1file", 6})) == E::unterminated_string);
    CHECK(error_of(bytes_of(std::string_view{"\0\2file\0octet", 12})) == E::unterminated_string);
    CHECK(error_of(bytes_of(std::string_view{"\0\1\0octet\0", 9})) == E::empty_filename);
    CHECK(error_of({0, 3, 0}) == E::truncated);
    std::vector<std::uint8_t> big{0, 3, 0, 1};
    big.resize(4 + 513);
    CHECK(error_of(big) == E::block_too_long);
    CHECK(error_of({0, 4, 0}) == E::truncated);
    CHECK(error_of({0, 4, 0, 1, 0}) == E::trailing_bytes);
    CHECK(error_of({0, 5, 0, 1, 'n', 'o'}) == E::unterminated_string);
}

TEST_CASE("tftp sender: lock-step, a timeout resends the block, a duplicate ACK sends nothing", "[flow][tftp]") {
    auto t = tftp::transfer::send(file_of(1000, 2));
    l4::instant now{};
    auto d1 = t.poll_transmit(now);
    REQUIRE(d1);
    CHECK(d1->size() == 4 + 512);
    CHECK_FALSE(t.poll_transmit(now));  // stop-and-wait: block 2 waits for ACK 1
    now = *t.next_deadline();
    CHECK(t.poll_transmit(now) == d1);  // RFC 1350 §2: the timeout resends it
    CHECK(t.stats().retransmissions == 1);
    t.on_packet(tftp::emit(tftp::ack{1}), now + 1ms);
    auto d2 = t.poll_transmit(now + 1ms);
    REQUIRE(d2);
    CHECK(parsed(*d2) == tftp::packet{tftp::data{2, l4::bytes{file_of(1000, 2)}.subspan(512)}});
    t.on_packet(tftp::emit(tftp::ack{1}), now + 2ms);  // a copy of ACK 1
    CHECK_FALSE(t.poll_transmit(now + 2ms));            // RFC 1123 §4.2.3.1
    CHECK(t.stats().duplicates == 1);
    t.on_packet(tftp::emit(tftp::ack{2}), now + 3ms);
    CHECK(t.finished());
    CHECK(t.complete());
}

TEST_CASE("tftp sender: timing out on the final block's ACK is told apart from timing out earlier", "[flow][tftp]") {
    // RFC 1350 §6: a receiver may stop on sending its final ACK, so that ACK lost
    // looks, to the sender, the same as the file delivered.
    const auto give_up = [](tftp::transfer& t, l4::instant now) {
        while (!t.finished()) {
            now = t.next_deadline().value_or(now);
            (void)t.poll_transmit(now);
        }
    };
    auto last = tftp::transfer::send(file_of(1000, 4));
    REQUIRE(last.poll_transmit(l4::instant{}));
    last.on_packet(tftp::emit(tftp::ack{1}), l4::instant{});
    REQUIRE(last.poll_transmit(l4::instant{}));  // block 2, the short one: its ACK never comes
    give_up(last, l4::instant{});
    CHECK_FALSE(last.complete());
    CHECK(last.final_ack_unseen());

    auto first = tftp::transfer::send(file_of(1000, 4));
    REQUIRE(first.poll_transmit(l4::instant{}));  // block 1, a full one: its ACK never comes
    give_up(first, l4::instant{});
    CHECK_FALSE(first.complete());
    CHECK_FALSE(first.final_ack_unseen());
}

TEST_CASE("tftp receiver: acknowledges each block, again for a copy, and dallies after the last", "[flow][tftp]") {
    auto t = tftp::transfer::receive();
    l4::instant now{};
    CHECK(t.poll_transmit(now) == tftp::emit(tftp::ack{0}));
    const auto block = file_of(512, 3);
    t.on_packet(tftp::emit(tftp::data{1, block}), now);
    CHECK(t.poll_transmit(now) == tftp::emit(tftp::ack{1}));
    t.on_packet(tftp::emit(tftp::data{1, block}), now);
    CHECK(t.poll_transmit(now) == tftp::emit(tftp::ack{1}));
    t.on_packet(tftp::emit(tftp::data{2, {}}), now);
    CHECK(t.poll_transmit(now) == tftp::emit(tftp::ack{2}));
    CHECK(t.complete());
    CHECK_FALSE(t.finished());  // dallying: the last ACK may be lost
    t.on_packet(tftp::emit(tftp::data{2, {}}), now + 1ms);
    CHECK(t.poll_transmit(now + 1ms) == tftp::emit(tftp::ack{2}));
    CHECK_FALSE(t.poll_transmit(*t.next_deadline()));
    CHECK(t.finished());
    CHECK(t.file() == block);
}

TEST_CASE("tftp over the simulator with 10 % loss: get and put arrive byte-exact", "[flow][tftp][sim]") {
    const auto file = file_of(100 * 1024 + 77, 4);
    auto got = run({false, "f.bin", "octet"}, {{"f.bin", file}}, 0.10);
    REQUIRE(got.client->complete());
    CHECK(got.client->file() == file);
    CHECK(got.server->stats().retransmissions > 0);
    CHECK(got.client->stats().blocks == 201);
    auto put = run({true, "up.bin", "octet"}, {}, 0.10, file);
    REQUIRE(put.server->complete());
    CHECK(put.files.at("up.bin") == file);
    CHECK(put.client->stats().retransmissions > 0);
}

TEST_CASE("tftp: a file of a multiple of 512 bytes ends with an empty DATA block", "[flow][tftp][sim]") {
    const auto file = file_of(1024, 5);
    auto got = run({false, "k", "octet"}, {{"k", file}}, 0);
    REQUIRE(got.client->complete());
    CHECK(got.client->file() == file);
    CHECK(got.server->stats().blocks == 3);  // 512, 512, 0
    auto put = run({true, "k2", "octet"}, {}, 0, file);
    REQUIRE(put.server->complete());
    CHECK(put.files.at("k2") == file);
    CHECK(put.server->stats().blocks == 3);
}

TEST_CASE("tftp: an empty file is one empty DATA block", "[flow][tftp][sim]") {
    auto got = run({false, "e", "octet"}, {{"e", {}}}, 0);
    REQUIRE(got.client->complete());
    CHECK(got.client->file().empty());
    CHECK(got.server->stats().blocks == 1);
    auto put = run({true, "e2", "octet"}, {}, 0);
    REQUIRE(put.server->complete());
    CHECK(put.files.at("e2").empty());
}

TEST_CASE("tftp: an unknown file gives ERROR 1, netascii and paths are refused", "[flow][tftp][sim]") {
    auto got = run({false, "missing", "octet"}, {{"f", {1}}}, 0);
    CHECK_FALSE(got.client->complete());
    REQUIRE(got.client->failure());
    CHECK(got.client->failure()->code == tftp::error_code::file_not_found);
    auto ascii = run({false, "f", "netascii"}, {{"f", {1}}}, 0);
    REQUIRE(ascii.client->failure());
    CHECK(ascii.client->failure()->code == tftp::error_code::illegal_operation);
    auto path = run({false, "../etc/passwd", "octet"}, {{"f", {1}}}, 0);
    REQUIRE(path.client->failure());
    CHECK(path.client->failure()->code == tftp::error_code::access_violation);
}
