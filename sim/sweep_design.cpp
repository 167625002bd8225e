// Sweep designs: --vary specs, grid / Latin hypercube / Saltelli designs, SALib design files,
// and Jansen's Sobol indices with block-bootstrap intervals. Every random number comes from
// Philox (Draws) with fixed keys, so designs and intervals are bit-identical on every platform.
#include "sim/sweep_design.hpp"

#include <boost/random/sobol.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "sim/problems.hpp"
#include "sim/random.hpp"

namespace retsim {
namespace {

constexpr std::size_t kMaxRows = 10'000'000;
// Whole numbers up to 2^53 are exact doubles; integer keys must stay within them.
constexpr double kMaxWhole = 9007199254740992.0;

// Design draws are keyed by the design's own seed, on streams above the simulation's range
// (sim/random.hpp), so a design never shares draws with a run that has the same seed.
constexpr auto kLhsStream = static_cast<Stream>(1001);
constexpr auto kBootstrapStream = static_cast<Stream>(1002);

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

std::string in_quotes(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out += s;
    out += '"';
    return out;
}

// Shortest text that reads back as the same double.
std::string shortest(double v) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
}

// A number as the user wrote it: decimal or scientific, optional sign. Returns nullopt when
// the text is not a number; infinities and NaN parse (the caller rejects them by name).
std::optional<double> parse_number(std::string_view text) {
    text = trim(text);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.empty() || text.front() == '+') return std::nullopt;
    double v = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), v);
    if (result.ec == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
    if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
    return v;
}

[[noreturn]] void fail_spec(const std::string& spec, const std::string& what) {
    throw BadInput("--vary " + in_quotes(spec) + ": " + what);
}

// One number of a spec, checked: `what` names it in messages ("LOW", "level 2").
double spec_number(const std::string& spec, std::string_view text, const std::string& what, bool integer) {
    const std::optional<double> v = parse_number(text);
    if (!v) fail_spec(spec, what + " " + in_quotes(trim(text)) + " is not a number");
    if (!std::isfinite(*v)) fail_spec(spec, what + " " + in_quotes(trim(text)) + " is not a finite number");
    if (integer && *v != std::floor(*v)) {
        fail_spec(spec, what + " (" + shortest(*v) + ") is not a whole number, and the key is an integer key");
    }
    if (integer && std::fabs(*v) > kMaxWhole) {
        fail_spec(spec, what + " (" + shortest(*v) + ") is too large for an integer key (at most 2^53)");
    }
    return *v;
}

// An unbiased uniform integer in [0, n), n >= 1 (rejection of the short top range).
std::uint64_t uniform_below(Draws& draws, std::uint64_t n) {
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                std::numeric_limits<std::uint64_t>::max() % n;
    for (;;) {
        const std::uint64_t x = draws.bits();
        if (x < limit) return x % n;
    }
}

double scale(const Factor& f, double u) {
    double v = f.low + (f.high - f.low) * u;
    if (f.integer) v = std::round(v);
    return std::clamp(v, f.low, f.high);
}

}  // namespace

