// Malformed input at stack level (issue 13): every class of bad frame is
// dropped with its own counter, whichever layer catches it, and the good
// frames beside it still get through.
#include "injecting_link.hpp"

#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>
#include <l4/udp/endpoint.hpp>

#include <functional>
#include <string>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using net::ip_address;
using net::socket_address;

namespace {

const wire::ipv4_address us{192, 0, 2, 2}, them{198, 51, 100, 7};
constexpr std::uint16_t tcp_port = 80, udp_port = 69;

using host = net::stack<test::injecting_link, tcp::endpoint<>, udp::endpoint<>>;
using frame = std::vector<std::uint8_t>;

// IPv4 around `transport`, header checksum filled.
frame ipv4_around(const frame& transport, std::uint8_t protocol) {
    frame f(wire::ipv4_min_header_len + transport.size());
    wire::ipv4_repr ip{.src = them, .dst = us, .protocol = protocol};
    ip.payload_len = static_cast<std::uint16_t>(transport.size());
    REQUIRE(ip.emit(f));
    std::copy(transport.begin(), transport.end(), f.begin() + wire::ipv4_min_header_len);
    return f;
}

void refill_ipv4_checksum(frame& f) {
    f[10] = f[11] = 0;
    const std::uint16_t c = wire::detail::ipv4_header_sum(bytes{f}.first(std::min<std::size_t>((f[0] & 0x0F) * 4u, 20)));
    f[10] = static_cast<std::uint8_t>(c >> 8);
    f[11] = static_cast<std::uint8_t>(c);
}

void refill_tcp_checksum(frame& f) {
    const auto seg = std::span{f}.subspan(wire::ipv4_min_header_len);
    const auto ph = wire::pseudo_header::ipv4(them, us, wire::ip_protocol::tcp, static_cast<std::uint16_t>(seg.size()));
    wire::fill_checksum<checksum::internet>(ph.bytes(), seg, wire::tcp_layout_traits<wire::tcp_layout>::checksum_offset);
}

frame syn(std::uint16_t from_port) {
    wire::tcp_repr s;
    s.src_port = from_port;
    s.dst_port = tcp_port;
    s.seq_number = seq32{1000u + from_port};
    s.flags.bits = wire::tcp_flags::syn;
    s.window = 65535;
    return test::ipv4_frame(them, us, s);
}

frame udp_datagram(std::uint16_t from_port, const std::string& text) {
    frame d(8 + text.size());
    const auto ph = wire::pseudo_header::ipv4(them, us, wire::ip_protocol::udp, static_cast<std::uint16_t>(d.size()));
    REQUIRE(udp::endpoint<>::emit(d, from_port, udp_port, bytes{reinterpret_cast<const std::uint8_t*>(text.data()),
                                                                  text.size()}, ph.bytes()));
    return ipv4_around(d, wire::ip_protocol::udp);
}

struct bad_frame {
    const char* what;
    frame bytes;
    std::function<std::uint64_t(const host&)> counter;  // the one that must count it
};

std::vector<bad_frame> every_class() {
    const auto ip = [](errc e) { return [e](const host& h) { return h.ip_stats().rx_malformed_by[e]; }; };
    const auto tcp = [](errc e) {
        return [e](const host& h) { return h.transport<tcp::endpoint<>>().stats().rx_malformed_by[e]; };
    };
    std::vector<bad_frame> v;

    {
        frame f = syn(1);
        f.resize(12);
        v.push_back({"IP: shorter than its header", f, ip(errc::truncated)});
    }
    {
        frame f = syn(2);
        f[0] = 0x44;  // IHL 4 words
        refill_ipv4_checksum(f);
        v.push_back({"IP: header length under 20", f, ip(errc::bad_header_length)});
    }
    {
        frame f = syn(3);
        f.resize(f.size() - 4);  // total length says 4 more bytes
        v.push_back({"IP: total length past the frame", f, ip(errc::truncated)});
    }
    {
        frame f = syn(4);
        f[2] = 0;
        f[3] = 12;  // total length under the header's
        refill_ipv4_checksum(f);
        v.push_back({"IP: total length under the header length", f, ip(errc::length_mismatch)});
    }
    {
        frame f = syn(5);
        f[0] = 0x75;
        v.push_back({"IP: version 7", f, ip(errc::unsupported_version)});
    }
    {
        frame f = syn(6);
        f[10] ^= 0xFF;
        v.push_back({"IP: bad header checksum", f, [](const host& h) { return h.ip_stats().rx_bad_checksum; }});
    }
    {
        frame f = syn(7);
        f.resize(wire::ipv4_min_header_len + 12);
        f[2] = 0;
        f[3] = static_cast<std::uint8_t>(f.size());
        refill_ipv4_checksum(f);
        v.push_back({"TCP: shorter than its fixed header", f, tcp(errc::truncated)});
    }
    {
        frame f = syn(8);
        f[wire::ipv4_min_header_len + 12] = 0x40;  // data offset 4 words
        refill_tcp_checksum(f);
        v.push_back({"TCP: data offset under 5", f, tcp(errc::bad_data_offset)});
    }
    {
        frame f = syn(9);
        f[wire::ipv4_min_header_len + 12] = 0xF0;  // 60 bytes of header in a 20-byte segment
        refill_tcp_checksum(f);
        v.push_back({"TCP: data offset past the segment", f, tcp(errc::bad_data_offset)});
    }
    {
        // An MSS option whose length byte says 3: impossible for its kind.
        const frame whole = syn(10);
        frame t(whole.begin() + wire::ipv4_min_header_len, whole.end());
        t[12] = 0x60;
        for (std::uint8_t b : {2, 3, 5, 0}) t.push_back(b);
        frame f = ipv4_around(t, wire::ip_protocol::tcp);
        refill_tcp_checksum(f);
        v.push_back({"TCP: an option length impossible for its kind", f, tcp(errc::bad_option_length)});
    }
    {
        frame f = syn(11);
        f.back() ^= 0x01;
        v.push_back({"TCP: bad checksum", f,
                     [](const host& h) { return h.transport<tcp::endpoint<>>().stats().rx_bad_checksum; }});
    }
    {
        frame f = udp_datagram(12, "hello");
        f[wire::ipv4_min_header_len + 5] = 40;  // UDP length past the IP payload
        v.push_back({"UDP: length field past the IP payload", f,
                     [](const host& h) { return h.transport<udp::endpoint<>>().stats().rx_truncated; }});
    }
    {
        frame f = udp_datagram(13, "hello");
        f[wire::ipv4_min_header_len + 5] = 4;  // UDP length under its own header
        v.push_back({"UDP: length field under the header", f,
                     [](const host& h) { return h.transport<udp::endpoint<>>().stats().rx_length_mismatch; }});
    }
    {
        frame f = udp_datagram(14, "hello");
        f.back() ^= 0x01;
        v.push_back({"UDP: bad checksum", f,
                     [](const host& h) { return h.transport<udp::endpoint<>>().stats().rx_bad_checksum; }});
    }
    return v;
}

// Every counter of a dropped malformed frame, in every layer.
std::uint64_t all_drops(const host& h) {
    const auto& t = h.transport<tcp::endpoint<>>().stats();
    const auto& d = h.transport<udp::endpoint<>>().stats();
    return h.ip_stats().rx_malformed + h.ip_stats().rx_bad_checksum + t.rx_malformed + t.rx_bad_checksum +
           d.rx_truncated + d.rx_length_mismatch + d.rx_bad_checksum;
}

}  // namespace

