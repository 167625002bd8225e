// `retsim fit`: reads a transaction log, builds the calibration summary, fits the models by
// maximum likelihood, prints a table and a holdout check, and writes a TOML population block.
#include "sim/app/fit_command.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include "models/closed_forms.hpp"
#include "models/fit.hpp"
#include "models/scoring.hpp"
#include "sim/format.hpp"
#include "sim/problems.hpp"
#include "sim/transactions.hpp"

namespace retsim {

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kLogModels = {"bgnbd", "paretonbd", "gamma_gamma"};

// Shortest text that reads back as the same double.
std::string repr(double v) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, end);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

std::string fixed(double v, int decimals) {
    if (!std::isfinite(v)) return "n/a";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string pad(const std::string& s, std::size_t width, bool right = true) {
    if (s.size() >= width) return s;
    return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string estimate_table(const std::string& title, const FitReport& r, double seconds) {
    std::ostringstream out;
    out << title << "  (" << format_count(std::int64_t(r.observations)) << " "
        << (title.rfind("sBG", 0) == 0 ? "customers at the start" : "customers") << ", log-likelihood "
        << fixed(r.log_likelihood, 3) << ", " << r.evaluations << " evaluations, " << fixed(seconds, 2) << " s)\n";
    out << "  " << pad("parameter", 12, false) << pad("estimate", 14) << pad("std. error", 14) << "  95% CI\n";
    for (const Estimate& e : r.estimates) {
        out << "  " << pad(e.name, 12, false) << pad(fixed(e.value, 4), 14) << pad(fixed(e.se, 4), 14) << "  ["
            << fixed(e.ci_low, 4) << ", " << fixed(e.ci_high, 4) << "]\n";
    }
    return out.str();
}

std::int32_t parse_date_option(const std::string& text, const std::string& format, const char* option) {
    std::int32_t day = 0;
    if (parse_day(text, "%Y-%m-%d", day) || parse_day(text, format, day)) return day;
    throw BadInput(std::string(option) + ": bad date \"" + text + "\"; expected YYYY-MM-DD or the format " + format);
}

// Writes `text` to a temporary file beside `path` and renames it over `path`.
void write_atomically(const std::string& path, const std::string& text, bool force) {
    if (!force && fs::exists(path)) throw BadInput(path + " exists; use --force to overwrite it or -o to choose another name");
    const std::string temporary = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            std::error_code ignored;
            fs::remove(temporary, ignored);
            throw RuntimeFailure("cannot write " + temporary);
        }
    }
    std::error_code ec;
    fs::rename(temporary, path, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw RuntimeFailure("cannot rename " + temporary + " to " + path + ": " + ec.message());
    }
}

// Cumulative holdout repeat purchases at whole weeks: actual from the log against the
// unconditional forecast sum_i E[X(T_i + w)] - E[X(T_i)] for each fitted purchase model
// (the tracking-plot check of Fader, Hardie & Lee 2005).
std::string holdout_check(const TransactionLog& log, const CalibrationSummary& s, const BgNbdFit* bg,
                          const ParetoNbdFit* pnbd) {
    const std::int32_t cal = s.calibration_end_day;
    const std::int32_t weeks = std::int32_t(std::ceil(s.holdout_weeks - 1e-9));
    if (weeks <= 0) return "Holdout check: no holdout period after the calibration end.\n";
    std::vector<double> actual(std::size_t(weeks) + 1, 0.0);  // purchases in holdout week k (1-based)
    std::int32_t previous = -1;
    std::int32_t first = 0;
    for (const Transaction& t : log.transactions) {
        if (t.customer != previous) {
            previous = t.customer;
            first = t.day;
            continue;  // the first purchase is not a repeat purchase
        }
        if (first > cal || t.day <= cal || t.day > s.holdout_end_day) continue;
        actual[std::size_t(std::min<std::int32_t>((t.day - cal - 1) / 7 + 1, weeks))] += 1;
    }
    auto forecast = [&](auto expected, double w) {
        double total = 0;
        for (const CustomerSummary& c : s.customers) total += expected(c.T_weeks + w) - expected(c.T_weeks);
        return total;
    };
    std::ostringstream out;
    out << "Holdout check: cumulative repeat purchases after " << format_day(cal) << " (to "
        << format_day(s.holdout_end_day) << ", " << fixed(s.holdout_weeks, 1)
        << " weeks), actual against the models' unconditional forecast for these customers\n";
    out << "  " << pad("week", 6) << pad("actual", 10);
    if (bg != nullptr) out << pad("BG/NBD", 10);
    if (pnbd != nullptr) out << pad("Pareto/NBD", 12);
    out << "\n";
    const std::int32_t stride = std::max<std::int32_t>(1, (weeks + 9) / 10);
    double cumulative = 0;
    for (std::int32_t k = 1; k <= weeks; ++k) {
        cumulative += actual[std::size_t(k)];
        if (k % stride != 0 && k != weeks) continue;
        const double w = std::min<double>(k, s.holdout_weeks);
        out << "  " << pad(std::to_string(k), 6) << pad(fixed(cumulative, 0), 10);
        if (bg != nullptr) {
            out << pad(fixed(forecast([&](double t) { return bgnbd_expected_repeat(bg->params, t); }, w), 1), 10);
        }
        if (pnbd != nullptr) {
            out << pad(fixed(forecast([&](double t) { return paretonbd_expected_repeat(pnbd->params, t); }, w), 1),
                       12);
        }
        out << "\n";
    }
    // The conditional check (Fader, Hardie & Lee 2005, Figure 4): each customer's own forecast
    // given (x, t_x, T), summed.
    double conditional_bg = 0, conditional_pnbd = 0;
    for (const CustomerSummary& c : s.customers) {
        const History h{c.x, c.t_x_weeks, c.T_weeks, c.mean_spend, c.x};
        if (bg != nullptr) conditional_bg += bgnbd_expected_purchases(bg->params, h, s.holdout_weeks);
        if (pnbd != nullptr) conditional_pnbd += paretonbd_expected_purchases(pnbd->params, h, s.holdout_weeks);
    }
    out << "  conditional on each customer's history, whole holdout: actual " << fixed(s.holdout_total, 0);
    if (bg != nullptr) out << ", BG/NBD " << fixed(conditional_bg, 1);
    if (pnbd != nullptr) out << ", Pareto/NBD " << fixed(conditional_pnbd, 1);
    out << "\n";
    return out.str();
}

