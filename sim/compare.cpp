// Paired comparison of two plans (see compare.hpp): the runs, the metrics taken from each run,
// and the statistics (t-intervals, Welch intervals, bootstrap ROI). Writing the file is in
// sim/compare_output.cpp.
#include "sim/compare.hpp"

#include <Random123/philox.h>

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "sim/engine.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double mean_of(std::span<const double> x) {
    double sum = 0;
    for (const double v : x) sum += v;
    return sum / double(x.size());
}

/// Sample variance (n - 1 denominator), two-pass so that large equal values give exactly 0.
double variance_of(std::span<const double> x, double mean) {
    double sum = 0;
    for (const double v : x) sum += (v - mean) * (v - mean);
    return sum / double(x.size() - 1);
}

void check_confidence(double confidence) {
    if (!(confidence > 0 && confidence < 1)) {
        throw BadInput("confidence level must lie strictly between 0 and 1, got " + std::to_string(confidence));
    }
}

Metric money(const char* name, const char* description, std::int64_t cents) {
    return {name, "cents", description, double(cents), cents};
}

Metric count(const char* name, const char* description, std::int64_t n) {
    return {name, "customers", description, double(n), n};
}

}  // namespace

std::vector<Metric> compare_metrics(const RunResult& result) {
    const Summary& s = result.summary;
    return {
        money("profit_cents", "profit over the horizon: margin minus every cost", s.profit_cents),
        {"discounted_profit_cents", "cents", "profit discounted to day 0 at the annual discount rate",
         s.discounted_profit_cents, std::nullopt},
        money("revenue_cents", "revenue over the horizon", s.revenue_cents),
        money("margin_cents", "gross margin over the horizon", s.margin_cents),
        // What profit subtracts from margin: acquisition, fixed and strategy costs, net of fee
        // income. Taken as a difference so that a new kind of cost is counted without change here.
        money("total_cost_cents", "every cost over the horizon net of fee income: margin_cents - profit_cents",
              s.margin_cents - s.profit_cents),
        count("alive_at_end", "customers still alive at the end of the horizon (truth)", s.alive_at_end),
        count("customers", "customers ever in the base: initial plus acquired", s.customers),
    };
}

double student_t_critical(double confidence, double degrees_of_freedom) {
    check_confidence(confidence);
    const boost::math::students_t t(degrees_of_freedom);
    return boost::math::quantile(t, 0.5 + confidence / 2);
}

Interval mean_t_interval(std::span<const double> sample, double confidence) {
    if (sample.size() < 2) throw BadInput("a t-interval needs at least 2 values");
    Interval out;
    out.estimate = mean_of(sample);
    out.degrees_of_freedom = double(sample.size() - 1);
    out.standard_error = std::sqrt(variance_of(sample, out.estimate) / double(sample.size()));
    const double half = student_t_critical(confidence, out.degrees_of_freedom) * out.standard_error;
    out.low = out.estimate - half;
    out.high = out.estimate + half;
    return out;
}

Interval welch_interval(std::span<const double> a, std::span<const double> b, double confidence) {
    if (a.size() < 2 || b.size() < 2) throw BadInput("a Welch interval needs at least 2 values per sample");
    const double mean_a = mean_of(a);
    const double mean_b = mean_of(b);
    const double va = variance_of(a, mean_a) / double(a.size());
    const double vb = variance_of(b, mean_b) / double(b.size());
    Interval out;
    out.estimate = mean_b - mean_a;
    out.standard_error = std::sqrt(va + vb);
    if (out.standard_error == 0) {
        // Both samples constant: the Welch-Satterthwaite formula is 0/0; the interval is a point.
        out.degrees_of_freedom = double(a.size() + b.size() - 2);
        out.low = out.high = out.estimate;
        return out;
    }
    out.degrees_of_freedom =
        (va + vb) * (va + vb) / (va * va / double(a.size() - 1) + vb * vb / double(b.size() - 1));
    const double half = student_t_critical(confidence, out.degrees_of_freedom) * out.standard_error;
    out.low = out.estimate - half;
    out.high = out.estimate + half;
    return out;
}

double sorted_percentile(std::span<const double> sorted, double p) {
    const double position = p * double(sorted.size() - 1);
    const auto below = std::size_t(std::floor(position));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    const double fraction = position - double(below);
    return sorted[below] + fraction * (sorted[above] - sorted[below]);
}

double MetricComparison::width_ratio() const {
    const double unpaired_width = unpaired.width();
    return unpaired_width > 0 ? paired.width() / unpaired_width : kNaN;
}

