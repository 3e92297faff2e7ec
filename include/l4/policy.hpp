// Composing an endpoint out of policies, order-independently, with defaults.
//
//     using my_udp = l4::udp::endpoint<l4::use<l4::checksum::crc32c>>;   // the rest defaults
//
// Each `use<T>` names one policy; its family (checksum, datagram format,
// later flow and congestion control) is found from what T is, so the order
// of the uses does not matter. A bundle is a small hana::map from family tag
// to the chosen type: the defaults, with each use replacing its family's
// entry. Two uses of the same family, or a type of no family, are compile
// errors that say so.
#pragma once

#include <l4/checksum/concept.hpp>

#include <boost/hana/at_key.hpp>
#include <boost/hana/contains.hpp>
#include <boost/hana/equal.hpp>
#include <boost/hana/erase_key.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/fold_left.hpp>
#include <boost/hana/insert.hpp>
#include <boost/hana/map.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <type_traits>

namespace l4 {

namespace hana = boost::hana;

template <class T>
struct use {
    using type = T;
};

namespace policy {

// Family tags. A policy type that is not a checksum strategy names its
// family with a nested `using policy_family = ...;`.
struct checksum_family {};
struct datagram_format_family {};
struct flow_family {};
struct receive_window_family {};
struct congestion_family {};
struct segment_format_family {};

template <class T>
inline constexpr bool always_false = false;

template <class T>
constexpr auto family_of() {
    if constexpr (checksum::checksum_strategy<T>) {
        return hana::type_c<checksum_family>;
    } else if constexpr (requires { typename T::policy_family; }) {
        return hana::type_c<typename T::policy_family>;
    } else {
        static_assert(always_false<T>,
                      "l4::use<T>: T belongs to no policy family: it is not a checksum strategy "
                      "(see l4/checksum/concept.hpp) and has no `using policy_family = ...;`");
        return hana::type_c<void>;
    }
}

// The defaults with every use put in place of its family's default.
template <class... Uses>
constexpr auto bundle(auto defaults) {
    return hana::fold_left(hana::make_tuple(hana::type_c<typename Uses::type>...), defaults, [](auto map, auto t) {
        using T = typename decltype(t)::type;
        constexpr auto family = family_of<T>();
        static_assert(decltype(hana::contains(map, family))::value,
                      "l4::use<T>: this endpoint has no policy of T's family");
        return hana::insert(hana::erase_key(map, family), hana::make_pair(family, t));
    });
}

template <class Bundle, class Family>
using at = typename decltype(+hana::at_key(std::declval<Bundle>(), hana::type_c<Family>))::type;

template <class... Uses>
constexpr bool no_family_twice() {
    constexpr auto families = hana::make_tuple(family_of<typename Uses::type>()...);
    bool ok = true;
    hana::for_each(families, [&](auto a) {
        int n = 0;
        hana::for_each(families, [&](auto b) { n += decltype(a == b)::value ? 1 : 0; });
        ok = ok && n == 1;
    });
    return ok;
}

}  // namespace policy
}  // namespace l4
