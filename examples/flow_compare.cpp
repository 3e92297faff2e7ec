// The course's flow-control policies side by side: stop-and-wait, go-back-N
// and selective repeat (SACK, RFC 6675's scoreboard) move the same 1 MiB over the same simulated lossy path, l4kit's TCP with no
// congestion control (congestion::none: the flow policy and the receiver's
// 64 KB window alone decide what is in flight).
//
//   path  10 Mbit/s, RTT 40 ms (BDP 50 KB), 1 % of the data segments lost
//         (Bernoulli, seed 2), ACKs never lost; every segment ACKed at once
//
// It prints a table (goodput, bytes lost and retransmitted, segments sent,
// time) and draws the sequence number of every data segment against time,
// one panel per policy, retransmissions in red, the receiver's cumulative
// ACK as a line: go-back-N's timeouts show as red bands (a whole window sent
// again), stop-and-wait's as single red dots on a slow, straight line, and
// selective repeat's as single red dots beside a steady stream.
//
// Usage: flow_compare [directory]  -- writes flow_compare.svg there; without
// one it only checks that the table shows what it should (exit 1 otherwise),
// which is how the test suite runs it.
#include <l4/congestion/none.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/flow/sliding_window.hpp>
#include <l4/flow/stop_and_wait.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;

namespace {

// The policies compared, in the table's order.
using policies = std::tuple<flow::stop_and_wait, flow::go_back_n, flow::selective_repeat>;

constexpr std::uint32_t transfer_bytes = 1024 * 1024;

struct sent_segment {
    double at;                  // seconds
    std::uint32_t seq, len;     // offset of the first byte, payload bytes
    bool again;                 // some of it was sent before
};

// One TCP segment a host's link took or delivered.
struct wire_segment {
    double at;  // seconds
    std::uint32_t seq, ack, payload;
};

// Keeps a wire_segment of every IPv4 TCP datagram the inner link takes
// (transmit) or delivers (receive).
template <link::link Inner>
class recorder {
public:
    recorder(Inner inner, std::vector<wire_segment>& sent, std::vector<wire_segment>& received)
        : inner_{std::move(inner)}, sent_{&sent}, received_{&received} {}
    [[nodiscard]] io_result<void> transmit(bytes f, instant now) {
        auto r = inner_.transmit(f, now);
        if (r) record(*sent_, f, now);
        return r;
    }
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes b, instant now) {
        auto n = inner_.receive(b, now);
        if (n) record(*received_, b.first(*n), now);
        return n;
    }
    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<instant> next_deadline() const { return inner_.next_deadline(); }
    [[nodiscard]] int poll_fd() const { return inner_.poll_fd(); }

private:
    static void record(std::vector<wire_segment>& log, bytes f, instant now) {
        if (f.size() < 40 || (f[0] >> 4) != 4 || f[9] != 6) return;  // IPv4 carrying TCP
        const std::size_t ihl = (f[0] & 0x0Fu) * 4u, total = load_be16(f.data() + 2);
        const std::uint8_t* t = f.data() + ihl;
        const std::size_t header = ihl + (t[12] >> 4) * 4u;
        if (total > f.size() || header > total) return;
        log.push_back({std::chrono::duration<double>(now.time_since_epoch()).count(), load_be32(t + 4),
                       load_be32(t + 8), static_cast<std::uint32_t>(total - header)});
    }
    Inner inner_;
    std::vector<wire_segment>* sent_;
    std::vector<wire_segment>* received_;
};

struct run_result {
    std::string name;
    std::vector<sent_segment> segments;              // data segments, in order sent
    std::vector<std::pair<double, std::uint32_t>> acks;  // (seconds, cumulative ACK offset)
    std::uint64_t received = 0, retransmitted = 0, lost = 0;
    double seconds = 0;                              // from connect to the last byte read
    std::uint64_t timeouts = 0;
    bool complete = false;

    [[nodiscard]] double goodput() const { return seconds > 0 ? static_cast<double>(received) / seconds : 0; }
};

