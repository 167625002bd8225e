// `retsim info`: reads a retsim HDF5 file (run result, comparison, sweep or scores) once into
// a Description (overview, scenarios, headline figures, tables, datasets) and renders it as
// text or JSON. The layouts are docs/hdf5_layout.md, docs/compare_layout.md,
// docs/sweep_layout.md and docs/scores_layout.md.
#include "sim/describe.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "sim/format.hpp"
#include "sim/hdf5_support.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

namespace fs = std::filesystem;
using namespace hdf5;  // Handle, Context, string_type, read_string_attribute

// ---------------------------------------------------------------------------------------
// The description

/// A value read from the file: nothing, a signed or unsigned integer, a real, a text or a list.
struct Value {
    std::variant<std::monostate, std::int64_t, std::uint64_t, double, std::string, std::vector<Value>> v;
};

double as_double(const Value& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value.v)) return double(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&value.v)) return double(*u);
    if (const auto* d = std::get_if<double>(&value.v)) return *d;
    return std::nan("");
}

std::string as_text(const Value& value) {
    if (const auto* s = std::get_if<std::string>(&value.v)) return *s;
    if (const auto* i = std::get_if<std::int64_t>(&value.v)) return std::to_string(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&value.v)) return std::to_string(*u);
    if (const auto* d = std::get_if<double>(&value.v)) return format_number(*d);
    if (const auto* list = std::get_if<std::vector<Value>>(&value.v)) {
        std::string out;
        for (const Value& item : *list) out += (out.empty() ? "" : ", ") + as_text(item);
        return out;
    }
    return "?";
}

/// How a column or figure is shown to people (JSON always carries the raw value).
enum class Shown { Text, Count, Money, Percent, Number, Index };

/// One labelled figure: a line of the overview or the headline list.
struct Field {
    std::string key;    ///< JSON name
    std::string label;  ///< text label
    Value value;
    std::string units;  ///< as in the file ("cents", "customers", "1", ...)
    std::string text;   ///< the value as people read it
};

struct Column {
    std::string key;
    std::string units;
    Shown shown = Shown::Number;
    /// The next two columns are this one's interval: text shows "value [low, high]".
    bool has_interval = false;
    /// Shown in the text table too (JSON has every column).
    bool in_text = true;
};

struct Table {
    std::string key;    ///< JSON name
    std::string title;  ///< text heading
    std::vector<Column> columns;
    std::vector<std::vector<Value>> rows;
    std::vector<std::string> notes;  ///< text lines after the table (e.g. reward accounting)
};

struct ScenarioText {
    std::string role;  ///< "" for a run or sweep, "a" or "b" for a comparison
    std::string name;
    std::string question;
    std::string text;
};

struct DatasetInfo {
    std::string path;
    std::string type;
    std::vector<hsize_t> dims;  ///< empty for scalars
    std::string units;
};

struct Description {
    FileKind kind = FileKind::Run;
    std::string path;
    std::vector<Field> attributes;  ///< every root attribute but the scenario texts (JSON)
    std::vector<Field> overview;
    std::vector<ScenarioText> scenarios;
    std::string headline_title;
    std::vector<Field> headline;
    std::vector<Table> tables;
    std::vector<DatasetInfo> datasets;
};

// ---------------------------------------------------------------------------------------
// Reading

std::string type_name(hid_t type) {
    const std::size_t bits = H5Tget_size(type) * 8;
    switch (H5Tget_class(type)) {
        case H5T_INTEGER:
            return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
        case H5T_FLOAT:
            return "float" + std::to_string(bits);
        case H5T_STRING:
            return "string";
        default:
            return "other";
    }
}

/// Reads `count` elements of an attribute or dataset of class `type` through `read` (which
/// takes a memory type and a buffer) as Values.
template <class Read>
std::vector<Value> read_values(const Context& ctx, hid_t type, hid_t space, std::size_t count, Read read,
                               const std::string& what) {
    std::vector<Value> out;
    if (count == 0) return out;
    switch (H5Tget_class(type)) {
        case H5T_INTEGER:
            if (H5Tget_sign(type) == H5T_SGN_NONE) {
                std::vector<std::uint64_t> values(count);
                ctx.check(read(H5T_NATIVE_UINT64, values.data()), what);
                for (std::uint64_t v : values) out.push_back(Value{v});
            } else {
                std::vector<std::int64_t> values(count);
                ctx.check(read(H5T_NATIVE_INT64, values.data()), what);
                for (std::int64_t v : values) out.push_back(Value{v});
            }
            return out;
        case H5T_FLOAT: {
            std::vector<double> values(count);
            ctx.check(read(H5T_NATIVE_DOUBLE, values.data()), what);
            for (double v : values) out.push_back(Value{v});
            return out;
        }
        case H5T_STRING: {
            if (ctx.value(H5Tis_variable_str(type), what) > 0) {
                Handle memory = string_type(ctx);
                std::vector<char*> pointers(count, nullptr);
                ctx.check(read(memory, pointers.data()), what);
                for (char* p : pointers) out.push_back(Value{std::string(p != nullptr ? p : "")});
#if H5_VERSION_GE(1, 12, 0)
                H5Treclaim(memory, space, H5P_DEFAULT, pointers.data());
#else
                H5Dvlen_reclaim(memory, space, H5P_DEFAULT, pointers.data());
#endif
                return out;
            }
            const std::size_t size = H5Tget_size(type);
            std::string buffer(size * count, '\0');
            ctx.check(read(type, buffer.data()), what);
            for (std::size_t i = 0; i < count; ++i) {
                std::string s = buffer.substr(i * size, size);
                s.resize(std::min(s.find('\0'), s.size()));
                out.push_back(Value{s});
            }
            return out;
        }
        default:
            return std::vector<Value>(count);
    }
}

