// Input and output of `retsim score` (see score_io.hpp): chunked reading of result files and
// CSV summary tables, model parameters by name, and the scores HDF5 file. Every failing HDF5
// call becomes a RuntimeFailure naming the file; bad input becomes BadInput.
#include "sim/score_io.hpp"

#include <unistd.h>

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "sim/hdf5_support.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/table_reader.hpp"

namespace retsim {
namespace {

namespace fs = std::filesystem;

/// Elements per HDF5 chunk of every /scores dataset (64 Ki), as for /customers in results.
constexpr hsize_t kChunkElements = hsize_t{1} << 16;
constexpr unsigned kDeflateLevel = 4;
/// A bad CSV chunk reports at most this many problems (a wrong file can have millions).
constexpr std::size_t kMaxProblems = 20;

using namespace hdf5;  // Handle, Context, H5Type, string_type: sim/hdf5_support.hpp

void write_doubles_attribute(const Context& ctx, hid_t object, const char* name, const std::vector<double>& values) {
    const std::string what = "write attribute " + std::string(name);
    const hsize_t count = values.size();
    Handle space = ctx.own(count > 0 ? H5Screate_simple(1, &count, nullptr) : H5Screate(H5S_NULL), H5Sclose, what);
    Handle attribute =
        ctx.own(H5Acreate2(object, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose, what);
    if (count > 0) ctx.check(H5Awrite(attribute, H5T_NATIVE_DOUBLE, values.data()), what);
}

// ---------------------------------------------------------------------------------------
// Result-file input


class ResultReader final : public HistoryReader {
public:
    explicit ResultReader(const std::string& path) : path_(path), ctx_(path) {
        file_ = ctx_.own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open the file for reading");
        if (H5Aexists(file_, "format_version") <= 0 || H5Aexists(file_, "steps") <= 0 ||
            H5Aexists(file_, "step_days") <= 0) {
            hdf5_detail();
            throw BadInput(path + ": an HDF5 file but not a retsim result (no format_version, steps or step_days "
                                  "attribute)");
        }
        const std::string version = read_string_attribute(ctx_, file_, "format_version");
        if (version.rfind("1.", 0) != 0) {
            throw BadInput(path + ": result format " + version + " is not supported (this program reads 1.x)");
        }
        horizon_end_days_ = read_scalar_attribute<double>(ctx_, file_, "steps") * read_scalar_attribute<double>(ctx_, file_, "step_days");
        if (H5Lexists(file_, "customers", H5P_DEFAULT) <= 0) {
            hdf5_detail();
            throw BadInput(path + ": the result has no per-customer table /customers; run the scenario again with "
                                  "`retsim run --customers`");
        }
        Handle group = ctx_.own(H5Gopen2(file_, "customers", H5P_DEFAULT), H5Gclose, "open /customers");
        std::vector<std::string> missing;
        for (const char* name : {"key", "birth_day", "last_purchase_day", "repeat_purchases", "spend_cents"}) {
            if (H5Lexists(group, name, H5P_DEFAULT) <= 0) missing.emplace_back(name);
        }
        hdf5_detail();
        if (!missing.empty()) {
            std::string list;
            for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
            throw BadInput(path + ": /customers lacks the column(s) " + list +
                           " that scoring needs (the behaviour model did not write them)");
        }
        key_ = open_column(group, "key");
        birth_ = open_column(group, "birth_day");
        last_ = open_column(group, "last_purchase_day");
        repeat_ = open_column(group, "repeat_purchases");
        spend_ = open_column(group, "spend_cents");
        size_ = column_length(key_, "/customers/key");
        for (const auto& [h, name] : {std::pair<hid_t, const char*>{birth_, "birth_day"}, {last_, "last_purchase_day"},
                                      {repeat_, "repeat_purchases"}, {spend_, "spend_cents"}}) {
            if (column_length(h, name) != size_) {
                throw BadInput(path + ": /customers/" + name + " and /customers/key differ in length");
            }
        }
        read_model();
    }

    InputKind kind() const override { return InputKind::Result; }
    void rewind() override { next_ = 0; }
    std::vector<std::pair<std::string, double>> model_parameters() const override { return parameters_; }

    std::size_t read(HistoryChunk& chunk, std::size_t max) override {
        const std::size_t n = std::size_t(std::min<std::uint64_t>(max, size_ - next_));
        chunk.resize(n);
        if (n == 0) return 0;
        birth_buf_.resize(n);
        last_buf_.resize(n);
        spend_buf_.resize(n);
        read_slab(key_, H5T_NATIVE_UINT64, chunk.customer_id.data(), n, "/customers/key");
        read_slab(birth_, H5T_NATIVE_DOUBLE, birth_buf_.data(), n, "/customers/birth_day");
        read_slab(last_, H5T_NATIVE_DOUBLE, last_buf_.data(), n, "/customers/last_purchase_day");
        read_slab(repeat_, H5T_NATIVE_DOUBLE, chunk.x.data(), n, "/customers/repeat_purchases");
        read_slab(spend_, H5T_NATIVE_DOUBLE, spend_buf_.data(), n, "/customers/spend_cents");
        for (std::size_t i = 0; i < n; ++i) {
            const FirmHistory h = firm_history(chunk.x[i], birth_buf_[i], last_buf_[i], horizon_end_days_, spend_buf_[i]);
            chunk.t_x_weeks[i] = h.t_x_weeks;
            chunk.T_weeks[i] = h.T_weeks;
            chunk.spend_count[i] = h.spend_count;
            chunk.mean_spend_cents[i] = h.mean_spend_cents;
        }
        next_ += n;
        return n;
    }

private:
    Handle open_column(hid_t group, const char* name) {
        return ctx_.own(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose, "open /customers/" + std::string(name));
    }
    std::uint64_t column_length(hid_t dataset, const std::string& name) {
        Handle space = ctx_.own(H5Dget_space(dataset), H5Sclose, "inspect " + name);
        if (H5Sget_simple_extent_ndims(space) != 1) throw BadInput(path_ + ": " + name + " is not one-dimensional");
        hsize_t n = 0;
        ctx_.check(H5Sget_simple_extent_dims(space, &n, nullptr), "inspect " + name);
        return n;
    }
    void read_slab(hid_t dataset, hid_t memory_type, void* out, std::size_t n, const std::string& name) {
        const std::string what = "read " + name;
        Handle file_space = ctx_.own(H5Dget_space(dataset), H5Sclose, what);
        const hsize_t start = next_;
        const hsize_t count = n;
        ctx_.check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count, nullptr), what);
        Handle memory_space = ctx_.own(H5Screate_simple(1, &count, nullptr), H5Sclose, what);
        ctx_.check(H5Dread(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, out), what);
    }
    void read_model() {
        if (H5Lexists(file_, "model", H5P_DEFAULT) <= 0 ||
            H5Lexists(file_, "model/parameter_names", H5P_DEFAULT) <= 0 ||
            H5Lexists(file_, "model/parameter_values", H5P_DEFAULT) <= 0) {
            hdf5_detail();
            return;
        }
        Handle names = ctx_.own(H5Dopen2(file_, "model/parameter_names", H5P_DEFAULT), H5Dclose,
                                "open /model/parameter_names");
        Handle values = ctx_.own(H5Dopen2(file_, "model/parameter_values", H5P_DEFAULT), H5Dclose,
                                 "open /model/parameter_values");
        const std::uint64_t n = column_length(names, "/model/parameter_names");
        if (column_length(values, "/model/parameter_values") != n) {
            throw BadInput(path_ + ": /model/parameter_names and /model/parameter_values differ in length");
        }
        if (n == 0) return;
        Handle memory = string_type(ctx_);
        Handle space = ctx_.own(H5Dget_space(names), H5Sclose, "read /model/parameter_names");
        std::vector<char*> pointers(n, nullptr);
        ctx_.check(H5Dread(names, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                   "read /model/parameter_names");
        std::vector<double> numbers(n);
        ctx_.check(H5Dread(values, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, numbers.data()),
                   "read /model/parameter_values");
        for (std::uint64_t i = 0; i < n; ++i) parameters_.emplace_back(pointers[i] != nullptr ? pointers[i] : "", numbers[i]);
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(memory, space, H5P_DEFAULT, pointers.data());
#else
        H5Dvlen_reclaim(memory, space, H5P_DEFAULT, pointers.data());
#endif
    }

    std::string path_;
    Context ctx_;
    Handle file_, key_, birth_, last_, repeat_, spend_;
    std::uint64_t size_ = 0;
    std::uint64_t next_ = 0;
    double horizon_end_days_ = 0;
    std::vector<double> birth_buf_, last_buf_, spend_buf_;
    std::vector<std::pair<std::string, double>> parameters_;
};

// ---------------------------------------------------------------------------------------
// CSV input

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

class CsvReader final : public HistoryReader {
public:
    enum Field { kId, kX, kTx, kT, kM, kSpendCount, kFieldCount };
    static constexpr const char* kNames[kFieldCount] = {"customer_id", "x", "t_x", "T", "m_x", "spend_count"};

