// Classic pcap: real captures, byte orders, truncation at every offset, bad
// headers, stream failures, and write→read round trips.
#include <l4/wire/pcap.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcap = l4::wire::pcap;
using pcap::link_type;
using pcap::precision;

namespace {

using byte_vector = std::vector<std::uint8_t>;

byte_vector read_data_file(const std::string& name) {
    std::ifstream in(std::string(L4_TEST_DATA) + "/pcap/" + name, std::ios::binary);
    REQUIRE(in);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string as_string(l4::bytes b) { return {b.begin(), b.end()}; }

// A record that outlives the reader's buffer.
struct owned_record {
    std::uint64_t timestamp_ns = 0;
    std::uint32_t original_length = 0;
    byte_vector data;
    friend bool operator==(const owned_record&, const owned_record&) = default;
};

struct read_outcome {
    std::vector<owned_record> records;
    l4::errc error = l4::errc::ok;  // ok when the file ended cleanly
};

template <class Reader>
read_outcome read_to_end(Reader& reader) {
    read_outcome out;
    for (;;) {
        auto r = reader.next();
        if (!r) {
            out.error = r.error();
            return out;
        }
        if (!*r) return out;
        const pcap::record& rec = **r;
        out.records.push_back({rec.timestamp_ns, rec.original_length, {rec.data.begin(), rec.data.end()}});
    }
}

read_outcome read_span(l4::bytes file) {
    auto reader = pcap::span_reader::open(file);
    if (!reader) return {{}, reader.error()};
    return read_to_end(*reader);
}

read_outcome read_stream(l4::bytes file) {
    std::istringstream in(as_string(file));
    auto reader = pcap::stream_reader::open(in);
    if (!reader) return {{}, reader.error()};
    return read_to_end(*reader);
}

// The same file with every header field in big-endian order.
byte_vector to_big_endian(const byte_vector& le) {
    byte_vector be = le;
    auto swap_at = [&](std::size_t off, std::size_t width) { std::reverse(be.begin() + off, be.begin() + off + width); };
    swap_at(0, 4);
    swap_at(4, 2);
    swap_at(6, 2);
    for (std::size_t off : {8, 12, 16, 20}) swap_at(off, 4);
    for (std::size_t off = 24; off < le.size(); off += 16 + l4::load_le32(&le[off + 8])) {
        for (std::size_t field = 0; field < 16; field += 4) swap_at(off + field, 4);
    }
    return be;
}

// A little-endian global header with the given fields.
byte_vector global_header(std::uint32_t magic, std::uint16_t major, std::uint16_t minor, std::uint32_t snaplen,
                          std::uint32_t link) {
    byte_vector h(24);
    l4::store_le32(&h[0], magic);
    l4::store_le16(&h[4], major);
    l4::store_le16(&h[6], minor);
    l4::store_le32(&h[16], snaplen);
    l4::store_le32(&h[20], link);
    return h;
}

void append_record_header(byte_vector& file, std::uint32_t sec, std::uint32_t frac, std::uint32_t incl,
                          std::uint32_t orig) {
    const std::size_t at = file.size();
    file.resize(at + 16);
    l4::store_le32(&file[at], sec);
    l4::store_le32(&file[at + 4], frac);
    l4::store_le32(&file[at + 8], incl);
    l4::store_le32(&file[at + 12], orig);
}

// Accepts `room` bytes, then fails like a full disk.
class limited_output : public std::streambuf {
public:
    explicit limited_output(std::size_t room) : room_{room} {}

protected:
    int_type overflow(int_type c) override {
        if (room_ == 0 || traits_type::eq_int_type(c, traits_type::eof())) return traits_type::eof();
        --room_;
        return c;
    }
    std::streamsize xsputn(const char*, std::streamsize n) override {
        const auto k = std::min<std::streamsize>(n, static_cast<std::streamsize>(room_));
        room_ -= static_cast<std::size_t>(k);
        return k;
    }

private:
    std::size_t room_;
};

// Every read fails like a disk error.
class failing_input : public std::streambuf {
protected:
    int_type underflow() override { throw std::runtime_error("disk error"); }
};

// Records counted by capinfos -c (Wireshark 4.0) and, independently, by
// walking the record headers with a short Python script; both agree.
struct capture {
    const char* name;
    std::size_t records;
};
constexpr capture shared_captures[] = {
    {"tcp_bulk_loss_sack.pcap", 2790}, {"tcp_echo_ipv4.pcap", 22},  {"tcp_echo_ipv6.pcap", 22},
    {"tcp_ecn.pcap", 18},              {"tcp_no_options.pcap", 24}, {"tcp_rst_closed_port.pcap", 4},
    {"tcp_zero_window.pcap", 792},     {"udp_ipv4.pcap", 3},        {"udp_ipv6.pcap", 5},
};

// Rows and highest frame.number of the tshark oracle beside a capture.
std::pair<std::size_t, std::size_t> oracle_rows_and_last_frame(const std::string& pcap_name) {
    const std::string tsv = pcap_name.substr(0, pcap_name.size() - 5) + ".expected.tsv";
    std::ifstream in(std::string(L4_TEST_DATA) + "/pcap/" + tsv);
    REQUIRE(in);
    std::string line;
    std::getline(in, line);  // column names
    std::size_t rows = 0, last = 0;
    while (std::getline(in, line)) {
        ++rows;
        last = std::max<std::size_t>(last, std::stoul(line.substr(0, line.find('\t'))));
    }
    return {rows, last};
}

}  // namespace

TEST_CASE("every shared capture reads to a clean end with the record count capinfos gives", "[pcap]") {
    for (const capture& c : shared_captures) {
        INFO(c.name);
        const byte_vector file = read_data_file(c.name);

        auto reader = pcap::span_reader::open(file);
        REQUIRE(reader.has_value());
        CHECK(reader->header().link == link_type::ethernet);
        CHECK(reader->header().byte_order == std::endian::little);
        CHECK(reader->header().ts_precision == precision::micro);
        CHECK(reader->header().snaplen == 262144);
        const read_outcome from_span = read_to_end(*reader);
        CHECK(from_span.error == l4::errc::ok);
        CHECK(from_span.records.size() == c.records);
        CHECK(reader->offset() == file.size());

        // The oracle lists only TCP and UDP frames, so it can hold fewer.
        const auto [rows, last_frame] = oracle_rows_and_last_frame(c.name);
        CHECK(rows <= c.records);
        CHECK(last_frame <= c.records);

        const read_outcome from_stream = read_stream(file);
        CHECK(from_stream.error == l4::errc::ok);
        CHECK(from_stream.records == from_span.records);

        // One capture on one interface: time never runs backwards.
        CHECK(std::is_sorted(from_span.records.begin(), from_span.records.end(),
                             [](const owned_record& a, const owned_record& b) { return a.timestamp_ns < b.timestamp_ns; }));
    }
}

TEST_CASE("udp_ipv4.pcap gives the timestamps and lengths tshark shows", "[pcap]") {
    // tshark -T fields -e frame.time_epoch -e frame.len -e frame.cap_len
    const read_outcome out = read_span(read_data_file("udp_ipv4.pcap"));
    REQUIRE(out.error == l4::errc::ok);
    REQUIRE(out.records.size() == 3);
    CHECK(out.records[0].timestamp_ns == 1'795'473'305'188'649'000u);
    CHECK(out.records[1].timestamp_ns == 1'795'473'305'239'046'000u);
    CHECK(out.records[2].timestamp_ns == 1'795'473'305'289'302'000u);
    CHECK(out.records[0].original_length == 53);
    CHECK(out.records[0].data.size() == 53);
    CHECK(out.records[2].original_length == 1514);
    CHECK(out.records[2].data.size() == 1514);
}

TEST_CASE("a big-endian file reads the same as its little-endian original", "[pcap]") {
    for (const char* name : {"udp_ipv4.pcap", "tcp_echo_ipv6.pcap"}) {
        INFO(name);
        const byte_vector le = read_data_file(name);
        const byte_vector be = to_big_endian(le);
        REQUIRE(be != le);

        auto reader = pcap::span_reader::open(be);
        REQUIRE(reader.has_value());
        CHECK(reader->header().byte_order == std::endian::big);
        const read_outcome expected = read_span(le);
        const read_outcome swapped = read_to_end(*reader);
        CHECK(swapped.error == l4::errc::ok);
        CHECK(swapped.records == expected.records);
        CHECK(read_stream(be).records == expected.records);
    }
}

TEST_CASE("the stream reader stops at the end of the record it returns", "[pcap]") {
    const byte_vector file = read_data_file("udp_ipv4.pcap");
    std::istringstream in(as_string(file));
    auto reader = pcap::stream_reader::open(in);
    REQUIRE(reader.has_value());
    CHECK(in.tellg() == 24);
    auto first = reader->next();
    REQUIRE(first.has_value());
    REQUIRE(*first);
    CHECK(in.tellg() == 24 + 16 + 53);
}

TEST_CASE("the stream reader reuses one buffer once it has seen the largest record", "[pcap]") {
    const byte_vector file = read_data_file("tcp_echo_ipv4.pcap");
    std::istringstream in(as_string(file));
    auto reader = pcap::stream_reader::open(in);
    REQUIRE(reader.has_value());
    const std::uint8_t* buffer = nullptr;
    bool seen_largest = false;
    while (true) {
        auto r = reader->next();
        REQUIRE(r.has_value());
        if (!*r) break;
        const l4::bytes data = (*r)->data;
        if (seen_largest) CHECK(data.data() == buffer);
        if (data.size() == 1514) {
            seen_largest = true;
            buffer = data.data();
        }
    }
    CHECK(seen_largest);
}

TEST_CASE("a moved stream reader carries on where the original stopped, with the same buffer", "[pcap]") {
    const byte_vector file = read_data_file("tcp_echo_ipv4.pcap");
    std::istringstream in(as_string(file)), other_in(as_string(file));
    auto reader = pcap::stream_reader::open(in);
    auto other = pcap::stream_reader::open(other_in);
    REQUIRE(reader.has_value());
    REQUIRE(other.has_value());
    auto first = reader->next();
    REQUIRE(first.has_value());
    REQUIRE(*first);
    const std::uint8_t* buffer = (*first)->data.data();

    pcap::stream_reader moved = std::move(*reader);
    auto second = moved.next();
    REQUIRE(second.has_value());
    REQUIRE(*second);
    CHECK((*second)->data.data() == buffer);  // records no larger than the first reuse its buffer
    CHECK(moved.offset() == 24 + 16 + (*first)->data.size() + 16 + (*second)->data.size());

    *other = std::move(moved);  // the assigned-to reader gives up its own stream and buffer
    std::size_t rest = 0;
    for (auto r = other->next(); r && *r; r = other->next()) ++rest;
    CHECK(rest + 2 == read_stream(file).records.size());
}

TEST_CASE("cutting a capture at every byte gives a clean end at record boundaries and truncated elsewhere",
          "[pcap]") {
    // Record boundaries of udp_ipv4.pcap from tshark's frame.cap_len (53, 42, 1514).
    const byte_vector file = read_data_file("udp_ipv4.pcap");
    const std::vector<std::size_t> boundaries = {24, 24 + 16 + 53, 24 + 16 + 53 + 16 + 42, file.size()};
    REQUIRE(boundaries.back() == 24 + 16 + 53 + 16 + 42 + 16 + 1514);

    for (std::size_t cut = 0; cut <= file.size(); ++cut) {
        INFO("cut at " << cut);
        const l4::bytes part{file.data(), cut};
        const auto whole = static_cast<std::size_t>(
            std::count_if(boundaries.begin() + 1, boundaries.end(), [&](std::size_t b) { return b <= cut; }));
        const bool at_boundary = std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();

        for (const read_outcome& out : {read_span(part), read_stream(part)}) {
            if (at_boundary) {
                CHECK(out.error == l4::errc::ok);
            } else {
                CHECK(out.error == l4::errc::truncated);
            }
            CHECK(out.records.size() == (cut < 24 ? 0 : whole));
        }
    }
}

TEST_CASE("a file that is not classic pcap is bad_magic", "[pcap]") {
    const byte_vector pcapng = global_header(0x0a0d0d0a, 2, 4, 65535, 1);
    CHECK(read_span(pcapng).error == l4::errc::bad_magic);
    CHECK(read_stream(pcapng).error == l4::errc::bad_magic);
    // Kuznetzov's modified pcap: a different record header, not supported.
    CHECK(read_span(global_header(0xa1b2cd34, 2, 4, 65535, 1)).error == l4::errc::bad_magic);
    CHECK(read_span(byte_vector(24, 0)).error == l4::errc::bad_magic);
}

TEST_CASE("a file version other than 2.4 is unsupported_version", "[pcap]") {
    CHECK(read_span(global_header(pcap::magic_micro, 2, 3, 65535, 1)).error == l4::errc::unsupported_version);
    CHECK(read_span(global_header(pcap::magic_micro, 1, 4, 65535, 1)).error == l4::errc::unsupported_version);
    CHECK(read_stream(global_header(pcap::magic_nano, 2, 2, 65535, 1)).error == l4::errc::unsupported_version);
}

TEST_CASE("link types other than Ethernet and raw IP are unsupported_link_type", "[pcap]") {
    for (std::uint32_t link : {0u, 105u, 113u, 127u, 276u, 0x10000001u}) {
        INFO("link type " << link);
        CHECK(read_span(global_header(pcap::magic_micro, 2, 4, 65535, link)).error == l4::errc::unsupported_link_type);
    }
    for (std::uint32_t link : {1u, 101u, 228u, 229u}) {
        auto reader = pcap::span_reader::open(global_header(pcap::magic_micro, 2, 4, 65535, link));
        REQUIRE(reader.has_value());
        CHECK(static_cast<std::uint32_t>(reader->header().link) == link);
        CHECK(pcap::is_raw_ip(reader->header().link) == (link != 1));
    }
}

TEST_CASE("an empty stream or a short global header is truncated", "[pcap]") {
    CHECK(read_stream({}).error == l4::errc::truncated);
    CHECK(read_span({}).error == l4::errc::truncated);
    const byte_vector h = global_header(pcap::magic_micro, 2, 4, 65535, 1);
    CHECK(read_stream(l4::bytes{h.data(), 23}).error == l4::errc::truncated);
}

TEST_CASE("a record longer than the snaplen is read, as libpcap and Wireshark read it", "[pcap]") {
    byte_vector file = global_header(pcap::magic_micro, 2, 4, 100, 1);
    append_record_header(file, 1, 0, 101, 101);
    file.resize(file.size() + 101, 0xAB);
    append_record_header(file, 2, 0, 60, 60);
    file.resize(file.size() + 60, 0xCD);
    for (const read_outcome& out : {read_span(file), read_stream(file)}) {
        CHECK(out.error == l4::errc::ok);
        REQUIRE(out.records.size() == 2);
        CHECK(out.records[0].data.size() == 101);
        CHECK(out.records[1].data.size() == 60);
    }
}

TEST_CASE("a record longer than 256 KiB is length_mismatch, not an allocation", "[pcap]") {
    // Whatever the snaplen says, 0 or beyond 256 KiB included.
    for (std::uint32_t snaplen : {0u, 100u, 0x7fffffffu, 0xffffffffu}) {
        INFO("snaplen " << snaplen);
        byte_vector huge = global_header(pcap::magic_micro, 2, 4, snaplen, 1);
        append_record_header(huge, 1, 0, 0xffffffffu, 0xffffffffu);
        CHECK(read_span(huge).error == l4::errc::length_mismatch);
        CHECK(read_stream(huge).error == l4::errc::length_mismatch);

        byte_vector largest = global_header(pcap::magic_micro, 2, 4, snaplen, 1);
        append_record_header(largest, 1, 0, pcap::max_record_size, pcap::max_record_size);
        largest.resize(largest.size() + pcap::max_record_size);
        const read_outcome out = read_stream(largest);
        CHECK(out.error == l4::errc::ok);
        CHECK(out.records.size() == 1);
    }
}

TEST_CASE("after an error the stream reader keeps returning it", "[pcap]") {
    byte_vector file = read_data_file("udp_ipv4.pcap");
    file.resize(100);  // inside the second record
    std::istringstream in(as_string(file));
    auto reader = pcap::stream_reader::open(in);
    REQUIRE(reader.has_value());
    REQUIRE(reader->next().has_value());
    for (int i = 0; i < 3; ++i) {
        auto r = reader->next();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error() == l4::errc::truncated);
    }
}

