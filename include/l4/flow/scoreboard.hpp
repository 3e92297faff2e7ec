// The sender's SACK scoreboard (RFC 6675 §3-4): which bytes above snd.una
// the receiver holds, which are deemed lost, and how much is in the
// network (pipe).
//
// Reading list
//   RFC 2018  §3 the SACK option; §8 the receiver may discard (renege)
//   RFC 2883  §4 D-SACK: the first block, at or below the cumulative ACK or inside the second, reports a duplicate
//   RFC 6675  §2 definitions (DupThresh, HighACK, HighRxt), §4 IsLost and
//             SetPipe, §4 NextSeg; §5.1 retransmission timeouts
//
// Layout
// ------
// At most `capacity` disjoint ranges [left, right) of SACKed sequence
// space, ascending, all inside (snd.una, snd.max]. A block that would need
// one more range when the table is full is not recorded: the sender then
// knows a little less and at worst retransmits bytes the receiver holds,
// but the table never grows (issue 13: the scoreboard is bounded).
//
//   snd.una            lost_below()                  highest_sacked()     snd.max
//     | hole | sacked | hole | sacked |  hole  | sacked | sacked |  unsacked |
//     \___ lost: resend them (NextSeg) ___/\____ in the network, not lost ____/
//
// IsLost (RFC 6675 §4): a byte is lost when more than (DupThresh − 1) × SMSS
// bytes, or DupThresh discontiguous ranges, above it are SACKed. Both counts
// grow toward snd.una, so the lost bytes are exactly the holes below one
// boundary, lost_below(); pipe and NextSeg follow from it in O(ranges).
#pragma once

#include <l4/core/seq32.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

namespace l4::flow {

class scoreboard {
public:
    static constexpr std::size_t capacity = 32;
    static constexpr std::uint32_t dup_thresh = 3;  // RFC 6675 §2 DupThresh

    struct range {
        seq32 left, right;
    };
    // What one ACK's blocks did to the scoreboard.
    struct update_result {
        bool new_information = false;  // RFC 6675 §2: some byte became SACKed
        std::uint32_t dsack = 0;       // RFC 2883 blocks: duplicates the receiver reports
        std::uint32_t dropped = 0;     // blocks not recorded: the table was full
    };

    // RFC 6675 §4 Update(): forget what snd.una passed, then record the blocks
    // that lie inside (snd.una, snd.max]. Others are D-SACKs or bogus.
    // Inlined into its one caller: returned from a call, the result went through memory, and was read
    // back as one word before its stores had landed (a store-forwarding stall on every SACK).
    template <class Blocks>
    [[gnu::always_inline]] update_result update(seq32 snd_una, seq32 snd_max, const Blocks& blocks) {
        update_result r;
        advance(snd_una);
        // RFC 2883 §4: the first block reports a duplicate when it lies at or
        // below the cumulative ACK, or inside the second block.
        if (auto it = std::begin(blocks); it != std::end(blocks)) {
            const seq32 left = it->left, right = it->right;
            if (!(left < right) || !(snd_una < right)) ++r.dsack;
            else if (++it != std::end(blocks) && !(left < it->left) && !(it->right < right)) ++r.dsack;
        }
        for (const auto& b : blocks) {
            const seq32 left = b.left, right = b.right;
            if (!(left < right) || !(snd_una < right) || right > snd_max) continue;  // old, bogus or forged
            const seq32 from = left < snd_una ? snd_una : left;
            if (const std::size_t i = holding(from); i < count_) {
                // Nothing new: a block repeated from an earlier ACK (RFC 2018 §4 asks
                // receivers to repeat their latest), or the D-SACK counted above.
                if (!(ranges_[i].right < right)) continue;
                // The latest block, grown since (the common case in recovery): its range grows in
                // place when it reaches no further range.
                if (i + 1 == count_ || right < ranges_[i + 1].left) {
                    ranges_[i].right = right;
                    r.new_information = true;
                    continue;
                }
            }
            if (insert(from, right)) r.new_information = true;
            else ++r.dropped;
        }
        return r;
    }

