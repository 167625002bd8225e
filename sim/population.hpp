// Customer state as structure-of-arrays: one column per field, indexed by customer. Trait
// columns are allocated only when the behaviour model uses them. Two views are kept apart:
// the truth (latent traits, time of leaving) and the firm's view (what a firm can observe).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/lifecycle.hpp"

namespace retsim {

/// Large column storage: 2 MiB aligned and marked for transparent huge pages, so that a column
/// of millions of customers costs a few page faults instead of one per 4 KiB.
void* allocate_column_bytes(std::size_t bytes);
void free_column_bytes(void* p, std::size_t bytes) noexcept;

/// Allocator that leaves new elements uninitialised: a column of 100 million customers is
/// first written by the threads that own its blocks (first touch), not zeroed by one thread.
template <class T>
struct UninitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitAllocator<U>;
    };
    UninitAllocator() = default;
    template <class U>
    UninitAllocator(const UninitAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(allocate_column_bytes(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { free_column_bytes(p, n * sizeof(T)); }
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;  // default-initialisation: no zeroing for scalars
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// One column of customer state; elements are written before they are read.
template <class T>
using Column = std::vector<T, UninitAllocator<T>>;

struct Population {
    // Identity.
    Column<std::uint64_t> key;  ///< stable random-number identity (sim/random.hpp)

    // Truth: known to the simulator only.
    Column<float> lambda_per_day;  ///< purchase rate while alive (BG/NBD, Pareto/NBD)
    Column<float> dropout_p;       ///< P(leave after a repeat purchase) (BG/NBD)
    Column<float> churn_theta;     ///< P(cancel at a renewal) (sBG)
    Column<float> spend_rate;      ///< Gamma-Gamma nu, per cent: mean spend = p / nu cents
    Column<float> death_day;       ///< day the customer left for good; +inf while alive
    Column<float> next_event_day;  ///< next purchase or renewal; +inf when none
    Column<float> death_rate_per_day;  ///< hazard of leaving while alive (Pareto/NBD mu)

    // Influence of strategies and moods, allocated only when the scenario has them: multipliers
    // of the purchase rate, of the risk of leaving per unit of time (BG/NBD: dropout per
    // purchase x risk / rate; sBG: churn per renewal; Pareto/NBD: hazard) and of the spend per
    // purchase, changed by the engine at decision epochs through Behaviour::influence.
    Column<float> rate_mult;
    Column<float> risk_mult;
    Column<float> spend_mult;

    // Sentiment (allocated only when the scenario has service failures or attrition intent):
    // truth `mood` (sim/sentiment.hpp; its top bit is the firm's record of whether the last risk
    // signal showed a customer already switching) and until when it lasts; the firm's view of
    // complaints and risk signals.
    Column<std::uint8_t> mood;
    Column<float> mood_until_day;
    Column<float> complaint_day;  ///< last complaint the firm received; -inf: none
    Column<float> signal_day;     ///< last risk signal the firm saw; -inf: none
    // Hazard clocks of the two mood events that strike content customers at random: the
    // cumulative hazard (unit-exponential scale) left before the next service failure and the
    // next start of considering leaving. Each step uses up rate x days of them.
    Column<float> failure_clock;
    Column<float> consider_clock;

    // Firm's view.
    Column<float> birth_day;               ///< first purchase (acquisition)
    Column<float> last_purchase_day;       ///< most recent purchase
    Column<std::uint32_t> repeat_purchases;///< purchases after the first
    Column<std::int64_t> spend_cents;      ///< total spend, first purchase included
    Column<Stage> stage;                   ///< lifecycle stage at the last step
    Column<float> stage_since_day;         ///< when the current stage began
    Column<float> review_day;              ///< earliest day the stage can change without an event

    [[nodiscard]] std::size_t size() const { return key.size(); }
    [[nodiscard]] bool influenced() const { return !rate_mult.empty(); }
    [[nodiscard]] bool has_sentiment() const { return !mood.empty(); }

    void resize_sentiment(std::size_t n) {
        mood.resize(n);
        mood_until_day.resize(n);
        complaint_day.resize(n);
        signal_day.resize(n);
        failure_clock.resize(n);
        consider_clock.resize(n);
    }

    /// Allocates the influence columns for n customers (set when each customer starts).
    void resize_influence(std::size_t n) {
        rate_mult.resize(n);
        risk_mult.resize(n);
        spend_mult.resize(n);
    }

    /// Allocates the model-independent columns for n customers.
    void resize_common(std::size_t n) {
        key.resize(n);
        death_day.resize(n);
        next_event_day.resize(n);
        birth_day.resize(n);
        last_purchase_day.resize(n);
        repeat_purchases.resize(n);
        spend_cents.resize(n);
        stage.resize(n);
        stage_since_day.resize(n);
        review_day.resize(n);
    }

    /// Bytes of state per customer over all allocated columns.
    [[nodiscard]] std::size_t bytes_per_customer() const {
        const auto col = [](const auto& v) { return v.empty() ? 0 : sizeof(v[0]); };
        return col(key) + col(lambda_per_day) + col(dropout_p) + col(churn_theta) +
               col(spend_rate) + col(death_day) + col(next_event_day) + col(death_rate_per_day) +
               col(rate_mult) + col(risk_mult) + col(spend_mult) + col(mood) + col(mood_until_day) +
               col(complaint_day) + col(signal_day) + col(failure_clock) + col(consider_clock) + col(birth_day) +
               col(last_purchase_day) + col(repeat_purchases) + col(spend_cents) + col(stage) +
               col(stage_since_day) + col(review_day);
    }
};

}  // namespace retsim
