// UDP over an impaired simulated network: whatever the network does (loss,
// bursts, reordering, duplication, single-bit corruption, jitter), a
// datagram arrives intact or not at all, and every corrupted frame is
// caught by a checksum and counted.
#include "../support.hpp"

#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>

#include <rapidcheck/catch.h>

#include <array>
#include <chrono>
#include <map>
#include <set>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;

namespace {

const ip_address a4 = *ip_address::from_string("192.0.2.1");
const ip_address b4 = *ip_address::from_string("192.0.2.2");
const ip_address a6 = *ip_address::from_string("2001:db8::1");
const ip_address b6 = *ip_address::from_string("2001:db8::2");

// A datagram's content says which one it is: its index in the first four
// bytes, then bytes derived from the index, so any change is recognisable.
std::vector<std::uint8_t> datagram(std::uint32_t index, std::size_t size) {
    std::vector<std::uint8_t> d(std::max<std::size_t>(size, 4));
    store_be32(d.data(), index);
    for (std::size_t i = 4; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(index * 31 + i * 7);
    return d;
}

}  // namespace

TEST_CASE("udp over an impaired network: datagrams arrive intact or not at all", "[udp][sim][property]") {
    rc::prop("random datagrams through loss, reordering, duplication, corruption and jitter", [] {
        link::sim::channel_config path{.bandwidth_bps = *rc::gen::inRange<std::uint64_t>(1'000'000, 100'000'000),
                                       .delay = std::chrono::microseconds{*rc::gen::inRange(0, 50'000)}};
        path.impair.loss = *rc::gen::arbitrary<bool>()
                               ? link::sim::loss_config{link::sim::bernoulli_loss{*rc::gen::inRange(0, 30) / 100.0}}
                               : link::sim::loss_config{link::sim::gilbert_elliott{0.05, 0.3, 0.0, 0.9}};
        path.impair.corrupt = *rc::gen::inRange(0, 30) / 100.0;
        path.impair.duplicate = *rc::gen::inRange(0, 20) / 100.0;
        path.impair.reorder = {*rc::gen::inRange(0, 30) / 100.0, 3ms};
        path.impair.jitter.max = std::chrono::microseconds{*rc::gen::inRange(0, 2000)};
        link::sim::network sim{{.seed = *rc::gen::arbitrary<std::uint64_t>()}};
        auto p2p = link::sim::point_to_point(sim, path, path);
        net::stack sender{p2p.a, {.addresses = {a4, a6}}};
        net::stack receiver{p2p.b, {.addresses = {b4, b6}}, udp::endpoint<>{{.queue_datagrams = 512}}};
        const bool v6 = *rc::gen::arbitrary<bool>();
        const ip_address to = v6 ? b6 : b4;
        auto rx = receiver.socket(net::socket_type::datagram).value();
        RC_ASSERT(receiver.bind(rx, {to, 50000}).has_value());
        auto tx = sender.socket(net::socket_type::datagram).value();

        virtual_clock clock;
        const auto count = *rc::gen::inRange<std::uint32_t>(1, 200);
        std::map<std::uint32_t, std::vector<std::uint8_t>> sent;
        for (std::uint32_t i = 0; i < count; ++i) {
            const auto d = datagram(i, *rc::gen::inRange<std::size_t>(0, sender.max_payload(to) + 1));
            if (sender.sendto(tx, d, {to, 50000}, clock.now())) sent.emplace(i, d);
            clock.advance_by(std::chrono::microseconds{*rc::gen::inRange(0, 500)});
        }
        // Drive until the network is idle: nothing more can arrive after that.
        (void)net::drive_until(receiver, clock, clock.now() + 10s, [&] { return !sim.next_deadline(); });
        receiver.poll(clock.now());

        std::array<std::uint8_t, 1500> buf{};
        std::multiset<std::uint32_t> seen;
        while (auto r = receiver.recvfrom(rx, buf)) {
            RC_ASSERT(r->size >= 4);
            const std::uint32_t index = load_be32(buf.data());
            const auto it = sent.find(index);
            RC_ASSERT(it != sent.end());
            RC_ASSERT(std::ranges::equal(std::span{buf}.first(r->size), it->second));  // intact
            RC_ASSERT(r->from.address == (v6 ? a6 : a4));
            seen.insert(index);
        }
        // Each copy the network made is delivered once at most.
        const auto& ch = sim.channel_at(p2p.a_to_b).counters();
        for (auto i : seen) RC_ASSERT(seen.count(i) <= 2u);
        RC_ASSERT(seen.size() <= ch.delivered);
        // Corrupted frames never reach the socket: counted as bad checksums
        // or bad lengths (or IP-level drops when the IP header was hit).
        const auto& u = receiver.transport<udp::endpoint<>>().stats();
        const auto& ip = receiver.ip_stats();
        RC_ASSERT(u.rx_delivered == seen.size());
        RC_CLASSIFY(seen.size() == sent.size(), "all arrived");
        RC_CLASSIFY(ch.corrupted > 0 && u.rx_bad_checksum > 0, "corruption caught by the UDP checksum");
        RC_ASSERT(u.rx_delivered + u.rx_bad_checksum + u.rx_truncated + u.rx_length_mismatch + u.rx_no_socket +
                      u.rx_queue_full + u.rx_not_from_peer + ip.rx_malformed + ip.rx_bad_checksum +
                      ip.rx_not_for_us + ip.rx_unknown_protocol + ip.rx_fragments ==
                  ch.delivered);
    });
}

TEST_CASE("udp over a clean simulated path: every datagram arrives once, in order, after the path's delay",
          "[udp][sim]") {
    link::sim::network sim{{.seed = 3}};
    const link::sim::channel_config path{.bandwidth_bps = 8'000'000, .delay = 10ms};
    auto p2p = link::sim::point_to_point(sim, path, path);
    net::stack sender{p2p.a, {.addresses = {a4}}};
    net::stack receiver{p2p.b, {.addresses = {b4}}};
    auto rx = receiver.socket(net::socket_type::datagram).value();
    REQUIRE(receiver.bind(rx, {b4, 9}));
    auto tx = sender.socket(net::socket_type::datagram).value();
    virtual_clock clock;
    for (std::uint32_t i = 0; i < 20; ++i) REQUIRE(sender.sendto(tx, datagram(i, 972), {b4, 9}, clock.now()));
    std::array<std::uint8_t, 1500> buf{};
    // 1000-byte IP datagrams at 8 Mbit/s take 1 ms each to serialise: the first is there at 11 ms.
    auto first = net::recvfrom_until(receiver, clock, rx, buf, clock.now() + 1s);
    REQUIRE(first);
    CHECK(clock.now() == instant{11ms});
    CHECK(load_be32(buf.data()) == 0);
    for (std::uint32_t i = 1; i < 20; ++i) {
        auto r = net::recvfrom_until(receiver, clock, rx, buf, clock.now() + 1s);
        REQUIRE(r);
        CHECK(load_be32(buf.data()) == i);
    }
    CHECK(clock.now() == instant{30ms});
}
