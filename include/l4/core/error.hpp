// Error codes of l4kit, a boost::system error category, and result<T>.
//
// Every parser and emitter reports failure as one of these codes, never by
// throwing and never by reading outside its input.
#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <type_traits>

namespace l4 {

enum class errc {
    ok = 0,
    truncated,            // fewer bytes than the header or a length field says
    bad_data_offset,      // TCP data offset < 5 words or past the segment end
    bad_header_length,    // IPv4 IHL < 5 words or past the datagram end
    bad_option_length,    // an option's length byte is impossible for its kind
    length_mismatch,      // a length field disagrees with the bytes present
    bad_checksum,         // verification over pseudo-header, header and payload failed
    unsupported_version,  // IP version other than 4 or 6, pcap version other than 2.4
    unsupported_link_type,
    bad_magic,            // not a pcap file
    buffer_too_small,     // the emit buffer cannot hold the header
    options_too_long,     // options do not fit in the 40 bytes TCP allows
    fragment,             // an IP fragment; the transport header is not complete
    unknown_protocol,     // no TCP or UDP in this datagram
    value_out_of_range,   // a repr value does not fit its field's width
    would_block,          // nothing to receive now; try again after the link's deadline or fd says so
    queue_full,           // the link's transmit queue is at its limit; the frame was not taken
    frame_too_large,      // the frame exceeds the link's MTU
    link_closed,          // the other end or the device is gone
    address_in_use,       // bind: the (address, port) is taken
    permission_denied,    // bind: a port the stack reserves (well-known ports, when configured)
    address_not_available,  // bind: not one of this stack's addresses
    no_ports_available,   // the ephemeral range is exhausted
    bad_socket,           // not an open socket of this stack
    not_connected,        // send/recv on a socket without a peer
    message_too_long,     // the datagram would exceed the MTU (no fragmentation)
    no_route,             // no address of this stack can reach the destination's family
    invalid_argument,     // an argument no call could accept (port 0 as destination, ...)
    timed_out,            // a blocking call reached its deadline
};

class error_category final : public boost::system::error_category {
public:
    constexpr error_category() noexcept : boost::system::error_category(0x6c346b6974ull) {}
    const char* name() const noexcept override { return "l4"; }
    std::string message(int ev) const override { return describe(static_cast<errc>(ev)); }

    static const char* describe(errc e) noexcept {
        switch (e) {
        case errc::ok: return "success";
        case errc::truncated: return "truncated";
        case errc::bad_data_offset: return "bad TCP data offset";
        case errc::bad_header_length: return "bad IP header length";
        case errc::bad_option_length: return "bad option length";
        case errc::length_mismatch: return "length field mismatch";
        case errc::bad_checksum: return "bad checksum";
        case errc::unsupported_version: return "unsupported version";
        case errc::unsupported_link_type: return "unsupported link type";
        case errc::bad_magic: return "bad magic number";
        case errc::buffer_too_small: return "buffer too small";
        case errc::options_too_long: return "options too long";
        case errc::fragment: return "IP fragment";
        case errc::unknown_protocol: return "unknown protocol";
        case errc::value_out_of_range: return "value out of range for its field";
        case errc::would_block: return "would block";
        case errc::queue_full: return "transmit queue full";
        case errc::frame_too_large: return "frame larger than the MTU";
        case errc::link_closed: return "link closed";
        case errc::address_in_use: return "address in use";
        case errc::permission_denied: return "permission denied: reserved port";
        case errc::address_not_available: return "address not available on this stack";
        case errc::no_ports_available: return "no ephemeral ports available";
        case errc::bad_socket: return "not an open socket";
        case errc::not_connected: return "socket not connected";
        case errc::message_too_long: return "message too long for the MTU";
        case errc::no_route: return "no route to the destination";
        case errc::invalid_argument: return "invalid argument";
        case errc::timed_out: return "timed out";
        }
        return "unknown l4 error";
    }
};

inline const boost::system::error_category& l4_category() noexcept {
    static constexpr error_category instance;
    return instance;
}

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), l4_category()};
}

template <class T>
using result = boost::system::result<T, boost::system::error_code>;

}  // namespace l4

template <>
struct boost::system::is_error_code_enum<l4::errc> : std::true_type {};
