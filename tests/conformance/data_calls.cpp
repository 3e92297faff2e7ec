// The socket calls that make and use connections: socket, bind, listen,
// accept, connect, and the read and write families, with Linux's errno.
#include "calls.hpp"

#include <optional>
#include <vector>

namespace l4::conformance {

// --- creating and connecting --------------------------------------------------

int do_socket(void* u, int domain, int type, int protocol) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    if (domain != AF_INET && domain != AF_INET6) return fail(EAFNOSUPPORT);
    const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (base != SOCK_STREAM) return a.sockets.unsupported("socket type " + std::to_string(base));
    if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
    auto s = a.h.stack().socket(net::socket_type::stream);
    if (!s) return fail(to_errno(s.error()));
    const auto& cfg = a.h.config();
    // The options the flags turn on or off; ignored until the stack has them.
    if (cfg.window_scale) (void)a.h.stack().set_option(*s, socket_option::window_scale, *cfg.window_scale);
    if (cfg.sack) (void)a.h.stack().set_option(*s, socket_option::sack, *cfg.sack);
    if (cfg.timestamps) (void)a.h.stack().set_option(*s, socket_option::timestamps, *cfg.timestamps);
    const int fd = a.sockets.adopt(*s, domain);
    if (fd < 0) {
        (void)a.h.stack().close(*s, a.h.now());
        return -1;
    }
    a.sockets.find(fd)->nonblocking = (type & SOCK_NONBLOCK) != 0;
    return fd;
}

int do_bind(void* u, int fd, const sockaddr* addr, socklen_t len) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    auto local = from_sockaddr(addr, len, s->domain);
    if (!local) return fail(EINVAL);
    auto r = a.h.stack().bind(s->id, *local);
    return r ? 0 : fail(to_errno(r.error()));
}

int do_listen(void* u, int fd, int backlog) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    // Linux's backlog admits backlog + 1 connections; at least one.
    const auto n = static_cast<std::uint32_t>(std::max(backlog, 0)) + 1;
    auto r = a.h.stack().listen(s->id, n);
    if (!r) return fail(r.error() == errc::already_connected ? EINVAL : to_errno(r.error()));
    return 0;
}

int do_accept(void* u, int fd, sockaddr* addr, socklen_t* len) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (!a.sockets.listening(*s)) return fail(EINVAL);
    const int domain = s->domain;
    const bool nonblocking = s->nonblocking;
    std::optional<net::socket_id> child;
    int err = 0;
    const bool ended = a.h.block(lk, [&] {
        const auto* listener = a.sockets.find(fd);  // another thread may have closed it
        if (!listener) return true;
        auto r = a.h.stack().accept(listener->id);
        if (r) child = *r;
        else if (r.error() != errc::would_block) err = to_errno(r.error());
        else if (nonblocking) err = EAGAIN;
        return child || err != 0;
    });
    if (!ended) return fail(EAGAIN);
    if (!a.sockets.find(fd)) return fail(EBADF);
    if (!child) return fail(err);
    a.h.settle();
    if (auto peer = a.h.stack().peer_address(*child)) to_sockaddr(*peer, addr, len);
    return a.sockets.adopt(*child, domain);
}

int do_connect(void* u, int fd, const sockaddr* addr, socklen_t len) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (addr && addr->sa_family == AF_UNSPEC) return a.sockets.unsupported("connect(AF_UNSPEC)");
    auto peer = from_sockaddr(addr, len, s->domain);
    if (!peer) return fail(addr && len >= sizeof(sa_family_t) ? EAFNOSUPPORT : EINVAL);
    if (s->connecting) {  // Linux: EALREADY while it lasts, then 0 once, then EISCONN
        if (a.sockets.in_handshake(*s)) return fail(EALREADY);
        s->connecting = false;
        if (const int e = a.sockets.take_error(*s)) return fail(e);
        return 0;
    }
    auto r = a.h.stack().connect(s->id, *peer, a.h.now());
    if (!r) return fail(r.error() == errc::already_connected ? EISCONN : to_errno(r.error()));
    a.h.settle();
    if (a.sockets.deferred(*s)) return 0;  // TCP_FASTOPEN_CONNECT with a cookie: the first write sends the SYN
    if (s->nonblocking) {
        s->connecting = true;
        return fail(EINPROGRESS);
    }
    if (!a.h.block(lk, [&] { return !a.sockets.find(fd) || !a.sockets.in_handshake(*a.sockets.find(fd)); }))
        return fail(EAGAIN);
    s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (const int e = a.sockets.take_error(*s)) return fail(e);
    if (a.sockets.state(*s) == tcp::state::closed) return fail(ECONNREFUSED);
    return 0;
}

