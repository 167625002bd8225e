// Bad-input tests of the scenario reader: every kind of bad value is reported with its file,
// line, key and, where obvious, a suggestion; good scenarios and overrides are accepted.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/table_reader.hpp"

using namespace retsim;

namespace {

// The problems parse_scenario reports for `text`; fails the test when it accepts the text.
Problems problems_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
        (void)parse_scenario(text, "test.toml", overrides);
    } catch (const BadInput& e) {
        return e.problems();
    }
    FAIL("the scenario was accepted:\n" << text);
    return {};
}

// The single problem reported for `text`.
Problem only_problem(const std::string& text, const std::vector<std::string>& overrides = {}) {
    const Problems problems = problems_of(text, overrides);
    INFO(problems.format());
    REQUIRE(problems.size() == 1);
    return problems.list().front();
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Every key the scenario reader accepts, as a dotted path; "[]" marks an array of tables. The
// documentation test below asks the reader itself for its keys; this list is the inventory it
// must at least find (so that a broken probe cannot pass by finding nothing).
const std::vector<std::string> kAllKeys = {
    "run.horizon_days", "run.step_days", "run.seed", "run.replicate",
    "population.initial_customers", "population.history_days", "population.model",
    "population.bgnbd.r", "population.bgnbd.alpha_weeks", "population.bgnbd.a", "population.bgnbd.b",
    "population.paretonbd.r", "population.paretonbd.alpha_weeks", "population.paretonbd.s",
    "population.paretonbd.beta_weeks",
    "population.sbg.gamma", "population.sbg.delta", "population.sbg.billing_period_days",
    "population.spend.model", "population.spend.p", "population.spend.q",
    "population.spend.gamma_cents", "population.spend.price_cents",
    "lifecycle.threshold_unit", "lifecycle.welcome_days", "lifecycle.lapsed_after",
    "lifecycle.inactive_after", "lifecycle.lost_after", "lifecycle.won_back_days",
    "lifecycle.unhappy_days", "lifecycle.at_risk_days", "lifecycle.silent_attrition_factor",
    "service.failure_rate_per_year", "service.complaint_probability", "service.unhappy_recovery_days",
    "service.unhappy_rate_multiplier", "service.unhappy_risk_multiplier",
    "attrition.considering_rate_per_year", "attrition.unhappy_considering_multiplier",
    "attrition.considering_days", "attrition.switch_probability", "attrition.switching_days",
    "attrition.considering_rate_multiplier", "attrition.switching_rate_multiplier",
    "attrition.considering_signal_per_week", "attrition.switching_signal_per_week",
    "economics.margin_fraction", "economics.annual_discount_rate",
    "economics.fixed_cost_per_week_cents",
    "acquisition.cohort_days", "acquisition.channels[].name",
    "acquisition.channels[].spend_per_week_cents", "acquisition.channels[].cost_per_customer_cents",
    "acquisition.channels[].max_customers_per_week", "acquisition.channels[].start_day",
    "acquisition.channels[].end_day", "acquisition.channels[].rate_multiplier",
    "acquisition.channels[].risk_multiplier", "acquisition.channels[].spend_multiplier",
    "strategies[].name", "strategies[].kind", "strategies[].stages", "strategies[].min_tenure_days",
    "strategies[].start_day", "strategies[].end_day", "strategies[].score", "strategies[].score_min",
    "strategies[].score_max", "strategies[].top_fraction", "strategies[].value_horizon_weeks",
    "strategies[].holdout_fraction", "strategies[].budget_per_week_cents",
    "strategies[].fixed_cost_per_week_cents", "strategies[].cost_per_contact_cents",
    "strategies[].cost_per_incentive_cents", "strategies[].contact_every_days", "strategies[].max_contacts",
    "strategies[].response_probability", "strategies[].switching_response_multiplier",
    "strategies[].max_incentive_fraction_of_value", "strategies[].before_renewal_days",
    "strategies[].after_renewal_days",
    "strategies[].effect.rate_multiplier", "strategies[].effect.risk_multiplier",
    "strategies[].effect.spend_multiplier", "strategies[].effect.effect_days",
    "strategies[].effect.restores_content", "strategies[].effect.fatigue_risk_multiplier",
    "strategies[].effect.unsubscribe_probability", "strategies[].effect.revive_probability",
    "strategies[].propensity.intercept", "strategies[].propensity.recency",
    "strategies[].propensity.frequency", "strategies[].propensity.monetary", "strategies[].propensity.tenure",
    "strategies[].reward.points_per_purchase", "strategies[].reward.points_per_currency_unit",
    "strategies[].reward.reward_threshold_points", "strategies[].reward.reward_cost_cents",
    "strategies[].reward.redemption_probability", "strategies[].reward.expiry_days",
    "strategies[].reward.goal_gradient", "strategies[].reward.fee_per_year_cents",
    "strategies[].reward.rebate_fraction", "strategies[].reward.rebate_threshold_cents",
    "strategies[].reward.rebate_period_days",
    "strategies[].reward.tiers[].name", "strategies[].reward.tiers[].min_points_per_year",
    "strategies[].reward.tiers[].earn_multiplier", "strategies[].reward.tiers[].rate_multiplier",
};

// A small scenario that is valid; tests break one thing at a time.
const std::string kValid = R"([run]
horizon_days = 364
step_days = 7
seed = 3

[population]
initial_customers = 1000
model = "bgnbd"

[population.bgnbd]
r = 0.243

[lifecycle]
lapsed_after = 90
inactive_after = 180
lost_after = 365

[economics]
margin_fraction = 0.3
)";

}  // namespace