TEST_CASE("malformed input: every class is dropped with its own counter and the good frames beside it get through",
          "[tcp][udp][stack][security]") {
    auto [x, y] = link::memory_pair({.mtu = 1500});
    host h{test::injecting_link{std::move(y), {}}, net::stack_config{.addresses = {ip_address{us}}, .secret = {3}}};
    const auto listener = h.socket(net::socket_type::stream).value();
    REQUIRE(h.bind(listener, {ip_address{us}, tcp_port}));
    REQUIRE(h.listen(listener, 8));
    const auto u = h.socket(net::socket_type::datagram).value();
    REQUIRE(h.bind(u, {ip_address{us}, udp_port}));
    const instant now = instant{} + 10s;

    for (const auto& bad : every_class()) {
        INFO(bad.what);
        const std::uint64_t before = bad.counter(h);
        const std::uint64_t all_before = all_drops(h);
        h.link().injected.push_back(bad.bytes);
        h.poll(now);
        CHECK(bad.counter(h) == before + 1);
        CHECK(all_drops(h) == all_before + 1);  // by one layer only
        CHECK(h.transport<tcp::endpoint<>>().connections() == 0);
        CHECK_FALSE(h.readable(u));
    }
    // The sums say the same: each class in its layer's total.
    CHECK(h.ip_stats().rx_malformed == h.ip_stats().rx_malformed_by.total());
    CHECK(h.transport<tcp::endpoint<>>().stats().rx_malformed ==
          h.transport<tcp::endpoint<>>().stats().rx_malformed_by.total());

    // Nothing lost: a good SYN and a good datagram after all that.
    h.link().injected.push_back(syn(100));
    h.link().injected.push_back(udp_datagram(101, "still here"));
    h.poll(now);
    CHECK(h.transport<tcp::endpoint<>>().connections() == 1);
    std::array<std::uint8_t, 64> buf{};
    const auto got = h.recvfrom(u, buf);
    REQUIRE(got);
    CHECK(std::string(reinterpret_cast<const char*>(buf.data()), got->size) == "still here");
}
