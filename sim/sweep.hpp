// Parameter sweeps: one base scenario run at every point of a design (sim/sweep_design.hpp),
// R replicates per point (run.replicate = 0..R-1, same seed), runs executed concurrently on
// this machine's threads or across MPI ranks, every finished run appended to a journal so that
// an interrupted sweep resumes, and one HDF5 file (docs/sweep_layout.md) rewritten as a
// checkpoint while the sweep goes on.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/sweep_design.hpp"

namespace retsim {

/// Name, units and kind of one metric every run reports (compare_metrics order).
struct MetricInfo {
    std::string name;
    std::string units;
    std::string description;
    bool integer = false;  ///< whole cents or counts: exact as a double below 2^53
};

/// The metrics of compare_metrics, known before any run.
[[nodiscard]] std::vector<MetricInfo> sweep_metric_info();

/// A complete sweep: what runs, and how results are identified. Run index i is point
/// i / replicates, replicate i % replicates.
struct Sweep {
    std::string scenario_name;            ///< file path, or "<built-in default>"
    std::string scenario_text;            ///< the base scenario's TOML text
    std::vector<std::string> overrides;   ///< --set KEY=VALUE, applied before a point's values
    std::vector<std::string> vary_specs;  ///< the --vary specs as given (empty for a design file)
    Design design;
    std::size_t replicates = 1;
    std::uint64_t seed = 0;  ///< run.seed of the base scenario with its overrides
    std::vector<MetricInfo> metrics;

    [[nodiscard]] std::size_t points() const { return design.rows; }
    [[nodiscard]] std::size_t runs() const { return design.rows * replicates; }
};

/// What the command line asks for; make_sweep checks it and builds the design.
struct SweepRequest {
    std::string scenario_name;
    std::string scenario_text;
    std::vector<std::string> overrides;
    std::vector<std::string> vary_specs;  ///< --vary KEY=LOW:HIGH[:N] or KEY=[v1,...]
    DesignKind design = DesignKind::Grid;
    std::optional<std::size_t> samples;   ///< --samples: lhs rows, sobol base N
    std::size_t replicates = 1;
    std::string design_file;  ///< --design-file: sample matrix (with params_file, instead of vary_specs)
    std::string params_file;  ///< --params: SALib parameter file
};

/// Checks a request and builds its sweep: the base scenario with its overrides must parse;
/// every varied key's integer type comes from the base scenario (see key_is_integer); the first
/// point's scenario is parsed so that an unknown key is reported before any run. Throws
/// BadInput with a message naming the spec, key or file.
[[nodiscard]] Sweep make_sweep(const SweepRequest& request);

/// The TOML type of `key` ("a.b[2].c", the --set spelling) in `scenario_text`: true for an
/// integer, false for a float, nullopt when the key is absent. Throws BadInput when the key
/// names a value that is not a number (a string, table, ...) or the text is not TOML.
[[nodiscard]] std::optional<bool> key_is_integer(std::string_view scenario_text, const std::string& key);

/// The override strings of run `index`: the sweep's --set overrides, then one per factor,
/// then run.replicate.
[[nodiscard]] std::vector<std::string> run_overrides(const Sweep& sweep, std::size_t index);

enum class RunStatus : std::uint8_t { Ok = 0, Failed = 1, NotRun = 2 };

/// The outcome of one run: its metrics (sweep.metrics order) or the error that stopped it.
struct RunRecord {
    RunStatus status = RunStatus::NotRun;
    std::string error;           ///< failed runs: the problems, as BadInput/RuntimeFailure say them
    std::vector<double> values;  ///< ok runs: one per metric
};

/// Runs one run index with `threads` engine threads (results do not depend on it). Never
/// throws for a bad point or a failing run: the record says failed and why.
[[nodiscard]] RunRecord run_sweep_index(const Sweep& sweep, std::size_t index, int threads);

/// One journal line for a record, newline included: "INDEX\tok\tV1\t...\tVM\n" (each double in
/// the shortest form that reads back exactly) or "INDEX\tfailed\tERROR\n" (backslash,
/// tab and newline escaped). Also the message a worker rank sends.
[[nodiscard]] std::string record_line(std::size_t index, const RunRecord& record);
/// Reads a record_line (with or without its newline); nullopt when it is not one for
/// `metric_count` metrics.
[[nodiscard]] std::optional<std::pair<std::size_t, RunRecord>> parse_record_line(std::string_view line,
                                                                                 std::size_t metric_count);

/// FNV-1a hash of what identifies a sweep's results: scenario text, overrides, design (kind,
/// keys, values), replicates and metric names. A journal of another sweep is refused.
[[nodiscard]] std::uint64_t sweep_hash(const Sweep& sweep);

/// The append-only journal OUT.journal: a header line naming the sweep, then one record_line
/// per finished run. Lines reach the file with one write() each, so a killed process loses at
/// most a partial last line, which reading ignores.
class SweepJournal {
public:
    /// Starts a new journal at `path` (replacing any file there).
    static SweepJournal create(const std::string& path, const Sweep& sweep);
    /// Opens the journal of an interrupted sweep and fills `runs` (size sweep.runs()) with its
    /// records; a partial last line is cut off. Throws BadInput when the file is missing, is not
    /// a journal, or belongs to another sweep; RuntimeFailure on I/O errors.
    static SweepJournal resume(const std::string& path, const Sweep& sweep, std::vector<RunRecord>& runs);

