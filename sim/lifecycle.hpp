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

/// Firm-view lifecycle stages. New stages are appended (with their name) and given a rule
/// in classify(); the output layout takes its columns from kStageNames.
enum class Stage : std::uint8_t { New, Active, Lapsed, Inactive, Lost, WonBack };
inline constexpr std::size_t kStageCount = 6;
inline constexpr std::array<std::string_view, kStageCount> kStageNames = {
    "new", "active", "lapsed", "inactive", "lost", "won_back"};

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
};

/// The stage of one customer at `now_day`, since when it holds, and the earliest day at which
/// it can change without a new purchase or cancellation (+inf: only an event changes it).
struct StageOutput {
    Stage stage;
    double since_day;
    double review_day;
};

/// Pure function of the firm's view: lapsed/inactive/lost by recency; a purchase after
/// lapsed/inactive/lost makes the customer "won back" for won_back_days; new for
/// welcome_days after the first purchase; otherwise active.
[[nodiscard]] inline StageOutput classify(const StageInput& in, const StageRules& rules) {
    constexpr double kNoChange = std::numeric_limits<double>::infinity();
    const double lapse_day = in.last_purchase_day + rules.lapsed_days;
    Stage next;
    double review = kNoChange;
    if (rules.churn_observed) {
        if (in.cancelled) {
            next = Stage::Lost;
        } else if (in.now_day - in.birth_day < rules.welcome_days) {
            next = Stage::New;
            review = in.birth_day + rules.welcome_days;
        } else {
            next = Stage::Active;
        }
    } else {
        const double recency = in.now_day - in.last_purchase_day;
        const bool was_away = in.previous == Stage::Lapsed || in.previous == Stage::Inactive ||
                              in.previous == Stage::Lost;
        if (recency >= rules.lost_days) {
            next = Stage::Lost;
        } else if (recency >= rules.inactive_days) {
            next = Stage::Inactive;
            review = in.last_purchase_day + rules.lost_days;
        } else if (recency >= rules.lapsed_days) {
            next = Stage::Lapsed;
            review = in.last_purchase_day + rules.inactive_days;
        } else if (was_away || (in.previous == Stage::WonBack &&
                                in.now_day - in.stage_since_day < rules.won_back_days)) {
            const double since = was_away ? in.last_purchase_day : in.stage_since_day;
            return {Stage::WonBack, since, std::min(since + rules.won_back_days, lapse_day)};
        } else if (in.now_day - in.birth_day < rules.welcome_days) {
            next = Stage::New;
            review = std::min(in.birth_day + rules.welcome_days, lapse_day);
        } else {
            next = Stage::Active;
            review = lapse_day;
        }
    }
    return {next, next != in.previous ? in.now_day : in.stage_since_day, review};
}

}  // namespace retsim
