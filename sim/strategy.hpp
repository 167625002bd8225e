// Retention strategies as the scenario declares them ([[strategies]]): who is eligible, who is
// held out, what a contact costs, how customers respond and what a response changes. The
// engine (sim/strategies.cpp) runs them at every decision epoch on the firm's view only; the
// truth is used for reporting (for example money spent on customers who had already left).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "models/scoring.hpp"
#include "sim/lifecycle.hpp"

namespace retsim {

/// What a strategy does to a customer who responds.
enum class StrategyKind {
    Contact,  ///< an offer or message with an effect: welcome, up-sell, newsletter, save, renewal, recovery
    WinBack,  ///< a contact whose incentive may bring back a customer who has left (truth)
    Reward,   ///< a reward program: responders join, earn points, redeem rewards
};

/// The firm-view score a strategy filters and ranks customers by.
enum class TargetScore {
    None,             ///< no score: every eligible customer, in key order
    PAlive,           ///< P(alive) from the population's model, fitted by the firm
    PredictedMargin,  ///< discounted expected margin over value_horizon_weeks, cents
    SpendPerWeek,     ///< historical spend per week of tenure, cents (no model needed)
    Propensity,       ///< logistic response propensity on firm-view features ([strategies.propensity])
};

/// Names of StrategyKind values, in enum order: the scenario's `kind` and the results' kind.
inline constexpr std::array<std::string_view, 3> kStrategyKindNames = {"contact", "win_back", "reward"};

/// Change of behaviour of a responder, for effect_days (rounded up to whole decision epochs).
/// Several active effects multiply.
struct EffectConfig {
    double rate_multiplier = 1.0;   ///< purchase rate
    double risk_multiplier = 1.0;   ///< dropout probability, churn probability or hazard of leaving
    double spend_multiplier = 1.0;  ///< spend per purchase (up-sell, cross-sell)
    double effect_days = 28.0;
    double revive_probability = 0.0;  ///< win-back: P(a contacted customer who has left comes back)
    bool restores_content = false;    ///< a responder's mood becomes content (save, service recovery)
    /// Contact fatigue: risk multiplier of every contacted customer (responder or not) for
    /// effect_days after a contact.
    double fatigue_risk_multiplier = 1.0;
    double unsubscribe_probability = 0.0;  ///< P(a contacted customer opts out of this strategy for good)
};

/// A tier of a reward program: members whose points earned per year of membership reach
/// min_points_per_year earn points faster and buy faster.
struct RewardTier {
    std::string name;
    double min_points_per_year = 0.0;
    double earn_multiplier = 1.0;
    double rate_multiplier = 1.0;
};

/// [strategies.reward] of a reward program.
struct RewardConfig {
    std::int64_t points_per_purchase = 1;       ///< stamps per purchase
    double points_per_currency_unit = 0.0;      ///< points per 100 cents spent (fractions dropped per epoch)
    std::int64_t reward_threshold_points = 10;  ///< points per reward
    std::int64_t reward_cost_cents = 300;       ///< cost of one reward to the firm (at cost)
    double redemption_probability = 1.0;        ///< P(an earned reward is claimed at an epoch)
    double expiry_days = 0.0;                   ///< points expire after this long without a purchase; 0 = never
    double goal_gradient = 0.0;  ///< members buy faster near a reward: rate x (1 + goal_gradient x progress)
    std::int64_t fee_per_year_cents = 0;  ///< membership fee (members-only club), charged per epoch pro rata
    std::vector<RewardTier> tiers;        ///< ascending min_points_per_year
    double rebate_fraction = 0.0;         ///< volume rebate: this fraction of a member's spend in a rebate period
    std::int64_t rebate_threshold_cents = 0;  ///< paid only when the period's spend reaches this
    double rebate_period_days = 365.0;
};

/// Most strategies a scenario may have (per-customer flags are bit sets).
inline constexpr std::size_t kMaxStrategies = 32;

struct StrategyConfig {
    std::string name;
    StrategyKind kind = StrategyKind::Contact;
    std::vector<Stage> stages;  ///< eligible firm-view stages
    double min_tenure_days = 0.0;
    double start_day = 0.0;
    double end_day = std::numeric_limits<double>::infinity();
    TargetScore score = TargetScore::None;
    double score_min = -std::numeric_limits<double>::infinity();
    double score_max = std::numeric_limits<double>::infinity();
    double top_fraction = 1.0;       ///< only the top fraction of eligible customers by score
    double value_horizon_weeks = 52.0;  ///< horizon of predicted_margin
    double holdout_fraction = 0.0;   ///< random control group, never contacted
    double budget_per_week_cents = std::numeric_limits<double>::infinity();  ///< cap, per epoch pro rata
    std::int64_t fixed_cost_per_week_cents = 0;
    std::int64_t cost_per_contact_cents = 0;
    std::int64_t cost_per_incentive_cents = 0;  ///< paid for each responder (the incentive taken up)
    double contact_every_days = 28.0;           ///< least time between two contacts of one customer
    std::int64_t max_contacts = 1'000'000;      ///< per customer, over the run
    double response_probability = 0.1;          ///< truth: P(a contacted customer who is alive responds)
    double switching_response_multiplier = 1.0; ///< response of customers already switching, as a multiple
    /// Customers differ in how much this strategy's offers move them: each has a lasting
    /// sensitivity s ~ U(0, 1) to it (its own keyed draw), and responds with the response
    /// probability times (1 - h + 2 h s), h = response_heterogeneity: mean 1, from 1 - h to 1 + h.
    double response_heterogeneity = 0.0;
    double max_incentive_fraction_of_value = 0.0;  ///< win-back cap: incentive <= this x predicted margin; 0 = off
    PropensityModel propensity;  ///< score = "propensity" (models/scoring.hpp): also the true response probability
    double before_renewal_days = -1.0;  ///< contracts: eligible within this many days before the next renewal; <0 off
    double after_renewal_days = -1.0;   ///< contracts: eligible within this many days after the last renewal; <0 off
    EffectConfig effect;
    RewardConfig reward;  ///< kind = reward only
};

}  // namespace retsim
