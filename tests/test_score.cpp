// `retsim score` as a user meets it: scores of a simulated result equal the scalar scoring
// functions, CSV summary tables are read, results do not depend on --threads or --chunk, and
// bad input exits 2 (runtime failures 1) with a clear message and no file left behind.
#include <catch2/catch.hpp>

#include <hdf5.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "models/scoring.hpp"
#include "sim/scenario.hpp"
#include "sim/score_io.hpp"
#include "cli_helpers.hpp"

namespace fs = std::filesystem;
using namespace retsim;

namespace {

using retsim::test::Outcome;
using retsim::test::run_retsim;
using retsim::test::TempDir;

void write(const fs::path& p, const std::string& text) { retsim::test::write_file(p, text); }

/// Reads a whole 1-D dataset converted to T (memory type `type`).
template <class T>
std::vector<T> read_column(const fs::path& file, const std::string& dataset, hid_t type) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
    REQUIRE(d >= 0);
    const hid_t space = H5Dget_space(d);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<T> out(static_cast<std::size_t>(n));
    if (n > 0) REQUIRE(H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    return out;
}

double read_root_number(const fs::path& file, const char* name) {
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(f >= 0);
    const hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    REQUIRE(a >= 0);
    double value = 0;
    REQUIRE(H5Aread(a, H5T_NATIVE_DOUBLE, &value) >= 0);
    H5Aclose(a);
    H5Fclose(f);
    return value;
}

const char* const kScoreColumns[] = {"p_alive", "expected_purchases", "expected_spend_cents", "clv_cents",
                                     "propensity"};

/// Every dataset of two scores files holds the same bytes.
void check_same_scores(const fs::path& a, const fs::path& b) {
    CHECK(read_column<std::uint64_t>(a, "/scores/customer_id", H5T_NATIVE_UINT64) ==
          read_column<std::uint64_t>(b, "/scores/customer_id", H5T_NATIVE_UINT64));
    for (const char* name : kScoreColumns) {
        INFO(name);
        const std::vector<double> x = read_column<double>(a, std::string("/scores/") + name, H5T_NATIVE_DOUBLE);
        const std::vector<double> y = read_column<double>(b, std::string("/scores/") + name, H5T_NATIVE_DOUBLE);
        REQUIRE(x.size() == y.size());
        CHECK(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0);
    }
    for (const char* name : {"rfm_r", "rfm_f", "rfm_m"}) {
        INFO(name);
        CHECK(read_column<std::uint8_t>(a, std::string("/scores/") + name, H5T_NATIVE_UINT8) ==
              read_column<std::uint8_t>(b, std::string("/scores/") + name, H5T_NATIVE_UINT8));
    }
    CHECK(read_column<std::uint16_t>(a, "/scores/rfm_cell", H5T_NATIVE_UINT16) ==
          read_column<std::uint16_t>(b, "/scores/rfm_cell", H5T_NATIVE_UINT16));
}

const std::string kSmall = "--set population.initial_customers=3000 --set run.horizon_days=364 -q";

/// CDNOW BG/NBD fit (Fader, Hardie & Lee 2005) with the CDNOW Gamma-Gamma spend fit.
const std::string kCdnowScenario = R"([population]
model = "bgnbd"
[population.bgnbd]
r = 0.2426
alpha_weeks = 4.4137
a = 0.7930
b = 2.4262
[population.spend]
p = 6.25
q = 3.74
gamma_cents = 1544
)";

}  // namespace

