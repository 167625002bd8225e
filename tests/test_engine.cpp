// Engine properties: bit-identical results for any thread count, incremental classification
// equal to full reclassification, common random numbers between scenarios, and accounting
// identities that must hold to the cent.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "test_engine_helpers.hpp"

using namespace retsim;
using retsim::test::run;
using retsim::test::scenario_file;

namespace {

/// A default-scenario run small enough for a unit test: 20,000 initial customers with a year
/// of history, both acquisition channels, 26 weekly steps.
Scenario small_default(std::vector<std::string> extra = {}) {
    std::vector<std::string> overrides = {"population.initial_customers=20000", "run.horizon_days=182"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    return parse_scenario(default_scenario_text(), "<built-in default>", overrides);
}

/// The built-in default without its retention strategies: strategies that rank or budget
/// across the population let one customer's treatment depend on the others', so common random
/// numbers hold customer by customer only without them.
Scenario small_default_without_strategies(std::vector<std::string> extra = {}) {
    std::string text(default_scenario_text());
    const auto cut = text.find("\n[[strategies]]");
    if (cut != std::string::npos) text.resize(cut + 1);
    std::vector<std::string> overrides = {"population.initial_customers=20000", "run.horizon_days=182"};
    overrides.insert(overrides.end(), extra.begin(), extra.end());
    return parse_scenario(text, "<built-in default without strategies>", overrides);
}

template <class V>
bool same_bytes(const V& a, const V& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0);
}

/// Every result array and the per-customer state compared bit for bit.
void require_identical(const RunResult& a, const RunResult& b) {
    const TimeSeries &x = a.series, &y = b.series;
    CHECK(same_bytes(x.time_days, y.time_days));
    CHECK(same_bytes(x.customers, y.customers));
    CHECK(same_bytes(x.alive, y.alive));
    CHECK(same_bytes(x.stage_by_truth, y.stage_by_truth));
    CHECK(same_bytes(x.purchases, y.purchases));
    CHECK(same_bytes(x.revenue_cents, y.revenue_cents));
    CHECK(same_bytes(x.margin_cents, y.margin_cents));
    CHECK(same_bytes(x.profit_cents, y.profit_cents));
    CHECK(same_bytes(x.discounted_profit_cents, y.discounted_profit_cents));
    CHECK(same_bytes(a.cohorts.stage_by_truth, b.cohorts.stage_by_truth));
    CHECK(same_bytes(a.cohorts.realised_clv_cents, b.cohorts.realised_clv_cents));
    CHECK(same_bytes(a.channels.roi, b.channels.roi));
    CHECK(a.summary.discounted_profit_cents == b.summary.discounted_profit_cents);
    REQUIRE(a.customers.has_value() == b.customers.has_value());
    if (a.customers) {
        const Population &p = *a.customers, &q = *b.customers;
        CHECK(same_bytes(p.key, q.key));
        CHECK(same_bytes(p.lambda_per_day, q.lambda_per_day));
        CHECK(same_bytes(p.death_day, q.death_day));
        CHECK(same_bytes(p.last_purchase_day, q.last_purchase_day));
        CHECK(same_bytes(p.spend_cents, q.spend_cents));
        CHECK(same_bytes(p.stage, q.stage));
        CHECK(same_bytes(p.stage_since_day, q.stage_since_day));
    }
}

}  // namespace

TEST_CASE("engine: latest_at_least turns a days-since test into a float comparison", "[unit]") {
    // The strategy passes test x <= latest_at_least(now, span) on a float day x instead of
    // now - double(x) >= span. The outcome must be the same for every float: around the
    // boundary, for days near zero (where the subtraction rounds), and for infinities.
    constexpr float kInfF = std::numeric_limits<float>::infinity();
    std::mt19937_64 gen(7);
    std::uniform_real_distribution<float> days(-1000.0f, 1000.0f);
    std::size_t checked = 0, mismatches = 0;
    for (const double now : {0.0, 7.0, 90.0, 364.0, 546.0, 1e6, 3.5, -180.0, 1.0 / 3.0}) {
        for (const double span : {0.0, 7.0, 28.0, 90.0, 364.0, 1e-9, 0.1, 1e30, double(kInfF)}) {
            const float y = latest_at_least(now, span);
            std::vector<float> xs = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 1e-45f, -1e-45f, kInfF, -kInfF};
            for (const float around : {y, float(now - span)}) {
                if (std::isnan(around)) continue;
                float up = around, down = around;
                for (int k = 0; k < 8; ++k) {
                    xs.push_back(up = std::nextafter(up, kInfF));
                    xs.push_back(down = std::nextafter(down, -kInfF));
                }
                xs.push_back(around);
            }
            for (int k = 0; k < 2000; ++k) xs.push_back(days(gen));
            for (const float x : xs) {
                ++checked;
                mismatches += (x <= y) != (now - double(x) >= span);
            }
        }
    }
    CHECK(checked > 150'000);
    CHECK(mismatches == 0);
    // 90 - 1e-15 rounds to 90, so a purchase at day 1e-15 is 90 days back on day 90: the float
    // bound is above 0, where float_not_above(90 - 90) would have said 0.
    CHECK(latest_at_least(90.0, 90.0) > 0.0f);
    CHECK(90.0 - double(latest_at_least(90.0, 90.0)) >= 90.0);
}

