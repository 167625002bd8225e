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

#include "sim/describe.hpp"
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

constexpr std::size_t kStrategies = 2;

/// Two strategies over kSteps steps whose costs and points add up: a stamp card (reward
/// program with fees and a rebate) and a win-back campaign without a holdout (its incremental
/// figures NaN).
StrategyTable make_strategies() {
    const double nan = std::nan("");
    StrategyTable t;
    t.name = {"stamp_card", "win_back"};
    t.kind = {"reward", "win_back"};
    t.candidates = {40, 12};
    t.held_out = {8, 0};
    t.contacts = {30, 5};
    t.contacts_on_gone = {2, 3};
    t.responses = {18, 2};
    t.revived = {0, 1};
    t.unsubscribed = {0, 1};
    t.contact_cost_cents = {0, 500};
    t.incentive_cost_cents = {0, 1000};
    t.redemption_cost_cents = {350, 0};
    t.rebate_cost_cents = {40, 0};
    t.fixed_cost_cents = {150, 0};
    t.cost_cents = {540, 1500};
    t.spent_on_gone_cents = {0, 300};
    t.fee_income_cents = {60, 0};
    // Rewards of 5 points at 50 cents: 7 redeemed (3 in step 1, 4 in step 2).
    t.points_issued = {44, 0};
    t.points_redeemed = {35, 0};
    t.points_expired = {4, 0};
    t.points_outstanding = {5, 0};
    t.rewards_redeemed = {7, 0};
    t.members = {18, 0};
    t.liability_cents = {5 * 50.0 / 5, 0};
    t.breakage_fraction = {4.0 / 39.0, nan};
    t.treated = {30, 5};
    t.control = {8, 0};
    t.treated_revenue_per_customer_cents = {2500.5, 1200};
    t.control_revenue_per_customer_cents = {2100.25, nan};
    t.incremental_margin_cents = {(2500.5 - 2100.25) * 30 * 0.5, nan};
    t.incremental_margin_low_cents = {-1200.75, nan};
    t.incremental_margin_high_cents = {13207.5, nan};
    const auto roi = [](double m) { return (m + 60 - 540) / 540; };
    t.roi = {roi(t.incremental_margin_cents[0]), nan};
    t.roi_low = {roi(-1200.75), nan};
    t.roi_high = {roi(13207.5), nan};
    t.incremental_retained = {2.5, nan};
    t.cost_per_retained_cents = {540 / 2.5, nan};
    t.payback_days = {14, nan};
    t.cost_by_step_cents = {50, 200, 290, 0, 800, 700};
    t.contacts_by_step = {20, 6, 4, 0, 3, 2};
    t.responses_by_step = {12, 4, 2, 0, 1, 1};
    t.members_by_step = {0, 12, 18, 0, 0, 0};
    t.points_outstanding_by_step = {0, 9, 5, 0, 0, 0};
    t.liability_by_step_cents = {0, 9 * 50.0 / 5, 5 * 50.0 / 5, 0, 0, 0};
    t.incremental_margin_by_step_cents = {nan, 3000.25, t.incremental_margin_cents[0], nan, nan,
                                          nan};
    return t;
}