    // snd.una moved: ranges it passed are gone.
    void advance(seq32 snd_una) noexcept {
        // Below the lowest range (no range, or a duplicate ACK's snd.una): none is passed or cut.
        if (count_ == 0 || !(ranges_[0].left < snd_una)) return;
        std::size_t keep = 0;
        for (std::size_t i = 0; i < count_; ++i) {
            range x = ranges_[i];
            if (!(snd_una < x.right)) continue;
            if (x.left < snd_una) x.left = snd_una;
            ranges_[keep++] = x;
        }
        count_ = keep;
    }

    // RFC 2018 §8: after a timeout, what the receiver said may be forgotten by it.
    void clear() noexcept { count_ = 0; }

    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t ranges() const noexcept { return count_; }
    [[nodiscard]] const range& operator[](std::size_t i) const noexcept { return ranges_[i]; }

    [[nodiscard]] bool is_sacked(seq32 s) const noexcept { return find(s) != nullptr; }
    // The SACKed range holding `s`, if any.
    [[nodiscard]] const range* find(seq32 s) const noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (!(s < ranges_[i].left) && s < ranges_[i].right) return &ranges_[i];
        return nullptr;
    }
    // The first SACKed byte at or after `s`, if any.
    [[nodiscard]] std::optional<seq32> next_sacked(seq32 s) const noexcept {
        for (std::size_t i = 0; i < count_; ++i)
            if (s < ranges_[i].right) return s < ranges_[i].left ? ranges_[i].left : s;
        return std::nullopt;
    }
    // The highest SACKed byte + 1, or nullopt.
    [[nodiscard]] std::optional<seq32> highest_sacked() const noexcept {
        if (count_ == 0) return std::nullopt;
        return ranges_[count_ - 1].right;
    }
    [[nodiscard]] std::uint32_t sacked_bytes() const noexcept {
        std::uint32_t n = 0;
        for (std::size_t i = 0; i < count_; ++i) n += static_cast<std::uint32_t>(ranges_[i].right - ranges_[i].left);
        return n;
    }

    // RFC 6675 §4 IsLost, for every byte at once: unSACKed bytes below the
    // result are lost; none at or above it. snd_una when nothing is lost.
    [[nodiscard]] seq32 lost_below(seq32 snd_una, std::uint32_t smss) const noexcept {
        const std::size_t k = lowest_above_lost(smss);
        return k < count_ ? ranges_[k].left : snd_una;
    }

    // RFC 6675 §4 SetPipe: bytes in [snd.una, snd.max) thought to be in the
    // network: unSACKed and not lost, plus lost ones already retransmitted
    // (below high_rxt). Each range is read once: those from the lowest above
    // the lost boundary up hold all of [boundary, snd.max)'s SACKed bytes,
    // those below it all of [snd.una, boundary)'s.
    [[nodiscard]] std::uint32_t pipe(seq32 snd_una, seq32 snd_max, seq32 high_rxt, std::uint32_t smss) const noexcept {
        const std::size_t k = lowest_above_lost(smss);
        if (k == count_) return unsacked_in(snd_una, snd_max, 0, count_);  // nothing lost
        const seq32 lost = ranges_[k].left;
        const seq32 rxt_end = std::min(high_rxt, lost, less);
        return unsacked_in(lost, snd_max, k, count_) + unsacked_in(snd_una, rxt_end, 0, k);
    }

    // RFC 6675 §4 NextSeg rule 1: the first lost unSACKed byte at or after
    // `from` (HighRxt), with how many bytes up to the next SACKed range.
    struct hole {
        seq32 start;
        std::uint32_t len;
    };
    [[nodiscard]] std::optional<hole> next_lost(seq32 from, seq32 snd_una, std::uint32_t smss) const noexcept {
        const seq32 lost = lost_below(snd_una, smss);
        return next_hole(from < snd_una ? snd_una : from, lost);
    }
    // RFC 6675 §4 NextSeg rule 3: an unSACKed byte at or after `from` below
    // the highest SACKed one, lost or not.
    [[nodiscard]] std::optional<hole> next_unsacked(seq32 from, seq32 snd_una) const noexcept {
        const auto top = highest_sacked();
        if (!top) return std::nullopt;
        return next_hole(from < snd_una ? snd_una : from, *top);
    }