Factor parse_vary(const std::string& spec, bool integer) {
    const auto equals = spec.find('=');
    if (equals == std::string::npos) {
        fail_spec(spec, "expected KEY=LOW:HIGH, KEY=LOW:HIGH:N or KEY=[v1,v2,...], but there is no '='");
    }
    Factor f;
    f.key = std::string(trim(std::string_view(spec).substr(0, equals)));
    if (f.key.empty()) fail_spec(spec, "the key before '=' is empty");
    if (f.key.find_first_of(" \t") != std::string::npos) fail_spec(spec, "the key " + in_quotes(f.key) + " contains a space");
    f.units = units_of_key(f.key);
    f.integer = integer;
    const std::string_view value = trim(std::string_view(spec).substr(equals + 1));
    if (value.empty()) fail_spec(spec, "nothing after '='; expected LOW:HIGH, LOW:HIGH:N or [v1,v2,...]");

    if (value.front() == '[') {
        if (value.back() != ']') fail_spec(spec, "the list of levels has no closing ']'");
        const std::string_view inner = trim(value.substr(1, value.size() - 2));
        if (inner.empty()) fail_spec(spec, "the list of levels is empty; give at least one number");
        std::size_t start = 0;
        for (std::size_t i = 1;; ++i) {
            const std::size_t comma = std::min(inner.find(',', start), inner.size());
            const std::string_view item = trim(inner.substr(start, comma - start));
            if (item.empty()) fail_spec(spec, "level " + std::to_string(i) + " is empty");
            const double v = spec_number(spec, item, "level " + std::to_string(i), integer);
            if (std::find(f.levels.begin(), f.levels.end(), v) != f.levels.end()) {
                fail_spec(spec, "level " + std::to_string(i) + " (" + shortest(v) + ") appears twice");
            }
            f.levels.push_back(v);
            if (comma == inner.size()) break;
            start = comma + 1;
        }
        f.low = *std::min_element(f.levels.begin(), f.levels.end());
        f.high = *std::max_element(f.levels.begin(), f.levels.end());
        return f;
    }

    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t colon = std::min(value.find(':', start), value.size());
        parts.push_back(value.substr(start, colon - start));
        if (colon == value.size()) break;
        start = colon + 1;
    }
    if (parts.size() < 2 || parts.size() > 3) {
        fail_spec(spec, "expected LOW:HIGH, LOW:HIGH:N or [v1,v2,...] after '=', got " + in_quotes(value));
    }
    f.low = spec_number(spec, parts[0], "LOW", integer);
    f.high = spec_number(spec, parts[1], "HIGH", integer);
    if (f.low > f.high) {
        fail_spec(spec, "LOW (" + shortest(f.low) + ") is above HIGH (" + shortest(f.high) + ")");
    }
    if (f.low == f.high) {
        fail_spec(spec, "LOW equals HIGH (" + shortest(f.low) + "), so nothing varies; use --set for a fixed value");
    }
    if (parts.size() == 2) return f;

    const std::string_view n_text = trim(parts[2]);
    std::size_t n = 0;
    const auto result = std::from_chars(n_text.data(), n_text.data() + n_text.size(), n);
    if (n_text.empty() || result.ec != std::errc() || result.ptr != n_text.data() + n_text.size()) {
        fail_spec(spec, "N " + in_quotes(n_text) + " is not a whole number of levels");
    }
    if (n < 2) fail_spec(spec, "N (" + std::to_string(n) + ") must be at least 2: both ends are levels");
    if (n > kMaxRows) fail_spec(spec, "N (" + std::to_string(n) + ") is above the limit of 10,000,000 levels");
    f.levels.reserve(n);
    const double steps = double(n - 1);
    for (std::size_t i = 0; i < n; ++i) {
        // low + span * i / (n - 1): exact at i = 0; the last level is HIGH itself.
        const double v = i + 1 == n ? f.high : f.low + (f.high - f.low) * (double(i) / steps);
        if (integer && v != std::floor(v)) {
            fail_spec(spec, "level " + std::to_string(i + 1) + " of " + std::to_string(n) + " would be " +
                                shortest(v) + ", not a whole number, and the key is an integer key; choose N so "
                                "that (HIGH - LOW) / (N - 1) is whole, or list the levels as [v1,v2,...]");
        }
        f.levels.push_back(v);
    }
    return f;
}

std::string units_of_key(const std::string& key) {
    // The last segment names the field: "strategies[0].budget_per_week_cents" -> budget_per_week_cents.
    std::string_view name(key);
    if (const auto dot = name.rfind('.'); dot != std::string_view::npos) name.remove_prefix(dot + 1);
    if (const auto bracket = name.find('['); bracket != std::string_view::npos) name = name.substr(0, bracket);
    if (name.ends_with("_cents")) return "cents";
    if (name.ends_with("_days")) return "days";
    if (name.ends_with("_weeks")) return "weeks";
    if (name.ends_with("_per_year")) return "per year";
    if (name.ends_with("_fraction") || name == "fraction" || name.find("probability") != std::string_view::npos) {
        return "fraction";
    }
    if (name.find("customers") != std::string_view::npos) return "customers";
    return "";
}

const char* design_kind_name(DesignKind kind) {
    switch (kind) {
        case DesignKind::Grid: return "grid";
        case DesignKind::Lhs: return "lhs";
        case DesignKind::Sobol: return "sobol";
        case DesignKind::File: return "file";
    }
    return "unknown";
}

