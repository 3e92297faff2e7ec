// The adapter behind packetdrill's table: one l4kit host (harness.hpp) and
// its POSIX sockets (sockets.hpp), and the calls of the table, each taking
// the table's userdata (an adapter) first.
#pragma once

#include "packetdrill_abi.hpp"
#include "sockets.hpp"

namespace l4::conformance {

struct adapter {
    explicit adapter(const settings& s) : h{s}, sockets{h} {}
    harness h;
    socket_layer sockets;
};

inline adapter& of(void* u) { return *static_cast<adapter*>(u); }

// data_calls.cpp
int do_socket(void*, int domain, int type, int protocol);
int do_bind(void*, int fd, const sockaddr*, socklen_t);
int do_listen(void*, int fd, int backlog);
int do_accept(void*, int fd, sockaddr*, socklen_t*);
int do_connect(void*, int fd, const sockaddr*, socklen_t);
ssize_t do_read(void*, int fd, void* buf, size_t n);
ssize_t do_readv(void*, int fd, const iovec*, int n);
ssize_t do_recv(void*, int fd, void* buf, size_t n, int flags);
ssize_t do_recvfrom(void*, int fd, void* buf, size_t n, int flags, sockaddr*, socklen_t*);
ssize_t do_recvmsg(void*, int fd, msghdr*, int flags);
ssize_t do_write(void*, int fd, const void* buf, size_t n);
ssize_t do_writev(void*, int fd, const iovec*, int n);
ssize_t do_send(void*, int fd, const void* buf, size_t n, int flags);
ssize_t do_sendto(void*, int fd, const void* buf, size_t n, int flags, const sockaddr*, socklen_t);
ssize_t do_sendmsg(void*, int fd, const msghdr*, int flags);

// control_calls.cpp
int do_fcntl(void*, int fd, int cmd, ...);
int do_ioctl(void*, int fd, unsigned long request, ...);
int do_close(void*, int fd);
int do_shutdown(void*, int fd, int how);
int do_getsockopt(void*, int fd, int level, int name, void* value, socklen_t* len);
int do_setsockopt(void*, int fd, int level, int name, const void* value, socklen_t len);
int do_poll(void*, pollfd* fds, nfds_t n, int timeout_ms);
int do_epoll_create(void*, int size);
int do_epoll_ctl(void*, int epfd, int op, int fd, epoll_event*);
int do_epoll_wait(void*, int epfd, epoll_event*, int maxevents, int timeout_ms);
int do_pipe(void*, int fds[2]);
int do_splice(void*, int fd_in, loff_t*, int fd_out, loff_t*, size_t len, unsigned flags);

}  // namespace l4::conformance