    explicit CsvReader(const std::string& path) : path_(path) {
        in_.rdbuf()->pubsetbuf(buffer_.data(), std::streamsize(buffer_.size()));
        in_.open(path, std::ios::binary);
        if (!in_) throw BadInput("cannot read " + path + ": " + std::error_code(errno, std::generic_category()).message());
        read_header();
    }

    InputKind kind() const override { return InputKind::Csv; }
    std::vector<std::pair<std::string, double>> model_parameters() const override { return {}; }

    void rewind() override {
        in_.clear();
        in_.seekg(0);
        line_number_ = 0;
        std::string header;
        std::getline(in_, header);
        line_number_ = 1;
    }

    std::size_t read(HistoryChunk& chunk, std::size_t max) override {
        chunk.resize(max);
        std::size_t n = 0;
        Problems problems;
        std::array<std::string_view, kFieldCount> values;
        std::vector<std::string_view> fields;
        while (n < max && std::getline(in_, line_)) {
            ++line_number_;
            if (trim(line_).empty()) continue;
            fields.clear();
            std::string_view rest = line_;
            for (;;) {
                const std::size_t comma = rest.find(',');
                fields.push_back(trim(rest.substr(0, comma)));
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
            if (fields.size() != columns_) {
                add(problems, "", "expected " + std::to_string(columns_) + " comma-separated fields (as in the header), got " +
                                      std::to_string(fields.size()));
                continue;
            }
            bool ok = true;
            for (int f = 0; f < kFieldCount; ++f) values[f] = index_[f] >= 0 ? fields[std::size_t(index_[f])] : std::string_view{};
            std::uint64_t id = 0;
            {
                const std::string_view v = values[kId];
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
                if (v.empty() || ec != std::errc{} || end != v.data() + v.size()) {
                    add(problems, kNames[kId], "not a non-negative integer: \"" + std::string(v) + "\"");
                    ok = false;
                }
            }
            double number[kFieldCount] = {};
            for (int f = kX; f < kFieldCount; ++f) {
                if (index_[f] < 0) continue;
                const std::string_view v = values[f];
                double d = 0;
                const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
                if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || !std::isfinite(d)) {
                    add(problems, kNames[f], "not a finite number: \"" + std::string(v) + "\"");
                    ok = false;
                } else if (d < 0) {
                    add(problems, kNames[f], "must be >= 0, got " + std::string(v));
                    ok = false;
                }
                number[f] = d;
            }
            if (ok) {
                if (number[kX] != std::floor(number[kX])) {
                    add(problems, "x", "must be a whole number of repeat purchases, got " + std::string(values[kX]));
                    ok = false;
                }
                if (number[kTx] > number[kT]) {
                    add(problems, "t_x", "the last purchase (t_x = " + std::string(values[kTx]) +
                                             ") is after the end of observation (T = " + std::string(values[kT]) + ")");
                    ok = false;
                }
                if (number[kX] == 0 && number[kTx] != 0) {
                    add(problems, "t_x", "must be 0 when x = 0 (no repeat purchase), got " + std::string(values[kTx]));
                    ok = false;
                }
            }
            if (!ok) continue;
            chunk.customer_id[n] = id;
            chunk.x[n] = number[kX];
            chunk.t_x_weeks[n] = number[kTx];
            chunk.T_weeks[n] = number[kT];
            chunk.mean_spend_cents[n] = number[kM];
            chunk.spend_count[n] = index_[kSpendCount] >= 0 ? number[kSpendCount] : number[kX];
            ++n;
        }
        if (in_.bad()) throw RuntimeFailure(path_ + ": read error after line " + std::to_string(line_number_));
        if (!problems.empty()) throw BadInput(std::move(problems));
        chunk.resize(n);
        return n;
    }

private:
    void add(Problems& problems, std::string_view column, std::string message) {
        if (problems.size() >= kMaxProblems) return;
        Problem p;
        p.file = path_;
        p.line = int(std::min<std::uint64_t>(line_number_, std::uint64_t(INT32_MAX)));
        p.key_path = std::string(column);
        p.message = std::move(message);
        if (problems.size() + 1 == kMaxProblems) p.message += " (further problems not listed)";
        problems.add(std::move(p));
    }

