// Customer state as structure-of-arrays: one column per field, indexed by customer. Trait
// columns are allocated only when the behaviour model uses them. Two views are kept apart:
// the truth (latent traits, time of leaving) and the firm's view (what a firm can observe).
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <utility>
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

/// One column of customer state, indexed by customer number; elements are written before they
/// are read. A column may hold only the customers [first, first + count) of a run (one shard of
/// it), still indexed by their numbers in the whole run, so that a shard's memory is its own
/// share while keys, blocks and arrival runs keep the run's numbering.
template <class T>
class Column {
public:
    /// Holds customers [0, n).
    void resize(std::size_t n) { allocate(0, n); }
    /// Holds customers [first, first + count).
    void allocate(std::size_t first, std::size_t count) {
        values_.resize(count);
        first_ = first;
    }
    T& operator[](std::size_t i) { return values_[std::size_t(i - first_)]; }
    const T& operator[](std::size_t i) const { return values_[std::size_t(i - first_)]; }
    /// Pointer to customer i's element (i in [first, first + count]).
    T* at(std::size_t i) { return values_.data() + std::size_t(i - first_); }
    const T* at(std::size_t i) const { return values_.data() + std::size_t(i - first_); }
    /// Sets customers [begin, end) to `value`.
    void fill(std::size_t begin, std::size_t end, const T& value) { std::fill(at(begin), at(end), value); }
    [[nodiscard]] bool empty() const { return values_.empty(); }
    [[nodiscard]] std::size_t size() const { return values_.size(); }  ///< customers held
    /// The elements held, first customer first.
    [[nodiscard]] const T* data() const { return values_.data(); }
    [[nodiscard]] T* data() { return values_.data(); }
    /// The elements held, as a range.
    [[nodiscard]] const T* begin() const { return values_.data(); }
    [[nodiscard]] const T* end() const { return values_.data() + values_.size(); }
    /// Holds customers [0, values.size()) with these values.
    Column& operator=(std::initializer_list<T> values) {
        values_.assign(values);
        first_ = 0;
        return *this;
    }
    friend bool operator==(const Column&, const Column&) = default;

private:
    std::vector<T, UninitAllocator<T>> values_;
    // Its own integer type, which no column's element type aliases (only char types do), so
    // that a store to a column does not make the compiler reload the offset of every other.
    unsigned long long first_ = 0;
};

/// Largest float not above x (a review day stored early only costs a spare classification).
/// For a float y, y <= x exactly when y <= float_not_above(x).
[[nodiscard]] inline float float_not_above(double x) {
    const float f = float(x);
    return double(f) > x ? std::nextafter(f, -std::numeric_limits<float>::infinity()) : f;
}

/// Smallest float not below x: for a float y, y < x exactly when y < float_not_below(x). Lets a
/// pass compare a float column with a day in float arithmetic, which vectorises.
[[nodiscard]] inline float float_not_below(double x) {
    const float f = float(x);
    return double(f) < x ? std::nextafter(f, std::numeric_limits<float>::infinity()) : f;
}

/// For a test `now - double(x) >= span` on the floats x of a column (at least `span` days since
/// day x): the largest float for which it holds, so that a pass tests x <= latest_at_least(now,
/// span) in float arithmetic instead, with the same outcome for every float x (the rounded
/// difference falls as x rises, so the test holds for all x up to that float and for none
/// above). NaN when it holds for no float: x <= NaN is false for every x.
[[nodiscard]] inline float latest_at_least(double now, double span) {
    // Floats in their order as unsigned integers, -inf to +inf; a binary search for the last
    // that passes (32 tests, once per pass).
    const auto order = [](float f) {
        const auto bits = std::bit_cast<std::uint32_t>(f);
        return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
    };
    const auto from_order = [](std::uint32_t k) {
        return std::bit_cast<float>((k & 0x80000000u) != 0 ? k & 0x7fffffffu : ~k);
    };
    const auto holds = [&](std::uint32_t k) { return now - double(from_order(k)) >= span; };
    std::uint32_t lo = order(-std::numeric_limits<float>::infinity());
    std::uint32_t hi = order(std::numeric_limits<float>::infinity());
    if (!holds(lo)) return std::numeric_limits<float>::quiet_NaN();
    if (holds(hi)) return from_order(hi);
    while (hi - lo > 1) {  // holds(lo), !holds(hi)
        const std::uint32_t mid = lo + (hi - lo) / 2;
        (holds(mid) ? lo : hi) = mid;
    }
    return from_order(lo);
}

