// `retsim score`: two streaming passes over the input. The first reads every customer once,
// checks the input and keeps a deterministic sample for the RFM cut points; the second
// scores a chunk at a time in parallel and appends it to the scores file. Memory is bounded
// by the chunk size and the sample, so inputs larger than memory work.
#include "sim/format.hpp"
#include "sim/app/score_command.hpp"

#include <tbb/blocked_range.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "sim/build_info.hpp"
#include "sim/parallel.hpp"
#include "sim/problems.hpp"
#include "sim/scenario.hpp"
#include "sim/score_io.hpp"

namespace retsim {
namespace {

/// At most this many customers (4 Mi) are sampled for the RFM quantiles: 160 MiB of columns.
constexpr std::size_t kRfmSampleMax = std::size_t{1} << 22;
/// Customers per parallel task: large enough to amortise scheduling, small enough for cache.
constexpr std::size_t kBlock = 4096;

void check_settings(const ScoreArgs& a) {
    Problems problems;
    const auto bad = [&](const char* option, const std::string& message) {
        Problem p;
        p.key_path = option;
        p.message = message;
        problems.add(std::move(p));
    };
    if (!std::isfinite(a.forecast_weeks) || a.forecast_weeks < 0) bad("--forecast-weeks", "must be a number >= 0");
    if (!std::isfinite(a.clv_weeks) || a.clv_weeks < 0) bad("--clv-weeks", "must be a number >= 0");
    if (!std::isfinite(a.discount_rate) || a.discount_rate < 0) bad("--discount-rate", "must be a number >= 0");
    if (!std::isfinite(a.margin) || a.margin < 0 || a.margin > 1) bad("--margin", "must be a fraction in [0, 1]");
    const PropensityModel& m = a.propensity;
    for (const double c : {m.intercept, m.recency, m.frequency, m.monetary, m.tenure}) {
        if (!std::isfinite(c)) bad("--propensity-*", "coefficients must be finite numbers");
    }
    if (!problems.empty()) throw BadInput(std::move(problems));
}

/// The model parameters: from --scenario when given, else from the result file.
ScoringModel choose_model(const ScoreArgs& a, const HistoryReader& reader, std::string& source) {
    if (!a.scenario.empty()) {
        const Scenario sc = load_scenario(a.scenario);
        source = a.scenario;
        return scoring_model(sc.population.behaviour->parameters(), source);
    }
    if (reader.kind() == InputKind::Csv) {
        throw BadInput(a.input + ": a CSV input carries no model parameters; give them with --scenario FILE (a "
                                 "scenario or the TOML written by `retsim fit`)");
    }
    const auto parameters = reader.model_parameters();
    if (parameters.empty()) {
        throw BadInput(a.input + ": the result has no /model parameters; give them with --scenario FILE");
    }
    source = a.input;
    return scoring_model(parameters, source);
}

}  // namespace

CLI::App* add_score_command(CLI::App& app, ScoreArgs& a) {
    CLI::App* sub = app.add_subcommand(
        "score", "Score every customer of a result (/customers) or a CSV summary table into an HDF5 file");
    sub->footer(
        "INPUT is a result of `retsim run --customers` or a CSV with the header columns customer_id, x, t_x, T, "
        "m_x\n(x repeat purchases, t_x and T in weeks since the first purchase, m_x mean spend in cents; optional "
        "spend_count).\nModel parameters come from the result's /model or from --scenario. Layout of the output: "
        "docs/scores_layout.md.");
    sub->add_option("input", a.input, "Result HDF5 file with /customers, or CSV summary table")->required();
    sub->add_option("-o,--output", a.output, "Scores file (default: <input name>.scores.h5 in this directory)");
    sub->add_option("--scenario", a.scenario,
                    "Scenario or `retsim fit` TOML whose population model gives the parameters (needed for CSV)");
    sub->add_option("--forecast-weeks", a.forecast_weeks, "Horizon of expected_purchases, weeks")
        ->capture_default_str();
    sub->add_option("--clv-weeks", a.clv_weeks, "CLV horizon, weeks")->capture_default_str();
    sub->add_option("--discount-rate", a.discount_rate, "Annual discount rate of the CLV")->capture_default_str();
    sub->add_option("--margin", a.margin, "Gross margin as a fraction of spend, for the CLV")->capture_default_str();
    sub->add_option("--rfm-bins", a.rfm_bins, "RFM scores per dimension (quantile bins)")
        ->check(CLI::Range(2, 9))
        ->capture_default_str();
    sub->add_option("--propensity-file", a.propensity_file,
                    "TOML file with a [propensity] table (intercept, recency, frequency, monetary, tenure); "
                    "the --propensity-* options override it");
    sub->add_option("--propensity-intercept", a.propensity.intercept, "Logistic intercept")->capture_default_str();
    sub->add_option("--propensity-recency", a.propensity.recency, "Per week since the last purchase")
        ->capture_default_str();
    sub->add_option("--propensity-frequency", a.propensity.frequency, "Per repeat purchase")->capture_default_str();
    sub->add_option("--propensity-monetary", a.propensity.monetary, "Per unit of log1p(mean spend in currency units)")
        ->capture_default_str();
    sub->add_option("--propensity-tenure", a.propensity.tenure, "Per week since the first purchase")
        ->capture_default_str();
    sub->add_option("--threads", a.threads, "Worker threads, 0 = all cores; results do not depend on it")
        ->check(CLI::Range(0, 4096));
    sub->add_option("--chunk", a.chunk, "Customers read, scored and written at a time; results do not depend on it")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 30))
        ->capture_default_str();
    sub->add_flag("--force", a.force, "Overwrite the scores file if it exists");
    sub->add_flag("-q,--quiet", a.quiet, "No summary line");
    return sub;
}

