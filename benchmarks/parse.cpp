// TCP parsing speed on real segments: l4kit's zero-copy view, the view with
// checksum verification, the strict repr, and libtins' object model.
//
//   parse/<variant>/<kind>     variant: l4_view, l4_view_verify, l4_repr, libtins
//                              kind:    mix (every TCP segment of every capture, in
//                                       capture order) or one kind of segment:
//                                       syn (SYN/SYN-ACK with MSS, SACK-permitted,
//                                       TS, WS), ack (no payload; TS), data
//                                       (payload; TS), sack (ACK with SACK blocks),
//                                       noopt (no options at all); each segment
//                                       is in the first kind that fits, in that
//                                       order: syn, noopt, sack, then ack or data
//
// Input: the TCP header and payload (IP stripped) of every TCP frame of every
// pcap in tests/data/pcap (real Linux traffic, checksums final), read once at
// start-up with pcap::stream_reader, ip_payload_of_frame and parse_ip. Each
// segment is copied to its own slot of one arena, its TCP header starting a
// 64-byte cache line, so that header and options (at most 60 bytes) share one
// line: the headers of the whole mix then fit in L2 and the benchmark times
// parsing, not cache misses (the header a stack parses was just touched by
// its IP layer).
//
// Every variant reads the same values (ports, seq, ack, flags, window, header
// length, and MSS, window scale, SACK-permitted, SACK edges, TSval, TSecr)
// and adds them into one sum, returned per pass and kept with DoNotOptimize.
// Before timing, each variant's sum is compared with l4_view's: a variant
// that read something else (or a checksum that failed to verify) stops the
// benchmark with an error instead of reporting a number.
//
// Counters: items_per_second is segments/s; ns_per_segment its inverse, in
// nanoseconds in the JSON (the console appends an "s" to inverted counters:
// read "6.4s" as 6.4 ns). Both come from CPU time, as Google Benchmark's
// rates do; on a loaded machine real_time is the larger.
// The small kinds (syn, noopt) have a few dozen segments, so the branch
// predictor learns them; mix is the figure to quote.
#include <l4/checksum/internet.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/capture.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pcap.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/tcp_options.hpp>

#include <benchmark/benchmark.h>
#include <tins/exceptions.h>
#include <tins/tcp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#ifndef L4_TEST_DATA
#error "L4_TEST_DATA (the absolute path of tests/data) must be defined by the build"
#endif

namespace {

namespace wire = l4::wire;
namespace kind = wire::option_kind;

enum class seg_kind : std::uint8_t { syn, ack, data, sack, noopt };
constexpr std::array<const char*, 5> kind_names{"syn", "ack", "data", "sack", "noopt"};

struct segment {
    l4::bytes tcp;                      // header and payload, in the arena
    const wire::pseudo_header* pseudo;  // what the checksum covers besides `tcp`
};

struct corpus {
    std::vector<std::uint8_t> arena;
    std::vector<wire::pseudo_header> pseudo;   // apart: only l4_view_verify reads them
    std::vector<segment> all;                  // capture order, files in name order
    std::array<std::vector<segment>, 5> by_kind;
    std::size_t frames = 0;                    // all frames read, TCP or not
    std::size_t bytes = 0;                     // TCP bytes (header + payload)
};

// Which subset a segment belongs to; first match wins.
seg_kind classify(const wire::tcp_view& v) {
    if (v.flags().has(wire::tcp_flags::syn)) return seg_kind::syn;
    if (v.header_len() == wire::tcp_header_len) return seg_kind::noopt;
    auto w = v.walk_options();
    while (auto o = w.next())
        if (o->kind == kind::sack) return seg_kind::sack;
    return v.payload().empty() ? seg_kind::ack : seg_kind::data;
}

// Loads every TCP segment; an error message on failure.
std::string load(corpus& c) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path{L4_TEST_DATA} / "pcap";
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator{dir, ec})
        if (e.path().extension() == ".pcap") files.push_back(e.path());
    if (ec) return "cannot list " + dir.string() + ": " + ec.message();
    std::sort(files.begin(), files.end());

    // Pass 1: each segment into a 64-byte slot of `staged`.
    struct pending {
        std::size_t offset, size;
    };
    std::vector<pending> found;
    std::vector<std::uint8_t> staged;
    for (const auto& path : files) {
        std::ifstream in{path, std::ios::binary};
        auto reader = wire::pcap::stream_reader::open(in);
        if (!reader) return path.string() + ": " + l4::describe(reader.error());
        const auto link = reader->header().link;
        while (true) {
            auto rec = reader->next();
            if (!rec) return path.string() + ": " + l4::describe(rec.error());
            if (!*rec) break;
            ++c.frames;
            auto ip = wire::ip_payload_of_frame(link, (*rec)->data);
            if (!ip) continue;  // ARP and the like
            auto pkt = wire::parse_ip(*ip);
            if (!pkt || pkt->protocol != wire::ip_protocol::tcp) continue;
            const std::size_t slot = (staged.size() + 63) / 64 * 64;
            staged.resize(slot + pkt->transport.size());
            std::copy(pkt->transport.begin(), pkt->transport.end(),
                      staged.begin() + static_cast<std::ptrdiff_t>(slot));
            found.push_back({slot, pkt->transport.size()});
            c.pseudo.push_back(pkt->pseudo);
        }
    }
    // Pass 2: into the arena at a 64-byte-aligned base; the arena and the
    // pseudo-headers no longer move, so pointers into them stay valid.
    c.arena.assign(staged.size() + 64, 0);
    const auto misalign = reinterpret_cast<std::uintptr_t>(c.arena.data()) % 64;
    std::uint8_t* base = c.arena.data() + (misalign ? 64 - misalign : 0);
    std::copy(staged.begin(), staged.end(), base);
    for (std::size_t i = 0; i < found.size(); ++i) {
        const l4::bytes tcp{base + found[i].offset, found[i].size};
        auto v = wire::tcp_view::check(tcp);
        if (!v) return std::string{"a captured TCP segment fails tcp_view::check: "} + l4::describe(v.error());
        const segment s{tcp, &c.pseudo[i]};
        c.all.push_back(s);
        c.by_kind[static_cast<std::size_t>(classify(*v))].push_back(s);
        c.bytes += tcp.size();
    }
    if (c.all.empty()) return "no TCP segments under " + dir.string();
    return {};
}

