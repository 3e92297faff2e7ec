// Live heap bytes: replaces the global operator new and delete (the plain,
// array, sized and nothrow forms) with ones that count what is allocated, so
// that a fuzz target can bound the memory an input makes the library hold.
// Include it in exactly one translation unit of a target. The aligned forms
// stay the runtime's: they pair among themselves, and l4kit allocates nothing
// over-aligned. Counting uses malloc_usable_size, which glibc and the
// sanitizers' allocators both provide and which agrees between new and delete.
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace l4::fuzz {
inline std::atomic<std::int64_t> live_heap{0};
}  // namespace l4::fuzz

void* operator new(std::size_t n) {
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc{};
    l4::fuzz::live_heap.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    return p;
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    void* p = std::malloc(n ? n : 1);
    if (p) l4::fuzz::live_heap.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    return p;
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept {
    if (!p) return;
    l4::fuzz::live_heap.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
