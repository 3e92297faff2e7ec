// TCP as a transport of the stack, composed from policies:
//
//     l4::tcp::endpoint<>                                        // internet checksum, RFC 9293 header,
//                                                                // sliding window, Reno
//     l4::tcp::endpoint<l4::use<l4::congestion::none>, l4::use<l4::flow::stop_and_wait>>
//
// It owns the connections (found by 4-tuple in a hash table keyed with the
// stack's secret), the listeners, and one stack timer per connection, armed
// at the connection's next deadline. It answers segments for no connection
// and no listener with RST (RFC 9293 §3.10.7.1), and completes handshakes
// for listeners into a bounded accept queue.
//
// The members the stack calls are those of the transport concept
// (net/transport.hpp); `Host` is the stack's view of the host there.
#pragma once

#include <l4/checksum/concept.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/congestion/reno.hpp>
#include <l4/core/error.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/error_counts.hpp>
#include <l4/core/keyed_hash.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/socket_option.hpp>
#include <l4/core/timer.hpp>
#include <l4/flow/receive_window.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/policy.hpp>
#include <l4/tcp/connection.hpp>
#include <l4/tcp/fast_open.hpp>
#include <l4/tcp/isn.hpp>
#include <l4/tcp/segment.hpp>
#include <l4/tcp/syn_cookie.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/port_space.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/tcp.hpp>

#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace l4::tcp {

using wire::ip_address;
using wire::socket_address;

// RFC 9293's header, protocol 6.
struct standard_format {
    using policy_family = policy::segment_format_family;
    using layout = wire::tcp_layout;
    static constexpr std::uint8_t ip_protocol = wire::ip_protocol::tcp;
};

struct endpoint_config {
    tcp::config connection{};
    std::uint16_t mss = 0;                   // 0: from the link MTU (MTU − 40 over IPv4, MTU − 60 over IPv6)
    std::uint32_t max_backlog = 128;         // a listen() asking for more gets this many
    std::uint32_t max_connections = 1 << 20;  // beyond it connect() and new SYNs are refused
    // The send and receive buffers of all connections together; beyond it
    // connect() and new SYNs are refused. A buffer's memory is taken at its
    // first byte, so the budget bounds what connections may come to hold.
    std::uint64_t memory_budget = std::uint64_t{1} << 30;
    bool syn_cookies = true;                  // RFC 4987 §3.6 when a listener's half-open queue is full
    std::size_t fast_open_servers = 256;      // RFC 7413 §4.1.3: servers whose Fast Open cookie is cached
};

struct endpoint_counters {
    std::uint64_t rx_segments = 0;
    std::uint64_t rx_bad_checksum = 0;
    std::uint64_t rx_malformed = 0;        // truncated, bad data offset, bad options: the sum of rx_malformed_by
    error_counts rx_malformed_by;          // each class by its errc (truncated, bad_data_offset, bad_option_length)
    std::uint64_t rx_no_connection = 0;    // answered with RST (or dropped if it was one)
    std::uint64_t rx_syn_queue_full = 0;   // a SYN to a listener whose backlog is all established: dropped
    std::uint64_t half_open_evicted = 0;   // the oldest half-open connection, dropped for a new one (RFC 4987 §3.4)
    std::uint64_t rx_over_budget = 0;      // a SYN refused: max_connections or memory_budget reached
    std::uint64_t connects_over_budget = 0;  // connect() refused, likewise (errc::out_of_memory)
    std::uint64_t syn_cookies_sent = 0;    // SYN-ACKs whose ISN is a cookie
    std::uint64_t syn_cookies_accepted = 0, syn_cookies_rejected = 0;  // the handshake's ACK, checked
    std::uint64_t tx_resets = 0;
    std::uint64_t connections_opened = 0, connections_accepted = 0;
};

template <class... Uses>
class endpoint {
    static_assert(policy::no_family_twice<Uses...>(), "l4::tcp::endpoint: two policies of the same family");
    using bundle_t = decltype(policy::bundle<Uses...>(hana::make_map(
        hana::make_pair(hana::type_c<policy::checksum_family>, hana::type_c<checksum::internet>),
        hana::make_pair(hana::type_c<policy::segment_format_family>, hana::type_c<standard_format>),
        hana::make_pair(hana::type_c<policy::flow_family>, hana::type_c<flow::sliding_window>),
        hana::make_pair(hana::type_c<policy::receive_window_family>, hana::type_c<flow::receive_window<>>),
        hana::make_pair(hana::type_c<policy::congestion_family>, hana::type_c<congestion::reno>))));

public:
    using checksum_type = policy::at<bundle_t, policy::checksum_family>;
    using format = policy::at<bundle_t, policy::segment_format_family>;
    using sender_type = policy::at<bundle_t, policy::flow_family>;
    using receiver_type = policy::at<bundle_t, policy::receive_window_family>;
    using congestion_type = policy::at<bundle_t, policy::congestion_family>;
    using layout = typename format::layout;
    using view = wire::basic_tcp_view<layout>;
    using repr = wire::basic_tcp_repr<layout>;
    // Whether the checksum can be summed while the payload is copied (a
    // strategy with update_copy), so received data is read once, not twice.
    // The RFC 1071 family only: verify_into sums the stored field with the rest.
    static constexpr bool sums_while_copying =
        requires(typename checksum_type::state st, bytes b, std::uint8_t* d) { checksum_type::update_copy(st, b, d); } &&
        requires { requires checksum_type::ones_complement; } &&
        wire::tcp_layout_traits<layout>::checksum_offset + checksum_type::width <= view::fixed_header_len;
    using connection_type = connection<congestion_type, sender_type, receiver_type>;

    static constexpr std::uint8_t ip_protocol = format::ip_protocol;
    static constexpr wire::socket_type socket_kind = wire::socket_type::stream;
    static constexpr std::size_t header_len = layout::size;

    explicit endpoint(endpoint_config cfg = {}) : cfg_{cfg} {}

