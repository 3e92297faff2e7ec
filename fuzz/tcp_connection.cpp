// Fuzz target: TCP connections on a stack, fed segments from a fuzzed peer.
//
// Why through a stack over the memory link and not tcp::connection objects
// alone: the listener (backlog, half-open and accept queues), the 4-tuple
// table, the RST for segments that belong to nothing, the timers armed at
// each connection's deadline and the segment parse are the endpoint's and
// the stack's, not the connection's; a peer that talks to the stack reaches
// all of them, and still reads every connection's state through
// endpoint::connection_of. The fuzz side is the peer: it writes frames into
// the other end of the memory link and reads what the host sends back.
//
// Setup, the same for every input: the host listens on port 80 (backlog 2)
// and opens a connection to the peer's port 9; the peer connects to port 80
// from port 40000 and answers the host's SYN, so one accepted and one
// active connection are ESTABLISHED before the first fuzzed step. The
// peer's two ISNs and a few settings come from the input (among them the
// out-of-order ranges the host's receiver holds, 0 to 8). Every input is
// played twice: against go-back-N, the default sender, and against
// selective repeat, whose SACK scoreboard the peer's blocks fill.
//
// Then each step is one of: a segment from the peer on one of four 4-tuples
// (ports 40000-40002 to the listener, and the active connection's), with
// valid checksums, sequence and acknowledgment numbers near the
// connection's (rcv.nxt, snd.una..snd.nxt) or anywhere, flags, window,
// options and payload length from the input; a burst of duplicate ACKs; a
// jump of virtual time; or an application accept, recv, send, shutdown,
// close or abort. Keep-alive is on or off as the input says.
//
// Oracles, checked after every step (a violation is __builtin_trap):
//   - every connection: snd.una <= snd.nxt, invariants_held() (no new data
//     beyond cwnd - pipe or the peer window), send and receive queues within their
//     buffers;
//   - the peer's bytes read by the application are, in order and once, the
//     peer's stream: byte k of a connection's stream is a fixed function of
//     (tuple, connection, k), so a byte delivered twice, out of order or
//     from another connection reads differently; no more is read than the
//     peer sent, and end-of-stream only exactly where the peer put a FIN;
//   - every segment the host sends has a valid checksum, and its data is the
//     host application's stream at the right offset, never past what the
//     application wrote;
//   - the host holds at most one connection per 4-tuple and no more
//     unaccepted connections than the backlog.
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/wire/packet.hpp>

#include "oracle.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace {

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using f = wire::tcp_flags;

const ip_address here = *ip_address::from_string("192.0.2.2");
const ip_address peer = *ip_address::from_string("192.0.2.1");
constexpr std::uint16_t listen_port = 80, active_port = 9;
constexpr std::uint32_t backlog = 2, send_buffer = 3000, receive_buffer = 2000;
constexpr std::size_t flows = 4;  // 0-2: peer ports 40000-40002 to the listener; 3: the host's active open

// Byte `k` of a stream: a mix of its position and of whose stream it is, so
// that a byte from the wrong place or the wrong connection reads differently.
// Positions are taken modulo 2^32, as sequence numbers are.
std::uint8_t stream_byte(std::uint32_t who, std::uint64_t k) {
    std::uint64_t x = ((k & 0xFFFFFFFFu) + 1) * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{who} << 32);
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    return static_cast<std::uint8_t>(x >> 56);
}

// L4_FUZZ_TRACE=1 in the environment prints every step, to read a crash.
const bool tracing = std::getenv("L4_FUZZ_TRACE") != nullptr;
#define TRACE(...)                                         \
    do {                                                   \
        if (tracing) std::fprintf(stderr, __VA_ARGS__);    \
    } while (false)

// One 4-tuple as the peer sees it. A generation is one connection the host
// made on the tuple; the streams of each generation differ.
struct flow {
    std::uint16_t peer_port = 0, host_port = 0;
    std::uint32_t generation = 0;
    bool known = false;                 // the host has a synchronized connection here whose ISN we know
    seq32 peer_iss;                     // the SYN the host took
    std::uint64_t sent_end = 0;         // stream bytes the peer sent (the highest end)
    std::vector<std::uint64_t> fins;    // stream offsets the peer put a FIN at
    std::optional<seq32> host_iss;      // from the host's SYN
    std::uint32_t peer_tsval = 1, host_tsval = 0;  // RFC 7323 clocks: ours, and the last the host sent
    std::uint16_t last_window = 65535;              // the window field of our last segment
    std::uint64_t host_written = 0;     // bytes the host application queued
    std::optional<net::socket_id> app;  // the application's socket, once accepted or connected
    bool app_closed = false;
    std::uint64_t read = 0;  // bytes the application read
    bool eof = false;

