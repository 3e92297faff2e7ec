// The SACK scoreboard (RFC 6675 §3-4): what it records, what it deems
// lost, how much it says is in the network, and that it stays bounded.
#include "../support.hpp"

#include <l4/flow/scoreboard.hpp>
#include <l4/wire/tcp_options.hpp>

#include <rapidcheck/catch.h>

#include <cstdint>
#include <vector>

using namespace l4;

namespace {

constexpr std::uint32_t una = 1000, smss = 100;
const seq32 snd_una{una}, snd_max{una + 10'000};

std::vector<wire::sack_block> blocks(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> b) {
    std::vector<wire::sack_block> v;
    for (auto [l, r] : b) v.push_back({seq32{una + l}, seq32{una + r}});
    return v;
}

}  // namespace

TEST_CASE("scoreboard: blocks merge into disjoint ranges, ascending, and snd.una trims them",
          "[flow][scoreboard][sack]") {
    flow::scoreboard sb;
    CHECK(sb.update(snd_una, snd_max, blocks({{300, 400}, {100, 200}})).new_information);
    CHECK(sb.update(snd_una, snd_max, blocks({{200, 300}})).new_information);  // bridges the two
    REQUIRE(sb.ranges() == 1);
    CHECK(sb[0].left == seq32{una + 100});
    CHECK(sb[0].right == seq32{una + 400});
    CHECK(sb.sacked_bytes() == 300);
    sb.advance(seq32{una + 250});
    CHECK(sb.sacked_bytes() == 150);
    CHECK(sb.is_sacked(seq32{una + 300}));
    CHECK_FALSE(sb.is_sacked(seq32{una + 400}));
}

TEST_CASE("scoreboard: a first block at or below the cumulative ACK, or inside the second, is a D-SACK (RFC 2883 §4)",
          "[flow][scoreboard][dsack]") {
    flow::scoreboard sb;
    (void)sb.update(snd_una, snd_max, blocks({{100, 300}}));
    const auto below = sb.update(snd_una, snd_max, std::vector<wire::sack_block>{{seq32{una - 100}, seq32{una}}});
    CHECK(below.dsack == 1);
    const auto inside = sb.update(snd_una, snd_max, blocks({{150, 250}, {100, 300}}));
    CHECK(inside.dsack == 1);
    CHECK_FALSE(inside.new_information);
    // Beyond what was sent: forged or stale, not recorded.
    CHECK_FALSE(sb.update(snd_una, snd_max, blocks({{20'000, 20'100}})).new_information);
    CHECK(sb.ranges() == 1);
}

TEST_CASE("scoreboard: blocks a receiver repeats from earlier ACKs are not D-SACKs (RFC 2018 §4)",
          "[flow][scoreboard][dsack]") {
    flow::scoreboard sb;
    (void)sb.update(snd_una, snd_max, blocks({{100, 200}}));
    (void)sb.update(snd_una, snd_max, blocks({{300, 400}, {100, 200}}));
    // The newest block grew; the two behind it were reported before.
    const auto grown = sb.update(snd_una, snd_max, blocks({{300, 500}, {100, 200}, {300, 400}}));
    CHECK(grown.new_information);
    CHECK(grown.dsack == 0);
    // A retransmission filled the hole below 100 (the ACK moved): the blocks left are all old ones.
    const auto filled = sb.update(seq32{una + 50}, snd_max, blocks({{100, 200}, {300, 500}}));
    CHECK_FALSE(filled.new_information);
    CHECK(filled.dsack == 0);
    // A duplicate above the ACK: the first block inside the second.
    CHECK(sb.update(seq32{una + 50}, snd_max, blocks({{150, 200}, {100, 200}, {300, 500}})).dsack == 1);
}

TEST_CASE("scoreboard: bounded: blocks past its capacity are dropped and counted, never stored",
          "[flow][scoreboard][security]") {
    flow::scoreboard sb;
    std::uint32_t dropped = 0;
    for (std::uint32_t i = 0; i < 2 * flow::scoreboard::capacity; ++i)
        dropped += sb.update(snd_una, snd_una + 20'000, blocks({{100 + 200 * i, 150 + 200 * i}})).dropped;
    CHECK(sb.ranges() == flow::scoreboard::capacity);
    CHECK(dropped == flow::scoreboard::capacity);
    // A block that bridges two ranges needs no room and is still taken.
    CHECK(sb.update(snd_una, snd_max, blocks({{150, 300}})).new_information);
    CHECK(sb.ranges() == flow::scoreboard::capacity - 1);
}

TEST_CASE("scoreboard: a hole is lost once more than 2 SMSS or 3 ranges above it are SACKed (RFC 6675 §4 IsLost)",
          "[flow][scoreboard][sack]") {
    flow::scoreboard sb;
    (void)sb.update(snd_una, snd_max, blocks({{100, 300}}));  // 2 SMSS above the hole [0, 100)
    CHECK(sb.lost_below(snd_una, smss) == snd_una);           // not more than 2 SMSS: nothing lost
    (void)sb.update(snd_una, snd_max, blocks({{400, 401}}));    // one byte more
    CHECK(sb.lost_below(snd_una, smss) == seq32{una + 100});  // [0, 100) is lost, [300, 400) is not
    CHECK(sb.next_lost(snd_una, snd_una, smss)->start == snd_una);
    CHECK(sb.next_lost(snd_una, snd_una, smss)->len == 100);
    CHECK_FALSE(sb.next_lost(seq32{una + 100}, snd_una, smss));

    flow::scoreboard three;
    (void)three.update(snd_una, snd_max, blocks({{100, 110}, {200, 210}, {300, 310}}));
    CHECK(three.lost_below(snd_una, smss) == seq32{una + 100});  // three ranges above [0, 100)
}

TEST_CASE("scoreboard: pipe counts what is neither SACKed nor lost, and lost bytes once retransmitted "
          "(RFC 6675 §4 SetPipe)", "[flow][scoreboard][sack]") {
    flow::scoreboard sb;
    const seq32 max{una + 1000};
    (void)sb.update(snd_una, max, blocks({{100, 400}}));
    // [0, 100) lost, [100, 400) SACKed, [400, 1000) in the network.
    CHECK(sb.pipe(snd_una, max, snd_una, smss) == 600);
    CHECK(sb.pipe(snd_una, max, seq32{una + 100}, smss) == 700);  // the hole was sent again
    CHECK(sb.unsacked(snd_una, max) == 700);
}

TEST_CASE("scoreboard: lost_below, pipe and unsacked agree with RFC 6675 §4's definitions taken byte by byte",
          "[flow][scoreboard][sack]") {
    rc::prop("over random blocks, SMSS and HighRxt", [] {
        // snd.una low, or 1,500 bytes below the top of the sequence space: most of those windows wrap it.
        const std::uint32_t base = *rc::gen::element(una, std::uint32_t{0xFFFFFFFFu - 1500});
        const auto n = *rc::gen::inRange<std::uint32_t>(1, 3000);
        const auto mss = *rc::gen::inRange<std::uint32_t>(1, 400);
        const seq32 una_s{base}, max_s{base + n};
        flow::scoreboard sb;
        std::vector<bool> sacked(n, false);
        const auto acks = *rc::gen::inRange(1, 12);
        for (int a = 0; a < acks; ++a) {
            const auto l = *rc::gen::inRange<std::uint32_t>(0, n);
            const auto r = *rc::gen::inRange<std::uint32_t>(l, n + 1);
            const std::vector<wire::sack_block> one{{seq32{base + l}, seq32{base + r}}};
            if (sb.update(una_s, max_s, one).dropped == 0)
                for (std::uint32_t b = l; b < r; ++b) sacked[b] = true;
        }
        // IsLost(b): more than (DupThresh - 1) SMSS SACKed above b, or DupThresh ranges.
        std::vector<bool> lost(n, false);
        std::uint64_t bytes_above = 0;
        std::uint32_t ranges_above = 0;
        for (std::uint32_t b = n; b-- > 0;) {
            if (sacked[b]) {
                ++bytes_above;
                if (b == 0 || !sacked[b - 1]) ++ranges_above;
            } else {
                lost[b] = bytes_above > std::uint64_t{flow::scoreboard::dup_thresh - 1} * mss ||
                          ranges_above >= flow::scoreboard::dup_thresh;
            }
        }
        // lost_below(): the unSACKed bytes below it are exactly the lost ones.
        const auto boundary = static_cast<std::uint32_t>(sb.lost_below(una_s, mss) - una_s);
        for (std::uint32_t b = 0; b < n; ++b)
            if (!sacked[b]) RC_ASSERT(lost[b] == (b < boundary));
        RC_ASSERT(boundary <= n);

        const auto high_rxt = *rc::gen::inRange<std::uint32_t>(0, n + 1);
        std::uint32_t pipe = 0, unsacked = 0;
        for (std::uint32_t b = 0; b < n; ++b) {
            if (sacked[b]) continue;
            ++unsacked;
            if (!lost[b] || b < high_rxt) ++pipe;  // in the network: not lost, or lost and sent again
        }
        RC_ASSERT(sb.pipe(una_s, max_s, seq32{base + high_rxt}, mss) == pipe);
        RC_ASSERT(sb.unsacked(una_s, max_s) == unsacked);
    });
}
