// retsim fit: the calibration summary of a transaction log, maximum-likelihood fits recovering
// simulated truth and reproducing the published CDNOW and sBG estimates, bad-log errors with
// line numbers, and the command writing a population block that `retsim validate` accepts.
//
// Published values used here:
//   BG/NBD on CDNOW: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
//     (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science
//     24(2), 275-284).
//   Pareto/NBD on CDNOW: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0
//     (Fader, Hardie & Lee 2005, ibid.; Fader & Hardie, "A note on implementing the Pareto/NBD
//     model in MATLAB", brucehardie.com/notes/008).
//   Gamma-Gamma on the 946 CDNOW customers with repeat purchases: p = 6.25, q = 3.74,
//     gamma = 15.44 dollars (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
//     customer base analysis", JMR 42(4), 415-430; the BTYD R package's spend.LL documentation
//     quotes the same values).
//   CDNOW calibration summary: 2,357 customers, calibration to 1997-09-30 (T from the first
//     purchase to that day, in weeks: BTYD's elog2cbs with T.cal = 1997-09-30), 2,457 repeat
//     transactions in calibration and 1,882 in the 39-week holdout.
//   sBG (Fader & Hardie 2007, "How to project customer retention", Journal of Interactive
//     Marketing 21(1), 76-90): regular 1000, 631, 468, 382, 326, 289, 262, 241 gives
//     gamma = 0.704, delta = 1.182; high end 1000, 869, 743, 653, 593, 551, 517, 491 gives
//     gamma = 0.668, delta = 3.806.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_helpers.hpp"
#include "models/fit.hpp"
#include "sim/problems.hpp"
#include "sim/transactions.hpp"
#include "test_engine_helpers.hpp"

namespace fs = std::filesystem;
using namespace retsim;

namespace {

const std::string kCdnow = RETSIM_SOURCE_DIR "/../shared/data/cdnow_elog.csv";

TransactionLogFormat cdnow_format() {
    TransactionLogFormat f;
    f.customer_column = "sampleid";
    f.amount_column = "sales";
    return f;
}

std::int32_t day_of(const std::string& iso) {
    std::int32_t day = 0;
    REQUIRE(parse_day(iso, "%Y-%m-%d", day));
    return day;
}

// The CDNOW calibration summary, or nullopt (with a warning) when the data set is absent.
std::optional<CalibrationSummary> cdnow_summary() {
    if (!fs::exists(kCdnow)) {
        WARN("skipped: " << kCdnow << " is absent");
        return std::nullopt;
    }
    static const CalibrationSummary s = summarise(read_transaction_log(kCdnow, cdnow_format()), day_of("1997-09-30"));
    return s;
}

std::vector<PurchaseHistory> purchases_of(const CalibrationSummary& s) {
    std::vector<PurchaseHistory> out;
    for (const CustomerSummary& c : s.customers) out.push_back({c.x, c.t_x_weeks, c.T_weeks});
    return out;
}

// The truth lies within 3 standard errors of the estimate (on the log scale, where the
// intervals are computed).
void check_recovered(const Estimate& e, double truth) {
    INFO(e.name << ": estimate " << e.value << " se " << e.se << " truth " << truth);
    REQUIRE(std::isfinite(e.se));
    const double se_log = e.se / e.value;
    CHECK(std::abs(std::log(e.value) - std::log(truth)) < 3 * se_log);
}

std::string message_of(const std::string& text, const TransactionLogFormat& f = {}) {
    try {
        (void)parse_transaction_log(text, "log.csv", f);
    } catch (const BadInput& e) {
        return e.what();
    }
    return "no error";
}

// Simulated customers' firm view at the end of the horizon, rounded to whole days as a
// transaction log would record them.
struct Simulated {
    std::vector<PurchaseHistory> purchases;
    std::vector<SpendHistory> spends;
};
Simulated simulate(const std::string& scenario, int customers) {
    const Scenario sc = test::scenario_file(scenario, {"population.initial_customers=" + std::to_string(customers),
                                                       "run.step_days=7", "run.horizon_days=364"});
    const RunResult r = test::run(sc, 2, true);
    REQUIRE(r.customers.has_value());
    const Population& pop = *r.customers;
    Simulated out;
    const double end_day = sc.run.horizon_days;
    for (std::size_t i = 0; i < pop.size(); ++i) {
        const double birth = std::floor(pop.birth_day[i]);
        const double x = pop.repeat_purchases[i];
        const double last = x > 0 ? std::floor(pop.last_purchase_day[i]) : birth;
        out.purchases.push_back({x, (last - birth) / 7.0, (end_day - birth) / 7.0});
        // The first purchase draws from the same spend model: x + 1 observations.
        out.spends.push_back({x + 1, double(pop.spend_cents[i]) / (x + 1)});
    }
    return out;
}

}  // namespace

