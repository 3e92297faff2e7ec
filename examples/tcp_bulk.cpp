// Bulk TCP both ways at once (tcp_bulk.hpp), every byte checked:
//
//   tcp_bulk                  two l4kit hosts on a simulated path with 3 % loss each way, 1 MB
//                             each way, in virtual time
//   tcp_bulk --tun DEV --address A [--address A6] MODE [--size N] [--drop P] [--seed S]
//            [--pcap FILE] [--timeout S] [--min-rto MS]
//
//   MODE  --connect HOST PORT   connect, then N bytes each way at once, then close
//         --accept PORT         the same over the first connection to PORT
//         --refused HOST PORT   connect to a port the kernel has closed: want connection_refused
//         --serve P,P,...       listen on those ports (IPv4 and IPv6) until standard input
//                               closes; connections that complete are closed at once
//
// Over TUN the peer is the kernel (tests/tcp_bulk.py on its side, for
// tests/interop/tcp_bulk.sh and tcp_ports.sh). --drop P drops a fraction P of the
// frames we send and of those we receive (link::fault); --pcap records
// the frames that crossed the device (link::pcap_tap, inside the fault, so
// what our side dropped is not in it). Exits 0 when the exchange is exact,
// 1 otherwise; the last line gives the figures.
#include "tcp_bulk.hpp"
#include "tcp_course.hpp"

#include <l4/core/random_key.hpp>
#include <l4/link/fault.hpp>
#include <l4/link/pcap_tap.hpp>
#include <l4/link/sim.hpp>

#include <fstream>
#include <sstream>

namespace {

using namespace course;
using lossy_tun = l4::link::fault<l4::link::pcap_tap<l4::link::tun>>;
using bulk_host = l4::net::stack<lossy_tun, udp, course::tcp>;
using bulk::is_error;

struct bulk_options {
    options base;
    std::vector<std::string> addresses;
    std::string mode, peer;
    std::vector<std::uint16_t> ports;
    std::uint64_t size = 10'000'000;
    bool size_given = false;
    double drop = 0;
    std::uint64_t seed = 1;
    std::string pcap;
    int min_rto_ms = 0;  // 0: the library's default
};

[[noreturn]] void usage(const char* argv0) {
    std::cerr << "usage: " << argv0
              << " --tun DEV --address A [--address A6] (--connect HOST PORT | --accept PORT | --refused HOST PORT"
                 " | --serve P,P,...) [--size N] [--drop P] [--seed S] [--pcap FILE] [--timeout S] [--min-rto MS]\n";
    std::exit(2);
}

bulk_options parse(int argc, char** argv) {
    bulk_options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(argv[0]);
            return argv[++i];
        };
        if (a == "--tun") o.base.tun = true, o.base.dev = value();
        else if (a == "--address") o.addresses.push_back(value());
        else if (a == "--connect" || a == "--refused") o.mode = a.substr(2), o.peer = value(), o.ports = {static_cast<std::uint16_t>(std::stoi(value()))};
        else if (a == "--accept") o.mode = "accept", o.ports = {static_cast<std::uint16_t>(std::stoi(value()))};
        else if (a == "--serve") {
            o.mode = "serve";
            std::stringstream list{value()};
            for (std::string p; std::getline(list, p, ',');) o.ports.push_back(static_cast<std::uint16_t>(std::stoi(p)));
        } else if (a == "--size") o.size = std::stoull(value()), o.size_given = true;
        else if (a == "--drop") o.drop = std::stod(value());
        else if (a == "--seed") o.seed = std::stoull(value());
        else if (a == "--pcap") o.pcap = value();
        else if (a == "--timeout") o.base.timeout_s = std::stod(value());
        else if (a == "--min-rto") o.min_rto_ms = std::stoi(value());
        else usage(argv[0]);
    }
    if (o.base.tun && (o.addresses.empty() || o.mode.empty())) usage(argv[0]);
    if (!o.base.tun && (!o.addresses.empty() || !o.mode.empty())) usage(argv[0]);
    return o;
}

template <class Duration>
double seconds_of(Duration d) {
    return std::chrono::duration<double>(d).count();
}

template <class Host>
void report(Host& host, l4::net::socket_id s, const bulk::exchange<Host>& x, double secs) {
    std::cout << "sent " << x.sent() << ", received " << x.received() << " bytes in " << secs << " s";
    if (const auto* e = host.sockets().find(s))
        if (const auto* c = host.template transport<course::tcp>().connection_of(e->local)) {
            const auto& st = c->stats();
            std::cout << "; segments out " << st.segments_out << ", in " << st.segments_in << "; retransmissions "
                      << st.retransmits_timeout + st.retransmits_fast << " (timeout " << st.retransmits_timeout
                      << ", fast " << st.retransmits_fast << "); out of order in " << st.out_of_order_in
                      << ", duplicate bytes in " << st.duplicates_in;
        }
    if constexpr (std::is_same_v<Host, bulk_host>) {
        const auto& f = host.link().counters();
        std::cout << "; frames we dropped: sent " << f.tx_dropped << ", received " << f.rx_dropped;
    }
    std::cout << '\n';
}

