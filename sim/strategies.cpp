// Strategies at decision epochs (overview in strategies.hpp).
#include "sim/strategies.hpp"

#include "models/firm_prediction.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

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
    return retsim::firm_history(pop.repeat_purchases[i], pop.birth_day[i], pop.last_purchase_day[i], now,
                                double(pop.spend_cents[i]));
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
    rebate_cost_cents += o.rebate_cost_cents;
    unsubscribed += o.unsubscribed;
    fixed_cost_cents += o.fixed_cost_cents;
    spent_on_gone_cents += o.spent_on_gone_cents;
    fee_income_cents += o.fee_income_cents;
    points_issued += o.points_issued;
    points_redeemed += o.points_redeemed;
    points_expired += o.points_expired;
    rewards_redeemed += o.rewards_redeemed;
    members += o.members;
    points_outstanding += o.points_outstanding;
    rebates_accrued_cents += o.rebates_accrued_cents;
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

StrategyRunner::StrategyRunner(const Scenario& sc, const Behaviour& model, std::size_t first,
                               std::size_t customers, const MoodMultipliers* moods)
    : sc_(sc), model_(model), moods_(moods), strategies_(sc.strategies) {
    state_.resize(strategies_.size());
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        PerStrategy& ps = state_[k];
        ps.last_contact_day.allocate(first, customers);
        ps.effect_until_day.allocate(first, customers);
        ps.base_spend.allocate(first, customers);
        ps.arm.allocate(first, customers);
        ps.contacts.allocate(first, customers);
        if (strategies_[k].kind == StrategyKind::Reward) {
            ps.reward_slot = std::int64_t(rewards_.size());
            RewardState& r = rewards_.emplace_back();
            const RewardConfig& rc = strategies_[k].reward;
            r.rebates = rc.rebate_fraction > 0.0;
            r.tiers = !rc.tiers.empty();
            // Without points per currency unit or rebates, spend moves only with purchases, which
            // seen_purchases already tells.
            r.by_spend = rc.points_per_currency_unit > 0.0 || r.rebates;
            r.points.allocate(first, customers);
            r.seen_purchases.allocate(first, customers);
            if (r.by_spend) r.seen_spend.allocate(first, customers);
            if (r.tiers) {
                r.earned_total.allocate(first, customers);
                r.joined_day.allocate(first, customers);
            }
            if (r.rebates) {
                r.period_start_day.allocate(first, customers);
                r.period_spend_start.allocate(first, customers);
            }
        }
        needs_selection_ = needs_selection_ || ranks(strategies_[k]);
    }
    refresh_day_.allocate(first, customers);
}

