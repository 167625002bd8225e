// Reading a scenario: TOML text plus --set overrides, checked into the typed Scenario. Every
// problem in every table is collected first and reported together in one BadInput.
#include "sim/scenario.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include <toml++/toml.h>

#include "models/registry.hpp"
#include "sim/problems.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

namespace {

constexpr double kMaxDays = 36'500.0;             // a hundred years
constexpr double kMaxSteps = 1'000'000.0;         // horizon_days / step_days
constexpr std::uint64_t kMaxCustomers = std::uint64_t{1} << 32;
constexpr std::size_t kMaxChannels = std::size_t{1} << 19;
constexpr std::int64_t kMaxCents = std::int64_t{1} << 53;  // exact in a double
// Expected arrivals per channel and step: half the engine's limit on one Poisson draw, which
// a draw around this mean never reaches.
constexpr double kMaxExpectedArrivals = double(kMaxArrivalsPerStep / 2);

std::string shortest_repr(double v) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// True when `read` added no problem: the value it read (or its default) can be trusted.
template <class Read>
bool clean(Problems& problems, Read&& read) {
    const std::size_t before = problems.size();
    read();
    return problems.size() == before;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

// `s` as a TOML basic string literal.
std::string toml_string_literal(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(u));
            out += escape;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::optional<toml::table> parse_snippet(const std::string& snippet, const std::string& source) {
    try {
        return toml::parse(snippet, source);
    } catch (const toml::parse_error&) {
        return std::nullopt;
    }
}

// One segment of an override key: "seed", or "channels[1]" for an element of an array.
struct KeySegment {
    std::string name;
    std::optional<std::size_t> index;
};

std::optional<KeySegment> parse_segment(std::string_view text) {
    KeySegment segment;
    const auto open = text.find('[');
    segment.name = std::string(trim(text.substr(0, open)));
    if (segment.name.empty()) return std::nullopt;
    if (open == std::string_view::npos) return segment;
    const std::string_view rest = text.substr(open + 1);
    if (rest.size() < 2 || rest.back() != ']') return std::nullopt;
    const std::string_view digits = rest.substr(0, rest.size() - 1);
    std::size_t index = 0;
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (result.ec != std::errc() || result.ptr != digits.data() + digits.size()) return std::nullopt;
    segment.index = index;
    return segment;
}

// Sets one "dotted.key=value" override in `root`; "name[i]" selects element i of an array
// (the spelling of key paths in problems), and i equal to the array's size appends. The
// value keeps the source path "--set <override>", so any problem found later with it names
// the override.
void apply_override(toml::table& root, const std::string& override_text, Problems& problems) {
    const std::string source = "--set " + override_text;
    const auto equals = override_text.find('=');
    const std::string_view whole(override_text);
    const std::string_view key = trim(whole.substr(0, std::min(equals, whole.size())));
    std::vector<KeySegment> segments;
    bool key_ok = !key.empty();
    for (std::size_t start = 0; key_ok && start <= key.size();) {
        const std::size_t dot = std::min(key.find('.', start), key.size());
        std::optional<KeySegment> segment = parse_segment(key.substr(start, dot - start));
        key_ok = segment.has_value();
        if (key_ok) segments.push_back(std::move(*segment));
        start = dot + 1;
    }
    if (equals == std::string::npos || !key_ok) {
        Problem p;
        p.file = "--set";
        p.message = "expected KEY=VALUE with a dotted key such as run.seed=7 or "
                    "acquisition.channels[0].name=web, got " + in_quotes(override_text);
        problems.add(std::move(p));
        return;
    }
    const auto fail = [&](std::string message) {
        Problem p;
        p.file = source;
        p.key_path = std::string(key);
        p.message = std::move(message);
        problems.add(std::move(p));
    };

    // The value in TOML syntax; anything that does not parse as one TOML value is a string.
    const std::string_view value = trim(whole.substr(equals + 1));
    std::optional<toml::table> parsed = parse_snippet("v = " + std::string(value), source);
    if (!parsed || parsed->size() != 1 || !parsed->contains("v")) {
        parsed = parse_snippet("v = " + toml_string_literal(value), source);
    }
    toml::node* node = parsed ? parsed->get("v") : nullptr;
    if (node == nullptr) {
        fail("cannot read the value");
        return;
    }

    toml::table* table = &root;
    std::string prefix;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const KeySegment& segment = segments[i];
        const bool last = i + 1 == segments.size();
        prefix += (i == 0 ? "" : ".") + segment.name;
        if (!segment.index) {
            if (last) {
                node->visit([&](auto& n) { table->insert_or_assign(segment.name, std::move(n)); });
                return;
            }
            if (!table->contains(segment.name)) {
                // Parsed rather than constructed so the new table also names the override.
                std::optional<toml::table> holder = parse_snippet("v = {}", source);
                table->insert(segment.name, std::move(*holder->get_as<toml::table>("v")));
            }
            table = table->get(segment.name)->as_table();
            if (table == nullptr) {
                fail("cannot set a key inside " + prefix + ", which is not a table");
                return;
            }
            continue;
        }
        toml::array* array = table->get_as<toml::array>(segment.name);
        if (array == nullptr) {
            fail(prefix + " is not an array");
            return;
        }
        const std::size_t index = *segment.index;
        if (index > array->size() || (index == array->size() && !last)) {
            fail(prefix + " has " + std::to_string(array->size()) + " entries; index " +
                 std::to_string(index) + " is out of range");
            return;
        }
        prefix += "[" + std::to_string(index) + "]";
        if (last) {
            node->visit([&](auto& n) {
                if (index == array->size()) {
                    array->push_back(std::move(n));
                } else {
                    array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), std::move(n));
                }
            });
            return;
        }
        table = array->get(index)->as_table();
        if (table == nullptr) {
            fail("cannot set a key inside " + prefix + ", which is not a table");
            return;
        }
    }
}