    [[nodiscard]] std::uint32_t peer_stream() const { return 2 * generation + peer_port * 1024u; }
    [[nodiscard]] std::uint32_t host_stream() const { return 2 * generation + 1 + peer_port * 1024u; }
    void new_generation(seq32 iss) {
        ++generation;
        known = true;
        peer_iss = iss;
        sent_end = 0;
        fins.clear();
        host_written = 0;
        app.reset();
        app_closed = eof = false;
        read = 0;
    }
};

struct segment_spec {
    std::size_t flow = 0;
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 65535;
    std::size_t payload_len = 0;
    wire::tcp_options options{};
};

// Every input runs against each sender policy: go-back-N (the default) and
// selective repeat, whose SACK scoreboard the same segments fill.
template <class Sender>
class harness {
    using tcp_t = tcp::endpoint<use<Sender>>;
    using host_t = net::stack<link::memory_end, tcp_t>;
    using conn_t = typename tcp_t::connection_type;

public:
    explicit harness(FuzzedDataProvider& in) : in_{in} {
        tcp::config c{.send_buffer = send_buffer, .receive_buffer = receive_buffer, .mss = 536};
        c.time_wait = 2s;
        c.max_retransmissions = 4;
        c.nodelay = in.ConsumeBool();
        if (in.ConsumeBool()) c.delayed_ack = 0ms;
        // RFC 9293 §3.8.4 keep-alive, on short timers so that the time steps reach them.
        c.keepalive = in.ConsumeBool();
        // From none (every out-of-order segment dropped) to the default 8: the bound is reached often.
        c.reassembly_ranges = in.ConsumeIntegralInRange<std::uint32_t>(0, 8);
        c.keep_idle = 5s;
        c.keep_interval = 1s;
        c.keep_count = 3;
        // Small queues: they are allocated and touched for every input, and
        // a step never makes more than a few segments (3000 bytes of send
        // buffer); what overflows is dropped and counted, as on a real link.
        auto [raw, end] = link::memory_pair({.mtu = 1500, .queue_frames = 16});
        raw_.emplace(std::move(raw));
        host_.emplace(std::move(end), net::stack_config{.addresses = {here}, .secret = {7}, .tx_pending_frames = 8},
                      tcp_t{{.connection = c, .mss = 536, .max_backlog = backlog}});
        for (std::size_t i = 0; i < 3; ++i) flows_[i].peer_port = static_cast<std::uint16_t>(40000 + i);
        for (std::size_t i = 0; i < 3; ++i) flows_[i].host_port = listen_port;
        flows_[3].peer_port = active_port;
    }

    // The two ESTABLISHED connections every input starts from.
    void setup() {
        auto& h = *host_;
        listener_ = h.socket(net::socket_type::stream).value();
        L4_FUZZ_CHECK(h.bind(*listener_, {ip_address::any_v4(), listen_port}));
        L4_FUZZ_CHECK(h.listen(*listener_, backlog));
        const auto active = h.socket(net::socket_type::stream).value();
        L4_FUZZ_CHECK(h.connect(active, {peer, active_port}, now_));
        flows_[3].host_port = h.local_address(active)->port;
        after_step();
        const std::uint32_t iss_a = in_.ConsumeIntegral<std::uint32_t>(), iss_b = in_.ConsumeIntegral<std::uint32_t>();
        deliver({.flow = 0, .seq = iss_a, .flags = f::syn, .options = syn_options()});
        L4_FUZZ_CHECK(flows_[0].host_iss);
        deliver({.flow = 0, .seq = iss_a + 1, .ack = (*flows_[0].host_iss + 1).raw(), .flags = f::ack});
        accept();
        L4_FUZZ_CHECK(flows_[0].app);
        L4_FUZZ_CHECK(flows_[3].host_iss);
        deliver({.flow = 3, .seq = iss_b, .ack = (*flows_[3].host_iss + 1).raw(), .flags = f::syn | f::ack,
                 .options = syn_options()});
        L4_FUZZ_CHECK(flows_[3].known);
        flows_[3].app = active;
        L4_FUZZ_CHECK(conn(flows_[3]) && conn(flows_[3])->current_state() == tcp::state::established);
        L4_FUZZ_CHECK(conn(flows_[0]) && conn(flows_[0])->current_state() == tcp::state::established);
    }

