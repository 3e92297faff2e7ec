// link::tun against the Linux kernel's own UDP, inside a network namespace
// made for the test (ip netns add l4test-<pid>-<n>, deleted at the end, on
// failure too). In it: the TUN device, with 192.0.2.1/24 and 2001:db8::1/64,
// and kernel UDP sockets bound to port 50000 of those addresses. l4kit plays
// 192.0.2.2 and 2001:db8::2: its datagrams, built with the wire layer, go in
// through the device; the kernel's replies come out of it and are parsed and
// checksum-verified with the wire layer.
//
// Needs root and /dev/net/tun; otherwise every test here WARNs
// "SKIPPED: needs root and /dev/net/tun" and ctest reports it skipped.
// Nothing leaves the machine: the addresses are TEST-NET-1 and the IPv6
// documentation prefix, routed only inside the namespace. Every wait is a
// poll() with a timeout.
#include <l4/checksum/internet.hpp>
#include <l4/link/tun.hpp>
#include <l4/link/unique_fd.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/udp.hpp>

#include "../support.hpp"
#include "interop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace {

using namespace l4::wire;
using l4::link::tun;
using l4::link::unique_fd;

// Every test here starts with this: skips, loudly, where it cannot run.
#define L4_SKIP_UNLESS_ROOT_AND_TUN()                                                  \
    do {                                                                               \
        if (auto why = missing_prerequisite()) {                                       \
            WARN("SKIPPED: needs root and /dev/net/tun (" << *why << ")");             \
            l4::interop::skip();                                                       \
            return;                                                                    \
        }                                                                              \
    } while (false)

std::optional<std::string> missing_prerequisite() {
    if (::geteuid() != 0) return "not root";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "/dev/net/tun: " + std::string{std::strerror(errno)};
    return std::nullopt;
}

const ipv4_address kernel_v4{192, 0, 2, 1}, our_v4{192, 0, 2, 2};
const ipv6_address kernel_v6 = *ipv6_address::from_string("2001:db8::1");
const ipv6_address our_v6 = *ipv6_address::from_string("2001:db8::2");
constexpr std::uint16_t kernel_port = 50000, our_port = 40000;
constexpr int wait_ms = 5000;

l4::bytes as_bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN) != 0;
}

// Waits up to `ms` for a child to exit and reaps it; kills it if it does
// not. Its wait status, or -1.
int wait_child(pid_t pid, int ms) {
    const unique_fd pidfd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
    const bool exited = pidfd.get() >= 0 && wait_readable(pidfd.get(), ms);
    if (!exited) ::kill(pid, SIGKILL);
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return exited ? status : -1;
}

// Runs a command (ip ...) with a 10 s limit; its exit code, or -1.
int run(std::initializer_list<std::string> args) {
    std::vector<std::string> words{args};
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
    const int status = wait_child(pid, 10000);
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Calls f() on a thread that has entered the namespace `ns`: sockets and
// devices it creates belong there, and stay usable from every thread.
template <class F>
auto in_netns(const std::string& ns, F f) -> decltype(f()) {
    std::optional<decltype(f())> out;
    int error = 0;
    std::thread worker{[&] {
        const unique_fd nsfd{::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC)};
        if (nsfd.get() < 0 || ::setns(nsfd.get(), CLONE_NEWNET) != 0) {
            error = errno;
            return;
        }
        out.emplace(f());
    }};
    worker.join();
    INFO("entering network namespace " << ns << ": " << std::strerror(error));
    REQUIRE(error == 0);
    return std::move(*out);
}

// `ip netns add` now, `ip netns delete` on every way out.
class netns_guard {
public:
    explicit netns_guard(std::string name) : name_{std::move(name)} {
        ok_ = run({"ip", "netns", "add", name_}) == 0;
    }
    netns_guard(const netns_guard&) = delete;
    netns_guard& operator=(const netns_guard&) = delete;
    ~netns_guard() {
        if (ok_) (void)run({"ip", "netns", "delete", name_});
    }
    [[nodiscard]] bool ok() const noexcept { return ok_; }
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
    bool ok_ = false;
};

unique_fd bound_udp_socket(const sockaddr* addr, socklen_t len) {
    unique_fd s{::socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    if (s.get() < 0 || ::bind(s.get(), addr, len) != 0) return unique_fd{};
    return s;
}

sockaddr_in sockaddr_of(const ipv4_address& a, std::uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    std::memcpy(&sa.sin_addr, a.octets.data(), 4);
    return sa;
}

sockaddr_in6 sockaddr_of(const ipv6_address& a, std::uint16_t port) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    std::memcpy(&sa.sin6_addr, a.octets.data(), 16);
    return sa;
}

int unique_number() {
    static int n = 0;
    return n++;
}

