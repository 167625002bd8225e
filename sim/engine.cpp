// The simulation engine (overview in engine.hpp).
//
// Layout: customers are stored in groups that share a cohort and a channel (initial base
// first, then each acquisition cohort, channel by channel); within an acquisition group they
// are ordered by arrival step. Groups are cut into blocks that never straddle a group, so a
// block's tallies belong to one cohort row. Each block runs through every step on one thread
// while its state stays in cache. All tallies are integers, so the reduction is exact and
// independent of the order in which blocks finish.
#include "sim/engine.hpp"

#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include "models/samplers.hpp"
#include "sim/parallel.hpp"
#include "sim/sentiment.hpp"
#include "sim/strategies.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

/// Integer tallies of one (group, step) cell.
struct StepTally {
    std::int64_t purchases = 0;
    std::int64_t repeat_purchases = 0;
    std::int64_t revenue_cents = 0;
    std::int64_t margin_cents = 0;
    std::int64_t acquired = 0;
    std::array<std::int64_t, kStageCount * kTruthCount> stage_truth{};
    SentimentTally sentiment;

    void add_purchases(const PurchaseSink& s) {
        purchases += s.purchases;
        repeat_purchases += s.repeat_purchases;
        revenue_cents += s.revenue_cents;
        margin_cents += s.margin_cents;
    }
    void add_sentiment(const SentimentTally& o) {
        sentiment.service_failures += o.service_failures;
        sentiment.complaints += o.complaints;
        sentiment.started_considering += o.started_considering;
        sentiment.started_switching += o.started_switching;
        sentiment.departures += o.departures;
        sentiment.signals += o.signals;
    }
    void add(const StepTally& o) {
        add_sentiment(o.sentiment);
        purchases += o.purchases;
        repeat_purchases += o.repeat_purchases;
        revenue_cents += o.revenue_cents;
        margin_cents += o.margin_cents;
        acquired += o.acquired;
        for (std::size_t k = 0; k < stage_truth.size(); ++k) stage_truth[k] += o.stage_truth[k];
    }
};

/// Customers of one channel arriving in one step, stored at [begin, begin + count).
struct ArrivalRun {
    std::size_t step;
    std::size_t begin;
    std::uint64_t count;
};

struct Group {
    std::int32_t cohort;   ///< 0 = initial base
    std::int32_t channel;  ///< -1 = initial base
    double start_day;
    std::size_t begin = 0, end = 0;
    std::int64_t acquisition_cost_cents = 0;
    std::vector<ArrivalRun> runs;  ///< empty for the initial base
};

struct Block {
    std::size_t group;
    std::size_t begin, end;
};

/// Everything decided before customers are simulated.
struct Plan {
    std::size_t steps = 0;
    std::vector<double> step_end_day;   ///< end of step s (the last step ends at the horizon)
    std::vector<double> step_length_days;
    std::vector<Group> groups;
    std::vector<Block> blocks;
    std::vector<std::vector<std::int64_t>> channel_spend_cents;  ///< [channel][step]
    std::vector<std::vector<std::uint64_t>> channel_arrivals;    ///< [channel][step]
    std::size_t customers = 0;
    double customer_days = 0;  ///< simulated customer-days within the horizon
};

double step_start(const Plan& plan, std::size_t s) { return s == 0 ? 0.0 : plan.step_end_day[s - 1]; }

