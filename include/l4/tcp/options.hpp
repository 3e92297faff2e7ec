// The options a connection negotiates on its SYN and SYN-ACK (window scale,
// SACK-permitted, timestamps) and the per-connection state they bring:
// the two shift counts, TS.Recent and Last.ACK.sent. An option is in use
// only when both SYNs carried it.
//
// Reading list: RFC 7323 §2 (window scale), §3-5 (timestamps, RTTM, PAWS),
// RFC 2018 §2 (SACK-permitted) and §4 (which blocks to send), RFC 9293
// §3.7.1 (the effective MSS).
#pragma once

#include <l4/core/seq32.hpp>
#include <l4/core/time.hpp>
#include <l4/wire/tcp_options.hpp>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <optional>

namespace l4::tcp {

// What our SYN offers.
struct option_offer {
    bool window_scale = true;
    bool sack = true;
    bool timestamps = true;
};

// RFC 7323 §2.3: the shift is at most 14.
inline constexpr std::uint8_t max_window_shift = 14;

// The smallest shift that lets the 16-bit window field cover `buffer` bytes.
[[nodiscard]] constexpr std::uint8_t window_shift_for(std::uint32_t buffer) noexcept {
    std::uint8_t shift = 0;
    while (shift < max_window_shift && (buffer >> shift) > 0xFFFF) ++shift;
    return shift;
}

// The offset of a connection's TSval clock from its ISN, itself keyed: the
// peer learns nothing of our uptime (RFC 7323 §7.1).
[[nodiscard]] constexpr std::uint32_t ts_offset_for(seq32 iss) noexcept {
    return std::rotl(iss.raw(), 13) ^ 0x5bd1e995u;
}

class negotiated_options {
public:
    negotiated_options() = default;
    // `ts_offset` hides our uptime from the peer (RFC 7323 §5.4 and §7.1).
    negotiated_options(option_offer offer, std::uint32_t receive_buffer, std::uint32_t ts_offset) noexcept
        : offer_{offer}, rcv_wscale_offered_{window_shift_for(receive_buffer)}, ts_offset_{ts_offset} {}

    // The options of our SYN (active open) or SYN-ACK (passive, after
    // on_peer_syn): on a SYN-ACK only what the peer offered (RFC 7323 §2.2,
    // §3.2; RFC 2018 §2).
    [[nodiscard]] wire::tcp_options syn_options(std::uint16_t mss, bool syn_ack, instant now) const noexcept {
        wire::tcp_options o;
        o.mss = mss;
        if (syn_ack ? ws_ : offer_.window_scale) o.window_scale = rcv_wscale_offered_;
        if (syn_ack ? sack_ : offer_.sack) o.sack_permitted = true;
        if (syn_ack ? ts_ : offer_.timestamps) o.ts = wire::timestamps{tsval(now), syn_ack ? ts_recent_ : 0};
        return o;
    }

    // The peer's SYN or SYN-ACK: what it offered, and so what is in use.
    void on_peer_syn(const wire::tcp_options& o) noexcept {
        ws_ = offer_.window_scale && o.window_scale.has_value();
        sack_ = offer_.sack && o.sack_permitted;
        ts_ = offer_.timestamps && o.ts.has_value();
        rcv_wscale_ = ws_ ? rcv_wscale_offered_ : 0;
        snd_wscale_ = ws_ ? std::min(*o.window_scale, max_window_shift) : 0;
        if (timestamps()) ts_recent_ = o.ts->tsval;
    }

    [[nodiscard]] bool window_scaling() const noexcept { return ws_; }
    [[nodiscard]] bool sack() const noexcept { return sack_; }
    [[nodiscard]] bool timestamps() const noexcept { return ts_; }
    // Rcv.Wind.Shift: ours, applied to the windows we send.
    [[nodiscard]] std::uint8_t rcv_wscale() const noexcept { return rcv_wscale_; }
    // Snd.Wind.Shift: the peer's, applied to the windows it sends us.
    [[nodiscard]] std::uint8_t snd_wscale() const noexcept { return snd_wscale_; }

