// udp_tunnel: frames through real sockets on 127.0.0.1, in one process and
// between two (a forked child echoes). Every wait is poll() with a timeout.
#include <l4/link/udp_tunnel.hpp>

#include "../support.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

using l4::errc;
using l4::instant;
using namespace l4::link;

namespace {

constexpr udp_tunnel_config test_config{.mtu = 1500, .batch = 32, .socket_buffer = 1 << 20};

// Frame `seq` of a stream: its number in the first 4 bytes, then bytes that
// depend on both, at a length that varies from 4 to `mtu`.
std::vector<std::uint8_t> make_frame(std::uint32_t seq, std::size_t mtu) {
    const std::size_t len = 4 + (seq * 7919u) % (mtu - 3);
    std::vector<std::uint8_t> f(len);
    l4::store_be32(f.data(), seq);
    for (std::size_t i = 4; i < len; ++i) f[i] = static_cast<std::uint8_t>(seq * 31u + i);
    return f;
}

bool is_frame(l4::bytes got, std::uint32_t seq, std::size_t mtu) {
    const auto want = make_frame(seq, mtu);
    return std::ranges::equal(got, want);
}

// Waits up to `ms` for `fd` to become readable.
bool wait_readable(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) == 1 && (p.revents & POLLIN) != 0;
}

// Receives one frame, waiting on poll_fd() up to `ms` when none is there.
l4::io_result<std::size_t> receive_within(udp_tunnel& t, l4::mut_bytes buffer, int ms) {
    auto r = t.receive(buffer, instant{});
    if (r || r.error() != errc::would_block) return r;
    if (!wait_readable(t.poll_fd(), ms)) return errc::would_block;
    return t.receive(buffer, instant{});
}

// Sends frames [0, count) from `from` to `to` in windows of `window`, corked
// when `batched`, draining `to` after each window; checks every frame arrives
// once, whole, in order. The socket buffers hold a window, so on loopback
// nothing is dropped.
void stream(udp_tunnel& from, udp_tunnel& to, std::uint32_t count, std::uint32_t window, bool batched) {
    std::vector<std::uint8_t> buffer(from.mtu());
    std::uint32_t next_rx = 0;
    for (std::uint32_t base = 0; base < count; base += window) {
        const std::uint32_t end = std::min(count, base + window);
        if (batched) from.cork();
        for (std::uint32_t s = base; s < end; ++s) {
            auto r = from.transmit(make_frame(s, from.mtu()), instant{});
            REQUIRE(r);
        }
        if (batched) REQUIRE(from.uncork());
        REQUIRE(from.tx_pending() == 0);
        while (next_rx < end) {
            auto n = receive_within(to, buffer, 2000);
            REQUIRE(n);
            const l4::bytes got{buffer.data(), *n};
            if (!is_frame(got, next_rx, from.mtu())) {
                FAIL_CHECK("frame " << next_rx << " wrong: got " << *n << " bytes starting with seq "
                                    << (*n >= 4 ? l4::load_be32(buffer.data()) : 0xFFFFFFFFu));
                return;
            }
            ++next_rx;
        }
    }
    CHECK(to.receive(buffer, instant{}).error() == errc::would_block);
}

