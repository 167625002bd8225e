// `retsim compare`: common random numbers make a plan's comparison with itself exactly zero
// and the paired interval much narrower than the unpaired one; the statistics match hand
// computations; the command writes, refuses and reports as the other commands do; thread
// counts do not change the results.
#include <hdf5.h>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sim/compare.hpp"
#include "sim/scenario.hpp"

namespace fs = std::filesystem;

namespace {

using retsim::test::Outcome;
using retsim::test::run_retsim;
using retsim::test::TempDir;
using retsim::test::write_file;

/// A small plan: 3000 customers with a half-year history, one channel, 26 weeks.
const std::string kPlanA = R"(
[run]
horizon_days = 182
seed = 7

[population]
initial_customers = 3000
history_days = 182

[economics]
margin_fraction = 0.30
fixed_cost_per_week_cents = 10_000

[[acquisition.channels]]
name = "search_ads"
spend_per_week_cents = 100_000
cost_per_customer_cents = 2_500
max_customers_per_week = 100
)";

/// Plan A with one text replaced (which must occur).
std::string plan_a_with(const std::string& from, const std::string& to) {
    std::string text = kPlanA;
    text.replace(text.find(from), from.size(), to);
    return text;
}

/// Plan A with the channel's spend doubled: more customers and more cost.
std::string plan_b_text() { return plan_a_with("spend_per_week_cents = 100_000", "spend_per_week_cents = 200_000"); }

retsim::Comparison compare(const std::string& a, const std::string& b, std::size_t replicates, int threads) {
    retsim::CompareOptions options;
    options.replicates = replicates;
    options.threads = threads;
    return retsim::compare_scenarios(retsim::parse_scenario(a, "a.toml"), retsim::parse_scenario(b, "b.toml"),
                                     options);
}

/// The raw bytes of a dataset (any type), for bit-for-bit comparisons.
std::vector<unsigned char> dataset_bytes(const fs::path& file, const std::string& name) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t type = H5Dget_type(d);
    const hid_t space = H5Dget_space(d);
    const auto points = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
    std::vector<unsigned char> bytes(points * H5Tget_size(type));
    if (H5Tget_class(type) == H5T_STRING) {
        bytes.clear();  // variable-length strings: compared through the metric names instead
    } else {
        REQUIRE(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()) >= 0);
    }
    H5Sclose(space);
    H5Tclose(type);
    H5Dclose(d);
    H5Fclose(f);
    return bytes;
}

double read_double(const fs::path& file, const std::string& name) {
    const std::vector<unsigned char> bytes = dataset_bytes(file, name);
    REQUIRE(bytes.size() == sizeof(double));
    double value = 0;
    std::memcpy(&value, bytes.data(), sizeof value);
    return value;
}

/// Every dataset name of a comparison file, from the single list of metrics.
std::vector<std::string> numeric_datasets() {
    std::vector<std::string> names = {"/replicates/replicate"};
    for (const retsim::Metric& m : retsim::compare_metrics(retsim::RunResult{})) {
        names.push_back("/replicates/" + m.name + "_a");
        names.push_back("/replicates/" + m.name + "_b");
    }
    for (const char* s : {"mean_a", "mean_b", "mean_difference", "standard_error", "ci_low", "ci_high",
                          "unpaired_standard_error", "unpaired_ci_low", "unpaired_ci_high", "width_ratio"}) {
        names.push_back(std::string("/summary/") + s);
    }
    for (const char* s : {"value", "ci_low", "ci_high", "mean_profit_difference_cents", "mean_cost_difference_cents"}) {
        names.push_back(std::string("/roi/") + s);
    }
    return names;
}

}  // namespace

TEST_CASE("unit: a plan compared with itself differs by exactly zero in every replicate", "[unit]") {
    const retsim::Comparison c = compare(kPlanA, kPlanA, 3, 2);
    REQUIRE(c.replicates == 3);
    REQUIRE(c.metrics.size() == retsim::compare_metrics(retsim::RunResult{}).size());
    for (const retsim::MetricComparison& m : c.metrics) {
        INFO(m.name);
        CHECK(m.a == m.b);
        CHECK(m.paired.estimate == 0);
        CHECK(m.paired.standard_error == 0);
        CHECK(m.paired.low == 0);
        CHECK(m.paired.high == 0);
    }
    // The replicates differ from each other, so the unpaired interval is not a point.
    CHECK(c.metric("profit_cents").a[0] != c.metric("profit_cents").a[1]);
    CHECK(c.metric("profit_cents").unpaired.width() > 0);
    CHECK(std::isnan(c.roi.value));
    CHECK(std::isnan(c.roi.low));
    CHECK(c.verdict == retsim::Verdict::NoSignificantDifference);
}

