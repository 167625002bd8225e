// Statistical validation: simulated populations against the closed forms of the published
// models, with the published parameter sets of scenarios/validation/. Tolerances are stated in
// standard errors; the populations are large enough that a wrong model (e.g. a rate per day
// taken as per week, or one purchase a day at most) fails by many standard errors.
#include <catch2/catch.hpp>

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/bgnbd.hpp"
#include "models/closed_forms.hpp"
#include "models/scoring.hpp"
#include "test_engine_helpers.hpp"

using namespace retsim;
using retsim::test::run;
using retsim::test::scenario_file;

namespace {

constexpr double kTolerance = 4.0;  // standard errors

struct MeanSe {
    double mean, se;
};

MeanSe mean_se(const std::vector<double>& xs) {
    double sum = 0, sum2 = 0;
    for (double x : xs) sum += x;
    const double mean = sum / double(xs.size());
    for (double x : xs) sum2 += (x - mean) * (x - mean);
    return {mean, std::sqrt(sum2 / double(xs.size() - 1) / double(xs.size()))};
}

/// Mean cumulative repeat purchases per customer by each day in `days`, one vector per day
/// holding the value of each replicate; plus revenue per purchase of each replicate.
struct ReplicateStats {
    std::vector<std::vector<double>> repeat_by_day;
    std::vector<double> spend_per_purchase;
};

ReplicateStats replicate_repeat_purchases(const std::string& file, const std::vector<double>& days, int replicates,
                                          int customers) {
    ReplicateStats out;
    out.repeat_by_day.resize(days.size());
    for (int rep = 0; rep < replicates; ++rep) {
        const Scenario sc = scenario_file(file, {"population.initial_customers=" + std::to_string(customers),
                                                 "run.replicate=" + std::to_string(rep)});
        REQUIRE(sc.run.step_days == 1.0);
        const RunResult r = run(sc, 2);
        for (std::size_t k = 0; k < days.size(); ++k) {
            std::int64_t total = 0;
            for (std::size_t s = 0; s < r.steps && r.series.time_days[s] <= days[k] + 1e-9; ++s) {
                total += r.series.repeat_purchases[s];
            }
            out.repeat_by_day[k].push_back(double(total) / customers);
        }
        out.spend_per_purchase.push_back(r.summary.mean_spend_cents);
    }
    return out;
}

}  // namespace

TEST_CASE("stat: closed forms reproduce the published CDNOW values", "[unit]") {
    // Fader, Hardie & Lee (2005) BG/NBD fit to CDNOW; E[X(t)] to three decimals.
    const BgNbdParams p{0.2426, 4.4137, 0.7930, 2.4262};
    CHECK(bgnbd_expected_repeat(p, 0.1429) == Approx(0.0078).margin(0.0005));
    CHECK(bgnbd_expected_repeat(p, 1) == Approx(0.0532).margin(0.0005));
    CHECK(bgnbd_expected_repeat(p, 3) == Approx(0.1506).margin(0.0005));
    CHECK(bgnbd_expected_repeat(p, 31.8571) == Approx(1.0405).margin(0.0005));
    CHECK(bgnbd_expected_repeat(p, 32) == Approx(1.0437).margin(0.0005));
    CHECK(bgnbd_expected_repeat(p, 78) == Approx(1.858).margin(0.0005));
    // Gamma-Gamma CDNOW fit: mean spend per transaction $35.22.
    CHECK(gamma_gamma_mean_spend(GammaGammaParams{6.25, 3.74, 1544}) == Approx(3522).margin(0.5));
}

TEST_CASE("stat: sBG closed form follows the published retention data", "[unit]") {
    // Fader & Hardie (2007), Table 1: percent of each cohort still subscribed after t years.
    // The published parameters were fitted to years 0-7 by maximum likelihood; the fitted
    // curve stays within 2 percentage points of the data there (largest gap: high end,
    // year 1, 85.1 against 86.9), so a mistyped parameter or formula fails.
    const double regular[] = {100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1};
    const double high_end[] = {100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1};
    for (int t = 0; t <= 7; ++t) {
        INFO("year " << t);
        CHECK(100.0 * sbg_survival(SbgParams{0.704, 1.182, 365}, t) == Approx(regular[t]).margin(2.0));
        CHECK(100.0 * sbg_survival(SbgParams{0.668, 3.806, 365}, t) == Approx(high_end[t]).margin(2.0));
    }
}