Roi incremental_roi(std::span<const double> profit_difference_cents, std::span<const double> cost_difference_cents,
                    double confidence, int resamples) {
    check_confidence(confidence);
    const std::size_t n = profit_difference_cents.size();
    if (n == 0 || cost_difference_cents.size() != n) {
        throw BadInput("the ROI needs equally many profit and cost differences, at least one");
    }
    Roi roi;
    roi.resamples = resamples;
    roi.mean_profit_difference_cents = mean_of(profit_difference_cents);
    roi.mean_cost_difference_cents = mean_of(cost_difference_cents);
    roi.value = roi.mean_cost_difference_cents != 0
                    ? roi.mean_profit_difference_cents / roi.mean_cost_difference_cents
                    : kNaN;
    roi.low = roi.high = kNaN;
    if (std::all_of(cost_difference_cents.begin(), cost_difference_cents.end(), [](double d) { return d == 0; })) {
        return roi;
    }

    std::vector<double> ratios;
    ratios.reserve(std::size_t(resamples));
    const r123::Philox4x64::key_type key{{kBootstrapSeed, 0}};
    for (int k = 0; k < resamples; ++k) {
        double profit = 0;
        double cost = 0;
        r123::Philox4x64::ctr_type counter{{std::uint64_t(k), 0, 0, 0}};
        r123::Philox4x64::ctr_type words{};
        for (std::size_t j = 0; j < n; ++j) {
            if (j % 4 == 0) {
                counter.v[1] = j / 4;
                words = r123::Philox4x64()(counter, key);
            }
            // The modulo bias is below n / 2^64: negligible for any replicate count.
            const std::size_t i = std::size_t(words.v[j % 4] % n);
            profit += profit_difference_cents[i];
            cost += cost_difference_cents[i];
        }
        if (cost != 0) ratios.push_back(profit / cost);  // the sums' ratio is the means' ratio
    }
    roi.valid_resamples = int(ratios.size());
    if (!ratios.empty()) {
        std::sort(ratios.begin(), ratios.end());
        const double tail = (1 - confidence) / 2;
        roi.low = sorted_percentile(ratios, tail);
        roi.high = sorted_percentile(ratios, 1 - tail);
    }
    return roi;
}

std::string verdict_text(Verdict verdict, double confidence) {
    switch (verdict) {
        case Verdict::BEarnsMore: return "B earns more than A";
        case Verdict::AEarnsMore: return "A earns more than B";
        case Verdict::NoSignificantDifference: break;
    }
    char level[16];
    std::snprintf(level, sizeof level, "%g%%", 100 * confidence);
    return std::string("no significant difference at ") + level;
}

const MetricComparison& Comparison::metric(const std::string& name) const {
    for (const MetricComparison& m : metrics) {
        if (m.name == name) return m;
    }
    throw std::out_of_range("no compared metric named " + name);
}

Comparison summarise_comparison(const std::vector<std::vector<Metric>>& a, const std::vector<std::vector<Metric>>& b,
                                double confidence) {
    check_confidence(confidence);
    const std::size_t n = a.size();
    if (n < 2 || b.size() != n) throw BadInput("a comparison needs at least 2 replicates of each plan");
    Comparison out;
    out.replicates = n;
    out.confidence = confidence;
    for (std::size_t m = 0; m < a[0].size(); ++m) {
        MetricComparison mc;
        mc.name = a[0][m].name;
        mc.units = a[0][m].units;
        mc.description = a[0][m].description;
        mc.integer = a[0][m].exact.has_value();
        std::vector<double> difference;
        for (std::size_t r = 0; r < n; ++r) {
            if (a[r].size() != a[0].size() || b[r].size() != a[0].size() || a[r][m].name != mc.name ||
                b[r][m].name != mc.name) {
                throw BadInput("the runs of a comparison report different metrics");
            }
            mc.a.push_back(a[r][m].value);
            mc.b.push_back(b[r][m].value);
            if (mc.integer) {
                mc.a_exact.push_back(a[r][m].exact.value_or(0));
                mc.b_exact.push_back(b[r][m].exact.value_or(0));
                // Exact integer difference, so that equal runs give exactly 0.
                difference.push_back(double(mc.b_exact.back() - mc.a_exact.back()));
            } else {
                difference.push_back(mc.b.back() - mc.a.back());
            }
        }
        mc.mean_a = mean_of(mc.a);
        mc.mean_b = mean_of(mc.b);
        mc.paired = mean_t_interval(difference, confidence);
        mc.unpaired = welch_interval(mc.a, mc.b, confidence);
        out.metrics.push_back(std::move(mc));
    }

    const MetricComparison& profit = out.metric("profit_cents");
    const MetricComparison& cost = out.metric("total_cost_cents");
    std::vector<double> profit_difference, cost_difference;
    for (std::size_t r = 0; r < n; ++r) {
        profit_difference.push_back(double(profit.b_exact[r] - profit.a_exact[r]));
        cost_difference.push_back(double(cost.b_exact[r] - cost.a_exact[r]));
    }
    out.roi = incremental_roi(profit_difference, cost_difference, confidence);
    if (profit.paired.low > 0) {
        out.verdict = Verdict::BEarnsMore;
    } else if (profit.paired.high < 0) {
        out.verdict = Verdict::AEarnsMore;
    } else {
        out.verdict = Verdict::NoSignificantDifference;
    }
    return out;
}

Comparison compare_scenarios(const Scenario& a, const Scenario& b, const CompareOptions& options) {
    if (options.replicates < 2) throw BadInput("--replicates must be at least 2");
    if (a.run.seed != b.run.seed) {
        throw BadInput("the plans have different seeds (" + a.source_name + ": run.seed = " +
                       std::to_string(a.run.seed) + ", " + b.source_name + ": run.seed = " +
                       std::to_string(b.run.seed) +
                       "); paired runs need one seed: give --seed S to use S for both");
    }
    RunOptions run_options;
    run_options.threads = options.threads;
    std::vector<std::vector<Metric>> metrics_a, metrics_b;
    Scenario ra = a;
    Scenario rb = b;
    for (std::size_t r = 0; r < options.replicates; ++r) {
        ra.run.replicate = r;
        rb.run.replicate = r;
        metrics_a.push_back(compare_metrics(run_simulation(ra, run_options)));
        metrics_b.push_back(compare_metrics(run_simulation(rb, run_options)));
        if (options.on_replicate) options.on_replicate(r + 1, options.replicates);
    }
    return summarise_comparison(metrics_a, metrics_b, options.confidence);
}

}  // namespace retsim
