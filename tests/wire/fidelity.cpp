// Wire fidelity on harder captures: packets decoders get wrong, built byte by
// byte by tests/data/fidelity/make_captures.py and read by Wireshark
// (.expected.tsv). For each capture l4kit must agree with tshark on every
// TCP/UDP frame: addresses, ports, lengths, options, and the checksum's
// status (good, bad, or unverified because the snaplen cut the frame).
//
//   udp_trailing_bytes       the UDP pseudo-header holds UDP's Length (RFC 768)
//   ipv6_routing_in_transit  ... and the final destination (RFC 8200 §8.1)
//   tcp_malformed_options    one bad option does not lose the others
//   snaplen_cut              cut frames decode; a record past the snaplen is read
//   extension_headers        IPv4 AH (RFC 4302); 12 IPv6 headers (RFC 8200 §4.1)
#include "../support.hpp"

#include <l4/checksum/internet.hpp>
#include <l4/wire/capture.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/udp.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace l4::wire;

namespace {

using row = std::map<std::string, std::string>;

std::map<std::uint64_t, row> read_oracle(const std::filesystem::path& tsv) {
    std::ifstream in{tsv};
    std::string line;
    std::getline(in, line);
    std::vector<std::string> names;
    std::istringstream header{line};
    for (std::string name; std::getline(header, name, '\t');) names.push_back(name);
    std::map<std::uint64_t, row> rows;
    while (std::getline(in, line)) {
        row r;
        std::size_t start = 0;
        for (const auto& name : names) {
            const std::size_t tab = line.find('\t', start);
            r[name] = line.substr(start, tab == std::string::npos ? std::string::npos : tab - start);
            start = tab == std::string::npos ? line.size() : tab + 1;
        }
        rows[std::stoull(r.at("frame.number"))] = r;
    }
    return rows;
}

std::string hex16(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", v);
    return buf;
}

std::string dec(std::uint64_t v) { return std::to_string(v); }

// Wireshark's checksum status: 0 bad, 1 good, 2 unverified.
std::string status(bool cut, bool ok) { return cut ? "2" : ok ? "1" : "0"; }

std::uint16_t be16_at(l4::bytes b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }

void check_tcp(const ip_packet& ip, const row& r) {
    auto v = tcp_view::check(ip.transport);
    if (r.at("tcp.hdr_len").empty()) {
        // tshark read only the ports: the snaplen fell inside the TCP header.
        CHECK(ip.cut());
        CHECK_FALSE(v);
        REQUIRE(ip.transport.size() >= 4);
        CHECK(dec(be16_at(ip.transport, 0)) == r.at("tcp.srcport"));
        CHECK(dec(be16_at(ip.transport, 2)) == r.at("tcp.dstport"));
        return;
    }
    REQUIRE(v);
    CHECK(dec(v->src_port()) == r.at("tcp.srcport"));
    CHECK(dec(v->dst_port()) == r.at("tcp.dstport"));
    CHECK(dec(v->seq_number().raw()) == r.at("tcp.seq_raw"));
    CHECK(dec(v->header_len()) == r.at("tcp.hdr_len"));
    CHECK(dec(ip.transport_len - v->header_len()) == r.at("tcp.len"));
    CHECK(hex16(v->checksum()) == r.at("tcp.checksum"));
    const bool ok = !ip.cut() && v->verify_checksum<l4::checksum::internet>(ip.pseudo.bytes());
    CHECK(status(ip.cut(), ok) == r.at("tcp.checksum.status"));

    const auto o = lenient_tcp_options::parse(v->options());
    CHECK((o.options.mss ? dec(*o.options.mss) : "") == r.at("tcp.options.mss_val"));
    CHECK((o.options.window_scale ? dec(*o.options.window_scale) : "") == r.at("tcp.options.wscale.shift"));
    CHECK(o.options.sack_permitted == !r.at("tcp.options.sack_perm").empty());
    CHECK((o.options.ts ? dec(o.options.ts->tsval) : "") == r.at("tcp.options.timestamp.tsval"));
    CHECK((o.options.ts ? dec(o.options.ts->tsecr) : "") == r.at("tcp.options.timestamp.tsecr"));
}

void check_udp(const ip_packet& ip, const row& r) {
    if (ip.cut()) {
        auto h = view<udp_layout>::check(ip.transport);
        REQUIRE(h);
        CHECK(dec(h->get<"src_port">()) == r.at("udp.srcport"));
        CHECK(dec(h->get<"dst_port">()) == r.at("udp.dstport"));
        CHECK(dec(h->get<"length">()) == r.at("udp.length"));
        CHECK(hex16(h->get<"checksum">()) == r.at("udp.checksum"));
        CHECK(r.at("udp.checksum.status") == "2");
        return;
    }
    auto v = udp_view::check(ip.transport);
    REQUIRE(v);
    CHECK(dec(v->src_port()) == r.at("udp.srcport"));
    CHECK(dec(v->dst_port()) == r.at("udp.dstport"));
    CHECK(dec(v->length()) == r.at("udp.length"));
    CHECK(hex16(v->checksum()) == r.at("udp.checksum"));
    const auto zero = ip.v4 ? udp_zero_checksum::means_none : udp_zero_checksum::invalid;
    const bool ok = v->verify_checksum<l4::checksum::internet>(ip.pseudo_for(v->length()).bytes(), zero);
    CHECK(status(false, ok) == r.at("udp.checksum.status"));
}

// Every frame of the capture against its oracle row; returns the frames compared.
std::size_t compare_with_tshark(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path{L4_TEST_DATA} / "fidelity";
    const auto oracle = read_oracle(dir / (name + ".expected.tsv"));
    REQUIRE_FALSE(oracle.empty());
    std::ifstream in{dir / (name + ".pcap"), std::ios::binary};
    auto reader = pcap::stream_reader::open(in);
    REQUIRE(reader);
    std::size_t compared = 0;
    for (std::uint64_t frame = 1;; ++frame) {
        auto rec = reader->next();
        REQUIRE(rec);
        if (!*rec) break;
        INFO(name << " frame " << frame);
        const auto expected = oracle.find(frame);
        REQUIRE(expected != oracle.end());
        const row& r = expected->second;
        CHECK(dec((*rec)->original_length) == r.at("frame.len"));
        CHECK(dec((*rec)->data.size()) == r.at("frame.cap_len"));
        const bool cut = (*rec)->data.size() < (*rec)->original_length;
        auto payload = ip_payload_of_frame(reader->header().link, (*rec)->data);
        REQUIRE(payload);
        auto ip = cut ? parse_captured_ip(*payload) : parse_ip(*payload);
        REQUIRE(ip);
        CHECK(ip->cut() == cut);
        if (ip->v4) {
            CHECK(ip->v4->src().text().view() == r.at("ip.src"));
            CHECK(ip->v4->dst().text().view() == r.at("ip.dst"));
        } else {
            CHECK(ip->v6->src().text().view() == r.at("ipv6.src"));
            CHECK(ip->v6->dst().text().view() == r.at("ipv6.dst"));
        }
        REQUIRE((ip->protocol == ip_protocol::tcp || ip->protocol == ip_protocol::udp));
        CHECK(!r.at(ip->protocol == ip_protocol::tcp ? "tcp.srcport" : "udp.srcport").empty());
        if (ip->protocol == ip_protocol::tcp) check_tcp(*ip, r);
        else check_udp(*ip, r);
        ++compared;
    }
    CHECK(compared == oracle.size());
    return compared;
}

}  // namespace

TEST_CASE("fidelity: UDP's pseudo-header holds its Length when bytes trail the datagram", "[fidelity][udp]") {
    CHECK(compare_with_tshark("udp_trailing_bytes") == 3);
}

TEST_CASE("fidelity: IPv6 in transit sums the Routing header's final destination", "[fidelity][ipv6]") {
    CHECK(compare_with_tshark("ipv6_routing_in_transit") == 4);
}

TEST_CASE("fidelity: a malformed TCP option keeps the good ones, as Wireshark reads them", "[fidelity][tcp]") {
    CHECK(compare_with_tshark("tcp_malformed_options") == 2);
}

TEST_CASE("fidelity: frames cut by the snaplen decode, unverified, and a record past the snaplen is read",
          "[fidelity][pcap]") {
    CHECK(compare_with_tshark("snaplen_cut") == 5);
}

TEST_CASE("fidelity: IPv4's AH is skipped, and twelve IPv6 extension headers are walked", "[fidelity][ipv4][ipv6]") {
    CHECK(compare_with_tshark("extension_headers") == 3);
}
