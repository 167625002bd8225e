// Strategies held to account: costs and budgets to the cent, reward-program accounting, effects
// that move behaviour the way they say (against the same scenario without them, common random
// numbers), bit-identical results for any thread count, and the scenario reader's refusals.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "test_engine_helpers.hpp"

using namespace retsim;
using retsim::test::bad_input;
using retsim::test::contains;
using retsim::test::run;

namespace {

/// The base scenario of retsim::test::base_scenario_text with this file's seed.
std::string scenario_text(const std::string& tail, std::uint64_t customers = 10'000, double horizon_days = 182,
                          bool slow = false) {
    return retsim::test::base_scenario_text(tail, customers, horizon_days, 4242, slow);
}

Scenario make(const std::string& tail, const std::vector<std::string>& overrides = {}, std::uint64_t customers = 10'000,
              double horizon_days = 182, bool slow = false) {
    return parse_scenario(scenario_text(tail, customers, horizon_days, slow), "test.toml", overrides);
}

/// [strategy][step] element of a StrategyTable matrix.
std::int64_t at(const std::vector<std::int64_t>& m, const RunResult& r, std::size_t k, std::size_t s) {
    return m[k * r.steps + s];
}

std::size_t truth_cell(std::size_t step, Stage stage, bool gone) {
    return (step * kStageCount + std::size_t(stage)) * kTruthCount + (gone ? 1 : 0);
}

/// Step length s of a run (the last step may be short).
double step_length(const RunResult& r, std::size_t s) {
    return r.series.time_days[s] - (s == 0 ? 0.0 : r.series.time_days[s - 1]);
}

std::int64_t sum(const std::vector<std::int64_t>& v) {
    std::int64_t total = 0;
    for (const std::int64_t x : v) total += x;
    return total;
}


template <class T>
bool same_values(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if constexpr (std::is_floating_point_v<T>) {
            if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
        } else {
            if (!(a[i] == b[i])) return false;
        }
    }
    return true;
}

#define RETSIM_SAME(field)                         \
    do {                                           \
        INFO(#field);                              \
        CHECK(same_values(x.field, y.field));      \
    } while (false)

/// Every time-series vector, every strategy-table field and the cohort tables, exactly (NaN
/// equal to NaN).
void require_identical(const RunResult& a, const RunResult& b) {
    {
        const TimeSeries &x = a.series, &y = b.series;
        RETSIM_SAME(time_days);
        RETSIM_SAME(customers);
        RETSIM_SAME(acquired);
        RETSIM_SAME(alive);
        RETSIM_SAME(stage_counts);
        RETSIM_SAME(stage_by_truth);
        RETSIM_SAME(purchases);
        RETSIM_SAME(repeat_purchases);
        RETSIM_SAME(revenue_cents);
        RETSIM_SAME(margin_cents);
        RETSIM_SAME(acquisition_cost_cents);
        RETSIM_SAME(fixed_cost_cents);
        RETSIM_SAME(strategy_cost_cents);
        RETSIM_SAME(fee_income_cents);
        RETSIM_SAME(profit_cents);
        RETSIM_SAME(discount_factor);
        RETSIM_SAME(discounted_profit_cents);
    }
    {
        const StrategyTable &x = a.strategies, &y = b.strategies;
        RETSIM_SAME(name);
        RETSIM_SAME(kind);
        RETSIM_SAME(candidates);
        RETSIM_SAME(held_out);
        RETSIM_SAME(contacts);
        RETSIM_SAME(contacts_on_gone);
        RETSIM_SAME(responses);
        RETSIM_SAME(revived);
        RETSIM_SAME(unsubscribed);
        RETSIM_SAME(rebate_cost_cents);
        RETSIM_SAME(contact_cost_cents);
        RETSIM_SAME(incentive_cost_cents);
        RETSIM_SAME(redemption_cost_cents);
        RETSIM_SAME(fixed_cost_cents);
        RETSIM_SAME(cost_cents);
        RETSIM_SAME(spent_on_gone_cents);
        RETSIM_SAME(fee_income_cents);
        RETSIM_SAME(points_issued);
        RETSIM_SAME(points_redeemed);
        RETSIM_SAME(points_expired);
        RETSIM_SAME(points_outstanding);
        RETSIM_SAME(rewards_redeemed);
        RETSIM_SAME(members);
        RETSIM_SAME(liability_cents);
        RETSIM_SAME(breakage_fraction);
        RETSIM_SAME(treated);
        RETSIM_SAME(control);
        RETSIM_SAME(treated_revenue_per_customer_cents);
        RETSIM_SAME(control_revenue_per_customer_cents);
        RETSIM_SAME(incremental_margin_cents);
        RETSIM_SAME(incremental_margin_low_cents);
        RETSIM_SAME(incremental_margin_high_cents);
        RETSIM_SAME(roi);
        RETSIM_SAME(roi_low);
        RETSIM_SAME(roi_high);
        RETSIM_SAME(incremental_retained);
        RETSIM_SAME(cost_per_retained_cents);
        RETSIM_SAME(payback_days);
        RETSIM_SAME(cost_by_step_cents);
        RETSIM_SAME(contacts_by_step);
        RETSIM_SAME(responses_by_step);
        RETSIM_SAME(members_by_step);
        RETSIM_SAME(points_outstanding_by_step);
        RETSIM_SAME(liability_by_step_cents);
        RETSIM_SAME(incremental_margin_by_step_cents);
    }
    {
        const CohortTable &x = a.cohorts, &y = b.cohorts;
        RETSIM_SAME(stage_by_truth);
        RETSIM_SAME(alive);
        RETSIM_SAME(margin_by_step_cents);
        RETSIM_SAME(realised_clv_cents);
    }
    CHECK(a.summary.profit_cents == b.summary.profit_cents);
    CHECK(a.summary.discounted_profit_cents == b.summary.discounted_profit_cents);
}

#undef RETSIM_SAME

const std::string kAllStages = R"(["new", "active", "lapsed", "inactive"])";

}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. Costs

