// Throughput and latency of every checksum strategy and path.
//
// Names read checksum/<variant>/<bytes>. Besides the strategies, two
// baselines run on the same buffers in the same process:
//   checksum/read      a plain read: the 64-bit words summed with no carries
//                      (AVX2 where the CPU has it), the bandwidth ceiling
//   checksum/textbook  RFC 1071 §4.1's C loop as written: 16-bit words into
//                      a 32-bit accumulator (which overflows past 128 KiB:
//                      the larger sizes time it, they do not check it)
// Google Benchmark's "G/s" is GiB/s; the Time column at 20-60 bytes is the
// per-header latency. The context block names the paths that ran.
//
//   bench_checksum --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/checksum.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#if L4_CHECKSUM_X86
#include <immintrin.h>
#endif

namespace {

using namespace l4::checksum;

constexpr std::int64_t sizes[] = {20, 40, 60, 576, 1500, 9000, 65536, 16777216};

std::vector<std::uint8_t> make_buffer(std::size_t n) {
    std::mt19937_64 rng{n};
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) b = static_cast<std::uint8_t>(rng());
    return v;
}

template <class S>
void run_strategy(benchmark::State& state) {
    const auto buffer = make_buffer(static_cast<std::size_t>(state.range(0)));
    const l4::bytes b{buffer};
    for (auto _ : state) benchmark::DoNotOptimize(S::compute(b));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

std::uint64_t read_scalar(const std::uint8_t* p, std::size_t n) {
    std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; n >= 32; p += 32, n -= 32) {
        std::uint64_t w[4];
        std::memcpy(w, p, 32);
        s0 += w[0];
        s1 += w[1];
        s2 += w[2];
        s3 += w[3];
    }
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        s1 += w;
    }
    for (; n > 0; ++p, --n) s2 += *p;
    return s0 + s1 + s2 + s3;
}

#if L4_CHECKSUM_X86
__attribute__((target("avx2"))) std::uint64_t read_avx2(const std::uint8_t* p, std::size_t n) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (; n >= 128; p += 128, n -= 128) {
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 96)));
    }
    alignas(32) std::uint64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes),
                       _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3)));
    return lanes[0] + lanes[1] + lanes[2] + lanes[3] + read_scalar(p, n);
}
#endif

std::uint64_t read_words(const std::uint8_t* p, std::size_t n) {
#if L4_CHECKSUM_X86
    if (cpu::has_avx2()) return read_avx2(p, n);
#endif
    return read_scalar(p, n);
}

void run_read(benchmark::State& state) {
    const auto buffer = make_buffer(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(read_words(buffer.data(), buffer.size()));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

// RFC 1071 §4.1, with memcpy for the unaligned 16-bit load.
std::uint16_t textbook(const std::uint8_t* addr, std::size_t count) {
    std::uint32_t sum = 0;
    while (count > 1) {
        std::uint16_t word;
        std::memcpy(&word, addr, 2);
        sum += word;
        addr += 2;
        count -= 2;
    }
    if (count > 0) sum += *addr;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

void run_textbook(benchmark::State& state) {
    const auto buffer = make_buffer(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(textbook(buffer.data(), buffer.size()));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void register_variant(const std::string& variant, void (*fn)(benchmark::State&)) {
    auto* b = benchmark::RegisterBenchmark(("checksum/" + variant).c_str(), fn);
    for (auto size : sizes) b->Arg(size);
}

template <class S>
void register_strategy() {
    register_variant(std::string{S::name}, &run_strategy<S>);
}

const bool registered = [] {
    register_variant("read", &run_read);
    register_variant("textbook", &run_textbook);
    register_strategy<internet_portable>();
    register_strategy<internet_avx2>();
    register_strategy<internet>();
    register_strategy<crc32c_portable>();
    register_strategy<crc32c_sse42>();
    register_strategy<crc32c>();
    register_strategy<none>();
    benchmark::AddCustomContext("internet path (spans >= " + std::to_string(internet::vector_threshold) + " B)",
                                std::string{internet::active_path()});
    benchmark::AddCustomContext("crc32c path", std::string{crc32c::active_path()});
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
