// Fuzz target: a TCP segment from arbitrary bytes, under libFuzzer's own
// mutations. The input format and the oracles are in tcp_target.hpp;
// fuzz/tcp_valid.cpp runs the same oracles with a mutator that keeps the
// segment well-formed and its checksum right.
#include "tcp_target.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    l4::fuzz::tcp_target::run(data, size);
    return 0;
}
