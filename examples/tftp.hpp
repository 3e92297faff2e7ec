// TFTP (RFC 1350) on l4kit: stop-and-wait outside TCP.
//
// The wire format (RRQ, WRQ, DATA, ACK, ERROR; parse gives a typed error,
// emit writes the bytes) and the lock-step transfer, sans-IO: a `transfer`
// takes datagrams and `now`, and says what to send and when it next needs to
// run. The sender asks l4::flow::stop_and_wait, with the 512-byte block as
// its mss, whether the next block may leave, and its on_timeout() says what
// a timeout resends (the one block in flight). `session` joins a transfer to
// a UDP socket of an l4::net::stack and keeps to the peer's TID.
//
// Reading list
//   RFC 1350  The TFTP Protocol (Revision 2): §2 lock-step, §4 TIDs, §5 packets, §6 termination
//   RFC 1123  §4.2.3.1 the Sorcerer's Apprentice: no DATA resent for a duplicate ACK; adaptive timeouts
//   RFC 2347  options: a server that does not know them ignores them (we do)
#pragma once

#include <l4/core/bytes.hpp>
#include <l4/core/error.hpp>
#include <l4/core/time.hpp>
#include <l4/flow/stop_and_wait.hpp>
#include <l4/tcp/rto.hpp>
#include <l4/wire/address.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tftp {

constexpr std::size_t block_size = 512;         // RFC 1350 §1
constexpr std::uint16_t server_port = 69;       // RFC 1350 §4
constexpr std::size_t max_packet = 4 + block_size;

enum class opcode : std::uint16_t { rrq = 1, wrq = 2, data = 3, ack = 4, error = 5 };

// RFC 1350 Appendix: the error codes.
enum class error_code : std::uint16_t {
    not_defined = 0, file_not_found = 1, access_violation = 2, disk_full = 3,
    illegal_operation = 4, unknown_tid = 5, file_exists = 6, no_such_user = 7,
};

// Why a datagram is not a TFTP packet.
enum class parse_error : std::uint8_t {
    truncated,            // shorter than its opcode's fixed fields
    unknown_opcode,       // not 1..5
    unterminated_string,  // a filename, mode or message without its 0 byte
    empty_filename,       // a request naming nothing
    block_too_long,       // DATA with more than 512 bytes
    trailing_bytes,       // ACK longer than 4 bytes
};

struct request {  // RRQ or WRQ (RFC 1350 §5, figure 5-1)
    bool write = false;
    std::string filename;
    std::string mode;  // "netascii", "octet" or "mail", any case
    bool operator==(const request&) const = default;
};
struct data {  // the payload is a view of the parsed datagram
    std::uint16_t block = 0;
    l4::bytes payload;
    bool operator==(const data& o) const { return block == o.block && l4::equal_bytes(payload, o.payload); }
};
struct ack {
    std::uint16_t block = 0;
    bool operator==(const ack&) const = default;
};
struct error {
    error_code code = error_code::not_defined;
    std::string message;
    bool operator==(const error&) const = default;
};
using packet = std::variant<request, data, ack, error>;

namespace detail {
// A 0-terminated string at `at`; `at` moves past its 0.
inline l4::result<std::string, parse_error> take_string(l4::bytes b, std::size_t& at) {
    const auto rest = b.subspan(at);
    const auto end = std::find(rest.begin(), rest.end(), std::uint8_t{0});
    if (end == rest.end()) return parse_error::unterminated_string;
    std::string s(reinterpret_cast<const char*>(rest.data()), static_cast<std::size_t>(end - rest.begin()));
    at += s.size() + 1;
    return s;
}
inline void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
}
}  // namespace detail

inline l4::result<packet, parse_error> parse(l4::bytes b) {
    if (b.size() < 2) return parse_error::truncated;
    const std::uint16_t op = l4::load_be16(b.data());
    switch (op) {
        case std::uint16_t(opcode::rrq):
        case std::uint16_t(opcode::wrq): {
            std::size_t at = 2;
            auto name = detail::take_string(b, at);
            if (!name) return name.error();
            auto mode = detail::take_string(b, at);
            if (!mode) return mode.error();
            if (name->empty()) return parse_error::empty_filename;
            // RFC 2347: options may follow the mode; ignoring them makes the peer fall back to RFC 1350.
            return packet{request{op == std::uint16_t(opcode::wrq), std::move(*name), std::move(*mode)}};
        }
        case std::uint16_t(opcode::data):
            if (b.size() < 4) return parse_error::truncated;
            if (b.size() > max_packet) return parse_error::block_too_long;
            return packet{data{l4::load_be16(b.data() + 2), b.subspan(4)}};
        case std::uint16_t(opcode::ack):
            if (b.size() < 4) return parse_error::truncated;
            if (b.size() > 4) return parse_error::trailing_bytes;
            return packet{ack{l4::load_be16(b.data() + 2)}};
        case std::uint16_t(opcode::error): {
            if (b.size() < 4) return parse_error::truncated;
            std::size_t at = 4;
            auto message = detail::take_string(b, at);
            if (!message) return message.error();
            return packet{error{error_code{l4::load_be16(b.data() + 2)}, std::move(*message)}};
        }
        default: return parse_error::unknown_opcode;
    }
}

