// Customer scoring: what the purchase and spend models predict for one customer given the
// firm's view of its history, and simpler scores (RFM, logistic response propensity).
// Used by the simulator (targeting on the firm's view) and by `retsim score`.
//
// Units: the literature's. A customer's history is (x, t_x, T): x repeat purchases, t_x the
// time of the last purchase and T the time of observation, both in weeks since the first
// purchase (0 <= t_x <= T; x = 0 implies t_x = 0). Money is in cents.
//
// References:
//   BG/NBD P(alive) and E[Y(t) | x, t_x, T]: Fader, Hardie & Lee (2005), Marketing Science
//     24(2), eq. 10 and 13 (and their note "Computing P(alive) using the BG/NBD model").
//   Pareto/NBD P(alive) and E[Y(t) | x, t_x, T]: Schmittlein, Morrison & Colombo (1987);
//     Fader & Hardie, "A note on deriving the Pareto/NBD model and related expressions" (2005).
//   Gamma-Gamma E[M | x, m_x]: Fader, Hardie & Lee (2005), JMR 42(4), eq. 5:
//     E[M | x, m_x] = (gamma + m_x * x) * p / (p * x + q - 1).
// Every function is total: finite, non-negative output for any valid parameters (all positive,
// Gamma-Gamma q > 1 so that mean spend is finite) and any valid history (x a whole number),
// including x = 0, t_x = T, T = 0 and very large x.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "models/bgnbd.hpp"
#include "models/paretonbd.hpp"
#include "models/spend.hpp"

namespace retsim {

/// One customer's history in the firm's view.
struct History {
    double x = 0;              ///< repeat purchases
    double t_x_weeks = 0;      ///< time of the last purchase since the first, weeks
    double T_weeks = 0;        ///< time of observation since the first purchase, weeks
    double mean_spend_cents = 0;  ///< m_x: mean spend per purchase over `spend_count` purchases
    /// Purchases that mean_spend_cents averages: x in the CDNOW convention (repeat purchases
    /// only); x + 1 for simulated customers, whose first purchase follows the same spend model.
    double spend_count = 0;
};

/// P(alive | x, t_x, T) under BG/NBD, in [0, 1].
[[nodiscard]] double bgnbd_p_alive(const BgNbdParams& p, const History& h);
/// E[Y(t) | x, t_x, T] under BG/NBD: expected purchases in (T, T + t], t in weeks.
[[nodiscard]] double bgnbd_expected_purchases(const BgNbdParams& p, const History& h, double t_weeks);

/// P(alive | x, t_x, T) under Pareto/NBD, in [0, 1].
[[nodiscard]] double paretonbd_p_alive(const ParetoNbdParams& p, const History& h);
/// E[Y(t) | x, t_x, T] under Pareto/NBD.
[[nodiscard]] double paretonbd_expected_purchases(const ParetoNbdParams& p, const History& h, double t_weeks);

/// Gamma-Gamma E[M | x, m_x]: expected spend per future purchase in cents, a weighted mean of
/// the population mean and the customer's own mean m_x over x purchases (x = spend_count).
[[nodiscard]] double gamma_gamma_expected_spend(const GammaGammaParams& p, double x, double mean_spend_cents);

/// How CLV is computed: expected purchases per period from the purchase model, times expected
/// spend, times margin, discounted at the end of each period.
struct ClvSettings {
    double horizon_weeks = 52;
    double period_weeks = 1;            ///< resolution of the discounting
    double annual_discount_rate = 0.1;  ///< factor (1 + rate)^(-weeks / 52.1775) per period end
    double margin_fraction = 0.3;
};

/// CLV in cents: sum over periods k = 1..N, N = ceil(horizon/period), of
///   [E[Y(t_k)] - E[Y(t_(k-1))]] * E[M] * margin * discount(t_k),  t_k = min(k*period, horizon),
/// E[M] from gamma_gamma_expected_spend(g, h.spend_count, h.mean_spend_cents).
[[nodiscard]] double bgnbd_clv(const BgNbdParams& p, const GammaGammaParams& g, const History& h,
                               const ClvSettings& s);
[[nodiscard]] double paretonbd_clv(const ParetoNbdParams& p, const GammaGammaParams& g, const History& h,
                                   const ClvSettings& s);

/// Logistic response propensity on firm-view features:
///   P(respond) = 1 / (1 + exp(-(intercept + b_recency * recency_weeks + b_frequency * x
///                                + b_monetary * log1p(mean_spend_cents / 100) + b_tenure * T_weeks)))
struct PropensityModel {
    double intercept = -2.0;
    double recency = -0.05;   ///< per week since the last purchase (T - t_x)
    double frequency = 0.2;   ///< per repeat purchase
    double monetary = 0.3;    ///< per unit of log1p(mean spend in currency units)
    double tenure = 0.0;      ///< per week since the first purchase
};
[[nodiscard]] double propensity(const PropensityModel& m, const History& h);

/// Columns of many customers (structure of arrays), for batch scoring.
struct HistoryColumns {
    const double* x;
    const double* t_x_weeks;
    const double* T_weeks;
    const double* mean_spend_cents;
    const double* spend_count;  ///< null: spend_count = x for every customer
    std::size_t n;
};

/// Propensity of customers [0, n) into out[0, n), vectorised; equals `propensity` bit for bit.
/// Memory-bound: 4 columns read, one written. Allocation-free, single threaded.
void score_propensity(const PropensityModel& m, const HistoryColumns& in, double* out);

/// Output columns; a null pointer skips that score.
struct ScoreColumns {
    double* p_alive = nullptr;
    double* expected_purchases = nullptr;  ///< over ScoreSettings::forecast_weeks
    double* expected_spend_cents = nullptr;
    double* clv_cents = nullptr;
    double* propensity = nullptr;
};

struct ScoreSettings {
    double forecast_weeks = 52;
    ClvSettings clv;
    PropensityModel propensity;
};

/// Scores customers [0, n) with BG/NBD + Gamma-Gamma (or Pareto/NBD + Gamma-Gamma). Single
/// threaded and allocation-free: callers parallelise over chunks. Same output as the scalar
/// functions, bit for bit.
void score_bgnbd(const BgNbdParams& p, const GammaGammaParams& g, const ScoreSettings& s,
                 const HistoryColumns& in, const ScoreColumns& out);
void score_paretonbd(const ParetoNbdParams& p, const GammaGammaParams& g, const ScoreSettings& s,
                     const HistoryColumns& in, const ScoreColumns& out);

/// RFM: each of recency (T - t_x, lower is better), frequency (x) and monetary (mean spend)
/// is scored 1..bins by quantile (bins = 5 gives quintiles; 5 is best); ties share a score, and a
/// value equal to a cut point takes the lower of the two scores it separates (the better one for
/// recency). The cell is 100*R + 10*F + M; bins is 1..9.
struct RfmCutoffs {
    int bins = 5;
    std::vector<double> recency, frequency, monetary;  ///< bins - 1 ascending cut points each
};
/// Quantile cut points from a sample of customers (deterministic: exact order statistics, the
/// j-th cut being the ceil(j*n/bins)-th smallest value). Throws std::invalid_argument for bins
/// outside 1..9 or an empty sample.
[[nodiscard]] RfmCutoffs rfm_cutoffs(const HistoryColumns& sample, int bins);
/// RFM scores of customers [0, n): writes r, f, m (1..bins) and the cell; allocation-free.
void score_rfm(const RfmCutoffs& c, const HistoryColumns& in, std::uint8_t* r, std::uint8_t* f, std::uint8_t* m,
               std::uint16_t* cell);

}  // namespace retsim
