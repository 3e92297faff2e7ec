// sender_policy and receiver_policy: who models them, who does not, and how
// the models join a policy bundle.
#include "support.hpp"

#include <l4/policy.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string_view>
#include <type_traits>

namespace {

using namespace l4::flow;

// Near misses: each lacks one thing the concepts ask for.
struct no_on_timeout {
    [[maybe_unused]] static constexpr std::string_view name = "no_on_timeout";
    std::uint32_t may_send(const send_state&) { return 0; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
};
struct signed_may_send {
    [[maybe_unused]] static constexpr std::string_view name = "signed_may_send";
    int may_send(const send_state&) { return 0; }
    rto_action on_timeout() { return rto_action::from_una; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
};
struct no_name {
    std::uint32_t may_send(const send_state&) { return 0; }
    rto_action on_timeout() { return rto_action::from_una; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
};
struct bool_timeout {
    [[maybe_unused]] static constexpr std::string_view name = "bool_timeout";
    std::uint32_t may_send(const send_state&) { return 0; }
    bool on_timeout() { return true; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
};
struct idle_of_wrong_state {
    [[maybe_unused]] static constexpr std::string_view name = "idle_of_wrong_state";
    std::uint32_t may_send(const send_state&) { return 0; }
    rto_action on_timeout() { return rto_action::from_una; }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
    void on_idle(const send_state&) {}
};
// A model's on_idle speaks for the model's may_send, not for one that hides it.
struct hides_may_send : sliding_window {
    std::uint32_t may_send(const send_state& s) { return sendable(s); }
};
struct no_window {
    [[maybe_unused]] static constexpr std::string_view name = "no_window";
};
struct window_of_wrong_state {
    [[maybe_unused]] static constexpr std::string_view name = "window_of_wrong_state";
    std::uint32_t window(const send_state&) { return 0; }
};

template <class... S>
constexpr bool all_senders_model(std::tuple<S...>*) {
    return (sender_policy<S> && ...) && (check_sender<S>() && ...);
}
template <class... R>
constexpr bool all_receivers_model(std::tuple<R...>*) {
    return (receiver_policy<R> && ...) && (check_receiver<R>() && ...);
}
template <class... P>
std::set<std::string_view> names(std::tuple<P...>*) {
    return {P::name...};
}

}  // namespace

TEST_CASE("every shipped policy, and one written in a test, models the flow concepts", "[flow][concept]") {
    STATIC_REQUIRE(all_senders_model(static_cast<test::all_senders*>(nullptr)));
    STATIC_REQUIRE(all_receivers_model(static_cast<test::all_receivers*>(nullptr)));
    STATIC_REQUIRE(std::is_same_v<go_back_n, sliding_window>);
    // Names tell the models apart in test and trace names.
    CHECK(names(static_cast<test::all_senders*>(nullptr)).size() == std::tuple_size_v<test::all_senders>);
    CHECK(names(static_cast<test::all_receivers*>(nullptr)).size() == std::tuple_size_v<test::all_receivers>);
    CHECK(receive_window<>::name == "receive_window<rfc1122>");
    CHECK(receive_window<sws::course>::name == "receive_window<course>");
}

TEST_CASE("near misses do not model the flow concepts", "[flow][concept]") {
    STATIC_REQUIRE(!sender_policy<no_on_timeout>);
    STATIC_REQUIRE(!sender_policy<signed_may_send>);
    STATIC_REQUIRE(!sender_policy<no_name>);
    STATIC_REQUIRE(!sender_policy<bool_timeout>);
    STATIC_REQUIRE(!sender_policy<int>);
    STATIC_REQUIRE(!sender_policy<receive_window<>>);
    STATIC_REQUIRE(!receiver_policy<no_window>);
    STATIC_REQUIRE(!receiver_policy<window_of_wrong_state>);
    STATIC_REQUIRE(!receiver_policy<sliding_window>);
    // The member each one misses, as check_sender's messages name them.
    STATIC_REQUIRE(!detail::has_on_timeout<no_on_timeout>);
    STATIC_REQUIRE(detail::has_may_send<no_on_timeout>);
    STATIC_REQUIRE(!detail::has_may_send<signed_may_send>);
    STATIC_REQUIRE(!detail::has_name<no_name>);
    STATIC_REQUIRE(!detail::has_window<window_of_wrong_state>);
    STATIC_REQUIRE(!sender_policy<idle_of_wrong_state>);
    STATIC_REQUIRE(!detail::has_on_idle<idle_of_wrong_state>);
}

TEST_CASE("a sender told of the window where nothing is queued says so with on_idle", "[flow][concept][idle]") {
    STATIC_REQUIRE(idle_aware_sender<sliding_window>);
    STATIC_REQUIRE(idle_aware_sender<selective_repeat>);
    STATIC_REQUIRE(idle_aware_sender<stop_and_wait>);
    // Without on_idle, or with a may_send of its own beside an inherited one, a sender is asked.
    STATIC_REQUIRE(!idle_aware_sender<test::two_per_burst>);
    STATIC_REQUIRE(sender_policy<hides_may_send>);
    STATIC_REQUIRE(!idle_aware_sender<hides_may_send>);
}

TEST_CASE("flow policies join a policy bundle by their family", "[flow][concept][policy]") {
    namespace hana = boost::hana;
    using namespace l4::policy;
    STATIC_REQUIRE(family_of<sliding_window>() == hana::type_c<flow_family>);
    STATIC_REQUIRE(family_of<stop_and_wait>() == hana::type_c<flow_family>);
    STATIC_REQUIRE(family_of<test::two_per_burst>() == hana::type_c<flow_family>);
    STATIC_REQUIRE(family_of<receive_window<sws::course>>() == hana::type_c<receive_window_family>);

    constexpr auto defaults =
        hana::make_map(hana::make_pair(hana::type_c<flow_family>, hana::type_c<sliding_window>),
                       hana::make_pair(hana::type_c<receive_window_family>, hana::type_c<receive_window<>>));
    using chosen = decltype(bundle<l4::use<receive_window<sws::course>>, l4::use<stop_and_wait>>(defaults));
    STATIC_REQUIRE(std::is_same_v<at<chosen, flow_family>, stop_and_wait>);
    STATIC_REQUIRE(std::is_same_v<at<chosen, receive_window_family>, receive_window<sws::course>>);
    using defaulted = decltype(bundle<>(defaults));
    STATIC_REQUIRE(std::is_same_v<at<defaulted, flow_family>, sliding_window>);
    STATIC_REQUIRE(std::is_same_v<at<defaulted, receive_window_family>, receive_window<sws::rfc1122>>);
    STATIC_REQUIRE(no_family_twice<l4::use<stop_and_wait>, l4::use<receive_window<>>>());
    STATIC_REQUIRE(!no_family_twice<l4::use<stop_and_wait>, l4::use<sliding_window>>());
}
