// Typed, checked reading of one TOML table of a scenario. Every getter records the key as
// known; finish() reports the keys nobody asked for, with the closest known key suggested.
// Nothing here throws on bad values: problems are collected so that all are reported at once.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sim/problems.hpp"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace retsim {

/// Allowed interval of a real value. NaN and infinities are always rejected.
struct Range {
    double min = -std::numeric_limits<double>::max();
    double max = std::numeric_limits<double>::max();
    bool min_open = false;  ///< true: value must be > min
    bool max_open = false;  ///< true: value must be < max

    static Range positive() { return {0.0, std::numeric_limits<double>::max(), true, false}; }
    static Range non_negative() { return {0.0, std::numeric_limits<double>::max(), false, false}; }
    static Range fraction() { return {0.0, 1.0, false, false}; }
    static Range at_least(double lo) { return {lo, std::numeric_limits<double>::max(), false, false}; }
    static Range above(double lo) { return {lo, std::numeric_limits<double>::max(), true, false}; }
    static Range closed(double lo, double hi) { return {lo, hi, false, false}; }
    [[nodiscard]] bool contains(double v) const;
    [[nodiscard]] std::string describe() const;  ///< e.g. "> 0", "in [0, 1]"
};

/// Reads keys of one table (which may be absent: then every getter keeps its default).
class TableReader {
public:
    /// `path` is the dotted key path of the table ("" for the root).
    TableReader(const toml::table* table, std::string path, Problems& problems,
                std::string fallback_file);

    /// Real number (TOML integer or float) in `range`; absent keeps `out`.
    void number(std::string_view key, double& out, Range range);
    /// Integer in [min, max]; a float with an integral value is accepted.
    void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
    /// Count: integer >= 0 (and <= max).
    void count(std::string_view key, std::uint64_t& out,
               std::uint64_t max = std::uint64_t{1} << 53);
    /// String; when `allowed` is non-empty the value must be one of them (closest suggested).
    void text(std::string_view key, std::string& out,
              std::initializer_list<std::string_view> allowed = {});
    void boolean(std::string_view key, bool& out);
    /// Array of distinct strings, each one of `allowed` when that is non-empty.
    void texts(std::string_view key, std::vector<std::string>& out, const std::vector<std::string>& allowed = {});

    /// Sub-table `key` (absent: a reader whose getters keep defaults). Marks `key` known.
    [[nodiscard]] TableReader table(std::string_view key);
    /// Array of tables `key` (absent: empty). Marks `key` known.
    [[nodiscard]] std::vector<TableReader> tables(std::string_view key);

    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] bool present() const { return table_ != nullptr; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// Marks `key` as known without reading it (a key checked elsewhere).
    void allow(std::string_view key);

    /// Adds a problem located at `key` (or at the table when `key` is empty or absent).
    void problem(std::string_view key, std::string message);

    /// Reports every key of the table that no getter asked for, suggesting the closest known.
    void finish();

private:
    [[nodiscard]] std::string key_path(std::string_view key) const;
    void problem_at(const toml::node* node, std::string_view key, std::string message);

    const toml::table* table_;
    std::string path_;
    Problems* problems_;
    std::string fallback_file_;
    std::vector<std::string> known_;
};

/// Edit distance used for "did you mean" suggestions.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);
/// The closest candidate to `word`, or "" when none is close enough to suggest.
[[nodiscard]] std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace retsim
