// Parameter sweeps (see sweep.hpp): building a sweep from its request, running one run index,
// the journal, per-point statistics and Sobol indices, and the driver that runs what is missing
// on local threads (oneTBB) or MPI ranks. Writing the HDF5 file is in sim/sweep_output.cpp.
#include "sim/sweep.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <new>
#include <set>
#include <thread>
#include <utility>

#include "sim/compare.hpp"
#include "sim/engine.hpp"
#include "sim/format.hpp"
#include "sim/mpi.hpp"
#include "sim/parallel.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"

namespace retsim {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// More runs than this would not fit a journal and a file in reasonable memory.
constexpr std::size_t kMaxRuns = 100'000'000;
constexpr const char* kJournalMagic = "retsim-sweep-journal";
constexpr int kJournalVersion = 1;

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

/// "channels[1]" -> ("channels", 1); "seed" -> ("seed", none). nullopt when malformed.
std::optional<std::pair<std::string, std::optional<std::size_t>>> key_segment(std::string_view text) {
    const auto open = text.find('[');
    std::string name(trim(text.substr(0, open)));
    if (name.empty()) return std::nullopt;
    if (open == std::string_view::npos) return std::make_pair(name, std::optional<std::size_t>{});
    std::string_view rest = text.substr(open + 1);
    if (rest.size() < 2 || rest.back() != ']') return std::nullopt;
    rest.remove_suffix(1);
    std::size_t index = 0;
    const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (r.ec != std::errc() || r.ptr != rest.data() + rest.size()) return std::nullopt;
    return std::make_pair(name, std::optional<std::size_t>{index});
}

/// True when the values of a --vary spec (after '=') are all written as integers.
bool written_as_integers(const std::string& spec) {
    const auto equals = spec.find('=');
    if (equals == std::string::npos) return false;
    const std::string_view values = std::string_view(spec).substr(equals + 1);
    return values.find_first_of(".eEnNiI") == std::string_view::npos;
}

std::string key_of_spec(const std::string& spec) {
    const auto equals = spec.find('=');
    return std::string(trim(std::string_view(spec).substr(0, std::min(equals, spec.size()))));
}

bool whole(double v) { return std::isfinite(v) && v == std::floor(v); }

/// Problems of the first point that no other point can avoid: the key does not exist or
/// cannot be set.
bool structural(const Problem& p) {
    for (const char* text : {"unknown key", "unknown table", "is not an array", "entries; index", "expected KEY=VALUE",
                             "which is not a table"}) {
        if (p.message.find(text) != std::string::npos) return true;
    }
    return false;
}

void check_first_point(const Sweep& sweep) {
    const std::vector<std::string> overrides = run_overrides(sweep, 0);
    try {
        (void)parse_scenario(sweep.scenario_text, sweep.scenario_name, overrides);
    } catch (const BadInput& e) {
        Problems fatal;
        for (const Problem& p : e.problems().list()) {
            if (structural(p)) fatal.add(p);
        }
        if (!fatal.empty()) {
            Problem context;
            context.file = "--vary";
            context.message = "the sweep's first point does not parse (a key that no point can set):";
            Problems all;
            all.add(std::move(context));
            for (const Problem& p : fatal.list()) all.add(p);
            throw BadInput(std::move(all));
        }
        // Any other problem belongs to this point's values: it is recorded as a failed run.
    }
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\t': out += "\\t"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    return out;
}

std::optional<std::string> unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (++i == text.size()) return std::nullopt;
        switch (text[i]) {
            case '\\': out += '\\'; break;
            case 't': out += '\t'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            default: return std::nullopt;
        }
    }
    return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const auto tab = line.find('\t', start);
        fields.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
        if (tab == std::string_view::npos) break;
        start = tab + 1;
    }
    return fields;
}

std::optional<double> read_double(std::string_view field) {
    if (field.empty() || field.size() > 64) return std::nullopt;
    const std::string copy(field);
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size()) return std::nullopt;
    return v;
}

