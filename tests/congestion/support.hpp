// Shared by the congestion tests: the list of models (the shipped ones and a
// user-written one), what each promises beyond the concept, and events.
#pragma once

#include <l4/congestion/aimd.hpp>
#include <l4/congestion/any.hpp>
#include <l4/congestion/bbr.hpp>
#include <l4/congestion/concept.hpp>
#include <l4/congestion/cubic.hpp>
#include <l4/congestion/fixed_window.hpp>
#include <l4/congestion/newreno.hpp>
#include <l4/congestion/none.hpp>
#include <l4/congestion/reno.hpp>
#include <l4/congestion/tahoe.hpp>
#include <l4/congestion/trace.hpp>
#include <l4/congestion/vegas.hpp>
#include <l4/congestion/window.hpp>
#include <l4/policy.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ratio>
#include <string_view>
#include <tuple>

namespace l4::congestion::test {

// concept.hpp's example, word for word: an algorithm written outside the
// library, from the shared pieces, known to nothing in include/.
class halving {
public:
    using policy_family = l4::policy::congestion_family;
    static constexpr std::string_view name = "halving";
    explicit halving(const l4::congestion::params& p)
        : smss_{l4::congestion::smss(p)}, cwnd_{l4::congestion::initial_window(p)} {}
    void on_ack(const l4::congestion::ack_event& ev) { cwnd_ = ai_.grow(cwnd_, ev.bytes_acked, smss_); }
    void on_enter_recovery(const l4::congestion::loss_event& ev) {
        cwnd_ = ssthresh_ = l4::congestion::loss_ssthresh(ev.bytes_in_flight, smss_);
        ai_.reset();
    }
    void on_exit_recovery(l4::instant) {}
    void on_rto(const l4::congestion::loss_event& ev) {
        ssthresh_ = l4::congestion::loss_ssthresh(ev.bytes_in_flight, smss_);
        cwnd_ = l4::congestion::loss_window(smss_);
        ai_.reset();
    }
    std::uint32_t cwnd() const { return cwnd_; }
    std::uint32_t ssthresh() const { return ssthresh_; }
private:
    std::uint32_t smss_, cwnd_, ssthresh_ = 0xFFFFFFFF;
    l4::congestion::additive_increase ai_;
};
L4_ASSERT_CONGESTION_ALGORITHM(halving);

using any_of_all = any<reno, tahoe, newreno, aimd<>, vegas, cubic, cubic_without_reno_friendly, bbr, none>;

// Every model: the laws hold for all of them.
using all_algorithms =
    std::tuple<reno, none, fixed_window<>, fixed_window<1>, fixed_window<4>, halving, tahoe, newreno, aimd<>,
               aimd<std::ratio<2>, std::ratio<7, 8>>, aimd<std::ratio<1, 3>, std::ratio<1, 4>>, vegas, cubic, cubic_without_reno_friendly, bbr,
               any_of_all, traced<tahoe>, traced<cubic>>;

// Window-based algorithms that react to loss: RFC 5681's floors apply
// (2*SMSS around fast recovery, the loss window after an RTO). none and
// fixed_window ignore loss by design.
template <class C>
inline constexpr bool reacts_to_loss = true;
template <>
inline constexpr bool reacts_to_loss<none> = false;
template <std::uint32_t N>
inline constexpr bool reacts_to_loss<fixed_window<N>> = false;

// Fast recovery keeps at least 2*SMSS (RFC 5681 eq. 4); Tahoe has none and
// falls to the loss window on three duplicate ACKs too, and any<> may hold Tahoe.
template <class C>
inline constexpr bool keeps_two_segments_in_recovery = reacts_to_loss<C>;
template <>
inline constexpr bool keeps_two_segments_in_recovery<tahoe> = false;
template <>
inline constexpr bool keeps_two_segments_in_recovery<any_of_all> = false;
template <>
inline constexpr bool keeps_two_segments_in_recovery<traced<tahoe>> = false;

// Loss-based algorithms never shrink cwnd on an ACK (law 2); the delay- and
// model-based ones do, to drain a queue (Vegas, BBR), and any<> may hold one.
template <class C>
inline constexpr bool loss_based = true;
template <>
inline constexpr bool loss_based<vegas> = false;
template <>
inline constexpr bool loss_based<bbr> = false;
template <>
inline constexpr bool loss_based<any_of_all> = false;

inline constexpr instant t0{};

inline ack_event ack(std::uint32_t bytes_acked, std::uint32_t bytes_in_flight, instant now = t0,
                     std::optional<duration> rtt = std::chrono::milliseconds{100}) {
    return {.now = now, .bytes_acked = bytes_acked, .bytes_in_flight = bytes_in_flight, .rtt = rtt, .delivered = 0};
}

inline loss_event loss(std::uint32_t bytes_in_flight, instant now = t0) {
    return {.now = now, .bytes_in_flight = bytes_in_flight};
}

// One RTT: the whole window is in flight and comes back in ACKs of
// `per_ack` bytes (one segment each, or two with delayed ACKs).
template <algorithm C>
void one_rtt(C& c, std::uint32_t per_ack) {
    std::uint32_t flight = c.cwnd();
    while (flight > 0) {
        const std::uint32_t n = flight < per_ack ? flight : per_ack;
        c.on_ack(ack(n, flight));
        flight -= n;
    }
}

}  // namespace l4::congestion::test
