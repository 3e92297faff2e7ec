// RFC 1624 incremental updates equal a full recomputation: for 16-bit
// words, 32-bit words and 16-byte fields, for unchanged fields, and at the
// +0/-0 corners the RFC and its erratum are about.
#include "support.hpp"

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <vector>

namespace {

using namespace l4::checksum;
using namespace l4::checksum::test;

// Bytes a TCP checksum covers: a pseudo-header, the header, some payload.
struct segment {
    std::vector<std::uint8_t> bytes;
    std::size_t checksum_offset;  // where the field is; its bytes are ignored
    std::size_t fixed_offset;     // the protocol word: never rewritten, so never all zero

    // The checksum a full computation gives for the bytes as they are now.
    [[nodiscard]] std::uint16_t full() const {
        return internet::finish(state_with_zero_field<internet>(bytes, checksum_offset));
    }
    [[nodiscard]] std::uint16_t word(std::size_t at) const { return l4::load_be16(bytes.data() + at); }
    [[nodiscard]] std::uint32_t word32(std::size_t at) const { return l4::load_be32(bytes.data() + at); }
    void set_word(std::size_t at, std::uint16_t v) { l4::store_be16(bytes.data() + at, v); }
    void set_word32(std::size_t at, std::uint32_t v) { l4::store_be32(bytes.data() + at, v); }

    // Whether [at, at + n) may be rewritten.
    [[nodiscard]] bool free(std::size_t at, std::size_t n) const {
        const auto overlaps = [&](std::size_t o) { return at < o + 2 && o < at + n; };
        return at + n <= bytes.size() && !overlaps(checksum_offset) && !overlaps(fixed_offset);
    }
};

// RFC 9293 §3.1: IPv4 pseudo-header (12 bytes, protocol 6 at offset 9),
// TCP header (checksum at 16), payload of any length.
segment gen_ipv4_segment() {
    const auto payload = *rc::gen::inRange<std::size_t>(0, 64);
    segment s{random_bytes(*rc::gen::arbitrary<std::uint64_t>(), 12 + 20 + payload), 12 + 16, 8};
    s.set_word(8, 0x0006);
    return s;
}

// RFC 8200 §8.1: IPv6 pseudo-header (40 bytes, next header 6 at offset 39),
// TCP header (checksum at 16), payload.
segment gen_ipv6_segment() {
    const auto payload = *rc::gen::inRange<std::size_t>(0, 64);
    segment s{random_bytes(*rc::gen::arbitrary<std::uint64_t>(), 40 + 20 + payload), 40 + 16, 38};
    s.set_word(36, 0);
    s.set_word(38, 0x0006);
    return s;
}

// An even offset where n bytes may be rewritten.
std::size_t gen_field(const segment& s, std::size_t n) {
    return *rc::gen::suchThat(rc::gen::map(rc::gen::inRange<std::size_t>(0, (s.bytes.size() - n) / 2 + 1),
                                           [](std::size_t i) { return 2 * i; }),
                              [&](std::size_t at) { return s.free(at, n); });
}

// Half the time the new value equals the old one: erratum 4782's case.
std::uint16_t gen_new_word(std::uint16_t old) {
    return *rc::gen::oneOf(rc::gen::just(old), rc::gen::arbitrary<std::uint16_t>());
}
std::uint32_t gen_new_word32(std::uint32_t old) {
    return *rc::gen::oneOf(rc::gen::just(old), rc::gen::arbitrary<std::uint32_t>());
}

// Rewrites the urgent pointer (TCP offset 18) so that the checksum is 0x0000:
// the words then sum to 0xFFFF (-0).
void make_checksum_zero(segment& s) {
    const std::size_t urgent = s.checksum_offset + 2;
    s.set_word(urgent, 0);
    s.set_word(urgent, s.full());  // S + ~S = 0xFFFF
}

// RFC 768: a computed 0x0000 is transmitted as 0xFFFF.
std::uint16_t udp_form(std::uint16_t v) { return v == 0 ? 0xFFFF : v; }

}  // namespace

