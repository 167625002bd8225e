// The firm's view of where each customer is in the lifecycle. Stages are derived only from
// what a firm can see (first purchase, last purchase, an observed cancellation), never from
// the truth; the truth (alive or gone) is tallied beside them for reporting.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

namespace retsim {

/// Firm-view lifecycle stages. "active" is the ideal active customer; silent attrition and
/// unhappy are the other active segments; at risk comes in two kinds (already switching to a
/// competitor, or only considering it). New stages are given a name here and a rule in
/// classify(); the output layout takes its columns from kStageNames.
enum class Stage : std::uint8_t {
    New,
    Active,
    SilentAttrition,
    Unhappy,
    AtRiskConsidering,
    AtRiskSwitching,
    Lapsed,
    Inactive,
    Lost,
    WonBack
};
inline constexpr std::size_t kStageCount = 10;
inline constexpr std::array<std::string_view, kStageCount> kStageNames = {
    "new", "active", "silent_attrition", "unhappy", "at_risk_considering", "at_risk_switching",
    "lapsed", "inactive", "lost", "won_back"};

/// Stages in which the firm still counts a customer as buying (not lapsed, inactive or lost).
[[nodiscard]] constexpr bool is_active_stage(Stage s) {
    return s != Stage::Lapsed && s != Stage::Inactive && s != Stage::Lost;
}

/// Truth columns of the stage-by-truth table.
inline constexpr std::size_t kTruthCount = 2;
inline constexpr std::array<std::string_view, kTruthCount> kTruthNames = {"alive", "gone"};

/// Stage thresholds, all in days.
struct StageRules {
    double welcome_days = 30;
    double lapsed_days = 90;
    double inactive_days = 180;
    double lost_days = 365;
    double won_back_days = 90;
    double unhappy_days = 90;    ///< a complaint marks a customer unhappy this long
    double at_risk_days = 60;    ///< a risk signal marks a customer at risk this long
    double silent_attrition_factor = 0;  ///< recency > factor x own mean gap: silent attrition; 0 = off
    bool churn_observed = false;  ///< contractual: a cancellation is seen by the firm
};

/// What classify() needs to know of one customer.
struct StageInput {
    double now_day;
    double birth_day;
    double last_purchase_day;
    double stage_since_day;
    Stage previous;
    bool cancelled;  ///< observed cancellation (only meaningful when churn_observed)
    double repeat_purchases = 0;
    double complaint_day = -std::numeric_limits<double>::infinity();  ///< last complaint seen
    double signal_day = -std::numeric_limits<double>::infinity();     ///< last risk signal seen
    bool signal_switching = false;  ///< the last signal showed a customer already switching
};

/// The stage of one customer at `now_day`, since when it holds, and the earliest day at which
/// it can change without a new purchase or cancellation (+inf: only an event changes it).
struct StageOutput {
    Stage stage;
    double since_day;
    double review_day;
};

/// Pure function of the firm's view: lapsed/inactive/lost by recency; at risk for at_risk_days
/// after a risk signal; a purchase after lapsed/inactive/lost makes the customer "won back" for
/// won_back_days; new for welcome_days after the first purchase; unhappy for unhappy_days after
/// a complaint; silent attrition once the time since the last purchase exceeds
/// silent_attrition_factor times the customer's own mean gap between purchases; otherwise active.
[[nodiscard]] inline StageOutput classify(const StageInput& in, const StageRules& rules) {
    constexpr double kNoChange = std::numeric_limits<double>::infinity();
    const double lapse_day = rules.churn_observed ? kNoChange : in.last_purchase_day + rules.lapsed_days;
    const auto done = [&](Stage next, double review) -> StageOutput {
        return {next, next != in.previous ? in.now_day : in.stage_since_day, review};
    };
    if (rules.churn_observed && in.cancelled) return done(Stage::Lost, kNoChange);
    if (!rules.churn_observed) {
        const double recency = in.now_day - in.last_purchase_day;
        if (recency >= rules.lost_days) return done(Stage::Lost, kNoChange);
        if (recency >= rules.inactive_days) return done(Stage::Inactive, in.last_purchase_day + rules.lost_days);
        if (recency >= rules.lapsed_days) return done(Stage::Lapsed, in.last_purchase_day + rules.inactive_days);
    }
    const double signal_end = in.signal_day + rules.at_risk_days;
    if (in.now_day < signal_end) {
        return done(in.signal_switching ? Stage::AtRiskSwitching : Stage::AtRiskConsidering,
                    std::min(signal_end, lapse_day));
    }
    if (!rules.churn_observed) {
        const bool was_away = in.previous == Stage::Lapsed || in.previous == Stage::Inactive ||
                              in.previous == Stage::Lost;
        if (was_away || (in.previous == Stage::WonBack && in.now_day - in.stage_since_day < rules.won_back_days)) {
            const double since = was_away ? in.last_purchase_day : in.stage_since_day;
            return {Stage::WonBack, since, std::min(since + rules.won_back_days, lapse_day)};
        }
    }
    if (in.now_day - in.birth_day < rules.welcome_days) {
        return done(Stage::New, std::min(in.birth_day + rules.welcome_days, lapse_day));
    }
    const double unhappy_end = in.complaint_day + rules.unhappy_days;
    if (in.now_day < unhappy_end) return done(Stage::Unhappy, std::min(unhappy_end, lapse_day));
    if (!rules.churn_observed && rules.silent_attrition_factor > 0.0 && in.repeat_purchases >= 2.0) {
        const double gap = (in.last_purchase_day - in.birth_day) / in.repeat_purchases;
        const double silent_day = in.last_purchase_day + rules.silent_attrition_factor * gap;
        if (in.now_day >= silent_day) return done(Stage::SilentAttrition, lapse_day);
        return done(Stage::Active, std::min(silent_day, lapse_day));
    }
    return done(Stage::Active, lapse_day);
}

}  // namespace retsim
