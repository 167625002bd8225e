// Bookkeeping shared by the purchase models: what a purchase changes in the firm's view.
#pragma once

#include <cstdint>
#include <limits>

#include "models/spend.hpp"
#include "sim/behaviour.hpp"

namespace retsim {

inline constexpr float kNever = std::numeric_limits<float>::infinity();

/// Spend `cents` of customer i times the strategies' spend multiplier (when the scenario has
/// strategies), rounded to the cent.
inline std::int64_t with_spend_multiplier(const Population& pop, std::size_t i, std::int64_t cents) {
    if (pop.spend_mult.empty() || pop.spend_mult[i] == 1.0f) return cents;
    return round_non_negative(double(cents) * double(pop.spend_mult[i]));
}

/// Spend of one purchase of customer i.
inline std::int64_t purchase_cents(const Population& pop, std::size_t i, const SpendModel& spend, Draws& e) {
    return with_spend_multiplier(pop, i, spend.draw_cents(e, pop, i));
}

/// purchase_cents from the first words of the purchase's draws, when its samplers accept their
/// first tries (SpendModel::first_try_cents).
inline bool first_try_purchase_cents(const Population& pop, std::size_t i, const SpendModel& spend,
                                     const std::uint64_t* words, int& used, std::int64_t& cents) {
    if (!spend.first_try_cents(words, used, pop, i, cents)) return false;
    cents = with_spend_multiplier(pop, i, cents);
    return true;
}

/// Total spend of n purchases of customer i.
inline std::int64_t purchases_cents(const Population& pop, std::size_t i, const SpendModel& spend, Draws& e,
                                    double n) {
    return with_spend_multiplier(pop, i, spend.draw_sum_cents(e, pop, i, n));
}

/// Multiplier of customer i's purchase rate and of its risk of leaving (1 without strategies).
inline double rate_mult(const Population& pop, std::size_t i) {
    return pop.rate_mult.empty() ? 1.0 : double(pop.rate_mult[i]);
}
inline double risk_mult(const Population& pop, std::size_t i) {
    return pop.risk_mult.empty() ? 1.0 : double(pop.risk_mult[i]);
}

/// Sets up customer i at its birth: the first purchase happens at birth_day, the customer is
/// alive and new. `e` is the customer's Purchase-stream draws of event 0.
inline void record_first_purchase(Population& pop, std::size_t i, const SpendModel& spend, Draws& e,
                                  PurchaseSink& sink) {
    const std::int64_t cents = purchase_cents(pop, i, spend, e);
    sink.record(cents, false);
    pop.spend_cents[i] = cents;
    pop.repeat_purchases[i] = 0;
    pop.last_purchase_day[i] = pop.birth_day[i];
    pop.death_day[i] = kNever;
    pop.stage[i] = Stage::New;
    pop.stage_since_day[i] = pop.birth_day[i];
}

/// Records a repeat purchase of customer i at `day`; `e` is the draws of this event.
inline void record_repeat_purchase(Population& pop, std::size_t i, double day, const SpendModel& spend,
                                   Draws& e, PurchaseSink& sink) {
    const std::int64_t cents = purchase_cents(pop, i, spend, e);
    sink.record(cents, true);
    pop.spend_cents[i] += cents;
    pop.last_purchase_day[i] = float(day);
}

}  // namespace retsim
