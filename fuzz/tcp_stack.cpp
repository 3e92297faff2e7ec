// Fuzz target: arbitrary frames into a stack that listens for TCP and holds
// one established connection whose data must arrive uncorrupted.
//
// Setup, the same for every input: the host (192.0.2.2 and 2001:db8::2)
// listens on port 80 over IPv4 and IPv6 (backlog 3 each, at most 8
// connections in all); a scripted legitimate peer connects from port 40000
// over the family the input picks, with the SYN options it picks, and the
// host application accepts it. The input's first two bytes choose the
// family, the SYN's options, delayed ACKs, Nagle, keep-alive, ACK
// coalescing, a tight memory budget, and the sender: RFC 9293's, or
// selective repeat with RFC 6675's scoreboard (the attacker's SACK blocks
// reach it). Then each step, one op
// byte and its arguments, read front to back (a short input reads as
// zeros), is one of:
//   - an ICMP or ICMPv6 error quoting one of the flows;
//   - a raw frame: bytes from the input as they are, or a TCP segment from
//     the input under a correct IP header; checksums fixed or not;
//   - a mutation of a valid segment on the established connection: sequence
//     and acknowledgment numbers near or far from the connection's, any
//     flags, window, options and length, then a few bytes flipped, the
//     checksums fixed or not;
//   - a segment to a listener from one of eight attacker 4-tuples: a SYN, the
//     ACK that completes the host's SYN-ACK (or a guessed cookie), data, RST,
//     FIN or anything, mutated the same way;
//   - the legitimate peer sending its next bytes (or again from snd.una),
//     maybe with its FIN, or acknowledging the host's data (or duplicates);
//   - a jump of virtual time; the application reading and writing (with
//     recv and send, or in place; or receiving as the bytes arrive, a
//     handler taking part of each segment), shutting down or closing the established
//     connection, accepting from the listeners, reading from, closing or
//     aborting an attacker's connection.
//
// Injected bytes must never reach the legitimate stream. TCP cannot stop an
// attacker who knows the sequence numbers and sends a valid segment, so the
// harness never does: any frame the stack could take for the legitimate
// 4-tuple (it parses as TCP between those addresses and ports with a valid
// checksum) has its data overwritten with the legitimate stream's bytes at
// the offset its sequence number claims, and its checksum refilled. The
// stack's own checks (IP, checksum, addresses, ports, window) must drop
// every other injected byte.
//
// Oracles, after every step (a violation is __builtin_trap):
//   - no crash, no UB, no leak (ASan, UBSan);
//   - byte k the application reads is byte k of the legitimate stream (a
//     keyed pseudorandom function of k), never past the furthest byte a
//     frame on the tuple carried; end of stream only where such a frame put
//     a FIN, and no data after it;
//   - what the host sends the legitimate peer is the host application's
//     stream at its offset, never past what the application wrote, with a
//     valid checksum (every TCP frame the host sends has one);
//   - bounded memory: at most 8 connections, their buffers within the
//     endpoint's memory budget (none, or five connections' worth, as the
//     input says); per listener, the half-open connections plus those
//     waiting in the accept queue at most the backlog; each connection's
//     queues within its buffers, its in-flight within the send buffer; the
//     live heap (a counting operator new) under a ceiling that depends only
//     on those bounds.
#include <l4/flow/selective_repeat.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/transport_checksum.hpp>

#include "live_heap.hpp"
#include "oracle.hpp"
#include "stack_frames.hpp"

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
using net::socket_id;
using f = wire::tcp_flags;
// The sender of RFC 9293 (go-back-N on a timeout), or selective repeat with
// RFC 6675's scoreboard, whose SACK handling the attacker's blocks reach.
using sliding_tcp = tcp::endpoint<>;
using selective_tcp = tcp::endpoint<use<flow::selective_repeat>>;

const ip_address here4 = *ip_address::from_string("192.0.2.2");
const ip_address here6 = *ip_address::from_string("2001:db8::2");
// The legitimate peer's addresses, and an attacker's beside them.
const std::array<ip_address, 4> peers{*ip_address::from_string("192.0.2.1"), *ip_address::from_string("198.51.100.7"),
                                      *ip_address::from_string("2001:db8::1"), *ip_address::from_string("2001:db8::7")};
