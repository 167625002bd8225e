// Maximum-likelihood fits with NLopt (BOBYQA in log-parameters, several starts, then a
// restart from the best point) and delta-method standard errors from a numerical Hessian.
#include "models/fit.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <nlopt.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <tuple>

#include "sim/problems.hpp"

namespace retsim {

namespace {

using Vector = std::vector<double>;
using Objective = std::function<double(const Vector& log_params)>;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kLogBound = 14.0;  // parameters between e^-14 and e^14
constexpr double kHessianStep = 1e-3;  // in log-parameters

// glibc's reentrant lgamma: several times faster than boost::math::lgamma at the same
// accuracy for the positive arguments here, and it touches no global sign variable.
double lgam(double v) {
    int sign = 0;
    return ::lgamma_r(v, &sign);
}
double lbeta(double a, double b) { return lgam(a) + lgam(b) - lgam(a + b); }

// log(e^u + e^v) without overflow.
double log_sum_exp(double u, double v) {
    if (u == -kInf) return v;
    if (v == -kInf) return u;
    const double m = std::max(u, v);
    return m + std::log1p(std::exp(-std::abs(u - v)));
}

// log(e^u - e^v) for u >= v; -inf when equal.
double log_diff_exp(double u, double v) {
    if (v == -kInf) return u;
    if (v >= u) return -kInf;
    return u + std::log(-std::expm1(v - u));
}

// log 2F1(a, b; c; z) for 0 <= z < 1 with positive a, b, c: the series has positive terms.
double log_hyp2f1(double a, double b, double c, double z) {
    if (z == 0) return 0.0;
    const double v = boost::math::hypergeometric_pFq({a, b}, {c}, z);
    return v > 0 && std::isfinite(v) ? std::log(v) : kInf;
}

// Identical histories weigh once each: the CDNOW log has 2,357 customers but far fewer
// distinct (x, t_x, T).
struct Weighted {
    PurchaseHistory h;
    double count;
};
std::vector<Weighted> group(const std::vector<PurchaseHistory>& customers) {
    std::map<std::tuple<double, double, double>, double> counts;
    for (const PurchaseHistory& h : customers) counts[{h.x, h.t_x_weeks, h.T_weeks}] += 1;
    std::vector<Weighted> out;
    out.reserve(counts.size());
    for (const auto& [k, n] : counts) out.push_back({{std::get<0>(k), std::get<1>(k), std::get<2>(k)}, n});
    return out;
}

struct Optimum {
    Vector log_params;
    double nll = kInf;
    int evaluations = 0;
};

double guarded(const Objective& f, const Vector& v, int& evaluations) {
    ++evaluations;
    const double y = f(v);
    return std::isfinite(y) ? y : 1e300;
}

// Minimises from every start, then restarts once from the best point (BOBYQA's final trust
// region can stop short on flat likelihoods).
Optimum minimise(const Objective& f, const std::vector<Vector>& starts) {
    Optimum best;
    std::string failure;
    const std::size_t n = starts.front().size();
    auto run = [&](Vector x) {
        nlopt::opt opt(nlopt::LN_BOBYQA, unsigned(n));
        opt.set_lower_bounds(Vector(n, -kLogBound));
        opt.set_upper_bounds(Vector(n, kLogBound));
        opt.set_xtol_rel(1e-10);
        opt.set_ftol_abs(1e-11);
        opt.set_maxeval(20000);
        opt.set_initial_step(Vector(n, 0.5));
        int evaluations = 0;
        auto thunk = [](const Vector& v, Vector&, void* data) -> double {
            auto* ctx = static_cast<std::pair<const Objective*, int*>*>(data);
            return guarded(*ctx->first, v, *ctx->second);
        };
        std::pair<const Objective*, int*> ctx{&f, &evaluations};
        opt.set_min_objective(thunk, &ctx);
        for (double& v : x) v = std::clamp(v, -kLogBound, kLogBound);
        double y = kInf;
        try {
            opt.optimize(x, y);
        } catch (const nlopt::roundoff_limited&) {
            y = guarded(f, x, evaluations);  // the point is as good as round-off allows
        } catch (const std::bad_alloc&) {
            throw;
        } catch (const std::exception& e) {
            // A start that fails (NLopt's generic failure on a degenerate surface) is skipped;
            // the other starts decide.
            failure = e.what();
            y = kInf;
        }
        best.evaluations += evaluations;
        if (y < best.nll) {
            best.nll = y;
            best.log_params = x;
        }
    };
    for (const Vector& s : starts) run(s);
    if (!std::isfinite(best.nll) || best.nll >= 1e299) {
        throw RuntimeFailure("the optimiser found no point with a finite likelihood" +
                             (failure.empty() ? std::string() : " (NLopt: " + failure + ")"));
    }
    run(best.log_params);
    return best;
}

// Covariance of the log-parameters: inverse of the central-difference Hessian; empty when
// the Hessian is not positive definite.
std::vector<Vector> log_covariance(const Objective& f, const Vector& x0, int& evaluations) {
    const std::size_t n = x0.size();
    const double h = kHessianStep;
    const double f0 = guarded(f, x0, evaluations);
    std::vector<Vector> H(n, Vector(n, 0.0));
    auto at = [&](std::size_t i, double di, std::size_t j, double dj) {
        Vector x = x0;
        x[i] += di;
        x[j] += dj;
        return guarded(f, x, evaluations);
    };
    for (std::size_t i = 0; i < n; ++i) {
        H[i][i] = (at(i, h, i, 0) - 2 * f0 + at(i, -h, i, 0)) / (h * h);
        for (std::size_t j = 0; j < i; ++j) {
            H[i][j] = H[j][i] = (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h);
        }
    }
    // Inverse through the Cholesky factor H = L L^T, which exists exactly when H is positive
    // definite (a maximum). Hand-written for a 4 x 4 matrix: Boost uBLAS 1.74 does not build as
    // C++20 (it calls std::allocator::construct), and no other linear-algebra library is a
    // dependency.
    Vector L(n * n, 0.0);  // row-major, lower triangle
    for (std::size_t j = 0; j < n; ++j) {
        double d = H[j][j];
        for (std::size_t k = 0; k < j; ++k) d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0)) return {};
        L[j * n + j] = std::sqrt(d);
        for (std::size_t i = j + 1; i < n; ++i) {
            double v = H[i][j];
            for (std::size_t k = 0; k < j; ++k) v -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = v / L[j * n + j];
        }
    }
    std::vector<Vector> inv(n, Vector(n, 0.0));
    Vector y(n);
    for (std::size_t c = 0; c < n; ++c) {
        for (std::size_t i = 0; i < n; ++i) {  // L y = e_c
            double v = i == c ? 1.0 : 0.0;
            for (std::size_t k = 0; k < i; ++k) v -= L[i * n + k] * y[k];
            y[i] = v / L[i * n + i];
        }
        for (std::size_t i = n; i-- > 0;) {  // L^T x = y
            double v = y[i];
            for (std::size_t k = i + 1; k < n; ++k) v -= L[k * n + i] * inv[k][c];
            inv[i][c] = v / L[i * n + i];
        }
    }
    return inv;
}

