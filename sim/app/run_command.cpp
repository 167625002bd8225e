// `retsim run` and `retsim merge` (see run_command.hpp).
#include "sim/app/run_command.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "sim/app/progress.hpp"
#include "sim/build_info.hpp"
#include "sim/engine.hpp"
#include "sim/format.hpp"
#include "sim/mpi.hpp"
#include "sim/output.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/shard_io.hpp"
#include "sim/app/summary_table.hpp"

namespace retsim {
namespace {

namespace fs = std::filesystem;

// Message tags of a run spread over MPI ranks.
constexpr int kTagCandidates = 7001;
constexpr int kTagShard = 7002;

Scenario load(const std::string& path, const std::vector<std::string>& overrides) {
    if (path.empty()) return parse_scenario(default_scenario_text(), "<built-in default>", overrides);
    return load_scenario(path, overrides);
}

/// "I/N" with 0 <= I < N.
Shard parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    std::size_t index = 0, count = 0;
    const auto number = [](std::string_view s, std::size_t& out) {
        const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
        return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
    };
    const std::string_view whole(text);
    if (slash == std::string::npos || !number(whole.substr(0, slash), index) || !number(whole.substr(slash + 1), count) ||
        count == 0 || index >= count) {
        throw BadInput("--shard \"" + text + "\": expected I/N with 0 <= I < N, e.g. --shard 0/4 (with Slurm: "
                       "--shard $SLURM_ARRAY_TASK_ID/N and --array=0-(N-1))");
    }
    return {index, count};
}

RunMetadata metadata(const Scenario& sc, int threads) {
    RunMetadata meta;
    meta.program_version = std::string(program_version());
    meta.git_commit = std::string(git_commit());
    meta.scenario_name = sc.source_name;
    meta.scenario_text = sc.source_text;
    meta.overrides = sc.overrides;
    meta.seed = sc.run.seed;
    meta.replicate = sc.run.replicate;
    meta.threads = threads;
    meta.created_utc = utc_timestamp();
    return meta;
}

void refuse_existing(const std::string& path, bool force) {
    // Checked before the run so that a long run is not wasted; the writers check again.
    if (!force && fs::exists(fs::symlink_status(path))) {
        throw BadInput(path + " exists; use --force to overwrite it or -o to choose another name");
    }
}

// Byte records between ranks: plain copies of trivially copyable values, same host type on
// every rank of one job.
template <class T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}
template <class T>
T take(std::string_view& in) {
    if (in.size() < sizeof(T)) throw RuntimeFailure("a message between MPI ranks was cut short");
    T value;
    std::memcpy(&value, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return value;
}
static_assert(std::is_trivially_copyable_v<Candidate>);

std::string encode(const std::vector<std::vector<Candidate>>& lists) {
    std::string out;
    put(out, std::uint64_t(lists.size()));
    for (const auto& list : lists) {
        put(out, std::uint64_t(list.size()));
        out.append(reinterpret_cast<const char*>(list.data()), list.size() * sizeof(Candidate));
    }
    return out;
}

void decode_into(std::string_view in, std::vector<std::vector<Candidate>>& lists) {
    const auto n = take<std::uint64_t>(in);
    lists.resize(std::max<std::size_t>(lists.size(), n));
    for (std::uint64_t k = 0; k < n; ++k) {
        const auto count = take<std::uint64_t>(in);
        for (std::uint64_t j = 0; j < count; ++j) lists[k].push_back(take<Candidate>(in));
    }
}

/// The candidates exchange over MPI: every rank sends its own to rank 0, which sends each
/// rank everybody else's.
class MpiExchange : public CandidateExchange {
public:
    std::vector<std::vector<Candidate>> others(std::vector<std::vector<Candidate>> mine) override {
        const int rank = mpi::rank(), ranks = mpi::size();
        std::vector<std::vector<Candidate>> out(mine.size());
        if (rank != 0) {
            mpi::send(0, kTagCandidates, encode(mine));
            decode_into(mpi::receive(0, kTagCandidates).bytes, out);
            return out;
        }
        std::vector<std::string> received(static_cast<std::size_t>(ranks));
        received[0] = encode(mine);
        for (int r = 1; r < ranks; ++r) received[std::size_t(r)] = mpi::receive(r, kTagCandidates).bytes;
        for (int r = 1; r < ranks; ++r) {
            std::vector<std::vector<Candidate>> theirs;
            for (int j = 0; j < ranks; ++j) {
                if (j != r) decode_into(received[std::size_t(j)], theirs);
            }
            mpi::send(r, kTagCandidates, encode(theirs));
        }
        for (int j = 1; j < ranks; ++j) decode_into(received[std::size_t(j)], out);
        return out;
    }
};

std::string encode(const ShardResult& s) {
    std::string out;
    put(out, std::uint64_t(s.shard.index));
    put(out, std::uint64_t(s.shard.count));
    put(out, s.wall_seconds);
    put(out, std::int64_t(s.threads));
    put(out, std::uint64_t(s.bytes_per_customer));
    put(out, std::uint64_t(s.plan_fingerprint.size()));
    out += s.plan_fingerprint;
    out += s.tallies;
    return out;
}

ShardResult decode_shard(std::string_view in) {
    ShardResult s;
    s.shard.index = std::size_t(take<std::uint64_t>(in));
    s.shard.count = std::size_t(take<std::uint64_t>(in));
    s.wall_seconds = take<double>(in);
    s.threads = int(take<std::int64_t>(in));
    s.bytes_per_customer = std::size_t(take<std::uint64_t>(in));
    const auto length = std::size_t(take<std::uint64_t>(in));
    if (in.size() < length) throw RuntimeFailure("a shard sent between MPI ranks was cut short");
    s.plan_fingerprint = std::string(in.substr(0, length));
    s.tallies = std::string(in.substr(length));
    return s;
}

void print_summary(const Scenario& sc, const RunResult& result, const std::string& output) {
    std::cout << format_summary(sc, result) << "  results: " << output << "\n";
}

/// The run spread over the ranks of an MPI job: each simulates its share of the customers,
/// rank 0 merges the shards and writes the result.
int run_over_ranks(const RunArgs& a, const Scenario& sc, const std::string& output) {
    const int rank = mpi::rank(), ranks = mpi::size();
    if (a.customers) throw BadInput("--customers is not available when the run is spread over MPI ranks");
    if (rank == 0) refuse_existing(output, a.force);
    Progress progress;
    RunOptions options;
    options.threads = a.threads;
    options.progress = &progress;
    MpiExchange exchange;
    ProgressReporter reporter(progress, !a.quiet && rank == 0);
    ShardResult mine = run_shard(sc, options, {std::size_t(rank), std::size_t(ranks)},
                                 needs_candidate_exchange(sc) ? &exchange : nullptr);
    reporter.finish();
    if (rank != 0) {
        mpi::send(0, kTagShard, encode(mine));
        return 0;
    }
    std::vector<ShardResult> shards{std::move(mine)};
    for (int r = 1; r < ranks; ++r) shards.push_back(decode_shard(mpi::receive(r, kTagShard).bytes));
    const RunResult result = merge_shards(sc, shards);
    write_result(output, result, metadata(sc, result.summary.threads), a.force);
    print_summary(sc, result, output + " (" + std::to_string(ranks) + " MPI ranks)");
    return 0;
}

}  // namespace

