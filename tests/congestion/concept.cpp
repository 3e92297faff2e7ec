// congestion::algorithm: who models it, who does not (and which diagnostic
// each near miss would get), the optional hooks' defaults, none,
// fixed_window, the initial window and the course profile.
#include "support.hpp"

#include <l4/checksum/none.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace {

using namespace l4::congestion;
using namespace l4::congestion::test;

// The smallest algorithm: the required members and nothing else.
struct minimal {
    std::uint32_t w;
    explicit minimal(const params& p) : w{smss(p)} {}
    void on_ack(const ack_event&) {}
    void on_enter_recovery(const loss_event&) {}
    void on_exit_recovery(l4::instant) {}
    void on_rto(const loss_event&) {}
    std::uint32_t cwnd() const { return w; }
    std::uint32_t ssthresh() const { return 0xFFFFFFFF; }
};

// Every optional hook, counted.
struct counting : minimal {
    using minimal::minimal;
    static constexpr std::string_view name = "counting";
    int dups = 0, partials = 0, echoes = 0;
    void on_dup_ack(const loss_event&) { ++dups; }
    void on_partial_ack(const ack_event&) { ++partials; }
    void on_ecn_echo(const loss_event&) { ++echoes; }
    std::optional<std::uint64_t> pacing_rate() const { return 1'250'000; }
};

// Near misses: each lacks one thing, or gets one signature wrong.
struct no_rto {
    explicit no_rto(const params&) {}
    void on_ack(const ack_event&) {}
    void on_enter_recovery(const loss_event&) {}
    void on_exit_recovery(l4::instant) {}
    std::uint32_t cwnd() const { return 1; }
    std::uint32_t ssthresh() const { return 1; }
};
struct no_params_constructor : minimal {
    no_params_constructor() : minimal{params{.mss = 1}} {}
};
struct signed_cwnd : minimal {
    using minimal::minimal;
    int cwnd() const { return 1; }
};
struct mutable_ssthresh : minimal {  // cwnd and ssthresh must be const
    using minimal::minimal;
    std::uint32_t ssthresh() { return 1; }
};
struct dup_ack_takes_ack_event : minimal {  // would silently never be called
    using minimal::minimal;
    void on_dup_ack(const ack_event&) {}
};
struct pacing_rate_as_double : minimal {
    using minimal::minimal;
    double pacing_rate() const { return 1.0; }
};
struct name_not_a_string : minimal {
    using minimal::minimal;
    static constexpr int name = 3;
};

}  // namespace

TEST_CASE("the shipped algorithms and user-written ones model the concept", "[congestion][concept]") {
    STATIC_REQUIRE(algorithm<reno>);
    STATIC_REQUIRE(algorithm<none>);
    STATIC_REQUIRE(algorithm<fixed_window<>>);
    STATIC_REQUIRE(algorithm<fixed_window<10>>);
    STATIC_REQUIRE(algorithm<halving>);
    STATIC_REQUIRE(algorithm<minimal>);
    STATIC_REQUIRE(algorithm<counting>);
    STATIC_REQUIRE(check_algorithm<minimal>());
    STATIC_REQUIRE(check_algorithm<counting>());
}

