// Frame storage for the simulator: MTU-sized slots reused through a free list.
//
// A frame is copied into a slot once, when a port transmits it, and out once,
// when a port receives it; in between, queues, the heap and the in-flight
// pipes pass its 32-bit slot number around. Slots come in chunks of 64 that
// are never moved or freed, so the pool grows while the network warms up
// (queues fill, pipes fill) and then stops allocating: the free list is a
// stack, so a released slot is the next one handed out, still in cache.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace l4::link::sim {

using slot_id = std::uint32_t;

// What travels with a frame: its length, and where it is on its fixed path
// (see network.hpp: a frame carries the step of its path it is at, no
// routing).
struct frame_meta {
    std::uint32_t len = 0;
    std::uint32_t step = 0;
};

class frame_pool {
public:
    static constexpr std::size_t chunk_slots = 64;

    explicit frame_pool(std::size_t slot_size) : slot_size_{slot_size} {}

    [[nodiscard]] slot_id allocate() {
        if (free_.empty()) grow();
        const slot_id s = free_.back();
        free_.pop_back();
        return s;
    }
    void release(slot_id s) noexcept {
        // Capacity for every slot was reserved in grow(): no allocation here.
        free_.push_back(s);
    }
    // A new slot holding a copy of s (bytes and meta): duplication.
    [[nodiscard]] slot_id clone(slot_id s) {
        const slot_id c = allocate();
        meta_[c] = meta_[s];
        std::copy_n(data(s), meta_[s].len, data(c));
        return c;
    }

    [[nodiscard]] std::uint8_t* data(slot_id s) noexcept {
        return chunks_[s / chunk_slots].get() + (s % chunk_slots) * slot_size_;
    }
    [[nodiscard]] const std::uint8_t* data(slot_id s) const noexcept {
        return chunks_[s / chunk_slots].get() + (s % chunk_slots) * slot_size_;
    }
    // References stay valid until the next allocate() (which may grow).
    [[nodiscard]] frame_meta& meta(slot_id s) noexcept { return meta_[s]; }
    [[nodiscard]] const frame_meta& meta(slot_id s) const noexcept { return meta_[s]; }

    [[nodiscard]] std::size_t slot_size() const noexcept { return slot_size_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return meta_.size(); }
    [[nodiscard]] std::size_t in_use() const noexcept { return meta_.size() - free_.size(); }

private:
    void grow() {
        const std::size_t first = meta_.size();
        chunks_.push_back(std::make_unique<std::uint8_t[]>(chunk_slots * slot_size_));
        meta_.resize(first + chunk_slots);
        free_.reserve(meta_.size());
        // Pushed in reverse so the lowest slot is handed out first.
        for (std::size_t i = chunk_slots; i-- > 0;) free_.push_back(static_cast<slot_id>(first + i));
    }

    std::size_t slot_size_;
    std::vector<std::unique_ptr<std::uint8_t[]>> chunks_;
    std::vector<frame_meta> meta_;
    std::vector<slot_id> free_;
};

}  // namespace l4::link::sim
