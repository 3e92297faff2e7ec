// The receiver's window: the course's silly-window scenario under each rule,
// and the right edge that never moves left.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace {

using namespace l4::flow;

// The course's scenario: the receive buffer is full and the window 0; the
// application reads one byte at a time. After each read the receiver asks
// its policy for the window; an increase is advertised, and a greedy sender
// fills it at once. Returns the windows advertised.
template <class R>
std::vector<std::uint32_t> one_byte_reader(std::uint32_t capacity, std::uint32_t mss, std::uint32_t reads) {
    R r;
    std::uint32_t free = 0;
    std::uint32_t room = 0;  // rcv.nxt to the advertised right edge
    std::vector<std::uint32_t> advertised;
    for (std::uint32_t i = 0; i < reads; ++i) {
        ++free;
        const std::uint32_t w = r.window({.free = free, .capacity = capacity, .mss = mss,
                                          .advertised_right_edge_room = room});
        REQUIRE(w >= room);
        if (w > room) {
            advertised.push_back(w);
            free -= w;  // the sender fills the window: its bytes take the space
            room = 0;
        }
    }
    return advertised;
}

}  // namespace

TEST_CASE("silly window: without avoidance the window opens byte by byte", "[flow][receive_window][sws]") {
    const auto advertised = one_byte_reader<receive_window<sws::none>>(4096, 1460, 3000);
    CHECK(advertised == std::vector<std::uint32_t>(3000, 1));  // 3000 one-byte segments: 40 header bytes each
}

TEST_CASE("silly window: the course's rule waits for 25 % of the buffer or one MSS", "[flow][receive_window][sws]") {
    // min(4096 / 4, 1460) = 1024
    CHECK(one_byte_reader<receive_window<sws::course>>(4096, 1460, 3000) == std::vector<std::uint32_t>{1024, 1024});
    // A large buffer: one MSS is the smaller
    CHECK(one_byte_reader<receive_window<sws::course>>(65536, 1460, 3000) == std::vector<std::uint32_t>{1460, 1460});
}

TEST_CASE("silly window: RFC 1122's rule waits for half the buffer or one MSS", "[flow][receive_window][sws]") {
    // RFC 1122 §4.2.3.3: min(4096 / 2, 1460) = 1460
    CHECK(one_byte_reader<receive_window<>>(4096, 1460, 3000) == std::vector<std::uint32_t>{1460, 1460});
    // A small buffer: half of it is the smaller
    CHECK(one_byte_reader<receive_window<sws::rfc1122>>(2000, 1460, 3000) ==
          std::vector<std::uint32_t>{1000, 1000, 1000});
}

TEST_CASE("a fresh connection offers its whole buffer", "[flow][receive_window]") {
    const receive_state fresh{.free = 4096, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 0};
    CHECK(receive_window<sws::rfc1122>{}.window(fresh) == 4096);
    CHECK(receive_window<sws::course>{}.window(fresh) == 4096);
    CHECK(receive_window<sws::none>{}.window(fresh) == 4096);
}

TEST_CASE("the two rules differ: RFC 1122 counts the increase, the course the free space", "[flow][receive_window][sws]") {
    // 1000 bytes still advertised, 2000 free: an increase of 1000.
    const receive_state rs{.free = 2000, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 1000};
    CHECK(receive_window<sws::rfc1122>{}.window(rs) == 1000);  // 1000 < min(2048, 1460): keep the edge
    CHECK(receive_window<sws::course>{}.window(rs) == 2000);   // 2000 >= min(1024, 1460): announce
}

TEMPLATE_LIST_TEST_CASE("the advertised right edge never moves left", "[flow][receive_window]",
                        l4::flow::test::all_receivers) {
    TestType r;
    // Data arrived into the window: it and the free space shrank together.
    CHECK(r.window({.free = 1000, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 1000}) == 1000);
    // Less free than was offered (the buffer was shrunk, or out-of-order data
    // sits beyond): RFC 9293 §3.8.6.2.2 keeps the edge anyway.
    CHECK(r.window({.free = 100, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 2000}) == 2000);
    CHECK(r.window({.free = 0, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 10}) == 10);
    // A full buffer with nothing advertised stays closed.
    CHECK(r.window({.free = 0, .capacity = 4096, .mss = 1460, .advertised_right_edge_room = 0}) == 0);
}
