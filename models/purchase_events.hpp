// Bookkeeping shared by the purchase models: what a purchase changes in the firm's view.
#pragma once

#include <cstdint>
#include <limits>

#include "models/spend.hpp"
#include "sim/behaviour.hpp"

namespace retsim {

inline constexpr float kNever = std::numeric_limits<float>::infinity();

/// Sets up customer i at its birth: the first purchase happens at birth_day, the customer is
/// alive and new. `e` is the customer's Purchase-stream draws of event 0.
inline void record_first_purchase(Population& pop, std::size_t i, const SpendModel& spend, Draws& e,
                                  PurchaseSink& sink) {
    const std::int64_t cents = spend.draw_cents(e, pop, i);
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
    const std::int64_t cents = spend.draw_cents(e, pop, i);
    sink.record(cents, true);
    pop.spend_cents[i] += cents;
    pop.last_purchase_day[i] = float(day);
}

}  // namespace retsim