inline std::vector<std::uint8_t> emit(const packet& p) {
    std::vector<std::uint8_t> out;
    std::visit([&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, request>) {
            detail::put16(out, std::uint16_t(x.write ? opcode::wrq : opcode::rrq));
            detail::put_string(out, x.filename);
            detail::put_string(out, x.mode);
        } else if constexpr (std::is_same_v<T, data>) {
            detail::put16(out, std::uint16_t(opcode::data));
            detail::put16(out, x.block);
            out.insert(out.end(), x.payload.begin(), x.payload.end());
        } else if constexpr (std::is_same_v<T, ack>) {
            detail::put16(out, std::uint16_t(opcode::ack));
            detail::put16(out, x.block);
        } else {
            detail::put16(out, std::uint16_t(opcode::error));
            detail::put16(out, std::uint16_t(x.code));
            detail::put_string(out, x.message);
        }
    }, p);
    return out;
}

inline bool is_octet(std::string_view mode) {
    constexpr std::string_view octet = "octet";
    return std::ranges::equal(mode, octet, [](char a, char b) { return (a | 0x20) == b; });
}

struct config {
    // RFC 1123 §4.2.3.2: an adaptive timeout; its backoff capped, so that a
    // peer waiting out a timer of its own (a second, often) hears from us.
    l4::tcp::rto_config rto{.initial = std::chrono::seconds{1}, .min = std::chrono::milliseconds{50},
                            .max = std::chrono::seconds{2}};
    std::uint32_t max_retries = 8;  // timeouts in a row without progress before giving up
};

struct transfer_stats {
    std::uint64_t packets_sent = 0;
    std::uint64_t retransmissions = 0;   // packets sent again on a timeout
    std::uint64_t duplicates = 0;        // DATA or ACK seen again (a copy, or an answer to a retransmission)
    std::uint64_t blocks = 0;            // DATA blocks delivered (sender: acknowledged)
};

// One transfer, one side. How to drive it: send what poll_transmit(now)
// gives until it gives nothing; feed each datagram from the peer's TID to
// on_packet(bytes, now); run again at next_deadline(). finished() when
// nothing more will be sent (after a receiver's final dally); then
// complete() says whether the file arrived, failure() why not.
class transfer {
public:
    // Server after an RRQ: DATA 1 leaves at once.
    static transfer send(std::vector<std::uint8_t> file, config cfg = {}) {
        transfer t{role::sender, cfg};
        t.file_ = std::move(file);
        return t;
    }
    // Client: the WRQ is in flight until ACK 0 (RFC 1350 §4).
    static transfer send_after(const request& wrq, std::vector<std::uint8_t> file, config cfg = {}) {
        transfer t = send(std::move(file), cfg);
        t.start_with(emit(wrq), 0);
        return t;
    }
    // Server after a WRQ: ACK 0 answers it.
    static transfer receive(config cfg = {}) {
        transfer t{role::receiver, cfg};
        t.start_with(emit(ack{0}), 0);
        return t;
    }
    // Client: the RRQ is in flight until DATA 1.
    static transfer receive_after(const request& rrq, config cfg = {}) {
        transfer t{role::receiver, cfg};
        t.start_with(emit(rrq), 0);
        return t;
    }
    // An ERROR, sent once, and nothing else (RFC 1350 §7: not acknowledged, not resent).
    static transfer refuse(error e) {
        transfer t{role::receiver, {}};
        t.start_with(emit(e), 0);
        t.failure_ = std::move(e);
        t.finished_ = true;
        return t;
    }