void read_run(TableReader& root, RunConfig& run, Problems& problems) {
    TableReader t = root.table("run");
    const bool horizon_ok = clean(problems, [&] {
        t.number("horizon_days", run.horizon_days, Range{0.0, kMaxDays, true, false});
    });
    const bool step_ok =
        clean(problems, [&] { t.number("step_days", run.step_days, Range::positive()); });
    if (horizon_ok && step_ok) {
        if (run.step_days > run.horizon_days) {
            t.problem(t.has("step_days") ? "step_days" : "horizon_days",
                      "step_days (" + shortest_repr(run.step_days) + ") must be <= horizon_days (" +
                          shortest_repr(run.horizon_days) + ")");
        } else if (run.horizon_days / run.step_days > kMaxSteps) {
            t.problem("step_days", "horizon_days / step_days = " +
                                       shortest_repr(std::ceil(run.horizon_days / run.step_days)) +
                                       " steps; at most " + shortest_repr(kMaxSteps) + " allowed");
        }
    }
    t.count("seed", run.seed);
    t.count("replicate", run.replicate);
    t.finish();
}

void read_population(TableReader& root, PopulationConfig& population, Problems& problems) {
    TableReader t = root.table("population");
    t.count("initial_customers", population.initial_customers, kMaxCustomers);
    t.number("history_days", population.history_days, Range::closed(0.0, kMaxDays));

    const std::vector<ModelEntry>& models = behaviour_models();
    std::vector<std::string> names;
    for (const ModelEntry& m : models) names.push_back(m.name);

    const bool model_read = clean(problems, [&] { t.text("model", population.model); });
    const auto chosen = std::find_if(models.begin(), models.end(),
                                     [&](const ModelEntry& m) { return m.name == population.model; });
    if (model_read && chosen == models.end()) {
        std::string message = "unknown value " + in_quotes(population.model) + ";";
        const std::string suggestion = closest(population.model, names);
        if (!suggestion.empty()) message += " did you mean " + in_quotes(suggestion) + "?";
        message += " allowed:";
        for (std::size_t i = 0; i < names.size(); ++i) {
            message += (i == 0 ? " " : ", ") + in_quotes(names[i]);
        }
        t.problem("model", std::move(message));
    }
    if (!model_read || chosen == models.end()) {
        // Without a model, its tables cannot be checked; do not also call them unknown.
        for (const std::string& name : names) t.allow(name);
        t.allow("spend");
        t.finish();
        return;
    }

    for (const std::string& name : names) {
        if (name != chosen->name && t.has(name)) {
            t.problem(name, "table for model " + in_quotes(name) + ", but population.model is " +
                                in_quotes(chosen->name));
            t.allow(name);
        }
    }
    try {
        population.behaviour = chosen->build(t);
    } catch (const BadInput& e) {
        for (const Problem& p : e.problems().list()) problems.add(p);
    }
    t.finish();
}

