// HDF5 output: a small hand-made RunResult is written, read back with the HDF5 C API and
// checked value by value; refusals (existing file, missing directory, bad sizes) leave no file.
#include <hdf5.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/lifecycle.hpp"
#include "sim/output.hpp"
#include "sim/problems.hpp"
#include "sim/result.hpp"

namespace fs = std::filesystem;
using namespace retsim;

namespace {

constexpr std::size_t kSteps = 3;
constexpr std::size_t kGroups = 2;
constexpr std::size_t kCells = kStageCount * kTruthCount;

/// A unique, empty directory, removed with everything in it at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        static std::atomic<int> counter{0};
        path = fs::temp_directory_path() /
               ("retsim_test_output_" + std::to_string(::getpid()) + "_" +
                std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] std::string file(const char* name) const { return (path / name).string(); }
    [[nodiscard]] std::vector<std::string> entries() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename());
        return names;
    }
};

/// A consistent three-step result: two cohort groups (initial base of 3, one acquired cohort
/// of 2 from channel 0), so every identity of the layout holds.
RunResult make_result(bool with_customers) {
    RunResult r;
    r.steps = kSteps;
    r.step_days = 7;

    CohortTable& c = r.cohorts;
    c.cohort = {0, 1};
    c.channel = {-1, 0};
    c.start_day = {0, 7};
    c.customers = {3, 2};
    c.acquisition_cost_cents = {0, 1000};
    c.cac_cents = {0, 500};
    c.revenue_cents = {900000, 334567};
    c.alive = {3, 3, 2, 0, 2, 1};
    c.active = {3, 3, 2, 0, 2, 2};
    c.purchases_by_step = {4, 2, 1, 0, 3, 1};
    c.margin_by_step_cents = {200000, 150000, 90000, 0, 110000, 67283};
    c.margin_cents = {440000, 177283};
    c.realised_clv_cents = {146000.5, 88000.25};
    const std::int64_t members[kGroups][kSteps] = {{3, 3, 3}, {0, 2, 2}};
    c.stage_by_truth.assign(kGroups * kSteps * kCells, 0);
    for (std::size_t g = 0; g < kGroups; ++g) {
        for (std::size_t s = 0; s < kSteps; ++s) {
            const std::int64_t alive = c.alive[g * kSteps + s];
            const std::size_t base = (g * kSteps + s) * kCells;
            c.stage_by_truth[base + std::size_t(Stage::Active) * kTruthCount + 0] = alive;
            c.stage_by_truth[base + std::size_t(Stage::Lapsed) * kTruthCount + 1] =
                members[g][s] - alive;
        }
    }

    TimeSeries& ts = r.series;
    ts.time_days = {7, 14, 21};
    ts.customers = {3, 5, 5};
    ts.acquired = {0, 2, 0};
    ts.stage_counts.assign(kSteps * kStageCount, 0);
    ts.stage_by_truth.assign(kSteps * kCells, 0);
    for (std::size_t s = 0; s < kSteps; ++s) {
        std::int64_t alive = 0;
        std::int64_t purchases = 0;
        std::int64_t margin = 0;
        for (std::size_t g = 0; g < kGroups; ++g) {
            alive += c.alive[g * kSteps + s];
            purchases += c.purchases_by_step[g * kSteps + s];
            margin += c.margin_by_step_cents[g * kSteps + s];
            for (std::size_t k = 0; k < kCells; ++k) {
                const std::int64_t n = c.stage_by_truth[(g * kSteps + s) * kCells + k];
                ts.stage_by_truth[s * kCells + k] += n;
                ts.stage_counts[s * kStageCount + k / kTruthCount] += n;
            }
        }
        ts.alive.push_back(alive);
        ts.purchases.push_back(purchases);
        ts.margin_cents.push_back(margin);
    }
    ts.repeat_purchases = {1, 3, 2};
    ts.revenue_cents = {600000, 500000, 134567};
    ts.acquisition_cost_cents = {0, 1000, 0};
    ts.fixed_cost_cents = {50, 50, 50};
    ts.discount_factor = {0.999, 0.998, 0.997};
    for (std::size_t s = 0; s < kSteps; ++s) {
        ts.profit_cents.push_back(ts.margin_cents[s] - ts.acquisition_cost_cents[s] -
                                  ts.fixed_cost_cents[s]);
        ts.discounted_profit_cents.push_back(double(ts.profit_cents[s]) * ts.discount_factor[s]);
    }

    ChannelTable& ch = r.channels;
    ch.name = {"search"};
    ch.spend_cents = {1000};
    ch.acquired = {2};
    ch.cac_cents = {500};
    ch.margin_cents = {177283};
    ch.discounted_margin_cents = {176900.5};
    ch.roi = {(176900.5 - 1000) / 1000};

    Summary& sm = r.summary;
    sm.customers = 5;
    sm.initial_customers = 3;
    sm.acquired_customers = 2;
    sm.alive_at_end = ts.alive.back();
    sm.purchases = 11;
    sm.repeat_purchases = 6;
    sm.revenue_cents = 1234567;
    sm.margin_cents = 617283;
    sm.acquisition_cost_cents = 1000;
    sm.fixed_cost_cents = 150;
    sm.profit_cents = 617283 - 1000 - 150;
    sm.discounted_profit_cents = 0;
    for (double d : ts.discounted_profit_cents) sm.discounted_profit_cents += d;
    sm.cac_cents = 500;
    sm.mean_spend_cents = 1234567.0 / 11;
    sm.customer_days = 91;
    sm.wall_seconds = 0.0125;
    sm.threads = 2;

    r.model_parameters = {{"purchase.r", 0.243}, {"spend.p", 6.25}};

    if (with_customers) {
        Population p;
        p.resize_common(5);
        p.lambda_per_day = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f};
        p.dropout_p = {0.01f, 0.02f, 0.03f, 0.04f, 0.05f};
        p.spend_rate = {0.5f, 0.25f, 0.125f, 1.0f, 2.0f};
        for (std::size_t i = 0; i < 5; ++i) {
            p.key[i] = 1000 + i;
            p.death_day[i] = i == 4 ? 12.5f : INFINITY;
            p.next_event_day[i] = 22.0f + float(i);
            p.birth_day[i] = i < 3 ? 0.0f : 8.0f;
            p.last_purchase_day[i] = 20.0f - float(i);
            p.repeat_purchases[i] = std::uint32_t(i);
            p.spend_cents[i] = 100000 * std::int64_t(i + 1);
            p.stage[i] = i == 4 ? Stage::Lapsed : Stage::Active;
            p.stage_since_day[i] = 7.0f;
            p.review_day[i] = 90.0f;
        }
        sm.bytes_per_customer = p.bytes_per_customer();
        r.customers = std::move(p);
        r.customer_cohort = {0, 0, 0, 1, 1};
        r.customer_channel = {-1, -1, -1, 0, 0};
    }
    return r;
}