TEST_CASE("fit: same-day purchases merge and the first purchase is not a repeat purchase", "[unit]") {
    const std::string text =
        "customer_id,date,amount\n"
        "a,2020-01-01,10\n"
        "a,2020-01-01,5\n"      // same day: merged with the first purchase
        "a,2020-01-08,20\n"     // repeat 1, week 1
        "a,2020-01-15,4\n"
        "a,2020-01-15,6\n"      // merged: repeat 2 of 10, week 2
        "a,2020-01-29,7\n"      // holdout
        "b,2020-01-22,3\n"      // single purchase
        "c,2020-02-01,9\n";     // first seen after the calibration end: left out
    TransactionLogFormat f;
    f.date_format = "%Y-%m-%d";
    const TransactionLog log = parse_transaction_log(text, "t.csv", f);
    CHECK(log.raw_lines == 8);
    CHECK(log.transactions.size() == 6);
    const CalibrationSummary s = summarise(log, day_of("2020-01-22"));
    REQUIRE(s.customers.size() == 2);
    CHECK(s.later_customers == 1);
    const CustomerSummary& a = s.customers[0];
    CHECK(a.id == "a");
    CHECK(a.x == 2);
    CHECK(a.t_x_weeks == Approx(2.0));
    CHECK(a.T_weeks == Approx(3.0));
    CHECK(a.mean_spend == Approx(15.0));
    CHECK(a.holdout_x == 1);
    const CustomerSummary& b = s.customers[1];
    CHECK(b.x == 0);
    CHECK(b.t_x_weeks == 0);
    CHECK(b.T_weeks == 0);
    CHECK(s.holdout_end_day == day_of("2020-02-01"));
    // A spreadsheet's UTF-8 byte-order mark does not hide the first column's name.
    CHECK(parse_transaction_log("\xEF\xBB\xBF" + text, "t.csv", f).transactions.size() == 6);
}

TEST_CASE("fit: the CDNOW calibration summary matches the published one", "[unit]") {
    const auto s = cdnow_summary();
    if (!s) return;
    CHECK(s->customers.size() == 2357);
    CHECK(s->calibration_repeat_total == 2457);
    CHECK(s->holdout_total == 1882);
    CHECK(s->holdout_weeks == Approx(39.0));
    std::size_t repeaters = 0;
    for (const CustomerSummary& c : s->customers) repeaters += c.x > 0 ? 1 : 0;
    CHECK(repeaters == 946);
    // The golden customer of the scoring issue: first purchase 1997-01-01, so T = 38.86 weeks.
    CHECK(s->customers.front().T_weeks == Approx(272.0 / 7.0));
}

TEST_CASE("fit: the likelihoods at the published CDNOW estimates give the published log-likelihoods", "[unit]") {
    const auto s = cdnow_summary();
    if (!s) return;
    double bg = 0, pnbd = 0;
    for (const PurchaseHistory& h : purchases_of(*s)) {
        bg += bgnbd_log_likelihood(BgNbdParams{0.2426, 4.4137, 0.7930, 2.4262}, h);
        pnbd += paretonbd_log_likelihood(ParetoNbdParams{0.5533, 10.5776, 0.6061, 11.6689}, h);
    }
    CHECK(bg == Approx(-9582.4).margin(0.05));
    CHECK(pnbd == Approx(-9595.0).margin(0.05));
}

