// SipHash-2-4 (l4/core/keyed_hash.hpp) on the inputs it is for.
//
//   keyed_hash/siphash24/<bytes>         the one-shot function
//   keyed_hash/siphash24_hasher/<bytes>  the incremental hasher fed the same
//                                        bytes as a 4-tuple would be: two
//                                        address halves and two 16-bit ports
//
// 12 bytes is an IPv4 4-tuple (RFC 6056 algorithm 3, RFC 6528), 36 bytes an
// IPv6 one, 64 bytes a SYN cookie's inputs with room to spare. The Time
// column is the latency of one hash; bytes_per_second its throughput.
//
//   bench_keyed_hash --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/core/keyed_hash.hpp>

#include <cstdint>
#include <vector>

namespace {

constexpr l4::siphash_key key = {0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                                 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};

std::vector<std::uint8_t> input(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 37 + 11);
    return v;
}

void one_shot(benchmark::State& state) {
    auto msg = input(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        benchmark::DoNotOptimize(msg.data());  // a new input each time, as far as the compiler knows
        benchmark::DoNotOptimize(l4::siphash24(key, msg));
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void hasher(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto msg = input(n);
    const std::span<const std::uint8_t> m{msg};
    const std::size_t half = (n - 4) / 2;  // addresses, then the two ports
    for (auto _ : state) {
        benchmark::DoNotOptimize(msg.data());
        benchmark::DoNotOptimize(l4::siphash24_hasher{key}
                                     .update(m.first(half))
                                     .update(m.subspan(half, n - 4 - half))
                                     .update_be16(l4::load_be16(m.data() + n - 4))
                                     .update_be16(l4::load_be16(m.data() + n - 2))
                                     .finish());
    }
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

BENCHMARK(one_shot)->Name("keyed_hash/siphash24")->Arg(12)->Arg(36)->Arg(64);
BENCHMARK(hasher)->Name("keyed_hash/siphash24_hasher")->Arg(12)->Arg(36)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
