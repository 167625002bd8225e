// `retsim sweep`: every run equals an independent run of the same overrides; the file does not
// depend on the thread count or on interruption and resumption (--stop-after, SIGTERM, kill -9,
// a cut journal line); failed points are recorded and the rest complete; journal lines keep
// doubles exactly; integer keys follow the base scenario; every bad input exits 2 with a
// message naming the spec, key or file.
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "sim/compare.hpp"
#include "sim/engine.hpp"
#include "sim/mpi.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/sweep.hpp"
#include "test_engine_helpers.hpp"

namespace fs = std::filesystem;

namespace {

using namespace retsim;
using retsim::test::Outcome;
using retsim::test::run_retsim;
using retsim::test::TempDir;
using retsim::test::write_file;

/// 300 customers, 26 weeks: a run takes about a millisecond.
std::string small_text() { return retsim::test::base_scenario_text("[economics]\nmargin_fraction = 0.3\n", 300, 182, 5); }

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::size_t count_lines(const fs::path& p) {
    const std::string text = read_text(p);
    return std::size_t(std::count(text.begin(), text.end(), '\n'));
}

/// Reads a numeric dataset as `T` (HDF5 converts from the file type).
template <class T>
std::vector<T> read_dataset(const std::string& file, const std::string& path, hid_t memory_type) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    std::vector<T> out(std::size_t(H5Sget_simple_extent_npoints(space)));
    REQUIRE(H5Dread(d, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

std::vector<double> doubles(const std::string& file, const std::string& path) {
    return read_dataset<double>(file, path, H5T_NATIVE_DOUBLE);
}

std::vector<std::uint8_t> bytes(const std::string& file, const std::string& path) {
    return read_dataset<std::uint8_t>(file, path, H5T_NATIVE_UINT8);
}

std::vector<std::string> strings(const std::string& file, const std::string& path) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, path.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    std::vector<char*> raw(std::size_t(H5Sget_simple_extent_npoints(space)), nullptr);
    REQUIRE(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0);
    std::vector<std::string> out;
    for (char* s : raw) out.emplace_back(s != nullptr ? s : "");
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

bool opens(const std::string& file) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return false;
    const hid_t d = H5Dopen2(f, "/runs/status", H5P_DEFAULT);
    const bool ok = d >= 0;
    if (ok) H5Dclose(d);
    H5Fclose(f);
    return ok;
}

/// h5diff of every result group (design, runs, points and, when present, sensitivity):
/// values and their attributes, NaN equal to NaN.
void require_same_results(const fs::path& a, const fs::path& b) {
    for (const char* group : {"/design", "/runs", "/points", "/sensitivity"}) {
        const std::string check = "h5ls '" + a.string() + "'" + group + " > /dev/null 2>&1";
        if (std::system(check.c_str()) != 0) continue;
        const std::string cmd = "h5diff -q '" + a.string() + "' '" + b.string() + "' " + group + " " + group;
        INFO(cmd);
        CHECK(std::system(cmd.c_str()) == 0);
    }
}

/// Starts `retsim ARGS` in `dir` as a child process (exec'd, so the pid is retsim's).
pid_t spawn_retsim(const std::string& args, const TempDir& dir) {
    const std::string cmd =
        "cd '" + dir.path.string() + "' && exec '" RETSIM_BINARY "' " + args + " > spawn.log 2>&1";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    REQUIRE(pid > 0);
    return pid;
}

/// Waits (at most a minute) until `journal` has `lines` lines; false when the child ended first.
bool wait_for_lines(const fs::path& journal, std::size_t lines, pid_t child) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (fs::exists(journal) && count_lines(journal) >= lines) return true;
        int status = 0;
        if (::waitpid(child, &status, WNOHANG) == child) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    FAIL("the sweep did not get going within a minute");
    return false;
}

int wait_exit(pid_t child) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

SweepRequest small_request(std::vector<std::string> vary, std::size_t replicates) {
    SweepRequest r;
    r.scenario_name = "small.toml";
    r.scenario_text = small_text();
    r.vary_specs = std::move(vary);
    r.replicates = replicates;
    return r;
}

}  // namespace

