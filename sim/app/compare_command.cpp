// `retsim compare`: loads both plans with the same overrides, runs the paired replicates
// (sim/compare.hpp), prints the table and writes the comparison file.
#include "sim/app/compare_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "sim/build_info.hpp"
#include "sim/compare.hpp"
#include "sim/format.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"

namespace retsim {
namespace {

/// Loads both plans, reporting the problems of both files together.
std::pair<Scenario, Scenario> load_plans(const CompareArgs& a, const std::vector<std::string>& overrides) {
    Problems problems;
    std::optional<Scenario> plan_a, plan_b;
    for (const bool is_a : {true, false}) {
        try {
            (is_a ? plan_a : plan_b) = load_scenario(is_a ? a.scenario_a : a.scenario_b, overrides);
        } catch (const BadInput& e) {
            for (const Problem& p : e.problems().list()) problems.add(p);
        }
    }
    if (!problems.empty()) throw BadInput(std::move(problems));
    return {std::move(*plan_a), std::move(*plan_b)};
}

/// "profit_cents" -> "profit", "alive_at_end" -> "alive at end".
std::string label_of(const std::string& metric) {
    std::string label = metric;
    const std::string cents = "_cents";
    if (label.size() > cents.size() && label.ends_with(cents)) label.resize(label.size() - cents.size());
    std::replace(label.begin(), label.end(), '_', ' ');
    return label;
}

/// Money in currency units; other quantities (means of counts) with two decimals.
std::string format_value(const MetricComparison& m, double value) {
    if (m.units == "cents") return format_money(value);
    // format_money groups thousands and prints two decimals: what a mean count needs too.
    return format_money(value * 100);
}

std::string format_interval(const MetricComparison& m, const Interval& i) {
    return "[" + format_value(m, i.low) + ", " + format_value(m, i.high) + "]";
}

std::string format_percent(double fraction) {
    if (!std::isfinite(fraction)) return "n/a";
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * fraction);
    return buffer;
}

std::string format_ratio(double ratio) {
    if (!std::isfinite(ratio)) return "n/a";
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.3f", ratio);
    return buffer;
}

std::string table(const Comparison& c) {
    char level[16];
    std::snprintf(level, sizeof level, "%g%%", 100 * c.confidence);
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"metric", "A mean", "B mean", "B - A", std::string(level) + " CI paired",
                    std::string(level) + " CI unpaired", "width paired/unpaired"});
    for (const MetricComparison& m : c.metrics) {
        rows.push_back({label_of(m.name), format_value(m, m.mean_a), format_value(m, m.mean_b),
                        format_value(m, m.paired.estimate), format_interval(m, m.paired),
                        format_interval(m, m.unpaired), format_ratio(m.width_ratio())});
    }
    std::vector<std::size_t> width(rows[0].size(), 0);
    for (const auto& row : rows) {
        for (std::size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
    }
    std::ostringstream out;
    for (const auto& row : rows) {
        out << "  ";
        for (std::size_t k = 0; k < row.size(); ++k) {
            const std::string pad(width[k] - row[k].size(), ' ');
            // The metric column reads left to right; numbers line up on the right.
            out << (k == 0 ? row[k] + pad : "   " + pad + row[k]);
        }
        out << "\n";
    }
    return out.str();
}

std::string report(const Comparison& c, const Scenario& a, const Scenario& b) {
    std::ostringstream out;
    out << "retsim compare: A = " << a.source_name << ", B = " << b.source_name << "\n"
        << "  " << c.replicates << " paired replicates (run.replicate 0 to " << c.replicates - 1 << ", seed "
        << a.run.seed << "): A and B share customers and random draws\n"
        << "  money in currency units; customers are means over the replicates\n\n"
        << table(c) << "\n";
    const Roi& roi = c.roi;
    char level[16];
    std::snprintf(level, sizeof level, "%g%%", 100 * c.confidence);
    out << "  incremental ROI of B over A (profit difference / cost difference): ";
    if (std::isnan(roi.value)) {
        out << (std::isnan(roi.low) ? "n/a: total cost is the same in every replicate\n"
                                    : "n/a: the mean total-cost difference is 0\n");
    } else {
        out << format_percent(roi.value) << ", " << level << " CI [" << format_percent(roi.low) << ", "
            << format_percent(roi.high) << "] (paired bootstrap, " << roi.resamples << " resamples)\n";
        if (roi.mean_cost_difference_cents < 0) {
            out << "    B costs less than A: a negative ROI means profit rose while cost fell\n";
        }
    }
    const MetricComparison& profit = c.metric("profit_cents");
    out << "  verdict: " << verdict_text(c.verdict, c.confidence) << " (profit B - A "
        << format_money(profit.paired.estimate) << ", " << level << " CI " << format_interval(profit, profit.paired)
        << ")\n";
    return out.str();
}

}  // namespace

