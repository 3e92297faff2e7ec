// A host that real tools can scan and ping: it binds a set of UDP ports and
// answers every datagram on them upper-cased; a datagram to any other port
// gets ICMP (or ICMPv6) port unreachable, rate limited by
// stack_config::icmp; echo requests get replies.
//
//   udp_host
//       Over a simulated network: an l4kit scanner scans an l4kit host's UDP
//       ports the way `nmap -sU` does (a probe to every port at once; an
//       answer means open, port unreachable means closed, silence means
//       open|filtered), over IPv4 and IPv6, and the verdicts must match the
//       ports the host bound. Then again with the host's ICMP errors limited
//       to a burst of 2: two ports look closed, and the rest, silent, look
//       open|filtered. That is why a host that wants a fast scan to see it
//       right needs a rate above the scan's. Exits 0 only when all of it
//       holds.
//
//   udp_host --tun DEV --address A [--address B ...] --ports P[,P...]
//            [--seconds S] [--stdin] [--icmp-rate N] [--icmp-burst N]
//       The host behind a TUN device, for the kernel's tools (nmap -sU,
//       ping, sockets) to talk to: runs until S seconds have passed (default
//       60) or, with --stdin, until its standard input closes; then prints
//       its counters. Exits 1 if the device cannot be used, a port cannot
//       be bound, or an answer could not be sent.
//
//   udp_host --tun DEV --address A --refused PEER PORT [--timeout S]
//       A connected socket to a port of the kernel where nothing listens:
//       sends a datagram (again every 200 ms) until a call reports
//       connection_refused, the kernel's port unreachable matched to the
//       socket by the datagram it quotes. Exits 0 when it does, 1 if not
//       within S seconds (default 5).
#include <l4/core/random_key.hpp>
#include <l4/core/time.hpp>
#include <l4/link/sim.hpp>
#include <l4/link/tun.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using l4::net::ip_address;
using l4::net::socket_address;
using udp = l4::udp::endpoint<>;

[[noreturn]] void usage(const char* argv0) {
    std::cerr << "usage: " << argv0 << "\n"
              << "       " << argv0
              << " --tun DEV --address A [--address B ...] --ports P[,P...] [--seconds S] [--stdin]"
                 " [--icmp-rate N] [--icmp-burst N]\n"
              << "       " << argv0 << " --tun DEV --address A --refused PEER PORT [--timeout S]\n";
    std::exit(2);
}

ip_address parse_address(const std::string& text) {
    auto a = ip_address::from_string(text);
    if (!a) {
        std::cerr << "not an IPv4 or IPv6 address: " << text << '\n';
        std::exit(2);
    }
    return *a;
}

std::uint16_t parse_port(const std::string& text) {
    std::size_t used = 0;
    unsigned long p = 0;
    try {
        p = std::stoul(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || p == 0 || p > 65535) {
        std::cerr << "not a port: " << text << '\n';
        std::exit(2);
    }
    return static_cast<std::uint16_t>(p);
}

std::vector<std::uint16_t> parse_ports(const std::string& text) {
    std::vector<std::uint16_t> ports;
    std::istringstream in{text};
    for (std::string p; std::getline(in, p, ',');) ports.push_back(parse_port(p));
    return ports;
}

l4::duration seconds(double s) {
    return std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>{s});
}

// --- the host's side: bound ports that answer upper-cased -------------------

template <class Stack>
struct server {
    Stack& host;
    std::vector<typename Stack::socket_id> sockets;
    std::uint64_t answered = 0, failed = 0;

    // Binds every port on the wildcard of each family the host has an
    // address in. Errors: the first bind's that failed, on stderr.
    bool bind(const std::vector<std::uint16_t>& ports) {
        bool v4 = false, v6 = false;
        for (const auto& a : host.addresses()) (a.is_v4() ? v4 : v6) = true;
        for (const std::uint16_t port : ports) {
            for (const bool family_v4 : {true, false}) {
                if (!(family_v4 ? v4 : v6)) continue;
                auto s = host.socket(l4::net::socket_type::datagram);
                if (!s) return std::cerr << "socket: " << l4::describe(s.error()) << '\n', false;
                const ip_address any = family_v4 ? ip_address::any_v4() : ip_address::any_v6();
                if (auto b = host.bind(*s, {any, port}); !b) {
                    std::cerr << "bind " << socket_address{any, port} << ": " << b.error().message() << '\n';
                    return false;
                }
                sockets.push_back(*s);
            }
        }
        return true;
    }

