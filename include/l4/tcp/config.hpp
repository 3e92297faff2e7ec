// A connection's settings and the counters it keeps for its user.
#pragma once

#include <l4/congestion/trace.hpp>
#include <l4/core/socket_option.hpp>
#include <l4/core/time.hpp>
#include <l4/tcp/ecn.hpp>
#include <l4/tcp/options.hpp>
#include <l4/tcp/rto.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace l4::tcp {

using namespace std::chrono_literals;

struct config {
    std::uint32_t send_buffer = 64 * 1024;
    std::uint32_t receive_buffer = 64 * 1024;   // above 65,535 the window is scaled (RFC 7323 §2)
    // Out-of-order ranges held at once (tcp/reassembly.hpp): a segment that would open one more is
    // dropped, counted in dropped_reassembly_full, and sent again by the peer. Linux and ns-3 hold any
    // number within the buffer; lwIP bounds them (TCP_OOSEQ_MAX_PBUFS), as smoltcp does. Each costs 16
    // bytes of the connection's state, and an arrival out of order walks them: about 2 ns a range on a
    // 2.6 GHz Xeon. At most max_reassembly_ranges, and at most receive_buffer / 2.
    std::uint32_t reassembly_ranges = 8;
    // The walk's bound: whatever a peer sends, one segment costs the receiver some 12 µs at most
    // (benchmarks/reassembly.cpp; a million ranges would let a segment cost milliseconds).
    static constexpr std::uint32_t max_reassembly_ranges = 4096;
    std::uint16_t mss = 1460;                   // ours, announced on the SYN (link MTU − 40, or − 60 over IPv6)
    std::uint16_t default_peer_mss = 536;       // RFC 9293 §3.7.1 when the peer announces none (1220 over IPv6)
    option_offer offer{};                       // window scale, SACK-permitted, timestamps on our SYN
    duration time_wait = 60s;                   // 2·MSL
    duration delayed_ack = 200ms;               // RFC 1122 §4.2.3.2 (at most 500 ms); 0: ACK every segment at once
    rto_config rto{};
    std::uint32_t max_retransmissions = 12;     // of one segment; then the connection ends with timed_out
    duration user_timeout = duration::zero();   // RFC 9293 §3.8.3 (RFC 5482): data unacknowledged this long ends it; 0: off
    std::uint32_t initial_window = 0;           // bytes; 0: RFC 6928
    std::uint32_t initial_ssthresh = 0xFFFFFFFF;  // RFC 5681 §3.1; congestion::params::course's is 64 KB
    std::string_view congestion_algorithm{};    // congestion::any<...> picks by this name; empty: its first
    congestion::observer observer{};            // called at every congestion event (congestion/trace.hpp)
    bool nodelay = false;                       // TCP_NODELAY: Nagle off
    bool cork = false;                          // TCP_CORK: segments shorter than the MSS wait (flow::send_state::cork)
    // TCP_NOTSENT_LOWAT (as Linux): writes wait while this many bytes wait unsent, so that a large
    // send buffer holds what is in flight and little more; 0: off (a write waits for a full buffer only).
    std::uint32_t notsent_lowat = 0;
    ip_header_options ip{};                     // IP_TOS, IP_MTU_DISCOVER: the IP header of what the connection sends
    // RFC 9293 §3.8.4 (RFC 1122 §4.2.3.6): off unless asked for; the defaults are RFC 1122's two hours.
    bool keepalive = false;
    duration keep_idle = std::chrono::hours{2};
    duration keep_interval = 75s;
    std::uint32_t keep_count = 9;
    ecn_mode ecn = ecn_mode::accept;            // RFC 3168 (tcp/ecn.hpp): as Linux's tcp_ecn = 2
    // Choices the RFCs leave open, made as Linux makes them (linux_choices.hpp); off: l4kit's own.
    std::uint32_t quick_acks = 0;   // ACK each of the first N data segments at once (RFC 1122 §4.2.3.2 allows a delay)
    bool push_per_write = false;    // PSH on each write's last segment, not only on the last byte queued (RFC 9293 §3.9.1)
    bool push_per_skb = false;      // with push_per_write: also where Linux's TSO size goal cuts a write (linux_choices.hpp)
    bool fin_with_data = false;     // the FIN on the last data segment, not a segment of its own (RFC 9293 allows both)
    bool tail_loss_probe = false;   // RFC 8985 §7's probe at 2·SRTT before the RTO (RFC 6298 §5), with SACK
    // Loss recovery (with SACK and a selective sender policy; off: RFC 6675 §4-5 alone).
    bool rack = false;              // RFC 8985 §6 time-based loss detection (tcp/rack.hpp), not DupThresh's counts
    bool prr = false;               // RFC 6937 proportional rate reduction in recovery (tcp/prr.hpp)
    bool resend_whole_segment = false;  // as Linux: a segment partly SACKed goes again whole, not its unSACKed bytes (RFC 6675 §4 NextSeg)
    // As Linux's GRO: in-order data that arrives in one receive batch (frames the link had due at once)
    // is acknowledged once, at the batch's end, or each time this many bytes wait; 0: every second
    // segment (RFC 9293 §3.8.6.3's SHOULD, which stretch ACKs relax). Linux's GRO packet: 65536.
    std::uint32_t ack_coalescing = 0;
};

struct counters {
    std::uint64_t segments_in = 0, segments_out = 0;
    std::uint64_t bytes_in = 0, bytes_out = 0;  // payload, first transmissions only for bytes_out
    std::uint64_t retransmits_timeout = 0, retransmits_fast = 0;
    std::uint64_t duplicates_in = 0;            // payload bytes we already had
    std::uint64_t out_of_order_in = 0;          // segments that arrived ahead of a hole
    std::uint64_t dropped_unacceptable = 0;     // failed the acceptability test (answered with an ACK)
    std::uint64_t dropped_bad_ack = 0;          // acknowledges what was never sent
    std::uint64_t dropped_no_ack = 0;           // synchronized state, ACK bit off
    std::uint64_t dropped_paws = 0;             // RFC 7323 §5: a TSval older than TS.Recent
    std::uint64_t dropped_reassembly_full = 0;  // out-of-order bytes past the reassembly bound
    std::uint64_t challenge_acks = 0;           // RFC 5961: in-window RST or SYN that is not exact, or an ACK too old
    std::uint64_t acks_suppressed = 0;          // RFC 5961 §7: answers to dropped segments beyond 10 a second
    std::uint64_t window_probes = 0;
    std::uint64_t tail_loss_probes = 0;     // RFC 8985 §7 (config::tail_loss_probe)
    std::uint64_t rack_timeouts = 0;        // RFC 8985 §6.3 reordering timer expiries that found a loss (config::rack)
    std::uint64_t keepalive_probes = 0;
    std::uint64_t dsacks_in = 0;            // RFC 2883 blocks: the peer got something twice
    std::uint64_t sack_blocks_dropped = 0;  // SACK blocks the bounded scoreboard had no room for
    // RFC 3168 (tcp/ecn.hpp), on a connection that negotiated ECN:
    std::uint64_t ce_received = 0;   // segments that arrived CE-marked
    std::uint64_t ece_received = 0;  // ACKs with ECE
    std::uint64_t ecn_echoes = 0;    // of those, the ones that reduced the window (at most one per window)
    std::uint64_t cwr_sent = 0;      // data segments with CWR
};

}  // namespace l4::tcp