FitReport report(const Objective& f, const Optimum& opt, const std::vector<std::string>& names,
                 std::size_t observations) {
    FitReport r;
    r.observations = observations;
    r.log_likelihood = -opt.nll;
    r.evaluations = opt.evaluations;
    const std::vector<Vector> cov = log_covariance(f, opt.log_params, r.evaluations);
    for (std::size_t i = 0; i < names.size(); ++i) {
        Estimate e;
        e.name = names[i];
        e.value = std::exp(opt.log_params[i]);
        const double se_log = cov.empty() || !(cov[i][i] > 0) ? std::nan("") : std::sqrt(cov[i][i]);
        e.se = e.value * se_log;  // delta method: d theta / d log theta = theta
        e.ci_low = e.value * std::exp(-1.959964 * se_log);
        e.ci_high = e.value * std::exp(1.959964 * se_log);
        r.estimates.push_back(e);
    }
    return r;
}

void check_histories(const std::vector<PurchaseHistory>& customers, const char* model) {
    if (customers.empty()) throw BadInput(std::string(model) + ": no customers to fit");
    double repeat = 0;
    for (const PurchaseHistory& h : customers) {
        if (!(h.x >= 0) || !(h.t_x_weeks >= 0) || !(h.T_weeks >= h.t_x_weeks) || !std::isfinite(h.T_weeks)) {
            throw BadInput(std::string(model) + ": invalid history (need 0 <= t_x <= T and x >= 0)");
        }
        repeat += h.x;
    }
    if (repeat == 0) throw BadInput(std::string(model) + ": no repeat purchases in the calibration period");
}

