// Fuzz target: every checksum strategy and path against its reference.
//
// Input (FuzzedDataProvider): the control values come off the end of the
// input (how to cut the message into spans, where it sits in memory, which
// field to rewrite and with what), and the bytes left at the front are the
// message, so a seed that is a real segment stays one.
//
// Oracles:
//   Internet (RFC 1071): internet_portable, internet_avx2, internet and
//     incremental agree with internet_reference, on the whole message, on
//     the message fed as several spans of any (odd) lengths, with a state
//     passed from one path to another, and at any alignment; verify accepts
//     exactly what internet_reference's verify accepts, and never a
//     single-bit change of the right value. Rarely, a message of over 1 MiB
//     (the input repeated) reaches the AVX2 kernel's 8192-iteration blocks.
//   CRC32C: crc32c_portable, crc32c_sse42 and crc32c agree with a bitwise
//     CRC written below from RFC 3720 §12.1, in one span and in several.
//   none: computes 0 and verifies everything.
//   RFC 1624 (incremental.hpp): update16, update32 and update of a field at
//     an even offset give the checksum a full recomputation gives; the one
//     documented exception is a message that becomes all zero, where Eqn. 3
//     gives 0x0000 and a full computation 0xFFFF, and that is checked too.
#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/incremental.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/checksum/none.hpp>

#include "oracle.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using namespace l4::checksum;
using l4::bytes;