std::string override_text(const Factor& factor, double value) {
    if (!std::isfinite(value)) {
        throw BadInput("cannot set " + factor.key + " to a value that is not a finite number");
    }
    if (factor.integer) {
        const double whole = std::round(value);
        if (std::fabs(whole) > kMaxWhole) {
            throw BadInput("cannot set integer key " + factor.key + " to " + shortest(value) + ": above 2^53");
        }
        return factor.key + "=" + std::to_string(static_cast<std::int64_t>(whole));
    }
    std::string text = shortest(value);
    // Shortest form can be a long run of digits without '.' or 'e' (e.g. 123456789012345680000),
    // which TOML reads as an integer and rejects when it does not fit 64 bits.
    if (text.find_first_of(".e") == std::string::npos && std::fabs(value) > kMaxWhole) {
        char buffer[64];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
        text.assign(buffer, result.ptr);
    }
    return factor.key + "=" + text;
}

Design make_design(DesignKind kind, std::vector<Factor> factors, std::size_t samples, std::uint64_t seed) {
    if (factors.empty()) throw BadInput("a sweep needs at least one factor (--vary KEY=...)");
    for (std::size_t i = 0; i < factors.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (factors[i].key == factors[j].key) {
                throw BadInput("the key " + factors[i].key + " is varied twice; give each key once");
            }
        }
    }
    Design d;
    d.kind = kind;
    d.factors = std::move(factors);
    const std::size_t k = d.factors.size();

    switch (kind) {
        case DesignKind::Grid: {
            std::size_t rows = 1;
            for (const Factor& f : d.factors) {
                if (f.levels.empty()) {
                    throw BadInput("a grid needs levels for every factor; give " + f.key +
                                   " as KEY=LOW:HIGH:N or KEY=[v1,v2,...], not as a range LOW:HIGH");
                }
                if (rows > kMaxRows / f.levels.size()) {
                    throw BadInput("the grid has more than 10,000,000 points; use fewer levels or an lhs design");
                }
                rows *= f.levels.size();
            }
            d.rows = rows;
            d.values.resize(rows * k);
            for (std::size_t r = 0; r < rows; ++r) {
                // Mixed-radix digits of r, last factor least significant (varying fastest).
                std::size_t rest = r;
                for (std::size_t j = k; j-- > 0;) {
                    const std::size_t n = d.factors[j].levels.size();
                    d.values[r * k + j] = d.factors[j].levels[rest % n];
                    rest /= n;
                }
            }
            return d;
        }
        case DesignKind::Lhs: {
            if (samples < 1) throw BadInput("an lhs design needs at least 1 sample");
            if (samples > kMaxRows) throw BadInput("an lhs design is limited to 10,000,000 samples");
            d.rows = samples;
            d.seed = seed;
            d.values.resize(samples * k);
            std::vector<std::uint64_t> strata(samples);
            for (std::size_t j = 0; j < k; ++j) {
                // One stream per factor: adding a factor never changes the others' columns.
                Draws draws(RandomKey{seed, 0}, j, kLhsStream, 0);
                for (std::size_t i = 0; i < samples; ++i) strata[i] = i;
                for (std::size_t i = samples; i-- > 1;) std::swap(strata[i], strata[uniform_below(draws, i + 1)]);
                for (std::size_t i = 0; i < samples; ++i) {
                    const double u = (double(strata[i]) + draws.uniform()) / double(samples);
                    d.values[i * k + j] = scale(d.factors[j], u);
                }
            }
            return d;
        }
        case DesignKind::Sobol: {
            if (samples < 1) throw BadInput("a sobol design needs a base sample size N of at least 1");
            if (2 * k > 3667) throw BadInput("a sobol design supports at most 1,833 factors");
            if (samples > kMaxRows / (k + 2)) {
                throw BadInput("a sobol design with N = " + std::to_string(samples) + " and " + std::to_string(k) +
                               " factors has more than 10,000,000 rows (N * (k + 2))");
            }
            d.rows = samples * (k + 2);
            d.saltelli_base = samples;
            d.values.resize(d.rows * k);
            // boost::random::sobol yields the coordinates of one point after another, as 64-bit
            // integers x whose leading bits are the binary fraction: u = x / 2^64, computed as
            // (x >> 11) * 2^-53, which is exact while fewer than 2^53 points are drawn. Its first
            // point is point 1 of the sequence (all coordinates 1/2): the all-zero point 0 is
            // already skipped.
            boost::random::sobol engine(2 * k);
            std::vector<double> point(2 * k);
            for (std::size_t b = 0; b < samples; ++b) {
                for (double& u : point) u = double(engine() >> 11) * 0x1.0p-53;
                const std::size_t base = b * (k + 2);
                for (std::size_t c = 0; c < k; ++c) {
                    const double a = scale(d.factors[c], point[c]);
                    const double bb = scale(d.factors[c], point[k + c]);
                    d.values[base * k + c] = a;                          // A
                    for (std::size_t j = 0; j < k; ++j) {                // AB_j: A with column j from B
                        d.values[(base + 1 + j) * k + c] = c == j ? bb : a;
                    }
                    d.values[(base + k + 1) * k + c] = bb;               // B
                }
            }
            return d;
        }
        case DesignKind::File:
            throw BadInput("a file design is read with read_design_files, not built");
    }
    throw BadInput("unknown design kind");
}