// pidfd_open(2), for a wait on a child's exit that poll() can bound.
int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Reaps the child on every path out of a test: kills it if it still runs.
class child_guard {
public:
    explicit child_guard(pid_t pid) noexcept : pid_{pid} {}
    child_guard(const child_guard&) = delete;
    child_guard& operator=(const child_guard&) = delete;
    ~child_guard() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    // Waits up to `ms` for the child to exit by itself; its wait status, or -1.
    int wait_exit(int ms) {
        const int fd = pidfd_open(pid_);
        if (fd < 0) return -1;
        const bool exited = wait_readable(fd, ms);
        ::close(fd);
        if (!exited) return -1;
        int status = 0;
        if (::waitpid(pid_, &status, 0) != pid_) return -1;
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_;
};

constexpr std::uint32_t echo_frames = 3000;

// The child: echoes every frame back, in batches, until it has echoed
// `echo_frames` or heard nothing for 3 s; never runs longer than 30 s.
// Exit code 0 when it echoed them all.
[[noreturn]] void echo_child(udp_tunnel& t) {
    std::vector<std::uint8_t> buffer(t.mtu());
    std::uint32_t echoed = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (echoed < echo_frames && std::chrono::steady_clock::now() < give_up) {
        if (!wait_readable(t.poll_fd(), 3000)) ::_exit(2);
        t.cork();
        for (;;) {
            auto n = t.receive(buffer, instant{});
            if (!n) {
                if (n.error() == errc::would_block) break;
                ::_exit(3);
            }
            if (!t.transmit(l4::bytes{buffer.data(), *n}, instant{})) ::_exit(4);
            ++echoed;
        }
        if (!t.uncork()) ::_exit(5);
    }
    ::_exit(echoed == echo_frames ? 0 : 6);
}

}  // namespace

TEST_CASE("udp_tunnel: a pair on 127.0.0.1 carries frames both ways, intact and in order", "[link][udp_tunnel]") {
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), test_config);
    REQUIRE(pair);
    auto& [a, b] = *pair;
    CHECK(a.local_address().port() != 0);
    CHECK(a.remote_address() == b.local_address());
    CHECK(b.remote_address() == a.local_address());
    CHECK(a.mtu() == 1500);
    CHECK(a.poll_fd() >= 0);
    CHECK_FALSE(a.next_deadline());

    std::vector<std::uint8_t> buffer(1500);
    CHECK(b.receive(buffer, instant{}).error() == errc::would_block);

    SECTION("one frame each way, unbatched: each leaves inside transmit()") {
        const auto f = make_frame(1, 1500), g = make_frame(2, 1500);
        REQUIRE(a.transmit(f, instant{}));
        CHECK(a.tx_pending() == 0);
        auto n = receive_within(b, buffer, 2000);
        REQUIRE(n);
        CHECK(is_frame({buffer.data(), *n}, 1, 1500));
        REQUIRE(b.transmit(g, instant{}));
        n = receive_within(a, buffer, 2000);
        REQUIRE(n);
        CHECK(is_frame({buffer.data(), *n}, 2, 1500));
        CHECK(a.counters().tx_frames == 1);
        CHECK(a.counters().rx_frames == 1);
        CHECK(b.counters().rx_bytes == f.size());
    }
    SECTION("a frame of 0 bytes and one of exactly the MTU") {
        REQUIRE(a.transmit({}, instant{}));
        const std::vector<std::uint8_t> full(1500, 0x5a);
        REQUIRE(a.transmit(full, instant{}));
        auto n = receive_within(b, buffer, 2000);
        REQUIRE(n);
        CHECK(*n == 0);
        n = receive_within(b, buffer, 2000);
        REQUIRE(n);
        CHECK(std::ranges::equal(l4::bytes{buffer.data(), *n}, full));
    }
    SECTION("streams both ways, unbatched") {
        stream(a, b, 500, 16, false);
        stream(b, a, 500, 16, false);
    }
}