TEST_CASE("score: a simulated result's scores equal the scalar scoring functions", "[unit]") {
    TempDir dir;
    const std::string overrides = "--set population.initial_customers=3000 --set run.horizon_days=364";
    const Outcome run = run_retsim("run --customers -q " + overrides + " -o r.h5", dir);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    const Outcome score = run_retsim("score r.h5 -o s.h5 -q", dir);
    INFO(score.output);
    REQUIRE(score.exit_code == 0);
    CHECK(dir.count_files() == 2);

    const fs::path r = dir / "r.h5";
    const fs::path s = dir / "s.h5";
    const auto key = read_column<std::uint64_t>(r, "/customers/key", H5T_NATIVE_UINT64);
    const auto birth = read_column<double>(r, "/customers/birth_day", H5T_NATIVE_DOUBLE);
    const auto last = read_column<double>(r, "/customers/last_purchase_day", H5T_NATIVE_DOUBLE);
    const auto repeat = read_column<double>(r, "/customers/repeat_purchases", H5T_NATIVE_DOUBLE);
    const auto spend = read_column<double>(r, "/customers/spend_cents", H5T_NATIVE_DOUBLE);
    const double end_day = read_root_number(r, "steps") * read_root_number(r, "step_days");
    REQUIRE(key.size() > 3000);
    CHECK(read_column<std::uint64_t>(s, "/scores/customer_id", H5T_NATIVE_UINT64) == key);

    const Scenario sc = parse_scenario(default_scenario_text(), "<built-in default>",
                                       {"population.initial_customers=3000", "run.horizon_days=364"});
    const ScoringModel model = scoring_model(sc.population.behaviour->parameters(), "default");
    REQUIRE(model.name == "bgnbd");
    const ClvSettings clv{52, 1, 0.1, 0.3};

    const auto p_alive = read_column<double>(s, "/scores/p_alive", H5T_NATIVE_DOUBLE);
    const auto expected = read_column<double>(s, "/scores/expected_purchases", H5T_NATIVE_DOUBLE);
    const auto spend_score = read_column<double>(s, "/scores/expected_spend_cents", H5T_NATIVE_DOUBLE);
    const auto clv_score = read_column<double>(s, "/scores/clv_cents", H5T_NATIVE_DOUBLE);
    const auto prop = read_column<double>(s, "/scores/propensity", H5T_NATIVE_DOUBLE);
    const auto r_score = read_column<std::uint8_t>(s, "/scores/rfm_r", H5T_NATIVE_UINT8);
    const auto f_score = read_column<std::uint8_t>(s, "/scores/rfm_f", H5T_NATIVE_UINT8);
    const auto m_score = read_column<std::uint8_t>(s, "/scores/rfm_m", H5T_NATIVE_UINT8);
    const auto cell = read_column<std::uint16_t>(s, "/scores/rfm_cell", H5T_NATIVE_UINT16);
    REQUIRE(p_alive.size() == key.size());

    bool some_repeat = false;
    for (const std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{17}, key.size() / 2, key.size() - 1}) {
        History h;
        h.x = repeat[i];
        h.t_x_weeks = (last[i] - birth[i]) / 7.0;
        h.T_weeks = (end_day - birth[i]) / 7.0;
        h.spend_count = h.x + 1;
        h.mean_spend_cents = spend[i] / (h.x + 1);
        some_repeat = some_repeat || h.x > 0;
        INFO("customer " << i << ": x=" << h.x << " t_x=" << h.t_x_weeks << " T=" << h.T_weeks);
        CHECK(p_alive[i] == Approx(bgnbd_p_alive(model.bgnbd, h)).epsilon(1e-12));
        CHECK(expected[i] == Approx(bgnbd_expected_purchases(model.bgnbd, h, 52)).epsilon(1e-12));
        CHECK(spend_score[i] ==
              Approx(gamma_gamma_expected_spend(model.spend, h.spend_count, h.mean_spend_cents)).epsilon(1e-12));
        CHECK(clv_score[i] == Approx(bgnbd_clv(model.bgnbd, model.spend, h, clv)).epsilon(1e-12));
        CHECK(prop[i] == Approx(propensity(PropensityModel{}, h)).epsilon(1e-12));
    }
    // A population of thousands has repeat buyers among the first customers; if not, the
    // checks above would not have exercised x > 0.
    for (std::size_t i = 0; i < key.size() && !some_repeat; ++i) some_repeat = repeat[i] > 0;
    CHECK(some_repeat);
    for (std::size_t i = 0; i < key.size(); ++i) {
        REQUIRE(r_score[i] >= 1);
        REQUIRE(r_score[i] <= 5);
        REQUIRE(f_score[i] >= 1);
        REQUIRE(f_score[i] <= 5);
        REQUIRE(m_score[i] >= 1);
        REQUIRE(m_score[i] <= 5);
        REQUIRE(cell[i] == 100 * r_score[i] + 10 * f_score[i] + m_score[i]);
        REQUIRE(p_alive[i] >= 0);
        REQUIRE(p_alive[i] <= 1);
    }
}

