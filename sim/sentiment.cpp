// Moods and what the firm sees of them (overview in sentiment.hpp).
#include "sim/sentiment.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace retsim {

MoodMultipliers mood_multipliers(const SentimentConfig& c) {
    MoodMultipliers m;
    m.rate = {1.0f, float(c.unhappy_rate_multiplier), float(c.considering_rate_multiplier),
              float(c.switching_rate_multiplier)};
    m.risk = {1.0f, float(c.unhappy_risk_multiplier), 1.0f, 1.0f};
    return m;
}

namespace {
/// Event of Stream::Sentiment that draws a customer's first hazard clocks; steps use their own
/// index as the event, which never comes near this one.
constexpr std::uint64_t kStartEvent = ~std::uint64_t{0};
}  // namespace

void start_sentiment(const RandomKey& rk, Population& pop, std::size_t begin, std::size_t end) {
    constexpr float kNone = -std::numeric_limits<float>::infinity();
    for (std::size_t i = begin; i < end; ++i) {
        pop.mood[i] = std::uint8_t(Mood::Content);
        pop.mood_until_day[i] = kNone;
        pop.complaint_day[i] = kNone;
        pop.signal_day[i] = kNone;
        Draws d(rk, pop.key[i], Stream::Sentiment, kStartEvent);
        pop.failure_clock[i] = float(d.exponential());
        pop.consider_clock[i] = float(d.exponential());
    }
}

