// The flow-control concepts: `sender_policy` (how many new bytes may leave
// now, and what a retransmission timeout resends) and `receiver_policy` (how
// much window to advertise).
//
// Description
// -----------
// A TCP connection (or any reliable transport, TFTP included) asks its sender
// policy, every time it could transmit, how many new bytes may leave; it
// segments that amount by the MSS. The policy sees only a `send_state`: the
// sequence arithmetic (seq32) is already done, every field is a byte count.
// Congestion control is a separate policy: its cwnd arrives here as a number,
// and the sender policy never lets more than min(cwnd, peer window) be in
// flight. On a retransmission timeout the policy says what to resend
// (`rto_action`). The receiver policy turns the free space of the receive
// buffer into the window to advertise, avoiding the silly window syndrome and
// never moving an advertised right edge to the left.
//
// Policies are objects (a sender may remember the largest window the peer
// ever offered), one per connection, default-constructed by the connection.
//
// Minimal complete definition
// ---------------------------
// Sender policy S, with `s` an S lvalue and `st` a const send_state&:
//   s.may_send(st)   -> std::uint32_t: new bytes that may leave now (0: none)
//   s.on_timeout()   -> rto_action: from_una (go-back-N: snd.nxt rewound to
//                       snd.una, everything sent again as the window allows)
//                       or first_segment (only the first unacknowledged
//                       segment is sent again)
//   s.max_in_flight_segments() -> std::optional<std::uint32_t>: a cap on
//                       segments in flight (stop-and-wait: 1), or nullopt
//   optional: s.scoreboard() -> flow::scoreboard&: the sender is selective
//                       (selective_sender): the connection keeps the peer's
//                       SACK blocks there (RFC 6675), measures cwnd against
//                       pipe, retransmits the holes it deems lost, and after
//                       a timeout skips what the peer holds
//   optional: s.on_idle(peer_window) -> void, peer_window a std::uint32_t:
//                       what may_send(st) does for a state with nothing
//                       queued (st.queued == 0, st.peer_window ==
//                       peer_window), less the answer, 0 by law 2. The
//                       connection then calls it instead of may_send where
//                       nothing is queued, and builds no send_state for a
//                       pass with nothing to send (a receiver's, after every
//                       data segment). Without it, may_send is asked.
//   S::name          static constexpr std::string_view, used in test,
//                    benchmark and trace names
// Receiver policy R, with `r` an R lvalue and `rs` a const receive_state&:
//   r.window(rs)     -> std::uint32_t: the window to advertise, in bytes,
//                       before window scaling (the connection scales it)
//   R::name          static constexpr std::string_view
// and, to be chosen with `l4::use<...>` (l4/policy.hpp), a nested
//   using policy_family = l4::policy::flow_family;             // senders
//   using policy_family = l4::policy::receive_window_family;   // receivers
//
// Laws
// ----
// For every send_state st (with u = usable_window(st): min(cwnd - pipe,
// peer_window - in_flight), clamped at 0; pipe is in_flight unless set):
//   1. s.may_send(st) <= u: never more in flight than the windows allow.
//   2. s.may_send(st) <= st.queued: only bytes that exist.
//   3. u == 0 implies s.may_send(st) == 0: a closed window stops the sender
//      (the connection's persist timer probes it, RFC 9293 §3.8.6.1).
//   4. If max_in_flight_segments() is k and s.may_send(st) is n > 0:
//      in_flight + n <= k * mss.
// For every receive_state rs:
//   5. r.window(rs) >= rs.advertised_right_edge_room: the right edge never
//      moves left (RFC 9293 §3.8.6.2.2).
//   6. r.window(rs) <= max(rs.free, rs.advertised_right_edge_room): a new
//      offer is backed by free buffer space.
// tests/flow/laws.cpp checks laws 1-4 for every sender model and 5-6 for
// every receiver model, over random states.
//
// When may_send answers 0 with bytes queued and nothing in flight, no ACK
// will arrive to ask again, so the TCP connection runs its persist timer:
// behind a zero window it probes (RFC 9293 §3.8.6.1); behind a window open
// but too small for the silly-window rule it calls may_send again with
// `override_timeout` set (RFC 1122 §4.2.3.4), and what the window holds goes.
//
// Models
// ------
//   sliding_window (alias go_back_n): the default; the course's sliding
//       window, cumulative ACKs, go-back-N on timeout; Nagle switchable by
//       send_state::nodelay                                 (sliding_window.hpp)
//   stop_and_wait: one segment in flight                    (stop_and_wait.hpp)
//   selective_repeat: the sliding window with SACK: RFC 6675 loss recovery
//       from a scoreboard, RFC 3042 limited transmit         (selective_repeat.hpp)
//   receive_window<sws::rfc1122> (default), receive_window<sws::course>,
//   receive_window<sws::none>                               (receive_window.hpp)
// The sender models share RFC 1122 §4.2.3.4's send decision (sender
// silly-window avoidance and Nagle), in nagle.hpp.
//
// Example
// -------
//   // A policy that sends whatever the windows allow, at once.
//   struct greedy {
//       using policy_family = l4::policy::flow_family;
//       static constexpr std::string_view name = "greedy";
//       std::uint32_t may_send(const l4::flow::send_state& s) { return l4::flow::sendable(s); }
//       l4::flow::rto_action on_timeout() { return l4::flow::rto_action::from_una; }
//       std::optional<std::uint32_t> max_in_flight_segments() const { return std::nullopt; }
//   };
//   L4_ASSERT_SENDER_POLICY(greedy);
//
// L4_ASSERT_SENDER_POLICY / L4_ASSERT_RECEIVER_POLICY, written where a
// policy is defined, fail the build with a message naming the missing member
// rather than with a failed constraint somewhere in tcp/.
#pragma once

