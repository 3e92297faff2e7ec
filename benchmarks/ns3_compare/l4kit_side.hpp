// The scenario of scenario.hpp in l4kit's simulator: a one-pair dumbbell
// (link/sim/topology.hpp) and two net::stack hosts with the policy-composed
// tcp::endpoint, SACK (flow::selective_repeat) and the algorithm under test.
//
// Matched to ns3_side.cpp: the access link (1 Gbit/s, no delay, 4,000
// frames: a host's queue pushes back, it never drops), the bottleneck
// (100 Mbit/s, 10 ms, 100 frames waiting, drop tail, Bernoulli loss after
// the wire), the reverse path (100 Mbit/s, 10 ms), the receiver's access
// without serialisation (ns-3's receiver sits on the bottleneck link
// itself), 4 MiB buffers, delayed ACK 200 ms, no checksums (ns-3's
// ChecksumEnabled is false by default: checksum::none, made for a simulator
// that measures protocol behaviour; computing them costs about 5 % here),
// out-of-order ranges held up to what the buffer holds (ns-3's receiver
// has no bound of its own), l4kit's defaults otherwise: MSS 1460 announced
// and 1448 carried (timestamps), RFC 6928's initial window, RTO min 1 s,
// SACK, timestamps, window scaling.
//
// Driven by link::sim::drive_all_until, which polls a host only when a frame
// reached it or one of its deadlines came (the outcome of net::drive_all_until,
// which polls both at every event of the network, with half the rounds), and
// the ports lend the stacks their pool slots (frames built and read in place).
//
// Each algorithm's run is instantiated in a translation unit of its own
// (l4kit_<algorithm>.cpp), as a program that uses one TCP has one
// instantiation: in one unit, the four connections' per-segment functions
// lay interleaved, and each run's hot code spread over four times the room
// (in cachegrind's model, with the hot functions grouped in .text.hot:
// 2.38 M instruction-cache misses against 0.46 M, two NewReno runs).
#pragma once

#include "scenario.hpp"

