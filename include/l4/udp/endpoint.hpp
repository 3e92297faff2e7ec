// UDP as a transport of the stack, composed from policies: how datagrams
// are laid out and how they are checksummed. It holds UDP's sockets; the
// stack (net/stack.hpp) gives it received packets and frames what it sends.
//
//     l4::udp::endpoint<>                                   // RFC 768 UDP, internet checksum
//     l4::udp::endpoint<l4::use<l4::checksum::none>>        // no checksum (IPv4 only)
//     l4::udp::endpoint<l4::use<my_format>, l4::use<l4::checksum::crc32c>>
//
// A datagram format is a layout with fields named "src_port", "dst_port",
// "length" (header plus payload, in bytes) and "checksum" (as wide as the
// checksum strategy's value), plus the IP protocol number it travels under.
// Other fields of a custom layout are sent as zero. The wire rules (length,
// zero checksum, pseudo-header) are wire/udp.hpp's, for every format.
//
// The members the stack calls are those of the transport concept
// (net/transport.hpp); `Host` is the stack's view of the host there.
#pragma once

#include <l4/checksum/internet.hpp>
#include <l4/core/error.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/policy.hpp>
#include <l4/udp/socket_table.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/udp.hpp>

#include <cstdint>
#include <optional>

namespace l4::udp {

// RFC 768 UDP, protocol 17.
struct standard_format {
    using policy_family = policy::datagram_format_family;
    using layout = wire::udp_layout;
    static constexpr std::uint8_t ip_protocol = wire::ip_protocol::udp;
};

struct datagram {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    bytes payload;
};

// Why received datagrams were dropped, one counter per reason.
struct counters {
    std::uint64_t rx_delivered = 0;
    std::uint64_t rx_bad_checksum = 0;
    std::uint64_t rx_truncated = 0;        // shorter than the header or than its length field
    std::uint64_t rx_length_mismatch = 0;  // length field below the header's size
    std::uint64_t rx_no_socket = 0;        // nobody bound to the port (answered with ICMP port unreachable)
    std::uint64_t rx_queue_full = 0;
    std::uint64_t rx_not_from_peer = 0;    // a connected socket's port, another sender
    std::uint64_t tx_sent = 0;
};

[[nodiscard]] inline wire::pseudo_header pseudo_for(const ip_address& src, const ip_address& dst,
                                                    std::uint8_t protocol, std::size_t len) noexcept {
    if (src.is_v4()) return wire::pseudo_header::ipv4(src.v4(), dst.v4(), protocol, static_cast<std::uint16_t>(len));
    return wire::pseudo_header::ipv6(src.v6(), dst.v6(), protocol, static_cast<std::uint32_t>(len));
}

template <class... Uses>
class endpoint {
    static_assert(policy::no_family_twice<Uses...>(), "l4::udp::endpoint: two policies of the same family");
    using bundle_t = decltype(policy::bundle<Uses...>(hana::make_map(
        hana::make_pair(hana::type_c<policy::checksum_family>, hana::type_c<checksum::internet>),
        hana::make_pair(hana::type_c<policy::datagram_format_family>, hana::type_c<standard_format>))));

public:
    using checksum_type = policy::at<bundle_t, policy::checksum_family>;
    using format = policy::at<bundle_t, policy::datagram_format_family>;
    using layout = typename format::layout;
    using view = wire::basic_udp_view<layout>;
    using repr = wire::basic_udp_repr<layout>;

    static_assert(checksum::assert_checksum_strategy<checksum_type>());
    static_assert(wire::udp_checksum_for<checksum_type, layout>,
                  "the layout's checksum field must be as wide as the checksum strategy's value");

    static constexpr std::size_t header_len = layout::size;
    static constexpr std::uint8_t ip_protocol = format::ip_protocol;
    static constexpr wire::socket_type socket_kind = wire::socket_type::datagram;

    explicit endpoint(config cfg = {}) : table_{cfg} {}

    // --- the datagram codec ---------------------------------------------

    // Writes header and payload into `out` and fills the checksum over
    // `pseudo` (whose length is the datagram's) and the datagram. Errors:
    // message_too_long (the length field cannot hold it), buffer_too_small.
    [[nodiscard]] static result<std::size_t> emit(mut_bytes out, std::uint16_t src_port, std::uint16_t dst_port,
                                                  bytes payload, bytes pseudo) noexcept {
        return repr{src_port, dst_port, payload}.template emit<checksum_type>(out, pseudo);
    }