    SweepJournal(SweepJournal&& other) noexcept;
    SweepJournal& operator=(SweepJournal&& other) noexcept;
    SweepJournal(const SweepJournal&) = delete;
    SweepJournal& operator=(const SweepJournal&) = delete;
    ~SweepJournal();

    /// Appends one record; RuntimeFailure when the write fails.
    void append(std::size_t index, const RunRecord& record);
    /// Flushes the file to the disk (fdatasync).
    void sync();
    /// Closes and deletes the journal (after the final file is written).
    void remove();
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    SweepJournal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

/// Mean and 95% t-interval over the ok replicates of each point, per metric.
struct PointStatistics {
    std::vector<std::uint32_t> ok;      ///< per point: ok replicates
    std::vector<std::uint32_t> failed;  ///< per point: failed replicates
    /// [metric][point]; mean is NaN with no ok replicate, the interval NaN with fewer than 2.
    std::vector<std::vector<double>> mean, ci_low, ci_high;
};
inline constexpr double kSweepConfidence = 0.95;
[[nodiscard]] PointStatistics point_statistics(const Sweep& sweep, std::span<const RunRecord> runs);

inline constexpr std::size_t kSensitivityResamples = 1000;
/// Key of the bootstrap of the Sobol indices: fixed, so intervals are reproducible.
inline constexpr std::uint64_t kSensitivitySeed = 0x73776565'70736f62ULL;  // "sweepsob"
/// Sobol indices per metric from the per-point replicate means (sobol designs only; a point
/// without an ok replicate leaves its block out). All NaN for a metric whose indices cannot be
/// computed (no complete block, zero variance).
[[nodiscard]] std::vector<SobolIndices> sweep_sensitivity(const Sweep& sweep, const PointStatistics& points);

/// Provenance stored as root attributes of a sweep file.
struct SweepMetadata {
    std::string program_version;
    std::string git_commit;
    std::string created_utc;
    int threads = 0;  ///< concurrent runs (or MPI ranks computing); results do not depend on it
    int ranks = 1;
};

/// Writes the sweep file in the layout of docs/sweep_layout.md under PATH.partial-<pid>, then
/// renames it to `path` (replacing it). `runs` has sweep.runs() records, NotRun for runs not yet
/// done. RuntimeFailure on I/O or HDF5 errors, with no partial file left behind.
void write_sweep_file(const std::string& path, const Sweep& sweep, std::span<const RunRecord> runs,
                      const SweepMetadata& meta);

/// Counts shown by the progress line and returned at the end.
struct SweepCounts {
    std::size_t total = 0;     ///< runs in the sweep
    std::size_t done = 0;      ///< recorded (ok or failed), including those of a resumed journal
    std::size_t failed = 0;
    std::size_t resumed = 0;   ///< taken from the journal at the start
    /// The lowest failed run: "run I (point P, replicate R): ERROR"; empty when none failed.
    std::string first_failure;
};

struct SweepOptions {
    std::string output;               ///< the HDF5 file; the journal is OUTPUT.journal
    bool resume = false;              ///< continue from OUTPUT.journal
    bool force = false;               ///< replace an existing output and journal
    int threads = 0;                  ///< concurrent runs; 0 = all cores
    int threads_per_run = 1;          ///< engine threads inside each run
    double checkpoint_seconds = 30;   ///< rewrite the file at most this often while running
    bool keep_journal = false;        ///< keep OUTPUT.journal after a complete sweep
    const std::atomic<bool>* stop = nullptr;  ///< set (by a signal handler) to stop starting runs
    std::size_t stop_after = 0;       ///< tests: stop starting runs once this many ran here; 0 = never
    /// Called on the coordinating thread about ten times a second and at the end; may be empty.
    std::function<void(const SweepCounts&)> on_progress;
    SweepMetadata meta;               ///< created_utc is set at each write
};

/// The journal path of an output file: OUTPUT.journal.
[[nodiscard]] std::string journal_path(const std::string& output);

/// Runs a sweep: checks the output and journal (BadInput: output exists without --force or
/// --resume; a journal exists without --resume or --force; --resume without a journal or with
/// one of another sweep), runs what is missing, appends each run to the journal, rewrites the
/// file every checkpoint_seconds and at the end. Under MPI with more than one rank (sim/mpi.hpp)
/// rank 0 coordinates and hands out run indices; call serve_sweep_worker on the other ranks.
/// Returns the counts; done < total means the sweep was stopped and can be resumed.
SweepCounts run_sweep(const Sweep& sweep, const SweepOptions& options);

/// An MPI worker rank's loop: asks rank 0 for run indices, runs them with `threads_per_run`
/// engine threads and sends back their records, until rank 0 says stop.
void serve_sweep_worker(const Sweep& sweep, int threads_per_run);

}  // namespace retsim
