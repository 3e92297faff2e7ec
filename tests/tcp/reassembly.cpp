// receive_buffer: in-order data, holes filled, duplicates and overlaps on
// both sides, the window's edge, the bound on out-of-order ranges and their
// SACK order, and a property: a stream cut into segments delivered in any
// order, any number of times, reads back as the stream.
#include <l4/tcp/reassembly.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using l4::tcp::receive_buffer;

namespace {

l4::bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string read_all(receive_buffer& b) {
    std::string s(b.readable(), '\0');
    const std::size_t n = b.read({reinterpret_cast<std::uint8_t*>(s.data()), s.size()});
    CHECK(n == s.size());
    CHECK(b.readable() == 0);
    return s;
}

using ranges = std::vector<std::pair<std::size_t, std::size_t>>;
ranges ranges_of(const receive_buffer& b) {
    ranges r;
    b.for_each_range([&](std::size_t start, std::size_t end) { r.emplace_back(start, end); });
    return r;
}

// Compares every field: {advanced, stored, duplicate, dropped, beyond_window}.
struct expect {
    std::size_t advanced, stored, duplicate, dropped, beyond_window = 0;
};
void check(const receive_buffer::insert_result& r, expect e) {
    CHECK(r.advanced == e.advanced);
    CHECK(r.stored == e.stored);
    CHECK(r.duplicate == e.duplicate);
    CHECK(r.dropped == e.dropped);
    CHECK(r.beyond_window == e.beyond_window);
}

}  // namespace

// The state beside the buffers counts toward the ≤ 512 B of an idle connection (issue 10 §2).
static_assert(sizeof(receive_buffer) <= 56);

TEST_CASE("reassembly: in-order data becomes readable and reading opens the window", "[tcp][reassembly]") {
    receive_buffer b{16};
    CHECK(b.capacity() == 16);
    CHECK(b.free() == 16);
    check(b.insert(0, as_bytes("abcd")), {4, 4, 0, 0});
    check(b.insert(0, as_bytes("efg")), {3, 3, 0, 0});
    CHECK(b.readable() == 7);
    CHECK(b.free() == 9);
    CHECK_FALSE(b.has_out_of_order());

    std::string two(2, '\0');
    CHECK(b.peek(1, {reinterpret_cast<std::uint8_t*>(two.data()), 2}) == 2);
    CHECK(two == "bc");
    CHECK(b.read({reinterpret_cast<std::uint8_t*>(two.data()), 2}) == 2);
    CHECK(two == "ab");
    CHECK(b.free() == 11);
    CHECK(read_all(b) == "cdefg");
    CHECK(b.free() == 16);
    check(b.insert(0, {}), {0, 0, 0, 0});
}

TEST_CASE("reassembly: out-of-order data waits for the hole, then advances with it", "[tcp][reassembly]") {
    receive_buffer b{16};
    check(b.insert(4, as_bytes("efgh")), {0, 4, 0, 0});
    CHECK(b.readable() == 0);
    CHECK(b.free() == 16);  // out-of-order bytes lie inside the window: its right edge stays
    CHECK(b.has_out_of_order());
    CHECK(b.out_of_order_bytes() == 4);
    CHECK(ranges_of(b) == ranges{{4, 8}});

    check(b.insert(0, as_bytes("ab")), {2, 2, 0, 0});  // the hole shrinks; the range is now 2 past rcv.nxt
    CHECK(ranges_of(b) == ranges{{2, 6}});
    check(b.insert(0, as_bytes("cd")), {6, 2, 0, 0});  // fills it: 2 stored, 6 readable
    CHECK_FALSE(b.has_out_of_order());
    CHECK(b.free() == 8);
    CHECK(read_all(b) == "abcdefgh");
}

