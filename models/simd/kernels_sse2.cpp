// SLEEF cinz kernels for sse2 (2 doubles per vector); compiled with the x86-64 baseline (CMakeLists.txt).
// Tails shorter than a vector are padded, so every element goes through the same function.
#include <immintrin.h>
#include <sleef.h>

#include "models/simd/kernels.hpp"

namespace retsim::vmath::detail {
namespace {

template <class F>  // SLEEF declares its functions as returning const vectors
inline void apply(F f, const double* x, double* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) _mm_storeu_pd(y + i, f(_mm_loadu_pd(x + i)));
    if (i < n) {
        alignas(64) double pad[2] = {};
        for (std::size_t j = i; j < n; ++j) pad[j - i] = x[j];
        _mm_storeu_pd(pad, f(_mm_loadu_pd(pad)));
        for (std::size_t j = i; j < n; ++j) y[j] = pad[j - i];
    }
}

void log1p_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_log1pd2_u10sse2, x, y, n); }
void exp_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_expd2_u10sse2, x, y, n); }
void expm1_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_expm1d2_u10sse2, x, y, n); }

}  // namespace

Kernels sse2_kernels() { return {log1p_kernel, exp_kernel, expm1_kernel, "sse2"}; }

}  // namespace retsim::vmath::detail
