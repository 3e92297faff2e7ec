// TCP bulk transfer (issue 10 §7): goodput of one connection between two
// l4kit hosts over the memory link, in one thread, beside the Linux
// kernel's TCP over loopback in the same run.
//
//   tcp_bulk/l4_memory_link/<bytes>      MSS 1460 (MTU 1500), internet checksums
//                                        computed on send and verified on receipt,
//                                        1 MiB send and receive buffers (window
//                                        scaling), TCP_NODELAY, ACKs coalesced per
//                                        receive batch up to 64 KiB (as Linux's
//                                        GRO), virtual time; one iteration
//                                        moves <bytes> from the sender's
//                                        application to the receiver's, in
//                                        sends and recvs of 128 KiB.
//   tcp_bulk/l4_memory_link_in_place/    the same, the applications' bytes
//                                        made and taken where they lie
//                                        (send_in_place: the sender writes its
//                                        pattern into the send buffer;
//                                        recv_in_place: the receiver takes the
//                                        bytes where they lie, looking at the
//                                        first and last of each piece, as
//                                        iperf3 discards them): two copies of
//                                        each byte instead of four.
//   tcp_bulk/kernel_loopback/<bytes>     a socket pair over 127.0.0.1 in this
//                                        process, TCP_MAXSEG 1460 set before
//                                        connect, TCP_NODELAY, SO_SNDBUF and SO_RCVBUF 1 MiB;
//                                        a sender thread writes, this thread reads
//                                        (128 KiB a call, as above).
//   tcp_bulk/kernel_loopback_autotuned/  the same with the kernel's own buffer
//                                        sizing (no SO_SNDBUF/SO_RCVBUF).
//
// The counter Gbit/s is goodput, application bytes × 8 over wall time.
//
//   bench_tcp_bulk --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <l4/link/memory.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

namespace {

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

constexpr std::uint32_t buffer_bytes = 1 << 20;
// What the applications hand to one send and one recv: iperf3's default length, for l4kit and the kernel alike.
constexpr std::size_t app_chunk = 128 * 1024;

void report(benchmark::State& state, std::int64_t bytes_per_iteration) {
    const auto total = static_cast<std::int64_t>(state.iterations()) * bytes_per_iteration;
    state.SetBytesProcessed(total);
    state.counters["Gbit/s"] = benchmark::Counter(static_cast<double>(total) * 8 / 1e9, benchmark::Counter::kIsRate);
}

void l4_memory_link(benchmark::State& state, bool in_place) {
    const auto chunk = static_cast<std::uint64_t>(state.range(0));
    using tcp_t = tcp::endpoint<>;
    using host = net::stack<link::memory_end, tcp_t>;
    const ip_address a4 = *ip_address::from_string("192.0.2.1"), b4 = *ip_address::from_string("192.0.2.2");
    // Room in the link for a whole window of frames each way: nothing is dropped.
    auto [la, lb] = link::memory_pair({.mtu = 1500, .queue_frames = 2048});
    // TCP_NODELAY, as for the kernel's sender below: the applications write whole chunks, and
    // only the tail of each transfer would wait on Nagle (RFC 896's, here; Linux's is Minshall's,
    // which sends it). ACKs coalesced per receive batch, as Linux's GRO does (config::ack_coalescing).
    const tcp::endpoint_config cfg{.connection = {.send_buffer = buffer_bytes,
                                                  .receive_buffer = buffer_bytes,
                                                  .mss = 1460,
                                                  .nodelay = true,
                                                  .ack_coalescing = 65536},
                                   .mss = 1460};
    host a{std::move(la), {.addresses = {a4}, .secret = {1}}, tcp_t{cfg}};
    host b{std::move(lb), {.addresses = {b4}, .secret = {2}}, tcp_t{cfg}};
    virtual_clock clk;
    auto l = b.socket(net::socket_type::stream).value();
    auto c = a.socket(net::socket_type::stream).value();
    std::optional<net::socket_id> s;
    if (!b.bind(l, {b4, 5001}) || !b.listen(l, 4) || !a.connect(c, {b4, 5001}, clk.now()) ||
        !net::drive_all_until(clk, clk.now() + 5s, [&] {
            if (!s)
                if (auto x = b.accept(l)) s = *x;
            return s.has_value() && a.writable(c);
        }, a, b)) {
        state.SkipWithError("handshake");
        return;
    }
    const std::vector<std::uint8_t> source(app_chunk, 0x5a);
    std::vector<std::uint8_t> sink(app_chunk);
    std::uint64_t wrong = 0;  // pieces the in-place reader found not to be the sender's pattern
    for (auto _ : state) {
        // As net::drive_all_until, but what the applications moved counts as
        // progress too: the clock jumps only when no frame and no byte moved.
        // (drive_all_until jumps when its polls received nothing, even if
        // the send and recv between them left frames on the link and a window
        // update pending, and a retransmission timer then fires on a link
        // that lost nothing.)
        std::uint64_t sent = 0, received = 0;
        std::uint64_t rounds = 0;
        while (received < chunk && ++rounds < 100'000'000) {
            std::size_t moved = a.poll(clk.now()) + b.poll(clk.now());
            while (sent < chunk) {
                const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(source.size(), chunk - sent));
                auto w = in_place ? a.send_in_place(c, len, [](mut_bytes room) {
                                        std::fill(room.begin(), room.end(), std::uint8_t{0x5a});
                                        return room.size();
                                    }, clk.now())
                                  : a.send(c, std::span{source}.first(len), clk.now());
                if (!w || *w == 0) break;
                sent += *w;
                ++moved;
            }
            while (received < chunk) {
                auto r = in_place ? b.recv_in_place(*s, [&](bytes in) {
                                        wrong += in.front() != 0x5a || in.back() != 0x5a;
                                        return in.size();
                                    })
                                  : b.recv(*s, sink);
                if (!r || *r == 0) break;
                received += *r;
                ++moved;
            }
            if (moved > 0) continue;
            auto next = a.next_deadline();
            if (const auto nb = b.next_deadline(); nb && (!next || *nb < *next)) next = nb;
            if (!next) break;
            clk.advance_to(std::max(*next, clk.now() + duration{1}));
        }
        if (received != chunk) {
            state.SkipWithError("transfer stalled");
            return;
        }
    }
    const auto* conn = a.transport<tcp_t>().connection_of(a.sockets().find(c)->local);
    state.counters["mss"] = conn ? conn->snd_mss() : 0;
    // Nothing should be lost on the memory link: retransmissions would mean a queue overflowed.
    state.counters["rexmit_rto"] = conn ? static_cast<double>(conn->stats().retransmits_timeout) : 0;
    state.counters["rexmit_fast"] = conn ? static_cast<double>(conn->stats().retransmits_fast) : 0;
    // Virtual time the transfer took: a stall (a delayed ACK, a timeout) shows here, not in wall time.
    state.counters["virtual_ms"] = benchmark::Counter(
        std::chrono::duration<double, std::milli>(clk.now() - instant{}).count(), benchmark::Counter::kAvgIterations);
    state.counters["tx_dropped"] = static_cast<double>(a.stats().tx_dropped + b.stats().tx_dropped);
    if (wrong != 0) {
        state.SkipWithError("the bytes read in place are not the bytes written");
        return;
    }
    report(state, static_cast<std::int64_t>(chunk));
}