    [[nodiscard]] result<void> check_config() const noexcept {
        const auto& c = cfg_.connection;
        if (c.send_buffer == 0 || c.receive_buffer == 0 || c.mss < 64) return errc::invalid_argument;
        if (c.receive_buffer > max_buffer || c.send_buffer > max_buffer) return errc::invalid_argument;
        // Ranges apart from each other take a byte and a hole each: more could never be held.
        if (c.reassembly_ranges > c.receive_buffer / 2 || c.reassembly_ranges > config::max_reassembly_ranges)
            return errc::invalid_argument;
        return {};
    }
    template <class Host>
    void start(Host& host) {
        key_ = host.secret();
        conns_ = flow_table(0, flow_hash{key_});
        last_flow_.reset();
        last_v4_ = {};
        listeners_ = listener_table(0, wire::keyed_address_hash{key_});
        cookies_ = syn_cookies{key_};
        ports_.set_secret(key_);
    }

    // --- the socket verbs ------------------------------------------------------

    [[nodiscard]] result<std::uint32_t> open() {
        std::uint32_t i;
        if (!free_.empty()) {
            i = free_.back();
            free_.pop_back();
        } else {
            i = static_cast<std::uint32_t>(sockets_.size());
            sockets_.emplace_back();
        }
        sockets_[i] = socket{};
        sockets_[i].open = true;
        sockets_[i].cfg = cfg_.connection;
        return i;
    }

    // setsockopt(2). Buffers, the MSS and the SYN's options take effect at
    // the next connect() or listen() (a listener's connections inherit its
    // settings); the rest at once.
    [[nodiscard]] result<void> set_option(std::uint32_t id, socket_option o, std::int64_t v) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        auto& c = s->cfg;
        // A listener's settings pass to the connections it makes from now on.
        const bool before_syn = !s->conn;
        const auto seconds = [](std::int64_t n) { return duration{std::chrono::seconds{n}}; };
        switch (o) {
        case socket_option::send_buffer:
        case socket_option::receive_buffer:
            if (v <= 0 || v > max_buffer) return errc::invalid_argument;
            if (!before_syn) {
                // Linux lets SO_SNDBUF change on a live connection; we may while nothing is queued.
                if (o == socket_option::receive_buffer) return errc::invalid_argument;
                const std::uint64_t others = buffer_bytes_ - s->charged;
                if (others + c.receive_buffer + std::uint64_t(v) > cfg_.memory_budget) return errc::out_of_memory;
                if (!s->conn->resize_send_buffer(static_cast<std::uint32_t>(v))) return errc::invalid_argument;
                c.send_buffer = static_cast<std::uint32_t>(v);
                charge(*s);
                break;
            }
            (o == socket_option::send_buffer ? c.send_buffer : c.receive_buffer) = static_cast<std::uint32_t>(v);
            break;
        case socket_option::max_segment:
            if (v < 64 || v > 0xFFFF || !before_syn) return errc::invalid_argument;
            s->max_segment = static_cast<std::uint16_t>(v);
            break;
        case socket_option::window_scale:
        case socket_option::sack:
        case socket_option::timestamps:
            if (!before_syn) return errc::invalid_argument;
            (o == socket_option::window_scale ? c.offer.window_scale
             : o == socket_option::sack       ? c.offer.sack
                                              : c.offer.timestamps) = v != 0;
            break;
        case socket_option::nodelay:
            c.nodelay = v != 0;
            if (c.nodelay && s->conn) s->conn->push();  // tcp(7): setting it flushes what waits, even while corked
            break;
        case socket_option::cork: c.cork = v != 0; break;
        case socket_option::notsent_lowat:
            if (v < 0 || v > max_buffer) return errc::invalid_argument;
            c.notsent_lowat = static_cast<std::uint32_t>(v);
            break;
        case socket_option::tos:
            if (v < 0 || v > 0xFF) return errc::invalid_argument;
            c.ip.dscp = static_cast<std::uint8_t>(v >> 2);  // the ECN bits stay the transport's (RFC 3168 §5)
            break;
        case socket_option::dont_fragment: c.ip.dont_fragment = v != 0; break;
        case socket_option::fast_open_connect:
            if (v < 0 || v > 1 || !before_syn || s->listening) return errc::invalid_argument;
            s->fast_open_connect = v != 0;
            break;
        case socket_option::keepalive: c.keepalive = v != 0; break;
        case socket_option::keep_idle:
        case socket_option::keep_interval:
            if (v <= 0 || v > 86400 * 365) return errc::invalid_argument;
            (o == socket_option::keep_idle ? c.keep_idle : c.keep_interval) = seconds(v);
            break;
        case socket_option::keep_count:
            if (v <= 0 || v > 1000) return errc::invalid_argument;
            c.keep_count = static_cast<std::uint32_t>(v);
            break;
        case socket_option::user_timeout:
            if (v < 0 || v > 0x7FFFFFFF) return errc::invalid_argument;
            c.user_timeout = std::chrono::milliseconds{v};
            break;
        case socket_option::delayed_ack:
            if (v < 0 || v > 500'000) return errc::invalid_argument;  // RFC 1122 §4.2.3.2: under 0.5 s
            c.delayed_ack = std::chrono::microseconds{v};
            break;
        case socket_option::linger: s->linger = v < 0 ? -1 : v; break;
        case socket_option::error: return errc::invalid_argument;  // read only
        }
        if (s->conn) {
            s->conn->update(c);
            mark_dirty(id);  // its timers may have moved
        }
        return {};
    }

