// The firm's view of where each customer is in the lifecycle. Stages are derived only from
// what a firm can see (first purchase, last purchase, an observed cancellation), never from
// the truth; the truth (alive or gone) is tallied beside them for reporting.
#pragma once

#include <array>
#include <cstdint>
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

/// The stage of one customer at `now_day`, and since when it holds.
struct StageOutput {
    Stage stage;
    double since_day;
};

/// Pure function of the firm's view: lapsed/inactive/lost by recency; a purchase after
/// lapsed/inactive/lost makes the customer "won back" for won_back_days; new for
/// welcome_days after the first purchase; otherwise active.
[[nodiscard]] inline StageOutput classify(const StageInput& in, const StageRules& rules) {
    Stage next;
    double since = in.stage_since_day;
    if (rules.churn_observed && in.cancelled) {
        next = Stage::Lost;
    } else {
        const double recency = in.now_day - in.last_purchase_day;
        const bool was_away = in.previous == Stage::Lapsed || in.previous == Stage::Inactive ||
                              in.previous == Stage::Lost;
        if (!rules.churn_observed && recency >= rules.lost_days) {
            next = Stage::Lost;
        } else if (!rules.churn_observed && recency >= rules.inactive_days) {
            next = Stage::Inactive;
        } else if (!rules.churn_observed && recency >= rules.lapsed_days) {
            next = Stage::Lapsed;
        } else if (was_away) {
            return {Stage::WonBack, in.last_purchase_day};
        } else if (in.previous == Stage::WonBack &&
                   in.now_day - in.stage_since_day < rules.won_back_days) {
            next = Stage::WonBack;
        } else if (in.now_day - in.birth_day < rules.welcome_days) {
            next = Stage::New;
        } else {
            next = Stage::Active;
        }
    }
    if (next != in.previous) since = in.now_day;
    return {next, since};
}

}  // namespace retsim
