// The network simulator's speed in events per second (items_per_second).
//
// An event is what the scheduler runs: a frame's arrival at the far end of
// a channel (its crossing is planned when the channel takes it), so a frame
// crossing h channels costs h events. frames/s counts frames delivered to
// a port. Each benchmark drives the network the way a stack would, through
// ports: transmit copies a frame in, receive copies it out, so the figures
// include the copies and the driver's loop, not only the heap.
//
//   sim/saturated_channel/<bytes>  one channel whose sender always has a frame
//                                  queued (10 Gbit/s, 100 us, drop-tail 64)
//   sim/impaired_channel/<bytes>   the same with every impairment on
//                                  (Bernoulli loss, corruption, duplication,
//                                  reordering, jitter): the cost of the draws
//   sim/dumbbell/<n>               n saturating senders whose access links
//                                  add up to 1.25x the bottleneck (1 Gbit/s,
//                                  RED); each receiver answers every frame
//                                  with a 64-byte ACK
//   sim/wire_time/{div,fixed_divisor}
//                                  a channel's exact time on the wire for a
//                                  run of frames (ns and the remainder
//                                  carried to the next), by a 64-bit DIV and
//                                  by core/fixed_divisor: the ratio of the two
//
//   bench_simulator --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/core/fixed_divisor.hpp>
#include <l4/link/sim.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::link::sim;
using namespace std::chrono_literals;

void run_channel(benchmark::State& state, const impairments_config& imp) {
    const auto size = static_cast<std::size_t>(state.range(0));
    network net{{.seed = 1}};
    auto [a, b, ab, ba] = point_to_point(
        net, {.bandwidth_bps = 10'000'000'000, .delay = 100us, .queue = drop_tail_packets{64}, .impair = imp}, {});
    (void)ba;
    const std::vector<std::uint8_t> frame(size, 0x42);
    std::vector<std::uint8_t> buf(net.config().mtu);
    std::uint64_t received = 0;
    for (auto _ : state) {
        // Saturated: the sender never lets the wire go idle.
        while (net.channel_at(ab).queue().packets() < 2) (void)a.transmit(frame, net.now());
        const auto t = *net.next_deadline();
        net.run_until(t);
        while (b.receive(buf, t)) ++received;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(net.events_processed()));
    state.counters["frames/s"] = benchmark::Counter(static_cast<double>(received), benchmark::Counter::kIsRate);
    state.counters["pool_slots"] = static_cast<double>(net.pool().capacity());
}

void saturated_channel(benchmark::State& state) { run_channel(state, {}); }

void impaired_channel(benchmark::State& state) {
    run_channel(state, {.loss = bernoulli_loss{0.01},
                        .corrupt = 0.01,
                        .duplicate = 0.01,
                        .reorder = {0.01, 5us},
                        .jitter = {2us, jitter_shape::uniform}});
}

void dumbbell_flows(benchmark::State& state) {
    // n senders whose access links add up to 1.25 times the bottleneck (a
    // congested but not absurd dumbbell: a fifth of the frames are dropped),
    // with access delays spread over 1 .. 9 ms so every pair's RTT differs.
    const auto n = static_cast<std::size_t>(state.range(0));
    const std::uint64_t bottleneck_bps = 1'000'000'000, access_bps = bottleneck_bps * 5 / 4 / n;
    std::vector<l4::duration> delays(n);
    for (std::size_t i = 0; i < n; ++i) delays[i] = 1ms + 8ms * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n);
    const dumbbell_config cfg{
        .sender_access = dumbbell_config::access_links({.bandwidth_bps = access_bps, .queue = drop_tail_packets{64}}, delays),
        .receiver_access = {.bandwidth_bps = 10'000'000'000, .delay = 1ms},
        .bottleneck = {.bandwidth_bps = bottleneck_bps, .delay = 10ms, .queue = red_config{.limit = 200}},
        .reverse = {.bandwidth_bps = bottleneck_bps, .delay = 10ms}};
    network net{{.seed = 1}};
    auto d = dumbbell(net, cfg);
    const std::vector<std::uint8_t> frame(1500, 0x42), ack(64, 0x41);
    std::vector<std::uint8_t> buf(net.config().mtu);
    std::uint64_t received = 0;
    // The driver visits every port once per step, one frame time on an
    // access link: a sender with two frames queued cannot run dry within a
    // step, and the O(n) visit is shared by all the step's events.
    // (Receivers answer at the end of the step, up to one step late.)
    const l4::duration step{std::int64_t{1500 * 8} * 1'000'000'000 / static_cast<std::int64_t>(access_bps)};
    for (auto _ : state) {
        const l4::instant now = net.now(), next = now + step;
        for (std::size_t i = 0; i < n; ++i)
            while (net.channel_at(d.sender_up[i]).queue().packets() < 2) (void)d.senders[i].transmit(frame, now);
        net.run_until(next);
        for (std::size_t i = 0; i < n; ++i) {
            while (d.receivers[i].receive(buf, next)) {
                ++received;
                (void)d.receivers[i].transmit(ack, next);
            }
            while (d.senders[i].receive(buf, next)) ++received;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(net.events_processed()));
    state.counters["frames/s"] = benchmark::Counter(static_cast<double>(received), benchmark::Counter::kIsRate);
    const auto b = net.channel_at(d.bottleneck).counters();
    state.counters["bottleneck_drop_ratio"] = static_cast<double>(b.dropped_queue) / static_cast<double>(b.offered);
    state.counters["pool_slots"] = static_cast<double>(net.pool().capacity());
}

// Back-to-back frames of mixed sizes on a 100 Mbit/s wire, each end depending
// on the last (the remainder carries), as channel::accept computes them.
template <class Divide>
void wire_time(benchmark::State& state, Divide divide) {
    constexpr std::array<std::uint64_t, 4> lens{1500, 52, 1500, 576};
    std::uint64_t end_ns = 0, frac = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        const auto [ns, r] = divide(frac + lens[i++ & 3] * 8 * 1'000'000'000);
        end_ns += ns;
        frac = r;
        benchmark::DoNotOptimize(end_ns);
    }
    state.SetItemsProcessed(state.iterations());
}

void wire_time_div(benchmark::State& state) {
    std::uint64_t bps = 100'000'000;
    benchmark::DoNotOptimize(bps);  // a rate known only at run time, as a channel's
    wire_time(state, [bps](std::uint64_t n) { return l4::fixed_divisor::quotient_remainder{n / bps, n % bps}; });
}

void wire_time_fixed_divisor(benchmark::State& state) {
    std::uint64_t bps = 100'000'000;
    benchmark::DoNotOptimize(bps);
    const l4::fixed_divisor by{bps};
    wire_time(state, [&by](std::uint64_t n) { return by.divide(n); });
}

}  // namespace

BENCHMARK(saturated_channel)->Name("sim/saturated_channel")->Arg(64)->Arg(1500);
BENCHMARK(impaired_channel)->Name("sim/impaired_channel")->Arg(1500);
BENCHMARK(dumbbell_flows)->Name("sim/dumbbell")->Arg(2)->Arg(8)->Arg(32);
BENCHMARK(wire_time_div)->Name("sim/wire_time/div");
BENCHMARK(wire_time_fixed_divisor)->Name("sim/wire_time/fixed_divisor");

BENCHMARK_MAIN();
