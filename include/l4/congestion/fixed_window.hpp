// A constant congestion window, whatever the network says: the course's
// sliding window of N segments (fixed_window<1> beside stop-and-wait), and a
// baseline for experiments.
//
//   fixed_window<N>   N segments of SMSS bytes, N >= 1
//   fixed_window<>    the window of the connection's params: initial_window
//                     when set, RFC 6928's otherwise
//
// Loss changes nothing (there is nothing to slow start towards):
// ssthresh() reports 0xFFFFFFFF, "no threshold".
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/window.hpp>

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace l4::congestion {

template <std::uint32_t Segments = 0>
class fixed_window {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "fixed_window";
    static constexpr std::uint32_t segments = Segments;  // 0: from params

    explicit constexpr fixed_window(const params& p) noexcept
        : cwnd_{Segments == 0 ? initial_window(p)
                              : static_cast<std::uint32_t>(std::min<std::uint64_t>(
                                    std::uint64_t{Segments} * congestion::smss(p), 0xFFFFFFFF))} {}

    constexpr void on_ack(const ack_event&) noexcept {}
    constexpr void on_enter_recovery(const loss_event&) noexcept {}
    constexpr void on_exit_recovery(instant) noexcept {}
    constexpr void on_rto(const loss_event&) noexcept {}

    [[nodiscard]] constexpr std::uint32_t cwnd() const noexcept { return cwnd_; }
    [[nodiscard]] constexpr std::uint32_t ssthresh() const noexcept { return 0xFFFFFFFF; }

private:
    std::uint32_t cwnd_;
};

L4_ASSERT_CONGESTION_ALGORITHM(fixed_window<>);
L4_ASSERT_CONGESTION_ALGORITHM(fixed_window<1>);

}  // namespace l4::congestion