TEST_CASE("input: a valid scenario is read into typed settings", "[input]") {
    const Scenario s = parse_scenario(kValid, "test.toml");
    CHECK(s.run.horizon_days == 364.0);
    CHECK(s.run.seed == 3);
    CHECK(s.population.initial_customers == 1000);
    CHECK(s.population.model == "bgnbd");
    REQUIRE(s.population.behaviour != nullptr);
    CHECK(s.population.behaviour->name() == "bgnbd");
    CHECK(s.economics.margin_fraction == 0.3);
    CHECK(s.source_name == "test.toml");
    CHECK(s.source_text == kValid);
    CHECK(s.overrides.empty());
}

TEST_CASE("input: the built-in default scenario parses without problems", "[input]") {
    const Scenario s = parse_scenario(default_scenario_text(), "<built-in default>");
    CHECK(s.population.behaviour != nullptr);
    CHECK(s.run.horizon_days > 0.0);
}

TEST_CASE("input: every scenario file in scenarios/ parses", "[input]") {
    const std::filesystem::path root = std::filesystem::path(RETSIM_SOURCE_DIR) / "scenarios";
    int files = 0;
    for (const auto& dir : {root, root / "validation"}) {
        if (!std::filesystem::is_directory(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() != ".toml") continue;
            INFO(entry.path().string());
            try {
                (void)load_scenario(entry.path().string());
            } catch (const BadInput& e) {
                FAIL(e.what());
            }
            ++files;
        }
    }
    if (files == 0) WARN("no scenario files found under " << root.string());
}

TEST_CASE("input: syntax error reports file, line and column", "[input]") {
    const Problem p = only_problem("[run]\nseed = 1\nhorizon_days = = 3\n");
    CHECK(p.file == "test.toml");
    CHECK(p.line == 3);
    CHECK(p.column > 0);
    CHECK(contains(p.message, "syntax"));
}

TEST_CASE("input: unknown key suggests the closest", "[input]") {
    const Problem p = only_problem("[run]\nhorizon_dys = 100\n");
    CHECK(p.file == "test.toml");
    CHECK(p.line == 2);
    CHECK(p.key_path == "run.horizon_dys");
    CHECK(contains(p.message, "unknown key"));
    CHECK(contains(p.message, "did you mean \"horizon_days\"?"));
}

TEST_CASE("input: unknown key with nothing close lists the known keys", "[input]") {
    const Problem p = only_problem("[economics]\nzebra = 1\n");
    CHECK(p.key_path == "economics.zebra");
    CHECK(contains(p.message, "margin_fraction"));
    CHECK(!contains(p.message, "did you mean"));
}

TEST_CASE("input: unknown table is reported with a suggestion", "[input]") {
    const Problem p = only_problem("[lifecyle]\nwelcome_days = 10\n");
    CHECK(p.line == 1);
    CHECK(p.key_path == "lifecyle");
    CHECK(contains(p.message, "unknown table"));
    CHECK(contains(p.message, "did you mean \"lifecycle\"?"));
}