#include <l4/checksum/none.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace l4bench {
namespace {  // each unit's own: the step below is then inlined into the driver, its one caller

// One run of the scenario with congestion control Algo.
template <class Algo>
outcome run_l4kit(const scenario& s) {
    using tcp_t = l4::tcp::endpoint<l4::use<Algo>, l4::use<l4::flow::selective_repeat>, l4::use<l4::checksum::none>>;
    using host = l4::net::stack<l4::link::sim::port, tcp_t>;
    const auto w0 = std::chrono::steady_clock::now();
    const double c0 = cpu_now();

    l4::link::sim::network sim{{.seed = s.seed, .mtu = 1500}};
    l4::link::sim::channel_config access{.bandwidth_bps = s.access_bps,
                                         .queue = l4::link::sim::drop_tail_packets{s.access_queue_packets}};
    l4::link::sim::channel_config bottleneck{.bandwidth_bps = s.bottleneck_bps,
                                             .delay = std::chrono::milliseconds{s.one_way_ms},
                                             .queue = l4::link::sim::drop_tail_packets{s.queue_packets}};
    bottleneck.impair.loss = l4::link::sim::bernoulli_loss{s.loss};
    const l4::link::sim::channel_config reverse{.bandwidth_bps = s.bottleneck_bps,
                                                .delay = std::chrono::milliseconds{s.one_way_ms},
                                                .queue = l4::link::sim::drop_tail_packets{s.access_queue_packets}};
    const std::array<l4::duration, 1> no_delay{};
    auto d = l4::link::sim::dumbbell(sim, {.sender_access = l4::link::sim::dumbbell_config::access_links(access, no_delay),
                                           .receiver_access = {},
                                           .bottleneck = bottleneck,
                                           .reverse = reverse});

    l4::tcp::endpoint_config ec{};
    ec.connection.delayed_ack = s.ack_every_segment ? l4::duration::zero() : std::chrono::milliseconds{s.delayed_ack_ms};
    ec.connection.send_buffer = s.buffer;
    ec.connection.receive_buffer = s.buffer;
    // As ns-3's receiver (and Linux's): out-of-order data kept however many
    // holes lie between, up to what the buffer holds (a range and a hole of
    // a segment each at least). l4kit's default of 8 ranges dropped 1,235 of
    // BBR's out-of-order segments, which the sender then sent again.
    ec.connection.reassembly_ranges = s.buffer / (2 * s.segment);
    const auto a4 = *l4::net::ip_address::from_string("192.0.2.1");
    const auto b4 = *l4::net::ip_address::from_string("198.51.100.2");
    host a{d.senders[0], l4::net::stack_config{.addresses = {a4}, .secret = {5}}, tcp_t{ec}};
    host b{d.receivers[0], l4::net::stack_config{.addresses = {b4}, .secret = {99}}, tcp_t{ec}};
    outcome o;
    const auto l = b.socket(l4::net::socket_type::stream).value();
    if (!b.bind(l, {b4, 5001}) || !b.listen(l)) return o;
    const auto c = a.socket(l4::net::socket_type::stream).value();
    // TCP_NOTSENT_LOWAT, as Linux servers set it: the application tops the
    // buffer up when fewer than 128 KiB wait unsent, so the bytes a segment
    // carries were written shortly before it leaves (in cache), not 4 MiB
    // earlier; the wire sees the same (a write of 64 KiB every few rounds
    // keeps data waiting at every instant: the same goodputs and counts).
    if (!a.set_option(c, l4::socket_option::notsent_lowat, 128 * 1024)) return o;

    l4::virtual_clock clk;
    const l4::instant end = clk.now() + std::chrono::seconds{s.seconds};
    const l4::instant warmup = clk.now() + std::chrono::seconds{s.warmup_seconds};
    if (!a.connect(c, {b4, 5001}, clk.now())) return o;
    std::optional<l4::net::socket_id> accepted;
    std::uint64_t received = 0, at_warmup = 0;
    bool warm = s.warmup_seconds == 0;
    l4::instant next_look = clk.now();
    o.max_btlbw_bps = o.max_pacing_bps = 0;
    // After a round of polls that moved a host's frames: the sender's buffer topped up, the receiver's drained.
    std::uint64_t rounds = 0;  // of the driver: step() runs after each
    // Frames each host had moved when the application last looked: as an
    // event loop's wake-ups (and ns-3's send and receive callbacks), a
    // socket is asked again only after its host took frames in or sent
    // some (an ACK frees send-buffer room, a paced send drains what waits
    // unsent, an arrival brings data): the same writes and reads, at the
    // same instants, as asking at every round.
    std::uint64_t a_seen = 0, b_seen = 0;
    const auto woke = [](const host& h, std::uint64_t& seen) {
        const std::uint64_t moved = h.stats().rx_frames + h.stats().tx_frames;
        return std::exchange(seen, moved) != moved;
    };
    const auto step = [&] {
        ++rounds;
        if (!warm && clk.now() >= warmup) {
            at_warmup = received;
            warm = true;
        }
        if constexpr (requires(const Algo& g) { g.btlbw(); }) {
            if (clk.now() >= next_look) {
                next_look = clk.now() + std::chrono::milliseconds{1};
                if (const auto* conn = a.template transport<tcp_t>().connection_of(a.sockets().find(c)->local)) {
                    o.max_btlbw_bps = std::max(o.max_btlbw_bps, conn->congestion().btlbw() * 8);
                    if (const auto p = conn->congestion().pacing_rate())
                        o.max_pacing_bps = std::max(o.max_pacing_bps, static_cast<double>(*p) * 8);
                }
            }
        }
        if (!accepted)
            if (auto acc = b.accept(l)) {
                accepted = *acc;
                // The receiver counts the bytes as they arrive, where they lie in
                // the frame, and lets them go, as ns-3's PacketSink does.
                if (!b.set_recv_handler(*accepted, [&received](l4::bytes in) {
                        received += in.size();
                        return in.size();
                    }))
                    return true;
            }
        // Asked first: a send into a full buffer or a read of an empty one
        // costs more than the question (a send pass, an error code). Until
        // the receiver accepts, the sender writes whatever the state (the
        // buffer fills during the handshake, as an application's would).
        if (!accepted || (woke(a, a_seen) && a.writable(c)))
            // Writes of 64 KiB, made where they will lie (send_in_place: the
            // application's bytes, zeros, written straight into the send
            // buffer, as ns-3's BulkSend makes its packets' virtual bytes).
            while (auto w = a.send_in_place(c, 64 * 1024, [](l4::mut_bytes room) {
                       std::fill(room.begin(), room.end(), std::uint8_t{0});
                       return room.size();
                   }, clk.now()))
                if (*w == 0) break;
        // Those that waited in the receive buffer (behind a hole, or before
        // the handler was set) it takes there (recv_in_place: no copy out).
        if (accepted && woke(b, b_seen))
            while (b.readable(*accepted)) {
                auto r = b.recv_in_place(*accepted, [](l4::bytes in) { return in.size(); });
                if (!r || *r == 0) break;
                received += *r;
            }
        return false;
    };
    (void)l4::link::sim::drive_all_until(sim, clk, end, step, a, b);

    o.events = sim.events_processed();
    o.rounds = rounds;
    o.bytes = received - at_warmup;
    o.goodput_bps = static_cast<double>(o.bytes) * 8.0 / static_cast<double>(s.seconds - s.warmup_seconds);
    const auto& bn = sim.channel_at(d.bottleneck).counters();
    o.data_lost = bn.lost;
    o.queue_drops = bn.dropped_queue;
    if (const auto* conn = a.template transport<tcp_t>().connection_of(a.sockets().find(c)->local)) {
        o.retransmits = conn->stats().retransmits_fast + conn->stats().retransmits_timeout;
        o.timeouts = conn->stats().retransmits_timeout;
    }
    if (accepted)
        if (const auto* conn = b.template transport<tcp_t>().connection_of(b.sockets().find(*accepted)->local))
            o.reassembly_drops = conn->stats().dropped_reassembly_full;
    o.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    o.cpu_seconds = cpu_now() - c0;
    return o;
}

}  // namespace
}  // namespace l4bench
