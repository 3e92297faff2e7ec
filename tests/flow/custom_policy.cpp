// A sender policy written only here, in a test, runs inside l4kit's TCP
// endpoint over the simulator: a real transfer, nothing in include/ touched.
// (That a type missing a member fails to compile with a message naming it is
// checked by the ctest flow/compile_fail, tests/flow/compile_fail/.)
#include "flow_sim.hpp"

#include <l4/flow/concept.hpp>
#include <l4/policy.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>

namespace {

using namespace l4;
using namespace l4::flow;
using namespace l4::flow::test;

// The course's window of N segments, counted in segments rather than bytes:
// at most N full segments in flight whatever the windows offer, so the
// goodput is N * MSS / RTT on a path whose BDP is larger. N = 1 is
// stop-and-wait. On a timeout only the first segment goes again (the
// connection resends it; the others follow as their ACKs allow).
template <std::uint32_t N>
struct segments_in_flight {
    using policy_family = l4::policy::flow_family;
    static constexpr std::string_view name = "segments_in_flight";

    std::uint32_t may_send(const send_state& s) {
        const std::uint32_t mss = std::max<std::uint32_t>(s.mss, 1);
        const std::uint32_t cap = N * mss;
        if (s.in_flight >= cap) return 0;
        return std::min(sendable(s), cap - s.in_flight);
    }
    rto_action on_timeout() { return rto_action::first_segment; }
    std::optional<std::uint32_t> max_in_flight_segments() { return N; }
};
L4_ASSERT_SENDER_POLICY(segments_in_flight<1>);
L4_ASSERT_SENDER_POLICY(segments_in_flight<4>);

// The most bytes the sender ever had in flight, from the wire: the highest
// byte sent past the highest byte the receiver had acknowledged then.
template <class R>
std::uint32_t most_in_flight(const R& r) {
    std::uint32_t most = 0, high = 0;
    std::size_t acks = 0;
    std::uint32_t acked = 0;
    for (const auto& s : r.sent) {
        while (acks < r.acks.size() && r.acks[acks].at <= s.at) acked = std::max(acked, r.offset(r.acks[acks++].ack));
        if (s.payload == 0 || s.syn()) continue;
        high = std::max(high, r.offset(s.seq) + s.payload);
        most = std::max(most, high - acked);
    }
    return most;
}

template <std::uint32_t N>
void runs_at_n_segments_per_rtt() {
    // 10 Mbit/s, RTT 100 ms (BDP 86 segments), 300 segments, lossless.
    const transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 50ms}, .bytes = 300 * 1448};
    const auto r = run_transfer<segments_in_flight<N>>(c);
    REQUIRE(r.complete);
    CHECK(r.invariants);
    const double goodput = r.goodput(0.1, 0.9);
    std::printf("flow/custom_policy: segments_in_flight<%u>: %.0f B/s, N*MSS/RTT %.0f B/s, most in flight %u bytes\n",
                N, goodput, N * 1448 / 0.1, most_in_flight(r));
    CHECK(most_in_flight(r) <= N * r.snd_mss);
    CHECK(goodput == Approx(N * 1448 / 0.1).epsilon(0.05));  // +-5 %
}

}  // namespace

TEST_CASE("a sender policy written in a test runs in the endpoint: N segments per round trip",
          "[flow][sim][custom]") {
    // Measured: 14,308 B/s for N = 1, 57,231 B/s for N = 4 (MSS/RTT: 14,480 and 57,920).
    STATIC_REQUIRE(sender_policy<segments_in_flight<4>>);
    runs_at_n_segments_per_rtt<1>();
    runs_at_n_segments_per_rtt<4>();
}

TEST_CASE("a sender policy written in a test recovers from loss in the endpoint", "[flow][sim][custom]") {
    // 2 % of the data segments lost: every byte still arrives, and the
    // timeout action the policy chose (first_segment) resends segments, not
    // windows. Measured: 8 of 300 segments lost, 11,584 bytes lost and
    // 11,584 retransmitted.
    const transfer_config c{.path = {.bandwidth_bps = 10'000'000, .one_way = 20ms, .loss = 0.02, .seed = 3},
                            .bytes = 300 * 1448};
    const auto r = run_transfer<segments_in_flight<4>>(c);
    std::printf("flow/custom_policy: segments_in_flight<4>, 2 %% loss: %llu bytes lost, %llu retransmitted\n",
                static_cast<unsigned long long>(r.bytes_lost()), static_cast<unsigned long long>(r.bytes_retransmitted()));
    REQUIRE(r.complete);
    CHECK(r.invariants);
    CHECK(r.bytes_lost() > 0);
    CHECK(most_in_flight(r) <= 4 * r.snd_mss);
    CHECK(r.bytes_retransmitted() >= r.bytes_lost());
}