TEST_CASE("input: wrong type says what was expected and what was given", "[input]") {
    const Problem p = only_problem("[run]\nhorizon_days = \"a year\"\n");
    CHECK(p.line == 2);
    CHECK(p.key_path == "run.horizon_days");
    CHECK(contains(p.message, "expected a number, got a string"));
}

TEST_CASE("input: a value where a table belongs is reported", "[input]") {
    const Problem p = only_problem("population = 5\n");
    CHECK(p.key_path == "population");
    CHECK(contains(p.message, "expected a table"));
}

TEST_CASE("input: NaN is rejected", "[input]") {
    const Problem p = only_problem("[population.bgnbd]\nr = nan\n");
    CHECK(p.line == 2);
    CHECK(p.key_path == "population.bgnbd.r");
    CHECK(contains(p.message, "finite"));
}

TEST_CASE("input: infinity is rejected", "[input]") {
    const Problem p = only_problem("[economics]\nannual_discount_rate = inf\n");
    CHECK(p.key_path == "economics.annual_discount_rate");
    CHECK(contains(p.message, "finite"));
    CHECK(contains(p.message, "inf"));
}

TEST_CASE("input: negative count is rejected", "[input]") {
    const Problem p = only_problem("[population]\ninitial_customers = -3\n");
    CHECK(p.line == 2);
    CHECK(p.key_path == "population.initial_customers");
    CHECK(contains(p.message, "must be a non-negative integer, got -3"));
}

TEST_CASE("input: fractional count is rejected, integral float accepted", "[input]") {
    const Problem p = only_problem("[run]\nseed = 2.5\n");
    CHECK(contains(p.message, "non-negative integer"));
    const Scenario s = parse_scenario("[run]\nseed = 12.0\n", "test.toml");
    CHECK(s.run.seed == 12);
}

TEST_CASE("input: out-of-range fraction is rejected with the rule", "[input]") {
    const Problem p = only_problem("[economics]\nmargin_fraction = 1.5\n");
    CHECK(p.line == 2);
    CHECK(p.column > 0);
    CHECK(p.key_path == "economics.margin_fraction");
    CHECK(contains(p.message, "must be in [0, 1], got 1.5"));
}

TEST_CASE("input: non-positive value is rejected with the rule", "[input]") {
    const Problem p = only_problem("[population.bgnbd]\nalpha_weeks = -3\n");
    CHECK(contains(p.message, "must be > 0, got -3"));
}

TEST_CASE("input: unordered lifecycle thresholds are rejected at the offending key", "[input]") {
    const Problem p = only_problem(
        "[lifecycle]\nlapsed_after = 90\ninactive_after = 60\nlost_after = 365\n");
    CHECK(p.line == 3);
    CHECK(p.key_path == "lifecycle.inactive_after");
    CHECK(contains(p.message, "lapsed_after (90) must be < inactive_after (60)"));

    // Only lost_after written and below the default inactive_after: blame lost_after.
    const Problem q = only_problem("[lifecycle]\nlost_after = 100\n");
    CHECK(q.key_path == "lifecycle.lost_after");
}

TEST_CASE("input: unknown model suggests the closest", "[input]") {
    const Problem p = only_problem("[population]\nmodel = \"bgndb\"\n");
    CHECK(p.line == 2);
    CHECK(p.key_path == "population.model");
    CHECK(contains(p.message, "unknown value \"bgndb\"; did you mean \"bgnbd\"?"));
    CHECK(contains(p.message, "\"paretonbd\""));
    CHECK(contains(p.message, "\"sbg\""));
}

TEST_CASE("input: unknown text value suggests the closest allowed", "[input]") {
    const Problem p = only_problem("[lifecycle]\nthreshold_unit = \"day\"\n");
    CHECK(p.key_path == "lifecycle.threshold_unit");
    CHECK(contains(p.message, "did you mean \"days\"?"));
    CHECK(contains(p.message, "\"interpurchase_times\""));
}

TEST_CASE("input: a table for a model that is not chosen is rejected", "[input]") {
    const Problem p = only_problem("[population]\nmodel = \"bgnbd\"\n[population.sbg]\ngamma = 1\n");
    CHECK(p.key_path == "population.sbg");
    CHECK(p.line == 3);
    CHECK(contains(p.message, "table for model \"sbg\", but population.model is \"bgnbd\""));
}

