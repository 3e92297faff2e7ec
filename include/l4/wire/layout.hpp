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

// Big-endian bit-field access: bit 0 is the most significant bit of byte 0,
// as in every RFC diagram. A field of 1 to 64 bits at any bit offset, as
// long as it covers at most 8 bytes (layout checks this for every field).
//
// One function serves every field: the offset and width arrive as
// arguments, and since every call site passes constants, the forced
// inlining folds each access to the same loads, shifts and masks a
// per-field template would give, without compiling one function per field.
[[nodiscard, gnu::always_inline]] constexpr std::uint64_t read_bits(const std::uint8_t* p, std::size_t offset,
                                                                    std::size_t bits) noexcept {
    p += offset / 8;
    if (offset % 8 == 0) {
        if (bits == 8) return p[0];
        if (bits == 16) return load_be16(p);
        if (bits == 32) return load_be32(p);
        if (bits == 64) return load_be64(p);
    }
    const std::size_t span = (offset % 8 + bits + 7) / 8;
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < span; ++i) acc = (acc << 8) | p[i];
    const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    return (acc >> (span * 8 - offset % 8 - bits)) & mask;
}

// Writes the low `bits` bits of v; the other bits of the bytes it touches
// keep their values.
[[gnu::always_inline]] constexpr void write_bits(std::uint8_t* p, std::size_t offset, std::size_t bits,
                                                 std::uint64_t v) noexcept {
    p += offset / 8;
    if (offset % 8 == 0) {
        if (bits == 8) return void(p[0] = static_cast<std::uint8_t>(v));
        if (bits == 16) return store_be16(p, static_cast<std::uint16_t>(v));
        if (bits == 32) return store_be32(p, static_cast<std::uint32_t>(v));
        if (bits == 64) return store_be64(p, v);
    }
    const std::size_t span = (offset % 8 + bits + 7) / 8;
    const std::size_t shift = span * 8 - offset % 8 - bits;
    const std::uint64_t mask = ((std::uint64_t{1} << bits) - 1) << shift;
    std::uint64_t acc = 0;
    for (std::size_t i = 0; i < span; ++i) acc = (acc << 8) | p[i];
    acc = (acc & ~mask) | ((v << shift) & mask);
    for (std::size_t i = span; i-- > 0;) {
        p[i] = static_cast<std::uint8_t>(acc);
        acc >>= 8;
    }
}

// A field into or out of its own value type: an integer, or a byte array
// for fields wider than 64 bits (whole bytes on a byte boundary).
template <class T>
[[gnu::always_inline]] constexpr void load_field(const std::uint8_t* p, std::size_t offset, std::size_t bits,
                                                 T& out) noexcept {
    if constexpr (std::is_integral_v<T>) out = static_cast<T>(read_bits(p, offset, bits));
    else for (std::size_t i = 0; i < out.size(); ++i) out[i] = p[offset / 8 + i];
}

