// The registry of customer-behaviour models: the one place where the engine's scenario
// reader learns which models exist. A model is chosen by name with population.model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/behaviour.hpp"
#include "sim/table_reader.hpp"

namespace retsim {

/// One selectable behaviour model.
struct ModelEntry {
    std::string name;     ///< value of population.model
    std::string summary;  ///< one line for --help and docs
    /// Reads [population.<name>] and [population.spend] from the population table and builds
    /// the model. Problems go to the reader; the model is only used when there were none.
    std::shared_ptr<const Behaviour> (*build)(TableReader& population);
};

/// Every registered model, in a fixed order.
[[nodiscard]] const std::vector<ModelEntry>& behaviour_models();

}  // namespace retsim
