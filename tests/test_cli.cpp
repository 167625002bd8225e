// The retsim program as a user meets it: exit codes (0 ok, 1 runtime/I-O failure, 2 bad usage
// or input), error messages naming file, line and key, and no result file left behind by a
// failed run.
#include <catch2/catch.hpp>

#include "cli_helpers.hpp"

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using retsim::test::Outcome;
using retsim::test::TempDir;

using retsim::test::run_retsim;
using retsim::test::write_file;

const std::string kSmall = "--set population.initial_customers=2000 --set run.horizon_days=56 -q";

}  // namespace

TEST_CASE("cli: run writes a result, info describes it, validate accepts a good file", "[input]") {
    TempDir dir;
    const Outcome run = run_retsim("run " + kSmall + " -o r.h5", dir);
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(run.output.find("stage at end") != std::string::npos);
    CHECK(fs::exists(dir / "r.h5"));
    CHECK(dir.count_files() == 1);  // no temporary file left

    const Outcome info = run_retsim("info r.h5", dir);
    CHECK(info.exit_code == 0);
    CHECK(info.output.find("retsim") != std::string::npos);

    CHECK(run_retsim("validate '" RETSIM_SOURCE_DIR "/scenarios/default.toml'", dir).exit_code == 0);
}

TEST_CASE("cli: an existing result is not overwritten without --force", "[input]") {
    TempDir dir;
    write_file(dir / "r.h5", "precious");
    const Outcome refused = run_retsim("run " + kSmall + " -o r.h5", dir);
    CHECK(refused.exit_code == 2);
    CHECK(refused.output.find("--force") != std::string::npos);
    std::ifstream in(dir / "r.h5");
    std::string content;
    in >> content;
    CHECK(content == "precious");
    CHECK(run_retsim("run " + kSmall + " -o r.h5 --force", dir).exit_code == 0);
}

TEST_CASE("cli: a bad scenario exits 2 naming file, line and key, and writes nothing", "[input]") {
    TempDir dir;
    write_file(dir / "bad.toml", "[run]\nhorizon_dys = 10\n\n[population]\ninitial_customers = -5\n");
    const Outcome run = run_retsim("run bad.toml -o r.h5", dir);
    INFO(run.output);
    CHECK(run.exit_code == 2);
    CHECK(run.output.find("bad.toml:2") != std::string::npos);
    CHECK(run.output.find("horizon_days") != std::string::npos);  // the suggestion
    CHECK(run.output.find("bad.toml:5") != std::string::npos);
    CHECK(run.output.find("population.initial_customers") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "r.h5"));
    CHECK(dir.count_files() == 1);  // only bad.toml

    const Outcome validate = run_retsim("validate bad.toml", dir);
    CHECK(validate.exit_code == 2);
}

TEST_CASE("cli: bad overrides and bad usage exit 2", "[input]") {
    TempDir dir;
    const Outcome bad_set = run_retsim("run --set run.step_days=-1 -o r.h5", dir);
    CHECK(bad_set.exit_code == 2);
    CHECK(bad_set.output.find("--set") != std::string::npos);
    CHECK(run_retsim("run --set nonsense -o r.h5", dir).exit_code == 2);
    CHECK(run_retsim("run --threads -3", dir).exit_code == 2);
    CHECK(run_retsim("run --no-such-option", dir).exit_code == 2);
    CHECK(run_retsim("", dir).exit_code == 2);  // a subcommand is required
    CHECK(run_retsim("run missing.toml", dir).exit_code == 2);
    CHECK(run_retsim("--help", dir).exit_code == 0);
    CHECK(dir.count_files() == 0);
}

TEST_CASE("cli: runtime and I/O failures exit 1 and leave no partial file", "[input]") {
    TempDir dir;
    const Outcome no_dir = run_retsim("run " + kSmall + " -o missing_dir/r.h5", dir);
    INFO(no_dir.output);
    CHECK(no_dir.exit_code == 1);
    CHECK(dir.count_files() == 0);

    CHECK(run_retsim("info missing.h5", dir).exit_code == 1);
    write_file(dir / "not_hdf5.h5", "hello");
    CHECK(run_retsim("info not_hdf5.h5", dir).exit_code == 1);
}

TEST_CASE("cli: a run whose state would not fit in memory is refused up front with an estimate", "[input]") {
    TempDir dir;
    // Four billion customers need hundreds of gigabytes: refused before anything is allocated.
    const Outcome huge = run_retsim("run " + kSmall + " -q -o huge.h5 --set population.initial_customers=4000000000", dir);
    INFO(huge.output);
    CHECK(huge.exit_code == 1);
    CHECK(huge.output.find("not enough memory") != std::string::npos);
    CHECK(huge.output.find("bytes each") != std::string::npos);
    CHECK(huge.output.find("--shard") != std::string::npos);
    CHECK(dir.count_files() == 0);
    // Acquisitions on top of the most initial customers allowed overflow what a run can number.
    const Outcome too_many =
        run_retsim("run " + kSmall + " -q -o many.h5 --set population.initial_customers=4294967296", dir);
    CHECK(too_many.exit_code == 2);
}