TEST_CASE("fit: the likelihoods are finite at the edges and the Pareto/NBD branches agree", "[unit]") {
    const std::vector<PurchaseHistory> edges = {{0, 0, 0}, {0, 0, 50}, {3, 20, 20}, {1, 0.1, 40}, {500, 39, 39}};
    for (const PurchaseHistory& h : edges) {
        INFO("x " << h.x << " t_x " << h.t_x_weeks << " T " << h.T_weeks);
        CHECK(std::isfinite(bgnbd_log_likelihood(BgNbdParams{0.24, 4.4, 0.79, 2.4}, h)));
        CHECK(std::isfinite(bgnbd_log_likelihood(BgNbdParams{1e-4, 1e4, 1e3, 1e-3}, h)));
        CHECK(std::isfinite(paretonbd_log_likelihood(ParetoNbdParams{0.55, 10.6, 0.61, 11.7}, h)));
        CHECK(std::isfinite(paretonbd_log_likelihood(ParetoNbdParams{0.55, 40, 0.61, 2}, h)));
        // alpha = beta is where the 2F1 form switches branch: both sides meet.
        const double below = paretonbd_log_likelihood(ParetoNbdParams{0.55, 10 * (1 - 1e-9), 0.61, 10}, h);
        const double above = paretonbd_log_likelihood(ParetoNbdParams{0.55, 10 * (1 + 1e-9), 0.61, 10}, h);
        CHECK(below == Approx(above).epsilon(1e-7));
    }
    CHECK(std::isfinite(gamma_gamma_log_likelihood(GammaGammaParams{6.25, 3.74, 15.44}, SpendHistory{1, 0.01})));
    CHECK(std::isfinite(gamma_gamma_log_likelihood(GammaGammaParams{6.25, 3.74, 15.44}, SpendHistory{300, 1e6})));
}

TEST_CASE("fit: BG/NBD on CDNOW reproduces Fader, Hardie & Lee (2005)", "[stat]") {
    const auto s = cdnow_summary();
    if (!s) return;
    const BgNbdFit fit = fit_bgnbd(purchases_of(*s));
    CHECK(fit.params.r == Approx(0.243).margin(0.002));
    CHECK(fit.params.alpha_weeks == Approx(4.414).epsilon(0.005));
    CHECK(fit.params.a == Approx(0.793).margin(0.002));
    CHECK(fit.params.b == Approx(2.426).epsilon(0.005));
    CHECK(fit.report.log_likelihood == Approx(-9582.4).margin(0.05));
    CHECK(fit.report.observations == 2357);
    for (const Estimate& e : fit.report.estimates) {
        CHECK(std::isfinite(e.se));
        CHECK(e.se > 0);
        CHECK(e.ci_low < e.value);
        CHECK(e.ci_high > e.value);
    }
}

TEST_CASE("fit: Pareto/NBD on CDNOW reproduces Fader, Hardie & Lee (2005)", "[stat]") {
    const auto s = cdnow_summary();
    if (!s) return;
    const ParetoNbdFit fit = fit_paretonbd(purchases_of(*s));
    CHECK(fit.params.r == Approx(0.553).margin(0.002));
    CHECK(fit.params.alpha_weeks == Approx(10.578).epsilon(0.005));
    CHECK(fit.params.s == Approx(0.606).margin(0.002));
    CHECK(fit.params.beta_weeks == Approx(11.669).epsilon(0.005));
    CHECK(fit.report.log_likelihood == Approx(-9595.0).margin(0.05));
    for (const Estimate& e : fit.report.estimates) CHECK(std::isfinite(e.se));
}

TEST_CASE("fit: Gamma-Gamma on CDNOW reproduces Fader, Hardie & Lee (2005, JMR)", "[stat]") {
    const auto s = cdnow_summary();
    if (!s) return;
    std::vector<SpendHistory> spends;
    for (const CustomerSummary& c : s->customers) spends.push_back({c.x, c.mean_spend});
    const GammaGammaFit fit = fit_gamma_gamma(spends);
    CHECK(fit.report.observations == 946);
    CHECK(fit.params.p == Approx(6.25).epsilon(0.005));
    CHECK(fit.params.q == Approx(3.74).epsilon(0.005));
    CHECK(fit.params.gamma_cents == Approx(15.44).epsilon(0.005));  // dollars: the log's unit
}

