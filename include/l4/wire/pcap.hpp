// Classic pcap files (not pcapng): read them record by record, write them.
//
// Reading list: draft-ietf-opsawg-pcap (the file format), tcpdump.org's
// linktypes list (LINKTYPE_ETHERNET 1, LINKTYPE_RAW 101, LINKTYPE_IPV4 228,
// LINKTYPE_IPV6 229).
//
// A file is one global header followed by records, every field in the byte
// order of the machine that wrote it; the magic number tells which:
//
//     global header, 24 bytes            record header, 16 bytes
//     +--------------------------+       +--------------------------+
//     | magic          (u32)     |       | ts_sec         (u32)     |
//     | version_major  (u16) = 2 |       | ts_frac (u32, us or ns)  |
//     | version_minor  (u16) = 4 |       | incl_len       (u32)     |  bytes that follow
//     | thiszone       (i32)     |       | orig_len       (u32)     |  bytes on the wire
//     | sigfigs        (u32)     |       +--------------------------+
//     | snaplen        (u32)     |       | incl_len captured bytes  |
//     | link type      (u32)     |       +--------------------------+
//     +--------------------------+
//
// The parsing lives in two functions over bytes, parse_file_header and
// parse_record_header, shared by span_reader (a file already in memory; what
// the fuzz target drives) and stream_reader (a std::istream, one record at a
// time, into one reused buffer). Nothing here throws or reads past its input:
// a record length above 256 KiB is an error, never an allocation. A record
// longer than the file's snaplen is read: libpcap and Wireshark read it too,
// since writers do not always keep their own promise.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <new>
#include <utility>

