// Proportional Rate Reduction (RFC 6937, revised as RFC 9937): in loss
// recovery, send in proportion to what the receiver says it got, so that
// the window comes down to ssthresh smoothly over one round trip instead of
// all at once (RFC 6675 sends nothing until pipe falls below ssthresh, then
// a burst), and climbs back to it by at most one segment more than was
// delivered when pipe fell below (slow-start reduction bound, PRR-SSRB).
//
// The connection asks on every ACK in recovery how many bytes may go
// (sndcnt) and measures what it sends against pipe + sndcnt; every byte sent
// in recovery, new or resent, counts in prr_out.
#pragma once

#include <algorithm>
#include <cstdint>

namespace l4::tcp {

class prr {
public:
    // RFC 6937 §3: at the start of recovery. recover_fs: the data in flight then (snd.nxt − snd.una).
    void on_enter(std::uint32_t recover_fs) noexcept {
        prr_delivered_ = prr_out_ = 0;
        recover_fs_ = std::max<std::uint32_t>(recover_fs, 1);
    }

    // RFC 6937 §3 on each ACK in recovery: `delivered` is DeliveredData (the
    // change in snd.una plus the change in SACKed bytes), `pipe` RFC 6675's
    // after the ACK; safe_ack: snd.una advanced and no new loss was found
    // (RFC 9937's SafeACK, which lets PRR-SSRB send one more segment).
    // Returns sndcnt, the bytes that may be sent now.
    [[nodiscard]] std::uint32_t on_ack(std::uint32_t delivered, std::uint32_t pipe, std::uint32_t ssthresh,
                                       std::uint32_t smss, bool safe_ack) noexcept {
        prr_delivered_ += delivered;
        std::int64_t sndcnt = 0;
        if (pipe > ssthresh) {
            // Proportional rate reduction: ssthresh/RecoverFS of what was delivered, rounded up.
            const std::uint64_t target = (prr_delivered_ * ssthresh + recover_fs_ - 1) / recover_fs_;
            sndcnt = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(prr_out_);
        } else {
            // PRR-SSRB: back up to ssthresh, never faster than slow start would.
            std::int64_t limit = std::max<std::int64_t>(static_cast<std::int64_t>(prr_delivered_) -
                                                            static_cast<std::int64_t>(prr_out_), delivered);
            if (safe_ack) limit += smss;
            sndcnt = std::min<std::int64_t>(ssthresh - pipe, limit);
        }
        // The fast retransmit goes on recovery's first ACK, whatever the proportion says (RFC 9937 §6).
        if (prr_out_ == 0) sndcnt = std::max<std::int64_t>(sndcnt, smss);
        return static_cast<std::uint32_t>(std::max<std::int64_t>(sndcnt, 0));
    }

    void on_sent(std::uint32_t bytes) noexcept { prr_out_ += bytes; }

    [[nodiscard]] std::uint64_t delivered() const noexcept { return prr_delivered_; }
    [[nodiscard]] std::uint64_t out() const noexcept { return prr_out_; }

private:
    std::uint64_t prr_delivered_ = 0, prr_out_ = 0;
    std::uint32_t recover_fs_ = 1;
};

}  // namespace l4::tcp
