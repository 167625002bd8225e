// Moods and what the firm sees of them (overview in sentiment.hpp).
#include "sim/sentiment.hpp"

#include <cmath>
#include <limits>

namespace retsim {

MoodMultipliers mood_multipliers(const SentimentConfig& c) {
    MoodMultipliers m;
    m.rate = {1.0f, float(c.unhappy_rate_multiplier), float(c.considering_rate_multiplier),
              float(c.switching_rate_multiplier)};
    m.risk = {1.0f, float(c.unhappy_risk_multiplier), 1.0f, 1.0f};
    return m;
}

void start_sentiment(Population& pop, std::size_t begin, std::size_t end) {
    constexpr float kNone = -std::numeric_limits<float>::infinity();
    for (std::size_t i = begin; i < end; ++i) {
        pop.mood[i] = std::uint8_t(Mood::Content);
        pop.mood_until_day[i] = kNone;
        pop.complaint_day[i] = kNone;
        pop.signal_day[i] = kNone;
    }
}

void update_sentiment(const SentimentConfig& c, const RandomKey& rk, Population& pop, std::size_t begin,
                      std::size_t end, std::size_t step, double start, double step_end,
                      std::vector<std::uint32_t>& changed, SentimentTally& tally) {
    const double days = step_end - start;
    const auto chance = [&](double per_year) { return -std::expm1(-per_year * days / 365.0); };
    const auto weekly = [&](double per_week) { return -std::expm1(std::log1p(-per_week) * days / 7.0); };
    const double p_failure = chance(c.failure_rate_per_year);
    const double p_consider = chance(c.considering_rate_per_year);
    const double p_consider_unhappy = chance(c.considering_rate_per_year * c.unhappy_considering_multiplier);
    const double p_signal_considering = weekly(c.considering_signal_per_week);
    const double p_signal_switching = weekly(c.switching_signal_per_week);
    for (std::size_t i = begin; i < end; ++i) {
        if (double(pop.death_day[i]) < start) continue;  // gone: no feelings to track
        Draws d(rk, pop.key[i], Stream::Sentiment, step);
        // Five uniforms from the first four words, in a fixed order whatever happens (a change of
        // one probability never shifts the draws behind the others): one Philox block per
        // customer and step. The complaint and signal draws share a word, 32 bits each, ample
        // for probabilities of that kind.
        const double u_failure = d.uniform(), u_consider = d.uniform(), u_decide = d.uniform();
        const std::uint64_t shared = d.bits();
        const double u_complaint = (double(shared >> 32) + 0.5) * 0x1.0p-32;
        const double u_signal = (double(shared & 0xffffffffu) + 0.5) * 0x1.0p-32;
        const Mood before = mood_of(pop, i);
        Mood mood = before;
        const std::uint8_t signal_bit = pop.mood[i] & kSignalSwitchingBit;
        std::uint8_t new_signal_bit = signal_bit;
        bool reclassify = false;
        if (mood == Mood::Unhappy && start >= double(pop.mood_until_day[i])) mood = Mood::Content;
        if (u_failure < p_failure) {
            tally.service_failures += 1;
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
        if ((mood == Mood::Content && u_consider < p_consider) ||
            (mood == Mood::Unhappy && u_consider < p_consider_unhappy)) {
            mood = Mood::Considering;
            tally.started_considering += 1;
            pop.mood_until_day[i] = float(start + d.exponential() * c.considering_days);
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
        pop.mood[i] = std::uint8_t(std::uint8_t(mood) | new_signal_bit);
        if (reclassify) pop.review_day[i] = float(start);
        if (mood != before) changed.push_back(std::uint32_t(i));
    }
}

}  // namespace retsim
