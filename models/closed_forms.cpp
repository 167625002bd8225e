// Closed forms of the behaviour models (formulas and references in closed_forms.hpp).
#include "models/closed_forms.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <cmath>

namespace retsim {

double bgnbd_expected_repeat(const BgNbdParams& p, double t) {
    if (t <= 0.0) return 0.0;
    const double z = t / (p.alpha_weeks + t);
    const double f = boost::math::hypergeometric_pFq({p.r, p.b}, {p.a + p.b - 1.0}, z);
    return (p.a + p.b - 1.0) / (p.a - 1.0) *
           (1.0 - std::pow(p.alpha_weeks / (p.alpha_weeks + t), p.r) * f);
}

double paretonbd_expected_repeat(const ParetoNbdParams& p, double t) {
    if (t <= 0.0) return 0.0;
    if (std::abs(p.s - 1.0) < 1e-12) return p.r * p.beta_weeks / p.alpha_weeks * std::log1p(t / p.beta_weeks);
    return p.r * p.beta_weeks / (p.alpha_weeks * (p.s - 1.0)) *
           (1.0 - std::pow(p.beta_weeks / (p.beta_weeks + t), p.s - 1.0));
}

double sbg_survival(const SbgParams& p, double renewals) {
    using boost::math::lgamma;
    // log B(g, d+t) - log B(g, d) = lgamma(d+t) - lgamma(g+d+t) - lgamma(d) + lgamma(g+d)
    return std::exp(lgamma(p.delta + renewals) - lgamma(p.gamma + p.delta + renewals) -
                    lgamma(p.delta) + lgamma(p.gamma + p.delta));
}

double gamma_gamma_mean_spend(const GammaGammaParams& p) { return p.p * p.gamma_cents / (p.q - 1.0); }

}  // namespace retsim
