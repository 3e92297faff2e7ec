// The course's UDP client on l4kit: sends "Hello World" to port 50000 and
// prints the upper-cased answer.
//
//   udp_client                         over a simulated network, against an l4kit server
//   udp_client --tun DEV --address A --server S [--message M | --size N] [--timeout T]
//                                      over a TUN device, against a kernel server at S
#include "udp_course.hpp"

#include <l4/link/sim.hpp>

int main(int argc, char** argv) {
    using namespace course;
    const options o = parse_options(
        argc, argv, "[--tun DEV --address A --server S [--message M | --size N] [--timeout T]]");
    const auto message = payload_of(o);

    if (o.tun) {
        auto tun = tun_host(o);
        if (!tun) return 1;
        auto& host = *tun;
        l4::steady_clock clock;
        auto sock = udp_socket(host);
        if (!sock) return 1;
        const bool ok = ask(host, clock, *sock, {parse_address(o.peer), server_port}, message,
                            clock.now() + seconds(o.timeout_s));
        return ok && report_checksums(host) ? 0 : 1;
    }

    // 1 % loss each way, as on a busy Wi-Fi: retry like an application would.
    l4::link::sim::network net{{.seed = 7}};
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{20}};
    path.impair.loss = l4::link::sim::bernoulli_loss{0.01};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address client_addr = parse_address("192.0.2.1"), server_addr = parse_address("192.0.2.2");
    l4::virtual_clock clock;
    l4::net::stack client{p2p.a, {.addresses = {client_addr}}};
    l4::net::stack server{p2p.b, {.addresses = {server_addr}}};
    auto ssock = udp_socket(server), csock = udp_socket(client);
    if (!ssock || !csock || !server.bind(*ssock, {ip_address::any_v4(), server_port})) return 1;
    // The server answers whatever arrives, whenever the driver polls it.
    for (int attempt = 1; attempt <= 5; ++attempt) {
        if (auto sent = client.sendto(*csock, message, {server_addr, server_port}, clock.now()); !sent) {
            std::cerr << "client: sendto: " << sent.error().message() << '\n';
            return 1;
        }
        const auto deadline = clock.now() + std::chrono::seconds{1};
        std::array<std::uint8_t, 2048> buf{};
        auto arrived = l4::net::drive_until(server, clock, deadline, [&] { return server.readable(*ssock); });
        if (arrived) {
            auto req = server.recvfrom(*ssock, buf);
            if (!req) return 1;
            auto reply = std::span{buf}.first(req->size);
            for (auto& c : reply) c = static_cast<std::uint8_t>(std::toupper(c));
            if (auto sent = server.sendto(*ssock, reply, req->from, clock.now()); !sent) {
                std::cerr << "server: sendto: " << sent.error().message() << '\n';
                return 1;
            }
        }
        auto got = l4::net::recvfrom_until(client, clock, *csock, buf, deadline);
        if (got) {
            const auto reply = std::span{buf}.first(got->size);
            std::vector<std::uint8_t> expected(message.begin(), message.end());
            for (auto& c : expected) c = static_cast<std::uint8_t>(std::toupper(c));
            if (!std::ranges::equal(reply, expected)) {
                std::cerr << "client: the answer is not the message upper-cased\n";
                return 1;
            }
            std::cout << "client: " << printable(std::span{buf}.first(got->size)) << " from " << got->from
                      << " (attempt " << attempt << ", t = "
                      << std::chrono::duration<double, std::milli>(clock.now().time_since_epoch()).count()
                      << " ms virtual)\n";
            return 0;
        }
        std::cout << "client: no answer within 1 s, sending again\n";
    }
    return 1;
}
