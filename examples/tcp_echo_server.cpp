// The course's TCP server on l4kit: listens on port 50007; for each
// connection, reads the sentence, sends it back upper-cased, closes.
//
//   tcp_echo_server                       over a simulated network, an l4kit client asks once
//   tcp_echo_server --tun DEV --address A [--count N] [--size N] [--timeout S]
//                                         over a TUN device, for N kernel clients
#include "tcp_course.hpp"

#include <l4/link/sim.hpp>

namespace {

// connectionSocket, addr = serverSocket.accept(); sentence = recv(1024);
// send(sentence.upper()); connectionSocket.close()
template <class Stack, class Clock>
bool serve_one(Stack& host, Clock& clock, l4::net::socket_id listener, std::size_t size, l4::instant deadline) {
    std::optional<l4::net::socket_id> conn;
    if (auto r = l4::net::drive_until(host, clock, deadline, [&] {
            if (auto a = host.accept(listener)) conn = *a;
            return conn.has_value();
        });
        !r) {
        std::cerr << "accept: " << r.error().message() << '\n';
        return false;
    }
    std::vector<std::uint8_t> sentence;
    if (!course::recv_all(host, clock, *conn, sentence, size == 0 ? 1 : size, deadline)) return false;
    std::cout << "server: " << course::printable(sentence) << " from " << *host.peer_address(*conn) << '\n';
    for (auto& c : sentence) c = static_cast<std::uint8_t>(std::toupper(c));
    const bool sent = course::send_all(host, clock, *conn, sentence, deadline);
    (void)host.close(*conn, clock.now());
    return sent;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace course;
    options o = parse_options(argc, argv, "[--tun DEV --address A [--count N] [--size N] [--timeout S]]");

    if (o.tun) {
        auto tun = tcp_tun_host(o);
        if (!tun) return 1;
        auto& host = *tun;
        l4::steady_clock clock;
        auto listener = tcp_socket(host);
        if (!listener) return 1;
        const ip_address any = parse_address(o.address).is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        if (auto b = host.bind(*listener, {any, echo_port}); !b) return std::cerr << b.error().message() << '\n', 1;
        if (auto l = host.listen(*listener, 1); !l) return std::cerr << l.error().message() << '\n', 1;
        std::cout << "The server is ready to receive on " << o.dev << '\n' << std::flush;
        const std::size_t size = o.size < 0 ? 0 : static_cast<std::size_t>(o.size);
        for (int i = 0; i < o.count; ++i)
            if (!serve_one(host, clock, *listener, size, clock.now() + seconds(o.timeout_s))) return 1;
        // The last FIN and its ACK, before the device goes away.
        (void)l4::net::drive_until(host, clock, clock.now() + std::chrono::milliseconds{200}, [] { return false; });
        return 0;
    }

    // Over the simulator: this server and one l4kit client, both driven here.
    l4::link::sim::network net{{.seed = 1}};
    const l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{20}};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address client_addr = parse_address("192.0.2.1"), server_addr = parse_address("192.0.2.2");
    tcp_host<l4::link::sim::port> client{p2p.a, {.addresses = {client_addr}}};
    tcp_host<l4::link::sim::port> server{p2p.b, {.addresses = {server_addr}}};
    l4::virtual_clock clock;
    auto listener = tcp_socket(server);
    if (!listener || !server.bind(*listener, {ip_address::any_v4(), echo_port}) || !server.listen(*listener, 1))
        return 1;
    std::cout << "The server is ready to receive (simulated network, 20 ms one way)\n";
    const auto message = payload_of(o);
    auto c = tcp_socket(client);
    if (!c || !client.connect(*c, {server_addr, echo_port}, clock.now())) return 1;
    std::size_t sent = 0;
    std::optional<l4::net::socket_id> conn;
    std::vector<std::uint8_t> sentence, reply;
    std::array<std::uint8_t, 2048> buf{};
    bool answered = false;
    // Both hosts share the simulated network: drive them together.
    (void)l4::net::drive_all_until(clock, clock.now() + seconds(o.timeout_s), [&] {
        if (sent < message.size())
            if (auto w = client.send(*c, std::span{message}.subspan(sent), clock.now())) sent += *w;
        if (!conn)
            if (auto a = server.accept(*listener)) conn = *a;
        if (conn && !answered) {
            while (auto r = server.recv(*conn, buf)) {
                if (*r == 0) break;
                sentence.insert(sentence.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
            if (sentence.size() == message.size()) {
                std::cout << "server: " << printable(sentence) << " from " << *server.peer_address(*conn) << '\n';
                for (auto& ch : sentence) ch = static_cast<std::uint8_t>(std::toupper(ch));
                answered = server.send(*conn, sentence, clock.now()).has_value();
                (void)server.close(*conn, clock.now());
            }
        }
        while (auto r = client.recv(*c, buf)) {
            if (*r == 0) break;
            reply.insert(reply.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return reply.size() >= message.size();
    }, client, server);
    std::vector<std::uint8_t> expected(message.begin(), message.end());
    for (auto& ch : expected) ch = static_cast<std::uint8_t>(std::toupper(ch));
    std::cout << "client: " << printable(reply) << " after "
              << std::chrono::duration<double, std::milli>(clock.now().time_since_epoch()).count()
              << " ms of virtual time\n";
    return reply == expected ? 0 : 1;
}
