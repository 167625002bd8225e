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
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "models/samplers.hpp"
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

    void add_purchases(const PurchaseSink& s) {
        purchases += s.purchases;
        repeat_purchases += s.repeat_purchases;
        revenue_cents += s.revenue_cents;
        margin_cents += s.margin_cents;
    }
    void add(const StepTally& o) {
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

    for (std::size_t gi = 0; gi < plan.groups.size(); ++gi) {
        const Group& g = plan.groups[gi];
        for (std::size_t b = g.begin; b < g.end; b += kBlockCustomers) {
            plan.blocks.push_back({gi, b, std::min(g.end, b + kBlockCustomers)});
        }
    }
    return plan;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Largest float not above x: a review day stored early only costs a spare classification.
float float_not_above(double x) {
    const float f = float(x);
    return double(f) > x ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}

/// Smallest float not below x: for a float y, y < x exactly when y < float_not_below(x).
float float_not_below(double x) {
    const float f = float(x);
    return double(f) < x ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

/// Truth at the end of a step: an event at exactly `day` belongs to the next step (models
/// simulate up to but excluding the step end), so a customer is gone once death_day < day.
bool gone_at(float death_day, double day) { return double(death_day) < day; }

/// Reclassifies the customers [begin, end) at `now` and keeps `counts` (stage by truth) current.
/// Customers [newcomers, end) entered during this step and are added to the counts first.
/// Only customers whose stage or truth can have changed are reclassified: those who bought or
/// were cancelled since `prev_now`, who left (truth) since then, or whose review day has come.
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
    const float* last = pop.last_purchase_day.data() + begin;
    const float* review = pop.review_day.data() + begin;
    const float* death_day = pop.death_day.data() + begin;
    const std::size_t old_end = rebuild ? begin : newcomers;
    for (std::size_t j = 0; j < old_end - begin; ++j) {
        candidate[j] = std::uint8_t((last[j] >= prev_f) | (review[j] <= now_down) |
                                    ((death_day[j] < now_up) != (death_day[j] < prev_up)));
    }
    for (std::size_t j = old_end - begin; j < end - begin; ++j) candidate[j] = 1;

    // Pass 2: classify the candidates, skipping eight unchanged customers at a time.
    for (std::size_t i = begin; i < end; ++i) {
        const std::size_t j = i - begin;
        if (j % 8 == 0 && j + 8 <= end - begin) {
            std::uint64_t word;
            std::memcpy(&word, &candidate[j], sizeof word);
            if (word == 0) {
                i += 7;
                continue;
            }
        }
        if (candidate[j] == 0) continue;
        const bool gone = gone_at(pop.death_day[i], now);
        const bool gone_before = gone_at(pop.death_day[i], prev_now);
        const StageOutput out = classify(
            {now, pop.birth_day[i], pop.last_purchase_day[i], pop.stage_since_day[i], pop.stage[i], gone}, rules);
        if (!rebuild) counts[cell(pop.stage[i], gone_before)] -= 1;
        counts[cell(out.stage, gone)] += 1;
        pop.stage[i] = out.stage;
        pop.stage_since_day[i] = float(out.since_day);
        pop.review_day[i] = float_not_above(out.review_day);
    }
}

/// Runs one block through every step, adding its tallies to `tally` ([step]).
void run_block(const Scenario& sc, const Plan& plan, const Block& block, const StageRules& rules,
               const RandomKey& rk, Population& pop, std::vector<StepTally>& tally, Progress* progress,
               bool reclassify_all) {
    const Behaviour& model = *sc.population.behaviour;
    const Group& group = plan.groups[block.group];
    const double margin = sc.economics.margin_fraction;
    std::size_t started_end = block.begin;  // customers [block.begin, started_end) are born
    std::size_t run = 0;                    // next arrival run of the group to start
    std::size_t first_step = 0;

    if (group.channel < 0) {
        const double history = sc.population.history_days;
        for (std::size_t i = block.begin; i < block.end; ++i) {
            pop.key[i] = initial_customer_key(i);
            pop.birth_day[i] =
                history > 0.0 ? float(-history * Draws(rk, pop.key[i], Stream::Birth, 0).uniform()) : 0.0f;
        }
        PurchaseSink day_zero{margin};
        if (history > 0.0) {
            // Purchases before day 0 shape the firm's view but are outside the accounts.
            PurchaseSink before{margin};
            model.start(pop, block.begin, block.end, rk, before);
            model.advance(pop, block.begin, block.end, 0.0, rk, before);
        } else {
            model.start(pop, block.begin, block.end, rk, day_zero);
        }
        tally[0].add_purchases(day_zero);
        started_end = block.end;
    } else {
        while (group.runs[run].begin + group.runs[run].count <= block.begin) ++run;
        first_step = group.runs[run].step;
    }

    // Running stage-by-truth counts of the block's customers, updated as customers change.
    std::array<std::int64_t, kStageCount * kTruthCount> counts{};
    double prev_now = step_start(plan, first_step);
    for (std::size_t s = first_step; s < plan.steps; ++s) {
        StepTally& cell = tally[s];
        PurchaseSink sink{margin};
        const std::size_t newcomers_begin = s == first_step ? block.begin : started_end;
        // Runs are ordered by step, at most one per step: start this block's share of step s.
        if (run < group.runs.size() && group.runs[run].step == s) {
            const ArrivalRun& r = group.runs[run++];
            const std::size_t lo = std::max(block.begin, r.begin);
            const std::size_t hi = std::min(block.end, r.begin + std::size_t(r.count));
            if (lo < hi) {
                const double start = step_start(plan, s);
                for (std::size_t i = lo; i < hi; ++i) {
                    pop.key[i] = arrival_customer_key(std::uint64_t(group.channel), s, i - r.begin);
                    const double u = Draws(rk, pop.key[i], Stream::Birth, 0).uniform();
                    pop.birth_day[i] = float(start + u * plan.step_length_days[s]);
                }
                model.start(pop, lo, hi, rk, sink);
                cell.acquired += std::int64_t(hi - lo);
                started_end = hi;
            }
        }

        const double now = plan.step_end_day[s];
        model.advance(pop, block.begin, started_end, now, rk, sink);
        cell.add_purchases(sink);
        const double since = s == first_step || reclassify_all ? -kInf : prev_now;  // -inf: rebuild
        update_stages(pop, block.begin, started_end, newcomers_begin, since, now, rules, counts);
        cell.stage_truth = counts;
        prev_now = now;
        if (progress != nullptr) {
            progress->done_customer_days.fetch_add(double(started_end - block.begin) * plan.step_length_days[s],
                                                   std::memory_order_relaxed);
        }
    }
}

double discount(double rate, double days) { return std::pow(1.0 + rate, -days / 365.0); }

}  // namespace

