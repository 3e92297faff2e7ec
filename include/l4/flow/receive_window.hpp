// The receiver's window advertisement, with silly-window avoidance.
//
//   RFC 1122 §4.2.3.3   receiver SWS avoidance (Fr = 1/2)
//   RFC 9293 §3.8.6.2.2 the receiver's algorithm; never shrink the window
//   RFC 813 §4          the silly window syndrome
//
// The window offered is the free buffer space, but an increase is announced
// only when it is worth a segment: until then the right edge stays where it
// was last advertised (the window shrinks from the left as data arrives, and
// stays 0 while a full buffer is read one byte at a time). The rule that says
// "worth it" is a template parameter:
//   sws::rfc1122  the increase is at least min(buffer / 2, MSS)  (the default)
//   sws::course   the free space is at least 25 % of the buffer or one MSS,
//                 whichever is smaller
//   sws::none     every freed byte is announced (the syndrome, for teaching)
// A rule is a type with `static constexpr std::string_view name` and
// `static constexpr bool opens(const receive_state&)`; a user may write one.
//
// The result is before window scaling and the 65,535-byte limit of an
// unscaled window: the connection applies both. A connection sends a window
// update when the result exceeds advertised_right_edge_room (RFC 9293
// §3.8.6.2.2); the rule already keeps that from happening byte by byte.
#pragma once

#include <l4/flow/concept.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace l4::flow {

namespace sws {

// RFC 1122 §4.2.3.3: RCV.BUFF - RCV.USER - RCV.WND >= min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2.
struct rfc1122 {
    static constexpr std::string_view name = "rfc1122";
    static constexpr bool opens(const receive_state& r) noexcept {
        const std::uint32_t increase =
            r.free > r.advertised_right_edge_room ? r.free - r.advertised_right_edge_room : 0;
        return increase >= std::min(r.capacity / 2, r.mss);
    }
};

// The course: announce a larger window only when 25 % of the buffer or one
// MSS is free.
struct course {
    static constexpr std::string_view name = "course";
    static constexpr bool opens(const receive_state& r) noexcept {
        return r.free >= std::min(r.capacity / 4, r.mss);
    }
};

// No avoidance: the window follows the free space byte by byte.
struct none {
    static constexpr std::string_view name = "none";
    static constexpr bool opens(const receive_state&) noexcept { return true; }
};

}  // namespace sws

namespace detail {

// "receive_window<" + Rule::name + ">", so that each rule's tests and traces
// are named apart.
template <class Rule>
inline constexpr auto receive_window_name = [] {
    constexpr std::string_view prefix = "receive_window<";
    std::array<char, prefix.size() + Rule::name.size() + 1> text{};
    std::copy(prefix.begin(), prefix.end(), text.begin());
    std::copy(Rule::name.begin(), Rule::name.end(), text.begin() + prefix.size());
    text.back() = '>';
    return text;
}();

}  // namespace detail

template <class Rule = sws::rfc1122>
class receive_window {
public:
    using policy_family = l4::policy::receive_window_family;
    using rule = Rule;
    static constexpr std::string_view name{detail::receive_window_name<Rule>.data(),
                                           detail::receive_window_name<Rule>.size()};

    constexpr std::uint32_t window(const receive_state& r) const noexcept {
        // RFC 9293 §3.8.6.2.2: never move the right edge left, whatever the rule.
        const std::uint32_t room = r.advertised_right_edge_room;
        return Rule::opens(r) ? std::max(r.free, room) : room;
    }
};

L4_ASSERT_RECEIVER_POLICY(receive_window<>);
L4_ASSERT_RECEIVER_POLICY(receive_window<sws::course>);

}  // namespace l4::flow