std::string toml_bgnbd(const BgNbdParams& p, const char* prefix) {
    std::ostringstream out;
    out << prefix << "[population.bgnbd]\n"
        << prefix << "r = " << repr(p.r) << "\n"
        << prefix << "alpha_weeks = " << repr(p.alpha_weeks) << "\n"
        << prefix << "a = " << repr(p.a) << "\n"
        << prefix << "b = " << repr(p.b) << "\n";
    return out.str();
}

std::string toml_paretonbd(const ParetoNbdParams& p, const char* prefix) {
    std::ostringstream out;
    out << prefix << "[population.paretonbd]\n"
        << prefix << "r = " << repr(p.r) << "\n"
        << prefix << "alpha_weeks = " << repr(p.alpha_weeks) << "\n"
        << prefix << "s = " << repr(p.s) << "\n"
        << prefix << "beta_weeks = " << repr(p.beta_weeks) << "\n";
    return out.str();
}

std::string toml_spend(const GammaGammaParams& g) {
    std::ostringstream out;
    out << "\n[population.spend]   # Gamma-Gamma; gamma_cents = 100 x gamma in the log's currency units\n"
        << "model = \"gamma_gamma\"\n"
        << "p = " << repr(g.p) << "\n"
        << "q = " << repr(g.q) << "\n"
        << "gamma_cents = " << repr(g.gamma_cents * 100.0) << "\n";
    return out.str();
}

int fit_survival(const FitArgs& a) {
    if (!a.transactions.empty()) throw BadInput("--survival fits sBG from counts: give either a log or --survival, not both");
    const auto start = std::chrono::steady_clock::now();
    const SbgFit fit = fit_sbg(a.survival);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << estimate_table("sBG (Fader & Hardie 2007)", fit.report, seconds);
    std::cout << "  period  alive  fitted\n";
    SbgParams p = fit.params;
    for (std::size_t t = 0; t < a.survival.size(); ++t) {
        std::cout << "  " << pad(std::to_string(t), 6) << pad(fixed(a.survival[t], 0), 7)
                  << pad(fixed(a.survival[0] * sbg_survival(p, double(t)), 1), 8) << "\n";
    }
    if (!a.output.empty()) {
        std::ostringstream toml;
        toml << "# Written by retsim fit: sBG fitted to survival counts";
        for (std::size_t t = 0; t < a.survival.size(); ++t) toml << (t == 0 ? " " : ",") << repr(a.survival[t]);
        toml << "\n# log-likelihood " << fixed(fit.report.log_likelihood, 3) << "\n"
             << "[population]\nmodel = \"sbg\"\ninitial_customers = " << std::llround(a.survival[0]) << "\n\n"
             << "[population.sbg]\ngamma = " << repr(p.gamma) << "\ndelta = " << repr(p.delta)
             << "\nbilling_period_days = " << repr(a.billing_period_days) << "\n";
        write_atomically(a.output, toml.str(), a.force);
        std::cout << "  population block: " << a.output << "\n";
    }
    return 0;
}

}  // namespace

