// UDP sockets: who is bound where, and each socket's bounded receive queue.
//
// Binding follows the Berkeley rules without SO_REUSEADDR: one socket per
// (address, port), and a wildcard binding (0.0.0.0 or ::) conflicts with
// any binding of the same family on the same port. Port 0 asks for an
// ephemeral port from the dynamic range 49152-65535 (RFC 6335 §6), chosen
// by a counter that starts at a seeded offset (RFC 6056 §3.3.1's simple
// algorithm) and skips ports in use.
//
// Demultiplexing (RFC 1122 §4.1.3.4 leaves it to the host): the exact
// (destination address, port) binding first, then the wildcard of that
// family; a connected socket only takes datagrams from its peer.
#pragma once

#include <l4/core/error.hpp>
#include <l4/core/frame_queue.hpp>
#include <l4/core/ports.hpp>
#include <l4/wire/address.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace l4::udp {

using wire::ip_address;
namespace net { using wire::socket_address; }

struct socket_id {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0;
    friend constexpr bool operator==(socket_id, socket_id) noexcept = default;
};

struct received {
    std::size_t size = 0;  // bytes copied into the caller's buffer
    net::socket_address from;
    bool truncated = false;  // the buffer was shorter than the datagram (the rest is discarded)
};

struct socket_counters {
    std::uint64_t rx_datagrams = 0;
    std::uint64_t rx_dropped_queue_full = 0;
    std::uint64_t rx_dropped_not_peer = 0;  // connected socket, datagram from elsewhere
    std::uint64_t tx_datagrams = 0;
};

struct binding_policy {
    bool reserve_well_known_ports = false;  // then bind() below 1024 needs `privileged`
    bool privileged = false;
};

class socket_table {
public:
    socket_table(std::size_t queue_datagrams, std::size_t max_datagram, binding_policy policy, std::uint64_t seed)
        : queue_datagrams_{queue_datagrams}, max_datagram_{max_datagram}, policy_{policy},
          next_ephemeral_{static_cast<std::uint16_t>(dynamic_first + seed % (dynamic_last - dynamic_first + 1))} {}

    [[nodiscard]] socket_id open() {
        std::uint32_t i = 0;
        while (i < sockets_.size() && sockets_[i].open) ++i;
        if (i == sockets_.size()) sockets_.emplace_back();
        auto& s = sockets_[i];
        s = socket{true, s.generation + 1, std::nullopt, std::nullopt,
                   frame_queue{queue_datagrams_, max_datagram_}, std::vector<net::socket_address>(queue_datagrams_), 0, {}};
        return {i, s.generation};
    }

