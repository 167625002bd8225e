// `retsim sweep SCENARIO --vary KEY=LOW:HIGH[:N] ...`: a base scenario run over a design of
// points and replicates, on local threads or MPI ranks, resumable, into one HDF5 file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace retsim {

/// Command-line settings of `retsim sweep`.
struct SweepArgs {
    std::string scenario;  ///< empty: the built-in default scenario
    std::vector<std::string> vary;
    std::string design = "grid";
    std::size_t samples = 0;  ///< given only when --samples is
    std::size_t replicates = 1;
    std::string output;  ///< empty: <scenario stem>_sweep.h5 in this directory
    std::vector<std::string> sets;
    std::string design_file;
    std::string params_file;
    int threads = 0;
    int threads_per_run = 1;
    double checkpoint_seconds = 30;
    bool resume = false;
    bool force = false;
    bool keep_journal = false;
    bool quiet = false;
    std::size_t stop_after = 0;  ///< hidden, for tests: stop starting runs after this many
};

/// Adds the `sweep` subcommand to `app`, filling `args`.
CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args);

/// Runs `retsim sweep`; returns the exit code (0 complete, 1 stopped by a signal or
/// --stop-after: resumable). Throws BadInput (exit 2) or RuntimeFailure (exit 1).
int run_sweep_command(const SweepArgs& args, const CLI::App& sub);

}  // namespace retsim
