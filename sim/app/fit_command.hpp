// `retsim fit`: fits BG/NBD, Pareto/NBD and Gamma-Gamma to a transaction log (or sBG to
// survival counts), prints estimates with standard errors and a holdout check, and writes a
// TOML population block that `retsim run` accepts.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace retsim {

struct FitArgs {
    std::string transactions;
    std::string calibration_end;  ///< empty: two thirds of the way through the log
    std::string holdout_end;      ///< empty: the log's last day
    std::string customer_column = "customer_id";
    std::string date_column = "date";
    std::string amount_column = "amount";
    std::string date_format = "%Y%m%d";
    std::vector<std::string> models;
    std::vector<double> survival;
    double billing_period_days = 365;
    std::string output;
    bool force = false;
};

/// Adds the `fit` subcommand to `app`, filling `args`.
CLI::App* add_fit_command(CLI::App& app, FitArgs& args);

/// Runs it; returns the exit code. Throws BadInput (exit 2) and RuntimeFailure (exit 1).
int run_fit_command(const FitArgs& args);

}  // namespace retsim