TEST_CASE("stat: simulated BG/NBD repeat purchases match E[X(t)], spend matches Gamma-Gamma", "[stat]") {
    // 20 replicates of 40,000 customers; standard errors from the spread of the replicates
    // (about 0.4% of E[X(78 weeks)]).
    const std::vector<double> days = {1, 7, 21, 223, 224, 546};
    const ReplicateStats stats = replicate_repeat_purchases("scenarios/validation/cdnow_bgnbd.toml", days, 20, 40'000);
    const BgNbdParams p{0.2426, 4.4137, 0.7930, 2.4262};
    for (std::size_t k = 0; k < days.size(); ++k) {
        const MeanSe m = mean_se(stats.repeat_by_day[k]);
        const double expected = bgnbd_expected_repeat(p, days[k] / 7.0);
        INFO("t = " << days[k] << " days: simulated " << m.mean << " +- " << m.se << ", closed form " << expected);
        CHECK(std::abs(m.mean - expected) < kTolerance * m.se);
    }
    const MeanSe spend = mean_se(stats.spend_per_purchase);
    const double expected_spend = gamma_gamma_mean_spend(GammaGammaParams{6.25, 3.74, 1544});
    INFO("spend per purchase " << spend.mean << " +- " << spend.se << " cents, closed form " << expected_spend);
    CHECK(std::abs(spend.mean - expected_spend) < kTolerance * spend.se);
}

namespace {

/// The firm's view at day 0 of n BG/NBD customers born `days` before it, drawn whole
/// (`whole`) or purchase by purchase (Behaviour's default start() + advance()).
Population bgnbd_history(const Behaviour& model, std::size_t n, double days, bool whole) {
    Population pop;
    pop.resize_common(0, n);
    model.allocate(pop, 0, n);
    for (std::size_t i = 0; i < n; ++i) {
        pop.key[i] = initial_customer_key(i);
        pop.birth_day[i] = float(-days);
    }
    const RandomKey rk{7, 0};
    if (whole) {
        model.start_with_history(pop, 0, n, 0.0, rk);
    } else {
        model.Behaviour::start_with_history(pop, 0, n, 0.0, rk);
    }
    return pop;
}

/// Two-sample z statistic of the means of a and b.
double two_sample_z(const std::vector<double>& a, const std::vector<double>& b) {
    const MeanSe ma = mean_se(a), mb = mean_se(b);
    return (ma.mean - mb.mean) / std::hypot(ma.se, mb.se);
}

}  // namespace

TEST_CASE("stat: a BG/NBD history drawn whole matches one simulated purchase by purchase", "[stat]") {
    // 200,000 customers each way, born 26 weeks before day 0, half a purchase a week and a
    // mean dropout of 0.23 per purchase: about half have left by day 0, and counts run to 30.
    const BgNbdParams params{2.0, 4.0, 1.2, 4.0};
    const auto model = make_bgnbd(params, SpendModel{});
    const std::size_t n = 200'000;
    const double days = 182.0, T_weeks = days / 7.0;
    const Population whole = bgnbd_history(*model, n, days, true);
    const Population steps = bgnbd_history(*model, n, days, false);

    struct Columns {
        std::vector<double> x, alive, p_alive, recency, spend, next_wait;
    };
    const auto columns = [&](const Population& pop) {
        Columns c;
        for (std::size_t i = 0; i < n; ++i) {
            const double x = pop.repeat_purchases[i];
            const double t_x = (double(pop.last_purchase_day[i]) - double(pop.birth_day[i])) / 7.0;
            const bool alive = !std::isfinite(pop.death_day[i]);
            c.x.push_back(x);
            c.alive.push_back(alive ? 1.0 : 0.0);
            c.p_alive.push_back(bgnbd_p_alive(params, History{x, t_x, T_weeks}));
            if (x > 0) c.recency.push_back(t_x / T_weeks);
            if (alive) c.next_wait.push_back(double(pop.next_event_day[i]) * double(pop.lambda_per_day[i]));
            c.spend.push_back(double(pop.spend_cents[i]));  // the first purchase's is the same both ways
        }
        return c;
    };
    const Columns a = columns(whole), b = columns(steps);

    // Means against the closed forms: E[X(T)], and E[P(alive | x, t_x, T)] = P(alive), which
    // holds only if the joint law of (x, t_x, alive) is right.
    for (const Columns* c : {&a, &b}) {
        const MeanSe x = mean_se(c->x);
        const double expected = bgnbd_expected_repeat(params, T_weeks);
        INFO((c == &a ? "whole" : "purchase by purchase") << ": E[x] " << x.mean << " +- " << x.se << ", closed form "
                                                          << expected);
        CHECK(std::abs(x.mean - expected) < kTolerance * x.se);
        std::vector<double> gap(n);
        for (std::size_t i = 0; i < n; ++i) gap[i] = c->alive[i] - c->p_alive[i];
        const MeanSe g = mean_se(gap);
        INFO("alive - P(alive | history): " << g.mean << " +- " << g.se);
        CHECK(std::abs(g.mean) < kTolerance * g.se);
    }
    // The two ways against each other: every summary the firm sees, and the wait (in units of
    // the customer's own mean wait) to the first purchase after day 0, which must be Exp(1).
    CHECK(std::abs(two_sample_z(a.x, b.x)) < kTolerance);
    CHECK(std::abs(two_sample_z(a.alive, b.alive)) < kTolerance);
    CHECK(std::abs(two_sample_z(a.recency, b.recency)) < kTolerance);
    CHECK(std::abs(two_sample_z(a.spend, b.spend)) < kTolerance);
    CHECK(std::abs(two_sample_z(a.next_wait, b.next_wait)) < kTolerance);
    const MeanSe wait = mean_se(a.next_wait);
    CHECK(std::abs(wait.mean - 1.0) < kTolerance * wait.se);

    // The whole distribution of the purchase count: a two-sample chi-square over counts 0..29
    // and 30 or more, at the 0.1% level.
    constexpr std::size_t kBins = 31;
    std::vector<double> ha(kBins), hb(kBins);
    for (std::size_t i = 0; i < n; ++i) {
        ha[std::min<std::size_t>(std::size_t(a.x[i]), kBins - 1)] += 1;
        hb[std::min<std::size_t>(std::size_t(b.x[i]), kBins - 1)] += 1;
    }
    double chi2 = 0.0;
    std::size_t used = 0;
    for (std::size_t k = 0; k < kBins; ++k) {
        if (ha[k] + hb[k] == 0) continue;
        chi2 += (ha[k] - hb[k]) * (ha[k] - hb[k]) / (ha[k] + hb[k]);
        used += 1;
    }
    const double limit = boost::math::quantile(boost::math::chi_squared(double(used - 1)), 0.999);
    INFO("chi-square " << chi2 << " on " << used - 1 << " degrees of freedom, 0.1% limit " << limit);
    CHECK(chi2 < limit);
}

TEST_CASE("stat: simulated Pareto/NBD repeat purchases match E[X(t)]", "[stat]") {
    const std::vector<double> days = {1, 7, 21, 224, 546};
    const ReplicateStats stats =
        replicate_repeat_purchases("scenarios/validation/cdnow_paretonbd.toml", days, 20, 40'000);
    const ParetoNbdParams p{0.553, 10.578, 0.606, 11.669};
    for (std::size_t k = 0; k < days.size(); ++k) {
        const MeanSe m = mean_se(stats.repeat_by_day[k]);
        const double expected = paretonbd_expected_repeat(p, days[k] / 7.0);
        INFO("t = " << days[k] << " days: simulated " << m.mean << " +- " << m.se << ", closed form " << expected);
        CHECK(std::abs(m.mean - expected) < kTolerance * m.se);
    }
}

TEST_CASE("stat: simulated sBG survival matches S(t) for both published cohorts", "[stat]") {
    for (const std::string file : {"scenarios/validation/sbg_regular.toml", "scenarios/validation/sbg_high_end.toml"}) {
        const Scenario sc = scenario_file(file, {"population.initial_customers=400000"});
        const RunResult r = run(sc, 2);
        const auto& params = sc.population.behaviour->parameters();
        const SbgParams p{params[0].second, params[1].second, params[2].second};
        const double n = double(sc.population.initial_customers);
        // Steps of 73 days: the step ending at 365 t + 73 sees the customers who renewed t times.
        for (int t = 1; t <= 12; ++t) {
            const std::size_t s = std::size_t(5 * t);
            REQUIRE(r.series.time_days[s] == Approx(365.0 * t + 73.0));
            const double expected = sbg_survival(p, t);
            const double simulated = double(r.series.alive[s]) / n;
            const double se = std::sqrt(expected * (1 - expected) / n);
            INFO(file << " t = " << t << ": simulated " << simulated << ", S(t) = " << expected << ", se " << se);
            CHECK(std::abs(simulated - expected) < kTolerance * se);
        }
    }
}
