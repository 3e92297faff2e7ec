// The socket calls that steer rather than carry data: fcntl, ioctl, close,
// shutdown, the socket options, poll; and the calls l4kit has no part in
// (epoll, pipe, splice), which answer ENOSYS and are named on stderr.
#include "calls.hpp"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <cstdarg>

namespace l4::conformance {

int do_fcntl(void* u, int fd, int cmd, ...) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (cmd == F_GETFL) return O_RDWR | (s->nonblocking ? O_NONBLOCK : 0);
    if (cmd == F_SETFL) {
        va_list ap;
        va_start(ap, cmd);
        const int flags = va_arg(ap, int);
        va_end(ap);
        s->nonblocking = (flags & O_NONBLOCK) != 0;
        return 0;
    }
    return a.sockets.unsupported("fcntl " + std::to_string(cmd));
}

int do_ioctl(void* u, int fd, unsigned long request, ...) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    va_list ap;
    va_start(ap, request);
    int* out = va_arg(ap, int*);
    va_end(ap);
    if (request != SIOCINQ && request != SIOCOUTQ) return a.sockets.unsupported("ioctl " + std::to_string(request));
    if (a.sockets.listening(*s)) return fail(EINVAL);
    const auto* c = a.sockets.connection(*s);
    const std::size_t n = !c ? 0 : request == SIOCINQ ? c->recv_queue() : c->send_queue();
    if (!out) return fail(EFAULT);
    *out = static_cast<int>(n);
    return 0;
}

int do_close(void* u, int fd) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    (void)a.h.stack().close(s->id, a.h.now());
    a.sockets.forget(fd);
    a.h.settle();
    return 0;
}

int do_shutdown(void* u, int fd, int how) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
    const auto st = a.sockets.state(*s);
    if (how != SHUT_WR) s->rd_shut = true;
    if (!a.sockets.connection(*s) || st == tcp::state::closed || st == tcp::state::listen) return fail(ENOTCONN);
    if (how != SHUT_RD) {
        s->wr_shut = true;
        (void)a.h.stack().shutdown(s->id, a.h.now());
    }
    a.h.settle();
    return 0;
}

namespace {

std::optional<socket_option> option_for(int level, int name) {
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_SNDBUF: return socket_option::send_buffer;
        case SO_RCVBUF: return socket_option::receive_buffer;
        case SO_KEEPALIVE: return socket_option::keepalive;
        case SO_LINGER: return socket_option::linger;
        default: return std::nullopt;
        }
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY: return socket_option::nodelay;
        case TCP_CORK: return socket_option::cork;
        case TCP_MAXSEG: return socket_option::max_segment;
        case TCP_KEEPIDLE: return socket_option::keep_idle;
        case TCP_KEEPINTVL: return socket_option::keep_interval;
        case TCP_KEEPCNT: return socket_option::keep_count;
        case TCP_USER_TIMEOUT: return socket_option::user_timeout;
        case TCP_FASTOPEN_CONNECT: return socket_option::fast_open_connect;
        default: return std::nullopt;
        }
    }
    // Linux takes IPv4's options on an IPv6 socket too (for its v4-mapped
    // peers); here they are kept and IPv6 ignores DF.
    if (level == IPPROTO_IP) {
        switch (name) {
        case IP_TOS: return socket_option::tos;
        case IP_MTU_DISCOVER: return socket_option::dont_fragment;
        default: return std::nullopt;
        }
    }
    if (level == IPPROTO_IPV6 && name == IPV6_TCLASS) return socket_option::tos;
    return std::nullopt;
}

std::string option_text(int level, int name) {
    struct known {
        int level, name;
        const char* text;
    };
    static constexpr known names[] = {
        {SOL_SOCKET, SO_ZEROCOPY, "SO_ZEROCOPY"}, {SOL_SOCKET, SO_TIMESTAMPING, "SO_TIMESTAMPING"},
        {SOL_SOCKET, SO_MAX_PACING_RATE, "SO_MAX_PACING_RATE"}, {IPPROTO_TCP, TCP_CORK, "TCP_CORK"},
        {IPPROTO_TCP, TCP_INQ, "TCP_INQ"}, {IPPROTO_TCP, TCP_NOTSENT_LOWAT, "TCP_NOTSENT_LOWAT"},
        {IPPROTO_TCP, TCP_CONGESTION, "TCP_CONGESTION"}, {IPPROTO_TCP, TCP_INFO, "TCP_INFO"},
        {IPPROTO_TCP, TCP_FASTOPEN, "TCP_FASTOPEN"}, {IPPROTO_TCP, TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT"},
        {IPPROTO_TCP, TCP_MD5SIG, "TCP_MD5SIG"}, {IPPROTO_TCP, TCP_QUICKACK, "TCP_QUICKACK"},
        {IPPROTO_IP, IP_TOS, "IP_TOS"}, {IPPROTO_IP, IP_MTU_DISCOVER, "IP_MTU_DISCOVER"},
        {IPPROTO_IP, IP_FREEBIND, "IP_FREEBIND"}, {IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS"},
    };
    for (const auto& k : names)
        if (k.level == level && k.name == name) return std::string{"sockopt "} + k.text;
    return "sockopt level " + std::to_string(level) + " name " + std::to_string(name);
}

}  // namespace

int do_setsockopt(void* u, int fd, int level, int name, const void* value, socklen_t len) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (!value) return fail(EFAULT);
    const auto o = option_for(level, name);
    const bool adapters = level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_ZEROCOPY);
    if (!o && !adapters) return a.sockets.unsupported("set" + option_text(level, name));
    std::int64_t v = 0;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        if (len < sizeof(linger)) return fail(EINVAL);
        linger l;
        std::memcpy(&l, value, sizeof l);
        v = l.l_onoff ? l.l_linger : -1;
    } else if (level == IPPROTO_IP && len >= 1 && len < sizeof(int)) {
        v = *static_cast<const unsigned char*>(value);  // Linux's do_ip_setsockopt reads one byte if given one
    } else {
        if (len < sizeof(int)) return fail(EINVAL);
        int i;
        std::memcpy(&i, value, sizeof i);
        v = i;
    }
    if (level == IPPROTO_IP && name == IP_MTU_DISCOVER) {
        // DF unless IP_PMTUDISC_DONT; PROBE and the others keep it (l4kit learns no path MTU: RFC 1191).
        if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT) return fail(EINVAL);
        v = v != IP_PMTUDISC_DONT;
    }
    // A fresh host per script holds no old binding: SO_REUSEADDR has
    // nothing to allow, and is kept only for getsockopt.
    if (level == SOL_SOCKET && name == SO_REUSEADDR) {
        s->reuse_addr = v != 0;
        return 0;
    }
    // SO_ZEROCOPY allows MSG_ZEROCOPY sends, which l4kit makes as copies (data_calls.cpp).
    if (level == SOL_SOCKET && name == SO_ZEROCOPY) {
        s->zerocopy = v != 0;
        return 0;
    }
    auto r = a.h.stack().set_option(s->id, *o, v);
    if (!r && r.error() == errc::not_supported)
        return a.sockets.unsupported("set_option " + std::string{l4::name(*o)} + " (not_supported)");
    if (!r) return fail(to_errno(r.error()));
    a.h.settle();
    return 0;
}

