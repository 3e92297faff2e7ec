// A host: one link, its IP addresses, and the transports on top (UDP, and
// TCP beside it), each a plug-in that satisfies net/transport.hpp. The
// stack frames IP, hands each received packet to the transport of its
// protocol number, answers what no transport takes with ICMP, keeps one
// socket table for every transport, runs their timers, and sends what they
// transmit.
//
// How to drive it: call poll(now) whenever the link may have something (its
// poll_fd() became readable, or writable while frames wait), or
// next_deadline() has passed. poll() receives every frame due, fires the
// timers due, lets every transport transmit, and retries frames the link
// refused earlier. The socket calls never block; net/drive.hpp has the
// blocking conveniences that loop on poll() until data or a deadline.
//
//     l4::net::stack host{std::move(link), {.addresses = {*l4::net::ip_address::from_string("192.0.2.2")}}};
//     auto s = host.socket(l4::net::socket_type::datagram);
//     host.bind(*s, {l4::net::ip_address::any_v4(), 50000});
//     host.poll(now);
//     auto r = host.recvfrom(*s, buffer);
#pragma once

#include <l4/core/error_code.hpp>
#include <l4/core/frame_queue.hpp>
#include <l4/core/keyed_hash.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/socket_option.hpp>
#include <l4/core/time.hpp>
#include <l4/core/timer_wheel.hpp>
#include <l4/link/concept.hpp>
#include <l4/net/icmp.hpp>
#include <l4/net/ip.hpp>
#include <l4/net/socket_table.hpp>
#include <l4/net/transport.hpp>
#include <l4/udp/endpoint.hpp>
#include <l4/wire/address.hpp>

#include <cstdint>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace l4::net {

using wire::input_verdict;
using wire::received;
using wire::socket_type;
using l4::socket_option;

struct stack_config {
    std::vector<ip_address> addresses{};
    std::uint8_t ttl = 64;  // also the IPv6 hop limit
    // Keys RFC 6056 port choice, RFC 6528 ISNs, SYN cookies and the hash
    // tables. Give each host a secret of its own on a real network
    // (l4::random_key(), core/random_key.hpp); tests pass a fixed one so
    // that runs repeat.
    siphash_key secret{};
    icmp_config icmp{};  // echo answered; port unreachable rate limited
    // Frames the link refused, kept to send on a later poll (0: none kept).
    std::size_t tx_pending_frames = 64;
    bool reserve_well_known_ports = false;  // bind() below 1024 then needs `privileged`
    bool privileged = false;

    // Errors: invalid_argument (ttl 0: every frame would die at the first hop).
    [[nodiscard]] result<void> check() const noexcept {
        if (ttl == 0) return errc::invalid_argument;
        return {};
    }
};

struct stack_counters {
    std::uint64_t rx_frames = 0;
    std::uint64_t rx_no_transport = 0;    // an IP protocol no transport carries
    std::uint64_t rx_port_unreachable = 0;  // a transport had no socket; ICMP said so when it may
    std::uint64_t rx_icmp_flow_errors = 0;  // ICMP errors quoting one of our flows, given to its transport
    std::uint64_t tx_frames = 0;          // taken by the link
    std::uint64_t tx_deferred = 0;        // refused by the link, kept for a later poll
    std::uint64_t tx_dropped = 0;         // refused with nowhere to keep them (queue_full to the transport)
};

template <link::link Link, class... Transports>
class stack {
    static_assert(sizeof...(Transports) > 0, "l4::net::stack: carry at least one transport");
    static_assert(sizeof...(Transports) < 256);

public:
    class host_view;
    using socket_id = net::socket_id;
    using received = wire::received;
    using transports = std::tuple<Transports...>;

    // Carries default-constructed transports, or the ones given.
    stack(Link link, stack_config cfg, Transports... ts)
        : link_{std::move(link)}, cfg_{std::move(cfg)}, ip_{{cfg_.addresses, cfg_.ttl}}, icmp_{cfg_.icmp},
          transports_{std::move(ts)...}, rx_buffer_(link_.mtu()), tx_buffer_(link_.mtu()),
          pending_{cfg_.tx_pending_frames, cfg_.tx_pending_frames ? link_.mtu() : 0} {
        static_assert((check_transport<Transports, host_view>() && ...));
        std::apply([&](auto&... t) { (t.start(host()), ...); }, transports_);
    }
    stack(Link link, stack_config cfg) requires(std::is_default_constructible_v<Transports> && ...)
        : stack(std::move(link), std::move(cfg), Transports{}...) {}

