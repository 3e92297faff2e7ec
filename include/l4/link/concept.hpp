// The Link concept: what every endpoint runs over.
//
// A link carries IP datagrams ("frames": no link-layer header) between this
// host and the network. It is driven, never driving: the caller passes `now`
// into every call and learns from the link when to come back.
//
// Minimal complete definition
//   l.transmit(frame, now)  -> io_result<void>
//       Takes a copy of one datagram. Errors: frame_too_large (over mtu()),
//       queue_full (the frame was not taken; the link counts it), link_closed.
//   l.receive(buffer, now)  -> io_result<std::size_t>
//       Copies the next datagram due by `now` into `buffer` and returns its
//       length; would_block when none is due. Never blocks. A buffer of mtu()
//       bytes always suffices; a shorter one gives buffer_too_small and the
//       frame stays queued.
//   l.mtu()                 -> std::size_t: the largest datagram, in bytes
//   l.next_deadline()       -> std::optional<instant>: when something will
//       happen without outside input (virtual links); nullopt if nothing is
//       scheduled or time is real.
//   l.poll_fd()             -> int: a file descriptor that becomes readable
//       when receive() may succeed (real links), or -1.
//
// Optional
//   cl.writable()           -> bool: whether transmit() would take a frame
//       now. A link without it is taken to be always writable. A real link
//       also signals it as POLLOUT on poll_fd(); the stack keeps frames the
//       link refused and sends them once it is writable again.
//
// Optional: lending (a link whose frames live in memory it owns, the memory
// link, lets the stack build and read them there instead of copying)
//   l.transmit_buffer()     -> mut_bytes: room for the next frame (mtu()
//       bytes) inside the link, or an empty span when transmit() would say
//       queue_full. Valid until the next call on the link.
//   l.transmit_built(len, now) -> io_result<void>: sends the first `len`
//       bytes written there; the same errors and counters as transmit().
//   l.receive_lent(now)     -> std::optional<bytes>: the next frame due by
//       `now`, where it lies; nullopt when none is (receive()'s would_block).
//   l.release_received()    -> void: done with that frame; the next
//       receive_lent() gives the one after it. Transmitting in between is
//       allowed and leaves the lent frame alone.
//   A link has both transmit members or neither, likewise the receive pair;
//   the stack uses them when present and transmit()/receive() otherwise, so
//   decorators (pcap_tap, fault) that do not forward them keep working.
//
// Laws
//   - Frames are delivered whole or not at all; a link that corrupts on
//     purpose (the simulator, the fault injector) says so in its counters.
//   - receive() never returns a frame before its delivery time.
//   - Neither call allocates per frame once the link has warmed up.
//
// Models: link::memory_end, link::sim::port, link::udp_tunnel, link::tun, and
// the decorators link::pcap_tap<L> and link::fault<L> around any of them.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>

#include <concepts>
#include <cstddef>
#include <optional>

namespace l4::link {

template <class L>
concept link = requires(L& l, const L& cl, bytes frame, mut_bytes buffer, instant now) {
    { l.transmit(frame, now) } -> std::same_as<io_result<void>>;
    { l.receive(buffer, now) } -> std::same_as<io_result<std::size_t>>;
    { cl.mtu() } -> std::convertible_to<std::size_t>;
    { cl.next_deadline() } -> std::same_as<std::optional<instant>>;
    { cl.poll_fd() } -> std::convertible_to<int>;
};

// For a readable diagnostic: static_assert(l4::link::check_link<my_link>());
template <class L>
consteval bool check_link() {
    static_assert(requires(L& l, bytes f, instant t) {
        { l.transmit(f, t) } -> std::same_as<io_result<void>>;
    }, "a link needs io_result<void> transmit(l4::bytes frame, l4::instant now)");
    static_assert(requires(L& l, mut_bytes b, instant t) {
        { l.receive(b, t) } -> std::same_as<io_result<std::size_t>>;
    }, "a link needs io_result<std::size_t> receive(l4::mut_bytes buffer, l4::instant now)");
    static_assert(requires(const L& l) {
        { l.mtu() } -> std::convertible_to<std::size_t>;
    }, "a link needs std::size_t mtu() const");
    static_assert(requires(const L& l) {
        { l.next_deadline() } -> std::same_as<std::optional<instant>>;
    }, "a link needs std::optional<l4::instant> next_deadline() const");
    static_assert(requires(const L& l) {
        { l.poll_fd() } -> std::convertible_to<int>;
    }, "a link needs int poll_fd() const (-1 when it has none)");
    return link<L>;
}

// Whether `l` would take a frame now (see "Optional" above).
template <link L>
[[nodiscard]] bool writable(const L& l) noexcept {
    if constexpr (requires { { l.writable() } -> std::convertible_to<bool>; }) return l.writable();
    else return true;
}

template <class L>
concept lends_transmit = requires(L& l, std::size_t len, instant now) {
    { l.transmit_buffer() } -> std::same_as<mut_bytes>;
    { l.transmit_built(len, now) } -> std::same_as<io_result<void>>;
};
template <class L>
concept lends_receive = requires(L& l, instant now) {
    { l.receive_lent(now) } -> std::same_as<std::optional<bytes>>;
    l.release_received();
};

// Counters every link keeps, so tests and tools read them the same way.
struct link_counters {
    std::uint64_t tx_frames = 0, tx_bytes = 0;
    std::uint64_t rx_frames = 0, rx_bytes = 0;
    std::uint64_t tx_dropped_full = 0;     // queue_full
    std::uint64_t tx_dropped_too_big = 0;  // frame_too_large
};

}  // namespace l4::link