int do_getsockopt(void* u, int fd, int level, int name, void* value, socklen_t* len) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (!value || !len) return fail(EFAULT);
    std::int64_t v = 0;
    if (level == SOL_SOCKET && name == SO_ERROR) {
        v = a.sockets.take_error(*s);  // Linux's sock_error(): read once
    } else if (level == SOL_SOCKET && name == SO_REUSEADDR) {
        v = s->reuse_addr;
    } else if (level == SOL_SOCKET && name == SO_ZEROCOPY) {
        v = s->zerocopy;
    } else if (level == SOL_SOCKET && name == SO_TYPE) {
        v = SOCK_STREAM;
    } else {
        const auto o = option_for(level, name);
        if (!o) return a.sockets.unsupported("get" + option_text(level, name));
        auto r = a.h.stack().get_option(s->id, *o);
        if (!r && r.error() == errc::not_supported)
            return a.sockets.unsupported("get_option " + std::string{l4::name(*o)} + " (not_supported)");
        if (!r) return fail(to_errno(r.error()));
        v = *r;
        // Linux reports twice the size set (its bookkeeping overhead
        // counted in); l4kit's buffers hold exactly the bytes set.
        if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVBUF)) v *= 2;
    }
    if (level == SOL_SOCKET && name == SO_LINGER) {
        if (*len < sizeof(linger)) return fail(EINVAL);
        const linger l{v >= 0 ? 1 : 0, v >= 0 ? static_cast<int>(v) : 0};
        std::memcpy(value, &l, sizeof l);
        *len = sizeof l;
        return 0;
    }
    if (*len < sizeof(int)) return fail(EINVAL);
    const int i = static_cast<int>(v);
    std::memcpy(value, &i, sizeof i);
    *len = sizeof i;
    return 0;
}

// poll(2): Linux's bits per socket; a timeout runs on virtual time.
int do_poll(void* u, pollfd* fds, nfds_t n, int timeout_ms) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    if (!fds && n > 0) return fail(EFAULT);
    const std::optional<instant> until =
        timeout_ms < 0 ? std::nullopt : std::optional{a.h.now() + std::chrono::milliseconds{timeout_ms}};
    int ready = 0;
    const bool ended = a.h.block(lk, [&] {
        ready = 0;
        for (nfds_t i = 0; i < n; ++i) {
            auto* s = a.sockets.find(fds[i].fd);
            if (fds[i].fd < 0) {
                fds[i].revents = 0;
                continue;
            }
            const short bits = s ? a.sockets.poll_bits(*s) : POLLNVAL;
            fds[i].revents = static_cast<short>(bits & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            if (fds[i].revents) ++ready;
        }
        return ready > 0 || (until && a.h.now() >= *until);
    });
    return ended ? ready : 0;
}

int do_epoll_create(void* u, int) {
    std::unique_lock lk{of(u).h.mutex};
    return of(u).sockets.unsupported("epoll_create");
}
int do_epoll_ctl(void* u, int, int, int, epoll_event*) {
    std::unique_lock lk{of(u).h.mutex};
    return of(u).sockets.unsupported("epoll_ctl");
}
int do_epoll_wait(void* u, int, epoll_event*, int, int) {
    std::unique_lock lk{of(u).h.mutex};
    return of(u).sockets.unsupported("epoll_wait");
}
int do_pipe(void* u, int[2]) {
    std::unique_lock lk{of(u).h.mutex};
    return of(u).sockets.unsupported("pipe");
}
int do_splice(void* u, int, loff_t*, int, loff_t*, size_t, unsigned) {
    std::unique_lock lk{of(u).h.mutex};
    return of(u).sockets.unsupported("splice");
}

}  // namespace l4::conformance
