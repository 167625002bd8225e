// Sweep designs: --vary parsing, grid / LHS / Saltelli designs, SALib design files, override
// text, and Sobol indices against closed forms (Ishigami, linear model).
#include <catch2/catch.hpp>

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/sweep_design.hpp"
#include "tests/cli_helpers.hpp"

namespace {

using retsim::BadInput;
using retsim::Design;
using retsim::DesignKind;
using retsim::Factor;
using retsim::make_design;
using retsim::parse_vary;

Factor range(std::string key, double low, double high, bool integer = false) {
    Factor f;
    f.key = std::move(key);
    f.low = low;
    f.high = high;
    f.integer = integer;
    return f;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// The message parse_vary throws for `spec`, or "" when it does not throw.
std::string vary_error(const std::string& spec, bool integer = false) {
    try {
        (void)parse_vary(spec, integer);
    } catch (const BadInput& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sweep design: --vary accepts ranges, evenly spaced levels and lists", "[sweep_design][input]") {
    SECTION("LOW:HIGH is a continuous range without levels") {
        const Factor f = parse_vary("population.bgnbd.r=0.1:2.5", false);
        CHECK(f.key == "population.bgnbd.r");
        CHECK(f.low == 0.1);
        CHECK(f.high == 2.5);
        CHECK(f.levels.empty());
        CHECK_FALSE(f.integer);
        CHECK(f.units.empty());
    }
    SECTION("spaces, signs and exponents") {
        const Factor f = parse_vary("  strategies[0].budget_per_week_cents =  +1e3 : 2.5E4 ", false);
        CHECK(f.key == "strategies[0].budget_per_week_cents");
        CHECK(f.units == "cents");
        CHECK(f.low == 1000);
        CHECK(f.high == 25000);
        CHECK(parse_vary("x=-2.5:-1", false).low == -2.5);
    }
    SECTION("LOW:HIGH:N gives N evenly spaced levels with exact ends") {
        // 0.3 + (0.9 - 0.3) is 0.9000000000000001 in doubles: the last level must be HIGH itself.
        const Factor f = parse_vary("population.history_days=0.3:0.9:7", false);
        REQUIRE(f.levels.size() == 7);
        CHECK(f.levels.front() == 0.3);
        CHECK(f.levels.back() == 0.9);
        for (std::size_t i = 0; i < 7; ++i) CHECK(f.levels[i] == Approx(0.3 + 0.1 * double(i)).epsilon(1e-14));
        CHECK(f.low == 0.3);
        CHECK(f.high == 0.9);
        CHECK(f.units == "days");
    }
    SECTION("integer keys take whole levels") {
        const Factor f = parse_vary("population.initial_customers=1000:5000:5", true);
        CHECK(f.integer);
        CHECK(f.levels == std::vector<double>{1000, 2000, 3000, 4000, 5000});
        CHECK(f.units == "customers");
        CHECK(parse_vary("run.seed=1:9", true).high == 9);
    }
    SECTION("a list keeps its order; LOW and HIGH are its extremes") {
        const Factor f = parse_vary("economics.margin_fraction=[0.3, 0.1,0.2 ]", false);
        CHECK(f.levels == std::vector<double>{0.3, 0.1, 0.2});
        CHECK(f.low == 0.1);
        CHECK(f.high == 0.3);
        CHECK(f.units == "fraction");
        const Factor one = parse_vary("run.seed=[7]", true);
        CHECK(one.levels == std::vector<double>{7});
        CHECK(one.low == 7);
        CHECK(one.high == 7);
    }
}

TEST_CASE("sweep design: every bad --vary spec is rejected with a message that quotes it", "[sweep_design][input]") {
    CHECK(vary_error("population.bgnbd.r=2:1") == "--vary \"population.bgnbd.r=2:1\": LOW (2) is above HIGH (1)");
    CHECK(vary_error("population.bgnbd.r") ==
          "--vary \"population.bgnbd.r\": expected KEY=LOW:HIGH, KEY=LOW:HIGH:N or KEY=[v1,v2,...], but there is no '='");
    CHECK(vary_error(" =1:2") == "--vary \" =1:2\": the key before '=' is empty");
    CHECK(vary_error("a b=1:2") == "--vary \"a b=1:2\": the key \"a b\" contains a space");
    CHECK(vary_error("x=") == "--vary \"x=\": nothing after '='; expected LOW:HIGH, LOW:HIGH:N or [v1,v2,...]");
    CHECK(vary_error("x=5") == "--vary \"x=5\": expected LOW:HIGH, LOW:HIGH:N or [v1,v2,...] after '=', got \"5\"");
    CHECK(vary_error("x=1:2:3:4") ==
          "--vary \"x=1:2:3:4\": expected LOW:HIGH, LOW:HIGH:N or [v1,v2,...] after '=', got \"1:2:3:4\"");
    CHECK(vary_error("x=abc:2") == "--vary \"x=abc:2\": LOW \"abc\" is not a number");
    CHECK(vary_error("x=1:2x") == "--vary \"x=1:2x\": HIGH \"2x\" is not a number");
    CHECK(vary_error("x=:2") == "--vary \"x=:2\": LOW \"\" is not a number");
    CHECK(vary_error("x=1:inf") == "--vary \"x=1:inf\": HIGH \"inf\" is not a finite number");
    CHECK(vary_error("x=nan:1") == "--vary \"x=nan:1\": LOW \"nan\" is not a finite number");
    CHECK(vary_error("x=1:1e999") == "--vary \"x=1:1e999\": HIGH \"1e999\" is not a finite number");
    CHECK(vary_error("x=3:3") == "--vary \"x=3:3\": LOW equals HIGH (3), so nothing varies; use --set for a fixed value");
    CHECK(vary_error("x=1:2:1") == "--vary \"x=1:2:1\": N (1) must be at least 2: both ends are levels");
    CHECK(vary_error("x=1:2:0") == "--vary \"x=1:2:0\": N (0) must be at least 2: both ends are levels");
    CHECK(vary_error("x=1:2:2.5") == "--vary \"x=1:2:2.5\": N \"2.5\" is not a whole number of levels");
    CHECK(vary_error("x=1:2:-3") == "--vary \"x=1:2:-3\": N \"-3\" is not a whole number of levels");
    CHECK(vary_error("x=1:2:") == "--vary \"x=1:2:\": N \"\" is not a whole number of levels");
    CHECK(vary_error("x=1:2:10000001") ==
          "--vary \"x=1:2:10000001\": N (10000001) is above the limit of 10,000,000 levels");
    CHECK(vary_error("x=[]") == "--vary \"x=[]\": the list of levels is empty; give at least one number");
    CHECK(vary_error("x=[1,2") == "--vary \"x=[1,2\": the list of levels has no closing ']'");
    CHECK(vary_error("x=[1,,2]") == "--vary \"x=[1,,2]\": level 2 is empty");
    CHECK(vary_error("x=[1,2,]") == "--vary \"x=[1,2,]\": level 3 is empty");
    CHECK(vary_error("x=[1,two]") == "--vary \"x=[1,two]\": level 2 \"two\" is not a number");
    CHECK(vary_error("x=[1,inf]") == "--vary \"x=[1,inf]\": level 2 \"inf\" is not a finite number");
    CHECK(vary_error("x=[1,2,1]") == "--vary \"x=[1,2,1]\": level 3 (1) appears twice");
    // Integer keys: every number must be whole, and evenly spaced levels too.
    CHECK(vary_error("run.seed=1.5:3", true) ==
          "--vary \"run.seed=1.5:3\": LOW (1.5) is not a whole number, and the key is an integer key");
    CHECK(vary_error("run.seed=[1,2.25]", true) ==
          "--vary \"run.seed=[1,2.25]\": level 2 (2.25) is not a whole number, and the key is an integer key");
    CHECK(vary_error("run.seed=1:1e20", true) ==
          "--vary \"run.seed=1:1e20\": HIGH (1e+20) is too large for an integer key (at most 2^53)");
    CHECK(vary_error("run.seed=0:10:4", true) ==
          "--vary \"run.seed=0:10:4\": level 2 of 4 would be 3.333333333333333, not a whole number, and the key "
          "is an integer key; choose N so that (HIGH - LOW) / (N - 1) is whole, or list the levels as [v1,v2,...]");
    // The same fractional numbers are fine for a real key.
    CHECK(vary_error("x=0:10:4", false).empty());
}

TEST_CASE("sweep design: units come from the key's name", "[sweep_design][unit]") {
    CHECK(retsim::units_of_key("strategies[0].budget_per_week_cents") == "cents");
    CHECK(retsim::units_of_key("population.history_days") == "days");
    CHECK(retsim::units_of_key("population.bgnbd.alpha_weeks") == "weeks");
    CHECK(retsim::units_of_key("economics.margin_fraction") == "fraction");
    CHECK(retsim::units_of_key("strategies[1].response_probability") == "fraction");
    CHECK(retsim::units_of_key("service.complaint_probability") == "fraction");
    CHECK(retsim::units_of_key("service.failure_rate_per_year") == "per year");
    CHECK(retsim::units_of_key("population.initial_customers") == "customers");
    CHECK(retsim::units_of_key("population.bgnbd.r") == "");
    CHECK(retsim::units_of_key("run.seed") == "");
    // Only the last segment names the field.
    CHECK(retsim::units_of_key("days_table.r") == "");
    CHECK(retsim::units_of_key("acquisition.channels[0].spend_per_week_cents") == "cents");
}

TEST_CASE("sweep design: kind names", "[sweep_design][unit]") {
    CHECK(std::string(retsim::design_kind_name(DesignKind::Grid)) == "grid");
    CHECK(std::string(retsim::design_kind_name(DesignKind::Lhs)) == "lhs");
    CHECK(std::string(retsim::design_kind_name(DesignKind::Sobol)) == "sobol");
    CHECK(std::string(retsim::design_kind_name(DesignKind::File)) == "file");
}

TEST_CASE("sweep design: override text is the shortest exact form and reads back as TOML", "[sweep_design][unit]") {
    const Factor real = range("population.history_days", 0, 1000);
    const Factor whole = range("population.initial_customers", 0, 1e6, true);
    CHECK(retsim::override_text(whole, 3.0) == "population.initial_customers=3");
    CHECK(retsim::override_text(whole, 2.6) == "population.initial_customers=3");
    CHECK(retsim::override_text(whole, -0.0) == "population.initial_customers=0");
    CHECK(retsim::override_text(whole, 9007199254740992.0) == "population.initial_customers=9007199254740992");
    CHECK(retsim::override_text(real, 0.1) == "population.history_days=0.1");
    CHECK(retsim::override_text(real, 2.0) == "population.history_days=2");
    CHECK(retsim::override_text(real, 1e-05) == "population.history_days=1e-05");
    CHECK(retsim::override_text(real, 1e20) == "population.history_days=1e+20");
    CHECK(retsim::override_text(real, 1.0 / 3) == "population.history_days=0.3333333333333333");
    // Shortest fixed form would be 21 digits without '.', an integer too large for TOML.
    CHECK(retsim::override_text(real, 123456789012345680000.0) == "population.history_days=1.2345678901234568e+20");

    SECTION("every form reads back through TOML as the same double") {
        for (const double v : {0.1, 2.0, -0.0, 1e-05, 1e20, 1.0 / 3, 123456789012345680000.0, 5e-324,
                               std::numeric_limits<double>::max(), -1.5e-300, 7e15, 1e16}) {
            const std::string text = retsim::override_text(real, v);
            const std::string value = text.substr(text.find('=') + 1);
            INFO(text);
            const toml::table parsed = toml::parse("v = " + value);
            const std::optional<double> back = parsed["v"].value<double>();
            REQUIRE(back.has_value());
            CHECK(*back == v);
        }
    }
    SECTION("and through the scenario's --set") {
        const retsim::Scenario s = retsim::parse_scenario(
            retsim::default_scenario_text(), "<built-in default>",
            {retsim::override_text(real, 1.0 / 3), retsim::override_text(whole, 12345)});
        CHECK(s.population.history_days == 1.0 / 3);
        CHECK(s.population.initial_customers == 12345);
    }
    SECTION("non-finite values are refused") {
        CHECK_THROWS_AS(retsim::override_text(real, std::numeric_limits<double>::quiet_NaN()), BadInput);
        CHECK_THROWS_AS(retsim::override_text(real, std::numeric_limits<double>::infinity()), BadInput);
        CHECK_THROWS_AS(retsim::override_text(whole, 1e300), BadInput);
    }
}

TEST_CASE("sweep design: a grid is the full factorial, last factor fastest", "[sweep_design][unit]") {
    std::vector<Factor> factors{parse_vary("a=[1,2]", false), parse_vary("b=0:1:3", false),
                                parse_vary("c=[10,20]", true)};
    const Design d = make_design(DesignKind::Grid, factors, 999, 5);
    CHECK(d.kind == DesignKind::Grid);
    CHECK(d.rows == 2 * 3 * 2);
    CHECK(d.seed == 0);
    CHECK(d.saltelli_base == 0);
    REQUIRE(d.values.size() == d.rows * 3);
    const std::vector<std::vector<double>> expected{
        {1, 0, 10},   {1, 0, 20},   {1, 0.5, 10}, {1, 0.5, 20}, {1, 1, 10}, {1, 1, 20},
        {2, 0, 10},   {2, 0, 20},   {2, 0.5, 10}, {2, 0.5, 20}, {2, 1, 10}, {2, 1, 20},
    };
    for (std::size_t r = 0; r < d.rows; ++r) {
        for (std::size_t j = 0; j < 3; ++j) CHECK(d.at(r, j) == expected[r][j]);
    }
    // Exact ends survive into the design.
    const Design e = make_design(DesignKind::Grid, {parse_vary("x=0.3:0.9:4", false)}, 0, 0);
    CHECK(e.rows == 4);
    CHECK(e.at(0, 0) == 0.3);
    CHECK(e.at(3, 0) == 0.9);
}

TEST_CASE("sweep design: bad design requests are rejected", "[sweep_design][input]") {
    using Catch::Matchers::Contains;
    const Factor ranged = parse_vary("x=0:1", false);
    CHECK_THROWS_WITH(make_design(DesignKind::Grid, {}, 10, 1), Contains("at least one factor"));
    CHECK_THROWS_WITH(make_design(DesignKind::Grid, {ranged}, 10, 1),
                      "a grid needs levels for every factor; give x as KEY=LOW:HIGH:N or KEY=[v1,v2,...], "
                      "not as a range LOW:HIGH");
    const Factor hundred = parse_vary("y=0:1:100", false);
    std::vector<Factor> huge;
    for (const char* key : {"a", "b", "c", "d"}) {
        Factor f = hundred;
        f.key = key;
        huge.push_back(f);
    }
    CHECK_THROWS_WITH(make_design(DesignKind::Grid, huge, 0, 0), Contains("more than 10,000,000 points"));
    CHECK_THROWS_WITH(make_design(DesignKind::Lhs, {ranged}, 0, 1), "an lhs design needs at least 1 sample");
    CHECK_THROWS_WITH(make_design(DesignKind::Lhs, {ranged}, 10'000'001, 1), Contains("10,000,000"));
    CHECK_THROWS_WITH(make_design(DesignKind::Sobol, {ranged}, 0, 1), Contains("at least 1"));
    CHECK_THROWS_WITH(make_design(DesignKind::Sobol, {ranged}, 3'333'334, 1), Contains("more than 10,000,000 rows"));
    CHECK_THROWS_WITH(make_design(DesignKind::Lhs, {ranged, ranged}, 10, 1),
                      "the key x is varied twice; give each key once");
    CHECK_THROWS_WITH(make_design(DesignKind::File, {ranged}, 10, 1), Contains("read_design_files"));
    std::vector<Factor> too_many(1834, ranged);
    for (std::size_t i = 0; i < too_many.size(); ++i) too_many[i].key = std::to_string(i);
    CHECK_THROWS_WITH(make_design(DesignKind::Sobol, too_many, 1, 1), Contains("at most 1,833 factors"));
}

TEST_CASE("sweep design: a Latin hypercube has one value per stratum per factor", "[sweep_design][unit]") {
    const std::vector<Factor> factors{range("a", -3, 5), range("b", 0, 1), range("c", 1e3, 1e6)};
    const std::size_t n = 64;
    const Design d = make_design(DesignKind::Lhs, factors, n, 42);
    CHECK(d.kind == DesignKind::Lhs);
    CHECK(d.rows == n);
    CHECK(d.seed == 42);
    for (std::size_t j = 0; j < factors.size(); ++j) {
        std::set<std::size_t> strata;
        for (std::size_t r = 0; r < n; ++r) {
            const double v = d.at(r, j);
            REQUIRE(v > factors[j].low);
            REQUIRE(v < factors[j].high);
            strata.insert(static_cast<std::size_t>((v - factors[j].low) / (factors[j].high - factors[j].low) * double(n)));
        }
        CHECK(strata.size() == n);
        CHECK(*strata.rbegin() == n - 1);
    }
    // Strata are permuted independently per factor: the ranks of two columns are uncorrelated
    // (Spearman's rho has standard error 1 / sqrt(63) = 0.13 here; 0.4 is three of them).
    const auto stratum = [&](std::size_t r, std::size_t j) {
        return std::floor((d.at(r, j) - factors[j].low) / (factors[j].high - factors[j].low) * double(n));
    };
    for (std::size_t j = 1; j < factors.size(); ++j) {
        double sum_d2 = 0;
        for (std::size_t r = 0; r < n; ++r) sum_d2 += std::pow(stratum(r, 0) - stratum(r, j), 2);
        const double rho = 1 - 6 * sum_d2 / (double(n) * (double(n) * double(n) - 1));
        CHECK(std::fabs(rho) < 0.4);
    }
    // Philox keyed by the seed: these values are the same on every platform.
    CHECK(d.at(0, 0) == 0.85581537148516151);
    CHECK(d.at(0, 1) == 0.62164752295894621);
    CHECK(d.at(0, 2) == 47561.338285193662);
    CHECK(d.at(1, 0) == 3.6748542312743639);
    CHECK(d.at(1, 1) == 0.07416673123190734);
    CHECK(d.at(1, 2) == 326313.37216897169);
    // Reproducible bit for bit; another seed permutes differently.
    const Design again = make_design(DesignKind::Lhs, factors, n, 42);
    CHECK(again.values == d.values);
    const Design other = make_design(DesignKind::Lhs, factors, n, 43);
    CHECK(other.values != d.values);
    // Adding a factor leaves the columns of the others unchanged.
    std::vector<Factor> more = factors;
    more.push_back(range("d", 0, 1));
    const Design wider = make_design(DesignKind::Lhs, more, n, 42);
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t j = 0; j < factors.size(); ++j) CHECK(wider.at(r, j) == d.at(r, j));
    }
    // Integer factors are rounded and stay in range.
    const Design whole = make_design(DesignKind::Lhs, {range("run.seed", 1, 10, true)}, 25, 7);
    for (std::size_t r = 0; r < whole.rows; ++r) {
        CHECK(whole.at(r, 0) == std::round(whole.at(r, 0)));
        CHECK(whole.at(r, 0) >= 1);
        CHECK(whole.at(r, 0) <= 10);
    }
}

TEST_CASE("sweep design: Saltelli rows are A, AB_1..AB_k, B per base row", "[sweep_design][unit]") {
    const std::vector<Factor> factors{range("a", 0, 10), range("b", -1, 1), range("c", 5, 6), range("n", 0, 100, true)};
    const std::size_t k = factors.size();
    const std::size_t n = 128;
    const Design d = make_design(DesignKind::Sobol, factors, n, 0);
    CHECK(d.kind == DesignKind::Sobol);
    CHECK(d.saltelli_base == n);
    REQUIRE(d.rows == n * (k + 2));
    for (std::size_t b = 0; b < n; ++b) {
        const std::size_t a_row = b * (k + 2);
        const std::size_t b_row = a_row + k + 1;
        for (std::size_t j = 0; j < k; ++j) {
            for (std::size_t c = 0; c < k; ++c) {
                CHECK(d.at(a_row + 1 + j, c) == d.at(c == j ? b_row : a_row, c));
            }
        }
    }
    for (std::size_t r = 0; r < d.rows; ++r) {
        for (std::size_t c = 0; c < k; ++c) {
            CHECK(d.at(r, c) >= factors[c].low);
            CHECK(d.at(r, c) <= factors[c].high);
        }
        CHECK(d.at(r, 3) == std::round(d.at(r, 3)));
    }
    // The sequence starts at point 1 of the 8-dimensional Sobol sequence (all coordinates 1/2),
    // then point 2, (3/4, 1/4, 1/4, 1/4, 3/4, 3/4, 1/4, 3/4) with Joe-Kuo directions: the zero
    // point is skipped, and B is the last k coordinates.
    const std::vector<double> point2{0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.25, 0.75};
    for (std::size_t c = 0; c < k; ++c) {
        CHECK(d.at(0, c) == factors[c].low + 0.5 * (factors[c].high - factors[c].low));
        CHECK(d.at(k + 2, c) == factors[c].low + point2[c] * (factors[c].high - factors[c].low));
        CHECK(d.at(2 * (k + 2) - 1, c) == factors[c].low + point2[k + c] * (factors[c].high - factors[c].low));
    }
    // Columns of A are stratified as a Sobol net is: with 128 points, each of 128 equal
    // intervals of a column holds exactly one point.
    std::set<std::size_t> cells;
    for (std::size_t b = 0; b < n; ++b) cells.insert(static_cast<std::size_t>(d.at(b * (k + 2), 0) / 10 * 128));
    CHECK(cells.size() <= n);
    CHECK(cells.size() >= n - 1);  // point 0 (the skipped zero) leaves one cell to point 128
}

namespace {

// Ishigami function: f = sin x1 + a sin^2 x2 + b x3^4 sin x1 on [-pi, pi]^3.
constexpr double kIshigamiA = 7.0;
constexpr double kIshigamiB = 0.1;
double ishigami(double x1, double x2, double x3) {
    return std::sin(x1) + kIshigamiA * std::sin(x2) * std::sin(x2) + kIshigamiB * std::pow(x3, 4) * std::sin(x1);
}

}  // namespace

TEST_CASE("sweep design: Sobol indices of the Ishigami function match the closed form", "[sweep_design][stat]") {
    // Closed form (Ishigami & Homma 1990; Saltelli et al. 2008, sec. 4.9), pi = pi:
    //   V1 = (1 + b pi^4 / 5)^2 / 2,  V2 = a^2 / 8,  V3 = 0,  V13 = b^2 pi^8 (1/18 - 1/50),
    //   V = V1 + V2 + V13, S_i = V_i / V, ST1 = (V1 + V13) / V, ST2 = S2, ST3 = V13 / V.
    const double pi = std::numbers::pi;
    const double a = kIshigamiA, b = kIshigamiB;
    const double v1 = 0.5 * std::pow(1 + b * std::pow(pi, 4) / 5, 2);
    const double v2 = a * a / 8;
    const double v13 = b * b * std::pow(pi, 8) * (1.0 / 18 - 1.0 / 50);
    const double v = v1 + v2 + v13;
    const std::vector<double> s_exact{v1 / v, v2 / v, 0.0};
    const std::vector<double> st_exact{(v1 + v13) / v, v2 / v, v13 / v};
    REQUIRE(s_exact[0] == Approx(0.3139).margin(5e-5));
    REQUIRE(s_exact[1] == Approx(0.4424).margin(5e-5));
    REQUIRE(st_exact[0] == Approx(0.5576).margin(5e-5));
    REQUIRE(st_exact[2] == Approx(0.2437).margin(5e-5));

    const std::vector<Factor> factors{range("x1", -pi, pi), range("x2", -pi, pi), range("x3", -pi, pi)};
    const Design d = make_design(DesignKind::Sobol, factors, 8192, 0);
    std::vector<double> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) y[r] = ishigami(d.at(r, 0), d.at(r, 1), d.at(r, 2));
    const retsim::SobolIndices s = retsim::sobol_indices(d, y, 1000, 0.95, 1);
    CHECK(s.variance == Approx(v).epsilon(0.01));
    CHECK(s.resamples == 1000);
    // Tolerance 0.02. The bootstrap treats blocks as independent draws, so its intervals
    // (half-widths 0.01 to 0.04 here) overstate the error of quasi-random points, whose actual
    // errors at N = 8192 are below 0.001; 0.02 leaves room for another libm's sin and pow, while
    // a wrong estimator (f(A) for f(B) in S_i, AB_j built the wrong way round) misses by 0.1 or more.
    const retsim::SobolIndices half = retsim::sobol_indices(d, y, 1000, 0.5, 1);
    for (std::size_t i = 0; i < 3; ++i) {
        INFO("factor x" << i + 1 << ": S = " << s.first[i] << " [" << s.first_low[i] << ", " << s.first_high[i]
                        << "], ST = " << s.total[i] << " [" << s.total_low[i] << ", " << s.total_high[i] << "]");
        CHECK(s.first[i] == Approx(s_exact[i]).margin(0.02));
        CHECK(s.total[i] == Approx(st_exact[i]).margin(0.02));
        CHECK(s.first_low[i] <= s_exact[i]);
        CHECK(s.first_high[i] >= s_exact[i]);
        CHECK(s.total_low[i] <= st_exact[i]);
        CHECK(s.total_high[i] >= st_exact[i]);
        CHECK(s.first_high[i] - s.first_low[i] < 0.1);
        CHECK(s.total_high[i] - s.total_low[i] < 0.1);
        // At this N the bootstrap distributions are close to normal: the 95% interval is about
        // symmetric around the estimate, holds the 50% interval, and is 1.96 / 0.674 = 2.9 times
        // as wide.
        CHECK((s.first_high[i] - s.first[i]) / (s.first[i] - s.first_low[i]) == Approx(1).margin(0.3));
        CHECK((s.total_high[i] - s.total[i]) / (s.total[i] - s.total_low[i]) == Approx(1).margin(0.3));
        CHECK(half.first_low[i] > s.first_low[i]);
        CHECK(half.total_high[i] < s.total_high[i]);
        CHECK((s.first_high[i] - s.first_low[i]) / (half.first_high[i] - half.first_low[i]) == Approx(2.9).margin(0.5));
        CHECK((s.total_high[i] - s.total_low[i]) / (half.total_high[i] - half.total_low[i]) == Approx(2.9).margin(0.5));
    }
}