TEST_CASE("udp_tunnel: batching neither loses nor reorders frames", "[link][udp_tunnel]") {
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), test_config);
    REQUIRE(pair);
    auto& [a, b] = *pair;

    SECTION("12 000 frames each way in windows of 64 (two sendmmsg each)") {
        stream(a, b, 12000, 64, true);
        stream(b, a, 12000, 64, true);
        CHECK(a.counters().tx_frames == 12000);
        CHECK(b.counters().rx_frames == 12000);
        // 64 frames per window through batches of 32: two sendmmsg per window;
        // recvmmsg takes at most 32, so at least 375 calls for 12 000 frames.
        CHECK(a.counters().send_calls == 12000 / 32);
        CHECK(b.counters().recv_calls >= 12000 / 32);
        CHECK(b.counters().recv_calls < 12000 / 4);
        CHECK(b.counters().rx_dropped_too_big == 0);
    }
    SECTION("held frames: the cork holds, the deadline says so, receive() sends them") {
        a.cork();
        const instant t0{std::chrono::milliseconds(5)};
        REQUIRE(a.transmit(make_frame(0, 1500), t0));
        REQUIRE(a.transmit(make_frame(1, 1500), t0 + std::chrono::milliseconds(1)));
        CHECK(a.tx_pending() == 2);
        CHECK(a.next_deadline() == t0);  // due: a driver comes back at once
        CHECK_FALSE(wait_readable(b.poll_fd(), 0));
        std::vector<std::uint8_t> buffer(1500);
        CHECK(a.receive(buffer, t0).error() == errc::would_block);  // and its receive() sends them
        CHECK(a.tx_pending() == 0);
        CHECK_FALSE(a.next_deadline());
        CHECK(a.corked());
        for (std::uint32_t s = 0; s < 2; ++s) {
            auto n = receive_within(b, buffer, 2000);
            REQUIRE(n);
            CHECK(is_frame({buffer.data(), *n}, s, 1500));
        }
        REQUIRE(a.uncork());
    }
    SECTION("a full cork sends its batch and keeps taking frames") {
        a.cork();
        for (std::uint32_t s = 0; s < 40; ++s) REQUIRE(a.transmit(make_frame(s, 1500), instant{}));
        CHECK(a.tx_pending() == 8);  // 32 left when the 33rd came
        REQUIRE(a.flush());
        std::vector<std::uint8_t> buffer(1500);
        for (std::uint32_t s = 0; s < 40; ++s) {
            auto n = receive_within(b, buffer, 2000);
            REQUIRE(n);
            CHECK(is_frame({buffer.data(), *n}, s, 1500));
        }
    }
    SECTION("a batch() scope sends on leaving") {
        {
            auto scope = a.batch();
            for (std::uint32_t s = 0; s < 10; ++s) REQUIRE(a.transmit(make_frame(s, 1500), instant{}));
            CHECK(a.tx_pending() == 10);
        }
        CHECK_FALSE(a.corked());
        CHECK(a.tx_pending() == 0);
        CHECK(a.counters().send_calls == 1);
        std::vector<std::uint8_t> buffer(1500);
        for (std::uint32_t s = 0; s < 10; ++s) {
            auto n = receive_within(b, buffer, 2000);
            REQUIRE(n);
            CHECK(is_frame({buffer.data(), *n}, s, 1500));
        }
    }
    SECTION("the ring: one recvmmsg, then frames without a system call; due while it holds any") {
        {
            auto scope = a.batch();
            for (std::uint32_t s = 0; s < 5; ++s) REQUIRE(a.transmit(make_frame(s, 1500), instant{}));
        }
        REQUIRE(wait_readable(b.poll_fd(), 2000));
        std::vector<std::uint8_t> buffer(1500);
        const instant t1{std::chrono::seconds(1)};
        auto n = b.receive(buffer, t1);
        REQUIRE(n);
        CHECK(b.counters().recv_calls == 1);
        CHECK(b.rx_pending() == 4);
        CHECK(b.next_deadline() == t1);
        CHECK_FALSE(wait_readable(b.poll_fd(), 0));  // the socket is empty, the ring is not
        SECTION("a short buffer gets buffer_too_small and the frame stays") {
            std::vector<std::uint8_t> small(2);
            CHECK(b.receive(small, t1).error() == errc::buffer_too_small);
            CHECK(b.rx_pending() == 4);
        }
        for (std::uint32_t s = 1; s < 5; ++s) {
            n = b.receive(buffer, t1);
            REQUIRE(n);
            CHECK(is_frame({buffer.data(), *n}, s, 1500));
        }
        CHECK(b.counters().recv_calls == 1);
        CHECK_FALSE(b.next_deadline());
    }
}