TEST_CASE("the stream reader never throws, even from a stream with exceptions enabled", "[pcap]") {
    byte_vector file = read_data_file("udp_ipv4.pcap");
    file.resize(100);
    std::istringstream in(as_string(file));
    in.exceptions(std::ios::failbit | std::ios::eofbit | std::ios::badbit);
    auto reader = pcap::stream_reader::open(in);
    REQUIRE(reader.has_value());
    REQUIRE(reader->next().has_value());
    auto cut = reader->next();
    REQUIRE_FALSE(cut.has_value());
    CHECK(cut.error() == l4::errc::truncated);

    failing_input broken;
    std::istream from_broken(&broken);
    from_broken.exceptions(std::ios::failbit | std::ios::eofbit | std::ios::badbit);
    auto none = pcap::stream_reader::open(from_broken);
    REQUIRE_FALSE(none.has_value());
    CHECK(none.error() == l4::errc::io_error);

    std::ifstream missing("/nonexistent/l4kit.pcap", std::ios::binary);
    CHECK(pcap::stream_reader::open(missing).error() == l4::errc::io_error);
}

TEST_CASE("the writer's global header is little-endian 2.4 with the chosen precision and link type", "[pcap]") {
    std::ostringstream out;
    pcap::writer w(out, link_type::raw, precision::nano);
    CHECK(w.status() == l4::errc::ok);
    const byte_vector expected = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0,
                                  0,    0,    0,    0,    4, 0, 101, 0, 0, 0};
    const std::string written = out.str();
    CHECK(byte_vector(written.begin(), written.end()) == expected);
}