class Fnv {
public:
    void bytes(const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) {
            hash_ ^= p[i];
            hash_ *= 0x100000001b3ULL;
        }
    }
    void text(std::string_view s) {
        number(s.size());
        bytes(s.data(), s.size());
    }
    void number(std::uint64_t v) { bytes(&v, sizeof v); }
    void real(double v) { bytes(&v, sizeof v); }
    [[nodiscard]] std::uint64_t value() const { return hash_; }

private:
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

std::string hex(std::uint64_t v) {
    char buffer[20];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
    return buffer;
}

std::string header_line(const Sweep& sweep) {
    return std::string(kJournalMagic) + " " + std::to_string(kJournalVersion) + " hash=" + hex(sweep_hash(sweep)) +
           " runs=" + std::to_string(sweep.runs()) + " metrics=" + std::to_string(sweep.metrics.size()) + "\n";
}

void write_all(int fd, std::string_view text, const std::string& path) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw RuntimeFailure("cannot write the journal " + path + ": " + std::strerror(errno));
        }
        text.remove_prefix(std::size_t(n));
    }
}

/// One sweep per journal: a second process on the same output is refused while the first runs
/// (the lock goes with the process, so a killed sweep leaves none behind).
void lock_journal(int fd, const std::string& path) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return;
    if (errno == EWOULDBLOCK) {
        throw BadInput(path + " is locked: another retsim sweep is writing this output now; wait for it to "
                       "finish or stop it first");
    }
    throw RuntimeFailure("cannot lock the journal " + path + ": " + std::strerror(errno));
}

