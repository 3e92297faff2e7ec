// A counter per error class: what a layer dropped, by what was wrong with it.
//
// A parser says why it refused its input with an errc (truncated,
// bad_data_offset, bad_option_length, length_mismatch, ...); a layer that
// drops the input adds that errc here, so that every class of malformed
// input has its own counter without a field per class in every layer's
// statistics, and a new class is counted the day a parser starts to return it.
//
//   counts.add(v.error());
//   counts[errc::bad_data_offset]   // how many had that
//   counts.total()                  // all of them
#pragma once

#include <l4/core/error.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>

namespace l4 {

class error_counts {
public:
    void add(errc e) noexcept {
        const auto i = static_cast<std::size_t>(e);
        if (i < n_.size()) ++n_[i];
    }
    [[nodiscard]] std::uint64_t operator[](errc e) const noexcept {
        const auto i = static_cast<std::size_t>(e);
        return i < n_.size() ? n_[i] : 0;
    }
    [[nodiscard]] std::uint64_t total() const noexcept { return std::accumulate(n_.begin(), n_.end(), std::uint64_t{0}); }

private:
    std::array<std::uint64_t, static_cast<std::size_t>(errc::sentinel_)> n_{};
};

}  // namespace l4
