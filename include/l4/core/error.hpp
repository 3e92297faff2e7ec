// Error codes of l4kit and result<T, E>, the return type of everything that
// can fail.
//
// Every parser and emitter reports failure as one of these codes, never by
// throwing and never by reading outside its input. `result<T>` holds a T or
// an errc; operations that reach the operating system (links, sockets)
// return `io_result<T>` (core/error_code.hpp), whose error is a
// boost::system::error_code that can also carry an errno. An errc converts
// to it implicitly, so `return r.error();` works across the two.
//
// This header stays free of boost::system and <string>: the wire and
// checksum layers include it, and their compile cost is budgeted.
#pragma once

#include <exception>
#include <new>
#include <type_traits>
#include <utility>

namespace l4 {

enum class errc {
    ok = 0,
    truncated,            // fewer bytes than the header or a length field says
    bad_data_offset,      // TCP data offset < 5 words or past the segment end
    bad_header_length,    // IPv4 IHL < 5 words or past the datagram end
    bad_option_length,    // an option's length byte is impossible for its kind
    length_mismatch,      // a length field disagrees with the bytes present
    bad_checksum,         // verification over pseudo-header, header and payload failed
    unsupported_version,  // IP version other than 4 or 6, pcap version other than 2.4
    unsupported_link_type,
    bad_magic,            // not a pcap file
    buffer_too_small,     // the emit buffer cannot hold the header
    options_too_long,     // options do not fit in the 40 bytes TCP allows
    fragment,             // an IP fragment; the transport header is not complete
    unknown_protocol,     // no TCP or UDP in this datagram
    value_out_of_range,   // a repr value does not fit its field's width
    would_block,          // nothing to receive now; try again after the link's deadline or fd says so
    queue_full,           // the link's transmit queue is at its limit; the frame was not taken
    frame_too_large,      // the frame exceeds the link's MTU
    link_closed,          // the other end or the device is gone
    address_in_use,       // bind: the (address, port) is taken
    permission_denied,    // bind: a port the stack reserves (well-known ports, when configured)
    address_not_available,  // bind: not one of this stack's addresses
    no_ports_available,   // the ephemeral range is exhausted
    bad_socket,           // not an open socket of this stack
    not_connected,        // send/recv on a socket without a peer
    message_too_long,     // the datagram would exceed the MTU (no fragmentation)
    no_route,             // no address of this stack can reach the destination's family
    invalid_argument,     // an argument no call could accept (port 0 as destination, ...)
    timed_out,            // a blocking call reached its deadline
    io_error,             // a stream or file failed to read or write
    out_of_memory,        // an allocation failed
    not_supported,        // the socket's protocol has no such operation (listen on a datagram socket, ...)
    connection_refused,   // the peer said no one listens there (ICMP port unreachable, TCP RST)
    unknown_message,      // an ICMP type, or a code of a known type, that the repr does not represent
    rate_limited,         // refused by a rate limit (ICMP errors: RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)); counted
    suppressed,           // the RFCs forbid this reply (an ICMP error about a broadcast, multicast or ICMP error)
    already_connected,    // connect or listen on a socket that already has a connection
    connection_reset,     // the peer reset the connection (TCP RST)
    // New codes go above this line; tests walk every code up to it.
    sentinel_,
};

// For messages and logs: cold, so the compiler keeps it small.
[[nodiscard, gnu::cold]] constexpr const char* describe(errc e) noexcept {
    switch (e) {
    case errc::ok: return "success";
    case errc::truncated: return "truncated";
    case errc::bad_data_offset: return "bad TCP data offset";
    case errc::bad_header_length: return "bad IP header length";
    case errc::bad_option_length: return "bad option length";
    case errc::length_mismatch: return "length field mismatch";
    case errc::bad_checksum: return "bad checksum";
    case errc::unsupported_version: return "unsupported version";
    case errc::unsupported_link_type: return "unsupported link type";
    case errc::bad_magic: return "bad magic number";
    case errc::buffer_too_small: return "buffer too small";
    case errc::options_too_long: return "options too long";
    case errc::fragment: return "IP fragment";
    case errc::unknown_protocol: return "unknown protocol";
    case errc::value_out_of_range: return "value out of range for its field";
    case errc::would_block: return "would block";
    case errc::queue_full: return "transmit queue full";
    case errc::frame_too_large: return "frame larger than the MTU";
    case errc::link_closed: return "link closed";
    case errc::address_in_use: return "address in use";
    case errc::permission_denied: return "permission denied: reserved port";
    case errc::address_not_available: return "address not available on this stack";
    case errc::no_ports_available: return "no ephemeral ports available";
    case errc::bad_socket: return "not an open socket";
    case errc::not_connected: return "socket not connected";
    case errc::message_too_long: return "message too long for the MTU";
    case errc::no_route: return "no route to the destination";
    case errc::invalid_argument: return "invalid argument";
    case errc::timed_out: return "timed out";
    case errc::io_error: return "input/output error";
    case errc::out_of_memory: return "out of memory";
    case errc::not_supported: return "operation not supported by the socket's protocol";
    case errc::connection_refused: return "connection refused";
    case errc::unknown_message: return "message type or code not represented";
    case errc::rate_limited: return "refused by a rate limit";
    case errc::suppressed: return "reply forbidden for this datagram";
    case errc::already_connected: return "socket already connected";
    case errc::connection_reset: return "connection reset by peer";
    case errc::sentinel_: break;
    }
    return "unknown l4 error";
}

// Thrown by value() on a result that holds an error.
template <class E>
class bad_result_access : public std::exception {
public:
    explicit bad_result_access(E e) : error_{std::move(e)} {}
    [[nodiscard]] const char* what() const noexcept override { return "l4::result: value() of an error"; }
    [[nodiscard]] const E& error() const noexcept { return error_; }

private:
    E error_;
};

namespace detail {

// A result's value or its error, in one union (the layout of C++23's
// std::expected). When both are trivially copyable (views, spans, numbers,
// most reprs, errc) so is the result; otherwise the special members are
// spelled out. Hand-written rather than std::variant or std::optional: a
// few members per result type instead of dozens keeps the wire layer cheap
// to compile.
// (Trivially copyable implies a trivial destructor, [class.prop].)
template <class T, class E, bool = std::is_trivially_copyable_v<T> && std::is_trivially_copyable_v<E>>
struct result_storage {
    union {
        T value;
        E error;
    };
    bool has_value;

