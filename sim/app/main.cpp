// The retsim command-line program: run, validate and inspect customer-retention scenarios.
// Exit codes: 0 ok, 1 runtime or I/O failure, 2 bad usage or bad input.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "models/registry.hpp"
#include "sim/app/compare_command.hpp"
#include "sim/app/run_command.hpp"
#include "sim/app/fit_command.hpp"
#include "sim/app/report_command.hpp"
#include "sim/app/score_command.hpp"
#include "sim/app/sweep_command.hpp"
#include "sim/build_info.hpp"
#include "sim/describe.hpp"
#include "sim/output.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"

namespace {

using namespace retsim;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitBadInput = 2;

int cmd_validate(const std::string& path, const std::vector<std::string>& sets) {
    const Scenario sc = load_scenario(path, sets);
    std::cout << sc.source_name << ": OK (model " << sc.population.model << ", "
              << sc.population.initial_customers << " initial customers, "
              << sc.acquisition.channels.size() << " acquisition channels, horizon " << sc.run.horizon_days
              << " days)\n";
    return kExitOk;
}

std::string models_help() {
    std::string text = "Behaviour models (population.model):\n";
    for (const ModelEntry& m : behaviour_models()) text += "  " + m.name + ": " + m.summary + "\n";
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    keep_hdf5_from_closing_files_at_exit();
    CLI::App app{
        "retsim: simulate synthetic customer populations through their lifecycle (new, active, lapsed,\n"
        "inactive, lost, won back) and write HDF5 results on revenue, margin, acquisition cost and CLV.\n"};
    app.footer("Examples:\n"
               "  retsim run                                  the built-in default scenario -> default.h5\n"
               "  retsim run scenarios/default.toml -o a.h5 --set run.seed=7 --threads 2\n"
               "  retsim validate my_scenario.toml            list every problem in a scenario file\n"
               "  retsim info a.h5                            what a result file holds\n"
               "  retsim report a.h5 -o a_report              charts and a web page (a_report/index.html)\n"
               "  retsim sweep s.toml --vary economics.margin_fraction=0.2:0.4:5 --replicates 10 -o sweep.h5\n\n" +
               models_help() +
               "\nScenario keys: scenarios/README.md. Result layout: docs/hdf5_layout.md.\n"
               "Exit codes: 0 ok, 1 runtime or I/O failure, 2 bad usage or bad input.");
    app.set_version_flag("--version", std::string(program_version()) + " (" + std::string(git_commit()) + ")");
    app.require_subcommand(1);

    RunArgs run_args;
    CLI::App* run = add_run_command(app, run_args);

    MergeArgs merge_args;
    CLI::App* merge = add_merge_command(app, merge_args);

    std::string validate_path;
    std::vector<std::string> validate_sets;
    CLI::App* validate = app.add_subcommand("validate", "Check a scenario file and list every problem");
    validate->add_option("scenario", validate_path, "Scenario TOML file")->required();
    validate->add_option("--set", validate_sets, "Override a scenario key, checked like the file")
        ->type_name("KEY=VALUE")
        ->allow_extra_args(false);

    std::string info_path;
    bool info_json = false;
    CLI::App* info = app.add_subcommand("info", "Describe a result file: provenance, datasets, summary");
    info->add_option("result", info_path, "Result HDF5 file")->required();
    info->add_flag("--json", info_json, "The same description as JSON, for scripts");

    ScoreArgs score_args;
    CLI::App* score = add_score_command(app, score_args);

    FitArgs fit_args;
    CLI::App* fit = add_fit_command(app, fit_args);

    CompareArgs compare_args;
    CLI::App* compare = add_compare_command(app, compare_args);

    SweepArgs sweep_args;
    CLI::App* sweep = add_sweep_command(app, sweep_args);

    ReportArgs report_args;
    CLI::App* report = add_report_command(app, report_args);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitBadInput;
    }

    try {
        if (*run) return run_run_command(run_args, *run);
        if (*merge) return run_merge_command(merge_args);
        if (*validate) return cmd_validate(validate_path, validate_sets);
        if (*fit) return run_fit_command(fit_args);
        if (*score) return run_score_command(score_args, *score);
        if (*compare) return run_compare_command(compare_args, *compare);
        if (*sweep) return run_sweep_command(sweep_args, *sweep);
        if (*report) return run_report_command(report_args);
        if (*info) {
            std::cout << (info_json ? describe_result_file_json(info_path) : describe_result_file(info_path));
            return kExitOk;
        }
    } catch (const BadInput& e) {
        std::cerr << "retsim: bad input:\n" << e.what() << "\n";
        return kExitBadInput;
    } catch (const RuntimeFailure& e) {
        std::cerr << "retsim: " << e.what() << "\n";
        return kExitRuntime;
    } catch (const std::exception& e) {
        std::cerr << "retsim: unexpected failure: " << e.what() << "\n";
        return kExitRuntime;
    }
    return kExitBadInput;
}
