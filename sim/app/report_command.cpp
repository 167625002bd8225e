// `retsim report`: checks the input file and the output directory, then runs
// scripts/retsim_report.py with /usr/bin/python3 (Debian's matplotlib and h5py live there) and
// maps its exit code. The script writes DIR.partial-<pid> and renames it, so an interrupted
// report never leaves a half-written DIR.
#include "sim/app/report_command.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "sim/describe.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

namespace fs = std::filesystem;

/// Debian's interpreter: python3-matplotlib, -h5py and -numpy are installed for it, not for
/// whatever python3 comes first on PATH (pyenv, conda, a venv).
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kScriptName = "retsim_report.py";

/// Where the script is looked for, in order: $RETSIM_REPORT_SCRIPT, next to the executable
/// (an installed copy, or the build directory inside the source tree), then the source tree
/// the program was built from.
std::vector<fs::path> script_candidates() {
    std::vector<fs::path> out;
    if (const char* env = std::getenv("RETSIM_REPORT_SCRIPT"); env != nullptr && *env != '\0') {
        out.emplace_back(env);
        return out;  // an explicit choice is not second-guessed
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir = exe.parent_path();
        out.push_back(dir / kScriptName);
        out.push_back(dir / "scripts" / kScriptName);
        out.push_back(dir.parent_path() / "scripts" / kScriptName);
        out.push_back(dir.parent_path() / "share" / "retsim" / kScriptName);
    }
#ifdef RETSIM_SOURCE_DIR
    out.push_back(fs::path(RETSIM_SOURCE_DIR) / "scripts" / kScriptName);
#endif
    return out;
}

fs::path find_script() {
    std::string tried;
    for (const fs::path& p : script_candidates()) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p;
        tried += "\n  " + p.string();
    }
    throw RuntimeFailure(std::string("cannot find the report script ") + kScriptName + "; looked at:" + tried +
                         "\nset RETSIM_REPORT_SCRIPT to its path");
}

/// Runs `argv` and waits; returns its exit code, or throws when it cannot run or dies by a signal.
int run_and_wait(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::cout.flush();
    const pid_t child = ::fork();
    if (child < 0) throw RuntimeFailure(std::string("cannot start ") + kPython + ": " + std::strerror(errno));
    if (child == 0) {
        ::execv(args[0], args.data());
        std::cerr << "retsim: cannot run " << args[0] << ": " << std::strerror(errno) << "\n";
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) throw RuntimeFailure(std::string("waiting for the report script: ") + std::strerror(errno));
    }
    if (WIFSIGNALED(status)) {
        throw RuntimeFailure("the report script was stopped by signal " + std::to_string(WTERMSIG(status)) +
                             "; no report was written");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

CLI::App* add_report_command(CLI::App& app, ReportArgs& a) {
    CLI::App* sub = app.add_subcommand(
        "report", "Charts and an index.html page from a run result, a comparison or a sweep");
    sub->footer("Run results: stages over time, retention and CLV by cohort, money, ROI per strategy, the firm's\n"
                "view against the truth, reward-program liability. Comparisons: incremental profit and every\n"
                "metric's paired interval. Sweeps: a heat map over two factors, the profit curve with its optimum,\n"
                "Sobol indices. Drawn by scripts/retsim_report.py with /usr/bin/python3 (python3-matplotlib,\n"
                "python3-h5py: bash scripts/setup.sh). Examples:\n"
                "  retsim report coffee_stamp_card.h5 -o coffee_report\n"
                "  retsim report sweep.h5 -o sweep_report --x economics.margin_fraction --y "
                "'acquisition.channels[0].spend_per_week_cents'");
    sub->add_option("result", a.input, "retsim HDF5 file: run result, comparison or sweep")->required();
    sub->add_option("-o,--output", a.output, "Report directory (default: <file name>_report in this directory)");
    sub->add_flag("--force", a.force, "Replace the report directory if it exists and is not empty");
    sub->add_option("--x", a.x, "Sweeps: factor on the heat map's x axis (default: the first)")->type_name("KEY");
    sub->add_option("--y", a.y, "Sweeps: factor on the heat map's y axis (default: the second)")->type_name("KEY");
    sub->add_option("--metric", a.metric, "Sweeps: metric of the charts, e.g. profit, revenue (default: profit)")
        ->type_name("NAME");
    return sub;
}

int run_report_command(const ReportArgs& args) {
    const FileKind kind = retsim_file_kind(args.input);  // BadInput for missing or foreign files
    if (kind == FileKind::Scores) {
        throw BadInput(args.input + ": a scores file; a report is made from a run result, a comparison or a sweep");
    }
    if (kind != FileKind::Sweep && (!args.x.empty() || !args.y.empty() || !args.metric.empty())) {
        throw BadInput("--x, --y and --metric apply to sweeps only; " + args.input + " is a " +
                       std::string(file_kind_name(kind)) + " file");
    }
    const std::string output =
        args.output.empty() ? fs::path(args.input).stem().string() + "_report" : args.output;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(output, ec))) {
        if (!fs::is_directory(output, ec)) throw BadInput(output + " exists and is not a directory");
        if (!args.force && !fs::is_empty(output, ec)) {
            throw BadInput(output + " exists and is not empty; use --force to replace it or -o to choose another");
        }
    }
    if (::access(kPython, X_OK) != 0) {
        throw RuntimeFailure(std::string(kPython) +
                             " not found: the report needs Debian's python3 with python3-matplotlib and "
                             "python3-h5py (bash scripts/setup.sh)");
    }
    std::vector<std::string> argv = {kPython, find_script().string(), args.input, "-o", output};
    if (args.force) argv.emplace_back("--force");
    for (const auto& [flag, value] : {std::pair<const char*, const std::string&>{"--x", args.x},
                                      {"--y", args.y},
                                      {"--metric", args.metric}}) {
        if (!value.empty()) {
            argv.emplace_back(flag);
            argv.push_back(value);
        }
    }
    const int code = run_and_wait(argv);
    if (code == 0) return 0;
    if (code == 2) throw BadInput("the report script refused the input (its message is above); nothing was written");
    throw RuntimeFailure("the report script failed with exit code " + std::to_string(code) +
                         " (its message is above); nothing was written under " + output);
}

}  // namespace retsim
