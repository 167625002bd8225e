// The firm's predictions for targeting (Behaviour::p_alive and predicted_margin_cents) from the
// scoring formulas of models/scoring.hpp, shared by the purchase models.
#pragma once

#include "models/scoring.hpp"
#include "models/spend.hpp"
#include "sim/behaviour.hpp"

namespace retsim {

inline History to_history(const FirmHistory& h) {
    return {h.x, h.t_x_weeks, h.T_weeks, h.mean_spend_cents, h.spend_count};
}

/// CLV settings and spend parameters for a spend model: Gamma-Gamma as it is; a fixed price
/// as Gamma-Gamma p = 1, q = 2, gamma = 1 with mean spend 1 (E[M] = 1 exactly), the result
/// then scaled by the price.
struct ClvInputs {
    GammaGammaParams gg;
    History h;
    ClvSettings settings;
    double scale = 1.0;
};

inline ClvInputs clv_inputs(const SpendModel& spend, const FirmHistory& f, double horizon_weeks, double rate,
                            double margin) {
    ClvInputs in;
    in.h = to_history(f);
    in.settings.horizon_weeks = horizon_weeks;
    in.settings.annual_discount_rate = rate;
    in.settings.margin_fraction = margin;
    if (spend.kind() == SpendModel::Kind::GammaGamma) {
        in.gg = spend.gamma_gamma();
    } else {
        in.gg = {1.0, 2.0, 1.0};
        in.h.mean_spend_cents = 1.0;
        in.scale = double(spend.price_cents());
    }
    return in;
}

}  // namespace retsim