namespace {

// One field of a line of a design file, with its 1-based column.
struct Field {
    std::string_view text;
    int column = 0;
};

// Splits a line at commas when it has any (SALib's comma-delimited files, whose names may hold
// spaces), otherwise at runs of spaces and tabs (numpy.savetxt's default).
std::vector<Field> split_fields(std::string_view line) {
    std::vector<Field> fields;
    const bool commas = line.find(',') != std::string_view::npos;
    std::size_t i = 0;
    while (i <= line.size()) {
        if (commas) {
            const std::size_t end = std::min(line.find(',', i), line.size());
            const std::string_view raw = line.substr(i, end - i);
            const std::size_t lead = std::min(raw.find_first_not_of(" \t"), raw.size());
            fields.push_back({trim(raw), int(i + lead) + 1});
            i = end + 1;
        } else {
            const std::size_t start = line.find_first_not_of(" \t", i);
            if (start == std::string_view::npos) break;
            const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
            fields.push_back({line.substr(start, end - start), int(start) + 1});
            i = end;
        }
    }
    return fields;
}

// The lines of a file that hold data, without '#' comments (whole lines or line ends, as
// numpy.loadtxt reads them), CR line ends or a UTF-8 byte-order mark. Line numbers are 1-based.
std::vector<std::pair<int, std::string>> data_lines(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw BadInput("cannot open the " + std::string(what) + " " + in_quotes(path));
    std::vector<std::pair<int, std::string>> lines;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const std::string_view t = trim(line);
        if (t.empty() || t.front() == '#') continue;
        lines.emplace_back(number, std::move(line));
    }
    if (in.bad()) throw BadInput("cannot read the " + std::string(what) + " " + in_quotes(path));
    return lines;
}

[[noreturn]] void fail_at(const std::string& path, int line, int column, const std::string& what) {
    throw BadInput(path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what);
}

double file_number(const std::string& path, int line, const Field& field, const std::string& what) {
    const std::optional<double> v = parse_number(field.text);
    if (!v) fail_at(path, line, field.column, what + " " + in_quotes(field.text) + " is not a number");
    if (!std::isfinite(*v)) fail_at(path, line, field.column, what + " " + in_quotes(field.text) + " is not a finite number");
    return *v;
}

}  // namespace