/// An attribute's value: a scalar, or a list for a 1-d attribute.
Value attribute_value(const Context& ctx, hid_t object, const std::string& name) {
    const std::string what = "read attribute " + name;
    Handle attribute = ctx.own(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, what);
    Handle type = ctx.own(H5Aget_type(attribute), H5Tclose, what);
    Handle space = ctx.own(H5Aget_space(attribute), H5Sclose, what);
    const H5S_class_t space_class = H5Sget_simple_extent_type(space);
    const hssize_t count = space_class == H5S_NULL ? 0 : ctx.value(H5Sget_simple_extent_npoints(space), what);
    std::vector<Value> values = read_values(
        ctx, type, space, std::size_t(count),
        [&](hid_t memory, void* buffer) { return H5Aread(attribute, memory, buffer); }, what);
    if (space_class == H5S_SCALAR && values.size() == 1) return values[0];
    return Value{std::move(values)};
}

std::vector<std::string> attribute_names(const Context& ctx, hid_t object) {
    H5O_info_t info;
    ctx.check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), "list the root attributes");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.num_attrs; ++i) {
        const ssize_t length = H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0) ctx.fail("list the root attributes");
        std::string name(std::size_t(length) + 1, '\0');
        if (H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) <
            0) {
            ctx.fail("list the root attributes");
        }
        name.resize(std::size_t(length));
        names.push_back(name);
    }
    return names;
}

DatasetInfo dataset_info(const Context& ctx, hid_t dataset, const std::string& path) {
    const std::string what = "inspect dataset " + path;
    Handle type = ctx.own(H5Dget_type(dataset), H5Tclose, what);
    Handle space = ctx.own(H5Dget_space(dataset), H5Sclose, what);
    const int rank = ctx.value(H5Sget_simple_extent_ndims(space), what);
    DatasetInfo info{path, type_name(type), std::vector<hsize_t>(std::size_t(rank)), ""};
    if (rank > 0) ctx.value(H5Sget_simple_extent_dims(space, info.dims.data(), nullptr), what);
    if (ctx.value(H5Aexists(dataset, "units"), what) > 0) info.units = as_text(attribute_value(ctx, dataset, "units"));
    return info;
}

/// Every dataset below `group`, depth first, in name order.
void collect_datasets(const Context& ctx, hid_t group, const std::string& prefix, std::vector<DatasetInfo>& out) {
    const std::string what = "list group " + (prefix.empty() ? "/" : prefix);
    H5G_info_t info;
    ctx.check(H5Gget_info(group, &info), what);
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t length =
            H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (length < 0) ctx.fail(what);
        std::string name(std::size_t(length) + 1, '\0');
        if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) <
            0) {
            ctx.fail(what);
        }
        name.resize(std::size_t(length));
        const std::string path = prefix + "/" + name;
        Handle object = ctx.own(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose, "open " + path);
        const H5I_type_t kind = H5Iget_type(object);
        if (kind == H5I_GROUP) {
            collect_datasets(ctx, object, path, out);
        } else if (kind == H5I_DATASET) {
            out.push_back(dataset_info(ctx, object, path));
        }
    }
}

/// An open file with the list of its datasets; reads datasets by path.
class Reader {
public:
    Reader(const Context& ctx, hid_t file) : ctx_(ctx), file_(file) { collect_datasets(ctx, file, "", datasets_); }

    [[nodiscard]] const std::vector<DatasetInfo>& datasets() const { return datasets_; }

    [[nodiscard]] const DatasetInfo* find(const std::string& path) const {
        for (const DatasetInfo& d : datasets_) {
            if (d.path == path) return &d;
        }
        return nullptr;
    }
    [[nodiscard]] bool has(const std::string& path) const { return find(path) != nullptr; }

    /// Every element of a dataset, flattened in row-major order; empty when absent.
    [[nodiscard]] std::vector<Value> values(const std::string& path) const {
        if (!has(path)) return {};
        const std::string what = "read dataset " + path;
        Handle dataset = ctx_.own(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose, what);
        Handle type = ctx_.own(H5Dget_type(dataset), H5Tclose, what);
        Handle space = ctx_.own(H5Dget_space(dataset), H5Sclose, what);
        const hssize_t count = ctx_.value(H5Sget_simple_extent_npoints(space), what);
        return read_values(
            ctx_, type, space, std::size_t(count),
            [&](hid_t memory, void* buffer) { return H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer); },
            what);
    }
    /// A numeric dataset as doubles (for large columns, without a Value per element).
    [[nodiscard]] std::vector<double> doubles(const std::string& path) const {
        if (!has(path)) return {};
        const std::string what = "read dataset " + path;
        Handle dataset = ctx_.own(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose, what);
        Handle space = ctx_.own(H5Dget_space(dataset), H5Sclose, what);
        std::vector<double> out(std::size_t(ctx_.value(H5Sget_simple_extent_npoints(space), what)));
        if (!out.empty()) {
            ctx_.check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), what);
        }
        return out;
    }
    /// A scalar dataset, or nothing when absent.
    [[nodiscard]] Value scalar(const std::string& path) const {
        std::vector<Value> v = values(path);
        return v.size() == 1 ? v[0] : Value{};
    }
    [[nodiscard]] std::string units(const std::string& path) const {
        const DatasetInfo* d = find(path);
        return d != nullptr ? d->units : "";
    }
    /// A root attribute, or nothing when absent.
    [[nodiscard]] Value attribute(const std::string& name) const {
        if (ctx_.value(H5Aexists(file_, name.c_str()), "look up attribute " + name) == 0) return Value{};
        return attribute_value(ctx_, file_, name);
    }
    [[nodiscard]] std::string text(const std::string& name) const {
        const Value v = attribute(name);
        return std::holds_alternative<std::monostate>(v.v) ? "?" : as_text(v);
    }

