// Every checksum strategy (l4/checksum/concept.hpp) in one include.
//
//   l4::checksum::internet      RFC 1071, AVX2 or 64-bit scalar chosen at run time
//   l4::checksum::incremental   internet plus RFC 1624 field rewrites
//   l4::checksum::crc32c        CRC32C, SSE4.2 or slicing-by-8 chosen at run time
//   l4::checksum::none          no check (trusted links, measurements)
// and the individual paths (internet_portable, internet_avx2, crc32c_portable,
// crc32c_sse42, internet_reference) for tests and benchmarks.
#pragma once

#include <l4/checksum/concept.hpp>
#include <l4/checksum/crc32c.hpp>
#include <l4/checksum/incremental.hpp>
#include <l4/checksum/internet.hpp>
#include <l4/checksum/none.hpp>

namespace l4::checksum {

L4_ASSERT_CHECKSUM_STRATEGY(internet_reference);
L4_ASSERT_CHECKSUM_STRATEGY(internet_portable);
L4_ASSERT_CHECKSUM_STRATEGY(internet_avx2);
L4_ASSERT_CHECKSUM_STRATEGY(internet);
L4_ASSERT_CHECKSUM_STRATEGY(incremental);
L4_ASSERT_CHECKSUM_STRATEGY(crc32c_portable);
L4_ASSERT_CHECKSUM_STRATEGY(crc32c_sse42);
L4_ASSERT_CHECKSUM_STRATEGY(crc32c);
L4_ASSERT_CHECKSUM_STRATEGY(none);

}  // namespace l4::checksum
