// Elementary functions over arrays, vectorised with SLEEF's consistent ("cinz") functions.
//
// Why: customer scoring evaluates a log1p, an exp or an expm1 per customer or per CLV period;
// glibc's scalar calls cost more than the rest of the arithmetic and the memory traffic
// together. SLEEF's cinz functions give the same bits on every vector width (SSE2, AVX,
// AVX-512: no fused multiply-add), so the widest unit the processor has is picked at load time
// and results still do not depend on the machine. Every value, including the tails of arrays
// (padded to a whole vector), goes through the same SLEEF function, so a customer scored alone
// (an array of one) equals the same customer scored in a batch, bit for bit. Accuracy: 1.0 ulp (SLEEF's u10).
#pragma once

#include <cstddef>

namespace retsim::vmath {

/// y[i] = log1p(x[i]), i < n. x and y may be the same array.
void log1p(const double* x, double* y, std::size_t n);
/// y[i] = exp(x[i]).
void exp(const double* x, double* y, std::size_t n);
/// y[i] = expm1(x[i]).
void expm1(const double* x, double* y, std::size_t n);

/// The instruction set in use: "avx512f", "avx" or "sse2".
[[nodiscard]] const char* instruction_set();

}  // namespace retsim::vmath