CLI::App* add_run_command(CLI::App& app, RunArgs& a) {
    CLI::App* run = app.add_subcommand("run", "Simulate a scenario and write an HDF5 result");
    run->add_option("scenario", a.scenario, "Scenario TOML file (default: the built-in default scenario)");
    run->add_option("-o,--output", a.output,
                    "Result file (default: <scenario name>.h5 in this directory; with --shard I/N, "
                    "<scenario name>.shard-I-of-N.h5)");
    run->add_option("--set", a.sets, "Override a scenario key, e.g. --set population.initial_customers=5000")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    run->add_option("--seed", a.seed, "Random seed (same as --set run.seed=N)");
    run->add_option("--replicate", a.replicate, "Replicate number (same as --set run.replicate=N)");
    run->add_option("--threads", a.threads, "Worker threads, 0 = all cores; results do not depend on it")
        ->check(CLI::Range(0, 4096));
    run->add_option("--shard", a.shard,
                    "Simulate only shard I of N (a share of the customers) into a shard file; combine the N files "
                    "with retsim merge. For Slurm job arrays: --shard $SLURM_ARRAY_TASK_ID/N")
        ->type_name("I/N");
    run->add_flag("--force", a.force, "Overwrite the result file if it exists");
    run->add_flag("--customers", a.customers, "Also store every customer's final state (/customers)");
    run->add_flag("-q,--quiet", a.quiet, "No progress bar");
    run->footer("Under mpirun -np N, the customers are spread over the N ranks and rank 0 writes the result:\n"
                "  mpirun -np 4 retsim run big.toml -o big.h5");
    return run;
}

