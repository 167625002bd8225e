// Scoring throughput in customers per second at ten million customers, 1 and 2 threads, and
// the machine's memory bandwidth (a STREAM-style triad) measured in the same binary, so that
// each scorer is also reported as a fraction of the bandwidth bound.
// Judged against (issue 3): the combined BG/NBD P(alive) + E[Y] + E[M] + CLV scoring at least
// ten times the numpy reference (scripts/numpy_scoring_reference.py, same customers, same
// formulas); RFM and logistic propensity, which are memory-bound, at least half the triad
// bandwidth (counter triad_fraction >= 0.5). The triad benchmarks run first so that the
// scorers of the same thread count can refer to them.
#include <benchmark/benchmark.h>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include "models/scoring.hpp"

namespace {

using namespace retsim;

constexpr std::size_t kCustomers = 10'000'000;
/// Customers per parallel task (~1.3 MB of input columns: a cache-sized block).
constexpr std::size_t kBlock = 16'384;

/// SplitMix64 output number `n` (from 1) of the stream seeded with `seed`: a pure function of
/// (seed, n), so scripts/numpy_scoring_reference.py draws the same numbers vectorised.
std::uint64_t splitmix64(std::uint64_t seed, std::uint64_t n) {
    std::uint64_t z = seed + n * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/// Uniform in [0, 1) from draw j (0..5) of customer i.
double unit(std::uint64_t i, std::uint64_t j) {
    return double(splitmix64(20261123, 6 * i + j + 1) >> 11) * 0x1.0p-53;
}

/// Ten million synthetic CDNOW-like histories, generated once, deterministically; the numpy
/// reference generates the same values (six draws per customer, same arithmetic).
struct Histories {
    std::vector<double> x, t_x, T, m, spend_count;
    Histories() : x(kCustomers), t_x(kCustomers), T(kCustomers), m(kCustomers), spend_count(kCustomers) {
        for (std::size_t i = 0; i < kCustomers; ++i) {
            // About 60% without a repeat purchase, a geometric-like tail of frequent buyers.
            const double xi = unit(i, 0) < 0.6 ? 0.0 : std::floor(-std::log1p(-unit(i, 1)) * 4.0) + 1.0;
            T[i] = 1.0 + 77.0 * unit(i, 2);
            t_x[i] = xi > 0 ? T[i] * unit(i, 3) : 0.0;
            x[i] = xi;
            m[i] = 500.0 + 9500.0 * unit(i, 4) * unit(i, 5);
            spend_count[i] = xi + 1.0;
        }
    }
    [[nodiscard]] HistoryColumns columns(std::size_t begin, std::size_t end) const {
        return {x.data() + begin, t_x.data() + begin, T.data() + begin, m.data() + begin, spend_count.data() + begin,
                end - begin};
    }
};

const Histories& histories() {
    static const Histories h;
    return h;
}

/// Triad bandwidth in bytes/s by thread count, filled by BM_Triad.
std::map<int, double>& triad_bandwidth() {
    static std::map<int, double> m;
    return m;
}

/// Runs body(begin, end) over [0, kCustomers) in blocks on `threads` threads.
template <class Body>
void parallel_blocks(tbb::task_arena& arena, Body&& body) {
    arena.execute([&] {
        tbb::parallel_for(tbb::blocked_range<std::size_t>(0, (kCustomers + kBlock - 1) / kBlock),
                          [&](const tbb::blocked_range<std::size_t>& r) {
                              for (std::size_t b = r.begin(); b < r.end(); ++b) {
                                  const std::size_t begin = b * kBlock;
                                  body(begin, std::min(kCustomers, begin + kBlock));
                              }
                          },
                          tbb::static_partitioner());
    });
}

double seconds_since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

void report(benchmark::State& state, int threads, double bytes_per_customer, double seconds) {
    const double customers = double(state.iterations()) * double(kCustomers);
    state.SetItemsProcessed(std::int64_t(customers));
    state.SetBytesProcessed(std::int64_t(customers * bytes_per_customer));
    state.counters["threads"] = threads;
    state.counters["bytes_per_customer"] = bytes_per_customer;
    // Bytes/s of this scorer (wall clock over the timed loop) over the triad's.
    const auto it = triad_bandwidth().find(threads);
    if (it != triad_bandwidth().end() && seconds > 0) {
        state.counters["triad_bytes_per_s"] = it->second;
        state.counters["triad_fraction"] = customers * bytes_per_customer / seconds / it->second;
    }
}

/// STREAM triad a[i] = b[i] + s*c[i] over 3 arrays of 10M doubles: 24 bytes per element
/// counted (two reads, one write), as STREAM counts them. The memory bandwidth bound.
void BM_Triad(benchmark::State& state) {
    const int threads = int(state.range(0));
    tbb::task_arena arena(threads);
    std::vector<double> a(kCustomers), b(kCustomers), c(kCustomers);
    // First touch inside the arena, as the kernel will touch the pages.
    parallel_blocks(arena, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            a[i] = 0.0;
            b[i] = 1.0;
            c[i] = 2.0;
        }
    });
    const double s = 3.0;
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
        parallel_blocks(arena, [&](std::size_t begin, std::size_t end) {
            double* __restrict out = a.data();
            const double* __restrict x = b.data();
            const double* __restrict y = c.data();
            for (std::size_t i = begin; i < end; ++i) out[i] = x[i] + s * y[i];
        });
        benchmark::DoNotOptimize(a.data());
        benchmark::ClobberMemory();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double bytes = double(state.iterations()) * double(kCustomers) * 24.0;
    state.SetBytesProcessed(std::int64_t(bytes));
    state.counters["threads"] = threads;
    // Wall-clock rate over the timed loop: the scorers' fractions compare against it.
    triad_bandwidth()[threads] = bytes / seconds;
}