TEST_CASE("sweep design: Sobol indices of a linear model equal its variance shares", "[sweep_design][stat]") {
    // y = sum c_i x_i with independent uniform x_i: V_i = c_i^2 (high_i - low_i)^2 / 12, no
    // interactions, so S_i = ST_i = V_i / sum V. The metric is offset by 1e6 to check that a
    // large mean does not spoil the variance.
    const std::vector<Factor> factors{range("a", 0, 1), range("b", -2, 2), range("c", 10, 13), range("d", 0, 1)};
    const std::vector<double> c{1.0, 0.5, -1.0, 0.0};
    std::vector<double> vi(4);
    double total_v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const double w = factors[i].high - factors[i].low;
        vi[i] = c[i] * c[i] * w * w / 12;
        total_v += vi[i];
    }
    const Design d = make_design(DesignKind::Sobol, factors, 4096, 0);
    std::vector<double> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) {
        y[r] = 1e6;
        for (std::size_t i = 0; i < 4; ++i) y[r] += c[i] * d.at(r, i);
    }
    const retsim::SobolIndices s = retsim::sobol_indices(d, y, 200, 0.9, 3);
    CHECK(s.variance == Approx(total_v).epsilon(0.005));
    for (std::size_t i = 0; i < 4; ++i) {
        INFO("factor " << i << ": S = " << s.first[i] << ", ST = " << s.total[i]);
        CHECK(s.first[i] == Approx(vi[i] / total_v).margin(0.01));
        CHECK(s.total[i] == Approx(vi[i] / total_v).margin(0.01));
        CHECK(s.first_low[i] <= vi[i] / total_v + 1e-12);
        CHECK(s.first_high[i] >= vi[i] / total_v - 1e-12);
    }
    // A factor with no effect has ST = 0 exactly: f(AB_4) equals f(A).
    CHECK(s.total[3] == 0);
}

