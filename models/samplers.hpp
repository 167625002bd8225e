// Distribution samplers on counter-based draws. Written here rather than taken from <random>
// (whose algorithms differ between standard libraries) so that a fixed key gives the same
// variate on every platform; tests/test_samplers.cpp pins their outputs.
//
// Gamma: Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
// ACM TOMS 26(3); for shape k < 1 the boost G(k) = G(k+1) * U^(1/k), done in logs so that
// tiny shapes underflow to a log, not to 0.
#pragma once

#include <cmath>
#include <cstdint>

#include "sim/random.hpp"

namespace retsim {

/// Marsaglia-Tsang's constants for one shape >= 1: worked out once for a shape drawn from
/// again and again (a spend per purchase), with the very same values as per call.
struct GammaShape {
    double d, c;
    explicit GammaShape(double shape) : d(shape - 1.0 / 3.0), c(1.0 / std::sqrt(9.0 * d)) {}
};

/// Standard Gamma(shape, 1) variate for shape >= 1 (Marsaglia-Tsang squeeze and rejection).
inline double gamma_variate_shape_ge1(Draws& d, const GammaShape& shape) {
    const double dd = shape.d;
    const double c = shape.c;
    for (;;) {
        double x, v;
        do {
            x = d.normal();
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = d.uniform();
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + dd * (1.0 - v + std::log(v))) {
            return dd * v;
        }
    }
}
inline double gamma_variate_shape_ge1(Draws& d, double shape) { return gamma_variate_shape_ge1(d, GammaShape(shape)); }

/// Natural log of a standard Gamma(shape, 1) variate; shape > 0. Finite for any shape.
inline double log_gamma_variate(Draws& d, double shape) {
    if (shape >= 1.0) return std::log(gamma_variate_shape_ge1(d, shape));
    const double log_boost = std::log(d.uniform()) / shape;
    return std::log(gamma_variate_shape_ge1(d, shape + 1.0)) + log_boost;
}

/// Standard Gamma(shape, 1) variate; shape > 0. May underflow to 0 for shape << 1.
inline double gamma_variate(Draws& d, double shape) {
    return shape >= 1.0 ? gamma_variate_shape_ge1(d, shape) : std::exp(log_gamma_variate(d, shape));
}

/// Beta(a, b) variate as G_a / (G_a + G_b), computed from logs: never 0/0, in [0, 1].
inline double beta_variate(Draws& d, double a, double b) {
    const double la = log_gamma_variate(d, a);
    const double lb = log_gamma_variate(d, b);
    return 1.0 / (1.0 + std::exp(lb - la));
}

/// Poisson(mean) variate, mean >= 0 (Boost.Random's algorithm: inversion below 10, PTRS above).
[[nodiscard]] std::uint64_t poisson_variate(Draws& d, double mean);

}  // namespace retsim
