// BG/NBD purchasing (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
// alternative to the Pareto/NBD model", Marketing Science 24(2)).
//
// While alive, a customer buys as a Poisson process with rate lambda per week,
//     lambda ~ Gamma(shape r, rate alpha_weeks);
// after each repeat purchase the customer leaves for good with probability p,
//     p ~ Beta(a, b).
// The first purchase is at birth (time 0) and is not a repeat purchase. Continuous time: a
// customer may buy any number of times within a step.
// CDNOW fit: r = 0.243, alpha = 4.414 weeks, a = 0.793, b = 2.426.
#pragma once

#include <memory>

#include "models/spend.hpp"
#include "sim/behaviour.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

struct BgNbdParams {
    double r = 0.243;
    double alpha_weeks = 4.414;
    double a = 0.793;
    double b = 2.426;
};

/// Reads [population.bgnbd] and [population.spend]; nullptr when a problem was found.
std::shared_ptr<const Behaviour> build_bgnbd(TableReader& population);

/// The BG/NBD behaviour with a spend model.
std::shared_ptr<const Behaviour> make_bgnbd(const BgNbdParams& params, const SpendModel& spend);

}  // namespace retsim
