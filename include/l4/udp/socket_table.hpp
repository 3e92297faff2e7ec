// UDP's sockets: who is bound where, and each socket's bounded receive queue.
// The binding rules and ephemeral ports are wire/port_space.hpp's.
//
// Demultiplexing (RFC 1122 §4.1.3.4 leaves it to the host): the exact
// (destination address, port) binding first, then the wildcard of that
// family; a connected socket only takes datagrams from its peer. The table
// hashes with the stack's secret, so chosen addresses cannot flood a bucket.
//
// Sockets live in a slab with a free list: open and close are O(1), and a
// slot's receive queue, allocated at its first datagram, is kept for the
// next socket that reuses the slot.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/frame_queue.hpp>
#include <l4/core/keyed_hash.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/shared_callable.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/port_space.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace l4::udp {

using wire::ip_address;
using wire::socket_address;

// Receiving as datagrams arrive, lwIP's udp_recv: h(payload, from) gets each
// datagram that finds its socket's queue empty, where it lies in the frame,
// during poll(); true if it took it, false to leave it to the queue (and
// recvfrom) as if there were no handler. It may own what cannot be copied
// (core/shared_callable.hpp).
using recv_handler = callback<bool(bytes, const socket_address&)>;

struct config {
    std::size_t queue_datagrams = 64;  // per socket; beyond it datagrams are dropped and counted
    bool reserve_well_known_ports = false;  // then bind() below 1024 needs `privileged`
    bool privileged = false;

    [[nodiscard]] result<void> check() const noexcept {
        if (queue_datagrams == 0) return errc::invalid_argument;  // a socket that can never receive
        return {};
    }
};

struct socket_counters {
    std::uint64_t rx_datagrams = 0;
    std::uint64_t rx_dropped_queue_full = 0;
    std::uint64_t rx_dropped_not_peer = 0;  // connected socket, datagram from elsewhere
    std::uint64_t tx_datagrams = 0;
};

class socket_table {
public:
    explicit socket_table(config cfg = {}) : cfg_{cfg} {}

    [[nodiscard]] const config& configuration() const noexcept { return cfg_; }

    // Rekeys the hash of bindings and ephemeral ports; only while nothing is bound.
    void set_secret(const siphash_key& key) {
        ports_.set_secret(key);
        bound_ = bindings(0, wire::keyed_address_hash{key});
    }

    // Errors: invalid_argument (the configuration cannot work; see config::check).
    [[nodiscard]] result<std::uint32_t> open() {
        if (auto ok = cfg_.check(); !ok) return ok.error();
        std::uint32_t i;
        if (!free_.empty()) {
            i = free_.back();
            free_.pop_back();
        } else {
            i = static_cast<std::uint32_t>(sockets_.size());
            sockets_.emplace_back();
        }
        auto& s = sockets_[i];
        s.open = true;
        s.local.reset();
        s.peer.reset();
        s.pending_error = errc::ok;
        s.counters = {};
        s.handler = nullptr;
        if (s.queue) s.queue->clear();
        s.head = 0;
        return i;
    }