#include <l4/flow/scoreboard.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>

// The family tags are defined in l4/policy.hpp; declared here so that a flow
// policy can name its family without pulling Boost.Hana into every user of
// flow/ (TFTP on stop-and-wait needs no policy bundle).
namespace l4::policy {
struct flow_family;
struct receive_window_family;
}  // namespace l4::policy

namespace l4::flow {

// What the sender knows, all in bytes, sequence arithmetic already done.
struct send_state {
    std::uint32_t in_flight;    // snd.nxt - snd.una
    std::uint32_t peer_window;  // snd.wnd, scaled
    std::uint32_t cwnd;         // from the congestion policy
    std::uint32_t mss;          // effective send MSS
    std::uint32_t queued;       // bytes in the send buffer not yet sent (beyond snd.nxt)
    bool nodelay;               // TCP_NODELAY: Nagle off
    bool fin_queued;            // the application closed; the last byte is followed by FIN
    // RFC 1122 §4.2.3.4: the override timeout fired while data waited with
    // nothing in flight; whatever the windows allow may go, short or not.
    bool override_timeout = false;
    // RFC 6675 §4 pipe: of in_flight, the bytes thought still in the network
    // (not SACKed, not lost). Set for a sender with a scoreboard; otherwise
    // all of in_flight is.
    std::optional<std::uint32_t> pipe{};
    // TCP_CORK or a write with MSG_MORE: the application will add to the
    // queue at once, so a segment shorter than the MSS waits (unless FIN
    // follows, or the override timeout fired).
    bool cork = false;
};

// The bytes cwnd is measured against: pipe when the sender keeps a
// scoreboard, everything in flight otherwise.
constexpr std::uint32_t pipe_of(const send_state& s) noexcept {
    return s.pipe ? std::min(*s.pipe, s.in_flight) : s.in_flight;
}

// What a retransmission timeout resends.
enum class rto_action : std::uint8_t {
    from_una,       // go-back-N: snd.nxt = snd.una, send again as the window allows
    first_segment,  // only the first unacknowledged segment
};

// What the receiver knows, all in bytes.
struct receive_state {
    std::uint32_t free;                        // free bytes in the receive buffer
    std::uint32_t capacity;                    // receive buffer size
    std::uint32_t mss;                         // our receive MSS
    std::uint32_t advertised_right_edge_room;  // rcv.nxt to the right edge we last advertised
};

// The bytes the windows leave room for: min(cwnd - pipe, snd.wnd - in
// flight), clamped at 0 (the peer may have shrunk its window under data in
// flight). Without a scoreboard pipe is in flight: min(cwnd, snd.wnd) - in flight.
constexpr std::uint32_t usable_window(const send_state& s) noexcept {
    const std::uint32_t pipe = pipe_of(s);
    const std::uint32_t by_cwnd = s.cwnd > pipe ? s.cwnd - pipe : 0;
    const std::uint32_t by_peer = s.peer_window > s.in_flight ? s.peer_window - s.in_flight : 0;
    return std::min(by_cwnd, by_peer);
}

// The most any sender policy may answer: the usable window, and only bytes
// that are queued.
constexpr std::uint32_t sendable(const send_state& s) noexcept {
    return std::min(usable_window(s), s.queued);
}

namespace detail {

// One requirement each, so that a failing static_assert can name it.
template <class S> concept has_may_send = requires(S& s, const send_state& st) {
    { s.may_send(st) } -> std::same_as<std::uint32_t>;
};
template <class S> concept has_on_timeout = requires(S& s) {
    { s.on_timeout() } -> std::same_as<rto_action>;
};
template <class S> concept has_max_in_flight_segments = requires(S& s) {
    { s.max_in_flight_segments() } -> std::same_as<std::optional<std::uint32_t>>;
};
template <class M> struct member_class;
template <class R, class C> struct member_class<R C::*> { using type = C; };
template <class M> using member_class_t = typename member_class<M>::type;
template <class S> concept has_on_idle = requires(S& s, std::uint32_t peer_window) { s.on_idle(peer_window); };
// A member of that name that is not a single function is taken on trust.
template <class S> concept names_on_idle = requires { &S::on_idle; };
template <class P> concept has_name = requires {
    { P::name } -> std::convertible_to<std::string_view>;
};
template <class R> concept has_window = requires(R& r, const receive_state& rs) {
    { r.window(rs) } -> std::same_as<std::uint32_t>;
};

}  // namespace detail

template <class S>
concept sender_policy = detail::has_may_send<S> && detail::has_on_timeout<S> &&
                        detail::has_max_in_flight_segments<S> && detail::has_name<S> &&
                        (!detail::names_on_idle<S> || detail::has_on_idle<S>);

// A sender with a SACK scoreboard: the connection records the receiver's
// SACK blocks in it and retransmits only what it says is missing.
template <class S>
concept selective_sender = sender_policy<S> && requires(S& s) {
    { s.scoreboard() } -> std::same_as<scoreboard&>;
};

// A sender told of the peer's window instead of asked, where nothing is
// queued: on_idle is declared in the class that declares may_send (one that
// derives from a model and hides its may_send is asked, as its on_idle
// speaks for another may_send).
template <class S>
concept idle_aware_sender = sender_policy<S> && detail::has_on_idle<S> && requires {
    requires std::same_as<detail::member_class_t<decltype(&S::may_send)>,
                          detail::member_class_t<decltype(&S::on_idle)>>;
};

template <class R>
concept receiver_policy = detail::has_window<R> && detail::has_name<R>;

// True for a model; for anything else, fails to compile with one message per
// missing member. Use through L4_ASSERT_SENDER_POLICY.
template <class S>
consteval bool check_sender() {
    static_assert(detail::has_may_send<S>,
                  "sender_policy: missing `std::uint32_t may_send(const l4::flow::send_state&)`");
    static_assert(detail::has_on_timeout<S>,
                  "sender_policy: missing `l4::flow::rto_action on_timeout()`");
    static_assert(detail::has_max_in_flight_segments<S>,
                  "sender_policy: missing `std::optional<std::uint32_t> max_in_flight_segments()`");
    static_assert(detail::has_name<S>,
                  "sender_policy: missing `static constexpr std::string_view name`");
    static_assert(!detail::names_on_idle<S> || detail::has_on_idle<S>,
                  "sender_policy: optional `on_idle` must be callable as `on_idle(std::uint32_t peer_window)`");
    return sender_policy<S>;
}

// True for a model; otherwise one message per missing member. Use through
// L4_ASSERT_RECEIVER_POLICY.
template <class R>
consteval bool check_receiver() {
    static_assert(detail::has_window<R>,
                  "receiver_policy: missing `std::uint32_t window(const l4::flow::receive_state&)`");
    static_assert(detail::has_name<R>,
                  "receiver_policy: missing `static constexpr std::string_view name`");
    return receiver_policy<R>;
}

}  // namespace l4::flow

#define L4_ASSERT_SENDER_POLICY(...) static_assert(::l4::flow::check_sender<__VA_ARGS__>())
#define L4_ASSERT_RECEIVER_POLICY(...) static_assert(::l4::flow::check_receiver<__VA_ARGS__>())