template <class Policy>
run_result run() {
    using tcp_t = tcp::endpoint<use<Policy>, use<congestion::none>>;
    using host = net::stack<recorder<link::sim::port>, tcp_t>;
    run_result out{std::string(Policy::name), {}, {}, 0, 0, 0, 0, 0, false};
    link::sim::network sim{{.seed = 2}};
    link::sim::channel_config forward{.bandwidth_bps = 10'000'000, .delay = 20ms,
                                      .queue = link::sim::drop_tail_packets{1000}};
    forward.impair.loss = link::sim::bernoulli_loss{0.01};
    auto p = link::sim::point_to_point(sim, forward, {.bandwidth_bps = 100'000'000, .delay = 20ms});
    const auto a4 = *net::ip_address::from_string("192.0.2.1");
    const auto b4 = *net::ip_address::from_string("198.51.100.1");
    tcp::endpoint_config ec{};
    ec.connection.receive_buffer = 65535;
    ec.connection.delayed_ack = duration::zero();
    std::vector<wire_segment> sent, acks, answers, delivered;
    host a{recorder{p.a, sent, acks}, {.addresses = {a4}, .secret = {1}}, tcp_t{ec}};
    host b{recorder{p.b, answers, delivered}, {.addresses = {b4}, .secret = {2}}, tcp_t{ec}};
    virtual_clock clk;
    const auto l = b.socket(net::socket_type::stream).value();
    const auto c = a.socket(net::socket_type::stream).value();
    if (!b.bind(l, {b4, 5001}) || !b.listen(l) || !a.connect(c, {b4, 5001}, clk.now())) return out;
    std::optional<net::socket_id> s;
    static const std::array<std::uint8_t, 16 * 1024> chunk{};
    std::array<std::uint8_t, 64 * 1024> buf{};
    std::uint32_t written = 0;
    (void)net::drive_all_until(clk, clk.now() + 600s, [&] {
        if (!s)
            if (auto x = b.accept(l)) s = *x;
        while (written < transfer_bytes) {
            auto w = a.send(c, std::span{chunk}.first(std::min<std::size_t>(chunk.size(), transfer_bytes - written)),
                            clk.now());
            if (!w || *w == 0) break;
            written += static_cast<std::uint32_t>(*w);
        }
        if (s)
            while (auto r = b.recv(*s, buf)) {
                if (*r == 0) break;
                out.received += *r;
            }
        return out.received == transfer_bytes;
    }, a, b);
    out.complete = out.received == transfer_bytes;
    out.seconds = std::chrono::duration<double>(clk.now().time_since_epoch()).count();
    // Offsets from the first data byte: the SYN is the first segment sent.
    if (sent.empty()) return out;
    const std::uint32_t first = sent.front().seq + 1;
    std::uint32_t high = 0;
    for (const auto& x : sent) {
        if (x.payload == 0) continue;
        const std::uint32_t from = x.seq - first, to = from + x.payload;
        const std::uint32_t overlap = std::min(to, high) > from ? std::min(to, high) - from : 0;
        out.retransmitted += overlap;
        out.lost += x.payload;  // less what arrived, below
        out.segments.push_back({x.at, from, x.payload, overlap > 0});
        high = std::max(high, to);
    }
    for (const auto& x : delivered) out.lost -= x.payload;
    for (const auto& x : acks)
        if (x.ack - first <= transfer_bytes + 1) out.acks.emplace_back(x.at, x.ack - first);
    if (const auto* e = a.sockets().find(c))
        if (const auto* conn = a.template transport<tcp_t>().connection_of(e->local))
            out.timeouts = conn->stats().retransmits_timeout;
    return out;
}