void StrategyRunner::start_customers(Population& pop, std::size_t begin, std::size_t end) {
    const RandomKey rk{sc_.run.seed, sc_.run.replicate};
    refresh_day_.fill(begin, end, float(kInf));
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

std::size_t StrategyRunner::bytes_per_customer() const {
    const std::size_t per_strategy = sizeof(float) * 2 + sizeof(std::int64_t) + sizeof(std::uint8_t) + sizeof(std::uint16_t);
    std::size_t per_reward = 0;
    for (const RewardState& r : rewards_) {
        per_reward += sizeof(std::int32_t) + sizeof(std::uint32_t) + (r.by_spend ? sizeof(std::int64_t) : 0) +
                      (r.tiers ? sizeof(std::int64_t) + sizeof(float) : 0) +
                      (r.rebates ? sizeof(float) + sizeof(std::int64_t) : 0);
    }
    return state_.size() * per_strategy + per_reward + sizeof(float);  // + refresh_day_
}

double StrategyRunner::score(const Population& pop, std::size_t i, const StrategyConfig& st, double now) const {
    switch (st.score) {
        case TargetScore::None: return 0.0;
        case TargetScore::PAlive: return model_.p_alive(firm_history(pop, i, now));
        case TargetScore::PredictedMargin:
            return model_.predicted_margin_cents(firm_history(pop, i, now), st.value_horizon_weeks,
                                                 sc_.economics.annual_discount_rate, sc_.economics.margin_fraction);
        case TargetScore::Propensity: return propensity(st.propensity, to_history(firm_history(pop, i, now)));
        case TargetScore::SpendPerWeek: {
            const double weeks = std::max(1.0, (now - double(pop.birth_day[i])) / 7.0);
            return double(pop.spend_cents[i]) / weeks;
        }
    }
    return 0.0;
}

// Inlined into the accrual loop of evaluate(), where the reward settings then stay in registers.
[[gnu::always_inline]] inline void StrategyRunner::accrue_rewards(Population& pop, std::size_t i, std::size_t k,
                                                                  std::size_t step, double now, double step_days,
                                                                  float expire_by, StrategyTally& t) {
    const RewardConfig& rc = strategies_[k].reward;
    RewardState& r = rewards_[std::size_t(state_[k].reward_slot)];
    const std::uint32_t purchases = pop.repeat_purchases[i];
    const std::int64_t spend = pop.spend_cents[i];
    const std::size_t tier = rc.tiers.empty() ? 0 : tier_of(strategies_[k], r, i, now);
    const double earn_multiplier = tier == 0 ? 1.0 : rc.tiers[tier - 1].earn_multiplier;
    // Points per purchase only, no tiers: the same integer without the floating-point detour
    // (the product stays far below 2^53, and spend never falls, so its term is +0).
    const std::int64_t earned =
        rc.points_per_currency_unit == 0.0 && tier == 0
            ? std::int64_t(purchases - r.seen_purchases[i]) * rc.points_per_purchase
            : std::int64_t(std::floor((double(purchases - r.seen_purchases[i]) * double(rc.points_per_purchase) +
                                       double(r.by_spend ? spend - r.seen_spend[i] : 0) * rc.points_per_currency_unit / 100.0) *
                                      earn_multiplier));
    if (r.tiers) r.earned_total[i] += earned;
    const bool period_ended = rc.rebate_fraction > 0.0 && now - double(r.period_start_day[i]) >= rc.rebate_period_days;
    if (period_ended) {
        // The rebate period is over: pay the rebate on its spend when it reached the threshold.
        const std::int64_t volume = spend - r.period_spend_start[i];
        if (volume >= rc.rebate_threshold_cents && volume > 0) {
            t.rebate_cost_cents += std::llround(double(volume) * rc.rebate_fraction);
        }
        r.period_start_day[i] = float(double(r.period_start_day[i]) + rc.rebate_period_days);
        r.period_spend_start[i] = spend;
    }
    if (rc.rebate_fraction > 0.0) {
        // Liability of the open period: the rebate already earned if the period ended now.
        const std::int64_t volume = spend - r.period_spend_start[i];
        if (volume >= rc.rebate_threshold_cents && volume > 0) {
            t.rebates_accrued_cents += std::llround(double(volume) * rc.rebate_fraction);
        }
    }
    // New points or spend move the goal gradient: refresh the member at this epoch.
    if (earned != 0 || (r.by_spend && spend != r.seen_spend[i]) || period_ended) refresh_day_[i] = -float(kInf);
    r.seen_purchases[i] = purchases;
    if (r.by_spend) r.seen_spend[i] = spend;
    std::int64_t points = std::int64_t(r.points[i]) + earned;
    t.points_issued += earned;
    if (points > 0 && pop.last_purchase_day[i] <= expire_by) {
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
    if (points != std::int64_t(r.points[i])) refresh_day_[i] = -float(kInf);
    r.points[i] = std::int32_t(std::min<std::int64_t>(points, std::numeric_limits<std::int32_t>::max()));
    // Fees are money received: a member who has left (truth) pays no more, though the firm
    // still counts the membership.
    if (rc.fee_per_year_cents > 0 && !gone_at(pop.death_day[i], now)) {
        t.fee_income_cents += std::llround(double(rc.fee_per_year_cents) * step_days / 365.0);
    }
}

/// Tier of a member: 0 = no tier, j = rc.tiers[j - 1]; by points earned per year of membership
/// (at least a quarter of a year, so that a new member is not promoted by one big purchase).
std::size_t StrategyRunner::tier_of(const StrategyConfig& st, const RewardState& r, std::size_t i, double now) const {
    const double years = std::max(0.25, (now - double(r.joined_day[i])) / 365.0);
    const double per_year = double(r.earned_total[i]) / years;
    std::size_t tier = 0;
    for (std::size_t j = 0; j < st.reward.tiers.size(); ++j) {
        if (per_year >= st.reward.tiers[j].min_points_per_year) tier = j + 1;
    }
    return tier;
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
        const RewardConfig& rc = st.reward;
        // A member who has not bought since the last epoch, with no points due to expire or to
        // be redeemed, only counts (members, points outstanding) when points come per purchase
        // or per currency unit alone: no tiers, rebate periods or fees move with time.
        const bool quiet_members_only_count =
            rc.tiers.empty() && rc.rebate_fraction == 0.0 && rc.fee_per_year_cents == 0;
        const RewardState* r = reward ? &rewards_[std::size_t(ps.reward_slot)] : nullptr;
        // Points (at most 2^31 - 1) reach a reward from this many on (the threshold is at most 1e9).
        const auto threshold = std::int32_t(rc.reward_threshold_points);
        // Points expire for a member whose last purchase is on or before this day.
        const float expire_by = rc.expiry_days > 0.0 ? latest_at_least(now, rc.expiry_days)
                                                     : std::numeric_limits<float>::quiet_NaN();
        std::int64_t members = 0, outstanding = 0;
        if (reward) {
            // Members who are not quiet accrue. The test has no side effect and no branch (one
            // version with spend tracked, one without), so that it vectorises.
            const auto accrue_due = [&](auto by_spend) {
                for_each_due(
                    begin, end,
                    [&](std::size_t i) {
                        const bool member = ps.effect_until_day[i] == std::numeric_limits<float>::infinity();
                        const std::int32_t p = r->points[i];
                        const bool expiring = (p > 0) & (pop.last_purchase_day[i] <= expire_by);
                        bool quiet = quiet_members_only_count & (pop.repeat_purchases[i] == r->seen_purchases[i]) &
                                     (p < threshold) & !expiring;
                        if constexpr (by_spend) quiet &= pop.spend_cents[i] == r->seen_spend[i];
                        return member & !quiet;
                    },
                    [&](std::size_t i) { accrue_rewards(pop, i, k, step, now, step_days, expire_by, t); });
            };
            if (r->by_spend) {
                accrue_due(std::true_type{});
            } else {
                accrue_due(std::false_type{});
            }
            // Then all members are counted, with their points after accrual.
            const float* effect_until = ps.effect_until_day.at(begin);
            const std::int32_t* points = r->points.at(begin);
            for (std::size_t j = 0; j < end - begin; ++j) {
                const std::int32_t member = -std::int32_t(effect_until[j] == std::numeric_limits<float>::infinity());
                members += member & 1;
                outstanding += points[j] & member;
            }
        }
        // Revenue since first chosen, for the incremental time series (branch-free).
        std::int64_t treated = 0, control = 0, treated_revenue = 0, control_revenue = 0;
        for (std::size_t i = begin; i < end; ++i) {
            const auto arm = std::uint32_t(ps.arm[i] & (kChosen | kControl));
            const std::int64_t in_control = arm == (kChosen | kControl);
            const std::int64_t in_treated = arm == kChosen;
            const std::int64_t revenue = pop.spend_cents[i] - ps.base_spend[i];
            control += in_control;
            treated += in_treated;
            control_revenue += revenue & -in_control;
            treated_revenue += revenue & -in_treated;
        }
        t.members += members;
        t.points_outstanding += outstanding;
        t.control += control;
        t.treated += treated;
        t.control_revenue_cents += control_revenue;
        t.treated_revenue_cents += treated_revenue;
        if (now < st.start_day || now >= st.end_day) continue;
        std::array<bool, kStageCount> eligible_stage{};
        for (Stage s : st.stages) eligible_stage[std::size_t(s)] = true;
        const bool selected_later = ranks(st);
        const double value_cap = st.max_incentive_fraction_of_value;
        const float born_by = latest_at_least(now, st.min_tenure_days);
        const float contacted_by = latest_at_least(now, st.contact_every_days);
        // Contacts are at most 65535, so the limit compares the same in 32 bits.
        const auto max_contacts = std::int32_t(std::clamp<std::int64_t>(st.max_contacts, -1, 65536));
        // The simple filters first (not a member already, an eligible stage, tenure, contact
        // spacing and count, not opted out), then renewal dates, score and value cap. The stage
        // is compared with each stage rather than looked up, so that the test vectorises.
        for_each_due(
            begin, end,
            [&](std::size_t i) {
                const bool member = reward & (ps.effect_until_day[i] == std::numeric_limits<float>::infinity());
                const auto stage = std::uint8_t(pop.stage[i]);
                bool in_stage = false;
                for (std::size_t s = 0; s < kStageCount; ++s) in_stage |= eligible_stage[s] & (stage == s);
                return !member & in_stage & (pop.birth_day[i] <= born_by) & (ps.last_contact_day[i] <= contacted_by) &
                       (std::int32_t(ps.contacts[i]) < max_contacts) & ((ps.arm[i] & kUnsubscribed) == 0);
            },
            [&](std::size_t i) {
                if (st.before_renewal_days >= 0.0 || st.after_renewal_days >= 0.0) {
                    // The firm knows a contract's renewal dates: the next one, and the last one passed.
                    const double to_next = double(pop.next_event_day[i]) - now;
                    const double since_last = now - double(pop.last_purchase_day[i]);
                    const bool before = st.before_renewal_days >= 0.0 && to_next >= 0.0 && to_next <= st.before_renewal_days;
                    const bool after = st.after_renewal_days >= 0.0 && pop.repeat_purchases[i] > 0 &&
                                       since_last <= st.after_renewal_days;
                    if (!before && !after) return;
                }
                const double s = score(pop, i, st, now);
                if (!(s >= st.score_min && s <= st.score_max)) return;
                if (value_cap > 0.0) {
                    // Never pay more than the value at stake: the incentive must fit under the cap.
                    const double value = st.score == TargetScore::PredictedMargin
                                             ? s
                                             : model_.predicted_margin_cents(firm_history(pop, i, now), st.value_horizon_weeks,
                                                                             sc_.economics.annual_discount_rate,
                                                                             sc_.economics.margin_fraction);
                    if (!(double(st.cost_per_incentive_cents) <= value_cap * value)) return;
                }
                const bool holdout = (ps.arm[i] & kControl) != 0;
                candidates[k].push_back({s, pop.key[i], std::uint32_t(i), holdout, !selected_later});
                t.candidates += 1;
            });
    }
}

std::vector<std::vector<Candidate>> StrategyRunner::ranked_candidates(
    const std::vector<std::vector<std::vector<Candidate>>*>& per_block) const {
    std::vector<std::vector<Candidate>> out(strategies_.size());
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        if (!ranks(strategies_[k])) continue;
        for (const auto* block : per_block) out[k].insert(out[k].end(), (*block)[k].begin(), (*block)[k].end());
    }
    return out;
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
        const auto before = [](const Candidate* a, const Candidate* b) {
            return a->score != b->score ? a->score > b->score : a->key < b->key;
        };
        const std::size_t keep = std::min(all.size(), std::size_t(std::ceil(st.top_fraction * double(all.size()) - 1e-9)));
        const bool capped = std::isfinite(st.budget_per_week_cents);
        if (!capped) {
            // Only the set of the top `keep` matters, not their order.
            std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(keep), all.end(), before);
            for (std::size_t j = 0; j < keep; ++j) all[j]->chosen = true;
            continue;
        }
        const double budget = std::floor(st.budget_per_week_cents * step_days / 7.0);
        const double reserve = double(st.cost_per_contact_cents + st.cost_per_incentive_cents);
        // The budget pays for at most this many contacts; sort only a prefix that is likely to
        // hold them (with the held-out customers among them), and more if it does not.
        const double affordable = reserve > 0.0 ? std::floor(budget / reserve) : double(keep);
        std::size_t sorted = 0;
        const auto sort_prefix = [&](std::size_t want) {
            want = std::min(want, keep);
            if (want <= sorted) return;
            std::partial_sort(all.begin() + std::ptrdiff_t(sorted), all.begin() + std::ptrdiff_t(want),
                              all.begin() + std::ptrdiff_t(keep), before);
            sorted = want;
        };
        if (keep < all.size()) std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(keep), all.end(), before);
        sort_prefix(std::size_t(std::min(double(keep), 2.0 * affordable + 64.0)));
        double committed = 0.0;
        for (std::size_t j = 0; j < keep; ++j) {
            if (j == sorted) sort_prefix(2 * sorted + 64);
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
            const double u_unsubscribe = d.uniform();
            const bool unsubscribes = u_unsubscribe < st.effect.unsubscribe_probability;
            if (unsubscribes) {
                ps.arm[i] |= kUnsubscribed;
                t.unsubscribed += 1;
            }
            // With a propensity score the firm's model is taken as right: it is the response probability.
            double base_response = st.score == TargetScore::Propensity ? c.score : st.response_probability;
            if (st.response_heterogeneity > 0.0) {
                const double sensitivity = Draws(rk, pop.key[i], Stream::Sensitivity, k).uniform();
                base_response = std::min(
                    1.0, base_response * (1.0 - st.response_heterogeneity + 2.0 * st.response_heterogeneity * sensitivity));
            }
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
                // A customer who opts out at this contact does not take its offer either.
                responded = !unsubscribes && u < base_response * (switching ? st.switching_response_multiplier : 1.0);
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
                if (r.by_spend) r.seen_spend[i] = pop.spend_cents[i];
                if (r.tiers) {
                    r.earned_total[i] = 0;
                    r.joined_day[i] = float(now);
                }
                if (r.rebates) {
                    r.period_start_day[i] = float(now);
                    r.period_spend_start[i] = pop.spend_cents[i];
                }
            } else {
                ps.effect_until_day[i] = float(now + st.effect.effect_days);
            }
        }
    }
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        for (const Candidate& c : candidates[k]) {
            if (c.chosen) refresh_multipliers(pop, c.index, now);
        }
    }
    // Customers whose refresh day has come (a float day d <= now exactly when d <= float_not_above(now)).
    const float now_down = float_not_above(now);
    list_due(
        begin, end, [&](std::size_t i) { return refresh_day_[i] <= now_down; },
        [&](std::span<const std::uint32_t> due) { refresh_multipliers(pop, due, now); });
}

