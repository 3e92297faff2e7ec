// POSIX socket semantics over l4kit's socket verbs, as packetdrill's
// scripts expect them from Linux: descriptors, errno, O_NONBLOCK, blocking
// calls, the error a socket reports once, and poll(2)'s bits.
//
// Each socket has a real descriptor (an eventfd) as its number, because
// packetdrill closes the descriptors it was given with close(2) at the end.
#pragma once

#include "harness.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>

namespace l4::conformance {

struct posix_socket {
    net::socket_id id;
    int domain = AF_INET;
    bool nonblocking = false;
    bool rd_shut = false, wr_shut = false;  // shutdown(2) sides, as Linux's sk_shutdown
    bool connecting = false;                // a non-blocking connect() not yet reported done
    bool error_reported = false;            // the connection's error was returned once (SO_ERROR semantics)
    int reuse_addr = 0;
    int zerocopy = 0;  // SO_ZEROCOPY: kept for getsockopt; l4kit copies (see do_setsockopt)
};

// errno for an l4kit error, as Linux would say it.
inline int to_errno(errc e) {
    switch (e) {
    case errc::would_block: return EAGAIN;
    case errc::address_in_use: return EADDRINUSE;
    case errc::permission_denied: return EACCES;
    case errc::address_not_available: return EADDRNOTAVAIL;
    case errc::no_ports_available: return EADDRNOTAVAIL;
    case errc::bad_socket: return EBADF;
    case errc::not_connected: return ENOTCONN;
    case errc::message_too_long: return EMSGSIZE;
    case errc::no_route: return ENETUNREACH;
    case errc::invalid_argument: return EINVAL;
    case errc::timed_out: return ETIMEDOUT;
    case errc::out_of_memory: return ENOMEM;
    case errc::not_supported: return EOPNOTSUPP;
    case errc::connection_refused: return ECONNREFUSED;
    case errc::already_connected: return EISCONN;
    case errc::connection_reset: return ECONNRESET;
    case errc::queue_full: return ENOBUFS;
    default: return EIO;
    }
}
inline int to_errno(const boost::system::error_code& ec) {
    if (ec.category() == l4_category()) return to_errno(static_cast<errc>(ec.value()));
    return ec.value();
}

// -1 with errno set: the POSIX way of failing.
inline int fail(int e) {
    errno = e;
    return -1;
}

inline std::optional<net::socket_address> from_sockaddr(const sockaddr* a, socklen_t len, int domain) {
    if (!a) return std::nullopt;
    if (domain == AF_INET && a->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        sockaddr_in in;
        std::memcpy(&in, a, sizeof in);
        std::array<std::uint8_t, 4> o;
        std::memcpy(o.data(), &in.sin_addr, 4);
        return net::socket_address{wire::ipv4_address{o}, ntohs(in.sin_port)};
    }
    if (domain == AF_INET6 && a->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        sockaddr_in6 in;
        std::memcpy(&in, a, sizeof in);
        std::array<std::uint8_t, 16> o;
        std::memcpy(o.data(), &in.sin6_addr, 16);
        return net::socket_address{wire::ipv6_address{o}, ntohs(in.sin6_port)};
    }
    return std::nullopt;
}

inline void to_sockaddr(const net::socket_address& e, sockaddr* out, socklen_t* len) {
    if (!out || !len) return;
    sockaddr_storage ss{};
    socklen_t n;
    if (e.address.is_v4()) {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        in.sin_port = htons(e.port);
        std::memcpy(&in.sin_addr, e.address.v4().octets.data(), 4);
        std::memcpy(&ss, &in, sizeof in);
        n = sizeof in;
    } else {
        sockaddr_in6 in{};
        in.sin6_family = AF_INET6;
        in.sin6_port = htons(e.port);
        std::memcpy(&in.sin6_addr, e.address.v6().octets.data(), 16);
        std::memcpy(&ss, &in, sizeof in);
        n = sizeof in;
    }
    std::memcpy(out, &ss, std::min(n, *len));
    *len = n;
}

// The descriptors and what the stack says of each socket behind them.
class socket_layer {
public:
    explicit socket_layer(harness& h) : h_{h} {}
    ~socket_layer() {
        for (auto& [fd, s] : fds_) ::close(fd);
    }

