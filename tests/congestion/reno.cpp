// Reno, step by step: slow start, congestion avoidance, fast retransmit and
// fast recovery with RFC 5681 §3.2's numbers, the RTO, the course profile.
// SMSS is 1000 bytes throughout so the numbers read as segments.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;

constexpr std::uint32_t mss = 1000;

std::vector<std::uint32_t> cwnd_per_rtt(reno& r, int rtts, std::uint32_t per_ack) {
    std::vector<std::uint32_t> out{r.cwnd()};
    for (int i = 0; i < rtts; ++i) {
        one_rtt(r, per_ack);
        out.push_back(r.cwnd());
    }
    return out;
}

}  // namespace

TEST_CASE("reno starts with RFC 6928's window and an arbitrarily high ssthresh", "[congestion][reno]") {
    CHECK(reno{{.mss = 536}}.cwnd() == 5360);
    CHECK(reno{{.mss = 1220}}.cwnd() == 12200);
    CHECK(reno{{.mss = 1460}}.cwnd() == 14600);
    CHECK(reno{{.mss = 8960}}.cwnd() == 17920);
    CHECK(reno{{.mss = 1460}}.ssthresh() == 0xFFFFFFFF);
    CHECK(reno{{.mss = mss, .initial_window = 3 * mss}}.cwnd() == 3 * mss);
    CHECK(reno{{.mss = mss, .initial_window = 10}}.cwnd() == mss);  // never below one segment
    CHECK(reno{{.mss = 0}}.cwnd() >= 1);                              // misuse: no division by zero, no stall
}