// --- data -----------------------------------------------------------------------

namespace {

// recv(2) into one buffer; flags already checked.
ssize_t receive(adapter& a, int fd, void* buf, std::size_t len, bool dontwait) {
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (!buf && len > 0) return fail(EFAULT);
    if (a.sockets.listening(*s)) return fail(ENOTCONN);
    if (len == 0) return 0;
    const bool nonblocking = s->nonblocking || dontwait;
    ssize_t result = 0;
    const bool ended = a.h.block(lk, [&] {
        s = a.sockets.find(fd);
        if (!s) return (void)(result = fail(EBADF)), true;
        auto r = a.h.stack().recv(s->id, {static_cast<std::uint8_t*>(buf), len});
        if (r) return (void)(result = static_cast<ssize_t>(*r)), true;
        const errc e = r.error().category() == l4_category() ? static_cast<errc>(r.error().value()) : errc::io_error;
        if (e == errc::would_block) {
            if (s->rd_shut) return (void)(result = 0), true;
            if (nonblocking) return (void)(result = fail(EAGAIN)), true;
            return false;
        }
        if (e == errc::connection_reset || e == errc::timed_out || e == errc::connection_refused) {
            // Linux reports the error once, then end of file.
            const int err = a.sockets.take_error(*s);
            result = err ? fail(err) : 0;
            return true;
        }
        result = fail(to_errno(e));
        return true;
    });
    if (!ended) result = fail(EAGAIN);
    a.h.settle();  // a read may open the window: the update goes out now
    return result;
}

// send(2) of one buffer; blocks until all of it is queued, as Linux does.
// `more` (MSG_MORE): the stack's send_flags::more, a short segment waits.
ssize_t transmit(adapter& a, int fd, const void* buf, std::size_t len, bool dontwait, bool more = false) {
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (!buf && len > 0) return fail(EFAULT);
    const bool nonblocking = s->nonblocking || dontwait;
    // The first write of a deferred Fast Open socket takes what its SYN
    // carries: a non-blocking one returns that much, a blocking one waits for
    // the handshake (and reports its failure), then writes the rest, as Linux's.
    const bool syn_write = a.sockets.deferred(*s);
    std::size_t done = 0;
    ssize_t result = 0;
    const bool ended = a.h.block(lk, [&] {
        s = a.sockets.find(fd);
        if (!s) return (void)(result = fail(EBADF)), true;
        if (const int err = a.sockets.take_error(*s))
            return (void)(result = done && !syn_write ? ssize_t(done) : fail(err)), true;
        if (s->wr_shut) return (void)(result = done ? ssize_t(done) : fail(EPIPE)), true;
        const auto syn_pending = [&] { return syn_write && done > 0 && a.sockets.in_handshake(*s); };
        while (done < len || len == 0) {
            if (syn_pending()) {
                if (nonblocking) break;
                return false;
            }
            auto r = a.h.stack().send(s->id, {static_cast<const std::uint8_t*>(buf) + done, len - done}, a.h.now(),
                                      more ? send_flags::more : send_flags::none);
            if (r) {
                done += *r;
                a.h.settle();
                if (len == 0) break;
                continue;
            }
            if (r.error() == errc::would_block) {
                if (!nonblocking) return false;
                result = done ? ssize_t(done) : fail(EAGAIN);
                return true;
            }
            if (done) return (void)(result = ssize_t(done)), true;
            // Linux: a stream that is not (or no longer) connected gives
            // EPIPE, once the error that ended it has been reported.
            const int err = a.sockets.take_error(*s);
            const bool ended = r.error() == errc::not_connected || r.error() == errc::connection_reset ||
                               r.error() == errc::timed_out || r.error() == errc::connection_refused;
            result = fail(err ? err : ended ? EPIPE : to_errno(r.error()));
            return true;
        }
        if (!nonblocking && syn_pending()) return false;
        result = static_cast<ssize_t>(done);
        return true;
    });
    if (!ended) result = done ? static_cast<ssize_t>(done) : fail(EAGAIN);
    a.h.settle();
    return result;
}

std::string flag_text(int flags) {
    std::string t;
    for (auto [bit, name] : {std::pair{MSG_PEEK, "MSG_PEEK"}, {MSG_WAITALL, "MSG_WAITALL"}, {MSG_TRUNC, "MSG_TRUNC"},
                             {MSG_MORE, "MSG_MORE"}, {MSG_EOR, "MSG_EOR"}, {MSG_ZEROCOPY, "MSG_ZEROCOPY"},
                             {MSG_FASTOPEN, "MSG_FASTOPEN"}, {MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {MSG_OOB, "MSG_OOB"}})
        if (flags & bit) t += std::string{t.empty() ? "" : "|"} + name;
    return t.empty() ? std::to_string(flags) : t;
}

bool recv_flags_ok(adapter& a, int flags) {
    if ((flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)) == 0) return true;
    std::unique_lock lk{a.h.mutex};
    a.sockets.unsupported("recv flags " + flag_text(flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL)));
    return false;
}
// MSG_ZEROCOPY sends as a copy would: the bytes on the wire are the same;
// the completion notices Linux queues with SO_ZEROCOPY are read with
// MSG_ERRQUEUE, which stays unsupported (and is counted). MSG_MORE is the
// stack's send_flags::more.
bool send_flags_ok(adapter& a, int flags) {
    constexpr int ok = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_ZEROCOPY | MSG_MORE | MSG_FASTOPEN;
    if ((flags & ~ok) == 0) return true;
    std::unique_lock lk{a.h.mutex};
    a.sockets.unsupported("send flags " + flag_text(flags & ~ok));
    return false;
}

}  // namespace

