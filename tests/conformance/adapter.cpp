// packetdrill's shared-object interface over one l4kit host: packetdrill
// loads this with --so_filename and calls packetdrill_interface_init(flags,
// table). The network and the clock are answered here; the socket calls in
// data_calls.cpp and control_calls.cpp. See README.md.
#include "calls.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace l4::conformance {
namespace {

void do_free(void* u) { delete static_cast<adapter*>(u); }

int do_netdev_send(void* u, const void* buf, size_t count) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    a.h.inject({static_cast<const std::uint8_t*>(buf), count});
    return 0;
}

// What the stack sent next, at the virtual instant it left. An empty read
// when nothing is left that could send: packetdrill then fails the script
// (it cannot parse an empty packet) instead of waiting forever.
int do_netdev_receive(void* u, void* buf, size_t* count, long long* time_usecs) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    auto sent = a.h.next_sent(lk);
    if (!sent) {
        *count = 0;
        *time_usecs = a.h.now_usecs();
        return 0;
    }
    const std::size_t n = std::min(*count, sent->frame.size());
    std::memcpy(buf, sent->frame.data(), n);
    *count = n;
    *time_usecs = harness::epoch_usecs +
                  std::chrono::duration_cast<std::chrono::microseconds>(sent->when.time_since_epoch()).count();
    return 0;
}

// The clock jumps; every deadline on the way fires at its own instant.
int do_usleep(void* u, useconds_t usec) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    a.h.advance_to(a.h.now() + std::chrono::microseconds{usec}, lk);
    return 0;
}

// Each reading moves the clock on by 1 µs: packetdrill spins on the clock
// until an event's time, and a clock that never moved would hold it forever.
int do_gettimeofday(void* u, timeval* tv, struct timezone*) {
    auto& a = of(u);
    std::unique_lock lk{a.h.mutex};
    a.h.advance_to(a.h.now() + std::chrono::microseconds{1}, lk);
    const long long t = a.h.now_usecs();
    if (tv) {
        tv->tv_sec = static_cast<time_t>(t / 1'000'000);
        tv->tv_usec = static_cast<suseconds_t>(t % 1'000'000);
    }
    return 0;
}

}  // namespace
}  // namespace l4::conformance

extern "C" __attribute__((visibility("default"))) void packetdrill_interface_init(const char* flags, pd_table* t) {
    using namespace l4::conformance;
    const settings s = settings::parse(flags ? flags : "");
    if (!s.error.empty()) {
        std::fprintf(stderr, "l4kit-adapter: --so_flags: %s\n", s.error.c_str());
        std::exit(EXIT_FAILURE);
    }
    auto* a = new adapter{s};
    *t = pd_table{
        .userdata = a,
        .free = do_free,
        .socket = do_socket,
        .bind = do_bind,
        .listen = do_listen,
        .accept = do_accept,
        .connect = do_connect,
        .read = do_read,
        .readv = do_readv,
        .recv = do_recv,
        .recvfrom = do_recvfrom,
        .recvmsg = do_recvmsg,
        .write = do_write,
        .writev = do_writev,
        .send = do_send,
        .sendto = do_sendto,
        .sendmsg = do_sendmsg,
        .fcntl = do_fcntl,
        .ioctl = do_ioctl,
        .close = do_close,
        .shutdown = do_shutdown,
        .getsockopt = do_getsockopt,
        .setsockopt = do_setsockopt,
        .poll = do_poll,
        .netdev_send = do_netdev_send,
        .netdev_receive = do_netdev_receive,
        .usleep = do_usleep,
        .gettimeofday = do_gettimeofday,
        .epoll_create = do_epoll_create,
        .epoll_ctl = do_epoll_ctl,
        .epoll_wait = do_epoll_wait,
        .pipe = do_pipe,
        .splice = do_splice,
    };
}