TEST_CASE("reassembly: ranges are listed most recent first, merged as they meet", "[tcp][reassembly]") {
    receive_buffer b{64};
    b.insert(10, as_bytes("KL"));
    b.insert(4, as_bytes("EF"));
    b.insert(20, as_bytes("UV"));
    // RFC 2018 §4: the block of the latest segment first, then the others most recent first.
    CHECK(ranges_of(b) == ranges{{20, 22}, {4, 6}, {10, 12}});
    ranges first_two;
    b.for_each_range([&](std::size_t start, std::size_t end) { first_two.emplace_back(start, end); }, 2);
    CHECK(first_two == ranges{{20, 22}, {4, 6}});  // as many as a SACK option has room for, the latest first
    b.insert(12, as_bytes("MN"));  // touches [10, 12) on its right: merged, and first
    CHECK(ranges_of(b) == ranges{{10, 14}, {20, 22}, {4, 6}});
    check(b.insert(6, as_bytes("GHIJ")), {0, 4, 0, 0});  // bridges [4, 6) and [10, 14)
    CHECK(ranges_of(b) == ranges{{4, 14}, {20, 22}});
    b.insert(21, as_bytes("V"));  // a duplicate still moves its block to the front: it is what the ACK reports
    CHECK(ranges_of(b) == ranges{{20, 22}, {4, 14}});
    check(b.insert(0, as_bytes("ABCD")), {14, 4, 0, 0});
    CHECK(ranges_of(b) == ranges{{6, 8}});  // 20 and 22 past the old rcv.nxt, 14 bytes ago
    CHECK(read_all(b) == "ABCDEFGHIJKLMN");
    CHECK(ranges_of(b) == ranges{{6, 8}});  // reading does not move rcv.nxt
}

TEST_CASE("reassembly: duplicates and partial overlaps keep the first copy", "[tcp][reassembly]") {
    receive_buffer b{32};
    check(b.insert(4, as_bytes("efgh")), {0, 4, 0, 0});  // [4, 8)
    SECTION("overlap on the left") {
        check(b.insert(2, as_bytes("CDEF")), {0, 2, 2, 0});  // [2, 6): 2 and 3 new, 4 and 5 held
        CHECK(ranges_of(b) == ranges{{2, 8}});
        check(b.insert(0, as_bytes("ab")), {8, 2, 0, 0});
        CHECK(read_all(b) == "abCDefgh");
    }
    SECTION("overlap on the right") {
        check(b.insert(6, as_bytes("GHij")), {0, 2, 2, 0});  // [6, 10)
        CHECK(ranges_of(b) == ranges{{4, 10}});
        check(b.insert(0, as_bytes("abcd")), {10, 4, 0, 0});
        CHECK(read_all(b) == "abcdefghij");
    }
    SECTION("overlap on both sides") {
        check(b.insert(2, as_bytes("CDEFGHIJ")), {0, 4, 4, 0});  // [2, 10) around [4, 8)
        CHECK(ranges_of(b) == ranges{{2, 10}});
        check(b.insert(0, as_bytes("ab")), {10, 2, 0, 0});
        CHECK(read_all(b) == "abCDefghIJ");
    }
    SECTION("inside a held range: all duplicate") {
        check(b.insert(5, as_bytes("FG")), {0, 0, 2, 0});
        CHECK(b.out_of_order_bytes() == 4);
    }
    SECTION("in order over held bytes and a second range") {
        b.insert(12, as_bytes("mn"));  // [12, 14)
        check(b.insert(0, as_bytes("abcdEFGHijkLMN")), {14, 8, 6, 0});
        CHECK_FALSE(b.has_out_of_order());
        CHECK(read_all(b) == "abcdefghijkLmn");
    }
}

TEST_CASE("reassembly: bytes beyond the window are cut off", "[tcp][reassembly]") {
    receive_buffer b{8};
    check(b.insert(0, as_bytes("abcdefghij")), {8, 8, 0, 2, 2});
    CHECK(b.free() == 0);
    check(b.insert(0, as_bytes("k")), {0, 0, 0, 1, 1});  // a zero window takes nothing
    std::string three(3, '\0');
    b.read({reinterpret_cast<std::uint8_t*>(three.data()), 3});
    CHECK(b.free() == 3);
    check(b.insert(1, as_bytes("jklm")), {0, 2, 0, 2, 2});  // [1, 3) of a 3-byte window
    check(b.insert(3, as_bytes("x")), {0, 0, 0, 1, 1});    // at the window's edge: outside
    check(b.insert(100, as_bytes("x")), {0, 0, 0, 1, 1});
    check(b.insert(0, as_bytes("iXXX")), {3, 1, 2, 1, 1});
    CHECK(read_all(b) == "defghijk");
}