// Inlined into both refresh_multipliers (one customer, a list of them).
[[gnu::always_inline]] inline StrategyRunner::Multipliers StrategyRunner::multipliers(const Population& pop,
                                                                                    std::size_t i, double now) const {
    double rate = 1.0, risk = 1.0, spend = 1.0;
    double next_change = kInf;  // first day a term below changes with time alone
    if (moods_ != nullptr) {
        const auto m = std::size_t(mood_of(pop, i));
        rate = moods_->rate[m];
        risk = moods_->risk[m];
    }
    for (std::size_t k = 0; k < strategies_.size(); ++k) {
        const PerStrategy& ps = state_[k];
        const StrategyConfig& st = strategies_[k];
        const double fatigue_until = double(ps.last_contact_day[i]) + st.effect.effect_days;
        if (st.effect.fatigue_risk_multiplier != 1.0 && (ps.arm[i] & kControl) == 0 && now < fatigue_until) {
            risk *= st.effect.fatigue_risk_multiplier;  // contacted recently, responder or not
            next_change = std::min(next_change, fatigue_until);
        }
        if (!(double(ps.effect_until_day[i]) > now)) continue;
        next_change = std::min(next_change, double(ps.effect_until_day[i]));
        rate *= st.effect.rate_multiplier;
        risk *= st.effect.risk_multiplier;
        spend *= st.effect.spend_multiplier;
        if (st.kind == StrategyKind::Reward) {
            const RewardConfig& rc = st.reward;
            const RewardState& r = rewards_[std::size_t(ps.reward_slot)];
            if (rc.goal_gradient > 0.0) {
                // Goal gradient: the closer to the next reward (or to the rebate threshold), the
                // faster the member buys. Points and spend move only at accruals, which refresh.
                const std::int64_t points = r.points[i];
                const std::int64_t toward_next =
                    points < rc.reward_threshold_points ? points : points % rc.reward_threshold_points;
                double progress = double(toward_next) / double(rc.reward_threshold_points);
                if (rc.rebate_fraction > 0.0 && rc.rebate_threshold_cents > 0) {
                    progress = std::min(1.0, double(pop.spend_cents[i] - r.period_spend_start[i]) /
                                                 double(rc.rebate_threshold_cents));
                }
                rate *= 1.0 + rc.goal_gradient * progress;
            }
            if (!rc.tiers.empty()) {
                const std::size_t tier = tier_of(st, r, i, now);
                if (tier > 0) rate *= rc.tiers[tier - 1].rate_multiplier;
                next_change = -kInf;  // tiers are reviewed at every epoch
            }
        }
    }
    // Rounded down to a float: refreshing early changes nothing, refreshing late would.
    const float refresh_day = next_change == kInf ? float(kInf) : std::nextafter(float(next_change), -float(kInf));
    return {float(rate), float(risk), float(spend), refresh_day};
}