    // Reads a received datagram; `pseudo` must carry the datagram's length
    // field as its length. `ip_version` decides what a zero checksum means
    // (RFC 768 over IPv4: none; RFC 8200 §8.1 over IPv6: invalid). Errors:
    // truncated, length_mismatch, bad_checksum.
    [[nodiscard]] static result<datagram> parse(bytes transport, bytes pseudo, int ip_version) noexcept {
        auto v = view::check(transport);
        if (!v) return v.error();
        const auto zero = ip_version == 4 ? wire::udp_zero_checksum::means_none : wire::udp_zero_checksum::invalid;
        if (!v->template verify_checksum<checksum_type>(pseudo, zero)) return errc::bad_checksum;
        return datagram{static_cast<std::uint16_t>(v->src_port()), static_cast<std::uint16_t>(v->dst_port()),
                        v->payload()};
    }

    // --- the transport --------------------------------------------------

    [[nodiscard]] result<void> check_config() const noexcept { return table_.configuration().check(); }
    template <class Host>
    void start(Host& host) {
        table_.set_secret(host.secret());
    }

    [[nodiscard]] result<std::uint32_t> open() { return table_.open(); }
    template <class Host>
    [[nodiscard]] result<void> close(Host&, std::uint32_t s, instant) {
        return table_.close(s);
    }

    template <class Host>
    [[nodiscard]] result<socket_address> bind(Host& host, std::uint32_t s, const socket_address& local) {
        return table_.bind(s, local, [&](const ip_address& a) { return host.is_local(a); });
    }

    // Sets the only peer the socket sends to and hears from. Binds an
    // unbound socket, but only once the peer is known to be reachable.
    template <class Host>
    [[nodiscard]] result<void> connect(Host& host, std::uint32_t s, const socket_address& peer, instant) {
        if (!table_.is_open(s)) return errc::bad_socket;
        if (peer.port == 0 || peer.address.is_unspecified()) return errc::invalid_argument;
        if (auto src = host.source_for(peer.address); !src) return src.error();
        if (auto local = ensure_bound(host, s, peer); !local) return local.error();
        return table_.connect(s, peer);
    }

    // Sends one datagram. Errors: bad_socket, invalid_argument (port 0 or
    // no address), message_too_long (over the MTU: no fragmentation),
    // no_route, connection_refused (reported by ICMP for a connected
    // socket), queue_full (the host can hold no more frames).
    template <class Host>
    [[nodiscard]] io_result<std::size_t> sendto(Host& host, std::uint32_t s, bytes payload, const socket_address& to,
                                             instant) {
        if (!table_.is_open(s)) return errc::bad_socket;
        if (to.port == 0 || to.address.is_unspecified()) return errc::invalid_argument;
        if (payload.size() + header_len > host.max_segment(to.address)) return errc::message_too_long;
        auto src = host.source_for(to.address);
        if (!src) return src.error();
        auto local = ensure_bound(host, s, to);
        if (!local) return local.error();
        // A socket bound in one family cannot reach the other (no IPv4-mapped addresses here).
        if (local->address.version() != to.address.version()) return errc::no_route;
        if (!local->address.is_unspecified()) src = local->address;
        const std::size_t len = header_len + payload.size();
        const auto pseudo = pseudo_for(*src, to.address, ip_protocol, len);
        auto sent = host.transmit(*src, to.address, ip_protocol, len, [&](mut_bytes out) {
            return emit(out, local->port, to.port, payload, pseudo.bytes());
        });
        if (!sent) return sent.error();
        table_.count_sent(s);
        ++counters_.tx_sent;
        return payload.size();
    }

    template <class Host>
    [[nodiscard]] io_result<std::size_t> send(Host& host, std::uint32_t s, bytes payload, instant now) {
        if (!table_.is_open(s)) return errc::bad_socket;
        if (auto e = table_.take_error(s); e != errc::ok) return e;
        auto peer = table_.peer(s);
        if (!peer) return errc::not_connected;
        return sendto(host, s, payload, *peer, now);
    }

