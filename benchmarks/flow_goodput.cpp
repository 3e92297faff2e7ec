// Goodput of each flow-control policy (issue 11): one connection between two
// l4kit hosts over the memory link, in one thread, congestion::none so that
// the flow policy alone paces the sender.
//
//   flow_goodput/<policy>/<bytes>   MSS 1460 (1448 bytes of data a segment:
//                                   timestamps), internet checksums computed
//                                   and verified, 1 MiB send and receive
//                                   buffers (window scaling), every segment
//                                   acknowledged at once, virtual time; one
//                                   iteration moves <bytes> from the sender's
//                                   application to the receiver's.
//   flow_goodput/<policy>_delayed_ack/<bytes>
//                                   the same with RFC 1122's delayed ACK
//                                   (200 ms, at least every second segment).
//
// The memory link has no delay and no bandwidth limit, so this measures what
// each policy costs in CPU: stop-and-wait takes a round trip through both
// stacks per segment, a sliding window streams. The counter Gbit/s is
// goodput, application bytes x 8 over wall time; segments_per_ack the
// segments the sender sent per segment it received; virtual_ms the virtual
// time an iteration took (stop-and-wait waits out every delayed ACK).
//
//   bench_flow_goodput --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <l4/congestion/none.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/flow/stop_and_wait.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

// The policies measured.
using policies = std::tuple<flow::stop_and_wait, flow::go_back_n, flow::selective_repeat>;

constexpr std::uint32_t buffer_bytes = 1 << 20;
constexpr std::int64_t transfer_bytes = 4 << 20;

template <class Policy, bool DelayedAck>
void flow_goodput(benchmark::State& state) {
    const auto chunk = static_cast<std::uint64_t>(state.range(0));
    using tcp_t = tcp::endpoint<use<Policy>, use<congestion::none>>;
    using host = net::stack<link::memory_end, tcp_t>;
    const ip_address a4 = *ip_address::from_string("192.0.2.1"), b4 = *ip_address::from_string("192.0.2.2");
    // Room in the link for a whole window of frames each way: nothing is dropped.
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 2048});
    const tcp::endpoint_config cfg{.connection = {.send_buffer = buffer_bytes, .receive_buffer = buffer_bytes,
                                                  .mss = 1460, .delayed_ack = DelayedAck ? 200ms : duration::zero()},
                                   .mss = 1460};
    host a{std::move(la), {.addresses = {a4}, .secret = {1}}, tcp_t{cfg}};
    host b{std::move(lb), {.addresses = {b4}, .secret = {2}}, tcp_t{cfg}};
    virtual_clock clk;
    auto l = b.socket(net::socket_type::stream).value();
    auto c = a.socket(net::socket_type::stream).value();
    std::optional<net::socket_id> s;
    if (!b.bind(l, {b4, 5001}) || !b.listen(l, 4) || !a.connect(c, {b4, 5001}, clk.now()) ||
        !net::drive_all_until(clk, clk.now() + 5s, [&] {
            if (!s)
                if (auto x = b.accept(l)) s = *x;
            return s.has_value() && a.writable(c);
        }, a, b)) {
        state.SkipWithError("handshake");
        return;
    }
    const std::vector<std::uint8_t> source(buffer_bytes, 0x5a);
    std::vector<std::uint8_t> sink(64 * 1024);
    for (auto _ : state) {
        // As in tcp_bulk.cpp: what the applications moved counts as
        // progress, and the clock moves only when nothing did.
        std::uint64_t sent = 0, received = 0, rounds = 0;
        while (received < chunk && ++rounds < 100'000'000) {
            std::size_t moved = a.poll(clk.now()) + b.poll(clk.now());
            while (sent < chunk) {
                const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(source.size(), chunk - sent));
                auto w = a.send(c, std::span{source}.first(len), clk.now());
                if (!w || *w == 0) break;
                sent += *w;
                ++moved;
            }
            while (received < chunk) {
                auto r = b.recv(*s, sink);
                if (!r || *r == 0) break;
                received += *r;
                ++moved;
            }
            if (moved > 0) continue;
            auto next = a.next_deadline();
            if (const auto nb = b.next_deadline(); nb && (!next || *nb < *next)) next = nb;
            if (!next) break;
            clk.advance_to(std::max(*next, clk.now() + duration{1}));
        }
        if (received != chunk) {
            state.SkipWithError("transfer stalled");
            return;
        }
    }
    const auto* conn = a.template transport<tcp_t>().connection_of(a.sockets().find(c)->local);
    const auto total = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(chunk);
    state.SetBytesProcessed(total);
    state.counters["Gbit/s"] = benchmark::Counter(static_cast<double>(total) * 8 / 1e9, benchmark::Counter::kIsRate);
    if (conn) {
        const auto& st = conn->stats();
        state.counters["mss"] = conn->snd_mss();
        // Nothing is lost on the memory link: a retransmission would mean a queue overflowed.
        state.counters["rexmit"] = static_cast<double>(st.retransmits_timeout + st.retransmits_fast);
        state.counters["segments_per_ack"] =
            static_cast<double>(st.segments_out) / static_cast<double>(std::max<std::uint64_t>(st.segments_in, 1));
    }
    state.counters["virtual_ms"] = benchmark::Counter(
        std::chrono::duration<double, std::milli>(clk.now() - instant{}).count(), benchmark::Counter::kAvgIterations);
}

template <class... P>
void register_all(std::tuple<P...>*) {
    (benchmark::RegisterBenchmark(("flow_goodput/" + std::string(P::name)).c_str(), flow_goodput<P, false>)
         ->Arg(transfer_bytes)
         ->UseRealTime()
         ->Unit(benchmark::kMillisecond),
     ...);
    (benchmark::RegisterBenchmark(("flow_goodput/" + std::string(P::name) + "_delayed_ack").c_str(),
                                  flow_goodput<P, true>)
         ->Arg(transfer_bytes)
         ->UseRealTime()
         ->Unit(benchmark::kMillisecond),
     ...);
}

}  // namespace

int main(int argc, char** argv) {
    register_all(static_cast<policies*>(nullptr));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
