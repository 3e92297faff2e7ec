// A SYN flood against an l4kit listener on the simulator, with SYN cookies
// and without (syn_flood.hpp tells the setting): spoofed SYNs at 100,000 a
// second of virtual time from 198.51.100.0/24 and 203.0.113.0/24, while a
// legitimate client connects every 10 ms and exchanges a few bytes.
//
//   syn_flood [--full] [--syns N] [--seed S]
//
// Prints, for cookies on and off, how many of the client's connections
// succeeded, the listener's counters, and how many spoofed SYNs the run
// handled per second of wall-clock time (the client's traffic included).
// The default is 100,000 SYNs (1 s of virtual time); --full sends the
// 1,000,000 of tests/security/syn_flood.cpp. Exits 1 if, with cookies, a
// legitimate connection failed, or if, without them, none did.
#include "syn_flood.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

void print_counters(const l4::tcp::endpoint_counters& c) {
    std::printf("  listener: syn_cookies_sent %llu, syn_cookies_accepted %llu, syn_cookies_rejected %llu,\n"
                "            half_open_evicted %llu, rx_syn_queue_full %llu, rx_no_connection %llu, tx_resets %llu\n",
                static_cast<unsigned long long>(c.syn_cookies_sent),
                static_cast<unsigned long long>(c.syn_cookies_accepted),
                static_cast<unsigned long long>(c.syn_cookies_rejected),
                static_cast<unsigned long long>(c.half_open_evicted),
                static_cast<unsigned long long>(c.rx_syn_queue_full),
                static_cast<unsigned long long>(c.rx_no_connection), static_cast<unsigned long long>(c.tx_resets));
}

}  // namespace

int main(int argc, char** argv) {
    syn_flood::config cfg;
    cfg.spoofed_syns = 100'000;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg{argv[i]};
        if (arg == "--full") cfg.spoofed_syns = 1'000'000;
        else if (arg == "--syns" && i + 1 < argc) cfg.spoofed_syns = std::strtoull(argv[++i], nullptr, 10);
        else if (arg == "--seed" && i + 1 < argc) cfg.seed = std::strtoull(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: syn_flood [--full] [--syns N] [--seed S]\n");
            return 2;
        }
    }
    if (cfg.spoofed_syns < cfg.syns_per_burst * 20) {
        std::fprintf(stderr, "syn_flood: at least %u SYNs (20 ms of flood, one client connection)\n",
                     cfg.syns_per_burst * 20);
        return 2;
    }
    std::printf("%llu spoofed SYNs, %u every %lld us, at %s:%u (backlog %u); a client connects every %lld ms, "
                "RTT %lld ms\n",
                static_cast<unsigned long long>(cfg.spoofed_syns), cfg.syns_per_burst,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(cfg.burst_interval).count()),
                "192.0.2.2", syn_flood::server_port, cfg.backlog,
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(cfg.connect_every).count()),
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::milliseconds>(2 * cfg.one_way_delay).count()));

    bool ok = true;
    for (const bool cookies : {true, false}) {
        cfg.syn_cookies = cookies;
        const auto r = syn_flood::run(cfg);
        std::printf("\nSYN cookies %s:\n", cookies ? "on" : "off");
        std::printf("  legitimate connections: %llu of %llu succeeded (%llu reset, %llu timed out)\n",
                    static_cast<unsigned long long>(r.legit_succeeded), static_cast<unsigned long long>(r.legit_started),
                    static_cast<unsigned long long>(r.legit_reset), static_cast<unsigned long long>(r.legit_timed_out));
        print_counters(r.listener);
        std::printf("  %llu SYNs in %.3f s wall (%.1f s virtual): %.0f SYNs/s handled\n",
                    static_cast<unsigned long long>(r.syns_injected), r.wall_seconds,
                    std::chrono::duration<double>(r.virtual_time).count(),
                    r.wall_seconds > 0 ? static_cast<double>(r.syns_injected) / r.wall_seconds : 0.0);
        if (!r.finished || r.syns_injected != cfg.spoofed_syns || r.legit_started == 0) {
            std::printf("  the run did not complete\n");
            ok = false;
        } else if (cookies && r.legit_succeeded != r.legit_started) {
            std::printf("  FAILED: with cookies every legitimate connection should succeed\n");
            ok = false;
        } else if (!cookies && r.legit_succeeded == r.legit_started) {
            std::printf("  FAILED: without cookies the flood should have cost legitimate connections\n");
            ok = false;
        }
    }
    return ok ? 0 : 1;
}
