// Helpers for the simulator's tests: numbered frames and a driver that steps
// the network one event time at a time, so every delivery is seen at the
// exact instant it happens.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/link/sim.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace l4::link::sim::test {

using namespace std::chrono_literals;

[[nodiscard]] inline instant at(duration d) { return instant{d}; }
[[nodiscard]] constexpr std::int64_t ns(duration d) { return d.count(); }

// Frame i: its number three times in the first 24 bytes, then bytes that
// depend on i. A bitwise majority vote reads the number back even when the
// corruption impairment flipped one of its bits.
inline void fill_numbered(std::vector<std::uint8_t>& f, std::uint64_t i, std::size_t size) {
    f.resize(std::max<std::size_t>(size, 24));
    for (std::size_t k = 0; k < 24; k += 8) store_be64(f.data() + k, i);
    for (std::size_t k = 24; k < f.size(); ++k) {
        if (k % 8 == 0 && k + 8 <= f.size()) {
            store_be64(f.data() + k, mix64(i * 4096 + k));
            k += 7;
        } else {
            f[k] = static_cast<std::uint8_t>(mix64(i * 4096 + k));
        }
    }
}
[[nodiscard]] inline std::vector<std::uint8_t> numbered_frame(std::uint64_t i, std::size_t size) {
    std::vector<std::uint8_t> f;
    fill_numbered(f, i, size);
    return f;
}
[[nodiscard]] inline std::uint64_t number_of(bytes frame) {
    if (frame.size() < 24) return 0;  // not a numbered frame
    const std::uint64_t a = load_be64(frame.data()), b = load_be64(frame.data() + 8), c = load_be64(frame.data() + 16);
    return (a & b) | (a & c) | (b & c);
}

struct delivery {
    std::int64_t at_ns;
    std::uint64_t number;
    std::vector<std::uint8_t> bytes;
};

// Sends `count` numbered frames of `size` bytes from tx, one every
// `interval` from t = 0, and returns what rx received, with arrival times.
// Runs until nothing is left in flight.
inline std::vector<delivery> send_periodic(network& net, port& tx, port& rx, std::uint64_t count, std::size_t size,
                                           duration interval, bool keep_bytes = false) {
    std::vector<delivery> out;
    out.reserve(count + count / 8);
    std::vector<std::uint8_t> buf(net.config().mtu), frame;
    std::uint64_t sent = 0;
    instant next_send{};
    for (;;) {
        std::optional<instant> t = net.next_deadline();
        if (sent < count && (!t || next_send <= *t)) t = next_send;
        if (!t) break;
        net.run_until(*t);
        while (auto n = rx.receive(buf, *t)) {
            const bytes f{buf.data(), *n};
            out.push_back({ns_of(*t), number_of(f), keep_bytes ? std::vector<std::uint8_t>(f.begin(), f.end())
                                                               : std::vector<std::uint8_t>{}});
        }
        if (sent < count && *t == next_send) {
            fill_numbered(frame, sent, size);
            (void)tx.transmit(frame, *t);
            ++sent;
            next_send += interval;
        }
    }
    return out;
}

}  // namespace l4::link::sim::test
