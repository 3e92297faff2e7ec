// TCP options: a lenient walk over the option bytes and a strict value type.
//
// Reading list: RFC 9293 §3.2 (EOL, NOP, MSS), RFC 7323 §2-3 (window scale,
// timestamps), RFC 2018 §2-3 (SACK-permitted, SACK), RFC 7413 §4.1.1 (Fast
// Open cookie).
//
// `option_walker` yields (kind, data) pairs and stops at the first option
// whose length byte it cannot follow, remembering why and where: cheap
// enough to run on every segment. `tcp_options` is the strict repr: every
// option the stack understands, decoded, plus the kinds it skipped; one
// malformed option refuses the lot. `lenient_tcp_options` is what a
// dissector or a forgiving receiver keeps: every well-formed option, and
// the malformed ones reported beside them.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/seq32.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace l4::wire {

namespace option_kind {
inline constexpr std::uint8_t eol = 0;
inline constexpr std::uint8_t nop = 1;
inline constexpr std::uint8_t mss = 2;
inline constexpr std::uint8_t window_scale = 3;
inline constexpr std::uint8_t sack_permitted = 4;
inline constexpr std::uint8_t sack = 5;
inline constexpr std::uint8_t timestamps = 8;
inline constexpr std::uint8_t fast_open = 34;  // RFC 7413 §4.1.1
}  // namespace option_kind

inline constexpr std::size_t max_options_len = 40;  // RFC 9293 §3.1: data offset ≤ 15 words
inline constexpr std::size_t max_sack_blocks = 4;   // RFC 2018 §3: 4 blocks fill 34 of 40 bytes

struct raw_option {
    std::uint8_t kind;
    bytes data;  // the option's bytes after kind and length
};

// Walks options in wire order. EOL ends the walk; NOP is skipped. A length
// byte that is < 2 or runs past the end stops the walk with bad_option_length:
// nothing after it can be found.
class option_walker {
public:
    constexpr explicit option_walker(bytes options) noexcept : rest_{options}, size_{options.size()} {}

    [[nodiscard]] constexpr std::optional<raw_option> next() noexcept {
        while (!rest_.empty()) {
            const std::uint8_t kind = rest_[0];
            if (kind == option_kind::eol) break;
            if (kind == option_kind::nop) {
                rest_ = rest_.subspan(1);
                continue;
            }
            // RFC 9293 §3.1: every other option has a length byte counting kind and length.
            if (rest_.size() < 2 || rest_[1] < 2 || rest_[1] > rest_.size()) {
                error_ = errc::bad_option_length;
                error_kind_ = kind;
                error_offset_ = size_ - rest_.size();
                break;
            }
            const std::size_t len = rest_[1];
            raw_option opt{kind, rest_.subspan(2, len - 2)};
            rest_ = rest_.subspan(len);
            return opt;
        }
        rest_ = {};
        return std::nullopt;
    }

    // errc::ok once the walk ended cleanly.
    [[nodiscard]] constexpr errc error() const noexcept { return error_; }
    // After an error: the kind of the option that stopped the walk, and the
    // offset of its kind byte from the start of the options.
    [[nodiscard]] constexpr std::uint8_t error_kind() const noexcept { return error_kind_; }
    [[nodiscard]] constexpr std::size_t error_offset() const noexcept { return error_offset_; }

private:
    bytes rest_;
    std::size_t size_;
    errc error_ = errc::ok;
    std::uint8_t error_kind_ = 0;
    std::size_t error_offset_ = 0;
};

// An option that could not be decoded.
struct malformed_option {
    std::uint8_t kind = 0;
    std::size_t offset = 0;  // of its kind byte, from the start of the options
    errc error = errc::ok;   // bad_option_length
    friend constexpr bool operator==(const malformed_option&, const malformed_option&) noexcept = default;
};

struct sack_block {
    seq32 left;   // first sequence number of the block
    seq32 right;  // sequence number just past the block
    friend constexpr bool operator==(const sack_block&, const sack_block&) noexcept = default;
};

struct timestamps {
    std::uint32_t tsval = 0;
    std::uint32_t tsecr = 0;
    friend constexpr bool operator==(const timestamps&, const timestamps&) noexcept = default;
};

// RFC 7413 §4.1.1: a Fast Open cookie of 4 to 16 bytes, an even number of
// them; an empty one (length 0) is a cookie request.
struct fast_open_cookie {
    static constexpr std::size_t min_len = 4, max_len = 16;
    std::array<std::uint8_t, max_len> data{};
    std::uint8_t len = 0;

