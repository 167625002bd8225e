// Strategies at decision epochs (overview in strategies.hpp).
#include "sim/strategies.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace retsim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNeverContacted = -std::numeric_limits<float>::infinity();

/// Draw events of Stream::Response: one per (step, strategy, purpose), purposes kept apart so
/// that adding draws to one never shifts another.
enum class Purpose : std::uint64_t { Contact = 0, Redemption = 1 };
std::uint64_t response_event(std::size_t step, std::size_t k, Purpose p) {
    return (std::uint64_t(step) << 8) | (std::uint64_t(k) << 1) | std::uint64_t(p);
}

bool gone_at(float death_day, double day) { return double(death_day) < day; }

FirmHistory firm_history(const Population& pop, std::size_t i, double now) {
    FirmHistory h;
    h.x = pop.repeat_purchases[i];
    const double birth = pop.birth_day[i];
    h.t_x_weeks = std::max(0.0, (double(pop.last_purchase_day[i]) - birth) / 7.0);
    h.T_weeks = std::max(h.t_x_weeks, (now - birth) / 7.0);
    h.spend_count = h.x + 1.0;
    h.mean_spend_cents = double(pop.spend_cents[i]) / h.spend_count;
    return h;
}

bool ranks(const StrategyConfig& st) {
    return st.top_fraction < 1.0 || std::isfinite(st.budget_per_week_cents);
}

}  // namespace

void StrategyTally::add(const StrategyTally& o) {
    candidates += o.candidates;
    held_out += o.held_out;
    contacts += o.contacts;
    contacts_on_gone += o.contacts_on_gone;
    responses += o.responses;
    revived += o.revived;
    contact_cost_cents += o.contact_cost_cents;
    incentive_cost_cents += o.incentive_cost_cents;
    redemption_cost_cents += o.redemption_cost_cents;
    fixed_cost_cents += o.fixed_cost_cents;
    spent_on_gone_cents += o.spent_on_gone_cents;
    fee_income_cents += o.fee_income_cents;
    points_issued += o.points_issued;
    points_redeemed += o.points_redeemed;
    points_expired += o.points_expired;
    rewards_redeemed += o.rewards_redeemed;
    members += o.members;
    points_outstanding += o.points_outstanding;
    treated += o.treated;
    control += o.control;
    treated_revenue_cents += o.treated_revenue_cents;
    control_revenue_cents += o.control_revenue_cents;
}

void StrategyOutcome::add(const StrategyOutcome& o) {
    treated += o.treated;
    control += o.control;
    treated_alive += o.treated_alive;
    control_alive += o.control_alive;
    treated_revenue_cents += o.treated_revenue_cents;
    control_revenue_cents += o.control_revenue_cents;
    treated_revenue_sq += o.treated_revenue_sq;
    control_revenue_sq += o.control_revenue_sq;
}

StrategyRunner::StrategyRunner(const Scenario& sc, const Behaviour& model, std::size_t customers,
                               const MoodMultipliers* moods)
    : sc_(sc), model_(model), moods_(moods), strategies_(sc.strategies) {
    state_.resize(strategies_.size());
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        PerStrategy& ps = state_[k];
        ps.last_contact_day.resize(customers);
        ps.effect_until_day.resize(customers);
        ps.base_spend.resize(customers);
        ps.arm.resize(customers);
        ps.contacts.resize(customers);
        if (strategies_[k].kind == StrategyKind::Reward) {
            ps.reward_slot = std::int64_t(rewards_.size());
            RewardState& r = rewards_.emplace_back();
            r.points.resize(customers);
            r.seen_purchases.resize(customers);
            r.seen_spend.resize(customers);
        }
        needs_selection_ = needs_selection_ || ranks(strategies_[k]);
    }
}

void StrategyRunner::start_customers(Population& pop, std::size_t begin, std::size_t end) {
    const RandomKey rk{sc_.run.seed, sc_.run.replicate};
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        PerStrategy& ps = state_[k];
        const double holdout = strategies_[k].holdout_fraction;
        for (std::size_t i = begin; i < end; ++i) {
            ps.last_contact_day[i] = kNeverContacted;
            ps.effect_until_day[i] = kNeverContacted;
            ps.base_spend[i] = 0;
            ps.contacts[i] = 0;
            const bool control = holdout > 0.0 && Draws(rk, pop.key[i], Stream::Holdout, k).uniform() < holdout;
            ps.arm[i] = control ? kControl : 0;
        }
    }
}

