// The lifecycle held to account: classify() stage by stage with its precedence and review days,
// incremental classification equal to reclassifying everyone with moods, complaints and signals
// on, the service-failure and attrition statistics, and bad [service]/[attrition]/[lifecycle] input.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sim/lifecycle.hpp"
#include "test_engine_helpers.hpp"

using namespace retsim;
using retsim::test::bad_input;
using retsim::test::contains;
using retsim::test::run;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// A customer born on day 0 who last bought on `last`, seen on `now`, previously `previous`
/// since day 0.
StageInput customer(double now, double last, Stage previous = Stage::Active, double birth = 0.0) {
    StageInput in{now, birth, last, 0.0, previous, false};
    return in;
}

/// Default rules (welcome 30, lapsed 90, inactive 180, lost 365, won back 90, unhappy 90, at risk 60).
const StageRules kRules{};

std::string scenario_text(const std::string& tail, std::uint64_t customers = 10'000, double horizon_days = 182) {
    return retsim::test::base_scenario_text(tail, customers, horizon_days, 31337);
}

Scenario make(const std::string& tail, const std::vector<std::string>& overrides = {},
              std::uint64_t customers = 10'000, double horizon_days = 182) {
    return parse_scenario(scenario_text(tail, customers, horizon_days), "test.toml", overrides);
}

std::int64_t stage_count(const RunResult& r, std::size_t s, Stage stage) {
    return r.series.stage_counts[s * kStageCount + std::size_t(stage)];
}


}  // namespace

// ---------------------------------------------------------------------------------------------
// 1. classify()

TEST_CASE("classify: recency makes lapsed, inactive and lost", "[unit]") {
    SECTION("active until lapsed_days, reviewed then") {
        const StageOutput out = classify(customer(150, 100), kRules);
        CHECK(out.stage == Stage::Active);
        CHECK(out.review_day == 190);
        CHECK(out.since_day == 0);  // unchanged stage keeps its start
    }
    SECTION("lapsed at exactly lapsed_days, reviewed at inactive") {
        const StageOutput out = classify(customer(190, 100), kRules);
        CHECK(out.stage == Stage::Lapsed);
        CHECK(out.since_day == 190);  // a new stage starts now
        CHECK(out.review_day == 280);
        CHECK(classify(customer(189.999, 100), kRules).stage == Stage::Active);
    }
    SECTION("inactive, reviewed at lost") {
        const StageOutput out = classify(customer(280, 100, Stage::Lapsed), kRules);
        CHECK(out.stage == Stage::Inactive);
        CHECK(out.review_day == 465);
    }
    SECTION("lost for good") {
        const StageOutput out = classify(customer(465, 100, Stage::Inactive), kRules);
        CHECK(out.stage == Stage::Lost);
        CHECK(out.review_day == kInf);
    }
    SECTION("recency beats every other signal") {
        StageInput in = customer(300, 100);
        in.signal_day = 295;
        in.complaint_day = 295;
        CHECK(classify(in, kRules).stage == Stage::Inactive);
    }
}

TEST_CASE("classify: at risk after a signal, before won back, new and unhappy", "[unit]") {
    StageInput in = customer(110, 105);
    in.signal_day = 100;
    SECTION("considering") {
        const StageOutput out = classify(in, kRules);
        CHECK(out.stage == Stage::AtRiskConsidering);
        CHECK(out.review_day == 160);  // signal + at_risk_days, before the lapse day 195
    }
    SECTION("switching, by the flag") {
        in.signal_switching = true;
        CHECK(classify(in, kRules).stage == Stage::AtRiskSwitching);
    }
    SECTION("ends at signal + at_risk_days") {
        in.now_day = 160;
        CHECK(classify(in, kRules).stage == Stage::Active);
        in.now_day = 159.5;
        CHECK(classify(in, kRules).stage == Stage::AtRiskConsidering);
    }
    SECTION("review at the lapse day when that comes first") {
        in.last_purchase_day = 50;
        in.now_day = 120;
        const StageOutput out = classify(in, kRules);
        CHECK(out.stage == Stage::AtRiskConsidering);
        CHECK(out.review_day == 140);
    }
    SECTION("over won back") {
        in.previous = Stage::Lapsed;
        in.last_purchase_day = 108;
        CHECK(classify(in, kRules).stage == Stage::AtRiskConsidering);
    }
    SECTION("over new") {
        in.birth_day = 100;
        in.last_purchase_day = 100;
        in.previous = Stage::New;
        CHECK(classify(in, kRules).stage == Stage::AtRiskConsidering);
    }
    SECTION("over unhappy") {
        in.complaint_day = 105;
        CHECK(classify(in, kRules).stage == Stage::AtRiskConsidering);
    }
}

