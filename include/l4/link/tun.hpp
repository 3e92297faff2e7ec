// A Linux TUN device as a link: the frames are the kernel's own IP packets.
//
// What l4kit transmits, the kernel receives as if from a network interface
// (and routes, answers, or hands to its sockets); what the kernel routes out
// of the interface, receive() returns. So an l4kit endpoint can talk to the
// kernel's TCP and UDP, or to the rest of a network the kernel forwards to.
//
//     auto dev = l4::link::tun::open("l4tun0");   // needs CAP_NET_ADMIN
//     // then, outside l4kit: ip addr add 192.0.2.1/24 dev l4tun0; ip link set l4tun0 up
//     dev->transmit(ip_datagram, now);
//     dev->receive(buffer, now);
//
// The device is IFF_TUN | IFF_NO_PI (IP packets with no header in front),
// opened non-blocking, and exists while the tunnel object does (it is not
// persistent). Addresses, routes and the up state are the administrator's:
// with iproute2, or netlink. open() sets the device's MTU to config.mtu.
//
// Attaching to a device that is already up (a persistent one, configured
// before the program starts) turns its carrier on, and the kernel turns its
// transmit queue on a little later, from a work queue (linkwatch: at once, or
// up to a second later). Until then the kernel drops everything it sends
// through the device (counted as TX dropped): the answer to the first
// datagram a program writes could be lost. So open() returns only once such a
// device is running (IFF_RUNNING), waiting for the kernel's link notification,
// at most about 2 s. A device that is down when opened needs no wait: bringing
// it up later turns the queue on at once.
//
// Errors
//   tun_errc::device_missing  /dev/net/tun is not there (no TUN driver)
//   tun_errc::not_permitted   CAP_NET_ADMIN is missing
//   tun_errc::bad_name        the name does not fit IFNAMSIZ
//   l4 codes: frame_too_large, would_block, buffer_too_small, queue_full
//   (EAGAIN on write), link_closed (moved-from, or EBADFD: detached),
//   value_out_of_range (an MTU outside 68-65535); everything else is errno
//   as a system_category error_code. A write while the device is down fails
//   with EIO: bring it up first.
//
// Linux only.
#pragma once

#if defined(__linux__)

#include <l4/core/bytes.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/link/concept.hpp>
#include <l4/link/unique_fd.hpp>

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>  // glibc's ifreq: a user's later <linux/if.h> still compiles, the reverse would not
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace l4::link {

// Why a TUN device could not be made, where errno alone says it badly
// (ENOENT, EPERM).
enum class tun_errc {
    device_missing = 1,  // /dev/net/tun missing, or no TUN driver behind it
    not_permitted,       // no CAP_NET_ADMIN
    bad_name,            // IFNAMSIZ (16) characters or longer, or with a '/', ' ' or ':' in it
};

class tun_error_category final : public boost::system::error_category {
public:
    constexpr tun_error_category() noexcept : boost::system::error_category(0x6c346b697474756eull) {}
    const char* name() const noexcept override { return "l4.tun"; }
    std::string message(int ev) const override {
        switch (static_cast<tun_errc>(ev)) {
        case tun_errc::device_missing:
            return "/dev/net/tun is missing: no TUN driver here (load the tun module, or pass the device "
                   "into the container)";
        case tun_errc::not_permitted:
            return "CAP_NET_ADMIN is missing: creating a TUN device needs root or the CAP_NET_ADMIN capability";
        case tun_errc::bad_name:
            return "bad interface name: at most 15 characters, none of '/', ' ', ':'";
        }
        return "unknown l4.tun error";
    }
};

inline const boost::system::error_category& tun_category() noexcept {
    static constexpr tun_error_category instance;
    return instance;
}

inline boost::system::error_code make_error_code(tun_errc e) noexcept { return {static_cast<int>(e), tun_category()}; }

}  // namespace l4::link

template <>
struct boost::system::is_error_code_enum<l4::link::tun_errc> : std::true_type {};