double StrategyRunner::score(const Population& pop, std::size_t i, const StrategyConfig& st, double now) const {
    switch (st.score) {
        case TargetScore::None: return 0.0;
        case TargetScore::PAlive: return model_.p_alive(firm_history(pop, i, now));
        case TargetScore::PredictedMargin:
            return model_.predicted_margin_cents(firm_history(pop, i, now), st.value_horizon_weeks,
                                                 sc_.economics.annual_discount_rate, sc_.economics.margin_fraction);
        case TargetScore::SpendPerWeek: {
            const double weeks = std::max(1.0, (now - double(pop.birth_day[i])) / 7.0);
            return double(pop.spend_cents[i]) / weeks;
        }
    }
    return 0.0;
}

void StrategyRunner::accrue_rewards(Population& pop, std::size_t i, std::size_t k, std::size_t step, double now,
                                    double step_days, StrategyTally& t) {
    const RewardConfig& rc = strategies_[k].reward;
    RewardState& r = rewards_[std::size_t(state_[k].reward_slot)];
    const std::uint32_t purchases = pop.repeat_purchases[i];
    const std::int64_t spend = pop.spend_cents[i];
    const std::int64_t earned =
        std::int64_t(purchases - r.seen_purchases[i]) * rc.points_per_purchase +
        std::int64_t(std::floor(double(spend - r.seen_spend[i]) * rc.points_per_currency_unit / 100.0));
    r.seen_purchases[i] = purchases;
    r.seen_spend[i] = spend;
    std::int64_t points = std::int64_t(r.points[i]) + earned;
    t.points_issued += earned;
    if (rc.expiry_days > 0.0 && points > 0 && now - double(pop.last_purchase_day[i]) >= rc.expiry_days) {
        t.points_expired += points;
        points = 0;
    }
    if (points >= rc.reward_threshold_points) {
        const std::int64_t due = points / rc.reward_threshold_points;
        std::int64_t claimed = due;
        if (rc.redemption_probability < 1.0) {
            Draws d({sc_.run.seed, sc_.run.replicate}, pop.key[i], Stream::Response,
                    response_event(step, k, Purpose::Redemption));
            claimed = 0;
            for (std::int64_t j = 0; j < due; ++j) claimed += d.uniform() < rc.redemption_probability ? 1 : 0;
        }
        points -= claimed * rc.reward_threshold_points;
        t.points_redeemed += claimed * rc.reward_threshold_points;
        t.rewards_redeemed += claimed;
        t.redemption_cost_cents += claimed * rc.reward_cost_cents;
    }
    r.points[i] = std::int32_t(std::min<std::int64_t>(points, std::numeric_limits<std::int32_t>::max()));
    t.fee_income_cents += std::llround(double(rc.fee_per_year_cents) * step_days / 365.0);
    t.members += 1;
    t.points_outstanding += points;
}

void StrategyRunner::evaluate(Population& pop, std::size_t begin, std::size_t end, std::size_t step, double now,
                              double step_days, std::vector<std::vector<Candidate>>& candidates,
                              std::vector<StrategyTally>& tally) {
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const StrategyConfig& st = strategies_[k];
        PerStrategy& ps = state_[k];
        StrategyTally& t = tally[k];
        candidates[k].clear();
        const bool reward = st.kind == StrategyKind::Reward;
        if (reward) {
            for (std::size_t i = begin; i < end; ++i) {
                if (ps.effect_until_day[i] == std::numeric_limits<float>::infinity()) {
                    accrue_rewards(pop, i, k, step, now, step_days, t);
                }
            }
        }
        // Revenue since first chosen, for the incremental time series.
        for (std::size_t i = begin; i < end; ++i) {
            if ((ps.arm[i] & kChosen) == 0) continue;
            const std::int64_t revenue = pop.spend_cents[i] - ps.base_spend[i];
            if (ps.arm[i] & kControl) {
                t.control += 1;
                t.control_revenue_cents += revenue;
            } else {
                t.treated += 1;
                t.treated_revenue_cents += revenue;
            }
        }
        if (now < st.start_day || now >= st.end_day) continue;
        std::uint32_t stage_mask = 0;
        for (Stage s : st.stages) stage_mask |= 1u << unsigned(s);
        const bool selected_later = ranks(st);
        const double value_cap = st.max_incentive_fraction_of_value;
        for (std::size_t i = begin; i < end; ++i) {
            if ((stage_mask >> unsigned(pop.stage[i]) & 1u) == 0) continue;
            if (now - double(pop.birth_day[i]) < st.min_tenure_days) continue;
            if (now - double(ps.last_contact_day[i]) < st.contact_every_days) continue;
            if (ps.contacts[i] >= st.max_contacts) continue;
            if (reward && ps.effect_until_day[i] == std::numeric_limits<float>::infinity()) continue;  // member
            const double s = score(pop, i, st, now);
            if (!(s >= st.score_min && s <= st.score_max)) continue;
            if (value_cap > 0.0) {
                // Never pay more than the value at stake: the incentive must fit under the cap.
                const double value = st.score == TargetScore::PredictedMargin
                                         ? s
                                         : model_.predicted_margin_cents(firm_history(pop, i, now), st.value_horizon_weeks,
                                                                         sc_.economics.annual_discount_rate,
                                                                         sc_.economics.margin_fraction);
                if (!(double(st.cost_per_incentive_cents) <= value_cap * value)) continue;
            }
            const bool holdout = (ps.arm[i] & kControl) != 0;
            candidates[k].push_back({s, pop.key[i], std::uint32_t(i), holdout, !selected_later});
            t.candidates += 1;
        }
    }
}

