// The table of calls that packetdrill fills by calling
// packetdrill_interface_init(flags, table) in a shared object given with
// --so_filename (packetdrill's gtests/net/packetdrill/packetdrill.h documents
// it). Declared here from that documented layout: packetdrill is a judge
// built beside the project, never a part of it.
//
// Every member is called through a pointer in this order, so the order, the
// types and the count must stay exactly as packetdrill lays them out.
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

extern "C" {

struct pd_table {
    void* userdata;
    void (*free)(void* userdata);
    int (*socket)(void*, int domain, int type, int protocol);
    int (*bind)(void*, int fd, const sockaddr* addr, socklen_t len);
    int (*listen)(void*, int fd, int backlog);
    int (*accept)(void*, int fd, sockaddr* addr, socklen_t* len);
    int (*connect)(void*, int fd, const sockaddr* addr, socklen_t len);
    ssize_t (*read)(void*, int fd, void* buf, size_t count);
    ssize_t (*readv)(void*, int fd, const iovec* iov, int iovcnt);
    ssize_t (*recv)(void*, int fd, void* buf, size_t len, int flags);
    ssize_t (*recvfrom)(void*, int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* len_from);
    ssize_t (*recvmsg)(void*, int fd, msghdr* msg, int flags);
    ssize_t (*write)(void*, int fd, const void* buf, size_t count);
    ssize_t (*writev)(void*, int fd, const iovec* iov, int iovcnt);
    ssize_t (*send)(void*, int fd, const void* buf, size_t len, int flags);
    ssize_t (*sendto)(void*, int fd, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t len_to);
    ssize_t (*sendmsg)(void*, int fd, const msghdr* msg, int flags);
    int (*fcntl)(void*, int fd, int cmd, ...);
    int (*ioctl)(void*, int fd, unsigned long request, ...);
    int (*close)(void*, int fd);
    int (*shutdown)(void*, int fd, int how);
    int (*getsockopt)(void*, int fd, int level, int name, void* value, socklen_t* len);
    int (*setsockopt)(void*, int fd, int level, int name, const void* value, socklen_t len);
    int (*poll)(void*, pollfd* fds, nfds_t nfds, int timeout_ms);
    // A packet from the script to the stack: the IP datagram. 0 or -1.
    int (*netdev_send)(void*, const void* buf, size_t count);
    // The next datagram the stack sent: its bytes, *count set to its length
    // (0: nothing), *time_usecs to when it left. 0 or -1.
    int (*netdev_receive)(void*, void* buf, size_t* count, long long* time_usecs);
    int (*usleep)(void*, useconds_t usec);
    int (*gettimeofday)(void*, timeval* tv, struct timezone* tz);
    int (*epoll_create)(void*, int size);
    int (*epoll_ctl)(void*, int epfd, int op, int fd, epoll_event* event);
    int (*epoll_wait)(void*, int epfd, epoll_event* events, int maxevents, int timeout_ms);
    int (*pipe)(void*, int fds[2]);
    int (*splice)(void*, int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len, unsigned flags);
};

}  // extern "C"
