// Fuzz target: the address text parsers, differential against glibc.
//
// Input: the text, as it would come from a command line or a configuration
// file. The seeds in corpus/address/ are the forms RFC 4291 §2.2 and RFC 5952
// name, the UDP tunnel's "a.b.c.d:port" and "[v6]:port", and near misses
// (leading zeros, zone indices, a group too many, a port too large).
//
// Parsers under test: wire::ipv4_address::from_string,
// wire::ipv6_address::from_string, wire::ip_address::from_string and
// link::tunnel_address::from_string.
//
// Oracles, beyond "no crash, no sanitizer report":
//   - an input with a NUL byte is refused by every parser (inet_pton would
//     only see the text before it, so it is not compared there);
//   - otherwise ipv4_address::from_string(s) accepts exactly when glibc's
//     inet_pton(AF_INET, s) does, with the same four bytes. Both are strict:
//     four decimal numbers 0-255, no leading zero, nothing else (inet_aton's
//     octal, hex and short forms are refused by both);
//   - ipv6_address::from_string(s) accepts exactly when inet_pton(AF_INET6,
//     s) does, with the same sixteen bytes (RFC 4291 §2.2 forms; zone
//     indices refused by both);
//   - ip_address::from_string(s) is the IPv4 parse if that accepts, else the
//     IPv6 parse;
//   - tunnel_address::from_string(s) accepts exactly when s is H:P split at
//     its last ':', P one or more decimal digits (leading zeros allowed) of a
//     value up to 65535, and H either "[" A "]" with inet_pton(AF_INET6, A)
//     accepting or H with inet_pton(AF_INET, H) accepting; and its sockaddr
//     then holds that family, address and port;
//   - round trips: from_string(a.text()) == a for every address parsed (and
//     text() == s for IPv4, whose accepted form is unique); for IPv6, text()
//     is what inet_ntop(AF_INET6) prints (RFC 5952) except for the deprecated
//     IPv4-compatible addresses (::a.b.c.d, RFC 4291 §2.5.5.1: the first 96
//     bits zero, the next 16 not), where glibc prints a dotted quad and
//     RFC 5952 hex groups; tunnel_address::from_string(to_string()) gives the
//     same sockaddr back.
// Each address parsed from the input is also printed and parsed again with a
// port, through the tunnel parser.
#include <l4/link/tunnel_address.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include "oracle.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

using l4::link::tunnel_address;
using l4::wire::ip_address;
using l4::wire::ipv4_address;
using l4::wire::ipv6_address;

std::optional<ipv4_address> glibc_v4(const std::string& s) {
    std::array<std::uint8_t, 4> out{};
    if (::inet_pton(AF_INET, s.c_str(), out.data()) != 1) return std::nullopt;
    return ipv4_address{out};
}

std::optional<ipv6_address> glibc_v6(const std::string& s) {
    ipv6_address a;
    if (::inet_pton(AF_INET6, s.c_str(), a.octets.data()) != 1) return std::nullopt;
    return a;
}

// RFC 4291 §2.5.5.1: ::a.b.c.d, which glibc's inet_ntop prints as a dotted quad.
bool ipv4_compatible(const ipv6_address& a) {
    for (std::size_t i = 0; i < 12; ++i)
        if (a.octets[i] != 0) return false;
    return a.octets[12] != 0 || a.octets[13] != 0;
}

void check_v4_text(const ipv4_address& a) {
    const auto t = a.text();
    const auto back = ipv4_address::from_string(t.view());
    L4_FUZZ_CHECK(back && *back == a);
    std::array<char, INET_ADDRSTRLEN> ntop{};
    L4_FUZZ_CHECK(::inet_ntop(AF_INET, a.octets.data(), ntop.data(), ntop.size()) != nullptr);
    L4_FUZZ_CHECK(t.view() == std::string_view{ntop.data()});
}

void check_v6_text(const ipv6_address& a) {
    const auto t = a.text();
    const auto back = ipv6_address::from_string(t.view());
    L4_FUZZ_CHECK(back && *back == a);
    if (!ipv4_compatible(a)) {
        std::array<char, INET6_ADDRSTRLEN> ntop{};
        L4_FUZZ_CHECK(::inet_ntop(AF_INET6, a.octets.data(), ntop.data(), ntop.size()) != nullptr);
        L4_FUZZ_CHECK(t.view() == std::string_view{ntop.data()});
    }
}

