// Sweep overhead per point: a tiny scenario (20 customers, one weekly step) run over a grid of
// points through run_sweep (design, per-run scenario parse, journal line, final HDF5 file and
// journal flush; writes to the temporary directory because that I/O is part of a sweep's
// cost), on 1 and 2 threads, against the same runs made by calling parse_scenario +
// run_simulation directly. A one-point sweep gives the fixed cost of a sweep (journal,
// fdatasync, file). Judged against: the sweep's cost per point should stay small next to a
// real point's run (milliseconds), i.e. a few microseconds over the bare run.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/scenario.hpp"
#include "sim/sweep.hpp"

namespace {

using namespace retsim;

constexpr const char* kTiny = R"(
[run]
horizon_days = 7
step_days = 7
seed = 1
[population]
initial_customers = 20
model = "bgnbd"
)";

Sweep tiny_sweep(std::size_t points) {
    SweepRequest request;
    request.scenario_name = "<bench tiny>";
    request.scenario_text = kTiny;
    request.vary_specs = {"economics.margin_fraction=0.1:0.5:" + std::to_string(points)};
    return make_sweep(request);
}

using Clock = std::chrono::steady_clock;

void report(benchmark::State& state, double points, int threads, Clock::duration elapsed) {
    state.SetItemsProcessed(std::int64_t(points));
    state.counters["threads"] = double(threads);
    state.counters["points_per_s"] = benchmark::Counter(points, benchmark::Counter::kIsRate);
    // Wall-clock microseconds per point (a plain number: kInvert would print it in seconds).
    state.counters["us_per_point"] = std::chrono::duration<double, std::micro>(elapsed).count() / points;
}

/// The whole sweep machinery: run_sweep with journal and final file. Arguments: threads, points.
void BM_SweepTinyPoints(benchmark::State& state) {
    const Sweep sweep = tiny_sweep(std::size_t(state.range(1)));
    const std::string output = (std::filesystem::temp_directory_path() /
                                ("retsim_bench_sweep_" + std::to_string(::getpid()) + ".h5"))
                                   .string();
    SweepOptions options;
    options.output = output;
    options.force = true;
    options.threads = int(state.range(0));
    options.checkpoint_seconds = 1e9;  // only the final file
    double points = 0;
    const auto start = Clock::now();
    for (auto _ : state) {
        const SweepCounts counts = run_sweep(sweep, options);
        points += double(counts.done);
        benchmark::DoNotOptimize(counts.failed);
    }
    const auto elapsed = Clock::now() - start;
    std::filesystem::remove(output);
    report(state, points, options.threads, elapsed);
}
BENCHMARK(BM_SweepTinyPoints)
    ->Args({1, 10'000})
    ->Args({2, 10'000})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// The same runs without the sweep: parse the scenario with the point's overrides and run it.
void BM_TinyRunsAlone(benchmark::State& state) {
    const std::size_t points = std::size_t(state.range(0));
    const Sweep sweep = tiny_sweep(points);
    RunOptions options;
    options.threads = 1;
    double done = 0;
    const auto start = Clock::now();
    for (auto _ : state) {
        for (std::size_t i = 0; i < points; ++i) {
            const Scenario sc = parse_scenario(sweep.scenario_text, sweep.scenario_name, run_overrides(sweep, i));
            const RunResult r = run_simulation(sc, options);
            benchmark::DoNotOptimize(r.summary.profit_cents);
        }
        done += double(points);
    }
    report(state, done, 1, Clock::now() - start);
}
BENCHMARK(BM_TinyRunsAlone)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
