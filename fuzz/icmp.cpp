// Fuzz target: ICMP and ICMPv6, as messages and as datagrams to a host.
//
// Input: byte 0 chooses.
//   bit 0  the family: ICMPv6 (set) or ICMPv4
//   bit 1  what the rest is: an IP datagram given to net::icmp (set), or an
//          ICMP message preceded by a 40-byte IPv6 pseudo-header (ICMPv6)
//   bit 2  (datagram mode) fill in a correct ICMP checksum before delivery,
//          so that mutations get past checksum verification
// The seeds are real messages: the kernel's echo and port unreachable, and
// every message kind the repr emits, in both modes.
//
// Oracles, beyond "no crash, no sanitizer report":
//   - the view accepts exactly 8 bytes or more; its accessors read the bytes
//     RFC 792 and RFC 4443 put the fields in; invoking_packet() is a prefix
//     of the body;
//   - checksum verification agrees with internet_reference and a sum by hand;
//   - parse -> emit -> parse is the identity; emit's output verifies; when
//     the input's checksum was the computed one and its unused bytes were
//     zero, emit reproduces the input byte for byte;
//   - parse_quoted_flow never reads past the quote, and its ports are the
//     first four bytes of the transport it returns;
//   - net::icmp counts every datagram in exactly one receive counter, writes
//     replies that parse as echo replies with the request's fields, and
//     port unreachables that parse, verify and quote a prefix of the
//     datagram within the RFC's size limits.
#include <l4/checksum/internet.hpp>
#include <l4/net/icmp.hpp>
#include <l4/wire/icmp.hpp>
#include <l4/wire/packet.hpp>

#include "oracle.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <vector>

