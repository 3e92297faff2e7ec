// Differential fuzz target: our TCP view and repr against libtins 4.0
// (Debian libtins-dev), on the raw bytes of a TCP segment.
//
// Agreement rules, found by reading libtins' TCP(const uint8_t*, uint32_t)
// and by experiment; a trap means a disagreement outside these rules.
//
//  1. Structure. Both refuse fewer than 20 bytes and a data offset below 5
//     words or past the end (RFC 9293 §3.1), so tcp_view::check rejects
//     exactly when libtins throws malformed_packet for those reasons.
//  2. EOL. RFC 9293 §3.1: End of Option List ends the list and the rest of
//     the header is padding. We stop at the first EOL; libtins does not: it
//     records EOL (and NOP) as options and goes on reading option TLVs up to
//     the data offset. So libtins may throw on garbage after an EOL that we
//     accept, and may find options after an EOL that we ignore. We model
//     libtins' walk here (libtins_walk) and trap if its accept/reject
//     differs from the model; before the first EOL both walks must list the
//     same options with the same bytes.
//  3. Malformed lengths. A kind other than EOL/NOP with no length byte, a
//     length below 2, or one running past the data offset: both reject
//     (we with bad_option_length from the walk, libtins by throwing).
//  4. Duplicates. libtins' getters return the first occurrence of a kind;
//     tcp_options::parse keeps the last. Values are compared against the
//     first occurrence, and against our repr only when the kind occurs once.
//  5. Lengths of known kinds. tcp_options::parse is strict: MSS 4, WS 3,
//     SACK-permitted 2, SACK 2 + 8n (n = 1..4), TS 10, Fast Open 2 or
//     6..18 and even (which libtins does not decode). libtins' mss(),
//     winscale() and timestamp() throw malformed_option on another length,
//     as we refuse; has_sack_permitted() is true for any length (lenient);
//     sack() accepts any multiple of 4 bytes, including none, an odd number
//     of edges and more than 4 blocks (lenient). Where libtins is lenient
//     and we refuse, nothing is compared.
//  6. Reserved bits. libtins' flags() has 12 bits: the 4 reserved bits
//     above the 8 control bits. Compared with reserved() and flags().
//  7. Payload. libtins wraps the bytes past the data offset in a RawPDU
//     (none when there are no such bytes): the same bytes as our payload().
//  8. Checksum and urgent pointer are read as stored, by both.
#include <l4/wire/tcp.hpp>

#include "oracle.hpp"
#include "tcp_reference.hpp"

#include <tins/exceptions.h>
#include <tins/rawpdu.h>
#include <tins/tcp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace {

using namespace l4::wire;
using l4::fuzz::ref_option;

// libtins' walk of the option bytes (rule 2): EOL and NOP are one byte and
// do not stop it; every other kind needs a length byte >= 2 that fits.
struct tins_model {
    std::vector<ref_option> options;  // EOL and NOP left out
    bool malformed = false;
};
tins_model libtins_walk(l4::bytes o) {
    tins_model m;
    std::size_t i = 0;
    while (i < o.size()) {
        if (o[i] <= 1) {
            ++i;
            continue;
        }
        if (i + 1 >= o.size() || o[i + 1] < 2 || i + o[i + 1] > o.size()) {
            m.malformed = true;
            break;
        }
        m.options.push_back({o[i], i + 2, std::size_t{o[i + 1]} - 2});
        i += o[i + 1];
    }
    return m;
}

std::optional<ref_option> first_of(const std::vector<ref_option>& list, std::uint8_t kind) {
    for (const auto& o : list)
        if (o.kind == kind) return o;
    return std::nullopt;
}

std::size_t count_of(const std::vector<ref_option>& list, std::uint8_t kind) {
    std::size_t n = 0;
    for (const auto& o : list) n += o.kind == kind;
    return n;
}

// Calls f(); returns 0 for a value, 1 for option_not_found, 2 for
// malformed_option.
template <class F>
int outcome(F&& f) {
    try {
        f();
        return 0;
    } catch (const Tins::option_not_found&) {
        return 1;
    } catch (const Tins::malformed_option&) {
        return 2;
    }
}