    bool step() {
        const std::uint8_t op = in_.ConsumeIntegral<std::uint8_t>();
        auto& fl = flows_[in_.ConsumeIntegralInRange<std::size_t>(0, flows - 1)];
        auto& h = *host_;
        if (op < 140) {
            deliver(fuzzed_segment(static_cast<std::size_t>(&fl - flows_.data())));
            return true;
        }
        if (op < 150) {
            duplicate_acks(fl, in_.ConsumeIntegralInRange<int>(1, 4));
            return true;
        }
        if (op < 180) {
            static constexpr std::array<duration, 4> unit{1ms, 100ms, 1s, 30s};
            now_ += unit[in_.ConsumeIntegralInRange<std::size_t>(0, 3)] * in_.ConsumeIntegralInRange<int>(1, 8);
        } else if (op < 200) {
            read(fl, in_.ConsumeIntegralInRange<std::size_t>(1, 4096));
        } else if (op < 220) {
            write(fl, in_.ConsumeIntegralInRange<std::size_t>(1, 4096));
        } else if (op < 230) {
            accept();
        } else if (op < 238) {
            TRACE("%8lld ms  app shutdown on %u\n", ms(), unsigned{fl.peer_port});
            if (fl.app && !fl.app_closed) (void)h.shutdown(*fl.app, now_);
        } else if (op < 246) {
            TRACE("%8lld ms  app close on %u\n", ms(), unsigned{fl.peer_port});
            if (fl.app && !fl.app_closed) fl.app_closed = h.close(*fl.app, now_).has_value();
        } else if (op < 250) {
            TRACE("%8lld ms  app abort on %u\n", ms(), unsigned{fl.peer_port});
            if (fl.app && !fl.app_closed) fl.app_closed = h.abort(*fl.app, now_).has_value();
        } else {
            return false;  // the input ends here: keeps the last steps' meaning when the fuzzer grows it
        }
        after_step();
        return true;
    }

private:
    // The options of the peer's SYN: each offered or not, as the input says.
    wire::tcp_options syn_options() {
        wire::tcp_options o;
        const std::uint8_t offer = in_.ConsumeIntegral<std::uint8_t>();
        o.mss = (offer & 1) ? std::uint16_t{536} : std::uint16_t{1460};
        if (offer & 2) o.window_scale = static_cast<std::uint8_t>((offer >> 4) % 15);
        if (offer & 4) o.sack_permitted = true;
        if (offer & 8) o.ts = wire::timestamps{1, 0};
        return o;
    }

    [[nodiscard]] const conn_t* conn(const flow& fl) const {
        auto& t = host_->template transport<tcp_t>();
        for (std::uint32_t id = 0; id < 64; ++id) {
            const auto* c = t.connection_of(id);
            if (!c) continue;
            const auto p = t.peer_address(id), l = t.local_address(id);
            if (p && l && p->port == fl.peer_port && l->port == fl.host_port) return c;
        }
        return nullptr;
    }

    // RFC 5681 §2's duplicate ACKs: no data, snd.una acknowledged again, the
    // window unchanged; three of them start fast retransmit, which segments
    // drawn at random hardly ever line up to do.
    void duplicate_acks(flow& fl, int n) {
        const conn_t* c = conn(fl);
        if (!c || !fl.known) return;
        segment_spec s{.flow = static_cast<std::size_t>(&fl - flows_.data()), .seq = c->rcv_nxt().raw(),
                       .ack = c->snd_una().raw(), .flags = f::ack, .window = fl.last_window};
        for (int k = 0; k < n; ++k) {
            if (fl.host_tsval != 0) s.options.ts = wire::timestamps{++fl.peer_tsval, fl.host_tsval};
            deliver(s);
        }
    }

