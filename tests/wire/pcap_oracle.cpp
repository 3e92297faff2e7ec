// Real traffic from the Linux kernel, read by us and by Wireshark: every
// TCP/UDP frame of every capture in tests/data/pcap must parse, its checksum
// must verify on every internet-checksum path, and every field must agree
// with the capture's .expected.tsv row (tshark's reading). Other frames are
// skipped without error.
#include "../support.hpp"

#include <l4/checksum/incremental.hpp>
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

template <class T>
std::string dec(T v) {
    return std::to_string(v);
}

// Every path of the internet checksum must accept what the kernel sent.
bool verifies_on_every_path(l4::bytes pseudo, l4::bytes segment, std::size_t field_offset) {
    using namespace l4::checksum;
    return verify_checksum<internet_reference>(pseudo, segment, field_offset) &&
           verify_checksum<internet_portable>(pseudo, segment, field_offset) &&
           verify_checksum<internet_avx2>(pseudo, segment, field_offset) &&
           verify_checksum<internet>(pseudo, segment, field_offset) &&
           verify_checksum<incremental>(pseudo, segment, field_offset);
}

std::string joined_edges(const tcp_options& o, bool left) {
    std::string s;
    // Appended piece by piece: `"," + std::string` trips g++ 12's -Wrestrict at -O3 inside libstdc++.
    for (const auto& b : o.sack_blocks()) {
        if (!s.empty()) s += ',';
        s += dec((left ? b.left : b.right).raw());
    }
    return s;
}

void check_tcp(const ip_packet& ip, const row& r) {
    auto v = tcp_view::check(ip.transport);
    REQUIRE(v);
    auto repr = tcp_repr::parse(ip.transport, ip.pseudo.bytes(), l4::checksum::internet{});
    REQUIRE(repr);
    CHECK(r.at("tcp.checksum.status") == "1");
    CHECK(verifies_on_every_path(ip.pseudo.bytes(), ip.transport, tcp_checksum_offset));
    CHECK(dec(v->src_port()) == r.at("tcp.srcport"));
    CHECK(dec(v->dst_port()) == r.at("tcp.dstport"));
    CHECK(dec(v->seq_number().raw()) == r.at("tcp.seq"));
    CHECK(dec(v->ack_number().raw()) == r.at("tcp.ack"));
    CHECK(hex16(unsigned{v->reserved()} << 8 | v->flags().bits) == r.at("tcp.flags"));
    CHECK(dec(v->header_len()) == r.at("tcp.hdr_len"));
    CHECK(dec(v->window()) == r.at("tcp.window_size_value"));
    CHECK(hex16(v->checksum()) == r.at("tcp.checksum"));
    CHECK(dec(v->urgent_pointer()) == r.at("tcp.urgent_pointer"));
    CHECK(dec(v->payload().size()) == r.at("tcp.len"));
    const tcp_options& o = repr->options;
    CHECK((o.mss ? dec(*o.mss) : "") == r.at("tcp.options.mss_val"));
    CHECK((o.window_scale ? dec(unsigned{*o.window_scale}) : "") == r.at("tcp.options.wscale.shift"));
    CHECK(o.sack_permitted == !r.at("tcp.options.sack_perm").empty());
    CHECK(joined_edges(o, true) == r.at("tcp.options.sack_le"));
    CHECK(joined_edges(o, false) == r.at("tcp.options.sack_re"));
    CHECK((o.ts ? dec(o.ts->tsval) : "") == r.at("tcp.options.timestamp.tsval"));
    CHECK((o.ts ? dec(o.ts->tsecr) : "") == r.at("tcp.options.timestamp.tsecr"));
}

void check_udp(const ip_packet& ip, const row& r) {
    auto v = udp_view::check(ip.transport);
    REQUIRE(v);
    const auto zero = ip.version() == 4 ? udp_zero_checksum::means_none : udp_zero_checksum::invalid;
    // RFC 768: the pseudo-header holds UDP's Length, not the IP payload's.
    const pseudo_header pseudo = ip.pseudo_for(v->length());
    REQUIRE(udp_repr::parse(v->datagram(), pseudo.bytes(), zero, l4::checksum::internet{}));
    CHECK(r.at("udp.checksum.status") == "1");
    CHECK(verifies_on_every_path(pseudo.bytes(), v->datagram(), udp_checksum_offset));
    CHECK(dec(v->src_port()) == r.at("udp.srcport"));
    CHECK(dec(v->dst_port()) == r.at("udp.dstport"));
    CHECK(dec(v->length()) == r.at("udp.length"));
    CHECK(hex16(v->checksum()) == r.at("udp.checksum"));
}

}  // namespace

TEST_CASE("pcap oracle: every TCP/UDP frame agrees with Wireshark", "[pcap][oracle][tcp][udp]") {
    const std::filesystem::path dir = std::filesystem::path{L4_TEST_DATA} / "pcap";
    std::vector<std::filesystem::path> captures;
    for (const auto& e : std::filesystem::directory_iterator{dir})
        if (e.path().extension() == ".pcap") captures.push_back(e.path());
    std::sort(captures.begin(), captures.end());
    REQUIRE(captures.size() == 9);

    std::size_t compared = 0;
    for (const auto& path : captures) {
        INFO(path.filename().string());
        const auto oracle = read_oracle(std::filesystem::path{path}.replace_extension(".expected.tsv"));
        REQUIRE_FALSE(oracle.empty());
        std::ifstream in{path, std::ios::binary};
        auto reader = pcap::stream_reader::open(in);
        REQUIRE(reader);
        std::size_t matched = 0;
        for (std::uint64_t frame = 1;; ++frame) {
            auto rec = reader->next();
            REQUIRE(rec);
            if (!*rec) break;
            INFO("frame " << frame);
            const auto expected = oracle.find(frame);
            auto payload = ip_payload_of_frame(reader->header().link, (*rec)->data);
            auto ip = payload ? parse_ip(*payload) : l4::result<ip_packet>{payload.error()};
            const bool transport = ip && (ip->protocol == ip_protocol::tcp || ip->protocol == ip_protocol::udp);
            if (!transport) {
                // Not TCP or UDP (ICMPv6, ARP, ...): skipped, and Wireshark agrees.
                CHECK(expected == oracle.end());
                continue;
            }
            REQUIRE(expected != oracle.end());
            const row& r = expected->second;
            if (ip->v4) {
                CHECK(ip->v4->src().text().view() == r.at("ip.src"));
                CHECK(ip->v4->dst().text().view() == r.at("ip.dst"));
                CHECK(ip->v4->verify_header_checksum());
            } else {
                CHECK(ip->v6->src().text().view() == r.at("ipv6.src"));
                CHECK(ip->v6->dst().text().view() == r.at("ipv6.dst"));
            }
            if (ip->protocol == ip_protocol::tcp) check_tcp(*ip, r);
            else check_udp(*ip, r);
            ++matched;
        }
        CHECK(matched == oracle.size());
        compared += matched;
    }
    CHECK(compared > 3000);
}
