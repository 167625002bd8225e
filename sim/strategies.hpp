// Running the scenario's strategies at decision epochs (configuration in sim/strategy.hpp).
//
// At the end of every step the engine asks, block by block, which customers each strategy
// may reach (eligibility on the firm's view: stage, tenure, contact spacing, score); the
// candidates of strategies with a budget cap or a top fraction are then ranked across the
// whole population in one deterministic serial phase (score descending, customer key
// ascending), and the chosen ones are acted on, block by block again: held-out customers are
// only recorded; the others are contacted (costs), respond by their own keyed draw, and
// responders get the strategy's effect (multipliers of rate, risk and spend through
// Behaviour::influence) or join the reward program. Every draw is keyed by customer, strategy
// and step, so results do not depend on the thread count or the block order.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/behaviour.hpp"
#include "sim/population.hpp"
#include "sim/scenario.hpp"
#include "sim/sentiment.hpp"

namespace retsim {

/// Exact integer tallies of one strategy in one step.
struct StrategyTally {
    std::int64_t candidates = 0;  ///< eligible customers considered (holdout included)
    std::int64_t held_out = 0;    ///< chosen but in the control group: not contacted
    std::int64_t contacts = 0;
    std::int64_t contacts_on_gone = 0;  ///< contacts of customers who had already left (truth)
    std::int64_t unsubscribed = 0;      ///< contacted customers who opted out
    std::int64_t responses = 0;
    std::int64_t revived = 0;  ///< win-back: customers who had left and came back
    std::int64_t contact_cost_cents = 0;
    std::int64_t incentive_cost_cents = 0;
    std::int64_t redemption_cost_cents = 0;
    std::int64_t rebate_cost_cents = 0;  ///< volume rebates paid
    std::int64_t fixed_cost_cents = 0;
    std::int64_t spent_on_gone_cents = 0;  ///< contact cost of customers already gone
    std::int64_t fee_income_cents = 0;     ///< membership fees
    std::int64_t points_issued = 0;
    std::int64_t points_redeemed = 0;
    std::int64_t points_expired = 0;
    std::int64_t rewards_redeemed = 0;
    std::int64_t members = 0;             ///< at the epoch
    std::int64_t points_outstanding = 0;  ///< at the epoch
    std::int64_t rebates_accrued_cents = 0;  ///< at the epoch: rebates earned in open periods (threshold reached)
    // Revenue since first chosen, of the chosen customers, at the epoch: treated and control.
    std::int64_t treated = 0, control = 0;
    std::int64_t treated_revenue_cents = 0, control_revenue_cents = 0;

    [[nodiscard]] std::int64_t cost_cents() const {
        return contact_cost_cents + incentive_cost_cents + redemption_cost_cents + rebate_cost_cents + fixed_cost_cents;
    }
    void add(const StrategyTally& o);
};

/// Exact sums of squared cents (up to about 1.7e38).
__extension__ typedef __int128 WideSum;

/// End-of-run per-customer sums for the incremental comparison of one strategy.
struct StrategyOutcome {
    std::int64_t treated = 0, control = 0;
    std::int64_t treated_alive = 0, control_alive = 0;  ///< truth at the end
    std::int64_t treated_revenue_cents = 0, control_revenue_cents = 0;
    WideSum treated_revenue_sq = 0, control_revenue_sq = 0;  ///< sums of squares, exact
    void add(const StrategyOutcome& o);
};

/// A customer a strategy may reach at this epoch.
struct Candidate {
    double score;
    std::uint64_t key;
    std::uint32_t index;  ///< customer index
    bool holdout;
    bool chosen;
};

/// Fixed costs of the step of length step_days starting at step_start, into tally[k].
void fixed_strategy_costs(const std::vector<StrategyConfig>& strategies, double step_start, double step_days,
                          std::vector<StrategyTally>& tally);

class StrategyRunner {
public:
    /// Keeps state for customers [first, first + customers). `moods`: the sentiment
    /// multipliers, or null when the scenario has no sentiment.
    StrategyRunner(const Scenario& sc, const Behaviour& model, std::size_t first, std::size_t customers,
                   const MoodMultipliers* moods);

    [[nodiscard]] std::size_t count() const { return strategies_.size(); }
    /// Bytes of strategy state per customer.
    [[nodiscard]] std::size_t bytes_per_customer() const;
    /// True when some strategy ranks or budgets across the population: the engine must then
    /// run all blocks step by step with select() in between.
    [[nodiscard]] bool needs_selection() const { return needs_selection_; }

    /// Sets the state of customers [begin, end) that start now.
    void start_customers(Population& pop, std::size_t begin, std::size_t end);

