// One TCP transfer between two l4kit hosts over the simulator, with every
// segment each host sends or receives on record: the harness of the flow
// validations (sim.cpp, silly_window.cpp, custom_policy.cpp).
//
// The path is point to point: the sender's channel is the bottleneck, with
// a queue long enough that nothing is dropped there (a full queue pushes
// back on the sender's stack), so the only losses are the random ones of
// `path::loss`, on the data direction. Congestion control defaults to
// congestion::none: cwnd never limits, and the flow policy and the
// receiver's window alone decide what is in flight, as in the course's
// flow-control exercises. Window scaling is not offered, so a window field
// on record is the window in bytes (every buffer here is under 64 KB).
#pragma once

#include <l4/congestion/none.hpp>
#include <l4/core/bytes.hpp>
#include <l4/flow/receive_window.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/link/concept.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

namespace l4::flow::test {

using namespace std::chrono_literals;

// How a sender that keeps a window in flight recovers from loss, which
// sets what sim_goodput.cpp's loss test holds it to.
enum class recovery {
    go_back,    // a timeout resends everything from snd.una: more than was lost
    selective,  // only what was lost goes again: at most 1.1x the bytes lost
};

template <class Sender, recovery How>
struct windowed {
    using sender = Sender;
    static constexpr recovery how = How;
};

// Every windowed sender policy the simulator tests run; the loss test holds
// each to its kind of recovery, and the selective ones below go-back-N.
using windowed_senders =
    std::tuple<windowed<go_back_n, recovery::go_back>, windowed<selective_repeat, recovery::selective>>;

// One TCP segment as a host's link saw it.
struct segment_record {
    instant at;
    std::uint32_t seq = 0, ack = 0;
    std::uint32_t payload = 0;    // TCP payload bytes
    std::uint32_t datagram = 0;   // IP datagram bytes: headers and payload
    std::uint16_t window = 0;     // the window field (unscaled: scaling is off)
    std::uint8_t flags = 0;

    [[nodiscard]] bool syn() const noexcept { return (flags & 0x02) != 0; }
    [[nodiscard]] bool fin() const noexcept { return (flags & 0x01) != 0; }
    [[nodiscard]] std::uint32_t header_bytes() const noexcept { return datagram - payload; }
};

// A link decorator that keeps a segment_record of every IPv4 TCP datagram
// the inner link accepted (transmit) or delivered (receive).
template <link::link Inner>
class recording_link {
public:
    recording_link(Inner inner, std::vector<segment_record>& sent, std::vector<segment_record>& received)
        : inner_{std::move(inner)}, sent_{&sent}, received_{&received} {}

    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) {
        auto r = inner_.transmit(frame, now);
        if (r) record(*sent_, frame, now);
        return r;
    }
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) {
        auto n = inner_.receive(buffer, now);
        if (n) record(*received_, buffer.first(*n), now);
        return n;
    }
    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<instant> next_deadline() const { return inner_.next_deadline(); }
    [[nodiscard]] int poll_fd() const { return inner_.poll_fd(); }
    [[nodiscard]] bool writable() const { return link::writable(inner_); }

private:
    static void record(std::vector<segment_record>& log, bytes f, instant now) {
        if (f.size() < 20 || (f[0] >> 4) != 4 || f[9] != 6) return;  // IPv4, protocol 6
        const std::size_t ihl = (f[0] & 0x0Fu) * 4u;
        const std::size_t total = load_be16(f.data() + 2);
        if (total > f.size() || ihl + 20 > total) return;
        const std::uint8_t* t = f.data() + ihl;
        const std::size_t doff = (t[12] >> 4) * 4u;
        if (ihl + doff > total) return;
        log.push_back({now, load_be32(t + 4), load_be32(t + 8), static_cast<std::uint32_t>(total - ihl - doff),
                       static_cast<std::uint32_t>(total), load_be16(t + 14), t[13]});
    }

    Inner inner_;
    std::vector<segment_record>* sent_;
    std::vector<segment_record>* received_;
};

struct path_config {
    std::uint64_t bandwidth_bps = 10'000'000;  // the sender's channel, the bottleneck
    duration one_way = 20ms;                   // each way
    double loss = 0;                           // Bernoulli, data direction only
    std::uint64_t seed = 1;
    std::size_t mtu = 1500;
};

