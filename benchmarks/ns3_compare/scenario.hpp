// The scenario both simulators run (issue 12, "side by side with ns-3"), and
// what each run reports. Shared by the ns-3 translation unit and l4kit's, so
// it includes neither: ns-3's headers and l4kit's never meet in one TU.
//
//   sender ── access (1 Gbit/s, 0 ms) ── router ══ bottleneck ══► receiver
//                                                 100 Mbit/s, 10 ms,
//                                                 100-packet drop tail,
//                                                 random loss after the wire
//                                        ◄══ reverse (ACKs) ══
//                                                 100 Mbit/s, 10 ms
#pragma once

#include <cstdint>
#include <string_view>

namespace l4bench {

enum class algorithm { newreno, cubic, cubic_without_reno_friendly, bbr };

[[nodiscard]] constexpr std::string_view name_of(algorithm a) noexcept {
    switch (a) {
        case algorithm::newreno: return "NewReno";
        case algorithm::cubic: return "CUBIC";
        case algorithm::cubic_without_reno_friendly: return "CUBIC without the Reno-friendly region";
        case algorithm::bbr: return "BBR";
    }
    return "?";
}

struct scenario {
    std::uint64_t bottleneck_bps = 100'000'000;
    std::uint64_t access_bps = 1'000'000'000;
    std::uint32_t one_way_ms = 10;             // each way on the bottleneck: RTT 20 ms
    std::uint32_t queue_packets = 100;         // waiting at the router (the frame on the wire not counted)
    std::uint32_t access_queue_packets = 4000; // a host's own queue: never the one that drops
    double loss = 1e-3;                        // per data packet, bottleneck direction only
    std::uint32_t seconds = 60;                // simulated
    std::uint32_t warmup_seconds = 0;          // goodput counts bytes delivered after this
    std::uint32_t segment = 1448;              // payload per segment: MTU 1500 - 20 IP - 20 TCP - 12 timestamps
    std::uint32_t buffer = 4 * 1024 * 1024;    // each host's send and receive buffer (window scale 7)
    std::uint32_t delayed_ack_ms = 200;        // and an ACK at least every second full segment
    bool ack_every_segment = false;            // no delayed ACKs on either side (ns-3 DelAckCount 1)
    bool ns3_classic_recovery = false;         // ns-3's TcpClassicRecovery instead of its default (PRR)
    std::uint64_t seed = 1;
};

struct outcome {
    std::uint64_t bytes = 0;         // delivered to the receiving application in [warmup, end]
    double goodput_bps = 0;          // bits per second over [warmup, end]
    double wall_seconds = 0;         // steady_clock around building and running the simulation
    double cpu_seconds = 0;          // the process's CPU time over the same span (the machine is shared)
    std::uint64_t data_lost = 0;     // dropped by the random-loss model
    std::uint64_t queue_drops = 0;   // refused by the bottleneck's queue
    std::uint64_t retransmits = 0;   // segments sent again (where the simulator tells)
    std::uint64_t timeouts = 0;      // RTO expiries (where the simulator tells)
    std::uint64_t reassembly_drops = 0;  // l4kit's receiver: out-of-order segments past its reassembly bound
    double max_btlbw_bps = 0;        // l4kit's BBR: the largest bottleneck-bandwidth estimate, sampled each ms
    double max_pacing_bps = 0;       // l4kit's BBR: the largest pacing rate, sampled each ms
    std::uint64_t events = 0;        // l4kit: the simulator's events
    std::uint64_t rounds = 0;        // l4kit: the driver's rounds of host polls
};

// Defined in ns3_side.cpp and l4kit_side.cpp. ns3_type names ns-3's
// congestion ops (ns3::TcpNewReno, ns3::TcpLinuxReno, ns3::TcpCubic,
// ns3::TcpBbr); pacing is on for ns3::TcpBbr only.
[[nodiscard]] outcome run_ns3(const char* ns3_type, const scenario& s);
[[nodiscard]] outcome run_l4kit(algorithm a, const scenario& s);
[[nodiscard]] const char* ns3_recovery_type();

// CPU seconds this process has used.
[[nodiscard]] double cpu_now() noexcept;

}  // namespace l4bench
