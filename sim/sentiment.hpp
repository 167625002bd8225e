// The truth of how customers feel ([service] and [attrition] in the scenario) and what the
// firm sees of it. Each customer alive has a mood: content; unhappy after a service failure
// (buys less, more likely to leave, complains with some probability: the firm sees the
// complaint); considering leaving (buys less: the firm may see it as silent attrition, and
// sometimes sees a risk signal); switching to a competitor (buys little, leaves at a planned
// day unless a strategy restores it; the firm sees a switching signal more often). Moods change
// at the start of each step by the customer's own keyed draws (hazard clocks for the events
// that strike at random), so runs stay reproducible and paired scenarios share them.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "sim/population.hpp"
#include "sim/random.hpp"
#include "sim/scenario.hpp"

namespace retsim {

enum class Mood : std::uint8_t { Content = 0, Unhappy = 1, Considering = 2, Switching = 3 };
inline constexpr std::uint8_t kMoodMask = 0x7f;
inline constexpr std::uint8_t kSignalSwitchingBit = 0x80;  ///< firm view: the last signal showed switching

/// Rate and risk multipliers of each mood.
struct MoodMultipliers {
    std::array<float, 4> rate{1, 1, 1, 1};
    std::array<float, 4> risk{1, 1, 1, 1};
};
[[nodiscard]] MoodMultipliers mood_multipliers(const SentimentConfig& c);

[[nodiscard]] inline Mood mood_of(const Population& pop, std::size_t i) { return Mood(pop.mood[i] & kMoodMask); }

/// Customers [begin, end) start content, with no complaint and no signal, and fresh hazard
/// clocks drawn from their own keys.
void start_sentiment(const RandomKey& rk, Population& pop, std::size_t begin, std::size_t end);

/// Counts of one step.
struct SentimentTally {
    std::int64_t service_failures = 0, complaints = 0, started_considering = 0, started_switching = 0,
                 departures = 0, signals = 0;
};

/// Moves the moods of the alive customers of [begin, end) at `start`, the start of step `step`
/// (which ends at `step_end`): service failures, recovery, considering, deciding, signals; a
/// switching customer whose planned departure falls within the step leaves then (death_day).
/// Customers whose mood changed are appended to `changed`; those with a new complaint or
/// signal get review_day = start so that the engine reclassifies them.
void update_sentiment(const SentimentConfig& c, const RandomKey& rk, Population& pop, std::size_t begin,
                      std::size_t end, std::size_t step, double start, double step_end,
                      std::vector<std::uint32_t>& changed, SentimentTally& tally);

}  // namespace retsim
