// Cost of the random numbers behind one purchase, for the choice of counter-based generator.
// A BG/NBD purchase draws four 64-bit words (spend: a normal and a uniform; leaving: a
// uniform; the next purchase: an exponential), one Philox4x64-10 block, so these time one
// block of 256 bits from each candidate of Random123, and one purchase's draws end to end.
// Each iteration hashes a new counter, as the engine does, and the blocks are independent,
// so the figures are throughput, not latency. Judged against: a customer-week of the
// coffee-shop scenario takes about 73 ns on one thread and must take 70 ns for 2e8
// customer-days/s on 2 cores (README, "Simulation and scoring benchmarks"), with 0.86
// purchases per customer-week. The engine takes most purchases' draws straight from their
// block's words (models/samplers.hpp, first tries), so BM_PurchaseDraws, through Draws, is the
// price of the rest.
#include <benchmark/benchmark.h>

#include <Random123/philox.h>
#include <Random123/threefry.h>

#include <cstdint>

#include "models/samplers.hpp"
#include "sim/random.hpp"

namespace {

using namespace retsim;

/// 256 bits per iteration from generator G (two blocks when its block is 128 bits).
template <class G>
void BM_Block256(benchmark::State& state) {
    using Ctr = typename G::ctr_type;
    using Key = typename G::key_type;
    Key key{};
    key.v[0] = 20260101;
    Ctr ctr{};
    constexpr int kBlocks = 256 / (8 * int(sizeof(Ctr)));
    std::uint64_t sink = 0;
    for (auto _ : state) {
        for (int b = 0; b < kBlocks; ++b) {
            ctr.v[0] += 1;
            const Ctr out = G()(ctr, key);
            for (const auto word : out.v) sink ^= std::uint64_t(word);
        }
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Block256<r123::Philox4x64>)->Name("BM_Block256/Philox4x64-10 (in use)");
BENCHMARK(BM_Block256<r123::Philox4x64_R<7>>)->Name("BM_Block256/Philox4x64-7");
BENCHMARK(BM_Block256<r123::Philox4x32>)->Name("BM_Block256/Philox4x32-10 (2 blocks)");
BENCHMARK(BM_Block256<r123::Threefry4x64>)->Name("BM_Block256/Threefry4x64-20");
BENCHMARK(BM_Block256<r123::Threefry4x64_R<13>>)->Name("BM_Block256/Threefry4x64-13");

/// One BG/NBD purchase's draws as the engine makes them: the spend (Gamma(6) by
/// Marsaglia-Tsang), the leaving test and the wait to the next purchase.
void BM_PurchaseDraws(benchmark::State& state) {
    const RandomKey rk{20260101, 0};
    const GammaShape shape(6.0);
    std::uint64_t n = 0;
    double sink = 0.0;
    for (auto _ : state) {
        Draws e(rk, 12345, Stream::Purchase, ++n);
        sink += gamma_variate_shape_ge1(e, shape);
        sink += e.uniform();
        sink += e.exponential();
    }
    benchmark::DoNotOptimize(sink);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PurchaseDraws);

}  // namespace