TEST_CASE("reassembly: at most max_holes out-of-order ranges", "[tcp][reassembly]") {
    receive_buffer b{32, 2};
    CHECK(b.max_holes() == 2);
    b.insert(2, as_bytes("c"));
    b.insert(4, as_bytes("e"));
    check(b.insert(6, as_bytes("g")), {0, 0, 0, 1, 0});  // a third range: dropped, not beyond the window
    CHECK(ranges_of(b) == ranges{{4, 5}, {2, 3}});
    check(b.insert(5, as_bytes("f")), {0, 1, 0, 0});  // extends a range: kept
    check(b.insert(3, as_bytes("d")), {0, 1, 0, 0});  // joins two: one range left
    CHECK(ranges_of(b) == ranges{{2, 6}});
    check(b.insert(8, as_bytes("i")), {0, 1, 0, 0});
    check(b.insert(10, as_bytes("k")), {0, 0, 0, 1, 0});
    check(b.insert(0, as_bytes("ab")), {6, 2, 0, 0});  // in-order data is always taken
    CHECK(read_all(b) == "abcdef");

    SECTION("none at all") {
        receive_buffer z{32, 0};
        check(z.insert(1, as_bytes("b")), {0, 0, 0, 1, 0});
        check(z.insert(0, as_bytes("a")), {1, 1, 0, 0});
        CHECK_FALSE(z.has_out_of_order());
    }
}

TEST_CASE("reassembly: one segment joins every range it spans, each byte's first copy kept", "[tcp][reassembly]") {
    receive_buffer b{256, 65};
    std::string expected(129, '.');
    for (std::size_t i = 0; i < 64; ++i) {  // 64 one-byte ranges, a hole before each: 1, 3, 5, ..., 127
        const char held = static_cast<char>('A' + i % 26);
        b.insert(2 * i + 1, as_bytes(std::string(1, held)));
        expected[2 * i + 1] = held;
    }
    CHECK(b.range_count() == 64);
    b.insert(200, as_bytes("z"));  // beyond the segment: stays held, apart
    check(b.insert(0, as_bytes(std::string(129, '.'))), {129, 65, 64, 0});
    CHECK(ranges_of(b) == ranges{{71, 72}});  // 200 past the old rcv.nxt, 129 bytes ago
    CHECK(read_all(b) == expected);
}

TEST_CASE("reassembly: out-of-order bytes survive the readable ones being read", "[tcp][reassembly]") {
    // With the ring's front moved back to 0 when it emptied, reading the buffer dry lost the bytes stored ahead.
    receive_buffer b{8};
    b.insert(0, as_bytes("abc"));
    b.insert(1, as_bytes("ef"));
    CHECK(read_all(b) == "abc");
    check(b.insert(0, as_bytes("d")), {3, 1, 0, 0});
    CHECK(read_all(b) == "def");
    // Wrapping round the storage: [6, 8) then [0, 3) of it.
    b.insert(2, as_bytes("ijk"));
    check(b.insert(0, as_bytes("gh")), {5, 2, 0, 0});
    CHECK(read_all(b) == "ghijk");
}

TEST_CASE("reassembly: a buffer read dry with nothing held starts again at its first byte", "[tcp][reassembly]") {
    receive_buffer b{8};
    b.insert(0, as_bytes("abcde"));
    CHECK(read_all(b) == "abcde");
    // A whole window's segment lands in one span, where the last bytes went (warm), not split across the wrap.
    const auto slot = b.in_order_slot(8);
    CHECK(slot.size() == 8);
    check(b.insert(0, as_bytes("fgh")), {3, 3, 0, 0});
    CHECK(read_all(b) == "fgh");
    CHECK(b.in_order_slot(8).data() == slot.data());
    check(b.insert(0, as_bytes("ijklmnop")), {8, 8, 0, 0});
    CHECK(read_all(b) == "ijklmnop");
}

TEST_CASE("reassembly: zero capacity and clear", "[tcp][reassembly]") {
    receive_buffer z{0};
    check(z.insert(0, as_bytes("a")), {0, 0, 0, 1, 1});
    CHECK(z.free() == 0);

    receive_buffer b{8};
    b.insert(0, as_bytes("ab"));
    b.insert(4, as_bytes("ef"));
    b.clear();
    CHECK(b.readable() == 0);
    CHECK_FALSE(b.has_out_of_order());
    CHECK(b.free() == 8);
}

