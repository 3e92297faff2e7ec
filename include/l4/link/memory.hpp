// Two connected link ends in one process: what one transmits, the other
// receives, immediately, in order, up to a bounded queue.
//
//     auto [a, b] = l4::link::memory_pair({.mtu = 1500, .queue_frames = 256});
//     a.transmit(frame, now);  b.receive(buffer, now);
#pragma once

#include <l4/core/frame_queue.hpp>
#include <l4/link/concept.hpp>

#include <memory>
#include <utility>

namespace l4::link {

struct memory_config {
    std::size_t mtu = 1500;
    std::size_t queue_frames = 256;  // per direction
};

class memory_end {
public:
    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) noexcept {
        auto r = out_->push(frame, now);
        if (r) {
            ++counters_.tx_frames;
            counters_.tx_bytes += frame.size();
        } else if (r.error() == errc::queue_full) {
            ++counters_.tx_dropped_full;
        } else if (r.error() == errc::frame_too_large) {
            ++counters_.tx_dropped_too_big;
        }
        return r;
    }

    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) noexcept {
        auto n = in_->pop_into(buffer, now);
        if (n) {
            ++counters_.rx_frames;
            counters_.rx_bytes += *n;
        }
        return n;
    }

    // Lending (concept.hpp, optional): frames are built in the queue's slot
    // and read where they lie, two copies fewer per frame.
    [[nodiscard]] mut_bytes transmit_buffer() noexcept { return out_->back_slot(); }
    [[nodiscard]] io_result<void> transmit_built(std::size_t len, instant now) noexcept {
        if (len > out_->slot_size()) {
            ++counters_.tx_dropped_too_big;
            return errc::frame_too_large;
        }
        if (out_->full()) {
            ++counters_.tx_dropped_full;
            return errc::queue_full;
        }
        out_->push_built(len, now);
        ++counters_.tx_frames;
        counters_.tx_bytes += len;
        return {};
    }
    [[nodiscard]] std::optional<bytes> receive_lent(instant now) noexcept { return in_->front_if_due(now); }
    void release_received() noexcept {
        if (in_->empty()) return;
        ++counters_.rx_frames;
        counters_.rx_bytes += in_->front().size();
        in_->pop();
    }

    [[nodiscard]] std::size_t mtu() const noexcept { return out_->slot_size(); }
    // Frames are due the moment they are sent: one waiting is due now (so a
    // driver never jumps time past it), and nothing else is ever scheduled.
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept {
        if (in_->empty()) return std::nullopt;
        return instant{};
    }
    [[nodiscard]] int poll_fd() const noexcept { return -1; }
    [[nodiscard]] bool has_pending() const noexcept { return !in_->empty(); }
    // The queue toward the peer drains as the peer receives.
    [[nodiscard]] bool writable() const noexcept { return !out_->full(); }
    [[nodiscard]] const link_counters& counters() const noexcept { return counters_; }

private:
    friend std::pair<memory_end, memory_end> memory_pair(memory_config);
    memory_end(std::shared_ptr<frame_queue> in, std::shared_ptr<frame_queue> out) noexcept
        : in_{std::move(in)}, out_{std::move(out)} {}

    std::shared_ptr<frame_queue> in_, out_;
    link_counters counters_;
};

[[nodiscard]] inline std::pair<memory_end, memory_end> memory_pair(memory_config cfg = {}) {
    auto a_to_b = std::make_shared<frame_queue>(cfg.queue_frames, cfg.mtu);
    auto b_to_a = std::make_shared<frame_queue>(cfg.queue_frames, cfg.mtu);
    return {memory_end{b_to_a, a_to_b}, memory_end{a_to_b, b_to_a}};
}

static_assert(check_link<memory_end>());
static_assert(lends_transmit<memory_end> && lends_receive<memory_end>);

}  // namespace l4::link
