// TCP connections per second (issue 10 §7) between two l4kit hosts over the
// memory link, in one thread, in virtual time. One iteration is a whole
// connection's life:
//
//   connect, the three-way handshake, accept; one byte client -> server,
//   one byte back; the client closes, the server reads the end of the
//   stream and closes; both ends run until neither holds the connection.
//
// TIME-WAIT is kept but set to 1 ms (tcp::config::time_wait): the clock is
// virtual, so waiting costs one timer and a clock jump, not wall time; the
// short value only keeps the virtual clock from running far ahead. No
// connection is aborted: every one ends with the orderly FIN exchange.
//
//   tcp_connections/l4_memory_link/1     items_per_second: connections per second
//
//   bench_tcp_connections --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <optional>

namespace {

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

void l4_memory_link(benchmark::State& state) {
    using tcp_t = tcp::endpoint<>;
    using host = net::stack<link::memory_end, tcp_t>;
    const ip_address a4 = *ip_address::from_string("192.0.2.1"), b4 = *ip_address::from_string("192.0.2.2");
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 256});
    tcp::endpoint_config cfg{};
    cfg.connection.time_wait = 1ms;
    host a{std::move(la), {.addresses = {a4}, .secret = {1}}, tcp_t{cfg}};
    host b{std::move(lb), {.addresses = {b4}, .secret = {2}}, tcp_t{cfg}};
    virtual_clock clk;
    auto l = b.socket(net::socket_type::stream).value();
    if (!b.bind(l, {b4, 80}) || !b.listen(l, 128)) {
        state.SkipWithError("listen");
        return;
    }
    const std::array<std::uint8_t, 1> ping{'p'}, pong{'q'};
    std::array<std::uint8_t, 16> buf{};
    const auto& ta = a.transport<tcp_t>();
    const auto& tb = b.transport<tcp_t>();
    for (auto _ : state) {
        auto c = a.socket(net::socket_type::stream).value();
        if (!a.connect(c, {b4, 80}, clk.now())) {
            state.SkipWithError("connect");
            return;
        }
        std::optional<net::socket_id> s;
        bool pinged = false, ponged = false, got_ping = false, got_pong = false, c_closed = false, s_closed = false;
        const auto done = net::drive_all_until(clk, clk.now() + 60s, [&] {
            if (!s)
                if (auto x = b.accept(l)) s = *x;
            if (!pinged && a.writable(c)) pinged = a.send(c, ping, clk.now()).has_value();
            if (s && !got_ping)
                if (auto r = b.recv(*s, buf); r && *r == 1) got_ping = true;
            if (got_ping && !ponged) ponged = b.send(*s, pong, clk.now()).has_value();
            if (!got_pong)
                if (auto r = a.recv(c, buf); r && *r == 1) got_pong = true;
            if (got_pong && !c_closed) c_closed = a.close(c, clk.now()).has_value();
            if (c_closed && !s_closed)
                if (auto r = b.recv(*s, buf); r && *r == 0) s_closed = b.close(*s, clk.now()).has_value();
            return s_closed && ta.connections() == 0 && tb.connections() == 0;
        }, a, b);
        if (!done) {
            state.SkipWithError("a connection did not complete");
            return;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    // Virtual time per connection: the handshake, two delayed ACKs at most and TIME-WAIT.
    state.counters["virtual_ms"] = benchmark::Counter(
        std::chrono::duration<double, std::milli>(clk.now() - instant{}).count(), benchmark::Counter::kAvgIterations);
}

}  // namespace

BENCHMARK(l4_memory_link)->Name("tcp_connections/l4_memory_link")->Arg(1)->UseRealTime();
BENCHMARK_MAIN();