    [[nodiscard]] static constexpr bool valid_len(std::size_t n) noexcept {
        return n == 0 || (n >= min_len && n <= max_len && n % 2 == 0);
    }
    [[nodiscard]] constexpr bytes value() const noexcept { return {data.data(), len < max_len ? len : max_len}; }
    [[nodiscard]] constexpr bool request() const noexcept { return len == 0; }
    // Bytes the option takes on the wire, NOP-padded to a 32-bit word as Linux pads it.
    [[nodiscard]] constexpr std::size_t wire_len() const noexcept { return (2 + value().size() + 3) & ~std::size_t{3}; }
    friend constexpr bool operator==(const fast_open_cookie& a, const fast_open_cookie& b) noexcept {
        if (a.len != b.len) return false;
        for (std::size_t i = 0; i < a.len && i < max_len; ++i)
            if (a.data[i] != b.data[i]) return false;
        return true;
    }
};

struct tcp_options {
    std::optional<std::uint16_t> mss;
    std::optional<std::uint8_t> window_scale;  // the shift count as sent; RFC 7323 §2.3 caps its use at 14
    bool sack_permitted = false;
    std::array<sack_block, max_sack_blocks> sack{};
    std::uint8_t sack_count = 0;
    std::optional<timestamps> ts;
    std::optional<fast_open_cookie> fast_open;  // RFC 7413: on a SYN or SYN-ACK; empty: a cookie request
    // Kinds we do not decode, skipped by their length (RFC 9293 §3.1 MUST-6).
    std::array<std::uint8_t, max_options_len / 2> unknown_kinds{};
    std::uint8_t unknown_count = 0;

    // Only the used parts of the fixed-capacity arrays take part.
    friend constexpr bool operator==(const tcp_options& a, const tcp_options& b) noexcept {
        return a.mss == b.mss && a.window_scale == b.window_scale && a.sack_permitted == b.sack_permitted &&
               a.ts == b.ts && a.fast_open == b.fast_open && a.sack_count == b.sack_count &&
               a.unknown_count == b.unknown_count &&
               same_prefix(a.sack, b.sack, a.sack_count) && same_prefix(a.unknown_kinds, b.unknown_kinds, a.unknown_count);
    }

    [[nodiscard]] constexpr std::span<const sack_block> sack_blocks() const noexcept {
        // Never past the array, whatever a caller stored in sack_count.
        return {sack.data(), sack_count < max_sack_blocks ? sack_count : max_sack_blocks};
    }
    [[nodiscard]] constexpr std::span<const std::uint8_t> unknown() const noexcept {
        return {unknown_kinds.data(), unknown_count};
    }
    // Back to no options, the arrays past their counts left as they are
    // (they take part nowhere): what a reused repr does before decoding
    // the next segment's, instead of zeroing 60 bytes.
    // Each optional is assigned an empty one, a plain store (they are
    // trivially copyable), where reset() tested it first.
    constexpr void clear() noexcept {
        mss = {};
        window_scale = {};
        sack_permitted = false;
        sack_count = 0;
        ts = {};
        fast_open = {};
        unknown_count = 0;
    }
    constexpr void add_sack(sack_block b) noexcept {
        if (sack_count < max_sack_blocks) sack[sack_count++] = b;
    }

    // Strict decoding: known kinds must have their exact lengths.
    [[nodiscard]] static constexpr result<tcp_options> parse(bytes options) noexcept {
        tcp_options out;
        if (const errc e = out.decode_all(options); e != errc::ok) return e;
        return out;
    }

