// The course's UDP server on l4kit: port 50000, answers upper-cased.
//
//   udp_server                         over a simulated network, with an l4kit client
//   udp_server --tun DEV --address A [--count N] [--timeout S]
//                                      over a TUN device: the kernel's programs are the clients
#include "udp_course.hpp"

#include <l4/link/sim.hpp>

int main(int argc, char** argv) {
    using namespace course;
    const options o = parse_options(argc, argv, "[--tun DEV --address A [--count N] [--timeout S]]");

    if (o.tun) {
        auto tun = tun_host(o);
        if (!tun) return 1;
        auto& host = *tun;
        l4::steady_clock clock;
        auto sock = udp_socket(host);
        if (!sock) return 1;
        const ip_address any = parse_address(o.address).is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        if (auto b = host.bind(*sock, {any, server_port}); !b) return std::cerr << b.error().message() << '\n', 1;
        std::cout << "The server is ready to receive on " << o.dev << '\n' << std::flush;
        for (int i = 0; i < o.count; ++i)
            if (!serve_one(host, clock, *sock, clock.now() + seconds(o.timeout_s))) return 1;
        return report_checksums(host) ? 0 : 1;
    }

    // A 10 Mbit/s path with 20 ms of one-way delay, as a campus-to-cloud hop.
    l4::link::sim::network net{{.seed = 1}};
    const l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{20}};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address client_addr = parse_address("192.0.2.1"), server_addr = parse_address("192.0.2.2");
    l4::virtual_clock clock;
    l4::net::stack client{p2p.a, {.addresses = {client_addr}}};
    l4::net::stack server{p2p.b, {.addresses = {server_addr}}};
    auto ssock = udp_socket(server), csock = udp_socket(client);
    if (!ssock || !csock || !server.bind(*ssock, {ip_address::any_v4(), server_port})) return 1;
    std::cout << "The server is ready to receive (simulated network, 20 ms one way)\n";
    const auto message = payload_of(o);
    if (auto sent = client.sendto(*csock, message, {server_addr, server_port}, clock.now()); !sent)
        return std::cerr << "client: sendto: " << sent.error().message() << '\n', 1;
    const auto deadline = clock.now() + seconds(o.timeout_s);
    if (!serve_one(server, clock, *ssock, deadline)) return 1;
    std::array<std::uint8_t, 2048> buf{};
    auto reply = l4::net::recvfrom_until(client, clock, *csock, buf, deadline);
    if (!reply) return std::cerr << "client: " << reply.error().message() << '\n', 1;
    std::cout << "client: " << printable(std::span{buf}.first(reply->size)) << " after "
              << std::chrono::duration<double, std::milli>(clock.now().time_since_epoch()).count()
              << " ms of virtual time\n";
    return 0;
}