TEST_CASE("udp_tunnel: frames over the MTU are refused, and dropped whole on receipt", "[link][udp_tunnel]") {
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), {.mtu = 1000, .batch = 8});
    REQUIRE(pair);
    auto& [a, b] = *pair;
    const std::vector<std::uint8_t> big(1001, 1), fits(1000, 2);
    CHECK(a.transmit(big, instant{}).error() == errc::frame_too_large);
    a.cork();
    CHECK(a.transmit(big, instant{}).error() == errc::frame_too_large);
    CHECK(a.tx_pending() == 0);
    REQUIRE(a.uncork());
    CHECK(a.counters().tx_dropped_too_big == 2);
    CHECK(a.counters().tx_frames == 0);

    // A peer with a larger MTU sends 1001 bytes to b: b drops it whole,
    // counts it, and delivers the next frame.
    auto wide = udp_tunnel::open(tunnel_address::loopback_v4(), b.local_address(), {.mtu = 2000});
    REQUIRE(wide);
    REQUIRE(b.connect(wide->local_address()));
    REQUIRE(wide->transmit(big, instant{}));
    REQUIRE(wide->transmit(fits, instant{}));
    std::vector<std::uint8_t> buffer(1000);
    auto n = receive_within(b, buffer, 2000);
    REQUIRE(n);
    CHECK(std::ranges::equal(l4::bytes{buffer.data(), *n}, fits));
    CHECK(b.counters().rx_dropped_too_big == 1);
}

TEST_CASE("udp_tunnel: opening, configuration and moves", "[link][udp_tunnel]") {
    SECTION("configurations outside the limits") {
        CHECK(udp_tunnel::open(tunnel_address::loopback_v4(), {}, {.mtu = 0}).error() == errc::value_out_of_range);
        CHECK(udp_tunnel::open(tunnel_address::loopback_v4(), {}, {.mtu = 65508}).error() ==
              errc::value_out_of_range);
        CHECK(udp_tunnel::open(tunnel_address::loopback_v4(), {}, {.batch = 0}).error() == errc::value_out_of_range);
        CHECK(udp_tunnel::open(tunnel_address::loopback_v4(), {}, {.batch = 1025}).error() ==
              errc::value_out_of_range);
    }
    SECTION("errors of the system come as errno in system_category") {
        auto a = udp_tunnel::open(tunnel_address::loopback_v4());
        REQUIRE(a);
        auto clash = udp_tunnel::open(a->local_address());
        REQUIRE_FALSE(clash);
        CHECK(clash.error() == boost::system::error_code(EADDRINUSE, boost::system::system_category()));
        // 192.0.2.1 (TEST-NET-1) is no address of this host.
        auto foreign = udp_tunnel::open(tunnel_address{l4::wire::ipv4_address{192, 0, 2, 1}, 0});
        REQUIRE_FALSE(foreign);
        CHECK(foreign.error() == boost::system::error_code(EADDRNOTAVAIL, boost::system::system_category()));
        CHECK(udp_tunnel::open(tunnel_address{}).error().value() == EAFNOSUPPORT);
        CHECK(a->connect(tunnel_address::loopback_v6(9)).error().value() == EAFNOSUPPORT);
    }
    SECTION("unconnected: transmit has nowhere to go") {
        auto a = udp_tunnel::open(tunnel_address::loopback_v4());
        REQUIRE(a);
        CHECK(a->remote_address().empty());
        auto r = a->transmit(make_frame(0, 1500), instant{});
        REQUIRE_FALSE(r);
        CHECK(r.error() == boost::system::error_code(EDESTADDRREQ, boost::system::system_category()));
        CHECK(a->tx_pending() == 0);
    }
    SECTION("a peer that is not there: the ICMP report is counted, the tunnel goes on") {
        auto gone = udp_tunnel::open(tunnel_address::loopback_v4());
        REQUIRE(gone);
        const auto where = gone->local_address();
        { const udp_tunnel drop = std::move(*gone); }  // closes the socket: no one listens there now
        auto a = udp_tunnel::open(tunnel_address::loopback_v4(), where);
        REQUIRE(a);
        REQUIRE(a->transmit(make_frame(0, 1500), instant{}));  // sent; the host answers port unreachable
        pollfd p{a->poll_fd(), 0, 0};
        REQUIRE(::poll(&p, 1, 2000) == 1);  // the report is pending: POLLERR
        CHECK((p.revents & POLLERR) != 0);
        // The next send reports it, the tunnel counts it and sends again.
        REQUIRE(a->transmit(make_frame(1, 1500), instant{}));
        CHECK(a->counters().peer_unreachable == 1);
        CHECK(a->counters().tx_frames == 2);
    }
    SECTION("moves carry the socket and the held frames; the moved-from end is closed") {
        auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), test_config);
        REQUIRE(pair);
        auto& [a, b] = *pair;
        a.cork();
        REQUIRE(a.transmit(make_frame(7, 1500), instant{}));
        udp_tunnel moved = std::move(a);
        CHECK(a.poll_fd() == -1);
        CHECK(a.transmit(make_frame(8, 1500), instant{}).error() == errc::link_closed);
        std::vector<std::uint8_t> buffer(1500);
        CHECK(a.receive(buffer, instant{}).error() == errc::link_closed);
        REQUIRE(moved.uncork());
        auto n = receive_within(b, buffer, 2000);
        REQUIRE(n);
        CHECK(is_frame({buffer.data(), *n}, 7, 1500));
        a = std::move(moved);
        REQUIRE(a.transmit(make_frame(9, 1500), instant{}));
        n = receive_within(b, buffer, 2000);
        REQUIRE(n);
        CHECK(is_frame({buffer.data(), *n}, 9, 1500));
    }
    SECTION("tunnel addresses as text") {
        auto e = tunnel_address::from_string("192.0.2.1:9000");
        REQUIRE(e);
        CHECK(e->family() == AF_INET);
        CHECK(e->port() == 9000);
        CHECK(e->to_string() == "192.0.2.1:9000");
        auto e6 = tunnel_address::from_string("[2001:db8::1]:53");
        REQUIRE(e6);
        CHECK(e6->family() == AF_INET6);
        CHECK(e6->to_string() == "[2001:db8::1]:53");
        CHECK_FALSE(tunnel_address::from_string("192.0.2.1"));
        CHECK_FALSE(tunnel_address::from_string("192.0.2.1:65536"));
        CHECK_FALSE(tunnel_address::from_string("2001:db8::1:53"));
        CHECK_FALSE(tunnel_address::from_string("[2001:db8::1]:"));
        CHECK(tunnel_address{}.to_string() == "(none)");
    }
}

