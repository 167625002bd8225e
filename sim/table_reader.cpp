// Typed, checked reading of TOML tables: type, finiteness and range rules, unknown keys with
// "did you mean" suggestions. Problems are located at the offending node's file:line:column.
#include "sim/table_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <toml++/toml.h>

namespace retsim {

namespace {

// Shortest text that reads back as the same double ("-3", "0.25", "1e+300", "nan").
std::string format_number(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
    return std::string(buffer, result.ptr);
}

std::string in_quotes(std::string_view s) {
    std::string out = "\"";
    out += s;
    out += '"';
    return out;
}

// "a string", "an integer": the TOML type of a node, for "expected X, got Y" messages.
std::string describe_type(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

// The value as written, for "got X" in messages.
std::string describe_value(const toml::node& node) {
    if (const auto* i = node.as_integer()) return std::to_string(i->get());
    if (const auto* f = node.as_floating_point()) return format_number(f->get());
    if (const auto* s = node.as_string()) return in_quotes(s->get());
    if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
    return describe_type(node);
}

std::string join_quoted(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words) {
        if (!out.empty()) out += ", ";
        out += in_quotes(w);
    }
    return out;
}

// 2^63: a double in [-2^63, 2^63) converts to int64 without overflow.
constexpr double kTwoTo63 = 9223372036854775808.0;

}  // namespace

bool Range::contains(double v) const {
    if (!std::isfinite(v)) return false;
    if (min_open ? !(v > min) : !(v >= min)) return false;
    if (max_open ? !(v < max) : !(v <= max)) return false;
    return true;
}

std::string Range::describe() const {
    const bool has_min = min > -std::numeric_limits<double>::max();
    const bool has_max = max < std::numeric_limits<double>::max();
    const std::string lower = std::string(min_open ? "> " : ">= ") + format_number(min);
    const std::string upper = std::string(max_open ? "< " : "<= ") + format_number(max);
    if (has_min && has_max) {
        if (!min_open && !max_open) {
            return "in [" + format_number(min) + ", " + format_number(max) + "]";
        }
        return lower + " and " + upper;
    }
    if (has_min) return lower;
    if (has_max) return upper;
    return "a finite number";
}

TableReader::TableReader(const toml::table* table, std::string path, Problems& problems,
                         std::string fallback_file)
    : table_(table), path_(std::move(path)), problems_(&problems),
      fallback_file_(std::move(fallback_file)) {}

std::string TableReader::key_path(std::string_view key) const {
    if (key.empty()) return path_;
    if (path_.empty()) return std::string(key);
    return path_ + "." + std::string(key);
}

namespace {

// Fills the file, line and column of `p` from `src` (a node's or a key's place in its file).
void locate(Problem& p, const toml::source_region& src) {
    if (src.path && !src.path->empty()) p.file = *src.path;
    // A --set override is parsed as the one-line snippet "v = <value>": positions in that
    // snippet would point nowhere the user can see, so only the override is named.
    if (p.file.rfind("--set", 0) != 0) {
        p.line = static_cast<int>(src.begin.line);
        p.column = static_cast<int>(src.begin.column);
    }
}

}  // namespace

void TableReader::problem_at(const toml::node* node, std::string_view key, std::string message) {
    Problem p;
    p.file = fallback_file_;
    p.key_path = key_path(key);
    p.message = std::move(message);
    if (node != nullptr) locate(p, node->source());
    problems_->add(std::move(p));
}

void TableReader::problem(std::string_view key, std::string message) {
    const toml::node* node = nullptr;
    if (table_ != nullptr && !key.empty()) node = table_->get(key);
    if (node == nullptr) node = table_;
    problem_at(node, key, std::move(message));
}

void TableReader::allow(std::string_view key) { known_.emplace_back(key); }

bool TableReader::has(std::string_view key) const {
    return table_ != nullptr && table_->contains(key);
}

void TableReader::number(std::string_view key, double& out, Range range) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    double v = 0.0;
    if (const auto* i = node->as_integer()) {
        v = static_cast<double>(i->get());
    } else if (const auto* f = node->as_floating_point()) {
        v = f->get();
    } else {
        problem_at(node, key, "expected a number, got " + describe_type(*node));
        return;
    }
    if (!std::isfinite(v)) {
        problem_at(node, key, "must be a finite number, got " + format_number(v));
        return;
    }
    if (!range.contains(v)) {
        problem_at(node, key, "must be " + range.describe() + ", got " + format_number(v));
        return;
    }
    out = v;
}

void TableReader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                          std::int64_t max) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    std::int64_t v = 0;
    if (const auto* i = node->as_integer()) {
        v = i->get();
    } else if (const auto* f = node->as_floating_point()) {
        const double d = f->get();
        if (!(std::isfinite(d) && d == std::floor(d) && d >= -kTwoTo63 && d < kTwoTo63)) {
            problem_at(node, key, "must be an integer, got " + format_number(d));
            return;
        }
        v = static_cast<std::int64_t>(d);
    } else {
        problem_at(node, key, "expected an integer, got " + describe_type(*node));
        return;
    }
    if (v < min) {
        problem_at(node, key, "must be >= " + std::to_string(min) + ", got " + std::to_string(v));
        return;
    }
    if (v > max) {
        problem_at(node, key, "must be <= " + std::to_string(max) + ", got " + std::to_string(v));
        return;
    }
    out = v;
}

