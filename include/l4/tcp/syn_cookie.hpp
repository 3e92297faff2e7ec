// SYN cookies (RFC 4987 §3.6): when a listener's queue of half-open
// connections is full, the SYN-ACK's ISN carries what the listener would
// have remembered, and the handshake's last ACK, echoing ISN + 1, brings
// it back. Nothing is stored per SYN.
//
// The ISN, 32 bits:
//
//     | count (5) | mss index (3) |        MAC (24)                  |
//
//   count   the time in 64 s ticks, mod 32: a cookie is good for the tick
//           it was made in and the next `max_age_ticks` (RFC 4987 §3.6's
//           "time window")
//   mss     the largest entry of `mss_table` not above the peer's MSS
//   MAC     SipHash-2-4 of the 4-tuple, the peer's ISN and the full tick
//           count under the stack's secret, so the key in effect rotates
//           with every tick and a cookie cannot be replayed past its window
//
// When the peer offered timestamps, the low 6 bits of our TSval carry the
// peer's window scale (4 bits; 15: none) and SACK-permitted (1 bit), and
// the ACK's TSecr brings them back; without timestamps a cookie connection
// goes without window scaling and SACK, as Linux's do.
#pragma once

#include <l4/core/keyed_hash.hpp>
#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>
#include <l4/wire/address.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace l4::tcp {

struct syn_cookie_options {
    std::uint16_t mss = 536;
    std::optional<std::uint8_t> window_scale;  // the peer's
    bool sack_permitted = false;
};

class syn_cookies {
public:
    // Common MSS values: IPv4's minimum, IPv6's, tunnels', Ethernet's, jumbo.
    static constexpr std::array<std::uint16_t, 8> mss_table{536, 1220, 1300, 1380, 1440, 1460, 4312, 8960};
    static constexpr std::uint32_t max_age_ticks = 2;  // a cookie lives 64 to 192 s
    static constexpr std::uint32_t ts_bits = 6;

    explicit syn_cookies(const siphash_key& key = {}) noexcept : labelled_{after_label(key)} {}

    [[nodiscard]] static constexpr std::uint64_t tick(instant now) noexcept {
        return static_cast<std::uint64_t>(to_ns(now) / 64'000'000'000);
    }

    // The ISN of the SYN-ACK for a SYN from `remote` with sequence number `peer_isn`.
    [[nodiscard]] seq32 make(const wire::socket_address& local, const wire::socket_address& remote, seq32 peer_isn,
                             std::uint16_t peer_mss, instant now) const noexcept {
        const std::uint64_t t = tick(now);
        std::uint32_t index = 0;
        for (std::uint32_t i = 0; i < mss_table.size(); ++i)
            if (mss_table[i] <= peer_mss) index = i;
        return seq32{(static_cast<std::uint32_t>(t % 32) << 27) | (index << 24) | mac(local, remote, peer_isn, t)};
    }

    // The MSS the cookie in `ack_number` − 1 carries, if it is one we made
    // for this 4-tuple and `seq` − 1 within its time window.
    [[nodiscard]] std::optional<std::uint16_t> check(const wire::socket_address& local,
                                                     const wire::socket_address& remote, seq32 seq,
                                                     seq32 ack_number, instant now) const noexcept {
        const std::uint32_t cookie = (ack_number - 1).raw();
        const seq32 peer_isn = seq - 1;
        const std::uint64_t t_now = tick(now);
        for (std::uint64_t age = 0; age <= max_age_ticks && age <= t_now; ++age) {
            const std::uint64_t t = t_now - age;
            if ((cookie >> 27) != t % 32) continue;
            if ((cookie & 0xFFFFFF) != mac(local, remote, peer_isn, t)) return std::nullopt;
            return mss_table[(cookie >> 24) & 7];
        }
        return std::nullopt;
    }

    // Our TSval for the SYN-ACK: not after `tsval_now`, its low bits the
    // options to remember.
    [[nodiscard]] static constexpr std::uint32_t encode_ts(std::uint32_t tsval_now, const syn_cookie_options& o) noexcept {
        constexpr std::uint32_t mask = (1u << ts_bits) - 1;
        const std::uint32_t bits = (o.window_scale ? std::min<std::uint32_t>(*o.window_scale, 14) : 15u) |
                                   (o.sack_permitted ? 16u : 0u);
        std::uint32_t ts = (tsval_now & ~mask) | bits;
        if (ts > tsval_now) ts -= mask + 1;  // never ahead of the clock the connection will keep
        return ts;
    }
    static constexpr void decode_ts(std::uint32_t tsecr, syn_cookie_options& o) noexcept {
        const std::uint32_t ws = tsecr & 15u;
        if (ws != 15) o.window_scale = static_cast<std::uint8_t>(ws);
        o.sack_permitted = (tsecr & 16u) != 0;
    }

private:
    static constexpr std::string_view label{"l4kit syn cookie"};  // 16 bytes: two whole SipHash words

    // The bytes hash_append writes, gathered so that SipHash takes them a
    // word at a time: fed piece by piece (a family byte, the address, two
    // port bytes) the hasher would take most of them one byte at a time.
    struct gathered {
        std::array<std::uint8_t, 2 * (1 + 16 + 2) + 12> bytes{};  // two IPv6 endpoints, the ISN, the tick
        std::size_t len = 0;
        void update(std::span<const std::uint8_t> d) noexcept {
            for (const std::uint8_t b : d) bytes[len++] = b;
        }
    };

    [[nodiscard]] static siphash24_hasher after_label(const siphash_key& key) noexcept {
        siphash24_hasher h{key};
        h.update({reinterpret_cast<const std::uint8_t*>(label.data()), label.size()});
        return h;
    }

    // SipHash-2-4 of the label, both endpoints as wire::hash_append writes
    // them, the peer's ISN and the tick (little-endian), under the secret.
    [[nodiscard]] std::uint32_t mac(const wire::socket_address& local, const wire::socket_address& remote,
                                    seq32 peer_isn, std::uint64_t t) const noexcept {
        gathered in;
        wire::hash_append(in, local);
        wire::hash_append(in, remote);
        const std::uint32_t isn = peer_isn.raw();
        for (int i = 0; i < 4; ++i) in.bytes[in.len++] = static_cast<std::uint8_t>(isn >> (8 * i));
        for (int i = 0; i < 8; ++i) in.bytes[in.len++] = static_cast<std::uint8_t>(t >> (8 * i));
        siphash24_hasher h = labelled_;  // the label's two words compressed once, at construction
        h.update({in.bytes.data(), in.len});
        return static_cast<std::uint32_t>(h.finish()) & 0xFFFFFF;
    }

    siphash24_hasher labelled_;
};

}  // namespace l4::tcp