// The kernel's side: a namespace, the TUN device in it, configured and up,
// and two kernel UDP sockets on port 50000. Members are destroyed in reverse:
// sockets, device, then the namespace.
struct kernel_side {
    netns_guard ns;
    std::string dev;
    std::optional<tun> link;
    unique_fd udp4, udp6;

    kernel_side()
        : ns{"l4test-" + std::to_string(::getpid()) + "-" + std::to_string(unique_number())},
          dev{"l4t" + std::to_string(::getpid()) + "x" + std::to_string(unique_number())} {
        REQUIRE(ns.ok());
        auto opened = in_netns(ns.name(), [&] { return tun::open(dev); });
        INFO("tun::open(" << dev << "): " << (opened ? "ok" : opened.error().message()));
        REQUIRE(opened);
        link.emplace(std::move(*opened));
        CHECK(link->name() == dev);
        REQUIRE(run({"ip", "-n", ns.name(), "addr", "add", "192.0.2.1/24", "dev", dev}) == 0);
        // nodad: the address is usable at once (no Duplicate Address Detection).
        REQUIRE(run({"ip", "-n", ns.name(), "-6", "addr", "add", "2001:db8::1/64", "dev", dev, "nodad"}) == 0);
        REQUIRE(run({"ip", "-n", ns.name(), "link", "set", "dev", dev, "up"}) == 0);
        udp4 = in_netns(ns.name(), [] {
            const auto sa = sockaddr_of(kernel_v4, kernel_port);
            return bound_udp_socket(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
        });
        REQUIRE(udp4.get() >= 0);
        udp6 = in_netns(ns.name(), [] {
            const auto sa = sockaddr_of(kernel_v6, kernel_port);
            return bound_udp_socket(reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
        });
        REQUIRE(udp6.get() >= 0);
    }
};

// A UDP datagram in an IP datagram, both headers and the UDP checksum
// (RFC 768 over the pseudo-header) written by the wire layer.
std::vector<std::uint8_t> udp_in_ipv4(const ipv4_address& src, const ipv4_address& dst, l4::bytes payload) {
    const udp_repr udp{our_port, kernel_port, payload};
    const ipv4_repr ip{.src = src, .dst = dst, .protocol = ip_protocol::udp, .identification = 1,
                       .payload_len = static_cast<std::uint16_t>(udp.buffer_len())};
    std::vector<std::uint8_t> frame(ip.buffer_len());
    REQUIRE(ip.emit(frame));
    const auto pseudo = pseudo_header::ipv4(src, dst, ip_protocol::udp, ip.payload_len);
    REQUIRE(udp.emit(l4::mut_bytes{frame}.subspan(ip.header_len()), pseudo.bytes(), l4::checksum::internet{}));
    return frame;
}

std::vector<std::uint8_t> udp_in_ipv6(const ipv6_address& src, const ipv6_address& dst, l4::bytes payload) {
    const udp_repr udp{our_port, kernel_port, payload};
    const ipv6_repr ip{.src = src, .dst = dst, .next_header = ip_protocol::udp,
                       .payload_len = static_cast<std::uint16_t>(udp.buffer_len())};
    std::vector<std::uint8_t> frame(ip.buffer_len());
    REQUIRE(ip.emit(frame));
    const auto pseudo = pseudo_header::ipv6(src, dst, ip_protocol::udp, ip.payload_len);
    REQUIRE(udp.emit(l4::mut_bytes{frame}.subspan(ip.header_len()), pseudo.bytes(), l4::checksum::internet{}));
    return frame;
}

// Receives from the device until a UDP datagram of IP `version` to our port
// comes, for up to wait_ms. Other packets (the kernel's MLD reports and
// router solicitations when the device comes up) are passed over and listed
// in `others`.
std::optional<std::vector<std::uint8_t>> await_udp(tun& link, int version, std::string& others) {
    const l4::steady_clock clock;
    const auto deadline = clock.now() + std::chrono::milliseconds(wait_ms);
    std::vector<std::uint8_t> buffer(link.mtu());
    for (;;) {
        for (;;) {
            auto n = link.receive(buffer, clock.now());
            if (!n) {
                if (n.error() != l4::errc::would_block) others += "receive: " + n.error().message() + "; ";
                break;
            }
            const l4::bytes frame{buffer.data(), *n};
            auto ip = parse_ip(frame);
            if (ip && ip->version() == version && ip->protocol == ip_protocol::udp) {
                auto udp = udp_view::check(ip->transport);
                if (udp && udp->dst_port() == our_port) return std::vector<std::uint8_t>(frame.begin(), frame.end());
            }
            std::ostringstream s;
            if (ip) s << *ip << " protocol " << unsigned{ip->protocol};
            else s << *n << " bytes: " << l4::describe(ip.error());
            others += s.str() + "; ";
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.now()).count();
        if (left <= 0) return std::nullopt;
        pollfd p{link.poll_fd(), POLLIN, 0};
        (void)::poll(&p, 1, static_cast<int>(left));
    }
}

// What the kernel socket received: payload and sender.
struct kernel_datagram {
    std::string payload;
    sockaddr_storage from{};
    socklen_t from_len = sizeof(sockaddr_storage);
};

std::optional<kernel_datagram> kernel_receive(int sock) {
    if (!wait_readable(sock, wait_ms)) return std::nullopt;
    kernel_datagram d;
    char buf[2048];
    const ::ssize_t n = ::recvfrom(sock, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&d.from), &d.from_len);
    if (n < 0) return std::nullopt;
    d.payload.assign(buf, static_cast<std::size_t>(n));
    return d;
}

// Sends `frame` through the device until the kernel socket has a datagram,
// once a second for up to wait_ms: a datagram that reaches the kernel while
// the device's addresses are still being brought up (IPv6's are, from a
// workqueue, after `ip link set up` returns) may be dropped. `sends` counts
// the transmissions.
std::optional<kernel_datagram> send_until_received(tun& link, const std::vector<std::uint8_t>& frame, int sock,
                                                   int& sends) {
    const l4::steady_clock clock;
    for (sends = 1; sends <= wait_ms / 1000; ++sends) {
        REQUIRE(link.transmit(frame, clock.now()));
        if (wait_readable(sock, 1000)) return kernel_receive(sock);
    }
    return std::nullopt;
}

// The reply's UDP checksum verifies over the pseudo-header, and a flipped
// payload bit makes it fail: the check is real.
void check_udp_checksum(const std::vector<std::uint8_t>& frame, const std::string& payload,
                        udp_zero_checksum zero) {
    auto ip = parse_ip(frame);
    REQUIRE(ip);
    REQUIRE(ip->protocol == ip_protocol::udp);
    auto view = udp_view::check(ip->transport);
    REQUIRE(view);
    CHECK(view->checksum() != 0);  // the kernel filled it in
    auto udp = udp_repr::parse(ip->transport, ip->pseudo.bytes(), zero, l4::checksum::internet{});
    INFO("udp_repr::parse: " << (udp ? "ok" : l4::describe(udp.error())));
    REQUIRE(udp);
    CHECK(udp->src_port == kernel_port);
    CHECK(udp->dst_port == our_port);
    CHECK(std::string(udp->payload.begin(), udp->payload.end()) == payload);

    auto corrupt = std::vector<std::uint8_t>(ip->transport.begin(), ip->transport.end());
    corrupt.back() ^= 0x01;
    CHECK(udp_repr::parse(corrupt, ip->pseudo.bytes(), zero, l4::checksum::internet{}).error() ==
          l4::errc::bad_checksum);
}

}  // namespace

