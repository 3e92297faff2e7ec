// The course's congestion-window figures, drawn from l4kit's own TCP on the
// simulator: one bulk flow over a dumbbell's bottleneck, its algorithm
// wrapped in congestion::traced, every event's cwnd and ssthresh plotted.
//
//   tahoe.svg   Tahoe: every loss drops cwnd to 1 MSS, then slow start to
//               the halved threshold and one MSS per RTT past it
//   reno.svg    Reno: three duplicate ACKs halve the window (fast recovery,
//               with its inflation spikes): the saw-tooth between W/2 and W
//   cubic.svg   CUBIC: after each loss 0.7 W_max, then concave up to W_max
//               and convex past it
//   bbr.svg     BBR: startup, drain, the probe_bw gain cycle (its pacing
//               rate, 1.25 / 0.75 / 1 x 6) and probe_rtt's dip at 10 s
// Each also as CSV (congestion/trace.hpp's columns).
//
// Usage: cwnd_plot [directory]  -- writes the files there; without one it
// only checks that each figure shows what it should (exit 1 otherwise),
// which is how the test suite runs it.
#include <l4/congestion/bbr.hpp>
#include <l4/congestion/cubic.hpp>
#include <l4/congestion/reno.hpp>
#include <l4/congestion/tahoe.hpp>
#include <l4/congestion/trace.hpp>
#include <l4/link/sim.hpp>
#include <l4/net/drive.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace l4;
using namespace std::chrono_literals;
using congestion::trace_record;