    // The configuration, checked: the way to build a stack from settings a
    // user typed. Errors: invalid_argument, naming no more than that.
    [[nodiscard]] static result<stack> create(Link link, stack_config cfg, Transports... ts) {
        if (auto ok = cfg.check(); !ok) return ok.error();
        result<void> ok{};
        ((ok = ok ? ts.check_config() : ok), ...);
        if (!ok) return ok.error();
        return stack{std::move(link), std::move(cfg), std::move(ts)...};
    }
    [[nodiscard]] static result<stack> create(Link link, stack_config cfg)
        requires(std::is_default_constructible_v<Transports> && ...)
    {
        return create(std::move(link), std::move(cfg), Transports{}...);
    }

    // --- socket verbs ---------------------------------------------------

    // A socket of the first transport of that kind. Errors: not_supported
    // (no transport of that kind), and the transport's (invalid_argument
    // when its configuration cannot work).
    [[nodiscard]] result<socket_id> socket(socket_type kind) {
        result<socket_id> r = errc::not_supported;
        bool found = false;
        for_each_transport([&](auto& t, std::uint8_t index) {
            if (found || t.socket_kind != kind) return;
            found = true;
            auto local = t.open();
            if (!local) r = local.error();
            else r = sockets_.open(index, *local);
        });
        return r;
    }

    // A socket of transport T, where the stack carries two of a kind (a TCP
    // variant beside TCP).
    template <class T>
    [[nodiscard]] result<socket_id> socket() {
        auto local = transport<T>().open();
        if (!local) return local.error();
        return sockets_.open(index_of<T>(), *local);
    }

    // Errors: bad_socket, invalid_argument (already bound),
    // address_not_available, address_in_use, permission_denied,
    // no_ports_available.
    [[nodiscard]] io_result<socket_address> bind(socket_id s, const socket_address& local) {
        if (local.port != 0 && local.port <= well_known_last && cfg_.reserve_well_known_ports && !cfg_.privileged)
            return errc::permission_denied;
        return with_socket<socket_address>(s, [&](auto& t, std::uint32_t id) { return to_io(t.bind(host(), id, local)); });
    }