    // getsockopt(2). `error` reports the error that ended the connection
    // once, as SO_ERROR does, then 0.
    [[nodiscard]] result<std::int64_t> get_option(std::uint32_t id, socket_option o) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        const auto& c = s->cfg;
        const auto ms = [](duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
        const auto secs = [](duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); };
        switch (o) {
        case socket_option::send_buffer: return c.send_buffer;
        case socket_option::receive_buffer: return c.receive_buffer;
        case socket_option::max_segment:
            if (s->conn && s->conn->established()) return s->conn->snd_mss();
            return s->max_segment ? s->max_segment : c.mss;
        case socket_option::window_scale: return c.offer.window_scale;
        case socket_option::sack: return c.offer.sack;
        case socket_option::timestamps: return c.offer.timestamps;
        case socket_option::nodelay: return c.nodelay;
        case socket_option::cork: return c.cork;
        case socket_option::notsent_lowat: return c.notsent_lowat;
        case socket_option::tos: return std::int64_t{c.ip.dscp} << 2;
        case socket_option::dont_fragment: return c.ip.dont_fragment;
        case socket_option::fast_open_connect: return s->fast_open_connect;
        case socket_option::keepalive: return c.keepalive;
        case socket_option::keep_idle: return secs(c.keep_idle);
        case socket_option::keep_interval: return secs(c.keep_interval);
        case socket_option::keep_count: return c.keep_count;
        case socket_option::user_timeout: return ms(c.user_timeout);
        case socket_option::delayed_ack:
            return std::chrono::duration_cast<std::chrono::microseconds>(c.delayed_ack).count();
        case socket_option::linger: return s->linger;
        case socket_option::error: {
            if (!s->conn || s->error_reported) return 0;
            const errc e = s->conn->error();
            if (e == errc::ok) return 0;
            s->error_reported = true;
            return static_cast<std::int64_t>(e);
        }
        }
        return errc::not_supported;
    }

    template <class Host>
    [[nodiscard]] result<socket_address> bind(Host& host, std::uint32_t id, const socket_address& local) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->local) return errc::invalid_argument;
        if (!local.address.is_unspecified() && !host.is_local(local.address)) return errc::address_not_available;
        auto bound = ports_.bind(local);
        if (!bound) return bound.error();
        s->local = *bound;
        s->owns_binding = true;
        return *bound;
    }

    // RFC 9293 §3.10.1 passive OPEN. The backlog bounds the half-open
    // connections and the accept queue together.
    template <class Host>
    [[nodiscard]] result<void> listen(Host& host, std::uint32_t id, std::uint32_t backlog) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->conn) return errc::already_connected;
        if (!s->local) {
            if (auto b = bind(host, id, {ip_address::any_v4(), 0}); !b) return b.error();
            s = find(id);
        }
        s->listening = true;
        s->backlog = std::clamp<std::uint32_t>(backlog, 1, cfg_.max_backlog);
        listeners_[*s->local] = id;
        return {};
    }

    // A connection the listener completed, as a new socket of its own.
    // Errors: would_block (none yet), invalid_argument (not listening).
    [[nodiscard]] result<std::uint32_t> accept(std::uint32_t id) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->listening) return errc::invalid_argument;
        if (s->accept_queue.empty()) return errc::would_block;
        const std::uint32_t child = s->accept_queue.front();
        s->accept_queue.erase(s->accept_queue.begin());
        sockets_[child].parent.reset();
        ++counters_.connections_accepted;
        return child;
    }

    // RFC 9293 §3.10.1 active OPEN: the SYN leaves at once. With
    // socket_option::fast_open_connect (RFC 7413): a cookie request when no
    // cookie of the server's is cached; with one, nothing leaves until the
    // first send(), whose data the SYN carries.
    template <class Host>
    [[nodiscard]] result<void> connect(Host& host, std::uint32_t id, const socket_address& peer, instant now) {
        const auto* s = find(id);
        return open_active(host, id, peer, now, s && s->fast_open_connect);
    }

    // sendto(2) with MSG_FASTOPEN (send_flags::fast_open) on a socket not yet
    // connected: connect() and the first send() at once (RFC 7413 §4.2).
    // With a cookie cached, the SYN carries what it may of `data`, and that
    // many bytes are taken; without one, the SYN is a cookie request and the
    // data is not taken (would_block: send it once writable). On a connected
    // socket, a send() (the address ignored, as Linux's TCP ignores it).
    template <class Host>
    [[nodiscard]] io_result<std::size_t> sendto(Host& host, std::uint32_t id, bytes data, const socket_address& to,
                                                instant now, send_flags flags) {
        if (flags != send_flags::fast_open) return errc::not_supported;
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) {
            if (auto r = open_active(host, id, to, now, true); !r) return r.error();
            if (!sockets_[id].conn->fast_open().deferred) return errc::would_block;
        }
        return send(host, id, data, now);
    }

private:
    template <class Host>
    [[nodiscard]] result<void> open_active(Host& host, std::uint32_t id, const socket_address& peer, instant now,
                                           bool fast_open) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->listening) return errc::invalid_argument;
        if (s->conn) return errc::already_connected;
        if (peer.port == 0 || peer.address.is_unspecified()) return errc::invalid_argument;
        auto src = host.source_for(peer.address);
        if (!src) return src.error();
        if (!within_budget(s->cfg)) {
            ++counters_.connects_over_budget;
            return errc::out_of_memory;
        }
        socket_address local;
        if (s->local) {
            local = *s->local;
            if (local.address.version() != peer.address.version()) return errc::no_route;
            if (local.address.is_unspecified()) local.address = *src;
        } else {
            const ip_address any = peer.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
            auto bound = ports_.bind({any, 0}, peer);
            if (!bound) return bound.error();
            s->local = *bound;
            s->owns_binding = true;
            local = socket_address{*src, bound->port};
        }
        if (conns_.contains(flow_key{local, peer})) return errc::address_in_use;
        auto cfg = connection_config(host, *s, peer);
        s->conn.emplace(cfg, isn(key_, local, peer, now), now);
        if (fast_open) {
            const auto* known = fast_open_cache_.usable(local.address, peer.address, now);
            s->conn->use_fast_open(known ? known->cookie : std::nullopt, known ? known->mss : 0, true);
        }
        s->flow = flow_key{local, peer};
        s->timer = host.add_timer(*this, id);
        conns_.emplace(*s->flow, id);
        charge(*s);
        ++counters_.connections_opened;
        flush(host, id, now);
        return {};
    }