    void read_header() {
        std::string header;
        if (!std::getline(in_, header) || trim(header).empty()) {
            throw BadInput(path_ + ":1: empty file; expected a CSV header with the columns customer_id, x, t_x, T, m_x");
        }
        line_number_ = 1;
        index_.fill(-1);
        std::string_view rest = header;
        int column = 0;
        Problems problems;
        for (;;) {
            const std::size_t comma = rest.find(',');
            const std::string_view name = trim(rest.substr(0, comma));
            for (int f = 0; f < kFieldCount; ++f) {
                if (name != kNames[f]) continue;
                if (index_[f] >= 0) add(problems, name, "duplicate column in the header");
                index_[f] = column;
            }
            ++column;
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
        columns_ = std::size_t(column);
        for (int f = 0; f < kSpendCount; ++f) {
            if (index_[f] < 0) {
                add(problems, kNames[f],
                    "missing column in the header (required: customer_id, x, t_x, T, m_x; optional: spend_count)");
            }
        }
        if (!problems.empty()) throw BadInput(std::move(problems));
    }

    std::string path_;
    std::vector<char> buffer_ = std::vector<char>(std::size_t{1} << 20);
    std::ifstream in_;
    std::string line_;
    std::uint64_t line_number_ = 0;
    std::array<int, kFieldCount> index_{};
    std::size_t columns_ = 0;
};

// ---------------------------------------------------------------------------------------
// Output

struct OutputColumn {
    const char* name;
    hid_t file_type;
    hid_t memory_type;
    const char* units;
    const char* description;
};

}  // namespace

// ---------------------------------------------------------------------------------------

void HistoryChunk::resize(std::size_t n) {
    customer_id.resize(n);
    x.resize(n);
    t_x_weeks.resize(n);
    T_weeks.resize(n);
    mean_spend_cents.resize(n);
    spend_count.resize(n);
}

HistoryColumns HistoryChunk::columns(std::size_t begin, std::size_t end) const {
    return HistoryColumns{x.data() + begin,          t_x_weeks.data() + begin, T_weeks.data() + begin,
                          mean_spend_cents.data() + begin, spend_count.data() + begin, end - begin};
}

std::unique_ptr<HistoryReader> HistoryReader::open(const std::string& path) {
    silence_hdf5();
    std::error_code ec;
    if (!fs::exists(path, ec)) throw BadInput("cannot read " + path + ": no such file");
    if (!fs::is_regular_file(path, ec)) throw BadInput("cannot read " + path + ": not a regular file");
    const htri_t hdf5 = H5Fis_hdf5(path.c_str());
    hdf5_detail();
    if (hdf5 > 0) return std::make_unique<ResultReader>(path);
    return std::make_unique<CsvReader>(path);
}

ScoringModel scoring_model(const std::vector<std::pair<std::string, double>>& parameters, const std::string& source) {
    std::map<std::string, double> by_name(parameters.begin(), parameters.end());
    ScoringModel m;
    m.parameters = parameters;
    bool bgnbd = false, paretonbd = false;
    for (const auto& [name, value] : parameters) {
        bgnbd = bgnbd || name.rfind("bgnbd.", 0) == 0;
        paretonbd = paretonbd || name.rfind("paretonbd.", 0) == 0;
    }
    if (bgnbd == paretonbd) {
        throw BadInput(source + ": model parameters must be those of exactly one of bgnbd and paretonbd (the "
                                "models that `retsim score` can score); found " +
                       std::string(bgnbd ? "both" : "neither"));
    }
    Problems problems;
    const auto take = [&](const std::string& name, double& out, double above) {
        const auto it = by_name.find(name);
        Problem p;
        p.file = source;
        p.key_path = name;
        if (it == by_name.end()) {
            p.message = "missing model parameter";
            if (name.rfind("spend.", 0) == 0 && by_name.count("spend.price_cents") > 0) {
                p.message += " (the spend model is \"fixed\"; scoring needs Gamma-Gamma spend)";
            }
            problems.add(std::move(p));
        } else if (!std::isfinite(it->second) || !(it->second > above)) {
            p.message = "must be a finite number > " + std::to_string(int(above)) + ", got " + std::to_string(it->second);
            problems.add(std::move(p));
        } else {
            out = it->second;
        }
    };
    if (bgnbd) {
        m.name = "bgnbd";
        take("bgnbd.r", m.bgnbd.r, 0);
        take("bgnbd.alpha_weeks", m.bgnbd.alpha_weeks, 0);
        take("bgnbd.a", m.bgnbd.a, 0);
        take("bgnbd.b", m.bgnbd.b, 0);
    } else {
        m.name = "paretonbd";
        take("paretonbd.r", m.paretonbd.r, 0);
        take("paretonbd.alpha_weeks", m.paretonbd.alpha_weeks, 0);
        take("paretonbd.s", m.paretonbd.s, 0);
        take("paretonbd.beta_weeks", m.paretonbd.beta_weeks, 0);
    }
    take("spend.p", m.spend.p, 0);
    take("spend.q", m.spend.q, 1);
    take("spend.gamma_cents", m.spend.gamma_cents, 0);
    if (!problems.empty()) throw BadInput(std::move(problems));
    return m;
}

PropensityModel read_propensity_file(const std::string& path, const PropensityModel& defaults) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw BadInput("cannot read " + path + ": no such file or not readable");
    std::stringstream text;
    text << in.rdbuf();
    toml::table root;
    try {
        root = toml::parse(text.str(), path);
    } catch (const toml::parse_error& e) {
        const toml::source_position where = e.source().begin;
        throw BadInput(path + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
                       std::string(e.description()));
    }
    Problems problems;
    PropensityModel m = defaults;
    TableReader top(&root, "", problems, path);
    TableReader t = top.table("propensity");
    if (!t.present()) top.problem("propensity", "no [propensity] table in the file");
    read_propensity(t, m);
    // Other tables (a whole scenario may carry [propensity]) are allowed.
    if (!problems.empty()) throw BadInput(std::move(problems));
    return m;
}

void RfmSample::add(const HistoryChunk& chunk, std::uint64_t first) {
    const std::uint64_t end = first + chunk.size();
    std::uint64_t i = (first + stride_ - 1) / stride_ * stride_;
    for (; i < end; i += stride_) {
        const std::size_t k = std::size_t(i - first);
        sample_.customer_id.push_back(chunk.customer_id[k]);
        sample_.x.push_back(chunk.x[k]);
        sample_.t_x_weeks.push_back(chunk.t_x_weeks[k]);
        sample_.T_weeks.push_back(chunk.T_weeks[k]);
        sample_.mean_spend_cents.push_back(chunk.mean_spend_cents[k]);
        sample_.spend_count.push_back(chunk.spend_count[k]);
        if (sample_.size() > max_size_) {
            halve();
            // The loop continues from the next multiple of the doubled stride.
            i = i / stride_ * stride_;
        }
    }
}

void RfmSample::halve() {
    // The sample holds indices 0, s, 2s, ...; keeping every other one leaves 0, 2s, 4s, ...
    std::size_t kept = 0;
    for (std::size_t j = 0; j < sample_.size(); j += 2, ++kept) {
        sample_.customer_id[kept] = sample_.customer_id[j];
        sample_.x[kept] = sample_.x[j];
        sample_.t_x_weeks[kept] = sample_.t_x_weeks[j];
        sample_.T_weeks[kept] = sample_.T_weeks[j];
        sample_.mean_spend_cents[kept] = sample_.mean_spend_cents[j];
        sample_.spend_count[kept] = sample_.spend_count[j];
    }
    sample_.resize(kept);
    stride_ *= 2;
}

void ScoreChunk::resize(std::size_t n) {
    p_alive.resize(n);
    expected_purchases.resize(n);
    expected_spend_cents.resize(n);
    clv_cents.resize(n);
    propensity.resize(n);
    rfm_r.resize(n);
    rfm_f.resize(n);
    rfm_m.resize(n);
    rfm_cell.resize(n);
}

// ---------------------------------------------------------------------------------------

struct ScoresWriter::Impl {
    std::string path;
    std::string temporary;
    bool overwrite = false;
    bool committed = false;
    Context ctx;
    Handle file;
    Handle group;
    std::vector<Handle> datasets;
    std::uint64_t rows = 0;