// Service failures and the start of considering strike at constant rates, so each is a hazard
// clock: a step of `days` uses up rate x days of it and the event happens in the step where it
// runs out, with probability 1 - exp(-rate x days) as a per-step draw would give, but without
// drawing for the many customers with nothing happening. A clock that ran out is drawn anew
// from a unit exponential (at most one event of a kind per step, as moods move once a step).
void update_sentiment(const SentimentConfig& c, const RandomKey& rk, Population& pop, std::size_t begin,
                      std::size_t end, std::size_t step, double start, double step_end,
                      std::vector<std::uint32_t>& changed, SentimentTally& tally) {
    const double days = step_end - start;
    const auto weekly = [&](double per_week) { return -std::expm1(std::log1p(-per_week) * days / 7.0); };
    const auto hazard = [&](double per_year) { return float(per_year * days / 365.0); };
    const float h_failure = hazard(c.failure_rate_per_year);
    const float h_consider = hazard(c.considering_rate_per_year);
    const float h_consider_unhappy = hazard(c.considering_rate_per_year * c.unhappy_considering_multiplier);
    const double p_signal_considering = weekly(c.considering_signal_per_week);
    const double p_signal_switching = weekly(c.switching_signal_per_week);
    // The full update of customer i, alive at `start`.
    const auto update_one = [&](std::size_t i) {
        const Mood before = mood_of(pop, i);
        Mood mood = before;
        if (mood == Mood::Unhappy && start >= double(pop.mood_until_day[i])) mood = Mood::Content;
        float failure_clock = pop.failure_clock[i] - h_failure;
        float consider_clock = pop.consider_clock[i];
        const bool failed = failure_clock < 0.0f;
        const bool calm = mood == Mood::Content || mood == Mood::Unhappy;
        const float h_calm = mood == Mood::Content ? h_consider : h_consider_unhappy;
        if (!failed && calm && consider_clock - h_calm >= 0.0f) {
            // Nothing happens (an unhappy customer staying so or recovering): no draw.
            pop.failure_clock[i] = failure_clock;
            pop.consider_clock[i] = consider_clock - h_calm;
            if (mood != before) {
                pop.mood[i] = std::uint8_t(std::uint8_t(mood) | (pop.mood[i] & kSignalSwitchingBit));
                changed.push_back(std::uint32_t(i));
            }
            return;
        }
        // Two words in a fixed place whatever happens, then exponentials as events need them.
        Draws d(rk, pop.key[i], Stream::Sentiment, step);
        const double u_decide = d.uniform();
        const std::uint64_t shared = d.bits();  // complaint and signal, 32 bits each: ample for such probabilities
        const double u_complaint = (double(shared >> 32) + 0.5) * 0x1.0p-32;
        const double u_signal = (double(shared & 0xffffffffu) + 0.5) * 0x1.0p-32;
        const std::uint8_t signal_bit = pop.mood[i] & kSignalSwitchingBit;
        std::uint8_t new_signal_bit = signal_bit;
        bool reclassify = false;
        if (failed) {
            tally.service_failures += 1;
            failure_clock = float(d.exponential());
            if (mood == Mood::Content) {
                mood = Mood::Unhappy;
                pop.mood_until_day[i] = float(start + d.exponential() * c.unhappy_recovery_days);
            }
            if (u_complaint < c.complaint_probability) {
                tally.complaints += 1;
                pop.complaint_day[i] = float(start);
                reclassify = true;
            }
        }
        if (mood == Mood::Content || mood == Mood::Unhappy) {  // after a failure: its mood's rate
            consider_clock -= mood == Mood::Content ? h_consider : h_consider_unhappy;
            if (consider_clock < 0.0f) {
                mood = Mood::Considering;
                tally.started_considering += 1;
                pop.mood_until_day[i] = float(start + d.exponential() * c.considering_days);
                consider_clock = float(d.exponential());
            }
        } else if (mood == Mood::Considering && start >= double(pop.mood_until_day[i])) {
            if (u_decide < c.switch_probability) {
                mood = Mood::Switching;
                tally.started_switching += 1;
                pop.mood_until_day[i] = float(start + d.exponential() * c.switching_days);  // planned departure
            } else {
                mood = Mood::Content;
            }
        }
        if ((mood == Mood::Considering && u_signal < p_signal_considering) ||
            (mood == Mood::Switching && u_signal < p_signal_switching)) {
            tally.signals += 1;
            pop.signal_day[i] = float(start);
            new_signal_bit = mood == Mood::Switching ? kSignalSwitchingBit : 0;
            reclassify = true;
        }
        if (mood == Mood::Switching && double(pop.mood_until_day[i]) < step_end &&
            pop.mood_until_day[i] < pop.death_day[i]) {
            pop.death_day[i] = pop.mood_until_day[i];  // leaves for the competitor within this step
            tally.departures += 1;
        }
        pop.failure_clock[i] = failure_clock;
        pop.consider_clock[i] = consider_clock;
        pop.mood[i] = std::uint8_t(std::uint8_t(mood) | new_signal_bit);
        if (reclassify) pop.review_day[i] = float(start);
        if (mood != before) changed.push_back(std::uint32_t(i));
    };
    // First, branch-free so that it vectorises, the common case: a customer alive at `start`,
    // content or staying unhappy, whose clocks both outlast the step only has them run down.
    // Everyone else (an event, a mood that ends or worries) is marked for the full update
    // below, which then sees the clocks untouched; customers gone before `start` are left alone.
    constexpr std::size_t kChunk = 256;
    std::array<std::uint8_t, kChunk> busy;
    const float start_up = float_not_below(start);
    const float start_down = float_not_above(start);  // start >= double(u) exactly when u <= start_down
    for (std::size_t chunk = begin; chunk < end; chunk += kChunk) {
        const std::size_t n = std::min(kChunk, end - chunk);
        const float* death = pop.death_day.at(chunk);
        const std::uint8_t* moods = pop.mood.at(chunk);
        const float* mood_until = pop.mood_until_day.at(chunk);
        float* failure = pop.failure_clock.at(chunk);
        float* consider = pop.consider_clock.at(chunk);
        for (std::size_t j = 0; j < n; ++j) {
            const std::int32_t alive = death[j] >= start_up;
            const std::int32_t mood = moods[j] & kMoodMask;
            const std::int32_t content = mood == std::int32_t(Mood::Content);
            const std::int32_t stays_unhappy = (mood == std::int32_t(Mood::Unhappy)) & (mood_until[j] > start_down);
            const float h_calm = content != 0 ? h_consider : h_consider_unhappy;
            const std::int32_t quiet = alive & (content | stays_unhappy) &
                                       std::int32_t(failure[j] - h_failure >= 0.0f) &
                                       std::int32_t(consider[j] - h_calm >= 0.0f);
            // x - 0 is x: the others' clocks stay as they were (h >= 0, so h x 0 is +0).
            failure[j] -= h_failure * float(quiet);
            consider[j] -= h_calm * float(quiet);
            busy[j] = std::uint8_t(alive & (quiet ^ 1));
        }
        for (std::size_t j = 0; j < n; ++j) {
            if (j % 8 == 0 && j + 8 <= n) {  // eight quiet customers at a time
                std::uint64_t word;
                std::memcpy(&word, &busy[j], sizeof word);
                if (word == 0) {
                    j += 7;
                    continue;
                }
            }
            if (busy[j] != 0) update_one(chunk + j);
        }
    }
}

}  // namespace retsim
