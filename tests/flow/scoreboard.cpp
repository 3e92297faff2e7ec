// The SACK scoreboard (RFC 6675 §3-4): what it records, what it deems
// lost, how much it says is in the network, and that it stays bounded.
#include "../support.hpp"

#include <l4/flow/scoreboard.hpp>
#include <l4/wire/tcp_options.hpp>

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