private:
    const Context& ctx_;
    hid_t file_;
    std::vector<DatasetInfo> datasets_;
};

// ---------------------------------------------------------------------------------------
// Formatting

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

std::string pad_left(const std::string& text, std::size_t width) {
    return text.size() < width ? std::string(width - text.size(), ' ') + text : text;
}

std::string format_dims(const std::vector<hsize_t>& dims) {
    std::string out = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) out += (i > 0 ? ", " : "") + std::to_string(dims[i]);
    return out + "]";
}

std::string shown_text(const Value& value, Shown shown) {
    if (std::holds_alternative<std::monostate>(value.v)) return "n/a";
    const double d = as_double(value);
    switch (shown) {
        case Shown::Text:
            return as_text(value);
        case Shown::Money:
            return format_money(d);
        case Shown::Count:
            if (const auto* i = std::get_if<std::int64_t>(&value.v)) return format_count(*i);
            if (const auto* u = std::get_if<std::uint64_t>(&value.v)) return format_count(std::int64_t(*u));
            return std::isnan(d) ? "n/a" : format_number(d);
        case Shown::Percent: {
            if (!std::isfinite(d)) return "n/a";
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "%.0f%%", d * 100);
            return buffer;
        }
        case Shown::Index: {
            if (!std::isfinite(d)) return "n/a";
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "%.3f", d);
            return buffer;
        }
        case Shown::Number:
            if (std::holds_alternative<std::string>(value.v)) return as_text(value);
            return std::isnan(d) ? "n/a" : format_number(d);
    }
    return "?";
}

/// A figure as people read it: money in currency units ("12.50 per customer"), counts with
/// separators and their units, seconds to the millisecond.
std::string figure_text(const Value& value, const std::string& units) {
    if (units.rfind("cents", 0) == 0) return format_money(as_double(value)) + units.substr(5);
    std::string text;
    if (units == "s" && std::holds_alternative<double>(value.v)) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%.3f", as_double(value));
        text = buffer;
    } else {
        text = shown_text(value, Shown::Count);
    }
    if (!units.empty() && units != "1") text += " " + units;
    return text;
}

/// `name` without its "_cents" suffix when the value is shown in currency units.
std::string figure_label(const std::string& name, const std::string& units) {
    constexpr std::string_view suffix = "_cents";
    if (units.rfind("cents", 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return name.substr(0, name.size() - suffix.size());
    }
    return name;
}

Field text_field(std::string key, std::string label, std::string text) {
    Value value{text};
    return Field{std::move(key), std::move(label), std::move(value), "", std::move(text)};
}

Field value_field(std::string key, std::string label, Value value, std::string text) {
    return Field{std::move(key), std::move(label), std::move(value), "", std::move(text)};
}

Field figure(const std::string& key, const Value& value, const std::string& units) {
    return Field{key, figure_label(key, units), value, units, figure_text(value, units)};
}

/// The question a scenario answers: its "# Question:" comment line(s) at the top.
std::string scenario_question(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    std::string question;
    bool reading = false;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] != '#') break;  // the opening comment block has ended
        std::string body = line.substr(1);
        if (!body.empty() && body[0] == ' ') body.erase(0, 1);
        if (!reading) {
            const std::string marker = "Question:";
            if (body.rfind(marker, 0) == 0) {
                question = body.substr(marker.size());
                reading = true;
            }
        } else {
            if (body.empty()) break;
            question += " " + body;
        }
    }
    const std::size_t first = question.find_first_not_of(' ');
    return first == std::string::npos ? "" : question.substr(first);
}

std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

// ---------------------------------------------------------------------------------------
// The kinds of file

void describe_attributes(const Context& ctx, hid_t file, Description& d) {
    for (const std::string& name : attribute_names(ctx, file)) {
        if (name.size() >= 5 && name.compare(name.size() - 5, 5, "_text") == 0) continue;  // in scenarios
        const Value v = attribute_value(ctx, file, name);
        d.attributes.push_back(value_field(name, name, v, as_text(v)));
    }
}

void add_program(const Reader& r, Description& d) {
    d.overview.push_back(text_field("format", "format", r.text("format_version")));
    d.overview.push_back(text_field("program", "program",
                                    r.text("program") + " " + r.text("program_version") + ", commit " +
                                        r.text("git_commit")));
}

void add_scenario(const Reader& r, Description& d, const std::string& role, const std::string& name_attribute,
                  const std::string& text_attribute) {
    const Value text = r.attribute(text_attribute);
    ScenarioText s{role, r.text(name_attribute), "", as_text(text)};
    if (!std::holds_alternative<std::string>(text.v)) s.text.clear();
    s.question = scenario_question(s.text);
    d.scenarios.push_back(s);
}

void add_overrides(const Reader& r, Description& d) {
    const std::string overrides = one_line(r.text("overrides"));
    d.overview.push_back(text_field("overrides", "overrides", overrides.empty() ? "none" : overrides));
}

/// Summary figures of a run in the order they are written, so the list reads top-down.
constexpr std::array<const char*, 20> kSummaryOrder = {
    "customers",          "initial_customers",   "acquired_customers",     "alive_at_end",
    "purchases",          "repeat_purchases",    "revenue_cents",          "margin_cents",
    "acquisition_cost_cents", "fixed_cost_cents", "strategy_cost_cents",   "fee_income_cents",
    "profit_cents",       "discounted_profit_cents", "cac_cents",          "mean_spend_cents",
    "customer_days",      "wall_seconds",        "bytes_per_customer",     "threads"};