namespace l4::wire::pcap {

enum class link_type : std::uint32_t {
    ethernet = 1,  // frames begin with an Ethernet II header
    raw = 101,     // frames begin with an IPv4 or IPv6 header (the version nibble says which)
    ipv4 = 228,    // raw, IPv4 only
    ipv6 = 229,    // raw, IPv6 only
};

// True when frames of this link type begin with an IP header.
[[nodiscard]] constexpr bool is_raw_ip(link_type t) noexcept {
    return t == link_type::raw || t == link_type::ipv4 || t == link_type::ipv6;
}

// What the second timestamp field counts: microseconds or nanoseconds.
enum class precision : std::uint8_t { micro, nano };

inline constexpr std::uint32_t magic_micro = 0xa1b2c3d4;
inline constexpr std::uint32_t magic_nano = 0xa1b23c4d;
inline constexpr std::size_t file_header_size = 24;
inline constexpr std::size_t record_header_size = 16;

// The largest record we accept, whatever the snaplen says. It is libpcap's and
// Wireshark's limit too, so no real capture is refused; a corrupt or fuzzed
// length stops here instead of turning into a 4 GiB allocation.
inline constexpr std::uint32_t max_record_size = 256 * 1024;

struct file_header {
    std::endian byte_order = std::endian::little;  // of every field in the file
    precision ts_precision = precision::micro;
    std::uint16_t version_major = 2;
    std::uint16_t version_minor = 4;
    // What the writer meant to capture of each packet. Informative only:
    // records longer than it are read, and a record's original_length says
    // whether it was cut.
    std::uint32_t snaplen = max_record_size;
    link_type link = link_type::ethernet;
};

struct record_header {
    std::uint64_t timestamp_ns = 0;  // since the Unix epoch
    std::uint32_t incl_len = 0;
    std::uint32_t orig_len = 0;
};

struct record {
    std::uint64_t timestamp_ns = 0;     // since the Unix epoch
    std::uint32_t original_length = 0;  // on the wire; more than data.size() when the capture cut it
    bytes data;                         // captured bytes; valid until the reader's next next()
};

namespace detail {

[[nodiscard]] inline std::uint16_t load16(std::endian order, const std::uint8_t* p) noexcept {
    return order == std::endian::little ? load_le16(p) : load_be16(p);
}
[[nodiscard]] inline std::uint32_t load32(std::endian order, const std::uint8_t* p) noexcept {
    return order == std::endian::little ? load_le32(p) : load_be32(p);
}

[[nodiscard]] constexpr bool is_supported_link(std::uint32_t v) noexcept {
    for (link_type t : {link_type::ethernet, link_type::raw, link_type::ipv4, link_type::ipv6}) {
        if (v == static_cast<std::uint32_t>(t)) return true;
    }
    return false;
}

}  // namespace detail

// Reads the 24-byte global header. Errors: truncated, bad_magic,
// unsupported_version (anything but 2.4), unsupported_link_type.
[[nodiscard]] inline result<file_header> parse_file_header(bytes in) noexcept {
    if (in.size() < file_header_size) return errc::truncated;
    const std::uint8_t* p = in.data();

    file_header h;
    const std::uint32_t as_le = load_le32(p);
    const std::uint32_t as_be = load_be32(p);
    if (as_le == magic_micro || as_le == magic_nano) {
        h.byte_order = std::endian::little;
        h.ts_precision = as_le == magic_nano ? precision::nano : precision::micro;
    } else if (as_be == magic_micro || as_be == magic_nano) {
        h.byte_order = std::endian::big;
        h.ts_precision = as_be == magic_nano ? precision::nano : precision::micro;
    } else {
        return errc::bad_magic;
    }

    h.version_major = detail::load16(h.byte_order, p + 4);
    h.version_minor = detail::load16(h.byte_order, p + 6);
    if (h.version_major != 2 || h.version_minor != 4) return errc::unsupported_version;
    // thiszone and sigfigs (offsets 8 and 12) are always 0 in practice and unused.
    h.snaplen = detail::load32(h.byte_order, p + 16);
    const std::uint32_t link = detail::load32(h.byte_order, p + 20);
    if (!detail::is_supported_link(link)) return errc::unsupported_link_type;
    h.link = static_cast<link_type>(link);
    return h;
}

// Reads one 16-byte record header of a file with header `file`. Errors:
// truncated, length_mismatch (incl_len above max_record_size; not the
// snaplen, which writers do not always keep to).
// A fraction past one second (a broken writer) carries into the seconds
// rather than failing: the timestamp is still the writer's best statement.
[[nodiscard]] inline result<record_header> parse_record_header(const file_header& file,
                                                               bytes in) noexcept {
    if (in.size() < record_header_size) return errc::truncated;
    const std::uint8_t* p = in.data();
    const std::uint64_t sec = detail::load32(file.byte_order, p);
    const std::uint64_t frac = detail::load32(file.byte_order, p + 4);
    record_header r;
    r.incl_len = detail::load32(file.byte_order, p + 8);
    r.orig_len = detail::load32(file.byte_order, p + 12);
    if (r.incl_len > max_record_size) return errc::length_mismatch;
    // (2^32 - 1) s in ns plus (2^32 - 1) us in ns stays below 2^64.
    r.timestamp_ns = sec * 1'000'000'000u + (file.ts_precision == precision::nano ? frac : frac * 1000u);
    return r;
}

// Reads records from a whole file held in memory. The records' data point into
// that memory. After an error, next() keeps returning the same error.
class span_reader {
public:
    [[nodiscard]] static result<span_reader> open(bytes file) noexcept {
        auto h = parse_file_header(file);
        if (!h) return h.error();
        return span_reader{*h, file.subspan(file_header_size)};
    }

    [[nodiscard]] const file_header& header() const noexcept { return header_; }

    // The next record; an empty optional at the end of the file, which must
    // fall on a record boundary (anything else is errc::truncated).
    [[nodiscard]] result<std::optional<record>> next() noexcept {
        if (rest_.empty()) return std::nullopt;
        auto h = parse_record_header(header_, rest_);
        if (!h) return h.error();
        if (rest_.size() - record_header_size < h->incl_len) return errc::truncated;
        record r{h->timestamp_ns, h->orig_len, rest_.subspan(record_header_size, h->incl_len)};
        rest_ = rest_.subspan(record_header_size + h->incl_len);
        offset_ += record_header_size + h->incl_len;
        return r;
    }