struct transfer_config {
    path_config path{};
    std::uint32_t bytes = 1 << 20;             // the application's data, then FIN
    std::uint32_t send_buffer = 64 * 1024;
    std::uint32_t receive_buffer = 65535;      // the window's bound
    duration delayed_ack = duration::zero();   // 0: every segment is acknowledged at once
    bool nodelay = false;                      // TCP_NODELAY on the sender
    bool rack = false, prr = false;            // tcp::config's loss-recovery choices (tcp/rack.hpp, tcp/prr.hpp)
    duration limit = 600s;                     // of virtual time
    // The reader: from `read_from` on, it reads `read_chunk` bytes every
    // `read_interval` (0 chunk: everything there is, whenever it is there).
    duration read_from = duration::zero();
    std::uint32_t read_chunk = 0;
    duration read_interval = 1ms;
};

struct transfer_result {
    std::vector<segment_record> sent;       // by the sender
    std::vector<segment_record> acks;       // received by the sender
    std::vector<segment_record> delivered;  // received by the receiver
    std::vector<segment_record> answers;    // sent by the receiver
    std::vector<std::pair<instant, std::uint64_t>> progress;  // bytes read so far, after each read that got some
    std::uint64_t bytes_read = 0;
    bool complete = false;                  // every byte read, then end of stream
    instant end{};                          // when end of stream was read
    tcp::counters sender{};
    bool invariants = false;
    std::uint32_t snd_mss = 0;
    std::uint32_t iss = 0;                  // the sender's, from its SYN

    // Offset of a sequence number from the first data byte.
    [[nodiscard]] std::uint32_t offset(std::uint32_t seq) const noexcept { return seq - (iss + 1); }
    [[nodiscard]] static std::uint64_t payload_of(const std::vector<segment_record>& log) {
        std::uint64_t n = 0;
        for (const auto& s : log) n += s.payload;
        return n;
    }
    // Data bytes the sender put on the wire more than once.
    [[nodiscard]] std::uint64_t bytes_retransmitted() const {
        std::uint64_t again = 0;
        std::uint32_t high = 0;  // offset past the highest byte sent so far
        for (const auto& s : sent) {
            if (s.payload == 0) continue;
            const std::uint32_t from = offset(s.seq), to = from + s.payload;
            again += std::min(to, high) > from ? std::min(to, high) - from : 0;
            high = std::max(high, to);
        }
        return again;
    }
    // Data bytes sent that never reached the receiver (the channel's loss).
    [[nodiscard]] std::uint64_t bytes_lost() const { return payload_of(sent) - payload_of(delivered); }
    // Bytes read per second between the reads that passed two fractions of the transfer.
    [[nodiscard]] double goodput(double from_fraction, double to_fraction) const {
        const auto at = [&](double f) {
            for (const auto& [t, n] : progress)
                if (static_cast<double>(n) >= f * static_cast<double>(bytes_read)) return std::make_pair(t, n);
            return progress.back();
        };
        const auto [t0, n0] = at(from_fraction);
        const auto [t1, n1] = at(to_fraction);
        return static_cast<double>(n1 - n0) / std::chrono::duration<double>(t1 - t0).count();
    }
    [[nodiscard]] std::size_t data_segments() const {
        return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [](const auto& s) { return s.payload > 0; }));
    }
};