CLI::App* add_compare_command(CLI::App& app, CompareArgs& a) {
    CLI::App* sub = app.add_subcommand(
        "compare", "Compare two plans over paired replicates (common random numbers) and write an HDF5 file");
    sub->footer("Replicate r of A and of B share seed and run.replicate = r, so they share customers and random\n"
                "draws: the paired interval of B - A is much narrower than runs with independent draws would give.\n"
                "Layout of the output: docs/compare_layout.md.");
    sub->add_option("plan_a", a.scenario_a, "Scenario TOML file of plan A (the baseline)")->required();
    sub->add_option("plan_b", a.scenario_b, "Scenario TOML file of plan B (the alternative)")->required();
    sub->add_option("--replicates", a.replicates, "Paired replicates, at least 2")
        ->check(CLI::Range(std::size_t{2}, std::size_t{1'000'000}))
        ->capture_default_str();
    sub->add_option("-o,--output", a.output, "Comparison file (default: <A name>_vs_<B name>.h5 in this directory)");
    sub->add_option("--set", a.sets, "Override a scenario key in both plans, e.g. --set population.initial_customers=5000")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);
    sub->add_option("--seed", a.seed, "Random seed of both plans (same as --set run.seed=N)");
    sub->add_option("--threads", a.threads, "Worker threads per run, 0 = all cores; results do not depend on it")
        ->check(CLI::Range(0, 4096));
    sub->add_flag("--force", a.force, "Overwrite the comparison file if it exists");
    sub->add_flag("-q,--quiet", a.quiet, "No table and no progress");
    return sub;
}

int run_compare_command(const CompareArgs& args, const CLI::App& sub) {
    std::vector<std::string> overrides = args.sets;
    if (sub.count("--seed") > 0) overrides.push_back("run.seed=" + std::to_string(args.seed));
    const auto [plan_a, plan_b] = load_plans(args, overrides);

    std::string output = args.output;
    if (output.empty()) {
        output = std::filesystem::path(args.scenario_a).stem().string() + "_vs_" +
                 std::filesystem::path(args.scenario_b).stem().string() + ".h5";
    }
    // Checked before the runs so that they are not wasted; write_comparison checks again.
    std::error_code ignored;
    if (!args.force && std::filesystem::exists(std::filesystem::symlink_status(output, ignored))) {
        throw BadInput(output + " exists; use --force to overwrite it or -o to choose another name");
    }

    CompareOptions options;
    options.replicates = args.replicates;
    options.threads = args.threads;
    const bool show_progress = !args.quiet && isatty(STDERR_FILENO) != 0;
    if (show_progress) {
        options.on_replicate = [](std::size_t done, std::size_t total) {
            std::fprintf(stderr, "\rcompare: replicate %zu of %zu done", done, total);
            if (done == total) std::fputc('\n', stderr);
            std::fflush(stderr);
        };
    }
    const Comparison comparison = compare_scenarios(plan_a, plan_b, options);

    CompareMetadata meta;
    meta.program_version = std::string(program_version());
    meta.git_commit = std::string(git_commit());
    meta.scenario_a_name = plan_a.source_name;
    meta.scenario_a_text = plan_a.source_text;
    meta.scenario_b_name = plan_b.source_name;
    meta.scenario_b_text = plan_b.source_text;
    meta.overrides = overrides;
    meta.seed = plan_a.run.seed;
    meta.created_utc = utc_timestamp();
    write_comparison(output, comparison, meta, args.force);

    if (!args.quiet) std::cout << report(comparison, plan_a, plan_b) << "  results: " << output << "\n";
    return 0;
}

}  // namespace retsim