TEST_CASE("sweep design: a failed point drops its whole block from the Sobol indices", "[sweep_design][unit]") {
    const std::vector<Factor> factors{range("a", 0, 1), range("b", 0, 1)};
    const std::size_t k = 2;
    const Design d = make_design(DesignKind::Sobol, factors, 256, 0);
    std::vector<double> y(d.rows);
    for (std::size_t r = 0; r < d.rows; ++r) y[r] = d.at(r, 0) + 2 * d.at(r, 1) * d.at(r, 0);

    const std::size_t failed = 17;
    std::vector<double> with_nan = y;
    with_nan[failed * (k + 2) + 1] = std::numeric_limits<double>::quiet_NaN();
    with_nan[40 * (k + 2)] = std::numeric_limits<double>::infinity();

    // The same design and metric with blocks 17 and 40 removed.
    Design smaller = d;
    std::vector<double> y_smaller;
    smaller.values.clear();
    for (std::size_t b = 0; b < d.saltelli_base; ++b) {
        if (b == failed || b == 40) continue;
        for (std::size_t r = b * (k + 2); r < (b + 1) * (k + 2); ++r) {
            y_smaller.push_back(y[r]);
            for (std::size_t c = 0; c < k; ++c) smaller.values.push_back(d.at(r, c));
        }
    }
    smaller.saltelli_base = d.saltelli_base - 2;
    smaller.rows = smaller.saltelli_base * (k + 2);

    const retsim::SobolIndices dropped = retsim::sobol_indices(d, with_nan, 100, 0.95, 9);
    const retsim::SobolIndices reference = retsim::sobol_indices(smaller, y_smaller, 100, 0.95, 9);
    CHECK(dropped.variance == reference.variance);
    CHECK(dropped.first == reference.first);
    CHECK(dropped.total == reference.total);
    CHECK(dropped.first_low == reference.first_low);
    CHECK(dropped.total_high == reference.total_high);
    for (std::size_t i = 0; i < k; ++i) CHECK(std::isfinite(dropped.first[i]));
    // Sums in a fixed block order and Philox resampling: the same bits on every platform.
    CHECK(dropped.variance == 0.44260602945411703);
    CHECK(dropped.first[0] == 0.74857675697764015);
    CHECK(dropped.first_low[0] == 0.68791579819156834);
    CHECK(dropped.total_high[1] == 0.30811236206680448);

    SECTION("every block failed: NaN indices, no throw") {
        const std::vector<double> all_nan(d.rows, std::numeric_limits<double>::quiet_NaN());
        const retsim::SobolIndices s = retsim::sobol_indices(d, all_nan, 10, 0.95, 1);
        CHECK(std::isnan(s.variance));
        CHECK(std::isnan(s.first[0]));
        CHECK(std::isnan(s.total_high[1]));
    }
    SECTION("a constant metric has no indices") {
        const std::vector<double> constant(d.rows, 4.0);
        const retsim::SobolIndices s = retsim::sobol_indices(d, constant, 10, 0.95, 1);
        CHECK(s.variance == 0);
        CHECK(std::isnan(s.first[0]));
        CHECK(std::isnan(s.total[1]));
    }
    SECTION("the bootstrap is reproducible and keyed by its seed; no resamples, no intervals") {
        const retsim::SobolIndices again = retsim::sobol_indices(d, with_nan, 100, 0.95, 9);
        CHECK(again.first_low == dropped.first_low);
        CHECK(again.total_high == dropped.total_high);
        const retsim::SobolIndices other = retsim::sobol_indices(d, with_nan, 100, 0.95, 10);
        CHECK(other.first == dropped.first);
        CHECK(other.first_low != dropped.first_low);
        const retsim::SobolIndices none = retsim::sobol_indices(d, y, 0, 0.95, 1);
        CHECK(none.resamples == 0);
        CHECK(std::isfinite(none.first[0]));
        CHECK(std::isnan(none.first_low[0]));
    }
}