// The sender (192.0.2.1) connects to the receiver (198.51.100.1), writes
// cfg.bytes and shuts down; the receiver reads as cfg says until end of
// stream, or the limit.
template <class Sender, class Receiver = receive_window<>, class Congestion = congestion::none>
transfer_result run_transfer(const transfer_config& cfg) {
    using tcp_t = tcp::endpoint<use<Sender>, use<Receiver>, use<Congestion>>;
    using host = net::stack<recording_link<link::sim::port>, tcp_t>;
    transfer_result out;
    link::sim::network sim{{.seed = cfg.path.seed, .mtu = cfg.path.mtu}};
    link::sim::channel_config forward{.bandwidth_bps = cfg.path.bandwidth_bps, .delay = cfg.path.one_way,
                                      .queue = link::sim::drop_tail_packets{1000}};
    if (cfg.path.loss > 0) forward.impair.loss = link::sim::bernoulli_loss{cfg.path.loss};
    const link::sim::channel_config back{.bandwidth_bps = 100'000'000, .delay = cfg.path.one_way,
                                         .queue = link::sim::drop_tail_packets{1000}};
    auto p = link::sim::point_to_point(sim, forward, back);
    const auto a4 = *net::ip_address::from_string("192.0.2.1");
    const auto b4 = *net::ip_address::from_string("198.51.100.1");
    tcp::endpoint_config ec{};
    ec.connection.send_buffer = cfg.send_buffer;
    ec.connection.receive_buffer = cfg.receive_buffer;
    ec.connection.delayed_ack = cfg.delayed_ack;
    ec.connection.nodelay = cfg.nodelay;
    ec.connection.rack = cfg.rack;
    ec.connection.prr = cfg.prr;
    ec.connection.offer.window_scale = false;
    host a{recording_link{p.a, out.sent, out.acks}, {.addresses = {a4}, .secret = {1}}, tcp_t{ec}};
    host b{recording_link{p.b, out.answers, out.delivered}, {.addresses = {b4}, .secret = {2}}, tcp_t{ec}};
    virtual_clock clk;
    const auto l = b.socket(net::socket_type::stream).value();
    const auto c = a.socket(net::socket_type::stream).value();
    if (!b.bind(l, {b4, 5001}) || !b.listen(l) || !a.connect(c, {b4, 5001}, clk.now())) return out;
    std::optional<net::socket_id> s;
    static const std::array<std::uint8_t, 16 * 1024> chunk{};
    std::array<std::uint8_t, 64 * 1024> buf{};
    std::uint32_t written = 0;
    bool eof = false, shut = false;
    const instant t0 = clk.now(), end = t0 + cfg.limit;
    const auto read = [&](std::size_t most) {
        while (s && !eof && most > 0) {
            auto r = b.recv(*s, std::span{buf}.first(std::min(most, buf.size())));
            if (!r) break;
            if (*r == 0) {
                eof = true;
                out.end = clk.now();
                break;
            }
            out.bytes_read += *r;
            most -= *r;
            out.progress.emplace_back(clk.now(), out.bytes_read);
        }
    };
    const auto step = [&] {
        if (!s)
            if (auto x = b.accept(l)) s = *x;
        while (written < cfg.bytes) {
            const auto n = std::min<std::size_t>(chunk.size(), cfg.bytes - written);
            auto w = a.send(c, std::span{chunk}.first(n), clk.now());
            if (!w || *w == 0) break;
            written += static_cast<std::uint32_t>(*w);
        }
        // Not before the handshake: shutdown(2) says not_connected then.
        if (written == cfg.bytes && !shut) shut = a.shutdown(c, clk.now()).has_value();
        if (cfg.read_chunk == 0 && clk.now() >= t0 + cfg.read_from) read(buf.size() * 1024);
        return eof;
    };
    // drive_all_until returns early when no host has anything scheduled
    // (a stalled transfer): the reader's clock moves on regardless.
    const auto drive = [&](instant until) {
        (void)net::drive_all_until(clk, until, step, a, b);
        if (!eof) clk.advance_to(until);
    };
    if (cfg.read_chunk == 0) {
        // The reader waits (if told to) with nothing to wake it: drive to that instant first.
        if (cfg.read_from > duration::zero()) drive(t0 + cfg.read_from);
        drive(end);
    } else {
        for (instant next = t0 + cfg.read_from; !eof && next < end; next += cfg.read_interval) {
            drive(next);
            read(cfg.read_chunk);
        }
    }
    out.complete = eof && out.bytes_read == cfg.bytes;
    for (const auto& r : out.sent)
        if (r.syn()) {
            out.iss = r.seq;
            break;
        }
    if (const auto* e = a.sockets().find(c))
        if (const auto* conn = a.template transport<tcp_t>().connection_of(e->local)) {
            out.sender = conn->stats();
            out.invariants = conn->invariants_held();
            out.snd_mss = conn->snd_mss();
        }
    return out;
}

}  // namespace l4::flow::test
