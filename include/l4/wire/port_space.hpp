// One transport's port space: which (address, port) pairs are bound, the
// Berkeley conflict rules, and ephemeral ports. UDP and TCP each own one
// (the same port number may be used by both at once).
//
// Binding follows the rules without SO_REUSEADDR: one binding per (address,
// port), and a wildcard binding (0.0.0.0 or ::) conflicts with any binding
// of the same family on the same port, and back. Port 0 asks for an
// ephemeral port from the dynamic range 49152-65535 (RFC 6335 §6), chosen by
// RFC 6056 algorithm 3: a keyed hash of the flow picks where the search
// starts, so a peer cannot predict the ports of other peers' flows. The
// tables hash with the same key, so chosen addresses cannot flood a bucket.
#pragma once

#include <l4/core/error.hpp>
#include <l4/core/keyed_hash.hpp>
#include <l4/core/ports.hpp>
#include <l4/wire/address.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>

namespace l4::wire {

// A socket_address hashed with a secret key (RFC 6056 §3.3.3's F()).
struct keyed_address_hash {
    siphash_key key{};
    std::size_t operator()(const socket_address& e) const noexcept {
        std::uint8_t b[max_key_bytes];
        return static_cast<std::size_t>(siphash24(key, {b, key_bytes(e, b)}));
    }
};

class port_space {
public:
    // Rekeys the tables and the ephemeral choice; only while nothing is bound.
    void set_secret(const siphash_key& key) {
        key_ = key;
        bound_ = counts(0, keyed_address_hash{key});
    }

    // Takes `local` (port 0: an ephemeral port for a flow to `remote`, when
    // known). Errors: address_in_use, no_ports_available.
    [[nodiscard]] result<socket_address> bind(socket_address local, const socket_address& remote = {}) {
        if (local.port == 0) {
            auto port = ephemeral_port(local.address, remote);
            if (!port) return port.error();
            local.port = *port;
        } else if (in_use(local)) {
            return errc::address_in_use;
        }
        ++bound_[local];
        ++port_users_[family_port(local)];
        return local;
    }

    void release(const socket_address& e) {
        if (auto it = bound_.find(e); it != bound_.end() && --it->second == 0) bound_.erase(it);
        if (auto it = port_users_.find(family_port(e)); it != port_users_.end() && --it->second == 0)
            port_users_.erase(it);
    }

    // A wildcard binding conflicts with every binding of its family on the port, and back.
    [[nodiscard]] bool in_use(const socket_address& e) const {
        if (e.address.is_unspecified()) return port_users_.contains(family_port(e));
        const ip_address any = e.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        return bound_.contains(e) || bound_.contains(socket_address{any, e.port});
    }

private:
    using counts = boost::unordered_flat_map<socket_address, std::uint32_t, keyed_address_hash>;

    [[nodiscard]] static std::uint32_t family_port(const socket_address& e) noexcept {
        return static_cast<std::uint32_t>(e.address.version()) << 16 | e.port;
    }

    // RFC 6056 §3.3.3, algorithm 3: port = min + (F(local, remote, secret) + next_ephemeral) % range.
    [[nodiscard]] result<std::uint16_t> ephemeral_port(const ip_address& local, const socket_address& remote) {
        constexpr std::uint32_t range = dynamic_last - dynamic_first + 1;
        siphash24_hasher h{key_};
        hash_append(h, local);
        hash_append(h, remote);
        const std::uint64_t offset = h.finish();
        for (std::uint32_t tried = 0; tried < range; ++tried) {
            const auto p = static_cast<std::uint16_t>(dynamic_first + (offset + next_ephemeral_++) % range);
            if (!in_use(socket_address{local, p})) return p;
        }
        return errc::no_ports_available;
    }

    siphash_key key_{};
    std::uint64_t next_ephemeral_ = 0;
    counts bound_{0, keyed_address_hash{}};
    boost::unordered_flat_map<std::uint32_t, std::uint32_t> port_users_;  // bindings per (family, port)
};

}  // namespace l4::wire