// ---------------------------------------------------------------------------
// The variants. Each returns the sum of what it read over one pass.

// Options through option_walker, decoding the five kinds the stack uses.
// Lengths are checked as tcp_options::parse checks them, so a malformed
// option adds nothing rather than reading a wrong value.
[[gnu::always_inline]] inline std::uint64_t sum_options(wire::option_walker w) noexcept {
    std::uint64_t s = 0;
    while (auto o = w.next()) {
        const std::uint8_t* d = o->data.data();
        const std::size_t n = o->data.size();
        switch (o->kind) {
        case kind::mss:
            if (n == 2) s += l4::load_be16(d);
            break;
        case kind::window_scale:
            if (n == 1) s += d[0];
            break;
        case kind::sack_permitted:
            if (n == 0) s += 1;
            break;
        case kind::sack:
            if (n % 8 == 0)
                for (std::size_t i = 0; i < n; i += 8)
                    s += std::uint64_t{l4::load_be32(d + i)} + l4::load_be32(d + i + 4);
            break;
        case kind::timestamps:
            if (n == 8) s += std::uint64_t{l4::load_be32(d)} + l4::load_be32(d + 4);
            break;
        default:
            break;
        }
    }
    return s;
}

[[gnu::always_inline]] inline std::uint64_t sum_header(const wire::tcp_view& v) noexcept {
    return std::uint64_t{v.src_port()} + v.dst_port() + v.seq_number().raw() + v.ack_number().raw() +
           v.flags().bits + v.window() + v.header_len();
}

std::uint64_t run_l4_view(const std::vector<segment>& segs) noexcept {
    std::uint64_t s = 0;
    for (const segment& seg : segs) {
        auto v = wire::tcp_view::check(seg.tcp);
        if (!v) continue;
        s += sum_header(*v) + sum_options(v->walk_options());
    }
    return s;
}

// A failed checksum adds a large odd constant so that the cross-check fails.
constexpr std::uint64_t bad_checksum_mark = 0x9E3779B97F4A7C15ull;

std::uint64_t run_l4_view_verify(const std::vector<segment>& segs) noexcept {
    std::uint64_t s = 0;
    for (const segment& seg : segs) {
        auto v = wire::tcp_view::check(seg.tcp);
        if (!v) continue;
        s += sum_header(*v) + sum_options(v->walk_options());
        if (!v->verify_checksum<l4::checksum::internet>(seg.pseudo->bytes())) s += bad_checksum_mark;
    }
    return s;
}

std::uint64_t run_l4_repr(const std::vector<segment>& segs) noexcept {
    std::uint64_t s = 0;
    for (const segment& seg : segs) {
        auto r = wire::tcp_repr::parse(seg.tcp);
        if (!r) continue;
        const wire::tcp_repr& t = *r;
        s += std::uint64_t{t.src_port} + t.dst_port + t.seq_number.raw() + t.ack_number.raw() + t.flags.bits +
             t.window + (seg.tcp.size() - t.payload.size());
        const wire::tcp_options& o = t.options;
        s += o.mss.value_or(0) + o.window_scale.value_or(0) + (o.sack_permitted ? 1 : 0);
        for (const wire::sack_block& b : o.sack_blocks()) s += std::uint64_t{b.left.raw()} + b.right.raw();
        if (o.ts) s += std::uint64_t{o.ts->tsval} + o.ts->tsecr;
    }
    return s;
}

