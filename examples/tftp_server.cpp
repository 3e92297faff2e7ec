// A TFTP server (RFC 1350) on l4kit's UDP: stop-and-wait outside TCP.
//
//   tftp_server                        a client fetches and puts a file over a
//                                      simulated path with 5 % loss, byte-exact
//   tftp_server --tun DEV --address A --root DIR [--count N] [--timeout S] [--rto-min MS]
//                                      serves DIR over a TUN device, N requests, one at a time
//
// Each transfer runs from a new port (its TID, RFC 1350 §4). A WRQ creates a
// file; one that exists is refused with ERROR 6. Figures per transfer on stdout.
#include "tftp.hpp"

#include <l4/core/random_key.hpp>
#include <l4/link/sim.hpp>
#include <l4/link/tun.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

namespace {

using l4::net::ip_address;

struct options {
    std::string dev, address, root;
    int count = 1;
    double timeout_s = 60;
    int rto_min_ms = 50;
};

std::optional<std::vector<std::uint8_t>> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in || !std::filesystem::is_regular_file(p)) return std::nullopt;
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

double secs(l4::duration d) { return std::chrono::duration<double>(d).count(); }

void report(std::string_view who, const tftp::transfer& t, l4::duration took) {
    const auto& s = t.stats();
    const char* outcome = t.complete() ? "complete" : t.final_ack_unseen() ? "sent, final ACK not seen" : "failed";
    std::cout << who << ": " << outcome << ", " << t.file().size() << " bytes, "
              << s.blocks << " blocks in " << secs(took) << " s, " << s.packets_sent << " packets sent, "
              << s.retransmissions << " retransmissions, " << s.duplicates << " duplicates";
    if (auto r = t.srtt()) std::cout << ", srtt " << secs(*r) * 1000 << " ms";
    if (t.failure()) std::cout << ", ERROR " << int(t.failure()->code) << " \"" << t.failure()->message << '"';
    std::cout << '\n' << std::flush;
}

int serve_tun(const options& o) {
    auto dev = l4::link::tun::open(o.dev);
    if (!dev) return std::cerr << "tun " << o.dev << ": " << dev.error().message() << '\n', 1;
    const ip_address me = *ip_address::from_string(o.address);
    l4::net::stack host{std::move(*dev), {.addresses = {me}, .secret = l4::random_key()}};
    l4::steady_clock clock;
    const auto listen = host.socket(l4::net::socket_type::datagram).value();
    if (auto b = host.bind(listen, {me, tftp::server_port}); !b) return std::cerr << b.error().message() << '\n', 1;
    tftp::config cfg;
    cfg.rto.min = std::chrono::milliseconds{o.rto_min_ms};
    const std::filesystem::path root{o.root};
    const auto find = [&](const std::string& name) { return read_file(root / name); };
    std::cout << "tftp_server: ready to receive on " << o.address << " port 69, serving " << o.root << '\n'
              << std::flush;
    const auto deadline = clock.now() + std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>(o.timeout_s));
    int failures = 0;
    std::optional<std::pair<l4::wire::socket_address, tftp::request>> last;
    for (int served = 0; served < o.count;) {
        if (!l4::net::drive_until(host, clock, deadline, [&] { return host.readable(listen); }))
            return std::cerr << "tftp_server: no request before the deadline\n", 1;
        std::array<std::uint8_t, 2048> buf{};
        auto r = host.recvfrom(listen, buf);
        if (!r) continue;
        auto p = tftp::parse(l4::bytes{buf}.first(r->size));
        if (!p || !std::holds_alternative<tftp::request>(*p)) continue;  // not a request: not ours to answer here
        const auto& req = std::get<tftp::request>(*p);
        // A copy of the request just served (the client resent it while we answered): not a new transfer.
        if (last && last->first == r->from && last->second == req) continue;
        last.emplace(r->from, req);
        ++served;
        const auto sock = host.socket(l4::net::socket_type::datagram).value();
        auto t = req.write && std::filesystem::exists(root / req.filename)
                     ? tftp::transfer::refuse({tftp::error_code::file_exists, "file exists"})
                     : tftp::answer(req, find, cfg);
        tftp::session<decltype(host)> s{host, sock, r->from, true, std::move(t)};
        const auto start = clock.now();
        bool written = false;
        while (!s.t.finished() && clock.now() < deadline) {
            s.receive(clock.now());
            if (req.write && s.t.complete() && !written) {
                // Stored before the last ACK leaves: when the client hears it, the file is there.
                std::ofstream out(root / req.filename, std::ios::binary);
                out.write(reinterpret_cast<const char*>(s.t.file().data()), static_cast<std::streamsize>(s.t.file().size()));
                written = true;
            }
            if (!s.transmit(clock.now())) break;
            if (s.t.finished()) break;
            const auto next = std::min(s.t.next_deadline().value_or(deadline), deadline);
            (void)l4::net::drive_until(host, clock, next, [&] { return host.readable(sock); });
        }
        report(std::string(req.write ? "WRQ " : "RRQ ") + req.filename, s.t, clock.now() - start);
        // A final ACK never seen is no failure: no sender can tell it from a delivered file.
        if (!s.t.complete() && !s.t.final_ack_unseen() &&
            !(s.t.failure() && s.t.failure()->code == tftp::error_code::file_not_found))
            ++failures;
        (void)host.close(sock);
    }
    return failures == 0 ? 0 : 1;
}