TEST_CASE("engine: results are bit-identical for 1, 2 and 4 threads", "[unit]") {
    const Scenario sc = small_default();
    const RunResult one = run(sc, 1, true);
    const RunResult two = run(sc, 2, true);
    const RunResult four = run(sc, 4, true);
    REQUIRE(one.summary.customers > 20000);  // acquisition ran, so arrivals are covered too
    require_identical(one, two);
    require_identical(one, four);
}

TEST_CASE("engine: incremental stage classification equals full reclassification", "[unit]") {
    const std::vector<Scenario> scenarios = {
        small_default(),
        scenario_file("scenarios/validation/sbg_regular.toml", {"population.initial_customers=20000"}),
        scenario_file("scenarios/validation/cdnow_paretonbd.toml",
                      {"population.initial_customers=5000", "population.history_days=200", "run.step_days=3"}),
        // Odd step length and thresholds that are not multiples of it.
        scenario_file("scenarios/validation/cdnow_bgnbd.toml",
                      {"population.initial_customers=5000", "population.history_days=100", "run.step_days=0.7",
                       "lifecycle.welcome_days=10", "lifecycle.lapsed_after=20", "lifecycle.inactive_after=30.5",
                       "lifecycle.lost_after=60", "lifecycle.won_back_days=15"}),
        // Silent attrition, which a purchase can bring nearer: every purchase reclassifies.
        scenario_file("scenarios/validation/cdnow_bgnbd.toml",
                      {"population.initial_customers=5000", "population.history_days=100",
                       "lifecycle.silent_attrition_factor=1.5"}),
    };
    for (const Scenario& sc : scenarios) {
        INFO(sc.source_name);
        require_identical(run(sc, 2, true, false), run(sc, 2, true, true));
    }
}

TEST_CASE("engine: scenarios that differ in a later setting share customers and draws", "[unit]") {
    // Doubling one channel's spend changes who that channel brings, but not the initial base
    // nor the other channel's customers; changing the margin changes no purchase at all.
    const Scenario a = small_default_without_strategies();
    const Scenario b = small_default_without_strategies({"acquisition.channels[1].spend_per_week_cents=1000000"});
    const RunResult ra = run(a, 2, true);
    const RunResult rb = run(b, 2, true);
    REQUIRE(ra.channels.acquired[1] != rb.channels.acquired[1]);
    CHECK(ra.channels.acquired[0] == rb.channels.acquired[0]);

    const auto by_key = [](const RunResult& r) {
        std::map<std::uint64_t, std::size_t> index;
        for (std::size_t i = 0; i < r.customers->size(); ++i) {
            if (r.customer_channel[i] != 1) index[r.customers->key[i]] = i;
        }
        return index;
    };
    const auto ia = by_key(ra), ib = by_key(rb);
    REQUIRE(ia.size() == ib.size());
    std::size_t same = 0;
    for (const auto& [key, i] : ia) {
        const auto it = ib.find(key);
        REQUIRE(it != ib.end());
        const std::size_t j = it->second;
        same += ra.customers->spend_cents[i] == rb.customers->spend_cents[j] &&
                ra.customers->last_purchase_day[i] == rb.customers->last_purchase_day[j] &&
                ra.customers->death_day[i] == rb.customers->death_day[j] &&
                ra.customers->stage[i] == rb.customers->stage[j];
    }
    CHECK(same == ia.size());

    const RunResult rc = run(small_default_without_strategies({"economics.margin_fraction=0.5"}), 2);
    CHECK(rc.series.purchases == ra.series.purchases);
    CHECK(rc.series.revenue_cents == ra.series.revenue_cents);
    CHECK(rc.series.margin_cents != ra.series.margin_cents);
}

