// byte_ring: push/peek/pop/consume at the edges, wrap-around at capacities
// that are and are not powers of two, write_ahead/commit, trim, and a model
// property against std::deque.
#include <l4/core/byte_ring.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <numeric>
#include <vector>

using l4::byte_ring;
using l4::bytes;

namespace {

std::vector<std::uint8_t> iota_bytes(std::size_t n, std::uint8_t first = 0) {
    std::vector<std::uint8_t> v(n);
    std::iota(v.begin(), v.end(), first);
    return v;
}

std::vector<std::uint8_t> pop_n(byte_ring& r, std::size_t n) {
    std::vector<std::uint8_t> v(n);
    v.resize(r.pop(v));
    return v;
}

}  // namespace

// The state beside the buffer counts toward the ≤ 512 B of an idle connection (issue 10 §2).
static_assert(sizeof(byte_ring) <= 32);

TEST_CASE("byte_ring: push what fits, pop in order", "[byte_ring]") {
    byte_ring r{10};
    CHECK(r.capacity() == 10);
    CHECK(r.size() == 0);
    CHECK(r.free() == 10);
    CHECK(r.empty());

    const auto a = iota_bytes(7);
    CHECK(r.push(a) == 7);
    CHECK(r.size() == 7);
    CHECK(r.free() == 3);
    CHECK(r.push(iota_bytes(5, 100)) == 3);  // only 3 fit
    CHECK(r.full());
    CHECK(r.push(iota_bytes(1)) == 0);

    CHECK(pop_n(r, 4) == std::vector<std::uint8_t>{0, 1, 2, 3});
    CHECK(pop_n(r, 100) == std::vector<std::uint8_t>{4, 5, 6, 100, 101, 102});
    CHECK(r.empty());
    CHECK(pop_n(r, 5).empty());
}

TEST_CASE("byte_ring: wrap-around across the end of the storage", "[byte_ring]") {
    for (const std::size_t cap : {1u, 2u, 7u, 8u, 10u, 64u, 1000u}) {
        CAPTURE(cap);
        byte_ring r{cap};
        std::deque<std::uint8_t> model;
        std::uint8_t next = 0;
        // Uneven pushes and pops walk the front all the way around the storage several times.
        for (int round = 0; round < 50; ++round) {
            const std::size_t want = (round * 7 + 3) % (cap + 2);
            const auto chunk = iota_bytes(want, next);
            const std::size_t pushed = r.push(chunk);
            CHECK(pushed == std::min(want, cap - model.size()));
            model.insert(model.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(pushed));
            next = static_cast<std::uint8_t>(next + pushed);
            const auto out = pop_n(r, (round * 5 + 1) % (cap + 1));
            for (const auto b : out) {
                REQUIRE_FALSE(model.empty());
                CHECK(b == model.front());
                model.pop_front();
            }
            CHECK(r.size() == model.size());
        }
    }
}

TEST_CASE("byte_ring: peek at an offset, then consume acknowledged bytes", "[byte_ring]") {
    byte_ring r{8};
    r.push(iota_bytes(6));
    r.consume(5);  // the front is now at index 5 of the storage
    r.push(iota_bytes(6, 6));
    // content: 5 6 7 8 9 10 11, stored across the end
    std::vector<std::uint8_t> out(3);
    CHECK(r.peek(2, out) == 3);
    CHECK(out == std::vector<std::uint8_t>{7, 8, 9});
    CHECK(r.size() == 7);  // peek consumes nothing
    CHECK(r.peek(5, out) == 2);  // only 2 bytes past offset 5
    CHECK(out[0] == 10);
    CHECK(out[1] == 11);
    CHECK(r.peek(7, out) == 0);
    CHECK(r.peek(1000, out) == 0);
    CHECK(r.peek(0, {}) == 0);

    r.consume(3);
    CHECK(pop_n(r, 10) == std::vector<std::uint8_t>{8, 9, 10, 11});
    r.push(iota_bytes(2));
    r.consume(100);  // more than it holds: it empties
    CHECK(r.empty());
}

