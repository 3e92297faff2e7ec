// l4::errc as a boost::system error category, and io_result<T>.
//
// Operations that reach the operating system (links, sockets) fail with an
// errno as often as with an l4::errc; both travel as a
// boost::system::error_code, which compares equal to the errc it carries:
//
//     io_result<std::size_t> n = stack.sendto(...);
//     if (!n && n.error() == l4::errc::message_too_long) ...
#pragma once

#include <l4/core/error.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace l4 {

class error_category final : public boost::system::error_category {
public:
    constexpr error_category() noexcept : boost::system::error_category(0x6c346b6974ull) {}
    const char* name() const noexcept override { return "l4"; }
    std::string message(int ev) const override { return describe(static_cast<errc>(ev)); }
};

inline const boost::system::error_category& l4_category() noexcept {
    static constexpr error_category instance;
    return instance;
}

inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), l4_category()};
}

template <class T>
using io_result = result<T, boost::system::error_code>;

}  // namespace l4

template <>
struct boost::system::is_error_code_enum<l4::errc> : std::true_type {};
