// Bulk transfers between two l4kit hosts over the simulator, with the
// sender's algorithm traced: the harness of the validations in sim.cpp.
#pragma once

#include <l4/congestion/trace.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace l4::congestion::test {

// A dumbbell (link/sim/topology.hpp): each flow's sender reaches the shared
// bottleneck through its own access link, and a frame the bottleneck's queue
// refuses is lost there, as at a router (a sender's own link would push back
// instead: the stack keeps a refused frame for the next poll).
struct path_config {
    link::sim::channel_config bottleneck{};  // senders -> receivers
    link::sim::channel_config reverse{};     // the ACKs' way back
    link::sim::channel_config access{.bandwidth_bps = 1'000'000'000};  // each host to its router, both ways
    std::size_t mtu = 1500;
    duration delayed_ack = std::chrono::milliseconds{200};
    std::uint32_t initial_window = 0;  // bytes, 0: RFC 6928
    std::uint64_t seed = 1;
    // Each host's buffers; above 65,535 bytes the window is scaled (RFC 7323 §2).
    std::uint32_t send_buffer = 256 * 1024;
    std::uint32_t receive_buffer = 64 * 1024;
    tcp::ecn_mode ecn = tcp::ecn_mode::accept;  // both hosts' (RFC 3168): request makes an ECN connection
};

struct bulk_result {
    std::vector<trace_record> trace;        // the sender's algorithm, every event
    std::vector<std::pair<instant, std::uint64_t>> received;  // bytes at the receiver, every 100 ms
    std::uint64_t bytes = 0;                // received in all
    tcp::counters sender{};
    bool invariants = true;                 // in flight <= min(cwnd, peer window) at every send
    bool connected = false;

    // Goodput in bytes per second between two instants (on the 100 ms grid).
    [[nodiscard]] double goodput(instant from, instant to) const {
        std::uint64_t a = 0, b = 0;
        for (const auto& [t, n] : received) {
            if (t <= from) a = n;
            if (t <= to) b = n;
        }
        return static_cast<double>(b - a) / std::chrono::duration<double>(to - from).count();
    }
};

struct dumbbell_result {
    std::vector<bulk_result> flows;
    link::sim::channel_counters bottleneck{};
};

// One connection per flow, flow i from sender i to receiver i starting at
// starts[i]; each sends as fast as its algorithm lets it until `length`
// of virtual time has passed, and each receiver reads everything at once.
template <class Algo, class... Policies>
dumbbell_result bulk_transfer(const path_config& path, duration length, std::vector<duration> starts = {duration{}}) {
    using tcp_t = tcp::endpoint<use<traced<Algo>>, use<Policies>...>;
    using host = net::stack<link::sim::port, tcp_t>;
    const std::size_t n = starts.size();
    link::sim::network sim{{.seed = path.seed, .mtu = path.mtu}};
    const std::vector<duration> no_delay(n, duration{});
    auto d = link::sim::dumbbell(sim, {.sender_access = link::sim::dumbbell_config::access_links(path.access, no_delay),
                                       .receiver_access = path.access,
                                       .bottleneck = path.bottleneck,
                                       .reverse = path.reverse});
    tcp::endpoint_config ec{};
    ec.connection.delayed_ack = path.delayed_ack;
    ec.connection.initial_window = path.initial_window;
    ec.connection.send_buffer = path.send_buffer;
    ec.connection.receive_buffer = path.receive_buffer;
    ec.connection.ecn = path.ecn;
    struct flow {
        std::unique_ptr<host> a, b;
        net::ip_address b4;
        net::socket_id l{}, c{};
        std::optional<net::socket_id> s;
        bool started = false;
    };
    std::vector<flow> f(n);
    dumbbell_result out;
    out.flows.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto a4 = *net::ip_address::from_string("192.0.2." + std::to_string(1 + i));
        f[i].b4 = *net::ip_address::from_string("198.51.100." + std::to_string(1 + i));
        f[i].a = std::make_unique<host>(d.senders[i], net::stack_config{.addresses = {a4}, .secret = {static_cast<std::uint8_t>(5 + i)}}, tcp_t{ec});
        f[i].b = std::make_unique<host>(d.receivers[i], net::stack_config{.addresses = {f[i].b4}, .secret = {static_cast<std::uint8_t>(99 + i)}},
                                        tcp_t{ec});
        f[i].l = f[i].b->socket(net::socket_type::stream).value();
        if (!f[i].b->bind(f[i].l, {f[i].b4, 5001}) || !f[i].b->listen(f[i].l)) return out;
        f[i].c = f[i].a->socket(net::socket_type::stream).value();
    }
    virtual_clock clk;
    static const std::array<std::uint8_t, 64 * 1024> chunk{};
    std::array<std::uint8_t, 64 * 1024> buf{};
    instant next_sample = clk.now();
    const instant t0 = clk.now(), end = clk.now() + length;
    const auto step = [&] {
        for (std::size_t i = 0; i < n; ++i) {
            auto& x = f[i];
            if (!x.started && clk.now() >= t0 + starts[i])
                x.started = x.a->connect(x.c, {x.b4, 5001}, clk.now()).has_value();
            if (!x.started) continue;
            if (!x.s)
                if (auto acc = x.b->accept(x.l)) x.s = *acc;
            while (auto w = x.a->send(x.c, chunk, clk.now()))
                if (*w == 0) break;
            if (x.s)
                while (auto r = x.b->recv(*x.s, buf)) {
                    if (*r == 0) break;
                    out.flows[i].bytes += *r;
                }
        }
        while (clk.now() >= next_sample) {
            for (std::size_t i = 0; i < n; ++i) out.flows[i].received.emplace_back(next_sample, out.flows[i].bytes);
            next_sample += std::chrono::milliseconds{100};
        }
        return false;
    };
    // Every host is driven; the ready callback never ends the run early.
    const auto drive = [&](auto&... hosts) { (void)net::drive_all_until(clk, end, step, hosts...); };
    if (n == 1) drive(*f[0].a, *f[0].b);
    else if (n == 2) drive(*f[0].a, *f[0].b, *f[1].a, *f[1].b);
    else return out;
    for (std::size_t i = 0; i < n; ++i) {
        auto& r = out.flows[i];
        r.received.emplace_back(clk.now(), r.bytes);
        if (const auto* conn = f[i].a->template transport<tcp_t>().connection_of(f[i].a->sockets().find(f[i].c)->local)) {
            const auto rec = conn->congestion().records();
            r.trace.assign(rec.begin(), rec.end());
            r.sender = conn->stats();
            r.invariants = conn->invariants_held();
            r.connected = true;
        }
    }
    out.bottleneck = sim.channel_at(d.bottleneck).counters();
    return out;
}

// The records of one kind of event.
inline std::vector<trace_record> events(const std::vector<trace_record>& trace, trace_event e) {
    std::vector<trace_record> out;
    std::copy_if(trace.begin(), trace.end(), std::back_inserter(out), [&](const auto& r) { return r.event == e; });
    return out;
}

}  // namespace l4::congestion::test