/// A consistent three-step result: two cohort groups (initial base of 3, one acquired cohort
/// of 2 from channel 0) and two strategies, so every identity of the layout holds.
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
    r.strategies = make_strategies();
    ts.strategy_cost_cents.assign(kSteps, 0);
    for (std::size_t k = 0; k < kStrategies; ++k) {
        for (std::size_t s = 0; s < kSteps; ++s) {
            ts.strategy_cost_cents[s] += r.strategies.cost_by_step_cents[k * kSteps + s];
        }
    }
    ts.fee_income_cents = {0, 30, 30};
    ts.service_failures = {5, 7, 2};
    ts.complaints = {1, 3, 0};
    ts.started_considering = {2, 0, 1};
    ts.started_switching = {0, 1, 0};
    ts.departures = {0, 0, 1};
    ts.risk_signals = {1, 1, 0};
    for (std::size_t s = 0; s < kSteps; ++s) {
        ts.profit_cents.push_back(ts.margin_cents[s] + ts.fee_income_cents[s] -
                                  ts.acquisition_cost_cents[s] - ts.fixed_cost_cents[s] -
                                  ts.strategy_cost_cents[s]);
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
    sm.strategy_cost_cents = 2040;
    sm.fee_income_cents = 60;
    sm.profit_cents = 617283 + 60 - 1000 - 150 - 2040;
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
        p.resize_common(0, 5);
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

/// Equal element by element, NaN equal to NaN (undefined figures are stored as NaN).
bool same_values(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
    }
    return true;
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
template <class T>
std::vector<T> plain(const Column<T>& column) {
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
    CHECK(std::string(kFormatVersion) == "1.1");  // 1.1 added /strategies and strategy money
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
    CHECK(read_i64(file, "/time_series/strategy_cost_cents") == r.series.strategy_cost_cents);
    CHECK(read_i64(file, "/time_series/fee_income_cents") == r.series.fee_income_cents);
    CHECK(read_i64(file, "/time_series/service_failures") == r.series.service_failures);
    CHECK(read_i64(file, "/time_series/complaints") == r.series.complaints);
    CHECK(read_i64(file, "/time_series/started_considering") == r.series.started_considering);
    CHECK(read_i64(file, "/time_series/started_switching") == r.series.started_switching);
    CHECK(read_i64(file, "/time_series/departures") == r.series.departures);
    CHECK(read_i64(file, "/time_series/risk_signals") == r.series.risk_signals);
    CHECK(read_i64(file, "/time_series/profit_cents") == r.series.profit_cents);
    CHECK(dims_of(file, "/time_series/strategy_cost_cents") == std::vector<hsize_t>{kSteps});
    CHECK(read_string_attribute(file, "/time_series/fee_income_cents", "units") ==
          std::vector<std::string>{"cents"});
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
    CHECK(read_i64(file, "/summary/strategy_cost_cents") == std::vector<std::int64_t>{2040});
    CHECK(read_i64(file, "/summary/fee_income_cents") == std::vector<std::int64_t>{60});
    CHECK(read_string_attribute(file, "/summary/profit_cents", "units") ==
          std::vector<std::string>{"cents"});
    CHECK(read_string_attribute(file, "/summary/strategy_cost_cents", "units") ==
          std::vector<std::string>{"cents"});
    CHECK(read_string_dataset(file, "/model/parameter_names") ==
          std::vector<std::string>{"purchase.r", "spend.p"});
    CHECK(read_f64(file, "/model/parameter_values") == std::vector<double>{0.243, 6.25});
}

namespace {

using IntColumn = std::vector<std::int64_t> StrategyTable::*;
using RealColumn = std::vector<double> StrategyTable::*;

/// Every numeric StrategyTable field by its dataset name: per-strategy, then [strategy][step].
const std::pair<const char*, IntColumn> kStrategyInts[] = {
    {"candidates", &StrategyTable::candidates},
    {"held_out", &StrategyTable::held_out},
    {"contacts", &StrategyTable::contacts},
    {"contacts_on_gone", &StrategyTable::contacts_on_gone},
    {"responses", &StrategyTable::responses},
    {"revived", &StrategyTable::revived},
    {"unsubscribed", &StrategyTable::unsubscribed},
    {"contact_cost_cents", &StrategyTable::contact_cost_cents},
    {"incentive_cost_cents", &StrategyTable::incentive_cost_cents},
    {"redemption_cost_cents", &StrategyTable::redemption_cost_cents},
    {"rebate_cost_cents", &StrategyTable::rebate_cost_cents},
    {"fixed_cost_cents", &StrategyTable::fixed_cost_cents},
    {"cost_cents", &StrategyTable::cost_cents},
    {"spent_on_gone_cents", &StrategyTable::spent_on_gone_cents},
    {"fee_income_cents", &StrategyTable::fee_income_cents},
    {"points_issued", &StrategyTable::points_issued},
    {"points_redeemed", &StrategyTable::points_redeemed},
    {"points_expired", &StrategyTable::points_expired},
    {"points_outstanding", &StrategyTable::points_outstanding},
    {"rewards_redeemed", &StrategyTable::rewards_redeemed},
    {"members", &StrategyTable::members},
    {"treated", &StrategyTable::treated},
    {"control", &StrategyTable::control},
};
const std::pair<const char*, RealColumn> kStrategyReals[] = {
    {"liability_cents", &StrategyTable::liability_cents},
    {"breakage_fraction", &StrategyTable::breakage_fraction},
    {"treated_revenue_per_customer_cents", &StrategyTable::treated_revenue_per_customer_cents},
    {"control_revenue_per_customer_cents", &StrategyTable::control_revenue_per_customer_cents},
    {"incremental_margin_cents", &StrategyTable::incremental_margin_cents},
    {"incremental_margin_low_cents", &StrategyTable::incremental_margin_low_cents},
    {"incremental_margin_high_cents", &StrategyTable::incremental_margin_high_cents},
    {"roi", &StrategyTable::roi},
    {"roi_low", &StrategyTable::roi_low},
    {"roi_high", &StrategyTable::roi_high},
    {"incremental_retained", &StrategyTable::incremental_retained},
    {"cost_per_retained_cents", &StrategyTable::cost_per_retained_cents},
    {"payback_days", &StrategyTable::payback_days},
};
const std::pair<const char*, IntColumn> kStrategyIntMatrices[] = {
    {"cost_by_step_cents", &StrategyTable::cost_by_step_cents},
    {"contacts_by_step", &StrategyTable::contacts_by_step},
    {"responses_by_step", &StrategyTable::responses_by_step},
    {"members_by_step", &StrategyTable::members_by_step},
    {"points_outstanding_by_step", &StrategyTable::points_outstanding_by_step},
};
const std::pair<const char*, RealColumn> kStrategyRealMatrices[] = {
    {"liability_by_step_cents", &StrategyTable::liability_by_step_cents},
    {"incremental_margin_by_step_cents", &StrategyTable::incremental_margin_by_step_cents},
};

/// The dtype class and size of a dataset, e.g. (H5T_INTEGER, 8).
std::pair<H5T_class_t, std::size_t> type_of(hid_t file, const char* name) {
    Id dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose);
    Id type(H5Dget_type(dataset), H5Tclose);
    return {H5Tget_class(type), H5Tget_size(type)};
}

/// Checks that every strategy dataset has its shape, dtype, dimension names and attributes.
void check_strategy_layout(hid_t file, hsize_t strategies) {
    const std::vector<hsize_t> row{strategies};
    const std::vector<hsize_t> matrix{strategies, kSteps};
    const auto check = [&](const char* name, const std::vector<hsize_t>& dims,
                           const char* dimensions, H5T_class_t type_class) {
        const std::string path = std::string("/strategies/") + name;
        INFO(path);
        CHECK(dims_of(file, path.c_str()) == dims);
        CHECK(read_string_attribute(file, path.c_str(), "dimensions") ==
              std::vector<std::string>{dimensions});
        CHECK(read_string_attribute(file, path.c_str(), "units").size() == 1);
        CHECK(!read_string_attribute(file, path.c_str(), "description")[0].empty());
        const auto [cls, size] = type_of(file, path.c_str());
        CHECK(cls == type_class);
        if (type_class != H5T_STRING) CHECK(size == 8);
    };
    check("name", row, "strategy", H5T_STRING);
    check("kind", row, "strategy", H5T_STRING);
    for (const auto& [name, member] : kStrategyInts) check(name, row, "strategy", H5T_INTEGER);
    for (const auto& [name, member] : kStrategyReals) check(name, row, "strategy", H5T_FLOAT);
    for (const auto& [name, member] : kStrategyIntMatrices) {
        check(name, matrix, "strategy, step", H5T_INTEGER);
    }
    for (const auto& [name, member] : kStrategyRealMatrices) {
        check(name, matrix, "strategy, step", H5T_FLOAT);
    }
}

}  // namespace

