// Bookkeeping shared by the purchase models: what a purchase changes in the firm's view.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

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

/// For buy_in_waves: the model has no leaving at purchases (no draw for it).
struct NoLeavingAtPurchases {};

/// The purchases of customers [begin, end) from their next event up to until_day (exclusive),
/// each spending from `spend` and waiting Exp(lambda_per_day x rate multiplier) for the next.
/// With `leave_chance` (customer i's chance of leaving at a purchase; BG/NBD), each purchase
/// first tests it on its own uniform; with NoLeavingAtPurchases (Pareto/NBD, whose customers
/// leave by a clock) there is no such draw. death_day, when finite, is a planned departure.
///
/// The purchases of a chunk's buyers go in waves, one purchase of each buyer per wave. A
/// customer's purchases form a chain (each wait starts at the previous purchase), and its
/// length in a step is random, which a branch cannot predict; a wave instead hashes the next
/// random block of every buyer still in the step in one loop (independent blocks overlap in
/// the multiplier), takes each purchase's spend, leaving test and wait straight from its
/// block when every sampler accepts its first try (Draws from the same words otherwise, so
/// with the same values), and keeps, without a branch, the buyers whose next purchase still
/// falls in the step. Short separate loops let the processor work on many purchases at once.
/// The draws, and so the results, are those of buying customer by customer.
template <class LeaveChance>
void buy_in_waves(Population& pop, std::size_t begin, std::size_t end, double until_day, const RandomKey& rk,
                  const SpendModel& spend, PurchaseSink& sink, LeaveChance&& leave_chance) {
    constexpr bool kLeaves = !std::is_same_v<std::decay_t<LeaveChance>, NoLeavingAtPurchases>;
    // The customers who buy before until_day (t < until_day exactly when the float t is below
    // float_not_below(until_day)).
    const float until_up = float_not_below(until_day);
    const auto due = [&](std::size_t i) {
        return (pop.next_event_day[i] < until_up) & (pop.next_event_day[i] < pop.death_day[i]);
    };
    list_due(begin, end, due, [&](std::span<const std::uint32_t> buyers) {
        // The chunk's tallies in a local, whose address is not taken: they stay in registers.
        PurchaseSink tally = sink;
        // Per buyer (q-th of the chunk): the next purchase day, purchases so far, spend this
        // step, last purchase day, rate, and chance of leaving at a purchase.
        std::array<double, kDueChunk> t, last, lambda, leave;
        std::array<std::uint32_t, kDueChunk> n;
        std::array<std::int64_t, kDueChunk> spent;
        std::array<std::uint16_t, kDueChunk> active;  // buyers still buying in this step
        std::array<Draws::Block, kDueChunk> block;   // of each active buyer's next purchase
        // That purchase: its spend, whether the buyer leaves at it, the wait to the next, and
        // whether it was taken from the block's words alone.
        std::array<std::int64_t, kDueChunk> cents;
        std::array<bool, kDueChunk> leaves, first_try;
        std::array<double, kDueChunk> wait;
        static_assert(kDueChunk <= 65536);
        for (std::size_t q = 0; q < buyers.size(); ++q) {
            const std::size_t i = buyers[q];
            t[q] = pop.next_event_day[i];
            n[q] = pop.repeat_purchases[i];
            spent[q] = 0;
            lambda[q] = double(pop.lambda_per_day[i]) * rate_mult(pop, i);
            if constexpr (kLeaves) leave[q] = leave_chance(i);
            active[q] = std::uint16_t(q);
        }
        std::size_t n_active = buyers.size();
        while (n_active > 0) {
            for (std::size_t a = 0; a < n_active; ++a) {
                const std::size_t q = active[a];
                block[a] = Draws::first_block(rk, pop.key[buyers[q]], Stream::Purchase, n[q] + 1);
            }
            for (std::size_t a = 0; a < n_active; ++a) {
                const std::size_t q = active[a];
                const std::uint64_t* words = block[a].v;
                int used;
                const bool quick = first_try_purchase_cents(pop, buyers[q], spend, words, used, cents[a]);
                if constexpr (kLeaves) {
                    leaves[a] = Draws::uniform_from(words[used & 3]) < leave[q];
                    ++used;
                } else {
                    leaves[a] = false;
                }
                first_try[a] = quick & (leaves[a] | exponential_first_try(words[used & 3], wait[a]));
            }
            for (std::size_t a = 0; a < n_active; ++a) {
                if (first_try[a]) continue;
                const std::size_t q = active[a];
                const std::size_t i = buyers[q];
                Draws e(rk, pop.key[i], Stream::Purchase, n[q] + 1, block[a]);
                cents[a] = purchase_cents(pop, i, spend, e);
                if constexpr (kLeaves) leaves[a] = e.uniform() < leave[q];
                if (!leaves[a]) wait[a] = e.exponential();
            }
            std::size_t still = 0;
            for (std::size_t a = 0; a < n_active; ++a) {
                const std::size_t q = active[a];
                const std::size_t i = buyers[q];
                ++n[q];
                tally.record(cents[a], true);
                spent[q] += cents[a];
                last[q] = t[q];
                if (kLeaves && leaves[a]) {
                    pop.death_day[i] = float(t[q]);
                    t[q] = kNever;
                    continue;
                }
                t[q] += wait[a] / lambda[q];
                active[still] = std::uint16_t(q);
                still += std::size_t((t[q] < until_day) & (t[q] < double(pop.death_day[i])));
            }
            n_active = still;
        }
        for (std::size_t q = 0; q < buyers.size(); ++q) {
            const std::size_t i = buyers[q];
            pop.repeat_purchases[i] = n[q];
            pop.spend_cents[i] += spent[q];
            pop.last_purchase_day[i] = float(last[q]);
            pop.next_event_day[i] = float(t[q]);
        }
        sink = tally;
    });
}

}  // namespace retsim
