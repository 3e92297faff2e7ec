// A link that carries IP datagrams inside UDP datagrams: one frame, one UDP
// payload. Two ends of it (in one process or in two, on one host or on two)
// make a point-to-point link that needs no privileges and that the kernel
// neither parses nor routes.
//
//     auto a = l4::link::udp_tunnel::open(l4::link::tunnel_address::loopback_v4(7001),
//                                         l4::link::tunnel_address::loopback_v4(7002));
//     a->transmit(frame, now);          // one sendmsg, now
//     { auto batch = a->batch();         // held frames leave in sendmmsg batches
//       for (auto f : frames) a->transmit(f, now); }  // ...and the rest here
//     a->receive(buffer, now);          // one recvmmsg fills a ring; frames leave it one by one
//
// Transmit, and when frames are held (the batching rule)
//   transmit() sends at once (one sendmsg) unless the tunnel is corked. While
//   corked (cork() ... uncork(), or a batch() scope), frames are copied into
//   a batch of config.batch slots, and the batch leaves in one sendmmsg when
//   it is full, at uncork() or flush(), and at the start of every receive().
//   While frames are held, next_deadline() is the instant of the first held
//   transmit, so a driver that sleeps until the earliest deadline comes back
//   at once and its receive() sends them: no frame stays held across a wait.
//   Generic code that knows only the Link concept never corks, so for it a
//   frame leaves inside transmit(), as from every other link.
//
// Receive
//   receive() returns a frame from the ring if there is one; otherwise one
//   recvmmsg(MSG_DONTWAIT) moves up to config.batch datagrams from the socket
//   into the ring (straight into its slots, no extra copy). A datagram longer
//   than mtu() is dropped whole and counted (rx_dropped_too_big). While the
//   ring holds frames the socket may be empty: poll_fd() is not readable but
//   next_deadline() is due, so call receive() until would_block before
//   waiting on poll_fd().
//
// Errors
//   l4 codes where one fits: frame_too_large (over mtu()), queue_full (the
//   socket's send buffer is full, EAGAIN/ENOBUFS: the frame was not taken),
//   would_block, buffer_too_small, link_closed (a moved-from tunnel, or the
//   peer's host answered twice in a row that no one listens on its port),
//   value_out_of_range (a configuration outside its limits). Every other
//   failure is the system call's errno as a boost::system::error_code of
//   system_category.
//
// An ICMP port unreachable from the peer's host (the peer is not there yet,
// or not any more) makes the kernel fail the next send or receive with
// ECONNREFUSED once. The tunnel counts it (peer_unreachable) and retries the
// call once, because the error belongs to an earlier datagram.
//
// Linux only (sendmmsg and recvmmsg).
#pragma once

#if defined(__linux__)

#include <l4/core/bytes.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/link/concept.hpp>
#include <l4/link/tunnel_address.hpp>
#include <l4/link/unique_fd.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace l4::link {

struct udp_tunnel_config {
    // The largest frame, 1 to 65507 bytes (the largest UDP payload over IPv4).
    std::size_t mtu = 1500;
    // Frames per sendmmsg and per recvmmsg, 1 to 1024 (UIO_MAXIOV); also the
    // most frames a cork holds and the receive ring's size.
    std::size_t batch = 32;
    // SO_SNDBUF and SO_RCVBUF in bytes; 0 keeps the kernel's defaults. The
    // kernel caps them at net.core.wmem_max and rmem_max, and doubles them.
    int socket_buffer = 0;
};

// link_counters, and what only a socket can tell.
struct udp_tunnel_counters : link_counters {
    std::uint64_t rx_dropped_too_big = 0;  // datagrams over mtu(), dropped whole
    std::uint64_t peer_unreachable = 0;    // ECONNREFUSED reports (ICMP port unreachable)
    std::uint64_t send_calls = 0;          // sendmsg and sendmmsg calls that sent something
    std::uint64_t recv_calls = 0;          // recvmmsg calls that received something
};