    posix_socket* find(int fd) {
        auto it = fds_.find(fd);
        return it == fds_.end() ? nullptr : &it->second;
    }

    // A new descriptor for a stack socket; -1 (errno set) when none is left.
    int adopt(net::socket_id id, int domain) {
        const int fd = ::eventfd(0, EFD_CLOEXEC);
        if (fd < 0) return -1;
        fds_[fd] = posix_socket{.id = id, .domain = domain};
        return fd;
    }
    void forget(int fd) {
        fds_.erase(fd);
        ::close(fd);
    }

    [[nodiscard]] std::uint32_t local_id(const posix_socket& s) const {
        const auto* e = h_.stack().sockets().find(s.id);
        return e ? e->local : UINT32_MAX;
    }
    [[nodiscard]] tcp_t& tcp() { return h_.stack().transport<tcp_t>(); }
    [[nodiscard]] std::optional<tcp::state> state(const posix_socket& s) { return tcp().state_of(local_id(s)); }
    [[nodiscard]] const tcp_t::connection_type* connection(const posix_socket& s) {
        return tcp().connection_of(local_id(s));
    }
    [[nodiscard]] bool listening(const posix_socket& s) { return state(s) == tcp::state::listen; }
    [[nodiscard]] bool in_handshake(const posix_socket& s) {
        const auto st = state(s);
        return (st == tcp::state::syn_sent && !deferred(s)) || st == tcp::state::syn_received;
    }
    // TCP_FASTOPEN_CONNECT with a cookie: connected for the application
    // (writable, as Linux's tcp_poll says), the SYN waiting for the first write.
    [[nodiscard]] bool deferred(const posix_socket& s) {
        const auto* c = connection(s);
        return c && c->fast_open().deferred;
    }

    // The connection's error, if it has one the application has not seen.
    [[nodiscard]] errc pending_error(const posix_socket& s) {
        if (s.error_reported) return errc::ok;
        const auto* c = connection(s);
        return c ? c->error() : errc::ok;
    }
    // Linux's sock_error(): the pending error, consumed.
    int take_error(posix_socket& s) {
        const errc e = pending_error(s);
        if (e == errc::ok) return 0;
        s.error_reported = true;
        return to_errno(e);
    }

    // Linux's tcp_poll() bits for a socket.
    short poll_bits(posix_socket& s) {
        auto& st = h_.stack();
        short bits = 0;
        if (listening(s)) return st.readable(s.id) ? POLLIN | POLLRDNORM : 0;
        const auto state = this->state(s);
        const auto* c = connection(s);
        const bool closed = !c || state == tcp::state::closed;
        const bool fin_in = c && c->readable() && c->recv_queue() == 0 && c->error() == errc::ok;
        const bool rd_shut = s.rd_shut || fin_in || (closed && c);
        const bool wr_shut = s.wr_shut || (closed && c);
        if ((rd_shut && wr_shut) || closed) bits |= POLLHUP;
        if (rd_shut) bits |= POLLIN | POLLRDNORM | POLLRDHUP;
        if (!in_handshake(s) && c) {
            if (c->recv_queue() > 0) bits |= POLLIN | POLLRDNORM;
            if (wr_shut || st.writable(s.id)) bits |= POLLOUT | POLLWRNORM;
        }
        if (pending_error(s) != errc::ok) bits |= POLLERR;
        return bits;
    }

    // An unsupported call or argument: ENOSYS, named once per kind on
    // stderr for the runner's report.
    int unsupported(const std::string& what) {
        if (reported_.insert(what).second) std::fprintf(stderr, "l4kit-adapter: unsupported: %s\n", what.c_str());
        return fail(ENOSYS);
    }

private:
    harness& h_;
    std::map<int, posix_socket> fds_;
    std::set<std::string> reported_;
};

}  // namespace l4::conformance