constexpr std::uint16_t listen_port = 80, legit_port = 40000;
constexpr std::uint32_t backlog = 3, max_connections = 8, send_buffer = 3000, receive_buffer = 2000;
constexpr std::uint16_t mss = 536;
// endpoint_config::memory_budget when the input asks for a tight one: the
// buffers of five connections, so it refuses before max_connections does.
constexpr std::uint64_t tight_budget = 5 * (send_buffer + receive_buffer);
// The live heap an input may add after the handshake: each connection's
// buffers, and 4 KiB for its socket, timer, reassembly and table slots; 16 KiB
// for the harness's own frames and vectors. (The corpus peaks at 27 KB with
// seven connections.)
constexpr std::int64_t heap_ceiling = 16 * 1024 + max_connections * (send_buffer + receive_buffer + 4 * 1024);

// Byte k of a stream: keyed so that no other byte (an offset off by one, the
// host's stream, an attacker's payload) reads the same at k but by chance.
std::uint8_t stream_byte(std::uint64_t key, std::uint64_t k) {
    std::uint64_t x = ((k & 0xFFFFFFFFu) + 0x632BE59BD9B4E019ull) * 0x9E3779B97F4A7C15ull ^ key;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return static_cast<std::uint8_t>(x >> 56);
}
const bool tracing = std::getenv("L4_FUZZ_TRACE") != nullptr;

constexpr std::uint64_t peer_key = 0x5EC12E7D00C0FFEEull, host_key = 0x0DDBA11CAFEF00D5ull;



// The legitimate peer, scripted: its stream from `iss + 1`, what the host
// acknowledged, and the host's stream as it arrived in order.
struct legit_peer {
    ip_address addr, host;
    seq32 iss, host_iss;
    std::uint64_t snd_una = 0, snd_nxt = 0;  // offsets in the peer's stream
    std::optional<std::uint64_t> fin_at;     // where the peer put its FIN
    std::uint32_t host_wnd = 0;
    std::uint8_t host_shift = 0, my_shift = 0;
    bool ts = false, synchronized = false;
    std::uint32_t tsval = 1, ts_recent = 0;
    std::uint64_t rcv_nxt = 0;  // of the host's stream
    bool host_fin = false;
    // The application's side.
    std::optional<socket_id> app;
    bool app_closed = false, eof = false;
    std::uint64_t read = 0, host_written = 0;
    // What the frames on the tuple carried, the legitimate and the repaired.
    std::uint64_t max_end = 0;
    std::vector<std::uint64_t> fins;
};

struct attacker {
    ip_address addr;
    std::uint16_t port = 0;
    seq32 iss;
    std::optional<seq32> host_iss;
    std::uint32_t tsval = 1, host_tsval = 0;
};

template <class Tcp>
class harness {
    using reader = fuzz::reader;
    using tcp_t = Tcp;
    using host_t = net::stack<link::memory_end, tcp_t>;
    using conn_t = typename tcp_t::connection_type;

public:
    explicit harness(reader& in) : in_{in} {
        const std::uint8_t c0 = in.u8();
        tcp::config c{.send_buffer = send_buffer, .receive_buffer = receive_buffer, .mss = mss};
        c.time_wait = 2s;
        c.max_retransmissions = 4;
        c.nodelay = c0 & 2;
        if (c0 & 4) c.delayed_ack = 0ms;
        c.keepalive = c0 & 8;  // RFC 9293 §3.8.4, on timers the time steps reach
        c.keep_idle = 5s;
        c.keep_interval = 1s;
        c.keep_count = 3;
        offer_ = c0 >> 4;
        v6_ = c0 & 1;
        // The SYN's window shift, and a memory budget that binds before max_connections does, or none.
        const std::uint8_t c1 = in.u8();
        peer_.my_shift = (c1 & 0x3F) % 15;  // bit 6 chose the sender (LLVMFuzzerTestOneInput)
        if ((c1 & 0x3F) >= 15) c.ack_coalescing = 4096;  // ACKs coalesced per receive batch (tcp::config)
        budget_ = (c1 & 0x80) ? tight_budget : std::uint64_t{1} << 30;
        auto [raw, end] = link::memory_pair({.mtu = 1500, .queue_frames = 32});
        raw_.emplace(std::move(raw));
        host_.emplace(std::move(end), net::stack_config{.addresses = {here4, here6}, .secret = {7}, .tx_pending_frames = 8},
                      tcp_t{{.connection = c,
                             .mss = mss,
                             .max_backlog = 16,
                             .max_connections = max_connections,
                             .memory_budget = budget_}});
        for (std::size_t i = 0; i < attackers_.size(); ++i) {
            attackers_[i].addr = peers[i / 2];
            attackers_[i].port = static_cast<std::uint16_t>(40001 + i % 2);
        }
    }

