// 32-bit sequence numbers with RFC 1982 serial-number arithmetic.
//
// Sequence numbers wrap, so they have no total order: `a < b` means "b is
// ahead of a by less than 2^31". When the two are exactly 2^31 apart neither
// is less than the other (RFC 1982 §3.2 leaves it undefined); we answer false
// both ways rather than pretend. There is deliberately no operator<=> and no
// conversion to an integer: use `.raw()` where the wire needs the bits.
#pragma once

#include <cstdint>
#include <ostream>

namespace l4 {

class seq32 {
public:
    constexpr seq32() noexcept = default;
    constexpr explicit seq32(std::uint32_t raw) noexcept : raw_{raw} {}

    [[nodiscard]] constexpr std::uint32_t raw() const noexcept { return raw_; }

    // RFC 1982 §3.1: addition of n in [0, 2^31 - 1], modulo 2^32.
    constexpr seq32& operator+=(std::uint32_t n) noexcept {
        raw_ += n;
        return *this;
    }
    constexpr seq32& operator-=(std::uint32_t n) noexcept {
        raw_ -= n;
        return *this;
    }
    friend constexpr seq32 operator+(seq32 s, std::uint32_t n) noexcept { return s += n; }
    friend constexpr seq32 operator-(seq32 s, std::uint32_t n) noexcept { return s -= n; }

    // Signed distance from b to a (a - b), valid when |a - b| < 2^31. Wraps
    // rather than overflowing, so no input can make it undefined.
    friend constexpr std::int32_t operator-(seq32 a, seq32 b) noexcept {
        return static_cast<std::int32_t>(a.raw_ - b.raw_);
    }

    friend constexpr bool operator==(seq32, seq32) noexcept = default;

    // RFC 1982 §3.2: i1 < i2 iff (i1 < i2 and i2 - i1 < 2^31) or (i1 > i2 and i1 - i2 > 2^31).
    friend constexpr bool operator<(seq32 a, seq32 b) noexcept {
        const std::uint32_t d = b.raw_ - a.raw_;
        return d != 0 && d < 0x8000'0000u;
    }
    friend constexpr bool operator>(seq32 a, seq32 b) noexcept { return b < a; }
    // a == b or a < b: b - a in [0, 2^31), one comparison and no branch.
    friend constexpr bool operator<=(seq32 a, seq32 b) noexcept { return b.raw_ - a.raw_ < 0x8000'0000u; }
    friend constexpr bool operator>=(seq32 a, seq32 b) noexcept { return b <= a; }

    friend std::ostream& operator<<(std::ostream& os, seq32 s) { return os << s.raw_; }

private:
    std::uint32_t raw_ = 0;
};

// RFC 9293 §3.4: is s inside the half-open window [lo, lo + len)?
[[nodiscard]] constexpr bool in_window(seq32 s, seq32 lo, std::uint32_t len) noexcept {
    return static_cast<std::uint32_t>(s - lo) < len;
}

}  // namespace l4
