// Maximum-likelihood fits of the purchase, spend and renewal models to observed histories:
// BG/NBD and Pareto/NBD on (x, t_x, T), Gamma-Gamma on (x, m_x) of customers with x > 0, and
// sBG on survival counts. Optimised with NLopt in log-parameters; standard errors from the
// inverse of a central-difference Hessian of the negative log-likelihood in log-parameters,
// carried to the original parameters by the delta method (se(theta) = theta * se(log theta)).
//
// Likelihoods:
//   BG/NBD: Fader, Hardie & Lee (2005), Marketing Science 24(2), eq. 6.
//   Pareto/NBD: Fader & Hardie (2005), "A note on deriving the Pareto/NBD model and related
//     expressions", eq. 22 (the Gauss hypergeometric form, split on alpha >= beta).
//   Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer
//     base analysis", JMR 42(4), the density of the mean spend m_x over x transactions.
//   sBG: Fader & Hardie (2007), "How to project customer retention", JIM 21(1), eq. 3-5.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "models/bgnbd.hpp"
#include "models/paretonbd.hpp"
#include "models/sbg.hpp"
#include "models/spend.hpp"

namespace retsim {

/// One customer's purchase history: x repeat purchases, the last at t_x weeks after the first
/// purchase, observed until T weeks after it (0 <= t_x <= T; t_x = 0 when x = 0).
struct PurchaseHistory {
    double x = 0;
    double t_x_weeks = 0;
    double T_weeks = 0;
};

/// One customer's spend: the mean m_x of x > 0 transactions (any currency unit; gamma comes out
/// in the same unit).
struct SpendHistory {
    double x = 0;
    double mean_spend = 0;
};

/// One fitted parameter.
struct Estimate {
    std::string name;
    double value = 0;
    double se = 0;        ///< NaN when the Hessian is not positive definite
    double ci_low = 0;    ///< 95% interval exp(log value -/+ 1.96 se(log value)): always positive
    double ci_high = 0;
};

/// What every fit reports.
struct FitReport {
    std::vector<Estimate> estimates;
    double log_likelihood = 0;
    std::size_t observations = 0;  ///< customers (sBG: customers at the start)
    int evaluations = 0;           ///< likelihood evaluations over all starts
};

struct BgNbdFit {
    BgNbdParams params;
    FitReport report;
};
struct ParetoNbdFit {
    ParetoNbdParams params;
    FitReport report;
};
struct GammaGammaFit {
    GammaGammaParams params;  ///< gamma_cents holds gamma in the unit of the mean spends given
    FitReport report;
};
struct SbgFit {
    SbgParams params;
    FitReport report;
};

/// Log-likelihood of one customer under BG/NBD (log-sum-exp form; finite for valid input).
[[nodiscard]] double bgnbd_log_likelihood(const BgNbdParams& p, const PurchaseHistory& h);
/// Log-likelihood of one customer under Pareto/NBD; -inf only if the 2F1 evaluation fails.
[[nodiscard]] double paretonbd_log_likelihood(const ParetoNbdParams& p, const PurchaseHistory& h);
/// Log-likelihood of one customer's mean spend under Gamma-Gamma (x > 0, m_x > 0).
[[nodiscard]] double gamma_gamma_log_likelihood(const GammaGammaParams& p, const SpendHistory& h);
/// sBG log-likelihood of survival counts alive[0] >= alive[1] >= ... (customers alive at the
/// start of each period; alive[0] is the cohort size).
[[nodiscard]] double sbg_log_likelihood(double gamma, double delta, const std::vector<double>& alive);

/// Maximum-likelihood fits. Throw BadInput when the data cannot identify the model (no
/// customers, no repeat purchases, counts that increase), RuntimeFailure when the optimiser fails.
[[nodiscard]] BgNbdFit fit_bgnbd(const std::vector<PurchaseHistory>& customers);
[[nodiscard]] ParetoNbdFit fit_paretonbd(const std::vector<PurchaseHistory>& customers);
/// Customers with x = 0 or m_x = 0 are left out (they carry no spend information).
[[nodiscard]] GammaGammaFit fit_gamma_gamma(const std::vector<SpendHistory>& customers);
[[nodiscard]] SbgFit fit_sbg(const std::vector<double>& alive);

}  // namespace retsim