TEST_CASE("sweep: every run equals an independent run with the same overrides", "[sweep]") {
    TempDir dir;
    const Sweep sweep = make_sweep(
        small_request({"economics.margin_fraction=0.2:0.4:2", "population.initial_customers=[200,300]"}, 2));
    REQUIRE(sweep.points() == 4);
    REQUIRE(sweep.runs() == 8);
    SweepOptions options;
    options.output = (dir / "s.h5").string();
    options.threads = 2;
    const SweepCounts counts = run_sweep(sweep, options);
    CHECK(counts.done == 8);
    CHECK(counts.failed == 0);
    CHECK_FALSE(fs::exists(dir / "s.h5.journal"));  // removed when complete

    const std::string file = options.output;
    const std::vector<double> profit = doubles(file, "/runs/profit_cents");
    const std::vector<double> alive = doubles(file, "/runs/alive_at_end");
    const std::vector<double> discounted = doubles(file, "/runs/discounted_profit_cents");
    const std::vector<double> point = doubles(file, "/runs/point");
    const std::vector<double> replicate = doubles(file, "/runs/replicate");
    const std::vector<std::uint8_t> status = bytes(file, "/runs/status");
    // Grid order: the last factor varies fastest; run = point * replicates + replicate.
    const char* margins[] = {"0.2", "0.2", "0.4", "0.4"};
    const char* customers[] = {"200", "300", "200", "300"};
    for (std::size_t i = 0; i < 8; ++i) {
        const std::size_t p = i / 2;
        const std::size_t r = i % 2;
        INFO("run " << i);
        CHECK(point[i] == double(p));
        CHECK(replicate[i] == double(r));
        CHECK(status[i] == 0);
        const Scenario sc = parse_scenario(small_text(), "small.toml",
                                           {std::string("economics.margin_fraction=") + margins[p],
                                            std::string("population.initial_customers=") + customers[p],
                                            "run.replicate=" + std::to_string(r)});
        RunOptions one;
        one.threads = 1;
        const RunResult result = run_simulation(sc, one);
        CHECK(profit[i] == double(result.summary.profit_cents));
        CHECK(alive[i] == double(result.summary.alive_at_end));
        CHECK(discounted[i] == result.summary.discounted_profit_cents);
    }
    // Replicates differ (run.replicate changes the draws) but share the seed.
    CHECK(profit[0] != profit[1]);

    // /points: the mean and t-interval of each point's replicates.
    const std::vector<double> mean = doubles(file, "/points/profit_cents_mean");
    const std::vector<double> low = doubles(file, "/points/profit_cents_ci_low");
    const std::vector<double> high = doubles(file, "/points/profit_cents_ci_high");
    for (std::size_t p = 0; p < 4; ++p) {
        const std::vector<double> sample{profit[2 * p], profit[2 * p + 1]};
        const Interval i = mean_t_interval(sample, 0.95);
        CHECK(mean[p] == i.estimate);
        CHECK(low[p] == i.low);
        CHECK(high[p] == i.high);
    }
    const std::vector<double> values = doubles(file, "/design/values");
    CHECK(values == std::vector<double>{0.2, 200, 0.2, 300, 0.4, 200, 0.4, 300});
    CHECK(strings(file, "/design/names") ==
          std::vector<std::string>{"economics.margin_fraction", "population.initial_customers"});
    CHECK(bytes(file, "/design/integer") == std::vector<std::uint8_t>{0, 1});
}

TEST_CASE("sweep: the thread count does not change the file", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const std::string args = "sweep small.toml -q --design sobol --samples 8 --replicates 2 "
                             "--vary economics.margin_fraction=0.2:0.4 --vary population.initial_customers=100:400 ";
    const Outcome one = run_retsim(args + "--threads 1 -o one.h5", dir);
    REQUIRE(one.exit_code == 0);
    const Outcome two = run_retsim(args + "--threads 2 -o two.h5", dir);
    REQUIRE(two.exit_code == 0);
    const Outcome four = run_retsim(args + "--threads 4 --threads-per-run 2 -o four.h5", dir);
    REQUIRE(four.exit_code == 0);
    require_same_results(dir / "one.h5", dir / "two.h5");
    require_same_results(dir / "one.h5", dir / "four.h5");
    // The Sobol design has N (k + 2) = 32 points and the indices are there.
    CHECK(doubles((dir / "one.h5").string(), "/design/values").size() == 64);
    const std::vector<double> total = doubles((dir / "one.h5").string(), "/sensitivity/total");
    CHECK(total.size() == 7 * 2);
    CHECK(std::isfinite(total[0]));
}

