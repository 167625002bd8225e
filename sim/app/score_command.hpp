// `retsim score INPUT -o SCORES.h5`: scores every customer of a result file's /customers or
// of a CSV summary table (P(alive), expected purchases and spend, CLV, propensity, RFM).
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>

#include "models/scoring.hpp"

namespace retsim {

/// Command-line settings of `retsim score`.
struct ScoreArgs {
    std::string input;
    std::string output;
    std::string scenario;         ///< model parameters from a scenario or `retsim fit` TOML
    std::string propensity_file;  ///< TOML with a [propensity] table
    double forecast_weeks = 52;
    double clv_weeks = 52;
    double discount_rate = 0.1;
    double margin = 0.3;
    int rfm_bins = 5;
    PropensityModel propensity;
    int threads = 0;
    std::size_t chunk = std::size_t{1} << 20;
    bool force = false;
    bool quiet = false;
};

/// Adds the `score` subcommand to `app`, filling `args`.
CLI::App* add_score_command(CLI::App& app, ScoreArgs& args);

/// Runs `retsim score`; returns the exit code (0). Throws BadInput (exit 2) or
/// RuntimeFailure (exit 1); no output file is left behind when it throws.
int run_score_command(const ScoreArgs& args, const CLI::App& sub);

}  // namespace retsim
