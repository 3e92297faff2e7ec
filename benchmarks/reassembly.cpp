// What one arriving segment costs TCP's receive buffer (l4/tcp/reassembly.hpp)
// when h out-of-order ranges are held, against the in-order segment of the
// same size in the same run:
//
//   reassembly/in_order_1448             a 1448-byte segment, nothing held
//                                        (the connection's fast path), read back
//   reassembly/join_ranges_1448/<h>      h one-byte ranges held, a hole before
//                                        each; one in-order 1448-byte segment
//                                        joins the first 724 of them (a peer
//                                        that sends tiny segments with holes,
//                                        then fills them)
//   reassembly/duplicate_oldest/<h>      h ranges held; a one-byte duplicate
//                                        of the range received first, which
//                                        moves to the front (RFC 2018 §4)
//
// h runs up to tcp::config::max_reassembly_ranges, the bound the endpoint
// enforces. Only the timed segment is measured: the ranges are set up with
// the timer paused (the pause itself costs some 0.3 µs, in the figure).
//
//   bench_reassembly --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/tcp/config.hpp>
#include <l4/tcp/reassembly.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace {

// Room for the most ranges apart (a byte and a hole each) and the segment; small enough that the
// buffer made for each timed segment costs its setup little.
constexpr std::size_t capacity = 64 * 1024;
static_assert(2 * l4::tcp::config::max_reassembly_ranges + 1448 <= capacity);
constexpr std::array<std::uint8_t, 1> one_byte{'x'};
const std::array<std::uint8_t, 1448> segment{};

// h one-byte ranges at 1, 3, 5, ...: each apart from the next.
void hold_ranges(l4::tcp::receive_buffer& b, std::size_t h) {
    for (std::size_t i = 0; i < h; ++i) (void)b.insert(2 * i + 1, one_byte);
}

void in_order_1448(benchmark::State& state) {
    l4::tcp::receive_buffer b{capacity};
    std::array<std::uint8_t, 1448> out{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(b.insert(0, segment));
        benchmark::DoNotOptimize(b.read(out));
    }
    state.SetItemsProcessed(state.iterations());
}

void join_ranges_1448(benchmark::State& state) {
    const auto h = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        state.PauseTiming();
        l4::tcp::receive_buffer b{capacity, h};
        hold_ranges(b, h);
        state.ResumeTiming();
        benchmark::DoNotOptimize(b.insert(0, segment));
    }
    state.SetItemsProcessed(state.iterations());
}

void duplicate_oldest(benchmark::State& state) {
    const auto h = static_cast<std::size_t>(state.range(0));
    l4::tcp::receive_buffer b{capacity, h};
    hold_ranges(b, h);
    // The range received first is the last listed; a duplicate of it moves it to the front, so the
    // next oldest is at 1 + 2·(i + 1): walk them in turn, each time the oldest.
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(b.insert(2 * i + 1, one_byte));
        i = (i + 1) % h;
    }
    state.SetItemsProcessed(state.iterations());
}

void ranges(benchmark::internal::Benchmark* b) {
    for (const std::uint32_t h : {8u, 64u, 512u, 1448u, l4::tcp::config::max_reassembly_ranges}) b->Arg(h);
}

}  // namespace

BENCHMARK(in_order_1448)->Name("reassembly/in_order_1448");
// Holding h ranges costs O(h²) (each new one goes to the front), 7 ms at 4,096: a fixed count of
// timed segments keeps the setup to seconds.
BENCHMARK(join_ranges_1448)->Name("reassembly/join_ranges_1448")->Apply(ranges)->Iterations(300);
BENCHMARK(duplicate_oldest)->Name("reassembly/duplicate_oldest")->Apply(ranges);

BENCHMARK_MAIN();
