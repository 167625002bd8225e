// Shifted-beta-geometric contractual renewals (Fader & Hardie 2007, "How to project customer
// retention", Journal of Interactive Marketing 21(1)).
//
// A customer signs at birth and pays once per billing period. At each renewal (birth +
// k * billing_period_days, k = 1, 2, ...) the customer cancels with probability theta,
//     theta ~ Beta(gamma, delta),
// so P(T = t) = B(gamma + 1, delta + t - 1) / B(gamma, delta) and the survival after t
// renewals is S(t) = B(gamma, delta + t) / B(gamma, delta). The firm sees a cancellation.
// Published fits: "regular" cohort gamma = 0.704, delta = 1.182; "high end" gamma = 0.668,
// delta = 3.806 (annual renewals).
#pragma once

#include <memory>

#include "models/spend.hpp"
#include "sim/behaviour.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

struct SbgParams {
    double gamma = 0.704;
    double delta = 1.182;
    double billing_period_days = 365.0;
};

/// Reads [population.sbg] and [population.spend].
std::shared_ptr<const Behaviour> build_sbg(TableReader& population);

std::shared_ptr<const Behaviour> make_sbg(const SbgParams& params, const SpendModel& spend);

}  // namespace retsim
