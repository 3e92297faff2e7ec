// checksum::update_copy (concept.hpp): the sum of what it copies, and the
// copy, are those of update() and memcpy, for the model with a one-pass
// kernel (internet, both paths around its vector threshold) and for the
// fallback every other model takes.
#include "support.hpp"

#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/internet.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <vector>

namespace {

using namespace l4::checksum;
using namespace l4::checksum::test;

template <class S>
void same_as_update_then_copy() {
    const auto length = *rc::gen::inRange<std::size_t>(0, 9000);
    const auto seed = *rc::gen::arbitrary<std::uint64_t>();
    const auto src = random_bytes(seed, length);
    // A state part-way through a message, its parity either way (the payload follows a header).
    const auto before = random_bytes(seed ^ 1, *rc::gen::inRange<std::size_t>(0, 64));
    const auto s0 = S::update(S::init(), before);
    std::vector<std::uint8_t> dst(length + 2, 0xEE);
    const auto copied = update_copy<S>(s0, src, dst.data() + 1);
    RC_ASSERT(copied == S::update(s0, src));
    RC_ASSERT(std::equal(src.begin(), src.end(), dst.begin() + 1));
    RC_ASSERT(dst.front() == 0xEE);  // nothing written outside [dst, dst + n)
    RC_ASSERT(dst.back() == 0xEE);
}

}  // namespace

TEST_CASE("update_copy: the internet checksum's one-pass copy sums what update sums and copies every byte",
          "[checksum][update_copy]") {
    rc::prop("internet", [] { same_as_update_then_copy<internet>(); });
    rc::prop("crc32c (the fallback: copy, then update)", [] { same_as_update_then_copy<crc32c>(); });
}
