// A plain value for any layout: one member per field, parse and emit.
//
// The formats that ship have hand-written reprs (TCP's carries options and a
// payload); a user's own layout gets this one for free, with the same
// contract: parse checks the length, emit refuses values wider than their
// field, and parse(emit(r)) == r.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/layout.hpp>

#include <cstdint>
#include <ostream>
#include <tuple>

namespace l4::wire {

template <layout_type L>
struct layout_repr {
    typename L::value_tuple values{};

    template <fixed_string Name>
    [[nodiscard]] constexpr auto& get() noexcept {
        return std::get<L::template index_of<Name>>(values);
    }
    template <fixed_string Name>
    [[nodiscard]] constexpr const auto& get() const noexcept {
        return std::get<L::template index_of<Name>>(values);
    }

    [[nodiscard]] static constexpr result<layout_repr> parse(bytes in) noexcept {
        auto v = view<L>::check(in);
        if (!v) return v.error();
        return from_view(*v);
    }

    template <class Byte>
    [[nodiscard]] static constexpr layout_repr from_view(basic_view<L, Byte> v) noexcept {
        layout_repr r;
        for_each_index<L>([&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            std::get<k>(r.values) = detail::read_bits<L::bit_offsets[k], L::template field_at<k>::bits>(v.data());
        });
        return r;
    }

    [[nodiscard]] static constexpr std::size_t buffer_len() noexcept { return L::size; }

    [[nodiscard]] constexpr bool fits() const noexcept {
        bool ok = true;
        for_each_index<L>([&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            constexpr std::size_t bits = L::template field_at<k>::bits;
            if constexpr (bits < 64 && !detail::is_byte_array<field_value_t<bits>>)
                ok = ok && (std::uint64_t{std::get<k>(values)} >> bits) == 0;
        });
        return ok;
    }

    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        if (out.size() < L::size) return errc::buffer_too_small;
        if (!fits()) return errc::value_out_of_range;
        for_each_index<L>([&](auto i) {
            constexpr std::size_t k = decltype(i)::value;
            detail::write_bits<L::bit_offsets[k], L::template field_at<k>::bits>(out.data(), std::get<k>(values));
        });
        return L::size;
    }

    friend constexpr bool operator==(const layout_repr&, const layout_repr&) noexcept = default;
};

template <layout_type L>
std::ostream& operator<<(std::ostream& os, const layout_repr<L>& r) {
    bool first = true;
    for_each_index<L>([&](auto i) {
        constexpr std::size_t k = decltype(i)::value;
        os << (first ? "" : " ") << L::template field_at<k>::name << '=';
        detail::print_value(os, std::get<k>(r.values));
        first = false;
    });
    return os;
}

}  // namespace l4::wire
