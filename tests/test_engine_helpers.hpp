// Helpers shared by the engine tests: loading repository scenarios with overrides and
// comparing whole results.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/engine.hpp"
#include "sim/problems.hpp"
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

/// The BadInput text for a scenario `text`; fails the test when the scenario is accepted.
inline std::string bad_input(const std::string& text) {
    try {
        (void)parse_scenario(text, "bad.toml");
    } catch (const BadInput& e) {
        return e.what();
    }
    FAIL("the scenario was accepted:\n" << text);
    return {};
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace retsim::test
