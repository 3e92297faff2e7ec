// The send quantum: how many bytes a paced sender lets go back to back
// before it waits for its pacing rate to catch up.
//
// Reading list: draft-cardwell-iccrg-bbr-congestion-control-00 §4.1.1.4
// (BBRSetSendQuantum); Linux's tcp_tso_autosize, which sizes a paced
// flow's bursts the same way (about 1 ms of data, 2 segments at least).
//
//   pacing rate         quantum
//   below 1.2 Mbit/s    1 SMSS
//   below 24 Mbit/s     2 SMSS
//   above               1 ms of data, at most 64 KB
//
// Pacing one segment at a time costs a timer per segment; at a quantum of
// 1 ms the sender wakes once per millisecond, and the bottleneck sees a
// burst no larger than BBR budgets for (cwnd includes 3 quanta).
#pragma once

#include <algorithm>

namespace l4::congestion {

// Bytes, for a pacing rate in bytes per second and a sender's SMSS.
[[nodiscard]] constexpr double send_quantum(double rate, double smss) noexcept {
    if (rate < 1.2e6 / 8) return smss;
    if (rate < 24e6 / 8) return 2.0 * smss;
    return std::min(rate * 1e-3, 65536.0);
}

}  // namespace l4::congestion
