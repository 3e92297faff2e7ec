// One l4kit host on virtual time, as packetdrill sees it through the
// adapter: the script's packets go in through a link of our own, what the
// stack transmits waits with its virtual timestamp until packetdrill sniffs
// it, and the clock moves only when packetdrill reads it or sleeps.
//
// Threads: packetdrill calls in from its main thread and, for the calls a
// script marks as blocking, from a second one. One mutex guards everything;
// a blocking call waits on a condition variable that every change of the
// stack signals. A blocked call that was signalled runs before time moves
// on or a sniff looks at the output (quiesce()), so what it does happens at
// the instant that woke it, as in a kernel.
#pragma once

#include <l4/congestion/cubic.hpp>
#include <l4/flow/selective_repeat.hpp>
#include <l4/link/concept.hpp>
#include <l4/net/stack.hpp>
#include <l4/tcp/endpoint.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l4::conformance {

using namespace std::chrono_literals;

// --so_flags: comma-separated key=value pairs.
//   local=<address>        the host's address (also given to packetdrill as --local_ip)
//   mtu=<bytes>            the link MTU (1500)
//   profile=rfc|linux_like rfc: l4kit's defaults; linux_like: the choices
//                          the RFCs leave open set as Linux sets them
//   sndbuf=, rcvbuf=       buffer sizes, bytes
//   delack_ms=, min_rto_ms=, iw=<segments>
//   wscale=, sack=, ts=    0 or 1: offer the option on SYNs
struct settings {
    std::vector<net::ip_address> addresses;
    std::size_t mtu = 1500;
    tcp::endpoint_config tcp{};
    std::optional<int> window_scale, sack, timestamps;
    std::string error;  // a flag we could not read

    static settings parse(std::string_view flags) {
        settings s;
        bool iw_set = false;
        std::uint32_t iw_segments = 0;
        while (!flags.empty()) {
            const auto comma = flags.find(',');
            const std::string_view item = flags.substr(0, comma);
            flags = comma == std::string_view::npos ? std::string_view{} : flags.substr(comma + 1);
            if (item.empty()) continue;
            const auto eq = item.find('=');
            const std::string_view key = item.substr(0, eq);
            const std::string value{eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1)};
            const long n = std::strtol(value.c_str(), nullptr, 10);
            auto& c = s.tcp.connection;
            if (key == "local") {
                if (auto a = net::ip_address::from_string(value)) s.addresses.push_back(*a);
                else s.error = "bad address " + value;
            } else if (key == "mtu") {
                s.mtu = static_cast<std::size_t>(n);
            } else if (key == "profile") {
                if (value == "linux_like") {
                    c.delayed_ack = 40ms;             // Linux's TCP_DELACK_MIN
                    c.rto.min = 200ms;                // Linux's TCP_RTO_MIN
                    c.quick_acks = 16;                // Linux's TCP_MAX_QUICKACKS
                    c.push_per_write = true;          // Linux's tcp_push and forced_push
                    c.push_per_skb = true;            // and each skb its TSO size goal cuts
                    c.tail_loss_probe = true;         // Linux's RACK-TLP probe (RFC 8985 §7)
                    c.fin_with_data = true;           // Linux's tcp_send_fin: on the last queued segment
                    c.rack = true;                    // Linux's RACK loss detection (RFC 8985 §6)
                    c.prr = true;                     // Linux's tcp_cwnd_reduction (RFC 6937)
                    c.resend_whole_segment = true;    // Linux resends a queued skb whole
                    // The initial window stays RFC 6928's (l4kit's default): 10 segments of
                    // the MSS in use, as Linux's TCP_INIT_CWND (which counts segments).
                    // The largest receive buffer packetdrill's defaults.sh gives
                    // Linux (tcp_rmem): the window scale follows from it (8).
                    c.receive_buffer = 15 * 1024 * 1024;
                } else if (value != "rfc") {
                    s.error = "unknown profile " + value;
                }
            } else if (key == "sndbuf") {
                c.send_buffer = static_cast<std::uint32_t>(n);
            } else if (key == "rcvbuf") {
                c.receive_buffer = static_cast<std::uint32_t>(n);
            } else if (key == "delack_ms") {
                c.delayed_ack = std::chrono::milliseconds{n};
            } else if (key == "min_rto_ms") {
                c.rto.min = std::chrono::milliseconds{n};
            } else if (key == "iw") {
                iw_set = true, iw_segments = static_cast<std::uint32_t>(n);
            } else if (key == "wscale") {
                s.window_scale = static_cast<int>(n);
            } else if (key == "sack") {
                s.sack = static_cast<int>(n);
            } else if (key == "ts") {
                s.timestamps = static_cast<int>(n);
            } else {
                s.error = "unknown flag " + std::string{key};
            }
        }
        if (iw_set) {
            const std::size_t mss = s.mtu > 40 ? s.mtu - 40 : 536;
            s.tcp.connection.initial_window = static_cast<std::uint32_t>(iw_segments * mss);
        }
        if (s.addresses.empty()) s.error = "no local= address";
        // The MSS the MTU gives (RFC 9293 §3.7.1); the link itself takes
        // larger datagrams, as a kernel takes what GRO merged.
        else s.tcp.mss = static_cast<std::uint16_t>(s.mtu - (s.addresses.front().is_v4() ? 40 : 60));
        return s;
    }
};

// The link between packetdrill and the stack: datagrams the script injects
// wait in `in`, datagrams the stack transmits wait in `out` with the
// virtual instant they left.
class script_link {
public:
    struct sent {
        instant when;
        std::vector<std::uint8_t> frame;
    };