TEST_CASE("tun: a UDP/IPv4 datagram to a kernel socket, and its reply back through the device",
          "[interop][tun]") {
    L4_SKIP_UNLESS_ROOT_AND_TUN();
    kernel_side k;

    const std::string hello = "l4kit to the kernel, over TUN, IPv4";
    const auto frame = udp_in_ipv4(our_v4, kernel_v4, as_bytes(hello));
    int sends = 0;
    auto got = send_until_received(*k.link, frame, k.udp4.get(), sends);
    REQUIRE(got);
    CHECK(got->payload == hello);
    sockaddr_in from{};
    std::memcpy(&from, &got->from, sizeof from);
    CHECK(from.sin_family == AF_INET);
    CHECK(ntohs(from.sin_port) == our_port);
    CHECK(std::memcmp(&from.sin_addr, our_v4.octets.data(), 4) == 0);

    const std::string reply = "the kernel answers, IPv4";
    REQUIRE(::sendto(k.udp4.get(), reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&got->from),
                     got->from_len) == static_cast<::ssize_t>(reply.size()));
    std::string others;
    auto back = await_udp(*k.link, 4, others);
    INFO("other packets from the device: " << others);
    REQUIRE(back);
    auto ip = ipv4_repr::parse(*back);  // the header checksum verifies too
    REQUIRE(ip);
    CHECK(ip->src == kernel_v4);
    CHECK(ip->dst == our_v4);
    CHECK(ip->protocol == ip_protocol::udp);
    check_udp_checksum(*back, reply, udp_zero_checksum::means_none);
    CHECK(k.link->counters().tx_frames == static_cast<std::uint64_t>(sends));
}