TEST_CASE("byte_ring: clear, zero capacity and moves", "[byte_ring]") {
    byte_ring r{4};
    r.push(iota_bytes(3));
    r.clear();
    CHECK(r.empty());
    CHECK(r.free() == 4);

    byte_ring z{0};
    CHECK(z.push(iota_bytes(3)) == 0);
    CHECK(z.full());
    CHECK(z.empty());
    std::vector<std::uint8_t> out(2);
    CHECK(z.pop(out) == 0);
    z.consume(1);
    CHECK(z.write_ahead(0, iota_bytes(1)) == 0);

    r.push(iota_bytes(2, 40));
    byte_ring m{std::move(r)};
    CHECK(m.size() == 2);
    CHECK(pop_n(m, 2) == std::vector<std::uint8_t>{40, 41});
    byte_ring n{1};
    n = std::move(m);
    CHECK(n.capacity() == 4);
}

TEST_CASE("byte_ring: write_ahead into the free space, then commit", "[byte_ring]") {
    byte_ring r{6};
    r.push(iota_bytes(3));
    r.consume(3);  // empty, front at index 3
    r.push(iota_bytes(2, 10));
    r.consume(1);  // content: 11 (at index 4)
    CHECK(r.write_ahead(2, iota_bytes(3, 30)) == 3);  // after a 2-byte gap, across the end: 11 _ _ 30 31 32
    CHECK(r.size() == 1);
    CHECK(r.write_ahead(0, iota_bytes(2, 20)) == 2);  // fills the gap
    CHECK(r.write_ahead(4, iota_bytes(5, 99)) == 1);  // only one byte of room past offset 4: 32 becomes 99
    CHECK(r.write_ahead(5, iota_bytes(1)) == 0);
    r.commit(100);  // no more than the free space
    CHECK(r.full());
    CHECK(pop_n(r, 6) == std::vector<std::uint8_t>{11, 20, 21, 30, 31, 99});
}

TEST_CASE("byte_ring: bytes written ahead stay put when the ring empties", "[byte_ring]") {
    // Regression: an empty ring used to move its front back to index 0, which moved the back away from the bytes
    // write_ahead had stored (a receive buffer read dry would lose its out-of-order data).
    byte_ring r{8};
    r.push(iota_bytes(3));
    CHECK(r.write_ahead(1, iota_bytes(2, 50)) == 2);
    CHECK(pop_n(r, 3) == std::vector<std::uint8_t>{0, 1, 2});
    CHECK(r.write_ahead(0, iota_bytes(1, 49)) == 1);
    r.commit(3);
    CHECK(pop_n(r, 3) == std::vector<std::uint8_t>{49, 50, 51});
}

TEST_CASE("byte_ring: free_span is the free space where it lies, filled in place without a second copy", "[byte_ring]") {
    byte_ring r{8};
    CHECK_FALSE(r.allocated());
    CHECK(r.free_span(0, 4).size() == 4);  // the storage is made for it
    CHECK(r.allocated());
    r.push(iota_bytes(5));
    r.consume(4);  // content: 4 (at index 4); free: indices 5, 6, 7, then 0..3
    const auto span = r.free_span(1, 2);  // indices 6 and 7
    REQUIRE(span.size() == 2);
    span[0] = 60;
    span[1] = 70;
    CHECK(r.write_ahead(1, span) == 2);  // the same place: nothing copied, nothing lost
    CHECK(r.free_span(2, 3).empty());    // would wrap across the end
    CHECK(r.free_span(0, 8).empty());    // more than the free space
    CHECK(r.free_span(7, 1).empty());    // past the free space
    CHECK(r.write_ahead(0, iota_bytes(1, 50)) == 1);
    r.commit(3);
    CHECK(pop_n(r, 4) == std::vector<std::uint8_t>{4, 50, 60, 70});
}

