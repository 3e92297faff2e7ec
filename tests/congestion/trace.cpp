// trace.hpp: traced<C> records every event with what followed, keeps C's
// optional hooks exactly, and the CSV has one line per record.
#include "support.hpp"

#include <l4/congestion/trace.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;
using namespace std::chrono_literals;

constexpr std::uint32_t mss = 1000;

}  // namespace

TEST_CASE("traced<C> is an algorithm with exactly C's optional hooks", "[congestion][trace]") {
    STATIC_REQUIRE(check_algorithm<traced<reno>>());
    STATIC_REQUIRE(check_algorithm<traced<tahoe>>());
    STATIC_REQUIRE(check_algorithm<traced<bbr>>());
    STATIC_REQUIRE(l4::congestion::detail::has_on_partial_ack<traced<newreno>>);
    STATIC_REQUIRE(!l4::congestion::detail::has_on_partial_ack<traced<tahoe>>);  // the connection leaves recovery
    STATIC_REQUIRE(name_of<traced<cubic>>() == "cubic");
}

TEST_CASE("traced<reno>: one record per event, with cwnd, ssthresh, srtt and state after it", "[congestion][trace]") {
    traced<reno> t{{.mss = mss, .initial_window = 4 * mss}};
    const l4::instant t1 = l4::instant{} + 1s;
    t.on_ack(ack(mss, 4 * mss, t1, 100ms));
    t.on_ack(ack(mss, 4 * mss, t1 + 10ms, 200ms));
    t.on_enter_recovery(loss(5 * mss, t1 + 20ms));
    t.on_dup_ack(loss(5 * mss, t1 + 21ms));
    t.on_exit_recovery(t1 + 30ms);
    t.on_rto(loss(2 * mss, t1 + 2s));
    const auto r = t.records();
    REQUIRE(r.size() == 6);
    CHECK(r[0].event == trace_event::ack);
    CHECK(r[0].cwnd == 5'000);
    CHECK(r[0].srtt == 100ms);
    CHECK(r[0].state == "slow_start");
    CHECK(r[1].srtt == 112'500us);  // RFC 6298: 7/8 * 100 + 1/8 * 200
    CHECK(r[2].event == trace_event::enter_recovery);
    CHECK(r[2].ssthresh == 2'500);  // max(5000/2, 2000)
    CHECK(r[2].state == "recovery");
    CHECK(r[3].cwnd == r[2].cwnd + mss);
    CHECK(r[4].state == "congestion_avoidance");
    CHECK(r[4].cwnd == 2'500);  // deflated to ssthresh
    CHECK(r[5].event == trace_event::rto);
    CHECK(r[5].cwnd == mss);
    CHECK(r[5].at == t1 + 2s);
    CHECK(r[5].bytes_in_flight == 2 * mss);
    CHECK(!r[5].pacing_rate);
}

TEST_CASE("traced<bbr> names BBR's states and carries its pacing rate", "[congestion][trace]") {
    traced<bbr> t{{.mss = mss}};
    t.on_ack(ack(mss, 10 * mss, l4::instant{} + 40ms, 40ms));
    REQUIRE(t.records().size() == 1);
    CHECK(t.records()[0].state == "startup");
    CHECK(t.records()[0].pacing_rate == t.algorithm().pacing_rate());
}

TEST_CASE("the CSV: a header, then one line per record", "[congestion][trace]") {
    traced<reno> t{{.mss = mss, .initial_window = 2 * mss}};
    t.on_ack(ack(mss, 2 * mss, l4::instant{} + 1500ms, 40ms));
    t.on_rto(loss(3 * mss, l4::instant{} + 2500ms));
    std::ostringstream os;
    write_csv(os, t.records());
    CHECK(os.str() ==
          "time_s,event,cwnd,ssthresh,srtt_ms,bytes_in_flight,state,pacing_Bps\n"
          "1.5,ack,3000,4294967295,40,2000,slow_start,\n"
          "2.5,rto,1000,2000,40,3000,slow_start,\n");
}

TEST_CASE("observer: a function pointer and a context", "[congestion][trace]") {
    int calls = 0;
    observer o{&calls, [](void* c, const trace_record&) { ++*static_cast<int*>(c); }};
    REQUIRE(o);
    o(trace_record{});
    o(trace_record{});
    CHECK(calls == 2);
    CHECK(!observer{});
    observer{}(trace_record{});  // an empty observer does nothing
}
