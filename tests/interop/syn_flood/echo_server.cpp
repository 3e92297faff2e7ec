// An l4kit TCP echo server over a TUN device, for tests/interop/syn_flood.sh:
// it listens on one port, echoes every byte of every connection back, and
// closes a connection once the peer's FIN is in and everything is echoed;
// many connections at once. It runs until its standard input closes (or the
// timeout), then prints its counters, the endpoint's SYN-flood ones among
// them, and exits 0 unless a segment came in with a bad checksum or
// malformed, or an echo failed.
//
//   syn_flood_echo_server --tun DEV --address A [--port P] [--backlog N]
//                         [--no-syn-cookies] [--timeout S]
//
// --no-syn-cookies turns endpoint_config::syn_cookies off: a SYN that finds
// the listener's queue full is then dropped (RFC 4987 §3.6 is what cookies
// change).
#include <l4/core/time.hpp>
#include <l4/link/tun.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <poll.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using tcp = l4::tcp::endpoint<>;
using host_type = l4::net::stack<l4::link::tun, tcp>;
using l4::net::ip_address;

struct options {
    std::string dev, address;
    std::uint16_t port = 50007;
    std::uint32_t backlog = 64;
    bool syn_cookies = true;
    double timeout_s = 120;
};

[[noreturn]] void usage(const char* argv0) {
    std::cerr << "usage: " << argv0
              << " --tun DEV --address A [--port P] [--backlog N] [--no-syn-cookies] [--timeout S]\n";
    std::exit(2);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(argv[0]);
            return argv[++i];
        };
        if (a == "--tun") o.dev = value();
        else if (a == "--address") o.address = value();
        else if (a == "--port") o.port = static_cast<std::uint16_t>(std::stoi(value()));
        else if (a == "--backlog") o.backlog = static_cast<std::uint32_t>(std::stoul(value()));
        else if (a == "--no-syn-cookies") o.syn_cookies = false;
        else if (a == "--timeout") o.timeout_s = std::stod(value());
        else usage(argv[0]);
    }
    if (o.dev.empty() || o.address.empty()) usage(argv[0]);
    return o;
}

// One accepted connection: what came in and is not yet echoed.
struct echo {
    l4::net::socket_id id;
    std::vector<std::uint8_t> pending{};
    bool eof = false;
};

struct tally {
    std::uint64_t accepted = 0, echoed = 0, failed = 0, bytes = 0;
};

// Reads what has come, sends back what the send buffer takes; closes once the
// peer's FIN is in and all is sent. Returns true when the connection is done,
// and sets `progress` when any byte moved.
bool step(host_type& host, echo& c, tally& t, l4::instant now, bool& progress) {
    std::array<std::uint8_t, 16 * 1024> buf{};
    while (!c.eof) {
        auto r = host.recv(c.id, buf);
        if (!r) {
            if (r.error() == l4::errc::would_block) break;
            std::cerr << "recv: " << r.error().message() << '\n';
            ++t.failed;
            (void)host.close(c.id, now);
            return true;
        }
        if (*r == 0) c.eof = true;
        c.pending.insert(c.pending.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        progress = progress || *r > 0;
    }
    while (!c.pending.empty()) {
        auto w = host.send(c.id, c.pending, now);
        if (!w) {
            if (w.error() == l4::errc::would_block) break;
            std::cerr << "send: " << w.error().message() << '\n';
            ++t.failed;
            (void)host.close(c.id, now);
            return true;
        }
        c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(*w));
        t.bytes += *w;
        progress = progress || *w > 0;
    }
    if (!c.eof || !c.pending.empty()) return false;
    ++t.echoed;
    (void)host.close(c.id, now);
    progress = true;
    return true;
}

