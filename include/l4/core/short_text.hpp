// Fixed-capacity text for the short strings the wire layer prints
// (addresses, flag letters): built in place, no allocation, no <string>.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace l4 {

template <std::size_t N>
class short_text {
public:
    // Characters past the capacity are dropped; callers size N for their worst case.
    constexpr void push_back(char c) noexcept {
        if (size_ < N) chars_[size_++] = c;
    }
    constexpr void append(std::string_view s) noexcept {
        for (char c : s) push_back(c);
    }
    // Decimal, without leading zeros.
    constexpr void append_decimal(unsigned v) noexcept {
        char digits[10];
        std::size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + v % 10);
            v /= 10;
        } while (v != 0);
        while (n > 0) push_back(digits[--n]);
    }

    [[nodiscard]] constexpr bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] constexpr char back() const noexcept { return chars_[size_ - 1]; }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars_.data(), size_}; }

private:
    std::array<char, N> chars_{};
    std::size_t size_ = 0;
};

}  // namespace l4