// Reports lo >= hi at the key the user wrote (the upper one when both or neither are written).
void check_order(TableReader& t, const char* lo_key, double lo, const char* hi_key, double hi) {
    if (lo < hi) return;
    const char* blame = (t.has(hi_key) || !t.has(lo_key)) ? hi_key : lo_key;
    t.problem(blame, std::string(lo_key) + " (" + shortest_repr(lo) + ") must be < " + hi_key +
                         " (" + shortest_repr(hi) + ")");
}

void read_lifecycle(TableReader& root, LifecycleConfig& lifecycle, Problems& problems) {
    TableReader t = root.table("lifecycle");
    std::string unit = lifecycle.threshold_unit == ThresholdUnit::Days ? "days" : "interpurchase_times";
    t.text("threshold_unit", unit, {"days", "interpurchase_times"});
    lifecycle.threshold_unit = unit == "days" ? ThresholdUnit::Days : ThresholdUnit::InterpurchaseTimes;
    t.number("welcome_days", lifecycle.welcome_days, Range::non_negative());
    const bool lapsed_ok =
        clean(problems, [&] { t.number("lapsed_after", lifecycle.lapsed_after, Range::positive()); });
    const bool inactive_ok = clean(
        problems, [&] { t.number("inactive_after", lifecycle.inactive_after, Range::positive()); });
    const bool lost_ok =
        clean(problems, [&] { t.number("lost_after", lifecycle.lost_after, Range::positive()); });
    if (lapsed_ok && inactive_ok) {
        check_order(t, "lapsed_after", lifecycle.lapsed_after, "inactive_after", lifecycle.inactive_after);
    }
    if (inactive_ok && lost_ok) {
        check_order(t, "inactive_after", lifecycle.inactive_after, "lost_after", lifecycle.lost_after);
    }
    t.number("won_back_days", lifecycle.won_back_days, Range::non_negative());
    t.number("unhappy_days", lifecycle.unhappy_days, Range::non_negative());
    t.number("at_risk_days", lifecycle.at_risk_days, Range::non_negative());
    t.number("silent_attrition_factor", lifecycle.silent_attrition_factor, Range::closed(0.0, 1000.0));
    t.finish();
}

void read_sentiment(TableReader& root, SentimentConfig& c) {
    TableReader service = root.table("service");
    service.number("failure_rate_per_year", c.failure_rate_per_year, Range::closed(0.0, 365.0));
    service.number("complaint_probability", c.complaint_probability, Range::fraction());
    service.number("unhappy_recovery_days", c.unhappy_recovery_days, Range::positive());
    service.number("unhappy_rate_multiplier", c.unhappy_rate_multiplier, Range::closed(0.0, 100.0));
    service.number("unhappy_risk_multiplier", c.unhappy_risk_multiplier, Range::closed(0.0, 100.0));
    service.finish();
    TableReader attrition = root.table("attrition");
    attrition.number("considering_rate_per_year", c.considering_rate_per_year, Range::closed(0.0, 365.0));
    attrition.number("unhappy_considering_multiplier", c.unhappy_considering_multiplier, Range::closed(0.0, 1000.0));
    attrition.number("considering_days", c.considering_days, Range::positive());
    attrition.number("switch_probability", c.switch_probability, Range::fraction());
    attrition.number("switching_days", c.switching_days, Range::positive());
    attrition.number("considering_rate_multiplier", c.considering_rate_multiplier, Range::closed(0.0, 100.0));
    attrition.number("switching_rate_multiplier", c.switching_rate_multiplier, Range::closed(0.0, 100.0));
    attrition.number("considering_signal_per_week", c.considering_signal_per_week, Range::fraction());
    attrition.number("switching_signal_per_week", c.switching_signal_per_week, Range::fraction());
    attrition.finish();
}

void read_economics(TableReader& root, EconomicsConfig& economics) {
    TableReader t = root.table("economics");
    t.number("margin_fraction", economics.margin_fraction, Range::fraction());
    t.number("annual_discount_rate", economics.annual_discount_rate, Range::closed(0.0, 10.0));
    t.integer("fixed_cost_per_week_cents", economics.fixed_cost_per_week_cents, 0, kMaxCents);
    t.finish();
}