TEST_CASE("sweep design: Sobol indices reject a wrong design, metric count or level", "[sweep_design][input]") {
    const Design sobol = make_design(DesignKind::Sobol, {range("a", 0, 1)}, 8, 0);
    const Design lhs = make_design(DesignKind::Lhs, {range("a", 0, 1)}, 8, 0);
    const std::vector<double> y(sobol.rows, 1.0);
    CHECK_THROWS_WITH(retsim::sobol_indices(lhs, std::vector<double>(8, 1.0), 10, 0.95, 1),
                      "Sobol indices need a sobol design, not a lhs design");
    CHECK_THROWS_WITH(retsim::sobol_indices(sobol, std::span(y).first(5), 10, 0.95, 1),
                      "Sobol indices need one metric value per design row: the design has 24 rows, got 5 values");
    CHECK_THROWS_WITH(retsim::sobol_indices(sobol, y, 10, 1.0, 1),
                      "the confidence level must be between 0 and 1, got 1");
    CHECK_THROWS_WITH(retsim::sobol_indices(sobol, y, 10, 0.0, 1),
                      "the confidence level must be between 0 and 1, got 0");
    Design cut = sobol;
    cut.saltelli_base = 7;
    CHECK_THROWS_WITH(retsim::sobol_indices(cut, y, 10, 0.95, 1),
                      "the sobol design is inconsistent: 24 rows for N = 7 and 1 factors (expected N * (k + 2))");
}