TEST_CASE("input: duplicate channel names are rejected", "[input]") {
    const Problem p = only_problem(R"([[acquisition.channels]]
name = "search"
spend_per_week_cents = 100

[[acquisition.channels]]
name = "search"
spend_per_week_cents = 200
)");
    CHECK(p.line == 6);
    CHECK(p.key_path == "acquisition.channels[1].name");
    CHECK(contains(p.message, "duplicate channel name \"search\""));
}

TEST_CASE("input: channel rules are checked", "[input]") {
    const Problems problems = problems_of(R"([[acquisition.channels]]
spend_per_week_cents = -1
cost_per_customer_cents = 0
start_day = 100
end_day = 50
)");
    INFO(problems.format());
    REQUIRE(problems.size() == 4);
    const auto& list = problems.list();
    CHECK(std::any_of(list.begin(), list.end(), [](const Problem& p) {
        return p.key_path == "acquisition.channels[0].name" && contains(p.message, "missing");
    }));
    CHECK(std::any_of(list.begin(), list.end(), [](const Problem& p) {
        return p.key_path == "acquisition.channels[0].spend_per_week_cents";
    }));
    CHECK(std::any_of(list.begin(), list.end(), [](const Problem& p) {
        return p.key_path == "acquisition.channels[0].cost_per_customer_cents";
    }));
    CHECK(std::any_of(list.begin(), list.end(), [](const Problem& p) {
        return p.key_path == "acquisition.channels[0].end_day" && p.line == 5;
    }));
}

TEST_CASE("input: a channel that would acquire too many customers per step is rejected", "[input]") {
    const Problem p = only_problem(R"([[acquisition.channels]]
name = "flood"
spend_per_week_cents = 1e15
cost_per_customer_cents = 1
max_customers_per_week = 1e12
)");
    CHECK(p.key_path == "acquisition.channels[0].max_customers_per_week");
    CHECK(contains(p.message, "customers per step"));
}

TEST_CASE("input: step and cohort lengths are checked against each other", "[input]") {
    const Problem p = only_problem("[run]\nhorizon_days = 10\nstep_days = 14\n");
    CHECK(p.key_path == "run.step_days");
    const Problem q = only_problem("[run]\nstep_days = 7\n[acquisition]\ncohort_days = 3\n");
    CHECK(q.key_path == "acquisition.cohort_days");
    CHECK(contains(q.message, "run.step_days"));
    // An unwritten cohort_days never falls below a long step.
    const Scenario s = parse_scenario("[run]\nstep_days = 73\nhorizon_days = 730\n", "test.toml");
    CHECK(s.acquisition.cohort_days == 73.0);
    const Problem r = only_problem("[run]\nhorizon_days = 36500\nstep_days = 0.001\n");
    CHECK(r.key_path == "run.step_days");
    CHECK(contains(r.message, "steps"));
}

TEST_CASE("input: a scenario with no customers is rejected", "[input]") {
    const Problem p = only_problem("[population]\ninitial_customers = 0\n");
    CHECK(p.key_path == "population.initial_customers");
    CHECK(contains(p.message, "no customers"));
    // Customers bought by a channel make an empty initial base valid.
    const Scenario s = parse_scenario(
        "[population]\ninitial_customers = 0\n[[acquisition.channels]]\nname = \"ads\"\n"
        "spend_per_week_cents = 10000\n",
        "test.toml");
    CHECK(s.acquisition.channels.size() == 1);
    CHECK(s.acquisition.channels[0].end_day == s.run.horizon_days);
}

TEST_CASE("input: several problems are reported together, each with its line", "[input]") {
    const std::string text = R"([run]
horizon_dys = 100
seed = -1

[population]
initial_customers = "many"

[economics]
margin_fraction = 2

[bogus]
x = 1
)";
    const Problems problems = problems_of(text);
    INFO(problems.format());
    REQUIRE(problems.size() == 5);
    std::vector<int> lines;
    for (const Problem& p : problems.list()) {
        CHECK(p.file == "test.toml");
        CHECK(!p.key_path.empty());
        lines.push_back(p.line);
    }
    CHECK(lines == std::vector<int>{2, 3, 6, 9, 11});

    // The formatted text has one "file:line:column: key: message" line per problem.
    const std::string formatted = problems.format();
    CHECK(std::count(formatted.begin(), formatted.end(), '\n') == 4);
    CHECK(contains(formatted, "test.toml:2:1: run.horizon_dys: unknown key"));
}

