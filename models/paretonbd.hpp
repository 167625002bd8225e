// Pareto/NBD purchasing (Schmittlein, Morrison & Colombo 1987, "Counting your customers: who
// are they and what will they do next?", Management Science 33(1)).
//
// While alive, a customer buys as a Poisson process with rate lambda per week,
//     lambda ~ Gamma(shape r, rate alpha_weeks);
// the customer's unobserved lifetime from birth is exponential with rate mu per week,
//     tau ~ Exp(mu),  mu ~ Gamma(shape s, rate beta_weeks).
// The first purchase is at birth. CDNOW fit (Fader, Hardie & Lee 2005): r = 0.553,
// alpha = 10.578 weeks, s = 0.606, beta = 11.669 weeks.
#pragma once

#include <memory>

#include "models/spend.hpp"
#include "sim/behaviour.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

struct ParetoNbdParams {
    double r = 0.553;
    double alpha_weeks = 10.578;
    double s = 0.606;
    double beta_weeks = 11.669;
};

/// Reads [population.paretonbd] and [population.spend].
std::shared_ptr<const Behaviour> build_paretonbd(TableReader& population);

std::shared_ptr<const Behaviour> make_paretonbd(const ParetoNbdParams& params, const SpendModel& spend);

}  // namespace retsim
