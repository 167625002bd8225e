// Distribution samplers on counter-based draws. Written here rather than taken from <random>
// (whose algorithms differ between standard libraries) so that a fixed key gives the same
// variate on every platform; tests/test_samplers.cpp pins their outputs.
//
// Gamma: Marsaglia & Tsang (2000), "A simple method for generating gamma variables",
// ACM TOMS 26(3); for shape k < 1 the boost G(k) = G(k+1) * U^(1/k), done in logs so that
// tiny shapes underflow to a log, not to 0.
#pragma once

#include <algorithm>
#include <array>
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

// First tries. Most draws of a ziggurat or of Marsaglia-Tsang are accepted at their first try,
// from one or two words; these give that value, bit for bit, straight from the words of a
// Draws block, or false when the first try is not accepted and the caller must draw through
// Draws (from the same words, so with the same result). A purchase made this way needs no
// Draws object and no branch on which word comes next (tests/test_models.cpp checks every
// accepted value against Draws over a million words).

/// Boost.Random's ziggurat (1.74, Debian 12): the bucket and the fraction of its first try
/// from one 64-bit word (boost::random::detail::generate_int_float_pair<double, 8>: the low 8
/// bits are the bucket, the other 56 the fraction, of which Boost clears bit 11).
struct ZigguratTry {
    int bucket;
    double fraction;
    explicit ZigguratTry(std::uint64_t word)
        : bucket(int(word & 0xff)), fraction(double((word & ~(std::uint64_t{1} << 11)) >> 8) * 0x1.0p-56) {}
};

/// Standard normal of Draws::normal() from its first word, when its first try is accepted.
inline bool normal_first_try(std::uint64_t word, double& out) {
    const double* table_x = boost::random::detail::normal_table<double>::table_x;
    const ZigguratTry z(word);
    const int sign = (z.bucket & 1) * 2 - 1;
    const int i = z.bucket >> 1;
    const double x = z.fraction * table_x[i];
    out = x * sign * 1.0 + 0.0;  // as unit_normal_distribution, then normal_distribution(0, 1)
    return x < table_x[i + 1];
}

/// Standard exponential of Draws::exponential() from its first word, when its first try is accepted.
inline bool exponential_first_try(std::uint64_t word, double& out) {
    const double* table_x = boost::random::detail::exponential_table<double>::table_x;
    const ZigguratTry z(word);
    const double x = z.fraction * table_x[z.bucket];
    out = (0.0 + x) / 1.0;  // as unit_exponential_distribution, then exponential_distribution(1)
    return x < table_x[z.bucket + 1];
}

/// A squeeze for Marsaglia-Tsang's first try that is tighter than its own 1 - 0.0331 x^4, for
/// one shape: a step function below the acceptance bound A(x) = exp(x^2/2 + d (1 - v + ln v)),
/// v = (1 + c x)^3. A uniform below it is accepted by the log test too (with a relative slack
/// of 1e-6, far above the rounding of either side), so it accepts exactly the same draws while
/// sparing most of the log tests: without it about 8% of first tries need two logs and a
/// branch the processor cannot predict, with it only those near the bound or rejected.
/// A has its maximum at x = 0 (its log h has dh/dx = -(c x)^3 / (3 c (1 + c x))), so on each
/// step its minimum is at an end. First tries of the normal have |x| below Boost's ziggurat
/// tail start, 3.4426.
struct GammaSqueeze {
    static constexpr int kSteps = 128;
    static constexpr double kLow = -3.5, kHigh = 3.5;
    std::array<double, kSteps> below{};  ///< a lower bound of A on step k (0: none)

    explicit GammaSqueeze(const GammaShape& shape) {
        // Rounding in the log test grows with d: beyond this shape the table is left empty.
        if (!(shape.d < 1e6)) return;
        const auto bound = [&](double x) {
            const double w = 1.0 + shape.c * x;
            if (!(w > 0.0)) return 0.0;
            const double v = w * w * w;
            return std::exp(0.5 * x * x + shape.d * (1.0 - v + std::log(v)));
        };
        for (int k = 0; k < kSteps; ++k) {
            const double a = kLow + (kHigh - kLow) * k / kSteps;
            const double b = kLow + (kHigh - kLow) * (k + 1) / kSteps;
            // v must stay positive over the whole step; A is smallest at one of its ends.
            if (!(1.0 + shape.c * a > 0.0)) continue;
            below[std::size_t(k)] = std::min(bound(a), bound(b)) * (1.0 - 1e-6);
        }
    }
    /// A lower bound of A(x), for |x| < 3.5.
    [[nodiscard]] double at(double x) const {
        const int k = std::clamp(int((x - kLow) * (kSteps / (kHigh - kLow))), 0, kSteps - 1);
        return below[std::size_t(k)];
    }
};

/// gamma_variate_shape_ge1 from its first two words (the normal, then the uniform), when the
/// normal's first try and Marsaglia-Tsang's first try accept. With a GammaSqueeze of the same
/// shape, the same outcome with fewer log tests.
inline bool gamma_shape_ge1_first_try(std::uint64_t w0, std::uint64_t w1, const GammaShape& shape, double& out,
                                      const GammaSqueeze* squeeze = nullptr) {
    double x;
    if (!normal_first_try(w0, x)) return false;
    double v = 1.0 + shape.c * x;
    if (v <= 0.0) return false;
    v = v * v * v;
    const double u = Draws::uniform_from(w1);
    const double x2 = x * x;
    out = shape.d * v;
    if (squeeze != nullptr && u < squeeze->at(x)) return true;
    return u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + shape.d * (1.0 - v + std::log(v));
}

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
