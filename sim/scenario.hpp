// A scenario: one what-if, read from TOML into typed, checked settings. Customer behaviour
// comes from a model chosen by name (see models/registry.hpp); the engine sees only the
// Behaviour interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/behaviour.hpp"
#include "sim/problems.hpp"
#include "sim/strategy.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

/// [run]: size of the simulated window and the random-number identity of the run.
struct RunConfig {
    double horizon_days = 546.0;  ///< simulated window [0, horizon_days)
    double step_days = 7.0;       ///< decision epoch: the firm looks and acts once a step
    std::uint64_t seed = 1;       ///< with replicate, keys every random draw
    std::uint64_t replicate = 0;  ///< replicate number: same seed, independent draws
};

/// [population]: who the customers are and how they behave.
struct PopulationConfig {
    std::uint64_t initial_customers = 100'000;  ///< customer base at day 0
    double history_days = 0.0;  ///< initial customers' first purchases spread over [-history_days, 0]
    std::string model = "bgnbd";               ///< registry name of the behaviour model
    std::shared_ptr<const Behaviour> behaviour;  ///< built from [population.<model>] and [population.spend]
};

/// How lifecycle thresholds are expressed.
enum class ThresholdUnit { Days, InterpurchaseTimes };

/// [lifecycle]: the firm's stage rules.
struct LifecycleConfig {
    ThresholdUnit threshold_unit = ThresholdUnit::Days;
    double welcome_days = 30.0;    ///< a customer is "new" this long after the first purchase
    double lapsed_after = 90.0;    ///< recency (in threshold_unit) from which a customer is lapsed
    double inactive_after = 180.0; ///< recency from which a customer is inactive
    double lost_after = 365.0;     ///< recency from which a customer is counted lost
    double won_back_days = 90.0;   ///< a returning lapsed/inactive/lost customer stays "won back" this long
    double unhappy_days = 90.0;    ///< a complaint marks a customer unhappy this long
    double at_risk_days = 60.0;    ///< a risk signal marks a customer at risk this long
    double silent_attrition_factor = 0.0;  ///< recency above this many own mean gaps: silent attrition; 0 = off
};

/// [service] and [attrition]: the truth of satisfaction and intent to leave (sim/sentiment.hpp).
struct SentimentConfig {
    // [service]
    double failure_rate_per_year = 0.0;     ///< service failures per customer-year while alive
    double complaint_probability = 0.3;     ///< P(an unhappy customer complains: the firm sees it)
    double unhappy_recovery_days = 60.0;    ///< mean time an unhappy customer takes to get over it
    double unhappy_rate_multiplier = 0.8;   ///< purchase rate while unhappy
    double unhappy_risk_multiplier = 2.0;   ///< risk of leaving while unhappy
    // [attrition]
    double considering_rate_per_year = 0.0;      ///< content customers starting to consider leaving
    double unhappy_considering_multiplier = 4.0; ///< that rate for unhappy customers, as a multiple
    double considering_days = 60.0;              ///< mean time spent considering before deciding
    double switch_probability = 0.5;             ///< P(a considering customer switches to a competitor)
    double switching_days = 30.0;                ///< mean time from choosing a competitor to leaving
    double considering_rate_multiplier = 0.6;    ///< purchase rate while considering (silent attrition)
    double switching_rate_multiplier = 0.3;      ///< purchase rate while switching
    double considering_signal_per_week = 0.05;   ///< P(the firm sees a considering customer's signal) per week
    double switching_signal_per_week = 0.3;      ///< P(the firm sees a switching customer's signal) per week
    [[nodiscard]] bool enabled() const { return failure_rate_per_year > 0.0 || considering_rate_per_year > 0.0; }
};

/// [economics]
struct EconomicsConfig {
    double margin_fraction = 0.3;       ///< gross margin as a fraction of revenue
    double annual_discount_rate = 0.1;  ///< for discounted profit and CLV; factor (1+rate)^(-days/365)
    std::int64_t fixed_cost_per_week_cents = 0;  ///< operating cost independent of customers
};

/// One [[acquisition.channels]] entry: spend buys customers with diminishing returns.
/// Expected customers per step: n = m * (1 - exp(-S / (m * c))), with S the spend per step,
/// m the saturation per step and c the cost per customer at low volume; the average cost
/// per acquired customer S/n rises with volume.
struct ChannelConfig {
    std::string name;
    double spend_per_week_cents = 0.0;
    double cost_per_customer_cents = 5'000.0;
    double max_customers_per_week = 1'000.0;
    double start_day = 0.0;
    double end_day = 1e300;  ///< default: the horizon
    // The channel's own customer mix: its customers' traits against the population's.
    double rate_multiplier = 1.0;   ///< purchase rate
    double risk_multiplier = 1.0;   ///< dropout, churn or hazard of leaving
    double spend_multiplier = 1.0;  ///< mean spend per purchase
};

/// [acquisition]
struct AcquisitionConfig {
    double cohort_days = 28.0;  ///< acquired customers are grouped into cohorts of this many days
    std::vector<ChannelConfig> channels;
};

/// A complete, checked scenario. Only produced by load_scenario / parse_scenario.
struct Scenario {
    RunConfig run;
    PopulationConfig population;
    LifecycleConfig lifecycle;
    SentimentConfig sentiment;
    EconomicsConfig economics;
    AcquisitionConfig acquisition;
    std::vector<StrategyConfig> strategies;  ///< [[strategies]], in priority order
    std::string source_name;  ///< file path, or "<built-in default>"
    std::string source_text;  ///< the TOML text as given (overrides listed in `overrides`)
    std::vector<std::string> overrides;  ///< the --set KEY=VALUE strings, in order
};

/// The built-in default scenario's TOML text (scenarios/default.toml, compiled in).
[[nodiscard]] std::string_view default_scenario_text();

/// Parses and checks a scenario. `overrides` are "dotted.key=value" strings (value in TOML
/// syntax, bare words taken as strings) applied before checking. Throws BadInput listing
/// every problem, each with file:line:column and key path.
[[nodiscard]] Scenario parse_scenario(std::string_view text, std::string_view source_name,
                                      const std::vector<std::string>& overrides = {});

/// Reads the file and calls parse_scenario. Throws BadInput when it cannot be read.
[[nodiscard]] Scenario load_scenario(const std::string& path,
                                     const std::vector<std::string>& overrides = {});

/// Reads the coefficients of a [propensity] table (keys intercept, recency, frequency,
/// monetary, tenure; each in [-1000, 1000]) into `m`; absent keys keep their value. Shared by
/// [strategies.propensity] and `retsim score --propensity-file`.
void read_propensity(TableReader& t, PropensityModel& m);

/// Lifecycle thresholds in days (interpurchase-time multiples converted with the model's
/// mean interpurchase time).
struct StageThresholdsDays {
    double welcome = 0, lapsed = 0, inactive = 0, lost = 0, won_back = 0, unhappy = 0, at_risk = 0;
};
[[nodiscard]] StageThresholdsDays thresholds_in_days(const Scenario& s);

}  // namespace retsim