    // File offset of the next record header: where an error was found.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

private:
    span_reader(file_header h, bytes rest) noexcept : header_{h}, rest_{rest} {}

    file_header header_;
    bytes rest_;
    std::uint64_t offset_ = file_header_size;
};

// Reads records from a stream without holding more than one record in memory.
// A record's data points into a buffer the reader reuses: it grows to the
// largest record seen and is not reallocated after that. The stream is read
// only through read(); if its exceptions are enabled they are caught, and a
// stream that goes bad reports errc::io_error. After an error,
// next() keeps returning the same error.
class stream_reader {
public:
    [[nodiscard]] static result<stream_reader> open(std::istream& in) noexcept {
        if (in.fail()) return errc::io_error;  // e.g. an ifstream that did not open
        std::array<std::uint8_t, file_header_size> raw{};
        auto got = read_up_to(in, raw.data(), raw.size());
        if (!got) return got.error();
        auto h = parse_file_header(bytes{raw.data(), *got});
        if (!h) return h.error();
        return stream_reader{in, *h};
    }

    stream_reader(stream_reader&& other) noexcept
        : in_{other.in_}, header_{other.header_}, buffer_{std::exchange(other.buffer_, nullptr)},
          capacity_{std::exchange(other.capacity_, 0)}, failed_{other.failed_}, offset_{other.offset_} {}
    stream_reader& operator=(stream_reader&& other) noexcept {
        std::swap(in_, other.in_);
        std::swap(header_, other.header_);
        std::swap(buffer_, other.buffer_);
        std::swap(capacity_, other.capacity_);
        std::swap(failed_, other.failed_);
        std::swap(offset_, other.offset_);
        return *this;
    }
    ~stream_reader() { delete[] buffer_; }

    [[nodiscard]] const file_header& header() const noexcept { return header_; }

    // The next record; an empty optional at the end of the stream, which must
    // fall on a record boundary (anything else is errc::truncated).
    [[nodiscard]] result<std::optional<record>> next() noexcept {
        if (failed_ != errc::ok) return failed_;
        auto r = read_record();
        if (!r) failed_ = r.error();
        return r;
    }

    // File offset of the next record header: where an error was found.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }

private:
    stream_reader(std::istream& in, file_header h) noexcept : in_{&in}, header_{h} {}

    // Up to n bytes; fewer only at the end of the stream. Out of line, so
    // that its exception handling is compiled once, not at every call.
    [[gnu::noinline]] static result<std::size_t> read_up_to(std::istream& in, std::uint8_t* p,
                                                             std::size_t n) noexcept {
        try {
            in.read(reinterpret_cast<char*>(p), static_cast<std::streamsize>(n));
        } catch (...) {
            // exceptions() asked for a throw; the state bits say what happened.
        }
        if (in.bad()) return errc::io_error;
        return static_cast<std::size_t>(in.gcount());
    }

    result<std::optional<record>> read_record() noexcept {
        std::array<std::uint8_t, record_header_size> raw{};
        auto got = read_up_to(*in_, raw.data(), raw.size());
        if (!got) return got.error();
        if (*got == 0) return std::nullopt;  // the end, at a record boundary
        auto h = parse_record_header(header_, bytes{raw.data(), *got});
        if (!h) return h.error();

        if (capacity_ < h->incl_len) {
            delete[] buffer_;
            capacity_ = 0;
            buffer_ = new (std::nothrow) std::uint8_t[h->incl_len];
            if (buffer_ == nullptr) return errc::out_of_memory;
            capacity_ = h->incl_len;
        }
        got = read_up_to(*in_, buffer_, h->incl_len);
        if (!got) return got.error();
        if (*got < h->incl_len) return errc::truncated;
        offset_ += record_header_size + h->incl_len;
        return record{h->timestamp_ns, h->orig_len, bytes{buffer_, h->incl_len}};
    }

