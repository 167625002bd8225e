// The interface between the engine and the customer-behaviour models in models/. The engine
// calls a model a block of customers at a time; a model is a pure function of each
// customer's state, its parameters and the customer's keyed random draws.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/population.hpp"
#include "sim/random.hpp"

namespace retsim {

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
        margin_cents += std::llround(double(spend_cents) * margin_fraction);
    }
};

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

    /// Allocates the trait columns this model uses for `n` customers.
    virtual void allocate(Population& pop, std::size_t n) const = 0;
    /// Starts customers [begin, end): `key` and `birth_day` are set. Draws their traits,
    /// records the first purchase (at birth) in `sink` and schedules the next event.
    virtual void start(Population& pop, std::size_t begin, std::size_t end, const RandomKey& rk,
                       PurchaseSink& sink) const = 0;
    /// Simulates customers [begin, end) in continuous time up to `until_day` (exclusive):
    /// every purchase before it is recorded in `sink`, with no limit per step.
    virtual void advance(Population& pop, std::size_t begin, std::size_t end, double until_day,
                         const RandomKey& rk, PurchaseSink& sink) const = 0;
};

}  // namespace retsim