Plan make_plan(const Scenario& sc, const RandomKey& rk) {
    Plan plan;
    const double horizon = sc.run.horizon_days;
    plan.steps = std::size_t(std::ceil(horizon / sc.run.step_days - 1e-9));
    if (plan.steps == 0) plan.steps = 1;
    if (plan.steps >= kMaxSteps) throw BadInput("run.horizon_days / run.step_days gives more than 2^20 steps");
    for (std::size_t s = 0; s < plan.steps; ++s) {
        const double end = std::min(horizon, double(s + 1) * sc.run.step_days);
        plan.step_end_day.push_back(end);
        plan.step_length_days.push_back(end - step_start(plan, s));
    }

    // Arrivals per channel and step: Poisson around the channel's response curve.
    const auto& channels = sc.acquisition.channels;
    plan.channel_spend_cents.assign(channels.size(), std::vector<std::int64_t>(plan.steps, 0));
    plan.channel_arrivals.assign(channels.size(), std::vector<std::uint64_t>(plan.steps, 0));
    for (std::size_t c = 0; c < channels.size(); ++c) {
        const ChannelConfig& ch = channels[c];
        for (std::size_t s = 0; s < plan.steps; ++s) {
            const double start = step_start(plan, s);
            if (start < ch.start_day || start >= std::min(ch.end_day, horizon)) continue;
            const double weeks = plan.step_length_days[s] / 7.0;
            const double spend = ch.spend_per_week_cents * weeks;
            if (spend <= 0.0) continue;
            const double saturation = ch.max_customers_per_week * weeks;
            const double mean = saturation * -std::expm1(-spend / (saturation * ch.cost_per_customer_cents));
            Draws d(rk, c, Stream::Arrivals, s);
            const std::uint64_t n = poisson_variate(d, mean);
            if (n >= kMaxArrivalsPerStep) {
                throw BadInput("acquisition.channels." + ch.name +
                               ": more than 2^24 customers acquired in one step; shorten run.step_days");
            }
            plan.channel_spend_cents[c][s] = std::llround(spend);
            plan.channel_arrivals[c][s] = n;
        }
    }

    // Groups: the initial base, then each cohort window channel by channel.
    std::size_t next = 0;
    if (sc.population.initial_customers > 0) {
        Group g{0, -1, 0.0, 0, 0, 0, {}};
        g.begin = next;
        next += sc.population.initial_customers;
        g.end = next;
        plan.groups.push_back(g);
        plan.customer_days += double(sc.population.initial_customers) * horizon;
    }
    const double cohort_days = sc.acquisition.cohort_days;
    std::size_t s = 0;
    for (std::int32_t cohort = 1; s < plan.steps; ++cohort) {
        const double window_end = double(cohort) * cohort_days;
        std::size_t s_end = s;
        while (s_end < plan.steps && step_start(plan, s_end) < window_end) ++s_end;
        for (std::size_t c = 0; c < channels.size(); ++c) {
            Group g{cohort, std::int32_t(c), double(cohort - 1) * cohort_days, 0, 0, 0, {}};
            g.begin = next;
            for (std::size_t t = s; t < s_end; ++t) {
                g.acquisition_cost_cents += plan.channel_spend_cents[c][t];
                const std::uint64_t n = plan.channel_arrivals[c][t];
                if (n == 0) continue;
                g.runs.push_back({t, next, n});
                next += n;
                plan.customer_days += double(n) * (horizon - step_start(plan, t) - 0.5 * plan.step_length_days[t]);
            }
            g.end = next;
            if (g.end > g.begin || g.acquisition_cost_cents > 0) plan.groups.push_back(std::move(g));
        }
        s = s_end;
    }
    plan.customers = next;
    if (plan.customers > std::numeric_limits<std::uint32_t>::max()) {
        throw BadInput("the run has " + std::to_string(plan.customers) +
                       " customers (initial and acquired); at most 4294967295 are allowed");
    }

    for (std::size_t gi = 0; gi < plan.groups.size(); ++gi) {
        const Group& g = plan.groups[gi];
        for (std::size_t b = g.begin; b < g.end; b += kBlockCustomers) {
            plan.blocks.push_back({gi, b, std::min(g.end, b + kBlockCustomers)});
        }
    }
    return plan;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Truth at the end of a step: an event at exactly `day` belongs to the next step (models
/// simulate up to but excluding the step end), so a customer is gone once death_day < day.
bool gone_at(float death_day, double day) { return double(death_day) < day; }

/// Reclassifies the customers [begin, end) at `now` and keeps `counts` (stage by truth) current.
/// Customers [newcomers, end) entered during this step and are added to the counts first.
/// Only customers whose stage or truth can have changed are reclassified: those who left (truth)
/// or were cancelled since `prev_now`, whose review day has come, or who bought since then in a
/// stage a purchase ends (lapsed, inactive, lost: won back; silent attrition: active). In any
/// other stage a purchase only moves the first day the stage could change later, so the stored
/// review day comes early and costs a spare classification then instead of one now; except with
/// silent attrition on, where a purchase can bring that day nearer (the mean gap shrinks). An
/// active customer is tested on its recency itself (see below), which spares those classifications.
/// `prev_now` = -inf classifies everyone and rebuilds the counts.
void update_stages(Population& pop, std::size_t begin, std::size_t end, std::size_t newcomers, double prev_now,
                   double now, const StageRules& rules, std::array<std::int64_t, kStageCount * kTruthCount>& counts) {
    const auto cell = [](Stage stage, bool gone) { return std::size_t(stage) * kTruthCount + (gone ? 1 : 0); };
    const bool rebuild = prev_now == -kInf;
    if (rebuild) {
        counts.fill(0);
    } else {
        for (std::size_t i = newcomers; i < end; ++i) counts[cell(pop.stage[i], gone_at(pop.death_day[i], prev_now))] += 1;
    }
    // Pass 1, branch-free so that it vectorises: which customers may have changed. For a float
    // x, x <= t exactly when x <= float_not_above(t), and x < t when x < float_not_below(t).
    std::array<std::uint8_t, kBlockCustomers> candidate;
    const float prev_f = float(prev_now);  // purchases since prev_now are stored at or after this
    const float now_down = float_not_above(now);
    const float now_up = float_not_below(now);
    const float prev_up = rebuild ? -std::numeric_limits<float>::infinity() : float_not_below(prev_now);
    const float* last = pop.last_purchase_day.at(begin);
    const float* review = pop.review_day.at(begin);
    const float* death_day = pop.death_day.at(begin);
    const Stage* stage = pop.stage.at(begin);
    const bool sentiment = pop.has_sentiment();
    const bool any_purchase = rules.silent_attrition_factor > 0.0;
    static_assert(unsigned(Stage::Inactive) == unsigned(Stage::Lapsed) + 1 &&
                  unsigned(Stage::Lost) == unsigned(Stage::Lapsed) + 2);
    // An active customer (without silent attrition or observed churn) stays active until its
    // recency reaches lapsed_days, or a complaint or a risk signal (seen this step, at
    // prev_now) reclassifies it: its review day, set from an older last purchase, is not
    // needed, and testing recency instead spares the classification of a regular who bought
    // since. Recency reaches lapsed_days exactly when the last purchase is on or before lapse_by.
    const bool active_by_recency = !any_purchase && !rules.churn_observed;
    const float lapse_by = latest_at_least(now, rules.lapsed_days);
    const std::size_t old_end = rebuild ? begin : newcomers;
    const auto flag_candidates = [&](auto with_events) {
        const float* complaint = with_events ? pop.complaint_day.at(begin) : nullptr;
        const float* signal = with_events ? pop.signal_day.at(begin) : nullptr;
        for (std::size_t j = 0; j < old_end - begin; ++j) {
            const auto s = std::uint8_t(stage[j]);
            const bool ended_by_purchase = any_purchase | (std::uint8_t(s - std::uint8_t(Stage::Lapsed)) <= 2) |
                                           (s == std::uint8_t(Stage::SilentAttrition));
            bool active_due = last[j] <= lapse_by;
            if constexpr (with_events) active_due |= (complaint[j] >= prev_f) | (signal[j] >= prev_f);
            const bool by_recency = active_by_recency & (s == std::uint8_t(Stage::Active));
            const bool review_due = (by_recency & active_due) | (!by_recency & (review[j] <= now_down));
            candidate[j] = std::uint8_t(((last[j] >= prev_f) & ended_by_purchase) | review_due |
                                        ((death_day[j] < now_up) != (death_day[j] < prev_up)));
        }
    };
    if (sentiment) {
        flag_candidates(std::true_type{});
    } else {
        flag_candidates(std::false_type{});
    }
    for (std::size_t j = old_end - begin; j < end - begin; ++j) candidate[j] = 1;

    // Pass 2: list the candidates, skipping eight unchanged customers at a time (few change in
    // a quiet population) and listing the others without a branch (many change in a busy one).
    const std::size_t count = end - begin;
    const std::size_t padded = (count + 7) / 8 * 8;
    std::fill(candidate.begin() + std::ptrdiff_t(count), candidate.begin() + std::ptrdiff_t(padded), std::uint8_t{0});
    std::array<std::uint16_t, kBlockCustomers> listed;
    static_assert(kBlockCustomers <= 65536 && kBlockCustomers % 8 == 0);
    std::size_t n_listed = 0;
    for (std::size_t j = 0; j < padded; j += 8) {
        std::uint64_t word;
        std::memcpy(&word, &candidate[j], sizeof word);
        if (word == 0) continue;
        for (std::size_t b = j; b < j + 8; ++b) {
            listed[n_listed] = std::uint16_t(b);
            n_listed += candidate[b];
        }
    }
    // Pass 3: classify them.
    for (std::size_t q = 0; q < n_listed; ++q) {
        const std::size_t i = begin + listed[q];
        const bool gone = gone_at(pop.death_day[i], now);
        const bool gone_before = gone_at(pop.death_day[i], prev_now);
        StageInput in{now, pop.birth_day[i], pop.last_purchase_day[i], pop.stage_since_day[i], pop.stage[i], gone};
        in.repeat_purchases = pop.repeat_purchases[i];
        if (sentiment) {
            in.complaint_day = pop.complaint_day[i];
            in.signal_day = pop.signal_day[i];
            in.signal_switching = (pop.mood[i] & kSignalSwitchingBit) != 0;
        }
        const StageOutput out = classify(in, rules);
        if (!rebuild) counts[cell(pop.stage[i], gone_before)] -= 1;
        counts[cell(out.stage, gone)] += 1;
        pop.stage[i] = out.stage;
        pop.stage_since_day[i] = float(out.since_day);
        pop.review_day[i] = float_not_above(out.review_day);
    }
}

/// Where one block is in the run: which of its customers have started, and its running
/// stage-by-truth counts. Lets the engine run a block through all steps at once (no strategy
/// ranks across blocks) or all blocks one step at a time (strategies rank or budget globally).
struct BlockState {
    std::size_t started_end = 0;  ///< customers [block.begin, started_end) are born
    std::size_t run = 0;          ///< next arrival run of the group to start
    std::size_t first_step = 0;
    double prev_now = 0.0;
    std::array<std::int64_t, kStageCount * kTruthCount> counts{};
    std::vector<std::vector<Candidate>> candidates;  ///< [strategy], this step's
    std::vector<std::uint32_t> changed;              ///< customers whose mood changed this step
};

/// Everything a block step needs that is the same for all blocks.
struct StepContext {
    const Scenario& sc;
    const Plan& plan;
    const StageRules& rules;
    RandomKey rk;
    Population& pop;
    StrategyRunner* strategies;  ///< null without strategies
    const MoodMultipliers* moods;  ///< null without sentiment
    Progress* progress;
    bool reclassify_all;
};

/// Per-customer state of strategies and sentiment for customers [begin, end) that start now.
void start_customer_state(const StepContext& c, std::size_t begin, std::size_t end) {
    Population& pop = c.pop;
    if (pop.influenced()) {
        pop.rate_mult.fill(begin, end, 1.0f);
        pop.risk_mult.fill(begin, end, 1.0f);
        pop.spend_mult.fill(begin, end, 1.0f);
    }
    if (pop.has_sentiment()) start_sentiment(c.rk, pop, begin, end);
    if (c.strategies != nullptr) c.strategies->start_customers(pop, begin, end);
}

/// Starts a block: the initial base is born (and bought its first purchase) before step 0.
void begin_block(const StepContext& c, const Block& block, BlockState& st, StepTally& first_cell) {
    const Behaviour& model = *c.sc.population.behaviour;
    const Group& group = c.plan.groups[block.group];
    Population& pop = c.pop;
    st.started_end = block.begin;
    st.run = 0;
    st.first_step = 0;
    if (c.strategies != nullptr) st.candidates.resize(c.strategies->count());
    if (group.channel < 0) {
        const double history = c.sc.population.history_days;
        for (std::size_t i = block.begin; i < block.end; ++i) {
            pop.key[i] = initial_customer_key(i);
            pop.birth_day[i] =
                history > 0.0 ? float(-history * Draws(c.rk, pop.key[i], Stream::Birth, 0).uniform()) : 0.0f;
        }
        start_customer_state(c, block.begin, block.end);
        PurchaseSink day_zero{c.sc.economics.margin_fraction};
        if (history > 0.0) {
            // Purchases before day 0 shape the firm's view but are outside the accounts.
            model.start_with_history(pop, block.begin, block.end, 0.0, c.rk);
        } else {
            model.start(pop, block.begin, block.end, c.rk, day_zero);
        }
        first_cell.add_purchases(day_zero);
        st.started_end = block.end;
    } else {
        while (group.runs[st.run].begin + group.runs[st.run].count <= block.begin) ++st.run;
        st.first_step = group.runs[st.run].step;
    }
    st.prev_now = step_start(c.plan, st.first_step);
}

/// Runs step s of one block: arrivals, purchases up to the step end, stages, and the
/// strategies' evaluation (and their action too, when no strategy ranks across blocks).
void step_block(const StepContext& c, const Block& block, std::size_t s, BlockState& st, StepTally& cell,
                std::vector<StrategyTally>& strategy_tally) {
    if (s < st.first_step) return;
    const Behaviour& model = *c.sc.population.behaviour;
    const Group& group = c.plan.groups[block.group];
    Population& pop = c.pop;
    PurchaseSink sink{c.sc.economics.margin_fraction};
    const std::size_t newcomers_begin = s == st.first_step ? block.begin : st.started_end;
    if (c.moods != nullptr && st.started_end > block.begin) {
        // Moods move at the start of the step, for the customers already there.
        const double start = step_start(c.plan, s);
        std::vector<std::uint32_t>& changed = st.changed;
        changed.clear();
        SentimentTally moods;
        update_sentiment(c.sc.sentiment, c.rk, pop, block.begin, st.started_end, s, start, c.plan.step_end_day[s],
                         changed, moods);
        cell.add_sentiment(moods);
        for (const std::uint32_t i : changed) {
            if (c.strategies != nullptr) {
                c.strategies->refresh_multipliers(pop, i, start);
            } else {
                const auto m = std::size_t(mood_of(pop, i));
                model.influence(pop, i, start, c.moods->rate[m], c.moods->risk[m], 1.0f);
            }
        }
    }
    // Runs are ordered by step, at most one per step: start this block's share of step s.
    if (st.run < group.runs.size() && group.runs[st.run].step == s) {
        const ArrivalRun& r = group.runs[st.run++];
        const std::size_t lo = std::max(block.begin, r.begin);
        const std::size_t hi = std::min(block.end, r.begin + std::size_t(r.count));
        if (lo < hi) {
            const double start = step_start(c.plan, s);
            for (std::size_t i = lo; i < hi; ++i) {
                pop.key[i] = arrival_customer_key(std::uint64_t(group.channel), s, i - r.begin);
                const double u = Draws(c.rk, pop.key[i], Stream::Birth, 0).uniform();
                pop.birth_day[i] = float(start + u * c.plan.step_length_days[s]);
            }
            start_customer_state(c, lo, hi);
            model.start(pop, lo, hi, c.rk, sink);
            const ChannelConfig& ch = c.sc.acquisition.channels[std::size_t(group.channel)];
            if (ch.rate_multiplier != 1.0 || ch.risk_multiplier != 1.0 || ch.spend_multiplier != 1.0) {
                model.scale_traits(pop, lo, hi, ch.rate_multiplier, ch.risk_multiplier, ch.spend_multiplier);
            }
            cell.acquired += std::int64_t(hi - lo);
            st.started_end = hi;
        }
    }

    const double now = c.plan.step_end_day[s];
    model.advance(pop, block.begin, st.started_end, now, c.rk, sink);
    cell.add_purchases(sink);
    const double since = s == st.first_step || c.reclassify_all ? -kInf : st.prev_now;  // -inf: rebuild
    update_stages(pop, block.begin, st.started_end, newcomers_begin, since, now, c.rules, st.counts);
    cell.stage_truth = st.counts;
    st.prev_now = now;
    if (c.strategies != nullptr) {
        c.strategies->evaluate(pop, block.begin, st.started_end, s, now, c.plan.step_length_days[s], st.candidates,
                               strategy_tally);
        if (!c.strategies->needs_selection()) {
            c.strategies->act(pop, block.begin, st.started_end, s, now, st.candidates, st.counts, strategy_tally);
        }
    }
    if (c.progress != nullptr) {
        c.progress->done_customer_days.fetch_add(double(st.started_end - block.begin) * c.plan.step_length_days[s],
                                                 std::memory_order_relaxed);
    }
}

double discount(double rate, double days) { return std::pow(1.0 + rate, -days / 365.0); }

/// Mean and standard error of the mean of n values from their exact sum and sum of squares.
std::pair<double, double> mean_and_se(std::int64_t n, std::int64_t sum, WideSum sum_sq) {
    if (n == 0) return {std::nan(""), std::nan("")};
    const double mean = double(sum) / double(n);
    if (n < 2) return {mean, std::nan("")};
    // Sum of squared deviations, exact in integers: n * sum_sq - sum^2, over n.
    const WideSum scaled = WideSum(n) * sum_sq - WideSum(sum) * WideSum(sum);
    const double variance = double(scaled) / double(n) / double(n - 1);
    return {mean, std::sqrt(std::max(0.0, variance) / double(n))};
}

/// The per-strategy table: totals, treated against holdout, payback.
StrategyTable strategy_table(const Scenario& sc, const Plan& plan, const std::vector<StrategyTally>& cells,
                             const std::vector<StrategyOutcome>& outcomes) {
    StrategyTable t;
    const std::size_t n = sc.strategies.size(), steps = plan.steps;
    const double margin = sc.economics.margin_fraction;
    constexpr double kZ = 1.959963984540054;  // 95% normal quantile: treated and control are large samples
    for (std::size_t k = 0; k < n; ++k) {
        const StrategyConfig& st = sc.strategies[k];
        StrategyTally total;
        double cumulative_cost = 0.0, payback = std::nan("");
        for (std::size_t s = 0; s < steps; ++s) {
            const StrategyTally& c = cells[s * n + k];
            total.add(c);
            cumulative_cost += double(c.cost_cents() - c.fee_income_cents);
            t.cost_by_step_cents.push_back(c.cost_cents());
            t.contacts_by_step.push_back(c.contacts);
            t.responses_by_step.push_back(c.responses);
            t.members_by_step.push_back(c.members);
            t.points_outstanding_by_step.push_back(c.points_outstanding);
            t.liability_by_step_cents.push_back(double(c.points_outstanding) * double(st.reward.reward_cost_cents) /
                                                    double(st.reward.reward_threshold_points) +
                                                double(c.rebates_accrued_cents));
            double incremental = std::nan("");
            if (c.treated > 0 && c.control > 0) {
                incremental = (double(c.treated_revenue_cents) / double(c.treated) -
                               double(c.control_revenue_cents) / double(c.control)) *
                              double(c.treated) * margin;
            }
            // Payback: the step from which cumulative incremental margin stays at or above the
            // cumulative net cost to the end of the run (an early noisy crossing that does not
            // last does not count); NaN when it is below at the end.
            if (incremental >= cumulative_cost) {
                if (std::isnan(payback)) payback = plan.step_end_day[s];
            } else {
                payback = std::nan("");
            }
            t.incremental_margin_by_step_cents.push_back(incremental);
        }
        const StrategyTally& last = cells[(steps - 1) * n + k];
        t.name.push_back(st.name);
        t.kind.emplace_back(kStrategyKindNames[std::size_t(st.kind)]);
        t.candidates.push_back(total.candidates);
        t.held_out.push_back(total.held_out);
        t.contacts.push_back(total.contacts);
        t.contacts_on_gone.push_back(total.contacts_on_gone);
        t.responses.push_back(total.responses);
        t.revived.push_back(total.revived);
        t.unsubscribed.push_back(total.unsubscribed);
        t.rebate_cost_cents.push_back(total.rebate_cost_cents);
        t.contact_cost_cents.push_back(total.contact_cost_cents);
        t.incentive_cost_cents.push_back(total.incentive_cost_cents);
        t.redemption_cost_cents.push_back(total.redemption_cost_cents);
        t.fixed_cost_cents.push_back(total.fixed_cost_cents);
        t.cost_cents.push_back(total.cost_cents());
        t.spent_on_gone_cents.push_back(total.spent_on_gone_cents);
        t.fee_income_cents.push_back(total.fee_income_cents);
        t.points_issued.push_back(total.points_issued);
        t.points_redeemed.push_back(total.points_redeemed);
        t.points_expired.push_back(total.points_expired);
        t.points_outstanding.push_back(last.points_outstanding);
        t.rewards_redeemed.push_back(total.rewards_redeemed);
        t.members.push_back(last.members);
        t.liability_cents.push_back(t.liability_by_step_cents.back());
        const std::int64_t used = total.points_expired + total.points_redeemed;
        t.breakage_fraction.push_back(used > 0 ? double(total.points_expired) / double(used) : std::nan(""));

        const StrategyOutcome& o = outcomes[k];
        const auto [mean_t, se_t] = mean_and_se(o.treated, o.treated_revenue_cents, o.treated_revenue_sq);
        const auto [mean_c, se_c] = mean_and_se(o.control, o.control_revenue_cents, o.control_revenue_sq);
        t.treated.push_back(o.treated);
        t.control.push_back(o.control);
        t.treated_revenue_per_customer_cents.push_back(mean_t);
        t.control_revenue_per_customer_cents.push_back(mean_c);
        // Welch: the difference of two independent means, its standard error from both groups.
        const double scale = double(o.treated) * margin;
        const double diff = (mean_t - mean_c) * scale;
        const double half = kZ * std::sqrt(se_t * se_t + se_c * se_c) * scale;
        t.incremental_margin_cents.push_back(diff);
        t.incremental_margin_low_cents.push_back(diff - half);
        t.incremental_margin_high_cents.push_back(diff + half);
        const double cost = double(total.cost_cents());
        const double fees = double(total.fee_income_cents);
        const auto roi = [&](double m) { return cost > 0.0 ? (m + fees - cost) / cost : std::nan(""); };
        t.roi.push_back(roi(diff));
        t.roi_low.push_back(roi(diff - half));
        t.roi_high.push_back(roi(diff + half));
        const double retained =
            o.treated > 0 && o.control > 0
                ? double(o.treated) * (double(o.treated_alive) / double(o.treated) -
                                       double(o.control_alive) / double(o.control))
                : std::nan("");
        t.incremental_retained.push_back(retained);
        t.cost_per_retained_cents.push_back(retained > 0.0 ? cost / retained : std::nan(""));
        t.payback_days.push_back(payback);
    }
    return t;
}

/// The exact tallies of a run or of a shard of it; the shards' sums are the run's.
struct Tallies {
    std::vector<StepTally> cells;              ///< [group][step]
    std::vector<StrategyTally> strategy_cells; ///< [step][strategy]
    std::vector<StrategyOutcome> outcomes;     ///< [strategy]

    Tallies(std::size_t groups, std::size_t steps, std::size_t strategies)
        : cells(groups * steps), strategy_cells(steps * strategies), outcomes(strategies) {}
    void add(const Tallies& o) {
        for (std::size_t j = 0; j < cells.size(); ++j) cells[j].add(o.cells[j]);
        for (std::size_t j = 0; j < strategy_cells.size(); ++j) strategy_cells[j].add(o.strategy_cells[j]);
        for (std::size_t j = 0; j < outcomes.size(); ++j) outcomes[j].add(o.outcomes[j]);
    }
};

// Tallies travel between ranks and shard files as the bytes of these records: integers only,
// without padding, so equal tallies are equal bytes.
static_assert(std::is_trivially_copyable_v<StepTally> && std::has_unique_object_representations_v<StepTally>);
static_assert(std::is_trivially_copyable_v<StrategyTally> && std::has_unique_object_representations_v<StrategyTally>);
static_assert(std::is_trivially_copyable_v<StrategyOutcome> &&
              std::has_unique_object_representations_v<StrategyOutcome>);

template <class T>
void append_bytes(std::string& out, const std::vector<T>& v) {
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
template <class T>
void read_bytes(std::string_view& in, std::vector<T>& v) {
    std::memcpy(v.data(), in.data(), v.size() * sizeof(T));
    in.remove_prefix(v.size() * sizeof(T));
}

/// What a shard produced besides its tallies.
struct ShardRun {
    double wall_seconds = 0;
    int threads = 1;
    std::size_t bytes_per_customer = 0;
};

/// First block of shard `index` of `count`: shards take contiguous runs of blocks, cut where
/// the customers before a block reach the shard's equal share.
std::size_t shard_first_block(const Plan& plan, std::size_t index, std::size_t count) {
    if (index == 0) return 0;
    if (index >= count) return plan.blocks.size();
    const auto share = double(plan.customers) * double(index) / double(count);
    std::size_t b = 0;
    while (b < plan.blocks.size() && double(plan.blocks[b].begin) < share) ++b;
    return b;
}

/// Memory this process can still have, from /proc/meminfo's MemAvailable and, inside a
/// container, the cgroup's limit; nullopt when neither can be read.
std::optional<double> available_memory_bytes() {
    std::optional<double> available;
    std::ifstream meminfo("/proc/meminfo");
    std::string name;
    double kib = 0;
    std::string unit;
    while (meminfo >> name >> kib >> unit) {
        if (name == "MemAvailable:") available = kib * 1024.0;
    }
    std::ifstream limit("/sys/fs/cgroup/memory.max"), current("/sys/fs/cgroup/memory.current");
    double max_bytes = 0, used_bytes = 0;
    if (limit >> max_bytes && current >> used_bytes) {  // "max" (no limit) fails to read as a number
        const double left = std::max(0.0, max_bytes - used_bytes);
        available = available ? std::min(*available, left) : left;
    }
    return available;
}

/// Bytes of state per customer this scenario allocates (population columns, strategies'
/// state, and the candidates of a population-wide choice), measured on a one-customer
/// population so that it always agrees with the columns really allocated.
std::size_t state_bytes_per_customer(const Scenario& sc) {
    Population one;
    one.resize_common(0, 1);
    sc.population.behaviour->allocate(one, 0, 1);
    std::size_t bytes = 0;
    if (!sc.strategies.empty() || sc.sentiment.enabled()) {
        one.resize_influence(0, 1);
        if (sc.sentiment.enabled()) one.resize_sentiment(0, 1);
        if (!sc.strategies.empty()) {
            const MoodMultipliers moods = mood_multipliers(sc.sentiment);
            bytes += StrategyRunner(sc, *sc.population.behaviour, 0, 1, &moods).bytes_per_customer();
        }
        if (needs_candidate_exchange(sc)) bytes += sc.strategies.size() * sizeof(Candidate);
    }
    return bytes + one.bytes_per_customer();
}

std::string gigabytes(double bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
    return text;
}

/// Refuses, before allocating anything, a share of `customers` whose state would not fit in
/// the memory this process can have.
void check_memory(const Scenario& sc, std::size_t customers) {
    // No scenario needs 4 KiB per customer (32 strategies with rewards and candidates stay under
    // 3 KiB), so below 64 Ki customers the run fits in 256 MiB: the many small runs of a sweep
    // skip reading /proc.
    constexpr std::size_t kSmallRun = std::size_t{1} << 16;
    if (customers < kSmallRun) return;
    const std::optional<double> available = available_memory_bytes();
    const std::size_t per_customer = state_bytes_per_customer(sc);
    const double need = double(customers) * double(per_customer);
    if (!available || need <= *available) return;
    throw RuntimeFailure("not enough memory: this run needs about " + gigabytes(need) + " for " +
                         std::to_string(customers) + " customers (" + std::to_string(per_customer) +
                         " bytes each) but about " + gigabytes(*available) +
                         " is available; run fewer customers, or spread them over machines with "
                         "retsim run --shard I/N or mpirun -np N retsim run");
}

/// Simulates the blocks [b0, b1) of the plan into `t`; the population holds only their
/// customers. With `exchange`, strategies that choose across the population see the
/// candidates of the other shards too. With `keep`, the final state is moved there.
ShardRun simulate(const Scenario& sc, const Plan& plan, const RunOptions& options, std::size_t b0, std::size_t b1,
                  CandidateExchange* exchange, Tallies& t, Population* keep) {
    const auto wall_start = std::chrono::steady_clock::now();
    const RandomKey rk{sc.run.seed, sc.run.replicate};
    const std::size_t steps = plan.steps;
    const std::size_t first = b0 < b1 ? plan.blocks[b0].begin : 0;
    const std::size_t count = b0 < b1 ? plan.blocks[b1 - 1].end - first : 0;

    const StageThresholdsDays th = thresholds_in_days(sc);
    StageRules rules{th.welcome, th.lapsed, th.inactive, th.lost, th.won_back};
    rules.unhappy_days = th.unhappy;
    rules.at_risk_days = th.at_risk;
    rules.silent_attrition_factor = sc.lifecycle.silent_attrition_factor;
    rules.churn_observed = sc.population.behaviour->churn_observed();

    check_memory(sc, count);
    Population pop;
    try {
        pop.resize_common(first, count);
        sc.population.behaviour->allocate(pop, first, count);
    } catch (const std::bad_alloc&) {
        throw RuntimeFailure("not enough memory for " + std::to_string(count) + " customers");
    }

    std::mutex cells_mutex;
    std::unique_ptr<StrategyRunner> strategies;
    const std::size_t n_strategies = sc.strategies.size();
    const MoodMultipliers moods = mood_multipliers(sc.sentiment);
    const bool sentiment = sc.sentiment.enabled();
    if (n_strategies > 0 || sentiment) {
        try {
            pop.resize_influence(first, count);
            if (sentiment) pop.resize_sentiment(first, count);
            if (n_strategies > 0) {
                strategies = std::make_unique<StrategyRunner>(sc, *sc.population.behaviour, first, count,
                                                              sentiment ? &moods : nullptr);
            }
        } catch (const std::bad_alloc&) {
            throw RuntimeFailure("not enough memory for the strategies of " + std::to_string(count) + " customers");
        }
    }
    const StepContext ctx{sc,  plan, rules, rk, pop, strategies.get(), sentiment ? &moods : nullptr, options.progress,
                          options.reclassify_all};
    // Integer sums: exact in any order, so a lock is enough.
    const auto merge_strategies = [&](std::size_t s, const std::vector<StrategyTally>& st) {
        const std::lock_guard lock(cells_mutex);
        for (std::size_t k = 0; k < st.size(); ++k) t.strategy_cells[s * n_strategies + k].add(st[k]);
    };
    const auto merge = [&](std::size_t group, std::size_t s, const StepTally& cell,
                           const std::vector<StrategyTally>& st) {
        {
            const std::lock_guard lock(cells_mutex);
            t.cells[group * steps + s].add(cell);
        }
        merge_strategies(s, st);
    };
    const auto finish_block = [&](const Block& block, const BlockState& state) {
        if (!strategies) return;
        std::vector<StrategyOutcome> local(n_strategies);
        strategies->outcomes(pop, block.begin, state.started_end, plan.step_end_day.back(), local);
        const std::lock_guard lock(cells_mutex);
        for (std::size_t k = 0; k < n_strategies; ++k) t.outcomes[k].add(local[k]);
    };
    const int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
    tbb::task_arena arena(std::max(1, threads));
    const auto blocks = tbb::blocked_range<std::size_t>(b0, b1, 1);
    if (!strategies || !strategies->needs_selection()) {
        // Block by block through all steps: a block's state stays in cache.
        arena.execute([&] {
            parallel_over(blocks, [&](const tbb::blocked_range<std::size_t>& range) {
                std::vector<StrategyTally> st(n_strategies);
                for (std::size_t b = range.begin(); b < range.end(); ++b) {
                    const Block& block = plan.blocks[b];
                    BlockState state;
                    StepTally first_cell;
                    begin_block(ctx, block, state, first_cell);
                    merge(block.group, 0, first_cell, {});
                    for (std::size_t s = 0; s < steps; ++s) {
                        StepTally cell;
                        std::fill(st.begin(), st.end(), StrategyTally{});
                        step_block(ctx, block, s, state, cell, st);
                        merge(block.group, s, cell, st);
                    }
                    finish_block(block, state);
                }
            });
        });
    } else {
        // Step by step over all blocks, with the strategies' population-wide choice between
        // evaluating and acting.
        std::vector<BlockState> states(b1 - b0);
        arena.execute([&] {
            parallel_over(blocks, [&](const tbb::blocked_range<std::size_t>& range) {
                for (std::size_t b = range.begin(); b < range.end(); ++b) {
                    StepTally first_cell;
                    begin_block(ctx, plan.blocks[b], states[b - b0], first_cell);
                    merge(plan.blocks[b].group, 0, first_cell, {});
                }
            });
        });
        std::vector<std::vector<std::vector<Candidate>>*> per_block;
        for (BlockState& state : states) per_block.push_back(&state.candidates);
        std::vector<std::vector<Candidate>> others;  // the other shards' candidates, for ranking only
        for (std::size_t s = 0; s < steps; ++s) {
            arena.execute([&] {
                parallel_over(blocks, [&](const tbb::blocked_range<std::size_t>& range) {
                    std::vector<StrategyTally> st(n_strategies);
                    for (std::size_t b = range.begin(); b < range.end(); ++b) {
                        StepTally cell;
                        std::fill(st.begin(), st.end(), StrategyTally{});
                        step_block(ctx, plan.blocks[b], s, states[b - b0], cell, st);
                        merge(plan.blocks[b].group, s, cell, st);
                    }
                });
            });
            if (exchange != nullptr) {
                others = exchange->others(strategies->ranked_candidates(per_block));
                per_block.push_back(&others);
            }
            strategies->select(per_block, plan.step_length_days[s]);
            if (exchange != nullptr) per_block.pop_back();
            arena.execute([&] {
                parallel_over(blocks, [&](const tbb::blocked_range<std::size_t>& range) {
                    std::vector<StrategyTally> st(n_strategies);
                    for (std::size_t b = range.begin(); b < range.end(); ++b) {
                        BlockState& state = states[b - b0];
                        if (s < state.first_step) continue;
                        std::fill(st.begin(), st.end(), StrategyTally{});
                        const Block& block = plan.blocks[b];
                        strategies->act(pop, block.begin, state.started_end, s, plan.step_end_day[s], state.candidates,
                                        state.counts, st);
                        merge_strategies(s, st);
                    }
                });
            });
        }
        for (std::size_t b = b0; b < b1; ++b) finish_block(plan.blocks[b], states[b - b0]);
    }
    ShardRun run;
    run.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    run.threads = std::max(1, threads);
    run.bytes_per_customer = pop.bytes_per_customer() + (strategies ? strategies->bytes_per_customer() : 0);
    if (keep != nullptr) *keep = std::move(pop);
    return run;
}

/// The run's results from its tallies (every shard's, summed). Serial and in a fixed order.
RunResult reduce(const Scenario& sc, const Plan& plan, Tallies& tallies, const ShardRun& run) {
    const std::size_t steps = plan.steps;
    const std::size_t groups = plan.groups.size();
    const std::size_t n_strategies = sc.strategies.size();
    const std::vector<StepTally>& cells = tallies.cells;
    std::vector<StrategyTally>& strategy_cells = tallies.strategy_cells;
    // Serial reduction in fixed order: time series, cohorts, channels, summary.
    RunResult result;
    result.steps = steps;
    result.step_days = sc.run.step_days;
    const double rate = sc.economics.annual_discount_rate;

    if (n_strategies > 0) {
        for (std::size_t s = 0; s < steps; ++s) {
            std::vector<StrategyTally> fixed(n_strategies);
            fixed_strategy_costs(sc.strategies, step_start(plan, s), plan.step_length_days[s], fixed);
            for (std::size_t k = 0; k < n_strategies; ++k) strategy_cells[s * n_strategies + k].add(fixed[k]);
        }
    }

    TimeSeries& ts = result.series;
    std::int64_t customers_so_far = 0;
    for (std::size_t s = 0; s < steps; ++s) {
        StepTally total;
        for (std::size_t g = 0; g < groups; ++g) total.add(cells[g * steps + s]);
        std::int64_t acquisition = 0;
        for (const auto& spend : plan.channel_spend_cents) acquisition += spend[s];
        const std::int64_t fixed =
            std::llround(double(sc.economics.fixed_cost_per_week_cents) * plan.step_length_days[s] / 7.0);
        const double now = plan.step_end_day[s];
        customers_so_far += total.acquired + (s == 0 ? std::int64_t(sc.population.initial_customers) : 0);
        ts.time_days.push_back(now);
        ts.customers.push_back(customers_so_far);
        ts.acquired.push_back(total.acquired);
        std::int64_t alive = 0;
        for (std::size_t k = 0; k < kStageCount; ++k) {
            ts.stage_counts.push_back(total.stage_truth[k * kTruthCount] + total.stage_truth[k * kTruthCount + 1]);
            alive += total.stage_truth[k * kTruthCount];
        }
        ts.alive.push_back(alive);
        ts.stage_by_truth.insert(ts.stage_by_truth.end(), total.stage_truth.begin(), total.stage_truth.end());
        ts.purchases.push_back(total.purchases);
        ts.repeat_purchases.push_back(total.repeat_purchases);
        ts.revenue_cents.push_back(total.revenue_cents);
        ts.margin_cents.push_back(total.margin_cents);
        ts.acquisition_cost_cents.push_back(acquisition);
        ts.fixed_cost_cents.push_back(fixed);
        std::int64_t strategy_cost = 0, fees = 0;
        for (std::size_t k = 0; k < n_strategies; ++k) {
            strategy_cost += strategy_cells[s * n_strategies + k].cost_cents();
            fees += strategy_cells[s * n_strategies + k].fee_income_cents;
        }
        ts.strategy_cost_cents.push_back(strategy_cost);
        ts.service_failures.push_back(total.sentiment.service_failures);
        ts.complaints.push_back(total.sentiment.complaints);
        ts.started_considering.push_back(total.sentiment.started_considering);
        ts.started_switching.push_back(total.sentiment.started_switching);
        ts.departures.push_back(total.sentiment.departures);
        ts.risk_signals.push_back(total.sentiment.signals);
        ts.fee_income_cents.push_back(fees);
        const std::int64_t profit = total.margin_cents + fees - acquisition - fixed - strategy_cost;
        ts.profit_cents.push_back(profit);
        ts.discount_factor.push_back(discount(rate, now));
        ts.discounted_profit_cents.push_back(double(profit) * ts.discount_factor.back());
    }

    CohortTable& ct = result.cohorts;
    for (std::size_t g = 0; g < groups; ++g) {
        const Group& group = plan.groups[g];
        const auto size = std::int64_t(group.end - group.begin);
        std::int64_t revenue = 0, margin = 0;
        double discounted_margin = 0;
        for (std::size_t s = 0; s < steps; ++s) {
            const StepTally& cell = cells[g * steps + s];
            revenue += cell.revenue_cents;
            margin += cell.margin_cents;
            discounted_margin += double(cell.margin_cents) * discount(rate, plan.step_end_day[s] - group.start_day);
            std::int64_t alive = 0, active = 0;
            for (std::size_t k = 0; k < kStageCount; ++k) {
                alive += cell.stage_truth[k * kTruthCount];
                if (is_active_stage(Stage(k))) {
                    active += cell.stage_truth[k * kTruthCount] + cell.stage_truth[k * kTruthCount + 1];
                }
            }
            ct.alive.push_back(alive);
            ct.active.push_back(active);
            ct.purchases_by_step.push_back(cell.purchases);
            ct.margin_by_step_cents.push_back(cell.margin_cents);
            ct.stage_by_truth.insert(ct.stage_by_truth.end(), cell.stage_truth.begin(), cell.stage_truth.end());
        }
        ct.cohort.push_back(group.cohort);
        ct.channel.push_back(group.channel);
        ct.start_day.push_back(group.start_day);
        ct.customers.push_back(size);
        ct.acquisition_cost_cents.push_back(group.acquisition_cost_cents);
        ct.cac_cents.push_back(size > 0 ? double(group.acquisition_cost_cents) / double(size) : 0.0);
        ct.revenue_cents.push_back(revenue);
        ct.margin_cents.push_back(margin);
        ct.realised_clv_cents.push_back(size > 0 ? discounted_margin / double(size) : 0.0);
    }

    ChannelTable& ch = result.channels;
    for (std::size_t c = 0; c < sc.acquisition.channels.size(); ++c) {
        std::int64_t spend = 0, acquired = 0, margin = 0;
        double discounted_spend = 0, discounted_margin = 0;
        for (std::size_t s = 0; s < steps; ++s) {
            spend += plan.channel_spend_cents[c][s];
            acquired += std::int64_t(plan.channel_arrivals[c][s]);
            discounted_spend += double(plan.channel_spend_cents[c][s]) * discount(rate, plan.step_end_day[s]);
        }
        for (std::size_t g = 0; g < groups; ++g) {
            if (plan.groups[g].channel != std::int32_t(c)) continue;
            for (std::size_t s = 0; s < steps; ++s) {
                margin += cells[g * steps + s].margin_cents;
                discounted_margin += double(cells[g * steps + s].margin_cents) * discount(rate, plan.step_end_day[s]);
            }
        }
        ch.name.push_back(sc.acquisition.channels[c].name);
        ch.spend_cents.push_back(spend);
        ch.acquired.push_back(acquired);
        ch.cac_cents.push_back(acquired > 0 ? double(spend) / double(acquired) : 0.0);
        ch.margin_cents.push_back(margin);
        ch.discounted_margin_cents.push_back(discounted_margin);
        ch.roi.push_back(discounted_spend > 0 ? (discounted_margin - discounted_spend) / discounted_spend
                                              : std::nan(""));
    }

    result.strategies = strategy_table(sc, plan, strategy_cells, tallies.outcomes);

    Summary& sum = result.summary;
    sum.customers = std::int64_t(plan.customers);
    sum.initial_customers = std::int64_t(sc.population.initial_customers);
    sum.acquired_customers = sum.customers - sum.initial_customers;
    sum.alive_at_end = ts.alive.back();
    for (std::size_t s = 0; s < steps; ++s) {
        sum.purchases += ts.purchases[s];
        sum.repeat_purchases += ts.repeat_purchases[s];
        sum.revenue_cents += ts.revenue_cents[s];
        sum.margin_cents += ts.margin_cents[s];
        sum.acquisition_cost_cents += ts.acquisition_cost_cents[s];
        sum.fixed_cost_cents += ts.fixed_cost_cents[s];
        sum.strategy_cost_cents += ts.strategy_cost_cents[s];
        sum.fee_income_cents += ts.fee_income_cents[s];
        sum.profit_cents += ts.profit_cents[s];
        sum.discounted_profit_cents += ts.discounted_profit_cents[s];
    }
    sum.cac_cents = sum.acquired_customers > 0 ? double(sum.acquisition_cost_cents) / double(sum.acquired_customers) : 0.0;
    sum.mean_spend_cents = sum.purchases > 0 ? double(sum.revenue_cents) / double(sum.purchases) : 0.0;
    sum.customer_days = plan.customer_days;
    sum.wall_seconds = run.wall_seconds;
    sum.bytes_per_customer = run.bytes_per_customer;
    sum.threads = run.threads;
    result.model_parameters = sc.population.behaviour->parameters();

    return result;
}

}  // namespace

RunResult run_simulation(const Scenario& sc, const RunOptions& options) {
    const Plan plan = make_plan(sc, RandomKey{sc.run.seed, sc.run.replicate});
    if (options.progress != nullptr) options.progress->total_customer_days.store(plan.customer_days);
    Tallies tallies(plan.groups.size(), plan.steps, sc.strategies.size());
    Population customers;
    const ShardRun run = simulate(sc, plan, options, 0, plan.blocks.size(), nullptr, tallies,
                                  options.keep_customers ? &customers : nullptr);
    RunResult result = reduce(sc, plan, tallies, run);
    if (options.keep_customers) {
        result.customer_cohort.resize(plan.customers);
        result.customer_channel.resize(plan.customers);
        for (const Group& g : plan.groups) {
            std::fill(result.customer_cohort.begin() + std::ptrdiff_t(g.begin),
                      result.customer_cohort.begin() + std::ptrdiff_t(g.end), g.cohort);
            std::fill(result.customer_channel.begin() + std::ptrdiff_t(g.begin),
                      result.customer_channel.begin() + std::ptrdiff_t(g.end), g.channel);
        }
        result.customers = std::move(customers);
    }
    return result;
}

bool needs_candidate_exchange(const Scenario& sc) {
    return std::any_of(sc.strategies.begin(), sc.strategies.end(), [](const StrategyConfig& st) {
        return st.top_fraction < 1.0 || std::isfinite(st.budget_per_week_cents);
    });
}

namespace {

/// What must agree between the shards of one run.
std::string plan_fingerprint(const Scenario& sc, const Plan& plan) {
    return "customers=" + std::to_string(plan.customers) + " groups=" + std::to_string(plan.groups.size()) +
           " blocks=" + std::to_string(plan.blocks.size()) + " steps=" + std::to_string(plan.steps) +
           " strategies=" + std::to_string(sc.strategies.size()) + " seed=" + std::to_string(sc.run.seed) +
           " replicate=" + std::to_string(sc.run.replicate);
}

}  // namespace

ShardResult run_shard(const Scenario& sc, const RunOptions& options, Shard shard, CandidateExchange* exchange) {
    if (shard.count == 0 || shard.index >= shard.count) {
        throw BadInput("shard " + std::to_string(shard.index) + " of " + std::to_string(shard.count) +
                       " does not exist: shards are numbered 0 to count - 1");
    }
    if (options.keep_customers) throw BadInput("--customers is not available for a sharded run");
    if (shard.count > 1 && exchange == nullptr && needs_candidate_exchange(sc)) {
        throw BadInput("a strategy chooses across the whole population (top_fraction or budget_per_week_cents): "
                       "its shards must run together under mpirun, not as separate --shard runs");
    }
    const Plan plan = make_plan(sc, RandomKey{sc.run.seed, sc.run.replicate});
    const std::size_t b0 = shard_first_block(plan, shard.index, shard.count);
    const std::size_t b1 = shard_first_block(plan, shard.index + 1, shard.count);
    if (options.progress != nullptr) {
        double days = 0;
        for (std::size_t b = b0; b < b1; ++b) {
            days += plan.customer_days * double(plan.blocks[b].end - plan.blocks[b].begin) / double(plan.customers);
        }
        options.progress->total_customer_days.store(days);
    }
    Tallies tallies(plan.groups.size(), plan.steps, sc.strategies.size());
    const ShardRun run = simulate(sc, plan, options, b0, b1, exchange, tallies, nullptr);
    ShardResult out;
    out.shard = shard;
    append_bytes(out.tallies, tallies.cells);
    append_bytes(out.tallies, tallies.strategy_cells);
    append_bytes(out.tallies, tallies.outcomes);
    out.plan_fingerprint = plan_fingerprint(sc, plan);
    out.wall_seconds = run.wall_seconds;
    out.threads = run.threads;
    out.bytes_per_customer = run.bytes_per_customer;
    return out;
}

RunResult merge_shards(const Scenario& sc, const std::vector<ShardResult>& shards) {
    if (shards.empty()) throw BadInput("no shards to merge");
    const Plan plan = make_plan(sc, RandomKey{sc.run.seed, sc.run.replicate});
    const std::string fingerprint = plan_fingerprint(sc, plan);
    const std::size_t count = shards.front().shard.count;
    std::vector<bool> seen(count, false);
    Tallies total(plan.groups.size(), plan.steps, sc.strategies.size());
    ShardRun run;
    for (const ShardResult& part : shards) {
        const std::string name = "shard " + std::to_string(part.shard.index) + " of " + std::to_string(part.shard.count);
        if (part.shard.count != count) {
            throw BadInput(name + " does not belong with shards of " + std::to_string(count));
        }
        if (part.shard.index >= count || seen[part.shard.index]) throw BadInput(name + " is given twice or does not exist");
        seen[part.shard.index] = true;
        if (part.plan_fingerprint != fingerprint) {
            throw BadInput(name + " comes from another run (" + part.plan_fingerprint + "; this scenario: " +
                           fingerprint + ")");
        }
        Tallies t(plan.groups.size(), plan.steps, sc.strategies.size());
        const std::size_t expected = t.cells.size() * sizeof(StepTally) +
                                     t.strategy_cells.size() * sizeof(StrategyTally) +
                                     t.outcomes.size() * sizeof(StrategyOutcome);
        if (part.tallies.size() != expected) {
            throw BadInput(name + " has " + std::to_string(part.tallies.size()) + " bytes of tallies, not " +
                           std::to_string(expected));
        }
        std::string_view in(part.tallies);
        read_bytes(in, t.cells);
        read_bytes(in, t.strategy_cells);
        read_bytes(in, t.outcomes);
        total.add(t);
        run.wall_seconds = std::max(run.wall_seconds, part.wall_seconds);
        run.threads = std::max(run.threads, part.threads);
        run.bytes_per_customer = std::max(run.bytes_per_customer, part.bytes_per_customer);
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (!seen[i]) throw BadInput("shard " + std::to_string(i) + " of " + std::to_string(count) + " is missing");
    }
    return reduce(sc, plan, total, run);
}

}  // namespace retsim
