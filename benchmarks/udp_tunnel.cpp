// Frames per second through link::udp_tunnel on 127.0.0.1, one process, two
// ends, against the plain socket loop it replaces, in the same run.
//
//   link/udp_tunnel/<bytes>            32 frames corked into one sendmmsg,
//                                      received through one recvmmsg
//   link/udp_tunnel_unbatched/<bytes>  32 transmits of one sendmsg each (what
//                                      generic Link code does), recvmmsg
//   link/sendto_recvfrom/<bytes>       the baseline: 32 sendto, 32 recvfrom
//                                      on two non-blocking UDP sockets
//
// Each iteration moves a window of 32 frames from one end to the other; the
// socket buffers hold a window, so loopback drops nothing (the "lost"
// counter says so). items_per_second is frames per second. 1472 bytes is the
// largest UDP payload in a 1500-byte Ethernet MTU.
//
//   bench_udp_tunnel --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <l4/link/udp_tunnel.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using l4::link::tunnel_address;
using l4::link::udp_tunnel;

constexpr int window = 32;
constexpr l4::link::udp_tunnel_config config{.mtu = 1500, .batch = window, .socket_buffer = 1 << 20};

void tunnel(benchmark::State& state, bool batched) {
    const auto size = static_cast<std::size_t>(state.range(0));
    auto pair = udp_tunnel::open_pair(tunnel_address::loopback_v4(), config);
    if (!pair) {
        state.SkipWithError(("udp_tunnel::open_pair: " + pair.error().message()).c_str());
        return;
    }
    auto& [a, b] = *pair;
    const std::vector<std::uint8_t> frame(size, 0xab);
    std::vector<std::uint8_t> buffer(config.mtu);
    const l4::instant now{};
    std::int64_t sent = 0, received = 0;
    for (auto _ : state) {
        if (batched) a.cork();
        for (int i = 0; i < window; ++i) sent += a.transmit(frame, now) ? 1 : 0;
        if (batched) (void)a.uncork();
        for (int i = 0; i < window; ++i) {
            auto n = b.receive(buffer, now);
            if (!n) break;
            ++received;
        }
    }
    state.SetItemsProcessed(received);
    state.SetBytesProcessed(received * static_cast<std::int64_t>(size));
    state.counters["lost"] = static_cast<double>(sent - received);
}

void udp_tunnel_batched(benchmark::State& state) { tunnel(state, true); }
void udp_tunnel_unbatched(benchmark::State& state) { tunnel(state, false); }

// Two plain non-blocking sockets on ephemeral ports of 127.0.0.1.
int plain_socket(sockaddr_in& bound) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int buf = config.socket_buffer;
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof bound;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

void sendto_recvfrom(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    sockaddr_in a_addr{}, b_addr{};
    const int a = plain_socket(a_addr), b = plain_socket(b_addr);
    if (a < 0 || b < 0) {
        state.SkipWithError("socket/bind on 127.0.0.1 failed");
        if (a >= 0) ::close(a);
        if (b >= 0) ::close(b);
        return;
    }
    const std::vector<std::uint8_t> frame(size, 0xab);
    std::vector<std::uint8_t> buffer(config.mtu);
    std::int64_t sent = 0, received = 0;
    for (auto _ : state) {
        for (int i = 0; i < window; ++i)
            sent += ::sendto(a, frame.data(), frame.size(), 0, reinterpret_cast<const sockaddr*>(&b_addr),
                             sizeof b_addr) >= 0
                        ? 1
                        : 0;
        for (int i = 0; i < window; ++i) {
            sockaddr_in from{};
            socklen_t from_len = sizeof from;
            if (::recvfrom(b, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len) < 0)
                break;
            ++received;
        }
    }
    ::close(a);
    ::close(b);
    state.SetItemsProcessed(received);
    state.SetBytesProcessed(received * static_cast<std::int64_t>(size));
    state.counters["lost"] = static_cast<double>(sent - received);
}

// Registered by hand for names of the form link/<what>/<bytes>.
[[maybe_unused]] const bool registered = [] {
    for (const std::int64_t size : {64, 1472}) {
        benchmark::RegisterBenchmark("link/udp_tunnel", udp_tunnel_batched)->Arg(size);
        benchmark::RegisterBenchmark("link/udp_tunnel_unbatched", udp_tunnel_unbatched)->Arg(size);
        benchmark::RegisterBenchmark("link/sendto_recvfrom", sendto_recvfrom)->Arg(size);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();
