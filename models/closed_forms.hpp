// Closed-form expectations of the behaviour models, used to validate the simulator and, in
// scoring, to predict. Time t is in weeks (the literature's unit) unless named otherwise.
#pragma once

#include "models/bgnbd.hpp"
#include "models/paretonbd.hpp"
#include "models/sbg.hpp"
#include "models/spend.hpp"

namespace retsim {

/// BG/NBD expected repeat purchases in (0, t] of a customer born at 0 (Fader, Hardie & Lee
/// 2005, eq. 7): (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t))].
[[nodiscard]] double bgnbd_expected_repeat(const BgNbdParams& p, double t_weeks);

/// Pareto/NBD expected repeat purchases in (0, t] (Schmittlein et al. 1987):
/// r*beta / (alpha*(s-1)) * [1 - (beta/(beta+t))^(s-1)], and r*beta/alpha * ln(1+t/beta) at s=1.
[[nodiscard]] double paretonbd_expected_repeat(const ParetoNbdParams& p, double t_weeks);

/// sBG survival after t renewals (Fader & Hardie 2007, eq. 7): B(gamma, delta+t) / B(gamma, delta).
[[nodiscard]] double sbg_survival(const SbgParams& p, double renewals);

/// Gamma-Gamma population mean spend per purchase, p*gamma/(q-1) cents.
[[nodiscard]] double gamma_gamma_mean_spend(const GammaGammaParams& p);

}  // namespace retsim
