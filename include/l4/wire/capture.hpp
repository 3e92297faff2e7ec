// From a captured frame to the IP datagram inside it, for the pcap link types
// l4kit reads (pcap.hpp): raw IP as it is, Ethernet II through its header.
// Kept apart from packet.hpp so that the stack, which sees IP datagrams from
// its link, compiles neither Ethernet nor the pcap reader.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/wire/ethernet.hpp>
#include <l4/wire/pcap.hpp>

namespace l4::wire {

// The IP datagram inside a captured frame. Frames that carry something else
// (ARP, LLDP, ...) give errc::unknown_protocol; an Ethernet header cut short,
// errc::truncated.
[[nodiscard]] inline result<bytes> ip_payload_of_frame(pcap::link_type link, bytes frame) noexcept {
    if (pcap::is_raw_ip(link)) return frame;
    auto eth = ethernet::view::check(frame);
    if (!eth) return eth.error();
    if (eth->ethertype() != ethernet::ethertype_ipv4 && eth->ethertype() != ethernet::ethertype_ipv6)
        return errc::unknown_protocol;
    return eth->payload();
}

}  // namespace l4::wire
