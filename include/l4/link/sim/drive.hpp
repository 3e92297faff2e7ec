// Driving hosts on the simulated network: each host is polled when it has
// something to do, not at every event of the network.
//
// net::drive_all_until (net/drive.hpp) polls every host at every instant
// anything happens anywhere: a port's next_deadline() is the network's next
// event, since a frame for it may depend on any of them. On a path of a few
// channels that is every arrival at every hop, and a poll of every host at
// each.
// This driver runs the network itself between wake-ups instead
// (network::run_until_arrival) and polls a host only when it is due: a
// frame reached its port, one of its timers or its transports' deadlines
// came (a read that opened a window is due at once), or it keeps frames
// its link refused (then, as before, at every event: the channel that
// refused it schedules one for the instant it has room).
//
//     sim::network net{{.seed = 1}};
//     auto [pa, pb, ab, ba] = sim::point_to_point(net, {...}, {...});
//     net::stack a{pa, {...}}, b{pb, {...}};
//     virtual_clock clock;
//     auto r = sim::drive_all_until(net, clock, clock.now() + 10s, [&] { return b.readable(s); }, a, b);
//
// Same outcome as net::drive_all_until: the network runs the same events in
// the same order, and a host is polled at every instant it was polled
// there at which a poll does anything (a host polled with nothing due does
// nothing: the stack's law). After a round in which a host received frames
// comes another at the same instant if it would poll a host (there, always).
// `ready()` is asked after every round, so it sees each instant at which a
// host moved, but not the network's events in between. Every stack's link
// must be a port of `net` (a sim::port, or a decorator around one: then pass
// the network all the same).
#pragma once

#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/link/sim/network.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace l4::link::sim {

namespace detail {

// Instants as plain values, `never` for none: a std::optional<instant>
// returned in two registers and read back from memory as one 16-byte
// load stalls store forwarding, several times a round.
inline constexpr instant never = instant::max();
[[nodiscard]] constexpr instant value_or_never(std::optional<instant> t) noexcept { return t ? *t : never; }

// Whether a host is to be polled at `now`. `own` is the host's deadline
// as due_at() left it at the end of the last round (instant::min() before
// the first, which polls every host). Only the network ran since (the
// driver's loop), and the network changes nothing of a host but its link's
// arrivals, which only come sooner: the earlier of `own` and
// the link's deadline is the host's deadline now, without asking its
// timers and transports again. Inline: many hosts asked are not due (half
// of them in a one-flow bulk transfer), and then asking costs no call.
template <class Stack>
[[nodiscard]] bool due(const Stack& s, instant own, instant now) {
    // A host with refused frames is due at every event (the time moved to
    // one), as under net::drive_all_until.
    // `own` first: a comparison, where the link's deadline is an optional.
    if (s.wants_writable() || own <= now) return true;
    const auto arrival = s.link().next_deadline();
    return arrival && *arrival <= now;
}

// Out of line, as due_at() below, so that hosts of one type share one copy
// of the poll and of the deadline: inlined at each host, the per-segment
// path took twice its room in the instruction cache.
template <class Stack>
[[gnu::hot]] [[gnu::noinline]] std::size_t poll(Stack& s, instant now) {
    return s.poll(now);
}

// A host's own next instant: its deadlines and arrivals.
template <class Stack>
[[gnu::hot]] [[nodiscard, gnu::noinline]] instant due_at(const Stack& s) {
    if constexpr (requires { s.next_deadline_or(never); }) return s.next_deadline_or(never);
    else return value_or_never(s.next_deadline());
}

}  // namespace detail

// Polls the hosts `stacks` on `net` until `ready()` or `deadline`. Errors:
// timed_out, also when nothing is left that could ever happen.
template <class Clock, class Ready, class... Stacks>
[[gnu::hot, gnu::noinline]] [[nodiscard]] io_result<void> drive_all_until(network& net, Clock& clk, instant deadline, Ready&& ready,
                                              Stacks&... stacks) {
    // Ports report their own arrivals only, for as long as this runs.
    struct mode_guard {
        network& n;
        network::port_deadlines was;
        ~mode_guard() { n.set_port_deadlines(was); }
    } guard{net, net.port_deadline_mode()};
    net.set_port_deadlines(network::port_deadlines::own_arrivals);

    using detail::never;
    // Each host's deadline, as the last round left it; the first round
    // polls every host (the caller may have changed anything).
    std::array<instant, sizeof...(Stacks)> own;
    own.fill(instant::min());
    for (std::uint64_t round = 0; round < 100'000'000u; ++round) {
        const instant now = clk.now();
        std::size_t moved = 0;
        std::size_t i = 0;
        ((moved += detail::due(stacks, own[i++], now) ? detail::poll(stacks, now) : 0), ...);  // in the order given
        if (ready()) return {};
        if (now >= deadline) return errc::timed_out;
        // Asked after ready(), which may have written or read on any host.
        i = 0;
        ((own[i++] = detail::due_at(stacks)), ...);
        // A host keeping refused frames waits for the network's next event too.
        const bool refused = (stacks.wants_writable() || ...);
        const instant next = std::min(*std::min_element(own.begin(), own.end()),
                                      refused ? detail::value_or_never(net.next_deadline()) : never);
        // After a round that moved frames, another at this instant, where
        // it would poll a host: one due by now (a frame crossed a
        // transparent hop to it, ready() wrote or read) or one with refused
        // frames. A round that would poll nobody is skipped: ready(), asked
        // just now, has nothing new to see.
        if (moved > 0 && (next <= now || refused)) continue;
        if (next == never && !net.next_deadline()) return errc::timed_out;
        // As net::drive_all_until: time moves at least a nanosecond, never
        // past the deadline; a frame arriving earlier wakes its host sooner;
        // a network that runs dry with no host waiting stops time at its
        // last event, where that driver gives up too (after one more round).
        const instant limit = next != never ? std::min(std::max(next, now + duration{1}), deadline) : deadline;
        instant to = limit;
        if (const auto arrival = net.run_until_arrival(limit)) to = *arrival;
        else if (next == never && !net.next_deadline()) to = net.now();
        clk.advance_to(std::max(to, now + duration{1}));
    }
    return errc::timed_out;
}

}  // namespace l4::link::sim