namespace {

using namespace l4::wire;
using l4::checksum::internet;
using l4::checksum::internet_reference;
using byte_span = std::span<const std::uint8_t>;

bool sum_is_all_ones(byte_span pseudo, byte_span msg) {
    std::uint64_t sum = 0;
    std::size_t at = 0;
    for (auto part : {pseudo, msg})
        for (auto b : part) sum += (at++ % 2 == 0) ? std::uint64_t{b} << 8 : b;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return sum == 0xFFFF;
}

template <icmp_family F>
bool verify(const basic_icmp_view<F>& v, byte_span pseudo) {
    if constexpr (F == icmp_family::v4) {
        const bool a = v.template verify_checksum<internet>();
        L4_FUZZ_CHECK(a == v.template verify_checksum<internet_reference>());
        return a;
    } else {
        const bool a = v.template verify_checksum<internet>(pseudo);
        L4_FUZZ_CHECK(a == v.template verify_checksum<internet_reference>(pseudo));
        return a;
    }
}

template <icmp_family F>
l4::result<std::size_t> emit(const basic_icmp_repr<F>& r, std::span<std::uint8_t> out, byte_span pseudo) {
    if constexpr (F == icmp_family::v4) return r.emit(out, internet{});
    else return r.emit(out, pseudo, internet{});
}

template <icmp_family F>
l4::result<basic_icmp_repr<F>> parse_checked(byte_span msg, byte_span pseudo) {
    if constexpr (F == icmp_family::v4) return basic_icmp_repr<F>::parse(msg, internet{});
    else return basic_icmp_repr<F>::parse(msg, pseudo, internet{});
}

void check_quoted(byte_span quote, icmp_family family) {
    const auto f = parse_quoted_flow(quote, family);
    if (!f) return;
    L4_FUZZ_CHECK(f->protocol == ip_protocol::udp || f->protocol == ip_protocol::tcp);
    L4_FUZZ_CHECK(f->transport.size() >= 4);
    L4_FUZZ_CHECK(f->transport.data() >= quote.data() &&
                  f->transport.data() + f->transport.size() == quote.data() + quote.size());
    L4_FUZZ_CHECK(f->src.port == f->transport[0] * 256 + f->transport[1]);
    L4_FUZZ_CHECK(f->dst.port == f->transport[2] * 256 + f->transport[3]);
    L4_FUZZ_CHECK(f->src.address.version() == static_cast<int>(family));
}

template <icmp_family F>
void message(byte_span pseudo, byte_span in) {
    using view = basic_icmp_view<F>;
    using repr = basic_icmp_repr<F>;
    const auto v = view::check(in);
    L4_FUZZ_CHECK(v.has_value() == (in.size() >= 8));
    const auto r = repr::parse(in);
    if (!v) {
        L4_FUZZ_CHECK(!r && r.error() == l4::errc::truncated);
        return;
    }
    L4_FUZZ_CHECK(v->type() == in[0] && v->code() == in[1] && v->checksum() == in[2] * 256 + in[3]);
    L4_FUZZ_CHECK(v->identifier() == in[4] * 256 + in[5] && v->sequence() == in[6] * 256 + in[7]);
    L4_FUZZ_CHECK(v->body().data() == in.data() + 8 && v->body().size() == in.size() - 8);
    L4_FUZZ_CHECK(v->invoking_packet().data() == v->body().data() &&
                  v->invoking_packet().size() <= v->body().size());
    std::ostringstream os;
    os << *v;
    L4_FUZZ_CHECK(!os.str().empty());

    const bool good = verify(*v, pseudo);
    L4_FUZZ_CHECK(good == sum_is_all_ones(F == icmp_family::v4 ? byte_span{} : pseudo, in));
    check_quoted(v->invoking_packet(), F);

    const auto strict = parse_checked<F>(in, pseudo);
    L4_FUZZ_CHECK(strict.has_value() == (r.has_value() && good));
    if (!r) {
        L4_FUZZ_CHECK(r.error() == l4::errc::unknown_message || r.error() == l4::errc::truncated ||
                      r.error() == l4::errc::unsupported_version);
        return;
    }
    L4_FUZZ_CHECK(r->type == v->type() && r->code == v->code());
    L4_FUZZ_CHECK(r->data.data() == v->body().data() && r->data.size() == v->body().size());

    std::vector<std::uint8_t> out(r->buffer_len() + 2, 0x5A);
    const auto n = emit<F>(*r, out, pseudo);
    L4_FUZZ_CHECK(n.has_value() && *n == in.size());
    L4_FUZZ_CHECK(out[in.size()] == 0x5A);
    L4_FUZZ_CHECK(!emit<F>(*r, std::span{out}.first(in.size() - 1), pseudo));
    const auto e = std::span{out}.first(*n);
    const auto back = parse_checked<F>(e, pseudo);
    L4_FUZZ_CHECK(back.has_value() && *back == *r);
    L4_FUZZ_CHECK(std::equal(in.begin() + 8, in.end(), e.begin() + 8));
    L4_FUZZ_CHECK(e[0] == in[0] && e[1] == in[1]);
    // The input, byte for byte, when its checksum verified and bytes 4-7
    // were already what emit writes there (zeros where nothing is carried);
    // only RFC 1071's two zeros may differ: a stored 0xFFFF where emit writes 0.
    if (good && std::equal(in.begin() + 4, in.begin() + 8, e.begin() + 4)) {
        const unsigned stored = in[2] * 256u + in[3], written = e[2] * 256u + e[3];
        L4_FUZZ_CHECK(stored == written || (stored == 0xFFFF && written == 0));
    }
}

std::uint64_t rx_total(const l4::net::icmp_counters& c) {
    return c.rx_echo_requests + c.rx_echo_replies + c.rx_dest_unreachable + c.rx_packet_too_big +
           c.rx_time_exceeded + c.rx_parameter_problem + c.rx_other_error + c.rx_other + c.rx_malformed +
           c.rx_bad_checksum;
}

void datagram(bool fix_checksum, byte_span in) {
    std::vector<std::uint8_t> d(in.begin(), in.end());
    auto p = parse_ip(d);
    if (!p) return;
    const bool icmp4 = p->v4 && p->protocol == ip_protocol::icmp;
    const bool icmp6 = p->v6 && p->protocol == ip_protocol::icmpv6;
    if (fix_checksum && (icmp4 || icmp6) && p->transport.size() >= 4) {
        auto seg = std::span{d}.subspan(static_cast<std::size_t>(p->transport.data() - d.data()), p->transport.size());
        fill_checksum<internet>(icmp6 ? p->pseudo.bytes() : byte_span{}, seg, icmp_checksum_offset);
    }

    l4::net::icmp host{{.errors_per_second = 1000, .error_burst = 2}};
    std::array<std::uint8_t, 1500> reply{};
    const l4::instant now{};
    if (icmp4 || icmp6) {
        const auto r = host.on_packet(*p, reply, now);
        const auto& c = host.counters();
        L4_FUZZ_CHECK(rx_total(c) == 1);
        L4_FUZZ_CHECK(r.reply_len <= reply.size());
        L4_FUZZ_CHECK(!(r.reply_len > 0 && r.error));
        if (r.reply_len > 0) {
            L4_FUZZ_CHECK(c.rx_echo_requests == 1 && c.tx_echo_replies == 1);
            L4_FUZZ_CHECK(r.reply_len == p->transport.size());
            const auto msg = std::span{reply}.first(r.reply_len);
            if (icmp4) {
                const auto back = icmpv4_repr::parse(msg, internet{});
                L4_FUZZ_CHECK(back && back->message() == icmp_message::echo_reply);
            } else {
                const auto ph = pseudo_header::ipv6(r.src.v6(), r.dst.v6(), ip_protocol::icmpv6,
                                                    static_cast<std::uint32_t>(msg.size()));
                const auto back = icmpv6_repr::parse(msg, ph.bytes(), internet{});
                L4_FUZZ_CHECK(back && back->message() == icmp_message::echo_reply);
            }
            L4_FUZZ_CHECK(std::equal(msg.begin() + 4, msg.end(), p->transport.begin() + 4));
        }
        if (r.error) {
            L4_FUZZ_CHECK(r.error->protocol == ip_protocol::udp || r.error->protocol == ip_protocol::tcp);
            L4_FUZZ_CHECK(r.error->local.address.version() == p->version());
        }
    }

    // Any datagram may be the offending one.
    std::array<std::uint8_t, 1500> out{};
    const auto n = host.port_unreachable(*p, d, out, now);
    if (!n) {
        L4_FUZZ_CHECK(n.error() == l4::errc::suppressed || n.error() == l4::errc::rate_limited ||
                      n.error() == l4::errc::buffer_too_small);
        return;
    }
    const auto msg = std::span{out}.first(*n);
    const byte_span sent = p->v4 ? p->v4->datagram() : p->v6->packet();
    if (p->v4) {
        L4_FUZZ_CHECK(*n <= 8 + l4::net::icmp::v4_max_quote);
        const auto back = icmpv4_repr::parse(msg, internet{});
        L4_FUZZ_CHECK(back && back->type == 3 && back->code == 3);
        L4_FUZZ_CHECK(std::equal(back->data.begin(), back->data.end(), sent.begin()));
    } else {
        L4_FUZZ_CHECK(*n <= 8 + l4::net::icmp::v6_max_quote);
        const auto ph = pseudo_header::ipv6(p->v6->dst(), p->v6->src(), ip_protocol::icmpv6,
                                            static_cast<std::uint32_t>(*n));
        const auto back = icmpv6_repr::parse(msg, ph.bytes(), internet{});
        L4_FUZZ_CHECK(back && back->type == 1 && back->code == 4);
        L4_FUZZ_CHECK(std::equal(back->data.begin(), back->data.end(), sent.begin()));
    }
    L4_FUZZ_CHECK(host.counters().tx_errors == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    const byte_span rest{data + 1, size - 1};
    if (mode & 2) {
        datagram((mode & 4) != 0, rest);
        return 0;
    }
    if (mode & 1) {
        const std::size_t n = rest.size() < 40 ? rest.size() : 40;
        message<icmp_family::v6>(rest.first(n), rest.subspan(n));
    } else {
        message<icmp_family::v4>({}, rest);
    }
    return 0;
}
