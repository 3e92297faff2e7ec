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
// frame carries where it is on its path (pool.hpp's frame_meta: a step of
// the network's table of paths); at the end of each channel it moves to the
// next, through that channel's queue, or into the destination port's inbox.
// The topologies (topology.hpp) set these paths for you.
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
#include <deque>
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

namespace detail {

inline constexpr std::uint32_t no_path = std::numeric_limits<std::uint32_t>::max();
inline constexpr slot_id no_slot = std::numeric_limits<slot_id>::max();

struct arrival {
    std::int64_t at;
    slot_id slot;
};

// What the network keeps for a port. The port holds a pointer to it, which
// adding ports never moves (network::ports_ is a deque): each port call
// reads its state through one load, not through the network's vector.
struct port_state {
    std::uint32_t path = no_path;   // its path's first step (network::steps_)
    channel_id first_hop = 0;       // its path's, read at every transmit
    bool first_fed_inside = false;  // fed_inside_ of first_hop, kept by route()
    slot_id lent = no_slot;  // transmit_buffer()'s slot, until transmit_built() sends it
    bool own_arrivals = false;  // the network's port_deadlines, copied: next_deadline() reads this state only
    ring<arrival> inbox;
    port_counters counters;
};

}  // namespace detail

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
// Lending (link/concept.hpp, optional): transmit_buffer() lends a pool
// slot that the stack builds its frame in, and transmit_built(len, now)
// sends it as transmit() would have sent a copy; receive_lent(now) shows the
// next frame in its slot, and release_received() frees the slot. A frame
// then crosses the network with no copy at either end. transmit_buffer()
// lends only when the first channel is sure to take any frame up to the MTU
// at any `now` (drop tail or step marking with room, or no queue, on a
// channel no other path feeds); else it lends nothing and the stack takes
// the copying way, where a refused frame waits in the stack: a lent frame
// never meets a refusal that a copied one would have met.
//
// next_deadline() is network-wide: the earliest pending event anywhere in
// the network (or the arrival time of a frame already waiting in this
// port). A frame for this port may depend on any event elsewhere (the
// bottleneck it crosses is shared), so no earlier instant is safe to sleep
// until; a stack woken for another port's event finds nothing and waits
// again (a spurious wake-up does nothing). Under a driver that runs the
// network itself (sim/drive.hpp, network::port_deadlines) it is only the
// latter: that driver wakes the stack when a frame arrives.
class port {
public:
    [[nodiscard]] io_result<void> transmit(bytes frame, instant now);
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now);
    [[nodiscard]] std::size_t mtu() const noexcept;
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept;
    [[nodiscard]] int poll_fd() const noexcept { return -1; }

    [[nodiscard]] mut_bytes transmit_buffer();
    [[nodiscard]] io_result<void> transmit_built(std::size_t len, instant now);
    [[nodiscard]] std::optional<bytes> receive_lent(instant now);
    void release_received() noexcept;

    [[nodiscard]] port_id id() const noexcept { return id_; }
    [[nodiscard]] const port_counters& counters() const noexcept;
    [[nodiscard]] std::size_t pending() const noexcept;  // frames arrived and not yet received

