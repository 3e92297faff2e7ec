// The congestion-control `algorithm` concept: how much a TCP sender may have
// in flight, told by the events of the connection.
//
// Reading list: RFC 5681 (slow start, congestion avoidance, fast retransmit
// and fast recovery), RFC 3465 (appropriate byte counting), RFC 6928 (the
// initial window), RFC 6582 (NewReno's partial ACKs), RFC 3168 (ECN), Linux's
// `struct tcp_congestion_ops` and ns-3's `TcpCongestionOps` (the hook set).
//
// Description
// -----------
// An algorithm is an object, one per connection, built when the connection
// is established. The connection owns loss detection and retransmission
// (duplicate-ACK counting, the recovery point, the RTO timer, which segment
// to resend); the algorithm owns only the window. The connection calls it on
// each event below and reads back cwnd and ssthresh (in bytes); it then
// never has more than min(cwnd, snd_wnd) bytes in flight (`send_budget`).
// An RTO and a fast retransmit are distinct events and never conflated.
//
// Minimal complete definition
// ---------------------------
//   C{params}                              construct; params is below
//   c.on_ack(const ack_event&)             new data acknowledged outside loss
//                                          recovery: grow the window
//   c.on_enter_recovery(const loss_event&) three duplicate ACKs (or SACK-
//                                          detected loss); the connection
//                                          fast-retransmits the first
//                                          unacknowledged segment itself
//   c.on_exit_recovery(l4::instant now)    the ACK that covers the recovery
//                                          point arrived
//   c.on_rto(const loss_event&)            retransmission timeout
//   cc.cwnd() -> std::uint32_t             congestion window, bytes
//   cc.ssthresh() -> std::uint32_t         slow-start threshold, bytes
// (c a C&, cc a const C&). Optional hooks, each defaulting to doing nothing;
// the connection reaches them only through the free functions of the same
// name below, so it needs no `if constexpr`:
//   c.on_dup_ack(const loss_event&)        a further duplicate ACK while in
//                                          recovery       -> dup_ack(c, ev)
//   c.on_partial_ack(const ack_event&)     in recovery, an ACK that does not
//                                          cover the recovery point
//                                                         -> partial_ack(c, ev)
//   c.on_ecn_echo(const loss_event&)       an ECE-marked ACK (RFC 3168)
//                                                         -> ecn_echo(c, ev)
//       How ECN reaches it (tcp/ecn.hpp): on a connection that negotiated
//       ECN the receiver echoes a CE mark with ECE until our CWR; the
//       connection calls on_ecn_echo at most once per window of data (not
//       again until what was outstanding at the call is acknowledged),
//       never in loss recovery (a fast retransmit or a timeout already
//       reduced that window), and never retransmits for it. RFC 3168
//       §6.1.2 asks for the reduction of a fast retransmit without its
//       inflation: ssthresh as on a loss, cwnd = ssthresh. Without the
//       hook (bbr, none, fixed_window) an ECN mark changes nothing.
//   cc.pacing_rate() -> std::optional<std::uint64_t>   bytes per second
//                                                         -> pacing_rate(cc)
//   C::name                                static constexpr std::string_view
//                                                         -> name_of<C>()
// An optional hook that is declared with the wrong signature is an error,
// not silently ignored (`on_dup_ack(const ack_event&)` would never be
// called otherwise).
// An algorithm that is a policy of `l4::tcp::endpoint` also says
//   using policy_family = l4::policy::congestion_family;
//
// Laws
// ----
// For every sequence of events the connection can produce (on_ack only
// outside recovery; dup_ack and partial_ack only inside it; an RTO may come
// at any time and ends recovery):
//   1. Floor: cwnd() >= SMSS, always; and for an algorithm with fast
//      recovery, cwnd() >= 2*SMSS after entering or leaving it (RFC 5681
//      eq. 4 floors ssthresh at 2*SMSS). Tahoe has no fast recovery: it
//      falls to the loss window on three duplicate ACKs too.
//   2. Growth: a loss-based algorithm's on_ack never decreases cwnd(). A
//      delay- or model-based one (vegas, bbr) may: that is how it drains a
//      queue it has built.
//   3. Loss: after on_enter_recovery, on_ecn_echo or on_rto, ssthresh() >= 2*SMSS.
//   4. Timeout: after on_rto, a window-based algorithm's cwnd() is at most
//      the loss window, 1 SMSS (RFC 5681 §3.1).
//   5. Determinism: the same events give the same cwnd and ssthresh.
// tests/congestion/laws.cpp checks them for every model with random event
// sequences.
//
// Models
// ------
//   reno                  RFC 5681 with fast retransmit and fast recovery,
//                         the default                           (reno.hpp)
//   none                  no limit: the peer's window alone     (none.hpp)
//   fixed_window<N>       a constant window of N segments       (fixed_window.hpp)
//   tahoe                 every loss: 1 SMSS and slow start     (tahoe.hpp)
//   newreno               RFC 6582 partial ACKs                 (newreno.hpp)
//   aimd<A, B>            +A SMSS per RTT, x B on loss          (aimd.hpp)
//   vegas                 delay-based, 2..4 segments queued     (vegas.hpp)
//   cubic                 RFC 9438 with HyStart++ (RFC 9406)    (cubic.hpp)
//   bbr                   BBR v1, with a pacing rate            (bbr.hpp)
//   any<A...>             one of them chosen at run time        (any.hpp)
// Slow start, additive increase, the loss threshold and fast recovery's
// window are shared pieces in window.hpp, rounds in round.hpp, HyStart++ in
// hystart.hpp, so an algorithm writes only what makes it different.
// Optional, for traces (trace.hpp): `state_name() const -> std::string_view`.
//
// Example
// -------
//   #include <l4/congestion/window.hpp>  // additive_increase, loss_ssthresh, loss_window
//
//   // AIMD without slow start: one SMSS per RTT, halved on loss.
//   class halving {
//   public:
//       using policy_family = l4::policy::congestion_family;
//       static constexpr std::string_view name = "halving";
//       explicit halving(const l4::congestion::params& p)
//           : smss_{l4::congestion::smss(p)}, cwnd_{l4::congestion::initial_window(p)} {}
//       void on_ack(const l4::congestion::ack_event& ev) { cwnd_ = ai_.grow(cwnd_, ev.bytes_acked, smss_); }
//       void on_enter_recovery(const l4::congestion::loss_event& ev) {
//           cwnd_ = ssthresh_ = l4::congestion::loss_ssthresh(ev.bytes_in_flight, smss_);
//           ai_.reset();
//       }
//       void on_exit_recovery(l4::instant) {}
//       void on_rto(const l4::congestion::loss_event& ev) {
//           ssthresh_ = l4::congestion::loss_ssthresh(ev.bytes_in_flight, smss_);
//           cwnd_ = l4::congestion::loss_window(smss_);
//           ai_.reset();
//       }
//       std::uint32_t cwnd() const { return cwnd_; }
//       std::uint32_t ssthresh() const { return ssthresh_; }
//   private:
//       std::uint32_t smss_, cwnd_, ssthresh_ = 0xFFFFFFFF;
//       l4::congestion::additive_increase ai_;
//   };
//   L4_ASSERT_CONGESTION_ALGORITHM(halving);
// (tests/congestion/support.hpp compiles it, and the laws run over it.)
//
// A type meant to be an algorithm should say so where it is defined, with
// L4_ASSERT_CONGESTION_ALGORITHM(T): the build then fails with one message
// per missing member, rather than with a failed constraint inside tcp/.
#pragma once

