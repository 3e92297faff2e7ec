// tcpdump for TCP and UDP, written with l4kit: one line per segment with its
// checksum verdict, from classic pcap files (Ethernet or raw IP).
//
//     pcap_dump [--summary] FILE.pcap...
//
// Frames the capture's snaplen cut short are decoded as far as their bytes
// go, and their checksums marked unverified, as Wireshark does. The exit
// status is 1 if a file cannot be read, if a file holds no TCP or UDP
// frame, or if any segment is malformed or fails its checksum: run on
// captures known to be good (as ctest does), it says whether l4kit reads
// them as the kernel wrote them.
#include <l4/checksum/internet.hpp>
#include <l4/wire/capture.hpp>
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
    std::size_t frames = 0, tcp = 0, udp = 0, other = 0, bad_checksum = 0, malformed = 0, unverified = 0;
};

void print_time(std::uint64_t ns) {
    const std::uint64_t s = ns / 1'000'000'000u, us = ns % 1'000'000'000u / 1000u;
    std::printf("%02u:%02u:%02u.%06u ", unsigned(s / 3600 % 24), unsigned(s / 60 % 60), unsigned(s % 60),
                unsigned(us));
}

// tcpdump's spelling: four hex digits, zero-padded.
void print_checksum(unsigned value, bool verifiable, bool ok) {
    std::printf(", cksum 0x%04x (%s)\n", value, !verifiable ? "unverified" : ok ? "correct" : "INCORRECT");
}

void print_addresses(const wire::ip_packet& ip, unsigned sport, unsigned dport) {
    if (ip.v4) std::cout << "IP " << ip.v4->src() << '.' << sport << " > " << ip.v4->dst() << '.' << dport;
    else std::cout << "IP6 " << ip.v6->src() << '.' << sport << " > " << ip.v6->dst() << '.' << dport;
    std::cout << ": ";
}

void dump_tcp(const wire::pcap::record& rec, const wire::ip_packet& ip, tally& t, bool quiet) {
    ++t.tcp;
    auto seg = wire::tcp_view::check(ip.transport);
    if (!seg && ip.cut()) {
        // The snaplen fell inside the TCP header: nothing to verify, little to show.
        ++t.unverified;
        if (quiet) return;
        print_time(rec.timestamp_ns);
        std::cout << ip << ": TCP, header cut short (" << ip.transport.size() << " of " << ip.transport_len
                  << " bytes captured)" << '\n';
        return;
    }
    if (!seg) {
        ++t.malformed;
        if (!quiet) std::cout << "TCP malformed: " << l4::describe(seg.error()) << '\n';
        return;
    }
    const bool ok = !ip.cut() && seg->verify_checksum<l4::checksum::internet>(ip.pseudo.bytes());
    t.bad_checksum += !ip.cut() && !ok;
    t.unverified += ip.cut();
    if (quiet) return;
    print_time(rec.timestamp_ns);
    print_addresses(ip, seg->src_port(), seg->dst_port());
    wire::print_summary(std::cout, *seg);
    if (ip.cut()) std::cout << " [" << ip.transport.size() << " of " << ip.transport_len << " bytes captured]";
    print_checksum(seg->checksum(), !ip.cut(), ok);
}

void dump_udp(const wire::pcap::record& rec, const wire::ip_packet& ip, tally& t, bool quiet) {
    ++t.udp;
    if (ip.cut()) {
        // The datagram is not all there: read its header as far as it goes.
        ++t.unverified;
        if (quiet) return;
        print_time(rec.timestamp_ns);
        auto h = wire::view<wire::udp_layout>::check(ip.transport);
        if (!h) {
            std::cout << ip << ": UDP, header cut short" << '\n';
            return;
        }
        print_addresses(ip, h->get<"src_port">(), h->get<"dst_port">());
        const unsigned length = h->get<"length">();
        std::printf("UDP, length %u", length >= wire::udp_header_len ? length - unsigned{wire::udp_header_len} : 0u);
        print_checksum(h->get<"checksum">(), false, false);
        return;
    }
    auto dgram = wire::udp_view::check(ip.transport);
    if (!dgram) {
        ++t.malformed;
        if (!quiet) std::cout << "UDP malformed: " << l4::describe(dgram.error()) << '\n';
        return;
    }
    const auto zero = ip.v4 ? wire::udp_zero_checksum::means_none : wire::udp_zero_checksum::invalid;
    // RFC 768: the pseudo-header holds UDP's Length, which may be shorter
    // than the IP payload (bytes trailing the datagram are not summed).
    const wire::pseudo_header pseudo = ip.pseudo_for(dgram->length());
    const bool ok = dgram->verify_checksum<l4::checksum::internet>(pseudo.bytes(), zero);
    t.bad_checksum += !ok;
    if (quiet) return;
    print_time(rec.timestamp_ns);
    print_addresses(ip, dgram->src_port(), dgram->dst_port());
    std::printf("UDP, length %zu", dgram->payload().size());
    print_checksum(dgram->checksum(), true, ok);
}

void dump_frame(wire::pcap::link_type link, const wire::pcap::record& rec, tally& t, bool quiet) {
    // A record shorter than the packet on the wire was cut by the snaplen.
    const bool cut = rec.data.size() < rec.original_length;
    auto ip_bytes = wire::ip_payload_of_frame(link, rec.data);
    auto ip = !ip_bytes ? l4::result<wire::ip_packet>{ip_bytes.error()}
              : cut     ? wire::parse_captured_ip(*ip_bytes)
                        : wire::parse_ip(*ip_bytes);
    if (!ip || (ip->protocol != wire::ip_protocol::tcp && ip->protocol != wire::ip_protocol::udp)) {
        ++t.other;
        return;
    }
    if (ip->protocol == wire::ip_protocol::tcp) dump_tcp(rec, *ip, t, quiet);
    else dump_udp(rec, *ip, t, quiet);
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
                std::cerr << argv[i] << ": " << l4::describe(rec.error()) << " at offset " << reader->offset()
                          << '\n';
                status = 1;
                break;
            }
            if (!*rec) break;
            ++t.frames;
            dump_frame(reader->header().link, **rec, t, summary_only);
        }
        tallies.emplace_back(arg.substr(arg.find_last_of('/') + 1), t);
        if (t.bad_checksum || t.malformed) status = 1;
        if (t.tcp + t.udp == 0) {
            std::cerr << argv[i] << ": no TCP or UDP frame decoded\n";
            status = 1;
        }
    }
    if (tallies.empty()) {
        std::cerr << "usage: pcap_dump [--summary] FILE.pcap...\n";
        return 1;
    }
    std::printf("\n%-28s %7s %6s %5s %6s %9s %9s %10s\n", "file", "frames", "tcp", "udp", "other", "bad-csum",
                "malformed", "unverified");
    for (const auto& [name, t] : tallies)
        std::printf("%-28s %7zu %6zu %5zu %6zu %9zu %9zu %10zu\n", name.c_str(), t.frames, t.tcp, t.udp, t.other,
                    t.bad_checksum, t.malformed, t.unverified);
    return status;
}
