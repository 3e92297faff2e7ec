// tcpdump for TCP and UDP, written with l4kit: one line per segment with its
// checksum verdict, from classic pcap files (Ethernet or raw IP).
//
//     pcap_dump [--summary] FILE.pcap...
#include <l4/checksum/internet.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/tcp.hpp>
#include <l4/wire/udp.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wire = l4::wire;

namespace {

struct tally {
    std::size_t frames = 0, tcp = 0, udp = 0, other = 0, bad_checksum = 0, malformed = 0;
};

void print_time(std::uint64_t ns) {
    const std::uint64_t s = ns / 1'000'000'000u, us = ns % 1'000'000'000u / 1000u;
    std::printf("%02u:%02u:%02u.%06u ", unsigned(s / 3600 % 24), unsigned(s / 60 % 60), unsigned(s % 60),
                unsigned(us));
}

void dump_frame(wire::pcap::link_type link, const wire::pcap::record& rec, tally& t, bool quiet) {
    auto ip_bytes = wire::ip_payload_of_frame(link, rec.data);
    auto ip = ip_bytes ? wire::parse_ip(*ip_bytes) : l4::result<wire::ip_packet>{ip_bytes.error()};
    if (!ip || (ip->protocol != wire::ip_protocol::tcp && ip->protocol != wire::ip_protocol::udp)) {
        ++t.other;
        return;
    }
    const bool v4 = ip->version() == 4;
    auto endpoint = [&](const auto& addr, std::uint16_t port) {
        std::cout << addr << '.' << port;
    };
    auto addresses = [&](std::uint16_t sport, std::uint16_t dport) {
        std::cout << (v4 ? "IP " : "IP6 ");
        if (v4) endpoint(ip->v4->src(), sport), std::cout << " > ", endpoint(ip->v4->dst(), dport);
        else endpoint(ip->v6->src(), sport), std::cout << " > ", endpoint(ip->v6->dst(), dport);
        std::cout << ": ";
    };
    if (ip->protocol == wire::ip_protocol::tcp) {
        ++t.tcp;
        auto seg = wire::tcp_view::check(ip->transport);
        if (!seg) {
            ++t.malformed;
            if (!quiet) std::cout << "TCP malformed: " << l4::describe(seg.error()) << '\n';
            return;
        }
        const bool ok = seg->verify_checksum<l4::checksum::internet>(ip->pseudo.bytes());
        t.bad_checksum += !ok;
        if (quiet) return;
        print_time(rec.timestamp_ns);
        addresses(seg->src_port(), seg->dst_port());
        wire::print_summary(std::cout, *seg) << ", cksum 0x" << std::hex << seg->checksum() << std::dec
                  << (ok ? " (correct)" : " (INCORRECT)") << '\n';
    } else {
        ++t.udp;
        auto dgram = wire::udp_view::check(ip->transport);
        if (!dgram) {
            ++t.malformed;
            if (!quiet) std::cout << "UDP malformed: " << l4::describe(dgram.error()) << '\n';
            return;
        }
        const auto zero = v4 ? wire::udp_zero_checksum::means_none : wire::udp_zero_checksum::invalid;
        const bool ok = dgram->verify_checksum<l4::checksum::internet>(ip->pseudo.bytes(), zero);
        t.bad_checksum += !ok;
        if (quiet) return;
        print_time(rec.timestamp_ns);
        addresses(dgram->src_port(), dgram->dst_port());
        std::cout << "UDP, length " << dgram->payload().size() << ", cksum 0x" << std::hex << dgram->checksum()
                  << std::dec << (ok ? " (correct)" : " (INCORRECT)") << '\n';
    }
}

}  // namespace

int main(int argc, char** argv) {
    bool summary_only = false;
    int status = 0;
    std::vector<std::pair<std::string, tally>> tallies;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--summary") {
            summary_only = true;
            continue;
        }
        std::ifstream in{argv[i], std::ios::binary};
        auto reader = wire::pcap::stream_reader::open(in);
        if (!reader) {
            std::cerr << argv[i] << ": " << l4::describe(reader.error()) << '\n';
            status = 1;
            continue;
        }
        if (!summary_only) std::cout << "== " << argv[i] << '\n';
        tally t;
        while (true) {
            auto rec = reader->next();
            if (!rec) {
                std::cerr << argv[i] << ": " << l4::describe(rec.error()) << '\n';
                status = 1;
                break;
            }
            if (!*rec) break;
            ++t.frames;
            dump_frame(reader->header().link, **rec, t, summary_only);
        }
        tallies.emplace_back(arg.substr(arg.find_last_of('/') + 1), t);
        if (t.bad_checksum || t.malformed) status = 1;
    }
    std::printf("\n%-28s %7s %6s %5s %6s %9s %9s\n", "file", "frames", "tcp", "udp", "other", "bad-csum",
                "malformed");
    for (const auto& [name, t] : tallies)
        std::printf("%-28s %7zu %6zu %5zu %6zu %9zu %9zu\n", name.c_str(), t.frames, t.tcp, t.udp, t.other,
                    t.bad_checksum, t.malformed);
    return status;
}