// libtins: the TCP constructor builds the PDU (header copy, a std::vector of
// options each owning its bytes, a RawPDU owning a copy of the payload).
// Options are read in one pass over tcp.options() with PDUOption::to<T>(),
// which is what tcp.mss(), winscale(), timestamp() and sack() do after their
// search_option(); it is the fastest faithful way. Measured on this mix:
// search_option() before each accessor (the list searched twice per kind)
// costs ~1.15x this, and the accessors alone in try/catch ~25x (most
// segments lack MSS, WS and SACK, and each absent one throws
// option_not_found). has_sack_permitted() is a search_option() too: here it
// is the SACK_OK case.
std::uint64_t run_libtins(const std::vector<segment>& segs) {
    std::uint64_t s = 0;
    for (const segment& seg : segs) {
        try {
            const Tins::TCP tcp(seg.tcp.data(), static_cast<std::uint32_t>(seg.tcp.size()));
            s += std::uint64_t{tcp.sport()} + tcp.dport() + tcp.seq() + tcp.ack_seq() + (tcp.flags() & 0xFF) +
                 tcp.window() + std::uint64_t{tcp.data_offset()} * 4;
            for (const Tins::TCP::option& o : tcp.options()) {
                switch (o.option()) {
                case Tins::TCP::MSS: s += o.to<std::uint16_t>(); break;
                case Tins::TCP::WSCALE: s += o.to<std::uint8_t>(); break;
                case Tins::TCP::SACK_OK: s += 1; break;
                case Tins::TCP::SACK:
                    for (std::uint32_t edge : o.to<Tins::TCP::sack_type>()) s += edge;
                    break;
                case Tins::TCP::TSOPT: {
                    const auto ts = o.to<std::pair<std::uint32_t, std::uint32_t>>();
                    s += std::uint64_t{ts.first} + ts.second;
                    break;
                }
                default: break;
                }
            }
        } catch (const Tins::exception_base&) {
            // malformed_packet / malformed_option: nothing read, as l4's `continue`.
        }
    }
    return s;
}

// ---------------------------------------------------------------------------

using runner = std::uint64_t (*)(const std::vector<segment>&);

void bench(benchmark::State& state, runner run, const std::vector<segment>* segs) {
    const std::uint64_t want = run_l4_view(*segs);
    if (run(*segs) != want) {
        state.SkipWithError("sum differs from l4_view's: other values read, or a checksum failed");
        return;
    }
    for (auto _ : state) {
        std::uint64_t s = run(*segs);
        benchmark::DoNotOptimize(s);
    }
    const auto n = static_cast<std::int64_t>(segs->size());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * n);
    // kIsIterationInvariantRate | kInvert gives seconds / (value * iterations);
    // a value of n * 1e-9 makes that nanoseconds per segment.
    state.counters["ns_per_segment"] = benchmark::Counter(
        static_cast<double>(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    static corpus c;
    if (auto err = load(c); !err.empty()) {
        std::fprintf(stderr, "bench_parse: %s\n", err.c_str());
        return 1;
    }
    std::string mix = std::to_string(c.all.size()) + " TCP segments of " + std::to_string(c.frames) +
                      " frames, " + std::to_string(c.bytes) + " bytes:";
    for (std::size_t k = 0; k < kind_names.size(); ++k)
        mix += std::string{" "} + kind_names[k] + '=' + std::to_string(c.by_kind[k].size());
    benchmark::AddCustomContext("parse_input", mix);
    benchmark::AddCustomContext("checksum_path", std::string{l4::checksum::internet::active_path()});

    const std::array<std::pair<const char*, runner>, 4> variants{{{"l4_view", run_l4_view},
                                                                  {"l4_view_verify", run_l4_view_verify},
                                                                  {"l4_repr", run_l4_repr},
                                                                  {"libtins", run_libtins}}};
    for (const auto& [name, run] : variants) {
        benchmark::RegisterBenchmark((std::string{"parse/"} + name + "/mix").c_str(), bench, run, &c.all);
        for (std::size_t k = 0; k < kind_names.size(); ++k)
            if (!c.by_kind[k].empty())
                benchmark::RegisterBenchmark((std::string{"parse/"} + name + '/' + kind_names[k]).c_str(), bench,
                                             run, &c.by_kind[k]);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