    // The next queued datagram; would_block if none. A buffer shorter than
    // the datagram gets its first bytes and `truncated` (the rest is gone,
    // as with recvfrom(2)).
    [[nodiscard]] result<wire::received> recvfrom(std::uint32_t s, mut_bytes buffer) {
        return table_.receive(s, buffer);
    }
    [[nodiscard]] result<std::size_t> recv(std::uint32_t s, mut_bytes buffer) {
        if (!table_.is_open(s)) return errc::bad_socket;
        if (!table_.peer(s)) return errc::not_connected;
        auto r = table_.receive(s, buffer);
        if (!r) return r.error();
        return r->size;
    }

    // Datagrams that find the socket's queue empty go to h (socket_table.hpp's
    // recv_handler). Errors: bad_socket.
    [[nodiscard]] result<void> set_recv_handler(std::uint32_t s, recv_handler h) {
        return table_.set_recv_handler(s, std::move(h));
    }

    template <class Host>
    [[nodiscard]] wire::input_verdict input(Host& host, const wire::ip_packet& p, instant) {
        const ip_address src = source_of(p), dst = destination_of(p);
        auto v = view::check(p.transport);
        if (!v) {
            ++(v.error() == errc::truncated ? counters_.rx_truncated : counters_.rx_length_mismatch);
            return wire::input_verdict::dropped;
        }
        // RFC 768, RFC 8200 §8.1: the pseudo-header carries UDP's length, not the IP payload's.
        const auto pseudo = pseudo_for(src, dst, ip_protocol, v->datagram().size());
        const auto zero = p.v4 ? wire::udp_zero_checksum::means_none : wire::udp_zero_checksum::invalid;
        if (!v->template verify_checksum<checksum_type>(pseudo.bytes(), zero)) {
            ++counters_.rx_bad_checksum;
            return wire::input_verdict::dropped;
        }
        const socket_address to{dst, static_cast<std::uint16_t>(v->dst_port())};
        auto s = table_.lookup(to);
        if (!s) {
            ++counters_.rx_no_socket;
            return wire::input_verdict::port_unreachable;
        }
        const socket_address from{src, static_cast<std::uint16_t>(v->src_port())};
        switch (table_.deliver(*s, from, v->payload(), host.max_segment(dst))) {
        case socket_table::delivery::handled:
        case socket_table::delivery::queued: ++counters_.rx_delivered; return wire::input_verdict::accepted;
        case socket_table::delivery::queue_full: ++counters_.rx_queue_full; break;
        case socket_table::delivery::not_from_peer: ++counters_.rx_not_from_peer; break;
        }
        return wire::input_verdict::dropped;
    }

    // An ICMP error quoting a datagram we sent from `local` to `remote`.
    void on_peer_error(const socket_address& local, const socket_address& remote, errc e) {
        table_.report_error(local, remote, e);
    }

    // UDP sends at once and keeps no timers.
    template <class Host>
    void poll(Host&, instant) {}
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept { return std::nullopt; }

    [[nodiscard]] bool readable(std::uint32_t s) const { return table_.readable(s); }
    [[nodiscard]] bool writable(std::uint32_t s) const { return table_.is_open(s); }
    [[nodiscard]] std::optional<socket_address> local_address(std::uint32_t s) const { return table_.local(s); }
    [[nodiscard]] std::optional<socket_address> peer_address(std::uint32_t s) const { return table_.peer(s); }
    [[nodiscard]] std::size_t recv_queue(std::uint32_t s) const { return table_.queued(s); }
    [[nodiscard]] const socket_counters* socket_stats(std::uint32_t s) const { return table_.counters(s); }
    [[nodiscard]] const counters& stats() const noexcept { return counters_; }

private:
    [[nodiscard]] static ip_address source_of(const wire::ip_packet& p) noexcept {
        return p.v4 ? ip_address{p.v4->src()} : ip_address{p.v6->src()};
    }
    [[nodiscard]] static ip_address destination_of(const wire::ip_packet& p) noexcept {
        return p.v4 ? ip_address{p.v4->dst()} : ip_address{p.v6->dst()};
    }

    // sendto/connect on an unbound socket binds it to an ephemeral port on
    // the wildcard of the peer's family, the port keyed on the peer (RFC 6056).
    template <class Host>
    [[nodiscard]] result<socket_address> ensure_bound(Host& host, std::uint32_t s, const socket_address& peer) {
        if (auto local = table_.local(s)) return *local;
        const ip_address any = peer.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        return table_.bind(s, socket_address{any, 0}, [&](const ip_address& a) { return host.is_local(a); }, peer);
    }

    socket_table table_;
    counters counters_;
};

}  // namespace l4::udp