TEST_CASE("incremental is the Internet checksum when computed from scratch", "[checksum][incremental]") {
    const auto bytes = random_bytes(3, 1501);
    CHECK(incremental::compute(bytes) == internet::compute(bytes));
    STATIC_REQUIRE(incremental::name == "incremental");
}

TEST_CASE("rewriting a 16-bit word equals recomputing", "[checksum][incremental]") {
    rc::prop("update16 on a random word of a random IPv4 segment", [] {
        auto s = gen_ipv4_segment();
        const auto at = gen_field(s, 2);
        const auto hc = s.full();
        const auto m = s.word(at), m_new = gen_new_word(m);
        s.set_word(at, m_new);
        RC_ASSERT(incremental::update16(hc, m, m_new) == s.full());
    });
    rc::prop("update16 when the old checksum is 0x0000", [] {
        auto s = gen_ipv4_segment();
        make_checksum_zero(s);
        RC_ASSERT(s.full() == 0x0000);
        const auto at = gen_field(s, 2);
        const auto m = s.word(at), m_new = gen_new_word(m);
        s.set_word(at, m_new);
        RC_ASSERT(incremental::update16(0x0000, m, m_new) == s.full());
    });
    rc::prop("update16 to a value that makes the checksum 0x0000 gives +0, never 0xFFFF", [] {
        auto s = gen_ipv4_segment();
        const auto at = gen_field(s, 2);
        const auto hc = s.full();
        const auto m = s.word(at);
        s.set_word(at, 0);
        const auto m_new = s.full();  // the word that completes the sum to 0xFFFF
        s.set_word(at, m_new);
        RC_ASSERT(s.full() == 0x0000);
        RC_ASSERT(incremental::update16(hc, m, m_new) == 0x0000);
    });
}

TEST_CASE("rewriting a 32-bit word equals recomputing", "[checksum][incremental]") {
    rc::prop("update32 on a random 32-bit word (an address, a sequence number)", [] {
        auto s = gen_ipv4_segment();
        const auto at = gen_field(s, 4);
        const auto hc = s.full();
        const auto m = s.word32(at), m_new = gen_new_word32(m);
        s.set_word32(at, m_new);
        RC_ASSERT(incremental::update32(hc, m, m_new) == s.full());
    });
    rc::prop("update32 when the old checksum is 0x0000", [] {
        auto s = gen_ipv4_segment();
        make_checksum_zero(s);
        const auto at = gen_field(s, 4);
        const auto m = s.word32(at), m_new = gen_new_word32(m);
        s.set_word32(at, m_new);
        RC_ASSERT(incremental::update32(0x0000, m, m_new) == s.full());
    });
}