void compare_options(const Tins::TCP& t, const tcp_view& v) {
    const l4::bytes o = v.options();
    const auto ours = l4::fuzz::walk_reference(o);  // stops at EOL
    const auto theirs = libtins_walk(o);
    const auto strict = tcp_options::parse(o);

    // Rule 2: our options are the first ones libtins found, byte for byte.
    L4_FUZZ_CHECK(!ours.malformed);
    L4_FUZZ_CHECK(ours.options.size() <= theirs.options.size());
    for (std::size_t i = 0; i < ours.options.size(); ++i) {
        const auto& a = ours.options[i];
        const auto& b = theirs.options[i];
        L4_FUZZ_CHECK(a.kind == b.kind && a.data_offset == b.data_offset && a.data_len == b.data_len);
    }
    // libtins' own list, without EOL and NOP, is its walk.
    std::size_t k = 0;
    for (const auto& opt : t.options()) {
        const auto kind = static_cast<std::uint8_t>(opt.option());
        if (kind <= 1) continue;
        L4_FUZZ_CHECK(k < theirs.options.size());
        const auto& m = theirs.options[k++];
        L4_FUZZ_CHECK(kind == m.kind && opt.data_size() == m.data_len);
        L4_FUZZ_CHECK(std::equal(opt.data_ptr(), opt.data_ptr() + opt.data_size(), o.begin() + static_cast<std::ptrdiff_t>(m.data_offset)));
    }
    L4_FUZZ_CHECK(k == theirs.options.size());

    auto be16 = [&](std::size_t at) { return static_cast<std::uint16_t>((o[at] << 8) | o[at + 1]); };
    auto be32 = [&](std::size_t at) { return l4::fuzz::be32_at(o, at); };

    // One kind at a time (rules 4 and 5). `first` is libtins' choice.
    auto check_kind = [&](std::uint8_t kind, std::size_t exact_len, auto&& get, auto&& same_as_first,
                          auto&& same_as_ours) {
        const auto first = first_of(theirs.options, kind);
        const int got = outcome([&] { get(); });
        if (!first) {
            L4_FUZZ_CHECK(got == 1);
            return;
        }
        const bool before_eol = first_of(ours.options, kind).has_value();
        if (!before_eol) return;  // rule 2: only libtins sees it
        if (first->data_len != exact_len) {
            L4_FUZZ_CHECK(got == 2);
            L4_FUZZ_CHECK(!strict);
            return;
        }
        L4_FUZZ_CHECK(got == 0);
        same_as_first(*first);
        if (strict && count_of(ours.options, kind) == 1) same_as_ours();
    };

    check_kind(
        option_kind::mss, 2, [&] { (void)t.mss(); },
        [&](const ref_option& f) { L4_FUZZ_CHECK(t.mss() == be16(f.data_offset)); },
        [&] { L4_FUZZ_CHECK(strict->mss && *strict->mss == t.mss()); });
    check_kind(
        option_kind::window_scale, 1, [&] { (void)t.winscale(); },
        [&](const ref_option& f) { L4_FUZZ_CHECK(t.winscale() == o[f.data_offset]); },
        [&] { L4_FUZZ_CHECK(strict->window_scale && *strict->window_scale == t.winscale()); });
    check_kind(
        option_kind::timestamps, 8, [&] { (void)t.timestamp(); },
        [&](const ref_option& f) {
            const auto ts = t.timestamp();
            L4_FUZZ_CHECK(ts.first == be32(f.data_offset) && ts.second == be32(f.data_offset + 4));
        },
        [&] {
            const auto ts = t.timestamp();
            L4_FUZZ_CHECK(strict->ts && strict->ts->tsval == ts.first && strict->ts->tsecr == ts.second);
        });

    // SACK-permitted: libtins takes any length (rule 5).
    const auto sack_ok = first_of(theirs.options, option_kind::sack_permitted);
    L4_FUZZ_CHECK(t.has_sack_permitted() == sack_ok.has_value());
    if (strict) L4_FUZZ_CHECK(strict->sack_permitted == first_of(ours.options, option_kind::sack_permitted).has_value());

    // SACK: libtins takes any multiple of 4 bytes (rule 5).
    const auto sack = first_of(theirs.options, option_kind::sack);
    const int got = outcome([&] { (void)t.sack(); });
    if (!sack) {
        L4_FUZZ_CHECK(got == 1);
    } else if (first_of(ours.options, option_kind::sack)) {
        L4_FUZZ_CHECK(got == (sack->data_len % 4 == 0 ? 0 : 2));
        if (got == 0) {
            const auto edges = t.sack();
            L4_FUZZ_CHECK(edges.size() == sack->data_len / 4);
            for (std::size_t i = 0; i < edges.size(); ++i) L4_FUZZ_CHECK(edges[i] == be32(sack->data_offset + 4 * i));
            if (strict && count_of(ours.options, option_kind::sack) == 1) {
                L4_FUZZ_CHECK(edges.size() == 2 * std::size_t{strict->sack_count});
                for (std::size_t i = 0; i < strict->sack_count; ++i)
                    L4_FUZZ_CHECK(strict->sack[i].left.raw() == edges[2 * i] &&
                                  strict->sack[i].right.raw() == edges[2 * i + 1]);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const l4::bytes seg{data, size};
    const auto v = tcp_view::check(seg);

    std::optional<Tins::TCP> t;
    try {
        t.emplace(data, static_cast<std::uint32_t>(size));
    } catch (const Tins::malformed_packet&) {
    }

    if (!v) {  // rule 1
        L4_FUZZ_CHECK(!t);
        return 0;
    }
    const auto model = libtins_walk(v->options());
    L4_FUZZ_CHECK(t.has_value() == !model.malformed);  // rules 2 and 3
    if (!t) {
        // Rule 3: what we see as malformed, libtins does too.
        return 0;
    }

    L4_FUZZ_CHECK(t->sport() == v->src_port() && t->dport() == v->dst_port());
    L4_FUZZ_CHECK(t->seq() == v->seq_number().raw() && t->ack_seq() == v->ack_number().raw());
    L4_FUZZ_CHECK(std::size_t{t->data_offset()} * 4 == v->header_len() && t->header_size() >= tcp_header_len);
    const unsigned flags = t->flags();  // rule 6
    L4_FUZZ_CHECK((flags & 0xFF) == v->flags().bits && (flags >> 8) == v->reserved());
    for (auto f : {Tins::TCP::FIN, Tins::TCP::SYN, Tins::TCP::RST, Tins::TCP::PSH, Tins::TCP::ACK, Tins::TCP::URG,
                   Tins::TCP::ECE, Tins::TCP::CWR})
        L4_FUZZ_CHECK(unsigned{t->get_flag(f)} == (v->flags().has(static_cast<std::uint8_t>(f)) ? 1u : 0u));
    L4_FUZZ_CHECK(t->window() == v->window() && t->checksum() == v->checksum());
    L4_FUZZ_CHECK(t->urg_ptr() == v->urgent_pointer());

    // Rule 7.
    const auto* raw = t->find_pdu<Tins::RawPDU>();
    if (v->payload().empty()) {
        L4_FUZZ_CHECK(raw == nullptr);
    } else {
        L4_FUZZ_CHECK(raw != nullptr && std::ranges::equal(raw->payload(), v->payload()));
    }

    compare_options(*t, *v);
    return 0;
}