RunMetadata make_metadata() {
    RunMetadata m;
    m.program_version = "0.1.0";
    m.git_commit = "abc123def456";
    m.scenario_name = "scenarios/test.toml";
    m.scenario_text = "# Question: does the output layout hold?\n[run]\ncustomers = 5\n";
    m.overrides = {"run.seed=7", "run.horizon_days=21"};
    m.seed = 7;
    m.replicate = 3;
    m.threads = 2;
    m.created_utc = "2026-01-02T03:04:05Z";
    return m;
}

// ---- Reading back with the plain C API, as any other HDF5 program would.

/// Owns an HDF5 identifier in the tests.
class Id {
public:
    Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) { REQUIRE(id_ >= 0); }
    Id(Id&& other) noexcept
        : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
    Id(const Id&) = delete;
    Id& operator=(const Id&) = delete;
    Id& operator=(Id&&) = delete;
    ~Id() {
        if (id_ >= 0) closer_(id_);
    }
    operator hid_t() const { return id_; }  // NOLINT(google-explicit-constructor)

private:
    hid_t id_;
    herr_t (*closer_)(hid_t);
};

Id open_file(const std::string& path) {
    return Id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
}

std::vector<hsize_t> dims_of(hid_t file, const char* name) {
    Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    Id space(H5Dget_space(dataset), H5Sclose);
    std::vector<hsize_t> dims(std::size_t(H5Sget_simple_extent_ndims(space)));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    return dims;
}

