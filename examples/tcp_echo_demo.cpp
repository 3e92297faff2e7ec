// The course's TCP echo (port 50007) between two l4kit hosts over a
// simulated path with 1 % loss each way, narrated for scripts/demo:
//
//   - every segment at the client, as tcpdump prints it, in virtual time
//     (tcpdump_tap.hpp): the handshake, the start of the transfer, each
//     retransmission with the two segments before it, and the close;
//   - each host's sockets as `ss -ta` lists them (socket_listing.hpp), with
//     ports named from /etc/services where it names them, at each phase:
//     listening, connected, mid-transfer, closing, closed.
//
//   tcp_echo_demo [--size N] [--numeric]
//
// The client sends N bytes (default 100,000) and checks the upper-cased
// echo. The network's seed is the first from 1 up whose losses hit the
// transfer, so that a retransmission is there to see (each trial run takes
// a few milliseconds). Exits 1 if the echo is wrong or a phase never
// comes.
#include "socket_listing.hpp"
#include "tcp_course.hpp"
#include "tcpdump_tap.hpp"

#include <l4/link/sim.hpp>

#include <cstring>

namespace {

using namespace course;
using port_link = l4::link::sim::port;
using client_host = tcp_host<demo::tcpdump_tap<port_link>>;
using server_host = tcp_host<port_link>;

struct run_result {
    bool ok = false;
    std::size_t retransmissions = 0;
};

template <class Host>
std::optional<l4::tcp::state> state_of(const Host& h, std::optional<l4::net::socket_id> s) {
    if (!s) return std::nullopt;
    const auto* e = h.sockets().find(*s);
    return e ? h.template transport<course::tcp>().state_of(e->local) : std::nullopt;
}

class narrator {
public:
    narrator(std::ostream& out, const listing::services* names) : out_{out}, names_{names} {}

    void phase(const std::string& title) { out_ << "\n-- " << title << '\n'; }