int run_run_command(const RunArgs& a, const CLI::App& sub) {
    std::vector<std::string> overrides = a.sets;
    if (sub.count("--seed") > 0) overrides.push_back("run.seed=" + std::to_string(a.seed));
    if (sub.count("--replicate") > 0) overrides.push_back("run.replicate=" + std::to_string(a.replicate));
    const mpi::Session session;  // active only under an MPI launcher
    const bool over_ranks = mpi::active() && mpi::size() > 1;
    if (over_ranks && !a.shard.empty()) throw BadInput("--shard and mpirun do not go together: use one or the other");
    const Scenario sc = load(a.scenario, overrides);
    const std::string stem = a.scenario.empty() ? "default" : fs::path(a.scenario).stem().string();

    if (over_ranks) {
        try {
            return run_over_ranks(a, sc, a.output.empty() ? stem + ".h5" : a.output);
        } catch (const BadInput& e) {
            // Other ranks may wait for this one: end them all.
            std::cerr << "retsim (rank " << mpi::rank() << "): bad input:\n" << e.what() << "\n";
            mpi::abort_all(2);
        } catch (const std::exception& e) {
            std::cerr << "retsim (rank " << mpi::rank() << "): " << e.what() << "\n";
            mpi::abort_all(1);
        }
    }

    Progress progress;
    RunOptions options;
    options.threads = a.threads;
    options.keep_customers = a.customers;
    options.progress = &progress;
    if (!a.shard.empty()) {
        const Shard shard = parse_shard(a.shard);
        const std::string output = a.output.empty() ? stem + ".shard-" + std::to_string(shard.index) + "-of-" +
                                                          std::to_string(shard.count) + ".h5"
                                                    : a.output;
        refuse_existing(output, a.force);
        ProgressReporter reporter(progress, !a.quiet);
        const ShardResult result = run_shard(sc, options, shard, nullptr);
        reporter.finish();
        write_shard_file(output, result, metadata(sc, result.threads), a.force);
        std::cout << "retsim run: shard " << shard.index << " of " << shard.count << " of " << sc.source_name
                  << " -> " << output << "\n  combine all " << shard.count
                  << " shard files with: retsim merge SHARD_FILES... -o RESULT.h5\n";
        return 0;
    }

    const std::string output = a.output.empty() ? stem + ".h5" : a.output;
    refuse_existing(output, a.force);
    ProgressReporter reporter(progress, !a.quiet);
    const RunResult result = run_simulation(sc, options);
    reporter.finish();
    write_result(output, result, metadata(sc, result.summary.threads), a.force);
    print_summary(sc, result, output);
    return 0;
}

CLI::App* add_merge_command(CLI::App& app, MergeArgs& a) {
    CLI::App* merge = app.add_subcommand("merge", "Combine the shard files of retsim run --shard I/N into one result");
    merge->add_option("shards", a.shards, "Every shard file of the run, in any order")->required();
    merge->add_option("-o,--output", a.output, "Result file")->required();
    merge->add_flag("--force", a.force, "Overwrite the result file if it exists");
    merge->footer("Example:\n  retsim merge big.shard-*-of-4.h5 -o big.h5");
    return merge;
}

int run_merge_command(const MergeArgs& a) {
    refuse_existing(a.output, a.force);
    std::vector<ShardFile> files;
    for (const std::string& path : a.shards) files.push_back(read_shard_file(path));
    const RunMetadata& first = files.front().meta;
    for (std::size_t j = 1; j < files.size(); ++j) {
        const RunMetadata& m = files[j].meta;
        if (m.scenario_text != first.scenario_text || m.overrides != first.overrides) {
            throw BadInput(a.shards[j] + " is a shard of another scenario than " + a.shards.front() +
                           " (scenario text or --set overrides differ)");
        }
    }
    const Scenario sc = parse_scenario(first.scenario_text, first.scenario_name, first.overrides);
    std::vector<ShardResult> shards;
    for (ShardFile& f : files) shards.push_back(std::move(f.shard));
    const RunResult result = merge_shards(sc, shards);
    write_result(a.output, result, metadata(sc, result.summary.threads), a.force);
    print_summary(sc, result, a.output + " (merged from " + std::to_string(shards.size()) + " shards)");
    return 0;
}

}  // namespace retsim