ssize_t do_read(void* u, int fd, void* buf, size_t n) { return receive(of(u), fd, buf, n, false); }
ssize_t do_recv(void* u, int fd, void* buf, size_t n, int flags) {
    if (!recv_flags_ok(of(u), flags)) return -1;
    return receive(of(u), fd, buf, n, flags & MSG_DONTWAIT);
}
ssize_t do_recvfrom(void* u, int fd, void* buf, size_t n, int flags, sockaddr* from, socklen_t* from_len) {
    const ssize_t r = do_recv(u, fd, buf, n, flags);
    if (r >= 0 && from && from_len) {
        std::unique_lock lk{of(u).h.mutex};
        if (auto* s = of(u).sockets.find(fd))
            if (auto p = of(u).h.stack().peer_address(s->id)) to_sockaddr(*p, from, from_len);
    }
    return r;
}

namespace {

// Gathers or scatters through one contiguous buffer.
ssize_t receive_iov(void* u, int fd, const iovec* iov, int count, int flags) {
    std::size_t total = 0;
    for (int i = 0; i < count; ++i) total += iov[i].iov_len;
    std::vector<std::uint8_t> tmp(total);
    const ssize_t r = receive(of(u), fd, tmp.data(), total, flags & MSG_DONTWAIT);
    if (r <= 0) return r;
    std::size_t off = 0;
    for (int i = 0; i < count && off < static_cast<std::size_t>(r); ++i) {
        const std::size_t n = std::min(iov[i].iov_len, static_cast<std::size_t>(r) - off);
        std::memcpy(iov[i].iov_base, tmp.data() + off, n);
        off += n;
    }
    return r;
}
ssize_t send_iov(void* u, int fd, const iovec* iov, int count, int flags) {
    std::vector<std::uint8_t> tmp;
    for (int i = 0; i < count; ++i) {
        if (!iov[i].iov_base && iov[i].iov_len > 0) return fail(EFAULT);
        const auto* p = static_cast<const std::uint8_t*>(iov[i].iov_base);
        tmp.insert(tmp.end(), p, p + iov[i].iov_len);
    }
    return transmit(of(u), fd, tmp.data(), tmp.size(), flags & MSG_DONTWAIT, flags & MSG_MORE);
}

}  // namespace