TEST_CASE("unit: common random numbers make the paired interval much narrower than the unpaired one", "[unit]") {
    // A higher margin on the same customers and purchases: the paired difference carries
    // almost none of the between-replicate noise. Measured paired/unpaired width 0.049 for
    // profit with 10 replicates (0.047 with 20); 0.3 holds with a wide margin and still
    // means the pairing cut the interval by more than three times.
    const retsim::Comparison margin =
        compare(kPlanA, plan_a_with("margin_fraction = 0.30", "margin_fraction = 0.32"), 10, 2);
    const retsim::MetricComparison& margin_profit = margin.metric("profit_cents");
    const double margin_ratio = margin_profit.paired.width() / margin_profit.unpaired.width();
    INFO("margin 0.30 -> 0.32: paired/unpaired width ratio of profit " << margin_ratio);
    CHECK(margin_ratio < 0.3);
    CHECK(margin_profit.width_ratio() == Approx(margin_ratio));
    CHECK(margin.verdict == retsim::Verdict::BEarnsMore);
    CHECK(std::isnan(margin.roi.value));  // same costs in every replicate

    // Doubled spend: the extra customers exist in B only, so their own noise stays in the
    // difference. Measured 0.43 with 20 replicates (0.62 with 10, where the two standard
    // deviations are less well estimated): pairing still cuts the interval by about half.
    const retsim::Comparison spend = compare(kPlanA, plan_b_text(), 20, 2);
    const retsim::MetricComparison& profit = spend.metric("profit_cents");
    const double spend_ratio = profit.paired.width() / profit.unpaired.width();
    INFO("spend doubled: paired/unpaired width ratio of profit " << spend_ratio);
    CHECK(spend_ratio < 0.6);

    // More spend means more cost: the ROI is defined and its interval holds the estimate.
    const retsim::MetricComparison& cost = spend.metric("total_cost_cents");
    CHECK(cost.paired.estimate > 0);
    REQUIRE(std::isfinite(spend.roi.value));
    CHECK(spend.roi.low <= spend.roi.value);
    CHECK(spend.roi.value <= spend.roi.high);
    CHECK(spend.roi.valid_resamples == spend.roi.resamples);
    CHECK(spend.roi.value == Approx(profit.paired.estimate / cost.paired.estimate));
}

TEST_CASE("unit: t, Welch and percentile intervals match hand computations", "[unit]") {
    // Sample 1..5: mean 3, s^2 = 2.5, SE = sqrt(2.5/5) = 0.70711, t(0.975; 4) = 2.7764451.
    const std::vector<double> x = {1, 2, 3, 4, 5};
    CHECK(retsim::student_t_critical(0.95, 4) == Approx(2.7764451051977987).epsilon(1e-12));
    const retsim::Interval t = retsim::mean_t_interval(x, 0.95);
    CHECK(t.estimate == 3);
    CHECK(t.degrees_of_freedom == 4);
    CHECK(t.standard_error == Approx(std::sqrt(0.5)).epsilon(1e-14));
    CHECK(t.low == Approx(3 - 2.7764451051977987 * std::sqrt(0.5)).epsilon(1e-12));
    CHECK(t.high == Approx(3 + 2.7764451051977987 * std::sqrt(0.5)).epsilon(1e-12));

    // Welch: b = 2,4,..,12 (mean 7, s^2 = 14) against a = 1..5 (mean 3, s^2 = 2.5):
    // SE = sqrt(2.5/5 + 14/6) = 1.6832508, df = (0.5 + 2.3333)^2 / (0.5^2/4 + 2.3333^2/5) = 6.9722557,
    // t(0.975; 6.9722557) = 2.3665330 (scipy.stats.t.ppf), interval 4 -+ 3.9834687.
    const std::vector<double> b = {2, 4, 6, 8, 10, 12};
    const retsim::Interval w = retsim::welch_interval(x, b, 0.95);
    CHECK(w.estimate == 4);
    CHECK(w.standard_error == Approx(1.6832508230603465).epsilon(1e-12));
    CHECK(w.degrees_of_freedom == Approx(6.9722557297949335).epsilon(1e-12));
    // Boost's and scipy's quantiles at a fractional df agree to about 1e-10 relative.
    CHECK(retsim::student_t_critical(0.95, w.degrees_of_freedom) == Approx(2.3665330442968404).epsilon(1e-9));
    CHECK(w.low == Approx(0.01653130538783598).margin(1e-8));
    CHECK(w.high == Approx(7.983468694612164).epsilon(1e-9));

    // Constant samples give point intervals, not NaN.
    const std::vector<double> c1 = {5, 5, 5};
    const std::vector<double> c2 = {7, 7, 7};
    const retsim::Interval point = retsim::welch_interval(c1, c2, 0.95);
    CHECK(point.low == 2);
    CHECK(point.high == 2);
    CHECK_THROWS_AS(retsim::mean_t_interval(std::vector<double>{1}, 0.95), retsim::BadInput);

    // Percentiles as numpy.percentile: position p*(n-1), linear in between.
    const std::vector<double> sorted = {1, 2, 3, 4, 10};
    CHECK(retsim::sorted_percentile(sorted, 0.5) == 3);
    CHECK(retsim::sorted_percentile(sorted, 0.025) == Approx(1.1));
    CHECK(retsim::sorted_percentile(sorted, 0.975) == Approx(9.4));
    CHECK(retsim::sorted_percentile(sorted, 1.0) == 10);
}