    /// Epoch `now` of step s for customers [begin, end) of one block (already classified):
    /// reward accrual, then each strategy's candidates, appended to candidates[k]. Strategies
    /// that need no global selection choose their candidates here.
    void evaluate(Population& pop, std::size_t begin, std::size_t end, std::size_t step, double now,
                  double step_days, std::vector<std::vector<Candidate>>& candidates,
                  std::vector<StrategyTally>& tally);

    /// Copies of the candidates of the strategies that rank or budget across the population
    /// ([strategy]; empty for the others): what other shards of a run need to choose alike.
    [[nodiscard]] std::vector<std::vector<Candidate>> ranked_candidates(
        const std::vector<std::vector<std::vector<Candidate>>*>& per_block) const;

    /// Serial phase: ranks and budgets the candidates of every block ([block][strategy]).
    /// The choice depends only on the set of candidates (scores, keys, holdout), not on how
    /// they are split into blocks or shards.
    void select(std::vector<std::vector<std::vector<Candidate>>*>& per_block, double step_days) const;

    /// Acts on the chosen candidates of one block and updates its customers' multipliers.
    /// `counts` (the block's stage-by-truth counts) moves revived customers from gone to alive.
    void act(Population& pop, std::size_t begin, std::size_t end, std::size_t step, double now,
             const std::vector<std::vector<Candidate>>& candidates,
             std::array<std::int64_t, kStageCount * kTruthCount>& counts, std::vector<StrategyTally>& tally);

    /// Recomputes customer i's multipliers at `now` from its mood and its active effects.
    void refresh_multipliers(Population& pop, std::size_t i, double now);
    /// The same for each customer listed, in order.
    void refresh_multipliers(Population& pop, std::span<const std::uint32_t> customers, double now);

    /// Incremental-comparison sums of customers [begin, end) at the end of the run.
    void outcomes(const Population& pop, std::size_t begin, std::size_t end, double now,
                  std::vector<StrategyOutcome>& out) const;

private:
    /// A reward program's per-customer state; a column a program's settings do not use is
    /// not allocated.
    struct RewardState {
        bool by_spend = false;  ///< points per currency unit or rebates: spend since the last accrual counts
        bool tiers = false;
        bool rebates = false;
        Column<std::int32_t> points;
        Column<std::uint32_t> seen_purchases;
        Column<std::int64_t> seen_spend;         ///< by_spend only
        Column<std::int64_t> earned_total;       ///< points earned since joining (tiers only)
        Column<float> joined_day;                ///< tiers only
        Column<float> period_start_day;          ///< current rebate period (rebates only)
        Column<std::int64_t> period_spend_start; ///< spend_cents when the rebate period began (rebates only)
    };
    struct PerStrategy {
        Column<float> last_contact_day;  ///< -inf: never contacted
        Column<float> effect_until_day;  ///< effect active while now < this; for rewards: member when finite
        Column<std::int64_t> base_spend;  ///< spend_cents when first chosen (valid with kChosen)
        Column<std::uint8_t> arm;         ///< kControl and kChosen bits
        Column<std::uint16_t> contacts;
        std::int64_t reward_slot = -1;   ///< index into rewards_ for kind = reward
    };

    static constexpr std::uint8_t kControl = 1;  ///< in the holdout (drawn when the customer starts)
    static constexpr std::uint8_t kChosen = 2;   ///< chosen at least once: in the comparison
    static constexpr std::uint8_t kUnsubscribed = 4;  ///< opted out: never contacted again

    /// A customer's multipliers (see Population) and the day they next need a refresh.
    struct Multipliers {
        float rate, risk, spend, refresh_day;
    };
    [[nodiscard]] Multipliers multipliers(const Population& pop, std::size_t i, double now) const;
    void apply(Population& pop, std::size_t i, double now, const Multipliers& m);

    [[nodiscard]] std::size_t tier_of(const StrategyConfig& st, const RewardState& r, std::size_t i, double now) const;

    [[nodiscard]] double score(const Population& pop, std::size_t i, const StrategyConfig& st, double now) const;
    /// Points expire for a member whose last purchase is on or before `expire_by` (NaN: never).
    void accrue_rewards(Population& pop, std::size_t i, std::size_t k, std::size_t step, double now,
                        double step_days, float expire_by, StrategyTally& t);

    const Scenario& sc_;
    const Behaviour& model_;
    const MoodMultipliers* moods_;
    std::vector<StrategyConfig> strategies_;
    std::vector<PerStrategy> state_;
    std::vector<RewardState> rewards_;
    /// Per customer: the first day its multipliers can change with time alone (an effect or a
    /// fatigue window ends, a tier is reviewed); +inf when nothing pending. Everything else that
    /// moves them (a contact, a mood, points) refreshes the customer at once, so the epoch
    /// refresh visits only customers whose day has come.
    Column<float> refresh_day_;
    bool needs_selection_ = false;
};

}  // namespace retsim