TEST_CASE("byte_ring: the storage follows the bytes in use, not the capacity", "[byte_ring]") {
    byte_ring r{4 * 1024 * 1024};
    CHECK(r.storage() == 0);  // nothing before the first write
    // A sender that keeps about 100 KB unacknowledged: 1448-byte segments in, acknowledged 2 at a time.
    const auto segment = iota_bytes(1448);
    std::uint64_t written = 0, acknowledged = 0;
    std::vector<std::uint8_t> out(2 * 1448);
    for (int i = 0; i < 20'000; ++i) {
        REQUIRE(r.push(segment) == segment.size());
        written += segment.size();
        if (r.size() > 100'000) {
            REQUIRE(r.peek(0, out) == out.size());
            CHECK(out[0] == static_cast<std::uint8_t>(acknowledged % 1448));
            r.consume(out.size());
            acknowledged += out.size();
        }
    }
    CHECK(written == 20'000u * 1448u);  // 29 MB through the ring: it wrapped many times
    CHECK(r.storage() >= r.size());
    CHECK(r.storage() <= 128 * 1024);  // the next power of two above 100 KB, not 4 MiB
    CHECK(r.free() == r.capacity() - r.size());
}

TEST_CASE("byte_ring: growing keeps what lies beyond the back", "[byte_ring]") {
    byte_ring r{1 << 20};
    r.push(iota_bytes(3000));
    r.consume(2500);  // the front is 2500 bytes into the first storage
    CHECK(r.write_ahead(10, iota_bytes(100, 7)) == 100);  // out of order, still inside it
    const std::size_t before = r.storage();
    CHECK(r.write_ahead(50'000, iota_bytes(10, 200)) == 10);  // far ahead: the storage grows
    CHECK(r.storage() > before);
    r.push(iota_bytes(10, 90));  // the gap's first 10 bytes
    r.commit(100);               // and the out-of-order bytes behind them
    std::vector<std::uint8_t> all(r.size());
    REQUIRE(r.peek(0, all) == 610);
    CHECK(std::equal(all.begin(), all.begin() + 500, iota_bytes(500, static_cast<std::uint8_t>(2500 % 256)).begin()));
    CHECK(std::equal(all.begin() + 500, all.begin() + 510, iota_bytes(10, 90).begin()));
    CHECK(std::equal(all.begin() + 510, all.end(), iota_bytes(100, 7).begin()));
    r.commit(50'000 - 110);
    std::vector<std::uint8_t> far(10);
    CHECK(r.peek(r.size(), far) == 0);
    r.commit(10);
    CHECK(r.peek(r.size() - 10, far) == 10);
    CHECK(far == iota_bytes(10, 200));
}

namespace {

// Random push, pop, peek, consume, write_ahead, commit and trim against a
// std::deque, on rings of capacity [min_cap, max_cap], with sizes scaled to
// the capacity (so that rings above 4 KiB grow their storage on the way, and
// trim and grow back).
void deque_model(std::size_t min_cap, std::size_t max_cap, int max_ops) {
    const auto cap = *rc::gen::inRange<std::size_t>(min_cap, max_cap + 1);
    const std::size_t unit = std::max<std::size_t>(1, cap / 40);
    byte_ring r{cap};
    std::deque<std::uint8_t> model;
    // What write_ahead put in the free space, by offset past the back; unwritten bytes are unspecified.
    std::vector<std::uint8_t> ahead(cap);
    std::vector<bool> written(cap);
    // The back moved by n: what was n bytes ahead is now at the back.
    const auto shift = [&](std::size_t n) {
        for (std::size_t j = 0; j < cap; ++j) {
            written[j] = j + n < cap && written[j + n];
            ahead[j] = j + n < cap ? ahead[j + n] : 0;
        }
    };
    const auto ops = *rc::gen::inRange(1, max_ops);
    for (int i = 0; i < ops; ++i) {
        const std::size_t storage_before = r.storage(), in_use_before = r.storage_in_use();
        switch (*rc::gen::inRange(0, 7)) {
        case 0: {  // push
            const auto data = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange<std::size_t>(0, 50 * unit), rc::gen::arbitrary<std::uint8_t>());
            const std::size_t n = r.push(data);
            RC_ASSERT(n == std::min(data.size(), cap - model.size()));
            model.insert(model.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
            shift(n);
            break;
        }
        case 1: {  // pop
            std::vector<std::uint8_t> out(*rc::gen::inRange<std::size_t>(0, 50 * unit));
            const std::size_t n = r.pop(out);
            RC_ASSERT(n == std::min(out.size(), model.size()));
            for (std::size_t k = 0; k < n; ++k) {
                RC_ASSERT(out[k] == model.front());
                model.pop_front();
            }
            break;
        }
        case 2: {  // peek
            const auto offset = *rc::gen::inRange<std::size_t>(0, 50 * unit);
            std::vector<std::uint8_t> out(*rc::gen::inRange<std::size_t>(0, 50 * unit));
            const std::size_t n = r.peek(offset, out);
            RC_ASSERT(n == (offset >= model.size() ? 0 : std::min(out.size(), model.size() - offset)));
            for (std::size_t k = 0; k < n; ++k) RC_ASSERT(out[k] == model[offset + k]);
            break;
        }
        case 3: {  // consume: the back stays where it is
            const auto n = *rc::gen::inRange<std::size_t>(0, 50 * unit);
            r.consume(n);
            model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(std::min(n, model.size())));
            break;
        }
        case 4: {  // write_ahead
            const auto offset = *rc::gen::inRange<std::size_t>(0, 45 * unit);
            const auto data = *rc::gen::container<std::vector<std::uint8_t>>(*rc::gen::inRange<std::size_t>(0, 20 * unit), rc::gen::arbitrary<std::uint8_t>());
            const std::size_t room = cap - model.size();
            const std::size_t n = r.write_ahead(offset, data);
            RC_ASSERT(n == (offset >= room ? 0 : std::min(data.size(), room - offset)));
            for (std::size_t k = 0; k < n; ++k) {
                ahead[offset + k] = data[k];
                written[offset + k] = true;
            }
            RC_ASSERT(r.size() == model.size());  // nothing became content
            break;
        }
        case 5: {  // trim: the content stays, what was written ahead is forgotten, nothing is freed
            r.trim();
            std::fill(written.begin(), written.end(), false);
            RC_ASSERT(r.storage() == storage_before);
            RC_ASSERT(r.storage_in_use() >= std::min<std::size_t>(r.storage(), 4096));
            RC_ASSERT(model.size() * 2 <= r.storage_in_use() || r.storage_in_use() == in_use_before);
            break;
        }
        default: {  // commit: the written bytes appear as written, the others as whatever the storage held
            const std::size_t room = cap - model.size();
            const auto n = *rc::gen::inRange<std::size_t>(0, room + 5);
            const std::size_t k = std::min(n, room);
            r.commit(n);
            std::vector<std::uint8_t> tail(k);
            RC_ASSERT(r.peek(model.size(), tail) == k);
            for (std::size_t j = 0; j < k; ++j)
                if (written[j]) RC_ASSERT(tail[j] == ahead[j]);
            model.insert(model.end(), tail.begin(), tail.end());
            shift(k);
            break;
        }
        }
        RC_ASSERT(r.size() == model.size());
        RC_ASSERT(r.free() == cap - model.size());
        RC_ASSERT(r.capacity() == cap);
        RC_ASSERT(r.storage() <= cap);
        RC_ASSERT(r.storage_in_use() <= r.storage());
        RC_ASSERT(r.storage_in_use() >= model.size());
        // Peeking everything equals the model, every step.
        std::vector<std::uint8_t> all(model.size());
        RC_ASSERT(r.peek(0, all) == model.size());
        RC_ASSERT(std::equal(all.begin(), all.end(), model.begin()));
    }
}

}  // namespace

TEST_CASE("byte_ring: back_span is the free space at the back, filled in place and pushed without a copy", "[byte_ring]") {
    byte_ring r{8};
    CHECK(r.back_span(0).empty());
    r.push(iota_bytes(6));
    r.consume(5);  // content: 5 (at index 5); free: indices 6, 7, then 0..4
    auto room = r.back_span(100);
    REQUIRE(room.size() == 2);  // cut where the storage wraps
    room[0] = 60;
    room[1] = 70;
    CHECK(r.push(room) == 2);  // the same place: nothing copied
    room = r.back_span(3);
    REQUIRE(room.size() == 3);  // at the storage's start
    std::fill(room.begin(), room.end(), std::uint8_t{9});
    CHECK(r.push(room.first(1)) == 1);
    CHECK(pop_n(r, 8) == std::vector<std::uint8_t>{5, 60, 70, 9});
    r.push(iota_bytes(8));
    CHECK(r.back_span(5).empty());  // full
    // A large ring grows its storage to what is asked.
    byte_ring big{1 << 20};
    CHECK(big.back_span(100'000).size() == 100'000);
    CHECK(big.storage() >= 100'000);
}

TEST_CASE("byte_ring: trim wraps within a small part of the storage once the content shrank", "[byte_ring]") {
    // A send buffer after a slow start's overshoot: 600 KB held at the peak, 20 KB now.
    byte_ring r{4 * 1024 * 1024};
    r.push(iota_bytes(600'000));
    const std::size_t peak = r.storage();
    REQUIRE(peak >= 600'000);
    r.consume(580'000);
    r.trim();
    CHECK(r.storage() == peak);  // nothing freed
    CHECK(r.storage_in_use() <= 4 * r.size());
    CHECK(r.storage_in_use() >= 2 * r.size());
    std::vector<std::uint8_t> kept(r.size());
    REQUIRE(r.peek(0, kept) == 20'000);
    CHECK(kept == [] {
        auto all = iota_bytes(600'000);
        return std::vector<std::uint8_t>(all.begin() + 580'000, all.end());
    }());
    // 10 MB through it at 20-40 KB held: every byte written lands within four times the 20 KB.
    const std::uint8_t* lowest = r.back_span(1).data();
    const std::uint8_t* highest = lowest;
    std::uint64_t written = 600'000, read = 580'000;
    for (int i = 0; i < 7'000; ++i) {
        const auto room = r.back_span(1448);
        REQUIRE_FALSE(room.empty());
        lowest = std::min<const std::uint8_t*>(lowest, room.data());
        highest = std::max<const std::uint8_t*>(highest, room.data() + room.size());
        for (std::size_t k = 0; k < room.size(); ++k) room[k] = static_cast<std::uint8_t>(written + k);
        written += r.push(room);
        if (r.size() > 40'000) {
            std::vector<std::uint8_t> out(20'000);
            REQUIRE(r.pop(out) == out.size());
            CHECK(out.front() == static_cast<std::uint8_t>(read));
            CHECK(out.back() == static_cast<std::uint8_t>(read + out.size() - 1));
            read += out.size();
            r.trim();
        }
    }
    CHECK(static_cast<std::size_t>(highest - lowest) <= 80'000);
    // A burst again: it grows back into the part set aside, the bytes in order, no new storage.
    const std::size_t before = r.size();
    REQUIRE(r.push(iota_bytes(200, 3)) == 200);
    REQUIRE(r.push(std::vector<std::uint8_t>(500'000, 7)) == 500'000);
    CHECK(r.storage() == peak);
    CHECK(r.storage_in_use() >= r.size());
    std::vector<std::uint8_t> all(r.size());
    REQUIRE(r.peek(0, all) == all.size());
    CHECK(all[0] == static_cast<std::uint8_t>(read));
    CHECK(all[before - 1] == static_cast<std::uint8_t>(written - 1));
    CHECK(std::equal(all.begin() + static_cast<std::ptrdiff_t>(before), all.begin() + static_cast<std::ptrdiff_t>(before) + 200,
                     iota_bytes(200, 3).begin()));
    CHECK(all.back() == 7);
}

TEST_CASE("byte_ring: behaves as a std::deque", "[byte_ring][property]") {
    rc::prop("small rings: wrap-around at every offset", [] { deque_model(0, 40, 200); });
    rc::prop("rings above the first storage: growth while content and written-ahead bytes wrap", [] {
        deque_model(4000, 12'000, 60);
    });
}
