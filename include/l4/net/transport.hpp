// The Transport concept: what the stack needs of a protocol above IP (UDP,
// TCP, a user's own). The stack owns one of each transport it carries,
// hands each the packets of its IP protocol number, gives it the sockets of
// its kind, runs its timers, and frames and sends what it transmits. A
// transport never touches the link and never reads a clock.
//
// Minimal complete definition (Host is the stack's view of the host, below)
//   T::ip_protocol             std::uint8_t: the IP protocol it receives
//   T::socket_kind             wire::socket_type: stream or datagram
//   t.check_config()           -> result<void>: whether its configuration can work
//   t.start(host)              called once by the stack, before anything else
//   t.open()                   -> result<std::uint32_t>: a new socket, its own id for it
//   t.close(host, id, now)     -> result<void>
//   t.bind(host, id, local)    -> result<wire::socket_address>
//   t.input(host, packet, now) -> wire::input_verdict, for a wire::ip_packet
//       addressed to this host with the transport's protocol. The stack
//       answers `port_unreachable` with ICMP.
//   t.poll(host, now)          the send pass: transmit what may leave now
//   t.next_deadline()          -> std::optional<instant>, besides its timers
// Optional (the stack's verb answers not_supported without them)
//   connect, sendto, send, recvfrom, recv, listen, accept, shutdown, abort,
//   readable, writable, local_address, peer_address, recv_queue,
//   set_option(id, socket_option, int64) -> result<void>, get_option(id, o) -> result<int64>,
//   on_timer(host, key, now)   a timer the transport armed has fired
//   on_peer_error(local, remote, errc)   an ICMP error quoting its datagram
//
// What the host gives a transport (net::stack's host_view)
//   host.is_local(addr), host.source_for(dst) -> result<ip_address>,
//   host.max_segment(dst): the largest transport segment one frame to dst holds,
//   host.secret(): the stack's siphash_key (RFC 6056 ports, RFC 6528 ISNs, cookies),
//   host.transmit(src, dst, protocol, len, fill[, ecn]) -> result<void>: fill(mut_bytes)
//       -> result<std::size_t> writes the segment where the frame will carry
//       it; a frame the link refuses is kept and sent later (queue_full only
//       when the host holds as many as it may); `ecn` is the IP ECN
//       codepoint (RFC 3168 §5, default not-ECT), and a received packet's
//       is wire::ip_packet::ecn(),
//   host.can_transmit(): whether transmit() would take a frame now,
//   host.receiving(): whether poll's receive pass is under way (its send pass follows, in the same poll),
//   host.add_timer(key), arm_timer(h, when), cancel_timer(h), remove_timer(h):
//       the stack's timers (core/timer.hpp); a fired one calls on_timer(key).
//
// Laws
//   - input() and poll() never block and never allocate per segment once warm.
//   - A spurious or late on_timer() does no harm.
//   - Everything received is either accepted or counted as dropped.
#pragma once

#include <l4/core/error.hpp>
#include <l4/core/time.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/packet.hpp>

#include <concepts>
#include <cstdint>
#include <optional>

namespace l4::net {

template <class T, class Host>
concept transport = requires(T& t, const T& ct, Host& host, const wire::ip_packet& p, std::uint32_t id,
                             const wire::socket_address& a, instant now) {
    { T::ip_protocol } -> std::convertible_to<std::uint8_t>;
    { T::socket_kind } -> std::convertible_to<wire::socket_type>;
    { ct.check_config() } -> std::same_as<result<void>>;
    t.start(host);
    { t.open() } -> std::same_as<result<std::uint32_t>>;
    { t.close(host, id, now) } -> std::same_as<result<void>>;
    { t.bind(host, id, a) } -> std::same_as<result<wire::socket_address>>;
    { t.input(host, p, now) } -> std::same_as<wire::input_verdict>;
    t.poll(host, now);
    { ct.next_deadline() } -> std::same_as<std::optional<instant>>;
};

// For a readable diagnostic: static_assert(l4::net::check_transport<my_transport, host>()).
template <class T, class Host>
consteval bool check_transport() {
    static_assert(requires { { T::ip_protocol } -> std::convertible_to<std::uint8_t>; },
                  "a transport needs static constexpr std::uint8_t ip_protocol");
    static_assert(requires { { T::socket_kind } -> std::convertible_to<wire::socket_type>; },
                  "a transport needs static constexpr l4::wire::socket_type socket_kind");
    static_assert(requires(const T& t) { { t.check_config() } -> std::same_as<result<void>>; },
                  "a transport needs result<void> check_config() const");
    static_assert(requires(T& t, Host& h) { t.start(h); }, "a transport needs void start(Host&)");
    static_assert(requires(T& t) { { t.open() } -> std::same_as<result<std::uint32_t>>; },
                  "a transport needs result<std::uint32_t> open()");
    static_assert(requires(T& t, Host& h, std::uint32_t id, instant now) {
        { t.close(h, id, now) } -> std::same_as<result<void>>;
    }, "a transport needs result<void> close(Host&, std::uint32_t, instant)");
    static_assert(requires(T& t, Host& h, std::uint32_t id, const wire::socket_address& a) {
        { t.bind(h, id, a) } -> std::same_as<result<wire::socket_address>>;
    }, "a transport needs result<wire::socket_address> bind(Host&, std::uint32_t, const wire::socket_address&)");
    static_assert(requires(T& t, Host& h, const wire::ip_packet& p, instant now) {
        { t.input(h, p, now) } -> std::same_as<wire::input_verdict>;
    }, "a transport needs wire::input_verdict input(Host&, const wire::ip_packet&, instant)");
    static_assert(requires(T& t, Host& h, instant now) { t.poll(h, now); },
                  "a transport needs void poll(Host&, instant): its send pass");
    static_assert(requires(const T& t) { { t.next_deadline() } -> std::same_as<std::optional<instant>>; },
                  "a transport needs std::optional<instant> next_deadline() const");
    return transport<T, Host>;
}

}  // namespace l4::net