TEST_CASE("classify: won back, new, unhappy, silent attrition, active", "[unit]") {
    SECTION("a purchase after lapsed wins the customer back, from the purchase day") {
        const StageOutput out = classify(customer(200, 198, Stage::Lapsed), kRules);
        CHECK(out.stage == Stage::WonBack);
        CHECK(out.since_day == 198);
        CHECK(out.review_day == 288);  // min(198 + won_back_days, 198 + lapsed_days)
        CHECK(classify(customer(200, 198, Stage::Inactive), kRules).stage == Stage::WonBack);
        CHECK(classify(customer(200, 198, Stage::Lost), kRules).stage == Stage::WonBack);
    }
    SECTION("won back lasts won_back_days, then active") {
        StageInput in = customer(250, 240, Stage::WonBack);
        in.stage_since_day = 198;
        const StageOutput out = classify(in, kRules);
        CHECK(out.stage == Stage::WonBack);
        CHECK(out.since_day == 198);
        CHECK(out.review_day == 288);
        in.now_day = 288;
        CHECK(classify(in, kRules).stage == Stage::Active);
    }
    SECTION("new for welcome_days after the first purchase") {
        const StageOutput out = classify(customer(110, 100, Stage::New, 100), kRules);
        CHECK(out.stage == Stage::New);
        CHECK(out.review_day == 130);
        CHECK(classify(customer(130, 100, Stage::New, 100), kRules).stage == Stage::Active);
    }
    SECTION("new before unhappy") {
        StageInput in = customer(110, 100, Stage::New, 100);
        in.complaint_day = 105;
        CHECK(classify(in, kRules).stage == Stage::New);
    }
    SECTION("unhappy for unhappy_days after a complaint") {
        StageInput in = customer(150, 140);
        in.complaint_day = 120;
        StageOutput out = classify(in, kRules);
        CHECK(out.stage == Stage::Unhappy);
        CHECK(out.review_day == 210);  // complaint + 90, before the lapse day 230
        in.now_day = 210;
        CHECK(classify(in, kRules).stage == Stage::Active);
        in.now_day = 200;
        in.last_purchase_day = 115;  // lapse day 205 comes first
        out = classify(in, kRules);
        CHECK(out.stage == Stage::Unhappy);
        CHECK(out.review_day == 205);
    }
    SECTION("silent attrition at factor x own mean gap") {
        StageRules rules;
        rules.silent_attrition_factor = 2.0;
        // Four repeat purchases over 100 days: mean gap 25, silent from day 150.
        StageInput in = customer(140, 100);
        in.repeat_purchases = 4;
        StageOutput out = classify(in, rules);
        CHECK(out.stage == Stage::Active);
        CHECK(out.review_day == 150);
        in.now_day = 150;
        out = classify(in, rules);
        CHECK(out.stage == Stage::SilentAttrition);
        CHECK(out.review_day == 190);  // then lapsed
        in.repeat_purchases = 1;  // too few purchases to know the customer's rhythm
        CHECK(classify(in, rules).stage == Stage::Active);
        in.repeat_purchases = 4;
        rules.silent_attrition_factor = 0.0;  // off
        CHECK(classify(in, rules).stage == Stage::Active);
        // Silent attrition comes after unhappy.
        rules.silent_attrition_factor = 2.0;
        in.complaint_day = 149;
        CHECK(classify(in, rules).stage == Stage::Unhappy);
    }
}