TEST_CASE("unit: the bootstrap ROI is exact for proportional differences, NaN without cost changes, reproducible",
          "[unit]") {
    const std::vector<double> cost = {100, 200, 300, 50};
    const std::vector<double> profit = {-30, -60, -90, -15};
    const retsim::Roi exact = retsim::incremental_roi(profit, cost, 0.95);
    CHECK(exact.value == Approx(-0.3));
    CHECK(exact.low == Approx(-0.3));
    CHECK(exact.high == Approx(-0.3));

    const std::vector<double> no_cost = {0, 0, 0, 0};
    const retsim::Roi none = retsim::incremental_roi(profit, no_cost, 0.95);
    CHECK(std::isnan(none.value));
    CHECK(std::isnan(none.low));
    CHECK(std::isnan(none.high));
    CHECK(none.valid_resamples == 0);

    const std::vector<double> noisy_profit = {10, -40, 70, 5};
    const retsim::Roi first = retsim::incremental_roi(noisy_profit, cost, 0.95);
    const retsim::Roi second = retsim::incremental_roi(noisy_profit, cost, 0.95);
    CHECK(first.low == second.low);
    CHECK(first.high == second.high);
    CHECK(first.low < first.value);
    CHECK(first.value < first.high);
}

TEST_CASE("cli: compare writes the file and the table, refuses to overwrite, rejects bad usage and input",
          "[input]") {
    TempDir dir;
    write_file(dir / "a.toml", kPlanA);
    write_file(dir / "b.toml", plan_b_text());

    const Outcome ok = run_retsim("compare a.toml b.toml --replicates 3 --threads 2", dir);
    INFO(ok.output);
    REQUIRE(ok.exit_code == 0);
    CHECK(fs::exists(dir / "a_vs_b.h5"));
    for (const char* text : {"metric", "A mean", "B - A", "95% CI paired", "95% CI unpaired", "profit",
                             "total cost", "incremental ROI", "verdict:", "a_vs_b.h5"}) {
        CHECK(ok.output.find(text) != std::string::npos);
    }
    CHECK(dir.count_files() == 3);  // a.toml, b.toml, a_vs_b.h5: no temporary left
    CHECK(dataset_bytes(dir / "a_vs_b.h5", "/replicates/profit_cents_a").size() == 3 * sizeof(std::int64_t));

    const Outcome refused = run_retsim("compare a.toml b.toml --replicates 3", dir);
    CHECK(refused.exit_code == 2);
    CHECK(refused.output.find("--force") != std::string::npos);
    CHECK(run_retsim("compare a.toml b.toml --replicates 2 --force -q", dir).exit_code == 0);

    const Outcome one = run_retsim("compare a.toml b.toml --replicates 1 -o one.h5", dir);
    CHECK(one.exit_code == 2);
    CHECK(one.output.find("replicates") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "one.h5"));

    write_file(dir / "bad.toml", "[run]\nhorizon_dys = 10\n");
    const Outcome bad = run_retsim("compare a.toml bad.toml -o bad.h5", dir);
    CHECK(bad.exit_code == 2);
    CHECK(bad.output.find("bad.toml:2") != std::string::npos);
    CHECK(bad.output.find("horizon_days") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "bad.h5"));

    // Paired runs need one seed: plans with different seeds are refused unless --seed sets both.
    write_file(dir / "c.toml", plan_a_with("seed = 7", "seed = 8"));
    const Outcome seeds = run_retsim("compare a.toml c.toml --replicates 2 -o seeds.h5", dir);
    CHECK(seeds.exit_code == 2);
    CHECK(seeds.output.find("--seed") != std::string::npos);
    CHECK(run_retsim("compare a.toml c.toml --replicates 2 --seed 5 -q -o seeds.h5", dir).exit_code == 0);

    const Outcome missing_dir = run_retsim("compare a.toml b.toml --replicates 2 -o no/such/dir.h5", dir);
    CHECK(missing_dir.exit_code == 1);
}

TEST_CASE("cli: compare gives bit-identical datasets on 1 and 2 threads", "[input]") {
    TempDir dir;
    write_file(dir / "a.toml", kPlanA);
    write_file(dir / "b.toml", plan_b_text());
    REQUIRE(run_retsim("compare a.toml b.toml --replicates 3 --threads 1 -q -o t1.h5", dir).exit_code == 0);
    REQUIRE(run_retsim("compare a.toml b.toml --replicates 3 --threads 2 -q -o t2.h5", dir).exit_code == 0);
    for (const std::string& name : numeric_datasets()) {
        INFO(name);
        const std::vector<unsigned char> one = dataset_bytes(dir / "t1.h5", name);
        CHECK_FALSE(one.empty());
        CHECK(one == dataset_bytes(dir / "t2.h5", name));
    }
    CHECK(std::isfinite(read_double(dir / "t1.h5", "/roi/value")));
}
