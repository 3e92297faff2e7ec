// Datagrams per second through l4kit's UDP stack over the memory link,
// against the Linux kernel's UDP over loopback in the same run: one sendto,
// the receiving side's poll, one recvfrom per datagram.
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

namespace {

using namespace l4;
using net::ip_address;

void l4_memory_link(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    auto [la, lb] = link::memory_pair();
    const ip_address a = *ip_address::from_string("192.0.2.1"), b = *ip_address::from_string("192.0.2.2");
    net::stack<link::memory_end, udp::endpoint<>> ha{std::move(la), {.addresses = {a}}}, hb{std::move(lb), {.addresses = {b}}};
    auto tx = ha.socket(net::socket_type::datagram).value();
    auto rx = hb.socket(net::socket_type::datagram).value();
    if (!hb.bind(rx, {b, 50000})) state.SkipWithError("bind");
    std::vector<std::uint8_t> payload(size, 0x42), buf(1500);
    const instant now{};
    for (auto _ : state) {
        if (!ha.sendto(tx, payload, {b, 50000}, now)) state.SkipWithError("sendto");
        hb.poll(now);
        auto r = hb.recvfrom(rx, buf);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void kernel_loopback(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const int tx = ::socket(AF_INET, SOCK_DGRAM, 0), rx = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        state.SkipWithError("bind");
    std::vector<std::uint8_t> payload(size, 0x42), buf(1500);
    for (auto _ : state) {
        if (::sendto(tx, payload.data(), size, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
            state.SkipWithError("sendto");
        auto r = ::recv(rx, buf.data(), buf.size(), 0);
        benchmark::DoNotOptimize(r);
    }
    ::close(tx);
    ::close(rx);
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

}  // namespace

BENCHMARK(l4_memory_link)->Name("udp/l4_memory_link")->Arg(64)->Arg(1472);
BENCHMARK(kernel_loopback)->Name("udp/kernel_loopback")->Arg(64)->Arg(1472);
BENCHMARK_MAIN();
