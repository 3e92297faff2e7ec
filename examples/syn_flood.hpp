// A SYN flood (RFC 4987) on the simulator: a listener takes SYNs from
// spoofed addresses and ports at 100,000 a second while a legitimate client,
// another l4kit host on the same simulated network, connects every 10 ms of
// virtual time, sends a few bytes, reads their echo and closes.
//
//   client 192.0.2.1 ── 2 ms ──► listener 192.0.2.2:80
//                    ◄─ 2 ms ──       ▲
//                                     └─ spoofed SYNs from 198.51.100.0/24
//                                        and 203.0.113.0/24, random ports
//
// The flood enters at the listener's link (flood_link): the frames are made
// there, as they are due, and never cross the simulator's queues. The link
// routes only to the client's network; what the listener answers to a
// spoofed address goes nowhere, as it would on the Internet.
//
// With SYN cookies, the first `backlog` spoofed SYNs fill the half-open
// queue and every later SYN, the client's too, gets a cookie SYN-ACK: the
// client's ACK comes back with the cookie and makes its connection. Without
// them the queue churns: at 100 SYNs a millisecond and a round trip of 4 ms,
// the client's half-open connection is gone before its ACK arrives.
//
// `run` is the whole experiment; examples/syn_flood.cpp prints it and
// tests/security/syn_flood.cpp checks it. Its Observer type is how a test
// watches the listener: an Observer::scope object lives across every call
// into the listener's stack (a counting allocator charges what is allocated
// meanwhile to the listener), and flood_starts() is called once, when the
// listener listens and the flood is about to begin.
#pragma once

#include <l4/checksum/incremental.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/core/bytes.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace syn_flood {

using namespace std::chrono_literals;
using l4::duration;
using l4::instant;

inline constexpr l4::wire::ipv4_address client_ip{192, 0, 2, 1};
inline constexpr l4::wire::ipv4_address server_ip{192, 0, 2, 2};
inline constexpr std::uint16_t server_port = 80;

struct config {
    std::uint64_t spoofed_syns = 1'000'000;
    std::uint32_t syns_per_burst = 100;  // every burst_interval: 100,000 SYNs a second
    duration burst_interval = 1ms;
    duration connect_every = 10ms;       // the legitimate client's pace
    duration one_way_delay = 2ms;
    duration session_timeout = 3s;       // a client session not done by then failed
    std::uint32_t backlog = 64;
    bool syn_cookies = true;
    std::uint64_t seed = 1;

    [[nodiscard]] duration flood_duration() const {
        return burst_interval * static_cast<std::int64_t>((spoofed_syns + syns_per_burst - 1) / syns_per_burst);
    }
};

struct outcome {
    std::uint64_t syns_injected = 0;   // spoofed SYNs the listener's link delivered
    std::uint64_t blackholed = 0;      // frames the listener sent to spoofed addresses
    std::uint64_t legit_started = 0, legit_succeeded = 0;
    std::uint64_t legit_reset = 0, legit_timed_out = 0;  // the failures, by how they failed
    l4::tcp::endpoint_counters listener{};
    double wall_seconds = 0;           // the whole run, flood and client
    duration virtual_time{};
    bool finished = false;             // every session ended before the run's deadline
};

// Frames of SYNs from random spoofed sources, as a flooding tool makes them:
// bare but for an MSS option. One frame is built, then each SYN rewrites its
// source address, source port and sequence number, and both checksums by
// RFC 1624 from the template's.
class syn_maker {
public:
    static constexpr std::size_t frame_len = l4::wire::ipv4_min_header_len + 24;  // 20 + 4 bytes of MSS

    explicit syn_maker(std::uint64_t seed) : rng_{seed} {
        l4::wire::tcp_repr syn;
        syn.src_port = template_port;
        syn.dst_port = server_port;
        syn.flags.bits = l4::wire::tcp_flags::syn;
        syn.window = 64240;
        syn.options.mss = 1460;
        const auto ph = l4::wire::pseudo_header::ipv4(template_src, server_ip, l4::wire::ip_protocol::tcp, 24);
        (void)syn.emit(l4::mut_bytes{frame_}.subspan(l4::wire::ipv4_min_header_len), ph.bytes(), l4::checksum::internet{});
        l4::wire::ipv4_repr ip{.src = template_src, .dst = server_ip, .protocol = l4::wire::ip_protocol::tcp};
        ip.payload_len = 24;
        (void)ip.emit(frame_);
        ip_sum_ = l4::load_be16(&frame_[ip_checksum]);
        tcp_sum_ = l4::load_be16(&frame_[tcp_checksum]);
    }

