// `retsim sweep`: builds the sweep from the command line (sim/sweep.hpp), stops starting runs
// on SIGINT/SIGTERM, shows a progress line, and under mpirun makes rank 0 the coordinator and
// the other ranks workers.
#include "sim/app/sweep_command.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "sim/app/progress.hpp"
#include "sim/build_info.hpp"
#include "sim/format.hpp"
#include "sim/mpi.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/sweep.hpp"

namespace retsim {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int) { g_stop.store(true); }

/// Catches SIGINT, SIGTERM and SIGUSR1 for its lifetime: the first sets the stop flag (running
/// runs finish, the file is written); the handler is then reset, so a second signal ends the
/// process at once (the journal keeps every finished run). SIGUSR1 is the one mpirun forwards
/// to every rank without killing the job (on SIGTERM it kills the ranks a moment later).
class StopSignals {
public:
    StopSignals() {
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
        sigaction(SIGUSR1, &action, &old_usr1_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
        sigaction(SIGUSR1, &old_usr1_, nullptr);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
    struct sigaction old_usr1_ {};
};

/// The progress line on a terminal: runs done / total, failures, rate and ETA.
class SweepProgressLine {
public:
    explicit SweepProgressLine(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}
    void update(const SweepCounts& c) {
        if (!enabled_) return;
        const auto now = Clock::now();
        if (drew_ && now - last_ < std::chrono::milliseconds(200) && c.done < c.total) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - start_).count();
        const double here = double(c.done - c.resumed);
        const double rate = elapsed > 0 ? here / elapsed : 0;
        const double eta = rate > 0 ? double(c.total - c.done) / rate : NAN;
        std::fprintf(stderr, "\rsweep: %zu/%zu runs (%.1f%%), %zu failed, %.3g runs/s, ETA %s   ", c.done, c.total,
                     c.total > 0 ? 100.0 * double(c.done) / double(c.total) : 100.0, c.failed, rate,
                     format_duration(eta).c_str());
        std::fflush(stderr);
        drew_ = true;
    }
    void finish() {
        if (drew_) std::fputc('\n', stderr);
        drew_ = false;
    }

private:
    using Clock = std::chrono::steady_clock;
    bool enabled_;
    bool drew_ = false;
    Clock::time_point start_ = Clock::now();
    Clock::time_point last_ = start_;
};

DesignKind design_kind(const std::string& name) {
    if (name == "grid") return DesignKind::Grid;
    if (name == "lhs") return DesignKind::Lhs;
    if (name == "sobol") return DesignKind::Sobol;
    throw BadInput("--design must be grid, lhs or sobol, got \"" + name + "\"");
}

SweepRequest request_of(const SweepArgs& a, const CLI::App& sub) {
    SweepRequest r;
    if (a.scenario.empty()) {
        r.scenario_name = "<built-in default>";
        r.scenario_text = std::string(default_scenario_text());
    } else {
        // Read as text: the scenario is checked with the --set overrides (make_sweep).
        std::error_code ec;
        std::ifstream in(a.scenario, std::ios::binary);
        if (std::filesystem::is_directory(a.scenario, ec) || !in) {
            throw BadInput(a.scenario + ": cannot read scenario file: " +
                           (std::filesystem::is_directory(a.scenario, ec) ? "it is a directory"
                            : std::filesystem::exists(a.scenario, ec)    ? "permission denied or unreadable"
                                                                         : "no such file"));
        }
        std::ostringstream text;
        text << in.rdbuf();
        r.scenario_text = text.str();
        r.scenario_name = a.scenario;
    }
    r.overrides = a.sets;
    r.vary_specs = a.vary;
    r.design = design_kind(a.design);
    if (sub.count("--samples") > 0) r.samples = a.samples;
    r.replicates = a.replicates;
    r.design_file = a.design_file;
    r.params_file = a.params_file;
    if (sub.count("--design") > 0 && !a.design_file.empty()) {
        throw BadInput("--design and --design-file exclude each other: a design file is run as it is");
    }
    return r;
}

}  // namespace