TEST_CASE("input: --set with a bad value names the override", "[input]") {
    const Problem p = only_problem(kValid, {"economics.margin_fraction=1.5"});
    CHECK(p.file == "--set economics.margin_fraction=1.5");
    CHECK(p.key_path == "economics.margin_fraction");
    CHECK(contains(p.message, "must be in [0, 1], got 1.5"));

    const Problem q = only_problem(kValid, {"run.horizon_dys=100"});
    CHECK(q.file == "--set run.horizon_dys=100");
    CHECK(contains(q.message, "did you mean \"horizon_days\"?"));

    const Problem r = only_problem(kValid, {"run.seed"});
    CHECK(r.file == "--set");
    const Problem t = only_problem(kValid, {"=3"});
    CHECK(t.file == "--set");
}

TEST_CASE("input: --set makes a valid change", "[input]") {
    const Scenario s = parse_scenario(kValid, "test.toml", {"run.seed=7", "economics.margin_fraction = 0.5"});
    CHECK(s.run.seed == 7);
    CHECK(s.economics.margin_fraction == 0.5);
    REQUIRE(s.overrides.size() == 2);
    CHECK(s.overrides[0] == "run.seed=7");
    // Overrides create missing tables.
    const Scenario t = parse_scenario("", "test.toml", {"population.spend.model=fixed",
                                                         "population.spend.price_cents=250"});
    REQUIRE(t.population.behaviour != nullptr);
}

TEST_CASE("input: --set of a bare word is a string", "[input]") {
    const Scenario s = parse_scenario("[population]\nmodel = \"bgnbd\"\n", "test.toml",
                                      {"population.model=paretonbd"});
    CHECK(s.population.model == "paretonbd");
    REQUIRE(s.population.behaviour != nullptr);
    CHECK(s.population.behaviour->name() == "paretonbd");

    const Problem p = only_problem("", {"population.model=bgndb"});
    CHECK(p.file == "--set population.model=bgndb");
    CHECK(contains(p.message, "did you mean \"bgnbd\"?"));
}

TEST_CASE("input: --set reaches into an array of tables by index", "[input]") {
    const std::string text = R"([[acquisition.channels]]
name = "search"
spend_per_week_cents = 100

[[acquisition.channels]]
name = "affiliates"
spend_per_week_cents = 200
)";
    const Scenario s = parse_scenario(text, "test.toml",
                                      {"acquisition.channels[1].spend_per_week_cents=1000000",
                                       "acquisition.channels[2]={name=\"tv\", start_day=7}"});
    REQUIRE(s.acquisition.channels.size() == 3);
    CHECK(s.acquisition.channels[0].spend_per_week_cents == 100.0);
    CHECK(s.acquisition.channels[1].spend_per_week_cents == 1'000'000.0);
    CHECK(s.acquisition.channels[2].name == "tv");

    const Problem p = only_problem(text, {"acquisition.channels[5].name=x"});
    CHECK(p.file == "--set acquisition.channels[5].name=x");
    CHECK(contains(p.message, "out of range"));
    const Problem q = only_problem(text, {"acquisition.channels[0].spend_per_week_cents=-1"});
    CHECK(q.key_path == "acquisition.channels[0].spend_per_week_cents");
    CHECK(q.file == "--set acquisition.channels[0].spend_per_week_cents=-1");
    CHECK(only_problem(text, {"acquisition.channels[x].name=a"}).file == "--set");
}

TEST_CASE("input: --set into a value that is not a table is rejected", "[input]") {
    const Problem p = only_problem(kValid, {"run.seed.x=1"});
    CHECK(p.file == "--set run.seed.x=1");
    CHECK(contains(p.message, "not a table"));
}

TEST_CASE("input: missing scenario file is reported", "[input]") {
    const std::string path = "/nonexistent/retsim/no_such_scenario.toml";
    try {
        (void)load_scenario(path);
        FAIL("a missing file was accepted");
    } catch (const BadInput& e) {
        REQUIRE(e.problems().size() == 1);
        CHECK(e.problems().list()[0].file == path);
        CHECK(contains(e.what(), "cannot read scenario file"));
    }
}