TEST_CASE("sweep: a failed point is recorded and the rest complete", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const Outcome o = run_retsim("sweep small.toml --vary 'population.initial_customers=[200,-5,300]' "
                                 "--replicates 2 -o f.h5",
                                 dir);
    INFO(o.output);
    REQUIRE(o.exit_code == 0);
    CHECK(o.output.find("failed runs: 2") != std::string::npos);
    const std::string file = (dir / "f.h5").string();
    CHECK(bytes(file, "/runs/status") == std::vector<std::uint8_t>{0, 0, 1, 1, 0, 0});
    const std::vector<std::string> errors = strings(file, "/runs/error");
    CHECK(errors[0].empty());
    CHECK(errors[2].find("population.initial_customers") != std::string::npos);
    CHECK(errors[2].find("-5") != std::string::npos);
    const std::vector<double> profit = doubles(file, "/runs/profit_cents");
    CHECK(std::isnan(profit[2]));
    CHECK(std::isfinite(profit[4]));
    CHECK(bytes(file, "/points/failed_replicates") == std::vector<std::uint8_t>{0, 2, 0});
    CHECK(std::isnan(doubles(file, "/points/profit_cents_mean")[1]));
}

TEST_CASE("sweep: stopped after K runs and resumed equals an uninterrupted sweep", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const std::string args = "sweep small.toml -q --design sobol --samples 8 --replicates 2 "
                             "--vary economics.margin_fraction=0.2:0.4 --vary 'population.initial_customers=100:400' ";
    REQUIRE(run_retsim(args + "-o whole.h5", dir).exit_code == 0);

    const Outcome stopped = run_retsim(args + "-o part.h5 --threads 2 --stop-after 10", dir);
    CHECK(stopped.exit_code == 1);
    CHECK(stopped.output.find("--resume") != std::string::npos);
    REQUIRE(fs::exists(dir / "part.h5.journal"));
    const std::string part = (dir / "part.h5").string();
    // The stopped file is complete and readable: the runs done, the others marked not run.
    const std::vector<std::uint8_t> status = bytes(part, "/runs/status");
    const auto not_run = std::count(status.begin(), status.end(), std::uint8_t{2});
    CHECK(not_run >= 64 - 10 - 2);
    CHECK(not_run < 64);

    // Again without --resume: refused, the journal is kept.
    const Outcome again = run_retsim(args + "-o part.h5", dir);
    CHECK(again.exit_code == 2);
    CHECK(again.output.find("part.h5.journal exists") != std::string::npos);

    // Two more partial sessions, the last one on another thread count.
    CHECK(run_retsim(args + "-o part.h5 --resume --stop-after 20 --threads 1", dir).exit_code == 1);
    const Outcome resumed = run_retsim(args + "-o part.h5 --resume --threads 2", dir);
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    CHECK_FALSE(fs::exists(dir / "part.h5.journal"));
    require_same_results(dir / "whole.h5", dir / "part.h5");

    // Nothing left to resume.
    const Outcome nothing = run_retsim(args + "-o part.h5 --resume", dir);
    CHECK(nothing.exit_code == 2);
    CHECK(nothing.output.find("no journal") != std::string::npos);
}

TEST_CASE("sweep: a cut last journal line is dropped on resume", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const std::string args = "sweep small.toml -q --vary economics.margin_fraction=0.1:0.5:9 --replicates 2 ";
    REQUIRE(run_retsim(args + "-o whole.h5", dir).exit_code == 0);
    REQUIRE(run_retsim(args + "-o part.h5 --threads 1 --stop-after 5", dir).exit_code == 1);
    // A process killed in the middle of a write leaves a line without its end.
    {
        std::ofstream journal(dir / "part.h5.journal", std::ios::app);
        journal << "17\tok\t12345\t-3.2";
    }
    const Outcome resumed = run_retsim(args + "-o part.h5 --resume", dir);
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    require_same_results(dir / "whole.h5", dir / "part.h5");
}