TEST_CASE("output: strategies round-trip as per-strategy rows and [strategy, step] matrices",
          "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    const RunResult r = make_result(false);
    write_result(path, r, make_metadata(), false);

    Id file = open_file(path);
    check_strategy_layout(file, kStrategies);
    const StrategyTable& t = r.strategies;
    CHECK(read_string_dataset(file, "/strategies/name") == t.name);
    CHECK(read_string_dataset(file, "/strategies/kind") == t.kind);
    for (const auto& [name, member] : kStrategyInts) {
        INFO(name);
        CHECK(read_i64(file, (std::string("/strategies/") + name).c_str()) == t.*member);
    }
    for (const auto& [name, member] : kStrategyIntMatrices) {
        INFO(name);
        CHECK(read_i64(file, (std::string("/strategies/") + name).c_str()) == t.*member);
    }
    for (const auto& [name, member] : kStrategyReals) {
        INFO(name);
        CHECK(same_values(read_f64(file, (std::string("/strategies/") + name).c_str()),
                          t.*member));
    }
    for (const auto& [name, member] : kStrategyRealMatrices) {
        INFO(name);
        CHECK(same_values(read_f64(file, (std::string("/strategies/") + name).c_str()),
                          t.*member));
    }
    // Row-major with the step fastest: row 1 is the win-back campaign, step by step.
    const std::vector<std::int64_t> contacts = read_i64(file, "/strategies/contacts_by_step");
    CHECK(std::vector<std::int64_t>(contacts.begin() + kSteps, contacts.end()) ==
          std::vector<std::int64_t>{0, 3, 2});
    // Undefined figures are NaN, not zero.
    CHECK(std::isnan(read_f64(file, "/strategies/roi")[1]));
    CHECK(std::isnan(read_f64(file, "/strategies/breakage_fraction")[1]));
    CHECK(read_string_attribute(file, "/strategies/cost_cents", "units") ==
          std::vector<std::string>{"cents"});
    CHECK(read_string_attribute(file, "/strategies/payback_days", "units") ==
          std::vector<std::string>{"days"});
}