/// Builds a table from datasets `group/<column key>`; columns whose dataset is absent are
/// left out.
Table table_from(const Reader& r, const std::string& group, std::string key, std::string title,
                 std::vector<Column> columns) {
    Table t{std::move(key), std::move(title), {}, {}, {}};
    std::vector<std::vector<Value>> data;
    std::size_t rows = 0;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const std::string path = group + "/" + columns[i].key;
        if (!r.has(path)) continue;
        if (columns[i].units.empty()) columns[i].units = r.units(path);
        data.push_back(r.values(path));
        rows = std::max(rows, data.back().size());
        t.columns.push_back(columns[i]);
    }
    // An interval is shown joined only when both of its ends follow its value.
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (!t.columns[i].has_interval) continue;
        const bool ok = i + 2 < t.columns.size() && t.columns[i + 1].key.find("low") != std::string::npos &&
                        t.columns[i + 2].key.find("high") != std::string::npos;
        t.columns[i].has_interval = ok;
    }
    for (std::size_t row = 0; row < rows; ++row) {
        std::vector<Value> values;
        for (const std::vector<Value>& column : data) values.push_back(row < column.size() ? column[row] : Value{});
        t.rows.push_back(std::move(values));
    }
    return t;
}

void describe_run(const Reader& r, Description& d) {
    add_program(r, d);
    add_scenario(r, d, "", "scenario_name", "scenario_text");
    d.overview.push_back(text_field("scenario", "scenario", d.scenarios.back().name));
    if (!d.scenarios.back().question.empty()) {
        d.overview.push_back(text_field("question", "question", d.scenarios.back().question));
    }
    add_overrides(r, d);
    d.overview.push_back(text_field("seed", "seed", r.text("seed") + ", replicate " + r.text("replicate")));
    d.overview.push_back(text_field("threads", "threads", r.text("threads")));
    d.overview.push_back(text_field("created", "created", r.text("created_utc")));
    d.overview.push_back(
        text_field("steps", "steps", r.text("steps") + " of " + r.text("step_days") + " days"));
    const auto length_field = [&](const char* key, const char* label, const std::string& path) {
        const DatasetInfo* info = r.find(path);
        if (info == nullptr || info->dims.empty()) return text_field(key, label, "?");
        const auto n = std::int64_t(info->dims[0]);
        return value_field(key, label, Value{n}, format_count(n));
    };
    d.overview.push_back(length_field("cohort_groups", "cohort groups", "/cohorts/cohort"));
    d.overview.push_back(length_field("channels", "channels", "/channels/name"));
    if (r.has("/strategies/name")) {
        std::vector<Value> names = r.values("/strategies/name");
        std::string text = format_count(std::int64_t(names.size()));
        for (std::size_t i = 0; i < names.size(); ++i) text += (i == 0 ? ": " : ", ") + as_text(names[i]);
        d.overview.push_back(value_field("strategies", "strategies", Value{std::move(names)}, text));
    } else {
        // Files before format 1.1 have no /strategies group.
        d.overview.push_back(text_field("strategies", "strategies", "not recorded"));
    }
    const DatasetInfo* customers = r.find("/customers/key");
    if (customers != nullptr && !customers->dims.empty()) {
        const auto n = std::int64_t(customers->dims[0]);
        d.overview.push_back(value_field("customers", "customers", Value{n}, "stored (" + format_count(n) + " rows)"));
    } else {
        d.overview.push_back(value_field("customers", "customers", Value{}, "not stored"));
    }

    d.headline_title = "summary (money in currency units)";
    std::vector<std::string> names(kSummaryOrder.begin(), kSummaryOrder.end());
    for (const DatasetInfo& info : r.datasets()) {
        // Figures that later format versions add are shown after the known ones.
        const std::string prefix = "/summary/";
        if (info.path.rfind(prefix, 0) != 0) continue;
        const std::string name = info.path.substr(prefix.size());
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    for (const std::string& name : names) {
        const DatasetInfo* info = r.find("/summary/" + name);
        if (info == nullptr || !info->dims.empty()) continue;
        d.headline.push_back(figure(name, r.scalar(info->path), info->units));
    }

    Table strategies = table_from(
        r, "/strategies", "strategies",
        "strategies (money in currency units; incremental: treated against holdout, 95% interval)",
        {{"name", "", Shown::Text},
         {"kind", "", Shown::Text},
         {"contacts", "", Shown::Count},
         {"responses", "", Shown::Count},
         {"cost_cents", "", Shown::Money},
         {"incremental_margin_cents", "", Shown::Money, true},
         {"incremental_margin_low_cents", "", Shown::Money},
         {"incremental_margin_high_cents", "", Shown::Money},
         {"roi", "", Shown::Percent, true},
         {"roi_low", "", Shown::Percent},
         {"roi_high", "", Shown::Percent},
         {"spent_on_gone_cents", "", Shown::Money},
         {"contacts_on_gone", "", Shown::Count, false, false},
         {"fee_income_cents", "", Shown::Money, false, false},
         {"payback_days", "", Shown::Number, false, false},
         {"cost_per_retained_cents", "", Shown::Money, false, false},
         {"members", "", Shown::Count, false, false},
         {"points_issued", "", Shown::Count, false, false},
         {"points_redeemed", "", Shown::Count, false, false},
         {"points_expired", "", Shown::Count, false, false},
         {"points_outstanding", "", Shown::Count, false, false},
         {"liability_cents", "", Shown::Money, false, false},
         {"breakage_fraction", "", Shown::Percent, false, false}});
    if (!strategies.columns.empty() && !strategies.rows.empty()) {
        // Reward accounting goes on a line of its own under the table, as in the run summary.
        const auto column_of = [&](const std::string& key) -> std::optional<std::size_t> {
            for (std::size_t i = 0; i < strategies.columns.size(); ++i) {
                if (strategies.columns[i].key == key) return i;
            }
            return std::nullopt;
        };
        const auto kind = column_of("kind");
        const auto get = [&](const std::vector<Value>& row, const std::string& key, Shown shown) {
            const auto i = column_of(key);
            return i ? shown_text(row[*i], shown) : std::string("?");
        };
        for (const std::vector<Value>& row : strategies.rows) {
            if (!kind || as_text(row[*kind]) != "reward") continue;
            strategies.notes.push_back(
                get(row, "name", Shown::Text) + ": members " + get(row, "members", Shown::Count) +
                ", points issued " + get(row, "points_issued", Shown::Count) + " = redeemed " +
                get(row, "points_redeemed", Shown::Count) + " + expired " + get(row, "points_expired", Shown::Count) +
                " + outstanding " + get(row, "points_outstanding", Shown::Count) + "; liability " +
                get(row, "liability_cents", Shown::Money) + ", breakage " +
                get(row, "breakage_fraction", Shown::Percent));
        }
        d.tables.push_back(std::move(strategies));
    }
    Table channels = table_from(r, "/channels", "channels", "acquisition channels (money in currency units)",
                                {{"name", "", Shown::Text},
                                 {"spend_cents", "", Shown::Money},
                                 {"acquired", "", Shown::Count},
                                 {"cac_cents", "", Shown::Money},
                                 {"margin_cents", "", Shown::Money},
                                 {"roi", "", Shown::Percent}});
    if (!channels.rows.empty()) d.tables.push_back(std::move(channels));
    Table model = table_from(r, "/model", "model_parameters", "model parameters",
                             {{"parameter_names", "", Shown::Text}, {"parameter_values", "", Shown::Number}});
    if (!model.rows.empty()) d.tables.push_back(std::move(model));
}

void describe_comparison(const Reader& r, Description& d) {
    add_program(r, d);
    add_scenario(r, d, "a", "scenario_a_name", "scenario_a_text");
    add_scenario(r, d, "b", "scenario_b_name", "scenario_b_text");
    for (const ScenarioText& s : d.scenarios) {
        d.overview.push_back(text_field("plan_" + s.role, "plan " + std::string(s.role == "a" ? "A" : "B"),
                                        s.name + (s.question.empty() ? "" : " (" + s.question + ")")));
    }
    add_overrides(r, d);
    d.overview.push_back(value_field("seed", "seed", r.attribute("seed"), r.text("seed")));
    d.overview.push_back(value_field("replicates", "replicates", r.attribute("replicates"),
                                     r.text("replicates") + " paired"));
    d.overview.push_back(value_field("verdict", "verdict", r.attribute("verdict"), r.text("verdict")));
    d.overview.push_back(text_field("created", "created", r.text("created_utc")));

    d.headline_title = "incremental ROI of B over A (95% paired-bootstrap interval)";
    const Value roi = r.scalar("/roi/value");
    d.headline.push_back(Field{"roi", "ROI", roi, "1",
                               shown_text(roi, Shown::Percent) + " [" +
                                   shown_text(r.scalar("/roi/ci_low"), Shown::Percent) + ", " +
                                   shown_text(r.scalar("/roi/ci_high"), Shown::Percent) + "]"});
    d.headline.push_back(Field{"roi_ci_low", "ROI low", r.scalar("/roi/ci_low"), "1",
                               shown_text(r.scalar("/roi/ci_low"), Shown::Percent)});
    d.headline.push_back(Field{"roi_ci_high", "ROI high", r.scalar("/roi/ci_high"), "1",
                               shown_text(r.scalar("/roi/ci_high"), Shown::Percent)});
    d.headline.push_back(figure("mean_profit_difference_cents", r.scalar("/roi/mean_profit_difference_cents"),
                                "cents"));
    d.headline.push_back(figure("mean_cost_difference_cents", r.scalar("/roi/mean_cost_difference_cents"),
                                "cents"));

    Table metrics = table_from(r, "/summary", "metrics",
                               "metrics, B - A (money in currency units; paired 95% t-interval; width_ratio: "
                               "paired over unpaired interval width)",
                               {{"names", "", Shown::Text},
                                {"units", "", Shown::Text},
                                {"mean_a", "", Shown::Number},
                                {"mean_b", "", Shown::Number},
                                {"mean_difference", "", Shown::Number, true},
                                {"ci_low", "", Shown::Number},
                                {"ci_high", "", Shown::Number},
                                {"unpaired_ci_low", "", Shown::Number, false, false},
                                {"unpaired_ci_high", "", Shown::Number, false, false},
                                {"width_ratio", "", Shown::Index}});
    // Each row has its own units: money rows are shown in currency units.
    if (!metrics.columns.empty() && metrics.columns[1].key == "units") {
        for (Column& c : metrics.columns) {
            if (c.shown == Shown::Number) c.units = "(row's units)";
        }
    }
    if (!metrics.rows.empty()) d.tables.push_back(std::move(metrics));
}

void describe_sweep(const Reader& r, Description& d) {
    add_program(r, d);
    add_scenario(r, d, "", "scenario_name", "scenario_text");
    d.overview.push_back(text_field("scenario", "scenario", d.scenarios.back().name));
    if (!d.scenarios.back().question.empty()) {
        d.overview.push_back(text_field("question", "question", d.scenarios.back().question));
    }
    add_overrides(r, d);
    const std::string vary = one_line(r.text("vary_specs"));
    d.overview.push_back(text_field("vary", "vary", vary.empty() ? "(design file)" : vary));
    d.overview.push_back(text_field("design", "design",
                                    r.text("design_kind") + ", " + r.text("points") + " points x " +
                                        r.text("replicates") + " replicates = " + r.text("runs") + " runs"));
    d.overview.push_back(value_field("seed", "seed", r.attribute("seed"), r.text("seed")));
    const bool complete = as_text(r.attribute("complete")) == "1";
    d.overview.push_back(value_field("complete", "runs done",
                                     r.attribute("runs_done"),
                                     r.text("runs_done") + " of " + r.text("runs") + " (" + r.text("runs_failed") +
                                         " failed)" + (complete ? ", complete" : ", incomplete: resumable")));
    d.overview.push_back(text_field("threads", "threads", r.text("threads") + ", ranks " + r.text("ranks")));
    d.overview.push_back(text_field("created", "created", r.text("created_utc")));

    Table factors = table_from(r, "/design", "factors", "factors (money in currency units)",
                               {{"names", "", Shown::Text},
                                {"units", "", Shown::Text},
                                {"low", "", Shown::Number},
                                {"high", "", Shown::Number},
                                {"integer", "", Shown::Count}});
    for (Column& c : factors.columns) {
        if (c.key == "low" || c.key == "high") c.units = "(factor's units)";
    }

    // The best and worst point by mean profit, with their factor values.
    const std::vector<Value> names = r.values("/design/names");
    const std::vector<Value> values = r.values("/design/values");
    const std::vector<Value> mean = r.values("/points/profit_cents_mean");
    const std::vector<Value> low = r.values("/points/profit_cents_ci_low");
    const std::vector<Value> high = r.values("/points/profit_cents_ci_high");
    std::optional<std::size_t> best;
    std::optional<std::size_t> worst;
    for (std::size_t i = 0; i < mean.size(); ++i) {
        const double m = as_double(mean[i]);
        if (std::isnan(m)) continue;
        if (!best || m > as_double(mean[*best])) best = i;
        if (!worst || m < as_double(mean[*worst])) worst = i;
    }
    d.headline_title = "profit per point (mean over replicates, currency units, 95% t-interval)";
    const auto point_field = [&](const std::string& key, std::size_t point) {
        std::string text = format_money(as_double(mean[point])) + " [" +
                           format_money(point < low.size() ? as_double(low[point]) : std::nan("")) + ", " +
                           format_money(point < high.size() ? as_double(high[point]) : std::nan("")) + "] at point " +
                           std::to_string(point) + ":";
        std::vector<Value> at;
        const std::size_t k = names.size();
        for (std::size_t f = 0; f < k && point * k + f < values.size(); ++f) {
            text += ' ';
            text += as_text(names[f]);
            text += '=';
            text += shown_text(values[point * k + f], Shown::Number);
            at.push_back(values[point * k + f]);
        }
        Value value{std::vector<Value>{Value{std::uint64_t(point)}, mean[point], Value{std::move(at)}}};
        return Field{key, key + " point", std::move(value), "cents", text};
    };
    if (best) d.headline.push_back(point_field("best", *best));
    if (worst) d.headline.push_back(point_field("worst", *worst));
    d.tables.push_back(std::move(factors));

    if (r.has("/sensitivity/first")) {
        const std::vector<Value> metrics = r.values("/sensitivity/metrics");
        const std::vector<Value> factor_names = r.values("/sensitivity/factors");
        Table t{"sensitivity", "Sobol indices (95% bootstrap interval)", {}, {}, {}};
        t.columns = {{"metric", "", Shown::Text},        {"factor", "", Shown::Text},
                     {"first", "1", Shown::Index, true}, {"first_low", "1", Shown::Index},
                     {"first_high", "1", Shown::Index},  {"total", "1", Shown::Index, true},
                     {"total_low", "1", Shown::Index},   {"total_high", "1", Shown::Index}};
        std::array<std::vector<Value>, 6> matrices;
        const std::array<const char*, 6> keys = {"first", "first_low", "first_high", "total", "total_low", "total_high"};
        for (std::size_t i = 0; i < keys.size(); ++i) matrices[i] = r.values("/sensitivity/" + std::string(keys[i]));
        const std::size_t k = factor_names.size();
        for (std::size_t m = 0; m < metrics.size(); ++m) {
            for (std::size_t f = 0; f < k; ++f) {
                std::vector<Value> row = {metrics[m], factor_names[f]};
                for (const std::vector<Value>& matrix : matrices) {
                    row.push_back(m * k + f < matrix.size() ? matrix[m * k + f] : Value{});
                }
                t.rows.push_back(std::move(row));
            }
        }
        d.tables.push_back(std::move(t));
    }
}

void describe_scores(const Reader& r, Description& d) {
    add_program(r, d);
    d.overview.push_back(text_field("input", "input", r.text("input_file") + " (" + r.text("input_kind") + ")"));
    d.overview.push_back(text_field("model", "model", r.text("model") + ", parameters from " +
                                                          r.text("parameters_source")));
    d.overview.push_back(value_field("customers", "customers", r.attribute("customers"),
                                     shown_text(r.attribute("customers"), Shown::Count)));
    d.overview.push_back(text_field("created", "created", r.text("created_utc")));

    // Means over the customers of each score (and the CLV's total), skipping NaN.
    d.headline_title = "scores over all customers (money in currency units)";
    const auto add_mean = [&](const std::string& column, const std::string& key, bool with_total) {
        const std::string path = "/scores/" + column;
        if (!r.has(path)) return;
        double sum = 0;
        std::int64_t n = 0;
        for (double v : r.doubles(path)) {
            if (std::isfinite(v)) {
                sum += v;
                ++n;
            }
        }
        const std::string units = r.units(path);
        const Value mean{n > 0 ? sum / double(n) : std::nan("")};
        std::string text = units.rfind("cents", 0) == 0 ? format_money(as_double(mean)) + units.substr(5)
                                                         : shown_text(mean, Shown::Index);
        d.headline.push_back(Field{key, figure_label(key, units), mean, units, text});
        if (with_total) d.headline.push_back(figure(column.substr(0, column.size() - 6) + "_total_cents", Value{sum}, "cents"));
    };
    add_mean("p_alive", "mean_p_alive", false);
    add_mean("expected_purchases", "mean_expected_purchases", false);
    add_mean("expected_spend_cents", "mean_expected_spend_cents", false);
    add_mean("clv_cents", "mean_clv_cents", true);
    add_mean("propensity", "mean_propensity", false);
}

// ---------------------------------------------------------------------------------------
// Rendering

std::string kind_title(FileKind kind) {
    return kind == FileKind::Run ? "retsim result" : "retsim " + std::string(file_kind_name(kind));
}

std::string render_table(const Table& t) {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> cells;
    std::vector<bool> left;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const Column& c = t.columns[i];
        if (!c.in_text) continue;
        header.push_back(figure_label(c.key, c.shown == Shown::Money ? "cents" : ""));
        left.push_back(c.shown == Shown::Text);
        if (c.has_interval) i += 2;
    }
    for (const std::vector<Value>& row : t.rows) {
        std::vector<std::string> line;
        // Rows of mixed units (the comparison's metrics) show money in currency units.
        bool money_row = false;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (t.columns[i].key == "units" && as_text(row[i]) == "cents") money_row = true;
        }
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const Column& c = t.columns[i];
            if (!c.in_text) continue;
            const Shown shown = (money_row && c.shown == Shown::Number) ? Shown::Money : c.shown;
            std::string cell = shown_text(row[i], shown);
            if (c.has_interval) {
                cell += " [" + shown_text(row[i + 1], shown) + ", " + shown_text(row[i + 2], shown) + "]";
                i += 2;
            }
            line.push_back(cell);
        }
        cells.push_back(std::move(line));
    }
    std::vector<std::size_t> width(header.size(), 0);
    for (std::size_t i = 0; i < header.size(); ++i) {
        width[i] = header[i].size();
        for (const auto& line : cells) width[i] = std::max(width[i], line[i].size());
    }
    std::ostringstream out;
    const auto emit = [&](const std::vector<std::string>& line) {
        std::string text = " ";
        for (std::size_t i = 0; i < line.size(); ++i) {
            text += ' ';
            text += left[i] ? pad(line[i], width[i]) : pad_left(line[i], width[i]);
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << '\n';
    };
    emit(header);
    for (const auto& line : cells) emit(line);
    for (const std::string& note : t.notes) out << "    " << note << '\n';
    return out.str();
}