// Our client fetches, then puts, 200 KB over a simulated 10 ms path with 5 % loss each way.
int simulated() {
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{5}};
    path.impair.loss = l4::link::sim::bernoulli_loss{0.05};
    l4::link::sim::network net{{.seed = 1}};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address caddr = *ip_address::from_string("192.0.2.1"), saddr = *ip_address::from_string("192.0.2.2");
    l4::net::stack client{p2p.a, {.addresses = {caddr}}};
    l4::net::stack server{p2p.b, {.addresses = {saddr}}};
    l4::virtual_clock clock;
    std::vector<std::uint8_t> file(200 * 1024);
    for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>(i * 7 + i / 512);
    const auto listen = server.socket(l4::net::socket_type::datagram).value();
    if (!server.bind(listen, {saddr, tftp::server_port})) return 1;
    bool ok = true;
    for (const bool write : {false, true}) {
        const tftp::request req{write, "demo.bin", "octet"};
        const auto csock = client.socket(l4::net::socket_type::datagram).value();
        tftp::session<decltype(client)> cli{client, csock, {saddr, tftp::server_port}, false,
                                            write ? tftp::transfer::send_after(req, file) : tftp::transfer::receive_after(req)};
        std::optional<tftp::session<decltype(server)>> srv;
        const auto start = clock.now(), limit = start + std::chrono::seconds{600};
        while (!(cli.t.finished() && srv && srv->t.finished()) && clock.now() < limit) {
            std::array<std::uint8_t, 2048> buf{};
            while (server.readable(listen)) {
                auto r = server.recvfrom(listen, buf);
                auto p = r ? tftp::parse(l4::bytes{buf}.first(r->size)) : tftp::parse({});
                if (srv || !p || !std::holds_alternative<tftp::request>(*p)) continue;
                const auto find = [&](const std::string&) { return std::optional{file}; };
                srv.emplace(tftp::session<decltype(server)>{server, server.socket(l4::net::socket_type::datagram).value(),
                                                            r->from, true, tftp::answer(std::get<tftp::request>(*p), find)});
            }
            if (!cli.pump(clock.now()) || (srv && !srv->pump(clock.now()))) return 1;
            if (cli.t.finished() && srv && srv->t.finished()) break;
            auto next = cli.t.next_deadline();
            if (srv)
                if (auto d = srv->t.next_deadline(); d && (!next || *d < *next)) next = d;
            const auto until = std::min(next.value_or(limit), limit);
            const auto ready = [&] {
                return client.readable(csock) || server.readable(listen) || (srv && server.readable(srv->sock));
            };
            // Nothing on the network: time goes straight to the transfers' next deadline.
            if (!l4::net::drive_all_until(clock, until, ready, client, server) && !ready()) clock.advance_to(until);
        }
        const auto& receiver = write ? srv->t : cli.t;
        report(write ? "put (client)" : "get (client)", cli.t, clock.now() - start);
        report(write ? "put (server)" : "get (server)", srv->t, clock.now() - start);
        const bool exact = receiver.complete() && receiver.file() == file;
        std::cout << (write ? "put" : "get") << (exact ? ": byte-exact" : ": NOT byte-exact") << '\n';
        ok = ok && exact;
        (void)client.close(csock);
        (void)server.close(srv->sock);
    }
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    const std::string usage = " [--tun DEV --address A --root DIR [--count N] [--timeout S] [--rto-min MS]]";
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (i + 1 >= argc) return std::cerr << "usage: " << argv[0] << usage << '\n', 2;
        const std::string v = argv[++i];
        if (a == "--tun") o.dev = v;
        else if (a == "--address") o.address = v;
        else if (a == "--root") o.root = v;
        else if (a == "--count") o.count = std::stoi(v);
        else if (a == "--timeout") o.timeout_s = std::stod(v);
        else if (a == "--rto-min") o.rto_min_ms = std::stoi(v);
        else return std::cerr << "usage: " << argv[0] << usage << '\n', 2;
    }
    if (o.dev.empty()) return simulated();
    if (o.address.empty() || o.root.empty() || !ip_address::from_string(o.address))
        return std::cerr << "usage: " << argv[0] << usage << '\n', 2;
    return serve_tun(o);
}