    [[nodiscard]] io_result<void> connect(socket_id s, const socket_address& peer, instant now) {
        last_now_ = now;
        return with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.connect(host(), id, peer, now); }) return to_io(t.connect(host(), id, peer, now));
            else return errc::not_supported;
        });
    }

    [[nodiscard]] io_result<void> close(socket_id s, instant now = {}) {
        last_now_ = std::max(last_now_, now);
        auto r = with_socket<void>(s, [&](auto& t, std::uint32_t id) { return to_io(t.close(host(), id, now)); });
        if (r) sockets_.close(s);
        return r;
    }

    // `flags`: send_flags::fast_open (MSG_FASTOPEN) on a TCP socket connects
    // with the data in the SYN (tcp::endpoint::sendto); else not_supported.
    [[nodiscard]] io_result<std::size_t> sendto(socket_id s, bytes payload, const socket_address& to, instant now,
                                                send_flags flags = send_flags::none) {
        last_now_ = now;
        return with_socket<std::size_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::size_t> {
            if constexpr (requires { t.sendto(host(), id, payload, to, now, flags); })
                return to_io(t.sendto(host(), id, payload, to, now, flags));
            else if constexpr (requires { t.sendto(host(), id, payload, to, now); })
                return flags == send_flags::none ? to_io(t.sendto(host(), id, payload, to, now))
                                                 : io_result<std::size_t>{errc::not_supported};
            else return errc::not_supported;
        });
    }

    // `flags`: send_flags::more (MSG_MORE) where the transport knows it, else not_supported.
    [[nodiscard]] io_result<std::size_t> send(socket_id s, bytes payload, instant now,
                                              send_flags flags = send_flags::none) {
        last_now_ = now;
        return with_socket<std::size_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::size_t> {
            if constexpr (requires { t.send(host(), id, payload, now, flags); })
                return to_io(t.send(host(), id, payload, now, flags));
            else if constexpr (requires { t.send(host(), id, payload, now); })
                return flags == send_flags::none ? to_io(t.send(host(), id, payload, now))
                                                 : io_result<std::size_t>{errc::not_supported};
            else return errc::not_supported;
        });
    }

    // RFC 9293 §3.10.1 passive open: the socket takes connections.
    [[nodiscard]] io_result<void> listen(socket_id s, std::uint32_t backlog = 16) {
        return with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.listen(host(), id, backlog); }) return to_io(t.listen(host(), id, backlog));
            else return errc::not_supported;
        });
    }

    // A completed connection of a listening socket, as a socket of its own.
    // Errors: would_block (none yet), invalid_argument (not listening).
    [[nodiscard]] io_result<socket_id> accept(socket_id s) {
        const auto* e = sockets_.find(s);
        if (!e) return errc::bad_socket;
        const std::uint8_t index = e->transport;
        auto child = with_socket<std::uint32_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::uint32_t> {
            if constexpr (requires { t.accept(id); }) return to_io(t.accept(id));
            else return errc::not_supported;
        });
        if (!child) return child.error();
        return sockets_.open(index, *child);
    }

    // Half-close: the sending side ends (a FIN after what is queued).
    [[nodiscard]] io_result<void> shutdown(socket_id s, instant now) {
        last_now_ = now;
        return with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.shutdown(host(), id, now); }) return to_io(t.shutdown(host(), id, now));
            else return errc::not_supported;
        });
    }

    // The connection ends at once with a reset, and the socket is closed.
    [[nodiscard]] io_result<void> abort(socket_id s, instant now) {
        last_now_ = now;
        auto r = with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.abort(host(), id, now); }) {
                if (auto a = t.abort(host(), id, now); !a) return a.error();
                return to_io(t.close(host(), id, now));
            } else {
                return errc::not_supported;
            }
        });
        if (r) sockets_.close(s);
        return r;
    }

    [[nodiscard]] io_result<received> recvfrom(socket_id s, mut_bytes buffer) {
        return with_socket<received>(s, [&](auto& t, std::uint32_t id) -> io_result<received> {
            if constexpr (requires { t.recvfrom(id, buffer); }) return to_io(t.recvfrom(id, buffer));
            else return errc::not_supported;
        });
    }

    [[nodiscard]] io_result<std::size_t> recv(socket_id s, mut_bytes buffer) {
        return with_socket<std::size_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::size_t> {
            if constexpr (requires { t.recv(id, buffer); }) return to_io(t.recv(id, buffer));
            else return errc::not_supported;
        });
    }

    // A write without a copy, for a stream socket (as smoltcp's send with a
    // closure): f(mut_bytes) is handed up to `max` bytes of free space in the
    // send buffer where they lie (up to where its storage wraps: call again
    // for more), fills them from the front and returns how many, which are
    // queued and sent as send() would. Returns that count; otherwise as
    // send(), with would_block when there is no room (f not called), and
    // not_supported for a transport without a byte stream.
    template <class F>
        requires std::is_invocable_r_v<std::size_t, F&, mut_bytes>
    [[nodiscard]] io_result<std::size_t> send_in_place(socket_id s, std::size_t max, F&& f, instant now,
                                                       send_flags flags = send_flags::none) {
        last_now_ = now;
        return with_socket<std::size_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::size_t> {
            if constexpr (requires { t.send_in_place(host(), id, max, f, now, flags); })
                return to_io(t.send_in_place(host(), id, max, f, now, flags));
            else return errc::not_supported;
        });
    }

    // A read without a copy, for a stream socket (as smoltcp's recv with a
    // closure): f(bytes) is handed the first received bytes where they lie in
    // the receive buffer (up to where its storage wraps: call again for the
    // rest) and returns how many it consumed, which are freed as recv() frees
    // what it copies. Returns that count; otherwise as recv(), and
    // not_supported for a transport without a byte stream.
    template <class F>
        requires std::is_invocable_r_v<std::size_t, F&, bytes>
    [[nodiscard]] io_result<std::size_t> recv_in_place(socket_id s, F&& f) {
        return with_socket<std::size_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::size_t> {
            if constexpr (requires { t.recv_in_place(id, f); }) return to_io(t.recv_in_place(id, f));
            else return errc::not_supported;
        });
    }

    // Receiving as the bytes arrive, lwIP's tcp_recv: from now on, in-order
    // bytes that find the socket's receive buffer empty go to h(bytes)
    // where they lie in the frame, during poll(), before any copy; h returns
    // how many it took, and the rest waits for recv() as before (as does
    // everything behind a hole or behind unread bytes: the order is kept).
    // h must not call this stack. Errors: bad_socket, not_connected (not
    // connected nor connecting), not_supported (no byte stream). An empty
    // tcp::recv_handler{} stops it.
    // A datagram socket takes h(bytes, const socket_address& from) -> bool,
    // lwIP's udp_recv: each datagram that finds the socket's queue empty,
    // where it lies in the frame; false leaves it to the queue and
    // recvfrom(). Errors: bad_socket, not_supported (a handler of the other
    // kind). An empty udp::recv_handler{} stops it.
    // h may own what cannot be copied (a std::unique_ptr): the handler types
    // hold such an h once (core/shared_callable.hpp).
    template <class F>
        requires std::is_invocable_r_v<std::size_t, F&, bytes> ||
                 std::is_invocable_r_v<bool, F&, bytes, const socket_address&>
    [[nodiscard]] io_result<void> set_recv_handler(socket_id s, F&& h) {
        return with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.set_recv_handler(id, std::forward<F>(h)); })
                return to_io(t.set_recv_handler(id, std::forward<F>(h)));
            else return errc::not_supported;
        });
    }

    // setsockopt(2) and getsockopt(2). Errors: bad_socket, not_supported
    // (the transport lacks the option), invalid_argument (a value out of
    // range, or an option that can no longer change).
    [[nodiscard]] io_result<void> set_option(socket_id s, socket_option o, std::int64_t value) {
        return with_socket<void>(s, [&](auto& t, std::uint32_t id) -> io_result<void> {
            if constexpr (requires { t.set_option(id, o, value); }) return to_io(t.set_option(id, o, value));
            else return errc::not_supported;
        });
    }
    [[nodiscard]] io_result<std::int64_t> get_option(socket_id s, socket_option o) {
        return with_socket<std::int64_t>(s, [&](auto& t, std::uint32_t id) -> io_result<std::int64_t> {
            if constexpr (requires { t.get_option(id, o); }) return to_io(t.get_option(id, o));
            else return errc::not_supported;
        });
    }

    [[nodiscard]] bool readable(socket_id s) const { return ask<bool>(s, false, [](const auto& t, auto id) {
        if constexpr (requires { t.readable(id); }) return t.readable(id);
        else return false;
    }); }
    [[nodiscard]] bool writable(socket_id s) const { return ask<bool>(s, false, [](const auto& t, auto id) {
        if constexpr (requires { t.writable(id); }) return t.writable(id);
        else return false;
    }); }
    [[nodiscard]] std::optional<socket_address> local_address(socket_id s) const {
        return ask<std::optional<socket_address>>(s, std::nullopt, [](const auto& t, auto id) {
            return t.local_address(id);
        });
    }
    [[nodiscard]] std::optional<socket_address> peer_address(socket_id s) const {
        return ask<std::optional<socket_address>>(s, std::nullopt, [](const auto& t, auto id) {
            return t.peer_address(id);
        });
    }
    [[nodiscard]] bool is_open(socket_id s) const noexcept { return sockets_.find(s) != nullptr; }

    // The transport of type T, for its own counters and settings.
    template <class T>
    [[nodiscard]] T& transport() noexcept { return std::get<T>(transports_); }
    template <class T>
    [[nodiscard]] const T& transport() const noexcept { return std::get<T>(transports_); }
    [[nodiscard]] const socket_table& sockets() const noexcept { return sockets_; }

    // A socket's own counters, when it belongs to transport T; else null.
    template <class T = std::tuple_element_t<0, transports>>
    [[nodiscard]] auto socket_stats(socket_id s) const -> decltype(std::declval<const T&>().socket_stats(0u)) {
        const auto* e = sockets_.find(s);
        if (!e || e->transport != index_of<T>()) return nullptr;
        return transport<T>().socket_stats(e->local);
    }

    // The largest payload one datagram of T to `to` can carry over this link.
    template <class T = std::tuple_element_t<0, transports>>
    [[nodiscard]] std::size_t max_payload(const ip_address& to) const noexcept {
        const std::size_t seg = host_view{const_cast<stack&>(*this)}.max_segment(to);
        return seg > T::header_len ? seg - T::header_len : 0;
    }

    // --- driving --------------------------------------------------------

    // Receives every frame due by `now`, fires the timers due, lets every
    // transport transmit, and retries frames the link refused. Returns the
    // number of frames received.
    [[gnu::hot]] std::size_t poll(instant now) {
        flush_pending(now);
        std::size_t frames = 0;
        receive_pass_ = true;
        if constexpr (link::lends_receive<Link>) {
            // Read where the link keeps it: one copy fewer.
            while (const auto f = link_.receive_lent(now)) {
                ++frames;
                ++counters_.rx_frames;
                input(*f, now);
                link_.release_received();
            }
        } else {
            while (true) {
                auto n = link_.receive(rx_buffer_, now);
                if (!n) break;
                ++frames;
                ++counters_.rx_frames;
                input(bytes{rx_buffer_}.first(*n), now);
            }
        }
        receive_pass_ = false;
        timers_.expire(now, [&](timer_handle, std::uint64_t key) {
            const auto index = static_cast<std::uint8_t>(key >> 56);
            const std::uint64_t own = key & ((std::uint64_t{1} << 56) - 1);
            for_each_transport([&](auto& t, std::uint8_t i) {
                if constexpr (requires { t.on_timer(host(), own, now); })
                    if (i == index) t.on_timer(host(), own, now);
            });
        });
        for_each_transport([&](auto& t, std::uint8_t) { t.poll(host(), now); });
        flush_pending(now);
        return frames;
    }

    // The earliest of the link's, the timers' and the transports' deadlines
    // (one at instant::max(), the end of time, counts as none).
    [[nodiscard]] std::optional<instant> next_deadline() const {
        const instant d = next_deadline_or(instant::max());
        return d == instant::max() ? std::nullopt : std::optional{d};
    }
    // The same as a plain value: the earliest of the deadlines and `none`.
    // For a driver that asks at every round: an optional kept between the
    // sources went through memory at each.
    [[nodiscard, gnu::always_inline]] instant next_deadline_or(instant none) const {
        instant d = none;
        const auto take = [&](std::optional<instant> t) __attribute__((always_inline)) {
            if (t && *t < d) d = *t;
        };
        take(link_.next_deadline());
        take(timers_.next_deadline());
        std::apply([&](const auto&... t) { (take(t.next_deadline()), ...); }, transports_);
        return d;
    }
    [[nodiscard]] int poll_fd() const { return link_.poll_fd(); }
    // Frames wait for the link to become writable (POLLOUT on poll_fd()).
    [[nodiscard]] bool wants_writable() const noexcept { return !pending_.empty(); }

    [[nodiscard]] const ip_counters& ip_stats() const noexcept { return ip_.counters(); }
    [[nodiscard]] const icmp_counters& icmp_stats() const noexcept { return icmp_.counters(); }
    [[nodiscard]] const stack_counters& stats() const noexcept { return counters_; }
    [[nodiscard]] Link& link() noexcept { return link_; }
    [[nodiscard]] const Link& link() const noexcept { return link_; }
    [[nodiscard]] const std::vector<ip_address>& addresses() const noexcept { return ip_.addresses(); }
    [[nodiscard]] const stack_config& config() const noexcept { return cfg_; }

    // What a transport sees of its host (see net/transport.hpp).
    class host_view {
    public:
        explicit host_view(stack& s) noexcept : s_{&s} {}

        [[nodiscard]] bool is_local(const ip_address& a) const noexcept { return s_->ip_.is_local(a); }
        [[nodiscard]] result<ip_address> source_for(const ip_address& dst) const noexcept {
            return s_->ip_.source_for(dst);
        }
        [[nodiscard]] std::size_t max_segment(const ip_address& dst) const noexcept {
            const std::size_t mtu = s_->link_.mtu(), ip = ip_layer::header_len(dst);
            return mtu > ip ? mtu - ip : 0;
        }
        [[nodiscard]] const siphash_key& secret() const noexcept { return s_->cfg_.secret; }
        // Whether poll's receive pass is under way: what a frame calls for may
        // wait for the send pass that follows it, in the same poll.
        [[nodiscard]] bool receiving() const noexcept { return s_->receive_pass_; }
        [[nodiscard]] bool can_transmit() const noexcept {
            return s_->pending_.empty() ? link::writable(s_->link_) || s_->pending_.capacity() > 0
                                        : !s_->pending_.full();
        }

        template <class Fill>
        [[nodiscard]] io_result<void> transmit(const ip_address& src, const ip_address& dst, std::uint8_t protocol,
                                            std::size_t len, Fill&& fill, std::uint8_t ecn = 0,
                                            ip_header_options ip = {}) {
            return s_->transmit(src, dst, protocol, len, std::forward<Fill>(fill), ecn, ip);
        }

        // Timers: `key` has 56 bits for the transport's own use.
        template <class T>
        [[nodiscard]] timer_handle add_timer(const T&, std::uint64_t key) {
            return s_->timers_.add(std::uint64_t{index_of<T>()} << 56 | (key & ((std::uint64_t{1} << 56) - 1)));
        }
        void arm_timer(timer_handle h, instant when) { s_->timers_.arm(h, when); }
        void cancel_timer(timer_handle h) { s_->timers_.cancel(h); }
        void remove_timer(timer_handle h) { s_->timers_.remove(h); }

    private:
        stack* s_;
    };