ssize_t do_readv(void* u, int fd, const iovec* iov, int n) { return receive_iov(u, fd, iov, n, 0); }
ssize_t do_recvmsg(void* u, int fd, msghdr* m, int flags) {
    if (!recv_flags_ok(of(u), flags)) return -1;
    if (!m) return fail(EFAULT);
    const ssize_t r = receive_iov(u, fd, m->msg_iov, static_cast<int>(m->msg_iovlen), flags);
    m->msg_controllen = 0;
    m->msg_flags = 0;
    return r;
}
ssize_t do_write(void* u, int fd, const void* buf, size_t n) { return transmit(of(u), fd, buf, n, false); }
ssize_t do_writev(void* u, int fd, const iovec* iov, int n) { return send_iov(u, fd, iov, n, 0); }
ssize_t do_send(void* u, int fd, const void* buf, size_t n, int flags) {
    if (!send_flags_ok(of(u), flags)) return -1;
    return transmit(of(u), fd, buf, n, flags & MSG_DONTWAIT, flags & MSG_MORE);
}
namespace {

// MSG_FASTOPEN on a socket not yet connected: the stack's sendto with
// send_flags::fast_open (connect, the data in the SYN with a cached cookie),
// with Linux's errnos: EINPROGRESS when the SYN carries no data (no cookie,
// or nothing to send) on a non-blocking socket; a blocking call returns once
// the handshake is over (its error if it failed), the rest of the data
// written as send() writes it. nullopt: not such a call (a connected socket
// ignores the flag and the address, as Linux's TCP does).
std::optional<ssize_t> fast_open_sendto(adapter& a, int fd, const void* buf, std::size_t n, int flags,
                                        const sockaddr* addr, socklen_t len) {
    std::unique_lock lk{a.h.mutex};
    auto* s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (a.sockets.connection(*s)) return std::nullopt;
    if (addr && addr->sa_family == AF_UNSPEC) return fail(EOPNOTSUPP);  // Linux's tcp_sendmsg_fastopen
    if (!buf && n > 0) return fail(EFAULT);  // before anything leaves, as Linux's failed copy into the SYN
    auto peer = from_sockaddr(addr, len, s->domain);
    if (!peer) return fail(addr ? EAFNOSUPPORT : EDESTADDRREQ);
    const bool nonblocking = s->nonblocking || (flags & MSG_DONTWAIT);
    auto r = a.h.stack().sendto(s->id, {static_cast<const std::uint8_t*>(buf), n}, *peer, a.h.now(),
                                send_flags::fast_open);
    a.h.settle();
    if (!r && r.error() != errc::would_block)  // would_block: no cookie, the SYN asked for one
        return fail(r.error() == errc::already_connected ? EISCONN : to_errno(r.error()));
    const std::size_t done = r ? *r : 0;
    if (nonblocking) {
        s->connecting = true;
        return done ? static_cast<ssize_t>(done) : fail(EINPROGRESS);
    }
    if (!a.h.block(lk, [&] { return !a.sockets.find(fd) || !a.sockets.in_handshake(*a.sockets.find(fd)); }))
        return fail(EAGAIN);
    s = a.sockets.find(fd);
    if (!s) return fail(EBADF);
    if (const int e = a.sockets.take_error(*s)) return fail(e);
    if (done == n) return static_cast<ssize_t>(done);
    lk.unlock();
    const ssize_t rest = transmit(a, fd, static_cast<const std::uint8_t*>(buf) + done, n - done, false, flags & MSG_MORE);
    return rest < 0 ? (done ? static_cast<ssize_t>(done) : rest) : static_cast<ssize_t>(done) + rest;
}

}  // namespace

ssize_t do_sendto(void* u, int fd, const void* buf, size_t n, int flags, const sockaddr* addr, socklen_t len) {
    if (!send_flags_ok(of(u), flags)) return -1;
    if (flags & MSG_FASTOPEN)
        if (auto r = fast_open_sendto(of(u), fd, buf, n, flags, addr, len)) return *r;
    return do_send(u, fd, buf, n, flags);
}
ssize_t do_sendmsg(void* u, int fd, const msghdr* m, int flags) {
    if (!send_flags_ok(of(u), flags)) return -1;
    if (!m) return fail(EFAULT);
    if (m->msg_controllen > 0) return of(u).sockets.unsupported("sendmsg control data");
    if (flags & MSG_FASTOPEN) {
        std::vector<std::uint8_t> tmp;
        for (std::size_t i = 0; i < m->msg_iovlen; ++i) {
            if (!m->msg_iov[i].iov_base && m->msg_iov[i].iov_len > 0) return fail(EFAULT);
            const auto* p = static_cast<const std::uint8_t*>(m->msg_iov[i].iov_base);
            tmp.insert(tmp.end(), p, p + m->msg_iov[i].iov_len);
        }
        if (auto r = fast_open_sendto(of(u), fd, tmp.data(), tmp.size(), flags,
                                      static_cast<const sockaddr*>(m->msg_name), m->msg_namelen))
            return *r;
    }
    return send_iov(u, fd, m->msg_iov, static_cast<int>(m->msg_iovlen), flags);
}

}  // namespace l4::conformance
