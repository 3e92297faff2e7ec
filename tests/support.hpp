// Test support shared by every suite.
#pragma once

#include <l4/core/error.hpp>
#include <l4/core/error_code.hpp>

#include <catch2/catch.hpp>

#include <string>

// Catch prints a result as its error, or "ok": reprs need no operator<<, and
// errc prints by name.
namespace Catch {
template <>
struct StringMaker<l4::errc> {
    static std::string convert(l4::errc e) { return l4::describe(e); }
};
template <class T, class E>
struct StringMaker<l4::result<T, E>> {
    static std::string convert(const l4::result<T, E>& r) {
        if (r) return "ok";
        if constexpr (std::is_same_v<E, l4::errc>) return std::string{"error: "} + l4::describe(r.error());
        else return "error: " + r.error().message();
    }
};
}  // namespace Catch