TEST_CASE("score: a Pareto/NBD result is scored with the Pareto/NBD formulas", "[unit]") {
    TempDir dir;
    const std::string scenario =
        "[run]\nhorizon_days = 364\n[population]\ninitial_customers = 2000\nmodel = \"paretonbd\"\n"
        "[population.paretonbd]\nr = 0.553\nalpha_weeks = 10.578\ns = 0.606\nbeta_weeks = 11.669\n";
    write(dir / "pareto.toml", scenario);
    REQUIRE(run_retsim("run pareto.toml --customers -q -o r.h5", dir).exit_code == 0);
    const Outcome score = run_retsim("score r.h5 -o s.h5 -q --forecast-weeks 26", dir);
    INFO(score.output);
    REQUIRE(score.exit_code == 0);
    const fs::path r = dir / "r.h5";
    const fs::path s = dir / "s.h5";
    const auto birth = read_column<double>(r, "/customers/birth_day", H5T_NATIVE_DOUBLE);
    const auto last = read_column<double>(r, "/customers/last_purchase_day", H5T_NATIVE_DOUBLE);
    const auto repeat = read_column<double>(r, "/customers/repeat_purchases", H5T_NATIVE_DOUBLE);
    const auto spend = read_column<double>(r, "/customers/spend_cents", H5T_NATIVE_DOUBLE);
    const double end_day = read_root_number(r, "steps") * read_root_number(r, "step_days");
    const auto p_alive = read_column<double>(s, "/scores/p_alive", H5T_NATIVE_DOUBLE);
    const auto expected = read_column<double>(s, "/scores/expected_purchases", H5T_NATIVE_DOUBLE);
    const auto clv_score = read_column<double>(s, "/scores/clv_cents", H5T_NATIVE_DOUBLE);
    REQUIRE(p_alive.size() == birth.size());
    const ParetoNbdParams p{0.553, 10.578, 0.606, 11.669};
    const GammaGammaParams g;  // the scenario's default spend model
    for (std::size_t i = 0; i < birth.size(); i += birth.size() / 7) {
        History h;
        h.x = repeat[i];
        h.t_x_weeks = (last[i] - birth[i]) / 7.0;
        h.T_weeks = (end_day - birth[i]) / 7.0;
        h.spend_count = h.x + 1;
        h.mean_spend_cents = spend[i] / (h.x + 1);
        INFO("customer " << i << ": x=" << h.x << " t_x=" << h.t_x_weeks << " T=" << h.T_weeks);
        CHECK(p_alive[i] == Approx(paretonbd_p_alive(p, h)).epsilon(1e-12));
        CHECK(expected[i] == Approx(paretonbd_expected_purchases(p, h, 26)).epsilon(1e-12));
        CHECK(clv_score[i] == Approx(paretonbd_clv(p, g, h, ClvSettings{})).epsilon(1e-12));
    }
}