// RFC 3720 §12.1 one bit at a time: reflected polynomial 0x82F63B78,
// register preset to ones, result complemented.
std::uint32_t crc32c_bitwise(bytes b) {
    std::uint32_t crc = 0xFFFFFFFF;
    for (std::uint8_t byte : b) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// The message cut at the given points (sorted, clamped): spans of any
// length, empty ones included.
std::vector<bytes> cut(bytes msg, std::vector<std::size_t> at) {
    for (auto& a : at) a = msg.empty() ? 0 : a % (msg.size() + 1);
    std::sort(at.begin(), at.end());
    std::vector<bytes> spans;
    std::size_t from = 0;
    for (std::size_t a : at) {
        spans.push_back(msg.subspan(from, a - from));
        from = a;
    }
    spans.push_back(msg.subspan(from));
    return spans;
}

template <class S>
typename S::state feed(const std::vector<bytes>& spans, typename S::state s = S::init()) {
    for (bytes b : spans) s = S::update(s, b);
    return s;
}

// One Internet model against the reference.
template <class S>
void check_internet(bytes msg, const std::vector<bytes>& spans, std::uint16_t expect, std::uint16_t stored,
                    bool stored_verifies) {
    L4_FUZZ_CHECK(S::compute(msg) == expect);
    // Law 1. Not state equality: the state is a sum modulo 2^64 - 1 whose
    // span-wise byte swaps agree with the whole-message sum only modulo
    // 2^16 - 1, all that finish and verify read (internet.hpp).
    const auto pieces = feed<S>(spans);
    L4_FUZZ_CHECK(S::finish(S::update(S::init(), msg)) == expect);
    L4_FUZZ_CHECK(S::finish(pieces) == expect);
    L4_FUZZ_CHECK(S::verify(pieces, expect));  // law 2
    for (int bit = 0; bit < 16; ++bit)      // law 3, on the stored value
        L4_FUZZ_CHECK(!S::verify(pieces, static_cast<std::uint16_t>(expect ^ (1u << bit))));
    L4_FUZZ_CHECK(S::verify(pieces, stored) == stored_verifies);
}

// The spans fed alternately to the three fast paths: a state started on
// one continues on another (internet.hpp: they share internet_state).
std::uint16_t mixed_paths(const std::vector<bytes>& spans) {
    detail::internet_state s{};
    for (std::size_t i = 0; i < spans.size(); ++i) {
        switch (i % 3) {
        case 0: s = internet_portable::update(s, spans[i]); break;
        case 1: s = internet_avx2::update(s, spans[i]); break;
        default: s = internet::update(s, spans[i]); break;
        }
    }
    return internet::finish(s);
}

template <class S>
void check_crc(bytes msg, const std::vector<bytes>& spans, std::uint32_t expect) {
    L4_FUZZ_CHECK(S::compute(msg) == expect);
    const auto pieces = feed<S>(spans);
    L4_FUZZ_CHECK(S::finish(pieces) == expect);
    L4_FUZZ_CHECK(S::verify(pieces, expect));
    L4_FUZZ_CHECK(!S::verify(pieces, expect ^ 0x00010000u));
}

// RFC 1624: rewrite `len` bytes at even offset `off` of `msg` (whose
// checksum is hc) to `repl`, with `how` = 0 update16, 1 update32, 2 update.
void check_rfc1624(std::vector<std::uint8_t> msg, std::size_t off, std::size_t len, bytes repl, int how) {
    const std::uint16_t hc = internet_reference::compute(msg);
    std::vector<std::uint8_t> old_field(msg.begin() + static_cast<std::ptrdiff_t>(off),
                                        msg.begin() + static_cast<std::ptrdiff_t>(off + len));
    std::copy(repl.begin(), repl.end(), msg.begin() + static_cast<std::ptrdiff_t>(off));
    std::uint16_t updated = 0;
    switch (how) {
    case 0: updated = incremental::update16(hc, l4::load_be16(old_field.data()), l4::load_be16(msg.data() + off)); break;
    case 1: updated = incremental::update32(hc, l4::load_be32(old_field.data()), l4::load_be32(msg.data() + off)); break;
    default: updated = incremental::update(hc, old_field, repl); break;
    }
    const std::uint16_t full = internet_reference::compute(msg);
    const bool all_zero = std::all_of(msg.begin(), msg.end(), [](auto b) { return b == 0; });
    const bool unchanged = std::ranges::equal(old_field, repl);
    if (all_zero && !unchanged) {
        // incremental.hpp, "The two zeros", second corner.
        L4_FUZZ_CHECK(full == 0xFFFF && updated == 0x0000);
        return;
    }
    L4_FUZZ_CHECK(updated == full);
    L4_FUZZ_CHECK(incremental::verify(incremental::update(incremental::init(), msg), updated));
}

// Over 1 MiB: the input repeated (an even period keeps every copy's bytes
// in the same halves of their words), so the reference sum is the period's
// times the count plus the tail's, without a byte-at-a-time pass.
void check_large(bytes period_in, std::size_t extra) {
    std::vector<std::uint8_t> period(period_in.begin(), period_in.end());
    if (period.size() % 2) period.push_back(period.empty() ? 0xFF : period.front());
    if (period.empty()) period = {0xFF, 0xFF};
    const std::size_t target = (std::size_t{1} << 20) + 128 * 4 + extra;  // past one 8192 x 128-byte block
    const std::size_t copies = target / period.size();
    const std::size_t tail = extra % period.size();
    std::vector<std::uint8_t> big(copies * period.size() + tail);
    std::copy(period.begin(), period.end(), big.begin());
    for (std::size_t have = period.size(); have < big.size(); have *= 2)  // doubling copies
        std::copy_n(big.begin(), std::min(have, big.size() - have), big.begin() + static_cast<std::ptrdiff_t>(have));

    internet_reference::state ref = internet_reference::update({}, period);
    ref.sum *= copies;
    ref.length *= copies;
    ref = internet_reference::update(ref, bytes{period}.first(tail));
    const std::uint16_t expect = internet_reference::finish(ref);

    L4_FUZZ_CHECK(internet_portable::compute(big) == expect);
    L4_FUZZ_CHECK(internet_avx2::compute(big) == expect);
    L4_FUZZ_CHECK(internet::compute(big) == expect);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider fdp(data, size);
    const auto n_cuts = fdp.ConsumeIntegralInRange<std::size_t>(0, 6);
    std::vector<std::size_t> cuts;
    for (std::size_t i = 0; i < n_cuts; ++i) cuts.push_back(fdp.ConsumeIntegral<std::uint16_t>());
    const auto skew = fdp.ConsumeIntegralInRange<std::size_t>(0, 63);
    const auto stored = fdp.ConsumeIntegral<std::uint16_t>();
    const auto edit_at = fdp.ConsumeIntegral<std::uint16_t>();
    const int how = fdp.ConsumeIntegralInRange<int>(0, 2);
    const auto field_len = fdp.ConsumeIntegralInRange<std::size_t>(1, 16);
    const auto repl = fdp.ConsumeBytes<std::uint8_t>(16);
    const auto large = fdp.ConsumeIntegral<std::uint16_t>();
    const std::vector<std::uint8_t> rest = fdp.ConsumeRemainingBytes<std::uint8_t>();

    // The message at a chosen misalignment, in a buffer of exactly its size
    // past that point, so an overread is seen by ASan.
    std::vector<std::uint8_t> storage(skew + rest.size());
    std::copy(rest.begin(), rest.end(), storage.begin() + static_cast<std::ptrdiff_t>(skew));
    const bytes msg = bytes{storage}.subspan(skew);
    const std::vector<bytes> spans = cut(msg, cuts);

    // Internet.
    const auto ref_state = feed<internet_reference>(spans);
    L4_FUZZ_CHECK(ref_state == internet_reference::update({}, msg));
    const std::uint16_t expect = internet_reference::finish(ref_state);
    L4_FUZZ_CHECK(internet_reference::compute(msg) == expect);
    const bool stored_verifies = internet_reference::verify(ref_state, stored);
    // RFC 1071 §1 by hand: the stored value verifies when the sum with it is all ones.
    {
        std::uint64_t s = internet_reference::folded(ref_state) + std::uint64_t{stored};
        while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
        L4_FUZZ_CHECK(stored_verifies == (s == 0xFFFF));
    }
    check_internet<internet_portable>(msg, spans, expect, stored, stored_verifies);
    check_internet<internet_avx2>(msg, spans, expect, stored, stored_verifies);
    check_internet<internet>(msg, spans, expect, stored, stored_verifies);
    check_internet<incremental>(msg, spans, expect, stored, stored_verifies);
    L4_FUZZ_CHECK(mixed_paths(spans) == expect);
    // Only an all-zero message has the checksum 0xFFFF (internet.hpp).
    L4_FUZZ_CHECK((expect == 0xFFFF) == std::all_of(msg.begin(), msg.end(), [](auto b) { return b == 0; }));

    // CRC32C.
    const std::uint32_t crc = crc32c_bitwise(msg);
    check_crc<crc32c_portable>(msg, spans, crc);
    check_crc<crc32c_sse42>(msg, spans, crc);
    check_crc<crc32c>(msg, spans, crc);

    // none.
    L4_FUZZ_CHECK(none::compute(msg) == 0 && none::finish(feed<none>(spans)) == 0);
    L4_FUZZ_CHECK(none::verify(feed<none>(spans), stored));

    // RFC 1624 at an even offset.
    const std::size_t len = how == 0 ? 2 : how == 1 ? 4 : field_len;
    if (msg.size() >= len && repl.size() >= len) {
        const std::size_t off = (edit_at % (msg.size() - len + 1)) & ~std::size_t{1};
        check_rfc1624({msg.begin(), msg.end()}, off, len, bytes{repl}.first(len), how);
    }

    // Rarely (a 16-bit magic, short messages only: ~10 ms each): past the
    // AVX2 kernel's block size.
    if (large == 0x4C34 && msg.size() <= 8) check_large(msg, edit_at % 512);
    return 0;
}

// The extremes of the AVX2 kernel's 32-bit lanes, once per process: all
// words 0x0000 add -65536 per pair (the lanes reach exactly -2^31 over a
// full block), all words 0xFFFF add +65534.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    for (std::uint8_t fill : {0x00, 0xFF, 0x80, 0x7F}) {
        const std::array<std::uint8_t, 2> period{fill, fill};
        check_large(period, 0);
        check_large(period, 127);
    }
    const std::array<std::uint8_t, 2> mixed{0xFF, 0x00};
    check_large(mixed, 1);
    return 0;
}
