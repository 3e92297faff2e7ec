// The sender policies one rule at a time: Nagle on and off, sender
// silly-window avoidance, stop-and-wait's single segment, go-back-N's timeout.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace {

using namespace l4::flow;
using l4::flow::test::open_state;

}  // namespace

TEST_CASE("Nagle: a short last segment waits while data is in flight", "[flow][nagle]") {
    sliding_window s;
    // RFC 896: nothing outstanding, so the small segment goes at once.
    CHECK(s.may_send(open_state(500)) == 500);

    auto st = open_state(500);
    st.in_flight = 1000;
    CHECK(s.may_send(st) == 0);  // held until the ACK
    st.nodelay = true;           // TCP_NODELAY
    CHECK(s.may_send(st) == 500);
    st.nodelay = false;
    st.fin_queued = true;  // nothing more will join it: waiting gains nothing
    CHECK(s.may_send(st) == 500);
}

TEST_CASE("Nagle: a bulk write goes as whole segments, its short tail after the ACKs", "[flow][nagle]") {
    sliding_window s;
    CHECK(s.may_send(open_state(2500)) == 2000);
    auto st = open_state(500);
    st.in_flight = 2000;
    CHECK(s.may_send(st) == 0);
    st.in_flight = 0;  // all acknowledged
    CHECK(s.may_send(st) == 500);

    auto nodelay = open_state(2500);
    nodelay.nodelay = true;
    CHECK(sliding_window{}.may_send(nodelay) == 2500);
}

TEST_CASE("Nagle off: every write leaves at once, whatever is in flight", "[flow][nagle]") {
    sliding_window s;
    auto st = open_state(1);
    st.nodelay = true;
    for (std::uint32_t i = 0; i < 10; ++i) {
        st.in_flight = i;
        CHECK(s.may_send(st) == 1);
    }
}

TEST_CASE("sender SWS avoidance: a small window of a large one is not filled byte by byte", "[flow][sws]") {
    for (bool nodelay : {false, true}) {
        CAPTURE(nodelay);
        sliding_window s;
        auto st = open_state(5000);
        st.nodelay = nodelay;
        st.peer_window = 10000;
        CHECK(s.may_send(st) == 5000);
        CHECK(s.max_peer_window() == 10000);
        // The peer's reader is slow: 300 bytes of room, nothing in flight.
        st.peer_window = 300;
        CHECK(s.may_send(st) == 0);
        // RFC 1122 §4.2.3.4: the override timeout sends what the window holds.
        st.override_timeout = true;
        CHECK(s.may_send(st) == 300);
        st.override_timeout = false;
        // Whole segments go; the short tail is still silly beside a 10000-byte window.
        st.peer_window = 5500;
        st.queued = 6000;
        CHECK(s.may_send(st) == 5000);
        // Half the largest window is worth a short segment (jumbo MSS).
        st.mss = 8960;
        CHECK(s.may_send(st) == 5500);
    }
}

TEST_CASE("sender SWS avoidance: a peer whose window is below one MSS still gets data", "[flow][sws]") {
    sliding_window s;
    auto st = open_state(5000);
    st.peer_window = 600;  // the largest it ever offers, below our MSS of 1000
    CHECK(s.may_send(st) == 600);
    st.in_flight = 600;
    CHECK(s.may_send(st) == 0);  // the window is full
}

TEST_CASE("the windows bound what leaves: cwnd, the peer's window, what is in flight", "[flow][sliding_window]") {
    sliding_window s;
    auto st = open_state(10000);
    st.cwnd = 3000;
    st.in_flight = 1000;
    CHECK(s.may_send(st) == 2000);
    st.peer_window = 1500;  // now the peer's window is the smaller: 500 bytes of room,
    CHECK(s.may_send(st) == 0);  // a silly segment beside a 65535-byte window
    st.peer_window = 0;  // closed: the persist timer's business, not the policy's
    st.in_flight = 0;
    CHECK(s.may_send(st) == 0);
    st.peer_window = 500;
    st.in_flight = 2000;  // the peer shrank its window under data in flight
    CHECK(s.may_send(st) == 0);
}

TEST_CASE("go-back-N: a timeout sends everything from snd.una again", "[flow][sliding_window][go_back_n]") {
    go_back_n s;
    CHECK(s.on_timeout() == rto_action::from_una);
    CHECK_FALSE(s.max_in_flight_segments().has_value());

    // Four segments in flight, the first lost, the RTO fires: the connection
    // rewinds snd.nxt to snd.una, so the four are queued again, and the whole
    // window leaves again, not just the lost segment.
    auto st = open_state(4000);
    st.peer_window = 4000;
    REQUIRE(s.may_send(st) == 4000);
    st.in_flight = 4000;
    st.queued = 0;
    CHECK(s.may_send(st) == 0);
    REQUIRE(s.on_timeout() == rto_action::from_una);
    st.queued += st.in_flight;
    st.in_flight = 0;
    st.cwnd = 1000;  // RFC 5681 §3.1: the loss window, from the congestion policy
    CHECK(s.may_send(st) == 1000);
    st.cwnd = 4000;
    CHECK(s.may_send(st) == 4000);
}

TEST_CASE("stop-and-wait: one segment in flight, the next after its ACK", "[flow][stop_and_wait]") {
    stop_and_wait s;
    CHECK(s.max_in_flight_segments() == std::optional<std::uint32_t>{1});
    CHECK(s.on_timeout() == rto_action::first_segment);

    auto st = open_state(5000);
    CHECK(s.may_send(st) == 1000);  // one full segment, however wide the windows
    st.in_flight = 1000;
    st.queued = 4000;
    CHECK(s.may_send(st) == 0);
    st.in_flight = 1;  // even a single byte outstanding blocks the next
    CHECK(s.may_send(st) == 0);
    st.nodelay = true;
    CHECK(s.may_send(st) == 0);
    st.in_flight = 0;  // acknowledged
    CHECK(s.may_send(st) == 1000);
}

TEST_CASE("stop-and-wait: TFTP's 512-byte blocks, the short last one included", "[flow][stop_and_wait][tftp]") {
    // RFC 1350 §6: a block shorter than 512 bytes ends the transfer.
    stop_and_wait s;
    send_state st{.in_flight = 0, .peer_window = 512, .cwnd = 512, .mss = 512, .queued = 1300,
                  .nodelay = false, .fin_queued = true};
    std::vector<std::uint32_t> blocks;
    while (st.queued > 0) {
        const auto n = s.may_send(st);
        REQUIRE(n > 0);
        blocks.push_back(n);
        st.in_flight = n;
        CHECK(s.may_send(st) == 0);  // lock-step: wait for the ACK
        st.in_flight = 0;
        st.queued -= n;
    }
    CHECK(blocks == std::vector<std::uint32_t>{512, 512, 276});
}