TEST_CASE("score: a CSV summary table is scored with parameters from a scenario", "[unit]") {
    TempDir dir;
    write(dir / "cdnow.toml", kCdnowScenario);
    // Column order is free and extra columns are ignored; the CDNOW golden customer is row 2.
    write(dir / "summary.csv",
          "x,customer_id,note,t_x,T,m_x\n"
          "0,7,first,0,38.86,2500\n"
          "2,42,golden,30.43,38.86,3500\n"
          "\n"
          "10,9000000000,\"big\",35.0,39.0,1999.5\n");
    const Outcome score = run_retsim("score summary.csv --scenario cdnow.toml --forecast-weeks 39 -o s.h5 -q", dir);
    INFO(score.output);
    REQUIRE(score.exit_code == 0);
    const fs::path s = dir / "s.h5";
    CHECK(read_column<std::uint64_t>(s, "/scores/customer_id", H5T_NATIVE_UINT64) ==
          std::vector<std::uint64_t>{7, 42, 9000000000ULL});
    const auto expected = read_column<double>(s, "/scores/expected_purchases", H5T_NATIVE_DOUBLE);
    REQUIRE(expected.size() == 3);
    // Fader, Hardie & Lee (2005): E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226 for CDNOW.
    CHECK(expected[1] == Approx(1.226).margin(0.0005));

    const BgNbdParams p{0.2426, 4.4137, 0.7930, 2.4262};
    History h;
    h.x = 10;
    h.t_x_weeks = 35.0;
    h.T_weeks = 39.0;
    h.mean_spend_cents = 1999.5;
    h.spend_count = 10;  // CDNOW convention without a spend_count column: x
    const auto p_alive = read_column<double>(s, "/scores/p_alive", H5T_NATIVE_DOUBLE);
    CHECK(p_alive[2] == Approx(bgnbd_p_alive(p, h)).epsilon(1e-12));
    const auto spend = read_column<double>(s, "/scores/expected_spend_cents", H5T_NATIVE_DOUBLE);
    CHECK(spend[2] == Approx(gamma_gamma_expected_spend(GammaGammaParams{6.25, 3.74, 1544}, 10, 1999.5))
                          .epsilon(1e-12));
}

TEST_CASE("score: results do not depend on --threads or --chunk", "[unit]") {
    TempDir dir;
    const Outcome run = run_retsim("run --customers " + kSmall + " --set population.initial_customers=20000 -o r.h5", dir);
    REQUIRE(run.exit_code == 0);
    REQUIRE(run_retsim("score r.h5 -o a.h5 -q --threads 1", dir).exit_code == 0);
    REQUIRE(run_retsim("score r.h5 -o b.h5 -q --threads 2 --chunk 777", dir).exit_code == 0);
    REQUIRE(run_retsim("score r.h5 -o c.h5 -q --threads 4 --chunk 65536", dir).exit_code == 0);
    check_same_scores(dir / "a.h5", dir / "b.h5");
    check_same_scores(dir / "a.h5", dir / "c.h5");

    write(dir / "cdnow.toml", kCdnowScenario);
    std::ostringstream csv;
    csv << "customer_id,x,t_x,T,m_x,spend_count\n";
    for (int i = 0; i < 5000; ++i) {
        const int x = (i * 7) % 13;
        const double T = 10 + (i % 50);
        csv << i << ',' << x << ',' << (x == 0 ? 0.0 : T * ((i % 10) / 10.0)) << ',' << T << ',' << 1000 + i % 3000
            << ',' << x + 1 << '\n';
    }
    write(dir / "t.csv", csv.str());
    REQUIRE(run_retsim("score t.csv --scenario cdnow.toml -o d.h5 -q --threads 1", dir).exit_code == 0);
    REQUIRE(run_retsim("score t.csv --scenario cdnow.toml -o e.h5 -q --threads 2 --chunk 999", dir).exit_code == 0);
    check_same_scores(dir / "d.h5", dir / "e.h5");
}

