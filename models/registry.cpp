// The list of behaviour models selectable by population.model.
#include "models/registry.hpp"

#include "models/bgnbd.hpp"
#include "models/paretonbd.hpp"
#include "models/sbg.hpp"

namespace retsim {

const std::vector<ModelEntry>& behaviour_models() {
    static const std::vector<ModelEntry> models = {
        {"bgnbd", "BG/NBD non-contractual purchasing (Fader, Hardie & Lee 2005)", &build_bgnbd},
        {"paretonbd", "Pareto/NBD non-contractual purchasing (Schmittlein et al. 1987)", &build_paretonbd},
        {"sbg", "shifted-beta-geometric contractual renewals (Fader & Hardie 2007)", &build_sbg},
    };
    return models;
}

}  // namespace retsim