// One panel per run: data segments as dots (red: sent again), the
// cumulative ACK as a line; each panel its own time axis.
std::string svg(const std::vector<run_result>& runs) {
    constexpr double w = 900, panel_h = 260, left = 80, right = 20, top = 50, gap = 60;
    const double h = top + static_cast<double>(runs.size()) * (panel_h + gap);
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << w / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">Sequence number against time, "
      << "1 MiB over 10 Mbit/s, RTT 40 ms, 1 % loss (red: sent again; line: cumulative ACK)</text>\n";
    for (std::size_t k = 0; k < runs.size(); ++k) {
        const auto& r = runs[k];
        const double y0 = top + static_cast<double>(k) * (panel_h + gap), y1 = y0 + panel_h;
        const double t_max = std::max(r.seconds, 1e-3);
        const auto px = [&](double t) { return left + t / t_max * (w - left - right); };
        const auto py = [&](double seq) { return y1 - seq / transfer_bytes * panel_h; };
        o << "<text x=\"" << left << "\" y=\"" << y0 - 8 << "\" font-size=\"13\">" << r.name << ": "
          << static_cast<int>(r.goodput() / 1000) << " kB/s, " << r.retransmitted << " bytes sent again for "
          << r.lost << " lost</text>\n"
          << "<rect x=\"" << left << "\" y=\"" << y0 << "\" width=\"" << w - left - right << "\" height=\"" << panel_h
          << "\" fill=\"none\" stroke=\"black\"/>\n";
        for (int i = 0; i <= 4; ++i) {
            char xs[32], ys[32];
            std::snprintf(xs, sizeof xs, "%.1f s", t_max * i / 4);
            std::snprintf(ys, sizeof ys, "%u KiB", transfer_bytes / 1024 * i / 4);
            o << "<text x=\"" << px(t_max * i / 4) << "\" y=\"" << y1 + 16 << "\" text-anchor=\"middle\">" << xs
              << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << py(transfer_bytes * i / 4.0) + 4
              << "\" text-anchor=\"end\">" << ys << "</text>\n";
        }
        o << "<polyline fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"1.2\" points=\"";
        std::uint32_t last = 0;
        for (const auto& [t, ack] : r.acks) {
            const double x = static_cast<int>(px(t) * 10) / 10.0;
            o << x << ',' << static_cast<int>(py(last) * 10) / 10.0 << ' ' << x << ','
              << static_cast<int>(py(ack) * 10) / 10.0 << ' ';
            last = std::max(last, ack);
        }
        o << "\"/>\n";
        // Each segment a dot: a zero-length stroke with round caps.
        for (const bool again : {false, true}) {
            o << "<path fill=\"none\" stroke=\"" << (again ? "#d62728" : "#1f77b4") << "\" stroke-width=\""
              << (again ? 4 : 2.5) << "\" stroke-linecap=\"round\" d=\"";
            for (const auto& s : r.segments)
                if (s.again == again) o << 'M' << static_cast<int>(px(s.at) * 10) / 10.0 << ','
                                        << static_cast<int>(py(s.seq + s.len / 2.0) * 10) / 10.0 << "h0";
            o << "\"/>\n";
        }
    }
    o << "</svg>\n";
    return o.str();
}

template <class... P>
std::vector<run_result> run_all(std::tuple<P...>*) {
    return {run<P>()...};
}

bool check(bool ok, const std::string& what) {
    if (!ok) std::cerr << "flow_compare: the table does not show " << what << '\n';
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const auto runs = run_all(static_cast<policies*>(nullptr));
    std::printf("%-16s %12s %14s %12s %10s %10s %9s\n", "policy", "goodput B/s", "retransmitted", "lost bytes",
                "segments", "timeouts", "time s");
    for (const auto& r : runs)
        std::printf("%-16s %12.0f %14llu %12llu %10zu %10llu %9.2f\n", r.name.c_str(), r.goodput(),
                    static_cast<unsigned long long>(r.retransmitted), static_cast<unsigned long long>(r.lost),
                    r.segments.size(), static_cast<unsigned long long>(r.timeouts), r.seconds);
    bool ok = true;
    for (const auto& r : runs) {
        ok &= check(r.complete, r.name + " delivering every byte");
        ok &= check(r.lost > 0 && r.retransmitted >= r.lost, r.name + " resending every byte lost");
    }
    // Stop-and-wait resends exactly what was lost; go-back-N, whole windows.
    ok &= check(runs[0].retransmitted == runs[0].lost, "stop-and-wait resending only the lost segments");
    ok &= check(runs[1].retransmitted > 2 * runs[1].lost, "go-back-N resending windows");
    ok &= check(runs[1].goodput() > 5 * runs[0].goodput(), "go-back-N well ahead of stop-and-wait");
    // Any policy after those two is selective: at most 1.1x what was lost.
    for (std::size_t i = 2; i < runs.size(); ++i)
        ok &= check(static_cast<double>(runs[i].retransmitted) <= 1.1 * static_cast<double>(runs[i].lost) &&
                        runs[i].retransmitted < runs[1].retransmitted,
                    runs[i].name + " resending only what was lost");
    if (argc > 1) {
        const std::filesystem::path dir = argv[1];
        std::filesystem::create_directories(dir);
        std::ofstream(dir / "flow_compare.svg") << svg(runs);
        std::cout << "wrote " << (dir / "flow_compare.svg").string() << '\n';
    }
    return ok ? 0 : 1;
}