RunResult run_simulation(const Scenario& sc, const RunOptions& options) {
    const auto wall_start = std::chrono::steady_clock::now();
    const RandomKey rk{sc.run.seed, sc.run.replicate};
    const Plan plan = make_plan(sc, rk);
    const std::size_t steps = plan.steps;
    const std::size_t groups = plan.groups.size();
    if (options.progress != nullptr) options.progress->total_customer_days.store(plan.customer_days);

    const StageThresholdsDays th = thresholds_in_days(sc);
    const StageRules rules{th.welcome, th.lapsed, th.inactive, th.lost, th.won_back,
                           sc.population.behaviour->churn_observed()};

    Population pop;
    try {
        pop.resize_common(plan.customers);
        sc.population.behaviour->allocate(pop, plan.customers);
    } catch (const std::bad_alloc&) {
        throw RuntimeFailure("not enough memory for " + std::to_string(plan.customers) + " customers");
    }

    std::vector<StepTally> cells(groups * steps);  // [group][step]
    std::mutex cells_mutex;
    const int threads = options.threads > 0 ? options.threads : int(std::thread::hardware_concurrency());
    tbb::task_arena arena(std::max(1, threads));
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, plan.blocks.size(), 1),
                          [&](const tbb::blocked_range<std::size_t>& range) {
                              std::vector<StepTally> tally(steps);
                              for (std::size_t b = range.begin(); b < range.end(); ++b) {
                                  std::fill(tally.begin(), tally.end(), StepTally{});
                                  const Block& block = plan.blocks[b];
                                  run_block(sc, plan, block, rules, rk, pop, tally, options.progress, options.reclassify_all);
                                  // Integer sums: exact in any order, so a lock is enough.
                                  const std::lock_guard lock(cells_mutex);
                                  for (std::size_t s = 0; s < steps; ++s) cells[block.group * steps + s].add(tally[s]);
                              }
                          });
    });
    const double wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    // Serial reduction in fixed order: time series, cohorts, channels, summary.
    RunResult result;
    result.steps = steps;
    result.step_days = sc.run.step_days;
    const double rate = sc.economics.annual_discount_rate;

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
        const std::int64_t profit = total.margin_cents - acquisition - fixed;
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
                const auto stage = Stage(k);
                if (stage == Stage::New || stage == Stage::Active || stage == Stage::WonBack) {
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
        sum.profit_cents += ts.profit_cents[s];
        sum.discounted_profit_cents += ts.discounted_profit_cents[s];
    }
    sum.cac_cents = sum.acquired_customers > 0 ? double(sum.acquisition_cost_cents) / double(sum.acquired_customers) : 0.0;
    sum.mean_spend_cents = sum.purchases > 0 ? double(sum.revenue_cents) / double(sum.purchases) : 0.0;
    sum.customer_days = plan.customer_days;
    sum.wall_seconds = wall_seconds;
    sum.bytes_per_customer = pop.bytes_per_customer();
    sum.threads = std::max(1, threads);
    result.model_parameters = sc.population.behaviour->parameters();

    if (options.keep_customers) {
        result.customer_cohort.resize(plan.customers);
        result.customer_channel.resize(plan.customers);
        for (const Group& g : plan.groups) {
            std::fill(result.customer_cohort.begin() + std::ptrdiff_t(g.begin),
                      result.customer_cohort.begin() + std::ptrdiff_t(g.end), g.cohort);
            std::fill(result.customer_channel.begin() + std::ptrdiff_t(g.begin),
                      result.customer_channel.begin() + std::ptrdiff_t(g.end), g.channel);
        }
        result.customers = std::move(pop);
    }
    return result;
}

}  // namespace retsim
