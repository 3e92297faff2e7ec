// Frames per second through link::memory_pair: the cost of the Link
// interface itself (a copy in, a copy out, no system call), the ceiling the
// real links are measured against.
//
//   link/memory/<bytes>   each iteration: 32 transmits on one end, 32
//                         receives on the other; items_per_second is frames/s
//
//   bench_memory_link --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/link/memory.hpp>

#include <cstdint>
#include <vector>

namespace {

constexpr int window = 32;

void memory(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    auto [a, b] = l4::link::memory_pair({.mtu = 1500, .queue_frames = window});
    const std::vector<std::uint8_t> frame(size, 0xab);
    std::vector<std::uint8_t> buffer(1500);
    const l4::instant now{};
    std::int64_t received = 0;
    for (auto _ : state) {
        for (int i = 0; i < window; ++i) benchmark::DoNotOptimize(a.transmit(frame, now));
        for (int i = 0; i < window; ++i) {
            auto n = b.receive(buffer, now);
            if (!n) break;
            ++received;
        }
        benchmark::ClobberMemory();
    }
    if (b.counters().rx_frames != a.counters().tx_frames) state.SkipWithError("frames lost in memory_pair");
    state.SetItemsProcessed(received);
    state.SetBytesProcessed(received * static_cast<std::int64_t>(size));
}

}  // namespace

BENCHMARK(memory)->Name("link/memory")->Arg(64)->Arg(1472);

BENCHMARK_MAIN();