    void on_packet(l4::bytes datagram, l4::instant now) {
        if (finished_ && !dallying_) return;
        auto p = parse(datagram);
        if (!p) return abort({error_code::illegal_operation, "malformed packet"});
        if (auto* e = std::get_if<error>(&*p)) {
            // RFC 1350 §7: an ERROR ends the transfer and is not answered.
            failure_ = *e;
            finished_ = true, dallying_ = false, due_ = false;
            return;
        }
        if (role_ == role::sender) {
            const auto* a = std::get_if<ack>(&*p);
            if (!a) return abort({error_code::illegal_operation, "expected an ACK"});
            if (!awaiting_ || a->block != block_) {
                // RFC 1123 §4.2.3.1: a duplicate ACK sends nothing (the Sorcerer's Apprentice).
                ++stats_.duplicates;
                return;
            }
            acknowledged(now);
            if (block_ != 0) {
                offset_ += in_flight_len_, ++stats_.blocks;
                if (in_flight_len_ < block_size) finished_ = complete_ = true;  // RFC 1350 §6
            }
            return;
        }
        const auto* d = std::get_if<data>(&*p);
        if (!d) return abort({error_code::illegal_operation, "expected DATA"});
        const auto expected = static_cast<std::uint16_t>(block_ + 1);
        if (d->block == expected && !complete_) {
            acknowledged(now);
            file_.insert(file_.end(), d->payload.begin(), d->payload.end());
            ++stats_.blocks;
            block_ = expected;
            start_with(emit(ack{block_}), block_);
            if (d->payload.size() < block_size) {
                // RFC 1350 §6: the last ACK; dally to answer a copy of the last DATA if it is lost.
                complete_ = finished_ = dallying_ = true;
                awaiting_ = false;
                deadline_ = now + 2 * rto_.rto();
            }
        } else if (d->block == block_ && block_ != 0) {
            // Our ACK was lost (or the sender timed out first): acknowledge again.
            ++stats_.duplicates;
            due_ = true;
        }
    }

    std::optional<std::vector<std::uint8_t>> poll_transmit(l4::instant now) {
        if (due_) {
            due_ = false;
            return sent(now);
        }
        if (dallying_) {
            if (now >= deadline_) dallying_ = false;
            return std::nullopt;
        }
        if (finished_) return std::nullopt;
        if (awaiting_) {
            if (now < deadline_) return std::nullopt;
            // RFC 1350 §2: the timeout resends the last packet; the policy says which (the one in flight).
            static_assert(flow_policy{}.on_timeout() == l4::flow::rto_action::first_segment &&
                          flow_policy{}.max_in_flight_segments() == 1);
            if (++retries_ > cfg_.max_retries) {
                failure_ = error{error_code::not_defined, "timed out"};
                finished_ = true;
                // RFC 1350 §6: a receiver may end on sending its final ACK, without dallying, so
                // the final block's ACK lost looks the same as the final block delivered.
                final_ack_unseen_ = role_ == role::sender && block_ != 0 && in_flight_len_ < block_size;
                return std::nullopt;
            }
            rto_.backoff();
            retransmitted_ = true;
            ++stats_.retransmissions;
            return sent(now);
        }
        if (role_ != role::sender) return std::nullopt;
        // The policy decides whether the next block may leave and how long it is.
        const auto remaining = static_cast<std::uint32_t>(file_.size() - offset_);
        const std::uint32_t n = policy_.may_send({.in_flight = 0, .peer_window = block_size, .cwnd = block_size,
                                                  .mss = block_size, .queued = remaining, .nodelay = true,
                                                  .fin_queued = true});
        // The terminating short block may be empty (a file of a multiple of 512 bytes): TFTP's FIN.
        if (n == 0 && remaining != 0) return std::nullopt;
        const auto block = static_cast<std::uint16_t>(block_ + 1);
        start_with(emit(data{block, l4::bytes{file_}.subspan(offset_, n)}), block);
        in_flight_len_ = n;
        return poll_transmit(now);
    }

    std::optional<l4::instant> next_deadline() const {
        if (due_) return l4::instant{};
        if (dallying_ || (awaiting_ && !finished_)) return deadline_;
        if (!finished_ && role_ == role::sender) return l4::instant{};  // the next block is due now
        return std::nullopt;
    }

    bool finished() const noexcept { return finished_ && !dallying_ && !due_; }
    bool complete() const noexcept { return complete_; }
    // A sender that timed out on the final block's ACK only: the file may well have arrived.
    bool final_ack_unseen() const noexcept { return final_ack_unseen_; }
    const std::optional<error>& failure() const noexcept { return failure_; }
    const std::vector<std::uint8_t>& file() const noexcept { return file_; }
    const transfer_stats& stats() const noexcept { return stats_; }
    std::optional<l4::duration> srtt() const noexcept { return rto_.srtt(); }

private:
    enum class role : std::uint8_t { sender, receiver };
    using flow_policy = l4::flow::stop_and_wait;

