// The stack's one socket table: every socket of every transport has a
// handle here. A slab with a free list (open and close O(1), no allocation
// once warm); a handle carries its slot's generation, so a closed socket's
// handle never reaches the socket that reuses the slot.
#pragma once

#include <l4/core/error.hpp>

#include <cstdint>
#include <vector>

namespace l4::net {

struct socket_id {
    std::uint32_t index = UINT32_MAX;
    std::uint32_t generation = 0;
    friend constexpr bool operator==(socket_id, socket_id) noexcept = default;
};

class socket_table {
public:
    struct entry {
        std::uint32_t generation = 0;
        std::uint32_t local = 0;     // the transport's own id for the socket
        std::uint8_t transport = 0;  // index of the transport in the stack
        bool open = false;
    };

    [[nodiscard]] socket_id open(std::uint8_t transport, std::uint32_t local) {
        std::uint32_t i;
        if (!free_.empty()) {
            i = free_.back();
            free_.pop_back();
        } else {
            i = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        }
        auto& e = slots_[i];
        e = entry{e.generation + 1, local, transport, true};
        ++open_;
        return {i, e.generation};
    }

    void close(socket_id id) {
        if (!find(id)) return;
        slots_[id.index].open = false;
        free_.push_back(id.index);
        --open_;
    }

    [[nodiscard]] const entry* find(socket_id id) const noexcept {
        if (id.index >= slots_.size()) return nullptr;
        const auto& e = slots_[id.index];
        return e.open && e.generation == id.generation ? &e : nullptr;
    }

    [[nodiscard]] std::size_t size() const noexcept { return open_; }

    // Every open socket, in slot order: fn(socket_id, const entry&).
    template <class F>
    void for_each(F&& fn) const {
        for (std::uint32_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].open) fn(socket_id{i, slots_[i].generation}, slots_[i]);
    }

private:
    std::vector<entry> slots_;
    std::vector<std::uint32_t> free_;
    std::size_t open_ = 0;
};

}  // namespace l4::net