TEST_CASE("fit: sBG on the published Fader & Hardie (2007) survival counts", "[stat]") {
    const SbgFit regular = fit_sbg({1000, 631, 468, 382, 326, 289, 262, 241});
    CHECK(regular.params.gamma == Approx(0.704).margin(0.002));
    CHECK(regular.params.delta == Approx(1.182).margin(0.002));
    const SbgFit high_end = fit_sbg({1000, 869, 743, 653, 593, 551, 517, 491});
    CHECK(high_end.params.gamma == Approx(0.668).margin(0.002));
    CHECK(high_end.params.delta == Approx(3.806).margin(0.002));
    CHECK(std::isfinite(regular.report.estimates[0].se));
    CHECK_THROWS_AS(fit_sbg({1000, 1001}), BadInput);
    CHECK_THROWS_AS(fit_sbg({1000}), BadInput);
}

TEST_CASE("fit: BG/NBD and Gamma-Gamma parameters are recovered from a simulated population", "[stat]") {
    const Simulated sim = simulate("scenarios/validation/cdnow_bgnbd.toml", 8000);
    const BgNbdFit fit = fit_bgnbd(sim.purchases);
    check_recovered(fit.report.estimates[0], 0.2426);
    check_recovered(fit.report.estimates[1], 4.4137);
    check_recovered(fit.report.estimates[2], 0.7930);
    check_recovered(fit.report.estimates[3], 2.4262);
    const GammaGammaFit spend = fit_gamma_gamma(sim.spends);
    check_recovered(spend.report.estimates[0], 6.25);
    check_recovered(spend.report.estimates[1], 3.74);
    check_recovered(spend.report.estimates[2], 1544);
}

TEST_CASE("fit: Pareto/NBD parameters are recovered from a simulated population", "[stat]") {
    const Simulated sim = simulate("scenarios/validation/cdnow_paretonbd.toml", 8000);
    const ParetoNbdFit fit = fit_paretonbd(sim.purchases);
    check_recovered(fit.report.estimates[0], 0.553);
    check_recovered(fit.report.estimates[1], 10.578);
    check_recovered(fit.report.estimates[2], 0.606);
    check_recovered(fit.report.estimates[3], 11.669);
}

TEST_CASE("fit: a missing column is named with the header's line", "[input]") {
    const std::string m = message_of("customer_id,day,amount\na,20200101,1\n");
    CHECK(m.find("log.csv:1:") != std::string::npos);
    CHECK(m.find("missing column \"date\"") != std::string::npos);
}

TEST_CASE("fit: a bad date is reported with its line", "[input]") {
    const std::string m = message_of("customer_id,date,amount\na,20200101,1\na,2020-01-02,1\na,20200231,1\n");
    CHECK(m.find("log.csv:3: date: bad date \"2020-01-02\"") != std::string::npos);
    CHECK(m.find("log.csv:4: date: bad date \"20200231\"") != std::string::npos);
}

TEST_CASE("fit: a negative amount is reported with its line", "[input]") {
    const std::string m = message_of("customer_id,date,amount\na,20200101,1\na,20200102,-3.5\n");
    CHECK(m.find("log.csv:3: amount: negative amount") != std::string::npos);
}

TEST_CASE("fit: a non-numeric amount is reported with its line", "[input]") {
    const std::string m = message_of("customer_id,date,amount\na,20200101,1\n\na,20200102,$3\na,20200103,nan\n");
    CHECK(m.find("log.csv:4: amount: amount \"$3\" is not a number") != std::string::npos);
    CHECK(m.find("log.csv:5: amount: amount \"nan\" is not a number") != std::string::npos);
}

TEST_CASE("fit: an empty file or a header without transactions is an error", "[input]") {
    CHECK(message_of("").find("empty") != std::string::npos);
    CHECK(message_of("\n  \n").find("empty") != std::string::npos);
    CHECK(message_of("customer_id,date,amount\n").find("log.csv:1: no transactions") != std::string::npos);
}