int run_score_command(const ScoreArgs& args, const CLI::App& sub) {
    const auto started = std::chrono::steady_clock::now();
    ScoreArgs a = args;
    if (!a.propensity_file.empty()) {
        PropensityModel from_file = read_propensity_file(a.propensity_file, PropensityModel{});
        // Options given on the command line win over the file.
        if (sub.count("--propensity-intercept") > 0) from_file.intercept = a.propensity.intercept;
        if (sub.count("--propensity-recency") > 0) from_file.recency = a.propensity.recency;
        if (sub.count("--propensity-frequency") > 0) from_file.frequency = a.propensity.frequency;
        if (sub.count("--propensity-monetary") > 0) from_file.monetary = a.propensity.monetary;
        if (sub.count("--propensity-tenure") > 0) from_file.tenure = a.propensity.tenure;
        a.propensity = from_file;
    }
    check_settings(a);
    std::string output = a.output;
    if (output.empty()) output = std::filesystem::path(a.input).stem().string() + ".scores.h5";

    std::unique_ptr<HistoryReader> reader = HistoryReader::open(a.input);
    std::string parameters_source;
    const ScoringModel model = choose_model(a, *reader, parameters_source);
    // Checked before the passes so that a long job is not wasted; the writer checks again.
    if (!a.force && std::filesystem::exists(output)) {
        throw BadInput(output + " exists; use --force to overwrite it or -o to choose another name");
    }

    ScoreSettings settings;
    settings.forecast_weeks = a.forecast_weeks;
    settings.clv.horizon_weeks = a.clv_weeks;
    settings.clv.annual_discount_rate = a.discount_rate;
    settings.clv.margin_fraction = a.margin;
    settings.propensity = a.propensity;

    // Pass 1: check every row and sample for the RFM quantiles.
    HistoryChunk chunk;
    RfmSample sample(kRfmSampleMax);
    std::uint64_t customers = 0;
    while (const std::size_t n = reader->read(chunk, a.chunk)) {
        sample.add(chunk, customers);
        customers += n;
    }
    RfmCutoffs cutoffs;
    if (sample.size() > 0) {
        cutoffs = rfm_cutoffs(sample.columns(), a.rfm_bins);
    } else {
        cutoffs.bins = a.rfm_bins;
    }

    // Pass 2: score chunk by chunk, blocks of a chunk in parallel; each customer's scores
    // depend only on its own history, so neither --threads nor --chunk changes a value.
    tbb::task_arena arena(a.threads > 0 ? a.threads : tbb::task_arena::automatic);
    ScoresWriter writer(output, a.force);
    reader->rewind();
    ScoreChunk scores;
    std::uint64_t scored = 0;
    while (const std::size_t n = reader->read(chunk, a.chunk)) {
        scores.resize(n);
        const std::size_t blocks = (n + kBlock - 1) / kBlock;
        arena.execute([&] {
            parallel_over(tbb::blocked_range<std::size_t>(0, blocks), [&](const tbb::blocked_range<std::size_t>& r) {
                for (std::size_t b = r.begin(); b < r.end(); ++b) {
                    const std::size_t begin = b * kBlock;
                    const std::size_t end = std::min(n, begin + kBlock);
                    const HistoryColumns in = chunk.columns(begin, end);
                    ScoreColumns out;
                    out.p_alive = scores.p_alive.data() + begin;
                    out.expected_purchases = scores.expected_purchases.data() + begin;
                    out.expected_spend_cents = scores.expected_spend_cents.data() + begin;
                    out.clv_cents = scores.clv_cents.data() + begin;
                    out.propensity = scores.propensity.data() + begin;
                    if (model.name == "bgnbd") {
                        score_bgnbd(model.bgnbd, model.spend, settings, in, out);
                    } else {
                        score_paretonbd(model.paretonbd, model.spend, settings, in, out);
                    }
                    score_rfm(cutoffs, in, scores.rfm_r.data() + begin, scores.rfm_f.data() + begin,
                              scores.rfm_m.data() + begin, scores.rfm_cell.data() + begin);
                }
            });
        });
        writer.append(chunk.customer_id, scores, n);
        scored += n;
    }
    if (scored != customers) {
        throw RuntimeFailure(a.input + ": changed while being scored (" + std::to_string(customers) + " then " +
                             std::to_string(scored) + " customers)");
    }

    ScoresMetadata meta;
    meta.program_version = std::string(program_version());
    meta.git_commit = std::string(git_commit());
    meta.created_utc = utc_timestamp();
    meta.input_file = a.input;
    meta.input_kind = reader->kind() == InputKind::Result ? "result" : "csv";
    meta.parameters_source = parameters_source;
    meta.model = model;
    meta.settings = settings;
    meta.rfm = cutoffs;
    meta.rfm_sample_size = sample.size();
    meta.rfm_sample_stride = sample.stride();
    meta.customers = scored;
    writer.commit(meta);

    if (!a.quiet) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << "retsim score: " << scored << " customers of " << a.input << " scored with " << model.name
                  << " + Gamma-Gamma (parameters from " << parameters_source << ") in " << seconds << " s\n"
                  << "  scores: " << output << "\n";
    }
    return 0;
}

}  // namespace retsim
