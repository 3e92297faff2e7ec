// Bulk TCP both ways at once, every byte checked: what examples/tcp_bulk.cpp
// runs against the kernel (tests/tcp_bulk.py is the kernel's side) or
// between two l4kit hosts on the simulator.
//
// Each direction carries a pattern in which every 4-byte word differs from
// its neighbours (word k = k * 2654435761 + direction, little-endian), so a
// byte lost, duplicated or moved anywhere in 10 MB is found; the receiver
// checks every byte as it arrives.
#pragma once

#include <l4/core/error_code.hpp>
#include <l4/core/time.hpp>
#include <l4/net/socket_table.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace bulk {

// The pattern's byte at stream offset i of direction `dir` (0: l4kit to
// the kernel, 1: the kernel to l4kit); tcp_bulk.py computes the same.
inline std::uint8_t pattern_byte(std::uint32_t dir, std::uint64_t i) {
    const auto word = static_cast<std::uint32_t>(i / 4) * 2654435761u + dir;
    return static_cast<std::uint8_t>(word >> (8 * (i % 4)));
}

inline bool is_error(const boost::system::error_code& e, l4::errc want) { return e == want; }

// Both directions at once on a connected socket: send the pattern, shut
// down, read and check the peer's until its FIN.
template <class Host>
class exchange {
public:
    // `out` is the pattern direction we send, `in` the one we expect.
    exchange(Host& host, l4::net::socket_id s, std::uint64_t size, std::uint32_t out, std::uint32_t in)
        : host_{host}, s_{s}, size_{size}, out_{out}, in_{in} {}

    // One step, after every poll; true once done (or failed).
    bool step(l4::instant now) {
        // A read may open our window, and the endpoint sends the window
        // update from its send pass, in the stack's poll; but its
        // next_deadline() does not say that one is due, so a driver that
        // sleeps until the next frame or deadline would leave the update
        // unsent (the peer's zero-window probe would find it, 200 ms later).
        // So after a read, poll at once, and go round again: that poll may
        // bring more data, and free room in the send buffer.
        while (true) {
            // Reading first: our data segments then carry the window the read opened.
            const bool read = pump_recv();
            const bool queued = pump_send(now);
            if (!queued && !read) break;
            host_.poll(now);
        }
        if (eof_ && received_ != size_)
            fail("the stream ended after " + std::to_string(received_) + " of " + std::to_string(size_) + " bytes");
        return failed_ || (shut_ && eof_);
    }

    [[nodiscard]] bool ok() const { return !failed_ && shut_ && eof_ && received_ == size_; }
    [[nodiscard]] std::uint64_t sent() const { return sent_; }
    [[nodiscard]] std::uint64_t received() const { return received_; }
    [[nodiscard]] const std::string& why() const { return why_; }

private:
    // Queues what the send buffer takes, then the FIN; true if it took any.
    bool pump_send(l4::instant now) {
        const std::uint64_t before = sent_;
        while (sent_ < size_ && !failed_) {
            refill();
            auto w = host_.send(s_, std::span{chunk_}.first(chunk_len_).subspan(sent_ - chunk_at_), now);
            if (!w) {
                if (!is_error(w.error(), l4::errc::would_block)) fail("send: " + w.error().message());
                break;
            }
            sent_ += *w;
        }
        if (sent_ == size_ && !shut_ && !failed_) {
            if (auto r = host_.shutdown(s_, now); !r) fail("shutdown: " + r.error().message());
            shut_ = true;
        }
        return sent_ != before && !failed_;
    }

    // Reads and checks what has arrived; true if any bytes were read.
    bool pump_recv() {
        bool read = false;
        while (!eof_ && !failed_) {
            auto r = host_.recv(s_, buf_);
            if (!r) {
                if (!is_error(r.error(), l4::errc::would_block)) fail("recv: " + r.error().message());
                break;
            }
            if (*r == 0) eof_ = true;
            for (std::size_t i = 0; i < *r && !failed_; ++i)
                if (buf_[i] != pattern_byte(in_, received_ + i))
                    fail("byte " + std::to_string(received_ + i) + " differs from what the peer sent");
            received_ += *r;
            read = read || *r > 0;
        }
        return read && !failed_;
    }

    // The chunk_ buffer holds the pattern from chunk_at_; regenerated only when sent_ leaves it.
    void refill() {
        if (sent_ >= chunk_at_ && sent_ < chunk_at_ + chunk_len_) return;
        chunk_at_ = sent_;
        chunk_len_ = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), size_ - sent_));
        for (std::size_t i = 0; i < chunk_len_; ++i) chunk_[i] = pattern_byte(out_, chunk_at_ + i);
    }
    void fail(std::string why) {
        if (!failed_) why_ = std::move(why);
        failed_ = true;
    }

    Host& host_;
    l4::net::socket_id s_;
    std::uint64_t size_;
    std::uint32_t out_, in_;
    std::uint64_t sent_ = 0, received_ = 0, chunk_at_ = 0;
    std::size_t chunk_len_ = 0;
    std::array<std::uint8_t, 256 * 1024> chunk_{};
    std::array<std::uint8_t, 64 * 1024> buf_{};
    bool shut_ = false, eof_ = false, failed_ = false;
    std::string why_;
};


}  // namespace bulk
