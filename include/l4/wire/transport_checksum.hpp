// Checksums over a pseudo-header and a segment, for any checksum strategy.
//
// The wire layer does not choose how checksums are computed: it is handed a
// type modelling l4::checksum::checksum_strategy (checksum/concept.hpp) and
// feeds it the pseudo-header, the segment up to the checksum field, zeros in
// place of the field, and the rest. Nothing is copied or modified, so the
// same code verifies received bytes and fills bytes about to be sent, for
// every layout whose checksum sits at a known offset.
#pragma once

#include <l4/core/bytes.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace l4::wire {

template <std::size_t N>
inline constexpr std::array<std::uint8_t, N> zeros{};

// Whether `segment` holds the whole checksum field. Every function below
// needs it; those that cannot report an error do nothing without it.
template <class S>
[[nodiscard]] constexpr bool has_field(bytes segment, std::size_t field_offset) noexcept {
    return field_offset <= segment.size() && segment.size() - field_offset >= S::width;
}

// The strategy's state over pseudo-header and segment with the field zeroed.
// Precondition: has_field<S>(segment, field_offset).
template <class S>
[[nodiscard]] constexpr typename S::state checksum_state(bytes pseudo, bytes segment,
                                                         std::size_t field_offset) noexcept {
    auto st = S::update(S::init(), pseudo);
    st = S::update(st, segment.first(field_offset));
    st = S::update(st, zeros<S::width>);
    return S::update(st, segment.subspan(field_offset + S::width));
}

// Precondition: has_field<S>(segment, field_offset).
template <class S>
[[nodiscard]] constexpr typename S::value_type stored_checksum(bytes segment, std::size_t field_offset) noexcept {
    if constexpr (S::width == 4) return load_be32(segment.data() + field_offset);
    else return load_be16(segment.data() + field_offset);
}

// Precondition: has_field<S>(segment, field_offset).
template <class S>
[[nodiscard]] constexpr typename S::value_type compute_checksum(bytes pseudo, bytes segment,
                                                                std::size_t field_offset) noexcept {
    return S::finish(checksum_state<S>(pseudo, segment, field_offset));
}

template <class S>
[[nodiscard]] constexpr bool verify_checksum(bytes pseudo, bytes segment, std::size_t field_offset) noexcept {
    if (!has_field<S>(segment, field_offset)) return false;
    return S::verify(checksum_state<S>(pseudo, segment, field_offset), stored_checksum<S>(segment, field_offset));
}

// Precondition: has_field<S>(segment, field_offset).
template <class S>
constexpr void store_checksum(mut_bytes segment, std::size_t field_offset, typename S::value_type v) noexcept {
    if constexpr (S::width == 4) store_be32(segment.data() + field_offset, v);
    else store_be16(segment.data() + field_offset, v);
}

template <class S>
constexpr void fill_checksum(bytes pseudo, mut_bytes segment, std::size_t field_offset) noexcept {
    if (!has_field<S>(segment, field_offset)) return;
    store_checksum<S>(segment, field_offset, compute_checksum<S>(pseudo, segment, field_offset));
}

}  // namespace l4::wire