TEST_CASE("sweep design: a SALib parameter file and sample matrix are read", "[sweep_design][input]") {
    retsim::test::TempDir dir;
    const std::string params = (dir / "params.txt").string();
    const std::string samples = (dir / "samples.txt").string();
    write_file(params,
               "\xEF\xBB\xBF# name lower_bound upper_bound\n"
               "population.history_days 0 365  # a year of history at most\n"
               "\n"
               "run.horizon_days,100,200,g1,unif\r\n"
               "  economics.margin_fraction\t0.1 0.5 NA\n");
    // As numpy.savetxt writes with a header, and a comma-separated row.
    write_file(samples,
               "# population.history_days run.horizon_days economics.margin_fraction\n"
               "1.000000000000000000e+01 1.500000000000000000e+02 2.000000000000000111e-01\n"
               "3.650000000000000000e+02 1.000000000000000000e+02 5.000000000000000000e-01\n"
               "0,200,0.1 # the low corner\r\n"
               "\n"
               "3.65000000e+02 2.00000000e+02 5.00000001e-01\n");
    const Design d = retsim::read_design_files(params, samples);
    CHECK(d.kind == DesignKind::File);
    REQUIRE(d.factors.size() == 3);
    CHECK(d.factors[0].key == "population.history_days");
    CHECK(d.factors[0].units == "days");
    CHECK(d.factors[0].low == 0);
    CHECK(d.factors[0].high == 365);
    CHECK(d.factors[1].key == "run.horizon_days");
    CHECK(d.factors[1].low == 100);
    CHECK(d.factors[2].key == "economics.margin_fraction");
    CHECK(d.factors[2].units == "fraction");
    CHECK_FALSE(d.factors[2].integer);
    REQUIRE(d.rows == 4);
    CHECK(d.at(0, 0) == 10);
    CHECK(d.at(0, 1) == 150);
    CHECK(d.at(0, 2) == 0.2);
    CHECK(d.at(2, 0) == 0);
    CHECK(d.at(2, 2) == 0.1);
    // Printed with 9 digits a point at the bound can pass it by a rounding error: taken as the bound.
    CHECK(d.at(3, 2) == 0.5);
}

