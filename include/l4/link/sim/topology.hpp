// Ready-made topologies: the channels, the ports and the fixed paths between
// them (network.hpp explains paths).
//
//   point_to_point   two ports, one channel each way
//   dumbbell         n senders and n receivers across one shared bottleneck,
//                    each pair with its own access delay, hence its own RTT
#pragma once

#include <l4/core/time.hpp>
#include <l4/link/sim/channel.hpp>
#include <l4/link/sim/network.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <vector>

namespace l4::link::sim {

struct point_to_point_link {
    port a, b;
    channel_id a_to_b, b_to_a;
};

[[nodiscard]] inline point_to_point_link point_to_point(network& net, const channel_config& a_to_b,
                                                        const channel_config& b_to_a) {
    port a = net.add_port(), b = net.add_port();
    const channel_id ab = net.add_channel(a_to_b), ba = net.add_channel(b_to_a);
    net.route(a, std::array{ab}, b);
    net.route(b, std::array{ba}, a);
    return {a, b, ab, ba};
}

// The dumbbell: senders on the left, receivers on the right, two routers
// joined by the bottleneck (left to right) and the reverse path (right to
// left, which the receivers' ACKs share).
//
//   sender 0 ─ access 0 ─┐                              ┌─ receiver 0
//   sender 1 ─ access 1 ─┤ L ══ bottleneck (queue) ══► R ├─ receiver 1
//      ...               │   ◄═════ reverse ═════════   │     ...
//   sender n-1 ──────────┘                              └─ receiver n-1
//
// Sender i sends to receiver i and receiver i answers sender i:
//   sender i   → sender_up[i], bottleneck, receiver_down[i] → receiver i
//   receiver i → receiver_up[i], reverse, sender_down[i]    → sender i
// Routers are not modelled beyond this: a frame moves from one channel's end
// into the next channel's queue at the same instant.
struct dumbbell_config {
    // One per pair: sender i ↔ left router, used in both directions. The
    // number of pairs is sender_access.size(); give each its own delay so
    // the pairs' RTTs differ.
    std::vector<channel_config> sender_access;
    channel_config receiver_access{};  // each receiver ↔ right router, both directions
    channel_config bottleneck{};       // left → right router, shared by every sender
    channel_config reverse{};          // right → left router, shared by every receiver

    // n access links like `access`, pair i's with one-way delay delays[i].
    [[nodiscard]] static std::vector<channel_config> access_links(const channel_config& access,
                                                                  std::span<const duration> delays) {
        std::vector<channel_config> v(delays.size(), access);
        for (std::size_t i = 0; i < delays.size(); ++i) v[i].delay = delays[i];
        return v;
    }

    // Pair i's round-trip propagation delay (no serialisation, no queueing).
    [[nodiscard]] duration base_rtt(std::size_t pair) const {
        return 2 * (sender_access.at(pair).delay + receiver_access.delay) + bottleneck.delay + reverse.delay;
    }
};

struct dumbbell_network {
    std::vector<port> senders, receivers;
    channel_id bottleneck, reverse;
    std::vector<channel_id> sender_up, sender_down, receiver_up, receiver_down;  // per pair
};

[[nodiscard]] inline dumbbell_network dumbbell(network& net, const dumbbell_config& cfg) {
    // Channels are added in a fixed order (their index seeds their streams).
    dumbbell_network d{{}, {}, net.add_channel(cfg.bottleneck), net.add_channel(cfg.reverse), {}, {}, {}, {}};
    const std::size_t n = cfg.sender_access.size();
    for (std::size_t i = 0; i < n; ++i) {
        d.senders.push_back(net.add_port());
        d.receivers.push_back(net.add_port());
        d.sender_up.push_back(net.add_channel(cfg.sender_access[i]));
        d.sender_down.push_back(net.add_channel(cfg.sender_access[i]));
        d.receiver_up.push_back(net.add_channel(cfg.receiver_access));
        d.receiver_down.push_back(net.add_channel(cfg.receiver_access));
        net.route(d.senders[i], std::array{d.sender_up[i], d.bottleneck, d.receiver_down[i]}, d.receivers[i]);
        net.route(d.receivers[i], std::array{d.receiver_up[i], d.reverse, d.sender_down[i]}, d.senders[i]);
    }
    return d;
}

}  // namespace l4::link::sim