TEST_CASE("input: thresholds in interpurchase times are converted to days", "[input]") {
    const Scenario s = parse_scenario(
        "[lifecycle]\nthreshold_unit = \"interpurchase_times\"\nlapsed_after = 2\n"
        "inactive_after = 4\nlost_after = 8\nwelcome_days = 10\n",
        "test.toml");
    const double mean = s.population.behaviour->mean_interpurchase_days();
    const StageThresholdsDays d = thresholds_in_days(s);
    CHECK(d.lapsed == Approx(2 * mean));
    CHECK(d.lost == Approx(8 * mean));
    CHECK(d.welcome == 10.0);
}

namespace {

// The keys the scenario reader knows in each table, as it says itself: a key no reader asked
// for is reported with "known keys: ..." when nothing is close to it. Each probe is a small
// scenario with the unknown key kProbe in the table at `path` (a problem key path such as
// "strategies[0].effect"); the result maps each table path ("[]" for array entries) to its
// known keys.
constexpr const char* kProbe = "zzzzzzzzzzzzzzzzzzzzzzzz";

void probe_known_keys(const std::string& text, const std::string& path,
                      std::map<std::string, std::set<std::string>>& known) {
    INFO(path << " in\n" << text);
    const std::string probe_path = (path.empty() ? "" : path + ".") + kProbe;
    std::string listed;
    const Problems problems = problems_of(text);
    for (const Problem& p : problems.list()) {
        if (p.key_path == probe_path) listed = p.message;
    }
    const auto at = listed.find("known keys: ");
    REQUIRE(at != std::string::npos);
    std::string table = path;
    for (std::size_t open = table.find('['); open != std::string::npos; open = table.find('[', open + 2)) {
        table.replace(open, table.find(']', open) - open + 1, "[]");
    }
    std::set<std::string>& keys = known[table];
    for (std::size_t open = listed.find('"', at); open != std::string::npos;) {
        const std::size_t close = listed.find('"', open + 1);
        REQUIRE(close != std::string::npos);
        keys.insert(listed.substr(open + 1, close - open - 1));
        open = listed.find('"', close + 1);
    }
    REQUIRE(!keys.empty());
}

}  // namespace