void StrategyRunner::select(std::vector<std::vector<std::vector<Candidate>>*>& per_block, double step_days) const {
    std::vector<Candidate*> all;
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const StrategyConfig& st = strategies_[k];
        if (!ranks(st)) continue;
        all.clear();
        for (auto* block : per_block) {
            for (Candidate& c : (*block)[k]) all.push_back(&c);
        }
        // Highest score first; equal scores in key order (keys are unique): a total order, so
        // the choice does not depend on how customers were split into blocks.
        std::sort(all.begin(), all.end(), [](const Candidate* a, const Candidate* b) {
            return a->score != b->score ? a->score > b->score : a->key < b->key;
        });
        const auto keep = std::size_t(std::ceil(st.top_fraction * double(all.size()) - 1e-9));
        const double budget = std::floor(st.budget_per_week_cents * step_days / 7.0);
        const double reserve = double(st.cost_per_contact_cents + st.cost_per_incentive_cents);
        double committed = 0.0;
        for (std::size_t j = 0; j < std::min(keep, all.size()); ++j) {
            Candidate& c = *all[j];
            if (!c.holdout) {
                // The contact and the incentive, should the customer take it, are reserved in
                // full: spending can then never exceed the cap.
                if (committed + reserve > budget) break;
                committed += reserve;
            }
            c.chosen = true;
        }
    }
}

void StrategyRunner::act(Population& pop, std::size_t begin, std::size_t end, std::size_t step, double now,
                         const std::vector<std::vector<Candidate>>& candidates,
                         std::array<std::int64_t, kStageCount * kTruthCount>& counts,
                         std::vector<StrategyTally>& tally) {
    const RandomKey rk{sc_.run.seed, sc_.run.replicate};
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const StrategyConfig& st = strategies_[k];
        PerStrategy& ps = state_[k];
        StrategyTally& t = tally[k];
        for (const Candidate& c : candidates[k]) {
            if (!c.chosen) continue;
            const std::size_t i = c.index;
            if ((ps.arm[i] & kChosen) == 0) {
                ps.arm[i] |= kChosen;
                ps.base_spend[i] = pop.spend_cents[i];
            }
            ps.last_contact_day[i] = float(now);
            ps.contacts[i] = std::uint16_t(std::min<std::int64_t>(ps.contacts[i] + 1, 65535));
            if (c.holdout) {
                t.held_out += 1;
                continue;
            }
            t.contacts += 1;
            t.contact_cost_cents += st.cost_per_contact_cents;
            Draws d(rk, pop.key[i], Stream::Response, response_event(step, k, Purpose::Contact));
            const double u = d.uniform();
            bool responded = false;
            if (gone_at(pop.death_day[i], now)) {
                t.contacts_on_gone += 1;
                t.spent_on_gone_cents += st.cost_per_contact_cents;
                if (st.kind == StrategyKind::WinBack && u < st.effect.revive_probability && model_.revive(pop, i, now, d)) {
                    if (pop.has_sentiment()) pop.mood[i] = std::uint8_t(Mood::Content);
                    const auto stage = std::size_t(pop.stage[i]);
                    counts[stage * kTruthCount + 1] -= 1;  // gone -> alive, in the firm's same stage
                    counts[stage * kTruthCount] += 1;
                    t.revived += 1;
                    responded = true;
                }
            } else {
                // A customer already switching to a competitor is harder to reach than one only
                // considering it (truth; the firm sees only the signal).
                const bool switching = pop.has_sentiment() && mood_of(pop, i) == Mood::Switching;
                responded = u < st.response_probability * (switching ? st.switching_response_multiplier : 1.0);
            }
            if (!responded) continue;
            if (st.effect.restores_content && pop.has_sentiment()) {
                pop.mood[i] = std::uint8_t(Mood::Content) | (pop.mood[i] & kSignalSwitchingBit);
            }
            t.responses += 1;
            t.incentive_cost_cents += st.cost_per_incentive_cents;
            if (st.kind == StrategyKind::Reward) {
                ps.effect_until_day[i] = std::numeric_limits<float>::infinity();  // a member from now on
                RewardState& r = rewards_[std::size_t(ps.reward_slot)];
                r.points[i] = 0;
                r.seen_purchases[i] = pop.repeat_purchases[i];
                r.seen_spend[i] = pop.spend_cents[i];
            } else {
                ps.effect_until_day[i] = float(now + st.effect.effect_days);
            }
        }
    }
    for (std::size_t i = begin; i < end; ++i) refresh_multipliers(pop, i, now);
}