    // The listeners, and the legitimate connection through one of them.
    void setup() {
        listen(0);
        listen(1);
        auto& p = peer_;
        p.addr = peers[v6_ ? 2 : 0];
        p.host = v6_ ? here6 : here4;
        p.iss = seq32{in_.u32()};
        wire::tcp_options o;
        o.mss = (offer_ & 8) ? std::uint16_t{536} : std::uint16_t{1460};
        if (offer_ & 1) o.window_scale = p.my_shift;
        if (offer_ & 2) o.sack_permitted = true;
        if (offer_ & 4) o.ts = wire::timestamps{p.tsval, 0};
        inject(fuzz::tcp_frame(p.addr, p.host, legit_port, listen_port, p.iss, seq32{0}, f::syn, 65535, o, {}));
        L4_FUZZ_CHECK(p.synchronized);
        if (!(offer_ & 1)) p.my_shift = p.host_shift = 0;
        legit_segment(p.snd_nxt, 0, f::ack);
        accept_all();
        L4_FUZZ_CHECK(p.app && legit() && legit()->current_state() == tcp::state::established);
        heap_base_ = fuzz::live_heap.load(std::memory_order_relaxed);
    }

    bool step() {
        if (in_.empty()) return false;
        const std::uint8_t op = in_.u8();
        if (op < 40) raw_frame(op);
        else if (op < 88) mutated_legit();
        else if (op < 122) attack();
        else if (op < 130) icmp_error();
        else if (op < 158) legit_send();
        else if (op < 173) legit_acks(1 + in_.u8() % 4);
        else if (op < 193) {
            static constexpr std::array<duration, 4> unit{1ms, 50ms, 1s, 30s};
            const std::uint8_t b = in_.u8();
            now_ += unit[b & 3] * (1 + (b >> 2) % 8);
            after_step();
        } else if (op < 213) read_legit(1 + in_.u16() % 4096);
        else if (op < 228) write_legit(1 + in_.u16() % 4096);
        else if (op < 238) accept_all();
        else if (op < 248) attacker_app(in_.u8());
        else if (op < 251) {
            if (peer_.app && !peer_.app_closed) (void)host_->shutdown(*peer_.app, now_);
            after_step();
        } else if (op < 252) {
            if (peer_.app && !peer_.app_closed) peer_.app_closed = host_->close(*peer_.app, now_).has_value();
            after_step();
        } else if (op < 253) {
            // The listener closed (its children aborted) and opened again.
            const int v = in_.u8() & 1;
            L4_FUZZ_CHECK(host_->close(listeners_[v], now_));
            listen(v);
            after_step();
        } else {
            return false;  // the input ends here: keeps the last steps' meaning when the fuzzer grows it
        }
        return true;
    }

    // L4_FUZZ_TRACE=1 in the environment: what an input reached, to read a crash or tune seeds.
    void summary() const {
        const auto& t = transport().stats();
        std::fprintf(stderr,
                     "legit: sent %llu acked %llu read %llu eof %d | host wrote %llu peer got %llu | conns %zu "
                     "opened %llu cookies %llu/%llu rst %llu | heap peak +%lld\n",
                     static_cast<unsigned long long>(peer_.snd_nxt), static_cast<unsigned long long>(peer_.snd_una),
                     static_cast<unsigned long long>(peer_.read), int{peer_.eof},
                     static_cast<unsigned long long>(peer_.host_written), static_cast<unsigned long long>(peer_.rcv_nxt),
                     transport().connections(), static_cast<unsigned long long>(t.connections_opened),
                     static_cast<unsigned long long>(t.syn_cookies_sent), static_cast<unsigned long long>(t.syn_cookies_accepted),
                     static_cast<unsigned long long>(t.tx_resets), static_cast<long long>(heap_peak_));
        const auto& e = transport();
        for (std::uint32_t id = 0; id < 64; ++id)
            if (const auto* c = e.connection_of(id))
                std::fprintf(stderr, "  connection %u: from %s port %u, state %d\n", id,
                             e.peer_address(id)->address.to_string().c_str(), unsigned{e.peer_address(id)->port},
                             static_cast<int>(c->current_state()));
    }

private:
    void listen(int v) {
        auto& h = *host_;
        listeners_[v] = h.socket(net::socket_type::stream).value();
        L4_FUZZ_CHECK(h.bind(listeners_[v], {v ? ip_address::any_v6() : ip_address::any_v4(), listen_port}));
        L4_FUZZ_CHECK(h.listen(listeners_[v], backlog));
    }