    [[nodiscard]] result<void> close(socket_id id) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->local) bound_.erase(*s->local);
        s->open = false;
        s->local.reset();
        s->peer.reset();
        return {};
    }

    // `allowed` says whether an address is one of the host's own.
    [[nodiscard]] result<net::socket_address> bind(socket_id id, net::socket_address local, 
                                           const std::function<bool(const ip_address&)>& allowed) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->local) return errc::invalid_argument;  // POSIX: EINVAL when already bound
        if (!local.address.is_unspecified() && !allowed(local.address)) return errc::address_not_available;
        if (local.port != 0 && local.port <= well_known_last && policy_.reserve_well_known_ports && !policy_.privileged)
            return errc::permission_denied;
        if (local.port == 0) {
            auto port = ephemeral_port(local.address);
            if (!port) return port.error();
            local.port = *port;
        } else if (in_use(local)) {
            return errc::address_in_use;
        }
        bound_.emplace(local, id.index);
        s->local = local;
        return local;
    }

    [[nodiscard]] result<void> connect(socket_id id, net::socket_address peer) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (peer.port == 0 || peer.address.is_unspecified()) return errc::invalid_argument;
        s->peer = peer;
        return {};
    }

    // The socket a datagram to `dst` from `src` belongs to, if any.
    [[nodiscard]] std::optional<socket_id> lookup(const net::socket_address& dst) const {
        auto it = bound_.find(dst);
        if (it == bound_.end()) {
            const ip_address any = dst.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
            it = bound_.find(net::socket_address{any, dst.port});
            if (it == bound_.end()) return std::nullopt;
        }
        return socket_id{it->second, sockets_[it->second].generation};
    }

    // Queues a received datagram; false (and counted) if dropped.
    bool deliver(socket_id id, const net::socket_address& from, bytes payload) {
        auto* s = find(id);
        if (!s) return false;
        if (s->peer && *s->peer != from) {
            ++s->counters.rx_dropped_not_peer;
            return false;
        }
        const std::size_t slot = (s->head + s->queue.size()) % queue_datagrams_;
        if (!s->queue.push(payload)) {
            ++s->counters.rx_dropped_queue_full;
            return false;
        }
        s->from[slot] = from;
        ++s->counters.rx_datagrams;
        return true;
    }

    [[nodiscard]] result<received> receive(socket_id id, mut_bytes out) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->queue.empty()) return errc::would_block;
        const bytes d = s->queue.front();
        received r{std::min(d.size(), out.size()), s->from[s->head], d.size() > out.size()};
        std::copy_n(d.begin(), r.size, out.begin());
        s->queue.pop();
        s->head = (s->head + 1) % queue_datagrams_;
        return r;
    }

    [[nodiscard]] bool readable(socket_id id) const {
        const auto* s = find(id);
        return s && !s->queue.empty();
    }
    [[nodiscard]] std::optional<net::socket_address> local(socket_id id) const {
        const auto* s = find(id);
        return s ? s->local : std::nullopt;
    }
    [[nodiscard]] std::optional<net::socket_address> peer(socket_id id) const {
        const auto* s = find(id);
        return s ? s->peer : std::nullopt;
    }
    [[nodiscard]] bool is_open(socket_id id) const { return find(id) != nullptr; }
    [[nodiscard]] const socket_counters* counters(socket_id id) const {
        const auto* s = find(id);
        return s ? &s->counters : nullptr;
    }
    void count_sent(socket_id id) {
        if (auto* s = find(id)) ++s->counters.tx_datagrams;
    }

private:
    struct socket {
        bool open = false;
        std::uint32_t generation = 0;
        std::optional<net::socket_address> local, peer;
        frame_queue queue{0, 0};
        std::vector<net::socket_address> from;  // source of each queued datagram, in step with `queue`
        std::size_t head = 0;
        socket_counters counters;
    };

    struct endpoint_hash {
        std::size_t operator()(const net::socket_address& e) const noexcept {
            std::size_t h = e.port;
            const auto mix = [&](std::uint8_t b) { h = h * 1099511628211u ^ b; };
            if (e.address.is_v4()) for (auto b : e.address.v4().octets) mix(b);
            else for (auto b : e.address.v6().octets) mix(b);
            return h;
        }
    };

    [[nodiscard]] socket* find(socket_id id) {
        return id.index < sockets_.size() && sockets_[id.index].open && sockets_[id.index].generation == id.generation
                   ? &sockets_[id.index]
                   : nullptr;
    }
    [[nodiscard]] const socket* find(socket_id id) const { return const_cast<socket_table*>(this)->find(id); }

    // A wildcard binding conflicts with every binding of its family on the port, and back.
    [[nodiscard]] bool in_use(const net::socket_address& e) const {
        if (bound_.contains(e)) return true;
        const ip_address any = e.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        if (bound_.contains(net::socket_address{any, e.port})) return true;
        if (!e.address.is_unspecified()) return false;
        for (const auto& [b, _] : bound_)
            if (b.port == e.port && b.address.version() == e.address.version()) return true;
        return false;
    }

    [[nodiscard]] result<std::uint16_t> ephemeral_port(const ip_address& addr) {
        constexpr std::uint32_t range = dynamic_last - dynamic_first + 1;
        for (std::uint32_t tried = 0; tried < range; ++tried) {
            const std::uint16_t p = next_ephemeral_;
            next_ephemeral_ = p == dynamic_last ? dynamic_first : static_cast<std::uint16_t>(p + 1);
            if (!in_use(net::socket_address{addr, p})) return p;
        }
        return errc::no_ports_available;
    }

    std::size_t queue_datagrams_, max_datagram_;
    binding_policy policy_;
    std::uint16_t next_ephemeral_;
    std::vector<socket> sockets_;
    boost::unordered_flat_map<net::socket_address, std::uint32_t, endpoint_hash> bound_;
};

}  // namespace l4::udp
