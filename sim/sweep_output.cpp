// Sweep files: the design, every run, per-point statistics and Sobol indices in the layout of
// docs/sweep_layout.md, written under PATH.partial-<pid> and renamed, so that the final name
// always holds a complete file. HDF5 plumbing from sim/hdf5_support.hpp.

#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "sim/hdf5_support.hpp"
#include "sim/problems.hpp"
#include "sim/sweep.hpp"

namespace retsim {
namespace {

using namespace hdf5;  // Handle, Context, H5Type, string_type

inline constexpr const char* kSweepFormatVersion = "1.0";

template <class T>
void write_values(const Context& ctx, hid_t group, const std::string& group_path, const std::string& name,
                  const std::vector<T>& values, const std::string& units, const std::string& description) {
    write_dataset(ctx, group, group_path, name, {hsize_t(values.size())}, values.data(), units, description);
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
}

std::size_t design_samples(const Design& d) {
    return d.kind == DesignKind::Sobol ? d.saltelli_base : d.rows;
}

void write_root(const Context& ctx, hid_t file, const Sweep& sweep, std::span<const RunRecord> runs,
                const SweepMetadata& meta) {
    const std::string root = "/";
    std::uint64_t done = 0, failed = 0;
    for (const RunRecord& r : runs) {
        done += r.status != RunStatus::NotRun ? 1 : 0;
        failed += r.status == RunStatus::Failed ? 1 : 0;
    }
    write_string_attribute(ctx, file, root, "format_version", kSweepFormatVersion);
    write_string_attribute(ctx, file, root, "content", "sweep");
    write_string_attribute(ctx, file, root, "program", "retsim");
    write_string_attribute(ctx, file, root, "program_version", meta.program_version);
    write_string_attribute(ctx, file, root, "git_commit", meta.git_commit);
    write_string_attribute(ctx, file, root, "scenario_name", sweep.scenario_name);
    write_string_attribute(ctx, file, root, "scenario_text", sweep.scenario_text);
    write_string_attribute(ctx, file, root, "overrides", join_lines(sweep.overrides));
    write_string_attribute(ctx, file, root, "vary_specs", join_lines(sweep.vary_specs));
    write_string_attribute(ctx, file, root, "design_kind", design_kind_name(sweep.design.kind));
    write_scalar_attribute(ctx, file, root, "seed", std::uint64_t{sweep.seed});
    write_scalar_attribute(ctx, file, root, "replicates", std::uint64_t{sweep.replicates});
    write_scalar_attribute(ctx, file, root, "points", std::uint64_t{sweep.points()});
    write_scalar_attribute(ctx, file, root, "runs", std::uint64_t{sweep.runs()});
    write_scalar_attribute(ctx, file, root, "runs_done", done);
    write_scalar_attribute(ctx, file, root, "runs_failed", failed);
    write_scalar_attribute(ctx, file, root, "complete", std::uint8_t{done == runs.size() ? std::uint8_t{1} : std::uint8_t{0}});
    write_scalar_attribute(ctx, file, root, "confidence_level", kSweepConfidence);
    write_scalar_attribute(ctx, file, root, "threads", std::int32_t{meta.threads});
    write_scalar_attribute(ctx, file, root, "ranks", std::int32_t{meta.ranks});
    write_string_attribute(ctx, file, root, "created_utc", meta.created_utc);
}

void write_design(const Context& ctx, hid_t file, const Sweep& sweep) {
    const std::string path = "/design";
    const Design& d = sweep.design;
    Handle g = create_group(ctx, file, "design");
    std::vector<std::string> names, units;
    std::vector<double> low, high;
    std::vector<std::uint8_t> integer;
    for (const Factor& f : d.factors) {
        names.push_back(f.key);
        units.push_back(f.units);
        low.push_back(f.low);
        high.push_back(f.high);
        integer.push_back(f.integer ? 1 : 0);
    }
    write_dataset(ctx, g, path, "values", {hsize_t(d.rows), hsize_t(d.factors.size())}, d.values.data(),
                "units of the column's factor (see units)",
                "factor values of each point: row = point, column = factor (names)");
    write_string_dataset(ctx, g, path, "names", names, "scenario key of each factor (the --set spelling)");
    write_string_dataset(ctx, g, path, "units", units, "units of each factor, from its key's name (\"\" when none)");
    write_values(ctx, g, path, "low", low, "units of the factor", "lower end of each factor's range (smallest level)");
    write_values(ctx, g, path, "high", high, "units of the factor", "upper end of each factor's range (largest level)");
    write_values(ctx, g, path, "integer", integer, "1", "1 when the factor is an integer key (values are whole)");
    write_string_attribute(ctx, g, path, "kind", design_kind_name(d.kind));
    write_scalar_attribute(ctx, g, path, "samples", std::uint64_t{design_samples(d)});
    write_scalar_attribute(ctx, g, path, "saltelli_base", std::uint64_t{d.saltelli_base});
    write_scalar_attribute(ctx, g, path, "design_seed", std::uint64_t{d.seed});
}

void write_runs(const Context& ctx, hid_t file, const Sweep& sweep, std::span<const RunRecord> runs) {
    const std::string path = "/runs";
    Handle g = create_group(ctx, file, "runs");
    const std::size_t n = runs.size();
    std::vector<std::uint64_t> point(n), replicate(n);
    std::vector<std::uint8_t> status(n);
    std::vector<std::string> error(n);
    for (std::size_t i = 0; i < n; ++i) {
        point[i] = i / sweep.replicates;
        replicate[i] = i % sweep.replicates;
        status[i] = static_cast<std::uint8_t>(runs[i].status);
        error[i] = runs[i].error;
    }
    write_values(ctx, g, path, "point", point, "1", "row of /design/values this run used");
    write_values(ctx, g, path, "replicate", replicate, "1", "run.replicate of the run (the seed is the sweep's)");
    write_values(ctx, g, path, "status", status, "1", "0 ok, 1 failed (see error), 2 not run yet");
    write_string_dataset(ctx, g, path, "error", error, "why a failed run failed; empty otherwise");
    std::vector<double> column(n);
    for (std::size_t m = 0; m < sweep.metrics.size(); ++m) {
        for (std::size_t i = 0; i < n; ++i) {
            column[i] = runs[i].status == RunStatus::Ok ? runs[i].values[m] : std::numeric_limits<double>::quiet_NaN();
        }
        const MetricInfo& info = sweep.metrics[m];
        write_values(ctx, g, path, info.name, column, info.units,
                     info.description + "; NaN unless status is 0" +
                         (info.integer ? " (a whole number, exact below 2^53)" : ""));
    }
}

void write_points(const Context& ctx, hid_t file, const Sweep& sweep, const PointStatistics& s) {
    const std::string path = "/points";
    Handle g = create_group(ctx, file, "points");
    std::vector<std::uint64_t> point(sweep.points());
    for (std::size_t p = 0; p < point.size(); ++p) point[p] = p;
    write_values(ctx, g, path, "point", point, "1", "row of /design/values");
    write_values(ctx, g, path, "ok_replicates", s.ok, "1", "replicates of the point that ran without error");
    write_values(ctx, g, path, "failed_replicates", s.failed, "1", "replicates of the point that failed");
    for (std::size_t m = 0; m < sweep.metrics.size(); ++m) {
        const MetricInfo& info = sweep.metrics[m];
        write_values(ctx, g, path, info.name + "_mean", s.mean[m], info.units,
                     "mean of " + info.name + " over the point's ok replicates; NaN with none");
        write_values(ctx, g, path, info.name + "_ci_low", s.ci_low[m], info.units,
                     "95% t-interval of the mean, lower end; NaN with fewer than 2 ok replicates");
        write_values(ctx, g, path, info.name + "_ci_high", s.ci_high[m], info.units,
                     "95% t-interval of the mean, upper end; NaN with fewer than 2 ok replicates");
    }
}

void write_sensitivity(const Context& ctx, hid_t file, const Sweep& sweep, const std::vector<SobolIndices>& indices) {
    const std::string path = "/sensitivity";
    Handle g = create_group(ctx, file, "sensitivity");
    const std::size_t metrics = sweep.metrics.size();
    const std::size_t k = sweep.design.factors.size();
    std::vector<std::string> metric_names, factor_names;
    for (const MetricInfo& m : sweep.metrics) metric_names.push_back(m.name);
    for (const Factor& f : sweep.design.factors) factor_names.push_back(f.key);
    write_string_dataset(ctx, g, path, "metrics", metric_names, "metric of each row");
    write_string_dataset(ctx, g, path, "factors", factor_names, "factor of each column");
    const auto matrix = [&](const char* name, std::vector<double> SobolIndices::*member, const std::string& text) {
        std::vector<double> values;
        values.reserve(metrics * k);
        for (const SobolIndices& s : indices) values.insert(values.end(), (s.*member).begin(), (s.*member).end());
        write_dataset(ctx, g, path, name, {hsize_t(metrics), hsize_t(k)}, values.data(), "1",
                    text + "; row = metric, column = factor; NaN when undefined");
    };
    matrix("first", &SobolIndices::first, "first-order Sobol index S_i (Jansen)");
    matrix("first_low", &SobolIndices::first_low, "bootstrap 95% interval of S_i, lower end");
    matrix("first_high", &SobolIndices::first_high, "bootstrap 95% interval of S_i, upper end");
    matrix("total", &SobolIndices::total, "total Sobol index S_Ti (Jansen)");
    matrix("total_low", &SobolIndices::total_low, "bootstrap 95% interval of S_Ti, lower end");
    matrix("total_high", &SobolIndices::total_high, "bootstrap 95% interval of S_Ti, upper end");
    std::vector<double> variance;
    for (const SobolIndices& s : indices) variance.push_back(s.variance);
    write_values(ctx, g, path, "variance", variance, "squared units of the row's metric",
                 "variance of the per-point means over the A and B rows");
    write_string_attribute(ctx, g, path, "method",
                           "Jansen estimators over Saltelli blocks of per-point replicate means; percentile "
                           "bootstrap over blocks; a block with a point without an ok replicate is left out");
    write_scalar_attribute(ctx, g, path, "resamples", std::uint64_t{kSensitivityResamples});
    write_scalar_attribute(ctx, g, path, "confidence_level", kSweepConfidence);
    write_scalar_attribute(ctx, g, path, "bootstrap_seed", std::uint64_t{kSensitivitySeed});
}

void write_file(const std::string& temporary, const std::string& path, const Sweep& sweep,
                std::span<const RunRecord> runs, const SweepMetadata& meta) {
    const Context ctx(path);
    Handle fapl = ctx.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "set file access properties");
    // As sim/output.cpp: the 1.8 format stores long scenario texts as attributes; semi close
    // refuses to close with objects still open.
    ctx.check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "set file format bounds");
    ctx.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "set file close degree");
    Handle file = ctx.own(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
                          "create file (temporary " + temporary + ")");
    const PointStatistics stats = point_statistics(sweep, runs);
    write_root(ctx, file, sweep, runs, meta);
    write_design(ctx, file, sweep);
    write_runs(ctx, file, sweep, runs);
    write_points(ctx, file, sweep, stats);
    if (sweep.design.kind == DesignKind::Sobol) write_sensitivity(ctx, file, sweep, sweep_sensitivity(sweep, stats));
    ctx.check(file.close(), "close file (temporary " + temporary + ")");
}

}  // namespace

void write_sweep_file(const std::string& path, const Sweep& sweep, std::span<const RunRecord> runs,
                      const SweepMetadata& meta) {
    silence_hdf5();
    if (runs.size() != sweep.runs()) throw RuntimeFailure("write_sweep_file: the run records do not match the sweep");
    // A checkpoint replaces the previous one: the sweep owns its output (its journal is locked).
    write_through_temporary(path, true,
                            [&](const std::string& temporary) { write_file(temporary, path, sweep, runs, meta); });
}

}  // namespace retsim