    template <class... Args>
    constexpr explicit result_storage(std::in_place_t, Args&&... args)
        : value(std::forward<Args>(args)...), has_value{true} {}
    template <class G>
    constexpr explicit result_storage(std::in_place_index_t<1>, G&& e) : error(std::forward<G>(e)), has_value{false} {}
};

template <class T, class E>
struct result_storage<T, E, false> {
    union {
        T value;
        E error;
    };
    bool has_value;

    template <class... Args>
    explicit result_storage(std::in_place_t, Args&&... args) : value(std::forward<Args>(args)...), has_value{true} {}
    template <class G>
    explicit result_storage(std::in_place_index_t<1>, G&& e) : error(std::forward<G>(e)), has_value{false} {}

    result_storage(const result_storage& o) : has_value{o.has_value} { construct_from(o); }
    result_storage(result_storage&& o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                                std::is_nothrow_move_constructible_v<E>)
        : has_value{o.has_value} {
        construct_from(std::move(o));
    }
    result_storage& operator=(const result_storage& o) {
        if (this != &o) {
            destroy();
            has_value = o.has_value;
            construct_from(o);
        }
        return *this;
    }
    result_storage& operator=(result_storage&& o) noexcept(std::is_nothrow_move_constructible_v<T> &&
                                                           std::is_nothrow_move_constructible_v<E>) {
        if (this != &o) {
            destroy();
            has_value = o.has_value;
            construct_from(std::move(o));
        }
        return *this;
    }
    ~result_storage() { destroy(); }

private:
    template <class Other>
    void construct_from(Other&& o) {
        if (has_value) ::new (static_cast<void*>(&value)) T(std::forward<Other>(o).value);
        else ::new (static_cast<void*>(&error)) E(std::forward<Other>(o).error);
    }
    void destroy() noexcept {
        if (has_value) value.~T();
        else error.~E();
    }
};

}  // namespace detail

// A T or an error E, in the manner of C++23's std::expected. Converts
// implicitly from either; error() is E{} when a value is held.
template <class T, class E = errc>
class [[nodiscard]] result {
public:
    using value_type = T;
    using error_type = E;

    constexpr result() requires std::is_default_constructible_v<T> : storage_{std::in_place} {}

