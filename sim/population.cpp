// Column storage for customer state (see population.hpp).
#include "sim/population.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace retsim {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

void* allocate_column_bytes(std::size_t bytes) {
    if (bytes < kHugePage) {
        void* p = std::malloc(bytes == 0 ? 1 : bytes);
        if (p == nullptr) throw std::bad_alloc();
        return p;
    }
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
    madvise(p, rounded, MADV_HUGEPAGE);  // a hint: without huge pages it still works
    return p;
}

void free_column_bytes(void* p, std::size_t) noexcept { std::free(p); }

}  // namespace retsim