/// True when another process holds the journal's lock.
bool journal_in_use(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return locked;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The sweep definition

std::vector<MetricInfo> sweep_metric_info() {
    std::vector<MetricInfo> out;
    for (const Metric& m : compare_metrics(RunResult{})) {
        out.push_back({m.name, m.units, m.description, m.exact.has_value()});
    }
    return out;
}

std::optional<bool> key_is_integer(std::string_view scenario_text, const std::string& key) {
    toml::table root;
    try {
        root = toml::parse(scenario_text);
    } catch (const toml::parse_error& e) {
        throw BadInput("the base scenario is not valid TOML: " + std::string(e.description()));
    }
    const toml::node* node = &root;
    std::string_view rest = key;
    while (true) {
        const auto dot = rest.find('.');
        const auto segment = key_segment(rest.substr(0, dot));
        if (!segment) return std::nullopt;  // a malformed key: the override reports it
        const toml::table* table = node->as_table();
        if (table == nullptr) return std::nullopt;
        node = table->get(segment->first);
        if (node == nullptr) return std::nullopt;
        if (segment->second) {
            const toml::array* array = node->as_array();
            if (array == nullptr) return std::nullopt;
            node = array->get(*segment->second);
            if (node == nullptr) return std::nullopt;
        }
        if (dot == std::string_view::npos) break;
        rest = rest.substr(dot + 1);
    }
    if (node->is_integer()) return true;
    if (node->is_floating_point()) return false;
    const char* type = node->is_string() ? "a string" : node->is_boolean() ? "a boolean"
                       : node->is_table() ? "a table" : node->is_array() ? "an array" : "not a number";
    throw BadInput("--vary " + key + ": the key is " + type +
                   " in the base scenario; only numeric keys (integers or floats) can vary");
}

Sweep make_sweep(const SweepRequest& request) {
    if (request.replicates < 1) throw BadInput("--replicates must be at least 1, got " + std::to_string(request.replicates));
    // The base scenario with its --set overrides must be sound before any point is built.
    const Scenario base = parse_scenario(request.scenario_text, request.scenario_name, request.overrides);

    Sweep sweep;
    sweep.scenario_name = request.scenario_name;
    sweep.scenario_text = request.scenario_text;
    sweep.overrides = request.overrides;
    sweep.vary_specs = request.vary_specs;
    sweep.replicates = request.replicates;
    sweep.seed = base.run.seed;
    sweep.metrics = sweep_metric_info();

    const bool from_file = !request.design_file.empty() || !request.params_file.empty();
    if (from_file) {
        if (request.design_file.empty() || request.params_file.empty()) {
            throw BadInput("--design-file SAMPLES and --params PARAMS go together: the sample matrix and the SALib "
                           "parameter file that names its columns");
        }
        if (!request.vary_specs.empty()) {
            throw BadInput("--vary and --design-file exclude each other: the design file already says what varies");
        }
        if (request.samples) throw BadInput("--samples does not apply to --design-file: every row of the file is a point");
        Design design = read_design_files(request.params_file, request.design_file);
        for (std::size_t j = 0; j < design.factors.size(); ++j) {
            Factor& f = design.factors[j];
            bool all_whole = true;
            for (std::size_t r = 0; r < design.rows; ++r) all_whole = all_whole && whole(design.at(r, j));
            f.integer = key_is_integer(request.scenario_text, f.key).value_or(all_whole);
            // An integer key takes whole values: fractional samples are rounded (and stored so).
            if (f.integer) {
                for (std::size_t r = 0; r < design.rows; ++r) {
                    double& v = design.values[r * design.factors.size() + j];
                    v = std::nearbyint(v);
                }
            }
        }
        sweep.design = std::move(design);
    } else {
        if (request.vary_specs.empty()) {
            throw BadInput("nothing varies: give --vary KEY=LOW:HIGH[:N] or --vary KEY=[v1,v2,...] (repeatable), "
                           "or --design-file SAMPLES --params PARAMS");
        }
        std::vector<Factor> factors;
        std::set<std::string> keys;
        for (const std::string& spec : request.vary_specs) {
            const std::string key = key_of_spec(spec);
            std::optional<bool> integer;
            if (!key.empty() && spec.find('=') != std::string::npos) integer = key_is_integer(request.scenario_text, key);
            Factor f = parse_vary(spec, integer.value_or(written_as_integers(spec)));
            if (!keys.insert(f.key).second) throw BadInput("--vary " + spec + ": " + f.key + " is varied twice");
            factors.push_back(std::move(f));
        }
        switch (request.design) {
            case DesignKind::Grid:
                if (request.samples) {
                    throw BadInput("--samples applies to --design lhs and sobol; a grid's points are every "
                                   "combination of the factors' levels");
                }
                for (const Factor& f : factors) {
                    if (f.levels.empty()) {
                        throw BadInput("--design grid needs levels for " + f.key +
                                       ": give KEY=LOW:HIGH:N (N evenly spaced values) or KEY=[v1,v2,...], or "
                                       "use --design lhs or sobol with --samples for a continuous range");
                    }
                }
                break;
            case DesignKind::Lhs:
            case DesignKind::Sobol:
                if (!request.samples) {
                    throw BadInput(std::string("--design ") + design_kind_name(request.design) +
                                   " needs --samples N (" +
                                   (request.design == DesignKind::Lhs ? "the number of points"
                                                                       : "the base sample size; points = N * (factors + 2)") +
                                   ")");
                }
                if (*request.samples < 1) throw BadInput("--samples must be at least 1, got 0");
                break;
            case DesignKind::File:
                throw BadInput("--design file is chosen by --design-file SAMPLES --params PARAMS");
        }
        sweep.design = make_design(request.design, std::move(factors), request.samples.value_or(0), base.run.seed);
    }
    if (sweep.design.rows == 0) throw BadInput("the design has no points");
    if (sweep.design.rows > kMaxRuns / sweep.replicates) {
        throw BadInput("the sweep has " + std::to_string(sweep.design.rows) + " points x " +
                       std::to_string(sweep.replicates) + " replicates, more than " + std::to_string(kMaxRuns) +
                       " runs");
    }
    check_first_point(sweep);
    return sweep;
}

std::vector<std::string> run_overrides(const Sweep& sweep, std::size_t index) {
    const std::size_t point = index / sweep.replicates;
    const std::size_t replicate = index % sweep.replicates;
    std::vector<std::string> out = sweep.overrides;
    for (std::size_t j = 0; j < sweep.design.factors.size(); ++j) {
        out.push_back(override_text(sweep.design.factors[j], sweep.design.at(point, j)));
    }
    out.push_back("run.replicate=" + std::to_string(replicate));
    return out;
}

RunRecord run_sweep_index(const Sweep& sweep, std::size_t index, int threads) {
    RunRecord record;
    try {
        const Scenario sc = parse_scenario(sweep.scenario_text, sweep.scenario_name, run_overrides(sweep, index));
        RunOptions options;
        options.threads = threads;
        const RunResult result = run_simulation(sc, options);
        for (const Metric& m : compare_metrics(result)) {
            record.values.push_back(m.exact ? double(*m.exact) : m.value);
        }
        record.status = RunStatus::Ok;
    } catch (const BadInput& e) {
        record.status = RunStatus::Failed;
        record.error = std::string("bad input: ") + e.what();
    } catch (const RuntimeFailure& e) {
        record.status = RunStatus::Failed;
        record.error = e.what();
    } catch (const std::bad_alloc&) {
        record.status = RunStatus::Failed;
        record.error = "out of memory";
    } catch (const std::exception& e) {
        record.status = RunStatus::Failed;
        record.error = std::string("unexpected failure: ") + e.what();
    }
    if (record.status == RunStatus::Failed) record.values.clear();
    return record;
}

// ---------------------------------------------------------------------------------------------
// Journal lines

std::string record_line(std::size_t index, const RunRecord& record) {
    std::string line = std::to_string(index);
    if (record.status == RunStatus::Ok) {
        line += "\tok";
        char buffer[40];
        for (const double v : record.values) {
            // The shortest text that reads back as the same double (nan and inf as strtod reads them).
            const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
            line += '\t';
            line.append(buffer, r.ptr);
        }
    } else {
        line += "\tfailed\t" + escape(record.error);
    }
    return line + "\n";
}

std::optional<std::pair<std::size_t, RunRecord>> parse_record_line(std::string_view line, std::size_t metric_count) {
    if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    const std::vector<std::string_view> fields = split_tabs(line);
    if (fields.size() < 2) return std::nullopt;
    std::size_t index = 0;
    const auto r = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), index);
    if (r.ec != std::errc() || r.ptr != fields[0].data() + fields[0].size()) return std::nullopt;
    RunRecord record;
    if (fields[1] == "ok") {
        if (fields.size() != metric_count + 2) return std::nullopt;
        record.status = RunStatus::Ok;
        for (std::size_t m = 0; m < metric_count; ++m) {
            const std::optional<double> v = read_double(fields[m + 2]);
            if (!v) return std::nullopt;
            record.values.push_back(*v);
        }
    } else if (fields[1] == "failed") {
        if (fields.size() != 3) return std::nullopt;
        std::optional<std::string> error = unescape(fields[2]);
        if (!error) return std::nullopt;
        record.status = RunStatus::Failed;
        record.error = std::move(*error);
    } else {
        return std::nullopt;
    }
    return std::make_pair(index, std::move(record));
}

