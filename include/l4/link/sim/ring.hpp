// A FIFO of small trivially copyable records (slot numbers with times) that
// grows by doubling while the network warms up and then never allocates.
// Used for the queue at a channel's input, the frames in flight on a
// channel, and a port's received frames.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

namespace l4::link::sim {

template <class T>
class ring {
    static_assert(std::is_trivially_copyable_v<T>, "ring<T> holds plain records");

public:
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    void push_back(const T& v) {
        if (count_ == capacity_) grow();
        buf_[(head_ + count_) & mask_] = v;
        ++count_;
    }
    [[nodiscard]] T& front() noexcept { return buf_[head_]; }
    [[nodiscard]] const T& front() const noexcept { return buf_[head_]; }
    [[nodiscard]] const T& at(std::size_t i) const noexcept { return buf_[(head_ + i) & mask_]; }
    [[nodiscard]] const T& back() const noexcept { return buf_[(head_ + count_ - 1) & mask_]; }
    T pop_front() noexcept {
        const T v = buf_[head_];
        head_ = (head_ + 1) & mask_;
        --count_;
        return v;
    }

private:
    // Out of line: inlined, the allocation weighed on every push_back's
    // caller (registers saved and restored around it).
    [[gnu::noinline]] void grow() {
        // Capacity stays a power of two so positions wrap with a mask.
        std::vector<T> bigger(capacity_ == 0 ? 16 : capacity_ * 2);
        for (std::size_t i = 0; i < count_; ++i) bigger[i] = buf_[(head_ + i) & mask_];
        buf_.swap(bigger);
        capacity_ = buf_.size();
        mask_ = capacity_ - 1;
        head_ = 0;
    }

    std::vector<T> buf_;
    // buf_.size(), kept apart: a push or pop reads one word for it instead
    // of computing it from the vector's two pointers; and less one, the
    // mask a position wraps with.
    std::size_t capacity_ = 0;
    std::size_t mask_ = 0;
    std::size_t head_ = 0, count_ = 0;
};

}  // namespace l4::link::sim