// Starting points from the data: the mean purchase rate fixes r/alpha.
std::vector<Vector> purchase_starts(const std::vector<PurchaseHistory>& customers, double second_scale) {
    double x = 0, T = 0;
    for (const PurchaseHistory& h : customers) {
        x += h.x;
        T += h.T_weeks;
    }
    const double rate = std::max(x / std::max(T, 1e-9), 1e-6);
    std::vector<Vector> starts;
    for (const double r : {0.3, 1.0, 3.0}) {
        for (const double pair : {0.5, 2.0}) {
            starts.push_back({std::log(r), std::log(r / rate), std::log(pair), std::log(pair * second_scale)});
        }
    }
    return starts;
}

}  // namespace

double bgnbd_log_likelihood(const BgNbdParams& p, const PurchaseHistory& h) {
    const double r = p.r, alpha = p.alpha_weeks, a = p.a, b = p.b, x = h.x;
    const double a1 = lgam(r + x) - lgam(r) + r * std::log(alpha);
    const double a2 = lbeta(a, b + x) - lbeta(a, b);
    const double a3 = -(r + x) * std::log(alpha + h.T_weeks);
    const double a4 = x > 0 ? std::log(a) - std::log(b + x - 1) - (r + x) * std::log(alpha + h.t_x_weeks) : -kInf;
    return a1 + a2 + log_sum_exp(a3, a4);
}

double paretonbd_log_likelihood(const ParetoNbdParams& p, const PurchaseHistory& h) {
    const double r = p.r, alpha = p.alpha_weeks, s = p.s, beta = p.beta_weeks, x = h.x;
    const double t = h.t_x_weeks, T = h.T_weeks;
    const double rsx = r + s + x;
    const double head = lgam(r + x) - lgam(r) + r * std::log(alpha) + s * std::log(beta);
    const double alive_to_T = -(r + x) * std::log(alpha + T) - s * std::log(beta + T);
    double at_t = 0, at_T = 0;
    if (alpha >= beta) {
        at_t = log_hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t)) - rsx * std::log(alpha + t);
        at_T = log_hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + T)) - rsx * std::log(alpha + T);
    } else {
        at_t = log_hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t)) - rsx * std::log(beta + t);
        at_T = log_hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + T)) - rsx * std::log(beta + T);
    }
    if (!std::isfinite(at_t) || !std::isfinite(at_T)) return -kInf;
    const double a0 = std::log(s / rsx) + log_diff_exp(at_t, at_T);
    return head + log_sum_exp(alive_to_T, a0);
}

double gamma_gamma_log_likelihood(const GammaGammaParams& g, const SpendHistory& h) {
    const double p = g.p, q = g.q, gamma = g.gamma_cents, x = h.x, m = h.mean_spend;
    return lgam(p * x + q) - lgam(p * x) - lgam(q) + q * std::log(gamma) + (p * x - 1) * std::log(m) +
           p * x * std::log(x) - (p * x + q) * std::log(gamma + m * x);
}

double sbg_log_likelihood(double gamma, double delta, const std::vector<double>& alive) {
    // P(T = 1) = gamma / (gamma + delta); P(T = t) = P(T = t-1) (delta + t - 2) / (gamma + delta + t - 1);
    // S(t) = S(t-1) - P(T = t).
    double ll = 0;
    double log_p = std::log(gamma) - std::log(gamma + delta);
    for (std::size_t t = 1; t < alive.size(); ++t) {
        if (t > 1) log_p += std::log(delta + double(t) - 2) - std::log(gamma + delta + double(t) - 1);
        const double lost = alive[t - 1] - alive[t];
        if (lost > 0) ll += lost * log_p;
    }
    const std::size_t last = alive.size() - 1;
    if (alive[last] > 0) ll += alive[last] * (lbeta(gamma, delta + double(last)) - lbeta(gamma, delta));
    return ll;
}

