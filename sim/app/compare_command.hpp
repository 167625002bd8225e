// `retsim compare A.toml B.toml`: paired replicates of two plans with common random numbers,
// a table of mean differences with paired and unpaired intervals on stdout, and an HDF5 file.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace retsim {

/// Command-line settings of `retsim compare`.
struct CompareArgs {
    std::string scenario_a;
    std::string scenario_b;
    std::size_t replicates = 20;
    std::string output;  ///< empty: <stem A>_vs_<stem B>.h5 in the current directory
    std::vector<std::string> sets;
    std::uint64_t seed = 0;
    int threads = 0;
    bool force = false;
    bool quiet = false;
};

/// Adds the `compare` subcommand to `app`, filling `args`.
CLI::App* add_compare_command(CLI::App& app, CompareArgs& args);

/// Runs `retsim compare`; returns the exit code (0). Throws BadInput (exit 2) or
/// RuntimeFailure (exit 1); no output file is left behind when it throws.
int run_compare_command(const CompareArgs& args, const CLI::App& sub);

}  // namespace retsim
