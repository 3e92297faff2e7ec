// Run-time CPU feature checks for the SIMD checksum kernels.
//
// l4kit is header-only and cannot choose its users' compiler flags, so the
// AVX2 and SSE4.2 kernels are compiled with __attribute__((target(...))) and
// called only after asking the CPU. A program built for baseline x86-64 (no
// -mavx2) therefore still runs the fast kernels where the CPU has them, and
// never executes an instruction the CPU lacks.
//
// Each answer is computed once, in a function-local static (thread-safe
// initialisation; afterwards one load and one predictable branch per call).
// When the compiler already targets the feature (-mavx2, -msse4.2,
// -march=native) the answer is a compile-time `true`.
//
// Define L4_CHECKSUM_NO_SIMD to compile the portable kernels only (for
// instance under valgrind or on an emulator that misreports CPUID).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(L4_CHECKSUM_NO_SIMD)
#define L4_CHECKSUM_X86 1
#else
#define L4_CHECKSUM_X86 0
#endif

namespace l4::checksum::cpu {

// True when this CPU (and the OS, which must save the YMM registers) can run
// AVX2 instructions.
[[nodiscard]] inline bool has_avx2() noexcept {
#if L4_CHECKSUM_X86 && defined(__AVX2__)
    return true;
#elif L4_CHECKSUM_X86
    // __builtin_cpu_init is needed when this runs before the program's own
    // static constructors (for example from another static initialiser).
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return yes;
#else
    return false;
#endif
}

// True when this CPU has the SSE4.2 `crc32` instruction (CRC32C polynomial).
[[nodiscard]] inline bool has_sse42() noexcept {
#if L4_CHECKSUM_X86 && defined(__SSE4_2__)
    return true;
#elif L4_CHECKSUM_X86
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return yes;
#else
    return false;
#endif
}

}  // namespace l4::checksum::cpu