    // --- frames in ------------------------------------------------------------


    // Up to three bytes flipped, then the checksums fixed or left wrong.
    void mutate(std::vector<std::uint8_t>& frame) {
        const std::uint8_t m = in_.u8();
        for (int k = 0; k < (m & 3) && !frame.empty(); ++k) {
            const std::size_t at = in_.u16() % frame.size();
            frame[at] ^= in_.u8();
        }
        if (m & 4) fuzz::fix_checksums(frame);
    }


    // A frame the stack could take for the legitimate 4-tuple carries the
    // legitimate stream's bytes; what it carried is recorded.
    void repair(std::vector<std::uint8_t>& frame) {
        auto p = wire::parse_ip(frame);
        if (!p || p->protocol != wire::ip_protocol::tcp) return;
        auto v = wire::tcp_view::check(p->transport);
        if (!v || !v->verify_checksum<checksum::internet>(p->pseudo.bytes())) return;
        auto r = wire::tcp_repr::from_view(*v);
        if (!r || r->src_port != legit_port || r->dst_port != listen_port) return;
        // Only from the peer's address to the host's: the stack must never
        // take another address's segment for the connection, so what such a
        // segment carries stays as the input made it.
        if (net::source_of(*p) != peer_.addr || net::destination_of(*p) != peer_.host) return;
        const seq32 data_seq = r->seq_number + (r->flags.has(f::syn) ? 1u : 0u);
        const auto offset = static_cast<std::uint32_t>(data_seq - (peer_.iss + 1));
        const auto at = static_cast<std::size_t>(r->payload.data() - frame.data());
        bool changed = false;
        for (std::size_t k = 0; k < r->payload.size(); ++k) {
            const std::uint8_t b = stream_byte(peer_key, std::uint64_t{offset} + k);
            changed |= frame[at + k] != b;
            frame[at + k] = b;
        }
        const std::int64_t end = std::int64_t{static_cast<std::int32_t>(offset)} + static_cast<std::int64_t>(r->payload.size());
        if (end > 0) peer_.max_end = std::max(peer_.max_end, static_cast<std::uint64_t>(end));
        if (r->flags.has(f::fin) && end >= 0) peer_.fins.push_back(static_cast<std::uint64_t>(end));
        if (changed) fuzz::refill_tcp_checksum(frame);
    }

    void inject(std::vector<std::uint8_t> frame) {
        repair(frame);
        (void)raw_->transmit(frame, now_);  // an empty or oversized frame is refused: nothing to check
        after_step();
    }

    void raw_frame(std::uint8_t op) {
        const std::size_t n = in_.u16() % 1501;
        std::vector<std::uint8_t> frame;
        if (op & 2) {
            // The input's bytes as a TCP segment from one of the peers' addresses.
            const ip_address src = peers[in_.u8() % peers.size()];
            const bytes seg = in_.take(n);
            frame.resize((src.is_v4() ? 20 : 40) + seg.size());
            net::ip_layer ip{{{src}, 64}};
            if (!ip.emit_header(frame, src, src.is_v4() ? here4 : here6, wire::ip_protocol::tcp, seg.size())) return;
            std::copy(seg.begin(), seg.end(), frame.end() - static_cast<std::ptrdiff_t>(seg.size()));
        } else {
            const bytes b = in_.take(n);
            frame.assign(b.begin(), b.end());
        }
        if (op & 1) fuzz::fix_checksums(frame);
        inject(std::move(frame));
    }

    // Options as a peer may send them: the negotiated timestamps, or any.
    wire::tcp_options fuzzed_options(std::uint32_t& tsval, std::uint32_t tsecr, seq32 sack_base) {
        wire::tcp_options o;
        const std::uint8_t b = in_.u8();
        if (b & 1) o.mss = in_.u16();
        if (b & 2) o.window_scale = static_cast<std::uint8_t>(in_.u8() % 16);
        if (b & 4) o.sack_permitted = true;
        if (b & 8) o.ts = (b & 128) ? wire::timestamps{in_.u32(), in_.u32()} : wire::timestamps{++tsval, tsecr};
        if (b & 16) o.add_sack({sack_base + in_.u16(), sack_base + in_.u16()});
        if (b & 32) o.add_sack({sack_base - in_.u16(), sack_base + in_.u16()});
        return o;
    }

