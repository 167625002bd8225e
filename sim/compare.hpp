// Comparing two plans: replicate r of plan A and of plan B share seed and replicate number,
// so they share customers and random draws (common random numbers) and their difference is
// the effect of the change. Paired t-intervals per metric, the unpaired (Welch) interval for
// contrast, and the incremental ROI of B over A with a paired bootstrap interval.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/result.hpp"
#include "sim/scenario.hpp"

namespace retsim {

/// One number taken from a run, with its units.
struct Metric {
    std::string name;         ///< dataset-friendly: letters, digits, underscores
    std::string units;        ///< "cents" or "customers"
    std::string description;  ///< one line, for the HDF5 attribute and docs
    double value = 0;         ///< for the statistics
    std::optional<std::int64_t> exact;  ///< set for integer metrics: stored as int64 in HDF5
};

/// The metrics compared, in table order. The one place where a metric is added.
/// total_cost_cents = margin_cents - profit_cents: every cost that profit subtracts
/// (acquisition, fixed, strategies), net of fee income.
[[nodiscard]] std::vector<Metric> compare_metrics(const RunResult& result);

/// A two-sided confidence interval around an estimate.
struct Interval {
    double estimate = 0;
    double standard_error = 0;
    double low = 0;
    double high = 0;
    double degrees_of_freedom = 0;
    [[nodiscard]] double width() const { return high - low; }
};

/// Two-sided Student t quantile: the t with P(|T| <= t) = confidence for `degrees_of_freedom`.
[[nodiscard]] double student_t_critical(double confidence, double degrees_of_freedom);

/// t-interval for the mean of `sample` (n >= 2), standard error s/sqrt(n) with n-1 degrees of
/// freedom. Zero width when every value is equal. Throws BadInput when n < 2.
[[nodiscard]] Interval mean_t_interval(std::span<const double> sample, double confidence);

/// Welch interval for mean(b) - mean(a), treating the samples as independent (each n >= 2):
/// standard error sqrt(s_a^2/n_a + s_b^2/n_b), Welch-Satterthwaite degrees of freedom. Zero
/// width when both samples are constant. Throws BadInput when a sample has fewer than 2 values.
[[nodiscard]] Interval welch_interval(std::span<const double> a, std::span<const double> b,
                                      double confidence);

/// Percentile of sorted values with linear interpolation between order statistics
/// (position p*(n-1), numpy's default). `sorted` must not be empty.
[[nodiscard]] double sorted_percentile(std::span<const double> sorted, double p);

/// One metric across the replicates of both plans.
struct MetricComparison {
    std::string name;
    std::string units;
    std::string description;
    bool integer = false;
    std::vector<double> a;  ///< per replicate
    std::vector<double> b;
    std::vector<std::int64_t> a_exact;  ///< per replicate, for integer metrics
    std::vector<std::int64_t> b_exact;
    double mean_a = 0;
    double mean_b = 0;
    Interval paired;    ///< of the differences b_r - a_r
    Interval unpaired;  ///< Welch, as if A and B had independent draws
    /// paired width / unpaired width; NaN when the unpaired width is 0.
    [[nodiscard]] double width_ratio() const;
};

/// Incremental return of B over A: (mean profit difference) / (mean total-cost difference).
struct Roi {
    double value = 0;  ///< a fraction (0.25 = 25%); NaN when every cost difference is 0
    double low = 0;    ///< bootstrap percentile interval; NaN when undefined
    double high = 0;
    double mean_profit_difference_cents = 0;
    double mean_cost_difference_cents = 0;
    int resamples = 0;        ///< bootstrap resamples drawn
    int valid_resamples = 0;  ///< those whose mean cost difference was not 0
};

inline constexpr int kBootstrapResamples = 2000;
/// Key of the bootstrap's Philox generator: fixed, so intervals are reproducible.
inline constexpr std::uint64_t kBootstrapSeed = 0x726f69'626f6f74ULL;  // "roiboot"

/// Paired bootstrap of the ROI: each resample draws n replicate indices with replacement
/// (Philox4x64 keyed by kBootstrapSeed, counter = resample and draw number) and computes
/// mean(dprofit)/mean(dcost) over them; the interval is the percentile interval of the
/// resamples with a non-zero mean cost difference. Deterministic.
[[nodiscard]] Roi incremental_roi(std::span<const double> profit_difference_cents,
                                  std::span<const double> cost_difference_cents, double confidence,
                                  int resamples = kBootstrapResamples);

enum class Verdict { BEarnsMore, AEarnsMore, NoSignificantDifference };
/// "B earns more than A", "A earns more than B", "no significant difference at 95%".
[[nodiscard]] std::string verdict_text(Verdict verdict, double confidence);

/// Everything a comparison reports.
struct Comparison {
    std::size_t replicates = 0;
    double confidence = 0.95;
    std::vector<MetricComparison> metrics;  ///< in compare_metrics order
    Roi roi;
    Verdict verdict = Verdict::NoSignificantDifference;  ///< from profit_cents' paired interval
    [[nodiscard]] const MetricComparison& metric(const std::string& name) const;
};

/// The statistics of a comparison from the metrics of each replicate (a[r], b[r] from
/// replicate r). Throws BadInput when there are fewer than 2 replicates or the runs' metric
/// lists differ.
[[nodiscard]] Comparison summarise_comparison(const std::vector<std::vector<Metric>>& a,
                                              const std::vector<std::vector<Metric>>& b,
                                              double confidence);

struct CompareOptions {
    std::size_t replicates = 20;  ///< at least 2
    int threads = 0;              ///< per run; 0 = all cores. Results do not depend on it.
    double confidence = 0.95;
    /// Called after each replicate's pair of runs with (replicates done, total); may be empty.
    std::function<void(std::size_t, std::size_t)> on_replicate;
};

/// Runs A and B for replicates 0..N-1 (run.replicate = r; the files' run.replicate is
/// ignored), one run after another, and summarises. Throws BadInput when the seeds differ
/// (common random numbers need one seed) or replicates < 2; RuntimeFailure from the engine.
[[nodiscard]] Comparison compare_scenarios(const Scenario& a, const Scenario& b,
                                           const CompareOptions& options);

/// Provenance stored as root attributes of a comparison file.
struct CompareMetadata {
    std::string program_version;
    std::string git_commit;
    std::string scenario_a_name;
    std::string scenario_a_text;
    std::string scenario_b_name;
    std::string scenario_b_text;
    std::vector<std::string> overrides;  ///< applied to both, in order
    std::uint64_t seed = 0;
    std::string created_utc;
};

/// Writes `comparison` to `path` in the layout of docs/compare_layout.md, under the name
/// PATH.partial-<pid> first and renamed when complete. Refuses (BadInput) when `path` exists
/// and `overwrite` is false; RuntimeFailure on I/O or HDF5 errors (no file left behind).
void write_comparison(const std::string& path, const Comparison& comparison,
                      const CompareMetadata& meta, bool overwrite);

}  // namespace retsim