#include <l4/core/time.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l4::policy {
// Defined in l4/policy.hpp with the other family tags; declared here so that
// an algorithm can name its family without pulling Hana in.
struct congestion_family;
}  // namespace l4::policy

namespace l4::congestion {

// Given at connection establishment.
struct params {
    std::uint32_t mss;                             // effective sender MSS (SMSS), bytes; > 0
    std::uint32_t initial_window = 0;              // bytes; 0 = RFC 6928's, see initial_window()
    std::uint32_t initial_ssthresh = 0xFFFFFFFF;   // RFC 5681 §3.1: "arbitrarily high"
    std::string_view algorithm{};                  // any<...>'s choice by name (any.hpp); empty: its first

    // The course's profile, as its slides draw it: cwnd starts at 1 MSS and
    // ssthresh at 64 KB (65536 bytes), so slow start is visible from the
    // first segment. Not RFC 6928's window; for teaching and for plots.
    [[nodiscard]] static constexpr params course(std::uint32_t mss) noexcept {
        return {.mss = mss, .initial_window = mss, .initial_ssthresh = 64 * 1024};
    }
};

// SMSS as the algorithms use it: a zero MSS (API misuse) counts as one byte
// rather than dividing by zero or never growing.
[[nodiscard]] constexpr std::uint32_t smss(const params& p) noexcept { return std::max<std::uint32_t>(p.mss, 1); }

// The window a connection starts with, in bytes.
[[nodiscard]] constexpr std::uint32_t initial_window(const params& p) noexcept {
    const std::uint64_t mss = smss(p);
    if (p.initial_window != 0) return std::max<std::uint32_t>(p.initial_window, static_cast<std::uint32_t>(mss));
    // RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)).
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(
        std::min(10 * mss, std::max<std::uint64_t>(2 * mss, 14600)), 0xFFFFFFFF));
}