    template <class U = T>
        requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, result>)
    constexpr result(U&& v) : storage_{std::in_place, std::forward<U>(v)} {}

    constexpr result(E e) noexcept(std::is_nothrow_move_constructible_v<E>)
        : storage_{std::in_place_index<1>, std::move(e)} {}

    // Another error enum that converts to E: errc into an io_result.
    template <class G>
        requires(std::is_enum_v<G> && !std::is_same_v<G, E> && std::is_convertible_v<G, E>)
    constexpr result(G e) : storage_{std::in_place_index<1>, E(e)} {}

    // From a result of other types: result<tcp_view> into io_result<tcp_view>.
    template <class U, class G>
        requires(!std::is_same_v<result<U, G>, result> && std::is_convertible_v<U &&, T> &&
                 std::is_convertible_v<G, E>)
    constexpr result(result<U, G>&& o)
        : storage_{o ? storage{std::in_place, std::move(*o)} : storage{std::in_place_index<1>, E(o.error())}} {}
    template <class U, class G>
        requires(!std::is_same_v<result<U, G>, result> && std::is_convertible_v<const U&, T> &&
                 std::is_convertible_v<G, E>)
    constexpr result(const result<U, G>& o)
        : storage_{o ? storage{std::in_place, *o} : storage{std::in_place_index<1>, E(o.error())}} {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return storage_.has_value; }
    [[nodiscard]] constexpr bool has_error() const noexcept { return !storage_.has_value; }
    constexpr explicit operator bool() const noexcept { return storage_.has_value; }

    [[nodiscard]] constexpr T& operator*() & noexcept { return storage_.value; }
    [[nodiscard]] constexpr const T& operator*() const& noexcept { return storage_.value; }
    [[nodiscard]] constexpr T&& operator*() && noexcept { return std::move(storage_.value); }
    [[nodiscard]] constexpr T* operator->() noexcept { return &storage_.value; }
    [[nodiscard]] constexpr const T* operator->() const noexcept { return &storage_.value; }

    [[nodiscard]] constexpr T& value() & { return check(), storage_.value; }
    [[nodiscard]] constexpr const T& value() const& { return check(), storage_.value; }
    [[nodiscard]] constexpr T&& value() && { return check(), std::move(storage_.value); }

    [[nodiscard]] constexpr E error() const noexcept { return storage_.has_value ? E{} : storage_.error; }

    // r == errc::truncated: holds that error.
    template <class G>
        requires(std::is_same_v<G, E> || std::is_enum_v<G>)
    friend constexpr bool operator==(const result& r, const G& g) {
        return r.has_error() && r.storage_.error == g;
    }

private:
    using storage = detail::result_storage<T, E>;

    constexpr void check() const {
        if (!storage_.has_value) throw bad_result_access<E>{storage_.error};
    }

    storage storage_;
};

// Success, or an error E. Success stores nothing but the flag.
template <class E>
class [[nodiscard]] result<void, E> {
    static_assert(std::is_trivially_copyable_v<E>,
                  "result<void, E> keeps E in a union: E must be trivially copyable");

public:
    using value_type = void;
    using error_type = E;

    constexpr result() noexcept {}

    constexpr result(E e) noexcept : error_(e), failed_{true} {}

    template <class G>
        requires(std::is_enum_v<G> && !std::is_same_v<G, E> && std::is_convertible_v<G, E>)
    constexpr result(G e) : error_(e), failed_{true} {}

    template <class G>
        requires(!std::is_same_v<G, E> && std::is_convertible_v<G, E>)
    constexpr result(const result<void, G>& o) {
        if (!o) *this = result{E(o.error())};
    }

    [[nodiscard]] constexpr bool has_value() const noexcept { return !failed_; }
    [[nodiscard]] constexpr bool has_error() const noexcept { return failed_; }
    constexpr explicit operator bool() const noexcept { return !failed_; }

    constexpr void value() const {
        if (failed_) throw bad_result_access<E>{error_};
    }
    [[nodiscard]] constexpr E error() const noexcept { return failed_ ? error_ : E{}; }

    template <class G>
        requires(std::is_same_v<G, E> || std::is_enum_v<G>)
    friend constexpr bool operator==(const result& r, const G& g) {
        return r.failed_ && r.error_ == g;
    }

private:
    union {
        E error_;
    };
    bool failed_ = false;
};

}  // namespace l4