TEST_CASE("sweep: a journal of another sweep is refused", "[sweep][input]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    REQUIRE(run_retsim("sweep small.toml -q --vary economics.margin_fraction=0.1:0.5:9 -o s.h5 --stop-after 3", dir)
                .exit_code == 1);
    for (const std::string changed : {"--vary economics.margin_fraction=0.1:0.5:8", "--vary economics.margin_fraction=0.1:0.5:9 --replicates 2",
                                      "--vary economics.margin_fraction=0.1:0.5:9 --set run.seed=9"}) {
        const Outcome o = run_retsim("sweep small.toml -q " + changed + " -o s.h5 --resume", dir);
        INFO(changed << "\n" << o.output);
        CHECK(o.exit_code == 2);
        CHECK(o.output.find("s.h5.journal belongs to a different sweep") != std::string::npos);
    }
    write_file(dir / "s.h5.journal", "not a journal\n");
    const Outcome o = run_retsim("sweep small.toml -q --vary economics.margin_fraction=0.1:0.5:9 -o s.h5 --resume", dir);
    CHECK(o.exit_code == 2);
    CHECK(o.output.find("is not a retsim sweep journal") != std::string::npos);
}

/// Slow enough to be caught mid-sweep: 120 points of 6,000 customers over a year.
const std::string kSlowArgs = "sweep small.toml -q --threads 2 --set population.initial_customers=6000 "
                              "--set run.horizon_days=364 --vary economics.margin_fraction=0.1:0.5:120 ";

TEST_CASE("sweep: SIGTERM stops the sweep, which resumes to the uninterrupted file", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const pid_t child = spawn_retsim(kSlowArgs + "-o part.h5", dir);
    REQUIRE(wait_for_lines(dir / "part.h5.journal", 10, child));
    ::kill(child, SIGTERM);
    const int code = wait_exit(child);
    const std::string log = read_text(dir / "spawn.log");
    INFO(log);
    CHECK(code == 1);
    CHECK(log.find("Resume with the same command and --resume") != std::string::npos);
    const std::string part = (dir / "part.h5").string();
    REQUIRE(opens(part));
    const std::vector<std::uint8_t> status = bytes(part, "/runs/status");
    // Runs in flight finished and are in the file as in the journal.
    const auto done = std::size_t(std::count(status.begin(), status.end(), std::uint8_t{0}));
    CHECK(done + 1 == count_lines(dir / "part.h5.journal"));
    CHECK(done < 120);

    REQUIRE(run_retsim(kSlowArgs + "-o part.h5 --resume", dir).exit_code == 0);
    REQUIRE(run_retsim(kSlowArgs + "-o whole.h5", dir).exit_code == 0);
    require_same_results(dir / "whole.h5", dir / "part.h5");
}

TEST_CASE("sweep: kill -9 mid-sweep leaves no file or one that opens, and resumes", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    // A checkpoint after every tick with new runs: the kill is likely to hit a write.
    const pid_t child = spawn_retsim(kSlowArgs + "-o part.h5 --checkpoint-seconds 0", dir);
    REQUIRE(wait_for_lines(dir / "part.h5.journal", 25, child));
    ::kill(child, SIGKILL);
    CHECK(wait_exit(child) == 128 + SIGKILL);
    if (fs::exists(dir / "part.h5")) CHECK(opens((dir / "part.h5").string()));
    // A partial file from the killed process may remain under its temporary name only.
    for (const auto& entry : fs::directory_iterator(dir.path)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("part.h5") && name != "part.h5" && name != "part.h5.journal") {
            CHECK(name.starts_with("part.h5.partial-"));
        }
    }
    const Outcome resumed = run_retsim(kSlowArgs + "-o part.h5 --resume", dir);
    INFO(resumed.output);
    REQUIRE(resumed.exit_code == 0);
    REQUIRE(run_retsim(kSlowArgs + "-o whole.h5", dir).exit_code == 0);
    require_same_results(dir / "whole.h5", dir / "part.h5");
}

TEST_CASE("sweep: a second sweep on the same output is refused while the first runs", "[sweep][input]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    const pid_t child = spawn_retsim(kSlowArgs + "-o s.h5", dir);
    REQUIRE(wait_for_lines(dir / "s.h5.journal", 3, child));
    for (const std::string flag : {"", "--resume", "--force"}) {
        const Outcome o = run_retsim(kSlowArgs + "-o s.h5 " + flag, dir);
        INFO(flag << "\n" << o.output);
        CHECK(o.exit_code == 2);
        CHECK(o.output.find("s.h5.journal is locked: another retsim sweep is writing s.h5") != std::string::npos);
    }
    ::kill(child, SIGTERM);
    CHECK(wait_exit(child) == 1);
    // The first sweep's journal was left whole: it resumes.
    CHECK(run_retsim(kSlowArgs + "-o s.h5 --resume", dir).exit_code == 0);
}