CLI::App* add_sweep_command(CLI::App& app, SweepArgs& a) {
    CLI::App* sub = app.add_subcommand(
        "sweep", "Run a scenario over a design of parameter values (grid, Latin hypercube, Sobol) into one HDF5 file");
    sub->footer(
        "Each point of the design is run --replicates times with run.replicate = 0..R-1 (same seed). Runs go\n"
        "to OUTPUT.journal as they finish; after Ctrl-C, a crash or a job time limit, the same command with\n"
        "--resume runs only what is missing. OUTPUT is rewritten every --checkpoint-seconds and at the end,\n"
        "always complete (written under a temporary name, then renamed). Under mpirun, rank 0 hands out runs\n"
        "and the other ranks compute. Walk-through: docs/sweeps.md; layout: docs/sweep_layout.md.\n"
        "Examples:\n"
        "  retsim sweep s.toml --vary economics.margin_fraction=0.2:0.4:5 --replicates 10 -o margin.h5\n"
        "  retsim sweep s.toml --vary 'population.initial_customers=[1000,5000]' --vary run.seed=1:3:3\n"
        "  retsim sweep s.toml --design sobol --samples 64 --vary economics.margin_fraction=0.2:0.4 \\\n"
        "                      --vary acquisition.channels[0].spend_per_week_cents=0:100000 -o sobol.h5\n"
        "  mpirun -np 16 retsim sweep s.toml --design lhs --samples 1000 --vary ... -o big.h5 --resume");
    sub->add_option("scenario", a.scenario, "Base scenario TOML file (default: the built-in default scenario)");
    sub->add_option("--vary", a.vary,
                    "A factor: KEY=LOW:HIGH (a range, for lhs/sobol), KEY=LOW:HIGH:N (N evenly spaced levels) or "
                    "KEY=[v1,v2,...] (levels); repeatable")
        ->type_name("SPEC")
        ->allow_extra_args(false);
    sub->add_option("--design", a.design, "grid (every combination of levels), lhs (Latin hypercube) or sobol "
                                          "(Saltelli sampling with Sobol indices)")
        ->check(CLI::IsMember({"grid", "lhs", "sobol"}))
        ->capture_default_str();
    sub->add_option("--samples", a.samples, "lhs: points; sobol: base sample N (points = N x (factors + 2))");
    sub->add_option("--replicates", a.replicates, "Runs per point, run.replicate = 0..R-1")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}))
        ->capture_default_str();
    sub->add_option("-o,--output", a.output, "Sweep file (default: <scenario name>_sweep.h5 in this directory)");
    sub->add_option("--design-file", a.design_file,
                    "A sample matrix made elsewhere (one row per point, as numpy.savetxt writes); needs --params");
    sub->add_option("--params", a.params_file, "SALib parameter file naming the columns of --design-file");
    sub->add_option("--set", a.sets, "Override a scenario key at every point, e.g. --set population.initial_customers=5000")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    sub->add_option("--threads", a.threads, "Runs at once on this machine, 0 = all cores; results do not depend on it")
        ->check(CLI::Range(0, 4096));
    sub->add_option("--threads-per-run", a.threads_per_run,
                    "Engine threads inside each run (raise it for few large points); results do not depend on it")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    sub->add_option("--checkpoint-seconds", a.checkpoint_seconds,
                    "Rewrite the output at most this often while running (0: after every run)")
        ->check(CLI::Range(0.0, 1e9))
        ->capture_default_str();
    sub->add_flag("--resume", a.resume, "Continue an interrupted sweep from OUTPUT.journal (same command otherwise)");
    sub->add_flag("--force", a.force, "Start over: replace the output and any journal");
    sub->add_flag("--keep-journal", a.keep_journal, "Keep OUTPUT.journal after the sweep completes");
    sub->add_flag("-q,--quiet", a.quiet, "No progress line and no summary");
    // For tests of interruption and resumption: behaves like a signal after N runs were started.
    sub->add_option("--stop-after", a.stop_after, "")->group("");
    return sub;
}

int run_sweep_command(const SweepArgs& args, const CLI::App& sub) {
    if (args.resume && args.force) {
        throw BadInput("--resume and --force exclude each other: --resume continues a sweep, --force starts over");
    }
    const mpi::Session session;
    const int rank = mpi::rank();
    const int ranks = mpi::size();
    // On every rank: a worker keeps computing its run until rank 0, which stops handing out
    // runs, tells it to stop.
    g_stop = false;
    const StopSignals signals;

    Sweep sweep;
    try {
        sweep = make_sweep(request_of(args, sub));
    } catch (...) {
        // Every rank reads the same input and fails the same way; rank 0 reports it.
        if (rank != 0) return 0;
        throw;
    }
    if (rank != 0) {
        try {
            serve_sweep_worker(sweep, args.threads_per_run);
        } catch (const std::exception& e) {
            std::cerr << "retsim sweep: rank " << rank << ": " << e.what() << "\n";
            mpi::abort_all(1);
        }
        return 0;
    }

    SweepOptions options;
    options.output = args.output;
    if (options.output.empty()) {
        options.output = (args.scenario.empty() ? std::string("default")
                                                : std::filesystem::path(args.scenario).stem().string()) +
                         "_sweep.h5";
    }
    options.resume = args.resume;
    options.force = args.force;
    options.threads = args.threads;
    options.threads_per_run = args.threads_per_run;
    options.checkpoint_seconds = args.checkpoint_seconds;
    options.keep_journal = args.keep_journal;
    options.stop_after = args.stop_after;
    options.stop = &g_stop;
    options.meta.program_version = std::string(program_version());
    options.meta.git_commit = std::string(git_commit());
    options.meta.ranks = ranks;
    options.meta.threads = ranks > 1 ? ranks - 1 : args.threads;
    SweepProgressLine progress(!args.quiet);
    options.on_progress = [&](const SweepCounts& c) { progress.update(c); };

    const auto start = std::chrono::steady_clock::now();
    const SweepCounts counts = run_sweep(sweep, options);
    progress.finish();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    if (counts.done < counts.total) {
        std::cerr << "retsim sweep: stopped after " << counts.done << " of " << counts.total << " runs ("
                  << counts.failed << " failed); " << options.output << " holds them and "
                  << journal_path(options.output)
                  << " records them.\n  Resume with the same command and --resume: only the missing runs will run.\n";
        return 1;
    }
    if (!args.quiet) {
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.1f", seconds);
        std::cout << "retsim sweep: " << sweep.scenario_name << ", " << design_kind_name(sweep.design.kind)
                  << " design, " << sweep.points() << " points x " << sweep.replicates << " replicates = "
                  << counts.total << " runs";
        if (counts.resumed > 0) std::cout << " (" << counts.resumed << " from the journal)";
        std::cout << " in " << rate << " s on " << (ranks > 1 ? std::to_string(ranks - 1) + " worker ranks" : "this machine")
                  << "\n  failed runs: " << counts.failed;
        if (!counts.first_failure.empty()) std::cout << " (the first: " << counts.first_failure << ")";
        std::cout << "\n  results: " << options.output << " (layout: docs/sweep_layout.md)\n";
    }
    return 0;
}

}  // namespace retsim
