// Poisson sampling through Boost.Random, a portable header-only implementation (one algorithm
// on every platform for a given Boost version), driven by counter-based draws.
#include "models/samplers.hpp"

#include <boost/random/poisson_distribution.hpp>

namespace retsim {

std::uint64_t poisson_variate(Draws& d, double mean) {
    if (!(mean > 0.0)) return 0;
    Draws::Engine engine{d};
    boost::random::poisson_distribution<std::uint64_t, double> dist(mean);
    return dist(engine);
}

}  // namespace retsim