    // Decodes a segment's option list into *this, which holds none yet
    // (cleared): what parse decodes, with its errors, and on an error *this
    // holds the options before the bad one. RFC 7323 Appendix A's layout,
    // which every stack sends once established (NOP NOP TS, then with SACK
    // NOP NOP SACK), is read straight, without the walk: it is in nearly
    // every segment, and the walk costs it three times as many instructions.
    // Inline: the endpoint reads every segment's options with it.
    [[nodiscard, gnu::always_inline]] constexpr errc decode_all(bytes options) noexcept {
        const std::size_t n = options.size();
        const std::uint8_t* p = options.data();
        if (n >= 12 && load_be32(p) == ts_lead) {
            // After the TS option: nothing, or NOP NOP SACK whose length byte covers the rest exactly.
            const std::size_t sack_len = n - 14;  // SACK's kind, length and blocks
            if (n == 12 || (n >= 24 && sack_len % 8 == 2 && (sack_len - 2) / 8 <= max_sack_blocks &&
                            load_be32(p + 12) == (sack_lead | static_cast<std::uint32_t>(sack_len)))) {
                // Assigned whole, a plain store: assigning the timestamps alone tested ts first.
                ts = std::optional<timestamps>{timestamps{load_be32(p + 4), load_be32(p + 8)}};
                sack_count = 0;
                for (std::size_t i = 16; i < n; i += 8)
                    add_sack({seq32{load_be32(p + i)}, seq32{load_be32(p + i + 4)}});
                return errc::ok;
            }
        }
        return decode_walk(options);
    }
    // Every other list (a SYN's, or another layout), option by option: out
    // of line, so that decode_all is inlined where segments are read.
    [[nodiscard, gnu::noinline]] constexpr errc decode_walk(bytes options) noexcept {
        option_walker walk{options};
        while (const auto opt = walk.next())
            if (const errc e = decode(*opt); e != errc::ok) return e;
        return walk.error();
    }

    // Decodes one option the walker found into *this. Errors:
    // bad_option_length (a known kind with a length it cannot have); *this
    // is then unchanged.
    [[nodiscard]] constexpr errc decode(const raw_option& opt) noexcept {
        const bytes d = opt.data;
        switch (opt.kind) {
        case option_kind::mss:
            if (d.size() != 2) return errc::bad_option_length;
            mss = load_be16(d.data());
            break;
        case option_kind::window_scale:
            if (d.size() != 1) return errc::bad_option_length;
            window_scale = d[0];
            break;
        case option_kind::sack_permitted:
            if (!d.empty()) return errc::bad_option_length;
            sack_permitted = true;
            break;
        case option_kind::sack:
            if (d.empty() || d.size() % 8 != 0 || d.size() / 8 > max_sack_blocks) return errc::bad_option_length;
            sack_count = 0;
            for (std::size_t i = 0; i < d.size(); i += 8)
                add_sack({seq32{load_be32(d.data() + i)}, seq32{load_be32(d.data() + i + 4)}});
            break;
        case option_kind::timestamps:
            if (d.size() != 8) return errc::bad_option_length;
            ts = timestamps{load_be32(d.data()), load_be32(d.data() + 4)};
            break;
        case option_kind::fast_open: {
            if (!fast_open_cookie::valid_len(d.size())) return errc::bad_option_length;
            fast_open_cookie c;
            c.len = static_cast<std::uint8_t>(d.size());
            for (std::size_t i = 0; i < d.size(); ++i) c.data[i] = d[i];
            fast_open = c;
            break;
        }
        default:
            if (unknown_count < unknown_kinds.size()) unknown_kinds[unknown_count++] = opt.kind;
            break;
        }
        return errc::ok;
    }

    // Bytes emit() writes, a multiple of 4; may exceed max_options_len, which
    // emit() then refuses. Summed from the flags, not branched on: every
    // segment sent asks.
    [[nodiscard]] constexpr std::size_t buffer_len() const noexcept {
        // SACK-permitted rides in the NOPs before TS.
        std::size_t n = 4 * std::size_t{mss.has_value()} + 4 * std::size_t{window_scale.has_value()} +
                        (ts ? 12 : 4 * std::size_t{sack_permitted}) + 8 * std::size_t{sack_count} +
                        4 * std::size_t{sack_count != 0};
        if (fast_open) n += fast_open->wire_len();
        return n;
    }

    // Writes the options in the order Linux uses, NOP-padded to 32-bit words.
    // Unknown kinds are not re-emitted: we never send what we cannot vouch for.
    [[nodiscard]] constexpr result<std::size_t> emit(mut_bytes out) const noexcept {
        const std::size_t n = buffer_len();
        if (n > max_options_len) return errc::options_too_long;
        if (out.size() < n) return errc::buffer_too_small;
        write(out.data());
        return n;
    }

    // write() for a caller that has buffer_len() as `n`: the timestamps
    // alone, what nearly every segment carries once established, stored
    // here; any other list by write(), a call.
    [[gnu::always_inline]] constexpr void write(std::uint8_t* p, std::size_t n) const noexcept {
        if (n == 12 && ts && !sack_permitted) {  // 12 bytes with TS: nothing else but SACK-permitted fits
            store_be32(p, ts_lead);
            store_be32(p + 4, ts->tsval);
            store_be32(p + 8, ts->tsecr);
            return;
        }
        write(p);
    }