    // Answers every datagram queued on the bound ports.
    void serve(l4::instant now) {
        std::array<std::uint8_t, 2048> buf{};
        for (const auto s : sockets) {
            // Bounded: each round takes one datagram off a finite queue.
            for (int i = 0; i < 1024 && host.readable(s); ++i) {
                auto got = host.recvfrom(s, buf);
                if (!got) break;
                const auto message = std::span{buf}.first(got->size);
                std::ranges::transform(message, message.begin(),
                                       [](std::uint8_t c) { return static_cast<std::uint8_t>(std::toupper(c)); });
                if (host.sendto(s, message, got->from, now)) ++answered;
                else ++failed;
            }
        }
    }
};

template <class Stack>
void print_counters(const Stack& host, std::string_view who) {
    const auto& icmp = host.icmp_stats();
    const auto& u = host.template transport<udp>().stats();
    std::cout << who << ": echo requests " << icmp.rx_echo_requests << ", echo replies " << icmp.tx_echo_replies
              << ", port unreachable sent " << icmp.tx_errors << ", rate limited " << icmp.tx_errors_rate_limited
              << ", suppressed " << icmp.tx_errors_suppressed << "; udp delivered " << u.rx_delivered
              << ", no socket " << u.rx_no_socket << ", bad checksum " << u.rx_bad_checksum
              << "; ICMP errors matched to a flow " << host.stats().rx_icmp_flow_errors << ", frames dropped "
              << host.stats().tx_dropped << '\n';
}

// --- the scanner: nmap -sU's verdicts, from l4kit sockets ---------------------

enum class verdict { open, closed, open_filtered, error };

std::string_view name(verdict v) {
    switch (v) {
    case verdict::open: return "open";
    case verdict::closed: return "closed";
    case verdict::open_filtered: return "open|filtered";
    case verdict::error: return "error";
    }
    return "?";
}

// One probe per port, all sent at once, then `wait` of virtual time: a
// connected socket per probe, so that the target's port unreachable, matched
// to the socket by the datagram it quotes, comes back as connection_refused.
template <class Scanner, class Target>
std::map<std::uint16_t, verdict> scan(Scanner& scanner, server<Target>& target, l4::virtual_clock& clock,
                                      const ip_address& to, const std::vector<std::uint16_t>& ports,
                                      l4::duration wait) {
    std::map<std::uint16_t, verdict> out;
    std::vector<std::pair<std::uint16_t, typename Scanner::socket_id>> probes;
    const std::string_view probe = "probe";
    const l4::bytes payload{reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size()};
    for (const auto port : ports) {
        out[port] = verdict::error;
        auto s = scanner.socket(l4::net::socket_type::datagram);
        if (!s) continue;
        if (!scanner.connect(*s, {to, port}, clock.now()) || !scanner.send(*s, payload, clock.now())) {
            (void)scanner.close(*s, clock.now());
            continue;
        }
        probes.emplace_back(port, *s);
    }
    const l4::instant deadline = clock.now() + wait;
    std::array<std::uint8_t, 2048> buf{};
    // Bounded by the round count and by the deadline; every round moves
    // virtual time to the next event.
    for (int round = 0; round < 100'000; ++round) {
        target.host.poll(clock.now());
        target.serve(clock.now());
        scanner.poll(clock.now());
        bool pending = false;
        for (const auto& [port, s] : probes) {
            if (out[port] != verdict::error) continue;
            if (!scanner.readable(s)) {
                pending = true;
                continue;
            }
            auto got = scanner.recv(s, buf);
            if (got) out[port] = verdict::open;
            else if (got.error() == l4::errc::connection_refused) out[port] = verdict::closed;
        }
        if (!pending || clock.now() >= deadline) break;
        const auto a = scanner.next_deadline(), b = target.host.next_deadline();
        std::optional<l4::instant> next = a;
        if (b && (!next || *b < *next)) next = b;
        clock.advance_to(next && *next < deadline ? std::max(*next, clock.now() + l4::duration{1}) : deadline);
    }
    for (const auto& [port, s] : probes) {
        if (out[port] == verdict::error) out[port] = verdict::open_filtered;  // silence
        (void)scanner.close(s, clock.now());
    }
    return out;
}

