// Shared by the fuzz targets in this folder: how an oracle fails, and small
// helpers that carry no logic of the library under test.
//
// A violated oracle is a bug, so it stops the process the way libFuzzer
// recognises as a crash and saves the input. __builtin_trap (not abort, not
// assert) because it works the same under libFuzzer, under the g++ replay
// main, and with NDEBUG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#define L4_FUZZ_CHECK(cond)           \
    do {                              \
        if (!(cond)) __builtin_trap(); \
    } while (false)

namespace l4::fuzz {

// The input as l4::bytes-compatible span.
[[nodiscard]] inline std::span<const std::uint8_t> input(const std::uint8_t* data, std::size_t size) noexcept {
    return {data, size};
}

// Splits `in` into a pseudo-header chosen by its first byte and the rest:
// bit 0 of byte 0 picks an IPv6 pseudo-header (40 bytes) over an IPv4 one
// (12 bytes). A short input gives what there is. Seeds carry a real
// pseudo-header, so the checksum-valid path is reached from the start.
struct split_input {
    std::span<const std::uint8_t> pseudo;
    std::span<const std::uint8_t> segment;
};
[[nodiscard]] inline split_input split_pseudo(std::span<const std::uint8_t> in) noexcept {
    if (in.empty()) return {};
    const std::size_t want = (in[0] & 1) ? 40 : 12;
    in = in.subspan(1);
    const std::size_t n = want < in.size() ? want : in.size();
    return {in.first(n), in.subspan(n)};
}

}  // namespace l4::fuzz