    void mutated_legit() {
        auto& p = peer_;
        const std::uint8_t shape = in_.u8();
        const seq32 base = p.iss + 1 + static_cast<std::uint32_t>(p.snd_una);
        seq32 seq;
        switch (shape & 7) {
        case 0: case 1: seq = base; break;
        case 2: seq = base + in_.u16() % (receive_buffer + 600); break;
        case 3: seq = base - (1 + in_.u16()); break;
        case 4: seq = p.iss + in_.u16(); break;
        default: seq = seq32{in_.u32()}; break;
        }
        const seq32 host_base = p.host_iss + 1 + static_cast<std::uint32_t>(p.rcv_nxt) + (p.host_fin ? 1u : 0u);
        seq32 ack;
        switch ((shape >> 3) & 3) {
        case 0: ack = host_base; break;
        case 1: ack = host_base + in_.u16() % 4000; break;
        case 2: ack = host_base - (1 + in_.u16()); break;
        default: ack = seq32{in_.u32()}; break;
        }
        const std::uint8_t flags = (shape & 0x20) ? in_.u8() : std::uint8_t{f::ack};
        const std::uint16_t window = (shape & 0x40) ? in_.u16() : std::uint16_t{65535};
        auto o = fuzzed_options(p.tsval, p.ts_recent, ack);
        const std::size_t len = (shape & 0x80) ? in_.u16() % 1401 : 0;
        std::vector<std::uint8_t> payload(len);  // any bytes: repair() writes the stream's over them
        auto frame = fuzz::tcp_frame(p.addr, p.host, legit_port, listen_port, seq, ack, flags, window, o, payload);
        mutate(frame);
        inject(std::move(frame));
    }

    void attack() {
        auto& a = attackers_[in_.u8() % attackers_.size()];
        const std::uint8_t kind = in_.u8();
        const ip_address dst = a.addr.is_v4() ? here4 : here6;
        seq32 seq = a.iss + 1, ack = a.host_iss ? *a.host_iss + 1 : seq32{in_.u32()};
        std::uint8_t flags = f::ack;
        std::size_t len = 0;
        switch (kind & 7) {
        case 0: case 1:
            a.iss = seq32{in_.u32()};
            seq = a.iss;
            a.host_iss.reset();
            flags = f::syn;
            break;
        case 2: break;  // the handshake's ACK, or a cookie guessed
        case 3: flags = f::ack | f::psh; len = in_.u16() % 1401; break;
        case 4: flags = f::rst | ((kind & 8) ? f::ack : 0); break;
        case 5: flags = f::fin | f::ack; break;
        default:
            seq = seq32{in_.u32()};
            ack = seq32{in_.u32()};
            flags = in_.u8();
            len = in_.u16() % 600;
            break;
        }
        if (kind & 16) seq = seq + in_.u16();
        auto o = (kind & 32) ? fuzzed_options(a.tsval, a.host_tsval, ack) : wire::tcp_options{};
        if ((kind & 7) < 2 && !(kind & 32)) {
            o.mss = 536;
            o.window_scale = 7;
            o.sack_permitted = true;
            o.ts = wire::timestamps{a.tsval, 0};
        } else if (!(kind & 32) && a.host_tsval) {
            o.ts = wire::timestamps{++a.tsval, a.host_tsval};
        }
        const bytes data = in_.take(len);
        auto frame = fuzz::tcp_frame(a.addr, dst, a.port, listen_port, seq, ack, flags, (kind & 64) ? in_.u16() : std::uint16_t{65535}, o, data);
        if (kind & 128) mutate(frame);
        inject(std::move(frame));
    }

    // An ICMP error from the peer's side quoting a segment the host sent on
    // one of the flows (RFC 5927's attacks): unreachable, too big, time
    // exceeded or parameter problem, the quoted sequence number near the
    // host's or anywhere.
    void icmp_error() {
        const std::uint8_t which = in_.u8() % (attackers_.size() + 1), kind = in_.u8();
        const bool to_legit = which == attackers_.size();
        const ip_address peer = to_legit ? peer_.addr : attackers_[which].addr;
        const std::uint16_t port = to_legit ? legit_port : attackers_[which].port;
        const seq32 base = to_legit ? peer_.host_iss + 1 + static_cast<std::uint32_t>(peer_.rcv_nxt)
                                    : attackers_[which].host_iss.value_or(seq32{0}) + 1;
        const seq32 seq = (kind & 0x80) ? seq32{in_.u32()} : base + in_.u16() % 4000;
        const std::uint16_t mtu = in_.u16();
        static constexpr std::array<std::array<std::uint8_t, 2>, 8> v4_kinds{{{3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}, {11, 0}, {12, 0}, {3, 13}}};
        static constexpr std::array<std::array<std::uint8_t, 2>, 8> v6_kinds{{{1, 0}, {1, 1}, {1, 3}, {1, 4}, {2, 0}, {3, 0}, {4, 0}, {1, 5}}};
        const auto [type, code] = (peer.is_v4() ? v4_kinds : v6_kinds)[kind & 7];
        const ip_address host = peer.is_v4() ? here4 : here6;
        auto frame = fuzz::icmp_error_frame(peer, host, type, code, mtu, fuzz::quoted_tcp(host, peer, listen_port, port, seq));
        if (!frame.empty() && (kind & 0x40)) mutate(frame);
        inject(std::move(frame));
    }