public:
    template <class Host>
    [[nodiscard]] io_result<std::size_t> send(Host& host, std::uint32_t id, bytes data, instant now,
                                              send_flags flags = send_flags::none) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        auto n = s->conn->send(data, flags == send_flags::more);
        if (!n) return n.error();
        flush(host, id, now);
        return *n;
    }

    // connection::send_in_place through a socket, then the send pass as send().
    template <class Host, class F>
    [[nodiscard]] io_result<std::size_t> send_in_place(Host& host, std::uint32_t id, std::size_t max, F&& f,
                                                       instant now, send_flags flags = send_flags::none) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        auto n = s->conn->send_in_place(max, f, flags == send_flags::more);
        if (!n) return n.error();
        flush(host, id, now);
        return *n;
    }

    [[nodiscard]] result<std::size_t> recv(std::uint32_t id, mut_bytes out) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        auto n = s->conn->recv(out);
        // A read changes nothing on the wire unless it opened the window enough to say so.
        if (n && *n > 0 && s->conn->ack_due()) mark_dirty(id);
        return n;
    }

    // connection::recv_in_place through a socket.
    template <class F>
    [[nodiscard]] result<std::size_t> recv_in_place(std::uint32_t id, F&& f) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        auto n = s->conn->recv_in_place(f);
        if (n && *n > 0 && s->conn->ack_due()) mark_dirty(id);
        return n;
    }

    // connection::set_recv_handler through a socket: one that is connected or connecting.
    [[nodiscard]] result<void> set_recv_handler(std::uint32_t id, recv_handler h) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        s->conn->set_recv_handler(std::move(h));
        return {};
    }

    template <class Host>
    [[nodiscard]] result<void> shutdown(Host& host, std::uint32_t id, instant now) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        auto r = s->conn->shutdown();
        flush(host, id, now);
        return r;
    }

    // Graceful: the connection lives on without its socket until its FIN
    // is acknowledged and TIME-WAIT is over.
    template <class Host>
    [[nodiscard]] result<void> close(Host& host, std::uint32_t id, instant now) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (s->listening) {
            listeners_.erase(*s->local);
            for (auto child : s->accept_queue) abort_connection(host, child, now);
            for (std::uint32_t i = 0; i < sockets_.size(); ++i)
                if (sockets_[i].open && sockets_[i].parent == id) abort_connection(host, i, now);
        }
        s->user_closed = true;
        if (s->conn) {
            if (s->linger == 0) s->conn->abort();  // SO_LINGER with a zero timeout: RFC 9293 §3.10.5
            else (void)s->conn->close();
            flush(host, id, now);
        } else {
            release(host, id);
        }
        return {};
    }

    template <class Host>
    [[nodiscard]] result<void> abort(Host& host, std::uint32_t id, instant now) {
        auto* s = find(id);
        if (!s) return errc::bad_socket;
        if (!s->conn) return errc::not_connected;
        s->conn->abort();
        flush(host, id, now);
        return {};
    }

    // --- segments in ---------------------------------------------------------

    template <class Host>
    [[gnu::hot]] [[nodiscard]] wire::input_verdict input(Host& host, const wire::ip_packet& p, instant now) {
        ++counters_.rx_segments;
        auto v = view::check(p.transport);
        if (!v) {
            ++counters_.rx_malformed;
            counters_.rx_malformed_by.add(v.error());
            return wire::input_verdict::dropped;
        }
        const std::uint64_t flow = find_flow(p, *v);
        const bool connected = flow != no_flow;
        const auto id = static_cast<std::uint32_t>(flow);
        // An in-order payload is verified as it is copied into the receive
        // buffer (one pass over its bytes); anything else is verified where it lies.
        mut_bytes slot;
        if constexpr (sums_while_copying)
            if (connected && v->payload().size() > 0) slot = sockets_[id].conn->in_order_slot(v->seq_number(), v->payload().size());
        // The IP layer's pseudo-header: TCP's length is the IP payload's.
        if (!(slot.empty() ? v->template verify_checksum<checksum_type>(p.pseudo.bytes())
                           : verify_into(*v, p.pseudo.bytes(), slot))) {
            ++counters_.rx_bad_checksum;
            return wire::input_verdict::dropped;
        }
        repr* seg = &rx_repr_;
        if (const errc e = repr::read(*v, *seg); e != errc::ok) {
            ++counters_.rx_malformed;
            counters_.rx_malformed_by.add(e);
            return wire::input_verdict::dropped;
        }
        if (connected) {
            if (!slot.empty()) seg->payload = slot;
            auto& c = *sockets_[id].conn;
            c.on_segment(*seg, now, p.ecn(), host.receiving());
            // As NAPI: what the batch's segments call for leaves once, in the send pass after it.
            if (c.may_wait_for_batch_end()) mark_dirty(id);
            else flush(host, id, now);
            return wire::input_verdict::accepted;
        }
        const flow_key key = key_of(p, *v);
        input_unconnected(host, key.local, key.remote, *seg, now);
        return wire::input_verdict::accepted;
    }

    // A segment of no connection: a listener's SYN or the ACK of a SYN
    // cookie, else a reset in answer. Out of line: the per-segment path's
    // instruction-cache lines carry none of it.
    template <class Host>
    [[gnu::noinline]] void input_unconnected(Host& host, const socket_address& local, const socket_address& remote,
                                             const repr& seg, instant now) {
        if (auto l = find_listener(local)) {
            using f = wire::tcp_flags;
            if (seg.flags.has(f::syn) && !seg.flags.has(f::ack) && !seg.flags.has(f::rst)) {
                accept_syn(host, *l, local, remote, seg, now);
                return;
            }
            if (seg.flags.bits == f::ack || seg.flags.bits == (f::ack | f::psh))
                if (accept_cookie(host, *l, local, remote, seg, now)) return;
        }
        ++counters_.rx_no_connection;
        if (auto rst = reset_for(seg)) send_segment(host, local, remote, *rst, nullptr, now);
    }

    // An ICMP error about one of our flows: a hard error ends a connection
    // still in its handshake (RFC 1122 §4.2.3.9 leaves established ones be).
    void on_peer_error(const socket_address& local, const socket_address& remote, errc e) {
        auto it = conns_.find(flow_key{local, remote});
        if (it == conns_.end()) return;
        sockets_[it->second].conn->on_icmp_error(e);
        mark_dirty(it->second);  // the send pass frees it or re-arms its timer
    }

    template <class Host>
    void on_timer(Host& host, std::uint64_t key, instant now) {
        const auto id = static_cast<std::uint32_t>(key);
        if (id < sockets_.size() && sockets_[id].open && sockets_[id].conn) flush(host, id, now);
    }

    // The send pass: connections whose state changed without a segment or
    // a timer (a read that opened the window).
    template <class Host>
    void poll(Host& host, instant now) {
        while (!dirty_.empty()) {
            const std::uint32_t id = dirty_.back();
            dirty_.pop_back();
            if (id < sockets_.size() && sockets_[id].open && sockets_[id].conn) {
                sockets_[id].dirty = false;
                flush(host, id, now);
            }
        }
    }
    // A pending send pass (a read opened a window) is due at once.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept {
        if (!dirty_.empty()) return instant{};
        return std::nullopt;
    }

    // --- what a socket says of itself ------------------------------------------

    [[nodiscard]] bool readable(std::uint32_t id) const {
        const auto* s = find(id);
        if (!s) return false;
        if (s->listening) return !s->accept_queue.empty();
        return s->conn && s->conn->readable();
    }
    [[nodiscard]] bool writable(std::uint32_t id) const {
        const auto* s = find(id);
        return s && s->conn && s->conn->writable();
    }
    [[nodiscard]] std::optional<socket_address> local_address(std::uint32_t id) const {
        const auto* s = find(id);
        if (!s) return std::nullopt;
        if (s->flow) return s->flow->local;
        return s->local;
    }
    [[nodiscard]] std::optional<socket_address> peer_address(std::uint32_t id) const {
        const auto* s = find(id);
        if (!s || !s->flow) return std::nullopt;
        return s->flow->remote;
    }
    [[nodiscard]] const connection_type* connection_of(std::uint32_t id) const {
        const auto* s = find(id);
        return s && s->conn ? &*s->conn : nullptr;
    }
    [[nodiscard]] std::optional<tcp::state> state_of(std::uint32_t id) const {
        const auto* s = find(id);
        if (!s) return std::nullopt;
        if (s->listening) return state::listen;
        return s->conn ? s->conn->current_state() : state::closed;
    }
    [[nodiscard]] const endpoint_counters& stats() const noexcept { return counters_; }
    // RFC 7413 §4.1.3: the Fast Open cookies this stack learnt, per server.
    [[nodiscard]] const fast_open_cache& fast_open_cookies() const noexcept { return fast_open_cache_; }
    [[nodiscard]] std::size_t connections() const noexcept { return conns_.size(); }