std::uint64_t sweep_hash(const Sweep& sweep) {
    Fnv h;
    h.text("retsim sweep 1");
    h.text(sweep.scenario_text);
    h.number(sweep.overrides.size());
    for (const std::string& o : sweep.overrides) h.text(o);
    const Design& d = sweep.design;
    h.text(design_kind_name(d.kind));
    h.number(d.factors.size());
    for (const Factor& f : d.factors) {
        h.text(f.key);
        h.number(f.integer ? 1 : 0);
    }
    h.number(d.rows);
    for (const double v : d.values) h.real(v);
    h.number(sweep.replicates);
    h.number(sweep.metrics.size());
    for (const MetricInfo& m : sweep.metrics) h.text(m.name);
    return h.value();
}

// ---------------------------------------------------------------------------------------------
// The journal file

SweepJournal SweepJournal::create(const std::string& path, const Sweep& sweep) {
    // Locked before it is emptied: a sweep still writing this journal keeps its lines.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw RuntimeFailure("cannot create the journal " + path + ": " + std::strerror(errno));
    SweepJournal journal(path, fd);
    lock_journal(fd, path);
    if (::ftruncate(fd, 0) != 0) throw RuntimeFailure("cannot empty the journal " + path + ": " + std::strerror(errno));
    write_all(fd, header_line(sweep), path);
    return journal;
}

