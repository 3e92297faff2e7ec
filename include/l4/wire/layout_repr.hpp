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

#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <utility>

namespace l4::wire {

namespace detail {

// One member per field, reached by index. Plain bases instead of std::tuple:
// a tuple of twenty elements instantiates twenty nested classes per layout.
template <std::size_t I, class T>
struct slot {
    T value{};
    friend constexpr bool operator==(const slot&, const slot&) noexcept = default;
};

template <class... Fields>
struct type_list {};

template <class Fields, class Indices>
struct slots;
template <class... Fields, std::size_t... I>
struct slots<type_list<Fields...>, std::index_sequence<I...>> : slot<I, typename Fields::value_type>... {
    friend constexpr bool operator==(const slots&, const slots&) noexcept = default;
};

template <class L>
struct layout_slots;
template <class... Fields>
struct layout_slots<layout<Fields...>> {
    using type = slots<type_list<Fields...>, std::index_sequence_for<Fields...>>;
};

}  // namespace detail

template <layout_type L>
class layout_repr {
public:
    template <fixed_string Name>
    [[nodiscard]] constexpr auto& get() noexcept {
        return at<L::template index_of<Name>>();
    }
    template <fixed_string Name>
    [[nodiscard]] constexpr const auto& get() const noexcept {
        return at<L::template index_of<Name>>();
    }

    [[nodiscard]] static constexpr result<layout_repr> parse(bytes in) noexcept {
        auto v = view<L>::check(in);
        if (!v) return v.error();
        return from_view(*v);
    }

    template <class Byte>
    [[nodiscard]] static constexpr layout_repr from_view(basic_view<L, Byte> v) noexcept {
        layout_repr r;
        r.load(v.data(), indices{});
        return r;
    }

    [[nodiscard]] static constexpr std::size_t buffer_len() noexcept { return L::size; }

    // Every value fits its field's width.
    [[nodiscard]] constexpr bool fits() const noexcept { return fits(indices{}); }

    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        if (out.size() < L::size) return errc::buffer_too_small;
        if (!fits()) return errc::value_out_of_range;
        store(out.data(), indices{});
        return L::size;
    }

    friend constexpr bool operator==(const layout_repr&, const layout_repr&) noexcept = default;

    [[gnu::cold]] friend std::ostream& operator<<(std::ostream& os, const layout_repr& r) {
        r.print(os, indices{});
        return os;
    }

private:
    using indices = std::make_index_sequence<L::field_count>;

    template <std::size_t I>
    [[nodiscard]] constexpr auto& at() noexcept {
        return static_cast<detail::slot<I, field_value_t<L::infos[I].bits>>&>(values_).value;
    }
    template <std::size_t I>
    [[nodiscard]] constexpr const auto& at() const noexcept {
        return static_cast<const detail::slot<I, field_value_t<L::infos[I].bits>>&>(values_).value;
    }

    template <std::size_t I>
    static constexpr std::size_t bits_of = L::infos[I].bits;

    static constexpr bool fits_bits(std::uint64_t v, std::size_t bits) noexcept { return bits >= 64 || v >> bits == 0; }
    template <std::size_t N>
    static constexpr bool fits_bits(const std::array<std::uint8_t, N>&, std::size_t) noexcept { return true; }

    template <std::size_t... I>
    constexpr void load(const std::uint8_t* p, std::index_sequence<I...>) noexcept {
        (detail::load_field(p, L::bit_offsets[I], bits_of<I>, at<I>()), ...);
    }
    template <std::size_t... I>
    constexpr void store(std::uint8_t* p, std::index_sequence<I...>) const noexcept {
        (detail::store_field(p, L::bit_offsets[I], bits_of<I>, at<I>()), ...);
    }
    template <std::size_t... I>
    constexpr bool fits(std::index_sequence<I...>) const noexcept {
        return (fits_bits(at<I>(), bits_of<I>) && ...);
    }
    template <std::size_t... I>
    [[gnu::cold]] void print(std::ostream& os, std::index_sequence<I...>) const {
        ((os << (I == 0 ? "" : " ") << L::infos[I].name << '=', detail::print_value(os, at<I>())), ...);
    }

    typename detail::layout_slots<L>::type values_{};
};

}  // namespace l4::wire
