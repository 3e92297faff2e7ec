// A link decorator that prints every TCP segment crossing a link, both
// ways, one line each as tcpdump does ("HH:MM:SS.micro IP a.port > b.port:
// Flags [S.], seq ..., ack ..., win ..., length n"), stamped with the `now`
// the caller passes, so over the simulator the times are virtual.
//
// As tcpdump does, a SYN shows its absolute sequence number and options,
// and later segments relative ones, with their timestamps and SACK blocks. A segment that carries nothing beyond
// what this direction already sent (data or FIN) is marked
// "[retransmission]", as Wireshark marks it.
//
// brief(n) keeps a long transfer readable: after n more lines only
// retransmissions print, each after the two lines before it, and a line
// says how many were left out; full() prints every line again.
#pragma once

#include <l4/link/concept.hpp>
#include <l4/wire/packet.hpp>
#include <l4/wire/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

namespace demo {

template <l4::link::link Inner>
class tcpdump_tap {
public:
    tcpdump_tap(Inner inner, std::ostream& out) : inner_{std::move(inner)}, out_{&out} {}

    [[nodiscard]] l4::io_result<void> transmit(l4::bytes frame, l4::instant now) {
        auto r = inner_.transmit(frame, now);
        if (r) show(frame, now);
        return r;
    }
    [[nodiscard]] l4::io_result<std::size_t> receive(l4::mut_bytes buffer, l4::instant now) {
        auto n = inner_.receive(buffer, now);
        if (n) show(buffer.first(*n), now);
        return n;
    }
    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<l4::instant> next_deadline() const { return inner_.next_deadline(); }
    [[nodiscard]] int poll_fd() const { return inner_.poll_fd(); }
    [[nodiscard]] bool writable() const { return l4::link::writable(inner_); }

    void brief(std::size_t lines) { budget_ = lines; }
    void full() {
        flush_hidden();
        budget_.reset();
    }
    [[nodiscard]] std::size_t retransmissions() const noexcept { return retransmissions_; }

private:
    struct direction {
        std::optional<l4::seq32> isn;
        std::uint32_t sent_end = 0;  // relative: the end of the furthest data or FIN sent
    };
    using key = std::tuple<std::string, std::uint16_t, std::string, std::uint16_t>;

    void show(l4::bytes frame, l4::instant now) {
        auto ip = l4::wire::parse_ip(frame);
        if (!ip || ip->protocol != l4::wire::ip_protocol::tcp) return;
        auto seg = l4::wire::tcp_view::check(ip->transport);
        if (!seg) return;
        const std::string src{ip->v4 ? ip->v4->src().text().view() : ip->v6->src().text().view()};
        const std::string dst{ip->v4 ? ip->v4->dst().text().view() : ip->v6->dst().text().view()};
        const std::uint16_t sport = seg->src_port(), dport = seg->dst_port();
        auto& me = flows_[key{src, sport, dst, dport}];
        const auto& peer = flows_[key{dst, dport, src, sport}];
        const auto flags = seg->flags();
        using f = l4::wire::tcp_flags;

        std::ostringstream line;
        line << timestamp(now) << (ip->v4 ? " IP " : " IP6 ") << src << '.' << sport << " > " << dst << '.'
             << dport << ": ";
        bool retransmitted = false;
        if (flags.has(f::syn)) {
            retransmitted = me.isn && *me.isn == seg->seq_number();
            me.isn = seg->seq_number();
            l4::wire::print_summary(line, *seg);
        } else {
            const std::uint32_t seq = me.isn ? static_cast<std::uint32_t>(seg->seq_number() - *me.isn) : 0;
            const auto len = static_cast<std::uint32_t>(seg->payload().size());
            const std::uint32_t end = seq + len + (flags.has(f::fin) ? 1 : 0);
            retransmitted = end > seq && end <= me.sent_end;
            if (end > me.sent_end) me.sent_end = end;
            line << "Flags [" << flags.text().view() << "], seq " << seq;
            if (len) line << ':' << seq + len;
            if (flags.has(f::ack))
                line << ", ack "
                     << (peer.isn ? static_cast<std::uint32_t>(seg->ack_number() - *peer.isn)
                                  : seg->ack_number().raw());
            line << ", win " << seg->window();
            print_options(line, *seg, peer);
            line << ", length " << len;
        }
        if (retransmitted) {
            line << " [retransmission]";
            ++retransmissions_;
        }
        emit(line.str(), retransmitted);
    }

    // Timestamps, and SACK blocks relative to the peer's ISN (the data they
    // acknowledge is the peer's), as tcpdump prints them.
    static void print_options(std::ostream& line, const l4::wire::tcp_view& seg, const direction& peer) {
        const auto parsed = l4::wire::lenient_tcp_options::parse(seg.options());
        const auto& o = parsed.options;
        if (!o.ts && !o.sack_count && !parsed.malformed) return;
        line << ", options [";
        if (o.ts) line << "TS val " << o.ts->tsval << " ecr " << o.ts->tsecr;
        if (o.sack_count) {
            line << (o.ts ? "," : "") << "sack " << unsigned{o.sack_count};
            const auto rel = [&](l4::seq32 x) { return peer.isn ? static_cast<std::uint32_t>(x - *peer.isn) : x.raw(); };
            for (const auto& b : o.sack_blocks()) line << " {" << rel(b.left) << ':' << rel(b.right) << '}';
        }
        if (parsed.malformed) line << (o.ts || o.sack_count ? "," : "") << "[bad opt]";
        line << ']';
    }

    void emit(std::string line, bool retransmitted) {
        if (!budget_ || *budget_ > 0) {
            if (budget_) --*budget_;
            *out_ << line << '\n';
            return;
        }
        if (!retransmitted) {
            recent_.push_back(std::move(line));
            if (recent_.size() > 2) {
                recent_.pop_front();
                ++hidden_;
            }
            return;
        }
        flush_hidden(false);
        for (const auto& l : recent_) *out_ << l << '\n';
        recent_.clear();
        *out_ << line << '\n';
    }

    void flush_hidden(bool with_recent = true) {
        if (with_recent) hidden_ += recent_.size(), recent_.clear();
        if (hidden_) *out_ << "    ... " << hidden_ << " segments not shown ...\n";
        hidden_ = 0;
    }

    static std::string timestamp(l4::instant now) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
        char text[32];
        std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%06lld", static_cast<long long>(us / 3'600'000'000),
                      static_cast<long long>(us / 60'000'000 % 60), static_cast<long long>(us / 1'000'000 % 60),
                      static_cast<long long>(us % 1'000'000));
        return text;
    }

    Inner inner_;
    std::ostream* out_;
    std::map<key, direction> flows_;
    std::optional<std::size_t> budget_;
    std::deque<std::string> recent_;
    std::size_t hidden_ = 0, retransmissions_ = 0;
};

}  // namespace demo
