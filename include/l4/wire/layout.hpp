// Wire layouts as compile-time field lists.
//
// A layout is the RFC's header diagram written as an ordered list of fields,
// each a name and a width in bits:
//
//     using udp_layout = layout<field<"src_port", 16>, field<"dst_port", 16>,
//                               field<"length", 16>,   field<"checksum", 16>>;
//     static_assert(udp_layout::size == 8);
//
// Offsets and the total size are derived at compile time; names are checked
// for uniqueness; field widths from 1 to 64 bits are read and written at any
// bit offset, wider fields (IPv6 addresses) as byte arrays. A `basic_view`
// reads and writes the fields of a layout in place over a byte buffer, and
// `for_each_field` visits any view generically: printing, comparing and
// the generic repr in layout_repr.hpp are written once for every layout.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/range.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace l4::wire {

namespace hana = boost::hana;

// A string usable as a template argument: field<"src_port", 16>.
template <std::size_t N>
struct fixed_string {
    char chars[N]{};
    constexpr fixed_string(const char (&s)[N]) noexcept { std::copy_n(s, N, chars); }
    [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
};

// The narrowest unsigned type that holds `Bits`; byte arrays past 64 bits.
template <std::size_t Bits>
using field_value_t = std::conditional_t<
    (Bits <= 8), std::uint8_t,
    std::conditional_t<(Bits <= 16), std::uint16_t,
                       std::conditional_t<(Bits <= 32), std::uint32_t,
                                          std::conditional_t<(Bits <= 64), std::uint64_t,
                                                             std::array<std::uint8_t, Bits / 8>>>>>;

template <fixed_string Name, std::size_t Bits>
struct field {
    static_assert(Bits > 0, "a field has at least one bit");
    static_assert(Bits <= 64 || Bits % 8 == 0, "fields wider than 64 bits must be whole bytes");
    static constexpr std::string_view name = Name.view();
    static constexpr std::size_t bits = Bits;
    using value_type = field_value_t<Bits>;
};

namespace detail {

template <class T>
inline constexpr bool is_byte_array = !std::is_integral_v<T>;

// Big-endian bit-field access: bit 0 is the most significant bit of byte 0,
// as in every RFC diagram.
template <std::size_t Offset, std::size_t Bits>
[[nodiscard]] constexpr field_value_t<Bits> read_bits(const std::uint8_t* p) noexcept {
    using T = field_value_t<Bits>;
    constexpr std::size_t first = Offset / 8;
    if constexpr (Bits > 64) {
        static_assert(Offset % 8 == 0, "byte-array fields must start on a byte boundary");
        T out{};
        std::copy_n(p + first, Bits / 8, out.begin());
        return out;
    } else if constexpr (Offset % 8 == 0 && Bits == 8) {
        return p[first];
    } else if constexpr (Offset % 8 == 0 && Bits == 16) {
        return load_be16(p + first);
    } else if constexpr (Offset % 8 == 0 && Bits == 32) {
        return load_be32(p + first);
    } else if constexpr (Offset % 8 == 0 && Bits == 64) {
        return load_be64(p + first);
    } else {
        constexpr std::size_t span = (Offset % 8 + Bits + 7) / 8;
        static_assert(span <= 8, "an unaligned field may cover at most 8 bytes");
        std::uint64_t acc = 0;
        for (std::size_t i = 0; i < span; ++i) acc = (acc << 8) | p[first + i];
        constexpr std::size_t shift = span * 8 - Offset % 8 - Bits;
        constexpr std::uint64_t mask = Bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << Bits) - 1;
        return static_cast<T>((acc >> shift) & mask);
    }
}

template <std::size_t Offset, std::size_t Bits>
constexpr void write_bits(std::uint8_t* p, field_value_t<Bits> v) noexcept {
    constexpr std::size_t first = Offset / 8;
    if constexpr (Bits > 64) {
        std::copy(v.begin(), v.end(), p + first);
    } else if constexpr (Offset % 8 == 0 && Bits == 8) {
        p[first] = v;
    } else if constexpr (Offset % 8 == 0 && Bits == 16) {
        store_be16(p + first, v);
    } else if constexpr (Offset % 8 == 0 && Bits == 32) {
        store_be32(p + first, v);
    } else if constexpr (Offset % 8 == 0 && Bits == 64) {
        store_be64(p + first, v);
    } else {
        constexpr std::size_t span = (Offset % 8 + Bits + 7) / 8;
        constexpr std::size_t shift = span * 8 - Offset % 8 - Bits;
        constexpr std::uint64_t mask = ((std::uint64_t{1} << Bits) - 1) << shift;
        std::uint64_t acc = 0;
        for (std::size_t i = 0; i < span; ++i) acc = (acc << 8) | p[first + i];
        acc = (acc & ~mask) | ((std::uint64_t{v} << shift) & mask);
        for (std::size_t i = span; i-- > 0;) {
            p[first + i] = static_cast<std::uint8_t>(acc);
            acc >>= 8;
        }
    }
}

template <std::size_t... Bits>
constexpr std::array<std::size_t, sizeof...(Bits)> prefix_offsets() noexcept {
    std::array<std::size_t, sizeof...(Bits)> widths{Bits...}, out{};
    std::size_t at = 0;
    for (std::size_t i = 0; i < widths.size(); ++i) {
        out[i] = at;
        at += widths[i];
    }
    return out;
}

template <std::size_t N>
constexpr bool names_unique(const std::array<std::string_view, N>& names) noexcept {
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t j = i + 1; j < names.size(); ++j)
            if (names[i] == names[j]) return false;
    return true;
}

}  // namespace detail