TEST_CASE("write then read preserves nanosecond timestamps, lengths and bytes", "[pcap]") {
    const byte_vector frame = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    std::ostringstream out;
    pcap::writer w(out, link_type::ethernet, precision::nano);
    REQUIRE(w.write(1'795'473'305'188'649'123u, frame).has_value());
    REQUIRE(w.write(0, {}, 60).has_value());
    REQUIRE(w.write(4'294'967'295'999'999'999u, frame, 9000).has_value());
    REQUIRE(w.flush().has_value());

    const std::string file = out.str();
    const read_outcome back = read_stream(l4::bytes{reinterpret_cast<const std::uint8_t*>(file.data()), file.size()});
    CHECK(back.error == l4::errc::ok);
    const std::vector<owned_record> expected = {
        {1'795'473'305'188'649'123u, 10, frame}, {0, 60, {}}, {4'294'967'295'999'999'999u, 9000, frame}};
    CHECK(back.records == expected);
}

TEST_CASE("a microsecond file truncates timestamps to the microsecond", "[pcap]") {
    std::ostringstream out;
    pcap::writer w(out, link_type::raw, precision::micro);
    const byte_vector packet = {0x45, 0, 0, 20};
    REQUIRE(w.write(1'000'000'001'999u, packet).has_value());
    REQUIRE(w.write(999u, packet).has_value());
    const std::string file = out.str();
    const read_outcome back = read_span(l4::bytes{reinterpret_cast<const std::uint8_t*>(file.data()), file.size()});
    REQUIRE(back.records.size() == 2);
    CHECK(back.records[0].timestamp_ns == 1'000'000'001'000u);
    CHECK(back.records[1].timestamp_ns == 0);
}