class udp_tunnel {
public:
    // A socket bound to `local` (port 0: the kernel picks one; see
    // local_address()) and, unless `remote` is empty, connected to `remote`,
    // so that only the peer's datagrams are received. Errors:
    // value_out_of_range (config), EAFNOSUPPORT (local empty, or remote of
    // another family), and those of socket, bind and connect.
    [[nodiscard]] static io_result<udp_tunnel> open(const tunnel_address& local, const tunnel_address& remote = {},
                                                 const udp_tunnel_config& config = {}) {
        if (config.mtu == 0 || config.mtu > max_mtu || config.batch == 0 || config.batch > max_batch ||
            config.socket_buffer < 0)
            return errc::value_out_of_range;
        if (local.empty()) return system_error(EAFNOSUPPORT);
        const int fd = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
        if (fd < 0) return system_error(errno);
        udp_tunnel t{fd, config};
        if (config.socket_buffer > 0) {
            if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &config.socket_buffer, sizeof config.socket_buffer) != 0 ||
                ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &config.socket_buffer, sizeof config.socket_buffer) != 0)
                return system_error(errno);
        }
        if (::bind(fd, local.data(), local.size()) != 0) return system_error(errno);
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) return system_error(errno);
        t.local_ = tunnel_address::from_sockaddr(reinterpret_cast<const sockaddr*>(&bound), len);
        if (!remote.empty()) {
            if (auto r = t.connect(remote); !r) return r.error();
        }
        return t;
    }

    // Two ends on `host`, on ports the kernel picks, connected to each other:
    // the tunnel's version of memory_pair.
    [[nodiscard]] static io_result<std::pair<udp_tunnel, udp_tunnel>> open_pair(
        const tunnel_address& host = tunnel_address::loopback_v4(), const udp_tunnel_config& config = {}) {
        auto a = open(host, {}, config);
        if (!a) return a.error();
        auto b = open(host, a->local_address(), config);
        if (!b) return b.error();
        if (auto r = a->connect(b->local_address()); !r) return r.error();
        return std::pair<udp_tunnel, udp_tunnel>{std::move(*a), std::move(*b)};
    }

    // Sets (or changes) the peer. Held frames are sent first, to the old
    // peer; with none, they wait and go to the new one.
    [[nodiscard]] io_result<void> connect(const tunnel_address& remote) noexcept {
        if (!fd_.valid()) return errc::link_closed;
        if (remote.family() != local_.family()) return system_error(EAFNOSUPPORT);
        (void)flush();
        if (::connect(fd_.get(), remote.data(), remote.size()) != 0) return system_error(errno);
        remote_ = remote;
        return {};
    }

    udp_tunnel(udp_tunnel&&) noexcept = default;
    udp_tunnel& operator=(udp_tunnel&&) noexcept = default;
    udp_tunnel(const udp_tunnel&) = delete;
    udp_tunnel& operator=(const udp_tunnel&) = delete;
    ~udp_tunnel() = default;

    // Sends the frame now, or holds it while corked (see the batching rule
    // above). A frame held behind earlier held frames leaves after them.
    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) noexcept {
        if (!fd_.valid()) return errc::link_closed;
        if (frame.size() > config_.mtu) {
            ++counters_.tx_dropped_too_big;
            return errc::frame_too_large;
        }
        if (tx_count_ == config_.batch) {
            // Corked and full: make room, or refuse the frame (flush failed).
            auto r = flush();
            if (tx_count_ == config_.batch) {
                if (r.error() == errc::queue_full) ++counters_.tx_dropped_full;
                return r;
            }
        }
        if (tx_count_ == 0) tx_since_ = now;
        const std::size_t slot = (tx_head_ + tx_count_) % config_.batch;
        std::copy(frame.begin(), frame.end(), tx_.data.begin() + static_cast<std::ptrdiff_t>(slot * config_.mtu));
        tx_.iov[slot].iov_len = frame.size();
        ++tx_count_;
        if (corked_) return {};
        // Not corked: this frame (behind any left from an earlier EAGAIN) leaves now.
        auto r = flush();
        if (!r) {
            // Frames leave in order, so this one, the last, is still held:
            // un-take it, so that a failed transmit never sends it later
            // behind the caller's back. Frames held before it stay held.
            --tx_count_;
            if (r.error() == errc::queue_full) ++counters_.tx_dropped_full;
        }
        return r;
    }

    // Returns the next frame. Sends held frames first (see above).
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) noexcept {
        if (!fd_.valid()) return errc::link_closed;
        if (tx_count_ > 0) (void)flush();  // their errors come back from the next transmit or flush
        if (rx_count_ == 0) {
            auto r = fill(now);
            if (!r) return r.error();
            if (rx_count_ == 0) return errc::would_block;
        }
        const std::size_t len = rx_len_[rx_head_];
        if (buffer.size() < len) return errc::buffer_too_small;
        const auto first = rx_.data.begin() + static_cast<std::ptrdiff_t>(rx_head_ * config_.mtu);
        std::copy(first, first + static_cast<std::ptrdiff_t>(len), buffer.begin());
        ++rx_head_;
        --rx_count_;
        ++counters_.rx_frames;
        counters_.rx_bytes += len;
        return len;
    }

    // Holds transmitted frames until uncork(), flush(), a full batch or the
    // next receive(). Corks do not nest.
    void cork() noexcept { corked_ = true; }
    // Ends the cork and sends what it held.
    [[nodiscard]] io_result<void> uncork() noexcept {
        corked_ = false;
        return flush();
    }
    [[nodiscard]] bool corked() const noexcept { return corked_; }

    // A scope during which the tunnel is corked; it uncorks (and sends) on
    // leaving. Errors of that last send come back from the next transmit.
    class [[nodiscard]] batch_scope {
    public:
        explicit batch_scope(udp_tunnel& t) noexcept : t_{&t} { t.cork(); }
        batch_scope(const batch_scope&) = delete;
        batch_scope& operator=(const batch_scope&) = delete;
        ~batch_scope() { (void)t_->uncork(); }

    private:
        udp_tunnel* t_;
    };
    [[nodiscard]] batch_scope batch() noexcept { return batch_scope{*this}; }

    // Sends every held frame, in order, in as few sendmmsg calls as the
    // socket takes. queue_full: the socket's buffer is full; what did not
    // leave stays held, in order, for the next try.
    [[nodiscard]] io_result<void> flush() noexcept {
        if (!fd_.valid()) return errc::link_closed;
        bool retried_refused = false;
        while (tx_count_ > 0) {
            for (std::size_t i = 0; i < tx_count_; ++i) {
                const std::size_t slot = (tx_head_ + i) % config_.batch;
                tx_.msgs[i].msg_hdr.msg_iov = &tx_.iov[slot];
                tx_.msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int n = tx_count_ == 1 ? (::sendmsg(fd_.get(), &tx_.msgs[0].msg_hdr, MSG_DONTWAIT) >= 0 ? 1 : -1)
                                         : ::sendmmsg(fd_.get(), tx_.msgs.data(),
                                                      static_cast<unsigned>(tx_count_), MSG_DONTWAIT);
            if (n < 0) {
                const int e = errno;
                if (e == EINTR) continue;
                if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS) return errc::queue_full;
                if (e == ECONNREFUSED) {
                    ++counters_.peer_unreachable;
                    if (!retried_refused) {
                        retried_refused = true;
                        continue;
                    }
                    return errc::link_closed;
                }
                return system_error(e);
            }
            ++counters_.send_calls;
            for (int i = 0; i < n; ++i) {
                ++counters_.tx_frames;
                counters_.tx_bytes += tx_.iov[tx_head_].iov_len;
                tx_head_ = (tx_head_ + 1) % config_.batch;
                --tx_count_;
            }
            retried_refused = false;
        }
        tx_head_ = 0;
        return {};
    }

    [[nodiscard]] std::size_t mtu() const noexcept { return config_.mtu; }
    // Due at once while frames are held or wait in the ring; otherwise the
    // socket's readability (poll_fd) is all there is to wait for.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept {
        std::optional<instant> d;
        if (tx_count_ > 0) d = tx_since_;
        if (rx_count_ > 0) d = d ? std::min(*d, rx_since_) : rx_since_;
        return d;
    }
    [[nodiscard]] int poll_fd() const noexcept { return fd_.get(); }

    // Frames in the receive ring, which receive() hands out without a system call.
    [[nodiscard]] std::size_t rx_pending() const noexcept { return rx_count_; }
    [[nodiscard]] bool has_pending() const noexcept { return rx_count_ > 0; }
    // Frames held for sending.
    [[nodiscard]] std::size_t tx_pending() const noexcept { return tx_count_; }
    [[nodiscard]] const tunnel_address& local_address() const noexcept { return local_; }
    [[nodiscard]] const tunnel_address& remote_address() const noexcept { return remote_; }
    [[nodiscard]] const udp_tunnel_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] const udp_tunnel_config& config() const noexcept { return config_; }

    static constexpr std::size_t max_mtu = 65507;  // 65535 - 20 (IPv4) - 8 (UDP)
    static constexpr std::size_t max_batch = 1024;

