// bench_ns3_compare: issue 12's "side by side with ns-3". One flow over
// 100 Mbit/s, RTT 20 ms, a 100-packet drop-tail queue and 1e-3 random loss
// for 60 simulated seconds, in ns-3 and in l4kit's simulator, for NewReno,
// CUBIC and BBR; prints both goodputs and both wall-clock times.
//
//   bench_ns3_compare [--seconds N] [--warmup N] [--seed N] [--algo newreno|cubic|bbr] [--check]
//
// --check exits 1 unless the targets hold: l4kit's goodput within
// ±15 % of ns-3's for NewReno and CUBIC, and l4kit's run at least 50 times
// faster in wall-clock time for every algorithm.
//
// A plain program, not Google Benchmark's loop: one 60-second simulation in
// ns-3 takes seconds of wall-clock time, and it is the one run that is
// compared, not a mean over repetitions.
#include "scenario.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace l4bench {
std::string ns3_recovery_type();
}

namespace {

using namespace l4bench;

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: bench_ns3_compare [--seconds N] [--warmup N] [--seed N] [--algo newreno|cubic|bbr] [--check]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    scenario s;
    std::vector<algorithm> algos{algorithm::newreno, algorithm::cubic, algorithm::bbr};
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (arg == "--seconds") s.seconds = static_cast<std::uint32_t>(std::stoul(std::string{value()}));
        else if (arg == "--warmup") s.warmup_seconds = static_cast<std::uint32_t>(std::stoul(std::string{value()}));
        else if (arg == "--seed") s.seed = std::stoull(std::string{value()});
        else if (arg == "--check") check = true;
        else if (arg == "--algo") {
            const auto v = value();
            if (v == "newreno") algos = {algorithm::newreno};
            else if (v == "cubic") algos = {algorithm::cubic};
            else if (v == "bbr") algos = {algorithm::bbr};
            else usage();
        } else usage();
    }
    if (s.warmup_seconds >= s.seconds) usage();

    std::printf("one flow: %.0f Mbit/s bottleneck, RTT %u ms, %u-packet drop tail, loss %g (data only), %u s simulated, "
                "goodput from %u s, seed %llu\n",
                static_cast<double>(s.bottleneck_bps) / 1e6, 2 * s.one_way_ms, s.queue_packets, s.loss, s.seconds,
                s.warmup_seconds, static_cast<unsigned long long>(s.seed));
    std::printf("ns-3 3.37 recovery: %s\n\n", ns3_recovery_type().c_str());
    std::printf("| algorithm | ns-3 Mbit/s | l4kit Mbit/s | l4kit/ns-3 | ns-3 wall s | l4kit wall s | speed-up "
                "| lost ns-3/l4kit | queue drops ns-3/l4kit | retransmits ns-3/l4kit |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    bool ok = true;
    for (const algorithm a : algos) {
        const outcome n = run_ns3(a, s);
        const outcome l = run_l4kit(a, s);
        const double ratio = n.goodput_bps > 0 ? l.goodput_bps / n.goodput_bps : 0;
        const double speedup = l.wall_seconds > 0 ? n.wall_seconds / l.wall_seconds : 0;
        std::printf("| %s | %.2f | %.2f | %.3f | %.2f | %.3f | %.0fx | %llu / %llu | %llu / %llu | %llu / %llu |\n",
                    std::string{name_of(a)}.c_str(), n.goodput_bps / 1e6, l.goodput_bps / 1e6, ratio, n.wall_seconds,
                    l.wall_seconds, speedup, static_cast<unsigned long long>(n.data_lost),
                    static_cast<unsigned long long>(l.data_lost), static_cast<unsigned long long>(n.queue_drops),
                    static_cast<unsigned long long>(l.queue_drops), static_cast<unsigned long long>(n.retransmits),
                    static_cast<unsigned long long>(l.retransmits));
        std::fflush(stdout);
        if (a != algorithm::bbr && std::abs(ratio - 1.0) > 0.15) {
            ok = false;
            if (check) std::printf("  %s: goodput ratio %.3f outside 1 +- 0.15\n", std::string{name_of(a)}.c_str(), ratio);
        }
        if (speedup < 50) {
            ok = false;
            if (check) std::printf("  %s: speed-up %.1f below 50\n", std::string{name_of(a)}.c_str(), speedup);
        }
    }
    return check && !ok ? 1 : 0;
}