TEST_CASE("the writer refuses bad arguments without writing anything", "[pcap]") {
    std::ostringstream out;
    pcap::writer w(out, link_type::ethernet, precision::nano);
    const byte_vector frame(100);
    const std::size_t header_only = out.str().size();

    CHECK(w.write(0, frame, 99).error() == l4::errc::invalid_argument);
    CHECK(w.write(std::uint64_t{1} << 32 << 30, frame).error() == l4::errc::value_out_of_range);
    const byte_vector jumbo(pcap::max_record_size + 1);
    CHECK(w.write(0, jumbo).error() == l4::errc::frame_too_large);
    CHECK(out.str().size() == header_only);

    // Bad arguments do not spoil the file: the next good record goes through.
    CHECK(w.write(0, frame).has_value());
    CHECK(w.status() == l4::errc::ok);
}

TEST_CASE("the writer refuses a link type it cannot name", "[pcap]") {
    std::ostringstream out;
    pcap::writer w(out, static_cast<link_type>(105), precision::nano);
    CHECK(w.status() == l4::errc::unsupported_link_type);
    CHECK(w.write(0, {}).error() == l4::errc::unsupported_link_type);
    CHECK(out.str().empty());
}

TEST_CASE("the writer reports a stream that fails, and never throws", "[pcap]") {
    SECTION("the disk fills up in the middle of a record") {
        limited_output sink(24 + 16 + 5);
        std::ostream out(&sink);
        pcap::writer w(out, link_type::ethernet, precision::micro);
        CHECK(w.status() == l4::errc::ok);
        const byte_vector frame(10);
        CHECK(w.write(0, frame).error() == l4::errc::io_error);
        CHECK(w.write(0, {}).error() == l4::errc::io_error);
        CHECK(w.flush().error() == l4::errc::io_error);
    }
    SECTION("the stream throws on failure") {
        limited_output sink(10);
        std::ostream out(&sink);
        out.exceptions(std::ios::failbit | std::ios::badbit);
        pcap::writer w(out, link_type::ethernet, precision::micro);
        CHECK(w.status() == l4::errc::io_error);
        CHECK(w.write(0, {}).error() == l4::errc::io_error);
    }
}

