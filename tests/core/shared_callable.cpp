// shared_callable: std::function holds a callable that cannot be copied,
// and every copy of the function calls the one callable, its state kept.
// callback: the handler type that wraps only the callables that need it.
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

TEST_CASE("callback: a callable that cannot be copied is held once, and the callback's copies share it", "[core]") {
    auto owned = std::make_unique<int>(10);
    auto add = [p = std::move(owned)](int x) { return *p += x; };
    using lambda = decltype(add);
    l4::callback<int(int)> f = std::move(add);
    REQUIRE(f);
    CHECK(f.target<l4::shared_callable<lambda>>() != nullptr);
    const auto g = f;
    CHECK(f(1) == 11);
    CHECK(g(2) == 13);
}

TEST_CASE("callback: a copyable callable, or a std::function, is held as std::function holds it, with no handle between",
          "[core]") {
    int calls = 0;
    auto count = [&calls](int x) { return calls += x; };
    const l4::callback<int(int)> f = count;
    CHECK(f.target<decltype(count)>() != nullptr);
    CHECK(f(2) == 2);
    CHECK(calls == 2);
    const std::function<int(int)> plain = count;
    const l4::callback<int(int)> g = plain;
    CHECK(g.target<decltype(count)>() != nullptr);  // the function's own target, not a function inside a function
    CHECK_FALSE(l4::callback<int(int)>{});
    CHECK_FALSE(l4::callback<int(int)>{nullptr});
}

TEST_CASE("callback: it takes only callables of its signature, so an overload set can ask which fits", "[core]") {
    auto one = [](int) { return 1; };
    auto two = [](int, int) { return 2; };
    static_assert(std::is_constructible_v<l4::callback<int(int)>, decltype(one)>);
    static_assert(!std::is_constructible_v<l4::callback<int(int)>, decltype(two)>);
    const l4::callback<long(int, int)> widened = two;  // the result converts, as std::function's does
    CHECK(widened(0, 0) == 2L);
}
