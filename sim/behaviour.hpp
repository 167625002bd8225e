// The interface between the engine and the customer-behaviour models in models/. The engine
// calls a model a block of customers at a time; a model is a pure function of each
// customer's state, its parameters and the customer's keyed random draws.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/population.hpp"
#include "sim/random.hpp"

namespace retsim {

/// std::llround for non-negative x below 2^52, without the library call on the purchase path:
/// the conversion truncates (one instruction; std::trunc is a sequence of several without
/// SSE4.1), x - whole is exact there, so halves round away from zero exactly as llround does.
[[nodiscard]] inline std::int64_t round_non_negative(double x) {
    const auto whole = std::int64_t(x);
    return whole + (x - double(whole) >= 0.5 ? 1 : 0);
}

/// Where a model reports purchases: counts and exact money of one (group, step) cell.
/// Margin is rounded to the cent per purchase, so every total is a sum of exact integers.
struct PurchaseSink {
    double margin_fraction = 0.0;
    std::int64_t purchases = 0;
    std::int64_t repeat_purchases = 0;
    std::int64_t revenue_cents = 0;
    std::int64_t margin_cents = 0;

    void record(std::int64_t spend_cents, bool repeat) {
        purchases += 1;
        repeat_purchases += repeat ? 1 : 0;
        revenue_cents += spend_cents;
        margin_cents += round_non_negative(double(spend_cents) * margin_fraction);
    }
};

/// One customer's history as the firm sees it, in the units of the scoring literature: x
/// repeat purchases, t_x and T in weeks since the first purchase (last purchase, now), mean
/// spend in cents over spend_count purchases.
struct FirmHistory {
    double x = 0, t_x_weeks = 0, T_weeks = 0, mean_spend_cents = 0, spend_count = 0;
};

/// A simulated customer's history at `now_day` from what the firm recorded (days): the first
/// purchase is at birth and follows the same spend model as the others, so the mean spend is
/// over repeat_purchases + 1 purchases.
[[nodiscard]] inline FirmHistory firm_history(double repeat_purchases, double birth_day, double last_purchase_day,
                                              double now_day, double spend_cents) {
    FirmHistory h;
    h.x = repeat_purchases;
    h.t_x_weeks = std::max(0.0, (last_purchase_day - birth_day) / 7.0);
    h.T_weeks = std::max(h.t_x_weeks, (now_day - birth_day) / 7.0);
    h.spend_count = repeat_purchases + 1.0;
    h.mean_spend_cents = spend_cents / h.spend_count;
    return h;
}

/// A customer-behaviour model: purchase or renewal process plus spend per purchase.
/// Implementations are immutable after construction and safe to call from many threads on
/// disjoint customer ranges.
class Behaviour {
public:
    virtual ~Behaviour() = default;

    /// Registry name, e.g. "bgnbd".
    [[nodiscard]] virtual std::string name() const = 0;
    /// Model parameters in the scenario's units, for output and summaries.
    [[nodiscard]] virtual std::vector<std::pair<std::string, double>> parameters() const = 0;
    /// Mean time between purchases of the market (1 / mean purchase rate), in days.
    [[nodiscard]] virtual double mean_interpurchase_days() const = 0;
    /// True for contractual models: the firm sees a cancellation when it happens.
    [[nodiscard]] virtual bool churn_observed() const = 0;

    /// Allocates the trait columns this model uses for customers [first, first + count).
    virtual void allocate(Population& pop, std::size_t first, std::size_t count) const = 0;
    /// Starts customers [begin, end): `key` and `birth_day` are set. Draws their traits,
    /// records the first purchase (at birth) in `sink` and schedules the next event.
    virtual void start(Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
                       PurchaseSink& sink) const = 0;
    /// Starts customers [begin, end), born before `until_day` (`key` and `birth_day` set), and
    /// brings them up to it: the firm's view at `until_day` of a base that began buying in the
    /// past. Their purchases are outside the accounts. The default is start() then advance();
    /// a model may instead draw the history's summary (purchase count, last purchase, total
    /// spend, alive or not) at once from its exact distribution.
    virtual void start_with_history(Population& pop, std::size_t begin, std::size_t end, double until_day,
                                    const RandomKey& rk) const {
        PurchaseSink outside_accounts;
        start(pop, begin, end, rk, outside_accounts);
        advance(pop, begin, end, until_day, rk, outside_accounts);
    }
    /// Simulates customers [begin, end) in continuous time up to `until_day` (exclusive):
    /// every purchase before it is recorded in `sink`, with no limit per step.
    virtual void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                         const RandomKey& rk, PurchaseSink& sink) const = 0;

