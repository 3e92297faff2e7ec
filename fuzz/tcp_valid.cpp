// Fuzz target: the oracles of fuzz/tcp.cpp (tcp_target.hpp), with a
// structure-aware mutator. After libFuzzer's own mutation it repairs what
// random bytes almost never get right, so the deep paths are reached:
//   - the pseudo-header's zero, protocol (6) and length fields;
//   - the data offset, brought into [5, min(15, size / 4)] words;
//   - the option list, cut with EOL at the first malformed length
//     (three mutations in four);
//   - the checksum, filled over pseudo-header and segment (seven in eight;
//     the eighth stays as mutated, so verification failures stay covered).
// libFuzzer turns len_control off with a custom mutator; run with
// -max_len if the default is too long.
#include "tcp_target.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/wire/tcp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

// Provided by libFuzzer; weak so that the g++ replay build, which never
// calls the mutator, links without it.
extern "C" __attribute__((weak)) std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size,
                                                              std::size_t max_size);

namespace {

void repair(std::uint8_t* data, std::size_t size, unsigned seed) {
    using namespace l4::wire;
    if (size == 0) return;
    const bool v6 = (data[0] & 1) != 0;
    const std::size_t plen = v6 ? 40 : 12;
    if (size < 1 + plen + tcp_header_len) return;
    std::uint8_t* pseudo = data + 1;
    std::uint8_t* seg = pseudo + plen;
    const std::size_t n = size - 1 - plen;

    if (v6) {  // RFC 8200 §8.1
        l4::store_be32(pseudo + 32, static_cast<std::uint32_t>(n));
        pseudo[36] = pseudo[37] = pseudo[38] = 0;
        pseudo[39] = 6;
    } else {  // RFC 9293 §3.1
        pseudo[8] = 0;
        pseudo[9] = 6;
        l4::store_be16(pseudo + 10, static_cast<std::uint16_t>(n));
    }

    const std::size_t max_words = std::min<std::size_t>(15, n / 4);
    std::size_t words = seg[12] >> 4;
    if (words < 5 || words > max_words) {
        words = 5 + (words + seed) % (max_words - 5 + 1);
        seg[12] = static_cast<std::uint8_t>((words << 4) | (seg[12] & 0x0F));
    }

    if (seed % 4 != 0) {
        std::uint8_t* o = seg + tcp_header_len;
        const std::size_t olen = words * 4 - tcp_header_len;
        std::size_t i = 0;
        while (i < olen && o[i] != option_kind::eol) {
            if (o[i] == option_kind::nop) {
                ++i;
                continue;
            }
            if (i + 1 >= olen || o[i + 1] < 2 || i + o[i + 1] > olen) {
                std::fill(o + i, o + olen, option_kind::eol);
                break;
            }
            i += o[i + 1];
        }
    }

    if (seed % 8 != 0)
        fill_checksum<l4::checksum::internet>(l4::bytes{pseudo, plen}, l4::mut_bytes{seg, n}, tcp_checksum_offset);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    l4::fuzz::tcp_target::run(data, size);
    return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    repair(data, size, seed);
    return size;
}
