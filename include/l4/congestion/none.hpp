// No congestion control: cwnd is unlimited, so the peer's advertised window
// alone decides how much is in flight (send_budget takes min(cwnd, snd_wnd)).
// For links that cannot congest (the memory link, benchmarks) and for the
// course's flow-control exercises, where only the receiver's window matters.
//
// cwnd and ssthresh are both 0xFFFFFFFF ("no limit", "no threshold") and no
// event changes them.
#pragma once

#include <l4/congestion/concept.hpp>

#include <cstdint>
#include <string_view>

namespace l4::congestion {

class none {
public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "none";
    static constexpr std::uint32_t unlimited = 0xFFFFFFFF;

    explicit constexpr none(const params&) noexcept {}

    constexpr void on_ack(const ack_event&) noexcept {}
    constexpr void on_enter_recovery(const loss_event&) noexcept {}
    constexpr void on_exit_recovery(instant) noexcept {}
    constexpr void on_rto(const loss_event&) noexcept {}

    [[nodiscard]] constexpr std::uint32_t cwnd() const noexcept { return unlimited; }
    [[nodiscard]] constexpr std::uint32_t ssthresh() const noexcept { return unlimited; }
};

L4_ASSERT_CONGESTION_ALGORITHM(none);

}  // namespace l4::congestion