TEST_CASE("score: the RFM sample does not depend on how the input is cut into chunks", "[unit]") {
    const auto stride_and_size = [](std::size_t chunk_size) {
        RfmSample sample(100);
        std::uint64_t first = 0;
        while (first < 1000) {
            HistoryChunk c;
            c.resize(std::size_t(std::min<std::uint64_t>(chunk_size, 1000 - first)));
            for (std::size_t i = 0; i < c.size(); ++i) c.customer_id[i] = first + i;
            sample.add(c, first);
            first += c.size();
        }
        return std::make_pair(sample.stride(), sample.size());
    };
    // 1000 customers, at most 100 sampled: stride 16 (63 customers), whatever the chunks.
    CHECK(stride_and_size(1) == std::make_pair(std::uint64_t{16}, std::size_t{63}));
    CHECK(stride_and_size(7) == stride_and_size(1));
    CHECK(stride_and_size(1000) == stride_and_size(1));
}

TEST_CASE("score: bad input exits 2, runtime failures exit 1, with clear messages and no file left", "[input]") {
    TempDir dir;
    write(dir / "cdnow.toml", kCdnowScenario);

    const Outcome missing = run_retsim("score nope.csv --scenario cdnow.toml -o s.h5", dir);
    CHECK(missing.exit_code == 2);
    CHECK(missing.output.find("nope.csv") != std::string::npos);
    CHECK(missing.output.find("no such file") != std::string::npos);

    write(dir / "no_m.csv", "customer_id,x,t_x,T\n1,0,0,5\n");
    const Outcome no_column = run_retsim("score no_m.csv --scenario cdnow.toml -o s.h5", dir);
    INFO(no_column.output);
    CHECK(no_column.exit_code == 2);
    CHECK(no_column.output.find("m_x") != std::string::npos);
    CHECK(no_column.output.find("missing column") != std::string::npos);

    write(dir / "bad.csv", "customer_id,x,t_x,T,m_x\n1,0,0,5,100\n2,abc,1,5,100\n3,1,6,5,100\n");
    const Outcome bad_number = run_retsim("score bad.csv --scenario cdnow.toml -o s.h5", dir);
    INFO(bad_number.output);
    CHECK(bad_number.exit_code == 2);
    CHECK(bad_number.output.find("bad.csv:3: x: not a finite number: \"abc\"") != std::string::npos);
    CHECK(bad_number.output.find("bad.csv:4: t_x:") != std::string::npos);  // t_x > T

    write(dir / "ok.csv", "customer_id,x,t_x,T,m_x\n1,0,0,5,100\n");
    const Outcome no_parameters = run_retsim("score ok.csv -o s.h5", dir);
    CHECK(no_parameters.exit_code == 2);
    CHECK(no_parameters.output.find("--scenario") != std::string::npos);

    REQUIRE(run_retsim("run " + kSmall + " -o plain.h5", dir).exit_code == 0);
    const Outcome no_customers = run_retsim("score plain.h5 -o s.h5", dir);
    INFO(no_customers.output);
    CHECK(no_customers.exit_code == 2);
    CHECK(no_customers.output.find("--customers") != std::string::npos);

    CHECK(run_retsim("score ok.csv --scenario cdnow.toml --rfm-bins 12 -o s.h5", dir).exit_code == 2);
    CHECK(run_retsim("score ok.csv --scenario cdnow.toml --margin 1.5 -o s.h5", dir).exit_code == 2);
    CHECK_FALSE(fs::exists(dir / "s.h5"));
    CHECK(dir.count_files() == 5);  // cdnow.toml, no_m.csv, bad.csv, ok.csv, plain.h5

    const Outcome no_dir = run_retsim("score ok.csv --scenario cdnow.toml -o missing_dir/s.h5", dir);
    INFO(no_dir.output);
    CHECK(no_dir.exit_code == 1);
    CHECK(dir.count_files() == 5);

    write(dir / "s.h5", "precious");
    const Outcome exists = run_retsim("score ok.csv --scenario cdnow.toml -o s.h5", dir);
    CHECK(exists.exit_code == 2);
    CHECK(exists.output.find("--force") != std::string::npos);
    CHECK(run_retsim("score ok.csv --scenario cdnow.toml -o s.h5 --force -q", dir).exit_code == 0);
    CHECK(dir.count_files() == 6);
}