TEST_CASE("fit: a duplicate header line or column name is reported with its line", "[input]") {
    const std::string m = message_of("customer_id,date,amount\na,20200101,1\ncustomer_id,date,amount\nb,20200101,2\n");
    CHECK(m.find("log.csv:3: duplicate header line") != std::string::npos);
    const std::string cols = message_of("customer_id,date,amount,date\na,20200101,1,x\n");
    CHECK(cols.find("log.csv:1: date: duplicate column name") != std::string::npos);
}

TEST_CASE("fit: a wrong field count is reported with its line, problems are capped", "[input]") {
    const std::string m = message_of("customer_id,date,amount\na,20200101,1\na,20200102\n");
    CHECK(m.find("log.csv:3: wrong number of fields: 2 instead of the header's 3") != std::string::npos);
    std::string many = "customer_id,date,amount\n";
    for (int i = 0; i < 30; ++i) many += "a,x,1\n";
    const std::string capped = message_of(many);
    CHECK(capped.find("log.csv:21:") != std::string::npos);
    CHECK(capped.find("log.csv:22:") == std::string::npos);
    CHECK(capped.find("10 more problems not listed") != std::string::npos);
}

TEST_CASE("fit: retsim fit writes a population block that retsim validate accepts", "[input]") {
    const retsim::test::TempDir scratch;
    const fs::path& dir = scratch.path;
    // A small log from a BG/NBD-like process: 400 customers born in the first quarter of 2021,
    // each buying at its own rate until it leaves; integer arithmetic, the same on every platform.
    {
        std::ofstream log(dir / "log.csv");
        log << "id,when,value\n";
        const std::int32_t start = day_of("2021-01-01");
        std::uint64_t state = 20261123;
        auto uniform = [&] {  // 64-bit LCG (Knuth's MMIX constants), top 53 bits
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            return double(state >> 11) / 9007199254740992.0;
        };
        for (int c = 0; c < 400; ++c) {
            double day = std::floor(uniform() * 90);
            const double mean_gap_days = 7 + 120 * uniform() * uniform();
            const double leave = 0.05 + 0.4 * uniform();
            while (day < 364) {
                log << "c" << c << "," << format_day(start + std::int32_t(day)) << "," << 5 + int(40 * uniform()) << ".25\n";
                if (uniform() < leave) break;
                day += std::ceil(-mean_gap_days * std::log(1 - uniform()));
            }
        }
    }
    auto retsim = [&](const std::string& args) {
        const retsim::test::Outcome o = retsim::test::run_retsim(args, scratch);
        return std::pair{o.exit_code, o.output};
    };
    const std::string fit_args =
        "fit log.csv --customer-column id --date-column when --amount-column value --date-format %Y-%m-%d "
        "--calibration-end 2021-09-30 -o fitted.toml";
    const auto [code, output] = retsim(fit_args);
    INFO(output);
    CHECK(code == 0);
    CHECK(output.find("BG/NBD") != std::string::npos);
    CHECK(output.find("Holdout check") != std::string::npos);
    CHECK(output.find("conditional on each customer's history") != std::string::npos);
    REQUIRE(fs::exists(dir / "fitted.toml"));
    const auto [validate_code, validate_output] = retsim("validate fitted.toml");
    INFO(validate_output);
    CHECK(validate_code == 0);

    // Not overwritten without --force; a bad log exits 2 naming the line.
    CHECK(retsim(fit_args).first == 2);
    CHECK(retsim(fit_args + " --force").first == 0);
    std::ofstream(dir / "bad.csv") << "id,when,value\nc1,2021-01-01,-1\n";
    const auto [bad_code, bad_output] = retsim("fit bad.csv --customer-column id --date-column when --amount-column value");
    CHECK(bad_code == 2);
    CHECK(bad_output.find("bad.csv:2:") != std::string::npos);
    const auto [sbg_code, sbg_output] = retsim("fit --survival 1000,631,468,382,326,289,262,241 -o sbg.toml");
    CHECK(sbg_code == 0);
    CHECK(retsim("validate sbg.toml").first == 0);
}
