// Test support shared by every suite.
#pragma once

#include <l4/core/error.hpp>

#include <catch2/catch.hpp>

#include <string>

// Catch prints a result<T> as its error, or "ok": reprs need no operator<<.
namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, boost::system::error_code>> {
    static std::string convert(const boost::system::result<T, boost::system::error_code>& r) {
        return r ? std::string{"ok"} : "error: " + r.error().message();
    }
};
}  // namespace Catch