void read_channel(TableReader& c, ChannelConfig& channel, const RunConfig& run, Problems& problems) {
    const double horizon_days = run.horizon_days;
    const double step_days = run.step_days;
    if (!c.has("name")) {
        c.problem("name", "missing: every channel needs a name");
    } else if (clean(problems, [&] { c.text("name", channel.name); }) && channel.name.empty()) {
        c.problem("name", "must not be empty");
    }
    c.number("spend_per_week_cents", channel.spend_per_week_cents, Range::non_negative());
    c.number("cost_per_customer_cents", channel.cost_per_customer_cents, Range::positive());
    c.number("max_customers_per_week", channel.max_customers_per_week, Range::positive());
    c.number("rate_multiplier", channel.rate_multiplier, Range::closed(0.001, 1000.0));
    c.number("risk_multiplier", channel.risk_multiplier, Range::closed(0.0, 1000.0));
    c.number("spend_multiplier", channel.spend_multiplier, Range::closed(0.001, 1000.0));
    const bool start_ok =
        clean(problems, [&] { c.number("start_day", channel.start_day, Range::non_negative()); });
    channel.end_day = horizon_days;
    const bool end_ok =
        clean(problems, [&] { c.number("end_day", channel.end_day, Range::positive()); });
    if (start_ok && end_ok && !(channel.end_day > channel.start_day)) {
        if (c.has("end_day")) {
            c.problem("end_day", "end_day (" + shortest_repr(channel.end_day) + ") must be > start_day (" +
                                     shortest_repr(channel.start_day) + ")");
        } else {
            c.problem("start_day", "start_day (" + shortest_repr(channel.start_day) +
                                       ") must be < end_day (default: horizon_days = " +
                                       shortest_repr(channel.end_day) + ")");
        }
    }
    const double step_weeks = step_days / 7.0;
    const double saturation = channel.max_customers_per_week * step_weeks;
    const double expected = saturation * -std::expm1(-channel.spend_per_week_cents * step_weeks /
                                                     (saturation * channel.cost_per_customer_cents));
    if (expected > kMaxExpectedArrivals) {
        c.problem("max_customers_per_week",
                  "the channel expects " + shortest_repr(std::round(expected)) +
                      " customers per step; at most " + shortest_repr(kMaxExpectedArrivals) +
                      " allowed (lower the spend or the saturation, or shorten run.step_days)");
    }
    c.finish();
}

void read_acquisition(TableReader& root, AcquisitionConfig& acquisition, const RunConfig& run,
                      Problems& problems) {
    TableReader t = root.table("acquisition");
    // The default cohort is never shorter than a step; a written one must not be.
    acquisition.cohort_days = std::max(acquisition.cohort_days, run.step_days);
    const bool cohort_ok =
        clean(problems, [&] { t.number("cohort_days", acquisition.cohort_days, Range::positive()); });
    if (cohort_ok && acquisition.cohort_days < run.step_days) {
        t.problem("cohort_days", "must be >= run.step_days (" + shortest_repr(run.step_days) + "), got " +
                                     shortest_repr(acquisition.cohort_days));
    }
    std::vector<TableReader> channels = t.tables("channels");
    if (channels.size() > kMaxChannels) {
        t.problem("channels", "has " + std::to_string(channels.size()) + " channels; at most " +
                                  std::to_string(kMaxChannels) + " allowed");
    }
    acquisition.channels.clear();
    acquisition.channels.reserve(channels.size());
    for (TableReader& c : channels) {
        ChannelConfig channel;
        read_channel(c, channel, run, problems);
        for (std::size_t i = 0; i < acquisition.channels.size(); ++i) {
            if (!channel.name.empty() && acquisition.channels[i].name == channel.name) {
                c.problem("name", "duplicate channel name " + in_quotes(channel.name) + ", already used by " +
                                      channels[i].path());
                break;
            }
        }
        acquisition.channels.push_back(std::move(channel));
    }
    t.finish();
}

std::vector<std::string> stage_names() { return {kStageNames.begin(), kStageNames.end()}; }

