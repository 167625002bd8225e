// Comparison files: writing a Comparison in the layout of docs/compare_layout.md, under a
// temporary name renamed when complete. HDF5 plumbing from sim/hdf5_support.hpp.
#include "sim/compare.hpp"

#include <string>
#include <system_error>
#include <vector>

#include "sim/hdf5_support.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

using namespace hdf5;  // Handle, Context, H5Type, string_type, path_exists

inline constexpr const char* kCompareFormatVersion = "1.0";

/// A 1-d dataset (or a scalar one when `scalar`) of `values`, with units and description.
template <class T>
void write_values(const Context& ctx, hid_t group, const std::string& group_path, const std::string& name,
                  const std::vector<T>& values, const std::string& units, const std::string& description,
                  bool scalar = false) {
    const std::vector<hsize_t> dims = scalar ? std::vector<hsize_t>{} : std::vector<hsize_t>{hsize_t(values.size())};
    write_dataset(ctx, group, group_path, name, dims, values.data(), units, description);
}

void write_scalar(const Context& ctx, hid_t group, const std::string& group_path, const std::string& name,
                  double value, const std::string& units, const std::string& description) {
    write_values(ctx, group, group_path, name, std::vector<double>{value}, units, description, true);
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
}

void write_root(const Context& ctx, hid_t file, const Comparison& c, const CompareMetadata& meta) {
    const std::string root = "/";
    write_string_attribute(ctx, file, root, "format_version", kCompareFormatVersion);
    write_string_attribute(ctx, file, root, "content", "comparison");
    write_string_attribute(ctx, file, root, "program", "retsim");
    write_string_attribute(ctx, file, root, "program_version", meta.program_version);
    write_string_attribute(ctx, file, root, "git_commit", meta.git_commit);
    write_string_attribute(ctx, file, root, "scenario_a_name", meta.scenario_a_name);
    write_string_attribute(ctx, file, root, "scenario_a_text", meta.scenario_a_text);
    write_string_attribute(ctx, file, root, "scenario_b_name", meta.scenario_b_name);
    write_string_attribute(ctx, file, root, "scenario_b_text", meta.scenario_b_text);
    write_string_attribute(ctx, file, root, "overrides", join_lines(meta.overrides));
    write_scalar_attribute(ctx, file, root, "seed", std::uint64_t{meta.seed});
    write_scalar_attribute(ctx, file, root, "replicates", std::uint64_t{c.replicates});
    write_scalar_attribute(ctx, file, root, "confidence_level", c.confidence);
    write_string_attribute(ctx, file, root, "verdict", verdict_text(c.verdict, c.confidence));
    write_string_attribute(ctx, file, root, "created_utc", meta.created_utc);
}

void write_replicates(const Context& ctx, hid_t file, const Comparison& c) {
    const std::string path = "/replicates";
    Handle g = create_group(ctx, file, "replicates");
    std::vector<std::uint64_t> replicate(c.replicates);
    for (std::size_t r = 0; r < c.replicates; ++r) replicate[r] = r;
    write_values(ctx, g, path, "replicate", replicate, "1", "run.replicate of both runs of each row");
    for (const MetricComparison& m : c.metrics) {
        for (const bool is_a : {true, false}) {
            const std::string name = m.name + (is_a ? "_a" : "_b");
            const std::string description = m.description + (is_a ? ", plan A" : ", plan B");
            if (m.integer) {
                write_values(ctx, g, path, name, is_a ? m.a_exact : m.b_exact, m.units, description);
            } else {
                write_values(ctx, g, path, name, is_a ? m.a : m.b, m.units, description);
            }
        }
    }
}

