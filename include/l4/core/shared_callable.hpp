// A copyable handle on a callable that cannot be copied (a lambda that owns
// a std::unique_ptr, say), so that std::function, which copies what it
// holds, can hold it: the copies share the one callable. C++23's
// std::move_only_function makes this unnecessary; C++20 has nothing like it.
//
// The handle costs one allocation when it is made and one indirection a
// call, so callback<Signature> below, the library's handler type, wraps
// only the callables that need it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace l4 {

template <class F>
class shared_callable {
public:
    explicit shared_callable(F f) : f_{std::make_shared<F>(std::move(f))} {}

    // Constrained, not deduced: std::function asks whether it can be called with its arguments.
    template <class... A>
        requires std::is_invocable_v<F&, A...>
    std::invoke_result_t<F&, A...> operator()(A&&... a) const {
        return std::invoke(*f_, std::forward<A>(a)...);
    }

private:
    std::shared_ptr<F> f_;
};

// A std::function that also takes a callable that cannot be copied, through
// a shared_callable; a copyable one goes in as std::function holds it. The
// handler types (tcp::recv_handler, udp::recv_handler) are callbacks, so a
// handler that owns a std::unique_ptr fits wherever one is set: on a
// connection, an endpoint or a stack.
template <class Signature>
class callback;

template <class R, class... A>
class callback<R(A...)> : public std::function<R(A...)> {
    using base = std::function<R(A...)>;

public:
    callback() noexcept = default;
    callback(std::nullptr_t) noexcept {}
    callback(base f) noexcept : base{std::move(f)} {}

    // Constrained on the signature alone, so that an overload set (net::stack
    // choosing between TCP's and UDP's handler) can ask which one fits.
    template <class F>
        requires(!std::is_base_of_v<base, std::remove_cvref_t<F>>) && std::is_invocable_r_v<R, std::decay_t<F>&, A...>
    callback(F&& f) : base(held(std::forward<F>(f))) {}

private:
    template <class F>
    static auto held(F&& f) {
        using T = std::decay_t<F>;
        if constexpr (std::is_copy_constructible_v<T>) return T(std::forward<F>(f));
        else return shared_callable<T>{std::forward<F>(f)};
    }
};

}  // namespace l4