    transfer(role r, config cfg) : role_{r}, cfg_{cfg}, rto_{cfg.rto} {}

    // `packet` is the one in flight until its answer (numbered `block`) arrives.
    void start_with(std::vector<std::uint8_t> packet, std::uint16_t block) {
        last_ = std::move(packet);
        block_ = block;
        awaiting_ = due_ = true;
        retries_ = 0;
        retransmitted_ = false;
    }
    std::vector<std::uint8_t> sent(l4::instant now) {
        ++stats_.packets_sent;
        sent_at_ = now;
        deadline_ = now + rto_.rto();
        return last_;
    }
    // The packet in flight was answered. Karn: no RTT sample after a retransmission (RFC 6298 §3).
    void acknowledged(l4::instant now) {
        if (!retransmitted_) rto_.on_sample(now - sent_at_);
        rto_.reset_backoff();
        awaiting_ = false;
        retries_ = 0;
    }
    void abort(error e) {
        start_with(emit(e), block_);
        awaiting_ = dallying_ = false;
        failure_ = std::move(e);
        finished_ = true;
    }

    role role_;
    config cfg_;
    l4::tcp::rto_estimator rto_;
    flow_policy policy_;
    std::vector<std::uint8_t> file_;  // sender: the file; receiver: what arrived
    std::size_t offset_ = 0;          // sender: bytes acknowledged
    std::uint32_t in_flight_len_ = 0;
    std::vector<std::uint8_t> last_;  // the last packet sent, for a retransmission
    std::uint16_t block_ = 0;         // sender: the block in flight; receiver: the last block acknowledged
    bool awaiting_ = false;           // last_ waits for its answer
    bool due_ = false;                // last_ is to be sent now
    bool retransmitted_ = false;
    bool finished_ = false, complete_ = false, dallying_ = false, final_ack_unseen_ = false;
    std::uint32_t retries_ = 0;
    l4::instant sent_at_{}, deadline_{};
    std::optional<error> failure_;
    transfer_stats stats_;
};

// The server's answer to a request (RFC 1350 §4): the transfer to run from a
// new TID, or the ERROR to send from it. `find(name)` gives the file's bytes
// or nothing.
template <class Find>
transfer answer(const request& r, Find&& find, config cfg = {}) {
    if (!is_octet(r.mode)) return transfer::refuse({error_code::illegal_operation, "only octet mode"});
    // Only plain names in the served directory.
    if (r.filename.find('/') != std::string::npos || r.filename.front() == '.')
        return transfer::refuse({error_code::access_violation, "access violation"});
    if (r.write) return transfer::receive(cfg);
    std::optional<std::vector<std::uint8_t>> file = find(r.filename);
    if (!file) return transfer::refuse({error_code::file_not_found, "file not found"});
    return transfer::send(std::move(*file), cfg);
}

// A transfer on a UDP socket of a stack, with the peer's TID (RFC 1350 §4):
// the first answer fixes the peer's port; a datagram from any other gets
// ERROR 5 and changes nothing.
template <class Stack>
struct session {
    Stack& host;
    typename Stack::socket_id sock;
    l4::wire::socket_address peer;
    bool tid_known;  // false for a client until the server's first answer
    transfer t;
    std::uint64_t foreign = 0;  // datagrams from another TID

    // Feeds what arrived, then sends what is due. False if a send failed.
    bool pump(l4::instant now) {
        receive(now);
        return transmit(now);
    }

    // Feeds the transfer every datagram queued on the socket.
    void receive(l4::instant now) {
        std::array<std::uint8_t, 2048> buf{};
        while (host.readable(sock)) {
            auto r = host.recvfrom(sock, buf);
            if (!r) break;
            const l4::bytes got = l4::bytes{buf}.first(r->size);
            if (!tid_known && r->from.address == peer.address) peer = r->from, tid_known = true;
            if (r->from == peer) {
                t.on_packet(got, now);
            } else {
                ++foreign;
                (void)host.sendto(sock, emit(error{error_code::unknown_tid, "unknown transfer ID"}), r->from, now);
            }
        }
    }

    // Sends what the transfer has due. False if a send failed.
    bool transmit(l4::instant now) {
        while (auto p = t.poll_transmit(now))
            if (!host.sendto(sock, *p, peer, now)) return false;
        return true;
    }
};

}  // namespace tftp
