// any<Algos...>: one of several algorithms, chosen at run time by name or
// index (command-line tools, experiments), while the rest of the stack stays
// static. It is an algorithm itself, holding a std::variant of the others.
//
//   any<reno, cubic, bbr> c{params};                  the first, reno
//   any<reno, cubic, bbr> c{params, "cubic"};         by name_of<A>()
//   any<reno, cubic, bbr> c{params, std::size_t{2}};  by index
//   params.algorithm = "bbr"; any<...> c{params};     by the params' name,
//                                                     which is how a connection
//                                                     (that builds C{params}) picks
// An unknown name or index picks the first; known() says whether it was.
//
//   event                 does
//   every hook            forwards to the chosen algorithm; an optional one
//                         through concept.hpp's free function (no-op if absent)
//   on_partial_ack        to an algorithm without it, what a connection does
//                         for such an algorithm: the first partial ACK ends its
//                         recovery (on_exit_recovery) and the next ones are
//                         on_ack; the final exit is then not passed on
//
// Since any has on_partial_ack, a connection stays in recovery over partial
// ACKs and retransmits each hole (RFC 6582's loss recovery) whatever the
// chosen algorithm; only the window follows the algorithm.
#pragma once

#include <l4/congestion/concept.hpp>
#include <l4/congestion/none.hpp>
#include <l4/congestion/reno.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace l4::congestion {

template <algorithm... Algos>
class any {
    static_assert(sizeof...(Algos) > 0, "any<>: name at least one algorithm");

public:
    using policy_family = policy::congestion_family;
    static constexpr std::string_view name = "any";
    static constexpr std::size_t size = sizeof...(Algos);
    static constexpr std::array<std::string_view, sizeof...(Algos)> names{name_of<Algos>()...};

    explicit any(const params& p) : any(p, p.algorithm.empty() ? std::size_t{0} : index_of(p.algorithm)) {}
    any(const params& p, std::string_view algo) : any(p, index_of(algo)) {}
    any(const params& p, std::size_t index) : v_{make(p, index < size ? index : 0)}, known_{index < size} {}

    // The index of the algorithm with that name, or `size` if none has it.
    [[nodiscard]] static constexpr std::size_t index_of(std::string_view algo) noexcept {
        for (std::size_t i = 0; i < size; ++i)
            if (names[i] == algo) return i;
        return size;
    }

    void on_ack(const ack_event& ev) {
        std::visit([&](auto& c) { c.on_ack(ev); }, v_);
    }
    void on_enter_recovery(const loss_event& ev) {
        exited_early_ = false;
        std::visit([&](auto& c) { c.on_enter_recovery(ev); }, v_);
    }
    void on_dup_ack(const loss_event& ev) {
        if (!exited_early_) std::visit([&](auto& c) { congestion::dup_ack(c, ev); }, v_);
    }
    void on_partial_ack(const ack_event& ev) {
        std::visit(
            [&](auto& c) {
                using C = std::remove_cvref_t<decltype(c)>;
                if constexpr (detail::has_on_partial_ack<C>) {
                    c.on_partial_ack(ev);
                } else if (!exited_early_) {
                    exited_early_ = true;
                    c.on_exit_recovery(ev.now);
                } else {
                    c.on_ack(ev);
                }
            },
            v_);
    }
    void on_exit_recovery(instant now) {
        if (!std::exchange(exited_early_, false)) std::visit([&](auto& c) { c.on_exit_recovery(now); }, v_);
    }
    void on_rto(const loss_event& ev) {
        exited_early_ = false;
        std::visit([&](auto& c) { c.on_rto(ev); }, v_);
    }
    void on_ecn_echo(const loss_event& ev) {
        std::visit([&](auto& c) { congestion::ecn_echo(c, ev); }, v_);
    }

    [[nodiscard]] std::uint32_t cwnd() const {
        return std::visit([](const auto& c) { return c.cwnd(); }, v_);
    }
    [[nodiscard]] std::uint32_t ssthresh() const {
        return std::visit([](const auto& c) { return c.ssthresh(); }, v_);
    }
    [[nodiscard]] std::optional<std::uint64_t> pacing_rate() const {
        return std::visit([](const auto& c) { return congestion::pacing_rate(c); }, v_);
    }

    [[nodiscard]] std::size_t index() const noexcept { return v_.index(); }
    [[nodiscard]] std::string_view chosen() const noexcept { return names[v_.index()]; }
    [[nodiscard]] bool known() const noexcept { return known_; }
    // The chosen algorithm, when it is A (for its own accessors).
    template <class A>
    [[nodiscard]] const A* get_if() const noexcept {
        return std::get_if<A>(&v_);
    }

private:
    using variant = std::variant<Algos...>;

    template <std::size_t I = 0>
    static variant make(const params& p, std::size_t index) {
        if constexpr (I + 1 < size) {
            if (index != I) return make<I + 1>(p, index);
        }
        return variant{std::in_place_index<I>, p};
    }

    variant v_;
    bool known_;
    bool exited_early_ = false;  // an algorithm without on_partial_ack left recovery at a partial ACK
};

L4_ASSERT_CONGESTION_ALGORITHM(any<reno, none>);

}  // namespace l4::congestion