CLI::App* add_fit_command(CLI::App& app, FitArgs& a) {
    CLI::App* fit = app.add_subcommand(
        "fit", "Fit BG/NBD, Pareto/NBD and Gamma-Gamma to a transaction log (or sBG to survival counts)");
    fit->footer(
        "Reading the log: same-day transactions of one customer are merged into one (amounts summed); a\n"
        "customer's first transaction starts the clock and is not a repeat purchase; x counts repeat\n"
        "transactions up to the end of the --calibration-end day, t_x and T are weeks from the first\n"
        "purchase to the last repeat purchase and to the calibration end; m_x is the mean amount of the\n"
        "repeat transactions. Customers first seen after the calibration end are left out. Amounts are in\n"
        "currency units (gamma_cents = 100 x gamma). Details: docs/fit.md.\n"
        "Example (CDNOW): retsim fit cdnow_elog.csv --customer-column sampleid --amount-column sales\n"
        "                 --calibration-end 1997-09-30 -o cdnow.toml");
    fit->add_option("transactions", a.transactions, "Transaction log CSV with a header line");
    fit->add_option("--calibration-end", a.calibration_end,
                    "Last day of the calibration period, YYYY-MM-DD or --date-format (default: two thirds of "
                    "the way from the log's first to its last day; CDNOW's usual split is 1997-09-30)");
    fit->add_option("--holdout-end", a.holdout_end, "Last day of the holdout period (default: the log's last day)");
    fit->add_option("--customer-column", a.customer_column, "Column of the customer id")->capture_default_str();
    fit->add_option("--date-column", a.date_column, "Column of the transaction date")->capture_default_str();
    fit->add_option("--amount-column", a.amount_column, "Column of the amount (currency units, >= 0)")
        ->capture_default_str();
    fit->add_option("--date-format", a.date_format, "strptime format of the dates, e.g. %Y-%m-%d")
        ->capture_default_str();
    fit->add_option("--models", a.models, "Models to fit: bgnbd, paretonbd, gamma_gamma (default: all)")
        ->delimiter(',')
        ->check(CLI::IsMember(kLogModels));
    fit->add_option("--survival", a.survival,
                    "Fit sBG instead, from customers alive at the start of each period: N0,N1,...")
        ->delimiter(',');
    fit->add_option("--billing-period-days", a.billing_period_days, "sBG period length written to the TOML")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    fit->add_option("-o,--output", a.output, "Write a TOML population block that retsim run accepts");
    fit->add_flag("--force", a.force, "Overwrite the TOML file if it exists");
    return fit;
}

