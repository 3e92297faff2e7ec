// The course's TCP client on l4kit: connects to port 50007, sends a
// sentence, prints the upper-cased answer, closes.
//
//   tcp_echo_client                       over a simulated network with 1 % loss, against an l4kit server
//   tcp_echo_client --tun DEV --address A --server S [--message M | --size N] [--timeout T]
//                                         over a TUN device, against a kernel server at S
#include "tcp_course.hpp"

#include <l4/link/sim.hpp>

namespace {

// clientSocket.connect((serverName, 50007)); send(sentence); recv(1024); close()
template <class Stack, class Clock>
bool echo_once(Stack& host, Clock& clock, course::socket_address server, l4::bytes message, l4::instant deadline) {
    auto s = course::tcp_socket(host);
    if (!s) return false;
    if (auto c = host.connect(*s, server, clock.now()); !c) {
        std::cerr << "connect: " << c.error().message() << '\n';
        return false;
    }
    if (!course::send_all(host, clock, *s, message, deadline)) return false;
    std::vector<std::uint8_t> reply;
    if (!course::recv_all(host, clock, *s, reply, message.size(), deadline)) return false;
    std::cout << "client: " << course::printable(reply) << " from " << *host.peer_address(*s) << '\n';
    (void)host.close(*s, clock.now());
    std::vector<std::uint8_t> expected(message.begin(), message.end());
    for (auto& c : expected) c = static_cast<std::uint8_t>(std::toupper(c));
    return reply == expected;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace course;
    const options o =
        parse_options(argc, argv, "[--tun DEV --address A --server S [--message M | --size N] [--timeout T]]");
    const auto message = payload_of(o);

    if (o.tun) {
        auto tun = tcp_tun_host(o);
        if (!tun) return 1;
        l4::steady_clock clock;
        const bool ok = echo_once(*tun, clock, {parse_address(o.peer), echo_port}, message,
                                  clock.now() + seconds(o.timeout_s));
        // Let the FIN exchange finish before the device goes away.
        (void)l4::net::drive_until(*tun, clock, clock.now() + std::chrono::milliseconds{200}, [] { return false; });
        return ok ? 0 : 1;
    }

    // Over the simulator the server is an l4kit host too, driven in the same loop.
    l4::link::sim::network net{{.seed = 7}};
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{20}};
    path.impair.loss = l4::link::sim::bernoulli_loss{0.01};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address client_addr = parse_address("192.0.2.1"), server_addr = parse_address("192.0.2.2");
    tcp_host<l4::link::sim::port> client{p2p.a, {.addresses = {client_addr}}};
    tcp_host<l4::link::sim::port> server{p2p.b, {.addresses = {server_addr}}};
    auto listener = tcp_socket(server);
    if (!listener || !server.bind(*listener, {ip_address::any_v4(), echo_port}) || !server.listen(*listener, 1))
        return 1;
    l4::virtual_clock clock;
    // Both hosts share the simulated network: drive them together.
    const auto run_until = [&](auto&& done) {
        return l4::net::drive_all_until(clock, clock.now() + seconds(o.timeout_s) + std::chrono::minutes{2}, done,
                                        client, server)
            .has_value();
    };
    // clientSocket.connect((serverName, 50007)); clientSocket.send(sentence)
    auto s = tcp_socket(client);
    if (!s || !client.connect(*s, {server_addr, echo_port}, clock.now())) return 1;
    std::size_t sent = 0;
    // connectionSocket, addr = serverSocket.accept(); recv(1024); send(upper); close()
    std::optional<l4::net::socket_id> conn;
    std::vector<std::uint8_t> request, reply;
    std::array<std::uint8_t, 2048> buf{};
    const bool ok = run_until([&] {
        if (sent < message.size())
            if (auto w = client.send(*s, std::span{message}.subspan(sent), clock.now())) sent += *w;
        if (!conn)
            if (auto a = server.accept(*listener)) conn = *a;
        if (conn && request.size() < message.size()) {
            while (auto r = server.recv(*conn, buf)) {
                if (*r == 0) break;
                request.insert(request.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
            }
            if (request.size() == message.size()) {
                for (auto& c : request) c = static_cast<std::uint8_t>(std::toupper(c));
                if (!server.send(*conn, request, clock.now())) return true;
                (void)server.close(*conn, clock.now());
            }
        }
        while (auto r = client.recv(*s, buf)) {
            if (*r == 0) break;
            reply.insert(reply.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return reply.size() >= message.size();
    });
    (void)client.close(*s, clock.now());
    std::vector<std::uint8_t> expected(message.begin(), message.end());
    for (auto& c : expected) c = static_cast<std::uint8_t>(std::toupper(c));
    std::cout << "client: " << printable(reply) << " from " << socket_address{server_addr, echo_port} << " after "
              << std::chrono::duration<double, std::milli>(clock.now().time_since_epoch()).count()
              << " ms of virtual time\n";
    if (!ok || reply != expected) return 1;
    // Both sides close; the client's connection waits out TIME-WAIT.
    const bool closed = run_until([&] {
        return client.transport<tcp>().connections() == 0 && server.transport<tcp>().connections() == 0;
    });
    std::cout << "both closed after " << std::chrono::duration<double>(clock.now().time_since_epoch()).count()
              << " s of virtual time (TIME-WAIT included)\n";
    return closed ? 0 : 1;
}