TEST_CASE("engine: replicates and seeds give different draws", "[unit]") {
    const RunResult base = run(small_default(), 2);
    CHECK(run(small_default({"run.replicate=1"}), 2).series.revenue_cents != base.series.revenue_cents);
    CHECK(run(small_default({"run.seed=2"}), 2).series.revenue_cents != base.series.revenue_cents);
}

TEST_CASE("engine: accounting identities hold to the cent", "[unit]") {
    const RunResult r = run(small_default({"economics.fixed_cost_per_week_cents=123457"}), 2);
    const TimeSeries& ts = r.series;
    const std::size_t steps = r.steps;
    std::int64_t margin = 0, revenue = 0, acquisition = 0, fixed = 0, profit = 0, acquired = 0;
    for (std::size_t s = 0; s < steps; ++s) {
        CHECK(ts.profit_cents[s] == ts.margin_cents[s] + ts.fee_income_cents[s] - ts.acquisition_cost_cents[s] -
                                        ts.fixed_cost_cents[s] - ts.strategy_cost_cents[s]);
        std::int64_t staged = 0, alive = 0;
        for (std::size_t k = 0; k < kStageCount; ++k) {
            CHECK(ts.stage_counts[s * kStageCount + k] ==
                  ts.stage_by_truth[(s * kStageCount + k) * kTruthCount] +
                      ts.stage_by_truth[(s * kStageCount + k) * kTruthCount + 1]);
            staged += ts.stage_counts[s * kStageCount + k];
            alive += ts.stage_by_truth[(s * kStageCount + k) * kTruthCount];
        }
        CHECK(staged == ts.customers[s]);  // every acquired customer has exactly one stage
        CHECK(alive == ts.alive[s]);
        margin += ts.margin_cents[s];
        revenue += ts.revenue_cents[s];
        acquisition += ts.acquisition_cost_cents[s];
        fixed += ts.fixed_cost_cents[s];
        profit += ts.profit_cents[s];
        acquired += ts.acquired[s];
    }
    CHECK(margin == r.summary.margin_cents);
    CHECK(revenue == r.summary.revenue_cents);
    CHECK(profit == r.summary.profit_cents);
    CHECK(acquired == r.summary.acquired_customers);
    CHECK(fixed == r.summary.fixed_cost_cents);

    // Cohort rows add up to the totals; channel spend adds up to acquisition spend.
    std::int64_t cohort_margin = 0, cohort_revenue = 0, cohort_customers = 0, cohort_cost = 0;
    for (std::size_t g = 0; g < r.cohorts.cohort.size(); ++g) {
        cohort_margin += r.cohorts.margin_cents[g];
        cohort_revenue += r.cohorts.revenue_cents[g];
        cohort_customers += r.cohorts.customers[g];
        cohort_cost += r.cohorts.acquisition_cost_cents[g];
    }
    CHECK(cohort_margin == margin);
    CHECK(cohort_revenue == revenue);
    CHECK(cohort_customers == r.summary.customers);
    CHECK(cohort_cost == acquisition);
    std::int64_t channel_spend = 0, channel_acquired = 0;
    for (std::size_t c = 0; c < r.channels.name.size(); ++c) {
        channel_spend += r.channels.spend_cents[c];
        channel_acquired += r.channels.acquired[c];
    }
    CHECK(channel_spend == acquisition);
    CHECK(channel_acquired == r.summary.acquired_customers);
    // 15,000 + 5,000 a week for 26 weeks, exactly.
    CHECK(acquisition == 26 * (1'500'000 + 500'000));
    CHECK(fixed == 26 * 123'457);
}

TEST_CASE("engine: acquisition follows the channel response curve", "[stat]") {
    // Expected customers per weekly step n = m (1 - exp(-S / (m c))); the Poisson total over
    // 26 steps has standard deviation sqrt(26 n).
    const RunResult r = run(small_default(), 2);
    const auto expected = [](double spend, double max_per_week, double cost) {
        return 26.0 * max_per_week * -std::expm1(-spend / (max_per_week * cost));
    };
    const double search = expected(1'500'000, 1'500, 2'500);
    const double affiliates = expected(500'000, 400, 4'000);
    CHECK(std::abs(double(r.channels.acquired[0]) - search) < 4.0 * std::sqrt(search));
    CHECK(std::abs(double(r.channels.acquired[1]) - affiliates) < 4.0 * std::sqrt(affiliates));
    // Diminishing returns: the average cost per customer exceeds the low-volume cost.
    CHECK(r.channels.cac_cents[0] > 2'500);
}
