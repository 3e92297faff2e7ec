// Fuzz target: arbitrary frames into a stack with bound UDP sockets.
//
// The input is a sequence of frames. Each starts with a mode byte: odd means
// raw bytes taken as they are; even means a well-formed UDP datagram over
// IPv4 or IPv6 built from the input (addresses, ports, payload), then
// optionally damaged at one position, so the checksum-valid paths are
// reached as well as the malformed ones.
//
// Oracles:
//   - nothing lost or double-counted: every frame the link took ends in
//     exactly one drop counter of the IP layer or UDP, or is delivered;
//   - what a socket receives, through recvfrom or through a receive
//     handler, is byte for byte the UDP payload of a frame that was sent,
//     from the source address and port of that frame;
//   - sockets never hold more than their queue allows.
// One socket has a receive handler that takes the datagrams whose first
// byte is odd and declines the others (they queue, as without it).
#include <l4/checksum/internet.hpp>
#include <l4/link/memory.hpp>
#include <l4/net/stack.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/udp.hpp>

#include "oracle.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <vector>

namespace {

using namespace l4;
using net::ip_address;

const ip_address here4 = *ip_address::from_string("192.0.2.2");
const ip_address here6 = *ip_address::from_string("2001:db8::2");
const ip_address peer4 = *ip_address::from_string("192.0.2.1");
const ip_address peer6 = *ip_address::from_string("2001:db8::1");
constexpr std::size_t queue = 8;

std::vector<std::uint8_t> well_formed(FuzzedDataProvider& in) {
    const bool v6 = in.ConsumeBool();
    // Mostly to us and to bound ports, sometimes elsewhere.
    const std::uint16_t dport = in.PickValueInArray<std::uint16_t>({50000, 7, 9, 50001});
    const std::uint16_t sport = in.ConsumeIntegral<std::uint16_t>();
    const auto payload = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 1452));
    const ip_address src = v6 ? peer6 : peer4, dst = in.ConsumeBool() ? (v6 ? here6 : here4) : (v6 ? peer6 : peer4);
    const std::size_t ip_len = v6 ? 40 : 20, udp_len = 8 + payload.size();
    std::vector<std::uint8_t> f(ip_len + udp_len);
    net::ip_layer ip{{{src}, 64}};
    (void)ip.emit_header(f, src, dst, wire::ip_protocol::udp, udp_len);
    const auto pseudo = net::ip_layer::pseudo(src, dst, wire::ip_protocol::udp, udp_len);
    (void)wire::udp_repr{sport, dport, payload}.emit(std::span{f}.subspan(ip_len), pseudo.bytes(),
                                                     checksum::internet{});
    if (in.ConsumeBool() && !f.empty()) f[in.ConsumeIntegralInRange<std::size_t>(0, f.size() - 1)] ^= in.ConsumeIntegral<std::uint8_t>();
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in{data, size};
    auto [raw, end] = link::memory_pair({.mtu = 1500, .queue_frames = 64});
    net::stack<link::memory_end, udp::endpoint<>> host{std::move(end), {.addresses = {here4, here6}},
                                                     udp::endpoint<>{{.queue_datagrams = queue}}};
    const auto open = [&] { return host.socket(net::socket_type::datagram).value(); };
    const std::array sockets{open(), open(), open(), open()};
    L4_FUZZ_CHECK(host.bind(sockets[0], {ip_address::any_v4(), 50000}));
    L4_FUZZ_CHECK(host.bind(sockets[1], {here4, 7}));
    L4_FUZZ_CHECK(host.bind(sockets[2], {ip_address::any_v6(), 50000}));
    L4_FUZZ_CHECK(host.connect(sockets[3], {peer4, 9}, instant{}));
    struct handed {
        std::vector<std::uint8_t> payload;
        net::socket_address from;
    };
    std::vector<handed> taken;
    L4_FUZZ_CHECK(host.set_recv_handler(sockets[1], [&](bytes d, const net::socket_address& from) {
        if (d.empty() || (d[0] & 1) == 0) return false;
        taken.push_back({{d.begin(), d.end()}, from});
        return true;
    }));

    std::vector<std::vector<std::uint8_t>> sent;
    const instant t0{};
    while (in.remaining_bytes() > 0 && sent.size() < 64) {
        auto f = (in.ConsumeIntegral<std::uint8_t>() & 1)
                     ? in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 1500))
                     : well_formed(in);
        if (raw.transmit(f, t0)) sent.push_back(std::move(f));
    }
    L4_FUZZ_CHECK(host.poll(t0) == sent.size());

    const auto& ip = host.ip_stats();
    const auto& udp = host.transport<udp::endpoint<>>().stats();
    const auto& icmp = host.icmp_stats();
    const std::uint64_t accounted = ip.rx_malformed + ip.rx_bad_checksum + ip.rx_fragments + ip.rx_not_for_us +
                                    ip.rx_unknown_protocol + udp.rx_bad_checksum + udp.rx_truncated +
                                    udp.rx_length_mismatch + udp.rx_no_socket + udp.rx_delivered +
                                    udp.rx_queue_full + udp.rx_not_from_peer + icmp.rx_echo_requests +
                                    icmp.rx_echo_replies + icmp.rx_dest_unreachable + icmp.rx_packet_too_big +
                                    icmp.rx_time_exceeded + icmp.rx_parameter_problem + icmp.rx_other_error +
                                    icmp.rx_other + icmp.rx_malformed + icmp.rx_bad_checksum;
    L4_FUZZ_CHECK(accounted == sent.size());

    // Some frame sent carried exactly this payload from exactly this source.
    const auto was_sent = [&](bytes got, const net::socket_address& from) {
        return std::any_of(sent.begin(), sent.end(), [&](const auto& f) {
            auto p = wire::parse_ip(f);
            if (!p || p->protocol != wire::ip_protocol::udp) return false;
            auto u = wire::udp_view::check(p->transport);
            return u && u->src_port() == from.port && net::source_of(*p) == from.address &&
                   std::ranges::equal(u->payload(), got);
        });
    };
    for (const auto& t : taken) L4_FUZZ_CHECK(!t.payload.empty() && (t.payload[0] & 1) && was_sent(t.payload, t.from));
    std::array<std::uint8_t, 1500> buf{};
    std::uint64_t received = taken.size();
    for (auto s : sockets) {
        std::size_t n = 0;
        while (auto r = host.recvfrom(s, buf)) {
            ++n;
            ++received;
            L4_FUZZ_CHECK(was_sent(std::span{buf}.first(r->size), r->from));
        }
        L4_FUZZ_CHECK(n <= queue);
    }
    L4_FUZZ_CHECK(received == udp.rx_delivered);
    return 0;
}