    Impl(std::string p, bool force) : path(std::move(p)), overwrite(force), ctx(path) {}

    static const std::vector<OutputColumn>& columns() {
        static const std::vector<OutputColumn> all = {
            {"customer_id", H5T_STD_U64LE, H5T_NATIVE_UINT64, "1",
             "customer identity: customer_id of a CSV input, /customers/key of a result"},
            {"p_alive", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, "1", "P(alive | x, t_x, T): probability still a customer"},
            {"expected_purchases", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, "purchases",
             "E[Y(t) | x, t_x, T]: expected repeat purchases in the next forecast_weeks"},
            {"expected_spend_cents", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, "cents per purchase",
             "Gamma-Gamma E[M | x, m_x]: expected spend per future purchase"},
            {"clv_cents", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, "cents",
             "expected margin over clv_horizon_weeks, discounted at each period end"},
            {"propensity", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, "1", "logistic response propensity, in [0, 1]"},
            {"rfm_r", H5T_STD_U8LE, H5T_NATIVE_UINT8, "1", "recency score 1..rfm_bins (rfm_bins = most recent)"},
            {"rfm_f", H5T_STD_U8LE, H5T_NATIVE_UINT8, "1", "frequency score 1..rfm_bins (rfm_bins = most purchases)"},
            {"rfm_m", H5T_STD_U8LE, H5T_NATIVE_UINT8, "1", "monetary score 1..rfm_bins (rfm_bins = highest mean spend)"},
            {"rfm_cell", H5T_STD_U16LE, H5T_NATIVE_UINT16, "1", "RFM cell 100*rfm_r + 10*rfm_f + rfm_m"},
        };
        return all;
    }

