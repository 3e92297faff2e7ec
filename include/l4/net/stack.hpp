// A host: one link, its IP addresses, and the sockets on top. The stack owns
// the link, frames IP, and demultiplexes received datagrams by protocol and
// (address, port) to sockets. UDP today; TCP plugs in beside it, and the same
// port number can be used by both at once since each protocol has its own
// table.
//
// How to drive it: call poll(now) whenever the link may have something (its
// poll_fd() became readable, or its next_deadline() passed); the socket
// calls (sendto, recvfrom, ...) never block. net/drive.hpp has the blocking
// conveniences that loop on poll() until data or a deadline.
//
//     l4::net::stack host{std::move(link), {.addresses = {*l4::net::ip_address::from_string("192.0.2.2")}}};
//     auto s = host.socket();
//     host.bind(s, {l4::net::ip_address::any_v4(), 50000});
//     host.poll(now);
//     auto r = host.recvfrom(s, buffer);
#pragma once

#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/link/concept.hpp>
#include <l4/wire/address.hpp>
#include <l4/net/ip.hpp>
#include <l4/udp/endpoint.hpp>
#include <l4/udp/socket_table.hpp>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace l4::net {

struct stack_config {
    std::vector<ip_address> addresses{};
    std::uint8_t ttl = 64;
    std::size_t udp_queue_datagrams = 64;  // per socket; beyond it datagrams are dropped and counted
    bool reserve_well_known_ports = false;  // bind() below 1024 then needs `privileged`
    bool privileged = false;
    std::uint64_t seed = 0;  // where the ephemeral port counter starts
};

// Why received UDP datagrams were dropped, one counter per reason.
struct udp_counters {
    std::uint64_t rx_delivered = 0;
    std::uint64_t rx_bad_checksum = 0;
    std::uint64_t rx_bad_length = 0;  // truncated or length field inconsistent
    std::uint64_t rx_no_socket = 0;   // nobody bound to the port (no ICMP is sent)
    std::uint64_t rx_dropped = 0;     // a socket's queue was full, or it is connected elsewhere
    std::uint64_t tx_sent = 0;
};

template <link::link Link, class Udp = udp::endpoint<>>
class stack {
public:
    using udp_endpoint = Udp;
    using socket_id = udp::socket_id;
    using received = udp::received;

    stack(Link link, stack_config cfg)
        : link_{std::move(link)}, ip_{{cfg.addresses, cfg.ttl}},
          udp_{cfg.udp_queue_datagrams, max_udp_payload_any(), {cfg.reserve_well_known_ports, cfg.privileged}, cfg.seed},
          rx_buffer_(link_.mtu()), tx_buffer_(link_.mtu()) {}

    // --- socket verbs ---------------------------------------------------

    [[nodiscard]] socket_id socket() { return udp_.open(); }

    [[nodiscard]] io_result<socket_address> bind(socket_id s, socket_address local) {
        return udp_.bind(s, local, [this](const ip_address& a) { return ip_.is_local(a); });
    }

    [[nodiscard]] io_result<void> connect(socket_id s, socket_address peer) {
        if (!udp_.is_open(s)) return errc::bad_socket;
        if (auto r = ensure_bound(s, peer.address); !r) return r.error();
        return udp_.connect(s, peer);
    }

    [[nodiscard]] io_result<void> close(socket_id s) { return udp_.close(s); }

    // Sends one datagram. Errors: bad_socket, invalid_argument (port 0),
    // message_too_long (over the MTU: no fragmentation), no_route, and the
    // link's queue_full.
    [[nodiscard]] io_result<std::size_t> sendto(socket_id s, bytes payload, socket_address to, instant now) {
        if (!udp_.is_open(s)) return errc::bad_socket;
        if (to.port == 0 || to.address.is_unspecified()) return errc::invalid_argument;
        if (payload.size() > max_udp_payload(to.address)) return errc::message_too_long;
        auto local = ensure_bound(s, to.address);
        if (!local) return local.error();
        ip_address src = local->address;
        if (src.is_unspecified()) {
            auto chosen = ip_.source_for(to.address);
            if (!chosen) return chosen.error();
            src = *chosen;
        }
        if (src.version() != to.address.version()) return errc::no_route;
        const std::size_t ip_len = ip_layer::header_len(to.address);
        const std::size_t udp_len = Udp::header_len + payload.size();
        const auto pseudo = ip_layer::pseudo(src, to.address, Udp::ip_protocol, udp_len);
        const mut_bytes frame{tx_buffer_};
        auto n = Udp::emit(frame.subspan(ip_len), local->port, to.port, payload, pseudo.bytes());
        if (!n) return n.error();
        if (auto h = ip_.emit_header(frame, src, to.address, Udp::ip_protocol, *n); !h) return h.error();
        if (auto t = link_.transmit(frame.first(ip_len + *n), now); !t) return t.error();
        udp_.count_sent(s);
        ++counters_.tx_sent;
        return payload.size();
    }

