// A bounded FIFO of frames stored in one allocation made up front.
//
// Every slot holds up to `slot_size` bytes; pushing copies the frame in and
// popping copies it out, so steady-state traffic never touches the heap.
// Each frame carries the instant it becomes due, for links that delay.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/time.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace l4 {

class frame_queue {
public:
    frame_queue(std::size_t capacity, std::size_t slot_size)
        : capacity_{capacity}, slot_size_{slot_size}, data_(capacity * slot_size), meta_(capacity) {}

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] std::size_t slot_size() const noexcept { return slot_size_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] bool full() const noexcept { return count_ == capacity_; }
    [[nodiscard]] std::size_t bytes_queued() const noexcept { return bytes_; }

    [[nodiscard]] result<void> push(bytes frame, instant due = {}) noexcept {
        if (frame.size() > slot_size_) return errc::frame_too_large;
        if (full()) return errc::queue_full;
        const std::size_t slot = (head_ + count_) % capacity_;
        std::copy(frame.begin(), frame.end(), data_.begin() + static_cast<std::ptrdiff_t>(slot * slot_size_));
        meta_[slot] = {frame.size(), due};
        ++count_;
        bytes_ += frame.size();
        return {};
    }

    // The slot the next push fills, for a frame built in place (empty when
    // the queue is full); push_built(len) then queues its first len bytes.
    [[nodiscard]] mut_bytes back_slot() noexcept {
        if (full()) return {};
        return {data_.data() + ((head_ + count_) % capacity_) * slot_size_, slot_size_};
    }
    // Precondition: !full() and len <= slot_size(); the bytes were written into back_slot().
    void push_built(std::size_t len, instant due = {}) noexcept {
        meta_[(head_ + count_) % capacity_] = {len, due};
        ++count_;
        bytes_ += len;
    }

    // When the frame at the front is due, if there is one.
    [[nodiscard]] std::optional<instant> front_due() const noexcept {
        if (empty()) return std::nullopt;
        return meta_[head_].due;
    }
    [[nodiscard]] bytes front() const noexcept {
        return {data_.data() + head_ * slot_size_, empty() ? 0 : meta_[head_].len};
    }

    // The front frame where it lies, if it is due by `now`: valid until pop().
    [[nodiscard]] std::optional<bytes> front_if_due(instant now) const noexcept {
        if (empty() || meta_[head_].due > now) return std::nullopt;
        return front();
    }

    void pop() noexcept {
        if (empty()) return;
        bytes_ -= meta_[head_].len;
        head_ = (head_ + 1) % capacity_;
        // Empty: start again at the first slot, so that a queue which drains
        // keeps reusing the slots still in the caches instead of walking the
        // whole allocation (a 2048-frame memory link is 3 MB).
        if (--count_ == 0) head_ = 0;
    }

    void clear() noexcept { head_ = count_ = bytes_ = 0; }

    // Copies the front frame out if it is due by `now`; the link receive path.
    [[nodiscard]] result<std::size_t> pop_into(mut_bytes out, instant now) noexcept {
        if (empty() || meta_[head_].due > now) return errc::would_block;
        const bytes f = front();
        if (out.size() < f.size()) return errc::buffer_too_small;
        std::copy(f.begin(), f.end(), out.begin());
        pop();
        return f.size();
    }

private:
    struct meta {
        std::size_t len = 0;
        instant due{};
    };
    std::size_t capacity_, slot_size_;
    std::vector<std::uint8_t> data_;
    std::vector<meta> meta_;
    std::size_t head_ = 0, count_ = 0, bytes_ = 0;
};

}  // namespace l4