TEST_CASE("a near miss is not an algorithm, and the requirement it misses is the one named", "[congestion][concept]") {
    // Each line names the detail concept whose static_assert in
    // check_algorithm<T>() would fire, with its message.
    STATIC_REQUIRE(!algorithm<no_rto>);
    STATIC_REQUIRE(!detail::has_on_rto<no_rto>);
    STATIC_REQUIRE(detail::has_on_ack<no_rto>);

    STATIC_REQUIRE(!algorithm<no_params_constructor>);
    STATIC_REQUIRE(!detail::has_params_constructor<no_params_constructor>);

    STATIC_REQUIRE(!algorithm<signed_cwnd>);
    STATIC_REQUIRE(!detail::has_cwnd<signed_cwnd>);

    STATIC_REQUIRE(!algorithm<mutable_ssthresh>);
    STATIC_REQUIRE(!detail::has_ssthresh<mutable_ssthresh>);

    STATIC_REQUIRE(!algorithm<dup_ack_takes_ack_event>);
    STATIC_REQUIRE(detail::names_on_dup_ack<dup_ack_takes_ack_event>);
    STATIC_REQUIRE(!detail::has_on_dup_ack<dup_ack_takes_ack_event>);

    STATIC_REQUIRE(!algorithm<pacing_rate_as_double>);
    STATIC_REQUIRE(!detail::has_pacing_rate<pacing_rate_as_double>);

    STATIC_REQUIRE(!algorithm<name_not_a_string>);
    STATIC_REQUIRE(!detail::has_name<name_not_a_string>);

    STATIC_REQUIRE(!algorithm<int>);
}

TEST_CASE("optional hooks: absent ones do nothing, present ones are called", "[congestion][concept]") {
    minimal m{params{.mss = 1000}};
    dup_ack(m, loss(5000));
    partial_ack(m, ack(1000, 5000));
    ecn_echo(m, loss(5000));
    CHECK(m.cwnd() == 1000);
    CHECK(pacing_rate(m) == std::nullopt);
    CHECK(name_of<minimal>() == "unnamed");

    counting c{params{.mss = 1000}};
    dup_ack(c, loss(5000));
    dup_ack(c, loss(5000));
    partial_ack(c, ack(1000, 5000));
    ecn_echo(c, loss(5000));
    CHECK(c.dups == 2);
    CHECK(c.partials == 1);
    CHECK(c.echoes == 1);
    CHECK(pacing_rate(c) == 1'250'000);
    CHECK(state_of(c).pacing_rate == 1'250'000);
    CHECK(name_of<counting>() == "counting");
    CHECK(name_of<reno>() == "reno");
    CHECK(name_of<none>() == "none");
    CHECK(name_of<fixed_window<4>>() == "fixed_window");
}

TEST_CASE("every shipped algorithm belongs to the congestion policy family", "[congestion][concept][policy]") {
    namespace hana = boost::hana;
    using l4::policy::congestion_family;
    constexpr auto defaults = hana::make_map(hana::make_pair(hana::type_c<congestion_family>, hana::type_c<reno>));
    using chosen = decltype(l4::policy::bundle<l4::use<fixed_window<1>>>(defaults));
    STATIC_REQUIRE(std::is_same_v<l4::policy::at<chosen, congestion_family>, fixed_window<1>>);
    using defaulted = decltype(l4::policy::bundle<>(defaults));
    STATIC_REQUIRE(std::is_same_v<l4::policy::at<defaulted, congestion_family>, reno>);
    STATIC_REQUIRE(l4::policy::no_family_twice<l4::use<l4::checksum::none>, l4::use<halving>>());
    STATIC_REQUIRE(!l4::policy::no_family_twice<l4::use<reno>, l4::use<none>>());
}

TEST_CASE("the initial window: RFC 6928, or the one given, never below one segment", "[congestion][window]") {
    STATIC_REQUIRE(initial_window({.mss = 536}) == 5360);
    STATIC_REQUIRE(initial_window({.mss = 1220}) == 12200);
    STATIC_REQUIRE(initial_window({.mss = 1460}) == 14600);
    STATIC_REQUIRE(initial_window({.mss = 8960}) == 17920);
    STATIC_REQUIRE(initial_window({.mss = 65535}) == 131070);
    STATIC_REQUIRE(initial_window({.mss = 1000, .initial_window = 4000}) == 4000);
    STATIC_REQUIRE(initial_window({.mss = 1000, .initial_window = 1}) == 1000);
    STATIC_REQUIRE(initial_window({.mss = 0}) == 10);  // a zero MSS counts as one byte
}