    explicit script_link(std::size_t mtu) : mtu_{mtu} {}

    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) {
        if (frame.size() > mtu_) return errc::frame_too_large;
        out.push_back({now, {frame.begin(), frame.end()}});
        return {};
    }
    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant) {
        if (in.empty()) return errc::would_block;
        auto& f = in.front();
        if (f.size() > buffer.size()) return errc::buffer_too_small;
        std::copy(f.begin(), f.end(), buffer.begin());
        const std::size_t n = f.size();
        in.pop_front();
        return n;
    }
    [[nodiscard]] std::size_t mtu() const noexcept { return mtu_; }
    [[nodiscard]] std::optional<instant> next_deadline() const noexcept { return std::nullopt; }
    [[nodiscard]] int poll_fd() const noexcept { return -1; }

    std::deque<std::vector<std::uint8_t>> in;
    std::deque<sent> out;

private:
    std::size_t mtu_;
};

static_assert(link::check_link<script_link>());

// The composition packetdrill's scripts were written against: Linux
// recovers with SACK as RFC 6675 does (selective repeat: only the holes the
// scoreboard deems lost are resent) and grows its window with CUBIC
// (RFC 9438), whose beta of 0.7 the scripts' recovery expectations follow.
// With Reno's halving prr-ss-30pkt-lost1_4 fails; no script passes with
// the sliding window or Reno that fails with this.
using tcp_t = tcp::endpoint<use<flow::selective_repeat>, use<congestion::cubic>>;
using host_stack = net::stack<script_link, tcp_t>;

class harness {
public:
    explicit harness(const settings& s)
        : settings_{s},
          stack_{script_link{65535}, net::stack_config{.addresses = s.addresses, .secret = {0x6c, 0x34}},
                 tcp_t{s.tcp}} {}

    host_stack& stack() noexcept { return stack_; }
    const settings& config() const noexcept { return settings_; }
    [[nodiscard]] instant now() const noexcept { return now_; }
    // gettimeofday's answer: an arbitrary epoch, so that scripts see a plausible date.
    [[nodiscard]] long long now_usecs() const noexcept {
        return epoch_usecs + std::chrono::duration_cast<std::chrono::microseconds>(now_.time_since_epoch()).count();
    }
    static constexpr long long epoch_usecs = 1'700'000'000'000'000LL;

    // After every call that may have changed the stack: let it transmit
    // what is due now, and wake a blocked call.
    void settle() {
        stack_.poll(now_);
        signal_blocked();
    }

    // Moves the clock to `t`, firing every deadline at its own instant.
    void advance_to(instant t, std::unique_lock<std::mutex>& lk) {
        quiesce(lk);
        for (int same_instant = 0; same_instant < 1000;) {
            const auto d = stack_.next_deadline();
            if (!d || *d > t) break;
            if (*d > now_) {
                now_ = *d;
                same_instant = 0;
            } else {
                ++same_instant;  // a deadline already due: guard against one that never clears
            }
            settle();
            quiesce(lk);
        }
        if (t > now_) now_ = t;
        settle();
        quiesce(lk);
    }

    // The next datagram the stack sent, moving time to the stack's next
    // deadline while there is none. nullopt when nothing is left that
    // could ever send one (or nothing within an hour of virtual time).
    std::optional<script_link::sent> next_sent(std::unique_lock<std::mutex>& lk) {
        const instant give_up = now_ + std::chrono::hours{1};
        quiesce(lk);
        while (true) {
            auto& out = stack_.link().out;
            if (!out.empty()) {
                auto s = std::move(out.front());
                out.pop_front();
                return s;
            }
            const auto d = stack_.next_deadline();
            if (!d || *d > give_up) return std::nullopt;
            advance_to(std::max(*d, now_), lk);
        }
    }

    void inject(bytes frame) {
        stack_.link().in.emplace_back(frame.begin(), frame.end());
        settle();
    }

    // Runs `attempt` (under the lock) until it says done, waiting between
    // tries until the stack changed. `attempt` returns true when done.
    // False when nothing changed for `stall` of real time: the call was
    // made on packetdrill's main thread (the script did not expect it to
    // block), so nothing else can ever move the stack; the caller fails it
    // with EAGAIN and says so, and packetdrill reports the script failed.
    template <class Attempt>
    [[nodiscard]] bool block(std::unique_lock<std::mutex>& lk, Attempt&& attempt) {
        constexpr auto stall = std::chrono::seconds{5};
        while (true) {
            const bool done = attempt();
            if (signalled_) {
                signalled_ = false;
                progress_.notify_all();
            }
            if (done) return true;
            blocked_ = true;
            const bool woke = changed_.wait_for(lk, stall, [&] { return signalled_; });
            blocked_ = false;
            if (!woke) {
                std::fprintf(stderr, "l4kit-adapter: a call blocked %llds of real time with nothing moving "
                             "(the script did not expect it to block)\n", static_cast<long long>(stall.count()));
                return false;
            }
        }
    }

    std::mutex mutex;

private:
    void signal_blocked() {
        if (blocked_ && !signalled_) {
            signalled_ = true;
            changed_.notify_all();
        }
    }
    // Lets a signalled blocked call take its turn before anything else moves.
    void quiesce(std::unique_lock<std::mutex>& lk) {
        progress_.wait_for(lk, std::chrono::seconds{2}, [&] { return !signalled_; });
    }

    settings settings_;
    host_stack stack_;
    instant now_{};
    bool blocked_ = false, signalled_ = false;
    std::condition_variable changed_, progress_;
};

}  // namespace l4::conformance
