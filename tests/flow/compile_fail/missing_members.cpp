// Compiled by expect_diagnostic.cmake, never built into a test binary: a
// sender policy that misses on_timeout() and name must fail to compile, with
// flow/concept.hpp's message naming each missing member and no other.
// With -DL4_COMPLETE_POLICY it has them and must compile (the control: the
// failure is the concept's, not a broken include path).
#include <l4/flow/concept.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

struct half_a_policy {
    using policy_family = l4::policy::flow_family;
    std::uint32_t may_send(const l4::flow::send_state& s) { return l4::flow::sendable(s); }
    std::optional<std::uint32_t> max_in_flight_segments() { return std::nullopt; }
#ifdef L4_COMPLETE_POLICY
    l4::flow::rto_action on_timeout() { return l4::flow::rto_action::from_una; }
    static constexpr std::string_view name = "half_a_policy";
#endif
};

L4_ASSERT_SENDER_POLICY(half_a_policy);

int main() {}