// The tunnel address's sockaddr, compared field by field with what it should hold.
void check_sockaddr(const tunnel_address& t, const std::optional<ipv4_address>& v4,
                    const std::optional<ipv6_address>& v6, std::uint16_t port) {
    L4_FUZZ_CHECK(!t.empty());
    L4_FUZZ_CHECK(t.port() == port);
    if (v4) {
        L4_FUZZ_CHECK(t.family() == AF_INET && t.size() == sizeof(sockaddr_in));
        sockaddr_in sa;
        std::memcpy(&sa, t.data(), sizeof sa);
        L4_FUZZ_CHECK(ntohs(sa.sin_port) == port);
        L4_FUZZ_CHECK(std::memcmp(&sa.sin_addr, v4->octets.data(), 4) == 0);
    } else {
        L4_FUZZ_CHECK(t.family() == AF_INET6 && t.size() == sizeof(sockaddr_in6));
        sockaddr_in6 sa;
        std::memcpy(&sa, t.data(), sizeof sa);
        L4_FUZZ_CHECK(ntohs(sa.sin6_port) == port);
        L4_FUZZ_CHECK(std::memcmp(&sa.sin6_addr, v6->octets.data(), 16) == 0);
        L4_FUZZ_CHECK(sa.sin6_scope_id == 0);
    }
    const auto again = tunnel_address::from_string(t.to_string());
    L4_FUZZ_CHECK(again && *again == t);
}

// The reference reading of "H:P": the port, or nothing.
std::optional<std::uint16_t> reference_port(std::string_view p) {
    if (p.empty()) return std::nullopt;
    std::uint32_t v = 0;
    for (const char c : p) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
        if (v > 65535) return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
}

void check_tunnel(const std::string& s) {
    const auto got = tunnel_address::from_string(s);
    std::optional<ipv4_address> v4;
    std::optional<ipv6_address> v6;
    std::optional<std::uint16_t> port;
    if (const auto colon = s.rfind(':'); colon != std::string::npos) {
        const std::string host = s.substr(0, colon);
        port = reference_port(std::string_view{s}.substr(colon + 1));
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') v6 = glibc_v6(host.substr(1, host.size() - 2));
        else v4 = glibc_v4(host);
    }
    const bool expected = port && (v4 || v6);
    L4_FUZZ_CHECK(got.has_value() == expected);
    if (got) check_sockaddr(*got, v4, v6, *port);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text{reinterpret_cast<const char*>(data), size};
    const auto a4 = ipv4_address::from_string(text);
    const auto a6 = ipv6_address::from_string(text);
    const auto ip = ip_address::from_string(text);
    const auto tun = tunnel_address::from_string(text);

    // ip_address is the IPv4 parse, else the IPv6 one.
    if (a4) L4_FUZZ_CHECK(ip && ip->is_v4() && ip->v4() == *a4);
    else if (a6) L4_FUZZ_CHECK(ip && ip->is_v6() && ip->v6() == *a6);
    else L4_FUZZ_CHECK(!ip);
    if (ip) {
        const auto back = ip_address::from_string(ip->to_string());
        L4_FUZZ_CHECK(back && *back == *ip);
    }

    if (text.find('\0') != std::string_view::npos) {
        L4_FUZZ_CHECK(!a4 && !a6 && !ip && !tun);
        return 0;
    }
    const std::string s{text};

    const auto g4 = glibc_v4(s);
    L4_FUZZ_CHECK(a4.has_value() == g4.has_value());
    if (a4) {
        L4_FUZZ_CHECK(*a4 == *g4);
        L4_FUZZ_CHECK(a4->text().view() == text);  // one accepted form per address
        check_v4_text(*a4);
        const auto with_port = tunnel_address::from_string(std::string{a4->text().view()} + ":9");
        L4_FUZZ_CHECK(with_port);
        check_sockaddr(*with_port, a4, std::nullopt, 9);
    }

    const auto g6 = glibc_v6(s);
    L4_FUZZ_CHECK(a6.has_value() == g6.has_value());
    if (a6) {
        L4_FUZZ_CHECK(*a6 == *g6);
        check_v6_text(*a6);
        const auto with_port = tunnel_address::from_string("[" + std::string{a6->text().view()} + "]:65535");
        L4_FUZZ_CHECK(with_port);
        check_sockaddr(*with_port, std::nullopt, a6, 65535);
    }

    check_tunnel(s);
    return 0;
}