    [[nodiscard]] result<void> close(std::uint32_t id) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->local) {
            bound_.erase(*s->local);
            ports_.release(*s->local);
        }
        s->open = false;
        s->handler = nullptr;  // what it holds goes now, not when the slot is reused
        free_.push_back(id);
        return {};
    }

    // `allowed` says whether an address is one of the host's own; `remote`
    // is the peer the binding is for, when known (RFC 6056 keys the port on it).
    template <class Allowed>
    [[nodiscard]] result<socket_address> bind(std::uint32_t id, socket_address local, Allowed&& allowed,
                                              const socket_address& remote = {}) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->local) return errc::invalid_argument;  // POSIX: EINVAL when already bound
        if (!local.address.is_unspecified() && !allowed(local.address)) return errc::address_not_available;
        if (local.port != 0 && local.port <= well_known_last && cfg_.reserve_well_known_ports && !cfg_.privileged)
            return errc::permission_denied;
        auto bound = ports_.bind(local, remote);
        if (!bound) return bound.error();
        bound_.emplace(*bound, id);
        s->local = *bound;
        return *bound;
    }

    [[nodiscard]] result<void> connect(std::uint32_t id, const socket_address& peer) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        s->peer = peer;
        return {};
    }

    // The socket a datagram to `dst` belongs to, if any.
    [[nodiscard]] std::optional<std::uint32_t> lookup(const socket_address& dst) const {
        auto it = bound_.find(dst);
        if (it == bound_.end()) {
            const ip_address any = dst.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
            it = bound_.find(socket_address{any, dst.port});
            if (it == bound_.end()) return std::nullopt;
        }
        return it->second;
    }

    enum class delivery { handled, queued, queue_full, not_from_peer };

    // Hands a received datagram of at most `max_datagram` bytes to the
    // socket's handler (when its queue is empty: the order is kept), or
    // queues it.
    delivery deliver(std::uint32_t id, const socket_address& from, bytes payload, std::size_t max_datagram) {
        auto& s = sockets_[id];
        if (s.peer && *s.peer != from) {
            ++s.counters.rx_dropped_not_peer;
            return delivery::not_from_peer;
        }
        if (s.handler && (!s.queue || s.queue->empty()) && s.handler(payload, from)) {
            ++s.counters.rx_datagrams;
            return delivery::handled;
        }
        if (!s.queue || s.queue->slot_size() < payload.size()) {
            s.queue.emplace(cfg_.queue_datagrams, std::max(max_datagram, payload.size()));
            s.from.assign(cfg_.queue_datagrams, socket_address{});
            s.head = 0;
        }
        const std::size_t slot = (s.head + s.queue->size()) % s.queue->capacity();
        if (!s.queue->push(payload)) {
            ++s.counters.rx_dropped_queue_full;
            return delivery::queue_full;
        }
        s.from[slot] = from;
        ++s.counters.rx_datagrams;
        return delivery::queued;
    }

    // An empty handler stops it. Errors: bad_socket.
    [[nodiscard]] result<void> set_recv_handler(std::uint32_t id, recv_handler h) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        s->handler = std::move(h);
        return {};
    }

    // The next datagram; a reported error (ICMP) comes first, once.
    [[nodiscard]] result<wire::received> receive(std::uint32_t id, mut_bytes out) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (auto e = take_error(*s); e != errc::ok) return e;
        if (!s->queue || s->queue->empty()) return errc::would_block;
        const bytes d = s->queue->front();
        wire::received r{std::min(d.size(), out.size()), s->from[s->head], d.size() > out.size()};
        std::copy_n(d.begin(), r.size, out.begin());
        s->queue->pop();
        s->head = (s->head + 1) % s->queue->capacity();
        return r;
    }

    // Linux reports an ICMP error to a connected socket on its next call (ip(7), IP_RECVERR off).
    void report_error(const socket_address& local, const socket_address& remote, errc e) {
        auto id = lookup(local);
        if (!id) return;
        auto& s = sockets_[*id];
        if (s.peer && *s.peer == remote) s.pending_error = e;
    }
    [[nodiscard]] errc take_error(std::uint32_t id) {
        auto* s = find(id);
        return s ? take_error(*s) : errc::bad_socket;
    }

    [[nodiscard]] bool readable(std::uint32_t id) const {
        const auto* s = find(id);
        return s && ((s->queue && !s->queue->empty()) || s->pending_error != errc::ok);
    }
    [[nodiscard]] std::optional<socket_address> local(std::uint32_t id) const {
        const auto* s = find(id);
        return s ? s->local : std::nullopt;
    }
    [[nodiscard]] std::optional<socket_address> peer(std::uint32_t id) const {
        const auto* s = find(id);
        return s ? s->peer : std::nullopt;
    }
    [[nodiscard]] std::size_t queued(std::uint32_t id) const {
        const auto* s = find(id);
        return s && s->queue ? s->queue->bytes_queued() : 0;
    }
    [[nodiscard]] bool is_open(std::uint32_t id) const { return find(id) != nullptr; }
    [[nodiscard]] const socket_counters* counters(std::uint32_t id) const {
        const auto* s = find(id);
        return s ? &s->counters : nullptr;
    }
    void count_sent(std::uint32_t id) {
        if (auto* s = find(id)) ++s->counters.tx_datagrams;
    }

private:
    struct socket {
        bool open = false;
        std::optional<socket_address> local, peer;
        std::optional<frame_queue> queue;  // allocated at the first datagram, kept across reuse
        std::vector<socket_address> from;  // source of each queued datagram, in step with `queue`
        std::size_t head = 0;
        errc pending_error = errc::ok;
        socket_counters counters;
        recv_handler handler;
    };
    using bindings = boost::unordered_flat_map<socket_address, std::uint32_t, wire::keyed_address_hash>;

    [[nodiscard]] static errc take_error(socket& s) noexcept { return std::exchange(s.pending_error, errc::ok); }

    [[nodiscard]] socket* find(std::uint32_t id) {
        return id < sockets_.size() && sockets_[id].open ? &sockets_[id] : nullptr;
    }
    [[nodiscard]] const socket* find(std::uint32_t id) const { return const_cast<socket_table*>(this)->find(id); }

    config cfg_;
    std::vector<socket> sockets_;
    std::vector<std::uint32_t> free_;
    wire::port_space ports_;
    bindings bound_{0, wire::keyed_address_hash{}};  // for demultiplexing: binding to socket
};

}  // namespace l4::udp