TEST_CASE("records written then read back are identical", "[pcap]") {
    rc::prop("write→read round trip", [] {
        const auto link = *rc::gen::element(link_type::ethernet, link_type::raw, link_type::ipv4, link_type::ipv6);
        const auto ts_precision = *rc::gen::element(precision::micro, precision::nano);
        const auto count = *rc::gen::inRange<std::size_t>(0, 20);

        std::ostringstream out;
        pcap::writer w(out, link, ts_precision);
        std::vector<owned_record> expected;
        for (std::size_t i = 0; i < count; ++i) {
            const auto ts = *rc::gen::inRange<std::uint64_t>(0, (std::uint64_t{1} << 32) * 1'000'000'000u);
            const auto data = *rc::gen::container<byte_vector>(rc::gen::arbitrary<std::uint8_t>());
            const auto cut_off = *rc::gen::inRange<std::uint32_t>(0, 65536);
            const auto original = static_cast<std::uint32_t>(data.size()) + cut_off;
            RC_ASSERT(w.write(ts, data, original).has_value());
            const std::uint64_t stored = ts_precision == precision::nano ? ts : ts - ts % 1000;
            expected.push_back({stored, original, data});
        }
        const std::string file = out.str();
        const l4::bytes raw{reinterpret_cast<const std::uint8_t*>(file.data()), file.size()};

        auto reader = pcap::span_reader::open(raw);
        RC_ASSERT(reader.has_value());
        RC_ASSERT(reader->header().link == link);
        RC_ASSERT(reader->header().ts_precision == ts_precision);
        const read_outcome from_span = read_to_end(*reader);
        RC_ASSERT(from_span.error == l4::errc::ok);
        RC_ASSERT(from_span.records == expected);
        RC_ASSERT(read_stream(raw).records == expected);
    });
}

TEST_CASE("arbitrary bytes after a valid header end cleanly or with an error", "[pcap]") {
    rc::prop("no crash, no overread, both readers agree", [] {
        byte_vector file = global_header(*rc::gen::element(pcap::magic_micro, pcap::magic_nano), 2, 4,
                                         *rc::gen::inRange<std::uint32_t>(0, 2000), 1);
        const auto tail = *rc::gen::container<byte_vector>(rc::gen::arbitrary<std::uint8_t>());
        file.insert(file.end(), tail.begin(), tail.end());
        const read_outcome from_span = read_span(file);
        const read_outcome from_stream = read_stream(file);
        RC_ASSERT(from_span.records == from_stream.records);
        RC_ASSERT(from_span.error == from_stream.error);
    });
}
