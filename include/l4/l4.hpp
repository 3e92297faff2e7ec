// l4kit: everything in one include.
//
// Include the individual headers instead where compile time matters (see
// benchmarks/compile_cost.sh for what each layer costs).
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/byte_ring.hpp>
#include <l4/core/error.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/frame_queue.hpp>
#include <l4/core/keyed_hash.hpp>
#include <l4/core/ports.hpp>
#include <l4/core/random_key.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/short_text.hpp>
#include <l4/core/time.hpp>
#include <l4/core/timer.hpp>

#include <l4/checksum.hpp>

#include <l4/wire/capture.hpp>
#include <l4/wire/ethernet.hpp>
#include <l4/wire/ip_protocol.hpp>
#include <l4/wire/ipv4.hpp>
#include <l4/wire/ipv6.hpp>
#include <l4/wire/layout.hpp>
#include <l4/wire/layout_repr.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/pcap.hpp>
#include <l4/wire/pseudo_header.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/tcp_options.hpp>
#include <l4/wire/transport_checksum.hpp>
#include <l4/wire/udp.hpp>

#include <l4/link/concept.hpp>
#include <l4/link/fault.hpp>
#include <l4/link/memory.hpp>
#include <l4/link/pcap_tap.hpp>
#include <l4/link/sim.hpp>
#if defined(__linux__)
#include <l4/link/tun.hpp>
#include <l4/link/tunnel_address.hpp>
#include <l4/link/udp_tunnel.hpp>
#endif

#include <l4/congestion/concept.hpp>
#include <l4/congestion/fixed_window.hpp>
#include <l4/congestion/none.hpp>
#include <l4/congestion/reno.hpp>
#include <l4/congestion/window.hpp>

#include <l4/flow/concept.hpp>
#include <l4/flow/nagle.hpp>
#include <l4/flow/receive_window.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/flow/stop_and_wait.hpp>

#include <l4/policy.hpp>
#include <l4/udp/endpoint.hpp>
#include <l4/udp/socket_table.hpp>
#include <l4/tcp/rto.hpp>
#include <l4/tcp/reassembly.hpp>
#include <l4/tcp/isn.hpp>
#include <l4/tcp/state.hpp>
#include <l4/tcp/segment.hpp>
#include <l4/tcp/connection.hpp>
#include <l4/tcp/endpoint.hpp>

#include <l4/wire/address.hpp>
#include <l4/wire/port_space.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/icmp.hpp>
#include <l4/net/ip.hpp>
#include <l4/net/socket_table.hpp>
#include <l4/net/stack.hpp>
#include <l4/net/transport.hpp>