namespace l4::link {

struct tun_config {
    // The device's MTU and the largest frame, 68 (RFC 791's minimum) to 65535.
    std::size_t mtu = 1500;
};

struct tun_counters : link_counters {
    std::uint64_t rx_dropped_too_big = 0;  // packets over mtu() (someone raised the device's MTU)
};

class tun {
public:
    // Creates the device `name` ("" or a pattern such as "l4tun%d": the
    // kernel picks; see name()) in the calling thread's network namespace.
    [[nodiscard]] static io_result<tun> open(std::string_view name = {}, const tun_config& config = {}) {
        if (config.mtu < 68 || config.mtu > 65535) return errc::value_out_of_range;
        if (name.size() >= IFNAMSIZ || name.find_first_of("/ :") != std::string_view::npos)
            return tun_errc::bad_name;
        const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return open_error(errno);
        tun t{fd, config};
        // Listening to link notifications before attaching, so none is missed.
        const unique_fd watch = link_notifications();
        ifreq ifr{};
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        std::copy(name.begin(), name.end(), ifr.ifr_name);
        if (::ioctl(fd, TUNSETIFF, &ifr) != 0) return open_error(errno);
        t.name_.assign(ifr.ifr_name, ::strnlen(ifr.ifr_name, IFNAMSIZ));
        if (auto r = t.set_device_mtu(config.mtu); !r) return r.error();
        if (auto r = t.await_running(watch); !r) return r.error();
        return t;
    }

    tun(tun&&) noexcept = default;
    tun& operator=(tun&&) noexcept = default;
    tun(const tun&) = delete;
    tun& operator=(const tun&) = delete;
    ~tun() = default;

    // One write(2): the kernel takes the packet at once, or refuses it.
    [[nodiscard]] io_result<void> transmit(bytes frame, instant) noexcept {
        if (!fd_.valid()) return errc::link_closed;
        if (frame.size() > config_.mtu) {
            ++counters_.tx_dropped_too_big;
            return errc::frame_too_large;
        }
        for (;;) {
            if (::write(fd_.get(), frame.data(), frame.size()) >= 0) break;
            const int e = errno;
            if (e == EINTR) continue;
            if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) {
                ++counters_.tx_dropped_full;
                return errc::queue_full;
            }
            if (e == EBADFD) return errc::link_closed;
            return system_error(e);
        }
        ++counters_.tx_frames;
        counters_.tx_bytes += frame.size();
        return {};
    }

    // One read(2), straight into `buffer` when it can hold any packet;
    // otherwise through a scratch buffer, so that a short buffer gets
    // buffer_too_small and keeps the packet for the next call.
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) noexcept {
        if (!fd_.valid()) return errc::link_closed;
        if (pending_len_ == 0) {
            const bool direct = buffer.size() >= max_packet;
            for (;;) {
                std::uint8_t* into = direct ? buffer.data() : scratch_.data();
                const ::ssize_t n = ::read(fd_.get(), into, max_packet);
                if (n < 0) {
                    const int e = errno;
                    if (e == EINTR) continue;
                    if (e == EAGAIN || e == EWOULDBLOCK) return errc::would_block;
                    if (e == EBADFD) return errc::link_closed;
                    return system_error(e);
                }
                const auto len = static_cast<std::size_t>(n);
                if (len > config_.mtu) {
                    ++counters_.rx_dropped_too_big;
                    continue;
                }
                if (direct) return delivered(len);
                pending_len_ = len;
                pending_since_ = now;
                break;
            }
        }
        if (buffer.size() < pending_len_) return errc::buffer_too_small;
        std::copy_n(scratch_.begin(), pending_len_, buffer.begin());
        return delivered(std::exchange(pending_len_, 0));
    }

    [[nodiscard]] std::size_t mtu() const noexcept { return config_.mtu; }
    // Due at once while a packet read earlier waits for a larger buffer.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept {
        if (pending_len_ > 0) return pending_since_;
        return std::nullopt;
    }
    [[nodiscard]] int poll_fd() const noexcept { return fd_.get(); }
    // The interface name the kernel gave the device.
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const tun_counters& counters() const noexcept { return counters_; }

    // The largest packet read(2) may return; a buffer this big is read into directly.
    static constexpr std::size_t max_packet = 65535;