    // The legitimate peer: a segment of its stream at `offset`, with what it
    // acknowledges of the host's.
    void legit_segment(std::uint64_t offset, std::size_t len, std::uint8_t flags) {
        auto& p = peer_;
        wire::tcp_options o;
        if (p.ts) o.ts = wire::timestamps{++p.tsval, p.ts_recent};
        std::vector<std::uint8_t> payload(len);
        for (std::size_t k = 0; k < len; ++k) payload[k] = stream_byte(peer_key, offset + k);
        const seq32 ack = p.host_iss + 1 + static_cast<std::uint32_t>(p.rcv_nxt) + (p.host_fin ? 1u : 0u);
        inject(fuzz::tcp_frame(p.addr, p.host, legit_port, listen_port, p.iss + 1 + static_cast<std::uint32_t>(offset), ack, flags,
                     static_cast<std::uint16_t>(65535), o, payload));
    }

    void legit_send() {
        auto& p = peer_;
        const std::uint8_t b = in_.u8();
        // New data within the host's window, or again from what it acknowledged.
        std::uint64_t from = (b & 1) ? p.snd_una : p.snd_nxt;
        const std::uint64_t wnd_end = p.snd_una + p.host_wnd;
        std::uint64_t len = std::min<std::uint64_t>(1 + in_.u16() % mss, wnd_end > from ? wnd_end - from : 1);
        if (p.fin_at) len = std::min(len, *p.fin_at > from ? *p.fin_at - from : 0);
        std::uint8_t flags = f::ack | f::psh;
        if ((b & 2) || (p.fin_at && from + len == *p.fin_at)) {
            flags |= f::fin;
            p.fin_at = from + len;
        }
        p.snd_nxt = std::max(p.snd_nxt, from + len);
        legit_segment(from, static_cast<std::size_t>(len), flags);
    }

    void legit_acks(int n) {
        // The same ACK n times: from the second on, RFC 5681 §2's duplicates.
        for (int k = 0; k < n; ++k) legit_segment(peer_.snd_nxt, 0, f::ack);
    }

    // --- the application -------------------------------------------------------

    void accept_all() {
        auto& h = *host_;
        for (int v = 0; v < 2; ++v) {
            const std::size_t half_open = count_half_open(v == 1);
            std::size_t queued = 0;
            while (auto s = h.accept(listeners_[v])) {
                ++queued;
                const auto from = h.peer_address(*s);
                L4_FUZZ_CHECK(from && from->address.is_v6() == (v == 1));
                if (!peer_.app && from->address == peer_.addr && from->port == legit_port) peer_.app = *s;
                else if (attacker_apps_.size() < 16) attacker_apps_.push_back(*s);
                else L4_FUZZ_CHECK(h.abort(*s, now_));
            }
            L4_FUZZ_CHECK(half_open + queued <= backlog);
        }
        after_step();
    }

    void attacker_app(std::uint8_t b) {
        if (attacker_apps_.empty()) return;
        const std::size_t i = (b >> 2) % attacker_apps_.size();
        const socket_id s = attacker_apps_[i];
        std::array<std::uint8_t, 2048> buf{};
        switch (b & 3) {
        case 0: (void)host_->recv(s, buf); break;
        case 1: (void)host_->send(s, std::span{buf}.first(b), now_); break;
        case 2: L4_FUZZ_CHECK(host_->close(s, now_)); break;
        default: L4_FUZZ_CHECK(host_->abort(s, now_)); break;
        }
        if ((b & 3) >= 2) attacker_apps_.erase(attacker_apps_.begin() + static_cast<std::ptrdiff_t>(i));
        after_step();
    }

