// SLEEF cinz kernels for avx512f (8 doubles per vector); compiled with -mavx512f (CMakeLists.txt).
// Tails shorter than a vector are padded, so every element goes through the same function.
#include <immintrin.h>
#include <sleef.h>

#include "models/simd/kernels.hpp"

namespace retsim::vmath::detail {
namespace {

template <class F>  // SLEEF declares its functions as returning const vectors
inline void apply(F f, const double* x, double* y, std::size_t n) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, f(_mm512_loadu_pd(x + i)));
    if (i < n) {
        alignas(64) double pad[8] = {};
        for (std::size_t j = i; j < n; ++j) pad[j - i] = x[j];
        _mm512_storeu_pd(pad, f(_mm512_loadu_pd(pad)));
        for (std::size_t j = i; j < n; ++j) y[j] = pad[j - i];
    }
}

void log1p_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_log1pd8_u10avx512fnofma, x, y, n); }
void exp_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_expd8_u10avx512fnofma, x, y, n); }
void expm1_kernel(const double* x, double* y, std::size_t n) { apply(Sleef_cinz_expm1d8_u10avx512fnofma, x, y, n); }

}  // namespace

Kernels avx512_kernels() { return {log1p_kernel, exp_kernel, expm1_kernel, "avx512f"}; }

}  // namespace retsim::vmath::detail