    // UnSACKed bytes in [from, to).
    // Inline: pipe asks it on every send pass, mostly with no range to walk.
    [[nodiscard, gnu::always_inline]] std::uint32_t unsacked(seq32 from, seq32 to) const noexcept {
        return unsacked_in(from, to, 0, count_);
    }

private:
    static constexpr auto less = [](seq32 a, seq32 b) { return a < b; };

    // The lowest range above which IsLost's counts are first exceeded (its
    // left edge is lost_below()), or count_ when they never are. Both counts
    // grow toward snd.una, so the walk from the top stops there.
    [[nodiscard]] std::size_t lowest_above_lost(std::uint32_t smss) const noexcept {
        const std::uint64_t byte_rule = std::uint64_t{dup_thresh - 1} * smss;
        std::uint64_t above = 0;
        for (std::size_t i = count_; i-- > 0;) {
            above += static_cast<std::uint32_t>(ranges_[i].right - ranges_[i].left);
            if (above > byte_rule || count_ - i >= dup_thresh) return i;
        }
        return count_;
    }

    // UnSACKed bytes in [from, to), counting only ranges [first, last).
    [[nodiscard, gnu::always_inline]] std::uint32_t unsacked_in(seq32 from, seq32 to, std::size_t first,
                                                                std::size_t last) const noexcept {
        if (!(from < to)) return 0;
        auto n = static_cast<std::uint32_t>(to - from);
        for (std::size_t i = first; i < last; ++i) {
            const seq32 l = std::max(ranges_[i].left, from, less), r = std::min(ranges_[i].right, to, less);
            if (l < r) n -= static_cast<std::uint32_t>(r - l);
        }
        return n;
    }

    // The first unSACKed byte in [from, end) and the run of unSACKed bytes from it.
    [[nodiscard]] std::optional<hole> next_hole(seq32 from, seq32 end) const noexcept {
        seq32 s = from;
        for (std::size_t i = 0; i < count_ && s < end; ++i) {
            const range& x = ranges_[i];
            if (!(s < x.right)) continue;
            if (s < x.left) return hole{s, static_cast<std::uint32_t>(std::min(x.left, end, less) - s)};
            s = x.right;
        }
        if (s < end) return hole{s, static_cast<std::uint32_t>(end - s)};
        return std::nullopt;
    }

    // The index of the range holding `s`, or count_.
    [[nodiscard]] std::size_t holding(seq32 s) const noexcept {
        std::size_t i = 0;
        while (i < count_ && (s < ranges_[i].left || !(s < ranges_[i].right))) ++i;
        return i;
    }

    // Adds [left, right), merging what it touches. False when it needed a
    // range the table has no room for.
    bool insert(seq32 left, seq32 right) noexcept {
        std::size_t first = 0;
        while (first < count_ && ranges_[first].right < left) ++first;  // ranges wholly before it
        std::size_t last = first;
        while (last < count_ && !(right < ranges_[last].left)) ++last;  // ranges it touches: [first, last)
        if (first == last) {
            if (count_ == capacity) return false;
            std::copy_backward(ranges_.begin() + first, ranges_.begin() + count_, ranges_.begin() + count_ + 1);
            ranges_[first] = {left, right};
            ++count_;
            return true;
        }
        const range merged{std::min(left, ranges_[first].left, less), std::max(right, ranges_[last - 1].right, less)};
        ranges_[first] = merged;
        std::copy(ranges_.begin() + last, ranges_.begin() + count_, ranges_.begin() + first + 1);
        count_ -= last - first - 1;
        return true;
    }

    std::array<range, capacity> ranges_{};
    std::size_t count_ = 0;
};

}  // namespace l4::flow