// Drives until our side has seen the peer's FIN through (TIME-WAIT or
// closed), so its last ACK leaves before the device goes away.
void linger(bulk_host& host, l4::steady_clock& clock, l4::net::socket_id s) {
    const auto* e = host.sockets().find(s);
    if (!e) return;
    const std::uint32_t id = e->local;
    (void)host.close(s, clock.now());
    (void)l4::net::drive_until(host, clock, clock.now() + std::chrono::seconds{3}, [&] {
        const auto st = host.transport<course::tcp>().state_of(id);
        return !st || *st == l4::tcp::state::time_wait || *st == l4::tcp::state::closed;
    });
}

int run_exchange(bulk_host& host, l4::steady_clock& clock, l4::net::socket_id s, const bulk_options& o,
                 l4::instant deadline) {
    bulk::exchange x{host, s, o.size, 0, 1};
    const auto start = clock.now();
    const auto r = l4::net::drive_until(host, clock, deadline, [&] { return x.step(clock.now()); });
    const double secs = seconds_of(clock.now() - start);
    report(host, s, x, secs);
    if (!r) std::cerr << "timed out after " << secs << " s\n";
    if (!x.why().empty()) std::cerr << x.why() << '\n';
    const bool ok = r && x.ok();
    linger(host, clock, s);
    return ok ? 0 : 1;
}

int connect_to(bulk_host& host, l4::steady_clock& clock, const bulk_options& o, bool want_refused) {
    const l4::instant deadline = clock.now() + seconds(o.base.timeout_s);
    auto s = tcp_socket(host);
    if (!s) return 1;
    if (auto c = host.connect(*s, {parse_address(o.peer), o.ports[0]}, clock.now()); !c) {
        std::cerr << "connect: " << c.error().message() << '\n';
        return 1;
    }
    if (!want_refused) return run_exchange(host, clock, *s, o, deadline);
    // The kernel answers a SYN to a closed port with RST: the first read says so.
    std::optional<boost::system::error_code> error;
    std::array<std::uint8_t, 16> buf{};
    const auto r = l4::net::drive_until(host, clock, deadline, [&] {
        auto n = host.recv(*s, buf);
        if (!n && is_error(n.error(), l4::errc::would_block)) return false;
        error = n ? boost::system::error_code{} : n.error();
        return true;
    });
    if (!r || !error) return std::cerr << "no answer to the SYN\n", 1;
    std::cout << "connect to " << o.peer << " port " << o.ports[0] << ": " << error->message() << '\n';
    return is_error(*error, l4::errc::connection_refused) ? 0 : 1;
}

int accept_one(bulk_host& host, l4::steady_clock& clock, const bulk_options& o) {
    const l4::instant deadline = clock.now() + seconds(o.base.timeout_s);
    auto l = tcp_socket(host);
    if (!l) return 1;
    const ip_address any = host.addresses()[0].is_v4() ? ip_address::any_v4() : ip_address::any_v6();
    if (auto b = host.bind(*l, {any, o.ports[0]}); !b) return std::cerr << "bind: " << b.error().message() << '\n', 1;
    if (auto r = host.listen(*l, 1); !r) return std::cerr << "listen: " << r.error().message() << '\n', 1;
    std::cout << "ready on port " << o.ports[0] << '\n' << std::flush;
    std::optional<l4::net::socket_id> conn;
    if (!l4::net::drive_until(host, clock, deadline, [&] {
            if (auto a = host.accept(*l)) conn = *a;
            return conn.has_value();
        }))
        return std::cerr << "no connection\n", 1;
    return run_exchange(host, clock, *conn, o, deadline);
}

// Listens on every port until standard input closes (or the timeout).
int serve(bulk_host& host, l4::steady_clock& clock, const bulk_options& o) {
    std::vector<l4::net::socket_id> listeners;
    for (auto port : o.ports)
        for (const ip_address any : {ip_address::any_v4(), ip_address::any_v6()}) {
            auto l = tcp_socket(host);
            if (!l || !host.bind(*l, {any, port}) || !host.listen(*l, 16))
                return std::cerr << "cannot listen on " << port << '\n', 1;
            listeners.push_back(*l);
        }
    std::cout << "ready on " << o.ports.size() << " ports\n" << std::flush;
    const l4::instant deadline = clock.now() + seconds(o.base.timeout_s);
    bool stdin_closed = false;
    std::uint64_t accepted = 0;
    (void)l4::net::drive_until(host, clock, deadline, [&] {
        for (auto l : listeners)
            while (auto a = host.accept(l)) {
                ++accepted;
                (void)host.close(*a, clock.now());
            }
        pollfd p{0, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) {
            char c;
            stdin_closed = ::read(0, &c, 1) <= 0;
        }
        return stdin_closed;
    });
    const auto& t = host.transport<course::tcp>().stats();
    std::cout << "stopped; accepted " << accepted << ", segments in " << t.rx_segments << ", resets sent "
              << t.tx_resets << ", bad checksums " << t.rx_bad_checksum << ", malformed " << t.rx_malformed << '\n';
    return stdin_closed && t.rx_bad_checksum == 0 && t.rx_malformed == 0 ? 0 : 1;
}

}  // namespace