template <class T>
std::vector<T> read_values(hid_t file, const char* name, hid_t memory_type) {
    Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    Id space(H5Dget_space(dataset), H5Sclose);
    std::vector<T> values(std::size_t(H5Sget_simple_extent_npoints(space)));
    REQUIRE(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    return values;
}

std::vector<std::int64_t> read_i64(hid_t file, const char* name) {
    return read_values<std::int64_t>(file, name, H5T_NATIVE_INT64);
}
std::vector<double> read_f64(hid_t file, const char* name) {
    return read_values<double>(file, name, H5T_NATIVE_DOUBLE);
}

Id vlen_string() {
    Id type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

/// Strings of a string attribute (scalar or 1-D) of the object at `object_name`.
std::vector<std::string> read_string_attribute(hid_t file, const char* object_name,
                                               const char* name) {
    Id attribute(H5Aopen_by_name(file, object_name, name, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    Id space(H5Aget_space(attribute), H5Sclose);
    Id file_type(H5Aget_type(attribute), H5Tclose);
    REQUIRE(H5Tis_variable_str(file_type) > 0);
    REQUIRE(H5Tget_cset(file_type) == H5T_CSET_UTF8);
    Id type = vlen_string();
    std::vector<char*> pointers(std::size_t(H5Sget_simple_extent_npoints(space)), nullptr);
    REQUIRE(H5Aread(attribute, type, pointers.data()) >= 0);
    std::vector<std::string> values(pointers.begin(), pointers.end());
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
    return values;
}

std::string root_string(hid_t file, const char* name) {
    const std::vector<std::string> values = read_string_attribute(file, "/", name);
    REQUIRE(values.size() == 1);
    return values[0];
}

template <class T>
T root_scalar(hid_t file, const char* name, hid_t memory_type) {
    Id attribute(H5Aopen(file, name, H5P_DEFAULT), H5Aclose);
    T value{};
    REQUIRE(H5Aread(attribute, memory_type, &value) >= 0);
    return value;
}

std::vector<std::string> read_string_dataset(hid_t file, const char* name) {
    Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    Id space(H5Dget_space(dataset), H5Sclose);
    Id type = vlen_string();
    std::vector<char*> pointers(std::size_t(H5Sget_simple_extent_npoints(space)), nullptr);
    REQUIRE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) >= 0);
    std::vector<std::string> values(pointers.begin(), pointers.end());
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, pointers.data());
    return values;
}

/// A population column as a plain vector, to compare with what was read back.
template <class T, class A>
std::vector<T> plain(const std::vector<T, A>& column) {
    return std::vector<T>(column.begin(), column.end());
}

bool exists_in(hid_t file, const char* name) { return H5Lexists(file, name, H5P_DEFAULT) > 0; }

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string failure_message(const std::string& path) {
    try {
        (void)describe_result_file(path);
    } catch (const RuntimeFailure& e) {
        return e.what();
    }
    FAIL("describe_result_file did not throw RuntimeFailure for " << path);
    return {};
}

}  // namespace

TEST_CASE("output: root attributes carry the provenance", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    write_result(path, make_result(false), make_metadata(), false);

    Id file = open_file(path);
    CHECK(root_string(file, "format_version") == kFormatVersion);
    CHECK(root_string(file, "program") == "retsim");
    CHECK(root_string(file, "program_version") == "0.1.0");
    CHECK(root_string(file, "git_commit") == "abc123def456");
    CHECK(root_string(file, "scenario_name") == "scenarios/test.toml");
    CHECK(root_string(file, "scenario_text") == make_metadata().scenario_text);
    CHECK(root_string(file, "overrides") == "run.seed=7\nrun.horizon_days=21");
    CHECK(root_string(file, "created_utc") == "2026-01-02T03:04:05Z");
    CHECK(root_scalar<std::uint64_t>(file, "seed", H5T_NATIVE_UINT64) == 7);
    CHECK(root_scalar<std::uint64_t>(file, "replicate", H5T_NATIVE_UINT64) == 3);
    CHECK(root_scalar<std::int32_t>(file, "threads", H5T_NATIVE_INT32) == 2);
    CHECK(root_scalar<double>(file, "step_days", H5T_NATIVE_DOUBLE) == 7.0);
    CHECK(root_scalar<std::uint64_t>(file, "steps", H5T_NATIVE_UINT64) == kSteps);
}