[[gnu::always_inline]] inline void StrategyRunner::apply(Population& pop, std::size_t i, double now,
                                                         const Multipliers& m) {
    refresh_day_[i] = m.refresh_day;
    if (m.rate != pop.rate_mult[i] || m.risk != pop.risk_mult[i] || m.spend != pop.spend_mult[i]) {
        model_.influence(pop, i, now, m.rate, m.risk, m.spend);
    }
}

void StrategyRunner::refresh_multipliers(Population& pop, std::size_t i, double now) {
    apply(pop, i, now, multipliers(pop, i, now));
}

void StrategyRunner::refresh_multipliers(Population& pop, std::span<const std::uint32_t> customers, double now) {
    // All the multipliers first, then their changes: independent customers in a short loop
    // overlap their divisions and loads, where one customer at a time waits on each.
    std::array<Multipliers, kDueChunk> m;
    for (std::size_t done = 0; done < customers.size(); done += kDueChunk) {
        const std::size_t n = std::min(kDueChunk, customers.size() - done);
        for (std::size_t q = 0; q < n; ++q) m[q] = multipliers(pop, customers[done + q], now);
        for (std::size_t q = 0; q < n; ++q) apply(pop, customers[done + q], now, m[q]);
    }
}

void fixed_strategy_costs(const std::vector<StrategyConfig>& strategies, double step_start, double step_days,
                          std::vector<StrategyTally>& tally) {
    for (std::size_t k = 0; k < strategies.size(); ++k) {
        const StrategyConfig& st = strategies[k];
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