// A delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation §3.3),
// made by delivery_rate.hpp's sampler on the connection's side.
struct rate_sample {
    double delivery_rate = 0;           // bytes per second
    duration interval{};                // over which it was measured: max(send, ack elapsed)
    std::uint64_t delivered = 0;        // bytes delivered in the interval
    std::uint64_t prior_delivered = 0;  // the connection's delivered count when the segment left
    std::uint32_t prior_in_flight = 0;  // bytes in flight before this ACK
    bool is_app_limited = false;        // the sender ran out of data in the interval
};

// A new cumulative ACK (snd_una advanced).
struct ack_event {
    instant now;
    std::uint32_t bytes_acked;          // newly acknowledged bytes
    std::uint32_t bytes_in_flight;      // before this ACK was applied
    std::optional<duration> rtt;        // an RTT sample, when this ACK gave one (Karn's rule applied)
    std::uint64_t delivered;            // bytes delivered since the connection began (for rate samples)
    std::optional<rate_sample> rate{};  // when the connection runs delivery_rate.hpp's sampler
};

// A loss signal: duplicate ACKs, SACK, a timeout, an ECN echo.
struct loss_event {
    instant now;
    std::uint32_t bytes_in_flight;      // FlightSize when the loss was detected
};

namespace detail {

// One requirement each, so that a failing static_assert can name it.
template <class C> concept has_params_constructor = std::constructible_from<C, const params&>;
template <class C> concept has_on_ack = requires(C& c, const ack_event& e) { c.on_ack(e); };
template <class C> concept has_on_enter_recovery = requires(C& c, const loss_event& e) { c.on_enter_recovery(e); };
template <class C> concept has_on_exit_recovery = requires(C& c, instant now) { c.on_exit_recovery(now); };
template <class C> concept has_on_rto = requires(C& c, const loss_event& e) { c.on_rto(e); };
template <class C> concept has_cwnd = requires(const C& c) {
    { c.cwnd() } -> std::same_as<std::uint32_t>;
};
template <class C> concept has_ssthresh = requires(const C& c) {
    { c.ssthresh() } -> std::same_as<std::uint32_t>;
};

// Optional hooks: present and callable as documented.
template <class C> concept has_on_dup_ack = requires(C& c, const loss_event& e) { c.on_dup_ack(e); };
template <class C> concept has_on_partial_ack = requires(C& c, const ack_event& e) { c.on_partial_ack(e); };
template <class C> concept has_on_ecn_echo = requires(C& c, const loss_event& e) { c.on_ecn_echo(e); };
template <class C> concept has_pacing_rate = requires(const C& c) {
    { c.pacing_rate() } -> std::same_as<std::optional<std::uint64_t>>;
};
template <class C> concept has_name = requires {
    { C::name } -> std::convertible_to<std::string_view>;
};

// A member of that name that is not a single function (an overload set, a
// template) cannot be seen this way and is taken on trust.
template <class C> concept names_on_dup_ack = requires { &C::on_dup_ack; };
template <class C> concept names_on_partial_ack = requires { &C::on_partial_ack; };
template <class C> concept names_on_ecn_echo = requires { &C::on_ecn_echo; };
template <class C> concept names_pacing_rate = requires { &C::pacing_rate; };
template <class C> concept names_name = requires { C::name; };

template <class C> concept optional_hooks_well_formed =
    (!names_on_dup_ack<C> || has_on_dup_ack<C>) && (!names_on_partial_ack<C> || has_on_partial_ack<C>) &&
    (!names_on_ecn_echo<C> || has_on_ecn_echo<C>) && (!names_pacing_rate<C> || has_pacing_rate<C>) &&
    (!names_name<C> || has_name<C>);

}  // namespace detail

template <class C>
concept algorithm = detail::has_params_constructor<C> && detail::has_on_ack<C> &&
                    detail::has_on_enter_recovery<C> && detail::has_on_exit_recovery<C> &&
                    detail::has_on_rto<C> && detail::has_cwnd<C> && detail::has_ssthresh<C> &&
                    detail::optional_hooks_well_formed<C>;