TEST_CASE("sweep design: every bad design file line is reported with file:line:column", "[sweep_design][input]") {
    retsim::test::TempDir dir;
    const std::string params = (dir / "params.txt").string();
    const std::string samples = (dir / "samples.txt").string();
    const std::string good_params = "a 0 1\nb 10 20\n";
    const std::string good_samples = "0.5 15\n";

    const auto error = [&](const std::string& params_text, const std::string& samples_text) {
        write_file(params, params_text);
        write_file(samples, samples_text);
        try {
            (void)retsim::read_design_files(params, samples);
        } catch (const BadInput& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    REQUIRE(error(good_params, good_samples).empty());

    SECTION("parameter file") {
        CHECK(error("a 0 1\n# c\nb 10\n", good_samples) ==
              params + ":3:1: expected NAME LOW HIGH [GROUP] [DIST] (3 to 5 columns), got 2");
        CHECK(error("a 0 1 g unif extra\n", good_samples) ==
              params + ":1:1: expected NAME LOW HIGH [GROUP] [DIST] (3 to 5 columns), got 6");
        CHECK(error("a 0 1\nb  x 20\n", good_samples) == params + ":2:4: lower bound \"x\" is not a number");
        CHECK(error("a 0 1\nb 10 inf\n", good_samples) == params + ":2:6: upper bound \"inf\" is not a finite number");
        CHECK(error("a 2 1\n", good_samples) ==
              params + ":1:3: the lower bound (2) must be below the upper bound (1)");
        CHECK(error("a 1 1\n", good_samples) ==
              params + ":1:3: the lower bound (1) must be below the upper bound (1)");
        CHECK(error("a 0 1\nb 10 20 g norm\n", good_samples) ==
              params + ":2:11: distribution \"norm\" is not supported: only unif (uniform on [lower, upper]); give "
                       "the sample in scenario units");
        CHECK(error("a 0 1\na 10 20\n", good_samples) == params + ":2:1: parameter a appears twice");
        CHECK(error("a 0 1\nmy key, 10, 20\n", good_samples) ==
              params + ":2:1: the parameter name \"my key\" contains a space; it must be a scenario key");
        CHECK(error("a 0 1\n , 10, 20\n", good_samples) == params + ":2:2: the parameter name is empty");
        CHECK(error("# only a comment\n\n", good_samples) == params + ": the parameter file names no parameters");
        CHECK(error(good_params, "") == samples + ": the sample file has no rows");
    }
    SECTION("sample file") {
        CHECK(error(good_params, "0.5 15\n0.5\n") ==
              samples + ":2:1: expected 2 values (one per parameter of " + params + "), got 1");
        CHECK(error(good_params, "# header\n0.5 15 3\n") ==
              samples + ":2:8: expected 2 values (one per parameter of " + params + "), got 3");
        CHECK(error(good_params, "0.5 fifteen\n") == samples + ":1:5: b \"fifteen\" is not a number");
        CHECK(error(good_params, "nan 15\n") == samples + ":1:1: a \"nan\" is not a finite number");
        CHECK(error(good_params, "0.5 15\n0.5, 25\n") == samples + ":2:6: b = 25 is outside its range [10, 20] in " + params);
        CHECK(error(good_params, "-0.001 15\n") == samples + ":1:1: a = -0.001 is outside its range [0, 1] in " + params);
    }
    SECTION("missing files") {
        write_file(params, good_params);
        CHECK_THROWS_WITH(retsim::read_design_files(params, (dir / "none.txt").string()),
                          "cannot open the sample file \"" + (dir / "none.txt").string() + "\"");
        CHECK_THROWS_WITH(retsim::read_design_files((dir / "none.txt").string(), samples),
                          "cannot open the parameter file \"" + (dir / "none.txt").string() + "\"");
    }
}