std::string render_text(const Description& d) {
    std::ostringstream out;
    out << kind_title(d.kind) << ' ' << d.path << '\n';
    for (const Field& f : d.overview) out << "  " << pad(f.label, 16) << f.text << '\n';
    if (!d.headline.empty()) {
        out << d.headline_title << ":\n";
        std::size_t width = 24;
        for (const Field& f : d.headline) width = std::max(width, f.label.size() + 2);
        for (const Field& f : d.headline) {
            if (d.kind == FileKind::Comparison && f.key.rfind("roi_ci_", 0) == 0) continue;  // shown with the ROI
            out << "  " << pad(f.label, width) << f.text << '\n';
        }
    }
    for (const Table& t : d.tables) out << t.title << ":\n" << render_table(t);
    out << "datasets:\n";
    std::size_t width = 0;
    for (const DatasetInfo& info : d.datasets) {
        if (!info.dims.empty()) width = std::max(width, info.path.size());
    }
    std::size_t scalars = 0;
    for (const DatasetInfo& info : d.datasets) {
        if (info.dims.empty()) {
            ++scalars;
            continue;
        }
        const std::string shape = info.type + format_dims(info.dims);
        if (info.units.empty() || info.units == "1") {
            out << "  " << pad(info.path, width + 2) << shape << '\n';
        } else {
            out << "  " << pad(info.path, width + 2) << pad(shape, 24) << info.units << '\n';
        }
    }
    if (scalars > 0) out << "  (and " << scalars << " scalar datasets)\n";
    return out.str();
}