    // Writes the next frame into `out` (at least frame_len bytes) and returns its length.
    std::size_t next(l4::mut_bytes out) {
        using l4::checksum::incremental;
        const std::uint64_t r = rng_();
        const std::uint32_t src = ((r & 1) ? 0xC6336400u : 0xCB007100u) | ((r >> 1) & 0xFF);  // 198.51.100/24, 203.0.113/24
        const auto port = static_cast<std::uint16_t>(1024 + (r >> 9) % (65536 - 1024));
        const auto seq = static_cast<std::uint32_t>(r >> 32);
        const std::uint32_t src0 = template_src.to_u32();
        std::copy(frame_.begin(), frame_.end(), out.begin());
        l4::store_be32(&out[12], src);
        l4::store_be16(&out[ip_checksum], incremental::update32(ip_sum_, src0, src));
        l4::store_be16(&out[20], port);
        l4::store_be32(&out[24], seq);
        // The source address is in the TCP checksum too, through the pseudo-header.
        std::uint16_t sum = incremental::update32(tcp_sum_, src0, src);
        sum = incremental::update16(sum, template_port, port);
        sum = incremental::update32(sum, 0, seq);
        l4::store_be16(&out[tcp_checksum], sum);
        return frame_len;
    }

private:
    static constexpr l4::wire::ipv4_address template_src{198, 51, 100, 0};
    static constexpr std::uint16_t template_port = 1024;
    static constexpr std::size_t ip_checksum = 10, tcp_checksum = l4::wire::ipv4_min_header_len + 16;

    std::mt19937_64 rng_;
    std::array<std::uint8_t, frame_len> frame_{};
    std::uint16_t ip_sum_ = 0, tcp_sum_ = 0;
};

// The listener's link: the simulator's port, the flood at its input (bursts
// of syns_per_burst every burst_interval from `start`), and a route to the
// client's network only.
class flood_link {
public:
    flood_link(l4::link::sim::port inner, const config& cfg, instant start)
        : inner_{inner}, maker_{cfg.seed}, total_{cfg.spoofed_syns}, burst_{cfg.syns_per_burst},
          interval_{cfg.burst_interval}, start_{start} {}

    l4::io_result<void> transmit(l4::bytes frame, instant now) {
        // 192.0.2.0/24 is reachable; every other destination is a spoofed source.
        if (frame.size() >= 20 && (frame[0] >> 4) == 4 &&
            !(frame[16] == client_ip.octets[0] && frame[17] == client_ip.octets[1] && frame[18] == client_ip.octets[2])) {
            ++blackholed_;
            return {};
        }
        return inner_.transmit(frame, now);
    }
    l4::io_result<std::size_t> receive(l4::mut_bytes buffer, instant now) {
        if (injected_ < due(now)) {
            ++injected_;
            return maker_.next(buffer);
        }
        return inner_.receive(buffer, now);
    }
    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<instant> next_deadline() const {
        std::optional<instant> d = inner_.next_deadline();
        if (injected_ < total_) {
            const instant t = start_ + interval_ * static_cast<std::int64_t>(injected_ / burst_);
            if (!d || t < *d) d = t;
        }
        return d;
    }
    [[nodiscard]] int poll_fd() const { return -1; }

    [[nodiscard]] std::uint64_t injected() const { return injected_; }
    [[nodiscard]] std::uint64_t blackholed() const { return blackholed_; }
    [[nodiscard]] bool flood_over() const { return injected_ == total_; }

private:
    // Spoofed SYNs due by `now`.
    [[nodiscard]] std::uint64_t due(instant now) const {
        if (now < start_) return 0;
        const auto bursts = static_cast<std::uint64_t>((now - start_) / interval_) + 1;
        return std::min(total_, bursts * burst_);
    }

    l4::link::sim::port inner_;
    syn_maker maker_;
    std::uint64_t total_, burst_;
    duration interval_;
    instant start_;
    std::uint64_t injected_ = 0, blackholed_ = 0;
};

// No watching: examples/syn_flood.cpp.
struct unobserved {
    struct scope {};
    void flood_starts() {}
};