void read_effect(TableReader& t, EffectConfig& e, StrategyKind kind) {
    t.number("rate_multiplier", e.rate_multiplier, Range::closed(0.0, 100.0));
    t.number("risk_multiplier", e.risk_multiplier, Range::closed(0.0, 100.0));
    t.number("spend_multiplier", e.spend_multiplier, Range::closed(0.0, 100.0));
    t.number("effect_days", e.effect_days, Range::non_negative());
    t.boolean("restores_content", e.restores_content);
    t.number("fatigue_risk_multiplier", e.fatigue_risk_multiplier, Range::closed(0.0, 100.0));
    t.number("unsubscribe_probability", e.unsubscribe_probability, Range::fraction());
    if (kind == StrategyKind::WinBack) {
        t.number("revive_probability", e.revive_probability, Range::fraction());
    }
    t.finish();
}

void read_reward(TableReader& t, RewardConfig& r) {
    t.integer("points_per_purchase", r.points_per_purchase, 0, 1'000'000);
    t.number("points_per_currency_unit", r.points_per_currency_unit, Range::closed(0.0, 1e6));
    t.integer("reward_threshold_points", r.reward_threshold_points, 1, 1'000'000'000);
    t.integer("reward_cost_cents", r.reward_cost_cents, 0, kMaxCents);
    t.number("redemption_probability", r.redemption_probability, Range::fraction());
    t.number("expiry_days", r.expiry_days, Range::non_negative());
    t.number("goal_gradient", r.goal_gradient, Range::closed(0.0, 100.0));
    t.integer("fee_per_year_cents", r.fee_per_year_cents, 0, kMaxCents);
    t.number("rebate_fraction", r.rebate_fraction, Range::fraction());
    t.integer("rebate_threshold_cents", r.rebate_threshold_cents, 0, kMaxCents);
    t.number("rebate_period_days", r.rebate_period_days, Range::positive());
    if (r.points_per_purchase == 0 && r.points_per_currency_unit == 0.0 && r.rebate_fraction == 0.0) {
        t.problem("points_per_purchase", "a reward program must award points or rebates: set "
                                         "points_per_purchase, points_per_currency_unit or rebate_fraction above 0");
    }
    std::vector<TableReader> tiers = t.tables("tiers");
    for (TableReader& tier_table : tiers) {
        RewardTier tier;
        if (!tier_table.has("name")) tier_table.problem("name", "missing: every tier needs a name");
        tier_table.text("name", tier.name);
        tier_table.number("min_points_per_year", tier.min_points_per_year, Range::non_negative());
        tier_table.number("earn_multiplier", tier.earn_multiplier, Range::closed(0.0, 100.0));
        tier_table.number("rate_multiplier", tier.rate_multiplier, Range::closed(0.0, 100.0));
        if (!r.tiers.empty() && !(tier.min_points_per_year > r.tiers.back().min_points_per_year)) {
            tier_table.problem("min_points_per_year", "tiers must be in ascending order of min_points_per_year");
        }
        tier_table.finish();
        r.tiers.push_back(std::move(tier));
    }
    t.finish();
}

void read_strategy(TableReader& t, StrategyConfig& st, const Scenario& s) {
    if (!t.has("name")) t.problem("name", "missing: every strategy needs a name");
    t.text("name", st.name);
    std::string kind(kStrategyKindNames[0]);
    t.text("kind", kind, {kStrategyKindNames[0], kStrategyKindNames[1], kStrategyKindNames[2]});
    for (std::size_t k = 0; k < kStrategyKindNames.size(); ++k) {
        if (kind == kStrategyKindNames[k]) st.kind = StrategyKind(k);
    }
    std::vector<std::string> stages;
    if (!t.has("stages")) t.problem("stages", "missing: the firm-view stages a strategy acts on, e.g. [\"lapsed\"]");
    t.texts("stages", stages, stage_names());
    for (const std::string& name : stages) {
        for (std::size_t k = 0; k < kStageCount; ++k) {
            if (kStageNames[k] == name) st.stages.push_back(Stage(k));
        }
    }
    t.number("min_tenure_days", st.min_tenure_days, Range::non_negative());
    t.number("start_day", st.start_day, Range::non_negative());
    st.end_day = s.run.horizon_days;
    t.number("end_day", st.end_day, Range::non_negative());
    if (st.end_day <= st.start_day) t.problem("end_day", "must be > start_day");
    std::string score = "none";
    t.text("score", score, {"none", "p_alive", "predicted_margin", "spend_per_week", "propensity"});
    st.score = score == "p_alive"           ? TargetScore::PAlive
               : score == "predicted_margin" ? TargetScore::PredictedMargin
               : score == "spend_per_week"   ? TargetScore::SpendPerWeek
               : score == "propensity"       ? TargetScore::Propensity
                                             : TargetScore::None;
    {
        TableReader p = t.table("propensity");
        if (p.present() && st.score != TargetScore::Propensity) {
            t.problem("propensity", "a [propensity] table needs score = \"propensity\"");
        }
        read_propensity(p, st.propensity);
    }
    t.number("before_renewal_days", st.before_renewal_days, Range::at_least(-1.0));
    t.number("after_renewal_days", st.after_renewal_days, Range::at_least(-1.0));
    if ((st.before_renewal_days >= 0.0 || st.after_renewal_days >= 0.0) && s.population.model != "sbg") {
        t.problem(st.before_renewal_days >= 0.0 ? "before_renewal_days" : "after_renewal_days",
                  "renewal timing needs a contractual population (population.model = \"sbg\")");
    }
    t.number("score_min", st.score_min, Range{});
    t.number("score_max", st.score_max, Range{});
    t.number("top_fraction", st.top_fraction, Range{0.0, 1.0, true, false});
    t.number("value_horizon_weeks", st.value_horizon_weeks, Range::closed(0.01, 5200.0));
    t.number("holdout_fraction", st.holdout_fraction, Range{0.0, 1.0, false, true});
    t.number("budget_per_week_cents", st.budget_per_week_cents, Range::non_negative());
    t.integer("fixed_cost_per_week_cents", st.fixed_cost_per_week_cents, 0, kMaxCents);
    t.integer("cost_per_contact_cents", st.cost_per_contact_cents, 0, kMaxCents);
    t.integer("cost_per_incentive_cents", st.cost_per_incentive_cents, 0, kMaxCents);
    t.number("contact_every_days", st.contact_every_days, Range::positive());
    t.integer("max_contacts", st.max_contacts, 1, 1'000'000'000);
    t.number("response_probability", st.response_probability, Range::fraction());
    t.number("switching_response_multiplier", st.switching_response_multiplier, Range::closed(0.0, 1000.0));
    t.number("response_heterogeneity", st.response_heterogeneity, Range::fraction());
    if (st.kind == StrategyKind::WinBack) {
        t.number("max_incentive_fraction_of_value", st.max_incentive_fraction_of_value, Range::non_negative());
    }
    const bool predicts = s.population.model == "bgnbd" || s.population.model == "paretonbd";
    if (!predicts && (st.score == TargetScore::PAlive || st.score == TargetScore::PredictedMargin)) {
        t.problem("score", "needs a model with predictions (bgnbd or paretonbd); population.model is " +
                               in_quotes(s.population.model) + " (use \"spend_per_week\")");
    }
    if (!predicts && st.max_incentive_fraction_of_value > 0.0) {
        t.problem("max_incentive_fraction_of_value", "needs a model with predictions (bgnbd or paretonbd)");
    }
    if (st.top_fraction < 1.0 && st.score == TargetScore::None) {
        t.problem("top_fraction", "ranks customers by a score: set score as well");
    }
    TableReader effect = t.table("effect");
    read_effect(effect, st.effect, st.kind);
    if (st.kind == StrategyKind::Reward) {
        TableReader reward = t.table("reward");
        read_reward(reward, st.reward);
    } else if (t.has("reward")) {
        t.problem("reward", "only a strategy of kind = \"reward\" has a [reward] table");
    }
    t.finish();
}

void read_strategies(TableReader& root, Scenario& s) {
    std::vector<TableReader> tables = root.tables("strategies");
    if (tables.size() > kMaxStrategies) {
        root.problem("strategies", "has " + std::to_string(tables.size()) + " strategies; at most " +
                                       std::to_string(kMaxStrategies) + " allowed");
        return;
    }
    s.strategies.clear();
    for (std::size_t k = 0; k < tables.size(); ++k) {
        StrategyConfig st;
        read_strategy(tables[k], st, s);
        for (std::size_t j = 0; j < s.strategies.size(); ++j) {
            if (!st.name.empty() && s.strategies[j].name == st.name) {
                tables[k].problem("name", "duplicate strategy name " + in_quotes(st.name) + ", already used by " +
                                              tables[j].path());
            }
        }
        s.strategies.push_back(std::move(st));
    }
}

// Problems of the scenario file first, by position (unplaced ones last), then those of the
// overrides in the order they were given.
void sort_problems(Problems& problems, std::string_view source_name,
                   const std::vector<std::string>& overrides) {
    const auto group = [&](const Problem& p) -> std::size_t {
        if (p.file == source_name) return 0;
        for (std::size_t i = 0; i < overrides.size(); ++i) {
            if (p.file == "--set " + overrides[i]) return i + 1;
        }
        return overrides.size() + 1;
    };
    std::vector<Problem> list = problems.list();
    std::stable_sort(list.begin(), list.end(), [&](const Problem& a, const Problem& b) {
        const auto rank = [&](const Problem& p) {
            return std::make_tuple(group(p), p.line == 0, p.line, p.column);
        };
        return rank(a) < rank(b);
    });
    problems = Problems();
    for (Problem& p : list) problems.add(std::move(p));
}

}  // namespace

void read_propensity(TableReader& t, PropensityModel& m) {
    const Range coefficient = Range::closed(-1000.0, 1000.0);
    t.number("intercept", m.intercept, coefficient);
    t.number("recency", m.recency, coefficient);
    t.number("frequency", m.frequency, coefficient);
    t.number("monetary", m.monetary, coefficient);
    t.number("tenure", m.tenure, coefficient);
    t.finish();
}

Scenario parse_scenario(std::string_view text, std::string_view source_name,
                        const std::vector<std::string>& overrides) {
    const std::string source(source_name);
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        Problem p;
        p.file = e.source().path ? *e.source().path : source;
        p.line = static_cast<int>(e.source().begin.line);
        p.column = static_cast<int>(e.source().begin.column);
        p.message = "TOML syntax error: " + std::string(e.description());
        Problems problems;
        problems.add(std::move(p));
        throw BadInput(std::move(problems));
    }

    Problems problems;
    for (const std::string& o : overrides) apply_override(root, o, problems);

    Scenario s;
    TableReader reader(&root, "", problems, source);
    read_run(reader, s.run, problems);
    read_population(reader, s.population, problems);
    read_lifecycle(reader, s.lifecycle, problems);
    read_sentiment(reader, s.sentiment);
    read_economics(reader, s.economics);
    read_acquisition(reader, s.acquisition, s.run, problems);
    read_strategies(reader, s);
    reader.finish();

    const bool buys_customers =
        std::any_of(s.acquisition.channels.begin(), s.acquisition.channels.end(),
                    [](const ChannelConfig& c) { return c.spend_per_week_cents > 0.0; });
    if (s.population.initial_customers == 0 && !buys_customers) {
        TableReader population = reader.table("population");
        population.problem("initial_customers",
                           "the scenario has no customers: initial_customers is 0 and no "
                           "acquisition channel has spend_per_week_cents > 0");
    }

    if (!problems.empty()) {
        sort_problems(problems, source_name, overrides);
        throw BadInput(std::move(problems));
    }
    s.source_name = source;
    s.source_text = std::string(text);
    s.overrides = overrides;
    return s;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
    const auto fail = [&](const std::string& why) {
        Problem p;
        p.file = path;
        p.message = "cannot read scenario file: " + why;
        Problems problems;
        problems.add(std::move(p));
        return BadInput(std::move(problems));
    };
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw fail("it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw fail(std::filesystem::exists(path, ec) ? "permission denied or unreadable" : "no such file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw fail("read error");
    return parse_scenario(text.str(), path, overrides);
}

StageThresholdsDays thresholds_in_days(const Scenario& s) {
    const LifecycleConfig& l = s.lifecycle;
    double per_unit = 1.0;
    if (l.threshold_unit == ThresholdUnit::InterpurchaseTimes) {
        if (!s.population.behaviour) throw RuntimeFailure("thresholds_in_days: scenario has no behaviour model");
        per_unit = s.population.behaviour->mean_interpurchase_days();
    }
    StageThresholdsDays d;
    d.welcome = l.welcome_days;
    d.lapsed = l.lapsed_after * per_unit;
    d.inactive = l.inactive_after * per_unit;
    d.lost = l.lost_after * per_unit;
    d.won_back = l.won_back_days;
    d.unhappy = l.unhappy_days;
    d.at_risk = l.at_risk_days;
    return d;
}

}  // namespace retsim