TEST_CASE("input: every accepted key is documented in scenarios/README.md", "[input]") {
    const std::string readme =
        read_text(std::filesystem::path(RETSIM_SOURCE_DIR) / "scenarios" / "README.md");
    REQUIRE(!readme.empty());

    // Every table, in every variant that changes which keys it accepts (the model, the spend
    // model, the strategy kind).
    const std::string p = std::string(kProbe) + " = 1\n";
    const std::string contact = "[[strategies]]\nname = \"s\"\nstages = [\"active\"]\nscore = \"propensity\"\n";
    const std::string win_back = "[[strategies]]\nname = \"s\"\nkind = \"win_back\"\nstages = [\"lost\"]\n";
    const std::string reward = "[[strategies]]\nname = \"s\"\nkind = \"reward\"\nstages = [\"active\"]\n";
    const std::string tier = "[[strategies.reward.tiers]]\nname = \"gold\"\n";
    const std::vector<std::pair<std::string, std::string>> probes = {
        {p, ""},
        {"[run]\n" + p, "run"},
        {"[population]\n" + p, "population"},
        {"[population]\nmodel = \"paretonbd\"\n" + p, "population"},
        {"[population]\nmodel = \"sbg\"\n" + p, "population"},
        {"[population.bgnbd]\n" + p, "population.bgnbd"},
        {"[population]\nmodel = \"paretonbd\"\n[population.paretonbd]\n" + p, "population.paretonbd"},
        {"[population]\nmodel = \"sbg\"\n[population.sbg]\n" + p, "population.sbg"},
        {"[population.spend]\n" + p, "population.spend"},
        {"[population.spend]\nmodel = \"fixed\"\n" + p, "population.spend"},
        {"[lifecycle]\n" + p, "lifecycle"},
        {"[service]\n" + p, "service"},
        {"[attrition]\n" + p, "attrition"},
        {"[economics]\n" + p, "economics"},
        {"[acquisition]\n" + p, "acquisition"},
        {"[[acquisition.channels]]\nname = \"c\"\n" + p, "acquisition.channels[0]"},
        {contact + p, "strategies[0]"},
        {win_back + p, "strategies[0]"},
        {reward + p, "strategies[0]"},
        {"[population]\nmodel = \"sbg\"\n" + contact + p, "strategies[0]"},
        {contact + "[strategies.effect]\n" + p, "strategies[0].effect"},
        {win_back + "[strategies.effect]\n" + p, "strategies[0].effect"},
        {contact + "[strategies.propensity]\n" + p, "strategies[0].propensity"},
        {reward + "[strategies.reward]\n" + p, "strategies[0].reward"},
        {reward + tier + p, "strategies[0].reward.tiers[0]"},
    };
    std::map<std::string, std::set<std::string>> known;
    for (const auto& [text, path] : probes) probe_known_keys(text, path, known);

    // The probe finds at least the inventory.
    for (const std::string& key : kAllKeys) {
        INFO(key);
        const auto dot = key.rfind('.');
        CHECK(known[key.substr(0, dot)].count(key.substr(dot + 1)) == 1);
    }

    // The README documents each table under a "### [table]" or "### [[table]]" heading and
    // each key as a "| `name` |" row in that table's section; a key that is itself a probed
    // table needs its heading.
    const auto heading = [](std::string table) {
        const bool array = table.size() > 2 && table.substr(table.size() - 2) == "[]";
        if (array) table.resize(table.size() - 2);
        for (std::size_t at; (at = table.find("[]")) != std::string::npos;) table.erase(at, 2);
        return "### " + (array ? "[[" + table + "]]" : "[" + table + "]");
    };
    std::size_t keys = 0;
    for (const auto& [table, names] : known) {
        for (const std::string& name : names) {
            const std::string child = (table.empty() ? "" : table + ".") + name;
            if (known.count(child) || known.count(child + "[]")) {
                INFO("table " << child);
                CHECK(contains(readme, heading(known.count(child) ? child : child + "[]") + "\n"));
                continue;
            }
            ++keys;
            INFO("key " << child << " under " << heading(table));
            REQUIRE(!table.empty());
            const auto at = readme.find(heading(table) + "\n");
            REQUIRE(at != std::string::npos);
            const auto next = readme.find("\n### ", at + 1);
            const std::string section = readme.substr(at, next == std::string::npos ? std::string::npos : next - at);
            CHECK(contains(section, "| `" + name + "` |"));
        }
    }
    CHECK(keys >= kAllKeys.size());
}

TEST_CASE("unit: closest suggests only near words", "[unit]") {
    const std::vector<std::string> keys = {"horizon_days", "step_days", "seed"};
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(closest("horizon_dys", keys) == "horizon_days");
    CHECK(closest("sed", keys) == "seed");
    CHECK(closest("population", keys).empty());
    CHECK(closest("x", keys).empty());
}

TEST_CASE("unit: problems format as file:line:column: key: message", "[unit]") {
    Problems problems;
    problems.add(Problem{"a.toml", 3, 7, "run.seed", "bad"});
    problems.add(Problem{"--set run.seed=x", 0, 0, "run.seed", "worse"});
    problems.add(Problem{"", 0, 0, "", "plain"});
    CHECK(problems.format() == "a.toml:3:7: run.seed: bad\n--set run.seed=x: run.seed: worse\nplain");
    const BadInput e(problems);
    CHECK(std::string(e.what()) == problems.format());
    const BadInput single("just this");
    CHECK(std::string(single.what()) == "just this");
    REQUIRE(single.problems().size() == 1);
    CHECK(single.problems().list()[0].message == "just this");
}

TEST_CASE("unit: ranges describe their rule", "[unit]") {
    CHECK(Range::positive().describe() == "> 0");
    CHECK(Range::non_negative().describe() == ">= 0");
    CHECK(Range::fraction().describe() == "in [0, 1]");
    CHECK(Range::above(1.0).describe() == "> 1");
    CHECK(!Range::fraction().contains(std::numeric_limits<double>::quiet_NaN()));
    CHECK(!Range::positive().contains(0.0));
    CHECK(Range::non_negative().contains(0.0));
}
