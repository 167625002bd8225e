// Poisson sampling through Boost.Random, a portable header-only implementation (one algorithm
// on every platform for a given Boost version), driven by counter-based draws.
#include "models/samplers.hpp"

#include <boost/random/poisson_distribution.hpp>
#include <limits>

namespace retsim {
namespace {

/// Adapts Draws to the uniform random bit generator interface Boost.Random expects.
class DrawsEngine {
public:
    using result_type = std::uint64_t;
    explicit DrawsEngine(Draws& d) : d_(d) {}
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
    result_type operator()() { return d_.bits(); }

private:
    Draws& d_;
};

}  // namespace

std::uint64_t poisson_variate(Draws& d, double mean) {
    if (!(mean > 0.0)) return 0;
    DrawsEngine engine(d);
    boost::random::poisson_distribution<std::uint64_t, double> dist(mean);
    return dist(engine);
}

}  // namespace retsim
