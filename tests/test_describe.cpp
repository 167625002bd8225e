// `retsim info` and `retsim info --json` on run results, comparisons, sweeps and scores files:
// what the text shows, and that the JSON parses and carries the file's own figures (checked
// against h5py by Debian's /usr/bin/python3).
#include <catch2/catch.hpp>

#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/describe.hpp"
#include "sim/problems.hpp"
#include "tests/cli_helpers.hpp"

namespace {

using retsim::test::Outcome;
using retsim::test::run_retsim;
using retsim::test::TempDir;
using retsim::test::write_file;

const std::string kCoffee = "'" RETSIM_SOURCE_DIR "/scenarios/coffee_stamp_card.toml'";
const std::string kSmall = "--set population.initial_customers=1000 --set run.horizon_days=56 -q";

/// Runs `/usr/bin/python3 check.py ARGS` in `dir` with `script` as check.py.
Outcome python(const TempDir& dir, const std::string& script, const std::string& args) {
    write_file(dir / "check.py", script);
    const std::string log = (dir / "python.log").string();
    const std::string cmd = "cd '" + dir.path.string() + "' && /usr/bin/python3 check.py " + args + " > '" + log + "' 2>&1";
    const int status = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

/// `retsim info --json FILE` into FILE.json; requires success.
void info_json(const TempDir& dir, const std::string& file) {
    const Outcome out = run_retsim("info --json " + file, dir);
    INFO(out.output);
    REQUIRE(out.exit_code == 0);
    write_file(dir / (file + ".json"), out.output);
    const Outcome parsed = python(dir, "import json, sys\njson.load(open(sys.argv[1]))\n", file + ".json");
    INFO(parsed.output);
    REQUIRE(parsed.exit_code == 0);
}

}  // namespace

TEST_CASE("describe: info of a run shows provenance, question, figures, strategies and datasets", "[input]") {
    TempDir dir;
    REQUIRE(run_retsim("run " + kCoffee + " " + kSmall + " -o r.h5", dir).exit_code == 0);
    const Outcome info = run_retsim("info r.h5", dir);
    INFO(info.output);
    REQUIRE(info.exit_code == 0);
    const std::string& text = info.output;
    CHECK_THAT(text, Catch::StartsWith("retsim result r.h5\n"));
    CHECK_THAT(text, Catch::Contains("question        does \"every tenth coffee free\" pay for itself?\n"));
    CHECK_THAT(text, Catch::Contains("population.initial_customers=1000 run.horizon_days=56"));
    CHECK_THAT(text, Catch::Contains("strategies      1: stamp_card\n"));
    CHECK_THAT(text, Catch::Contains("summary (money in currency units):"));
    CHECK_THAT(text, Catch::Contains("incremental_margin") && Catch::Contains("spent_on_gone"));
    CHECK_THAT(text, Catch::Contains("stamp_card: members ") && Catch::Contains("breakage"));
    CHECK_THAT(text, Catch::Contains("local_flyers"));
    CHECK_THAT(text, Catch::Contains("/time_series/stage_by_truth"));
    CHECK_THAT(text, Catch::Contains("bgnbd.r"));
    // The command prints exactly what the library describes.
    const std::string library = retsim::describe_result_file((dir / "r.h5").string());
    CHECK(text.substr(text.find('\n')) == library.substr(library.find('\n')));
    CHECK(retsim::retsim_file_kind((dir / "r.h5").string()) == retsim::FileKind::Run);
}

TEST_CASE("describe: info --json of a run is valid JSON with the file's own figures", "[input]") {
    TempDir dir;
    REQUIRE(run_retsim("run " + kCoffee + " " + kSmall + " --customers -o r.h5", dir).exit_code == 0);
    info_json(dir, "r.h5");
    const Outcome check = python(dir, R"(
import json, sys, h5py, numpy as np
d = json.load(open(sys.argv[1]))
f = h5py.File(sys.argv[2])
assert d["kind"] == "run", d["kind"]
assert d["attributes"]["seed"] == int(f.attrs["seed"])
assert d["scenarios"][0]["text"] == f.attrs["scenario_text"]          # escaping survives a round trip
assert d["scenarios"][0]["question"].startswith("does")
for name in ("profit_cents", "revenue_cents", "customers", "alive_at_end"):
    assert d["headline"][name]["value"] == int(f["summary"][name][()]), name
assert d["headline"]["profit_cents"]["units"] == "cents"
rows = d["tables"]["strategies"]["rows"]
assert [r["name"] for r in rows] == [n.decode() for n in f["strategies/name"][()]]
assert rows[0]["points_issued"] == int(f["strategies/points_issued"][0])
assert abs(rows[0]["roi"] - f["strategies/roi"][0]) < 1e-12
paths = []
f.visititems(lambda name, obj: paths.append("/" + name) if isinstance(obj, h5py.Dataset) else None)
assert sorted(x["path"] for x in d["datasets"]) == sorted(paths)
key = next(x for x in d["datasets"] if x["path"] == "/customers/key")
assert key["shape"] == [f["customers/key"].shape[0]] and key["dtype"] == "uint64"
assert d["overview"]["customers"]["value"] == f["customers/key"].shape[0]
print("ok")
)", "r.h5.json r.h5");
    INFO(check.output);
    CHECK(check.exit_code == 0);
}

TEST_CASE("describe: info of a comparison shows the verdict, ROI and every metric's interval", "[input]") {
    TempDir dir;
    write_file(dir / "a.toml", "[run]\nhorizon_days = 56\n[population]\ninitial_customers = 800\n");
    write_file(dir / "b.toml", "[run]\nhorizon_days = 56\n[population]\ninitial_customers = 800\n"
                               "[economics]\nmargin_fraction = 0.4\n");
    REQUIRE(run_retsim("compare a.toml b.toml --replicates 3 -q -o c.h5", dir).exit_code == 0);
    const Outcome info = run_retsim("info c.h5", dir);
    INFO(info.output);
    REQUIRE(info.exit_code == 0);
    CHECK_THAT(info.output, Catch::StartsWith("retsim comparison c.h5\n"));
    CHECK_THAT(info.output, Catch::Contains("plan A          a.toml") && Catch::Contains("plan B          b.toml"));
    CHECK_THAT(info.output, Catch::Contains("verdict         B earns more than A"));
    CHECK_THAT(info.output, Catch::Contains("ROI") && Catch::Contains("mean_profit_difference"));
    CHECK_THAT(info.output, Catch::Contains("profit_cents") && Catch::Contains("alive_at_end"));
    CHECK(retsim::retsim_file_kind((dir / "c.h5").string()) == retsim::FileKind::Comparison);

    info_json(dir, "c.h5");
    const Outcome check = python(dir, R"(
import json, sys, h5py
d = json.load(open(sys.argv[1])); f = h5py.File(sys.argv[2])
assert d["kind"] == "comparison"
assert [s["role"] for s in d["scenarios"]] == ["a", "b"]
assert d["scenarios"][1]["text"] == f.attrs["scenario_b_text"]
rows = d["tables"]["metrics"]["rows"]
assert [r["names"] for r in rows] == [n.decode() for n in f["summary/names"][()]]
for r, lo, hi in zip(rows, f["summary/ci_low"][()], f["summary/ci_high"][()]):
    assert r["ci_low"] == lo and r["ci_high"] == hi, r["names"]
assert d["overview"]["verdict"]["value"] == f.attrs["verdict"]
print("ok")
)", "c.h5.json c.h5");
    INFO(check.output);
    CHECK(check.exit_code == 0);
}

TEST_CASE("describe: info of a sweep shows the design, the best point and Sobol indices", "[input]") {
    TempDir dir;
    REQUIRE(run_retsim("sweep --set population.initial_customers=300 --set run.horizon_days=28 "
                       "--vary economics.margin_fraction=0.2:0.4 --vary 'acquisition.channels[0].spend_per_week_cents=0:2000000' "
                       "--design sobol --samples 4 -q -o s.h5",
                       dir)
                .exit_code == 0);
    const Outcome info = run_retsim("info s.h5", dir);
    INFO(info.output);
    REQUIRE(info.exit_code == 0);
    CHECK_THAT(info.output, Catch::StartsWith("retsim sweep s.h5\n"));
    CHECK_THAT(info.output, Catch::Contains("design          sobol, 16 points x 1 replicates = 16 runs"));
    CHECK_THAT(info.output, Catch::Contains("16 of 16 (0 failed), complete"));
    CHECK_THAT(info.output, Catch::Contains("best point") && Catch::Contains("worst point"));
    CHECK_THAT(info.output, Catch::Contains("Sobol indices"));
    CHECK(retsim::retsim_file_kind((dir / "s.h5").string()) == retsim::FileKind::Sweep);

    info_json(dir, "s.h5");
    const Outcome check = python(dir, R"(
import json, sys, h5py, numpy as np
d = json.load(open(sys.argv[1])); f = h5py.File(sys.argv[2])
assert d["kind"] == "sweep"
assert [r["names"] for r in d["tables"]["factors"]["rows"]] == [n.decode() for n in f["design/names"][()]]
mean = f["points/profit_cents_mean"][()]
best = d["headline"]["best"]["value"]
assert best[0] == int(np.nanargmax(mean)) and best[1] == np.nanmax(mean), best
assert best[2] == list(f["design/values"][best[0]])
rows = d["tables"]["sensitivity"]["rows"]
assert len(rows) == f["sensitivity/first"].size
first = f["sensitivity/first"][()]
for i, r in enumerate(rows):
    v = first.ravel()[i]
    assert (r["first"] is None and not np.isfinite(v)) or r["first"] == v, (r, v)
print("ok")
)", "s.h5.json s.h5");
    INFO(check.output);
    CHECK(check.exit_code == 0);
}

TEST_CASE("describe: scores files are described, foreign and missing files are refused", "[input]") {
    TempDir dir;
    REQUIRE(run_retsim("run " + kSmall + " --customers -o r.h5", dir).exit_code == 0);
    REQUIRE(run_retsim("score r.h5 -o r.scores.h5", dir).exit_code == 0);
    const Outcome scores = run_retsim("info r.scores.h5", dir);
    INFO(scores.output);
    CHECK(scores.exit_code == 0);
    CHECK_THAT(scores.output, Catch::StartsWith("retsim scores r.scores.h5\n"));
    CHECK_THAT(scores.output, Catch::Contains("r.h5"));
    CHECK_THAT(scores.output, Catch::Contains("mean_p_alive") && Catch::Contains("clv_total"));
    CHECK(retsim::retsim_file_kind((dir / "r.scores.h5").string()) == retsim::FileKind::Scores);
    info_json(dir, "r.scores.h5");
    const Outcome check = python(dir, R"(
import json, sys, h5py, numpy as np
d = json.load(open(sys.argv[1])); f = h5py.File(sys.argv[2])
assert d["kind"] == "scores"
assert abs(d["headline"]["mean_p_alive"]["value"] - np.nanmean(f["scores/p_alive"][()])) < 1e-9
assert abs(d["headline"]["clv_total_cents"]["value"] - np.nansum(f["scores/clv_cents"][()])) < 1e-6 * max(1, abs(np.nansum(f["scores/clv_cents"][()])))
print("ok")
)", "r.scores.h5.json r.scores.h5");
    INFO(check.output);
    CHECK(check.exit_code == 0);

    {
        const std::string foreign = (dir / "foreign.h5").string();
        const hid_t file = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE(file >= 0);
        H5Fclose(file);
    }
    const Outcome refused = run_retsim("info --json foreign.h5", dir);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.output, Catch::Contains("not a retsim result"));
    CHECK_THROWS_AS(retsim::retsim_file_kind((dir / "foreign.h5").string()), retsim::BadInput);
    CHECK_THROWS_AS(retsim::describe_result_file_json((dir / "foreign.h5").string()), retsim::RuntimeFailure);
    CHECK(run_retsim("info --json missing.h5", dir).exit_code == 1);
    CHECK_THROWS_AS(retsim::retsim_file_kind((dir / "missing.h5").string()), retsim::BadInput);
    write_file(dir / "text.h5", "not hdf5");
    CHECK(run_retsim("info text.h5", dir).exit_code == 1);
}
