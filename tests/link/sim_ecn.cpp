// The simulator's ECN marking (RFC 3168 §5): the IP field read and set in a
// frame (IPv4 with its header checksum, IPv6's traffic class), and the
// ce_threshold queue that marks ECN-capable frames above K waiting and
// drops every frame at its limit.
#include <l4/link/sim.hpp>
#include <l4/link/sim/ecn_mark.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>

#include <catch2/catch.hpp>

#include <vector>

using namespace l4;
using namespace l4::link::sim;
using namespace std::chrono_literals;

namespace {

std::vector<std::uint8_t> v4_frame(std::uint8_t ecn, std::uint16_t id, std::uint8_t dscp = 0, std::size_t payload = 100) {
    std::vector<std::uint8_t> f(20 + payload, 0xAB);
    wire::ipv4_repr ip{.src = {192, 0, 2, 1}, .dst = {198, 51, 100, 7}, .protocol = 6};
    ip.identification = id;
    ip.dscp = dscp;
    ip.ecn = ecn;
    ip.payload_len = static_cast<std::uint16_t>(payload);
    REQUIRE(ip.emit(f));
    return f;
}

}  // namespace

TEST_CASE("sim ecn: CE on an ECN-capable IPv4 frame keeps its header checksum right", "[link][sim][ecn]") {
    for (std::uint8_t ecn : {std::uint8_t{1}, std::uint8_t{2}})
        for (std::uint32_t id = 0; id < 0x10000; id += 257)
            for (std::uint8_t dscp : {std::uint8_t{0}, std::uint8_t{46}, std::uint8_t{63}}) {
                auto f = v4_frame(ecn, static_cast<std::uint16_t>(id), dscp);
                CHECK(ecn_codepoint(f) == ecn);
                mark_ce(f);
                const auto v = wire::ipv4_view::check(f);
                REQUIRE(v);
                CHECK(v->ecn() == 3);
                CHECK(v->dscp() == dscp);
                CHECK(v->verify_header_checksum());
            }
}

TEST_CASE("sim ecn: not-ECT and CE frames, and frames that are not IP, are left alone", "[link][sim][ecn]") {
    for (std::uint8_t ecn : {std::uint8_t{0}, std::uint8_t{3}}) {
        auto f = v4_frame(ecn, 77);
        const auto before = f;
        mark_ce(f);
        CHECK(f == before);
    }
    std::vector<std::uint8_t> junk(64, 0x00);
    CHECK(ecn_codepoint(junk) == 0);
    junk[0] = 0x45;  // IPv4-looking but too short to be a header
    CHECK(ecn_codepoint(bytes{junk}.first(10)) == 0);
}

TEST_CASE("sim ecn: IPv6's traffic class takes CE in its low two bits, the DSCP kept", "[link][sim][ecn]") {
    std::vector<std::uint8_t> f(60, 0);
    wire::ipv6_repr ip;
    ip.next_header = 6;
    ip.traffic_class = static_cast<std::uint8_t>(46 << 2 | 2);  // EF, ECT(0)
    ip.flow_label = 0xABCDE;
    ip.payload_len = 20;
    REQUIRE(ip.emit(f));
    CHECK(ecn_codepoint(f) == 2);
    mark_ce(f);
    const auto v = wire::ipv6_view::check(f);
    REQUIRE(v);
    CHECK(v->traffic_class() == (46 << 2 | 3));
    CHECK(v->flow_label() == 0xABCDE);
}

TEST_CASE("sim ecn: ce_threshold marks ECN-capable arrivals above K waiting and drops every frame at its limit",
          "[link][sim][ecn]") {
    input_queue q{ce_threshold{.limit = 6, .k = 2}, 1, 10'000'000};
    const auto arrive = [&](bool ect) {
        const admission a = q.classify(100, true, 0, ect);
        if (a != admission::refuse) q.push({100, 0});
        return a;
    };
    CHECK(arrive(true) == admission::take);          // 0 waiting
    CHECK(arrive(true) == admission::take);          // 1
    CHECK(arrive(true) == admission::take);          // 2: not above K
    CHECK(arrive(true) == admission::take_marked);   // 3
    CHECK(arrive(false) == admission::take);         // 4: not-ECT is never marked
    CHECK(arrive(true) == admission::take_marked);   // 5
    CHECK(arrive(true) == admission::refuse);        // 6: full, ECT or not
    CHECK(arrive(false) == admission::refuse);
    CHECK(q.stats().ce_marked == 2);
    CHECK(q.stats().overflow == 2);
    // An idle wire takes a frame straight on: nothing waits, nothing is marked.
    CHECK(q.classify(100, false, 0, true) == admission::take);
}

TEST_CASE("sim ecn: a burst through a marking channel arrives with CE on the frames that waited above K",
          "[link][sim][ecn]") {
    network net{{.seed = 3}};
    auto l = point_to_point(net, {.bandwidth_bps = 1'000'000, .delay = 1ms, .queue = ce_threshold{.limit = 100, .k = 3}}, {});
    // 30 ECT(0) frames and then 5 not-ECT at once: the first goes onto the
    // wire, the next four find 0..3 waiting; every later ECT one is marked.
    for (std::uint16_t i = 0; i < 35; ++i) REQUIRE(l.a.transmit(v4_frame(i < 30 ? 2 : 0, i), instant{}));
    std::vector<std::uint8_t> buf(1500);
    std::size_t ce = 0, ect = 0, not_ect = 0;
    while (auto t = net.next_deadline()) {
        net.run_until(*t);
        while (auto n = l.b.receive(buf, *t)) {
            const auto v = wire::ipv4_view::check(bytes{buf}.first(*n));
            REQUIRE(v);
            CHECK(v->verify_header_checksum());
            (v->ecn() == 3 ? ce : v->ecn() == 2 ? ect : not_ect) += 1;
        }
    }
    CHECK(ce == 25);
    CHECK(ect == 5);
    CHECK(not_ect == 5);
    CHECK(net.channel_at(l.a_to_b).counters().ce_marked == 25);
    CHECK(net.channel_at(l.a_to_b).counters().dropped_queue == 0);
}