int simulated() {
    const std::vector<std::uint16_t> bound = {53, 50000, 50005};
    std::vector<std::uint16_t> range = {53, 123, 161};
    for (std::uint16_t p = 49995; p <= 50010; ++p) range.push_back(p);

    const ip_address scanner_v4 = parse_address("192.0.2.1"), host_v4 = parse_address("192.0.2.2");
    const ip_address scanner_v6 = parse_address("2001:db8::1"), host_v6 = parse_address("2001:db8::2");
    bool ok = true;

    // As nmap -sU sees a host whose ICMP errors are limited to `rate` per
    // second with a burst of `burst`: returns how many ports it saw closed.
    const auto run = [&](std::uint32_t rate, std::uint32_t burst, const ip_address& to, bool expect_exact) {
        l4::link::sim::network net{{.seed = 1}};
        const l4::link::sim::channel_config path{.bandwidth_bps = 100'000'000,
                                                 .delay = std::chrono::milliseconds{1}};
        auto p2p = l4::link::sim::point_to_point(net, path, path);
        l4::virtual_clock clock;
        l4::net::stack scanner{p2p.a, {.addresses = {scanner_v4, scanner_v6}}};
        l4::net::stack target{p2p.b, {.addresses = {host_v4, host_v6},
                                      .icmp = {.errors_per_second = rate, .error_burst = burst}}};
        server<decltype(target)> srv{target, {}};
        if (!srv.bind(bound)) {
            ok = false;
            return;
        }
        const auto verdicts = scan(scanner, srv, clock, to, range, std::chrono::seconds{1});
        std::cout << "scan of " << to << " (port unreachable: " << rate << "/s, burst " << burst << "):";
        std::map<verdict, int> seen;
        for (const auto& [port, v] : verdicts) {
            const bool is_bound = std::ranges::find(bound, port) != bound.end();
            ++seen[v];
            if (is_bound) std::cout << ' ' << port << ' ' << name(v) << ';';
            // An open port answers; a closed one says so, unless the host's
            // rate limit kept it silent.
            if (is_bound ? v != verdict::open
                         : (expect_exact ? v != verdict::closed : v != verdict::closed && v != verdict::open_filtered)) {
                std::cout << " WRONG: " << port << ' ' << name(v) << ';';
                ok = false;
            }
        }
        std::cout << " " << seen[verdict::closed] << " closed, " << seen[verdict::open_filtered] << " open|filtered\n";
        print_counters(target, "  host");
        const auto& icmp = target.icmp_stats();
        if (expect_exact && (icmp.tx_errors != range.size() - bound.size() || icmp.tx_errors_rate_limited != 0)) {
            std::cout << "  WRONG: expected " << range.size() - bound.size() << " port unreachable, none limited\n";
            ok = false;
        }
        if (!expect_exact && (seen[verdict::closed] != static_cast<int>(burst) ||
                              icmp.tx_errors_rate_limited != range.size() - bound.size() - burst)) {
            std::cout << "  WRONG: expected the burst, " << burst << ", to be the only ports seen closed\n";
            ok = false;
        }
        if (srv.answered != bound.size() || srv.failed != 0) {
            std::cout << "  WRONG: the host answered " << srv.answered << " probes, expected " << bound.size() << '\n';
            ok = false;
        }
    };
    std::cout << "An l4kit host binds UDP ports 53, 50000 and 50005; an l4kit scanner probes "
              << range.size() << " ports at once, as nmap -sU -T4 does.\n";
    run(10'000, 1'000, host_v4, true);
    run(10'000, 1'000, host_v6, true);
    run(1, 2, host_v4, false);
    std::cout << (ok ? "every verdict as expected\n" : "FAILED\n");
    return ok ? 0 : 1;
}

// --- over TUN -------------------------------------------------------------------

struct options {
    std::string dev;
    std::vector<ip_address> addresses;
    std::vector<std::uint16_t> ports;
    double seconds = 60;
    bool until_stdin_closes = false;
    std::uint32_t icmp_rate = l4::net::icmp_config{}.errors_per_second;
    std::uint32_t icmp_burst = l4::net::icmp_config{}.error_burst;
    std::optional<socket_address> refused;
    double timeout = 5;
};

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(argv[0]);
            return argv[++i];
        };
        auto number = [&](double max) {
            const std::string v = value();
            std::size_t used = 0;
            double d = -1;
            try {
                d = std::stod(v, &used);
            } catch (const std::exception&) {
                used = 0;
            }
            if (used != v.size() || !(d >= 0 && d <= max)) usage(argv[0]);
            return d;
        };
        if (a == "--tun") o.dev = value();
        else if (a == "--address") o.addresses.push_back(parse_address(value()));
        else if (a == "--ports") o.ports = parse_ports(value());
        else if (a == "--seconds") o.seconds = number(86'400);
        else if (a == "--stdin") o.until_stdin_closes = true;
        else if (a == "--icmp-rate") o.icmp_rate = static_cast<std::uint32_t>(number(1e9));
        else if (a == "--icmp-burst") o.icmp_burst = static_cast<std::uint32_t>(number(1e9));
        else if (a == "--timeout") o.timeout = number(3'600);
        else if (a == "--refused") {
            const ip_address peer = parse_address(value());
            o.refused = socket_address{peer, parse_port(value())};
        } else usage(argv[0]);
    }
    if (o.dev.empty() || o.addresses.empty() || (o.ports.empty() && !o.refused)) usage(argv[0]);
    return o;
}