    // Bytes of options on every segment after the handshake (RFC 9293
    // §3.7.1: the effective MSS is the MSS less these).
    [[nodiscard]] std::uint32_t fixed_options_len() const noexcept { return timestamps() ? 12 : 0; }
    // SACK blocks that fit beside the fixed options (RFC 2018 §3).
    [[nodiscard]] std::size_t max_sack_blocks() const noexcept { return timestamps() ? 3 : 4; }

    // --- timestamps (RFC 7323 §3-5) -----------------------------------------

    // TSval: a 1 ms clock (§5.4 allows 1 ms to 1 s per tick).
    [[nodiscard]] std::uint32_t tsval(instant now) const noexcept {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
        return static_cast<std::uint32_t>(ms) + ts_offset_;
    }
    [[nodiscard]] std::optional<wire::timestamps> segment_timestamps(instant now) const noexcept {
        if (!timestamps()) return std::nullopt;
        return wire::timestamps{tsval(now), ts_recent_};
    }

    // What §5.3 R1 and §4.3 R3 ask of a segment's TSval, asked once for both:
    // whether it is older than TS.Recent (R1 and R3 run back to back, and
    // nothing between them moves TS.Recent). `none`: timestamps are not in
    // use, or the segment carries none.
    enum class ts_age : std::uint8_t { none, older, fresh };
    [[nodiscard]] ts_age age(const std::optional<wire::timestamps>& ts) const noexcept {
        if (!timestamps() || !ts) return ts_age::none;
        return static_cast<std::int32_t>(ts->tsval - ts_recent_) < 0 ? ts_age::older : ts_age::fresh;
    }

    // §5.3 R1, PAWS: a segment whose TSval is older than TS.Recent is a
    // duplicate from an earlier wrap of the sequence space. RSTs are exempt.
    [[nodiscard]] bool paws_rejects(const std::optional<wire::timestamps>& ts) const noexcept {
        return age(ts) == ts_age::older;
    }

    // §4.3: TS.Recent follows the segment that the left edge of the
    // window has reached, so delayed ACKs echo the earliest TSval.
    void on_acceptable_segment(const std::optional<wire::timestamps>& ts, seq32 seq) noexcept {
        on_acceptable_segment(age(ts), ts, seq);
    }
    // The same with the segment's age already known.
    void on_acceptable_segment(ts_age a, const std::optional<wire::timestamps>& ts, seq32 seq) noexcept {
        if (a == ts_age::fresh && seq <= last_ack_sent_) ts_recent_ = ts->tsval;
    }
    void on_ack_sent(seq32 ack) noexcept { last_ack_sent_ = ack; }
    [[nodiscard]] seq32 last_ack_sent() const noexcept { return last_ack_sent_; }

    // §4.1 RTTM: the echo of one of our TSvals on an ACK of new data is an
    // RTT sample, retransmissions or not.
    [[nodiscard]] std::optional<duration> rtt_sample(const std::optional<wire::timestamps>& ts,
                                                     instant now) const noexcept {
        if (!timestamps() || !ts || ts->tsecr == 0) return std::nullopt;
        const auto ticks = static_cast<std::int32_t>(tsval(now) - ts->tsecr);
        if (ticks < 0) return std::nullopt;  // an echo from the future: not ours
        return std::chrono::milliseconds{ticks};
    }

    [[nodiscard]] std::uint32_t ts_recent() const noexcept { return ts_recent_; }

private:
    option_offer offer_{};
    std::uint8_t rcv_wscale_offered_ = 0;
    // What is in use (offered by both SYNs) and its shifts, settled once in
    // on_peer_syn: every segment each way asks, several times.
    bool ws_ = false, sack_ = false, ts_ = false;
    std::uint8_t rcv_wscale_ = 0, snd_wscale_ = 0;
    std::uint32_t ts_offset_ = 0, ts_recent_ = 0;
    seq32 last_ack_sent_;
};

}  // namespace l4::tcp