TEST_CASE("reassembly: a stream in random segments, order and duplicates reads back whole", "[tcp][reassembly][property]") {
    rc::prop("what is read is a prefix of the stream, never a byte twice; every bound holds", [] {
        const auto length = *rc::gen::inRange<std::size_t>(0, 3000);
        const auto stream = *rc::gen::container<std::vector<std::uint8_t>>(length, rc::gen::arbitrary<std::uint8_t>());
        const auto capacity = *rc::gen::inRange<std::size_t>(1, 700);
        const auto max_holes = *rc::gen::inRange<std::size_t>(0, 10);
        receive_buffer b{capacity, max_holes};

        // The segments: a random partition of the stream, some repeated, some overlapping others.
        std::vector<std::pair<std::size_t, std::size_t>> segments;  // [start, end) in the stream
        for (std::size_t at = 0; at < length;) {
            const auto n = std::min(length - at, *rc::gen::inRange<std::size_t>(1, 200));
            segments.emplace_back(at, at + n);
            at += n;
        }
        const auto extra = *rc::gen::inRange<std::size_t>(0, segments.size() + 1);
        for (std::size_t i = 0; i < extra && length != 0; ++i) {
            if (*rc::gen::arbitrary<bool>()) {
                const auto again = segments[*rc::gen::inRange<std::size_t>(0, segments.size())];
                segments.push_back(again);
            } else {
                const auto s = *rc::gen::inRange<std::size_t>(0, length);
                segments.emplace_back(s, std::min(length, s + *rc::gen::inRange<std::size_t>(1, 300)));
            }
        }
        const auto order = *rc::gen::container<std::vector<std::size_t>>(segments.size(), rc::gen::arbitrary<std::size_t>());
        for (std::size_t i = segments.size(); i > 1; --i) std::swap(segments[i - 1], segments[order[i - 1] % i]);

        std::size_t rcv_nxt = 0;  // stream offset of the next expected byte
        std::vector<std::uint8_t> received;
        const auto deliver = [&](std::size_t start, std::size_t end) {
            if (end <= rcv_nxt) return;  // wholly old: the connection drops it before the buffer sees it
            start = std::max(start, rcv_nxt);  // RFC 9293 §3.10.7.4: trimmed to rcv.nxt
            const std::size_t readable_before = b.readable();
            const auto r = b.insert(start - rcv_nxt, {stream.data() + start, end - start});
            RC_ASSERT(r.duplicate + r.stored + r.dropped == end - start);
            RC_ASSERT(r.beyond_window <= r.dropped);
            RC_ASSERT(b.readable() == readable_before + r.advanced);
            if (start == rcv_nxt) RC_ASSERT(r.dropped == r.beyond_window);  // in-order data never hits the hole bound
            if (start > rcv_nxt && r.stored + r.duplicate != 0) {
                // RFC 2018 §4: the first range holds the segment just received.
                std::size_t first_start = 0, first_end = 0, k = 0;
                b.for_each_range([&](std::size_t s, std::size_t e) {
                    if (k++ == 0) {
                        first_start = s;
                        first_end = e;
                    }
                });
                RC_ASSERT(first_start <= start - rcv_nxt);
                RC_ASSERT(first_end >= start - rcv_nxt + r.stored + r.duplicate);
            }
            rcv_nxt += r.advanced;
            // Bounds: readable within capacity; ranges inside the window, ordered apart, at most max_holes.
            RC_ASSERT(b.readable() <= capacity);
            RC_ASSERT(b.free() == capacity - b.readable());
            RC_ASSERT(b.range_count() <= max_holes);
            std::vector<std::pair<std::size_t, std::size_t>> rs;
            b.for_each_range([&](std::size_t s, std::size_t e) { rs.emplace_back(s, e); });
            std::sort(rs.begin(), rs.end());
            for (std::size_t i = 0; i < rs.size(); ++i) {
                RC_ASSERT(rs[i].first > 0);
                RC_ASSERT(rs[i].first < rs[i].second);
                RC_ASSERT(rs[i].second <= b.free());
                if (i != 0) RC_ASSERT(rs[i - 1].second < rs[i].first);
            }
            RC_ASSERT(b.has_out_of_order() == !rs.empty());
        };
        const auto read_some = [&] {
            std::vector<std::uint8_t> out(*rc::gen::inRange<std::size_t>(0, 400));
            out.resize(b.read(out));
            received.insert(received.end(), out.begin(), out.end());
            RC_ASSERT(received.size() <= length);
            RC_ASSERT(std::equal(received.begin(), received.end(), stream.begin()));
        };

        for (const auto& [start, end] : segments) {
            deliver(start, end);
            if (*rc::gen::inRange(0, 4) == 0) read_some();
        }
        // Then the sender goes back to rcv.nxt until all is through (what retransmission does), the reader keeping up.
        while (received.size() < length) {
            deliver(rcv_nxt, std::min(length, rcv_nxt + *rc::gen::inRange<std::size_t>(1, 300)));
            read_some();
        }
        RC_ASSERT(received == stream);
        RC_ASSERT(rcv_nxt == length);
    });
}