TEST_CASE("reno: slow start doubles cwnd per RTT when every segment is acknowledged", "[congestion][reno]") {
    reno r{{.mss = mss}};
    CHECK(cwnd_per_rtt(r, 4, mss) == std::vector<std::uint32_t>{10'000, 20'000, 40'000, 80'000, 160'000});
}

TEST_CASE("reno: with delayed ACKs slow start grows 1.5x per RTT (RFC 3465 L = 1 SMSS)", "[congestion][reno]") {
    reno r{{.mss = mss}};
    // One ACK per two segments, each counted as min(2000, SMSS) = 1000.
    CHECK(cwnd_per_rtt(r, 3, 2 * mss) == std::vector<std::uint32_t>{10'000, 15'000, 23'000, 35'000});
}

TEST_CASE("reno: congestion avoidance adds one SMSS per RTT", "[congestion][reno]") {
    SECTION("an ACK per segment") {
        reno r{{.mss = mss, .initial_window = 20 * mss, .initial_ssthresh = 20 * mss}};
        CHECK(cwnd_per_rtt(r, 5, mss) == std::vector<std::uint32_t>{20'000, 21'000, 22'000, 23'000, 24'000, 25'000});
        CHECK(r.ssthresh() == 20'000);
    }
    SECTION("an ACK per two segments: the same, since bytes are counted") {
        reno r{{.mss = mss, .initial_window = 20 * mss, .initial_ssthresh = 20 * mss}};
        CHECK(cwnd_per_rtt(r, 5, 2 * mss) == std::vector<std::uint32_t>{20'000, 21'000, 22'000, 23'000, 24'000, 25'000});
    }
    SECTION("nothing until a whole window has been acknowledged") {
        reno r{{.mss = mss, .initial_window = 20 * mss, .initial_ssthresh = 20 * mss}};
        for (int i = 0; i < 19; ++i) r.on_ack(ack(mss, 20 * mss));
        CHECK(r.cwnd() == 20'000);
        r.on_ack(ack(mss, mss));
        CHECK(r.cwnd() == 21'000);
    }
    SECTION("one ACK of a whole window counts once") {
        reno r{{.mss = mss, .initial_window = 20 * mss, .initial_ssthresh = 20 * mss}};
        r.on_ack(ack(200 * mss, 200 * mss));
        CHECK(r.cwnd() == 21'000);
        r.on_ack(ack(mss, mss));  // the credit left over is at most one window
        CHECK(r.cwnd() == 21'000);
    }
}

TEST_CASE("reno: slow start stops at ssthresh, then congestion avoidance", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 4 * mss, .initial_ssthresh = 10'500}};
    CHECK(cwnd_per_rtt(r, 3, mss) == std::vector<std::uint32_t>{4'000, 8'000, 10'500, 11'500});
}

TEST_CASE("reno: three duplicate ACKs, RFC 5681 §3.2 step by step", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 10 * mss}};
    REQUIRE(r.cwnd() == 10'000);
    // Steps 1-3: the third duplicate ACK with 10 segments in flight.
    r.on_enter_recovery(loss(10'000));
    CHECK(r.ssthresh() == 5'000);            // step 2: max(FlightSize/2, 2*SMSS)
    CHECK(r.cwnd() == 8'000);                // step 3: ssthresh + 3*SMSS
    CHECK(send_budget(r, 0xFFFFFFFF, 10'000) == 0);  // nothing new may leave yet
    // Step 4: each further duplicate ACK inflates by one SMSS.
    dup_ack(r, loss(10'000));
    CHECK(r.cwnd() == 9'000);
    dup_ack(r, loss(10'000));
    CHECK(r.cwnd() == 10'000);
    dup_ack(r, loss(10'000));
    CHECK(r.cwnd() == 11'000);
    CHECK(send_budget(r, 0xFFFFFFFF, 10'000) == 1'000);  // step 5: one new segment may go
    CHECK(r.ssthresh() == 5'000);
    // Step 6: the ACK of new data deflates to ssthresh.
    r.on_exit_recovery(t0);
    CHECK(r.cwnd() == 5'000);
    CHECK(r.ssthresh() == 5'000);
    // ...and growth resumes in congestion avoidance.
    CHECK(cwnd_per_rtt(r, 2, mss) == std::vector<std::uint32_t>{5'000, 6'000, 7'000});
}

TEST_CASE("reno: ssthresh comes from FlightSize, not cwnd, and never below 2 SMSS", "[congestion][reno]") {
    SECTION("FlightSize below cwnd") {
        reno r{{.mss = mss, .initial_window = 20 * mss}};
        r.on_enter_recovery(loss(8'000));
        CHECK(r.ssthresh() == 4'000);
        CHECK(r.cwnd() == 7'000);
    }
    SECTION("a small flight: the 2*SMSS floor") {
        reno r{{.mss = mss, .initial_window = 20 * mss}};
        r.on_enter_recovery(loss(3'000));
        CHECK(r.ssthresh() == 2'000);
        CHECK(r.cwnd() == 5'000);
        r.on_exit_recovery(t0);
        CHECK(r.cwnd() == 2'000);
    }
}

TEST_CASE("reno: a partial ACK deflates to ssthresh, further duplicates inflate again", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 10 * mss}};
    r.on_enter_recovery(loss(10'000));
    dup_ack(r, loss(10'000));
    CHECK(r.cwnd() == 9'000);
    partial_ack(r, ack(2 * mss, 10'000));
    CHECK(r.cwnd() == 5'000);
    dup_ack(r, loss(8'000));
    CHECK(r.cwnd() == 6'000);
    r.on_exit_recovery(t0);
    CHECK(r.cwnd() == 5'000);
}

TEST_CASE("reno: an RTO falls to 1 SMSS and slow-starts to the halved ssthresh", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 20 * mss}};
    r.on_rto(loss(20'000));
    CHECK(r.ssthresh() == 10'000);
    CHECK(r.cwnd() == 1'000);  // RFC 5681 §3.1: the loss window
    CHECK(cwnd_per_rtt(r, 6, mss) ==
          std::vector<std::uint32_t>{1'000, 2'000, 4'000, 8'000, 10'000, 11'000, 12'000});
}

TEST_CASE("reno: an RTO during fast recovery ends it, back to 1 SMSS", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 10 * mss}};
    r.on_enter_recovery(loss(10'000));
    dup_ack(r, loss(10'000));
    r.on_rto(loss(12'000));
    CHECK(r.ssthresh() == 6'000);
    CHECK(r.cwnd() == 1'000);
}

TEST_CASE("reno: a backed-off RTO of the same segment keeps ssthresh", "[congestion][reno]") {
    reno r{{.mss = mss, .initial_window = 20 * mss}};
    r.on_rto(loss(20'000));
    r.on_rto(loss(1'000));  // the retransmission timed out too: no new data acknowledged since
    CHECK(r.ssthresh() == 10'000);
    CHECK(r.cwnd() == 1'000);
    r.on_ack(ack(mss, mss));  // it got through
    CHECK(r.cwnd() == 2'000);
    r.on_rto(loss(2'000));    // a new loss: cut again
    CHECK(r.ssthresh() == 2'000);
    CHECK(r.cwnd() == 1'000);
}

TEST_CASE("reno: the course profile starts at 1 MSS with ssthresh 64 KB", "[congestion][reno][course]") {
    reno r{params::course(mss)};
    CHECK(r.cwnd() == 1'000);
    CHECK(r.ssthresh() == 65'536);
    // Slow start 1, 2, 4, ..., 64 segments, then the threshold, then one
    // segment per RTT.
    CHECK(cwnd_per_rtt(r, 9, mss) == std::vector<std::uint32_t>{1'000, 2'000, 4'000, 8'000, 16'000, 32'000,
                                                                 64'000, 65'536, 66'536, 67'536});
    // Three duplicate ACKs with the window full: halve, inflate, deflate.
    r.on_enter_recovery(loss(67'536));
    CHECK(r.ssthresh() == 33'768);
    CHECK(r.cwnd() == 36'768);
    r.on_exit_recovery(t0);
    CHECK(r.cwnd() == 33'768);
}
