// The simulation engine: plans arrivals, runs blocks of customers in parallel through the
// horizon in continuous time, classifies them at each decision epoch and reduces exact
// integer tallies into the run's time series, cohort and channel tables.
#pragma once

#include <atomic>
#include <cstdint>

#include "sim/result.hpp"
#include "sim/scenario.hpp"

namespace retsim {

/// Work done so far, readable from another thread while a run is going on.
struct Progress {
    std::atomic<double> total_customer_days{0.0};  ///< set before the work starts
    std::atomic<double> done_customer_days{0.0};
};

struct RunOptions {
    int threads = 0;              ///< worker threads; 0 = all cores. Results do not depend on it.
    bool keep_customers = false;  ///< return the final per-customer state
    Progress* progress = nullptr; ///< optional, updated as blocks finish steps
    /// Classify every customer at every step instead of only those whose stage can have
    /// changed. Same results, slower: exists so that tests can prove exactly that.
    bool reclassify_all = false;
};

/// Runs a checked scenario. Bit-identical results for any thread count. Throws BadInput when
/// the scenario's size exceeds what the engine can key (e.g. too many arrivals in one step),
/// RuntimeFailure when memory cannot be had.
[[nodiscard]] RunResult run_simulation(const Scenario& scenario, const RunOptions& options);

/// Customers per block: the unit of parallel work and of cache locality.
inline constexpr std::size_t kBlockCustomers = 2048;

}  // namespace retsim