void TableReader::count(std::string_view key, std::uint64_t& out, std::uint64_t max) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    const std::string rule = "must be a non-negative integer, got ";
    std::uint64_t v = 0;
    if (const auto* i = node->as_integer()) {
        if (i->get() < 0) {
            problem_at(node, key, rule + std::to_string(i->get()));
            return;
        }
        v = static_cast<std::uint64_t>(i->get());
    } else if (const auto* f = node->as_floating_point()) {
        const double d = f->get();
        if (!(std::isfinite(d) && d == std::floor(d) && d >= 0.0)) {
            problem_at(node, key, rule + format_number(d));
            return;
        }
        if (d >= 2.0 * kTwoTo63 || d > static_cast<double>(max)) {
            problem_at(node, key, "must be <= " + std::to_string(max) + ", got " + format_number(d));
            return;
        }
        v = static_cast<std::uint64_t>(d);
    } else {
        problem_at(node, key, "expected a non-negative integer, got " + describe_type(*node));
        return;
    }
    if (v > max) {
        problem_at(node, key, "must be <= " + std::to_string(max) + ", got " + std::to_string(v));
        return;
    }
    out = v;
}

void TableReader::text(std::string_view key, std::string& out,
                       std::initializer_list<std::string_view> allowed) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    const auto* s = node->as_string();
    if (s == nullptr) {
        problem_at(node, key, "expected a string, got " + describe_type(*node));
        return;
    }
    const std::string& v = s->get();
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        const std::vector<std::string> choices(allowed.begin(), allowed.end());
        std::string message = "unknown value " + in_quotes(v) + ";";
        const std::string suggestion = closest(v, choices);
        if (!suggestion.empty()) message += " did you mean " + in_quotes(suggestion) + "?";
        message += " allowed: " + join_quoted(choices);
        problem_at(node, key, std::move(message));
        return;
    }
    out = v;
}

void TableReader::texts(std::string_view key, std::vector<std::string>& out,
                        const std::vector<std::string>& allowed) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    const auto* a = node->as_array();
    if (a == nullptr) {
        problem_at(node, key, "expected an array of strings, got " + describe_type(*node));
        return;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (const toml::node& element : *a) {
        const auto* s = element.as_string();
        if (s == nullptr) {
            problem_at(&element, key, "expected an array of strings, got an element of type " + describe_type(element));
            ok = false;
            continue;
        }
        const std::string& v = s->get();
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
            std::string message = "unknown value " + in_quotes(v) + ";";
            const std::string suggestion = closest(v, allowed);
            if (!suggestion.empty()) message += " did you mean " + in_quotes(suggestion) + "?";
            message += " allowed: " + join_quoted(allowed);
            problem_at(&element, key, std::move(message));
            ok = false;
            continue;
        }
        if (std::find(values.begin(), values.end(), v) != values.end()) {
            problem_at(&element, key, "duplicate value " + in_quotes(v));
            ok = false;
            continue;
        }
        values.push_back(v);
    }
    if (ok) out = std::move(values);
}

void TableReader::boolean(std::string_view key, bool& out) {
    allow(key);
    if (table_ == nullptr) return;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return;
    const auto* b = node->as_boolean();
    if (b == nullptr) {
        problem_at(node, key, "expected a boolean (true or false), got " + describe_value(*node));
        return;
    }
    out = b->get();
}

TableReader TableReader::table(std::string_view key) {
    allow(key);
    const toml::table* sub = nullptr;
    if (table_ != nullptr) {
        if (const toml::node* node = table_->get(key)) {
            sub = node->as_table();
            if (sub == nullptr) {
                problem_at(node, key, "expected a table, got " + describe_type(*node));
            }
        }
    }
    return TableReader(sub, key_path(key), *problems_, fallback_file_);
}

std::vector<TableReader> TableReader::tables(std::string_view key) {
    allow(key);
    std::vector<TableReader> out;
    if (table_ == nullptr) return out;
    const toml::node* node = table_->get(key);
    if (node == nullptr) return out;
    const toml::array* array = node->as_array();
    if (array == nullptr) {
        problem_at(node, key,
                   "expected an array of tables ([[" + key_path(key) + "]]), got " +
                       describe_type(*node));
        return out;
    }
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node* element = array->get(i);
        const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
        const toml::table* sub = element->as_table();
        if (sub == nullptr) {
            problem_at(element, element_key, "expected a table, got " + describe_type(*element));
            continue;
        }
        out.emplace_back(sub, key_path(element_key), *problems_, fallback_file_);
    }
    return out;
}

void TableReader::finish() {
    if (table_ == nullptr) return;
    for (const auto& [key, node] : *table_) {
        const std::string name(key.str());
        if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
        std::string message = node.is_table() ? "unknown table;" : "unknown key;";
        const std::string suggestion = closest(name, known_);
        if (!suggestion.empty()) {
            message += " did you mean " + in_quotes(suggestion) + "?";
        } else if (known_.empty()) {
            message += " this table takes no keys";
        } else {
            std::vector<std::string> sorted = known_;
            std::sort(sorted.begin(), sorted.end());
            sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
            message += " known keys: " + join_quoted(sorted);
        }
        // Located at the key rather than its value: "horizon_dys" is what is wrong.
        Problem p;
        p.file = fallback_file_;
        p.key_path = key_path(name);
        p.message = std::move(message);
        locate(p, node.source());
        if (key.source().begin.line > 0) locate(p, key.source());
        problems_->add(std::move(p));
    }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Levenshtein distance with one row of the dynamic-programming table.
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const std::string& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        // A distance as large as the word itself means nothing was kept: not a suggestion.
        if (d < best_distance && d < word.size()) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

}  // namespace retsim
