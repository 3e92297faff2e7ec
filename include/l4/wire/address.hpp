// Addresses as the socket API sees them: an IPv4 or IPv6 address, and a
// socket address, the (address, port) pair a socket is bound or connected
// to. The unspecified address of either family (0.0.0.0, ::) is the
// wildcard a socket binds to for "any". They live below udp/, tcp/ and net/
// so that every layer above names a flow the same way.
#pragma once

#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

namespace l4::wire {

class ip_address {
public:
    constexpr ip_address() noexcept = default;  // 0.0.0.0
    constexpr ip_address(ipv4_address a) noexcept : addr_{a} {}
    constexpr ip_address(ipv6_address a) noexcept : addr_{a} {}

    [[nodiscard]] static constexpr ip_address any_v4() noexcept { return ipv4_address{}; }
    [[nodiscard]] static constexpr ip_address any_v6() noexcept { return ipv6_address{}; }

    // "192.0.2.1" or "2001:db8::1".
    [[nodiscard]] static constexpr std::optional<ip_address> from_string(std::string_view s) noexcept {
        if (auto a = ipv4_address::from_string(s)) return ip_address{*a};
        if (auto a = ipv6_address::from_string(s)) return ip_address{*a};
        return std::nullopt;
    }

    [[nodiscard]] constexpr bool is_v4() const noexcept { return std::holds_alternative<ipv4_address>(addr_); }
    [[nodiscard]] constexpr bool is_v6() const noexcept { return !is_v4(); }
    [[nodiscard]] constexpr int version() const noexcept { return is_v4() ? 4 : 6; }
    [[nodiscard]] constexpr const ipv4_address& v4() const noexcept { return std::get<ipv4_address>(addr_); }
    [[nodiscard]] constexpr const ipv6_address& v6() const noexcept { return std::get<ipv6_address>(addr_); }

    [[nodiscard]] constexpr bool is_unspecified() const noexcept {
        return is_v4() ? v4() == ipv4_address{} : v6() == ipv6_address{};
    }

    [[nodiscard]] std::string to_string() const { return std::string{is_v4() ? v4().text().view() : v6().text().view()}; }

    friend constexpr auto operator<=>(const ip_address&, const ip_address&) noexcept = default;
    friend constexpr bool operator==(const ip_address&, const ip_address&) noexcept = default;

private:
    std::variant<ipv4_address, ipv6_address> addr_;
};

inline std::ostream& operator<<(std::ostream& os, const ip_address& a) { return os << a.to_string(); }

struct socket_address {
    ip_address address;
    std::uint16_t port = 0;

    friend constexpr auto operator<=>(const socket_address&, const socket_address&) noexcept = default;
    friend constexpr bool operator==(const socket_address&, const socket_address&) noexcept = default;
};

// Feeds an address to a keyed hasher (core/keyed_hash.hpp), family first so
// that 0.0.0.0 and :: differ.
template <class Hasher>
void hash_append(Hasher& h, const ip_address& a) noexcept {
    const std::uint8_t family = static_cast<std::uint8_t>(a.version());
    h.update(std::span{&family, 1});
    if (a.is_v4()) h.update(std::span{a.v4().octets});
    else h.update(std::span{a.v6().octets});
}

template <class Hasher>
void hash_append(Hasher& h, const socket_address& e) noexcept {
    hash_append(h, e.address);
    const std::uint8_t port[2] = {static_cast<std::uint8_t>(e.port >> 8), static_cast<std::uint8_t>(e.port)};
    h.update(std::span{port});
}

// The bytes hash_append feeds for `e`, gathered at `out` (at most
// max_key_bytes): a table hashes a whole key in one call rather than a
// hasher taking it a piece, and a byte, at a time. Returns how many.
inline constexpr std::size_t max_key_bytes = 1 + 16 + 2;
inline std::size_t key_bytes(const socket_address& e, std::uint8_t* out) noexcept {
    std::size_t n = 0;
    out[n++] = static_cast<std::uint8_t>(e.address.version());
    const auto put = [&](const auto& octets) {
        for (std::uint8_t b : octets) out[n++] = b;
    };
    if (e.address.is_v4()) put(e.address.v4().octets);
    else put(e.address.v6().octets);
    out[n++] = static_cast<std::uint8_t>(e.port >> 8);
    out[n++] = static_cast<std::uint8_t>(e.port);
    return n;
}

// The socket vocabulary every transport shares with the stack.
enum class socket_type : std::uint8_t { stream, datagram };

// What recvfrom gives back besides the bytes.
struct received {
    std::size_t size = 0;  // bytes copied into the caller's buffer
    socket_address from;
    bool truncated = false;  // the buffer was shorter than the datagram (the rest is discarded)
};

// What a transport did with a packet addressed to this host. The stack
// answers `port_unreachable` with ICMP (RFC 1122 §4.1.3.1).
enum class input_verdict : std::uint8_t { accepted, dropped, port_unreachable };

// "192.0.2.1:50000", "[2001:db8::1]:50000" (RFC 3986 §3.2.2 brackets).
inline std::ostream& operator<<(std::ostream& os, const socket_address& e) {
    if (e.address.is_v6()) return os << '[' << e.address << "]:" << e.port;
    return os << e.address << ':' << e.port;
}

}  // namespace l4::wire