    segment_spec fuzzed_segment(std::size_t i) {
        const flow& fl = flows_[i];
        const conn_t* c = conn(fl);
        segment_spec s{.flow = i};
        const std::uint8_t shape = in_.ConsumeIntegral<std::uint8_t>();
        switch (shape >> 6) {
        case 0: s.flags = shape & 0x3f; break;  // anything
        case 1: s.flags = f::ack; break;
        case 2: s.flags = f::ack | f::psh; break;
        default: s.flags = f::ack | f::fin; break;
        }
        const seq32 rcv_base = c && fl.known ? c->rcv_nxt() : fl.peer_iss + 1 + static_cast<std::uint32_t>(fl.sent_end);
        switch (in_.ConsumeIntegralInRange<int>(0, 4)) {
        case 0: s.seq = rcv_base.raw(); break;
        case 1: s.seq = (rcv_base + in_.ConsumeIntegralInRange<std::uint32_t>(0, receive_buffer + 600)).raw(); break;
        case 2: s.seq = (rcv_base - in_.ConsumeIntegralInRange<std::uint32_t>(1, 3000)).raw(); break;
        case 3: s.seq = (fl.peer_iss + in_.ConsumeIntegralInRange<std::uint32_t>(0, 8000)).raw(); break;
        default: s.seq = in_.ConsumeIntegral<std::uint32_t>(); break;
        }
        if (c) {
            const std::uint32_t room = c->in_flight() + 2;
            switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
            case 0: s.ack = c->snd_nxt().raw(); break;
            case 1: s.ack = (c->snd_una() + in_.ConsumeIntegralInRange<std::uint32_t>(0, room)).raw(); break;
            case 2: s.ack = (c->snd_una() - in_.ConsumeIntegralInRange<std::uint32_t>(1, 4000)).raw(); break;
            default: s.ack = in_.ConsumeIntegral<std::uint32_t>(); break;
            }
        } else {
            s.ack = fl.host_iss && in_.ConsumeBool() ? (*fl.host_iss + 1).raw() : in_.ConsumeIntegral<std::uint32_t>();
        }
        static constexpr std::array<std::uint16_t, 6> windows{65535, 0, 1, 536, 2000, 4000};
        const std::size_t w = in_.ConsumeIntegralInRange<std::size_t>(0, windows.size());
        s.window = w < windows.size() ? windows[w] : in_.ConsumeIntegral<std::uint16_t>();
        const std::uint8_t opts = in_.ConsumeIntegral<std::uint8_t>();
        if (opts & 1) s.options.mss = in_.ConsumeIntegral<std::uint16_t>();
        if (opts & 2) s.options.window_scale = in_.ConsumeIntegralInRange<std::uint8_t>(0, 15);
        if (opts & 4) s.options.sack_permitted = true;
        if (opts & 8) {
            // Mostly a clock that moves forward and echoes the host's, as a real peer's does (RFC 7323 §3).
            auto& peer_side = flows_[i];
            s.options.ts = (opts & 128) ? wire::timestamps{in_.ConsumeIntegral<std::uint32_t>(), in_.ConsumeIntegral<std::uint32_t>()}
                                        : wire::timestamps{++peer_side.peer_tsval, peer_side.host_tsval};
        }
        if (opts & 16) s.options.add_sack({c ? c->snd_una() : seq32{s.ack}, seq32{s.ack} + 536});
        if (s.flags & (f::psh | f::fin) || (opts & 32))
            s.payload_len = in_.ConsumeIntegralInRange<std::size_t>(0, (opts & 64) ? 1400 : 600);
        return s;
    }

    void deliver(const segment_spec& s) {
        flow& fl = flows_[s.flow];
        const conn_t* before = conn(fl);
        const bool was_syn_sent = before && before->current_state() == tcp::state::syn_sent;
        // The data starts after the SYN, if there is one.
        const seq32 data_seq = seq32{s.seq} + ((s.flags & f::syn) ? 1u : 0u);
        const seq32 stream_front = (before && fl.known) ? fl.peer_iss + 1 : data_seq;
        const auto offset = static_cast<std::uint32_t>(data_seq - stream_front);
        const std::uint32_t who = (before && fl.known) ? fl.peer_stream() : fl.peer_stream() + 2;  // a next generation's
        payload_.resize(s.payload_len);
        for (std::size_t k = 0; k < s.payload_len; ++k) payload_[k] = stream_byte(who, std::uint64_t{offset} + k);

        wire::tcp_repr r;
        r.src_port = fl.peer_port;
        r.dst_port = fl.host_port;
        r.seq_number = seq32{s.seq};
        r.ack_number = seq32{s.ack};
        r.flags.bits = s.flags;
        r.window = s.window;
        r.options = s.options;
        r.payload = payload_;
        const std::size_t len = r.buffer_len();
        frame_.assign(20 + len, 0);
        net::ip_layer ip{{{peer}, 64}};
        if (!ip.emit_header(frame_, peer, here, wire::ip_protocol::tcp, len)) return;
        const auto pseudo = net::ip_layer::pseudo(peer, here, wire::ip_protocol::tcp, len);
        if (!r.emit(std::span{frame_}.subspan(20), pseudo.bytes(), checksum::internet{})) return;
        TRACE("%8lld ms  peer>host flow %zu seq %u ack %u flags %02x win %u len %zu (stream offset %u)\n",
              ms(), s.flow, s.seq, s.ack, s.flags, s.window, s.payload_len, offset);
        L4_FUZZ_CHECK(raw_->transmit(frame_, now_));
        fl.last_window = s.window;
        host_->poll(now_);

        const conn_t* after = conn(fl);
        const bool synchronized_now = after && after->current_state() != tcp::state::syn_sent &&
                                      after->current_state() != tcp::state::closed;
        if ((!before && after) || (was_syn_sent && synchronized_now)) {
            // The host took this SYN: a new connection whose stream starts after it.
            L4_FUZZ_CHECK(!fl.app || fl.app_closed || was_syn_sent);
            const auto app = fl.app;
            fl.new_generation(seq32{s.seq});
            TRACE("%8lld ms  new connection on %u, peer iss %u\n", ms(), unsigned{fl.peer_port}, s.seq);
            if (was_syn_sent) fl.app = app;
            fl.sent_end = s.payload_len;  // data on a SYN is the stream's first bytes
            if (s.flags & f::fin) fl.fins.push_back(s.payload_len);
        } else if (before && fl.known) {
            // A segment may start behind the stream's front (a negative offset) and reach past it.
            const std::int64_t end = std::int64_t{static_cast<std::int32_t>(offset)} + static_cast<std::int64_t>(s.payload_len);
            if (end > 0) fl.sent_end = std::max(fl.sent_end, static_cast<std::uint64_t>(end));
            if ((s.flags & f::fin) && end >= 0) fl.fins.push_back(static_cast<std::uint64_t>(end));
        }
        after_step();
    }

    void accept() {
        auto& h = *host_;
        while (auto sock = h.accept(*listener_)) {
            const auto p = h.peer_address(*sock);
            L4_FUZZ_CHECK(p && p->address == peer);
            bool matched = false;
            for (std::size_t i = 0; i < 3; ++i) {
                if (flows_[i].peer_port != p->port) continue;
                L4_FUZZ_CHECK(flows_[i].known && !flows_[i].app);
                flows_[i].app = *sock;
                matched = true;
            }
            L4_FUZZ_CHECK(matched);
        }
    }

    void read(flow& fl, std::size_t n) {
        if (!fl.app || fl.app_closed) return;
        std::array<std::uint8_t, 4096> buf{};
        auto r = host_->recv(*fl.app, std::span{buf}.first(n));
        TRACE("%8lld ms  app recv on %u: %s %zu (read %llu, sent %llu)\n", ms(), unsigned{fl.peer_port},
              r ? "got" : "error", r ? *r : 0, static_cast<unsigned long long>(fl.read),
              static_cast<unsigned long long>(fl.sent_end));
        if (!r) return;
        if (*r == 0) {
            // End of stream: only where the peer put a FIN, after every byte before it.
            L4_FUZZ_CHECK(std::find(fl.fins.begin(), fl.fins.end(), fl.read) != fl.fins.end());
            fl.eof = true;
            return;
        }
        L4_FUZZ_CHECK(!fl.eof);
        for (std::size_t k = 0; k < *r; ++k) L4_FUZZ_CHECK(buf[k] == stream_byte(fl.peer_stream(), fl.read + k));
        fl.read += *r;
        L4_FUZZ_CHECK(fl.read <= fl.sent_end);
    }

    void write(flow& fl, std::size_t n) {
        if (!fl.app || fl.app_closed) return;
        std::array<std::uint8_t, 4096> buf{};
        for (std::size_t k = 0; k < n; ++k) buf[k] = stream_byte(fl.host_stream(), fl.host_written + k);
        if (auto w = host_->send(*fl.app, std::span{buf}.first(n), now_)) {
            L4_FUZZ_CHECK(*w <= n);
            fl.host_written += *w;
            TRACE("%8lld ms  app send on %u: %zu of %zu\n", ms(), unsigned{fl.peer_port}, *w, n);
        }
    }

    // Polls, reads back what the host sent, and checks every invariant.
    void after_step() {
        host_->poll(now_);
        std::array<std::uint8_t, 1500> buf{};
        while (auto n = raw_->receive(buf, now_)) check_sent(std::span{buf}.first(*n));

        auto& t = host_->template transport<tcp_t>();
        std::size_t seen = 0, unaccepted = 0;
        for (auto& fl : flows_) {
            const conn_t* c = conn(fl);
            if (!c) continue;
            ++seen;
            if (fl.host_port == listen_port && !fl.app) ++unaccepted;
            L4_FUZZ_CHECK(!(c->snd_nxt() < c->snd_una()));
            L4_FUZZ_CHECK(c->invariants_held());
            L4_FUZZ_CHECK(c->send_queue() <= send_buffer);
            L4_FUZZ_CHECK(c->recv_queue() <= receive_buffer);
            L4_FUZZ_CHECK(c->in_flight() <= send_buffer + 2);  // the data, a SYN and a FIN
        }
        L4_FUZZ_CHECK(seen == t.connections());  // nothing on a tuple the peer never used
        L4_FUZZ_CHECK(unaccepted <= backlog);
    }

    void check_sent(bytes frame) {
        auto p = wire::parse_ip(frame);
        L4_FUZZ_CHECK(p && p->protocol == wire::ip_protocol::tcp);
        auto v = tcp_t::view::check(p->transport);
        L4_FUZZ_CHECK(v && v->template verify_checksum<checksum::internet>(p->pseudo.bytes()));
        auto seg = tcp_t::repr::from_view(*v);
        L4_FUZZ_CHECK(seg);
        TRACE("%8lld ms  host>peer %u>%u seq %u ack %u flags %02x win %u len %zu\n", ms(),
              unsigned{seg->src_port}, unsigned{seg->dst_port}, seg->seq_number.raw(), seg->ack_number.raw(),
              seg->flags.bits, unsigned{seg->window}, seg->payload.size());
        flow* fl = nullptr;
        for (auto& x : flows_)
            if (x.peer_port == seg->dst_port && x.host_port == seg->src_port) fl = &x;
        L4_FUZZ_CHECK(fl || seg->flags.has(f::rst));
        if (!fl) return;
        if (seg->options.ts) fl->host_tsval = seg->options.ts->tsval;
        if (seg->flags.has(f::syn)) {
            L4_FUZZ_CHECK(seg->payload.empty());
            fl->host_iss = seg->seq_number;
            return;
        }
        if (seg->payload.empty() || seg->flags.has(f::rst)) return;
        // Data: the host application's bytes, at their place in its stream.
        L4_FUZZ_CHECK(fl->host_iss);
        const auto offset = static_cast<std::uint32_t>(seg->seq_number - (*fl->host_iss + 1));
        L4_FUZZ_CHECK(std::uint64_t{offset} + seg->payload.size() <= fl->host_written);
        for (std::size_t k = 0; k < seg->payload.size(); ++k)
            L4_FUZZ_CHECK(seg->payload[k] == stream_byte(fl->host_stream(), offset + k));
    }

    [[nodiscard]] long long ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now_ - instant{}).count();
    }

    FuzzedDataProvider& in_;
    std::optional<link::memory_end> raw_;
    std::optional<host_t> host_;
    std::optional<net::socket_id> listener_;
    std::array<flow, flows> flows_{};
    instant now_ = instant{} + 1s;
    std::vector<std::uint8_t> payload_, frame_;
};

}  // namespace

namespace {

template <class Sender>
void run(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in{data, size};
    harness<Sender> h{in};
    h.setup();
    for (int steps = 0; steps < 400 && in.remaining_bytes() > 0; ++steps)
        if (!h.step()) break;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    run<l4::flow::go_back_n>(data, size);
    run<l4::flow::selective_repeat>(data, size);
    return 0;
}
