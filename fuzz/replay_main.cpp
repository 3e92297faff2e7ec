// A main for fuzz targets built without libFuzzer (g++): runs
// LLVMFuzzerTestOneInput once on the empty input, as libFuzzer does, then on
// every file named on the command line, recursing into directories in sorted
// order. Arguments starting with '-' are libFuzzer flags and are ignored, so
// the same command line works for both builds. Crashes surface as usual
// (abort, assertion, signal); the last "replay:" line names the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// An exact-size heap copy, so that a sanitizer would see any overread.
void run_one(const std::vector<char>& bytes) {
    auto copy = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
}

bool run_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    run_one(bytes);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);

    run_one({});
    std::size_t executed = 1;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.starts_with('-')) continue;
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            std::vector<fs::path> files;
            for (const auto& entry : fs::recursive_directory_iterator(arg, ec))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            for (const auto& f : files) {
                if (run_file(f)) ++executed;
                else ok = false;
            }
        } else if (fs::exists(arg, ec)) {
            if (run_file(arg)) ++executed;
            else ok = false;
        } else {
            std::fprintf(stderr, "replay: no such file or directory: %s\n", arg.c_str());
            ok = false;
        }
    }
    std::fprintf(stderr, "replay: executed %zu inputs\n", executed);
    return ok ? 0 : 1;
}
