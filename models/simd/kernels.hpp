// Array kernels of models/vector_math.cpp, one set per instruction set; each set lives in its
// own file compiled for that instruction set (see CMakeLists.txt), so nothing else is.
#pragma once

#include <cstddef>

namespace retsim::vmath::detail {

using ArrayFunction = void (*)(const double*, double*, std::size_t);

struct Kernels {
    ArrayFunction log1p, exp, expm1;
    const char* name;
};

Kernels sse2_kernels();
Kernels avx_kernels();
Kernels avx512_kernels();

}  // namespace retsim::vmath::detail
