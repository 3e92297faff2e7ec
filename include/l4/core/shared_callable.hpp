// A copyable handle on a callable that cannot be copied (a lambda that owns
// a std::unique_ptr, say), so that std::function, which copies what it
// holds, can hold it: the copies share the one callable. C++23's
// std::move_only_function makes this unnecessary; C++20 has nothing like it.
//
// The handle costs one allocation when it is made and one indirection a
// call. net::stack wraps only the callables that need it.
#pragma once

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

}  // namespace l4
