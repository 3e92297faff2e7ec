// SYN floods at one l4kit listener (issue 13), one core: spoofed SYNs handed
// to the listener's host by its link, each received, checked, answered, per
// second of wall-clock time. The frames are made beforehand (4096 SYNs from
// random addresses of 198.51.100.0/24 and 203.0.113.0/24 and random ports,
// examples/syn_flood.hpp), taken in turn; what the host sends goes into a
// sink that only counts. One iteration is one poll that takes 1024 SYNs.
//
//   syn_flood/cookies          the backlog (64) full of half-open connections:
//                              every SYN answered with a cookie SYN-ACK,
//                              no state kept (RFC 4987 §3.6)
//   syn_flood/evict_oldest     SYN cookies off: every SYN evicts the oldest
//                              half-open connection and takes its place (a
//                              connection made, its SYN-ACK sent, another freed)
//   syn_flood/rst_closed_port  no listener: every SYN answered with a RST,
//                              the cheapest answer the host has
//   syn_flood/parse_checksum   no host: the IPv4 header checked, the TCP view
//                              checked, its checksum verified, the repr parsed,
//                              as the host does before anything else
//   syn_flood/cookie_make      no host: the cookie alone (syn_cookies::make,
//                              one SipHash-2-4 over the 4-tuple, ISN and tick)
//
// items_per_second is SYNs per second.
//
//   bench_syn_flood --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include "../examples/syn_flood.hpp"

#include <l4/net/ip.hpp>
#include <l4/tcp/syn_cookie.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

namespace {

using namespace l4;
using namespace std::chrono_literals;

constexpr std::size_t frame_count = 4096;
constexpr std::uint32_t batch = 1024;
constexpr std::uint32_t backlog = 64;

struct frame {
    std::array<std::uint8_t, 64> bytes{};
    std::size_t len = 0;
};

// The flood's SYNs, and `backlog` more from other sources that fill the
// listener's half-open queue first: every 4-tuple appears once, so no SYN of
// the flood ever finds a connection of its own.
struct syn_sets {
    std::vector<frame> flood, filler;
};
const syn_sets& spoofed_syns() {
    static const syn_sets sets = [] {
        syn_sets s;
        syn_flood::syn_maker maker{13};
        std::set<std::array<std::uint8_t, 6>> seen;  // source address and port
        while (s.flood.size() < frame_count) {
            frame f;
            f.len = maker.next(f.bytes);
            if (!seen.insert({f.bytes[12], f.bytes[13], f.bytes[14], f.bytes[15], f.bytes[20], f.bytes[21]}).second)
                continue;
            (s.filler.size() < backlog ? s.filler : s.flood).push_back(f);
        }
        return s;
    }();
    return sets;
}

// Hands out `budget` SYNs, then nothing; swallows what the host sends.
struct syn_source {
    const std::vector<frame>* frames = &spoofed_syns().flood;
    std::size_t next = 0;
    std::uint32_t budget = 0;
    std::uint64_t sent = 0;