TEST_CASE("rewriting a 16-byte field equals recomputing", "[checksum][incremental]") {
    rc::prop("update on an IPv6 source or destination address (NAT66, RFC 6296 style)", [] {
        auto s = gen_ipv6_segment();
        const std::size_t at = *rc::gen::element<std::size_t>(0, 16);
        if (*rc::gen::arbitrary<bool>()) make_checksum_zero(s);
        const auto hc = s.full();
        const std::vector<std::uint8_t> old_field(s.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                                  s.bytes.begin() + static_cast<std::ptrdiff_t>(at + 16));
        const auto new_field = *rc::gen::oneOf(rc::gen::just(old_field),
                                               rc::gen::container<std::vector<std::uint8_t>>(
                                                   16, rc::gen::arbitrary<std::uint8_t>()));
        std::copy(new_field.begin(), new_field.end(), s.bytes.begin() + static_cast<std::ptrdiff_t>(at));
        RC_ASSERT(incremental::update(hc, old_field, new_field) == s.full());
    });
    rc::prop("update on any even-offset field of any length, odd lengths included", [] {
        auto s = gen_ipv6_segment();
        const auto n = *rc::gen::inRange<std::size_t>(1, 20);
        const auto at = gen_field(s, n);
        const auto hc = s.full();
        const std::vector<std::uint8_t> old_field(s.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                                  s.bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
        const auto new_field = random_bytes(*rc::gen::arbitrary<std::uint64_t>(), n);
        std::copy(new_field.begin(), new_field.end(), s.bytes.begin() + static_cast<std::ptrdiff_t>(at));
        RC_ASSERT(incremental::update(hc, old_field, new_field) == s.full());
    });
}

TEST_CASE("RFC 1624 §4: Eqn. 3 gives +0 where RFC 1141's Eqn. 2 gave -0", "[checksum][incremental]") {
    // The RFC's example: HC = 0xDD2F, a word changes from 0x5555 to 0x3285.
    CHECK(incremental::update16(0xDD2F, 0x5555, 0x3285) == 0x0000);
}

TEST_CASE("RFC 1624 erratum 4782: an unchanged field leaves the checksum unchanged", "[checksum][incremental]") {
    CHECK(incremental::update16(0x0000, 0x5555, 0x5555) == 0x0000);
    CHECK(incremental::update16(0xFFFF, 0x5555, 0x5555) == 0xFFFF);
    CHECK(incremental::update32(0xFFFF, 0xC0A80001, 0xC0A80001) == 0xFFFF);
    const std::vector<std::uint8_t> field(16, 0xAB);
    CHECK(incremental::update(0xFFFF, field, field) == 0xFFFF);
}

TEST_CASE("a UDP checksum sent as 0xFFFF stays valid through rewrites", "[checksum][incremental]") {
    rc::prop("the result verifies and equals recomputation up to RFC 768's zero rule", [] {
        auto s = gen_ipv4_segment();
        make_checksum_zero(s);
        const std::uint16_t stored = 0xFFFF;  // RFC 768's form of 0x0000
        const auto at = gen_field(s, 2);
        const auto m = s.word(at), m_new = gen_new_word(m);
        s.set_word(at, m_new);
        const auto updated = incremental::update16(stored, m, m_new);
        if (m == m_new) RC_ASSERT(updated == 0xFFFF);  // never turned into "no checksum"
        RC_ASSERT(internet::verify(state_with_zero_field<internet>(s.bytes, s.checksum_offset), updated));
        RC_ASSERT(udp_form(updated) == udp_form(s.full()));
    });
}

TEST_CASE("rewrites of all-zero bytes, the corner documented in incremental.hpp", "[checksum][incremental]") {
    std::vector<std::uint8_t> bytes(20, 0);
    REQUIRE(internet::compute(bytes) == 0xFFFF);
    SECTION("from all zeros to anything else equals recomputing") {
        l4::store_be16(bytes.data() + 6, 0x1234);
        CHECK(incremental::update16(0xFFFF, 0x0000, 0x1234) == internet::compute(bytes));
    }
    SECTION("back to all zeros gives +0 where recomputing gives 0xFFFF") {
        const std::vector<std::uint8_t> before{0, 0, 0x12, 0x34};
        REQUIRE(internet::compute(before) == 0xEDCB);
        CHECK(incremental::update16(0xEDCB, 0x1234, 0x0000) == 0x0000);
        CHECK(internet::compute(std::vector<std::uint8_t>(4, 0)) == 0xFFFF);
    }
}

TEST_CASE("a router decrements the TTL of a real IPv4 header", "[checksum][incremental]") {
    // 20-byte IPv4 header, UDP, 192.168.0.1 -> 192.168.0.199, checksum 0xB861.
    std::vector<std::uint8_t> h{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                0xB8, 0x61, 0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7};
    REQUIRE(internet::verify(state_with_zero_field<internet>(h, 10), 0xB861));
    const auto recompute = [&] { return internet::finish(state_with_zero_field<internet>(h, 10)); };

    // RFC 1624 §2: TTL and protocol share one 16-bit word.
    const auto after_ttl = incremental::update16(0xB861, 0x4011, 0x3F11);
    h[8] = 0x3F;
    CHECK(after_ttl == recompute());

    // A NAT then rewrites the source address.
    const auto after_nat = incremental::update32(after_ttl, 0xC0A80001, 0x0A000001);
    l4::store_be32(h.data() + 12, 0x0A000001);
    CHECK(after_nat == recompute());
}