    // emit() without its checks, for a caller that has made them (the
    // header's emit, which needs buffer_len() for the data offset anyway):
    // writes buffer_len() bytes at p.
    [[gnu::hot]] constexpr void write(std::uint8_t* p) const noexcept {
        if (mss) {
            store_be32(p, std::uint32_t{option_kind::mss} << 24 | 4u << 16 | *mss);
            p += 4;
        }
        if (ts) {
            // The word before TSval: two NOPs, or SACK-permitted in their place.
            const std::uint32_t lead = sack_permitted ? std::uint32_t{option_kind::sack_permitted} << 8 | 2u
                                                      : std::uint32_t{option_kind::nop} << 8 | option_kind::nop;
            store_be32(p, lead << 16 | std::uint32_t{option_kind::timestamps} << 8 | 10u);
            store_be32(p + 4, ts->tsval);
            store_be32(p + 8, ts->tsecr);
            p += 12;
        } else if (sack_permitted) {
            store_be32(p, std::uint32_t{option_kind::nop} << 24 | std::uint32_t{option_kind::nop} << 16 |
                              std::uint32_t{option_kind::sack_permitted} << 8 | 2u);
            p += 4;
        }
        if (window_scale) {
            store_be32(p, std::uint32_t{option_kind::nop} << 24 | std::uint32_t{option_kind::window_scale} << 16 |
                              3u << 8 | *window_scale);
            p += 4;
        }
        if (sack_count) {
            store_be32(p, std::uint32_t{option_kind::nop} << 24 | std::uint32_t{option_kind::nop} << 16 |
                              std::uint32_t{option_kind::sack} << 8 | (2u + 8u * sack_count));
            p += 4;
            for (const sack_block& b : sack_blocks()) {
                store_be32(p, b.left.raw());
                store_be32(p + 4, b.right.raw());
                p += 8;
            }
        }
        if (fast_open) {
            // Last, as Linux writes it: kind, length, cookie, NOPs to the word.
            const bytes cookie = fast_open->value();
            *p++ = option_kind::fast_open;
            *p++ = static_cast<std::uint8_t>(2 + cookie.size());
            for (const std::uint8_t b : cookie) *p++ = b;
            for (std::size_t pad = fast_open->wire_len() - 2 - cookie.size(); pad > 0; --pad) *p++ = option_kind::nop;
        }
    }

private:
    static constexpr std::uint32_t ts_lead =
        std::uint32_t{option_kind::nop} << 24 | std::uint32_t{option_kind::nop} << 16 | option_kind::timestamps << 8 | 10;
    static constexpr std::uint32_t sack_lead =
        std::uint32_t{option_kind::nop} << 24 | std::uint32_t{option_kind::nop} << 16 | option_kind::sack << 8;

    template <class T, std::size_t N>
    static constexpr bool same_prefix(const std::array<T, N>& a, const std::array<T, N>& b, std::size_t n) noexcept {
        for (std::size_t i = 0; i < n; ++i)
            if (!(a[i] == b[i])) return false;
        return true;
    }
};

// Every well-formed option of a segment, and the malformed ones beside them.
// A known kind with the wrong length is skipped by its length byte and the
// walk goes on; a length byte the walk cannot follow (under 2, or past the
// end) ends it, keeping what came before. This is how Wireshark and tcpdump
// read options; a TCP endpoint uses the strict tcp_options::parse.
struct lenient_tcp_options {
    tcp_options options;                        // every option that decoded
    std::optional<malformed_option> malformed;  // the first that did not
    std::uint8_t malformed_count = 0;           // how many did not (the walk's stop counts one)

    [[nodiscard]] static constexpr lenient_tcp_options parse(bytes options) noexcept {
        lenient_tcp_options out;
        option_walker walk{options};
        while (auto opt = walk.next()) {
            const errc e = out.options.decode(*opt);
            if (e == errc::ok) continue;
            // The kind byte sits two bytes before the option's data.
            const auto offset = static_cast<std::size_t>(opt->data.data() - options.data()) - 2;
            out.report({opt->kind, offset, e});
        }
        if (walk.error() != errc::ok) out.report({walk.error_kind(), walk.error_offset(), walk.error()});
        return out;
    }

    [[nodiscard]] constexpr bool ok() const noexcept { return malformed_count == 0; }

private:
    constexpr void report(malformed_option m) noexcept {
        if (!malformed) malformed = m;
        if (malformed_count < 255) ++malformed_count;
    }
};

}  // namespace l4::wire