template <class T>
[[gnu::always_inline]] constexpr void store_field(std::uint8_t* p, std::size_t offset, std::size_t bits,
                                                  const T& v) noexcept {
    if constexpr (std::is_integral_v<T>) write_bits(p, offset, bits, v);
    else for (std::size_t i = 0; i < v.size(); ++i) p[offset / 8 + i] = v[i];
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

// Every field of up to 64 bits covers at most 8 bytes (read_bits loads
// them in one word); wider fields start on a byte boundary.
template <std::size_t... Bits>
constexpr bool fields_fit_in_8_bytes() noexcept {
    const std::array<std::size_t, sizeof...(Bits)> widths{Bits...};
    std::size_t at = 0;
    for (std::size_t bits : widths) {
        if (bits <= 64 ? at % 8 + bits > 64 : at % 8 != 0) return false;
        at += bits;
    }
    return true;
}

// Field I's name, as a base of a layout's tag_set: finding a name is then
// template argument deduction against the bases (one step for the
// compiler, however many fields), and a name given twice makes that
// deduction ambiguous.
template <std::size_t I, class Tag>
struct indexed_tag {};

template <class Indices, class... Tags>
struct tag_set;
template <std::size_t... I, class... Tags>
struct tag_set<std::index_sequence<I...>, Tags...> : indexed_tag<I, Tags>... {};

template <class Tag, std::size_t I>
constexpr std::size_t index_in(const indexed_tag<I, Tag>&) noexcept {
    return I;
}

// The index of Tag in Set, or `missing` when no field or two fields have it.
template <class Tag, class Set, std::size_t missing>
constexpr std::size_t find_tag() noexcept {
    if constexpr (requires { index_in<Tag>(Set{}); }) return index_in<Tag>(Set{});
    else return missing;
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
    // The fields as a Boost.Hana tuple of types, for hana's algorithms.
    static constexpr hana::tuple<hana::type<Fields>...> fields{};
    static constexpr std::size_t field_count = sizeof...(Fields);
    static constexpr std::size_t bits = (Fields::bits + ... + 0);
    static constexpr std::size_t size = bits / 8;  // bytes
    static constexpr std::array<std::size_t, sizeof...(Fields)> bit_offsets =
        detail::prefix_offsets<Fields::bits...>();

    static_assert(bits % 8 == 0, "a layout must end on a byte boundary");
    static_assert(detail::fields_fit_in_8_bytes<Fields::bits...>(),
                  "a field of up to 64 bits may cover at most 8 bytes; a wider one must start on a byte boundary");

    static constexpr std::array<std::string_view, sizeof...(Fields)> names{Fields::name...};

private:
    using tags = detail::tag_set<std::index_sequence_for<Fields...>, typename Fields::tag...>;

public:
    static_assert(((detail::find_tag<typename Fields::tag, tags, field_count>() < field_count) && ...),
                  "field names in a layout must be unique");

    static constexpr std::array<field_info, sizeof...(Fields)> infos = [] {
        constexpr std::array<std::size_t, sizeof...(Fields)> widths{Fields::bits...};
        std::array<field_info, sizeof...(Fields)> out{};
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = {names[i], bit_offsets[i], widths[i]};
        return out;
    }();

    template <fixed_string Name>
    static constexpr std::size_t index_of = [] {
        constexpr std::size_t at = detail::find_tag<detail::name_tag<Name>, tags, field_count>();
        static_assert(at < field_count, "no field of that name in this layout");
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
        constexpr field_info f = L::infos[L::template index_of<Name>];
        field_value_t<f.bits> v{};
        detail::load_field(p_, f.bit_offset, f.bits, v);
        return v;
    }

    // Values wider than the field are truncated to its width; repr emit
    // functions check ranges before they get here.
    template <fixed_string Name, std::size_t I = L::template index_of<Name>>
    constexpr void set(field_value_t<L::infos[I].bits> v) const noexcept
        requires is_mutable
    {
        detail::store_field(p_, L::infos[I].bit_offset, L::infos[I].bits, v);
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
        constexpr field_info info = L::infos[decltype(i)::value];
        field_value_t<info.bits> value{};
        detail::load_field(v.data(), info.bit_offset, info.bits, value);
        f(info.name, value);
    });
}

namespace detail {

[[nodiscard]] constexpr bool field_equal(const std::uint8_t* a, const std::uint8_t* b, const field_info& f) noexcept {
    if (f.bits > 64) {  // whole bytes, byte-aligned
        for (std::size_t i = f.bit_offset / 8; i < (f.bit_offset + f.bits) / 8; ++i)
            if (a[i] != b[i]) return false;
        return true;
    }
    return read_bits(a, f.bit_offset, f.bits) == read_bits(b, f.bit_offset, f.bits);
}

inline void print_value(std::ostream& os, std::uint64_t value) { os << value; }

inline void print_value(std::ostream& os, std::span<const std::uint8_t> bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    for (auto b : bytes) os << hex[b >> 4] << hex[b & 15];
}

// "name=value name=value ...", integers in decimal, byte arrays in hex.
// Printing is for people reading logs, never on a packet's fast path: cold
// (here and in every format's operator<<) tells the compiler to keep it
// small and not to inline into it, which saves users' TUs compile time.
[[gnu::cold]] inline void print_fields(std::ostream& os, const std::uint8_t* p,
                                       std::span<const field_info> fields) {
    for (const field_info& f : fields) {
        os << (&f == fields.data() ? "" : " ") << f.name << '=';
        if (f.bits > 64) print_value(os, std::span<const std::uint8_t>{p + f.bit_offset / 8, f.bits / 8});
        else print_value(os, read_bits(p, f.bit_offset, f.bits));
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