TEST_CASE("sweep: journal lines keep doubles and error texts exactly", "[sweep][unit]") {
    RunRecord ok;
    ok.status = RunStatus::Ok;
    ok.values = {0.1, -0.0, 1e-310, 123456789012345678.0, std::numeric_limits<double>::max(),
                 std::numeric_limits<double>::quiet_NaN(), 2.0 / 3.0};
    const std::string line = record_line(42, ok);
    CHECK(line.back() == '\n');
    const auto back = parse_record_line(line, ok.values.size());
    REQUIRE(back);
    CHECK(back->first == 42);
    CHECK(back->second.status == RunStatus::Ok);
    for (std::size_t m = 0; m < ok.values.size(); ++m) {
        CHECK(std::memcmp(&back->second.values[m], &ok.values[m], sizeof(double)) == 0);
    }
    RunRecord failed;
    failed.status = RunStatus::Failed;
    failed.error = "line one\n\tkey: \\ bad";
    const auto again = parse_record_line(record_line(7, failed), 7);
    REQUIRE(again);
    CHECK(again->second.status == RunStatus::Failed);
    CHECK(again->second.error == failed.error);
    // Cut or malformed lines are not records.
    CHECK_FALSE(parse_record_line(line.substr(0, line.size() / 2), ok.values.size()));
    CHECK_FALSE(parse_record_line("3\tok\t1\t2", 3));
    CHECK_FALSE(parse_record_line("x\tok", 0));
    CHECK_FALSE(parse_record_line("3\tmaybe\t1", 1));
}

TEST_CASE("sweep: integer keys follow the base scenario's TOML types", "[sweep][unit]") {
    const std::string text = "[population]\ninitial_customers = 300\n[economics]\nmargin_fraction = 0.3\n"
                             "[[acquisition.channels]]\nname = \"web\"\nspend_per_week_cents = 1000\n"
                             "cost_per_customer_cents = 50.0\n";
    CHECK(key_is_integer(text, "population.initial_customers") == std::optional<bool>(true));
    CHECK(key_is_integer(text, "economics.margin_fraction") == std::optional<bool>(false));
    CHECK(key_is_integer(text, "acquisition.channels[0].spend_per_week_cents") == std::optional<bool>(true));
    CHECK(key_is_integer(text, "acquisition.channels[0].cost_per_customer_cents") == std::optional<bool>(false));
    CHECK_FALSE(key_is_integer(text, "acquisition.channels[1].spend_per_week_cents").has_value());
    CHECK_FALSE(key_is_integer(text, "run.seed").has_value());
    CHECK_THROWS_WITH(key_is_integer(text, "acquisition.channels[0].name"),
                      Catch::Contains("acquisition.channels[0].name") && Catch::Contains("a string"));

    // Absent keys: integer when every bound is written as one.
    const Sweep ints = make_sweep(small_request({"run.seed=1:3:3"}, 1));
    CHECK(ints.design.factors[0].integer);
    CHECK(run_overrides(ints, 1) == std::vector<std::string>{"run.seed=2", "run.replicate=0"});
    const Sweep reals = make_sweep(small_request({"economics.annual_discount_rate=0:0.2:3"}, 2));
    CHECK_FALSE(reals.design.factors[0].integer);
    CHECK(run_overrides(reals, 3) ==
          std::vector<std::string>{"economics.annual_discount_rate=0.1", "run.replicate=1"});
}