// A connected pair over 127.0.0.1; false if the kernel refused a step.
bool kernel_pair(int& tx, int& rx, bool fixed_buffers) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    tx = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const int mss = 1460, buf = static_cast<int>(buffer_bytes), one = 1;
    bool ok = listener >= 0 && tx >= 0;
    ok = ok && ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    if (fixed_buffers)  // set before listen/connect, so the window scale is chosen for them
        for (int fd : {listener, tx})
            ok = ok && ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) == 0 &&
                 ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) == 0;
    ok = ok && ::setsockopt(tx, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss) == 0 &&
         ::setsockopt(tx, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0;
    ok = ok && ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
         ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && ::listen(listener, 1) == 0 &&
         ::connect(tx, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    rx = ok ? ::accept(listener, nullptr, nullptr) : -1;
    if (listener >= 0) ::close(listener);
    return ok && rx >= 0;
}

void kernel_loopback(benchmark::State& state, bool fixed_buffers) {
    const auto chunk = static_cast<std::size_t>(state.range(0));
    int tx = -1, rx = -1;
    if (!kernel_pair(tx, rx, fixed_buffers)) {
        state.SkipWithError("kernel socket pair");
        return;
    }
    int mss = 0;
    socklen_t mss_len = sizeof mss;
    (void)::getsockopt(tx, IPPROTO_TCP, TCP_MAXSEG, &mss, &mss_len);
    const std::vector<std::uint8_t> source(app_chunk, 0x5a);
    std::vector<std::uint8_t> sink(app_chunk);
    bool failed = false;
    for (auto _ : state) {
        std::thread sender([&] {
            std::size_t sent = 0;
            while (sent < chunk) {
                const auto n = ::send(tx, source.data(), std::min(source.size(), chunk - sent), 0);
                if (n <= 0) return;
                sent += static_cast<std::size_t>(n);
            }
        });
        std::size_t received = 0;
        while (received < chunk) {
            const auto n = ::recv(rx, sink.data(), std::min(sink.size(), chunk - received), 0);
            if (n <= 0) {
                failed = true;
                break;
            }
            received += static_cast<std::size_t>(n);
        }
        sender.join();
        if (failed) break;
    }
    ::close(tx);
    ::close(rx);
    if (failed) {
        state.SkipWithError("kernel transfer");
        return;
    }
    state.counters["mss"] = mss;
    report(state, static_cast<std::int64_t>(chunk));
}

}  // namespace

constexpr std::int64_t chunk = 16 << 20;
BENCHMARK_CAPTURE(l4_memory_link, copied, false)
    ->Name("tcp_bulk/l4_memory_link")->Arg(chunk)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(l4_memory_link, in_place, true)
    ->Name("tcp_bulk/l4_memory_link_in_place")->Arg(chunk)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kernel_loopback, fixed, true)
    ->Name("tcp_bulk/kernel_loopback")->Arg(chunk)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(kernel_loopback, autotuned, false)
    ->Name("tcp_bulk/kernel_loopback_autotuned")->Arg(chunk)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
