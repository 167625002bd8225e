// Tests of the vectorised elementary functions (models/vector_math.hpp): every instruction set
// this processor has gives the same bits (so results do not depend on the machine), array and
// scalar forms agree (tails included), and the values are within SLEEF's stated 1 ulp of
// glibc's, with the special values of the C standard.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "models/simd/kernels.hpp"
#include "models/vector_math.hpp"

using namespace retsim;

namespace {

std::vector<double> arguments() {
    std::vector<double> v = {0.0, -0.0, 1e-300, -1e-300, 1e-17, 1e-8, 0.5, -0.5, 1.0, 2.0, 10.0, -10.0,
                             700.0, -700.0, 709.7, -745.0, 1e300, -0.999999, 0.3333333333333333};
    for (int i = 0; i < 1001; ++i) v.push_back(-0.99 + 0.0123456789 * i);  // odd count: tails
    return v;
}

/// One value through an array function, as a customer scored alone goes.
double one(void (*f)(const double*, double*, std::size_t), double x) {
    double y;
    f(&x, &y, 1);
    return y;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::vector<vmath::detail::Kernels> supported() {
    std::vector<vmath::detail::Kernels> k = {vmath::detail::sse2_kernels()};
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx")) k.push_back(vmath::detail::avx_kernels());
    if (__builtin_cpu_supports("avx512f")) k.push_back(vmath::detail::avx512_kernels());
    return k;
}

/// Distance in units in the last place between two finite doubles of the same sign.
double ulps(double a, double b) {
    if (a == b) return 0.0;
    return std::abs(a - b) / (std::nextafter(std::abs(b), INFINITY) - std::abs(b));
}

}  // namespace

TEST_CASE("vector math: every instruction set gives the same bits", "[unit]") {
    const std::vector<double> x = arguments();
    const auto kernels = supported();
    INFO("instruction sets compared: " << kernels.size() << ", in use: " << vmath::instruction_set());
    using Pick = vmath::detail::ArrayFunction vmath::detail::Kernels::*;
    for (Pick pick : {&vmath::detail::Kernels::log1p, &vmath::detail::Kernels::exp, &vmath::detail::Kernels::expm1}) {
        std::vector<double> reference(x.size());
        (kernels[0].*pick)(x.data(), reference.data(), x.size());
        for (const auto& k : kernels) {
            // Whole array, and the same values one at a time (the padded tail path).
            std::vector<double> y(x.size()), one(1);
            (k.*pick)(x.data(), y.data(), x.size());
            for (std::size_t i = 0; i < x.size(); ++i) {
                (k.*pick)(&x[i], one.data(), 1);
                INFO(k.name << " x = " << x[i]);
                CHECK(same_bits(y[i], reference[i]));
                CHECK(same_bits(one[0], reference[i]));
            }
        }
    }
}

TEST_CASE("vector math: values within 1 ulp of glibc's and the standard's special values", "[unit]") {
    for (double x : arguments()) {
        INFO("x = " << x);
        if (x > -1.0) CHECK(ulps(one(vmath::log1p, x), std::log1p(x)) <= 1.0);
        if (std::isfinite(std::exp(x))) {
            CHECK(ulps(one(vmath::exp, x), std::exp(x)) <= 1.0);
            CHECK(ulps(one(vmath::expm1, x), std::expm1(x)) <= 1.0);
        }
    }
    CHECK(one(vmath::log1p, -1.0) == -INFINITY);
    CHECK(std::isnan(one(vmath::log1p, -2.0)));
    CHECK(one(vmath::exp, -INFINITY) == 0.0);
    CHECK(one(vmath::exp, 1000.0) == INFINITY);
    CHECK(one(vmath::expm1, -INFINITY) == -1.0);
    CHECK(same_bits(one(vmath::expm1, -0.0), -0.0));
}