Design read_design_files(const std::string& params_path, const std::string& samples_path) {
    Design d;
    d.kind = DesignKind::File;
    for (const auto& [number, line] : data_lines(params_path, "parameter file")) {
        const std::vector<Field> fields = split_fields(line);
        if (fields.size() < 3 || fields.size() > 5) {
            fail_at(params_path, number, 1,
                    "expected NAME LOW HIGH [GROUP] [DIST] (3 to 5 columns), got " + std::to_string(fields.size()));
        }
        Factor f;
        f.key = std::string(fields[0].text);
        if (f.key.empty()) fail_at(params_path, number, fields[0].column, "the parameter name is empty");
        if (f.key.find_first_of(" \t") != std::string::npos) {
            fail_at(params_path, number, fields[0].column,
                    "the parameter name " + in_quotes(f.key) + " contains a space; it must be a scenario key");
        }
        for (const Factor& seen : d.factors) {
            if (seen.key == f.key) fail_at(params_path, number, fields[0].column, "parameter " + f.key + " appears twice");
        }
        f.units = units_of_key(f.key);
        f.low = file_number(params_path, number, fields[1], "lower bound");
        f.high = file_number(params_path, number, fields[2], "upper bound");
        if (f.low >= f.high) {
            fail_at(params_path, number, fields[1].column,
                    "the lower bound (" + shortest(f.low) + ") must be below the upper bound (" + shortest(f.high) + ")");
        }
        // Column 4 is SALib's group: it shapes SALib's own sampling and analysis, not the points,
        // so it is accepted and not used.
        if (fields.size() == 5 && !fields[4].text.empty() && fields[4].text != "unif") {
            fail_at(params_path, number, fields[4].column,
                    "distribution " + in_quotes(fields[4].text) +
                        " is not supported: only unif (uniform on [lower, upper]); give the sample in scenario units");
        }
        d.factors.push_back(std::move(f));
    }
    if (d.factors.empty()) throw BadInput(params_path + ": the parameter file names no parameters");

    const std::size_t k = d.factors.size();
    for (const auto& [number, line] : data_lines(samples_path, "sample file")) {
        const std::vector<Field> fields = split_fields(line);
        if (fields.size() != k) {
            fail_at(samples_path, number, fields.size() > k ? fields[k].column : 1,
                    "expected " + std::to_string(k) + " values (one per parameter of " + params_path + "), got " +
                        std::to_string(fields.size()));
        }
        if (d.rows == kMaxRows) fail_at(samples_path, number, 1, "more than 10,000,000 rows");
        for (std::size_t j = 0; j < k; ++j) {
            const Factor& f = d.factors[j];
            double v = file_number(samples_path, number, fields[j], f.key);
            // Samples printed with few digits (salib sample --precision) can pass a bound by a
            // rounding error; values that close are taken as the bound.
            const double slack = 1e-7 * std::max({std::fabs(f.low), std::fabs(f.high), f.high - f.low});
            if (v < f.low - slack || v > f.high + slack) {
                fail_at(samples_path, number, fields[j].column,
                        f.key + " = " + shortest(v) + " is outside its range [" + shortest(f.low) + ", " +
                            shortest(f.high) + "] in " + params_path);
            }
            d.values.push_back(std::clamp(v, f.low, f.high));
        }
        ++d.rows;
    }
    if (d.rows == 0) throw BadInput(samples_path + ": the sample file has no rows");
    return d;
}

namespace {

// Per-block terms of Jansen's estimators, with the metric shifted by a common centre so that
// the variance does not cancel catastrophically for metrics far from zero.
struct BlockTerms {
    double sum = 0;      // f(A) + f(B)
    double sum_sq = 0;   // f(A)^2 + f(B)^2
    std::vector<double> total;  // (f(A) - f(AB_i))^2
    std::vector<double> first;  // (f(B) - f(AB_i))^2
};

struct Estimate {
    double variance = 0;
    std::vector<double> first, total;
};

// Accumulates `count` blocks in the order `pick` gives (a fixed order: sums are deterministic).
template <class Pick>
Estimate estimate(const std::vector<BlockTerms>& blocks, std::size_t k, std::size_t count, Pick pick) {
    double sum = 0, sum_sq = 0;
    std::vector<double> total(k, 0.0), first(k, 0.0);
    for (std::size_t i = 0; i < count; ++i) {
        const BlockTerms& b = blocks[pick(i)];
        sum += b.sum;
        sum_sq += b.sum_sq;
        for (std::size_t j = 0; j < k; ++j) {
            total[j] += b.total[j];
            first[j] += b.first[j];
        }
    }
    Estimate e;
    const double n = double(count);
    const double mean = sum / (2 * n);
    e.variance = sum_sq / (2 * n) - mean * mean;
    e.first.resize(k);
    e.total.resize(k);
    for (std::size_t j = 0; j < k; ++j) {
        e.total[j] = total[j] / n / (2 * e.variance);
        e.first[j] = (e.variance - first[j] / n / 2) / e.variance;
    }
    return e;
}

// Percentile of sorted values with linear interpolation between order statistics (numpy's default).
double percentile(const std::vector<double>& sorted, double q) {
    const double at = q * double(sorted.size() - 1);
    const auto below = static_cast<std::size_t>(std::floor(at));
    const std::size_t above = std::min(below + 1, sorted.size() - 1);
    return sorted[below] + (sorted[above] - sorted[below]) * (at - double(below));
}

}  // namespace

