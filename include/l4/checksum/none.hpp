// The `none` checksum strategy: no integrity check at all.
//
// For links that already guarantee integrity (the in-memory pipe, a
// simulator measuring protocol behaviour rather than corruption), and for
// measuring what checksumming costs. It stores 0 and accepts everything, so
// it models the concept's laws 1, 2 and 4 and, by design, not law 3.
//
// A 16-bit zero field is what RFC 768 sends for "no checksum" over IPv4 UDP;
// over IPv6 (RFC 8200 §8.1) and for TCP a peer will drop such segments, so
// use it between l4kit endpoints only.
#pragma once

#include <l4/core/bytes.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace l4::checksum {

struct none {
    using value_type = std::uint16_t;
    static constexpr std::size_t width = 2;
    static constexpr bool ones_complement = false;
    static constexpr std::string_view name = "none";

    struct state {
        friend constexpr bool operator==(const state&, const state&) = default;
    };

    [[nodiscard]] static constexpr state init() noexcept { return {}; }
    [[nodiscard]] static constexpr state update(state s, l4::bytes) noexcept { return s; }
    [[nodiscard]] static constexpr value_type finish(state) noexcept { return 0; }
    [[nodiscard]] static constexpr bool verify(state, value_type) noexcept { return true; }
    [[nodiscard]] static constexpr value_type compute(l4::bytes) noexcept { return 0; }
};

}  // namespace l4::checksum
