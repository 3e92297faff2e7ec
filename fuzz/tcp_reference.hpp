// A second, deliberately naive reading of TCP options for the fuzz targets to
// compare l4::wire::option_walker and tcp_options::parse against. Written
// from RFC 9293 §3.1, RFC 7323 §2-3 and RFC 2018 §2-3 with indices rather
// than spans, so that the two implementations share no code.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/seq32.hpp>
#include <l4/wire/tcp_options.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace l4::fuzz {

struct ref_option {
    std::uint8_t kind;
    std::size_t data_offset;  // index of the first byte after kind and length
    std::size_t data_len;
};

struct ref_walk {
    std::vector<ref_option> options;
    bool malformed = false;  // a length byte missing, < 2, or past the end
};

// RFC 9293 §3.1: EOL (0) ends the list, NOP (1) is one byte, every other
// kind is followed by a length that counts the kind and length bytes.
[[nodiscard]] inline ref_walk walk_reference(std::span<const std::uint8_t> o) {
    ref_walk w;
    std::size_t i = 0;
    while (i < o.size()) {
        const std::uint8_t kind = o[i];
        if (kind == 0) break;
        if (kind == 1) {
            ++i;
            continue;
        }
        if (i + 1 >= o.size()) {
            w.malformed = true;
            break;
        }
        const std::size_t len = o[i + 1];
        if (len < 2 || i + len > o.size()) {
            w.malformed = true;
            break;
        }
        w.options.push_back({kind, i + 2, len - 2});
        i += len;
    }
    return w;
}

inline std::uint32_t be32_at(std::span<const std::uint8_t> o, std::size_t i) {
    return (std::uint32_t{o[i]} << 24) | (std::uint32_t{o[i + 1]} << 16) | (std::uint32_t{o[i + 2]} << 8) |
           std::uint32_t{o[i + 3]};
}

// The strict decoding tcp_options::parse promises: known kinds with their
// exact lengths (MSS 4, WS 3, SACK-permitted 2, SACK 2 + 8n with n in 1..4,
// TS 10, Fast Open 2 or 6..18 and even), a later occurrence replacing an earlier one, unknown kinds listed
// (the first 20) and skipped. nullopt where parse must fail.
[[nodiscard]] inline std::optional<wire::tcp_options> parse_reference(std::span<const std::uint8_t> o) {
    const ref_walk w = walk_reference(o);
    wire::tcp_options out;
    for (const ref_option& r : w.options) {
        const std::size_t at = r.data_offset, n = r.data_len;
        switch (r.kind) {
        case 2:
            if (n != 2) return std::nullopt;
            out.mss = static_cast<std::uint16_t>((o[at] << 8) | o[at + 1]);
            break;
        case 3:
            if (n != 1) return std::nullopt;
            out.window_scale = o[at];
            break;
        case 4:
            if (n != 0) return std::nullopt;
            out.sack_permitted = true;
            break;
        case 5:
            if (n != 8 && n != 16 && n != 24 && n != 32) return std::nullopt;
            out.sack_count = 0;
            for (std::size_t b = 0; b < n / 8; ++b)
                out.add_sack({seq32{be32_at(o, at + 8 * b)}, seq32{be32_at(o, at + 8 * b + 4)}});
            break;
        case 8:
            if (n != 8) return std::nullopt;
            out.ts = wire::timestamps{be32_at(o, at), be32_at(o, at + 4)};
            break;
        case 34:
            if (n != 0 && (n < 4 || n > 16 || n % 2 != 0)) return std::nullopt;
            out.fast_open = wire::fast_open_cookie{};
            out.fast_open->len = static_cast<std::uint8_t>(n);
            for (std::size_t b = 0; b < n; ++b) out.fast_open->data[b] = o[at + b];
            break;
        default:
            if (out.unknown_count < out.unknown_kinds.size()) out.unknown_kinds[out.unknown_count++] = r.kind;
            break;
        }
    }
    if (w.malformed) return std::nullopt;
    return out;
}

// Runs option_walker over `o` and checks it yields exactly what the
// reference walk does, then keeps answering "no more" once finished.
inline bool walker_agrees(std::span<const std::uint8_t> o) {
    const ref_walk ref = walk_reference(o);
    wire::option_walker walk{o};
    std::size_t k = 0;
    while (auto opt = walk.next()) {
        if (k >= ref.options.size()) return false;
        const ref_option& r = ref.options[k++];
        if (opt->kind != r.kind || opt->data.size() != r.data_len) return false;
        if (r.data_len != 0 && opt->data.data() != o.data() + r.data_offset) return false;
    }
    if (k != ref.options.size()) return false;
    if ((walk.error() != errc::ok) != ref.malformed) return false;
    if (ref.malformed && walk.error() != errc::bad_option_length) return false;
    return !walk.next().has_value() && !walk.next().has_value();
}

}  // namespace l4::fuzz
