// Fuzz target: classic pcap files from arbitrary bytes.
//
// Runs the span reader to the end of the input, parses every Ethernet record
// with the Ethernet view, and runs the stream reader over the same bytes: the
// two readers share their parsing and must agree record for record and on the
// final error. A disagreement or a broken invariant aborts, so libFuzzer
// reports it like a crash.
#include <l4/wire/ethernet.hpp>
#include <l4/wire/pcap.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <istream>
#include <streambuf>

namespace {

namespace pcap = l4::wire::pcap;
namespace eth = l4::wire::ethernet;

// An istream over the fuzzer's bytes without copying them.
class memory_input : public std::streambuf {
public:
    memory_input(const std::uint8_t* data, std::size_t size) {
        // The get area is only read; streambuf wants char*, not const char*.
        char* begin = const_cast<char*>(reinterpret_cast<const char*>(data));
        setg(begin, begin, begin + size);
    }
};

void check(bool invariant) {
    if (!invariant) std::abort();
}

void parse_frame(const pcap::file_header& file, const pcap::record& rec) {
    check(rec.data.size() <= pcap::max_record_size);
    if (file.link != pcap::link_type::ethernet) return;
    auto frame = eth::view::check(rec.data);
    if (!frame) {
        check(frame.error() == l4::errc::truncated);
        return;
    }
    check(frame->header_len() + frame->payload().size() == rec.data.size());
    check(frame->vlan_tci().has_value() == (frame->header_len() == 18));
}

bool same(const pcap::record& a, const pcap::record& b) {
    return a.timestamp_ns == b.timestamp_ns && a.original_length == b.original_length &&
           std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    memory_input buffer(data, size);
    std::istream in(&buffer);
    auto from_span = pcap::span_reader::open(l4::bytes{data, size});
    auto from_stream = pcap::stream_reader::open(in);
    check(from_span.has_value() == from_stream.has_value());
    if (!from_span) {
        check(from_span.error() == from_stream.error());
        return 0;
    }

    for (;;) {
        auto a = from_span->next();
        auto b = from_stream->next();
        check(a.has_value() == b.has_value());
        if (!a) {
            check(a.error() == b.error());
            return 0;
        }
        check(a->has_value() == b->has_value());
        if (!*a) return 0;
        check(same(**a, **b));
        parse_frame(from_span->header(), **a);
    }
}