TEST_CASE("sweep: bad input exits 2 with a message naming the problem", "[sweep][input]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    write_file(dir / "params.txt", "economics.margin_fraction 0.1 0.5\n");
    write_file(dir / "samples.txt", "0.2\n0.3\n");
    write_file(dir / "exists.h5", "");
    const struct {
        std::string args;
        std::string message;
    } cases[] = {
        {"--vary economics.margin_fraction=0.5:0.1:3", "LOW (0.5) is above HIGH (0.1)"},
        {"--vary economics.margin_fraction", "there is no '='"},
        {"--vary economics.margin_fraction=0.1:x:3", "economics.margin_fraction=0.1:x:3"},
        {"--vary economics.margin_fraction=0.1:0.5:1", "must be at least 2"},
        {"--vary 'economics.margin_fraction=[]'", "empty"},
        {"--vary population.initial_customers=100:201:3", "not a whole number"},
        {"--vary economics.margin_fractoin=0.1:0.5:3", "economics.margin_fractoin"},
        {"--vary economics.margin_fraction=0.1:0.5:3 --vary economics.margin_fraction=[0.2]", "varied twice"},
        {"--vary population.model=1:2:2", "only numeric keys"},
        {"--vary economics.margin_fraction=0.1:0.5", "--design grid needs levels"},
        {"--design lhs --vary economics.margin_fraction=0.1:0.5", "needs --samples"},
        {"--design lhs --samples 0 --vary economics.margin_fraction=0.1:0.5", "--samples must be at least 1"},
        {"--samples 4 --vary economics.margin_fraction=0.1:0.5:3", "--samples applies to --design lhs and sobol"},
        {"--design annealing --vary economics.margin_fraction=0.1:0.5:3", "annealing"},
        {"", "nothing varies"},
        {"--vary economics.margin_fraction=0.1:0.5:3 --replicates 0", "replicates"},
        {"--vary economics.margin_fraction=0.1:0.5:3 --resume", "no journal"},
        {"--vary economics.margin_fraction=0.1:0.5:3 --resume --force", "exclude each other"},
        {"--vary economics.margin_fraction=0.1:0.5:3 -o exists.h5", "exists.h5 exists"},
        {"--vary economics.margin_fraction=0.1:0.5:3 -o nowhere/s.h5", "directory nowhere does not exist"},
        {"--vary economics.margin_fraction=0.1:0.5:3 --set population.initial_customers=-1",
         "population.initial_customers"},
        {"--design-file samples.txt", "go together"},
        {"--design-file samples.txt --params params.txt --vary economics.margin_fraction=0.1:0.5:3",
         "exclude each other"},
        {"--design-file missing.txt --params params.txt", "missing.txt"},
    };
    for (const auto& c : cases) {
        const Outcome o = run_retsim("sweep small.toml -q " + c.args, dir);
        INFO(c.args << "\n" << o.output);
        CHECK(o.exit_code == 2);
        CHECK(o.output.find(c.message) != std::string::npos);
    }
    const Outcome missing = run_retsim("sweep no_such.toml --vary economics.margin_fraction=0.1:0.5:3", dir);
    CHECK(missing.exit_code == 2);
    CHECK(missing.output.find("no_such.toml") != std::string::npos);
    // Nothing was left behind by the refused sweeps.
    CHECK(dir.count_files() == 4);
}

TEST_CASE("sweep: a design file made elsewhere runs as it is", "[sweep]") {
    TempDir dir;
    write_file(dir / "small.toml", small_text());
    write_file(dir / "params.txt", "# SALib problem\neconomics.margin_fraction 0.1 0.5\npopulation.initial_customers 100 400\n");
    write_file(dir / "samples.txt", "0.2 150.6\n0.35 300\n");
    const Outcome o = run_retsim("sweep small.toml --design-file samples.txt --params params.txt --replicates 2 -o f.h5", dir);
    INFO(o.output);
    REQUIRE(o.exit_code == 0);
    const std::string file = (dir / "f.h5").string();
    // The integer key takes whole values: 150.6 runs (and is stored) as 151.
    CHECK(doubles(file, "/design/values") == std::vector<double>{0.2, 151, 0.35, 300});
    CHECK(bytes(file, "/runs/status") == std::vector<std::uint8_t>{0, 0, 0, 0});
    CHECK(doubles(file, "/points/customers_mean") == std::vector<double>{151, 300});
}

TEST_CASE("sweep: without an MPI launcher MPI stays off and this process is rank 0 of 1", "[sweep][unit]") {
    // ctest does not start tests under mpirun; a Session then initialises nothing.
    REQUIRE_FALSE(mpi::launched_by_mpi());
    {
        const mpi::Session session;
        CHECK_FALSE(mpi::active());
        CHECK(mpi::rank() == 0);
        CHECK(mpi::size() == 1);
        CHECK_THROWS_AS(mpi::send(0, 1, "x"), RuntimeFailure);
        CHECK_THROWS_AS((void)mpi::try_receive(), RuntimeFailure);
    }
    mpi::finalize();  // nothing to finalise: no effect
    CHECK_FALSE(mpi::active());
}