private:
    // `batch` slots of `mtu` bytes and the scatter lists that point into
    // them, made once. Moving the vectors keeps their buffers, so the
    // pointers stay right when the tunnel moves.
    struct slots {
        std::vector<std::uint8_t> data;
        std::vector<iovec> iov;
        std::vector<mmsghdr> msgs;

        slots(std::size_t batch, std::size_t mtu) : data(batch * mtu), iov(batch), msgs(batch) {
            for (std::size_t i = 0; i < batch; ++i) {
                iov[i].iov_base = data.data() + i * mtu;
                iov[i].iov_len = mtu;
                msgs[i] = {};
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
        }
    };

    udp_tunnel(int fd, const udp_tunnel_config& config)
        : fd_{fd}, config_{config}, tx_{config.batch, config.mtu}, rx_{config.batch, config.mtu},
          rx_len_(config.batch) {}

    [[nodiscard]] static boost::system::error_code system_error(int e) noexcept {
        return {e, boost::system::system_category()};
    }

    // One recvmmsg into the empty ring.
    [[nodiscard]] io_result<void> fill(instant now) noexcept {
        rx_head_ = 0;
        bool retried_refused = false;
        for (;;) {
            for (std::size_t i = 0; i < config_.batch; ++i) rx_.msgs[i].msg_hdr.msg_flags = 0;
            const int n = ::recvmmsg(fd_.get(), rx_.msgs.data(), static_cast<unsigned>(config_.batch),
                                     MSG_DONTWAIT, nullptr);
            if (n < 0) {
                const int e = errno;
                if (e == EAGAIN || e == EWOULDBLOCK) return {};
                if (e == EINTR) continue;
                if (e == ECONNREFUSED) {
                    ++counters_.peer_unreachable;
                    if (!retried_refused) {
                        retried_refused = true;
                        continue;
                    }
                    return {};
                }
                return system_error(e);
            }
            ++counters_.recv_calls;
            // Keep the whole datagrams, in order, at the front of the ring.
            for (int i = 0; i < n; ++i) {
                const auto& m = rx_.msgs[static_cast<std::size_t>(i)];
                if ((m.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
                    ++counters_.rx_dropped_too_big;
                    continue;
                }
                if (rx_count_ != static_cast<std::size_t>(i)) {
                    const auto src = rx_.data.begin() + static_cast<std::ptrdiff_t>(i * config_.mtu);
                    std::copy(src, src + static_cast<std::ptrdiff_t>(m.msg_len),
                              rx_.data.begin() + static_cast<std::ptrdiff_t>(rx_count_ * config_.mtu));
                }
                rx_len_[rx_count_++] = m.msg_len;
            }
            if (rx_count_ > 0) rx_since_ = now;
            // Only over-long datagrams arrived: look again, the socket may hold more.
            if (rx_count_ == 0 && n > 0) continue;
            return {};
        }
    }

    unique_fd fd_;
    udp_tunnel_config config_;
    tunnel_address local_, remote_;
    slots tx_, rx_;
    std::vector<std::size_t> rx_len_;
    std::size_t tx_head_ = 0, tx_count_ = 0;
    std::size_t rx_head_ = 0, rx_count_ = 0;
    instant tx_since_{}, rx_since_{};
    bool corked_ = false;
    udp_tunnel_counters counters_;
};

static_assert(check_link<udp_tunnel>());

}  // namespace l4::link

#endif  // __linux__