TEST_CASE("output: time series, cohorts and channels round-trip with their shapes", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    const RunResult r = make_result(false);
    write_result(path, r, make_metadata(), false);

    Id file = open_file(path);
    CHECK(read_f64(file, "/time_series/time_days") == r.series.time_days);
    CHECK(read_i64(file, "/time_series/customers") == r.series.customers);
    CHECK(read_i64(file, "/time_series/acquired") == r.series.acquired);
    CHECK(read_i64(file, "/time_series/alive") == r.series.alive);
    CHECK(read_i64(file, "/time_series/purchases") == r.series.purchases);
    CHECK(read_i64(file, "/time_series/repeat_purchases") == r.series.repeat_purchases);
    CHECK(read_i64(file, "/time_series/revenue_cents") == r.series.revenue_cents);
    CHECK(read_i64(file, "/time_series/margin_cents") == r.series.margin_cents);
    CHECK(read_i64(file, "/time_series/acquisition_cost_cents") ==
          r.series.acquisition_cost_cents);
    CHECK(read_i64(file, "/time_series/fixed_cost_cents") == r.series.fixed_cost_cents);
    CHECK(read_i64(file, "/time_series/profit_cents") == r.series.profit_cents);
    CHECK(read_f64(file, "/time_series/discount_factor") == r.series.discount_factor);
    CHECK(read_f64(file, "/time_series/discounted_profit_cents") ==
          r.series.discounted_profit_cents);
    CHECK(dims_of(file, "/time_series/customers") == std::vector<hsize_t>{kSteps});
    CHECK(dims_of(file, "/time_series/stage_counts") ==
          std::vector<hsize_t>{kSteps, kStageCount});
    CHECK(read_i64(file, "/time_series/stage_counts") == r.series.stage_counts);
    CHECK(dims_of(file, "/time_series/stage_by_truth") ==
          std::vector<hsize_t>{kSteps, kStageCount, kTruthCount});
    CHECK(read_i64(file, "/time_series/stage_by_truth") == r.series.stage_by_truth);

    const std::vector<std::string> stage_names(kStageNames.begin(), kStageNames.end());
    const std::vector<std::string> truth_names(kTruthNames.begin(), kTruthNames.end());
    CHECK(read_string_attribute(file, "/time_series/stage_counts", "stage_names") ==
          stage_names);
    CHECK(read_string_attribute(file, "/time_series/stage_by_truth", "stage_names") ==
          stage_names);
    CHECK(read_string_attribute(file, "/time_series/stage_by_truth", "truth_names") ==
          truth_names);
    CHECK(read_string_attribute(file, "/time_series/revenue_cents", "units") ==
          std::vector<std::string>{"cents"});
    CHECK(read_string_attribute(file, "/time_series/time_days", "units") ==
          std::vector<std::string>{"days"});
    CHECK(!read_string_attribute(file, "/time_series/alive", "description")[0].empty());

    CHECK(read_values<std::int32_t>(file, "/cohorts/cohort", H5T_NATIVE_INT32) ==
          r.cohorts.cohort);
    CHECK(read_values<std::int32_t>(file, "/cohorts/channel", H5T_NATIVE_INT32) ==
          r.cohorts.channel);
    CHECK(read_f64(file, "/cohorts/start_day") == r.cohorts.start_day);
    CHECK(read_i64(file, "/cohorts/customers") == r.cohorts.customers);
    CHECK(read_f64(file, "/cohorts/realised_clv_cents") == r.cohorts.realised_clv_cents);
    CHECK(dims_of(file, "/cohorts/alive") == std::vector<hsize_t>{kGroups, kSteps});
    CHECK(read_i64(file, "/cohorts/alive") == r.cohorts.alive);
    CHECK(read_i64(file, "/cohorts/margin_by_step_cents") == r.cohorts.margin_by_step_cents);
    CHECK(dims_of(file, "/cohorts/stage_by_truth") ==
          std::vector<hsize_t>{kGroups, kSteps, kStageCount, kTruthCount});
    CHECK(read_i64(file, "/cohorts/stage_by_truth") == r.cohorts.stage_by_truth);

    CHECK(read_string_dataset(file, "/channels/name") == r.channels.name);
    CHECK(read_i64(file, "/channels/spend_cents") == r.channels.spend_cents);
    CHECK(read_f64(file, "/channels/roi") == r.channels.roi);
}