    void read_legit(std::size_t n) {
        auto& p = peer_;
        if (p.app && !p.app_closed && n % 4 == 3) {
            // Receiving as the bytes arrive (set_recv_handler), up to n / 4 of each segment's, or no longer.
            handler_on_ = !handler_on_;
            tcp::recv_handler h;
            if (handler_on_)
                h = [this, n](bytes in) {
                    const std::size_t take = std::min(in.size(), n / 4);
                    check_read(in.first(take));
                    return take;
                };
            (void)host_->set_recv_handler(*p.app, std::move(h));
            after_step();
            return;
        }
        if (p.app && !p.app_closed) {
            std::array<std::uint8_t, 4096> buf{};
            // An odd count reads in place (recv_in_place), taking up to n bytes of what it is shown.
            const auto in_place = [&](bytes in) {
                const std::size_t take = std::min(in.size(), n);
                std::copy_n(in.begin(), take, buf.begin());
                return take;
            };
            if (auto r = (n & 1) ? host_->recv_in_place(*p.app, in_place) : host_->recv(*p.app, std::span{buf}.first(n))) {
                if (*r == 0) {
                    // End of stream: only where a FIN was, after every byte before it.
                    L4_FUZZ_CHECK(std::find(p.fins.begin(), p.fins.end(), p.read) != p.fins.end());
                    p.eof = true;
                } else {
                    check_read(std::span{buf}.first(*r));
                }
            }
        }
        after_step();
    }

    // Bytes the application got: the legitimate stream's next ones, never past what a frame carried or a FIN.
    void check_read(bytes got) {
        auto& p = peer_;
        L4_FUZZ_CHECK(got.empty() || !p.eof);
        for (std::size_t k = 0; k < got.size(); ++k) L4_FUZZ_CHECK(got[k] == stream_byte(peer_key, p.read + k));
        p.read += got.size();
        L4_FUZZ_CHECK(p.read <= p.max_end);
    }

    void write_legit(std::size_t n) {
        auto& p = peer_;
        if (p.app && !p.app_closed) {
            std::array<std::uint8_t, 4096> buf{};
            for (std::size_t k = 0; k < n; ++k) buf[k] = stream_byte(host_key, p.host_written + k);
            // An odd count writes in place (send_in_place): as many of the n bytes as it is shown.
            const auto in_place = [&](mut_bytes room) {
                L4_FUZZ_CHECK(room.size() <= n);
                std::copy_n(buf.begin(), room.size(), room.begin());
                return room.size();
            };
            if (auto w = (n & 1) ? host_->send_in_place(*p.app, n, in_place, now_)
                                 : host_->send(*p.app, std::span{buf}.first(n), now_)) {
                L4_FUZZ_CHECK(*w <= n);
                p.host_written += *w;
            }
        }
        after_step();
    }

    // --- frames out, and the bounds ---------------------------------------------

    [[nodiscard]] const tcp_t& transport() const { return host_->template transport<tcp_t>(); }

    [[nodiscard]] const conn_t* legit() const {
        if (!peer_.app) return nullptr;
        const auto* e = host_->sockets().find(*peer_.app);
        return e ? transport().connection_of(e->local) : nullptr;
    }

    [[nodiscard]] std::size_t count_half_open(bool v6) const {
        const auto& t = transport();
        std::size_t n = 0;
        for (std::uint32_t id = 0; id < 64; ++id) {
            const auto* c = t.connection_of(id);
            const auto l = t.local_address(id);
            if (c && l && l->port == listen_port && l->address.is_v6() == v6 && c->current_state() == tcp::state::syn_received)
                ++n;
        }
        return n;
    }

    void after_step() {
        host_->poll(now_);
        std::array<std::uint8_t, 1500> buf{};
        while (auto n = raw_->receive(buf, now_)) check_sent(std::span{buf}.first(*n));

        const auto& t = transport();
        std::size_t seen = 0;
        std::uint64_t buffers = 0;
        for (std::uint32_t id = 0; id < 64; ++id) {
            const conn_t* c = t.connection_of(id);
            if (!c) continue;
            ++seen;
            buffers += std::uint64_t{c->settings().send_buffer} + c->settings().receive_buffer;
            L4_FUZZ_CHECK(c->invariants_held());
            L4_FUZZ_CHECK(c->send_queue() <= send_buffer);
            L4_FUZZ_CHECK(c->recv_queue() <= receive_buffer);
            L4_FUZZ_CHECK(c->in_flight() <= send_buffer + 2);  // the data, a SYN and a FIN
        }
        L4_FUZZ_CHECK(seen == t.connections() && seen <= max_connections);
        L4_FUZZ_CHECK(buffers <= budget_);
        if (heap_base_) {
            heap_peak_ = std::max(heap_peak_, fuzz::live_heap.load(std::memory_order_relaxed) - *heap_base_);
            L4_FUZZ_CHECK(heap_peak_ <= heap_ceiling);
        }
    }