private:
    friend class network;
    port(network& net, detail::port_state& self, port_id id) noexcept : net_{&net}, self_{&self}, id_{id} {}
    network* net_;
    detail::port_state* self_;
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
        room_wake_.push_back(no_wake);
        return id;
    }
    port add_port() {
        port_state& ps = ports_.emplace_back();
        ps.own_arrivals = port_deadlines_ == port_deadlines::own_arrivals;
        return port{*this, ps, static_cast<port_id>(ports_.size() - 1)};
    }
    // What `from` transmits crosses `hops` in order, then arrives at `to`.
    void route(const port& from, std::span<const channel_id> hops, const port& to) {
        if (hops.empty() || from.id_ >= ports_.size() || to.id_ >= ports_.size() ||
            std::any_of(hops.begin(), hops.end(), [&](channel_id c) { return c >= channels_.size(); }))
            throw std::invalid_argument("l4::link::sim::network::route: unknown port or channel, or no hop");
        if (steps_.size() + hops.size() + 1 > no_path)
            throw std::length_error("l4::link::sim::network::route: too many hops in all");
        const auto first = static_cast<std::uint32_t>(steps_.size());
        for (const channel_id c : hops) steps_.push_back({c, nullptr});
        steps_.push_back({0, to.self_});
        // A channel met after the first hop is fed from inside the network:
        // events may fill its queue while a port holds a lent slot.
        fed_inside_.resize(channels_.size());
        for (std::size_t i = 1; i < hops.size(); ++i) fed_inside_[hops[i]] = true;
        port_state& sender = ports_[from.id_];
        sender.path = first;
        sender.first_hop = hops.front();
        for (port_state& ps : ports_)
            if (ps.path != no_path) ps.first_fed_inside = fed_inside_[ps.first_hop];
    }

    // --- Driving --------------------------------------------------------
    // The earliest pending event, nullopt when nothing is in flight.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept { return sched_.next_time(); }

    // Runs every event due at or before t, then sets the network's time to t
    // (time never goes back: an earlier t does nothing).
    void run_until(instant t) {
        const std::int64_t limit = ns_of(t);
        if (sched_.next_at() <= limit) run_due(limit);
        now_ = std::max(now_, limit);
    }

    // Runs the events due by `limit` until one brings a frame into a port
    // (its inbox), and returns that event's time; when none does, runs them
    // all and returns nullopt (the network's time is then its last event's,
    // not `limit`). Other events at the arrival's instant stay pending: the
    // next port call at that time runs them first, as run_until() does. For
    // a driver that wakes a host only when a frame arrives for it
    // (sim/drive.hpp).
    [[gnu::hot]] std::optional<instant> run_until_arrival(instant limit) {
        const std::int64_t lim = ns_of(limit);
        arrived_ = false;
        while (sched_.next_at() <= lim && !sched_.empty()) {
            const event e = sched_.top();
            now_ = e.at;
            ++events_;
            dispatch(e);
            if (arrived_) return instant_of(now_);
        }
        return std::nullopt;
    }

    // What a port's next_deadline() reports: the network's next event
    // (network_wide: a stack driven on its own sleeps until then), or only
    // its own arrivals (own_arrivals: set by a driver that runs the network
    // itself between host wake-ups, sim/drive.hpp).
    enum class port_deadlines : std::uint8_t { network_wide, own_arrivals };
    // Written into every port's state (a driver sets it twice a call).
    void set_port_deadlines(port_deadlines d) noexcept {
        port_deadlines_ = d;
        for (port_state& ps : ports_) ps.own_arrivals = d == port_deadlines::own_arrivals;
    }
    [[nodiscard]] port_deadlines port_deadline_mode() const noexcept { return port_deadlines_; }

    [[nodiscard]] instant now() const noexcept { return instant_of(now_); }

    // --- Reading --------------------------------------------------------
    // The channel, its queue as it stands at the network's time.
    [[nodiscard]] const channel& channel_at(channel_id c) const {
        const channel& ch = channels_.at(c);
        (void)ch.catch_up(now_);
        return ch;
    }
    [[nodiscard]] std::size_t channel_count() const noexcept { return channels_.size(); }
    [[nodiscard]] std::size_t port_count() const noexcept { return ports_.size(); }
    [[nodiscard]] std::uint64_t events_processed() const noexcept { return events_; }
    [[nodiscard]] const frame_pool& pool() const noexcept { return pool_; }
    [[nodiscard]] const network_config& config() const noexcept { return cfg_; }

