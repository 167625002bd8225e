// `retsim run`: one scenario to one HDF5 result, in one process, as one shard of a job array
// (--shard I/N, combined later by `retsim merge`), or spread by customer over the ranks of
// `mpirun -np N retsim run` (rank 0 writes the result). Every way gives the same result
// datasets bit for bit.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace retsim {

/// Command-line settings of `retsim run`.
struct RunArgs {
    std::string scenario;  ///< empty: the built-in default
    std::string output;
    std::vector<std::string> sets;
    std::uint64_t seed = 0;
    std::uint64_t replicate = 0;
    int threads = 0;
    std::string shard;  ///< "I/N" or empty
    bool force = false;
    bool customers = false;
    bool quiet = false;
};

CLI::App* add_run_command(CLI::App& app, RunArgs& args);
/// Returns the exit code; throws BadInput (exit 2) or RuntimeFailure (exit 1).
int run_run_command(const RunArgs& args, const CLI::App& sub);

/// Command-line settings of `retsim merge`.
struct MergeArgs {
    std::vector<std::string> shards;
    std::string output;
    bool force = false;
};

CLI::App* add_merge_command(CLI::App& app, MergeArgs& args);
int run_merge_command(const MergeArgs& args);

}  // namespace retsim
