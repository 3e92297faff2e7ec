// TCP Fast Open, the client's half (RFC 7413): the cookie cache a stack
// keeps per server, and the per-connection state of a SYN that asks for a
// cookie or carries one with data.
//
// How it runs:
//   1. a connection to a server with no cookie cached sends a cookie
//      request (an empty Fast Open option, RFC 7413 §4.1.1) on its SYN;
//   2. the SYN-ACK's cookie, and the MSS it announced, are cached for the
//      (client address, server address) pair (§4.1.3);
//   3. later connections send the cookie on their SYN with data, as much as
//      the cached MSS allows (§4.2);
//   4. a SYN-ACK that acknowledges the SYN only: the data goes again at once
//      (§4.2.2); a SYN with data that times out is sent again as a plain SYN,
//      without data or option, and repeated losses hold Fast Open off for
//      that server for a while (§4.1.3's negative caching, as Linux does).
// The server's half (cookies on SYN-ACKs, data in a SYN accepted before the
// handshake completes) is not here.
#pragma once

#include <l4/core/time.hpp>
#include <l4/wire/address.hpp>
#include <l4/wire/tcp_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace l4::tcp {

// As Linux: room kept in a SYN with data for options middleboxes may add
// (MAX_TCP_OPTION_SPACE), so the data is the cached MSS less 40 bytes.
inline constexpr std::uint32_t fast_open_option_reserve = 40;

// Bytes of data a SYN may carry to a server whose SYN-ACK announced
// `peer_mss`, when ours is `own_mss` (RFC 7413 §4.2: within the MSS).
[[nodiscard]] constexpr std::uint32_t fast_open_syn_room(std::uint32_t own_mss, std::uint32_t peer_mss) noexcept {
    const std::uint32_t mss = std::min(own_mss, peer_mss);
    return mss > fast_open_option_reserve ? mss - fast_open_option_reserve : 0;
}

// What a SYN-ACK (or a SYN's timeout) taught the connection about its
// server, for the cache.
struct fast_open_report {
    std::optional<wire::fast_open_cookie> cookie;  // a new cookie, if the SYN-ACK carried one
    std::uint16_t mss = 0;                         // the SYN-ACK's MSS; 0: no SYN-ACK (a timeout)
    bool syn_lost = false;                         // a SYN with data timed out, or was answered as a plain one
};

// One connection's Fast Open: set up by the endpoint before its SYN leaves.
struct fast_open_client {
    bool enabled = false;   // the first SYN asks for a cookie, or carries one
    bool deferred = false;  // TCP_FASTOPEN_CONNECT: the SYN waits for the first write
    std::optional<wire::fast_open_cookie> cookie;  // the cached one; none: the SYN is a cookie request
    std::uint32_t syn_room = 0;  // data the SYN may carry
    std::uint32_t syn_data = 0;  // data the first SYN carried
    bool syn_retransmitted = false;
    bool syn_data_acked = false;  // the SYN-ACK acknowledged data of the SYN (Linux's TCPI_OPT_SYN_DATA)
    std::optional<fast_open_report> report;  // for the endpoint's cache, taken once
};

// The client's cookie cache (RFC 7413 §4.1.3): one entry per (client,
// server) address pair, at most `capacity` of them, the least recently used
// replaced. A lookup is a linear scan: it runs once per Fast Open connect.
class fast_open_cache {
public:
    // Linux: after two SYN losses in a row, Fast Open rests for 60 s << losses.
    static constexpr std::uint8_t losses_before_rest = 2;
    static constexpr std::chrono::seconds rest_unit{60};

    struct entry {
        wire::ip_address local, server;
        std::optional<wire::fast_open_cookie> cookie;
        std::uint16_t mss = 0;  // the server's, from its last SYN-ACK; 0: not known
        std::uint8_t syn_losses = 0;
        instant last_loss{};
        std::uint64_t used = 0;  // recency, for replacement
    };

    explicit fast_open_cache(std::size_t capacity = 256) : capacity_{std::max<std::size_t>(capacity, 1)} {}

    // The entry for a SYN from `local` to `server` that may carry a cookie:
    // one is known and Fast Open is not resting after losses. A connection
    // without one sends a cookie request.
    [[nodiscard]] const entry* usable(const wire::ip_address& local, const wire::ip_address& server, instant now) {
        entry* e = lookup(local, server);
        if (!e || !e->cookie) return nullptr;
        e->used = ++clock_;
        if (e->syn_losses >= losses_before_rest && now < e->last_loss + rest_unit * (1u << std::min<int>(e->syn_losses, 10)))
            return nullptr;
        return e;
    }

    // What a connection learnt: a new cookie replaces the old one (a SYN-ACK
    // without one keeps it), the MSS is the latest, and losses count up until
    // a SYN-ACK shows none.
    void learn(const wire::ip_address& local, const wire::ip_address& server, const fast_open_report& r, instant now) {
        entry* e = lookup(local, server);
        if (!e) e = &insert(local, server);
        e->used = ++clock_;
        if (r.cookie && !r.cookie->request()) e->cookie = r.cookie;
        if (r.mss) e->mss = r.mss;
        if (r.syn_lost) {
            e->syn_losses = static_cast<std::uint8_t>(std::min(e->syn_losses + 1, 255));
            e->last_loss = now;
        } else if (r.mss) {
            e->syn_losses = 0;
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] const entry* find(const wire::ip_address& local, const wire::ip_address& server) const noexcept {
        return const_cast<fast_open_cache*>(this)->lookup(local, server);
    }

private:
    [[nodiscard]] entry* lookup(const wire::ip_address& local, const wire::ip_address& server) noexcept {
        for (entry& e : entries_)
            if (e.server == server && e.local == local) return &e;
        return nullptr;
    }
    entry& insert(const wire::ip_address& local, const wire::ip_address& server) {
        entry fresh;
        fresh.local = local;
        fresh.server = server;
        if (entries_.size() < capacity_) return entries_.emplace_back(fresh);
        auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                       [](const entry& a, const entry& b) { return a.used < b.used; });
        *oldest = fresh;
        return *oldest;
    }

    std::size_t capacity_;
    std::vector<entry> entries_;
    std::uint64_t clock_ = 0;
};

}  // namespace l4::tcp