void json_string(std::ostringstream& out, const std::string& text) {
    out << '"';
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
            case '"':
                out << "\\\"";
                break;
            case '\\':
                out << "\\\\";
                break;
            case '\n':
                out << "\\n";
                break;
            case '\r':
                out << "\\r";
                break;
            case '\t':
                out << "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", unsigned(c));
                    out << buffer;
                } else {
                    out << ch;  // UTF-8 bytes pass through: JSON text is UTF-8
                }
        }
    }
    out << '"';
}

void json_value(std::ostringstream& out, const Value& value) {
    if (const auto* i = std::get_if<std::int64_t>(&value.v)) {
        out << *i;
    } else if (const auto* u = std::get_if<std::uint64_t>(&value.v)) {
        out << *u;
    } else if (const auto* d = std::get_if<double>(&value.v)) {
        if (!std::isfinite(*d)) {
            out << "null";
        } else {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "%.17g", *d);
            out << buffer;
        }
    } else if (const auto* s = std::get_if<std::string>(&value.v)) {
        json_string(out, *s);
    } else if (const auto* list = std::get_if<std::vector<Value>>(&value.v)) {
        out << '[';
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (i > 0) out << ", ";
            json_value(out, (*list)[i]);
        }
        out << ']';
    } else {
        out << "null";
    }
}