    void open() {
        fs::path directory = fs::path(path).parent_path();
        if (directory.empty()) directory = ".";
        std::error_code ec;
        if (!fs::is_directory(directory, ec)) {
            throw RuntimeFailure("cannot write " + path + ": directory " + directory.string() + " does not exist");
        }
        temporary = path + ".partial-" + std::to_string(::getpid());
        Handle fapl = ctx.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "set file access properties");
        ctx.check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), "set file format bounds");
        file = ctx.own(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose,
                       "create file (temporary " + temporary + ")");
        Handle gcpl = ctx.own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "create group /scores");
        ctx.check(H5Pset_obj_track_times(gcpl, false), "create group /scores");
        group = ctx.own(H5Gcreate2(file, "scores", H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, "create group /scores");
        for (const OutputColumn& c : columns()) {
            const std::string what = "create dataset /scores/" + std::string(c.name);
            const hsize_t zero = 0, unlimited = H5S_UNLIMITED, chunk = kChunkElements;
            Handle space = ctx.own(H5Screate_simple(1, &zero, &unlimited), H5Sclose, what);
            Handle dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
            ctx.check(H5Pset_obj_track_times(dcpl, false), what);
            ctx.check(H5Pset_chunk(dcpl, 1, &chunk), what);
            ctx.check(H5Pset_shuffle(dcpl), what);
            ctx.check(H5Pset_deflate(dcpl, kDeflateLevel), what);
            Handle d = ctx.own(H5Dcreate2(group, c.name, c.file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose,
                               what);
            const std::string where = "/scores/" + std::string(c.name);
            write_string_attribute(ctx, d, where, "units", c.units);
            write_string_attribute(ctx, d, where, "description", c.description);
            write_string_attribute(ctx, d, where, "dimensions", "customer");
            datasets.push_back(std::move(d));
        }
    }

    void append_column(std::size_t index, const void* data, std::size_t n) {
        const OutputColumn& c = columns()[index];
        const std::string what = "append to /scores/" + std::string(c.name);
        const hid_t d = datasets[index];
        const hsize_t size = rows + n;
        ctx.check(H5Dset_extent(d, &size), what);
        Handle file_space = ctx.own(H5Dget_space(d), H5Sclose, what);
        const hsize_t start = rows, count = n;
        ctx.check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, nullptr, &count, nullptr), what);
        Handle memory_space = ctx.own(H5Screate_simple(1, &count, nullptr), H5Sclose, what);
        ctx.check(H5Dwrite(d, c.memory_type, memory_space, file_space, H5P_DEFAULT, data), what);
    }
};