using tun_stack = l4::net::stack<l4::link::tun, udp>;

std::optional<tun_stack> open_host(const options& o) {
    auto dev = l4::link::tun::open(o.dev);
    if (!dev) {
        std::cerr << "tun " << o.dev << ": " << dev.error().message() << '\n';
        return std::nullopt;
    }
    l4::net::stack_config cfg{.addresses = o.addresses,
                              .secret = l4::random_key(),  // a host on a network: ports nobody predicts
                              .icmp = {.errors_per_second = o.icmp_rate, .error_burst = o.icmp_burst}};
    return std::optional<tun_stack>{std::in_place, std::move(*dev), std::move(cfg)};
}

// Serves until the deadline or, with --stdin, until standard input closes.
int serve_tun(const options& o) {
    auto opened = open_host(o);
    if (!opened) return 1;
    tun_stack& host = *opened;
    server<tun_stack> srv{host, {}};
    if (!srv.bind(o.ports)) return 1;
    l4::steady_clock clock;
    const l4::instant deadline = clock.now() + seconds(o.seconds);
    std::cout << "udp_host: ready on " << o.dev << ", UDP ports";
    for (const auto p : o.ports) std::cout << ' ' << p;
    std::cout << "; port unreachable at most " << o.icmp_rate << "/s, burst " << o.icmp_burst << '\n' << std::flush;
    bool stdin_open = o.until_stdin_closes;
    // Bounded by the deadline; each wait by a second.
    while (clock.now() < deadline) {
        host.poll(clock.now());
        srv.serve(clock.now());
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock.now()).count();
        if (const auto next = host.next_deadline())
            left = std::min<std::int64_t>(left, std::chrono::ceil<std::chrono::milliseconds>(*next - clock.now()).count());
        std::array<pollfd, 2> fds{{{host.poll_fd(), static_cast<short>(POLLIN | (host.wants_writable() ? POLLOUT : 0)), 0},
                                   {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}}};
        if (::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<std::int64_t>(left, 0, 1000))) < 0 &&
            errno != EINTR) {
            std::perror("poll");
            return 1;
        }
        if (stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            std::array<char, 256> discard{};
            if (::read(STDIN_FILENO, discard.data(), discard.size()) <= 0) break;  // closed: told to stop
        }
    }
    host.poll(clock.now());
    srv.serve(clock.now());
    std::cout << "udp_host: answered " << srv.answered << " datagrams (" << srv.failed << " could not be sent)\n";
    print_counters(host, "udp_host");
    return srv.failed == 0 ? 0 : 1;
}

// A connected socket to a closed port of the kernel: connection_refused.
int refused_tun(const options& o) {
    auto opened = open_host(o);
    if (!opened) return 1;
    tun_stack& host = *opened;
    l4::steady_clock clock;
    auto s = host.socket(l4::net::socket_type::datagram);
    if (!s) return std::cerr << "socket: " << l4::describe(s.error()) << '\n', 1;
    const socket_address peer = *o.refused;
    if (auto c = host.connect(*s, peer, clock.now()); !c) return std::cerr << "connect: " << c.error().message() << '\n', 1;
    const std::string_view probe = "anyone there?";
    const l4::bytes payload{reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size()};
    const l4::instant deadline = clock.now() + seconds(o.timeout);
    std::array<std::uint8_t, 2048> buf{};
    int sent = 0;
    // Bounded by the deadline; a datagram every 200 ms.
    while (clock.now() < deadline) {
        auto r = host.send(*s, payload, clock.now());
        if (!r && r.error() == l4::errc::connection_refused) {
            std::cout << "udp_host: send to " << peer << ": connection refused (after " << sent << " datagrams)\n";
            return 0;
        }
        if (!r) return std::cerr << "send: " << r.error().message() << '\n', 1;
        ++sent;
        const l4::instant until = std::min(deadline, clock.now() + std::chrono::milliseconds{200});
        (void)l4::net::drive_until(host, clock, until, [&] { return host.readable(*s); });
        if (host.readable(*s)) {
            auto got = host.recv(*s, buf);
            if (!got && got.error() == l4::errc::connection_refused) {
                std::cout << "udp_host: recv from " << peer << ": connection refused (after " << sent
                          << " datagrams)\n";
                print_counters(host, "udp_host");
                return 0;
            }
            if (got) return std::cerr << "recv: " << *got << " bytes from a port that should be closed\n", 1;
            return std::cerr << "recv: " << got.error().message() << '\n', 1;
        }
    }
    std::cerr << "udp_host: no connection_refused from " << peer << " after " << sent << " datagrams\n";
    print_counters(host, "udp_host");
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 1) return simulated();
    const options o = parse_options(argc, argv);
    return o.refused ? refused_tun(o) : serve_tun(o);
}
