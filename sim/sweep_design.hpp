// Sweep designs: which scenario keys vary and how (--vary specs), the points that cover them
// (full grid, Latin hypercube, or Saltelli's Sobol sampling for sensitivity analysis), designs
// read from files made elsewhere (SALib's parameter file and sample matrix), and the Sobol
// sensitivity indices of a metric over a Saltelli design (Jansen estimators, bootstrap
// intervals).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace retsim {

/// One scenario key that a sweep varies.
struct Factor {
    std::string key;     ///< a --set key, e.g. "strategies[0].budget_per_week_cents"
    std::string units;   ///< from the key's name (units_of_key), "" when dimensionless
    double low = 0;      ///< range for lhs and sobol designs; smallest level for lists
    double high = 0;     ///< range for lhs and sobol designs; largest level for lists
    /// Explicit levels for a grid: from KEY=[v1,...] or KEY=LOW:HIGH:N (N evenly spaced values,
    /// both ends included). Empty for KEY=LOW:HIGH (a continuous range).
    std::vector<double> levels;
    /// Values are whole numbers (the key is an integer key): sampled values are rounded to the
    /// nearest integer and written without a decimal point.
    bool integer = false;
};

/// Parses one --vary spec: KEY=LOW:HIGH, KEY=LOW:HIGH:N (N >= 2) or KEY=[v1,v2,...] (numbers,
/// at least one). `integer` marks an integer key (the caller knows the scenario's key types).
/// Throws BadInput with a message that quotes the spec and says what is wrong (no '=', empty
/// key, not a number, LOW > HIGH, N < 2, empty list, non-finite value, fractional value for
/// an integer key).
[[nodiscard]] Factor parse_vary(const std::string& spec, bool integer);

/// Units of a scenario key from its name: "cents" for *_cents, "days" for *_days, "weeks"
/// for *_weeks, "fraction" for *_fraction / *probability*, "per year" for *_per_year,
/// "customers" for *customers*, "" otherwise.
[[nodiscard]] std::string units_of_key(const std::string& key);

enum class DesignKind { Grid, Lhs, Sobol, File };
[[nodiscard]] const char* design_kind_name(DesignKind kind);  ///< "grid", "lhs", "sobol", "file"

/// The points of a sweep: rows of factor values, row-major.
struct Design {
    DesignKind kind = DesignKind::Grid;
    std::vector<Factor> factors;
    std::size_t rows = 0;
    std::vector<double> values;  ///< rows * factors.size(); row r, factor j at r * k + j
    /// Sobol (Saltelli) designs only: the base sample size N. Rows are N * (k + 2), in N blocks
    /// of k + 2 rows: A, AB_1 .. AB_k, B (SALib's order without second-order terms), where
    /// AB_j is A with column j taken from B.
    std::size_t saltelli_base = 0;
    std::uint64_t seed = 0;  ///< lhs: the permutation and jitter key; 0 otherwise

    [[nodiscard]] double at(std::size_t row, std::size_t factor) const { return values[row * factors.size() + factor]; }
};

/// Builds a design. Grid: the full factorial of the factors' levels (every factor needs
/// levels), last factor varying fastest; `samples` is ignored. Lhs: `samples` rows, one value
/// in each of `samples` equal strata of every factor's [low, high], strata permuted per factor
/// (Philox keyed by `seed`). Sobol: `samples` = N (a power of two is best), Saltelli rows from
/// the first N points of the 2k-dimensional Sobol sequence (Joe-Kuo directions, skipping the
/// all-zero point), scaled to [low, high]. Integer factors are rounded. Throws BadInput for no
/// factors, samples < 1 (lhs, sobol) or > 10,000,000 rows.
[[nodiscard]] Design make_design(DesignKind kind, std::vector<Factor> factors, std::size_t samples,
                                 std::uint64_t seed);

/// Reads a design made elsewhere: `params_path` is a SALib parameter file (one factor per
/// line: "name low high [group] [dist]", '#' comments, whitespace or comma separated; the
/// name is the scenario key) and `samples_path` a sample matrix (one row per point, one
/// column per factor, whitespace or comma separated, '#' comment lines, as numpy.savetxt
/// writes). Throws BadInput naming file, line and column for every bad line (wrong count of
/// columns, not a number, value outside [low, high]).
[[nodiscard]] Design read_design_files(const std::string& params_path, const std::string& samples_path);

/// The override text that sets factor j to `value`: "key=value", integers without a decimal
/// point, other values with the fewest digits that read back as the same double.
[[nodiscard]] std::string override_text(const Factor& factor, double value);

/// Sobol indices of one metric, with bootstrap percentile intervals.
struct SobolIndices {
    std::vector<double> first, first_low, first_high;  ///< per factor, S_i
    std::vector<double> total, total_low, total_high;  ///< per factor, S_Ti
    double variance = 0;                               ///< of the metric over A and B rows
    std::size_t resamples = 0;
};

/// Jansen's estimators over a Sobol design's rows (y[r] = the metric at row r, NaN for a
/// failed point: its whole block of k + 2 rows is left out): S_Ti = mean((f(A) - f(AB_i))^2) /
/// (2 V), S_i = (V - mean((f(B) - f(AB_i))^2) / 2) / V, V the variance of f over the A and B
/// rows. Intervals: percentile bootstrap over blocks, `resamples` resamples keyed by `seed`,
/// level `confidence`. Throws BadInput unless design.kind == Sobol and y.size() == rows.
[[nodiscard]] SobolIndices sobol_indices(const Design& design, std::span<const double> y,
                                         std::size_t resamples, double confidence, std::uint64_t seed);

}  // namespace retsim