SweepJournal SweepJournal::resume(const std::string& path, const Sweep& sweep, std::vector<RunRecord>& runs) {
    const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            throw BadInput("--resume: there is no journal " + path +
                           " (the sweep finished and removed it, or never started); run without --resume");
        }
        throw RuntimeFailure("cannot open the journal " + path + ": " + std::strerror(errno));
    }
    SweepJournal journal(path, fd);
    lock_journal(fd, path);
    std::string text;
    {
        char buffer[1 << 16];
        while (true) {
            const ssize_t n = ::pread(fd, buffer, sizeof buffer, off_t(text.size()));
            if (n < 0) {
                if (errno == EINTR) continue;
                throw RuntimeFailure("cannot read the journal " + path + ": " + std::strerror(errno));
            }
            if (n == 0) break;
            text.append(buffer, std::size_t(n));
        }
    }
    const auto header_end = text.find('\n');
    const std::string header = text.substr(0, header_end);
    if (header_end == std::string::npos || !header.starts_with(std::string(kJournalMagic) + " ")) {
        throw BadInput(path + " is not a retsim sweep journal (its first line is " + quoted(header.substr(0, 80)) +
                       "); use --force to start the sweep over");
    }
    const std::string expected = header_line(sweep);
    if (header + "\n" != expected) {
        throw BadInput(path + " belongs to a different sweep (journal: " + quoted(header) + ", this sweep: " +
                       quoted(expected.substr(0, expected.size() - 1)) +
                       "): the scenario text, --set overrides, design or replicates differ. Run the original "
                       "command again with --resume, or use --force to start over");
    }
    runs.assign(sweep.runs(), RunRecord{});
    std::size_t good_end = header_end + 1;
    std::size_t line_number = 1;
    for (std::size_t start = good_end; start < text.size();) {
        ++line_number;
        const auto end = text.find('\n', start);
        const bool complete = end != std::string::npos;
        const std::string_view line(text.data() + start, (complete ? end : text.size()) - start);
        auto parsed = complete ? parse_record_line(line, sweep.metrics.size()) : std::nullopt;
        const bool last = !complete || end + 1 == text.size();
        if (!parsed || parsed->first >= runs.size()) {
            // A process killed while writing leaves at most a cut last line: drop it.
            if (last) break;
            throw BadInput(path + ":" + std::to_string(line_number) + ": not a run record (" +
                           quoted(std::string(line.substr(0, 80))) + "); use --force to start the sweep over");
        }
        runs[parsed->first] = std::move(parsed->second);
        good_end = end + 1;
        start = end + 1;
    }
    if (good_end < text.size() && ::ftruncate(fd, off_t(good_end)) != 0) {
        throw RuntimeFailure("cannot cut the partial last line of the journal " + path + ": " + std::strerror(errno));
    }
    return journal;
}

