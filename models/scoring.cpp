// Customer scoring (formulas and references in scoring.hpp): P(alive), conditional expected
// purchases, Gamma-Gamma spend, CLV, logistic propensity and RFM, scalar and in columns.
//
// Numerical approach, all in double precision:
// - BG/NBD P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) (FHL 2005 eq. 13,
//   and their note "Computing P(alive) using the BG/NBD model"), with the ratio kept as a log.
// - BG/NBD E[Y(t) | x, t_x, T] = P(alive) * E'[X(t)], where E'[X(t)] is the unconditional
//   expectation (FHL 2005 eq. 7) of a fresh customer with the posterior parameters
//   r' = r+x, alpha' = alpha+T, a, b' = b+x (memorylessness: a customer alive at T behaves as a
//   new one with updated traits); this is eq. 10:
//     E'[X(t)] = C/(a-1) [1 - u^r' 2F1(r', b'; C; z)],  C = a+b'-1, z = t/(alpha'+t), u = 1-z.
//   Euler's transformation gives u^r' 2F1(r', b'; C; z) = u^(a-1) 2F1(C-r', a-1; C; z); writing
//   2F1(C-r', a-1; C; z) = 1 + (a-1) S(z) and u^(a-1) = 1 + (a-1) L(z) cancels the 1/(a-1):
//     E'[X(t)] = -C [L + u^(a-1) S],  L = (u^(a-1) - 1)/(a-1) (= ln u at a = 1),
//     S = sum_{n>=1} (C-r')_n (a)_(n-1) / ((C)_n n!) z^n.
//   The parameters of this series do not grow with x (its terms shrink like 1/C^n), so very
//   large x costs a few terms instead of the x*z-term hump of the untransformed series. It is
//   summed by hand rather than through boost::math::hypergeometric_pFq because we need the
//   a -> 1 regularised form above, a shared coefficient sweep over the CLV periods, and no
//   allocation or error bookkeeping per customer. Where the series is slow or unsafe (z > 0.95,
//   C < 0.5, huge terms) E'[X(t)] is integrated instead over the Beta(a, b') dropout
//   probability p: E'[X(t)] = E_p[(1 - (1 + p t/alpha')^-r') / p] (Boost Gauss-Kronrod).
// - Pareto/NBD P(alive) (Fader & Hardie 2005 note, eq. 18-19 with A0) in the Euler-transformed
//   form whose series has positive terms bounded by z^n: with R = ((alpha+T)/(alpha+t_x))^(r+x)
//   ((beta+T)/(beta+t_x))^s,
//     alpha >= beta: P = 1/(1 + s/(r+s+x) [R G(z_tx) - G(z_T)]),  z_y = (alpha-beta)/(alpha+y),
//                    G(z) = 2F1(1, r+x; r+s+x+1; z);
//     alpha < beta:  P = 1/(1 + s/(r+s+x) [R c_tx H(w_tx) - c_T H(w_T)]), w_y = (beta-alpha)/(beta+y),
//                    c_y = (alpha+y)/(beta+y), H(w) = 2F1(1, s+1; r+s+x+1; w).
//   Beyond z = 0.95 the bracket is integrated instead: s/(r+s+x) [..] = s int_{t_x}^T R(tau) /
//   (beta+tau) dtau with R(tau) = ((alpha+T)/(alpha+tau))^(r+x) ((beta+T)/(beta+tau))^s.
// - Pareto/NBD E[Y(t)] = P(alive) (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)],
//   evaluated as (r+x)(beta+T)/(alpha+T) * l * (1 - e^-((s-1) l))/((s-1) l), l = ln(1 + t/(beta+T)),
//   which is regular at s = 1.
#include "models/scoring.hpp"

#include <algorithm>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "models/vector_math.hpp"

// clang 14 (the fuzz build, fuzz/) refuses target_clones on function templates, and under
// ThreadSanitizer the clones' resolvers run, instrumented, before TSan's runtime is up and
// crash at load time; there the kernels are compiled once for the baseline instruction set,
// with the same bits.
#if defined(__clang__) || defined(__SANITIZE_THREAD__)
#define RETSIM_CLONES
#else
#define RETSIM_CLONES __attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#endif

