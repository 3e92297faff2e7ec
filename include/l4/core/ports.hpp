// Port numbers and the IANA ranges they fall in (RFC 6335 §6).
#pragma once

#include <cstdint>
#include <string_view>

namespace l4 {

enum class port_range : std::uint8_t {
    well_known,  // 0-1023: system ports, assigned by IETF review
    registered,  // 1024-49151: user ports, assigned by IANA
    dynamic,     // 49152-65535: never assigned; ephemeral ports come from here
};

inline constexpr std::uint16_t well_known_last = 1023;
inline constexpr std::uint16_t registered_last = 49151;
inline constexpr std::uint16_t dynamic_first = 49152;
inline constexpr std::uint16_t dynamic_last = 65535;

[[nodiscard]] constexpr port_range classify_port(std::uint16_t port) noexcept {
    if (port <= well_known_last) return port_range::well_known;
    if (port <= registered_last) return port_range::registered;
    return port_range::dynamic;
}

[[nodiscard]] constexpr std::string_view to_string(port_range r) noexcept {
    switch (r) {
    case port_range::well_known: return "well-known";
    case port_range::registered: return "registered";
    case port_range::dynamic: return "dynamic";
    }
    return "?";
}

}  // namespace l4