private:
    tun(int fd, const tun_config& config) : fd_{fd}, config_{config}, scratch_(max_packet) {}

    [[nodiscard]] static boost::system::error_code system_error(int e) noexcept {
        return {e, boost::system::system_category()};
    }

    // open(2) of /dev/net/tun: ENOENT when the node is missing, ENODEV or
    // ENXIO when no driver is behind it. TUNSETIFF: EPERM without
    // CAP_NET_ADMIN (EACCES from open when the node's mode refuses us).
    [[nodiscard]] static boost::system::error_code open_error(int e) noexcept {
        if (e == ENOENT || e == ENODEV || e == ENXIO) return tun_errc::device_missing;
        if (e == EPERM || e == EACCES) return tun_errc::not_permitted;
        return system_error(e);
    }

    // SIOCSIFMTU goes through any socket of the device's namespace.
    [[nodiscard]] io_result<void> set_device_mtu(std::size_t mtu) noexcept {
        const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return system_error(errno);
        const unique_fd sock{s};
        ifreq ifr{};
        std::copy(name_.begin(), name_.end(), ifr.ifr_name);
        if (::ioctl(s, SIOCGIFMTU, &ifr) != 0) return system_error(errno);
        if (static_cast<std::size_t>(ifr.ifr_mtu) == mtu) return {};
        ifr.ifr_mtu = static_cast<int>(mtu);
        if (::ioctl(s, SIOCSIFMTU, &ifr) != 0) return system_error(errno);
        return {};
    }

    // A netlink socket that hears of every link change in this namespace
    // (RTMGRP_LINK), or none: waiting then falls back to looking every 50 ms.
    [[nodiscard]] static unique_fd link_notifications() noexcept {
        unique_fd nl{::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE)};
        if (!nl.valid()) return nl;
        sockaddr_nl sa{};
        sa.nl_family = AF_NETLINK;
        sa.nl_groups = RTMGRP_LINK;
        if (::bind(nl.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) nl.reset();
        return nl;
    }

    // The device's flags, as `ip link` shows them (SIOCGIFFLAGS).
    [[nodiscard]] io_result<unsigned> device_flags() const noexcept {
        const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0) return system_error(errno);
        const unique_fd sock{s};
        ifreq ifr{};
        std::copy(name_.begin(), name_.end(), ifr.ifr_name);
        if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return system_error(errno);
        return static_cast<unsigned short>(ifr.ifr_flags);
    }

    // Until a device that is up is also running (see the top of the file):
    // woken by any link notification, bounded by 40 waits of at most 50 ms.
    // The kernel's linkwatch runs within a second, so the bound is only hit
    // when something else holds the link down; the device then works as it
    // would have without the wait.
    [[nodiscard]] io_result<void> await_running(const unique_fd& watch) const noexcept {
        std::array<std::uint8_t, 8192> drain{};
        for (int round = 0; round < 40; ++round) {
            const auto flags = device_flags();
            if (!flags) return flags.error();
            if ((*flags & IFF_UP) == 0 || (*flags & IFF_RUNNING) != 0) return {};
            pollfd p{watch.valid() ? watch.get() : -1, POLLIN, 0};
            if (::poll(&p, 1, 50) > 0) {
                while (::recv(watch.get(), drain.data(), drain.size(), 0) > 0) {
                }
            }
        }
        return {};
    }

    [[nodiscard]] io_result<std::size_t> delivered(std::size_t len) noexcept {
        ++counters_.rx_frames;
        counters_.rx_bytes += len;
        return len;
    }

    unique_fd fd_;
    tun_config config_;
    std::string name_;
    std::vector<std::uint8_t> scratch_;
    std::size_t pending_len_ = 0;
    instant pending_since_{};
    tun_counters counters_;
};

static_assert(check_link<tun>());

}  // namespace l4::link

#endif  // __linux__