template <class... Fields>
struct layout {
    static constexpr auto fields = hana::tuple_t<Fields...>;
    static constexpr std::size_t field_count = sizeof...(Fields);
    static constexpr std::size_t bits = (Fields::bits + ... + 0);
    static constexpr std::size_t size = bits / 8;  // bytes
    static constexpr std::array<std::size_t, sizeof...(Fields)> bit_offsets =
        detail::prefix_offsets<Fields::bits...>();

    static_assert(bits % 8 == 0, "a layout must end on a byte boundary");

    static constexpr std::array<std::string_view, sizeof...(Fields)> names{Fields::name...};
    static_assert(detail::names_unique(names), "field names in a layout must be unique");

    template <fixed_string Name>
    static constexpr std::size_t index_of = [] {
        constexpr auto at = std::find(names.begin(), names.end(), Name.view()) - names.begin();
        static_assert(at < static_cast<std::ptrdiff_t>(sizeof...(Fields)), "no field of that name in this layout");
        return static_cast<std::size_t>(at);
    }();

    using value_tuple = std::tuple<typename Fields::value_type...>;

    template <std::size_t I>
    using field_at = typename decltype(+hana::at_c<I>(fields))::type;

    template <fixed_string Name>
    using field_t = field_at<index_of<Name>>;

    template <fixed_string Name>
    static constexpr std::size_t offset_of = bit_offsets[index_of<Name>];  // in bits
};

template <class T>
struct is_layout : std::false_type {};
template <class... F>
struct is_layout<layout<F...>> : std::true_type {};
template <class T>
concept layout_type = is_layout<T>::value;

// A view of one layout over bytes it does not own. `Byte` is `const
// std::uint8_t` for reading and `std::uint8_t` for writing. Construction
// checks the length once; after that no accessor can read out of bounds.
template <layout_type L, class Byte = const std::uint8_t>
class basic_view {
public:
    using layout_type = L;
    static constexpr bool is_mutable = !std::is_const_v<Byte>;

    // Any bytes: a view if they hold the whole layout, `truncated` if not.
    [[nodiscard]] static constexpr result<basic_view> check(std::span<Byte> bytes) noexcept {
        if (bytes.size() < L::size) return errc::truncated;
        return basic_view{bytes.data()};
    }

    // The caller guarantees L::size bytes at p (emission into a sized buffer).
    constexpr explicit basic_view(Byte* p) noexcept : p_{p} {}

    template <fixed_string Name>
    [[nodiscard]] constexpr auto get() const noexcept {
        using F = typename L::template field_t<Name>;
        return detail::read_bits<L::template offset_of<Name>, F::bits>(p_);
    }

    // Values wider than the field are truncated to its width; repr emit
    // functions check ranges before they get here.
    template <fixed_string Name>
    constexpr void set(typename L::template field_t<Name>::value_type v) const noexcept
        requires is_mutable
    {
        using F = typename L::template field_t<Name>;
        detail::write_bits<L::template offset_of<Name>, F::bits>(p_, v);
    }

    [[nodiscard]] constexpr Byte* data() const noexcept { return p_; }
    [[nodiscard]] constexpr std::span<Byte, L::size> bytes() const noexcept {
        return std::span<Byte, L::size>{p_, L::size};
    }

    // A read-only view of the same bytes.
    [[nodiscard]] constexpr operator basic_view<L, const std::uint8_t>() const noexcept
        requires is_mutable
    {
        return basic_view<L, const std::uint8_t>{p_};
    }

private:
    Byte* p_;
};

template <layout_type L>
using view = basic_view<L, const std::uint8_t>;
template <layout_type L>
using mut_view = basic_view<L, std::uint8_t>;

// Call f(index) with a hana::size_t for every field index of L, in wire order.
template <layout_type L, class F>
constexpr void for_each_index(F&& f) {
    hana::for_each(hana::make_range(hana::size_c<0>, hana::size_c<L::field_count>), f);
}

// Call f(name, value) for every field of the view, in wire order.
template <layout_type L, class Byte, class F>
constexpr void for_each_field(basic_view<L, Byte> v, F&& f) {
    for_each_index<L>([&](auto i) {
        using Field = typename L::template field_at<decltype(i)::value>;
        f(Field::name, detail::read_bits<L::bit_offsets[decltype(i)::value], Field::bits>(v.data()));
    });
}

namespace detail {
template <class T>
void print_value(std::ostream& os, const T& value) {
    if constexpr (is_byte_array<T>) {
        static constexpr char hex[] = "0123456789abcdef";
        for (auto b : value) os << hex[b >> 4] << hex[b & 15];
    } else {
        os << static_cast<std::uint64_t>(value);
    }
}
}  // namespace detail

// "src_port=80 dst_port=443 ..." for any layout.
template <layout_type L, class Byte>
std::ostream& print_fields(std::ostream& os, basic_view<L, Byte> v) {
    bool first = true;
    for_each_field(v, [&](std::string_view name, const auto& value) {
        os << (first ? "" : " ") << name << '=';
        detail::print_value(os, value);
        first = false;
    });
    return os;
}

// Call f(name) for every field where a and b differ, in wire order.
template <layout_type L, class B1, class B2, class F>
constexpr void for_each_difference(basic_view<L, B1> a, basic_view<L, B2> b, F&& f) {
    for_each_index<L>([&](auto i) {
        constexpr std::size_t k = decltype(i)::value;
        using Field = typename L::template field_at<k>;
        if (detail::read_bits<L::bit_offsets[k], Field::bits>(a.data()) !=
            detail::read_bits<L::bit_offsets[k], Field::bits>(b.data()))
            f(Field::name);
    });
}

}  // namespace l4::wire