/// Calls on_list(due_customers) for each chunk of at most kDueChunk customers of [begin, end),
/// with the (absolute) indices i of the chunk's customers for which due(i) holds, in order. The
/// test runs over the whole chunk first, listing the due customers without a branch, so that a
/// test that holds for about half of them costs no branch mispredictions. `due` must not
/// depend on what on_list does to the customers of the chunk.
inline constexpr std::size_t kDueChunk = 256;
template <class Due, class OnList>
void list_due(std::size_t begin, std::size_t end, Due&& due, OnList&& on_list) {
    static_assert(kDueChunk % 8 == 0);
    std::array<std::uint8_t, kDueChunk> flag;
    std::array<std::uint32_t, kDueChunk> listed;
    for (std::size_t chunk = begin; chunk < end; chunk += kDueChunk) {
        const std::size_t n = std::min(kDueChunk, end - chunk);
        // The test alone first (a loop the compiler can vectorise when the test is simple),
        // then the list, skipping eight customers at a time when none is due.
        for (std::size_t j = 0; j < n; ++j) flag[j] = std::uint8_t(bool(due(chunk + j)));
        const std::size_t padded = (n + 7) / 8 * 8;
        for (std::size_t j = n; j < padded; ++j) flag[j] = 0;
        std::size_t n_listed = 0;
        for (std::size_t j = 0; j < padded; j += 8) {
            std::uint64_t eight;
            std::memcpy(&eight, &flag[j], sizeof eight);
            if (eight == 0) continue;
            for (std::size_t b = j; b < j + 8; ++b) {
                listed[n_listed] = std::uint32_t(chunk + b);
                n_listed += flag[b];
            }
        }
        on_list(std::span<const std::uint32_t>(listed.data(), n_listed));
    }
}

/// Calls act(i) for each customer i in [begin, end) for which due(i) holds, in order (listed
/// a chunk at a time, as by list_due).
template <class Due, class Act>
void for_each_due(std::size_t begin, std::size_t end, Due&& due, Act&& act) {
    list_due(begin, end, std::forward<Due>(due), [&](std::span<const std::uint32_t> customers) {
        for (const std::uint32_t i : customers) act(std::size_t(i));
    });
}

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
    Column<float> review_day;              ///< the stage cannot change before this day without an event

    [[nodiscard]] std::size_t size() const { return key.size(); }
    [[nodiscard]] bool influenced() const { return !rate_mult.empty(); }
    [[nodiscard]] bool has_sentiment() const { return !mood.empty(); }

    void resize_sentiment(std::size_t first, std::size_t count) {
        mood.allocate(first, count);
        mood_until_day.allocate(first, count);
        complaint_day.allocate(first, count);
        signal_day.allocate(first, count);
        failure_clock.allocate(first, count);
        consider_clock.allocate(first, count);
    }

    /// Allocates the influence columns for customers [first, first + count) (set when each starts).
    void resize_influence(std::size_t first, std::size_t count) {
        rate_mult.allocate(first, count);
        risk_mult.allocate(first, count);
        spend_mult.allocate(first, count);
    }

    /// Allocates the model-independent columns for customers [first, first + count).
    void resize_common(std::size_t first, std::size_t count) {
        key.allocate(first, count);
        death_day.allocate(first, count);
        next_event_day.allocate(first, count);
        birth_day.allocate(first, count);
        last_purchase_day.allocate(first, count);
        repeat_purchases.allocate(first, count);
        spend_cents.allocate(first, count);
        stage.allocate(first, count);
        stage_since_day.allocate(first, count);
        review_day.allocate(first, count);
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