TEST_CASE("udp_tunnel: over ::1 too", "[link][udp_tunnel]") {
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v6(), test_config);
    if (!pair && (pair.error().value() == EADDRNOTAVAIL || pair.error().value() == EAFNOSUPPORT)) {
        WARN("no IPv6 loopback here: " << pair.error().message());
        return;
    }
    REQUIRE(pair);
    CHECK(pair->first.local_address().family() == AF_INET6);
    stream(pair->first, pair->second, 1000, 32, true);
}

TEST_CASE("udp_tunnel: between two processes, a child echoes every frame back", "[link][udp_tunnel]") {
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), test_config);
    REQUIRE(pair);
    auto& [parent_end, child_end] = *pair;

    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        { const udp_tunnel drop = std::move(parent_end); }  // the child keeps only its own end
        echo_child(child_end);
    }
    child_guard child{pid};
    { const udp_tunnel drop = std::move(child_end); }  // and the parent only its own

    std::vector<std::uint8_t> buffer(1500);
    constexpr std::uint32_t window = 32;
    std::uint32_t next_rx = 0;
    for (std::uint32_t base = 0; base < echo_frames; base += window) {
        const std::uint32_t end = std::min(echo_frames, base + window);
        {
            auto scope = parent_end.batch();
            for (std::uint32_t s = base; s < end; ++s) REQUIRE(parent_end.transmit(make_frame(s, 1500), instant{}));
        }
        while (next_rx < end) {
            auto n = receive_within(parent_end, buffer, 5000);
            REQUIRE(n);
            REQUIRE(is_frame({buffer.data(), *n}, next_rx, 1500));
            ++next_rx;
        }
    }
    CHECK(next_rx == echo_frames);
    const int status = child.wait_exit(10000);
    REQUIRE(status != -1);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
