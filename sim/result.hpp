// Everything a run produces, in memory, before it is written to HDF5. Money is in integer
// cents (exact); discounted figures are doubles computed serially from the exact totals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/lifecycle.hpp"
#include "sim/population.hpp"

namespace retsim {

/// One row per step; row s covers days [s*step_days, (s+1)*step_days) and its stage counts
/// are taken at the end of the step.
struct TimeSeries {
    std::vector<double> time_days;               ///< end of the step
    std::vector<std::int64_t> customers;         ///< acquired so far, initial base included
    std::vector<std::int64_t> acquired;          ///< acquired during the step
    std::vector<std::int64_t> alive;             ///< truth: customers not yet gone
    std::vector<std::int64_t> stage_counts;      ///< [step][stage]
    std::vector<std::int64_t> stage_by_truth;    ///< [step][stage][truth]
    std::vector<std::int64_t> purchases;         ///< all purchases, first purchases included
    std::vector<std::int64_t> repeat_purchases;  ///< purchases after a customer's first
    std::vector<std::int64_t> revenue_cents;
    std::vector<std::int64_t> margin_cents;
    std::vector<std::int64_t> acquisition_cost_cents;
    std::vector<std::int64_t> fixed_cost_cents;
    std::vector<std::int64_t> profit_cents;      ///< margin - acquisition - fixed
    std::vector<double> discount_factor;         ///< (1 + rate)^(-time_days/365)
    std::vector<double> discounted_profit_cents; ///< profit * discount_factor
};

/// One row per group of customers that share a cohort and a channel.
struct CohortTable {
    std::vector<std::int32_t> cohort;         ///< 0 = initial base, k = k-th acquisition cohort
    std::vector<std::int32_t> channel;        ///< index into ChannelTable, -1 = initial base
    std::vector<double> start_day;            ///< first day of the cohort window
    std::vector<std::int64_t> customers;
    std::vector<std::int64_t> acquisition_cost_cents;
    std::vector<double> cac_cents;            ///< acquisition cost per customer
    std::vector<std::int64_t> revenue_cents;  ///< over the horizon
    std::vector<std::int64_t> margin_cents;
    std::vector<double> realised_clv_cents;   ///< discounted margin per customer, to start_day
    // [group][step] matrices.
    std::vector<std::int64_t> alive;          ///< truth
    std::vector<std::int64_t> active;         ///< firm's view: new, active or won back
    std::vector<std::int64_t> purchases_by_step;
    std::vector<std::int64_t> margin_by_step_cents;
    std::vector<std::int64_t> stage_by_truth; ///< [group][step][stage][truth]
};

/// One row per acquisition channel.
struct ChannelTable {
    std::vector<std::string> name;
    std::vector<std::int64_t> spend_cents;
    std::vector<std::int64_t> acquired;
    std::vector<double> cac_cents;
    std::vector<std::int64_t> margin_cents;          ///< margin of its customers, horizon
    std::vector<double> discounted_margin_cents;
    std::vector<double> roi;  ///< (discounted margin - spend) / spend; NaN when spend is 0
};

/// Headline figures.
struct Summary {
    std::int64_t customers = 0;
    std::int64_t initial_customers = 0;
    std::int64_t acquired_customers = 0;
    std::int64_t alive_at_end = 0;
    std::int64_t purchases = 0;
    std::int64_t repeat_purchases = 0;
    std::int64_t revenue_cents = 0;
    std::int64_t margin_cents = 0;
    std::int64_t acquisition_cost_cents = 0;
    std::int64_t fixed_cost_cents = 0;
    std::int64_t profit_cents = 0;
    double discounted_profit_cents = 0;
    double cac_cents = 0;                  ///< acquisition cost per acquired customer
    double mean_spend_cents = 0;           ///< revenue per purchase
    double customer_days = 0;              ///< simulated customer-days (for throughput)
    double wall_seconds = 0;               ///< simulation time, output excluded
    std::size_t bytes_per_customer = 0;
    int threads = 0;
};

/// A complete run.
struct RunResult {
    std::size_t steps = 0;
    double step_days = 0;
    TimeSeries series;
    CohortTable cohorts;
    ChannelTable channels;
    Summary summary;
    std::vector<std::pair<std::string, double>> model_parameters;
    std::optional<Population> customers;  ///< the final state, when requested
    std::vector<std::int32_t> customer_cohort;   ///< per customer, with `customers`
    std::vector<std::int32_t> customer_channel;  ///< per customer, with `customers`
};

}  // namespace retsim
