// Traces of a congestion algorithm: a record per event (time, cwnd,
// ssthresh, srtt, bytes in flight, state), a CSV writer, and two ways to
// get the records:
//   traced<C>        an algorithm that wraps C, forwards every hook and
//                    records what followed; use it as the endpoint's policy
//                    (use<traced<cubic>>) and read connection.congestion()
//                    .records(). It keeps its own srtt (RFC 6298 §2 from the
//                    ack_event samples, as the connection's estimator does).
//   observer         a callback (a function pointer and a context, no
//                    allocation) for a connection that calls it itself at
//                    every event with its own srtt and in-flight counts.
//
//   CSV columns: time_s,event,cwnd,ssthresh,srtt_ms,bytes_in_flight,state,pacing_Bps
//   (ssthresh 4294967295 means "none"; pacing_Bps empty when the algorithm
//   does not pace)
//
// State names: the algorithm's own `state_name()` when it has one (bbr:
// startup, drain, probe_bw, probe_rtt); otherwise slow_start or
// congestion_avoidance from cwnd < ssthresh, and recovery between
// on_enter_recovery and on_exit_recovery.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/core/time.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>
#include <vector>

namespace l4::congestion {

enum class trace_event : std::uint8_t { ack, partial_ack, dup_ack, enter_recovery, exit_recovery, rto, ecn_echo };

[[nodiscard]] constexpr std::string_view to_string(trace_event e) noexcept {
    switch (e) {
    case trace_event::ack: return "ack";
    case trace_event::partial_ack: return "partial_ack";
    case trace_event::dup_ack: return "dup_ack";
    case trace_event::enter_recovery: return "enter_recovery";
    case trace_event::exit_recovery: return "exit_recovery";
    case trace_event::rto: return "rto";
    case trace_event::ecn_echo: return "ecn_echo";
    }
    return "?";
}

struct trace_record {
    instant at;
    trace_event event;
    std::uint32_t cwnd;             // bytes, after the event
    std::uint32_t ssthresh;         // bytes, after the event
    duration srtt;                  // zero before the first sample
    std::uint32_t bytes_in_flight;  // as the event reported it (before an ACK was applied)
    std::string_view state;
    std::optional<std::uint64_t> pacing_rate;  // bytes per second
};

namespace detail {
template <class C> concept has_state_name = requires(const C& c) {
    { c.state_name() } -> std::convertible_to<std::string_view>;
};
}  // namespace detail

// The state's name for a trace (see the top of this file).
template <algorithm C>
[[nodiscard]] constexpr std::string_view state_name_of(const C& c, bool in_recovery) {
    if constexpr (detail::has_state_name<C>) return c.state_name();
    if (in_recovery) return "recovery";
    return c.cwnd() < c.ssthresh() ? "slow_start" : "congestion_avoidance";
}

// A connection's callback: `observer{&my_sink, [](void* s, const trace_record& r) {...}}`.
struct observer {
    void* context = nullptr;
    void (*fn)(void*, const trace_record&) = nullptr;
    explicit operator bool() const noexcept { return fn != nullptr; }
    void operator()(const trace_record& r) const {
        if (fn) fn(context, r);
    }
};

inline void write_csv_header(std::ostream& os) {
    os << "time_s,event,cwnd,ssthresh,srtt_ms,bytes_in_flight,state,pacing_Bps\n";
}

inline void write_csv(std::ostream& os, const trace_record& r) {
    os << std::chrono::duration<double>(r.at.time_since_epoch()).count() << ',' << to_string(r.event) << ','
       << r.cwnd << ',' << r.ssthresh << ',' << std::chrono::duration<double, std::milli>(r.srtt).count() << ','
       << r.bytes_in_flight << ',' << r.state << ',';
    if (r.pacing_rate) os << *r.pacing_rate;
    os << '\n';
}

inline void write_csv(std::ostream& os, std::span<const trace_record> records) {
    write_csv_header(os);
    for (const auto& r : records) write_csv(os, r);
}

// C with every event recorded. An algorithm itself, with exactly C's
// optional hooks (so a connection treats it as it treats C).
template <algorithm C>
class traced {
public:
    using policy_family = policy::congestion_family;
    using algorithm_type = C;
    static constexpr std::string_view name = name_of<C>();

    explicit traced(const params& p) : c_{p} {}

    void on_ack(const ack_event& ev) {
        sample(ev.rtt);
        c_.on_ack(ev);
        record(ev.now, trace_event::ack, ev.bytes_in_flight);
    }
    void on_partial_ack(const ack_event& ev)
        requires detail::has_on_partial_ack<C>
    {
        sample(ev.rtt);
        c_.on_partial_ack(ev);
        record(ev.now, trace_event::partial_ack, ev.bytes_in_flight);
    }
    void on_dup_ack(const loss_event& ev) {
        congestion::dup_ack(c_, ev);
        record(ev.now, trace_event::dup_ack, ev.bytes_in_flight);
    }
    void on_enter_recovery(const loss_event& ev) {
        c_.on_enter_recovery(ev);
        in_recovery_ = true;
        record(ev.now, trace_event::enter_recovery, ev.bytes_in_flight);
    }
    void on_exit_recovery(instant now) {
        c_.on_exit_recovery(now);
        in_recovery_ = false;
        record(now, trace_event::exit_recovery, records_.empty() ? 0 : records_.back().bytes_in_flight);
    }
    void on_rto(const loss_event& ev) {
        c_.on_rto(ev);
        in_recovery_ = false;
        record(ev.now, trace_event::rto, ev.bytes_in_flight);
    }
    void on_ecn_echo(const loss_event& ev) {
        congestion::ecn_echo(c_, ev);
        record(ev.now, trace_event::ecn_echo, ev.bytes_in_flight);
    }

    [[nodiscard]] std::uint32_t cwnd() const { return c_.cwnd(); }
    [[nodiscard]] std::uint32_t ssthresh() const { return c_.ssthresh(); }
    [[nodiscard]] std::optional<std::uint64_t> pacing_rate() const { return congestion::pacing_rate(c_); }

    [[nodiscard]] const C& algorithm() const noexcept { return c_; }
    [[nodiscard]] std::span<const trace_record> records() const noexcept { return records_; }
    void clear() noexcept { records_.clear(); }

private:
    void sample(const std::optional<duration>& rtt) {
        if (!rtt) return;
        srtt_ = srtt_ == duration::zero() ? *rtt : srtt_ + (*rtt - srtt_) / 8;  // RFC 6298 §2.2-2.3
    }
    void record(instant at, trace_event e, std::uint32_t flight) {
        records_.push_back({at, e, c_.cwnd(), c_.ssthresh(), srtt_, flight, state_name_of(c_, in_recovery_),
                            congestion::pacing_rate(c_)});
    }

    C c_;
    duration srtt_{};
    bool in_recovery_ = false;
    std::vector<trace_record> records_;
};

}  // namespace l4::congestion
