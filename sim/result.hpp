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
    std::vector<std::int64_t> strategy_cost_cents;  ///< all strategies: contacts, incentives, rewards, fixed
    // Truth of sentiment ([service], [attrition]; zeros without them), during the step.
    std::vector<std::int64_t> service_failures;
    std::vector<std::int64_t> complaints;           ///< failures the firm heard about
    std::vector<std::int64_t> started_considering;  ///< customers who began to consider leaving
    std::vector<std::int64_t> started_switching;    ///< customers who chose a competitor
    std::vector<std::int64_t> departures;           ///< customers who left for a competitor
    std::vector<std::int64_t> risk_signals;         ///< risk signals the firm saw
    std::vector<std::int64_t> fee_income_cents;     ///< reward-program membership fees
    std::vector<std::int64_t> profit_cents;  ///< margin + fees - acquisition - fixed - strategy costs
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

/// One row per strategy ([[strategies]] in scenario order); [strategy][step] matrices.
/// Incremental figures compare the customers a strategy chose (treated) with its holdout
/// (control), on revenue since each customer was first chosen; NaN without a holdout.
struct StrategyTable {
    std::vector<std::string> name;
    std::vector<std::string> kind;
    // Totals over the run.
    std::vector<std::int64_t> candidates, held_out, contacts, contacts_on_gone, responses, revived, unsubscribed;
    std::vector<std::int64_t> contact_cost_cents, incentive_cost_cents, redemption_cost_cents, rebate_cost_cents,
        fixed_cost_cents;
    std::vector<std::int64_t> cost_cents;  ///< the five costs above
    std::vector<std::int64_t> spent_on_gone_cents;
    std::vector<std::int64_t> fee_income_cents;
    std::vector<std::int64_t> points_issued, points_redeemed, points_expired, points_outstanding, rewards_redeemed;
    std::vector<std::int64_t> members;            ///< at the end
    std::vector<double> liability_cents;          ///< outstanding points at reward cost + rebates earned in open periods, at the end
    std::vector<double> breakage_fraction;        ///< expired / (expired + redeemed) points; NaN when none
    // Treated against holdout, at the end of the run.
    std::vector<std::int64_t> treated, control;
    std::vector<double> treated_revenue_per_customer_cents, control_revenue_per_customer_cents;
    std::vector<double> incremental_margin_cents, incremental_margin_low_cents, incremental_margin_high_cents;
    std::vector<double> roi, roi_low, roi_high;  ///< (incremental margin + fees - cost) / cost, 95% interval
    std::vector<double> incremental_retained;    ///< treated x (alive share treated - alive share control)
    std::vector<double> cost_per_retained_cents; ///< cost / incremental_retained; NaN when <= 0
    std::vector<double> payback_days;            ///< first step end where cumulative incremental margin
                                                 ///< reaches cumulative cost; NaN when never
    // [strategy][step]
    std::vector<std::int64_t> cost_by_step_cents, contacts_by_step, responses_by_step, members_by_step,
        points_outstanding_by_step;
    std::vector<double> liability_by_step_cents;
    std::vector<double> incremental_margin_by_step_cents;  ///< cumulative, at each step end
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
    std::int64_t strategy_cost_cents = 0;
    std::int64_t fee_income_cents = 0;
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
    StrategyTable strategies;
    Summary summary;
    std::vector<std::pair<std::string, double>> model_parameters;
    std::optional<Population> customers;  ///< the final state, when requested
    std::vector<std::int32_t> customer_cohort;   ///< per customer, with `customers`
    std::vector<std::int32_t> customer_channel;  ///< per customer, with `customers`
};

}  // namespace retsim