BgNbdFit fit_bgnbd(const std::vector<PurchaseHistory>& customers) {
    check_histories(customers, "BG/NBD");
    const std::vector<Weighted> data = group(customers);
    const Objective nll = [&](const Vector& v) {
        const BgNbdParams p{std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3])};
        double ll = 0;
        for (const Weighted& w : data) ll += w.count * bgnbd_log_likelihood(p, w.h);
        return -ll;
    };
    const Optimum opt = minimise(nll, purchase_starts(customers, 2.0));
    BgNbdFit fit;
    fit.report = report(nll, opt, {"r", "alpha_weeks", "a", "b"}, customers.size());
    fit.params = {fit.report.estimates[0].value, fit.report.estimates[1].value, fit.report.estimates[2].value,
                  fit.report.estimates[3].value};
    return fit;
}

ParetoNbdFit fit_paretonbd(const std::vector<PurchaseHistory>& customers) {
    check_histories(customers, "Pareto/NBD");
    const std::vector<Weighted> data = group(customers);
    double mean_T = 0;
    for (const PurchaseHistory& h : customers) mean_T += h.T_weeks / double(customers.size());
    const Objective nll = [&](const Vector& v) {
        const ParetoNbdParams p{std::exp(v[0]), std::exp(v[1]), std::exp(v[2]), std::exp(v[3])};
        double ll = 0;
        for (const Weighted& w : data) ll += w.count * paretonbd_log_likelihood(p, w.h);
        return -ll;
    };
    // s and beta: mean lifetime beta/(s-1) of the order of the observation window.
    const Optimum opt = minimise(nll, purchase_starts(customers, std::max(mean_T, 1.0)));
    ParetoNbdFit fit;
    fit.report = report(nll, opt, {"r", "alpha_weeks", "s", "beta_weeks"}, customers.size());
    fit.params = {fit.report.estimates[0].value, fit.report.estimates[1].value, fit.report.estimates[2].value,
                  fit.report.estimates[3].value};
    return fit;
}

GammaGammaFit fit_gamma_gamma(const std::vector<SpendHistory>& customers) {
    std::vector<SpendHistory> data;
    double mean = 0;
    for (const SpendHistory& h : customers) {
        if (h.x > 0 && h.mean_spend > 0 && std::isfinite(h.mean_spend)) {
            data.push_back(h);
            mean += h.mean_spend;
        }
    }
    if (data.size() < 2) throw BadInput("Gamma-Gamma: fewer than two customers with repeat purchases and spend");
    mean /= double(data.size());
    const Objective nll = [&](const Vector& v) {
        const GammaGammaParams g{std::exp(v[0]), std::exp(v[1]), std::exp(v[2])};
        double ll = 0;
        for (const SpendHistory& h : data) ll += gamma_gamma_log_likelihood(g, h);
        return -ll;
    };
    // The population mean spend is p gamma / (q - 1): start there for several p and q.
    std::vector<Vector> starts;
    for (const double p : {1.0, 5.0}) {
        for (const double q : {2.0, 5.0}) starts.push_back({std::log(p), std::log(q), std::log(mean * (q - 1) / p)});
    }
    const Optimum opt = minimise(nll, starts);
    GammaGammaFit fit;
    fit.report = report(nll, opt, {"p", "q", "gamma"}, data.size());
    fit.params = {fit.report.estimates[0].value, fit.report.estimates[1].value, fit.report.estimates[2].value};
    return fit;
}

SbgFit fit_sbg(const std::vector<double>& alive) {
    if (alive.size() < 2) throw BadInput("sBG: need survival counts for at least two periods (N0,N1,...)");
    for (std::size_t t = 0; t < alive.size(); ++t) {
        if (!(alive[t] >= 0) || !std::isfinite(alive[t])) throw BadInput("sBG: counts must be finite and >= 0");
        if (t > 0 && alive[t] > alive[t - 1]) {
            throw BadInput("sBG: survival counts must not increase (period " + std::to_string(t) + ")");
        }
    }
    if (alive[0] == alive.back()) throw BadInput("sBG: nobody cancelled; the churn rate cannot be estimated");
    const Objective nll = [&](const Vector& v) { return -sbg_log_likelihood(std::exp(v[0]), std::exp(v[1]), alive); };
    const Optimum opt = minimise(nll, {{0.0, 0.0}, {std::log(0.5), std::log(3.0)}});
    SbgFit fit;
    fit.report = report(nll, opt, {"gamma", "delta"}, std::size_t(alive[0]));
    fit.params.gamma = fit.report.estimates[0].value;
    fit.params.delta = fit.report.estimates[1].value;
    return fit;
}

}  // namespace retsim
