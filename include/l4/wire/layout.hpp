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
// `for_each_field` visits any view generically with typed values.
//
// Printing and comparing need no typed values: they walk the layout's
// `infos`, a constexpr table of (name, bit offset, width), in one ordinary
// loop compiled once for every layout. Per-field templates are instantiated
// only where a typed value is needed, which keeps a layout cheap to compile.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>

#include <boost/hana/at.hpp>
#include <boost/hana/integral_constant.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string_view>
#include <type_traits>
#include <utility>

namespace l4::wire {

namespace hana = boost::hana;

// A string usable as a template argument: field<"src_port", 16>.
template <std::size_t N>
struct fixed_string {
    char chars[N]{};
    constexpr fixed_string(const char (&s)[N]) noexcept {
        for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
    }
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

namespace detail {
// A field name as a type, so that finding and comparing names is type
// identity rather than constexpr string comparison (cheaper to compile).
template <fixed_string Name>
struct name_tag {};
}  // namespace detail

template <fixed_string Name, std::size_t Bits>
struct field {
    using tag = detail::name_tag<Name>;
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
        for (std::size_t i = 0; i < Bits / 8; ++i) out[i] = p[first + i];
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
        for (std::size_t i = 0; i < Bits / 8; ++i) p[first + i] = v[i];
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

// The index of Tag among Tags, or sizeof...(Tags) when it is not there.
template <class Tag, class... Tags>
constexpr std::size_t index_of_tag() noexcept {
    constexpr bool match[] = {std::is_same_v<Tag, Tags>..., false};
    std::size_t i = 0;
    while (i < sizeof...(Tags) && !match[i]) ++i;
    return i;
}

// Each name is found at its own index, so no name appears twice. The
// look-ups are the ones get<"name"> makes anyway.
template <class... Tags, std::size_t... I>
constexpr bool tags_unique(std::index_sequence<I...>) noexcept {
    return ((index_of_tag<Tags, Tags...>() == I) && ...);
}

}  // namespace detail

// One field as the run-time loops see it.
struct field_info {
    std::string_view name;
    std::size_t bit_offset;
    std::size_t bits;
};

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
    static_assert(detail::tags_unique<typename Fields::tag...>(std::index_sequence_for<Fields...>{}),
                  "field names in a layout must be unique");

    static constexpr std::array<field_info, sizeof...(Fields)> infos = [] {
        constexpr std::array<std::size_t, sizeof...(Fields)> widths{Fields::bits...};
        std::array<field_info, sizeof...(Fields)> out{};
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = {names[i], bit_offsets[i], widths[i]};
        return out;
    }();

    template <fixed_string Name>
    static constexpr std::size_t index_of = [] {
        constexpr std::size_t at = detail::index_of_tag<detail::name_tag<Name>, typename Fields::tag...>();
        static_assert(at < sizeof...(Fields), "no field of that name in this layout");
        return at;
    }();

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
        constexpr std::size_t i = L::template index_of<Name>;
        return detail::read_bits<L::bit_offsets[i], L::infos[i].bits>(p_);
    }

    // Values wider than the field are truncated to its width; repr emit
    // functions check ranges before they get here.
    template <fixed_string Name, std::size_t I = L::template index_of<Name>>
    constexpr void set(field_value_t<L::infos[I].bits> v) const noexcept
        requires is_mutable
    {
        detail::write_bits<L::bit_offsets[I], L::infos[I].bits>(p_, v);
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
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (f(hana::size_c<I>), ...);
    }(std::make_index_sequence<L::field_count>{});
}

// Call f(name, value) for every field of the view, in wire order, with the
// field's own value type.
template <layout_type L, class Byte, class F>
constexpr void for_each_field(basic_view<L, Byte> v, F&& f) {
    for_each_index<L>([&](auto i) {
        using Field = typename L::template field_at<decltype(i)::value>;
        f(Field::name, detail::read_bits<L::bit_offsets[decltype(i)::value], Field::bits>(v.data()));
    });
}

namespace detail {

// A field of up to 64 bits at any bit offset, located at run time: the
// loops below run over L::infos instead of being instantiated per field.
[[nodiscard]] constexpr std::uint64_t read_field(const std::uint8_t* p, const field_info& f) noexcept {
    std::uint64_t v = 0;
    for (std::size_t bit = f.bit_offset; bit < f.bit_offset + f.bits; ++bit)
        v = (v << 1) | ((p[bit / 8] >> (7 - bit % 8)) & 1u);
    return v;
}

[[nodiscard]] constexpr bool field_equal(const std::uint8_t* a, const std::uint8_t* b, const field_info& f) noexcept {
    if (f.bits > 64) {  // whole bytes, byte-aligned
        for (std::size_t i = f.bit_offset / 8; i < (f.bit_offset + f.bits) / 8; ++i)
            if (a[i] != b[i]) return false;
        return true;
    }
    return read_field(a, f) == read_field(b, f);
}

inline void print_value(std::ostream& os, std::uint64_t value) { os << value; }

inline void print_value(std::ostream& os, std::span<const std::uint8_t> bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    for (auto b : bytes) os << hex[b >> 4] << hex[b & 15];
}

// "name=value name=value ...", integers in decimal, byte arrays in hex.
inline void print_fields(std::ostream& os, const std::uint8_t* p, std::span<const field_info> fields) {
    for (const field_info& f : fields) {
        os << (&f == fields.data() ? "" : " ") << f.name << '=';
        if (f.bits > 64) print_value(os, std::span<const std::uint8_t>{p + f.bit_offset / 8, f.bits / 8});
        else print_value(os, read_field(p, f));
    }
}

}  // namespace detail

// "src_port=80 dst_port=443 ..." for any layout.
template <layout_type L, class Byte>
std::ostream& print_fields(std::ostream& os, basic_view<L, Byte> v) {
    detail::print_fields(os, v.data(), L::infos);
    return os;
}

// Call f(name) for every field where a and b differ, in wire order.
template <layout_type L, class B1, class B2, class F>
constexpr void for_each_difference(basic_view<L, B1> a, basic_view<L, B2> b, F&& f) {
    for (const field_info& info : L::infos)
        if (!detail::field_equal(a.data(), b.data(), info)) f(info.name);
}

}  // namespace l4::wire