SobolIndices sobol_indices(const Design& design, std::span<const double> y, std::size_t resamples,
                           double confidence, std::uint64_t seed) {
    if (design.kind != DesignKind::Sobol) {
        throw BadInput(std::string("Sobol indices need a sobol design, not a ") + design_kind_name(design.kind) + " design");
    }
    if (y.size() != design.rows) {
        throw BadInput("Sobol indices need one metric value per design row: the design has " +
                       std::to_string(design.rows) + " rows, got " + std::to_string(y.size()) + " values");
    }
    if (!(confidence > 0 && confidence < 1)) {
        throw BadInput("the confidence level must be between 0 and 1, got " + shortest(confidence));
    }
    const std::size_t k = design.factors.size();
    const std::size_t width = k + 2;
    const std::size_t n_blocks = design.saltelli_base;
    if (k == 0 || n_blocks == 0 || design.rows != n_blocks * width || design.values.size() != design.rows * k) {
        throw BadInput("the sobol design is inconsistent: " + std::to_string(design.rows) + " rows for N = " +
                       std::to_string(n_blocks) + " and " + std::to_string(k) + " factors (expected N * (k + 2))");
    }

    // Centre: the mean of f over the A and B rows of the complete blocks.
    double centre_sum = 0;
    std::size_t centre_count = 0;
    std::vector<std::size_t> complete;
    for (std::size_t b = 0; b < n_blocks; ++b) {
        const auto block = y.subspan(b * width, width);
        if (std::all_of(block.begin(), block.end(), [](double v) { return std::isfinite(v); })) {
            complete.push_back(b);
            centre_sum += block.front() + block.back();
            centre_count += 2;
        }
    }
    SobolIndices out;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.first.assign(k, nan);
    out.total.assign(k, nan);
    out.first_low.assign(k, nan);
    out.first_high.assign(k, nan);
    out.total_low.assign(k, nan);
    out.total_high.assign(k, nan);
    out.variance = nan;
    if (complete.empty()) return out;  // every block failed: nothing to estimate
    const double centre = centre_sum / double(centre_count);

    std::vector<BlockTerms> blocks(complete.size());
    for (std::size_t i = 0; i < complete.size(); ++i) {
        const auto block = y.subspan(complete[i] * width, width);
        const double fa = block.front() - centre;
        const double fb = block.back() - centre;
        BlockTerms& t = blocks[i];
        t.sum = fa + fb;
        t.sum_sq = fa * fa + fb * fb;
        t.total.resize(k);
        t.first.resize(k);
        for (std::size_t j = 0; j < k; ++j) {
            const double fab = block[1 + j] - centre;
            t.total[j] = (fa - fab) * (fa - fab);
            t.first[j] = (fb - fab) * (fb - fab);
        }
    }
    const std::size_t m = blocks.size();
    const Estimate whole = estimate(blocks, k, m, [](std::size_t i) { return i; });
    out.variance = whole.variance;
    if (!(whole.variance > 0)) return out;  // a constant metric has no indices
    out.first = whole.first;
    out.total = whole.total;
    out.resamples = resamples;
    if (resamples == 0) return out;

    std::vector<std::vector<double>> first(k), total(k);
    for (std::size_t j = 0; j < k; ++j) {
        first[j].reserve(resamples);
        total[j].reserve(resamples);
    }
    std::vector<std::size_t> picks(m);
    for (std::size_t r = 0; r < resamples; ++r) {
        Draws draws(RandomKey{seed, 0}, r, kBootstrapStream, 0);
        for (std::size_t& p : picks) p = uniform_below(draws, m);
        const Estimate e = estimate(blocks, k, m, [&](std::size_t i) { return picks[i]; });
        if (!(e.variance > 0)) continue;  // a resample of identical blocks has no variance
        for (std::size_t j = 0; j < k; ++j) {
            first[j].push_back(e.first[j]);
            total[j].push_back(e.total[j]);
        }
    }
    const double q_low = (1 - confidence) / 2;
    const double q_high = 1 - q_low;
    for (std::size_t j = 0; j < k; ++j) {
        if (first[j].empty()) continue;
        std::sort(first[j].begin(), first[j].end());
        std::sort(total[j].begin(), total[j].end());
        out.first_low[j] = percentile(first[j], q_low);
        out.first_high[j] = percentile(first[j], q_high);
        out.total_low[j] = percentile(total[j], q_low);
        out.total_high[j] = percentile(total[j], q_high);
    }
    return out;
}

}  // namespace retsim