    std::istream* in_;
    file_header header_;
    // Owned by hand rather than by a std::vector: a vector's growth code
    // costs every TU that reads pcap streams more compile time than this
    // class's five lines of ownership.
    std::uint8_t* buffer_ = nullptr;
    std::size_t capacity_ = 0;
    errc failed_ = errc::ok;
    std::uint64_t offset_ = file_header_size;
};

// Writes a pcap file to a stream: the global header at construction, then one
// record per write().
//
// Fields are little-endian, the byte order libpcap writes on every host we
// build for; a fixed order keeps files byte-identical across machines, and
// readers (ours, libpcap, Wireshark) accept both. The snaplen is
// max_record_size.
//
// Errors are returned, never thrown (a stream with exceptions enabled is
// caught). A failed stream (errc::io_error) or a link type outside link_type
// (errc::unsupported_link_type) fails every later write(). A bad argument
// fails only that call and writes nothing: frame_too_large (frame above
// max_record_size), invalid_argument (original_len below the frame's size),
// value_out_of_range (a timestamp past 2106, the end of the 32-bit seconds
// field).
class writer {
public:
    writer(std::ostream& out, link_type link, precision ts_precision) noexcept
        : out_{&out}, precision_{ts_precision} {
        if (!detail::is_supported_link(static_cast<std::uint32_t>(link))) {
            status_ = errc::unsupported_link_type;
            return;
        }
        std::array<std::uint8_t, file_header_size> h{};
        store_le32(h.data(), ts_precision == precision::nano ? magic_nano : magic_micro);
        store_le16(h.data() + 4, 2);
        store_le16(h.data() + 6, 4);
        store_le32(h.data() + 16, max_record_size);
        store_le32(h.data() + 20, static_cast<std::uint32_t>(link));
        status_ = put(h);
    }

    // A record whose captured bytes are the whole frame.
    [[nodiscard]] result<void> write(std::uint64_t timestamp_ns, bytes frame) noexcept {
        if (frame.size() > max_record_size) return errc::frame_too_large;
        return write(timestamp_ns, frame, static_cast<std::uint32_t>(frame.size()));
    }

    // A record of `frame`, cut from an `original_len`-byte packet on the wire.
    [[nodiscard]] result<void> write(std::uint64_t timestamp_ns, bytes frame,
                                     std::uint32_t original_len) noexcept {
        if (status_ != errc::ok) return status_;
        if (frame.size() > max_record_size) return errc::frame_too_large;
        if (original_len < frame.size()) return errc::invalid_argument;
        const std::uint64_t sec = timestamp_ns / 1'000'000'000u;
        const std::uint64_t ns = timestamp_ns % 1'000'000'000u;
        if (sec > UINT32_MAX) return errc::value_out_of_range;

        std::array<std::uint8_t, record_header_size> h{};
        store_le32(h.data(), static_cast<std::uint32_t>(sec));
        // Microsecond files truncate, as a clock read at that resolution would.
        store_le32(h.data() + 4, static_cast<std::uint32_t>(precision_ == precision::nano ? ns : ns / 1000u));
        store_le32(h.data() + 8, static_cast<std::uint32_t>(frame.size()));
        store_le32(h.data() + 12, original_len);
        status_ = put(h);
        if (status_ == errc::ok) status_ = put(frame);
        if (status_ != errc::ok) return status_;
        return {};
    }

    [[nodiscard]] result<void> flush() noexcept {
        if (status_ != errc::ok) return status_;
        try {
            out_->flush();
        } catch (...) {
            // The state bits say what happened.
        }
        if (out_->fail()) status_ = errc::io_error;
        if (status_ != errc::ok) return status_;
        return {};
    }

    // The first stream or link-type error, or errc::ok.
    [[nodiscard]] errc status() const noexcept { return status_; }

private:
    // Out of line, like stream_reader::read_up_to.
    [[gnu::noinline]] errc put(bytes b) noexcept {
        if (b.empty()) return errc::ok;
        try {
            out_->write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        } catch (...) {
            // The state bits say what happened.
        }
        if (out_->fail()) return errc::io_error;
        return errc::ok;
    }

    std::ostream* out_;
    precision precision_;
    errc status_ = errc::ok;
};

}  // namespace l4::wire::pcap