bool stdin_closed() {
    pollfd p{0, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    return ::read(0, &c, 1) <= 0;
}

// The endpoint's counters; half_open_evicted where the endpoint has it.
template <class Counters>
void print_counters(const Counters& s) {
    std::cout << "endpoint: rx_segments " << s.rx_segments << ", syn_cookies_sent " << s.syn_cookies_sent
              << ", syn_cookies_accepted " << s.syn_cookies_accepted << ", syn_cookies_rejected "
              << s.syn_cookies_rejected << ", rx_syn_queue_full " << s.rx_syn_queue_full << ", half_open_evicted ";
    if constexpr (requires { s.half_open_evicted; }) std::cout << s.half_open_evicted;
    else std::cout << "(not counted)";
    if constexpr (requires { s.rx_over_budget; }) std::cout << ", rx_over_budget " << s.rx_over_budget;
    std::cout << ", rx_no_connection " << s.rx_no_connection << ", connections_accepted " << s.connections_accepted
              << ", tx_resets " << s.tx_resets
              << ", rx_bad_checksum " << s.rx_bad_checksum << ", rx_malformed " << s.rx_malformed << '\n';
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    const auto ours = ip_address::from_string(o.address);
    if (!ours) return std::cerr << "not an address: " << o.address << '\n', 2;
    auto dev = l4::link::tun::open(o.dev);
    if (!dev) return std::cerr << "tun " << o.dev << ": " << dev.error().message() << '\n', 1;

    l4::net::stack_config sc{.addresses = {*ours}};
    for (std::size_t i = 0; i < sc.secret.size(); ++i) sc.secret[i] = static_cast<std::uint8_t>(0x5a ^ i);
    l4::tcp::endpoint_config tc;
    tc.syn_cookies = o.syn_cookies;
    host_type host{std::move(*dev), std::move(sc), tcp{tc}};
    l4::steady_clock clock;

    auto listener = host.socket(l4::net::socket_type::stream);
    if (!listener) return std::cerr << "socket: " << l4::describe(listener.error()) << '\n', 1;
    const ip_address any = ours->is_v4() ? ip_address::any_v4() : ip_address::any_v6();
    if (auto b = host.bind(*listener, {any, o.port}); !b) return std::cerr << "bind: " << b.error().message() << '\n', 1;
    if (auto l = host.listen(*listener, o.backlog); !l) return std::cerr << "listen: " << l.error().message() << '\n', 1;
    std::cout << "ready on port " << o.port << ", backlog " << o.backlog << ", syn cookies "
              << (o.syn_cookies ? "on" : "off") << '\n'
              << std::flush;

    std::vector<echo> conns;
    tally t;
    bool stop = false;
    const auto deadline = clock.now() + std::chrono::duration_cast<l4::duration>(std::chrono::duration<double>(o.timeout_s));
    (void)l4::net::drive_until(host, clock, deadline, [&] {
        // A read opens the window and a send queues data, which the stack
        // sends from its poll; poll at once after any progress, and go round.
        for (bool progress = true; progress;) {
            progress = false;
            while (auto a = host.accept(*listener)) {
                conns.push_back({*a});
                ++t.accepted;
                progress = true;
            }
            std::erase_if(conns, [&](echo& c) { return step(host, c, t, clock.now(), progress); });
            if (progress) host.poll(clock.now());
        }
        stop = stdin_closed();
        return stop;
    });
    // Lets the last FINs and ACKs out before the device goes away.
    (void)l4::net::drive_until(host, clock, clock.now() + std::chrono::milliseconds{200}, [] { return false; });

    const auto& s = host.transport<tcp>().stats();
    std::cout << "stopped; accepted " << t.accepted << ", echoed " << t.echoed << " (" << t.bytes << " bytes), failed "
              << t.failed << ", still open " << conns.size() << "; frames in " << host.stats().rx_frames << ", out "
              << host.stats().tx_frames << '\n';
    print_counters(s);
    if (!stop) std::cerr << "timed out before standard input closed\n";
    return stop && t.failed == 0 && s.rx_bad_checksum == 0 && s.rx_malformed == 0 ? 0 : 1;
}