    io_result<void> transmit(bytes, instant) {
        ++sent;
        return {};
    }
    io_result<std::size_t> receive(mut_bytes buffer, instant) {
        if (budget == 0) return errc::would_block;
        --budget;
        const frame& f = (*frames)[next];
        next = (next + 1) % frames->size();
        std::copy_n(f.bytes.begin(), f.len, buffer.begin());
        return f.len;
    }
    [[nodiscard]] std::size_t mtu() const { return 1500; }
    [[nodiscard]] std::optional<instant> next_deadline() const { return std::nullopt; }
    [[nodiscard]] int poll_fd() const { return -1; }
};

using tcp_t = tcp::endpoint<>;
using host = net::stack<syn_source, tcp_t>;

// Floods a host, listening on port 80 or not; `expect` says what each SYN must have caused.
template <class Expect>
void flood(benchmark::State& state, bool listening, bool cookies, Expect&& expect) {
    tcp::endpoint_config cfg{};
    cfg.syn_cookies = cookies;
    host h{syn_source{}, {.addresses = {net::ip_address{syn_flood::server_ip}}, .secret = {7}}, tcp_t{cfg}};
    if (listening) {
        auto l = h.socket(net::socket_type::stream).value();
        if (!h.bind(l, {net::ip_address{syn_flood::server_ip}, syn_flood::server_port}) || !h.listen(l, backlog)) {
            state.SkipWithError("listen");
            return;
        }
    }
    instant now{};
    // Warm: the backlog full, every table and vector at its size.
    h.link().frames = &spoofed_syns().filler;
    h.link().budget = backlog;
    h.poll(now);
    h.link().frames = &spoofed_syns().flood;
    h.link().next = 0;
    h.link().budget = 4 * batch;
    h.poll(now);
    const auto before = h.transport<tcp_t>().stats();
    const auto sent_before = h.link().sent;
    for (auto _ : state) {
        now += 10us;  // no timer comes due: a half-open connection's first is 1 s of virtual time away
        h.link().budget = batch;
        h.poll(now);
    }
    const auto syns = static_cast<std::uint64_t>(state.iterations()) * batch;
    state.SetItemsProcessed(static_cast<std::int64_t>(syns));
    const auto& after = h.transport<tcp_t>().stats();
    // Each SYN answered by exactly one frame, and by the path named.
    const std::uint64_t answers = h.link().sent - sent_before;
    state.counters["answers_per_syn"] = static_cast<double>(answers) / static_cast<double>(syns);
    if (answers != syns || !expect(before, after, syns)) state.SkipWithError("a SYN was not answered as expected");
}

void cookies(benchmark::State& state) {
    flood(state, true, true, [](const auto& before, const auto& after, std::uint64_t syns) {
        return after.syn_cookies_sent - before.syn_cookies_sent == syns;
    });
}

void evict_oldest(benchmark::State& state) {
    flood(state, true, false, [](const auto& before, const auto& after, std::uint64_t syns) {
        return after.half_open_evicted - before.half_open_evicted == syns;
    });
}

void rst_closed_port(benchmark::State& state) {
    flood(state, false, true, [](const auto& before, const auto& after, std::uint64_t syns) {
        return after.tx_resets - before.tx_resets == syns;
    });
}

void parse_checksum(benchmark::State& state) {
    const auto& frames = spoofed_syns().flood;
    net::ip_layer ip{{.addresses = {net::ip_address{syn_flood::server_ip}}}};
    std::size_t next = 0;
    std::uint64_t good = 0;
    for (auto _ : state) {
        for (std::uint32_t i = 0; i < batch; ++i) {
            const frame& f = frames[next];
            next = (next + 1) % frames.size();
            auto p = ip.accept(bytes{f.bytes}.first(f.len));
            if (!p) continue;
            auto v = tcp_t::view::check(p->transport);
            if (!v) continue;
            const auto pseudo = wire::pseudo_header::ipv4(p->v4->src(), p->v4->dst(), wire::ip_protocol::tcp,
                                                          static_cast<std::uint16_t>(p->transport.size()));
            if (!v->template verify_checksum<checksum::internet>(pseudo.bytes())) continue;
            auto seg = tcp_t::repr::from_view(*v);
            good += seg.has_value();
            benchmark::DoNotOptimize(seg);
        }
    }
    const auto syns = static_cast<std::uint64_t>(state.iterations()) * batch;
    state.SetItemsProcessed(static_cast<std::int64_t>(syns));
    if (good != syns) state.SkipWithError("a SYN failed to parse");
}

void cookie_make(benchmark::State& state) {
    const auto& frames = spoofed_syns().flood;
    const tcp::syn_cookies maker{siphash_key{7}};
    std::vector<std::pair<wire::socket_address, seq32>> peers;
    for (const auto& f : frames) {
        const auto p = *wire::parse_ip(bytes{f.bytes}.first(f.len));
        const auto seg = *tcp_t::repr::from_view(*tcp_t::view::check(p.transport));
        peers.push_back({{net::ip_address{p.v4->src()}, seg.src_port}, seg.seq_number});
    }
    const wire::socket_address local{net::ip_address{syn_flood::server_ip}, syn_flood::server_port};
    std::size_t next = 0;
    for (auto _ : state) {
        for (std::uint32_t i = 0; i < batch; ++i) {
            const auto& [remote, isn] = peers[next];
            next = (next + 1) % peers.size();
            benchmark::DoNotOptimize(maker.make(local, remote, isn, 1460, instant{} + 1s));
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * batch);
}

}  // namespace

BENCHMARK(cookies)->Name("syn_flood/cookies");
BENCHMARK(evict_oldest)->Name("syn_flood/evict_oldest");
BENCHMARK(rst_closed_port)->Name("syn_flood/rst_closed_port");
BENCHMARK(parse_checksum)->Name("syn_flood/parse_checksum");
BENCHMARK(cookie_make)->Name("syn_flood/cookie_make");
BENCHMARK_MAIN();