void StrategyRunner::refresh_multipliers(Population& pop, std::size_t i, double now) const {
    double rate = 1.0, risk = 1.0, spend = 1.0;
    if (moods_ != nullptr) {
        const auto m = std::size_t(mood_of(pop, i));
        rate = moods_->rate[m];
        risk = moods_->risk[m];
    }
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const PerStrategy& ps = state_[k];
        if (!(double(ps.effect_until_day[i]) > now)) continue;
        const StrategyConfig& st = strategies_[k];
        rate *= st.effect.rate_multiplier;
        risk *= st.effect.risk_multiplier;
        spend *= st.effect.spend_multiplier;
        if (st.kind == StrategyKind::Reward && st.reward.goal_gradient > 0.0) {
            // Goal gradient: the closer to the next reward, the faster the member buys.
            const RewardState& r = rewards_[std::size_t(ps.reward_slot)];
            const double progress = double(r.points[i] % st.reward.reward_threshold_points) /
                                    double(st.reward.reward_threshold_points);
            rate *= 1.0 + st.reward.goal_gradient * progress;
        }
    }
    const auto f_rate = float(rate), f_risk = float(risk), f_spend = float(spend);
    if (f_rate != pop.rate_mult[i] || f_risk != pop.risk_mult[i] || f_spend != pop.spend_mult[i]) {
        model_.influence(pop, i, now, f_rate, f_risk, f_spend);
    }
}

void StrategyRunner::fixed_costs(double step_start, double step_days, std::vector<StrategyTally>& tally) const {
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const StrategyConfig& st = strategies_[k];
        if (step_start < st.start_day || step_start >= st.end_day) continue;
        tally[k].fixed_cost_cents += std::llround(double(st.fixed_cost_per_week_cents) * step_days / 7.0);
    }
}

void StrategyRunner::outcomes(const Population& pop, std::size_t begin, std::size_t end, double now,
                              std::vector<StrategyOutcome>& out) const {
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const PerStrategy& ps = state_[k];
        StrategyOutcome& o = out[k];
        for (std::size_t i = begin; i < end; ++i) {
            if ((ps.arm[i] & kChosen) == 0) continue;
            const std::int64_t revenue = pop.spend_cents[i] - ps.base_spend[i];
            const bool alive = !gone_at(pop.death_day[i], now);
            if (ps.arm[i] & kControl) {
                o.control += 1;
                o.control_alive += alive ? 1 : 0;
                o.control_revenue_cents += revenue;
                o.control_revenue_sq += WideSum(revenue) * revenue;
            } else {
                o.treated += 1;
                o.treated_alive += alive ? 1 : 0;
                o.treated_revenue_cents += revenue;
                o.treated_revenue_sq += WideSum(revenue) * revenue;
            }
        }
    }
}

}  // namespace retsim
