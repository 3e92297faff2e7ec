// A TFTP client (RFC 1350) on l4kit's UDP: stop-and-wait outside TCP.
//
//   tftp_client                        the lock-step on paper: our client fetches
//                                      from our server, every 7th packet lost
//   tftp_client --tun DEV --address A --server S [--timeout SEC] [--rto-min MS] get REMOTE LOCAL
//   tftp_client --tun DEV --address A --server S [--timeout SEC] [--rto-min MS] put LOCAL REMOTE
//                                      over a TUN device, octet mode
//
// Exits 0 when the file arrived whole; on a TFTP ERROR prints it (as
// "ERROR <code>: <message>") and exits 1.
#include "tftp.hpp"

#include <l4/core/random_key.hpp>
#include <l4/link/tun.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace {

using l4::net::ip_address;

double secs(l4::duration d) { return std::chrono::duration<double>(d).count(); }

void report(const tftp::transfer& t, l4::duration took) {
    const auto& s = t.stats();
    std::cout << "tftp_client: " << (t.complete() ? "complete" : "failed") << ", " << s.blocks << " blocks in "
              << secs(took) << " s, " << s.packets_sent << " packets sent, " << s.retransmissions
              << " retransmissions, " << s.duplicates << " duplicates";
    if (auto r = t.srtt()) std::cout << ", srtt " << secs(*r) * 1000 << " ms";
    std::cout << '\n';
    if (t.failure()) std::cout << "ERROR " << int(t.failure()->code) << ": " << t.failure()->message << '\n';
}

// Two transfers joined by a list of packets in flight, in virtual time; every 7th packet is lost.
int on_paper() {
    std::vector<std::uint8_t> file(5000);
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i);
    auto server = tftp::transfer::send(file);
    auto client = tftp::transfer::receive_after({false, "paper.bin", "octet"});
    l4::instant now{};
    int sent = 0;
    for (int step = 0; step < 10'000 && !(client.finished() && server.finished()); ++step) {
        bool moved = false;
        for (auto [from, to] : {std::pair{&client, &server}, std::pair{&server, &client}})
            while (auto p = from->poll_transmit(now)) {
                moved = true;
                if (++sent % 7 == 0) continue;  // lost
                if (from == &client && sent == 1) continue;  // the RRQ: the server above already answers it
                to->on_packet(*p, now + std::chrono::milliseconds{1});
            }
        if (moved) continue;
        auto next = client.next_deadline();
        if (auto d = server.next_deadline(); d && (!next || *d < *next)) next = d;
        now = std::max(now + std::chrono::milliseconds{1}, next.value_or(now));
    }
    report(client, now.time_since_epoch());
    std::cout << "server: " << server.stats().retransmissions << " retransmissions\n";
    return client.complete() && client.file() == file ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 1) return on_paper();
    const std::string usage =
        " --tun DEV --address A --server S [--timeout SEC] [--rto-min MS] (get REMOTE LOCAL | put LOCAL REMOTE)";
    std::string dev, address, server, verb, first, second;
    double timeout_s = 60;
    int rto_min_ms = 50;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if ((a == "get" || a == "put") && i + 2 == argc - 1) {
            verb = a, first = argv[i + 1], second = argv[i + 2];
            break;
        }
        if (i + 1 >= argc) return std::cerr << "usage: " << argv[0] << usage << '\n', 2;
        const std::string v = argv[++i];
        if (a == "--tun") dev = v;
        else if (a == "--address") address = v;
        else if (a == "--server") server = v;
        else if (a == "--timeout") timeout_s = std::stod(v);
        else if (a == "--rto-min") rto_min_ms = std::stoi(v);
        else return std::cerr << "usage: " << argv[0] << usage << '\n', 2;
    }
    const auto me = ip_address::from_string(address), peer = ip_address::from_string(server);
    if (verb.empty() || dev.empty() || !me || !peer) return std::cerr << "usage: " << argv[0] << usage << '\n', 2;

    tftp::config cfg;
    cfg.rto.min = std::chrono::milliseconds{rto_min_ms};
    std::optional<tftp::transfer> t;
    if (verb == "get") {
        t = tftp::transfer::receive_after({false, first, "octet"}, cfg);
    } else {
        std::ifstream in(first, std::ios::binary);
        if (!in) return std::cerr << "tftp_client: cannot read " << first << '\n', 1;
        t = tftp::transfer::send_after({true, second, "octet"}, {std::istreambuf_iterator<char>(in), {}}, cfg);
    }

    auto link = l4::link::tun::open(dev);
    if (!link) return std::cerr << "tun " << dev << ": " << link.error().message() << '\n', 1;
    // A secret of each run's own (core/random_key.hpp): with a fixed one, every run took the same
    // ephemeral port (its TID), and a DATA the last run's server resent (its final ACK lost) reached
    // the next transfer first and was taken for the answer to its WRQ.
    l4::net::stack host{std::move(*link), {.addresses = {*me}, .secret = l4::random_key()}};
    l4::steady_clock clock;
    const auto sock = host.socket(l4::net::socket_type::datagram).value();
    tftp::session<decltype(host)> s{host, sock, {*peer, tftp::server_port}, false, std::move(*t)};
    const auto start = clock.now();
    const auto deadline = start + std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>(timeout_s));
    while (!s.t.finished() && clock.now() < deadline) {
        if (!s.pump(clock.now())) return std::cerr << "tftp_client: sendto failed\n", 1;
        if (s.t.finished()) break;
        const auto next = std::min(s.t.next_deadline().value_or(deadline), deadline);
        (void)l4::net::drive_until(host, clock, next, [&] { return host.readable(sock); });
    }
    report(s.t, clock.now() - start);
    if (!s.t.complete()) return 1;
    if (verb == "get") {
        std::ofstream out(second, std::ios::binary);
        out.write(reinterpret_cast<const char*>(s.t.file().data()), static_cast<std::streamsize>(s.t.file().size()));
        if (!out) return std::cerr << "tftp_client: cannot write " << second << '\n', 1;
    }
    return 0;
}
