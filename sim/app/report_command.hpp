// `retsim report FILE -o DIR`: charts and an index.html page from a run result, comparison
// or sweep, drawn by scripts/retsim_report.py under Debian's /usr/bin/python3.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace retsim {

/// Command-line settings of `retsim report`.
struct ReportArgs {
    std::string input;
    std::string output;  ///< empty: <input stem>_report in this directory
    bool force = false;
    std::string x;       ///< sweeps: heat-map x factor
    std::string y;       ///< sweeps: heat-map y factor
    std::string metric;  ///< sweeps: metric of the charts
};

/// Adds the `report` subcommand to `app`, filling `args`.
CLI::App* add_report_command(CLI::App& app, ReportArgs& args);

/// Runs `retsim report`: checks the input and the output directory, finds the script and runs
/// it. Returns 0. Throws BadInput (exit 2) for a missing or foreign input, a scores file, an
/// unknown sweep factor or metric, or a non-empty DIR without --force; RuntimeFailure (exit 1)
/// when the script or Python cannot be found or the script fails.
int run_report_command(const ReportArgs& args);

}  // namespace retsim