void json_fields(std::ostringstream& out, const std::vector<Field>& fields, bool with_units, const char* indent) {
    out << '{';
    for (std::size_t i = 0; i < fields.size(); ++i) {
        out << (i > 0 ? "," : "") << '\n' << indent << "  ";
        json_string(out, fields[i].key);
        out << ": ";
        if (with_units) {
            out << "{\"value\": ";
            json_value(out, fields[i].value);
            out << ", \"units\": ";
            json_string(out, fields[i].units);
            out << ", \"text\": ";
            json_string(out, fields[i].text);
            out << '}';
        } else {
            json_value(out, fields[i].value);
        }
    }
    out << '\n' << indent << '}';
}

std::string render_json(const Description& d) {
    std::ostringstream out;
    out << "{\n  \"path\": ";
    json_string(out, d.path);
    out << ",\n  \"kind\": ";
    json_string(out, std::string(file_kind_name(d.kind)));
    out << ",\n  \"attributes\": ";
    json_fields(out, d.attributes, false, "  ");
    out << ",\n  \"overview\": ";
    json_fields(out, d.overview, true, "  ");
    out << ",\n  \"scenarios\": [";
    for (std::size_t i = 0; i < d.scenarios.size(); ++i) {
        const ScenarioText& s = d.scenarios[i];
        out << (i > 0 ? "," : "") << "\n    {\"role\": ";
        json_string(out, s.role);
        out << ", \"name\": ";
        json_string(out, s.name);
        out << ", \"question\": ";
        json_string(out, s.question);
        out << ", \"text\": ";
        json_string(out, s.text);
        out << '}';
    }
    out << (d.scenarios.empty() ? "]" : "\n  ]");
    out << ",\n  \"headline\": ";
    json_fields(out, d.headline, true, "  ");
    out << ",\n  \"tables\": {";
    for (std::size_t t = 0; t < d.tables.size(); ++t) {
        const Table& table = d.tables[t];
        out << (t > 0 ? "," : "") << "\n    ";
        json_string(out, table.key);
        out << ": {\"title\": ";
        json_string(out, table.title);
        out << ", \"units\": {";
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            if (c > 0) out << ", ";
            json_string(out, table.columns[c].key);
            out << ": ";
            json_string(out, table.columns[c].units);
        }
        out << "}, \"rows\": [";
        for (std::size_t row = 0; row < table.rows.size(); ++row) {
            out << (row > 0 ? "," : "") << "\n      {";
            for (std::size_t c = 0; c < table.columns.size(); ++c) {
                if (c > 0) out << ", ";
                json_string(out, table.columns[c].key);
                out << ": ";
                json_value(out, table.rows[row][c]);
            }
            out << '}';
        }
        out << (table.rows.empty() ? "]}" : "\n    ]}");
    }
    out << (d.tables.empty() ? "}" : "\n  }");
    out << ",\n  \"datasets\": [";
    for (std::size_t i = 0; i < d.datasets.size(); ++i) {
        const DatasetInfo& info = d.datasets[i];
        out << (i > 0 ? "," : "") << "\n    {\"path\": ";
        json_string(out, info.path);
        out << ", \"dtype\": ";
        json_string(out, info.type);
        out << ", \"shape\": [";
        for (std::size_t k = 0; k < info.dims.size(); ++k) out << (k > 0 ? ", " : "") << info.dims[k];
        out << "], \"units\": ";
        json_string(out, info.units);
        out << '}';
    }
    out << (d.datasets.empty() ? "]" : "\n  ]") << "\n}\n";
    return out.str();
}