TEST_CASE("the course profile: cwnd 1 MSS, ssthresh 64 KB", "[congestion][course]") {
    constexpr params p = params::course(1460);
    STATIC_REQUIRE(p.mss == 1460);
    STATIC_REQUIRE(initial_window(p) == 1460);
    STATIC_REQUIRE(p.initial_ssthresh == 65536);
    STATIC_REQUIRE(reno{p}.cwnd() == 1460);
    STATIC_REQUIRE(reno{p}.ssthresh() == 65536);
}

TEST_CASE("the shared window pieces", "[congestion][window]") {
    STATIC_REQUIRE(loss_ssthresh(10'000, 1000) == 5'000);
    STATIC_REQUIRE(loss_ssthresh(3'000, 1000) == 2'000);
    STATIC_REQUIRE(loss_ssthresh(0, 1000) == 2'000);
    STATIC_REQUIRE(loss_ssthresh(0, 0xFFFFFFFF) == 0xFFFFFFFF);  // saturates, does not wrap
    STATIC_REQUIRE(loss_window(1460) == 1460);
    STATIC_REQUIRE(slow_start(1000, 0xFFFFFFFF, 500, 1000) == 1500);   // min(N, SMSS)
    STATIC_REQUIRE(slow_start(1000, 0xFFFFFFFF, 5000, 1000) == 2000);  // L = 1 SMSS
    STATIC_REQUIRE(slow_start(9500, 10'000, 1000, 1000) == 10'000);    // stops at ssthresh
    STATIC_REQUIRE(slow_start(10'000, 10'000, 1000, 1000) == 10'000);  // not in slow start
    STATIC_REQUIRE(slow_start(0xFFFFFFFF - 10, 0xFFFFFFFF, 1000, 1000) == 0xFFFFFFFF);
    STATIC_REQUIRE(saturating_add(0xFFFFFFFF, 1) == 0xFFFFFFFF);
    additive_increase ai;
    CHECK(ai.grow(4000, 3000, 1000) == 4000);
    CHECK(ai.bytes_acked() == 3000);
    CHECK(ai.grow(4000, 1500, 1000) == 5000);
    CHECK(ai.bytes_acked() == 500);
    ai.reset();
    CHECK(ai.bytes_acked() == 0);
}

TEST_CASE("none: the peer's window alone decides", "[congestion][none]") {
    none n{params{.mss = 1460}};
    CHECK(n.cwnd() == 0xFFFFFFFF);
    n.on_rto(loss(100'000));
    n.on_enter_recovery(loss(100'000));
    CHECK(n.cwnd() == 0xFFFFFFFF);
    CHECK(send_budget(n, 65'535, 10'000) == 55'535);
    CHECK(send_budget(n, 65'535, 70'000) == 0);
}

TEST_CASE("fixed_window: a constant window whatever happens", "[congestion][fixed_window]") {
    STATIC_REQUIRE(fixed_window<1>{params{.mss = 1460}}.cwnd() == 1460);  // stop-and-wait
    STATIC_REQUIRE(fixed_window<4>{params{.mss = 1000}}.cwnd() == 4000);
    STATIC_REQUIRE(fixed_window<>{params{.mss = 1000, .initial_window = 7000}}.cwnd() == 7000);
    STATIC_REQUIRE(fixed_window<>{params{.mss = 1460}}.cwnd() == 14600);
    STATIC_REQUIRE(fixed_window<0xFFFFFFFF>{params{.mss = 1460}}.cwnd() == 0xFFFFFFFF);
    fixed_window<4> w{params{.mss = 1000}};
    w.on_ack(ack(1000, 4000));
    w.on_enter_recovery(loss(4000));
    dup_ack(w, loss(4000));
    w.on_exit_recovery(t0);
    w.on_rto(loss(4000));
    CHECK(w.cwnd() == 4000);
    CHECK(send_budget(w, 65'535, 3000) == 1000);
    CHECK(send_budget(w, 2000, 1000) == 1000);  // the peer's window is smaller
}