    [[nodiscard]] io_result<std::size_t> send(socket_id s, bytes payload, instant now) {
        auto peer = udp_.peer(s);
        if (!udp_.is_open(s)) return errc::bad_socket;
        if (!peer) return errc::not_connected;
        return sendto(s, payload, *peer, now);
    }

    // The next queued datagram; would_block if none. A buffer shorter than
    // the datagram gets its first bytes and `truncated` (the rest is gone,
    // as with recvfrom(2)).
    [[nodiscard]] io_result<received> recvfrom(socket_id s, mut_bytes buffer) { return udp_.receive(s, buffer); }

    [[nodiscard]] io_result<std::size_t> recv(socket_id s, mut_bytes buffer) {
        if (!udp_.is_open(s)) return errc::bad_socket;
        if (!udp_.peer(s)) return errc::not_connected;
        auto r = udp_.receive(s, buffer);
        if (!r) return r.error();
        return r->size;
    }

    [[nodiscard]] bool readable(socket_id s) const { return udp_.readable(s); }
    [[nodiscard]] std::optional<socket_address> local_endpoint(socket_id s) const { return udp_.local(s); }
    [[nodiscard]] const udp::socket_counters* socket_counters(socket_id s) const { return udp_.counters(s); }

    // The largest payload one datagram to `to` can carry over this link.
    [[nodiscard]] std::size_t max_udp_payload(const ip_address& to) const noexcept {
        const std::size_t overhead = ip_layer::header_len(to) + Udp::header_len;
        return link_.mtu() > overhead ? link_.mtu() - overhead : 0;
    }

    // --- driving --------------------------------------------------------

    // Takes every frame the link has due by `now` and delivers it. Returns
    // the number of frames taken.
    std::size_t poll(instant now) {
        std::size_t frames = 0;
        while (true) {
            auto n = link_.receive(rx_buffer_, now);
            if (!n) break;
            ++frames;
            input(bytes{rx_buffer_}.first(*n));
        }
        return frames;
    }

    [[nodiscard]] std::optional<instant> next_deadline() const { return link_.next_deadline(); }
    [[nodiscard]] int poll_fd() const { return link_.poll_fd(); }

    [[nodiscard]] const ip_counters& ip_stats() const noexcept { return ip_.counters(); }
    [[nodiscard]] const udp_counters& udp_stats() const noexcept { return counters_; }
    [[nodiscard]] Link& link() noexcept { return link_; }
    [[nodiscard]] const std::vector<ip_address>& addresses() const noexcept { return ip_.addresses(); }

private:
    void input(bytes frame) {
        auto p = ip_.accept(frame);
        if (!p) return;
        if (p->protocol != Udp::ip_protocol) {
            ip_.count_unknown_protocol();
            return;
        }
        auto d = Udp::parse(p->transport, p->pseudo.bytes(), p->version());
        if (!d) {
            if (d.error() == errc::bad_checksum) ++counters_.rx_bad_checksum;
            else ++counters_.rx_bad_length;
            return;
        }
        const socket_address to{destination_of(*p), d->dst_port};
        auto s = udp_.lookup(to);
        if (!s) {
            ++counters_.rx_no_socket;
            return;
        }
        if (udp_.deliver(*s, socket_address{source_of(*p), d->src_port}, d->payload)) ++counters_.rx_delivered;
        else ++counters_.rx_dropped;
    }

    // sendto/connect on an unbound socket binds it to an ephemeral port on the wildcard of the peer's family.
    [[nodiscard]] io_result<socket_address> ensure_bound(socket_id s, const ip_address& peer) {
        if (auto local = udp_.local(s)) return *local;
        return bind(s, socket_address{peer.is_v4() ? ip_address::any_v4() : ip_address::any_v6(), 0});
    }

    [[nodiscard]] std::size_t max_udp_payload_any() const noexcept {
        const std::size_t overhead = wire::ipv4_min_header_len + Udp::header_len;
        return link_.mtu() > overhead ? link_.mtu() - overhead : 0;
    }

    Link link_;
    ip_layer ip_;
    udp::socket_table udp_;
    std::vector<std::uint8_t> rx_buffer_, tx_buffer_;
    udp_counters counters_;
};

}  // namespace l4::net
