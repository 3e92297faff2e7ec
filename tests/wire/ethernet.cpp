// Ethernet II: fields from known bytes, the 802.1Q tag, truncation, emit and
// parse, and agreement with tshark on every TCP/UDP frame of the shared captures.
#include <l4/wire/ethernet.hpp>
#include <l4/wire/pcap.hpp>

#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace eth = l4::wire::ethernet;

namespace {

using byte_vector = std::vector<std::uint8_t>;

// The first frame of udp_ipv4.pcap, cut after the IPv4 version byte.
const byte_vector udp_ipv4_frame_1 = {
    0x9e, 0x2b, 0xcc, 0xc3, 0x63, 0xd7,  // destination
    0x02, 0x99, 0x72, 0x0b, 0xc8, 0x83,  // source
    0x08, 0x00,                          // IPv4
    0x45,
};

}  // namespace

TEST_CASE("an Ethernet view reads the addresses and type tshark shows", "[ethernet]") {
    auto v = eth::view::check(udp_ipv4_frame_1);
    REQUIRE(v.has_value());
    CHECK(v->destination() == eth::mac_address{0x9e, 0x2b, 0xcc, 0xc3, 0x63, 0xd7});
    CHECK(v->source() == eth::mac_address{0x02, 0x99, 0x72, 0x0b, 0xc8, 0x83});
    CHECK(v->ethertype() == eth::ethertype_ipv4);
    CHECK_FALSE(v->vlan_tci());
    CHECK(v->header_len() == 14);
    REQUIRE(v->payload().size() == 1);
    CHECK(v->payload()[0] == 0x45);
}

TEST_CASE("an 802.1Q tag is skipped and its TCI kept", "[ethernet]") {
    byte_vector frame(udp_ipv4_frame_1.begin(), udp_ipv4_frame_1.begin() + 12);
    frame.insert(frame.end(), {0x81, 0x00, 0xa0, 0x2a, 0x86, 0xdd, 0x60});  // PCP 5, VID 42, IPv6
    auto v = eth::view::check(frame);
    REQUIRE(v.has_value());
    CHECK(v->ethertype() == eth::ethertype_ipv6);
    CHECK(v->vlan_tci() == 0xa02a);
    CHECK(v->header_len() == 18);
    REQUIRE(v->payload().size() == 1);
    CHECK(v->payload()[0] == 0x60);
}

TEST_CASE("an Ethernet frame shorter than its header is truncated", "[ethernet]") {
    for (std::size_t n = 0; n < 14; ++n) {
        CHECK(eth::view::check(l4::bytes{udp_ipv4_frame_1.data(), n}).error() == l4::errc::truncated);
    }
    CHECK(eth::view::check(l4::bytes{udp_ipv4_frame_1.data(), 14}).has_value());

    byte_vector tagged(udp_ipv4_frame_1.begin(), udp_ipv4_frame_1.begin() + 12);
    tagged.insert(tagged.end(), {0x81, 0x00, 0x00, 0x01, 0x08, 0x00});
    for (std::size_t n = 14; n < 18; ++n) {
        CHECK(eth::view::check(l4::bytes{tagged.data(), n}).error() == l4::errc::truncated);
    }
    CHECK(eth::view::check(tagged).has_value());
}

TEST_CASE("an Ethernet header emits the bytes it was parsed from", "[ethernet]") {
    rc::prop("emit then parse", [] {
        eth::header h;
        h.destination = *rc::gen::arbitrary<eth::mac_address>();
        h.source = *rc::gen::arbitrary<eth::mac_address>();
        // 0x8100 as the inner type would read as a second tag, which we do not skip.
        h.ethertype = *rc::gen::suchThat<std::uint16_t>([](std::uint16_t t) { return t != eth::ethertype_vlan; });
        if (*rc::gen::arbitrary<bool>()) h.vlan_tci = *rc::gen::arbitrary<std::uint16_t>();
        const auto payload = *rc::gen::container<byte_vector>(rc::gen::arbitrary<std::uint8_t>());

        byte_vector frame(h.header_len());
        const auto written = h.emit(frame);
        RC_ASSERT(written.has_value());
        RC_ASSERT(*written == h.header_len());
        frame.insert(frame.end(), payload.begin(), payload.end());

        const auto v = eth::view::check(frame);
        RC_ASSERT(v.has_value());
        RC_ASSERT(eth::header::from(*v) == h);
        RC_ASSERT(byte_vector(v->payload().begin(), v->payload().end()) == payload);
    });
}

TEST_CASE("an Ethernet header does not emit into a buffer too small for it", "[ethernet]") {
    eth::header h;
    byte_vector small(13);
    CHECK(h.emit(small).error() == l4::errc::buffer_too_small);
    h.vlan_tci = 1;
    byte_vector untagged_size(14);
    CHECK(h.emit(untagged_size).error() == l4::errc::buffer_too_small);
}

TEST_CASE("every TCP/UDP frame tshark lists carries the IP version tshark saw", "[ethernet][pcap]") {
    for (const char* name : {"tcp_bulk_loss_sack", "tcp_echo_ipv4", "tcp_echo_ipv6", "tcp_ecn", "tcp_no_options",
                             "tcp_rst_closed_port", "tcp_zero_window", "udp_ipv4", "udp_ipv6"}) {
        INFO(name);
        const std::string base = std::string(L4_TEST_DATA) + "/pcap/" + name;
        std::ifstream file(base + ".pcap", std::ios::binary);
        auto reader = l4::wire::pcap::stream_reader::open(file);
        REQUIRE(reader.has_value());

        std::vector<byte_vector> frames;
        for (auto r = reader->next(); r && *r; r = reader->next()) frames.emplace_back((*r)->data.begin(), (*r)->data.end());

        std::ifstream oracle(base + ".expected.tsv");
        std::string line;
        std::getline(oracle, line);  // column names: frame.number, ip.src, ip.dst, ipv6.src, ...
        std::size_t rows = 0;
        while (std::getline(oracle, line)) {
            ++rows;
            const std::size_t number = std::stoul(line.substr(0, line.find('\t')));
            const bool is_ipv4 = line[line.find('\t') + 1] != '\t';  // ip.src present
            INFO("frame " << number);
            REQUIRE(number >= 1);
            REQUIRE(number <= frames.size());

            auto v = eth::view::check(frames[number - 1]);
            REQUIRE(v.has_value());
            CHECK(v->ethertype() == (is_ipv4 ? eth::ethertype_ipv4 : eth::ethertype_ipv6));
            REQUIRE_FALSE(v->payload().empty());
            CHECK(v->payload()[0] >> 4 == (is_ipv4 ? 4 : 6));
        }
        CHECK(rows > 0);
    }
}
