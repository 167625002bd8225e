// The simulation engine: plans arrivals, runs blocks of customers in parallel through the
// horizon in continuous time, classifies them at each decision epoch and reduces exact
// integer tallies into the run's time series, cohort and channel tables.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/result.hpp"
#include "sim/scenario.hpp"
#include "sim/strategies.hpp"

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

/// One part of a run: shard `index` of `count` simulates a contiguous share of the customers
/// (whole blocks, about equal in number) and holds only their state.
struct Shard {
    std::size_t index = 0;
    std::size_t count = 1;
};

/// How the shards of one run show each other the candidates of strategies that rank or budget
/// across the population, so that every shard makes the same choice. Each shard calls it once
/// per step, with its candidates per strategy, and gets the other shards' back.
class CandidateExchange {
public:
    virtual ~CandidateExchange() = default;
    [[nodiscard]] virtual std::vector<std::vector<Candidate>> others(std::vector<std::vector<Candidate>> mine) = 0;
};

/// The exact tallies of one shard of a run, as bytes (integers, host byte order), with what
/// is needed to check that shards belong together. Summing the shards of a run gives the
/// run's results bit for bit, whatever the number of shards.
struct ShardResult {
    Shard shard;
    std::string tallies;
    std::string plan_fingerprint;  ///< groups, steps, strategies and customers of the plan
    double wall_seconds = 0;
    int threads = 1;
    std::size_t bytes_per_customer = 0;
};

/// True when some strategy chooses across the whole population (a top fraction or a budget):
/// its shards must then run together with a CandidateExchange.
[[nodiscard]] bool needs_candidate_exchange(const Scenario& scenario);

/// Simulates one shard. `exchange` is required when needs_candidate_exchange(scenario) and
/// shard.count > 1 (BadInput otherwise); options.keep_customers is not supported (BadInput).
[[nodiscard]] ShardResult run_shard(const Scenario& scenario, const RunOptions& options, Shard shard,
                                    CandidateExchange* exchange);

/// The run's results from all its shards (any order, each exactly once). Throws BadInput when
/// a shard is missing or repeated, or the shards come from different plans.
[[nodiscard]] RunResult merge_shards(const Scenario& scenario, const std::vector<ShardResult>& shards);

/// Customers per block: the unit of parallel work and of cache locality.
inline constexpr std::size_t kBlockCustomers = 2048;

}  // namespace retsim