TEST_CASE("output: a run without strategies has an empty /strategies group", "[unit]") {
    TempDir dir;
    const std::string path = dir.file("run.h5");
    RunResult r = make_result(false);
    r.strategies = StrategyTable{};
    for (std::size_t s = 0; s < kSteps; ++s) {
        r.series.profit_cents[s] += r.series.strategy_cost_cents[s] - r.series.fee_income_cents[s];
    }
    r.series.strategy_cost_cents.assign(kSteps, 0);
    r.series.fee_income_cents.assign(kSteps, 0);
    write_result(path, r, make_metadata(), false);

    Id file = open_file(path);
    REQUIRE(exists_in(file, "strategies"));
    check_strategy_layout(file, 0);
    CHECK(read_string_dataset(file, "/strategies/name").empty());
    CHECK(read_i64(file, "/strategies/cost_by_step_cents").empty());
    CHECK(read_i64(file, "/time_series/strategy_cost_cents") ==
          std::vector<std::int64_t>(kSteps, 0));
    CHECK_THAT(describe_result_file(path), Catch::Contains("strategies      0\n"));
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
        const auto active = std::uint8_t(Stage::Active), lapsed = std::uint8_t(Stage::Lapsed);
        CHECK(read_values<std::uint8_t>(file, "/customers/stage", H5T_NATIVE_UINT8) ==
              std::vector<std::uint8_t>{active, active, active, active, lapsed});
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
    SECTION("new time-series column") {
        r.series.fee_income_cents.push_back(0);
        try {
            write_result(path, r, make_metadata(), false);
            FAIL("write_result did not fail");
        } catch (const RuntimeFailure& e) {
            CHECK_THAT(e.what(), Catch::Contains("time_series/fee_income_cents"));
        }
    }
    SECTION("strategy row") {
        r.strategies.payback_days.pop_back();
        try {
            write_result(path, r, make_metadata(), false);
            FAIL("write_result did not fail");
        } catch (const RuntimeFailure& e) {
            CHECK_THAT(e.what(), Catch::Contains("strategies/payback_days") &&
                                     Catch::Contains("expected 2"));
        }
    }
    SECTION("strategy matrix") {
        r.strategies.incremental_margin_by_step_cents.pop_back();
        try {
            write_result(path, r, make_metadata(), false);
            FAIL("write_result did not fail");
        } catch (const RuntimeFailure& e) {
            CHECK_THAT(e.what(), Catch::Contains("strategies/incremental_margin_by_step_cents") &&
                                     Catch::Contains("strategies x steps"));
        }
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
    CHECK_THAT(text, Catch::Contains("[3, " + std::to_string(kStageCount) + ", 2]"));
    CHECK_THAT(text, Catch::Contains("revenue") && Catch::Contains("12,345.67"));
    CHECK_THAT(text, Catch::Contains("profit") && Catch::Contains("6,141.53"));
    CHECK_THAT(text, Catch::Contains("strategy_cost") && Catch::Contains("20.40"));
    CHECK_THAT(text, Catch::Contains("strategies      2: stamp_card, win_back\n"));
    CHECK_THAT(text, Catch::Contains("/strategies/cost_by_step_cents"));
    CHECK_THAT(text, Catch::Contains("[2, 3]"));
    CHECK_THAT(text, Catch::Contains("spend.p"));

    const std::string without = dir.file("bare.h5");
    write_result(without, make_result(false), make_metadata(), false);
    CHECK_THAT(describe_result_file(without), Catch::Contains("not stored"));
}