void write_summary(const Context& ctx, hid_t file, const Comparison& c) {
    const std::string path = "/summary";
    Handle g = create_group(ctx, file, "summary");
    std::vector<std::string> names, units;
    std::vector<double> mean_a, mean_b, mean_difference, standard_error, ci_low, ci_high, unpaired_standard_error,
        unpaired_ci_low, unpaired_ci_high, width_ratio;
    for (const MetricComparison& m : c.metrics) {
        names.push_back(m.name);
        units.push_back(m.units);
        mean_a.push_back(m.mean_a);
        mean_b.push_back(m.mean_b);
        mean_difference.push_back(m.paired.estimate);
        standard_error.push_back(m.paired.standard_error);
        ci_low.push_back(m.paired.low);
        ci_high.push_back(m.paired.high);
        unpaired_standard_error.push_back(m.unpaired.standard_error);
        unpaired_ci_low.push_back(m.unpaired.low);
        unpaired_ci_high.push_back(m.unpaired.high);
        width_ratio.push_back(m.width_ratio());
    }
    const std::string row_units = "units of the row's metric (see units)";
    write_string_dataset(ctx, g, path, "names", names, "metric of each row; /replicates/<name>_a and _b hold its values");
    write_string_dataset(ctx, g, path, "units", units, "units of each row's metric");
    write_values(ctx, g, path, "mean_a", mean_a, row_units, "mean over the replicates of plan A");
    write_values(ctx, g, path, "mean_b", mean_b, row_units, "mean over the replicates of plan B");
    write_values(ctx, g, path, "mean_difference", mean_difference, row_units, "mean of B - A over paired replicates");
    write_values(ctx, g, path, "standard_error", standard_error, row_units,
                 "standard error of mean_difference from the paired differences: s_d / sqrt(n)");
    write_values(ctx, g, path, "ci_low", ci_low, row_units, "paired t-interval of mean_difference, lower end");
    write_values(ctx, g, path, "ci_high", ci_high, row_units, "paired t-interval of mean_difference, upper end");
    write_values(ctx, g, path, "unpaired_standard_error", unpaired_standard_error, row_units,
                 "standard error of mean_b - mean_a treating A and B as independent: sqrt(s_a^2/n + s_b^2/n)");
    write_values(ctx, g, path, "unpaired_ci_low", unpaired_ci_low, row_units,
                 "Welch interval of mean_b - mean_a, lower end");
    write_values(ctx, g, path, "unpaired_ci_high", unpaired_ci_high, row_units,
                 "Welch interval of mean_b - mean_a, upper end");
    write_values(ctx, g, path, "width_ratio", width_ratio, "1",
                 "paired interval width / unpaired interval width; NaN when the unpaired width is 0");
}

void write_roi(const Context& ctx, hid_t file, const Comparison& c) {
    const std::string path = "/roi";
    Handle g = create_group(ctx, file, "roi");
    const Roi& roi = c.roi;
    write_scalar(ctx, g, path, "value", roi.value, "1",
                 "incremental ROI of B over A: mean profit difference / mean total-cost difference (0.25 = 25%); "
                 "NaN when every cost difference is 0");
    write_scalar(ctx, g, path, "ci_low", roi.low, "1", "paired bootstrap percentile interval, lower end");
    write_scalar(ctx, g, path, "ci_high", roi.high, "1", "paired bootstrap percentile interval, upper end");
    write_scalar(ctx, g, path, "mean_profit_difference_cents", roi.mean_profit_difference_cents, "cents",
                 "mean of profit_cents B - A");
    write_scalar(ctx, g, path, "mean_cost_difference_cents", roi.mean_cost_difference_cents, "cents",
                 "mean of total_cost_cents B - A");
    write_string_attribute(ctx, g, path, "method",
                           "paired bootstrap: each resample draws n replicate indices with replacement "
                           "(Philox4x64-10 keyed by bootstrap_seed, counter = resample, draw/4) and takes "
                           "sum(profit differences)/sum(cost differences); percentile interval with linear "
                           "interpolation over the resamples whose cost sum is not 0");
    write_scalar_attribute(ctx, g, path, "resamples", std::int32_t{roi.resamples});
    write_scalar_attribute(ctx, g, path, "valid_resamples", std::int32_t{roi.valid_resamples});
    write_scalar_attribute(ctx, g, path, "bootstrap_seed", std::uint64_t{kBootstrapSeed});
}

void write_file(const std::string& temporary, const std::string& path, const Comparison& c,
                const CompareMetadata& meta) {
    const Context ctx(path);
    Handle fapl = ctx.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "set file access properties");
    // As sim/output.cpp: the 1.8 format stores long scenario texts as attributes; semi close
    // refuses to close with objects still open.
    ctx.check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "set file format bounds");
    ctx.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "set file close degree");
    Handle file = ctx.own(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
                          "create file (temporary " + temporary + ")");
    write_root(ctx, file, c, meta);
    write_replicates(ctx, file, c);
    write_summary(ctx, file, c);
    write_roi(ctx, file, c);
    ctx.check(file.close(), "close file (temporary " + temporary + ")");
}

}  // namespace

void write_comparison(const std::string& path, const Comparison& comparison, const CompareMetadata& meta,
                      bool overwrite) {
    silence_hdf5();
    write_through_temporary(path, overwrite,
                            [&](const std::string& temporary) { write_file(temporary, path, comparison, meta); });
}

}  // namespace retsim