TEST_CASE("output: summary scalars and model parameters", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    const RunResult r = make_result(false);
    write_result(path, r, make_metadata(), false);

    Id file = open_file(path);
    CHECK(dims_of(file, "/summary/profit_cents").empty());
    CHECK(read_i64(file, "/summary/profit_cents") ==
          std::vector<std::int64_t>{r.summary.profit_cents});
    CHECK(read_i64(file, "/summary/revenue_cents") == std::vector<std::int64_t>{1234567});
    CHECK(read_i64(file, "/summary/customers") == std::vector<std::int64_t>{5});
    CHECK(read_f64(file, "/summary/mean_spend_cents") ==
          std::vector<double>{r.summary.mean_spend_cents});
    CHECK(read_i64(file, "/summary/threads") == std::vector<std::int64_t>{2});
    CHECK(read_string_attribute(file, "/summary/profit_cents", "units") ==
          std::vector<std::string>{"cents"});
    CHECK(read_string_dataset(file, "/model/parameter_names") ==
          std::vector<std::string>{"purchase.r", "spend.p"});
    CHECK(read_f64(file, "/model/parameter_values") == std::vector<double>{0.243, 6.25});
}

TEST_CASE("output: customers are stored only when requested, compressed", "[unit]") {
    TempDir dir;
    SECTION("without customers there is no /customers group") {
        const std::string path = dir.file("no_customers.h5");
        write_result(path, make_result(false), make_metadata(), false);
        Id file = open_file(path);
        CHECK_FALSE(exists_in(file, "customers"));
    }
    SECTION("with customers every used column is written") {
        const std::string path = dir.file("customers.h5");
        const RunResult r = make_result(true);
        write_result(path, r, make_metadata(), false);
        Id file = open_file(path);
        REQUIRE(exists_in(file, "customers"));
        CHECK(read_values<std::uint64_t>(file, "/customers/key", H5T_NATIVE_UINT64) ==
              plain(r.customers->key));
        CHECK(read_values<float>(file, "/customers/lambda_per_day", H5T_NATIVE_FLOAT) ==
              plain(r.customers->lambda_per_day));
        const std::vector<float> death =
            read_values<float>(file, "/customers/death_day", H5T_NATIVE_FLOAT);
        CHECK(std::isinf(death[0]));
        CHECK(death[4] == 12.5f);
        CHECK(read_i64(file, "/customers/spend_cents") == plain(r.customers->spend_cents));
        CHECK(read_values<std::uint32_t>(file, "/customers/repeat_purchases",
                                         H5T_NATIVE_UINT32) ==
              plain(r.customers->repeat_purchases));
        CHECK(read_values<std::uint8_t>(file, "/customers/stage", H5T_NATIVE_UINT8) ==
              std::vector<std::uint8_t>{1, 1, 1, 1, 2});
        CHECK(read_string_attribute(file, "/customers/stage", "stage_names").size() ==
              kStageCount);
        CHECK(read_values<std::int32_t>(file, "/customers/cohort", H5T_NATIVE_INT32) ==
              r.customer_cohort);
        CHECK(read_values<std::int32_t>(file, "/customers/channel", H5T_NATIVE_INT32) ==
              r.customer_channel);
        // Columns the behaviour model does not use are empty and not written.
        CHECK_FALSE(exists_in(file, "/customers/churn_theta"));

        Id stage(H5Dopen2(file, "/customers/stage", H5P_DEFAULT), H5Dclose);
        Id type(H5Dget_type(stage), H5Tclose);
        CHECK(H5Tget_size(type) == 1);
        CHECK(H5Tget_sign(type) == H5T_SGN_NONE);
        Id key(H5Dopen2(file, "/customers/key", H5P_DEFAULT), H5Dclose);
        Id dcpl(H5Dget_create_plist(key), H5Pclose);
        CHECK(H5Pget_layout(dcpl) == H5D_CHUNKED);
        CHECK(H5Pget_nfilters(dcpl) == 2);  // shuffle + deflate
    }
}

