// What the interop tests share with their main: how a test says it could
// not run. Catch2 v2 has no SKIP, so a test that lacks what it needs WARNs
// and calls skip(); main.cpp then exits with skip_exit_code, which the
// tests' SKIP_RETURN_CODE property (tests/CMakeLists.txt) makes ctest report
// as skipped rather than passed.
#pragma once

namespace l4::interop {

inline constexpr int skip_exit_code = 77;

inline bool& skipped() noexcept {
    static bool flag = false;
    return flag;
}

inline void skip() noexcept { skipped() = true; }

}  // namespace l4::interop
