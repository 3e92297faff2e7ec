// The interop binary's own main: Catch2's, except that a run in which a test
// skipped (and none failed) exits with 77, ctest's "skipped" here.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "interop.hpp"

int main(int argc, char* argv[]) {
    const int failed = Catch::Session().run(argc, argv);
    if (failed == 0 && l4::interop::skipped()) return l4::interop::skip_exit_code;
    // 77 failed assertions must not read as a skip.
    return failed == l4::interop::skip_exit_code ? failed + 1 : failed;
}
