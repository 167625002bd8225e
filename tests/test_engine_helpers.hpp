// Helpers shared by the engine tests: loading repository scenarios with overrides and
// comparing whole results.
#pragma once

#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/scenario.hpp"

namespace retsim::test {

inline std::string source_path(const std::string& relative) { return std::string(RETSIM_SOURCE_DIR) + "/" + relative; }

inline Scenario scenario_file(const std::string& relative, const std::vector<std::string>& overrides = {}) {
    return load_scenario(source_path(relative), overrides);
}

inline RunResult run(const Scenario& sc, int threads = 2, bool keep_customers = false, bool reclassify_all = false) {
    RunOptions options;
    options.threads = threads;
    options.keep_customers = keep_customers;
    options.reclassify_all = reclassify_all;
    return run_simulation(sc, options);
}

}  // namespace retsim::test