namespace {

struct path {
    std::uint64_t bps;
    duration one_way;
    std::size_t queue_packets;
};

// One flow from 192.0.2.1 to 198.51.100.1 for `length`; the sender's trace.
template <class Algo>
std::vector<trace_record> run(const path& p, duration length) {
    using tcp_t = tcp::endpoint<use<congestion::traced<Algo>>>;
    using host = net::stack<link::sim::port, tcp_t>;
    link::sim::network sim{{.seed = 1}};
    const link::sim::channel_config access{.bandwidth_bps = 1'000'000'000};
    const std::array<duration, 1> no_delay{};
    auto d = link::sim::dumbbell(
        sim, {.sender_access = link::sim::dumbbell_config::access_links(access, no_delay),
              .receiver_access = access,
              .bottleneck = {.bandwidth_bps = p.bps, .delay = p.one_way,
                             .queue = link::sim::drop_tail_packets{p.queue_packets}},
              .reverse = {.bandwidth_bps = 100'000'000, .delay = p.one_way}});
    const auto a4 = *net::ip_address::from_string("192.0.2.1");
    const auto b4 = *net::ip_address::from_string("198.51.100.1");
    tcp::endpoint_config ec{};
    ec.connection.send_buffer = 256 * 1024;
    host a{d.senders[0], {.addresses = {a4}, .secret = {1}}, tcp_t{ec}};
    host b{d.receivers[0], {.addresses = {b4}, .secret = {2}}, tcp_t{ec}};
    virtual_clock clk;
    auto l = b.socket(net::socket_type::stream).value();
    if (!b.bind(l, {b4, 5001}) || !b.listen(l)) return {};
    auto c = a.socket(net::socket_type::stream).value();
    if (!a.connect(c, {b4, 5001}, clk.now())) return {};
    std::optional<net::socket_id> s;
    static const std::array<std::uint8_t, 64 * 1024> chunk{};
    std::array<std::uint8_t, 64 * 1024> buf{};
    (void)net::drive_all_until(clk, clk.now() + length, [&] {
        if (!s)
            if (auto x = b.accept(l)) s = *x;
        while (auto w = a.send(c, chunk, clk.now()))
            if (*w == 0) break;
        if (s)
            while (auto r = b.recv(*s, buf))
                if (*r == 0) break;
        return false;
    }, a, b);
    const auto* conn = a.template transport<tcp_t>().connection_of(a.sockets().find(c)->local);
    if (!conn) return {};
    const auto r = conn->congestion().records();
    return std::vector<trace_record>(r.begin(), r.end());
}

double seconds(instant t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

struct series {
    std::string name, colour;
    std::vector<std::pair<double, double>> points;  // (seconds, value)
};

// A hand-written SVG: axes with ticks, one polyline per series, a legend.
std::string svg(const std::string& title, const std::string& y_label, const std::vector<series>& all) {
    constexpr double w = 900, h = 420, left = 70, right = 20, top = 40, bottom = 50;
    double x_max = 0, y_max = 0;
    for (const auto& s : all)
        for (const auto& [x, y] : s.points) {
            x_max = std::max(x_max, x);
            y_max = std::max(y_max, y);
        }
    y_max = std::max(1.0, y_max * 1.1);
    const auto px = [&](double x) { return left + x / x_max * (w - left - right); };
    const auto py = [&](double y) { return h - bottom - y / y_max * (h - top - bottom); };
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << w / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << title << "</text>\n"
      << "<line x1=\"" << left << "\" y1=\"" << h - bottom << "\" x2=\"" << w - right << "\" y2=\"" << h - bottom
      << "\" stroke=\"black\"/>\n<line x1=\"" << left << "\" y1=\"" << top << "\" x2=\"" << left << "\" y2=\""
      << h - bottom << "\" stroke=\"black\"/>\n";
    for (int i = 0; i <= 10; ++i) {
        const double x = x_max * i / 10, y = y_max * i / 10;
        char xs[32], ys[32];
        std::snprintf(xs, sizeof xs, "%.1f", x);
        std::snprintf(ys, sizeof ys, "%.0f", y);
        o << "<text x=\"" << px(x) << "\" y=\"" << h - bottom + 16 << "\" text-anchor=\"middle\">" << xs
          << "</text>\n<text x=\"" << left - 6 << "\" y=\"" << py(y) + 4 << "\" text-anchor=\"end\">" << ys
          << "</text>\n<line x1=\"" << left << "\" y1=\"" << py(y) << "\" x2=\"" << w - right << "\" y2=\"" << py(y)
          << "\" stroke=\"#eee\"/>\n";
    }
    o << "<text x=\"" << w / 2 << "\" y=\"" << h - 12 << "\" text-anchor=\"middle\">time (s)</text>\n"
      << "<text transform=\"translate(18," << h / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << y_label
      << "</text>\n";
    double legend_y = top + 10;
    for (const auto& s : all) {
        o << "<polyline fill=\"none\" stroke=\"" << s.colour << "\" stroke-width=\"1.5\" points=\"";
        for (const auto& [x, y] : s.points) o << px(x) << ',' << py(y) << ' ';
        o << "\"/>\n<text x=\"" << w - right - 150 << "\" y=\"" << legend_y << "\" fill=\"" << s.colour << "\">"
          << s.name << "</text>\n";
        legend_y += 16;
    }
    o << "</svg>\n";
    return o.str();
}

// cwnd and ssthresh in segments, as steps (the value holds until the next event).
std::vector<series> window_series(const std::vector<trace_record>& trace, double mss) {
    series cwnd{"cwnd (segments)", "#1f77b4", {}}, ssthresh{"ssthresh (segments)", "#d62728", {}};
    for (const auto& r : trace) {
        const double t = seconds(r.at);
        if (!cwnd.points.empty()) cwnd.points.emplace_back(t, cwnd.points.back().second);
        cwnd.points.emplace_back(t, r.cwnd / mss);
        if (r.ssthresh != 0xFFFFFFFF) {
            if (!ssthresh.points.empty()) ssthresh.points.emplace_back(t, ssthresh.points.back().second);
            ssthresh.points.emplace_back(t, r.ssthresh / mss);
        }
    }
    return {cwnd, ssthresh};
}

bool write(const std::optional<std::filesystem::path>& dir, const std::string& name, const std::string& title,
           const std::string& y_label, const std::vector<series>& s, const std::vector<trace_record>& trace) {
    if (!dir) return true;
    std::ofstream(*dir / (name + ".svg")) << svg(title, y_label, s);
    std::ofstream csv(*dir / (name + ".csv"));
    congestion::write_csv(csv, trace);
    std::cout << "wrote " << (*dir / (name + ".svg")).string() << " and .csv (" << trace.size() << " events)\n";
    return static_cast<bool>(csv);
}

bool check(bool ok, const char* what) {
    if (!ok) std::cerr << "cwnd_plot: the figure does not show " << what << '\n';
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::filesystem::path> dir;
    if (argc > 1) {
        dir = argv[1];
        std::filesystem::create_directories(*dir);
    }
    constexpr double mss = 1448;  // 1500 - 40 - 12 (timestamps)
    bool ok = true;

    // The course's path: 4 Mbit/s, RTT 50 ms (17 segments), 15 packets of queue.
    const path course{4'000'000, 25ms, 15};
    const auto tahoe = run<congestion::tahoe>(course, 12s);
    ok &= check(std::any_of(tahoe.begin(), tahoe.end(),
                            [](const auto& r) {
                                return r.event == congestion::trace_event::enter_recovery && r.cwnd <= 1460;
                            }),
                "Tahoe falling to 1 MSS");
    ok &= write(dir, "tahoe", "Tahoe: every loss, 1 MSS and slow start (4 Mbit/s, RTT 50 ms, 15-packet queue)",
                "segments", window_series(tahoe, mss), tahoe);

    const auto reno = run<congestion::reno>(course, 12s);
    std::size_t halvings = 0;  // ssthresh = FlightSize / 2, cwnd = ssthresh + 3 SMSS (RFC 5681 §3.2)
    for (const auto& r : reno)
        if (r.event == congestion::trace_event::enter_recovery && r.ssthresh == r.bytes_in_flight / 2 &&
            r.cwnd == r.ssthresh + 3 * 1448)
            ++halvings;
    ok &= check(halvings >= 3, "Reno's fast recovery");
    ok &= write(dir, "reno", "Reno: fast recovery on three duplicate ACKs, W/2 to W (same path)", "segments",
                window_series(reno, mss), reno);

    // A longer RTT so CUBIC's curve shows: 2 Mbit/s, RTT 100 ms, 20 packets of queue.
    const auto cubic = run<congestion::cubic>({2'000'000, 50ms, 20}, 20s);
    std::size_t reductions = 0;
    for (const auto& r : cubic)
        if (r.event == congestion::trace_event::enter_recovery && r.ssthresh >= 0.65 * r.bytes_in_flight &&
            r.ssthresh <= 0.75 * r.bytes_in_flight)
            ++reductions;
    ok &= check(reductions >= 2, "CUBIC's reductions to 0.7 W");
    ok &= write(dir, "cubic", "CUBIC: 0.7 W_max after a loss, concave then convex (2 Mbit/s, RTT 100 ms)", "segments",
                window_series(cubic, mss), cubic);

    // BBR: 10 Mbit/s, RTT 20 ms, long enough for probe_rtt at 10 s.
    const auto bbr = run<congestion::bbr>({10'000'000, 10ms, 100}, 12s);
    series rate{"pacing rate (Mbit/s)", "#2ca02c", {}}, cwnd{"cwnd (segments)", "#1f77b4", {}};
    std::vector<std::string_view> states;
    for (const auto& r : bbr) {
        if (r.pacing_rate) rate.points.emplace_back(seconds(r.at), std::min(*r.pacing_rate * 8 / 1e6, 40.0));
        cwnd.points.emplace_back(seconds(r.at), r.cwnd / mss);
        if (states.empty() || states.back() != r.state) states.push_back(r.state);
    }
    // Paced, drain may end on the ACK that starts it (the flight is already
    // below one BDP), and the trace then goes from startup to probe_bw.
    const std::size_t after_drain = states.size() > 1 && states[1] == "drain" ? 2 : 1;
    ok &= check(states.size() > after_drain + 1 && states[0] == "startup" && states[after_drain] == "probe_bw" &&
                    std::find(states.begin(), states.end(), "probe_rtt") != states.end(),
                "BBR's startup, probe_bw and probe_rtt");
    ok &= write(dir, "bbr", "BBR: startup, drain, the probe_bw gain cycle, probe_rtt at 10 s (10 Mbit/s, RTT 20 ms)",
                "Mbit/s, segments", {rate, cwnd}, bbr);
    return ok ? 0 : 1;
}
