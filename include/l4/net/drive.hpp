// Blocking conveniences over the non-blocking stack: drive it until a
// condition holds or a deadline passes.
//
// In virtual time the driver jumps the clock from one link deadline to the
// next, so a simulated second takes microseconds; in real time it sleeps in
// poll(2) on the link's file descriptor, for readability, and for
// writability while the stack holds frames the link refused. Either way the
// wait is bounded by the deadline.
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>

#if defined(__unix__)
#include <poll.h>
#endif

namespace l4::net {

template <class C>
concept steerable_clock = clock<C> && requires(C& c, instant t) { c.advance_to(t); };

// Polls `s` until `ready()` or `deadline`. Errors: timed_out.
template <class Stack, clock Clock, class Ready>
[[nodiscard]] io_result<void> drive_until(Stack& s, Clock& clk, instant deadline, Ready&& ready) {
    // Each round either makes progress or moves time forward; the bound only
    // guards against a link whose deadline never advances.
    for (std::uint64_t round = 0; round < 100'000'000u; ++round) {
        s.poll(clk.now());
        if (ready()) return {};
        if (clk.now() >= deadline) return errc::timed_out;
        if constexpr (steerable_clock<Clock>) {
            const auto next = s.next_deadline();
            clk.advance_to(next && *next < deadline ? std::max(*next, clk.now() + duration{1}) : deadline);
        } else {
#if defined(__unix__)
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clk.now());
            int timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1000));
            if (const auto next = s.next_deadline()) {
                const auto until = std::chrono::ceil<std::chrono::milliseconds>(*next - clk.now());
                timeout = std::min(timeout, static_cast<int>(std::max<std::int64_t>(until.count(), 0)));
            }
            const short events = static_cast<short>(POLLIN | (s.wants_writable() ? POLLOUT : 0));
            if (pollfd p{s.poll_fd(), events, 0}; p.fd >= 0) (void)::poll(&p, 1, timeout);
            else if (!s.next_deadline()) return errc::timed_out;  // nothing could ever arrive
#else
            if (!s.next_deadline()) return errc::timed_out;
#endif
        }
    }
    return errc::timed_out;
}

// Several hosts that share one network in virtual time (the simulator, a
// memory pair): polls every one of them until `ready()` or `deadline`. While
// frames move, time stands still (a frame one host sent may be due at
// another now); when nothing moves, time jumps to the earliest deadline of
// all. Errors: timed_out, also when nothing is left that could ever happen.
template <steerable_clock Clock, class Ready, class... Stacks>
[[nodiscard]] io_result<void> drive_all_until(Clock& clk, instant deadline, Ready&& ready, Stacks&... stacks) {
    for (std::uint64_t round = 0; round < 100'000'000u; ++round) {
        const std::size_t moved = (stacks.poll(clk.now()) + ...);
        if (ready()) return {};
        if (clk.now() >= deadline) return errc::timed_out;
        if (moved > 0) continue;
        std::optional<instant> next;
        const auto take = [&](std::optional<instant> d) {
            if (d && (!next || *d < *next)) next = d;
        };
        (take(stacks.next_deadline()), ...);
        if (!next) return errc::timed_out;
        clk.advance_to(std::min(std::max(*next, clk.now() + duration{1}), deadline));
    }
    return errc::timed_out;
}

// recvfrom that waits: drives the stack until a datagram is queued on `sock`.
template <class Stack, clock Clock>
[[nodiscard]] auto recvfrom_until(Stack& s, Clock& clk, typename Stack::socket_id sock, mut_bytes buffer,
                                  instant deadline) -> io_result<typename Stack::received> {
    if (auto r = drive_until(s, clk, deadline, [&] { return s.readable(sock); }); !r) return r.error();
    return s.recvfrom(sock, buffer);
}

}  // namespace l4::net