private:
    // Refreshed at each use: a moved stack must not hand out its old address.
    [[nodiscard]] host_view& host() noexcept {
        host_ = host_view{*this};
        return host_;
    }

    template <class T>
    static constexpr std::uint8_t index_of() {
        std::uint8_t i = 0, found = 0;
        ((std::is_same_v<T, Transports> ? (void)(found = i) : (void)0, ++i), ...);
        return found;
    }

    template <class F>
    void for_each_transport(F&& f) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (f(std::get<I>(transports_), static_cast<std::uint8_t>(I)), ...);
        }(std::index_sequence_for<Transports...>{});
    }

    // Runs fn(transport, its id) for the socket's transport. Errors: bad_socket.
    template <class R, class E>
    [[nodiscard]] static io_result<R> to_io(result<R, E>&& x) {
        if (!x) return x.error();
        if constexpr (std::is_void_v<R>) return {};
        else return std::move(*x);
    }

    template <class R, class F>
    [[nodiscard]] io_result<R> with_socket(socket_id s, F&& fn) {
        const auto* e = sockets_.find(s);
        if (!e) return errc::bad_socket;
        io_result<R> r = errc::bad_socket;
        for_each_transport([&](auto& t, std::uint8_t i) {
            if (i == e->transport) r = fn(t, e->local);
        });
        return r;
    }

    template <class R, class F>
    [[nodiscard]] R ask(socket_id s, R otherwise, F&& fn) const {
        const auto* e = sockets_.find(s);
        if (!e) return otherwise;
        R r = otherwise;
        const_cast<stack&>(*this).for_each_transport([&](const auto& t, std::uint8_t i) {
            if (i == e->transport) r = fn(t, e->local);
        });
        return r;
    }

    // Inline in poll(): out of line, every frame received
    // paid for a second call's saved and restored registers.
    [[gnu::hot, gnu::always_inline]] void input(bytes frame, instant now) {
        auto p = ip_.accept(frame);
        if (!p) return;
        // A transport whose number is neither ICMP's nor ICMPv6's takes its packets before the ICMP test,
        // which every datagram paid: the first that carries the protocol, as below (where the rest go).
        bool delivered = false;
        for_each_transport([&](auto& t, std::uint8_t) {
            constexpr std::uint8_t number = std::remove_reference_t<decltype(t)>::ip_protocol;
            if constexpr (number != wire::ip_protocol::icmp && number != wire::ip_protocol::icmpv6) {
                if (delivered || p->protocol != number) return;
                delivered = true;
                deliver(t, *p, frame, now);
            }
        });
        if (delivered) return;
        if (p->protocol == (p->v4 ? wire::ip_protocol::icmp : wire::ip_protocol::icmpv6)) {
            input_icmp(*p, now);
            return;
        }
        bool taken = false;
        for_each_transport([&](auto& t, std::uint8_t) {
            if (taken || p->protocol != t.ip_protocol) return;
            taken = true;
            deliver(t, *p, frame, now);
        });
        if (!taken) {
            ++counters_.rx_no_transport;
            ip_.count_unknown_protocol();
        }
    }

    template <class T>
    [[gnu::always_inline]] void deliver(T& t, const wire::ip_packet& p, bytes frame, instant now) {
        if (t.input(host(), p, now) != input_verdict::port_unreachable) return;
        ++counters_.rx_port_unreachable;
        // RFC 1122 §4.1.3.1: a UDP datagram to a port nobody listens on gets
        // port unreachable (a transport that answers itself, as TCP does
        // with RST, never returns this verdict).
        reply_icmp(p, [&](mut_bytes out) { return icmp_.port_unreachable(p, frame, out, now); });
    }

    void input_icmp(const wire::ip_packet& p, instant now) {
        std::optional<icmp_flow_error> error;
        reply_icmp(p, [&](mut_bytes out) -> result<std::size_t> {
            auto r = icmp_.on_packet(p, out, now);
            error = r.error;
            return r.reply_len;
        });
        if (!error || !ip_.is_local(error->local.address)) return;
        errc e;
        switch (error->what) {
        case icmp_flow_error::kind::port_unreachable: e = errc::connection_refused; break;
        case icmp_flow_error::kind::host_unreachable:
        case icmp_flow_error::kind::net_unreachable:
        case icmp_flow_error::kind::protocol_unreachable:
        case icmp_flow_error::kind::admin_prohibited: e = errc::no_route; break;
        default: return;  // soft errors (RFC 1122 §4.2.3.9): nothing for a socket to report
        }
        for_each_transport([&](auto& t, std::uint8_t) {
            if constexpr (requires { t.on_peer_error(error->local, error->remote, e); }) {
                if (t.ip_protocol != error->protocol) return;
                ++counters_.rx_icmp_flow_errors;
                t.on_peer_error(error->local, error->remote, e);
            }
        });
    }

    // An ICMP message back to the sender of `p`: build(out) writes it after
    // the IP header and returns its length (0: nothing to send).
    template <class Build>
    void reply_icmp(const wire::ip_packet& p, Build&& build) {
        const ip_address to = p.v4 ? ip_address{p.v4->src()} : ip_address{p.v6->src()};
        const ip_address from = p.v4 ? ip_address{p.v4->dst()} : ip_address{p.v6->dst()};
        const std::uint8_t protocol = p.v4 ? wire::ip_protocol::icmp : wire::ip_protocol::icmpv6;
        const std::size_t ip_len = ip_layer::header_len(to);
        const mut_bytes space = mut_bytes{tx_buffer_}.subspan(ip_len);
        auto n = build(space);
        if (!n || *n == 0) return;
        const mut_bytes frame = mut_bytes{tx_buffer_}.first(ip_len + *n);
        if (!ip_.emit_header(frame, from, to, protocol, *n)) return;
        (void)send_frame(frame, last_now_);
    }

    template <class Fill>
    [[gnu::hot]] [[nodiscard]] io_result<void> transmit(const ip_address& src, const ip_address& dst, std::uint8_t protocol,
                                                     std::size_t len, Fill&& fill, std::uint8_t ecn, ip_header_options ip) {
        const std::size_t ip_len = ip_layer::header_len(dst);
        if (ip_len + len > tx_buffer_.size()) return errc::message_too_long;
        if constexpr (link::lends_transmit<Link>) {
            // Built where the link keeps it: one copy fewer. A full link lends
            // nothing, and the frame goes the way that keeps it for later.
            if (const mut_bytes slot = pending_.empty() ? link_.transmit_buffer() : mut_bytes{};
                slot.size() >= ip_len + len) {
                const mut_bytes frame = slot.first(ip_len + len);
                auto n = fill(frame.subspan(ip_len));
                if (!n) return n.error();
                if (auto h = ip_.emit_header(frame, src, dst, protocol, *n, ecn, ip); !h) return h.error();
                // Success answered afresh, not by copying r: the link stored r's fields one by one, and
                // reading them back as whole words waited on those stores (a store-forwarding stall).
                if (auto r = link_.transmit_built(ip_len + *n, now_for_link()); !r) return r.error();
                ++counters_.tx_frames;
                return {};
            }
            return transmit_copy_cold(src, dst, protocol, len, fill, ecn, ip);
        } else {
            return transmit_copy(src, dst, protocol, len, fill, ecn, ip);
        }
    }

    // The frame built in the stack's own buffer, then handed to the link.
    template <class Fill>
    io_result<void> transmit_copy(const ip_address& src, const ip_address& dst, std::uint8_t protocol,
                                  std::size_t len, Fill& fill, std::uint8_t ecn, ip_header_options ip) {
        const std::size_t ip_len = ip_layer::header_len(dst);
        const mut_bytes frame = mut_bytes{tx_buffer_}.first(ip_len + len);
        auto n = fill(frame.subspan(ip_len));
        if (!n) return n.error();
        if (auto h = ip_.emit_header(frame, src, dst, protocol, *n, ecn, ip); !h) return h.error();
        return send_frame(frame.first(ip_len + *n), now_for_link());
    }
    // The same, for a link that lends its slots but had none: out of the
    // per-segment path's lines, which would otherwise hold a second copy of
    // the transport's whole segment writer.
    template <class Fill>
    [[gnu::cold]] io_result<void> transmit_copy_cold(const ip_address& src, const ip_address& dst, std::uint8_t protocol,
                                                     std::size_t len, Fill& fill, std::uint8_t ecn, ip_header_options ip) {
        return transmit_copy(src, dst, protocol, len, fill, ecn, ip);
    }

    // The link learns the time at every transmit; frames built outside
    // poll() go out at the last instant the stack was given.
    [[nodiscard]] instant now_for_link() const noexcept { return last_now_; }

    [[nodiscard]] io_result<void> send_frame(bytes frame, instant now) {
        if (pending_.empty()) {
            auto r = link_.transmit(frame, now);
            if (r) {
                ++counters_.tx_frames;
                return {};
            }
            if (r.error() != errc::queue_full) return r.error();
        }
        if (pending_.push(frame)) {
            ++counters_.tx_deferred;
            return {};
        }
        ++counters_.tx_dropped;
        return errc::queue_full;
    }

    // Inline: twice a poll, and the queue is almost always empty.
    [[gnu::always_inline]] void flush_pending(instant now) {
        last_now_ = now;
        if (!pending_.empty()) send_pending(now);
    }
    [[gnu::noinline]] void send_pending(instant now) {
        while (!pending_.empty()) {
            auto r = link_.transmit(pending_.front(), now);
            if (!r && r.error() == errc::queue_full) return;
            if (r) ++counters_.tx_frames;
            pending_.pop();  // sent, or refused for good (too large, link closed)
        }
    }

    Link link_;
    stack_config cfg_;
    ip_layer ip_;
    icmp icmp_;
    std::tuple<Transports...> transports_;
    socket_table sockets_;
    timer_wheel timers_;
    std::vector<std::uint8_t> rx_buffer_, tx_buffer_;
    frame_queue pending_;
    instant last_now_{};
    bool receive_pass_ = false;  // inside poll's receive loop (host_view::receiving)
    stack_counters counters_;
    host_view host_{*this};
};

template <link::link Link>
stack(Link, stack_config) -> stack<Link, udp::endpoint<>>;

}  // namespace l4::net