TEST_CASE("tun: a UDP/IPv6 datagram to a kernel socket, and its reply back through the device",
          "[interop][tun]") {
    L4_SKIP_UNLESS_ROOT_AND_TUN();
    kernel_side k;

    const std::string hello = "l4kit to the kernel, over TUN, IPv6";
    const auto frame = udp_in_ipv6(our_v6, kernel_v6, as_bytes(hello));
    int sends = 0;
    auto got = send_until_received(*k.link, frame, k.udp6.get(), sends);
    REQUIRE(got);
    CHECK(got->payload == hello);
    sockaddr_in6 from{};
    std::memcpy(&from, &got->from, sizeof from);
    CHECK(from.sin6_family == AF_INET6);
    CHECK(ntohs(from.sin6_port) == our_port);
    CHECK(std::memcmp(&from.sin6_addr, our_v6.octets.data(), 16) == 0);

    const std::string reply = "the kernel answers, IPv6";
    REQUIRE(::sendto(k.udp6.get(), reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&got->from),
                     got->from_len) == static_cast<::ssize_t>(reply.size()));
    std::string others;
    auto back = await_udp(*k.link, 6, others);
    INFO("other packets from the device: " << others);
    REQUIRE(back);
    auto ip = ipv6_repr::parse(*back);
    REQUIRE(ip);
    CHECK(ip->src == kernel_v6);
    CHECK(ip->dst == our_v6);
    CHECK(ip->next_header == ip_protocol::udp);
    // RFC 8200 §8.1: over IPv6 a zero UDP checksum is invalid.
    check_udp_checksum(*back, reply, udp_zero_checksum::invalid);
}

TEST_CASE("tun: frames over the MTU are refused, and a short buffer keeps the packet", "[interop][tun]") {
    L4_SKIP_UNLESS_ROOT_AND_TUN();
    kernel_side k;
    const l4::steady_clock clock;
    const std::vector<std::uint8_t> big(k.link->mtu() + 1, 0x45);
    CHECK(k.link->transmit(big, clock.now()).error() == l4::errc::frame_too_large);
    CHECK(k.link->counters().tx_dropped_too_big == 1);

    // The kernel sends a datagram out of the device; a 10-byte buffer is too
    // short, and the packet waits (next_deadline is due) for a larger one.
    const std::string payload = "waits for a larger buffer";
    const auto to = sockaddr_of(our_v4, our_port);
    REQUIRE(::sendto(k.udp4.get(), payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                     sizeof to) == static_cast<::ssize_t>(payload.size()));
    std::array<std::uint8_t, 10> small{};
    std::vector<std::uint8_t> buffer(k.link->mtu());
    bool found = false;
    for (int tries = 0; tries < 50 && !found; ++tries) {
        if (!wait_readable(k.link->poll_fd(), wait_ms)) break;
        auto r = k.link->receive(small, clock.now());
        REQUIRE_FALSE(r);
        REQUIRE(r.error() == l4::errc::buffer_too_small);
        CHECK(k.link->next_deadline());
        auto n = k.link->receive(buffer, clock.now());
        REQUIRE(n);
        CHECK_FALSE(k.link->next_deadline());
        auto ip = parse_ip(l4::bytes{buffer.data(), *n});
        found = ip && ip->v4 && ip->protocol == ip_protocol::udp;
    }
    CHECK(found);
}

TEST_CASE("tun: a typed error says what is missing", "[interop][tun]") {
    L4_SKIP_UNLESS_ROOT_AND_TUN();
    // In a child, so that this process keeps its capabilities and mounts.
    SECTION("without CAP_NET_ADMIN: not_permitted") {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
            __user_cap_data_struct data[2]{};  // no capability at all
            if (::syscall(SYS_capset, &header, data) != 0) ::_exit(10);
            auto t = tun::open("l4tnocap");
            ::_exit(!t && t.error() == l4::link::tun_errc::not_permitted ? 0 : 1);
        }
        const int status = wait_child(pid, wait_ms);
        REQUIRE(status != -1);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    SECTION("without /dev/net/tun: device_missing") {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // A mount namespace of its own with an empty /dev/net.
            if (::unshare(CLONE_NEWNS) != 0) ::_exit(10);
            if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(11);
            if (::mount("none", "/dev/net", "tmpfs", 0, nullptr) != 0) ::_exit(12);
            auto t = tun::open("l4tnodev");
            ::_exit(!t && t.error() == l4::link::tun_errc::device_missing ? 0 : 1);
        }
        const int status = wait_child(pid, wait_ms);
        REQUIRE(status != -1);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(make_error_code(l4::link::tun_errc::device_missing).message().starts_with("/dev/net/tun is missing"));
    CHECK(make_error_code(l4::link::tun_errc::not_permitted).message().starts_with("CAP_NET_ADMIN is missing"));
}