    void check_sent(bytes frame) {
        auto ip = wire::parse_ip(frame);
        L4_FUZZ_CHECK(ip);
        if (ip->protocol != wire::ip_protocol::tcp) return;  // ICMP's errors
        auto v = wire::tcp_view::check(ip->transport);
        L4_FUZZ_CHECK(v && v->verify_checksum<checksum::internet>(ip->pseudo.bytes()));
        auto seg = wire::tcp_repr::from_view(*v);
        L4_FUZZ_CHECK(seg);
        if (seg->src_port != listen_port) return;  // a RST for a segment to another port
        const ip_address to = net::destination_of(*ip);
        auto& p = peer_;
        if (to == p.addr && seg->dst_port == legit_port) {
            if (!p.synchronized) {
                // The SYN-ACK: what the host offers decides what the peer uses.
                if (!seg->flags.has(f::syn | f::ack) || seg->ack_number != p.iss + 1) return;
                p.synchronized = true;
                p.host_iss = seg->seq_number;
                p.ts = (offer_ & 4) && seg->options.ts;
                p.host_shift = (offer_ & 1) && seg->options.window_scale ? std::min<std::uint8_t>(*seg->options.window_scale, 14) : 0;
                p.host_wnd = seg->window;
                if (seg->options.ts) p.ts_recent = seg->options.ts->tsval;
                return;
            }
            if (seg->flags.has(f::syn) || seg->flags.has(f::rst) || p.app_closed) return;
            if (seg->options.ts) p.ts_recent = seg->options.ts->tsval;
            const auto acked = static_cast<std::uint32_t>(seg->ack_number - (p.iss + 1));
            if (seg->flags.has(f::ack) && acked <= p.snd_nxt + 1 && acked >= p.snd_una) {
                p.snd_una = std::min<std::uint64_t>(acked, p.snd_nxt);
                p.host_wnd = std::uint32_t{seg->window} << p.host_shift;
            }
            // Data: the host application's bytes, at their place in its stream.
            const auto offset = static_cast<std::uint32_t>(seg->seq_number - (p.host_iss + 1));
            if (!seg->payload.empty()) {
                L4_FUZZ_CHECK(std::uint64_t{offset} + seg->payload.size() <= p.host_written);
                for (std::size_t k = 0; k < seg->payload.size(); ++k)
                    L4_FUZZ_CHECK(seg->payload[k] == stream_byte(host_key, std::uint64_t{offset} + k));
            }
            const std::uint64_t end = std::uint64_t{offset} + seg->payload.size();
            if (offset <= p.rcv_nxt && end > p.rcv_nxt) p.rcv_nxt = end;
            if (seg->flags.has(f::fin) && end == p.rcv_nxt) p.host_fin = true;
            return;
        }
        for (auto& a : attackers_) {
            if (a.addr != to || a.port != seg->dst_port) continue;
            if (seg->options.ts) a.host_tsval = seg->options.ts->tsval;
            if (seg->flags.has(f::syn | f::ack) && seg->ack_number == a.iss + 1) a.host_iss = seg->seq_number;
        }
    }

    reader& in_;
    std::uint8_t offer_ = 0;
    bool v6_ = false;
    bool handler_on_ = false;  // the application receives as the bytes arrive (read_legit)
    std::uint64_t budget_ = 0;
    std::optional<link::memory_end> raw_;
    std::optional<host_t> host_;
    std::array<socket_id, 2> listeners_{};
    legit_peer peer_;
    std::array<attacker, 8> attackers_{};
    std::vector<socket_id> attacker_apps_;
    std::optional<std::int64_t> heap_base_;
    std::int64_t heap_peak_ = 0;
    instant now_ = instant{} + 1s;
};

}  // namespace

namespace {
template <class Tcp>
void run(const std::uint8_t* data, std::size_t size) {
    fuzz::reader in{data, size};
    harness<Tcp> h{in};
    h.setup();
    for (int steps = 0; steps < 400; ++steps)
        if (!h.step()) break;
    if (tracing) h.summary();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 1 && (data[1] & 0x40)) run<selective_tcp>(data, size);
    else run<sliding_tcp>(data, size);
    return 0;
}