private:
    struct flow_key {
        socket_address local, remote;
        // The defaulted ==, with IPv4 addresses compared as words: GCC calls
        // the variant's visit out of line, twice for every segment.
        [[gnu::always_inline]] friend bool operator==(const flow_key& a, const flow_key& b) noexcept {
            return same(a.local, b.local) && same(a.remote, b.remote);
        }
        [[gnu::always_inline]] static bool same(const socket_address& a, const socket_address& b) noexcept {
            if (a.address.is_v4() && b.address.is_v4())
                return a.address.v4().to_u32() == b.address.v4().to_u32() && a.port == b.port;
            return a == b;
        }
    };
    struct flow_hash {
        siphash_key key{};
        std::size_t operator()(const flow_key& k) const noexcept {
            std::uint8_t b[2 * wire::max_key_bytes];
            std::size_t n = wire::key_bytes(k.local, b);
            n += wire::key_bytes(k.remote, b + n);
            return static_cast<std::size_t>(siphash24(key, {b, n}));
        }
    };
    using flow_table = boost::unordered_flat_map<flow_key, std::uint32_t, flow_hash>;
    using listener_table = boost::unordered_flat_map<socket_address, std::uint32_t, wire::keyed_address_hash>;

    struct socket {
        bool open = false, listening = false, user_closed = false, dirty = false, queued_for_accept = false;
        bool owns_binding = false;  // counted in ports_ (a listener's children share its binding)
        std::optional<socket_address> local;  // as bound (maybe a wildcard)
        std::optional<flow_key> flow;         // the 4-tuple, once connected
        std::optional<connection_type> conn;
        timer_handle timer{};
        std::uint32_t backlog = 0;
        instant cookies_until{};  // a listener checks ACKs for cookies while those it sent may come back
        // A listener's children, oldest first; at most max_backlog each. Vectors: an empty
        // deque allocates, and every socket (a SYN flood's evicted ones too) has these.
        std::vector<std::uint32_t> half_open;     // in SYN-RECEIVED
        std::vector<std::uint32_t> accept_queue;  // established, not yet accepted
        std::uint64_t charged = 0;               // buffer bytes counted against the memory budget
        std::optional<std::uint32_t> parent;  // the listener, until accepted
        tcp::config cfg{};                     // this socket's settings (setsockopt)
        std::uint16_t max_segment = 0;         // TCP_MAXSEG; 0: from the link
        std::int64_t linger = -1;              // SO_LINGER; 0: close() resets
        bool fast_open_connect = false;        // TCP_FASTOPEN_CONNECT (RFC 7413)
        bool error_reported = false;           // SO_ERROR was read
    };
    static constexpr std::int64_t max_buffer = std::int64_t{0xFFFF} << max_window_shift;

    [[nodiscard]] socket* find(std::uint32_t id) {
        return id < sockets_.size() && sockets_[id].open ? &sockets_[id] : nullptr;
    }
    [[nodiscard]] const socket* find(std::uint32_t id) const { return const_cast<endpoint*>(this)->find(id); }

    template <class Host>
    [[nodiscard]] config connection_config(Host& host, const socket& s, const socket_address& peer) const {
        config c = s.cfg;
        if (peer.address.is_v6()) c.default_peer_mss = 1220;  // RFC 8200 §5: 1280 − 60
        const std::size_t room = host.max_segment(peer.address);
        const std::size_t from_mtu = room > header_len ? room - header_len : 64;  // this layout's fixed header
        std::size_t mss = cfg_.mss ? std::min<std::size_t>(cfg_.mss, from_mtu) : from_mtu;
        if (s.max_segment) mss = std::min<std::size_t>(mss, s.max_segment);
        c.mss = static_cast<std::uint16_t>(std::min<std::size_t>(mss, 0xFFFF));
        return c;
    }

    [[nodiscard]] static wire::pseudo_header pseudo_for(const ip_address& src, const ip_address& dst,
                                                       std::size_t len) noexcept {
        if (src.is_v4())
            return wire::pseudo_header::ipv4(src.v4(), dst.v4(), ip_protocol, static_cast<std::uint16_t>(len));
        return wire::pseudo_header::ipv6(src.v6(), dst.v6(), ip_protocol, static_cast<std::uint32_t>(len));
    }

    // The checksum of `v` verified while its payload is copied to `slot`.
    // RFC 1071 §1: summed with the stored field, a good segment sums to all
    // ones, which verify() checks against a stored value of 0.
    [[nodiscard]] static bool verify_into(const view& v, bytes pseudo, mut_bytes slot) noexcept {
        auto st = checksum_type::update(checksum_type::update(checksum_type::init(), pseudo), v.segment().first(v.header_len()));
        st = checksum::update_copy<checksum_type>(st, v.payload(), slot.data());
        return checksum_type::verify(st, 0);
    }

    // The connection of a 4-tuple. The last one found is remembered: a bulk
    // transfer's segments all hash the same key (SipHash per segment), and
    // checking the key first costs a comparison. release() forgets it.
    // Always inlined, with flow_key's ==: input's size decided whether GCC
    // made each a call on every segment.
    [[nodiscard, gnu::always_inline]] std::optional<std::uint32_t> find_flow(const flow_key& k) {
        if (last_flow_ && last_flow_->first == k) return last_flow_->second;
        auto it = conns_.find(k);
        if (it == conns_.end()) return std::nullopt;
        last_flow_.emplace(k, it->second);
        return it->second;
    }

    // The 4-tuple of a received segment, as the lookup takes it: ours the destination's.
    [[nodiscard, gnu::always_inline]] static flow_key key_of(const wire::ip_packet& p, const view& v) noexcept {
        return {{p.v4 ? ip_address{p.v4->dst()} : ip_address{p.v6->dst()}, static_cast<std::uint16_t>(v.dst_port())},
                {p.v4 ? ip_address{p.v4->src()} : ip_address{p.v6->src()}, static_cast<std::uint16_t>(v.src_port())}};
    }

    // The connection of a received segment. Over IPv4 the last answer is
    // kept as the headers hold its 4-tuple (both addresses in one word, the
    // ports in another): a bulk transfer's segments find it by two
    // comparisons, with no key built (the one flow_key, with its two
    // variants, took as long as the rest of the lookup).
    // Its socket's id, or no_flow: as one word, which a reference out of the call below kept in memory.
    static constexpr std::uint64_t no_flow = std::uint64_t{1} << 32;
    [[nodiscard, gnu::always_inline]] std::uint64_t find_flow(const wire::ip_packet& p, const view& v) {
        std::uint64_t addresses = 0, ports = 0;
        if (p.v4) {
            static_assert(wire::ipv4_layout::offset_of<"dst"> == wire::ipv4_layout::offset_of<"src"> + 32);
            std::memcpy(&addresses, p.v4->datagram().data() + wire::ipv4_layout::offset_of<"src"> / 8, sizeof addresses);
            ports = v4_flow_memo::ports_of(v);
            if (last_v4_.ports == ports && last_v4_.addresses == addresses) return last_v4_.id;
        }
        return find_flow_by_key(p, v, addresses, ports);
    }
    // Out of line: a bulk transfer's segments never come here.
    [[gnu::noinline]] std::uint64_t find_flow_by_key(const wire::ip_packet& p, const view& v, std::uint64_t addresses,
                                                     std::uint64_t ports) {
        const auto found = find_flow(key_of(p, v));
        if (!found) return no_flow;
        if (p.v4) last_v4_ = {addresses, ports, *found};
        return *found;
    }

    [[nodiscard]] std::optional<std::uint32_t> find_listener(const socket_address& local) const {
        if (auto it = listeners_.find(local); it != listeners_.end()) return it->second;
        const ip_address any = local.address.is_v4() ? ip_address::any_v4() : ip_address::any_v6();
        if (auto it = listeners_.find(socket_address{any, local.port}); it != listeners_.end()) return it->second;
        return std::nullopt;
    }

    template <class Host>
    void accept_syn(Host& host, std::uint32_t listener, const socket_address& local, const socket_address& remote,
                    const repr& syn, instant now) {
        auto& l = sockets_[listener];
        if (!within_budget(l.cfg)) {
            ++counters_.rx_over_budget;
            return;
        }
        if (l.half_open.size() + l.accept_queue.size() >= l.backlog) {
            if (cfg_.syn_cookies) {
                l.cookies_until = now + syn_cookies::max_age_ticks * 64s + 64s;
                send_cookie_syn_ack(host, l, local, remote, syn, now);
                return;
            }
            if (!evict_oldest_half_open(host, listener)) return;
        }
        const auto child = open_child(listener, local, remote);
        if (!child) return;
        auto& s = sockets_[*child];
        s.conn.emplace(connection_config(host, s, remote), isn(key_, local, remote, now), syn, now);
        register_child(host, listener, *child);
        flush(host, *child, now);
    }

    // A socket for a connection a listener makes, with the listener's settings.
    [[nodiscard]] std::optional<std::uint32_t> open_child(std::uint32_t listener, const socket_address& local,
                                                          const socket_address& remote) {
        auto child = open();
        if (!child) return std::nullopt;
        auto& s = sockets_[*child];
        s.cfg = sockets_[listener].cfg;
        s.max_segment = sockets_[listener].max_segment;
        s.linger = sockets_[listener].linger;
        s.local = local;
        s.flow = flow_key{local, remote};
        s.parent = listener;
        return *child;
    }

    // The child's connection exists: its timer, its place in the table, the listener's count.
    template <class Host>
    void register_child(Host& host, std::uint32_t listener, std::uint32_t id) {
        auto& s = sockets_[id];
        s.timer = host.add_timer(*this, id);
        conns_.emplace(*s.flow, id);
        charge(s);
        sockets_[listener].half_open.push_back(id);
    }

    // Room in a full backlog: RFC 4987 §3.4 recycles the oldest half-open
    // connection (under a flood, the likeliest to be spoofed). With none,
    // the backlog is all established connections the application has not
    // accepted, and the newcomer is dropped.
    template <class Host>
    bool evict_oldest_half_open(Host& host, std::uint32_t listener) {
        auto& l = sockets_[listener];
        if (l.half_open.empty()) {
            ++counters_.rx_syn_queue_full;
            return false;
        }
        const std::uint32_t oldest = l.half_open.front();
        l.half_open.erase(l.half_open.begin());
        ++counters_.half_open_evicted;
        release(host, oldest);
        return true;
    }

    [[nodiscard]] bool within_budget(const tcp::config& c) const noexcept {
        return conns_.size() < cfg_.max_connections &&
               buffer_bytes_ + c.send_buffer + c.receive_buffer <= cfg_.memory_budget;
    }
    // What a connection's buffers may come to hold, counted against the budget.
    void charge(socket& s) noexcept {
        buffer_bytes_ -= s.charged;
        s.charged = std::uint64_t{s.cfg.send_buffer} + s.cfg.receive_buffer;
        buffer_bytes_ += s.charged;
    }

    // RFC 4987 §3.6: the SYN-ACK the listener would have sent, its ISN a
    // cookie, the options it must remember in its TSval; no state kept. It
    // is never an ECN-setup SYN-ACK: the cookie does not remember ECN, so
    // neither side uses it (tcp/ecn.hpp).
    template <class Host>
    void send_cookie_syn_ack(Host& host, const socket& l, const socket_address& local, const socket_address& remote,
                             const repr& syn, instant now) {
        const config c = connection_config(host, l, remote);
        syn_cookie_options remember{.mss = syn.options.mss.value_or(c.default_peer_mss),
                                    .window_scale = syn.options.window_scale,
                                    .sack_permitted = syn.options.sack_permitted};
        const seq32 iss = cookies_.make(local, remote, syn.seq_number, remember.mss, now);
        segment s;
        s.seq = iss;
        s.ack = syn.seq_number + 1;
        s.flags.bits = wire::tcp_flags::syn | wire::tcp_flags::ack;
        s.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(c.receive_buffer, 0xFFFF));
        s.options.mss = std::min<std::uint16_t>(c.mss, syn_cookies::mss_table.back());
        if (c.offer.timestamps && syn.options.ts) {
            // Only where the TSval can carry them: window scale and SACK-permitted.
            const negotiated_options clock{c.offer, c.receive_buffer, ts_offset_for(iss)};
            s.options.ts = wire::timestamps{syn_cookies::encode_ts(clock.tsval(now), remember), syn.options.ts->tsval};
            if (c.offer.window_scale && syn.options.window_scale) s.options.window_scale = window_shift_for(c.receive_buffer);
            if (c.offer.sack && syn.options.sack_permitted) s.options.sack_permitted = true;
        }
        ++counters_.syn_cookies_sent;
        send_segment(host, local, remote, s, nullptr, now);
    }

    // The handshake's last ACK for a listener that sent cookies lately: a
    // valid cookie makes the connection, established, into the accept queue.
    template <class Host>
    bool accept_cookie(Host& host, std::uint32_t listener, const socket_address& local, const socket_address& remote,
                       const repr& ack, instant now) {
        if (!cfg_.syn_cookies || now >= sockets_[listener].cookies_until) return false;
        const auto mss = cookies_.check(local, remote, ack.seq_number, ack.ack_number, now);
        if (!mss) {
            ++counters_.syn_cookies_rejected;
            return false;
        }
        // Dropped when there is no room; the peer's retransmission may find some.
        auto& l = sockets_[listener];
        if (!within_budget(l.cfg)) {
            ++counters_.rx_over_budget;
            return true;
        }
        if (l.half_open.size() + l.accept_queue.size() >= l.backlog && !evict_oldest_half_open(host, listener))
            return true;
        // The SYN as the cookie remembers it.
        repr syn;
        syn.src_port = ack.src_port;
        syn.dst_port = ack.dst_port;
        syn.seq_number = ack.seq_number - 1;
        syn.flags.bits = wire::tcp_flags::syn;
        syn.window = ack.window;
        syn.options.mss = *mss;
        if (ack.options.ts) {
            syn_cookie_options o;
            syn_cookies::decode_ts(ack.options.ts->tsecr, o);
            syn.options.window_scale = o.window_scale;
            syn.options.sack_permitted = o.sack_permitted;
            syn.options.ts = wire::timestamps{ack.options.ts->tsval, 0};
        }
        const auto child = open_child(listener, local, remote);
        if (!child) return false;
        auto& s = sockets_[*child];
        auto c = connection_config(host, s, remote);
        if (!ack.options.ts) c.offer = {.window_scale = false, .sack = false, .timestamps = false};
        s.conn.emplace(c, ack.ack_number - 1, syn, now);
        s.conn->syn_ack_sent_statelessly();
        register_child(host, listener, *child);
        ++counters_.syn_cookies_accepted;
        s.conn->on_segment(ack, now);
        flush(host, *child, now);
        return true;
    }

    // Sends what the connection has, re-arms its timer, and moves it along
    // its listener's queues or frees it when it is done.
    template <class Host>
    [[gnu::hot]] void flush(Host& host, std::uint32_t id, instant now) {
        auto& s = sockets_[id];
        auto& c = *s.conn;
        c.poll_transmit(now, [&](const segment& seg) {
            send_segment(host, s.flow->local, s.flow->remote, seg, &c, now);
        });
        if (c.fast_open().report) [[unlikely]]  // RFC 7413 §4.1.3: what a SYN-ACK or a SYN's timeout taught
            fast_open_cache_.learn(s.flow->local.address, s.flow->remote.address, *c.take_fast_open_report(), now);
        if (s.parent && !s.queued_for_accept && c.established()) {
            auto& l = sockets_[*s.parent];
            std::erase(l.half_open, id);
            l.accept_queue.push_back(id);
            s.queued_for_accept = true;
        }
        if (c.finished()) {
            if (s.parent) {
                auto& l = sockets_[*s.parent];
                std::erase(s.queued_for_accept ? l.accept_queue : l.half_open, id);
                return release(host, id);  // never accepted: nobody holds its handle
            }
            if (s.user_closed) return release(host, id);
        }
        if (instant d; c.next_deadline(d)) host.arm_timer(s.timer, std::max(d, now));
        else host.cancel_timer(s.timer);
    }

    template <class Host>
    void send_segment(Host& host, const socket_address& local, const socket_address& remote, const segment& seg,
                      const connection_type* c, instant) {
        const std::size_t len = repr::traits::fixed_len + seg.options.buffer_len() + seg.payload_len;
        if (seg.has(wire::tcp_flags::rst)) ++counters_.tx_resets;
        // The fill is inlined into the stack's transmit: a call of its own, every segment, moved its captures
        // through memory. The length and the connection by value: one load each, not two.
        (void)host.transmit(local.address, remote.address, ip_protocol, len,
                            [&, len, c](mut_bytes out) __attribute__((always_inline)) -> result<std::size_t> {
            // Straight from the connection's segment: no repr in between to copy its options into. The
            // options' length is what len holds besides the fixed header and the payload.
            auto h = repr::emit_sized_header(out, {local.port, remote.port, seg.seq, seg.ack, seg.flags, seg.window, 0},
                                             seg.options, len - repr::traits::fixed_len - seg.payload_len,
                                             seg.payload_len);
            if (!h) return h.error();
            constexpr std::size_t field = wire::tcp_layout_traits<layout>::checksum_offset;
            // One pass over the payload: summed as it is copied from the send buffer into the frame.
            // emit_header() wrote the field as zeros: the header is summed in one piece.
            // A strategy whose state holds nothing (none) cannot depend on the bytes: no pseudo-header for it,
            // whose address accessors the compiler kept for the exception they may throw.
            auto st = checksum_type::init();
            if constexpr (!std::is_empty_v<typename checksum_type::state>)
                st = checksum_type::update(checksum_type::update(st, pseudo_for(local.address, remote.address, len).bytes()),
                                           out.first(*h));
            std::size_t at = *h;
            if (seg.payload_len > 0 && c) {
                const auto [first, second] = c->payload(seg);
                st = checksum::update_copy<checksum_type>(st, first, out.data() + at);
                at += first.size();
                st = checksum::update_copy<checksum_type>(st, second, out.data() + at);
                at += second.size();
            }
            if (at < len) {  // a payload the buffer no longer holds (never for a segment just handed out)
                std::fill(out.begin() + static_cast<std::ptrdiff_t>(at), out.begin() + static_cast<std::ptrdiff_t>(len), 0);
                st = checksum_type::update(st, out.subspan(at, len - at));
            }
            // A strategy whose state holds nothing (none) sums to a constant: 0 is in the field already.
            constexpr bool fits_field = checksum_type::width == wire::tcp_layout_traits<layout>::checksum_width;
            const auto sum = checksum_type::finish(st);
            if (!(std::is_empty_v<typename checksum_type::state> && fits_field) || sum != 0)
                wire::store_checksum<checksum_type>(out, field, sum);
            return len;
        }, seg.ecn, c ? c->ip_options() : ip_header_options{});
    }

    template <class Host>
    void abort_connection(Host& host, std::uint32_t id, instant now) {
        auto& s = sockets_[id];
        s.parent.reset();
        s.user_closed = true;
        if (s.conn) {
            s.conn->abort();
            flush(host, id, now);
        }
    }

    template <class Host>
    void release(Host& host, std::uint32_t id) {
        auto& s = sockets_[id];
        if (s.flow) conns_.erase(*s.flow);
        if (last_flow_ && last_flow_->second == id) last_flow_.reset();
        if (last_v4_.id == id) last_v4_ = {};
        if (s.local && s.owns_binding) ports_.release(*s.local);
        host.remove_timer(s.timer);
        buffer_bytes_ -= s.charged;
        s = socket{};
        free_.push_back(id);
    }

    void mark_dirty(std::uint32_t id) {
        if (!sockets_[id].dirty) {
            sockets_[id].dirty = true;
            dirty_.push_back(id);
        }
    }

    endpoint_config cfg_;
    siphash_key key_{};
    std::vector<socket> sockets_;
    std::vector<std::uint32_t> free_, dirty_;
    std::uint64_t buffer_bytes_ = 0;  // charged by every connection, against cfg_.memory_budget
    flow_table conns_{0, flow_hash{}};
    std::optional<std::pair<flow_key, std::uint32_t>> last_flow_;  // find_flow's last answer
    struct v4_flow_memo {
        std::uint64_t addresses = 0, ports = 0;  // ports 0: empty
        std::uint32_t id = 0;
        // The source and destination ports as the header holds them, with a bit an empty memo lacks.
        [[nodiscard, gnu::always_inline]] static std::uint64_t ports_of(const view& v) noexcept {
            std::uint32_t raw;
            if constexpr (std::is_same_v<layout, wire::tcp_layout>) {
                std::memcpy(&raw, v.segment().data(), sizeof raw);
            } else {
                raw = std::uint32_t{static_cast<std::uint16_t>(v.src_port())} << 16 | static_cast<std::uint16_t>(v.dst_port());
            }
            return std::uint64_t{1} << 32 | raw;
        }
    } last_v4_;  // find_flow's last answer over IPv4, as the headers hold its 4-tuple
    repr rx_repr_;  // input's, read over for each segment (input is never re-entered)
    listener_table listeners_{0, wire::keyed_address_hash{}};
    wire::port_space ports_;
    syn_cookies cookies_;
    fast_open_cache fast_open_cache_{cfg_.fast_open_servers};
    endpoint_counters counters_;
};

}  // namespace l4::tcp
