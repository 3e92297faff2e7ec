// The simulated network: channels, the ports at its edges, and the event
// loop that moves frames between them in virtual time.
//
// Build it, then drive it:
//
//     sim::network net{{.seed = 42}};
//     auto [a, b, ab, ba] = sim::point_to_point(net, {.bandwidth_bps = 10'000'000,
//                                                     .delay = 5ms}, {...});
//     l4::virtual_clock clock;
//     a.transmit(frame, clock.now());
//     while (auto t = net.next_deadline()) {   // nullopt: nothing in flight
//         clock.advance_to(*t);
//         net.run_until(*t);
//         while (auto n = b.receive(buffer, clock.now())) { ... }
//     }
//
// Routing: none. Each port sends everything it transmits along one fixed
// path, a list of channels ending at another port, set with route(). A
// frame carries its path's index and its hop number (pool.hpp's frame_meta);
// at the end of each channel it moves to the next, through that channel's
// queue, or into the destination port's inbox. The topologies
// (topology.hpp) set these paths for you.
//
// Determinism: everything random is seeded from network_config::seed and the
// channel's index (random.hpp), and simultaneous events run in the order
// they were scheduled (scheduler.hpp). The same seed, topology and calls
// give the same events, bit for bit, on every compiler and run.
#pragma once

#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/link/concept.hpp>
#include <l4/link/sim/channel.hpp>
#include <l4/link/sim/ecn_mark.hpp>
#include <l4/link/sim/pool.hpp>
#include <l4/link/sim/ring.hpp>
#include <l4/link/sim/scheduler.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

namespace l4::link::sim {

struct network_config {
    std::uint64_t seed = 1;
    std::size_t mtu = 1500;               // every port's; frames are stored in slots of this size
    std::size_t port_rx_limit = 1 << 16;  // frames a port holds for its reader before it drops (a NIC ring)
};

using port_id = std::uint32_t;

struct port_counters : link_counters {
    std::uint64_t rx_dropped_full = 0;  // arrived while the inbox held port_rx_limit frames
};

class network;

// One edge of the network, and a model of l4::link::link.
//
// transmit(frame, now) copies the frame into the network at `now`, into the
// first channel of this port's path. It returns queue_full when that
// channel's queue refuses the frame (the sender's own interface is full, as
// ENOBUFS would say), frame_too_large above the MTU, link_closed when the
// port has no route. Drops further along are silent, as on a real network.
//
// receive(buffer, now) returns the frames that arrived by `now`, in arrival
// order.
//
// Both first run the network up to `now` (network::run_until), so a port is
// correct however its caller interleaves calls with the driver's. A
// transmit at a `now` earlier than the network's time enters at the
// network's time; a receive at such a `now` returns only frames due by it.
//
// next_deadline() is network-wide: the earliest pending event anywhere in
// the network (or the arrival time of a frame already waiting in this
// port). A frame for this port may depend on any event elsewhere (the
// bottleneck it crosses is shared), so no earlier instant is safe to sleep
// until; a stack woken for another port's event finds nothing and waits
// again (a spurious wake-up does nothing).
class port {
public:
    [[nodiscard]] io_result<void> transmit(bytes frame, instant now);
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now);
    [[nodiscard]] std::size_t mtu() const noexcept;
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept;
    [[nodiscard]] int poll_fd() const noexcept { return -1; }

    [[nodiscard]] port_id id() const noexcept { return id_; }
    [[nodiscard]] const port_counters& counters() const noexcept;
    [[nodiscard]] std::size_t pending() const noexcept;  // frames arrived and not yet received

private:
    friend class network;
    port(network& net, port_id id) noexcept : net_{&net}, id_{id} {}
    network* net_;
    port_id id_;
};

class network {
public:
    explicit network(network_config cfg = {}) : cfg_{cfg}, pool_{cfg.mtu} {
        // len·8·10^9 must fit 64 bits when serialising (channel.hpp).
        if (cfg.mtu > (1u << 20)) throw std::invalid_argument("l4::link::sim: mtu above 1 MiB");
    }
    // Ports and channels refer to the network: it stays where it is built.
    network(const network&) = delete;
    network& operator=(const network&) = delete;

    // --- Building -------------------------------------------------------
    // A channel's random streams depend on the seed and its index, the order
    // of add_channel calls: the same building code gives the same network.
    channel_id add_channel(const channel_config& cfg) {
        const auto id = static_cast<channel_id>(channels_.size());
        if (id >= (1u << 30)) throw std::length_error("l4::link::sim: too many channels");
        channels_.emplace_back(id, cfg, cfg_.seed);
        return id;
    }
    port add_port() {
        ports_.emplace_back();
        return port{*this, static_cast<port_id>(ports_.size() - 1)};
    }
    // What `from` transmits crosses `hops` in order, then arrives at `to`.
    void route(const port& from, std::span<const channel_id> hops, const port& to) {
        if (hops.empty() || from.id_ >= ports_.size() || to.id_ >= ports_.size() ||
            std::any_of(hops.begin(), hops.end(), [&](channel_id c) { return c >= channels_.size(); }))
            throw std::invalid_argument("l4::link::sim::network::route: unknown port or channel, or no hop");
        paths_.push_back({{hops.begin(), hops.end()}, to.id_});
        ports_[from.id_].path = static_cast<std::uint32_t>(paths_.size() - 1);
    }

    // --- Driving --------------------------------------------------------
    // The earliest pending event, nullopt when nothing is in flight.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept { return sched_.next_time(); }