/// BG/NBD P(alive) + E[Y(52 weeks)] + Gamma-Gamma E[M] + 52-week weekly-discounted CLV per
/// customer. Bytes: 5 input columns read (x, t_x, T, m, spend_count) and 4 written, 72 bytes.
/// Compute-bound (special functions); judged against 10x the numpy reference.
void BM_ScoreBgNbdCombined(benchmark::State& state) {
    const int threads = int(state.range(0));
    const Histories& h = histories();
    tbb::task_arena arena(threads);
    std::vector<double> p_alive(kCustomers), expected(kCustomers), spend(kCustomers), clv(kCustomers);
    const BgNbdParams p{0.2426, 4.4137, 0.7930, 2.4262};
    const GammaGammaParams g{6.25, 3.74, 1544.0};
    const ScoreSettings settings;
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
        parallel_blocks(arena, [&](std::size_t begin, std::size_t end) {
            ScoreColumns out;
            out.p_alive = p_alive.data() + begin;
            out.expected_purchases = expected.data() + begin;
            out.expected_spend_cents = spend.data() + begin;
            out.clv_cents = clv.data() + begin;
            score_bgnbd(p, g, settings, h.columns(begin, end), out);
        });
        benchmark::DoNotOptimize(clv.data());
        benchmark::ClobberMemory();
    }
    report(state, threads, 72.0, seconds_since(started));
}

/// RFM scores and cell from fixed cut points. Bytes: 4 input columns (x, t_x, T, m) read, 3
/// one-byte scores and a two-byte cell written: 37 bytes. Memory-bound: judged against half
/// the triad bandwidth.
void BM_ScoreRfm(benchmark::State& state) {
    const int threads = int(state.range(0));
    const Histories& h = histories();
    tbb::task_arena arena(threads);
    std::vector<std::uint8_t> r(kCustomers), f(kCustomers), m(kCustomers);
    std::vector<std::uint16_t> cell(kCustomers);
    // Cut points from a deterministic sample of every 16th customer, as `retsim score` does.
    std::vector<double> sx, stx, sT, sm;
    for (std::size_t i = 0; i < kCustomers; i += 16) {
        sx.push_back(h.x[i]);
        stx.push_back(h.t_x[i]);
        sT.push_back(h.T[i]);
        sm.push_back(h.m[i]);
    }
    const RfmCutoffs cuts = rfm_cutoffs({sx.data(), stx.data(), sT.data(), sm.data(), nullptr, sx.size()}, 5);
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
        parallel_blocks(arena, [&](std::size_t begin, std::size_t end) {
            score_rfm(cuts, h.columns(begin, end), r.data() + begin, f.data() + begin, m.data() + begin,
                      cell.data() + begin);
        });
        benchmark::DoNotOptimize(cell.data());
        benchmark::ClobberMemory();
    }
    report(state, threads, 37.0, seconds_since(started));
}

/// Logistic response propensity (score_propensity, vectorised exp and log1p). Bytes: 4 input
/// columns read, 1 written: 40 bytes. Memory-bound: judged against half the triad bandwidth.
void BM_ScorePropensity(benchmark::State& state) {
    const int threads = int(state.range(0));
    const Histories& h = histories();
    tbb::task_arena arena(threads);
    std::vector<double> out_column(kCustomers);
    const PropensityModel model;
    const auto started = std::chrono::steady_clock::now();
    for (auto _ : state) {
        parallel_blocks(arena, [&](std::size_t begin, std::size_t end) {
            score_propensity(model, h.columns(begin, end), out_column.data() + begin);
        });
        benchmark::DoNotOptimize(out_column.data());
        benchmark::ClobberMemory();
    }
    report(state, threads, 40.0, seconds_since(started));
}

BENCHMARK(BM_Triad)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ScoreBgNbdCombined)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ScoreRfm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ScorePropensity)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