SweepJournal::SweepJournal(SweepJournal&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

SweepJournal& SweepJournal::operator=(SweepJournal&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(other.path_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

SweepJournal::~SweepJournal() {
    if (fd_ >= 0) ::close(fd_);
}

void SweepJournal::append(std::size_t index, const RunRecord& record) {
    // One write per line: a killed process leaves whole lines and at most one cut last line.
    write_all(fd_, record_line(index, record), path_);
}

void SweepJournal::sync() {
    if (fd_ >= 0 && ::fdatasync(fd_) != 0) {
        throw RuntimeFailure("cannot flush the journal " + path_ + ": " + std::strerror(errno));
    }
}

void SweepJournal::remove() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    std::error_code ignored;
    fs::remove(path_, ignored);
}

// ---------------------------------------------------------------------------------------------
// Statistics

PointStatistics point_statistics(const Sweep& sweep, std::span<const RunRecord> runs) {
    const std::size_t points = sweep.points();
    const std::size_t metrics = sweep.metrics.size();
    PointStatistics s;
    s.ok.assign(points, 0);
    s.failed.assign(points, 0);
    s.mean.assign(metrics, std::vector<double>(points, kNaN));
    s.ci_low = s.mean;
    s.ci_high = s.mean;
    std::vector<double> sample;
    for (std::size_t p = 0; p < points; ++p) {
        for (std::size_t r = 0; r < sweep.replicates; ++r) {
            const RunStatus status = runs[p * sweep.replicates + r].status;
            s.ok[p] += status == RunStatus::Ok ? 1 : 0;
            s.failed[p] += status == RunStatus::Failed ? 1 : 0;
        }
        for (std::size_t m = 0; m < metrics; ++m) {
            sample.clear();
            // Replicate order: the same sums whatever order the runs finished in.
            for (std::size_t r = 0; r < sweep.replicates; ++r) {
                const RunRecord& record = runs[p * sweep.replicates + r];
                if (record.status == RunStatus::Ok) sample.push_back(record.values[m]);
            }
            if (sample.size() == 1) s.mean[m][p] = sample[0];
            if (sample.size() >= 2) {
                const Interval i = mean_t_interval(sample, kSweepConfidence);
                s.mean[m][p] = i.estimate;
                s.ci_low[m][p] = i.low;
                s.ci_high[m][p] = i.high;
            }
        }
    }
    return s;
}

std::vector<SobolIndices> sweep_sensitivity(const Sweep& sweep, const PointStatistics& points) {
    std::vector<SobolIndices> out;
    if (sweep.design.kind != DesignKind::Sobol) return out;
    const std::size_t k = sweep.design.factors.size();
    for (std::size_t m = 0; m < sweep.metrics.size(); ++m) {
        SobolIndices s;
        try {
            s = sobol_indices(sweep.design, points.mean[m], kSensitivityResamples, kSweepConfidence, kSensitivitySeed);
        } catch (const BadInput&) {
            s = SobolIndices{};
        }
        // Undefined indices (no complete block, or a metric that never changes) are NaN.
        for (auto* v : {&s.first, &s.first_low, &s.first_high, &s.total, &s.total_low, &s.total_high}) {
            if (v->size() != k) v->assign(k, kNaN);
        }
        if (!std::isfinite(s.variance) || s.variance <= 0) {
            for (auto* v : {&s.first, &s.first_low, &s.first_high, &s.total, &s.total_low, &s.total_high}) {
                v->assign(k, kNaN);
            }
        }
        s.resamples = kSensitivityResamples;
        out.push_back(std::move(s));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Running a sweep

std::string journal_path(const std::string& output) { return output + ".journal"; }

namespace {

constexpr int kTagRequest = 1;  // worker -> 0: "" (first request) or a record_line
constexpr int kTagAssign = 2;   // 0 -> worker: a run index
constexpr int kTagStop = 3;     // 0 -> worker: no more work

/// What the executors report to the driver; never called concurrently (local workers hold a lock).
struct Hooks {
    std::function<void(std::size_t, RunRecord&&)> record;
    std::function<void()> tick;
};

using Clock = std::chrono::steady_clock;
constexpr auto kTick = std::chrono::milliseconds(100);

bool stop_requested(const SweepOptions& o) { return o.stop != nullptr && o.stop->load(); }

std::size_t start_limit(const SweepOptions& o, std::size_t pending) {
    return o.stop_after > 0 ? std::min(o.stop_after, pending) : pending;
}

/// Runs `pending` on this process's threads: a oneTBB arena of `threads` slots pulls run indices
/// one by one (dynamic balance) and records each finished run under a lock (journal line at
/// once, no wake-up of another thread per run); this thread ticks about ten times a second.
void execute_local(const Sweep& sweep, const std::vector<std::size_t>& pending, const SweepOptions& o,
                   const Hooks& hooks) {
    const int available = tbb::info::default_concurrency();
    const int threads =
        std::max(1, std::min(o.threads > 0 ? o.threads : available, int(std::min<std::size_t>(pending.size(), 4096))));
    const std::size_t limit = start_limit(o, pending.size());

    std::mutex mutex;  // guards the hooks' state (records, journal, counts) and the fields below
    std::condition_variable cv;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> halt{false};
    bool all_done = false;
    std::exception_ptr error;
    const auto fail = [&](std::exception_ptr e) {
        if (!error) error = std::move(e);
        halt = true;
    };

    std::thread runner([&] {
        try {
            // More runs at once than cores only when asked: TBB's pool is sized to the cores.
            std::optional<tbb::global_control> control;
            if (threads > available) control.emplace(tbb::global_control::max_allowed_parallelism, std::size_t(threads));
            tbb::task_arena arena(threads);
            arena.execute([&] {
                // One task per worker (simple_partitioner: ranges of one), each taking runs
                // from the shared queue until it is empty.
                parallel_over(tbb::blocked_range<int>(0, threads, 1), [&](const tbb::blocked_range<int>&) {
                    while (!halt.load() && !stop_requested(o)) {
                        const std::size_t position = next.fetch_add(1);
                        if (position >= limit) break;
                        RunRecord record = run_sweep_index(sweep, pending[position], o.threads_per_run);
                        const std::lock_guard lock(mutex);
                        if (halt.load()) break;
                        try {
                            hooks.record(pending[position], std::move(record));
                        } catch (...) {
                            fail(std::current_exception());
                        }
                    }
                }, tbb::simple_partitioner{});
            });
        } catch (...) {
            const std::lock_guard lock(mutex);
            fail(std::current_exception());
        }
        const std::lock_guard lock(mutex);
        all_done = true;
        cv.notify_one();
    });

    while (true) {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, kTick, [&] { return all_done; });
        if (!halt.load()) {
            try {
                hooks.tick();
            } catch (...) {
                // Stop starting runs; the error is thrown once the running ones are done.
                fail(std::current_exception());
            }
        }
        if (all_done) break;
    }
    runner.join();
    if (error) std::rethrow_exception(error);
}

/// Rank 0 of an MPI job: hands out run indices to ranks 1..N-1 on request and records what they
/// send back. Every worker gets a stop message before this returns or throws.
void execute_mpi(const Sweep& sweep, const std::vector<std::size_t>& pending, const SweepOptions& o,
                 const Hooks& hooks, std::vector<bool>& stopped) {
    const std::size_t limit = start_limit(o, pending.size());
    std::size_t next = 0;
    int working = mpi::size() - 1;
    std::size_t in_flight = 0;
    auto last_tick = Clock::now();
    while (working > 0) {
        std::optional<mpi::Message> m = mpi::try_receive(mpi::kAnySource, kTagRequest);
        if (!m) {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        } else {
            if (!m->bytes.empty()) {
                auto parsed = parse_record_line(m->bytes, sweep.metrics.size());
                if (!parsed || parsed->first >= sweep.runs()) {
                    throw RuntimeFailure("MPI: rank " + std::to_string(m->source) + " sent a malformed run record");
                }
                --in_flight;
                hooks.record(parsed->first, std::move(parsed->second));
            }
            if (!stop_requested(o) && next < limit) {
                mpi::send(m->source, kTagAssign, std::to_string(pending[next++]));
                ++in_flight;
            } else {
                mpi::send(m->source, kTagStop, "");
                stopped[std::size_t(m->source)] = true;
                --working;
            }
        }
        if (Clock::now() - last_tick >= kTick) {
            hooks.tick();
            last_tick = Clock::now();
        }
    }
    (void)in_flight;
}

/// Sends stop to every worker rank not yet stopped (on errors), so that none waits forever.
void stop_workers(std::vector<bool>& stopped) {
    for (int r = 1; r < int(stopped.size()); ++r) {
        if (stopped[std::size_t(r)]) continue;
        stopped[std::size_t(r)] = true;
        try {
            mpi::send(r, kTagStop, "");
        } catch (const RuntimeFailure&) {
            // The job is failing already; the first error is the one reported.
        }
    }
}

}  // namespace

SweepCounts run_sweep(const Sweep& sweep, const SweepOptions& o) {
    const bool coordinator = mpi::active() && mpi::size() > 1;
    std::vector<bool> stopped(std::size_t(coordinator ? mpi::size() : 1), false);
    try {
        if (o.output.empty()) throw BadInput("no output file given (-o)");
        const std::string journal_file = journal_path(o.output);
        std::error_code ec;
        const bool journal_exists = fs::exists(fs::symlink_status(journal_file, ec));
        const bool output_exists = fs::exists(fs::symlink_status(o.output, ec));
        if (journal_exists && journal_in_use(journal_file)) {
            throw BadInput(journal_file + " is locked: another retsim sweep is writing " + o.output +
                           " now; wait for it to finish or stop it first");
        }
        if (!o.resume && !o.force) {
            if (journal_exists) {
                throw BadInput(journal_file + " exists: a sweep writing " + o.output +
                               " was interrupted. Add --resume to continue it, or --force to start over");
            }
            if (output_exists) throw BadInput(o.output + " exists; use --force to overwrite it or -o to choose another name");
        }
        fs::path directory = fs::path(o.output).parent_path();
        if (directory.empty()) directory = ".";
        if (!fs::is_directory(directory, ec)) {
            throw BadInput("cannot write " + o.output + ": directory " + directory.string() + " does not exist");
        }
        if (!(o.checkpoint_seconds >= 0) || !std::isfinite(o.checkpoint_seconds)) {
            throw BadInput("--checkpoint-seconds must be a number >= 0");
        }

        std::vector<RunRecord> runs(sweep.runs());
        SweepJournal journal = o.resume ? SweepJournal::resume(journal_file, sweep, runs)
                                        : SweepJournal::create(journal_file, sweep);
        SweepCounts counts;
        counts.total = sweep.runs();
        std::vector<std::size_t> pending;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            if (runs[i].status == RunStatus::NotRun) {
                pending.push_back(i);
            } else {
                ++counts.done;
                counts.failed += runs[i].status == RunStatus::Failed ? 1 : 0;
            }
        }
        counts.resumed = counts.done;

        SweepMetadata meta = o.meta;
        const auto write_file = [&] {
            meta.created_utc = utc_timestamp();
            write_sweep_file(o.output, sweep, runs, meta);
        };
        auto last_checkpoint = Clock::now();
        bool unsaved = !pending.empty() || !output_exists || !o.resume;
        Hooks hooks;
        hooks.record = [&](std::size_t index, RunRecord&& record) {
            if (runs[index].status != RunStatus::NotRun) return;  // already recorded
            if (record.status == RunStatus::Ok && record.values.size() != sweep.metrics.size()) {
                throw RuntimeFailure("run " + std::to_string(index) + " reported " +
                                     std::to_string(record.values.size()) + " metrics, expected " +
                                     std::to_string(sweep.metrics.size()));
            }
            journal.append(index, record);
            ++counts.done;
            counts.failed += record.status == RunStatus::Failed ? 1 : 0;
            runs[index] = std::move(record);
            unsaved = true;
        };
        hooks.tick = [&] {
            if (o.on_progress) o.on_progress(counts);
            const auto now = Clock::now();
            if (unsaved && std::chrono::duration<double>(now - last_checkpoint).count() >= o.checkpoint_seconds) {
                journal.sync();
                write_file();
                unsaved = false;
                last_checkpoint = Clock::now();
            }
        };

        if (!pending.empty()) {
            if (coordinator) {
                execute_mpi(sweep, pending, o, hooks, stopped);
            } else {
                execute_local(sweep, pending, o, hooks);
            }
        } else if (coordinator) {
            execute_mpi(sweep, pending, o, hooks, stopped);  // only tells the workers to stop
        }
        journal.sync();
        write_file();
        for (std::size_t i = 0; i < runs.size(); ++i) {
            if (runs[i].status != RunStatus::Failed) continue;
            counts.first_failure = "run " + std::to_string(i) + " (point " + std::to_string(i / sweep.replicates) +
                                   ", replicate " + std::to_string(i % sweep.replicates) + "): " + runs[i].error;
            break;
        }
        if (o.on_progress) o.on_progress(counts);
        if (counts.done == counts.total && !o.keep_journal) journal.remove();
        return counts;
    } catch (...) {
        if (coordinator) stop_workers(stopped);
        throw;
    }
}

void serve_sweep_worker(const Sweep& sweep, int threads_per_run) {
    mpi::send(0, kTagRequest, "");
    while (true) {
        const mpi::Message m = mpi::receive(0, mpi::kAnyTag);
        if (m.tag != kTagAssign) return;
        std::size_t index = 0;
        const auto r = std::from_chars(m.bytes.data(), m.bytes.data() + m.bytes.size(), index);
        if (r.ec != std::errc() || index >= sweep.runs()) {
            throw RuntimeFailure("MPI: rank 0 sent a malformed run index " + quoted(m.bytes));
        }
        mpi::send(0, kTagRequest, record_line(index, run_sweep_index(sweep, index, threads_per_run)));
    }
}

}  // namespace retsim