    // Runs every event due at or before t, then sets the network's time to t
    // (time never goes back: an earlier t does nothing).
    void run_until(instant t) {
        const std::int64_t limit = ns_of(t);
        while (!sched_.empty() && sched_.top().at <= limit) {
            const event e = sched_.pop();
            now_ = e.at;
            ++events_;
            dispatch(e);
        }
        now_ = std::max(now_, limit);
    }

    [[nodiscard]] instant now() const noexcept { return instant_of(now_); }

    // --- Reading --------------------------------------------------------
    [[nodiscard]] const channel& channel_at(channel_id c) const { return channels_.at(c); }
    [[nodiscard]] std::size_t channel_count() const noexcept { return channels_.size(); }
    [[nodiscard]] std::size_t port_count() const noexcept { return ports_.size(); }
    [[nodiscard]] std::uint64_t events_processed() const noexcept { return events_; }
    [[nodiscard]] const frame_pool& pool() const noexcept { return pool_; }
    [[nodiscard]] const network_config& config() const noexcept { return cfg_; }

private:
    friend class port;
    static constexpr std::uint32_t no_path = std::numeric_limits<std::uint32_t>::max();

    struct path {
        std::vector<channel_id> hops;
        port_id to;
    };
    struct arrival {
        std::int64_t at;
        slot_id slot;
    };
    struct port_state {
        std::uint32_t path = no_path;
        ring<arrival> inbox;
        port_counters counters;
    };

    void dispatch(const event& e) {
        channel& c = channels_[e.target >> 2];
        switch (static_cast<channel_event>(e.target & 3)) {
        case channel_event::tx_done: c.on_tx_done(e.at, sched_, pool_); break;
        case channel_event::pipe_head: forward(c.on_pipe_head(sched_, pool_)); break;
        case channel_event::late_arrival:
            c.on_late_arrival(e.arg, pool_);
            forward(e.arg);
            break;
        }
    }

    // A frame came out of a channel: on to the next hop, or to its port.
    void forward(slot_id s) {
        frame_meta& m = pool_.meta(s);
        const path& p = paths_[m.path];
        if (++m.hop < p.hops.size()) {
            const std::uint32_t len = m.len;  // m may move: accept() can allocate
            channel& next = channels_[p.hops[m.hop]];
            const admission a = next.admit(len, now_, ecn_codepoint({pool_.data(s), len}));
            if (a == admission::refuse) {
                pool_.release(s);
                return;
            }
            if (a == admission::take_marked) mark_ce({pool_.data(s), len});
            next.accept(s, len, now_, sched_, pool_);
            return;
        }
        port_state& to = ports_[p.to];
        if (to.inbox.size() >= cfg_.port_rx_limit) {
            ++to.counters.rx_dropped_full;
            pool_.release(s);
            return;
        }
        to.inbox.push_back({now_, s});
    }

    network_config cfg_;
    frame_pool pool_;
    scheduler sched_;
    std::vector<channel> channels_;
    std::vector<path> paths_;
    std::vector<port_state> ports_;
    std::int64_t now_ = 0;
    std::uint64_t events_ = 0;
};

inline io_result<void> port::transmit(bytes frame, instant now) {
    network& n = *net_;
    n.run_until(now);
    network::port_state& self = n.ports_[id_];
    if (frame.size() > n.cfg_.mtu) {
        ++self.counters.tx_dropped_too_big;
        return errc::frame_too_large;
    }
    if (self.path == network::no_path) return errc::link_closed;
    const auto len = static_cast<std::uint32_t>(frame.size());
    channel& first = n.channels_[n.paths_[self.path].hops.front()];
    const admission a = first.admit(len, n.now_, ecn_codepoint(frame));
    if (a == admission::refuse) {
        ++self.counters.tx_dropped_full;
        return errc::queue_full;
    }
    const slot_id s = n.pool_.allocate();
    std::copy(frame.begin(), frame.end(), n.pool_.data(s));
    if (a == admission::take_marked) mark_ce({n.pool_.data(s), len});
    n.pool_.meta(s) = {len, self.path, 0};
    first.accept(s, len, n.now_, n.sched_, n.pool_);
    ++self.counters.tx_frames;
    self.counters.tx_bytes += len;
    return {};
}

inline io_result<std::size_t> port::receive(mut_bytes buffer, instant now) {
    network& n = *net_;
    n.run_until(now);
    network::port_state& self = n.ports_[id_];
    if (self.inbox.empty() || self.inbox.front().at > ns_of(now)) return errc::would_block;
    const slot_id s = self.inbox.front().slot;
    const std::uint32_t len = n.pool_.meta(s).len;
    if (buffer.size() < len) return errc::buffer_too_small;
    std::copy_n(n.pool_.data(s), len, buffer.data());
    n.pool_.release(s);
    self.inbox.pop_front();
    ++self.counters.rx_frames;
    self.counters.rx_bytes += len;
    return std::size_t{len};
}

inline std::size_t port::mtu() const noexcept { return net_->cfg_.mtu; }

inline std::optional<instant> port::next_deadline() const noexcept {
    const auto& inbox = net_->ports_[id_].inbox;
    if (!inbox.empty()) return instant_of(inbox.front().at);
    return net_->next_deadline();
}

inline const port_counters& port::counters() const noexcept { return net_->ports_[id_].counters; }
inline std::size_t port::pending() const noexcept { return net_->ports_[id_].inbox.size(); }

static_assert(check_link<port>());

}  // namespace l4::link::sim