    /// Sets customer i's influence multipliers (rate, risk, spend; see Population) from `now`
    /// on. Pending event times are rescaled so that the process continues exactly with the new
    /// rates: a waiting time of an exponential clock scales by old rate / new rate (the clocks
    /// are memoryless, and the same random draws stay in use, so common random numbers hold).
    /// The default rescales next_event_day by the rate; models with other clocks override it.
    virtual void influence(Population& pop, std::size_t i, double now, float rate, float risk, float spend) const {
        const double next = pop.next_event_day[i];
        if (std::isfinite(next) && next > now && rate != pop.rate_mult[i]) {
            pop.next_event_day[i] = float(now + (next - now) * double(pop.rate_mult[i]) / double(rate));
        }
        pop.rate_mult[i] = rate;
        pop.risk_mult[i] = risk;
        pop.spend_mult[i] = spend;
    }
    /// Scales the traits of customers [begin, end), just started at their birth days: purchase
    /// rate x rate, risk of leaving x risk, mean spend x spend (an acquisition channel's own
    /// mix). The pending first event is rescaled with the rate. Works on whichever trait
    /// columns the model allocated; the first purchase, already made, keeps its spend.
    void scale_traits(Population& pop, std::size_t begin, std::size_t end, double rate, double risk, double spend) const {
        for (std::size_t i = begin; i < end; ++i) {
            const double birth = pop.birth_day[i];
            if (!pop.lambda_per_day.empty()) {
                pop.lambda_per_day[i] = float(double(pop.lambda_per_day[i]) * rate);
                const double next = pop.next_event_day[i];
                if (std::isfinite(next)) pop.next_event_day[i] = float(birth + (next - birth) / rate);
            }
            if (!pop.dropout_p.empty()) pop.dropout_p[i] = float(std::min(1.0, double(pop.dropout_p[i]) * risk));
            if (!pop.churn_theta.empty()) pop.churn_theta[i] = float(std::min(1.0, double(pop.churn_theta[i]) * risk));
            if (!pop.death_rate_per_day.empty()) {
                pop.death_rate_per_day[i] = float(double(pop.death_rate_per_day[i]) * risk);
                const double death = pop.death_day[i];
                if (std::isfinite(death) && risk > 0.0) pop.death_day[i] = float(birth + (death - birth) / risk);
            }
            if (!pop.spend_rate.empty()) pop.spend_rate[i] = float(double(pop.spend_rate[i]) / spend);
        }
    }

    /// Brings customer i, who has left (truth), back at `now` with its own traits, using the
    /// draws `d`. Returns false when the model cannot (then nothing changes).
    virtual bool revive(Population& /*pop*/, std::size_t /*i*/, double /*now*/, Draws& /*d*/) const { return false; }

    /// The firm's predictions for targeting, from the firm's view only and the model's
    /// parameters (the firm is assumed to have fitted them): P(alive) and the discounted
    /// expected margin over `horizon_weeks` in cents. NaN when the model has no such formula.
    [[nodiscard]] virtual double p_alive(const FirmHistory& /*h*/) const { return std::nan(""); }
    [[nodiscard]] virtual double predicted_margin_cents(const FirmHistory& /*h*/, double /*horizon_weeks*/,
                                                        double /*annual_discount_rate*/,
                                                        double /*margin_fraction*/) const {
        return std::nan("");
    }
};

}  // namespace retsim