    template <class Host>
    void ss(const Host& h, const char* who, l4::instant now) {
        out_ << "   " << who << " $ ss -ta" << (names_ ? "" : "n") << "   (at "
             << std::chrono::duration<double, std::milli>(now.time_since_epoch()).count() << " ms)\n";
        listing::print(out_, h.template transport<course::tcp>(), names_, "   ");
    }

private:
    std::ostream& out_;
    const listing::services* names_;
};

run_result run(std::uint64_t seed, std::size_t size, std::ostream& out, const listing::services* names) {
    l4::link::sim::network net{{.seed = seed}};
    l4::link::sim::channel_config path{.bandwidth_bps = 10'000'000, .delay = std::chrono::milliseconds{20}};
    path.impair.loss = l4::link::sim::bernoulli_loss{0.01};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    const ip_address client_addr = parse_address("192.0.2.1"), server_addr = parse_address("192.0.2.2");
    client_host client{demo::tcpdump_tap{p2p.a, out}, {.addresses = {client_addr}}};
    server_host server{p2p.b, {.addresses = {server_addr}}};
    l4::virtual_clock clock;
    narrator say{out, names};
    const auto until = [&](auto&& done) {
        return l4::net::drive_all_until(clock, clock.now() + std::chrono::minutes{5}, done, client, server)
            .has_value();
    };

    // The course's server on 50007, and the same echo on the echo port (7, RFC 862).
    std::vector<l4::net::socket_id> listeners;
    for (std::uint16_t port : {echo_port, std::uint16_t{7}}) {
        auto l = tcp_socket(server);
        if (!l || !server.bind(*l, {ip_address::any_v4(), port}) || !server.listen(*l, 4)) return {};
        listeners.push_back(*l);
    }
    say.phase("the server listens");
    say.ss(server, "server 192.0.2.2", clock.now());

    say.phase("the three-way handshake (tcpdump at the client)");
    auto s = tcp_socket(client);
    if (!s || !client.connect(*s, {server_addr, echo_port}, clock.now())) return {};
    std::optional<l4::net::socket_id> conn;
    const auto accept = [&] {
        if (!conn)
            if (auto a = server.accept(listeners[0])) conn = *a;
    };
    if (!until([&] {
            accept();
            return conn && state_of(client, s) == l4::tcp::state::established;
        }))
        return {};
    say.phase("connected");
    say.ss(client, "client 192.0.2.1", clock.now());
    say.ss(server, "server 192.0.2.2", clock.now());

    say.phase("the transfer: " + std::to_string(size) + " bytes each way");
    client.link().brief(8);
    std::vector<std::uint8_t> message(size), request, reply;
    for (std::size_t i = 0; i < size; ++i) message[i] = static_cast<std::uint8_t>('a' + i % 26);
    std::array<std::uint8_t, 4096> buf{};
    std::size_t sent = 0, echoed = 0;
    bool shown_mid = false;
    const bool transferred = until([&] {
        if (sent < size)
            if (auto w = client.send(*s, std::span{message}.subspan(sent), clock.now())) sent += *w;
        if (!shown_mid && sent == size && request.size() > size / 2) {
            shown_mid = true;
            client.link().full();  // what was left out so far is counted before the listing
            say.ss(client, "client 192.0.2.1", clock.now());
            say.ss(server, "server 192.0.2.2", clock.now());
            client.link().brief(0);
        }
        // connectionSocket.recv(); send(sentence.upper()); close() -- as it arrives
        while (request.size() < size) {
            auto r = server.recv(*conn, buf);
            if (!r || *r == 0) break;
            for (std::size_t i = 0; i < *r; ++i) request.push_back(static_cast<std::uint8_t>(std::toupper(buf[i])));
        }
        while (echoed < request.size())
            if (auto w = server.send(*conn, std::span{request}.subspan(echoed), clock.now()); w && *w) echoed += *w;
            else break;
        while (reply.size() < size) {
            auto r = client.recv(*s, buf);
            if (!r || *r == 0) break;
            reply.insert(reply.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
        }
        return reply.size() == size;
    });
    client.link().full();
    bool ok = transferred && std::ranges::equal(reply, request) && request.size() == size;
    for (std::size_t i = 0; ok && i < size; ++i) ok = reply[i] == std::toupper(message[i]);

    say.phase("the close: the server first, then the client");
    (void)server.close(*conn, clock.now());
    const bool server_fin = until([&] {
        auto r = client.recv(*s, buf);
        return r && *r == 0;  // the server's FIN: the end of the stream
    });
    (void)client.close(*s, clock.now());
    std::uint32_t server_id = 0;  // the server's connection, still listed after its socket closed
    // Until the client's last ACK is in: its connection gone, the server's in TIME-WAIT.
    const bool closing = server_fin && until([&] {
        if (client.transport<course::tcp>().connections() != 0) return false;
        for (std::uint32_t id = 0; id < 8; ++id)
            if (server.transport<course::tcp>().state_of(id) == l4::tcp::state::time_wait) return server_id = id, true;
        return false;
    });
    say.ss(client, "client 192.0.2.1", clock.now());
    say.ss(server, "server 192.0.2.2", clock.now());

    say.phase("TIME-WAIT over (2 MSL), the connection is gone");
    const bool gone = closing && until([&] { return !server.transport<course::tcp>().state_of(server_id); });
    say.ss(server, "server 192.0.2.2", clock.now());
    out << "\n" << size << " bytes echoed " << (ok ? "exactly" : "WRONGLY") << "; " << client.link().retransmissions()
        << " retransmission(s) seen at the client; " << std::chrono::duration<double>(clock.now().time_since_epoch()).count()
        << " s of virtual time\n";
    return {ok && gone, client.link().retransmissions()};
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t size = 100'000;
    bool numeric = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--size") && i + 1 < argc) size = std::stoul(argv[++i]);
        else if (!std::strcmp(argv[i], "--numeric")) numeric = true;
        else return std::cerr << "usage: " << argv[0] << " [--size N] [--numeric]\n", 2;
    }
    const listing::services names = listing::services::load();
    const listing::services* shown = numeric ? nullptr : &names;
    std::ostream discard{nullptr};
    std::uint64_t seed = 1;
    while (seed < 100 && run(seed, size, discard, shown).retransmissions == 0) ++seed;
    std::cout << "The course's TCP echo, l4kit to l4kit: 10 Mbit/s, 20 ms each way, 1 % loss each way (seed " << seed
              << "); " << (names.size() ? std::to_string(names.size()) + " TCP service names from /etc/services"
                                        : std::string{"no /etc/services: ports as numbers"})
              << '\n';
    return run(seed, size, std::cout, shown).ok ? 0 : 1;
}