ScoresWriter::ScoresWriter(const std::string& path, bool overwrite) : impl_(std::make_unique<Impl>(path, overwrite)) {
    silence_hdf5();
    if (!overwrite && path_exists(path)) {
        throw BadInput(path + " exists; use --force to overwrite it or -o to choose another name");
    }
    try {
        impl_->open();
    } catch (...) {
        impl_->datasets.clear();
        impl_->group.close();
        impl_->file.close();
        if (!impl_->temporary.empty()) {
            std::error_code ignored;
            fs::remove(impl_->temporary, ignored);
        }
        throw;
    }
}

ScoresWriter::~ScoresWriter() {
    if (impl_ == nullptr || impl_->committed) return;
    impl_->datasets.clear();
    impl_->group.close();
    impl_->file.close();
    std::error_code ignored;
    fs::remove(impl_->temporary, ignored);
}

void ScoresWriter::append(const std::vector<std::uint64_t>& ids, const ScoreChunk& s, std::size_t n) {
    if (n == 0) return;
    const void* data[] = {ids.data(),
                          s.p_alive.data(),
                          s.expected_purchases.data(),
                          s.expected_spend_cents.data(),
                          s.clv_cents.data(),
                          s.propensity.data(),
                          s.rfm_r.data(),
                          s.rfm_f.data(),
                          s.rfm_m.data(),
                          s.rfm_cell.data()};
    for (std::size_t i = 0; i < std::size(data); ++i) impl_->append_column(i, data[i], n);
    impl_->rows += n;
}