private:
    friend class port;
    using port_state = detail::port_state;
    static constexpr std::uint32_t no_path = detail::no_path;
    static constexpr slot_id no_slot = detail::no_slot;

    // The paths, one after another: a frame at step i crosses channel
    // `channel`, then goes on to step i + 1; the step after a path's last
    // channel has `to`, its destination. One load a hop finds the next.
    struct step {
        channel_id channel;
        port_state* to;  // null but at a path's end
    };
    static constexpr std::int64_t no_wake = -1;

    // run_until()'s events. Out of line: most port calls find none due,
    // and then run_until() is a comparison in its caller (none due, or a
    // limit of the largest time).
    [[gnu::noinline]] void run_due(std::int64_t limit) {
        while (sched_.next_at() <= limit && !sched_.empty()) {
            const event e = sched_.top();
            now_ = e.at;
            ++events_;
            dispatch(e);
        }
    }

    // The scheduler's top event, e: out of the heap first (a pipe's head
    // event makes way for the next head's in one sift), then handled.
    // Inlined into both event loops: out of line, every event paid for six
    // registers saved and restored.
    [[gnu::always_inline]] void dispatch(const event& e) {
        const channel_id id = e.target >> 2;
        channel& c = channels_[id];
        switch (static_cast<channel_event>(e.target & 3)) {
        case channel_event::room:
            (void)sched_.pop();
            room_wake_[id] = no_wake;
            break;
        case channel_event::pipe_head: forward(c.on_pipe_head(sched_, pool_)); break;
        case channel_event::late_arrival:
            (void)sched_.pop();
            c.on_late_arrival(e.arg, pool_);
            forward(e.arg);
            break;
        }
    }

    // A frame came out of a channel: on through the next hops, or into its
    // port. It goes on at once through transparent channels.
    [[gnu::hot]] void forward(slot_id s) {
        const frame_meta m = pool_.meta(s);
        std::uint32_t i = m.step + 1;
        for (; steps_[i].to == nullptr; ++i) {
            pool_.meta(s).step = i;
            if (channel& next = channels_[steps_[i].channel]; next.transparent()) next.pass_through(m.len);
            else return enter(next, s);
        }
        port_state& to = *steps_[i].to;
        if (to.inbox.size() >= cfg_.port_rx_limit) {
            ++to.counters.rx_dropped_full;
            pool_.release(s);
            return;
        }
        to.inbox.push_back({now_, s});
        arrived_ = true;
    }

    // The frame in slot s offered to channel `next`, not transparent, from
    // inside the network: refused (dropped) or taken. Out of line, called
    // last: a frame that goes into its port pays for none of the registers
    // the channel's work takes.
    [[gnu::noinline]] void enter(channel& next, slot_id s) {
        const std::uint32_t len = pool_.meta(s).len;
        const admission a = next.admit(len, now_, next.reads_ecn() ? ecn_codepoint({pool_.data(s), len}) : 0);
        if (a == admission::refuse) {
            pool_.release(s);
            return;
        }
        if (a == admission::take_marked) mark_ce({pool_.data(s), len});
        (void)next.accept(s, len, now_, sched_, pool_);
    }

    // A port's frame was refused by its first channel: an event when the
    // queue next has room, so that a driver wakes its host to try again
    // (one per instant).
    void wake_when_room(channel_id c) {
        const auto t = channels_[c].next_departure();
        if (!t || room_wake_[c] == *t) return;
        room_wake_[c] = *t;
        sched_.push(*t, event_target(c, channel_event::room), 0);
    }

    network_config cfg_;
    frame_pool pool_;
    scheduler sched_;
    std::vector<channel> channels_;
    std::vector<step> steps_;
    std::vector<bool> fed_inside_;  // per channel: on some path after its first hop
    std::deque<port_state> ports_;  // never moved: ports point at their state
    std::vector<std::int64_t> room_wake_;  // per channel: the room event pending, or no_wake
    std::int64_t now_ = 0;
    std::uint64_t events_ = 0;
    bool arrived_ = false;  // a frame reached a port's inbox (run_until_arrival)
    port_deadlines port_deadlines_ = port_deadlines::network_wide;
};