int run_fit_command(const FitArgs& a) {
    if (!a.survival.empty()) return fit_survival(a);
    if (a.transactions.empty()) throw BadInput("retsim fit: give a transaction log CSV, or --survival N0,N1,...");
    if (!a.output.empty() && !a.force && fs::exists(a.output)) {
        throw BadInput(a.output + " exists; use --force to overwrite it or -o to choose another name");
    }
    std::vector<std::string> models = a.models.empty() ? kLogModels : a.models;
    auto wanted = [&](const std::string& m) { return std::find(models.begin(), models.end(), m) != models.end(); };

    TransactionLogFormat format;
    format.customer_column = a.customer_column;
    format.date_column = a.date_column;
    format.amount_column = a.amount_column;
    format.date_format = a.date_format;
    const TransactionLog log = read_transaction_log(a.transactions, format);
    const std::int32_t cal = a.calibration_end.empty()
                                 ? default_calibration_end(log)
                                 : parse_date_option(a.calibration_end, a.date_format, "--calibration-end");
    std::optional<std::int32_t> holdout_end;
    if (!a.holdout_end.empty()) holdout_end = parse_date_option(a.holdout_end, a.date_format, "--holdout-end");
    if (holdout_end && *holdout_end < cal) throw BadInput("--holdout-end is before --calibration-end");
    const CalibrationSummary s = summarise(log, cal, holdout_end);

    std::vector<PurchaseHistory> purchases;
    std::vector<SpendHistory> spends;
    std::size_t repeaters = 0;
    for (const CustomerSummary& c : s.customers) {
        purchases.push_back({c.x, c.t_x_weeks, c.T_weeks});
        spends.push_back({c.x, c.mean_spend});
        if (c.x > 0) ++repeaters;
    }
    std::cout << a.transactions << ": " << format_count(std::int64_t(log.raw_lines)) << " transactions ("
              << format_count(std::int64_t(log.transactions.size())) << " after merging same-day ones), "
              << format_count(std::int64_t(log.customer_ids.size())) << " customers, " << format_day(log.first_day)
              << " to " << format_day(log.last_day) << "\n"
              << "Calibration: " << format_day(log.first_day) << " to " << format_day(cal) << ", "
              << format_count(std::int64_t(s.customers.size())) << " customers (" << format_count(std::int64_t(repeaters))
              << " with repeat purchases), " << fixed(s.calibration_repeat_total, 0) << " repeat transactions";
    if (s.later_customers > 0) {
        std::cout << "; " << format_count(std::int64_t(s.later_customers)) << " customers first seen later left out";
    }
    std::cout << "\nHoldout: " << fixed(s.holdout_total, 0) << " repeat transactions to "
              << format_day(s.holdout_end_day) << "\n\n";

    // A model the data cannot identify or the optimiser cannot fit is reported and left out;
    // the others still run. Nothing fitted at all is a failure.
    std::vector<std::string> failures;
    bool input_failures_only = true;
    auto attempt = [&](const std::string& title, auto&& fit_model, auto& slot) {
        const auto start = std::chrono::steady_clock::now();
        try {
            slot = fit_model();
        } catch (const BadInput& e) {
            failures.push_back(title + ": " + e.what());
            std::cout << title << ": not fitted: " << e.what() << "\n\n";
            return;
        } catch (const RuntimeFailure& e) {
            input_failures_only = false;
            failures.push_back(title + ": " + e.what());
            std::cout << title << ": not fitted: " << e.what() << "\n\n";
            return;
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << estimate_table(title, slot->report, seconds);
    };
    std::optional<BgNbdFit> bg;
    std::optional<ParetoNbdFit> pnbd;
    std::optional<GammaGammaFit> gg;
    if (wanted("bgnbd")) {
        attempt("BG/NBD (Fader, Hardie & Lee 2005)", [&] { return fit_bgnbd(purchases); }, bg);
        if (bg) std::cout << "\n";
    }
    if (wanted("paretonbd")) {
        attempt("Pareto/NBD (Schmittlein, Morrison & Colombo 1987)", [&] { return fit_paretonbd(purchases); }, pnbd);
        if (pnbd) std::cout << "\n";
    }
    if (wanted("gamma_gamma")) {
        attempt("Gamma-Gamma spend (Fader, Hardie & Lee 2005), gamma in currency units",
                [&] { return fit_gamma_gamma(spends); }, gg);
        if (gg) {
            std::cout << "  mean spend per transaction: " << fixed(gamma_gamma_mean_spend(gg->params), 2)
                      << "\n\n";
        }
    }
    if (!bg && !pnbd && !gg) {
        std::string message = "no model could be fitted:";
        for (const std::string& f : failures) message += "\n  " + f;
        if (input_failures_only) throw BadInput(message);
        throw RuntimeFailure(message);
    }
    if (bg || pnbd) std::cout << holdout_check(log, s, bg ? &*bg : nullptr, pnbd ? &*pnbd : nullptr);

    if (!a.output.empty()) {
        std::ostringstream toml;
        toml << "# Written by retsim fit from " << fs::path(a.transactions).filename().string() << ": "
             << s.customers.size() << " customers, calibration " << format_day(log.first_day) << " to "
             << format_day(cal) << "\n";
        if (bg) toml << "# BG/NBD log-likelihood " << fixed(bg->report.log_likelihood, 3) << "\n";
        if (pnbd) toml << "# Pareto/NBD log-likelihood " << fixed(pnbd->report.log_likelihood, 3) << "\n";
        toml << "[population]\n";
        if (bg) {
            toml << "model = \"bgnbd\"\n";
        } else if (pnbd) {
            toml << "model = \"paretonbd\"\n";
        }
        toml << "initial_customers = " << s.customers.size() << "\n\n";
        if (bg) toml << toml_bgnbd(bg->params, "");
        if (pnbd) {
            // One model table per population: the second fit is kept as a ready-to-use comment.
            if (bg) toml << "\n# Pareto/NBD fit: to use it, set model = \"paretonbd\" and replace [population.bgnbd] with\n";
            toml << toml_paretonbd(pnbd->params, bg ? "# " : "");
        }
        if (gg) toml << toml_spend(gg->params);
        write_atomically(a.output, toml.str(), a.force);
        std::cout << "\nPopulation block: " << a.output << "\n";
    }
    return 0;
}

}  // namespace retsim
