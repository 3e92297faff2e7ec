// Time as the caller gives it. Nothing in l4kit reads a clock on its own:
// every call that needs the time takes `now`, and every component says when
// it next needs to run. The same code then runs in virtual time inside the
// simulator and in real time over a TUN device.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>

namespace l4 {

using duration = std::chrono::nanoseconds;
// One instant type for every clock: nanoseconds since the clock's own start.
// Virtual time starts at zero; real time at the steady clock's epoch.
using instant = std::chrono::time_point<std::chrono::steady_clock, duration>;

template <class C>
concept clock = requires(const C& c) {
    { c.now() } -> std::same_as<instant>;
};

// Simulated time: it moves only when the driver moves it, never backwards.
class virtual_clock {
public:
    [[nodiscard]] instant now() const noexcept { return now_; }
    void advance_to(instant t) noexcept {
        if (t > now_) now_ = t;
    }
    void advance_by(duration d) noexcept { now_ += d; }

private:
    instant now_{};
};

// Real time for real links (TUN, UDP tunnel).
struct steady_clock {
    [[nodiscard]] instant now() const noexcept {
        return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
    }
};

[[nodiscard]] constexpr std::uint64_t to_ns(instant t) noexcept {
    return static_cast<std::uint64_t>(t.time_since_epoch().count());
}

}  // namespace l4