template <class Observer = unobserved>
outcome run(const config& cfg, Observer&& observer = {}) {
    using tcp_t = l4::tcp::endpoint<>;
    using scope = typename std::remove_cvref_t<Observer>::scope;
    using client_host = l4::net::stack<l4::link::sim::port, tcp_t>;
    using server_host = l4::net::stack<flood_link, tcp_t>;
    // Calls into the listener's host, for drive_all_until.
    struct listener_side {
        server_host& h;
        std::size_t poll(instant now) {
            [[maybe_unused]] scope s;
            return h.poll(now);
        }
        [[nodiscard]] std::optional<instant> next_deadline() const {
            [[maybe_unused]] scope s;
            return h.next_deadline();
        }
    };

    l4::link::sim::network net{{.seed = cfg.seed}};
    const l4::link::sim::channel_config path{.bandwidth_bps = 1'000'000'000, .delay = cfg.one_way_delay};
    auto p2p = l4::link::sim::point_to_point(net, path, path);
    l4::virtual_clock clk;
    const instant start = clk.now() + 10ms;

    // The client's TIME-WAIT is short: a thousand connections in 2·MSL would
    // only hold the client's memory, and this is about the listener's.
    l4::tcp::endpoint_config client_cfg{};
    client_cfg.connection.time_wait = 100ms;
    client_host a{p2p.a, {.addresses = {client_ip}, .secret = {1}}, tcp_t{client_cfg}};
    std::optional<server_host> b;
    std::optional<l4::net::socket_id> listener;
    {
        [[maybe_unused]] scope s;
        l4::tcp::endpoint_config server_cfg{};
        server_cfg.syn_cookies = cfg.syn_cookies;
        b.emplace(flood_link{p2p.b, cfg, start}, l4::net::stack_config{.addresses = {server_ip}, .secret = {2}},
                  tcp_t{server_cfg});
        listener = b->socket(l4::net::socket_type::stream).value();
        if (!b->bind(*listener, {server_ip, server_port}) || !b->listen(*listener, cfg.backlog)) return {};
    }
    listener_side server{*b};

    // The client's sessions start every connect_every while the flood lasts.
    const auto sessions =
        static_cast<std::uint64_t>(cfg.flood_duration() / cfg.connect_every) - (cfg.flood_duration() >= cfg.connect_every);
    static constexpr std::array<std::uint8_t, 12> hello{'h', 'e', 'l', 'l', 'o', ' ', 'l', '4', 'k', 'i', 't', '!'};
    struct session {
        l4::net::socket_id c;
        instant deadline;
        bool sent = false;
        std::size_t echoed = 0;
    };
    std::vector<session> active;
    std::vector<l4::net::socket_id> served;
    std::array<std::uint8_t, 64> buf{};
    outcome out;

    const auto serve = [&] {
        [[maybe_unused]] scope s;
        while (auto x = b->accept(*listener)) served.push_back(*x);
        std::erase_if(served, [&](l4::net::socket_id id) {
            while (true) {
                auto r = b->recv(id, buf);
                if (!r && r.error() == l4::errc::would_block) return false;
                if (!r || *r == 0 || !b->send(id, std::span{buf}.first(*r), clk.now())) {
                    (void)b->close(id, clk.now());  // the end of the stream, or the connection's
                    return true;
                }
            }
        });
    };
    const auto talk = [&] {
        while (out.legit_started < sessions &&
               clk.now() >= start + cfg.connect_every * static_cast<std::int64_t>(out.legit_started + 1)) {
            auto c = a.socket(l4::net::socket_type::stream).value();
            (void)a.connect(c, {server_ip, server_port}, clk.now());
            active.push_back({c, clk.now() + cfg.session_timeout});
            ++out.legit_started;
        }
        std::erase_if(active, [&](session& s) {
            if (!s.sent && a.writable(s.c)) s.sent = a.send(s.c, hello, clk.now()).has_value();
            auto r = a.recv(s.c, buf);
            if (r && *r > 0) s.echoed += *r;
            if (s.echoed >= hello.size()) {
                ++out.legit_succeeded;
                (void)a.close(s.c, clk.now());
                return true;
            }
            const bool failed = (!r && r.error() != l4::errc::would_block) || (r && *r == 0);
            if (failed || clk.now() >= s.deadline) {
                ++(failed ? out.legit_reset : out.legit_timed_out);
                (void)a.abort(s.c, clk.now());
                return true;
            }
            return false;
        });
    };

    observer.flood_starts();
    const auto wall_start = std::chrono::steady_clock::now();
    const auto done = l4::net::drive_all_until(clk, start + cfg.flood_duration() + cfg.session_timeout + 10s, [&] {
        serve();
        talk();
        return b->link().flood_over() && out.legit_started == sessions && active.empty();
    }, a, server);
    out.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    out.finished = done.has_value();
    out.virtual_time = clk.now() - start;
    out.syns_injected = b->link().injected();
    out.blackholed = b->link().blackholed();
    out.listener = b->transport<tcp_t>().stats();
    {
        [[maybe_unused]] scope s;
        b.reset();
    }
    return out;
}

}  // namespace syn_flood
