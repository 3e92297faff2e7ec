// shared_callable: std::function holds a callable that cannot be copied,
// and every copy of the function calls the one callable, its state kept.
#include <l4/core/shared_callable.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

TEST_CASE("shared_callable: std::function holds a move-only callable, and its copies share it", "[core]") {
    auto owned = std::make_unique<int>(10);
    auto add = [p = std::move(owned)](int x) { return *p += x; };
    static_assert(!std::is_copy_constructible_v<decltype(add)>);
    std::function<int(int)> f = l4::shared_callable{std::move(add)};
    const auto g = f;  // a copy: the same callable, not a second one
    CHECK(f(1) == 11);
    CHECK(g(2) == 13);
    CHECK(f(3) == 16);
}

TEST_CASE("shared_callable: arguments are forwarded, and it is callable only as the callable is", "[core]") {
    auto length = [](const std::string& s, std::size_t extra) { return s.size() + extra; };
    const l4::shared_callable h{length};
    CHECK(h(std::string{"abc"}, std::size_t{2}) == 5);
    static_assert(std::is_invocable_r_v<std::size_t, decltype(h)&, const std::string&, std::size_t>);
    static_assert(!std::is_invocable_v<decltype(h)&, int>);  // constrained: std::function can ask
    static_assert(!std::is_constructible_v<std::function<int(int)>, decltype(h)>);
}