inline io_result<void> port::transmit(bytes frame, instant now) {
    network& n = *net_;
    n.run_until(now);
    network::port_state& self = *self_;
    if (frame.size() > n.cfg_.mtu) {
        ++self.counters.tx_dropped_too_big;
        return errc::frame_too_large;
    }
    if (self.path == network::no_path) return errc::link_closed;
    const auto len = static_cast<std::uint32_t>(frame.size());
    const channel_id c = self.first_hop;
    channel& first = n.channels_[c];
    const admission a = first.admit(len, n.now_, first.reads_ecn() ? ecn_codepoint(frame) : 0);
    if (a == admission::refuse) {
        ++self.counters.tx_dropped_full;
        n.wake_when_room(c);
        return errc::queue_full;
    }
    const slot_id s = n.pool_.allocate();
    std::copy(frame.begin(), frame.end(), n.pool_.data(s));
    if (a == admission::take_marked) mark_ce({n.pool_.data(s), len});
    n.pool_.meta(s) = {len, self.path};
    ++self.counters.tx_frames;
    self.counters.tx_bytes += len;
    if (first.accept(s, len, n.now_, n.sched_, n.pool_)) n.forward(s);
    return {};
}

inline io_result<std::size_t> port::receive(mut_bytes buffer, instant now) {
    network& n = *net_;
    n.run_until(now);
    network::port_state& self = *self_;
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

[[gnu::hot]] inline mut_bytes port::transmit_buffer() {
    network& n = *net_;
    network::port_state& self = *self_;
    if (self.path == network::no_path) return {};
    if (self.first_fed_inside || !n.channels_[self.first_hop].surely_admits(n.cfg_.mtu, n.now_)) return {};
    if (self.lent == network::no_slot) self.lent = n.pool_.allocate();
    return {n.pool_.data(self.lent), n.cfg_.mtu};
}

[[gnu::hot]] inline io_result<void> port::transmit_built(std::size_t len, instant now) {
    network& n = *net_;
    n.run_until(now);
    network::port_state& self = *self_;
    if (self.lent == network::no_slot) return errc::invalid_argument;  // nothing was lent
    if (len > n.cfg_.mtu) {
        ++self.counters.tx_dropped_too_big;
        return errc::frame_too_large;
    }
    const auto l = static_cast<std::uint32_t>(len);
    const slot_id s = self.lent;
    const channel_id c = self.first_hop;
    // Sure to be taken (transmit_buffer() checked); asked all the same, to
    // count it and to learn whether to mark it.
    channel& first = n.channels_[c];
    const admission a = first.admit(l, n.now_, first.reads_ecn() ? ecn_codepoint({n.pool_.data(s), l}) : 0);
    if (a == admission::refuse) {
        ++self.counters.tx_dropped_full;
        n.wake_when_room(c);
        return errc::queue_full;
    }
    self.lent = network::no_slot;
    if (a == admission::take_marked) mark_ce({n.pool_.data(s), l});
    n.pool_.meta(s) = {l, self.path};
    ++self.counters.tx_frames;
    self.counters.tx_bytes += l;
    if (first.accept(s, l, n.now_, n.sched_, n.pool_)) n.forward(s);
    return {};
}

inline std::optional<bytes> port::receive_lent(instant now) {
    network& n = *net_;
    n.run_until(now);
    const network::port_state& self = *self_;
    if (self.inbox.empty() || self.inbox.front().at > ns_of(now)) return std::nullopt;
    const slot_id s = self.inbox.front().slot;
    return bytes{n.pool_.data(s), n.pool_.meta(s).len};
}

inline void port::release_received() noexcept {
    network& n = *net_;
    network::port_state& self = *self_;
    if (self.inbox.empty()) return;
    const slot_id s = self.inbox.pop_front().slot;
    ++self.counters.rx_frames;
    self.counters.rx_bytes += n.pool_.meta(s).len;
    n.pool_.release(s);
}

inline std::size_t port::mtu() const noexcept { return net_->cfg_.mtu; }

inline std::optional<instant> port::next_deadline() const noexcept {
    const network::port_state& self = *self_;
    if (!self.inbox.empty()) return instant_of(self.inbox.front().at);
    if (self.own_arrivals) return std::nullopt;
    return net_->next_deadline();
}

inline const port_counters& port::counters() const noexcept { return self_->counters; }
inline std::size_t port::pending() const noexcept { return self_->inbox.size(); }

static_assert(check_link<port>());
static_assert(lends_transmit<port> && lends_receive<port>);

}  // namespace l4::link::sim
