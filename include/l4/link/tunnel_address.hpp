// The UDP tunnel's socket address: an IPv4 or IPv6 address and a port, as the
// kernel's sockaddr_in/sockaddr_in6, with text forms
// "192.0.2.1:9000" and "[2001:db8::1]:9000".
#pragma once

#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace l4::link {

// An IPv4 or IPv6 address and a UDP port, or nothing (default-constructed).
class tunnel_address {
public:
    constexpr tunnel_address() noexcept = default;

    tunnel_address(const wire::ipv4_address& address, std::uint16_t port) noexcept {
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        std::memcpy(&sa.sin_addr, address.octets.data(), 4);
        std::memcpy(&storage_, &sa, sizeof sa);
        size_ = sizeof sa;
    }

    tunnel_address(const wire::ipv6_address& address, std::uint16_t port, std::uint32_t scope_id = 0) noexcept {
        sockaddr_in6 sa{};
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons(port);
        sa.sin6_scope_id = scope_id;
        std::memcpy(&sa.sin6_addr, address.octets.data(), 16);
        std::memcpy(&storage_, &sa, sizeof sa);
        size_ = sizeof sa;
    }

    [[nodiscard]] static tunnel_address loopback_v4(std::uint16_t port = 0) noexcept {
        return {wire::ipv4_address{127, 0, 0, 1}, port};
    }
    [[nodiscard]] static tunnel_address loopback_v6(std::uint16_t port = 0) noexcept {
        wire::ipv6_address a;
        a.octets[15] = 1;
        return {a, port};
    }

    // What getsockname and recvfrom hand back; nothing for other families.
    [[nodiscard]] static tunnel_address from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
        tunnel_address e;
        if (sa == nullptr) return e;
        if ((sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) ||
            (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6)))) {
            e.size_ = sa->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
            std::memcpy(&e.storage_, sa, e.size_);
        }
        return e;
    }

    // "192.0.2.1:9000" or "[2001:db8::1]:9000", strictly: the address forms of
    // wire::ipv4_address and wire::ipv6_address, and a decimal port.
    [[nodiscard]] static std::optional<tunnel_address> from_string(std::string_view text) noexcept {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        const std::string_view host = text.substr(0, colon), port_text = text.substr(colon + 1);
        std::uint16_t port = 0;
        const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty()) return std::nullopt;
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
            auto a = wire::ipv6_address::from_string(host.substr(1, host.size() - 2));
            if (!a) return std::nullopt;
            return tunnel_address{*a, port};
        }
        auto a = wire::ipv4_address::from_string(host);
        if (!a) return std::nullopt;
        return tunnel_address{*a, port};
    }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] int family() const noexcept { return empty() ? AF_UNSPEC : storage_.ss_family; }
    [[nodiscard]] std::uint16_t port() const noexcept {
        if (family() == AF_INET) return ntohs(as<sockaddr_in>().sin_port);
        if (family() == AF_INET6) return ntohs(as<sockaddr_in6>().sin6_port);
        return 0;
    }
    [[nodiscard]] const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    [[nodiscard]] socklen_t size() const noexcept { return size_; }

    [[nodiscard]] std::string to_string() const {
        if (family() == AF_INET) {
            wire::ipv4_address a;
            const auto sa = as<sockaddr_in>();
            std::memcpy(a.octets.data(), &sa.sin_addr, 4);
            return std::string{a.text().view()} + ':' + std::to_string(port());
        }
        if (family() == AF_INET6) {
            wire::ipv6_address a;
            const auto sa = as<sockaddr_in6>();
            std::memcpy(a.octets.data(), &sa.sin6_addr, 16);
            return "[" + std::string{a.text().view()} + "]:" + std::to_string(port());
        }
        return "(none)";
    }

    friend bool operator==(const tunnel_address& a, const tunnel_address& b) noexcept {
        return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
    }

private:
    template <class T>
    [[nodiscard]] T as() const noexcept {
        T t;
        std::memcpy(&t, &storage_, sizeof t);
        return t;
    }

    sockaddr_storage storage_{};
    socklen_t size_ = 0;
};

}  // namespace l4::link