void ScoresWriter::commit(const ScoresMetadata& meta) {
    Impl& w = *impl_;
    const Context& ctx = w.ctx;
    const hid_t root = w.file;
    write_string_attribute(ctx, root, "/", "format_version", kScoresFormatVersion);
    write_string_attribute(ctx, root, "/", "program", "retsim");
    write_string_attribute(ctx, root, "/", "content", "scores");
    write_string_attribute(ctx, root, "/", "program_version", meta.program_version);
    write_string_attribute(ctx, root, "/", "git_commit", meta.git_commit);
    write_string_attribute(ctx, root, "/", "created_utc", meta.created_utc);
    write_string_attribute(ctx, root, "/", "input_file", meta.input_file);
    write_string_attribute(ctx, root, "/", "input_kind", meta.input_kind);
    write_string_attribute(ctx, root, "/", "parameters_source", meta.parameters_source);
    write_string_attribute(ctx, root, "/", "model", meta.model.name);
    std::vector<std::string> names;
    std::vector<double> values;
    for (const auto& [name, value] : meta.model.parameters) {
        names.push_back(name);
        values.push_back(value);
    }
    write_strings_attribute(ctx, root, "/", "model_parameter_names", names);
    write_doubles_attribute(ctx, root, "model_parameter_values", values);
    write_scalar_attribute(ctx, root, "/", "customers", std::uint64_t{meta.customers});
    const ScoreSettings& s = meta.settings;
    write_scalar_attribute(ctx, root, "/", "forecast_weeks", s.forecast_weeks);
    write_scalar_attribute(ctx, root, "/", "clv_horizon_weeks", s.clv.horizon_weeks);
    write_scalar_attribute(ctx, root, "/", "clv_period_weeks", s.clv.period_weeks);
    write_scalar_attribute(ctx, root, "/", "annual_discount_rate", s.clv.annual_discount_rate);
    write_scalar_attribute(ctx, root, "/", "margin_fraction", s.clv.margin_fraction);
    write_scalar_attribute(ctx, root, "/", "propensity_intercept", s.propensity.intercept);
    write_scalar_attribute(ctx, root, "/", "propensity_recency", s.propensity.recency);
    write_scalar_attribute(ctx, root, "/", "propensity_frequency", s.propensity.frequency);
    write_scalar_attribute(ctx, root, "/", "propensity_monetary", s.propensity.monetary);
    write_scalar_attribute(ctx, root, "/", "propensity_tenure", s.propensity.tenure);
    write_scalar_attribute(ctx, root, "/", "rfm_bins", std::int32_t(meta.rfm.bins));
    write_doubles_attribute(ctx, root, "rfm_recency_cuts_weeks", meta.rfm.recency);
    write_doubles_attribute(ctx, root, "rfm_frequency_cuts", meta.rfm.frequency);
    write_doubles_attribute(ctx, root, "rfm_monetary_cuts_cents", meta.rfm.monetary);
    write_scalar_attribute(ctx, root, "/", "rfm_sample_size", std::uint64_t{meta.rfm_sample_size});
    write_scalar_attribute(ctx, root, "/", "rfm_sample_stride", std::uint64_t{meta.rfm_sample_stride});

    w.datasets.clear();
    w.group.close();
    ctx.check(w.file.close(), "close file (temporary " + w.temporary + ")");
    if (!w.overwrite && path_exists(w.path)) {
        throw BadInput(w.path + " exists; use --force to overwrite it");
    }
    std::error_code ec;
    fs::rename(w.temporary, w.path, ec);
    if (ec) throw RuntimeFailure("cannot rename " + w.temporary + " to " + w.path + ": " + ec.message());
    w.committed = true;
}

}  // namespace retsim