// Two l4kit hosts on a simulated path (10 Mbit/s, 10 ms, 3 % loss each
// way), both driven here in virtual time.
int simulate(std::uint64_t size) {
    l4::link::sim::network net{{.seed = 3}};
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{10}};
    path.impair.loss = l4::link::sim::bernoulli_loss{0.03};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    using sim_host = tcp_host<l4::link::sim::port>;
    const ip_address b_addr = parse_address("192.0.2.2");
    sim_host a{p2p.a, {.addresses = {parse_address("192.0.2.1")}}};
    sim_host b{p2p.b, {.addresses = {b_addr}}};
    l4::virtual_clock clock;
    auto listener = tcp_socket(b);
    auto s = tcp_socket(a);
    if (!listener || !s || !b.bind(*listener, {ip_address::any_v4(), 50001}) || !b.listen(*listener, 1) ||
        !a.connect(*s, {b_addr, 50001}, clock.now()))
        return 1;
    bulk::exchange xa{a, *s, size, 0, 1};
    std::optional<bulk::exchange<sim_host>> xb;
    std::optional<l4::net::socket_id> conn;
    const auto r = l4::net::drive_all_until(clock, clock.now() + std::chrono::minutes{30}, [&] {
        if (!conn)
            if (auto c = b.accept(*listener)) conn = *c, xb.emplace(b, *c, size, 1, 0);
        const bool a_done = xa.step(clock.now());
        const bool b_done = xb && xb->step(clock.now());
        return a_done && b_done;
    }, a, b);
    const double secs = seconds_of(clock.now().time_since_epoch());
    std::cout << "192.0.2.1: ";
    report(a, *s, xa, secs);
    if (xb) {
        std::cout << "192.0.2.2: ";
        report(b, *conn, *xb, secs);
    }
    for (const auto* x : {&xa, xb ? &*xb : nullptr})
        if (x && !x->why().empty()) std::cerr << x->why() << '\n';
    std::cout << "(virtual time, 3 % loss each way)\n";
    return r && xa.ok() && xb && xb->ok() ? 0 : 1;
}

int main(int argc, char** argv) {
    const bulk_options o = parse(argc, argv);
    if (!o.base.tun) return simulate(o.size_given ? o.size : 1'000'000);
    auto dev = l4::link::tun::open(o.base.dev);
    if (!dev) return std::cerr << "tun " << o.base.dev << ": " << dev.error().message() << '\n', 1;
    std::ofstream file;
    std::ostream discard{nullptr};  // no capture asked: the tap's writer fails once and records nothing
    if (!o.pcap.empty()) file.open(o.pcap, std::ios::binary);
    std::ostream& out = o.pcap.empty() ? discard : file;
    if (!o.pcap.empty() && !file) return std::cerr << "cannot write " << o.pcap << '\n', 1;

    l4::net::stack_config sc;
    for (const auto& a : o.addresses) sc.addresses.push_back(parse_address(a));
    sc.secret = l4::random_key();  // facing the kernel's TCP: ISNs and ports nobody predicts; --seed keeps the drops
    l4::tcp::endpoint_config tc;
    if (o.min_rto_ms > 0) tc.connection.rto.min = std::chrono::milliseconds{o.min_rto_ms};
    lossy_tun link{l4::link::pcap_tap{std::move(*dev), out}, {.tx = {.drop = o.drop}, .rx = {.drop = o.drop}}, o.seed};
    bulk_host host{std::move(link), std::move(sc), udp{}, course::tcp{tc}};
    l4::steady_clock clock;

    int rc = 1;
    if (o.mode == "connect") rc = connect_to(host, clock, o, false);
    else if (o.mode == "refused") rc = connect_to(host, clock, o, true);
    else if (o.mode == "accept") rc = accept_one(host, clock, o);
    else if (o.mode == "serve") rc = serve(host, clock, o);
    if (!o.pcap.empty()) {
        (void)host.link().inner().flush();
        if (host.link().inner().capture_status() != l4::errc::ok) {
            std::cerr << "pcap " << o.pcap << ": " << l4::describe(host.link().inner().capture_status()) << '\n';
            rc = 1;
        }
    }
    return rc;
}
