#include "models/vector_math.hpp"

#include "models/simd/kernels.hpp"

namespace retsim::vmath {
namespace {

const detail::Kernels& kernels() {
    static const detail::Kernels k = [] {
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f")) return detail::avx512_kernels();
        if (__builtin_cpu_supports("avx")) return detail::avx_kernels();
        return detail::sse2_kernels();
    }();
    return k;
}

}  // namespace

void log1p(const double* x, double* y, std::size_t n) { kernels().log1p(x, y, n); }
void exp(const double* x, double* y, std::size_t n) { kernels().exp(x, y, n); }
void expm1(const double* x, double* y, std::size_t n) { kernels().expm1(x, y, n); }

const char* instruction_set() { return kernels().name; }

}  // namespace retsim::vmath