TEST_CASE("classify: contractual rules when churn is observed", "[unit]") {
    StageRules rules;
    rules.churn_observed = true;
    rules.silent_attrition_factor = 2.0;
    SECTION("a cancellation is lost for good") {
        StageInput in = customer(100, 90);
        in.cancelled = true;
        const StageOutput out = classify(in, rules);
        CHECK(out.stage == Stage::Lost);
        CHECK(out.review_day == kInf);
    }
    SECTION("no recency stages and no won back: active until an event") {
        StageInput in = customer(1'000, 0);
        in.repeat_purchases = 4;
        const StageOutput out = classify(in, rules);
        CHECK(out.stage == Stage::Active);
        CHECK(out.review_day == kInf);
        CHECK(classify(customer(1'000, 990, Stage::Lost), rules).stage == Stage::Active);
    }
    SECTION("new, then active") {
        const StageOutput out = classify(customer(110, 100, Stage::New, 100), rules);
        CHECK(out.stage == Stage::New);
        CHECK(out.review_day == 130);
    }
    SECTION("at risk and unhappy still apply") {
        StageInput in = customer(200, 100);
        in.signal_day = 190;
        CHECK(classify(in, rules).stage == Stage::AtRiskConsidering);
        CHECK(classify(in, rules).review_day == 250);
        in.signal_day = -kInf;
        in.complaint_day = 190;
        CHECK(classify(in, rules).stage == Stage::Unhappy);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Incremental classification in the engine

namespace {

const std::string kMoods = R"(
[lifecycle]
welcome_days = 20
lapsed_after = 75.5
inactive_after = 130
lost_after = 200
won_back_days = 40
unhappy_days = 45
at_risk_days = 30
silent_attrition_factor = 2.5
[service]
failure_rate_per_year = 3
complaint_probability = 0.5
[attrition]
considering_rate_per_year = 2
considering_signal_per_week = 0.2
switching_signal_per_week = 0.5
[[acquisition.channels]]
name = "web"
spend_per_week_cents = 300_000
cost_per_customer_cents = 3_000
max_customers_per_week = 300
[[strategies]]
name = "save"
stages = ["at_risk_considering", "at_risk_switching", "unhappy"]
response_probability = 0.5
[strategies.effect]
restores_content = true
[[strategies]]
name = "come_back"
kind = "win_back"
stages = ["inactive", "lost"]
response_probability = 0.3
[strategies.effect]
revive_probability = 0.3
)";

void require_same_stages(const RunResult& a, const RunResult& b) {
    CHECK(a.series.stage_by_truth == b.series.stage_by_truth);
    CHECK(a.series.stage_counts == b.series.stage_counts);
    CHECK(a.series.alive == b.series.alive);
    CHECK(a.series.purchases == b.series.purchases);
    CHECK(a.cohorts.stage_by_truth == b.cohorts.stage_by_truth);
    CHECK(a.cohorts.alive == b.cohorts.alive);
    CHECK(a.cohorts.active == b.cohorts.active);
    CHECK(a.strategies.contacts == b.strategies.contacts);
    CHECK(a.strategies.revived == b.strategies.revived);
    CHECK(a.strategies.revived[1] > 0);
    REQUIRE(a.customers.has_value());
    REQUIRE(b.customers.has_value());
    CHECK(a.customers->stage == b.customers->stage);
    CHECK(a.customers->stage_since_day == b.customers->stage_since_day);
}

}  // namespace

TEST_CASE("lifecycle: incremental classification equals reclassifying everyone", "[unit]") {
    SECTION("block by block") {
        const Scenario sc = make(kMoods);
        const RunResult incremental = run(sc, 2, true, false);
        const RunResult everyone = run(sc, 2, true, true);
        // Every stage is reached, so every rule is exercised.
        for (std::size_t k = 0; k < kStageCount; ++k) {
            std::int64_t seen = 0;
            for (std::size_t s = 0; s < incremental.steps; ++s) seen += stage_count(incremental, s, Stage(k));
            INFO(kStageNames[k]);
            CHECK(seen > 0);
        }
        require_same_stages(incremental, everyone);
    }
    SECTION("step by step, odd step length") {
        const Scenario sc = make(kMoods, {"run.step_days=5.5", "strategies[0].budget_per_week_cents=3000",
                                          "strategies[0].cost_per_contact_cents=20"});
        require_same_stages(run(sc, 2, true, false), run(sc, 2, true, true));
    }
    SECTION("active customers tested on their recency, complaints and signals (no silent attrition)") {
        const Scenario sc = make(kMoods, {"lifecycle.silent_attrition_factor=0"});
        const RunResult incremental = run(sc, 2, true, false);
        // Active customers become unhappy and at risk from events, and lapse by recency alone.
        for (const Stage k : {Stage::Active, Stage::Unhappy, Stage::AtRiskConsidering, Stage::AtRiskSwitching,
                              Stage::Lapsed}) {
            std::int64_t seen = 0;
            for (std::size_t s = 0; s < incremental.steps; ++s) seen += stage_count(incremental, s, k);
            INFO(kStageNames[std::size_t(k)]);
            CHECK(seen > 0);
        }
        require_same_stages(incremental, run(sc, 2, true, true));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Sentiment statistics

TEST_CASE("lifecycle: service failures arrive at failure_rate_per_year", "[stat]") {
    // Failures are read from the result's series and, independently, through the unhappy
    // stage: with complaint_probability = 1 every failure is a complaint; unhappy_days = 10
    // (more than one 7-day step, less than two) makes the unhappy count at the end of step s
    // exactly the complaints at its start. Nobody lapses (recency thresholds beyond the
    // horizon) and there are no risk signals, so nothing takes precedence over unhappy once
    // the last "new" customer has left the welcome window (step 5).
    const std::string tail = R"(
[lifecycle]
lapsed_after = 3000
inactive_after = 3001
lost_after = 3002
unhappy_days = 10
[service]
failure_rate_per_year = 6
complaint_probability = 1
)";
    const RunResult all = run(make(tail), 2);
    const double p = -std::expm1(-6.0 * 7.0 / 365.0);  // per alive customer and step
    double expected = 0, failures = 0;
    for (std::size_t s = 5; s < all.steps; ++s) {
        expected += p * double(all.series.alive[s - 1]);  // alive at the start of step s
        failures += double(stage_count(all, s, Stage::Unhappy));
        CHECK(all.series.service_failures[s] == stage_count(all, s, Stage::Unhappy));
        CHECK(all.series.complaints[s] == all.series.service_failures[s]);
    }
    INFO("failures " << failures << ", expected " << expected);
    CHECK(std::abs(failures - expected) < 4.0 * std::sqrt(expected));

    // Same draws, fewer complaints: the complaints are a binomial thinning of those failures.
    const RunResult some = run(make(tail, {"service.complaint_probability=0.3"}), 2);
    CHECK(some.series.alive == all.series.alive);  // complaining changes nothing of the truth
    double complaints = 0;
    for (std::size_t s = 5; s < some.steps; ++s) {
        complaints += double(stage_count(some, s, Stage::Unhappy));
        CHECK(some.series.complaints[s] == stage_count(some, s, Stage::Unhappy));
        CHECK(some.series.service_failures[s] == all.series.service_failures[s]);
    }
    INFO("complaints " << complaints);
    CHECK(std::abs(complaints - 0.3 * failures) < 4.0 * std::sqrt(failures * 0.3 * 0.7));
}

TEST_CASE("lifecycle: customers considering leaving reach at risk and leave", "[stat]") {
    const std::string attrition = R"(
[attrition]
considering_rate_per_year = 3
considering_days = 30
switch_probability = 0.5
switching_days = 20
considering_signal_per_week = 0.3
switching_signal_per_week = 0.6
)";
    const RunResult none = run(make(""), 2);
    const RunResult leaving = run(make(attrition), 2);
    std::int64_t considering = 0, switching = 0;
    for (std::size_t s = 0; s < leaving.steps; ++s) {
        considering += stage_count(leaving, s, Stage::AtRiskConsidering);
        switching += stage_count(leaving, s, Stage::AtRiskSwitching);
    }
    CHECK(considering > 0);
    CHECK(switching > 0);
    CHECK(leaving.summary.alive_at_end < none.summary.alive_at_end);
    // The gap widens over time: alive falls faster.
    const std::size_t mid = leaving.steps / 2, last = leaving.steps - 1;
    CHECK(none.series.alive[last] - leaving.series.alive[last] > none.series.alive[mid] - leaving.series.alive[mid]);

    // Without switching nobody is ever seen switching.
    const RunResult undecided = run(make(attrition, {"attrition.switch_probability=0"}), 2);
    std::int64_t undecided_switching = 0, undecided_considering = 0;
    for (std::size_t s = 0; s < undecided.steps; ++s) {
        undecided_switching += stage_count(undecided, s, Stage::AtRiskSwitching);
        undecided_considering += stage_count(undecided, s, Stage::AtRiskConsidering);
    }
    CHECK(undecided_switching == 0);
    CHECK(undecided_considering > 0);
    CHECK(undecided.summary.alive_at_end > leaving.summary.alive_at_end);
}

// ---------------------------------------------------------------------------------------------
// 4. Bad input

TEST_CASE("lifecycle: bad [service], [attrition] and [lifecycle] input names the key", "[unit][input]") {
    const std::string base = scenario_text("", 1'000, 70);
    struct Case {
        std::string tail, key, also;
    };
    const std::vector<Case> cases = {
        {"[service]\nfailure_rate_per_year = -1", "service.failure_rate_per_year", ""},
        {"[service]\nfailure_rate_per_year = nan", "service.failure_rate_per_year", ""},
        {"[service]\ncomplaint_probability = 1.2", "service.complaint_probability", ""},
        {"[service]\nunhappy_recovery_days = 0", "service.unhappy_recovery_days", ""},
        {"[service]\nunhappy_risk_multiplier = -2", "service.unhappy_risk_multiplier", ""},
        {"[service]\nfailure_rate_per_yaer = 2", "service.failure_rate_per_yaer", "did you mean \"failure_rate_per_year\""},
        {"[attrition]\nconsidering_rate_per_year = -0.5", "attrition.considering_rate_per_year", ""},
        {"[attrition]\nswitch_probability = 1.5", "attrition.switch_probability", ""},
        {"[attrition]\nconsidering_signal_per_week = 2", "attrition.considering_signal_per_week", ""},
        {"[attrition]\nswitching_signal_per_week = -0.1", "attrition.switching_signal_per_week", ""},
        {"[attrition]\nswitching_days = -3", "attrition.switching_days", ""},
        {"[attrition]\nswitching_day = 3", "attrition.switching_day", "did you mean \"switching_days\""},
        {"[lifecycle]\nunhappy_days = -1", "lifecycle.unhappy_days", ""},
        {"[lifecycle]\nat_risk_days = -5", "lifecycle.at_risk_days", ""},
        {"[lifecycle]\nsilent_attrition_factor = -1", "lifecycle.silent_attrition_factor", ""},
        {"[lifecycle]\nsilent_attrition_factor = inf", "lifecycle.silent_attrition_factor", ""},
        {"[lifecycle]\nat_risk_dayz = 5", "lifecycle.at_risk_dayz", "did you mean \"at_risk_days\""},
    };
    for (const Case& c : cases) {
        INFO(c.tail);
        const std::string message = bad_input(base + c.tail + "\n");
        INFO(message);
        CHECK(contains(message, c.key));
        CHECK(contains(message, c.also));
    }
}