TEST_CASE("strategies: costs reconcile to the cent", "[unit]") {
    // Ten-day steps over 185 days: the last step is five days long, so fixed costs and fees
    // are pro rata by step length.
    const Scenario sc = make(R"(
[economics]
fixed_cost_per_week_cents = 70_001
[[acquisition.channels]]
name = "web"
spend_per_week_cents = 300_000
cost_per_customer_cents = 3_000
max_customers_per_week = 200
[[strategies]]
name = "nudge"
stages = ["new", "active", "lapsed"]
start_day = 15
end_day = 150
cost_per_contact_cents = 37
cost_per_incentive_cents = 211
fixed_cost_per_week_cents = 1_001
response_probability = 0.3
contact_every_days = 21
[strategies.effect]
rate_multiplier = 1.2
[[strategies]]
name = "club"
kind = "reward"
stages = ["active"]
cost_per_contact_cents = 5
fixed_cost_per_week_cents = 333
response_probability = 0.4
[strategies.reward]
points_per_purchase = 1
reward_threshold_points = 4
reward_cost_cents = 150
fee_per_year_cents = 1_999
)",
                             {"run.step_days=10", "run.horizon_days=185"});
    const RunResult r = run(sc, 2);
    const StrategyTable& t = r.strategies;
    const TimeSeries& ts = r.series;
    REQUIRE(r.steps == 19);
    REQUIRE(t.name.size() == 2);
    CHECK(step_length(r, 18) == 5.0);

    const std::vector<double> start_day = {15, 0}, end_day = {150, 185};
    const std::vector<std::int64_t> per_contact = {37, 5}, per_incentive = {211, 0}, fixed_per_week = {1'001, 333};
    for (std::size_t k = 0; k < 2; ++k) {
        INFO(t.name[k]);
        REQUIRE(t.contacts[k] > 0);
        REQUIRE(t.responses[k] > 0);
        CHECK(t.contact_cost_cents[k] == t.contacts[k] * per_contact[k]);
        CHECK(t.incentive_cost_cents[k] == t.responses[k] * per_incentive[k]);
        std::int64_t fixed = 0;
        for (std::size_t s = 0; s < r.steps; ++s) {
            const double start = s == 0 ? 0.0 : ts.time_days[s - 1];
            if (start >= start_day[k] && start < end_day[k]) {
                fixed += std::llround(double(fixed_per_week[k]) * step_length(r, s) / 7.0);
            }
        }
        CHECK(t.fixed_cost_cents[k] == fixed);
        CHECK(t.rebate_cost_cents[k] == 0);
        CHECK(t.cost_cents[k] == t.contact_cost_cents[k] + t.incentive_cost_cents[k] + t.redemption_cost_cents[k] +
                                     t.rebate_cost_cents[k] + t.fixed_cost_cents[k]);
        std::int64_t by_step_cost = 0, by_step_contacts = 0, by_step_responses = 0;
        for (std::size_t s = 0; s < r.steps; ++s) {
            by_step_cost += at(t.cost_by_step_cents, r, k, s);
            by_step_contacts += at(t.contacts_by_step, r, k, s);
            by_step_responses += at(t.responses_by_step, r, k, s);
        }
        CHECK(by_step_cost == t.cost_cents[k]);
        CHECK(by_step_contacts == t.contacts[k]);
        CHECK(by_step_responses == t.responses[k]);
    }
    // Nothing is contacted outside [start_day, end_day): epochs are step ends.
    for (std::size_t s = 0; s < r.steps; ++s) {
        if (ts.time_days[s] < 15 || ts.time_days[s] >= 150) CHECK(at(t.contacts_by_step, r, 0, s) == 0);
    }
    // Membership fees: every member still alive at an epoch pays the fee pro rata for the step;
    // members who have left (truth) pay nothing, though the firm still counts them as members.
    CHECK(t.redemption_cost_cents[1] == t.rewards_redeemed[1] * 150);
    std::int64_t fees_if_all_paid = 0;
    for (std::size_t s = 0; s < r.steps; ++s) {
        const std::int64_t per_member = std::llround(1'999.0 * step_length(r, s) / 365.0);
        fees_if_all_paid += at(t.members_by_step, r, 1, s) * per_member;
    }
    CHECK(t.fee_income_cents[1] <= fees_if_all_paid);
    CHECK(t.fee_income_cents[1] > fees_if_all_paid / 2);
    CHECK(t.fee_income_cents[1] > 0);

    // Time series against the table, and the profit identity per step.
    std::int64_t series_cost = 0, series_fees = 0;
    for (std::size_t s = 0; s < r.steps; ++s) {
        CHECK(ts.strategy_cost_cents[s] == at(t.cost_by_step_cents, r, 0, s) + at(t.cost_by_step_cents, r, 1, s));
        CHECK(ts.profit_cents[s] == ts.margin_cents[s] + ts.fee_income_cents[s] - ts.acquisition_cost_cents[s] -
                                        ts.fixed_cost_cents[s] - ts.strategy_cost_cents[s]);
        series_cost += ts.strategy_cost_cents[s];
        series_fees += ts.fee_income_cents[s];
    }
    CHECK(series_cost == r.summary.strategy_cost_cents);
    CHECK(series_cost == t.cost_cents[0] + t.cost_cents[1]);
    CHECK(series_fees == r.summary.fee_income_cents);
    CHECK(series_fees == t.fee_income_cents[0] + t.fee_income_cents[1]);
    CHECK(sum(ts.profit_cents) == r.summary.profit_cents);
    CHECK(r.summary.profit_cents == r.summary.margin_cents + r.summary.fee_income_cents -
                                        r.summary.acquisition_cost_cents - r.summary.fixed_cost_cents -
                                        r.summary.strategy_cost_cents);
    CHECK(r.summary.acquisition_cost_cents > 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Budgets and top fractions

TEST_CASE("strategies: a budget cap is never exceeded and binds", "[unit]") {
    const Scenario sc = make(R"(
[[strategies]]
name = "capped"
stages = )" + kAllStages + R"(
budget_per_week_cents = 4_000
cost_per_contact_cents = 60
cost_per_incentive_cents = 90
response_probability = 0.5
holdout_fraction = 0.2
contact_every_days = 14
[strategies.effect]
rate_multiplier = 1.3
)",
                             {"run.step_days=10", "run.horizon_days=185"});
    const RunResult r = run(sc, 2);
    const StrategyTable& t = r.strategies;
    REQUIRE(t.contacts[0] > 0);
    bool binds = false;
    for (std::size_t s = 0; s < r.steps; ++s) {
        INFO("step " << s);
        const double budget = 4'000.0 * step_length(r, s) / 7.0;
        const std::int64_t spent = at(t.contacts_by_step, r, 0, s) * 60 + at(t.responses_by_step, r, 0, s) * 90;
        CHECK(double(spent) <= budget);
        CHECK(double(at(t.cost_by_step_cents, r, 0, s)) <= budget);
        // Each contact reserves its contact and its incentive: at most floor(budget / 150).
        const auto most = std::int64_t(std::floor(budget) / 150.0);
        CHECK(at(t.contacts_by_step, r, 0, s) <= most);
        binds = binds || at(t.contacts_by_step, r, 0, s) == most;
    }
    CHECK(binds);
    CHECK(t.contacts[0] + t.held_out[0] < t.candidates[0]);  // some eligible customers were not served
    CHECK(t.held_out[0] > 0);                                // the holdout costs nothing and is not capped
}

TEST_CASE("strategies: top_fraction keeps the top of the candidates by score", "[unit]") {
    const std::string tail = R"(
[[strategies]]
name = "best"
stages = ["new", "active"]
score = "spend_per_week"
top_fraction = 0.1
holdout_fraction = 0.3
cost_per_contact_cents = 10
contact_every_days = 7
)";
    // One acting epoch (the strategy ends with the horizon): that step's counts are the totals.
    {
        const RunResult r = run(make(tail, {}, 10'000, 14), 2);
        const StrategyTable& t = r.strategies;
        REQUIRE(t.candidates[0] > 100);
        CHECK(t.contacts[0] + t.held_out[0] == (t.candidates[0] + 9) / 10);
        CHECK(t.held_out[0] > 0);
    }
    // Over 26 steps: ceil(0.1 x candidates) per step, so between 0.1 x all and that plus a step each.
    {
        const RunResult r = run(make(tail), 2);
        const StrategyTable& t = r.strategies;
        const double chosen = double(t.contacts[0] + t.held_out[0]);
        CHECK(chosen >= 0.1 * double(t.candidates[0]));
        CHECK(chosen < 0.1 * double(t.candidates[0]) + double(r.steps));
        // Ranked by spend per week: the treated are the best customers, well above the average.
        const double mean_revenue = double(r.summary.revenue_cents) / double(r.summary.customers);
        CHECK(t.treated_revenue_per_customer_cents[0] > mean_revenue);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Reward programs

namespace {

const std::string kRewardTail = R"(
[[strategies]]
name = "stamps"
kind = "reward"
stages = ["new", "active"]
response_probability = 0.6
[strategies.reward]
points_per_purchase = 1
points_per_currency_unit = 0.05
reward_threshold_points = 5
reward_cost_cents = 400
)";

void check_reward_books(const RunResult& r) {
    const StrategyTable& t = r.strategies;
    REQUIRE(t.points_issued[0] > 0);
    CHECK(t.points_issued[0] == t.points_redeemed[0] + t.points_expired[0] + t.points_outstanding[0]);
    CHECK(t.points_redeemed[0] == t.rewards_redeemed[0] * 5);
    CHECK(t.redemption_cost_cents[0] == t.rewards_redeemed[0] * 400);
    CHECK(t.liability_cents[0] == Approx(double(t.points_outstanding[0]) * 400.0 / 5.0).epsilon(1e-12));
    for (std::size_t s = 0; s < r.steps; ++s) {
        CHECK(t.liability_by_step_cents[s] ==
              Approx(double(at(t.points_outstanding_by_step, r, 0, s)) * 80.0).epsilon(1e-12));
    }
    CHECK(t.points_outstanding[0] == at(t.points_outstanding_by_step, r, 0, r.steps - 1));
    CHECK(t.members[0] == at(t.members_by_step, r, 0, r.steps - 1));
    CHECK(t.members[0] == t.responses[0]);  // every responder joins and stays a member
    REQUIRE(!std::isnan(t.breakage_fraction[0]));
    CHECK(t.breakage_fraction[0] >= 0.0);
    CHECK(t.breakage_fraction[0] <= 1.0);
    CHECK(t.breakage_fraction[0] ==
          Approx(double(t.points_expired[0]) / double(t.points_expired[0] + t.points_redeemed[0])));
}

}  // namespace

TEST_CASE("strategies: reward program accounting balances", "[unit]") {
    const RunResult never = run(make(kRewardTail), 2);
    check_reward_books(never);
    CHECK(never.strategies.rewards_redeemed[0] > 0);
    CHECK(never.strategies.points_expired[0] == 0);
    CHECK(never.strategies.breakage_fraction[0] == 0.0);

    const RunResult expiring = run(make(kRewardTail, {"strategies[0].reward.expiry_days=45"}), 2);
    check_reward_books(expiring);
    CHECK(expiring.strategies.points_expired[0] > 0);
    CHECK(expiring.strategies.breakage_fraction[0] > 0.0);

    const RunResult unclaimed = run(make(kRewardTail, {"strategies[0].reward.expiry_days=45",
                                                       "strategies[0].reward.redemption_probability=0.2"}),
                                    2);
    check_reward_books(unclaimed);
    CHECK(unclaimed.strategies.breakage_fraction[0] > expiring.strategies.breakage_fraction[0]);
    CHECK(unclaimed.strategies.rewards_redeemed[0] < expiring.strategies.rewards_redeemed[0]);
}

// ---------------------------------------------------------------------------------------------
// 4. Zero effect

TEST_CASE("strategies: a strategy with no effect shows no incremental margin", "[stat]") {
    const std::string tail = R"(
[[strategies]]
name = "placebo"
stages = )" + kAllStages + R"(
holdout_fraction = 0.5
response_probability = 0.5
cost_per_contact_cents = 10
)";
    // Same draws, no effect: behaviour is exactly that of the scenario without the strategy.
    const RunResult with = run(make(tail, {}, 20'000), 2);
    const RunResult without = run(make("", {}, 20'000), 2);
    CHECK(with.series.purchases == without.series.purchases);
    CHECK(with.series.revenue_cents == without.series.revenue_cents);
    CHECK(with.series.alive == without.series.alive);
    CHECK(with.strategies.cost_cents[0] > 0);

    // Treated against holdout over five seeds: each 95% interval should contain 0 (one miss
    // allowed), and the z scores must not pile up on one side (their sum is N(0, 5)).
    int covered = 0;
    double z_sum = 0;
    const int seeds = 5;
    for (int seed = 1; seed <= seeds; ++seed) {
        const RunResult r = run(make(tail, {"run.seed=" + std::to_string(seed)}, 20'000), 2);
        const StrategyTable& t = r.strategies;
        REQUIRE(t.control[0] > 5'000);
        REQUIRE(t.treated[0] > 5'000);
        const double half = (t.incremental_margin_high_cents[0] - t.incremental_margin_low_cents[0]) / 2.0;
        REQUIRE(half > 0.0);
        const double estimate = t.incremental_margin_cents[0];
        INFO("seed " << seed << ": " << estimate << " +- " << half);
        covered += t.incremental_margin_low_cents[0] <= 0.0 && 0.0 <= t.incremental_margin_high_cents[0];
        z_sum += estimate / (half / 1.959963984540054);
    }
    CHECK(covered >= seeds - 1);
    CHECK(std::abs(z_sum) < 3.0 * std::sqrt(double(seeds)));
}

// ---------------------------------------------------------------------------------------------
// 5. Effects, against the same scenario without the strategy (common random numbers)

namespace {

std::string contact_tail(const std::string& effect, const std::string& extra = "") {
    return R"(
[[strategies]]
name = "effect"
stages = )" + kAllStages + R"(
response_probability = 0.7
contact_every_days = 28
)" + extra + "[strategies.effect]\neffect_days = 28\n" + effect + "\n";
}

}  // namespace

TEST_CASE("strategies: rate, risk and spend multipliers move behaviour their way", "[stat]") {
    const RunResult base = run(make(""), 2);

    const RunResult faster = run(make(contact_tail("rate_multiplier = 1.5")), 2);
    CHECK(faster.summary.purchases > base.summary.purchases * 21 / 20);

    const RunResult safer = run(make(contact_tail("risk_multiplier = 0.2")), 2);
    CHECK(safer.summary.alive_at_end > base.summary.alive_at_end);
    // Dropout at a purchase happens on the same draw with a smaller probability, at the same
    // purchase times: nobody leaves earlier, so alive is never lower at any step.
    for (std::size_t s = 0; s < base.steps; ++s) CHECK(safer.series.alive[s] >= base.series.alive[s]);

    // Pareto/NBD: the lifetime clock is rescaled by the risk multiplier.
    const std::string pareto =
        "[run]\nhorizon_days = 182\nstep_days = 7\nseed = 4242\n[population]\ninitial_customers = 10000\n"
        "history_days = 365\nmodel = \"paretonbd\"\n[population.paretonbd]\nr = 2.0\nalpha_weeks = 10.0\n"
        "s = 1.0\nbeta_weeks = 40.0\n";
    const RunResult pareto_base = run(parse_scenario(pareto, "pareto.toml"), 2);
    const RunResult pareto_safer = run(parse_scenario(pareto + contact_tail("risk_multiplier = 0.2"), "pareto.toml"), 2);
    CHECK(pareto_safer.summary.alive_at_end > pareto_base.summary.alive_at_end);
    for (std::size_t s = 0; s < pareto_base.steps; ++s) CHECK(pareto_safer.series.alive[s] >= pareto_base.series.alive[s]);

    const RunResult bigger = run(make(contact_tail("spend_multiplier = 1.5")), 2);
    CHECK(bigger.summary.mean_spend_cents > 1.1 * base.summary.mean_spend_cents);
    CHECK(bigger.summary.purchases == base.summary.purchases);  // spend only, not the rate
}

TEST_CASE("strategies: incremental margin against the holdout is positive for a real effect", "[stat]") {
    const RunResult r = run(make(contact_tail("rate_multiplier = 1.5", "holdout_fraction = 0.5\n")), 2);
    const StrategyTable& t = r.strategies;
    REQUIRE(t.control[0] > 1'000);
    CHECK(t.incremental_margin_cents[0] > 0.0);
    CHECK(t.incremental_margin_low_cents[0] > 0.0);
    CHECK(t.treated_revenue_per_customer_cents[0] > t.control_revenue_per_customer_cents[0]);
}

TEST_CASE("strategies: win-back revives customers who had left", "[stat]") {
    const std::string lifecycle = "[lifecycle]\nlapsed_after = 60\ninactive_after = 100\nlost_after = 150\n";
    const RunResult base = run(make(lifecycle, {}, 10'000, 182, true), 2);
    const RunResult r = run(make(lifecycle + R"(
[[strategies]]
name = "come_back"
kind = "win_back"
stages = ["lapsed", "inactive", "lost"]
response_probability = 0.3
cost_per_contact_cents = 50
[strategies.effect]
revive_probability = 0.3
)",
                                 {}, 10'000, 182, true),
                            2);
    const StrategyTable& t = r.strategies;
    CHECK(t.contacts_on_gone[0] > 0);
    CHECK(t.revived[0] > 0);
    CHECK(t.revived[0] <= t.contacts_on_gone[0]);
    CHECK(r.summary.alive_at_end > base.summary.alive_at_end);
}

namespace {

const std::string kAttrition = R"(
[attrition]
considering_rate_per_year = 2.0
considering_days = 30
switch_probability = 0.6
switching_days = 30
considering_signal_per_week = 0.3
switching_signal_per_week = 0.6
)";

std::string save_tail(bool restores, const std::string& extra = "") {
    return kAttrition + R"(
[[strategies]]
name = "save"
stages = ["at_risk_considering", "at_risk_switching"]
response_probability = 0.8
contact_every_days = 7
)" + extra + "[strategies.effect]\nrestores_content = " + (restores ? "true" : "false") + "\n";
}

}  // namespace

TEST_CASE("strategies: a save strategy that restores content reduces departures", "[stat]") {
    const RunResult none = run(make(kAttrition), 2);
    const RunResult saved = run(make(save_tail(true)), 2);
    const RunResult contacted_only = run(make(save_tail(false)), 2);
    REQUIRE(saved.strategies.responses[0] > 100);
    CHECK(saved.summary.alive_at_end > none.summary.alive_at_end);
    // The same contacts without restores_content and without multipliers change nothing.
    CHECK(contacted_only.series.alive == none.series.alive);
    CHECK(contacted_only.summary.purchases == none.summary.purchases);
}

TEST_CASE("strategies: customers already switching respond less", "[stat]") {
    // No effect at all, so both runs contact the same customers; only responses differ.
    const RunResult full = run(make(save_tail(false)), 2);
    const RunResult reluctant = run(make(save_tail(false), {"strategies[0].switching_response_multiplier=0.2"}), 2);
    REQUIRE(full.strategies.contacts[0] > 500);
    CHECK(reluctant.strategies.contacts[0] == full.strategies.contacts[0]);
    CHECK(reluctant.strategies.responses[0] < full.strategies.responses[0]);

    // Only at_risk_switching customers: almost all of them are switching (truth).
    const std::vector<std::string> switching = {R"(strategies[0].stages=["at_risk_switching"])"};
    const RunResult s_full = run(make(save_tail(false), switching), 2);
    std::vector<std::string> low = switching;
    low.emplace_back("strategies[0].switching_response_multiplier=0.2");
    const RunResult s_low = run(make(save_tail(false), low), 2);
    REQUIRE(s_full.strategies.contacts[0] > 200);
    // Customers already gone never respond; among the alive ones the response rate is
    // response_probability, times the multiplier for those switching (4 standard errors).
    const auto alive_contacts = [](const RunResult& r) {
        return double(r.strategies.contacts[0] - r.strategies.contacts_on_gone[0]);
    };
    REQUIRE(alive_contacts(s_full) > 1'000);
    CHECK(alive_contacts(s_low) == alive_contacts(s_full));
    const double rate_full = double(s_full.strategies.responses[0]) / alive_contacts(s_full);
    const double rate_low = double(s_low.strategies.responses[0]) / alive_contacts(s_low);
    const auto se = [](double p, double n) { return std::sqrt(p * (1 - p) / n); };
    CHECK(std::abs(rate_full - 0.8) < 4 * se(0.8, alive_contacts(s_full)));
    CHECK(std::abs(rate_low - 0.16) < 4 * se(0.16, alive_contacts(s_low)));
}

TEST_CASE("strategies: goal gradient makes members buy faster", "[stat]") {
    const RunResult flat = run(make(kRewardTail), 2);
    const RunResult steep = run(make(kRewardTail, {"strategies[0].reward.goal_gradient=2"}), 2);
    REQUIRE(flat.strategies.members[0] > 1'000);
    CHECK(steep.summary.purchases > flat.summary.purchases);
    CHECK(steep.strategies.points_issued[0] > flat.strategies.points_issued[0]);
}

// ---------------------------------------------------------------------------------------------
// 6. Thread counts

TEST_CASE("strategies: results are bit-identical for 1, 2 and 4 threads", "[unit]") {
    const std::string tail = R"(
[service]
failure_rate_per_year = 3
[attrition]
considering_rate_per_year = 1.5
[[acquisition.channels]]
name = "web"
spend_per_week_cents = 300_000
cost_per_customer_cents = 3_000
max_customers_per_week = 300
[[strategies]]
name = "welcome"
stages = ["new", "active"]
holdout_fraction = 0.3
response_probability = 0.4
cost_per_contact_cents = 20
cost_per_incentive_cents = 100
[strategies.effect]
rate_multiplier = 1.3
spend_multiplier = 1.1
fatigue_risk_multiplier = 1.2
unsubscribe_probability = 0.05
[[strategies]]
name = "save"
stages = ["at_risk_considering", "at_risk_switching", "unhappy"]
response_probability = 0.5
switching_response_multiplier = 0.5
[strategies.effect]
restores_content = true
risk_multiplier = 0.5
[[strategies]]
name = "come_back"
kind = "win_back"
stages = ["lapsed", "inactive", "lost"]
holdout_fraction = 0.2
[strategies.effect]
revive_probability = 0.2
[[strategies]]
name = "stamps"
kind = "reward"
stages = ["active"]
[strategies.reward]
reward_threshold_points = 4
expiry_days = 60
redemption_probability = 0.7
goal_gradient = 1
fee_per_year_cents = 500
rebate_fraction = 0.02
rebate_period_days = 56
[[strategies.reward.tiers]]
name = "silver"
min_points_per_year = 10
earn_multiplier = 1.5
rate_multiplier = 1.1
)";
    SECTION("block by block") {
        const Scenario sc = make(tail, {}, 12'000);
        const RunResult one = run(sc, 1), two = run(sc, 2), four = run(sc, 4);
        REQUIRE(one.strategies.revived[2] > 0);
        require_identical(one, two);
        require_identical(one, four);
    }
    SECTION("step by step, with a budget cap") {
        const Scenario sc = make(tail, {"strategies[0].budget_per_week_cents=20000", "strategies[3].score=p_alive",
                                        "strategies[3].top_fraction=0.5"},
                                 12'000);
        const RunResult one = run(sc, 1), two = run(sc, 2), four = run(sc, 4);
        REQUIRE(one.strategies.contacts[0] > 0);
        require_identical(one, two);
        require_identical(one, four);
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Truth is reported, not used

TEST_CASE("strategies: money spent on customers already gone is reported, not avoided", "[unit]") {
    const std::string tail = R"(
[lifecycle]
lapsed_after = 40
inactive_after = 80
lost_after = 120
[[strategies]]
name = "come_back"
kind = "win_back"
stages = ["lost"]
cost_per_contact_cents = 25
cost_per_incentive_cents = 500
response_probability = 0.2
)";
    // One acting epoch: every customer the firm sees as lost is contacted, gone or not.
    {
        const RunResult r = run(make(tail, {}, 10'000, 14, true), 2);
        const StrategyTable& t = r.strategies;
        const TimeSeries& ts = r.series;
        const std::int64_t lost = ts.stage_counts[std::size_t(Stage::Lost)];
        const std::int64_t lost_gone = ts.stage_by_truth[truth_cell(0, Stage::Lost, true)];
        REQUIRE(lost > 0);
        CHECK(t.contacts[0] == lost);
        CHECK(t.contacts_on_gone[0] == lost_gone);
        CHECK(t.contacts_on_gone[0] > 0);
        CHECK(t.contacts_on_gone[0] < t.contacts[0]);  // some "lost" customers are only slow buyers
        CHECK(t.spent_on_gone_cents[0] == t.contacts_on_gone[0] * 25);
    }
    {
        const RunResult r = run(make(tail, {}, 10'000, 182, true), 2);
        const StrategyTable& t = r.strategies;
        CHECK(t.spent_on_gone_cents[0] > 0);
        CHECK(t.spent_on_gone_cents[0] == t.contacts_on_gone[0] * 25);
        CHECK(t.responses[0] > 0);
        CHECK(t.responses[0] <= t.contacts[0] - t.contacts_on_gone[0]);  // gone customers never answer
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Bad input

TEST_CASE("strategies: bad strategy input names the key", "[unit][input]") {
    const std::string base = scenario_text("", 1'000, 70);
    const auto strategy = [&](const std::string& body) { return base + "[[strategies]]\n" + body + "\n"; };
    const std::string ok = "name = \"s\"\nstages = [\"lapsed\"]\n";
    struct Case {
        std::string text, key, also;
    };
    const std::vector<Case> cases = {
        {strategy(ok + "respons_probability = 0.5"), "strategies[0].respons_probability",
         "did you mean \"response_probability\""},
        {strategy("stages = [\"lapsed\"]"), "strategies[0].name", "missing"},
        {strategy("name = \"s\""), "strategies[0].stages", "missing"},
        {strategy("name = \"s\"\nstages = [\"lapsd\"]"), "strategies[0].stages", "lapsd"},
        {strategy(ok) + "[[strategies]]\n" + ok, "strategies[1].name", "duplicate"},
        {strategy(ok + "kind = \"reward\"\n[strategies.reward]\npoints_per_purchase = 0"),
         "strategies[0].reward.points_per_purchase", "points"},
        {strategy(ok + "[strategies.reward]\npoints_per_purchase = 2"), "strategies[0].reward", "kind"},
        {strategy(ok + "top_fraction = 0.5"), "strategies[0].top_fraction", "score"},
        {strategy(ok + "holdout_fraction = 1"), "strategies[0].holdout_fraction", ""},
        {strategy(ok + "cost_per_contact_cents = -5"), "strategies[0].cost_per_contact_cents", ""},
        {strategy(ok + "fixed_cost_per_week_cents = -1"), "strategies[0].fixed_cost_per_week_cents", ""},
        {strategy(ok + "budget_per_week_cents = -100"), "strategies[0].budget_per_week_cents", ""},
        {strategy(ok + "response_probability = 1.5"), "strategies[0].response_probability", ""},
        {strategy(ok + "response_probability = nan"), "strategies[0].response_probability", ""},
        {strategy(ok + "start_day = 50\nend_day = 50"), "strategies[0].end_day", "start_day"},
        {strategy(ok + "start_day = 50\nend_day = 20"), "strategies[0].end_day", "start_day"},
        {strategy(ok + "kind = \"winback\""), "strategies[0].kind", "did you mean \"win_back\""},
        {strategy(ok + "[strategies.effect]\nrate_multiplier = -1"), "strategies[0].effect.rate_multiplier", ""},
        {strategy(ok + "[strategies.effect]\nrevive_probability = 0.5"), "strategies[0].effect.revive_probability",
         "unknown"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        const std::string message = bad_input(c.text);
        INFO(message);
        CHECK(contains(message, c.key));
        CHECK(contains(message, c.also));
    }

    // p_alive needs a model with predictions.
    const std::string sbg = "[run]\nhorizon_days = 365\nstep_days = 7\n[population]\ninitial_customers = 100\n"
                            "model = \"sbg\"\n[[strategies]]\n" + ok + "score = \"p_alive\"\n";
    const std::string message = bad_input(sbg);
    INFO(message);
    CHECK(contains(message, "strategies[0].score"));
    CHECK(contains(message, "sbg"));

    // More than 32 strategies.
    std::string many = base;
    for (int k = 0; k < 33; ++k) many += "[[strategies]]\nname = \"s" + std::to_string(k) + "\"\nstages = [\"lapsed\"]\n";
    const std::string too_many = bad_input(many);
    INFO(too_many);
    CHECK(contains(too_many, "strategies"));
    CHECK(contains(too_many, "at most 32"));
    // 32 are fine.
    std::string enough = base;
    for (int k = 0; k < 32; ++k) enough += "[[strategies]]\nname = \"s" + std::to_string(k) + "\"\nstages = [\"lapsed\"]\n";
    CHECK_NOTHROW(parse_scenario(enough, "ok.toml"));
}

TEST_CASE("strategies: response heterogeneity keeps the mean and leaves the less sensitive for later offers", "[stat]") {
    // A card offered every week to customers who have not taken it yet: without heterogeneity
    // every offer is taken at the same rate; with response_heterogeneity = 1 (response
    // probability 0.5 x 2s, s ~ U(0, 1)) the first offer is still taken at 0.5 on average, but
    // those who declined are the less sensitive, so the second offer is taken at about 1/3.
    // Rates are among customers alive (those who left cannot respond): max_contacts = 1 gives
    // the first offers, max_contacts = 2 adds the second (common random numbers: the first
    // offers are the same in both runs).
    const auto scenario = [](double h, int offers) {
        return make(R"(
[lifecycle]
lapsed_after = 3000
inactive_after = 3001
lost_after = 3002
welcome_days = 0
[[strategies]]
name = "card"
kind = "reward"
stages = ["active"]
response_probability = 0.5
contact_every_days = 7
max_contacts = )" + std::to_string(offers) +
                        "\nresponse_heterogeneity = " + std::to_string(h) + R"(
[strategies.reward]
points_per_purchase = 1
reward_threshold_points = 10
)",
                    {}, 20'000, 28);
    };
    struct Offers {
        double responses, alive_contacts;
    };
    const auto offers = [&](double h, int n) {
        const StrategyTable t = retsim::test::run(scenario(h, n), 2).strategies;
        return Offers{double(t.responses[0]), double(t.contacts[0] - t.contacts_on_gone[0])};
    };
    for (const double h : {0.0, 1.0}) {
        INFO("response_heterogeneity = " << h);
        const Offers one = offers(h, 1), two = offers(h, 2);
        const double first = one.responses / one.alive_contacts;
        const double second = (two.responses - one.responses) / (two.alive_contacts - one.alive_contacts);
        const double se_first = std::sqrt(0.25 / one.alive_contacts);
        const double se_second = std::sqrt(0.25 / (two.alive_contacts - one.alive_contacts));
        CHECK(std::abs(first - 0.5) < 4 * se_first);
        CHECK(std::abs(second - (h == 0.0 ? 0.5 : 1.0 / 3.0)) < 4 * se_second);
    }
}
