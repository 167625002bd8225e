// Helpers shared by the engine tests: loading repository scenarios with overrides and
// comparing whole results.
#pragma once

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"

namespace retsim::test {

inline std::string source_path(const std::string& relative) { return std::string(RETSIM_SOURCE_DIR) + "/" + relative; }

inline Scenario scenario_file(const std::string& relative, const std::vector<std::string>& overrides = {}) {
    return load_scenario(source_path(relative), overrides);
}

inline RunResult run(const Scenario& sc, int threads = 2, bool keep_customers = false, bool reclassify_all = false) {
    RunOptions options;
    options.threads = threads;
    options.keep_customers = keep_customers;
    options.reclassify_all = reclassify_all;
    return run_simulation(sc, options);
}

/// A small base scenario for mechanism tests: `customers` initial customers with a year of
/// history, weekly steps over `horizon_days`, seed `seed`; "fast" buyers (BG/NBD r = 2,
/// alpha = 10 weeks: one purchase every five weeks on average) unless `slow`, then the CDNOW
/// fit. `tail` adds tables.
inline std::string base_scenario_text(const std::string& tail, std::uint64_t customers, double horizon_days,
                                      std::uint64_t seed, bool slow = false) {
    std::string text = "[run]\nhorizon_days = " + std::to_string(horizon_days) +
                       "\nstep_days = 7\nseed = " + std::to_string(seed) +
                       "\n[population]\ninitial_customers = " + std::to_string(customers) +
                       "\nhistory_days = 365\nmodel = \"bgnbd\"\n";
    text += slow ? "[population.bgnbd]\nr = 0.243\nalpha_weeks = 4.414\na = 0.793\nb = 2.426\n"
                 : "[population.bgnbd]\nr = 2.0\nalpha_weeks = 10.0\na = 1.0\nb = 8.0\n";
    return text + tail;
}

/// The BadInput text for a scenario `text`; fails the test when the scenario is accepted.
inline std::string bad_input(const std::string& text) {
    try {
        (void)parse_scenario(text, "bad.toml");
    } catch (const BadInput& e) {
        return e.what();
    }
    FAIL("the scenario was accepted:\n" << text);
    return {};
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

/// A library scenario and the overrides that shrink it for a golden test: a few thousand
/// customers, channel spend scaled down with them so that arrivals stay small.
struct LibraryCase {
    const char* name;
    std::vector<std::string> shrink;
};

inline const std::vector<LibraryCase> kLibrary = {
    {"coffee_stamp_card",
     {"population.initial_customers=3000", "run.horizon_days=182",
      "acquisition.channels[0].spend_per_week_cents=20000"}},
    {"subscription_save_team",
     {"population.initial_customers=3000", "run.horizon_days=364",
      "acquisition.channels[0].spend_per_week_cents=50000"}},
    {"credit_card_upsell", {"population.initial_customers=3000", "run.horizon_days=182"}},
    {"retail_points_tiers",
     {"population.initial_customers=3000", "run.horizon_days=364",
      "acquisition.channels[0].spend_per_week_cents=15000"}},
    // Two years, so that rebate years end and rebates are paid.
    {"business_volume_rebates", {"population.initial_customers=2000"}},
    {"winback_lapsed",
     {"population.initial_customers=3000", "run.horizon_days=364",
      "acquisition.channels[0].spend_per_week_cents=30000", "strategies[1].budget_per_week_cents=5000",
      "strategies[2].budget_per_week_cents=5000"}},
    {"acquisition_vs_retention",
     {"population.initial_customers=3000", "run.horizon_days=364",
      "acquisition.channels[0].spend_per_week_cents=45000",
      "acquisition.channels[1].spend_per_week_cents=15000", "strategies[2].budget_per_week_cents=6000"}},
};

/// Golden output: every exact figure of a run as "name = value" lines (doubles printed to 17 digits): the
/// summary's money, the end stage-by-truth counts and every strategy total.
inline std::string golden_text(const RunResult& r) {
    std::ostringstream out;
    out.precision(17);
    const Summary& s = r.summary;
    out << "customers = " << s.customers << "\nacquired_customers = " << s.acquired_customers
        << "\nalive_at_end = " << s.alive_at_end << "\npurchases = " << s.purchases
        << "\nrepeat_purchases = " << s.repeat_purchases << "\nrevenue_cents = " << s.revenue_cents
        << "\nmargin_cents = " << s.margin_cents << "\nacquisition_cost_cents = " << s.acquisition_cost_cents
        << "\nfixed_cost_cents = " << s.fixed_cost_cents << "\nstrategy_cost_cents = " << s.strategy_cost_cents
        << "\nfee_income_cents = " << s.fee_income_cents << "\nprofit_cents = " << s.profit_cents
        << "\ndiscounted_profit_cents = " << s.discounted_profit_cents << "\n";
    const std::size_t last = r.steps - 1;
    for (std::size_t k = 0; k < kStageCount; ++k) {
        out << "end_stage." << kStageNames[k] << " = "
            << r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount] << " alive, "
            << r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount + 1] << " gone\n";
    }
    for (std::size_t g = 0; g < r.cohorts.cohort.size(); ++g) {
        out << "cohort " << r.cohorts.cohort[g] << " channel " << r.cohorts.channel[g] << ": customers "
            << r.cohorts.customers[g] << ", margin_cents " << r.cohorts.margin_cents[g] << ", realised_clv_cents "
            << r.cohorts.realised_clv_cents[g] << "\n";
    }
    const StrategyTable& t = r.strategies;
    for (std::size_t k = 0; k < t.name.size(); ++k) {
        const std::string p = "strategy." + t.name[k] + ".";
        out << p << "kind = " << t.kind[k] << "\n"
            << p << "candidates = " << t.candidates[k] << "\n"
            << p << "held_out = " << t.held_out[k] << "\n"
            << p << "contacts = " << t.contacts[k] << "\n"
            << p << "contacts_on_gone = " << t.contacts_on_gone[k] << "\n"
            << p << "responses = " << t.responses[k] << "\n"
            << p << "revived = " << t.revived[k] << "\n"
            << p << "unsubscribed = " << t.unsubscribed[k] << "\n"
            << p << "contact_cost_cents = " << t.contact_cost_cents[k] << "\n"
            << p << "incentive_cost_cents = " << t.incentive_cost_cents[k] << "\n"
            << p << "redemption_cost_cents = " << t.redemption_cost_cents[k] << "\n"
            << p << "rebate_cost_cents = " << t.rebate_cost_cents[k] << "\n"
            << p << "fixed_cost_cents = " << t.fixed_cost_cents[k] << "\n"
            << p << "cost_cents = " << t.cost_cents[k] << "\n"
            << p << "spent_on_gone_cents = " << t.spent_on_gone_cents[k] << "\n"
            << p << "fee_income_cents = " << t.fee_income_cents[k] << "\n"
            << p << "points_issued = " << t.points_issued[k] << "\n"
            << p << "points_redeemed = " << t.points_redeemed[k] << "\n"
            << p << "points_expired = " << t.points_expired[k] << "\n"
            << p << "points_outstanding = " << t.points_outstanding[k] << "\n"
            << p << "rewards_redeemed = " << t.rewards_redeemed[k] << "\n"
            << p << "members = " << t.members[k] << "\n"
            << p << "treated = " << t.treated[k] << "\n"
            << p << "control = " << t.control[k] << "\n"
            << p << "incremental_margin_cents = " << t.incremental_margin_cents[k] << " ["
            << t.incremental_margin_low_cents[k] << ", " << t.incremental_margin_high_cents[k] << "]\n";
    }
    return out.str();
}

}  // namespace retsim::test
