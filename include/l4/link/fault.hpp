// A decorator that injects faults into any link, real ones included: drop,
// duplicate or corrupt (flip one bit of) frames by probability, separately
// for each direction, from seeded random streams.
//
//     l4::link::fault lossy{std::move(tun), {.tx = {.drop = 0.01}, .rx = {.corrupt = 0.001}}, seed};
//
// Faults on transmit act before the inner link sees the frame: a dropped
// frame is reported as sent (as a wire would), a duplicate is sent twice.
// Faults on receive act on what the inner link delivers: a dropped frame is
// skipped, a duplicate is handed out again on the next receive. Every fault
// is counted.
#pragma once

#include <l4/link/concept.hpp>
#include <l4/link/sim/random.hpp>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace l4::link {

struct fault_rates {
    double drop = 0;
    double duplicate = 0;
    double corrupt = 0;  // one random bit of the frame flips
};

struct fault_config {
    fault_rates tx{}, rx{};
};

struct fault_counters {
    std::uint64_t tx_dropped = 0, tx_duplicated = 0, tx_corrupted = 0;
    std::uint64_t rx_dropped = 0, rx_duplicated = 0, rx_corrupted = 0;
};

template <link Inner>
class fault {
public:
    fault(Inner inner, fault_config cfg, std::uint64_t seed)
        : inner_{std::move(inner)},
          tx_{cfg.tx, seed, 0},
          rx_{cfg.rx, seed, 1},
          scratch_(inner_.mtu()),
          pending_(inner_.mtu()) {}

    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) {
        if (frame.size() > inner_.mtu()) return inner_.transmit(frame, now);  // the inner link's own error
        if (tx_.drop(tx_.g)) {
            ++counters_.tx_dropped;
            return {};
        }
        bytes out = frame;
        if (!frame.empty() && tx_.corrupt(tx_.g)) {
            std::copy(frame.begin(), frame.end(), scratch_.begin());
            flip_one_bit(std::span{scratch_}.first(frame.size()), tx_.g);
            out = std::span{scratch_}.first(frame.size());
            ++counters_.tx_corrupted;
        }
        auto r = inner_.transmit(out, now);
        if (r && tx_.duplicate(tx_.g) && inner_.transmit(out, now)) ++counters_.tx_duplicated;
        return r;
    }

    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) {
        if (pending_len_) {
            if (buffer.size() < *pending_len_) return errc::buffer_too_small;
            std::copy_n(pending_.begin(), *pending_len_, buffer.begin());
            return std::exchange(pending_len_, std::nullopt).value();
        }
        while (true) {
            auto n = inner_.receive(buffer, now);
            if (!n) return n;
            if (rx_.drop(rx_.g)) {
                ++counters_.rx_dropped;
                continue;
            }
            const mut_bytes frame = buffer.first(*n);
            if (*n > 0 && rx_.corrupt(rx_.g)) {
                flip_one_bit(frame, rx_.g);
                ++counters_.rx_corrupted;
            }
            if (rx_.duplicate(rx_.g)) {
                std::copy(frame.begin(), frame.end(), pending_.begin());
                pending_len_ = *n;
                ++counters_.rx_duplicated;
            }
            return n;
        }
    }

    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<instant> next_deadline() const {
        if (pending_len_) return instant{};  // a duplicate is due now
        return inner_.next_deadline();
    }
    [[nodiscard]] int poll_fd() const { return inner_.poll_fd(); }
    [[nodiscard]] bool writable() const { return link::writable(inner_); }

    [[nodiscard]] const fault_counters& counters() const noexcept { return counters_; }
    [[nodiscard]] Inner& inner() noexcept { return inner_; }

private:
    struct direction {
        direction(const fault_rates& r, std::uint64_t seed, std::uint64_t which)
            : drop{r.drop}, duplicate{r.duplicate}, corrupt{r.corrupt}, g{sim::mix64(seed ^ sim::mix64(which + 1))} {}
        sim::chance drop, duplicate, corrupt;
        sim::rng g;
    };

    static void flip_one_bit(mut_bytes frame, sim::rng& g) {
        const std::uint64_t bit = sim::uniform_below(g, frame.size() * 8);
        frame[bit / 8] ^= static_cast<std::uint8_t>(0x80u >> (bit % 8));
    }

    Inner inner_;
    direction tx_, rx_;
    std::vector<std::uint8_t> scratch_, pending_;
    std::optional<std::size_t> pending_len_;
    fault_counters counters_;
};

}  // namespace l4::link