namespace retsim {
namespace {

constexpr double kWeeksPerYear = 52.1775;
constexpr double kSeriesEps = 1e-17;     // relative size of the last series term kept
constexpr double kSeriesMaxZ = 0.95;     // beyond this the series needs too many terms
constexpr double kSeriesMinC = 0.5;      // BG/NBD: C = a+b'-1 below this is near a pole of 2F1
constexpr double kSeriesMaxLoss = 1e-11;  // rounding of the largest term, relative to the result
constexpr double kSeriesHuge = 1e100;    // a term this large means cancellation: integrate instead
constexpr int kSeriesMaxTerms = 20000;
constexpr double kQuadratureTolerance = 1e-11;
constexpr unsigned kQuadratureDepth = 10;  // at most 2^10 Gauss-Kronrod panels
constexpr int kChunk = 64;               // CLV periods evaluated per coefficient sweep

/// (1 - e^-k)/k, 1 at k = 0.
double one_minus_exp_neg_over(double k) { return k == 0.0 ? 1.0 : -std::expm1(-k) / k; }

/// 1/(1 + e^v) without overflow for any v, including +-inf.
double inv_one_plus_exp(double v) {
    if (v > 0.0) {
        const double e = std::exp(-v);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + std::exp(v));
}

/// Stirling's remainder of log Gamma(x): lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + S(x);
/// for x >= 100 the terms kept leave under 1e-18.
double stirling_remainder(double x) {
    const double y = 1.0 / (x * x);
    return (1.0 / 12.0 - y * (1.0 / 360.0 - y * (1.0 / 1260.0))) / x;
}

/// log B(a, b), accurate to about machine epsilon of |log B| for any a, b > 0. The sum of
/// lgammas loses digits to cancellation for large arguments (lgamma(1e6) is 1.3e7, so the
/// customer with a million purchases got a log B off by 3e-9), and Boost has no log-Beta: with
/// s = min(a, b), g = max(a, b), the large lgammas are taken through Stirling's formula, in terms
/// that are each about as large as the result.
double log_beta(double a, double b) {
    using boost::math::lgamma;
    const double s = std::min(a, b), g = std::max(a, b), n = s + g;
    if (g < 100.0) return lgamma(a) + lgamma(b) - lgamma(n);
    // lgamma(g) - lgamma(g + s) = -(g - 1/2) log1p(s/g) - s log(g + s) + s + S(g) - S(g + s)
    const double tail = stirling_remainder(g) - stirling_remainder(n);
    if (s < 100.0) return lgamma(s) - (g - 0.5) * std::log1p(s / g) - s * std::log(n) + s + tail;
    // (s - 1/2) log(s/n) + (g - 1/2) log(g/n) - log(n)/2 + log(2 pi)/2 + S(s) + S(g) - S(n)
    const double half_log_2pi = 0.91893853320467274178;
    return (s - 0.5) * std::log(s / n) + (g - 0.5) * std::log1p(-s / n) - 0.5 * std::log(n) + half_log_2pi +
           stirling_remainder(s) + tail;
}

// ---------------------------------------------------------------------------------------------
// BG/NBD

/// Per-parameter constants, computed once per batch.
struct BgConstants {
    BgNbdParams p;
    double log_a;
};

BgConstants bg_constants(const BgNbdParams& p) { return {p, std::log(p.a)}; }

double bg_p_alive(const BgConstants& k, const History& h) {
    if (!(h.x > 0.0)) return 1.0;  // no repeat purchase: BG/NBD customers cannot have left yet
    const double gap = std::max(0.0, h.T_weeks - h.t_x_weeks);
    const double log_odds_dead = k.log_a - std::log(k.p.b + h.x - 1.0) +
                                 (k.p.r + h.x) * std::log1p(gap / (k.p.alpha_weeks + h.t_x_weeks));
    return inv_one_plus_exp(log_odds_dead);
}

/// Posterior of a customer alive at T: a fresh BG/NBD customer with these parameters.
struct BgFresh {
    double r, alpha, a, b;
};

BgFresh bg_fresh(const BgNbdParams& p, const History& h) {
    return {p.r + h.x, p.alpha_weeks + h.T_weeks, p.a, p.b + h.x};
}

/// E'[X(t)] by integration over the dropout probability p ~ Beta(a, b'):
///   E_p[h(p)/p], h(p) = 1 - (1 + p t/alpha')^-r'.
/// Where the Beta density is singular or has an infinite slope (a < 2 at p = 0, b' < 2 at p = 1;
/// down to 1e-3) the integral is split at p = 1/2 and that half substituted, v = (2p)^a or
/// w = (2(1-p))^b', which makes it smooth near that end; otherwise it is integrated in p, in
/// panels around the density's peak. h(p)/p is flat, r' t/alpha', up to its knee near
/// p = alpha'/(t max(r', 1)) and falls as 1/p beyond; a knee deep inside the panel next to
/// p = 0 (a frequent buyer over a long horizon: 1e-8 at r' = 1000, t/alpha' = 52000) is
/// integrated in log p.
double bg_fresh_expected_quadrature(const BgFresh& f, double t) {
    using Integrator = boost::math::quadrature::gauss_kronrod<double, 31>;
    const double lb = log_beta(f.a, f.b);
    const double ln2 = std::log(2.0);
    const double rate = t / f.alpha;
    const auto h = [&](double p) { return -std::expm1(-f.r * std::log1p(p * rate)); };
    const auto h_over_p = [&](double p) { return p < 1e-200 ? f.r * rate : h(p) / p; };
    const auto density_h = [&](double p) {  // Beta density times h(p)/p, for 0 < p < 1
        return std::exp((f.a - 1.0) * std::log(p) + (f.b - 1.0) * std::log1p(-p) - lb) * h_over_p(p);
    };
    const double knee = 1.0 / (rate * std::max(f.r, 1.0));
    // The integral of g(s) over [s_lo, s_hi] on equal panels at most 2 wide (no sliver of a last
    // panel, which Boost would refine to the full depth); g is an integrand in s = log x.
    const auto in_log = [&](const auto& g, double s_lo, double s_hi) {
        if (!(s_hi > s_lo)) return 0.0;
        const int n = int(std::ceil((s_hi - s_lo) / 2.0));
        const double width = (s_hi - s_lo) / n;
        double total = 0.0;
        for (int j = 0; j < n; ++j) {
            const double hi = j + 1 == n ? s_hi : s_lo + (j + 1) * width;
            total += Integrator::integrate(g, s_lo + j * width, hi, kQuadratureDepth, kQuadratureTolerance);
        }
        return total;
    };
    const auto density_h_log_p = [&](double s) {
        const double p = std::exp(s);
        return density_h(p) * p;
    };
    // The half next to an end x = 0 (x = p, or 1 - p) where the Beta density goes as x^(e-1),
    // e < 2, by u = (2x)^e, which makes that end smooth. In u the integrand is flat below
    // x = e^s_flat, while a step in x (the knee, or where the other Beta factor starts to fall)
    // is only about e wide in log u: so in u up to e^s_flat, in s = log x beyond.
    const auto near_end = [&](const auto& in_u, double e, double s_flat, const auto& in_log_x) {
        // Mapped to [-1, 1]: Boost would hold a panel w wide to w/2 times the tolerance.
        const double half = 0.5 * std::exp(e * (s_flat + ln2));
        const double flat = half * Integrator::integrate([&](double u) { return in_u(half * (1.0 + u)); }, -1.0, 1.0,
                                                         kQuadratureDepth, kQuadratureTolerance);
        return flat + in_log(in_log_x, s_flat, -ln2);
    };
    // For a >= 2, the integral of density_h over [0, hi] when the knee lies far inside it
    // (knee_within(hi)), in s = log p: past the knee density_h(p) p is smooth on panels 2 wide;
    // below it falls as e^(a s), so 40 below the knee the rest is under e^-40 of it.
    const auto knee_within = [&](double hi) { return knee < hi / 16.0; };
    const auto from_zero_in_log = [&](double hi) {
        return in_log(density_h_log_p, std::log(knee) - 40.0, std::log(hi));
    };
    if (f.a >= 2.0 && f.b >= 2.0) {
        // A density without singularities can still be a narrow peak (sd 3e-5 at a = 1000,
        // b' = 1e6): panels at the mean +- 1, 2, 4, .., 64 standard deviations keep every panel
        // smooth (the density is log-concave, so beyond 64 there is next to nothing).
        // The integral is taken in standard deviations, z = (p - mean)/sd, so that panels are
        // about 1 wide: Boost's test of a panel compares the Kronrod-Gauss difference on the
        // panel mapped to [-1, 1] with the tolerance times the panel's integral, so in p a
        // panel of width w is held to w/2 times the tolerance, and a narrow peak was refined
        // to the full depth everywhere (seconds per customer).
        const double mean = f.a / (f.a + f.b);
        const double sd = std::sqrt(mean * (1.0 - mean) / (f.a + f.b + 1.0));
        const auto density_h_z = [&](double z) { return density_h(std::clamp(mean + z * sd, 0.0, 1.0)); };
        const double z_end = (1.0 - mean) / sd;
        const double z_start = -mean / sd;
        double total = 0.0, lo = z_start;
        for (double k : {-64.0, -32.0, -16.0, -8.0, -4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0,
                         z_end}) {
            const double hi = std::min(z_end, k);
            if (!(hi > lo)) continue;
            const double p_hi = mean + hi * sd;
            if (lo == z_start && knee_within(p_hi)) {  // the panel from p = 0 holds the knee
                total += from_zero_in_log(p_hi) / sd;
            } else {
                total += Integrator::integrate(density_h_z, lo, hi, kQuadratureDepth, kQuadratureTolerance);
            }
            lo = hi;
        }
        return std::max(0.0, total * sd);
    }
    double left, right;
    if (f.a < 2.0) {
        const double scale = -f.a * ln2 - std::log(f.a) - lb;
        const auto in_v = [&](double v) {
            const double p = std::exp(std::log(v) / f.a - ln2);
            return std::exp(scale + (f.b - 1.0) * std::log1p(-p)) * h_over_p(p);
        };
        left = near_end(in_v, f.a, std::log(std::min({knee, 1.0 / f.b, 0.5})) - 32.0, density_h_log_p);
    } else {
        left = knee_within(0.5) ? from_zero_in_log(0.5)
                                : Integrator::integrate(density_h, 0.0, 0.5, kQuadratureDepth, kQuadratureTolerance);
    }
    if (f.b < 2.0) {
        const double scale = -f.b * ln2 - std::log(f.b) - lb;
        const auto in_w = [&](double w) {
            const double q = std::exp(std::log(w) / f.b - ln2);  // 1 - p
            return std::exp(scale + (f.a - 2.0) * std::log1p(-q)) * h(1.0 - q);
        };
        const auto in_log_q = [&](double s) {
            const double q = std::exp(s);
            return std::exp((f.a - 2.0) * std::log1p(-q) + f.b * s - lb) * h(1.0 - q);
        };
        right = near_end(in_w, f.b, std::log(std::min(1.0 / f.a, 0.5)) - 32.0, in_log_q);
    } else {
        right = Integrator::integrate(density_h, 0.5, 1.0, kQuadratureDepth, kQuadratureTolerance);
    }
    return std::max(0.0, left + right);
}

/// Sums the series S(z_k) = sum_n coef_n z_k^n, coef_1 = e/c, coef_(n+1) = coef_n (e+n)(a+n-1) /
/// ((c+n)(n+1)), for ascending z_0 <= .. <= z_(m-1) at once, sharing the coefficient sweep.
/// Each z_k stops once its last term is below stop[k] and the terms are shrinking; as the z are
/// ascending, the finished ones are a prefix, dropped from the sweep. The loss check of the
/// caller needs the largest term at z_(m-1), returned in `peak`. Returns false when the terms
/// blow up (cancellation) or do not converge.
///
/// This loop is most of the CLV's cost, so it is compiled for AVX2 and AVX-512 as well and the
/// widest the processor has is chosen at load time. Every lane does the same multiplies and adds
/// in the same order (and -ffp-contract=off forbids fusing them), so all clones give the same
/// bits.
RETSIM_CLONES bool bg_series_sweep(
    double e, double c, double a, const double* z, const double* stop, int m, double* sum, double& peak) {
    double power[kChunk];
    double coef = e / c;  // n = 1
    for (int k = 0; k < m; ++k) {
        power[k] = z[k];
        sum[k] = coef * z[k];
    }
    const double z_max = z[m - 1];
    peak = std::abs(sum[m - 1]);
    int lo = 0;
    // Four terms per pass over the lanes (the lanes' loads and stores are most of the cost), the
    // convergence checked after each pass; every lane still adds its terms one at a time, in order.
    constexpr int kUnroll = 8;
    for (int n = 1;; n += kUnroll) {
        double coefs[kUnroll], ratio = 0.0, last_power = power[m - 1];
        for (int j = 0; j < kUnroll; ++j) {
            const double nj = n + j;
            ratio = (e + nj) * (a + nj - 1.0) / ((c + nj) * (nj + 1.0));
            coef *= ratio;
            coefs[j] = coef;
            last_power *= z_max;
            peak = std::max(peak, std::abs(coef * last_power));
        }
        for (int k = lo; k < m; ++k) {
            double pk = power[k], sk = sum[k];
            const double zk = z[k];
            for (int j = 0; j < kUnroll; ++j) {
                pk *= zk;
                sk += coefs[j] * pk;
            }
            power[k] = pk;
            sum[k] = sk;
        }
        const double last = std::abs(coef * power[m - 1]);
        if (peak > kSeriesHuge || n >= kSeriesMaxTerms) return false;
        if (std::abs(ratio) * z_max < 1.0) {
            if (last <= stop[m - 1]) return true;
            while (lo < m - 1 && std::abs(coef * power[lo]) <= stop[lo]) ++lo;
        }
    }
}

/// E'[X(t_k)] for m <= kChunk ascending times t_k >= 0 through one sweep of the series
/// coefficients.
void bg_fresh_expected_chunk(const BgFresh& f, const double* t, int m, double* out) {
    const double c = f.a + f.b - 1.0;
    const double e = c - f.r;
    const double am1 = f.a - 1.0;
    double z[kChunk], sum[kChunk], u_am1[kChunk], ell[kChunk], stop[kChunk], log_u[kChunk], em1[kChunk];
    for (int k = 0; k < m; ++k) log_u[k] = t[k] / f.alpha;
    vmath::log1p(log_u, log_u, std::size_t(m));
    for (int k = 0; k < m; ++k) log_u[k] = -log_u[k];  // u = alpha'/(alpha'+t), exactly
    double* power_log = stop;                            // reused below
    for (int k = 0; k < m; ++k) power_log[k] = am1 * log_u[k];
    vmath::expm1(power_log, em1, std::size_t(m));
    vmath::exp(power_log, u_am1, std::size_t(m));
    for (int k = 0; k < m; ++k) {
        // u^(a-1) and (u^(a-1) - 1)/(a-1): expm1 where u^(a-1) is near 1 (so that L keeps its
        // digits), exp elsewhere (so that a small u^(a-1) keeps its own).
        if (std::abs(power_log[k]) < 0.5)
            u_am1[k] = 1.0 + em1[k];
        else
            em1[k] = u_am1[k] - 1.0;
        z[k] = t[k] / (f.alpha + t[k]);
        ell[k] = power_log[k] == 0.0 ? log_u[k] : log_u[k] * (em1[k] / power_log[k]);
        // Stop when the last term, times the tail factor 1/(1-z), is below kSeriesEps of |L|, the
        // size of the terms that the series is added to.
        stop[k] = kSeriesEps * std::abs(ell[k]) * (1.0 - z[k]) / u_am1[k];
    }
    const double z_max = m > 0 ? z[m - 1] : 0.0;
    // u^(a-1) S must not underflow while S is large (a >> 1 with z near 1): integrate instead.
    bool ok = c >= kSeriesMinC && z_max <= kSeriesMaxZ && (m == 0 || std::abs(am1 * std::log1p(-z_max)) < 200.0);
    if (ok && m > 0) {
        double peak = 0.0;
        ok = bg_series_sweep(e, c, f.a, z, stop, m, sum, peak);
        // Large a makes the terms grow to ~e^(a z) before they fall, and u^(a-1) S then cancels
        // against L: when the rounding of the largest term (its size times machine epsilon) is
        // more than kSeriesMaxLoss of the result, integrate instead.
        const int k = m - 1;
        const double result = -c * (ell[k] + u_am1[k] * sum[k]);
        const double peak_rounding = c * u_am1[k] * peak * std::numeric_limits<double>::epsilon();
        if (ok && !(peak_rounding < kSeriesMaxLoss * result)) ok = false;
    }
    for (int k = 0; k < m; ++k) {
        if (!(t[k] > 0.0)) {
            out[k] = 0.0;
        } else if (ok) {
            out[k] = std::max(0.0, -c * (ell[k] + u_am1[k] * sum[k]));
        } else {
            out[k] = bg_fresh_expected_quadrature(f, t[k]);
        }
    }
}

double bg_expected_purchases(const BgConstants& k, const History& h, double t_weeks, double p_alive) {
    double fresh = 0.0;
    bg_fresh_expected_chunk(bg_fresh(k.p, h), &t_weeks, 1, &fresh);
    return p_alive * fresh;
}

/// CLV periods: ends t_k = min(k * period, horizon), k = 1..N, discount factors d_k.
struct ClvPeriods {
    int n;
    double period, horizon, step_discount, last_discount;
};

ClvPeriods clv_periods(const ClvSettings& s) {
    ClvPeriods c{};
    if (!(s.horizon_weeks > 0.0) || !(s.period_weeks > 0.0)) return c;
    c.period = s.period_weeks;
    c.horizon = s.horizon_weeks;
    c.n = int(std::ceil(s.horizon_weeks / s.period_weeks - 1e-9));
    const double log_factor = -std::log1p(s.annual_discount_rate) / kWeeksPerYear;
    c.step_discount = std::exp(log_factor * s.period_weeks);
    c.last_discount = std::exp(log_factor * s.horizon_weeks);
    return c;
}

/// Sum over periods of d_k [F(t_k) - F(t_(k-1))], F evaluated in chunks by `eval(t, m, out)`.
/// Discounts are d_k = step^k, the last (possibly partial) period discounted at the horizon.
template <class Eval>
double discounted_increments(const ClvPeriods& c, Eval&& eval) {
    double t[kChunk], f[kChunk];
    double total = 0.0, previous = 0.0, discount = 1.0;
    for (int first = 1; first <= c.n; first += kChunk) {
        const int m = std::min(kChunk, c.n - first + 1);
        for (int j = 0; j < m; ++j) t[j] = std::min(double(first + j) * c.period, c.horizon);
        eval(t, m, f);
        for (int j = 0; j < m; ++j) {
            discount = first + j == c.n ? c.last_discount : discount * c.step_discount;
            total += discount * (f[j] - previous);
            previous = f[j];
        }
    }
    return total;
}

double gg_expected_spend(const GammaGammaParams& g, double x, double m) {
    const double own = x > 0.0 ? m * x : 0.0;  // x = 0: m is undefined and must not matter
    return (g.gamma_cents + own) * g.p / (g.p * x + g.q - 1.0);
}

double bg_clv(const BgConstants& k, const GammaGammaParams& g, const History& h, const ClvSettings& s,
              double p_alive) {
    const ClvPeriods c = clv_periods(s);
    if (c.n == 0 || !(p_alive > 0.0)) return 0.0;
    const BgFresh f = bg_fresh(k.p, h);
    const double purchases = discounted_increments(
        c, [&](const double* t, int m, double* out) { bg_fresh_expected_chunk(f, t, m, out); });
    return std::max(0.0, p_alive * purchases * gg_expected_spend(g, h.spend_count, h.mean_spend_cents) *
                             s.margin_fraction);
}

// ---------------------------------------------------------------------------------------------
// Pareto/NBD

/// sum_{n>=0} (b)_n / (c)_n z^n = 2F1(1, b; c; z) for 0 < b < c, 0 <= z < 1: positive terms, each
/// at most z^n, so no overflow and no cancellation.
double hyp2f1_one(double b, double c, double z) {
    double term = 1.0, sum = 1.0;
    if (z == 0.0) return 1.0;
    const double stop = kSeriesEps * (1.0 - z) / z;
    for (int n = 0; n < kSeriesMaxTerms; ++n) {
        term *= (b + n) / (c + n) * z;
        sum += term;
        if (term <= stop * sum) break;
    }
    return sum;
}

/// log of s int_{t_x}^T R(tau)/(beta+tau) dtau, integrated in u = ln((beta+tau)/(beta+t_x)) / D,
/// D = ln((beta+T)/(beta+t_x)), so that the integrand exp(log R) is smooth even for beta near 0.
double pnbd_log_q_quadrature(const ParetoNbdParams& p, const History& h) {
    using Integrator = boost::math::quadrature::gauss_kronrod<double, 31>;
    const double x = h.x, tx = h.t_x_weeks, T = h.T_weeks;
    const double d = std::log1p((T - tx) / (p.beta_weeks + tx));
    const auto log_r = [&](double u) {
        const double alpha_tau = p.alpha_weeks + tx + (p.beta_weeks + tx) * std::expm1(u * d);
        return (p.r + x) * std::log((p.alpha_weeks + T) / alpha_tau) + p.s * (1.0 - u) * d;
    };
    const double log_r0 = log_r(0.0);
    const double integral =
        Integrator::integrate([&](double u) { return std::exp(log_r(u) - log_r0); }, 0.0, 1.0, kQuadratureDepth,
                              kQuadratureTolerance);
    return std::log(p.s * d * integral) + log_r0;
}

double pnbd_p_alive(const ParetoNbdParams& p, const History& h) {
    const double x = h.x, tx = h.t_x_weeks, T = h.T_weeks;
    const double gap = T - tx;
    if (!(gap > 0.0)) return 1.0;  // t_x = T: no time in which the customer could have left
    const double log_r = (p.r + x) * std::log1p(gap / (p.alpha_weeks + tx)) + p.s * std::log1p(gap / (p.beta_weeks + tx));
    const double c = p.r + p.s + x + 1.0;
    double z_tx, z_T, c_tx = 1.0, c_T = 1.0, b;
    if (p.alpha_weeks >= p.beta_weeks) {
        z_tx = (p.alpha_weeks - p.beta_weeks) / (p.alpha_weeks + tx);
        z_T = (p.alpha_weeks - p.beta_weeks) / (p.alpha_weeks + T);
        b = p.r + x;
    } else {
        z_tx = (p.beta_weeks - p.alpha_weeks) / (p.beta_weeks + tx);
        z_T = (p.beta_weeks - p.alpha_weeks) / (p.beta_weeks + T);
        c_tx = (p.alpha_weeks + tx) / (p.beta_weeks + tx);
        c_T = (p.alpha_weeks + T) / (p.beta_weeks + T);
        b = p.s + 1.0;
    }
    if (z_tx > kSeriesMaxZ) return inv_one_plus_exp(pnbd_log_q_quadrature(p, h));
    const double k = p.s / (c - 1.0);
    const double g_tx = c_tx * hyp2f1_one(b, c, z_tx);
    const double g_T = c_T * hyp2f1_one(b, c, z_T);
    if (log_r < 600.0) {
        // R g_tx - g_T = (R - 1) g_tx + (g_tx - g_T): no loss when t_x is close to T.
        const double q = k * (std::expm1(log_r) * g_tx + (g_tx - g_T));
        return 1.0 / (1.0 + std::max(0.0, q));
    }
    return inv_one_plus_exp(std::log(k * g_tx) + log_r);  // g_T is negligible next to R g_tx
}

/// E[Y(t)] / P(alive) = (r+x)/(alpha+T) int_0^t ((beta+T)/(beta+T+tau))^s dtau.
double pnbd_alive_expected(const ParetoNbdParams& p, const History& h, double t) {
    if (!(t > 0.0)) return 0.0;
    const double beta_T = p.beta_weeks + h.T_weeks;
    const double l = std::log1p(t / beta_T);
    return (p.r + h.x) * beta_T / (p.alpha_weeks + h.T_weeks) * l * one_minus_exp_neg_over((p.s - 1.0) * l);
}

double pnbd_clv(const ParetoNbdParams& p, const GammaGammaParams& g, const History& h, const ClvSettings& s,
                double p_alive) {
    const ClvPeriods c = clv_periods(s);
    if (c.n == 0 || !(p_alive > 0.0)) return 0.0;
    const double purchases = discounted_increments(c, [&](const double* t, int m, double* out) {
        for (int j = 0; j < m; ++j) out[j] = pnbd_alive_expected(p, h, t[j]);
    });
    return std::max(0.0, p_alive * purchases * gg_expected_spend(g, h.spend_count, h.mean_spend_cents) *
                             s.margin_fraction);
}

// ---------------------------------------------------------------------------------------------

History history_at(const HistoryColumns& in, std::size_t i) {
    return {in.x[i], in.t_x_weeks[i], in.T_weeks[i], in.mean_spend_cents[i],
            in.spend_count != nullptr ? in.spend_count[i] : in.x[i]};
}

/// Number of ascending cut points strictly below v: comparisons only, no branches.
std::vector<double> quantile_cuts(std::vector<double> values, int bins) {
    std::sort(values.begin(), values.end());
    std::vector<double> cuts;
    const std::size_t n = values.size();
    for (int j = 1; j < bins; ++j) {
        // Lower j/bins quantile: the ceil(j n / bins)-th smallest value (1-based).
        const std::size_t rank = (std::size_t(j) * n + std::size_t(bins) - 1) / std::size_t(bins);
        cuts.push_back(values[std::max<std::size_t>(rank, 1) - 1]);
    }
    return cuts;
}

}  // namespace

double bgnbd_p_alive(const BgNbdParams& p, const History& h) { return bg_p_alive(bg_constants(p), h); }

double bgnbd_expected_purchases(const BgNbdParams& p, const History& h, double t_weeks) {
    const BgConstants k = bg_constants(p);
    return bg_expected_purchases(k, h, t_weeks, bg_p_alive(k, h));
}

double paretonbd_p_alive(const ParetoNbdParams& p, const History& h) { return pnbd_p_alive(p, h); }

double paretonbd_expected_purchases(const ParetoNbdParams& p, const History& h, double t_weeks) {
    return pnbd_p_alive(p, h) * pnbd_alive_expected(p, h, t_weeks);
}

double gamma_gamma_expected_spend(const GammaGammaParams& p, double x, double mean_spend_cents) {
    return gg_expected_spend(p, x, mean_spend_cents);
}

double bgnbd_clv(const BgNbdParams& p, const GammaGammaParams& g, const History& h, const ClvSettings& s) {
    const BgConstants k = bg_constants(p);
    return bg_clv(k, g, h, s, bg_p_alive(k, h));
}

double paretonbd_clv(const ParetoNbdParams& p, const GammaGammaParams& g, const History& h,
                     const ClvSettings& s) {
    return pnbd_clv(p, g, h, s, pnbd_p_alive(p, h));
}

namespace {

/// Customers per call of the vector functions: long enough to amortise the call, short enough
/// that the output block, used as scratch, stays in the L1 cache.
constexpr std::size_t kPropensityBlock = 256;

/// Propensity of customers [0, n), n <= kPropensityBlock, from their columns; the logistic is
/// 1/(1 + e^-v), which is 0 or 1 (never NaN) when e^-v overflows or underflows. Cloned for AVX2
/// and AVX-512 (picked at load time) so that the arithmetic around the vector functions keeps up
/// with them; the same operations in the same order in every clone, so the same bits.
RETSIM_CLONES void propensity_block(
    const PropensityModel& m, const double* __restrict x, const double* __restrict t_x, const double* __restrict T,
    const double* __restrict spend, std::size_t n, double* __restrict out) {
    for (std::size_t i = 0; i < n; ++i) out[i] = std::max(0.0, spend[i]) / 100.0;
    vmath::log1p(out, out, n);  // out[i] = log1p(spend in currency units)
    for (std::size_t i = 0; i < n; ++i)
        out[i] = -(m.intercept + m.recency * (T[i] - t_x[i]) + m.frequency * x[i] + m.monetary * out[i] +
                   m.tenure * T[i]);
    vmath::exp(out, out, n);
    for (std::size_t i = 0; i < n; ++i) out[i] = 1.0 / (1.0 + out[i]);
}

}  // namespace

double propensity(const PropensityModel& m, const History& h) {
    double out;
    propensity_block(m, &h.x, &h.t_x_weeks, &h.T_weeks, &h.mean_spend_cents, 1, &out);
    return out;
}

void score_propensity(const PropensityModel& m, const HistoryColumns& in, double* out) {
    for (std::size_t begin = 0; begin < in.n; begin += kPropensityBlock) {
        const std::size_t n = std::min(kPropensityBlock, in.n - begin);
        // Ask for the next block's inputs now: the vector functions then run while they arrive.
        const std::size_t next = begin + kPropensityBlock, next_end = std::min(in.n, next + kPropensityBlock);
        for (std::size_t i = next; i < next_end; i += 8) {
            __builtin_prefetch(in.x + i);
            __builtin_prefetch(in.t_x_weeks + i);
            __builtin_prefetch(in.T_weeks + i);
            __builtin_prefetch(in.mean_spend_cents + i);
        }
        propensity_block(m, in.x + begin, in.t_x_weeks + begin, in.T_weeks + begin, in.mean_spend_cents + begin, n,
                         out + begin);
    }
}

void score_bgnbd(const BgNbdParams& p, const GammaGammaParams& g, const ScoreSettings& s,
                 const HistoryColumns& in, const ScoreColumns& out) {
    if (out.propensity) score_propensity(s.propensity, in, out.propensity);
    const BgConstants k = bg_constants(p);
    const bool purchases = out.p_alive || out.expected_purchases || out.clv_cents;
    if (!purchases && !out.expected_spend_cents) return;
    for (std::size_t i = 0; i < in.n; ++i) {
        const History h = history_at(in, i);
        const double p_alive = purchases ? bg_p_alive(k, h) : 0.0;
        if (out.p_alive) out.p_alive[i] = p_alive;
        if (out.expected_purchases) out.expected_purchases[i] = bg_expected_purchases(k, h, s.forecast_weeks, p_alive);
        if (out.expected_spend_cents)
            out.expected_spend_cents[i] = gg_expected_spend(g, h.spend_count, h.mean_spend_cents);
        if (out.clv_cents) out.clv_cents[i] = bg_clv(k, g, h, s.clv, p_alive);
    }
}

void score_paretonbd(const ParetoNbdParams& p, const GammaGammaParams& g, const ScoreSettings& s,
                     const HistoryColumns& in, const ScoreColumns& out) {
    if (out.propensity) score_propensity(s.propensity, in, out.propensity);
    const bool purchases = out.p_alive || out.expected_purchases || out.clv_cents;
    if (!purchases && !out.expected_spend_cents) return;
    for (std::size_t i = 0; i < in.n; ++i) {
        const History h = history_at(in, i);
        const double p_alive = purchases ? pnbd_p_alive(p, h) : 0.0;
        if (out.p_alive) out.p_alive[i] = p_alive;
        if (out.expected_purchases) out.expected_purchases[i] = p_alive * pnbd_alive_expected(p, h, s.forecast_weeks);
        if (out.expected_spend_cents)
            out.expected_spend_cents[i] = gg_expected_spend(g, h.spend_count, h.mean_spend_cents);
        if (out.clv_cents) out.clv_cents[i] = pnbd_clv(p, g, h, s.clv, p_alive);
    }
}

RfmCutoffs rfm_cutoffs(const HistoryColumns& sample, int bins) {
    if (bins < 1 || bins > 9) throw std::invalid_argument("rfm_cutoffs: bins must be in 1..9");
    if (sample.n == 0) throw std::invalid_argument("rfm_cutoffs: empty sample");
    std::vector<double> recency(sample.n), frequency(sample.n), monetary(sample.n);
    for (std::size_t i = 0; i < sample.n; ++i) {
        recency[i] = sample.T_weeks[i] - sample.t_x_weeks[i];
        frequency[i] = sample.x[i];
        monetary[i] = sample.mean_spend_cents[i];
    }
    RfmCutoffs c;
    c.bins = bins;
    c.recency = quantile_cuts(std::move(recency), bins);
    c.frequency = quantile_cuts(std::move(frequency), bins);
    c.monetary = quantile_cuts(std::move(monetary), bins);
    return c;
}

namespace {

/// RFM scores of n customers into rb, fb, mb and cb; cloned for AVX2 and AVX-512 (picked at
/// load time), where the compare-and-count loop vectorises (SSE2 has no narrowing it can use).
template <int N>
RETSIM_CLONES void rfm_block(
    const double* __restrict cr, const double* __restrict cf, const double* __restrict cm, int bins,
    const double* __restrict x, const double* __restrict t_x, const double* __restrict T,
    const double* __restrict spend, std::size_t n, std::uint8_t* __restrict rb, std::uint8_t* __restrict fb,
    std::uint8_t* __restrict mb, std::uint16_t* __restrict cb) {
    for (std::size_t i = 0; i < n; ++i) {
        const double recency = T[i] - t_x[i];
        int below_r = 0, below_f = 0, below_m = 0;
        for (int j = 0; j < N; ++j) {
            below_r += int(cr[j] < recency);
            below_f += int(cf[j] < x[i]);
            below_m += int(cm[j] < spend[i]);
        }
        // Recency: fewer weeks since the last purchase is better, so the score counts down.
        const int rs = bins - below_r, fs = 1 + below_f, ms = 1 + below_m;
        rb[i] = std::uint8_t(rs);
        fb[i] = std::uint8_t(fs);
        mb[i] = std::uint8_t(ms);
        cb[i] = std::uint16_t(100 * rs + 10 * fs + ms);
    }
}

/// RFM scores with N cut points per dimension, N known at compile time so that the comparisons
/// unroll and the loop over customers vectorises (no branch per cut point).
template <int N>
void score_rfm_fixed(const RfmCutoffs& c, const HistoryColumns& in, std::uint8_t* r, std::uint8_t* f,
                     std::uint8_t* m, std::uint16_t* cell) {
    double cr[N + 1], cf[N + 1], cm[N + 1];  // N + 1: no zero-length arrays when N = 0
    for (int j = 0; j < N; ++j) {
        cr[j] = c.recency[std::size_t(j)];
        cf[j] = c.frequency[std::size_t(j)];
        cm[j] = c.monetary[std::size_t(j)];
    }
    const int bins = c.bins;
    // In blocks; when only some scores are asked for, through local arrays copied to those
    // outputs, so that the loop has no conditional stores and vectorises.
    constexpr std::size_t kBlock = 512;
    std::uint8_t rb[kBlock], fb[kBlock], mb[kBlock];
    std::uint16_t cb[kBlock];
    for (std::size_t begin = 0; begin < in.n; begin += kBlock) {
        const std::size_t n = std::min(kBlock, in.n - begin);
        const double* x = in.x + begin;
        const double* t_x = in.t_x_weeks + begin;
        const double* T = in.T_weeks + begin;
        const double* spend = in.mean_spend_cents + begin;
        if (r && f && m && cell) {  // straight into the outputs
            rfm_block<N>(cr, cf, cm, bins, x, t_x, T, spend, n, r + begin, f + begin, m + begin, cell + begin);
            continue;
        }
        rfm_block<N>(cr, cf, cm, bins, x, t_x, T, spend, n, rb, fb, mb, cb);
        if (r) std::memcpy(r + begin, rb, n);
        if (f) std::memcpy(f + begin, fb, n);
        if (m) std::memcpy(m + begin, mb, n);
        if (cell) std::memcpy(cell + begin, cb, n * sizeof(std::uint16_t));
    }
}

}  // namespace

void score_rfm(const RfmCutoffs& c, const HistoryColumns& in, std::uint8_t* r, std::uint8_t* f, std::uint8_t* m,
               std::uint16_t* cell) {
    switch (c.bins - 1) {
        case 0: return score_rfm_fixed<0>(c, in, r, f, m, cell);
        case 1: return score_rfm_fixed<1>(c, in, r, f, m, cell);
        case 2: return score_rfm_fixed<2>(c, in, r, f, m, cell);
        case 3: return score_rfm_fixed<3>(c, in, r, f, m, cell);
        case 4: return score_rfm_fixed<4>(c, in, r, f, m, cell);
        case 5: return score_rfm_fixed<5>(c, in, r, f, m, cell);
        case 6: return score_rfm_fixed<6>(c, in, r, f, m, cell);
        case 7: return score_rfm_fixed<7>(c, in, r, f, m, cell);
        case 8: return score_rfm_fixed<8>(c, in, r, f, m, cell);
        default: throw std::invalid_argument("score_rfm: bins must be in 1..9");
    }
}

}  // namespace retsim