// Evaluates to true for a model; for anything else, fails to compile with
// one message per missing member. Use through L4_ASSERT_CONGESTION_ALGORITHM.
template <class C>
consteval bool check_algorithm() {
    static_assert(detail::has_params_constructor<C>,
                  "congestion::algorithm: missing a constructor from `const l4::congestion::params&`");
    static_assert(detail::has_on_ack<C>,
                  "congestion::algorithm: missing `void on_ack(const l4::congestion::ack_event&)`");
    static_assert(detail::has_on_enter_recovery<C>,
                  "congestion::algorithm: missing `void on_enter_recovery(const l4::congestion::loss_event&)`");
    static_assert(detail::has_on_exit_recovery<C>,
                  "congestion::algorithm: missing `void on_exit_recovery(l4::instant)`");
    static_assert(detail::has_on_rto<C>,
                  "congestion::algorithm: missing `void on_rto(const l4::congestion::loss_event&)`");
    static_assert(detail::has_cwnd<C>, "congestion::algorithm: missing `std::uint32_t cwnd() const` (bytes)");
    static_assert(detail::has_ssthresh<C>,
                  "congestion::algorithm: missing `std::uint32_t ssthresh() const` (bytes)");
    static_assert(!detail::names_on_dup_ack<C> || detail::has_on_dup_ack<C>,
                  "congestion::algorithm: optional `on_dup_ack` must be callable as "
                  "`on_dup_ack(const l4::congestion::loss_event&)`");
    static_assert(!detail::names_on_partial_ack<C> || detail::has_on_partial_ack<C>,
                  "congestion::algorithm: optional `on_partial_ack` must be callable as "
                  "`on_partial_ack(const l4::congestion::ack_event&)`");
    static_assert(!detail::names_on_ecn_echo<C> || detail::has_on_ecn_echo<C>,
                  "congestion::algorithm: optional `on_ecn_echo` must be callable as "
                  "`on_ecn_echo(const l4::congestion::loss_event&)`");
    static_assert(!detail::names_pacing_rate<C> || detail::has_pacing_rate<C>,
                  "congestion::algorithm: optional `pacing_rate() const` must return "
                  "`std::optional<std::uint64_t>` (bytes per second)");
    static_assert(!detail::names_name<C> || detail::has_name<C>,
                  "congestion::algorithm: optional `name` must be a `static constexpr std::string_view`");
    return algorithm<C>;
}

// The optional hooks, as the connection calls them: each does nothing (or
// answers "no opinion") where the algorithm has no such hook.

// RFC 5681 §3.2 step 4: a further duplicate ACK during fast recovery.
template <algorithm C>
constexpr void dup_ack(C& c, const loss_event& ev) {
    if constexpr (detail::has_on_dup_ack<C>) c.on_dup_ack(ev);
}

// RFC 6582 §3.2 step 5: an ACK in recovery below the recovery point.
template <algorithm C>
constexpr void partial_ack(C& c, const ack_event& ev) {
    if constexpr (detail::has_on_partial_ack<C>) c.on_partial_ack(ev);
}

// RFC 3168 §6.1.2: an ACK with ECE set.
template <algorithm C>
constexpr void ecn_echo(C& c, const loss_event& ev) {
    if constexpr (detail::has_on_ecn_echo<C>) c.on_ecn_echo(ev);
}

// Bytes per second the sender should pace at, or nullopt: send as the
// window allows. The endpoint paces in bursts of send_quantum.hpp's size.
template <algorithm C>
[[nodiscard]] constexpr std::optional<std::uint64_t> pacing_rate(const C& c) {
    if constexpr (detail::has_pacing_rate<C>) return c.pacing_rate();
    else return std::nullopt;
}

template <class C>
[[nodiscard]] constexpr std::string_view name_of() noexcept {
    if constexpr (detail::has_name<C>) return C::name;
    else return "unnamed";
}

// What every algorithm reports, the same way, for counters, traces and plots.
struct snapshot {
    std::uint32_t cwnd;                        // bytes
    std::uint32_t ssthresh;                    // bytes
    std::optional<std::uint64_t> pacing_rate;  // bytes per second
};

template <algorithm C>
[[nodiscard]] constexpr snapshot state_of(const C& c) {
    return {c.cwnd(), c.ssthresh(), congestion::pacing_rate(c)};
}

// How many more bytes may leave now: min(cwnd, snd_wnd) - in flight, never
// negative (DESIGN.md: "never more").
[[nodiscard]] constexpr std::uint32_t send_budget(std::uint32_t cwnd, std::uint32_t snd_wnd,
                                                  std::uint32_t bytes_in_flight) noexcept {
    const std::uint32_t window = std::min(cwnd, snd_wnd);
    return window > bytes_in_flight ? window - bytes_in_flight : 0;
}

template <algorithm C>
[[nodiscard]] constexpr std::uint32_t send_budget(const C& c, std::uint32_t snd_wnd,
                                                  std::uint32_t bytes_in_flight) {
    return send_budget(c.cwnd(), snd_wnd, bytes_in_flight);
}

}  // namespace l4::congestion

#define L4_ASSERT_CONGESTION_ALGORITHM(...) \
    static_assert(::l4::congestion::check_algorithm<__VA_ARGS__>())
