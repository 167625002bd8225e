// Sharded runs: the shards of a run, merged, give the one-process run bit for bit, for any
// number of shards; strategies that choose across the population see every shard's candidates
// through an exchange; shards that do not belong together are refused.
#include <catch2/catch.hpp>

#include <barrier>
#include <thread>

#include "sim/engine.hpp"
#include "sim/problems.hpp"
#include "test_engine_helpers.hpp"

namespace {

using namespace retsim;

/// Every result of a run that sharding could change: the golden figures and the per-step series.
void require_same(const RunResult& a, const RunResult& b) {
    REQUIRE(retsim::test::golden_text(a) == retsim::test::golden_text(b));
    CHECK(a.series.stage_by_truth == b.series.stage_by_truth);
    CHECK(a.series.revenue_cents == b.series.revenue_cents);
    CHECK(a.series.margin_cents == b.series.margin_cents);
    CHECK(a.series.profit_cents == b.series.profit_cents);
    CHECK(a.series.strategy_cost_cents == b.series.strategy_cost_cents);
    CHECK(a.series.service_failures == b.series.service_failures);
    CHECK(a.series.risk_signals == b.series.risk_signals);
    CHECK(a.cohorts.stage_by_truth == b.cohorts.stage_by_truth);
    CHECK(a.cohorts.margin_by_step_cents == b.cohorts.margin_by_step_cents);
    CHECK(a.channels.margin_cents == b.channels.margin_cents);
    CHECK(a.strategies.cost_by_step_cents == b.strategies.cost_by_step_cents);
    CHECK(a.strategies.contacts_by_step == b.strategies.contacts_by_step);
    CHECK(a.strategies.members_by_step == b.strategies.members_by_step);
    CHECK(a.strategies.roi == b.strategies.roi);
}

/// The exchange of shards run as threads of one process: each deposits its candidates, waits
/// for all, and takes the others'.
class ThreadExchange {
public:
    explicit ThreadExchange(std::size_t parties) : slots_(parties), sync_(std::ptrdiff_t(parties)) {}

    class Party : public CandidateExchange {
    public:
        Party(ThreadExchange& hub, std::size_t index) : hub_(hub), index_(index) {}
        std::vector<std::vector<Candidate>> others(std::vector<std::vector<Candidate>> mine) override {
            hub_.slots_[index_] = std::move(mine);
            hub_.sync_.arrive_and_wait();
            std::vector<std::vector<Candidate>> out(hub_.slots_[index_].size());
            for (std::size_t j = 0; j < hub_.slots_.size(); ++j) {
                if (j == index_) continue;
                for (std::size_t k = 0; k < out.size(); ++k) {
                    out[k].insert(out[k].end(), hub_.slots_[j][k].begin(), hub_.slots_[j][k].end());
                }
            }
            hub_.sync_.arrive_and_wait();  // nobody overwrites a slot before all have read
            return out;
        }

    private:
        ThreadExchange& hub_;
        std::size_t index_;
    };

private:
    std::vector<std::vector<std::vector<Candidate>>> slots_;
    std::barrier<> sync_;
};

/// Runs `count` shards of sc, concurrently with an exchange when the scenario needs one.
std::vector<ShardResult> run_shards(const Scenario& sc, std::size_t count) {
    RunOptions options;
    options.threads = 1;
    std::vector<ShardResult> shards(count);
    if (!needs_candidate_exchange(sc)) {
        for (std::size_t i = 0; i < count; ++i) shards[i] = run_shard(sc, options, {i, count}, nullptr);
        return shards;
    }
    ThreadExchange hub(count);
    std::vector<std::thread> threads;
    std::vector<std::string> errors(count);
    for (std::size_t i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            ThreadExchange::Party party(hub, i);
            try {
                shards[i] = run_shard(sc, options, {i, count}, &party);
            } catch (const std::exception& e) {
                errors[i] = e.what();
            }
        });
    }
    for (std::thread& t : threads) t.join();
    for (const std::string& e : errors) REQUIRE(e.empty());
    return shards;
}

}  // namespace

TEST_CASE("shards: every library scenario, merged from 2, 3 and 7 shards, equals the one-process run",
          "[shards]") {
    for (const retsim::test::LibraryCase& c : retsim::test::kLibrary) {
        INFO(c.name);
        const Scenario sc = retsim::test::scenario_file(std::string("scenarios/") + c.name + ".toml", c.shrink);
        const RunResult whole = retsim::test::run(sc, 2);
        for (const std::size_t count : {2u, 3u, 7u}) {
            INFO(count << " shards");
            std::vector<ShardResult> shards = run_shards(sc, count);
            std::reverse(shards.begin(), shards.end());  // merged in any order
            require_same(merge_shards(sc, shards), whole);
        }
    }
}

TEST_CASE("shards: more shards than blocks leaves some empty and still merges to the run", "[shards]") {
    const Scenario sc = retsim::test::scenario_file("scenarios/coffee_stamp_card.toml",
                                                    {"population.initial_customers=300", "run.horizon_days=91"});
    require_same(merge_shards(sc, run_shards(sc, 5)), retsim::test::run(sc, 1));
}

TEST_CASE("shards: a run that must choose across shards refuses to run them apart", "[shards][input]") {
    const Scenario sc = retsim::test::scenario_file("scenarios/acquisition_vs_retention.toml",
                                                    {"population.initial_customers=500"});
    REQUIRE(needs_candidate_exchange(sc));
    RunOptions options;
    CHECK_THROWS_WITH(run_shard(sc, options, {0, 2}, nullptr), Catch::Contains("under mpirun"));
    CHECK_THROWS_WITH(run_shard(sc, options, {2, 2}, nullptr), Catch::Contains("does not exist"));
    options.keep_customers = true;
    CHECK_THROWS_WITH(run_shard(sc, options, {0, 1}, nullptr), Catch::Contains("--customers"));
}

TEST_CASE("shards: missing, repeated or foreign shards are refused when merging", "[shards][input]") {
    const Scenario sc = retsim::test::scenario_file("scenarios/coffee_stamp_card.toml",
                                                    {"population.initial_customers=400", "run.horizon_days=56"});
    const std::vector<ShardResult> shards = run_shards(sc, 3);
    CHECK_THROWS_WITH(merge_shards(sc, {shards[0], shards[2]}), Catch::Contains("shard 1 of 3 is missing"));
    CHECK_THROWS_WITH(merge_shards(sc, {shards[0], shards[1], shards[1]}), Catch::Contains("twice"));
    CHECK_THROWS_WITH(merge_shards(sc, {}), Catch::Contains("no shards"));
    const Scenario other = retsim::test::scenario_file(
        "scenarios/coffee_stamp_card.toml", {"population.initial_customers=400", "run.horizon_days=56", "run.seed=9"});
    CHECK_THROWS_WITH(merge_shards(other, shards), Catch::Contains("comes from another run"));
    std::vector<ShardResult> cut = shards;
    cut[1].tallies.pop_back();
    CHECK_THROWS_WITH(merge_shards(sc, cut), Catch::Contains("bytes of tallies"));
}