/// Checks that `path` is a retsim file; the message says why not (empty when it is one).
std::string open_problem(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return "cannot open " + path + ": no such file";
    if (!fs::is_regular_file(path, ec)) return "cannot open " + path + ": not a regular file";
    if (H5Fis_hdf5(path.c_str()) <= 0) {
        hdf5_detail();
        return path + ": not an HDF5 file, so not a retsim result";
    }
    return "";
}

FileKind kind_of(const Context& ctx, hid_t file, const std::string& path) {
    if (ctx.value(H5Aexists(file, "format_version"), "look up attribute format_version") == 0) {
        throw BadInput(path + ": not a retsim result (no format_version attribute)");
    }
    if (ctx.value(H5Aexists(file, "content"), "look up attribute content") == 0) return FileKind::Run;
    const std::string content = read_string_attribute(ctx, file, "content");
    if (content == "comparison") return FileKind::Comparison;
    if (content == "sweep") return FileKind::Sweep;
    if (content == "scores") return FileKind::Scores;
    throw BadInput(path + ": not a retsim result (unknown content \"" + content + "\")");
}

Description read_description(const std::string& path) {
    silence_hdf5();
    const std::string problem = open_problem(path);
    if (!problem.empty()) throw RuntimeFailure(problem);
    const Context ctx(path);
    Handle file = ctx.own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open the file for reading");
    Description d;
    d.path = path;
    try {
        d.kind = kind_of(ctx, file, path);
    } catch (const BadInput& e) {
        throw RuntimeFailure(e.what());
    }
    const Reader r(ctx, file);
    d.datasets = r.datasets();
    describe_attributes(ctx, file, d);
    switch (d.kind) {
        case FileKind::Run:
            describe_run(r, d);
            break;
        case FileKind::Comparison:
            describe_comparison(r, d);
            break;
        case FileKind::Sweep:
            describe_sweep(r, d);
            break;
        case FileKind::Scores:
            describe_scores(r, d);
            break;
    }
    return d;
}

}  // namespace

std::string_view file_kind_name(FileKind kind) {
    switch (kind) {
        case FileKind::Run:
            return "run";
        case FileKind::Comparison:
            return "comparison";
        case FileKind::Sweep:
            return "sweep";
        case FileKind::Scores:
            return "scores";
    }
    return "unknown";
}

FileKind retsim_file_kind(const std::string& path) {
    silence_hdf5();
    const std::string problem = open_problem(path);
    if (!problem.empty()) throw BadInput(problem);
    const Context ctx(path);
    Handle file = ctx.own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open the file for reading");
    return kind_of(ctx, file, path);
}

std::string describe_result_file(const std::string& path) { return render_text(read_description(path)); }

std::string describe_result_file_json(const std::string& path) { return render_json(read_description(path)); }

}  // namespace retsim
