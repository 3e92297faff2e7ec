// A decorator that records every frame crossing a link, both ways, to a
// pcap file: raw-IP link type, nanosecond timestamps from the `now` the
// caller passes, so inside the simulator the capture is in virtual time.
//
//     std::ofstream file{"trace.pcap", std::ios::binary};
//     l4::link::pcap_tap tap{std::move(inner_link), file};
//
// Only frames the inner link accepted (transmit) or delivered (receive) are
// written. A failing file does not stop traffic: the first write error is
// kept in capture_status() and later frames are not recorded.
#pragma once

#include <l4/link/concept.hpp>
#include <l4/wire/pcap.hpp>

#include <ostream>
#include <utility>

namespace l4::link {

template <link Inner>
class pcap_tap {
public:
    pcap_tap(Inner inner, std::ostream& out)
        : inner_{std::move(inner)}, writer_{out, wire::pcap::link_type::raw, wire::pcap::precision::nano} {}

    [[nodiscard]] io_result<void> transmit(bytes frame, instant now) {
        auto r = inner_.transmit(frame, now);
        if (r) record(frame, now);
        return r;
    }

    [[nodiscard]] io_result<std::size_t> receive(mut_bytes buffer, instant now) {
        auto n = inner_.receive(buffer, now);
        if (n) record(buffer.first(*n), now);
        return n;
    }

    [[nodiscard]] std::size_t mtu() const { return inner_.mtu(); }
    [[nodiscard]] std::optional<instant> next_deadline() const { return inner_.next_deadline(); }
    [[nodiscard]] int poll_fd() const { return inner_.poll_fd(); }
    [[nodiscard]] bool writable() const { return link::writable(inner_); }

    [[nodiscard]] errc capture_status() const noexcept { return writer_.status(); }
    [[nodiscard]] io_result<void> flush() noexcept { return writer_.flush(); }

    [[nodiscard]] Inner& inner() noexcept { return inner_; }
    [[nodiscard]] const Inner& inner() const noexcept { return inner_; }

private:
    void record(bytes frame, instant now) noexcept {
        if (writer_.status() == errc::ok) (void)writer_.write(to_ns(now), frame);
    }

    Inner inner_;
    wire::pcap::writer writer_;
};

}  // namespace l4::link