TEST_CASE("output: a scenario text over 64 KiB is stored whole", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    RunMetadata meta = make_metadata();
    meta.scenario_text.clear();
    while (meta.scenario_text.size() < 100000) meta.scenario_text += "# a long comment line\n";
    write_result(path, make_result(false), meta, false);
    Id file = open_file(path);
    CHECK(root_string(file, "scenario_text") == meta.scenario_text);
}

TEST_CASE("output: an existing file is kept unless overwrite is asked for", "[input]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    {
        std::ofstream old(path);
        old << "old contents";
    }
    SECTION("without overwrite: BadInput, old file untouched, no temporary left") {
        try {
            write_result(path, make_result(false), make_metadata(), false);
            FAIL("write_result did not refuse an existing file");
        } catch (const BadInput& e) {
            CHECK_THAT(e.what(), Catch::Contains(path) && Catch::Contains("--force"));
        }
        CHECK(read_text(path) == "old contents");
        CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
    }
    SECTION("with overwrite: replaced by the result") {
        write_result(path, make_result(false), make_metadata(), true);
        Id file = open_file(path);
        CHECK(root_string(file, "format_version") == kFormatVersion);
        CHECK(dir.entries() == std::vector<std::string>{"run.h5"});
    }
}

TEST_CASE("output: writing into a missing directory fails and leaves no file", "[input]") {
    TempDir dir;
    const std::string path = dir.file("missing/run.h5");
    try {
        write_result(path, make_result(true), make_metadata(), false);
        FAIL("write_result did not fail");
    } catch (const RuntimeFailure& e) {
        CHECK_THAT(e.what(), Catch::Contains(path));
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("output: a result with mismatched column lengths is refused before writing",
          "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    RunResult r = make_result(true);
    SECTION("time series") {
        r.series.margin_cents.pop_back();
        try {
            write_result(path, r, make_metadata(), false);
            FAIL("write_result did not fail");
        } catch (const RuntimeFailure& e) {
            CHECK_THAT(e.what(), Catch::Contains("time_series/margin_cents"));
        }
    }
    SECTION("customer column") {
        r.customer_channel.push_back(0);
        CHECK_THROWS_AS(write_result(path, r, make_metadata(), false), RuntimeFailure);
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("output: describe refuses files that are not retsim results", "[input]") {
    TempDir dir;
    SECTION("missing file") {
        const std::string path = dir.file("absent.h5");
        CHECK_THAT(failure_message(path), Catch::Contains(path));
    }
    SECTION("not HDF5") {
        const std::string path = dir.file("notes.h5");
        std::ofstream(path) << "just text, not HDF5\n";
        CHECK_THAT(failure_message(path), Catch::Contains(path) && Catch::Contains("HDF5"));
    }
    SECTION("HDF5 without format_version") {
        const std::string path = dir.file("other.h5");
        {
            Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        }
        CHECK_THAT(failure_message(path), Catch::Contains("not a retsim result"));
    }
}

TEST_CASE("output: describe shows provenance, datasets and the summary", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    write_result(path, make_result(true), make_metadata(), false);
    const std::string text = describe_result_file(path);
    CHECK_THAT(text, Catch::Contains("0.1.0") && Catch::Contains("abc123def456"));
    CHECK_THAT(text, Catch::Contains("scenarios/test.toml"));
    CHECK_THAT(text, Catch::Contains("seed") && Catch::Contains("replicate 3"));
    CHECK_THAT(text, Catch::Contains("stored (5 rows)"));
    CHECK_THAT(text, Catch::Contains("/time_series/stage_by_truth"));
    CHECK_THAT(text, Catch::Contains("[3, 6, 2]"));
    CHECK_THAT(text, Catch::Contains("revenue") && Catch::Contains("12,345.67"));
    CHECK_THAT(text, Catch::Contains("profit") && Catch::Contains("6,161.33"));
    CHECK_THAT(text, Catch::Contains("spend.p"));

    const std::string without = dir.file("bare.h5");
    write_result(without, make_result(false), make_metadata(), false);
    CHECK_THAT(describe_result_file(without), Catch::Contains("not stored"));
}
