// HDF5 result files: writing a RunResult in the layout of docs/hdf5_layout.md. Every failing
// HDF5 call becomes a RuntimeFailure that says what failed and in which file
// (sim/hdf5_support.hpp).
#include "sim/output.hpp"

#include <algorithm>
#include <cmath>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sim/hdf5_support.hpp"
#include "sim/lifecycle.hpp"
#include "sim/problems.hpp"

namespace retsim {
namespace {

/// Elements per chunk of chunked datasets (64 Ki), capped at the dataset's length.
constexpr hsize_t kChunkElements = hsize_t{1} << 16;
/// Time-series and cohort datasets with at least this many elements are chunked and
/// compressed; smaller ones are contiguous (compression would cost more than it saves).
constexpr hsize_t kCompressFromElements = 4096;
constexpr unsigned kDeflateLevel = 4;

using namespace hdf5;  // Handle, Context, H5Type, string_type: sim/hdf5_support.hpp

// ---------------------------------------------------------------------------------------
// Writing

/// Units, meaning and axis names of one dataset, stored as its attributes.
struct Meta {
    const char* units;
    const char* description;
    const char* dimensions = nullptr;  ///< comma-separated axis names; none for scalars
};

void write_meta(const Context& ctx, hid_t dataset, const std::string& where, const Meta& meta) {
    write_string_attribute(ctx, dataset, where, "units", meta.units);
    write_string_attribute(ctx, dataset, where, "description", meta.description);
    if (meta.dimensions != nullptr) {
        write_string_attribute(ctx, dataset, where, "dimensions", meta.dimensions);
    }
}

/// Dataset creation properties: no timestamps (so equal results give equal files), and
/// chunking with shuffle + deflate when `compress` and the dataset is not empty.
Handle dataset_properties(const Context& ctx, const std::string& where,
                          const std::vector<hsize_t>& dims, bool compress) {
    const std::string what = "set storage properties of " + where;
    Handle dcpl = ctx.own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, what);
    ctx.check(H5Pset_obj_track_times(dcpl, false), what);
    hsize_t total = 1;
    for (hsize_t d : dims) total *= d;
    if (compress && total > 0) {
        // Chunks span whole rows of the trailing axes and about kChunkElements elements.
        hsize_t row = 1;
        for (std::size_t i = 1; i < dims.size(); ++i) row *= dims[i];
        std::vector<hsize_t> chunk = dims;
        chunk[0] = std::clamp<hsize_t>(kChunkElements / row, 1, dims[0]);
        ctx.check(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()), what);
        ctx.check(H5Pset_shuffle(dcpl), what);
        ctx.check(H5Pset_deflate(dcpl, kDeflateLevel), what);
    }
    return dcpl;
}

enum class Storage { Auto, Compressed };

template <class T>
void write_array(const Context& ctx, hid_t group, const std::string& group_path,
                 const char* name, const T* data, const std::vector<hsize_t>& dims,
                 const Meta& meta, Storage storage = Storage::Auto) {
    const std::string where = group_path + "/" + name;
    hsize_t total = 1;
    for (hsize_t d : dims) total *= d;
    const bool compress = storage == Storage::Compressed || total >= kCompressFromElements;
    Handle space = ctx.own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                           H5Sclose, "create the dataspace of " + where);
    Handle dcpl = dataset_properties(ctx, where, dims, compress);
    Handle dataset = ctx.own(
        H5Dcreate2(group, name, H5Type<T>::file(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        H5Dclose, "create dataset " + where);
    if (total > 0) {
        ctx.check(H5Dwrite(dataset, H5Type<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                  "write dataset " + where);
    }
    write_meta(ctx, dataset, where, meta);
}

template <class T, class A>
void write_vector(const Context& ctx, hid_t group, const std::string& group_path,
                  const char* name, const std::vector<T, A>& values, const Meta& meta,
                  Storage storage = Storage::Auto) {
    write_array(ctx, group, group_path, name, values.data(), {hsize_t(values.size())}, meta,
                storage);
}

template <class T>
void write_scalar(const Context& ctx, hid_t group, const std::string& group_path,
                  const char* name, T value, const Meta& meta) {
    const std::string where = group_path + "/" + name;
    Handle space = ctx.own(H5Screate(H5S_SCALAR), H5Sclose, "create the dataspace of " + where);
    Handle dcpl = dataset_properties(ctx, where, {}, false);
    Handle dataset = ctx.own(
        H5Dcreate2(group, name, H5Type<T>::file(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
        H5Dclose, "create dataset " + where);
    ctx.check(H5Dwrite(dataset, H5Type<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &value),
              "write dataset " + where);
    write_meta(ctx, dataset, where, meta);
}

void write_string_vector(const Context& ctx, hid_t group, const std::string& group_path,
                         const char* name, const std::vector<std::string>& values,
                         const Meta& meta) {
    const std::string where = group_path + "/" + name;
    std::vector<const char*> pointers;
    for (const std::string& s : values) pointers.push_back(s.c_str());
    const hsize_t count = values.size();
    Handle type = string_type(ctx);
    Handle space =
        ctx.own(H5Screate_simple(1, &count, nullptr), H5Sclose, "create the dataspace of " + where);
    Handle dcpl = dataset_properties(ctx, where, {count}, false);
    Handle dataset = ctx.own(H5Dcreate2(group, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                             H5Dclose, "create dataset " + where);
    if (count > 0) {
        ctx.check(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
                  "write dataset " + where);
    }
    write_meta(ctx, dataset, where, meta);
}

// ---- Shape checks: a result whose columns disagree is a program error, refused before any
// file is created.

void expect_length(const std::string& path, const std::string& name, std::size_t actual,
                   std::size_t expected, const char* expected_what) {
    if (actual == expected) return;
    throw RuntimeFailure(path + ": cannot write result: " + name + " has " +
                         std::to_string(actual) + " values, expected " +
                         std::to_string(expected) + " (" + expected_what + ")");
}

void check_shapes(const std::string& path, const RunResult& r) {
    const std::size_t steps = r.steps;
    const std::size_t cells = kStageCount * kTruthCount;
    const TimeSeries& ts = r.series;
    const auto series = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("time_series/") + name, size, steps, "steps");
    };
    series("time_days", ts.time_days.size());
    series("customers", ts.customers.size());
    series("acquired", ts.acquired.size());
    series("alive", ts.alive.size());
    expect_length(path, "time_series/stage_counts", ts.stage_counts.size(), steps * kStageCount,
                  "steps x stages");
    expect_length(path, "time_series/stage_by_truth", ts.stage_by_truth.size(), steps * cells,
                  "steps x stages x truth");
    series("purchases", ts.purchases.size());
    series("repeat_purchases", ts.repeat_purchases.size());
    series("revenue_cents", ts.revenue_cents.size());
    series("margin_cents", ts.margin_cents.size());
    series("acquisition_cost_cents", ts.acquisition_cost_cents.size());
    series("fixed_cost_cents", ts.fixed_cost_cents.size());
    series("strategy_cost_cents", ts.strategy_cost_cents.size());
    series("service_failures", ts.service_failures.size());
    series("complaints", ts.complaints.size());
    series("started_considering", ts.started_considering.size());
    series("started_switching", ts.started_switching.size());
    series("departures", ts.departures.size());
    series("risk_signals", ts.risk_signals.size());
    series("fee_income_cents", ts.fee_income_cents.size());
    series("profit_cents", ts.profit_cents.size());
    series("discount_factor", ts.discount_factor.size());
    series("discounted_profit_cents", ts.discounted_profit_cents.size());

    const CohortTable& c = r.cohorts;
    const std::size_t groups = c.cohort.size();
    const auto row = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("cohorts/") + name, size, groups, "cohort groups");
    };
    const auto matrix = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("cohorts/") + name, size, groups * steps,
                      "cohort groups x steps");
    };
    row("channel", c.channel.size());
    row("start_day", c.start_day.size());
    row("customers", c.customers.size());
    row("acquisition_cost_cents", c.acquisition_cost_cents.size());
    row("cac_cents", c.cac_cents.size());
    row("revenue_cents", c.revenue_cents.size());
    row("margin_cents", c.margin_cents.size());
    row("realised_clv_cents", c.realised_clv_cents.size());
    matrix("alive", c.alive.size());
    matrix("active", c.active.size());
    matrix("purchases_by_step", c.purchases_by_step.size());
    matrix("margin_by_step_cents", c.margin_by_step_cents.size());
    expect_length(path, "cohorts/stage_by_truth", c.stage_by_truth.size(),
                  groups * steps * cells, "cohort groups x steps x stages x truth");

    const ChannelTable& ch = r.channels;
    const std::size_t channels = ch.name.size();
    const auto channel = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("channels/") + name, size, channels, "channels");
    };
    channel("spend_cents", ch.spend_cents.size());
    channel("acquired", ch.acquired.size());
    channel("cac_cents", ch.cac_cents.size());
    channel("margin_cents", ch.margin_cents.size());
    channel("discounted_margin_cents", ch.discounted_margin_cents.size());
    channel("roi", ch.roi.size());

    const StrategyTable& st = r.strategies;
    const std::size_t strategies = st.name.size();
    const auto strategy = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("strategies/") + name, size, strategies, "strategies");
    };
    const auto strategy_matrix = [&](const char* name, std::size_t size) {
        expect_length(path, std::string("strategies/") + name, size, strategies * steps,
                      "strategies x steps");
    };
    strategy("kind", st.kind.size());
    strategy("candidates", st.candidates.size());
    strategy("held_out", st.held_out.size());
    strategy("contacts", st.contacts.size());
    strategy("contacts_on_gone", st.contacts_on_gone.size());
    strategy("responses", st.responses.size());
    strategy("revived", st.revived.size());
    strategy("unsubscribed", st.unsubscribed.size());
    strategy("contact_cost_cents", st.contact_cost_cents.size());
    strategy("incentive_cost_cents", st.incentive_cost_cents.size());
    strategy("redemption_cost_cents", st.redemption_cost_cents.size());
    strategy("rebate_cost_cents", st.rebate_cost_cents.size());
    strategy("fixed_cost_cents", st.fixed_cost_cents.size());
    strategy("cost_cents", st.cost_cents.size());
    strategy("spent_on_gone_cents", st.spent_on_gone_cents.size());
    strategy("fee_income_cents", st.fee_income_cents.size());
    strategy("points_issued", st.points_issued.size());
    strategy("points_redeemed", st.points_redeemed.size());
    strategy("points_expired", st.points_expired.size());
    strategy("points_outstanding", st.points_outstanding.size());
    strategy("rewards_redeemed", st.rewards_redeemed.size());
    strategy("members", st.members.size());
    strategy("liability_cents", st.liability_cents.size());
    strategy("breakage_fraction", st.breakage_fraction.size());
    strategy("treated", st.treated.size());
    strategy("control", st.control.size());
    strategy("treated_revenue_per_customer_cents", st.treated_revenue_per_customer_cents.size());
    strategy("control_revenue_per_customer_cents", st.control_revenue_per_customer_cents.size());
    strategy("incremental_margin_cents", st.incremental_margin_cents.size());
    strategy("incremental_margin_low_cents", st.incremental_margin_low_cents.size());
    strategy("incremental_margin_high_cents", st.incremental_margin_high_cents.size());
    strategy("roi", st.roi.size());
    strategy("roi_low", st.roi_low.size());
    strategy("roi_high", st.roi_high.size());
    strategy("incremental_retained", st.incremental_retained.size());
    strategy("cost_per_retained_cents", st.cost_per_retained_cents.size());
    strategy("payback_days", st.payback_days.size());
    strategy_matrix("cost_by_step_cents", st.cost_by_step_cents.size());
    strategy_matrix("contacts_by_step", st.contacts_by_step.size());
    strategy_matrix("responses_by_step", st.responses_by_step.size());
    strategy_matrix("members_by_step", st.members_by_step.size());
    strategy_matrix("points_outstanding_by_step", st.points_outstanding_by_step.size());
    strategy_matrix("liability_by_step_cents", st.liability_by_step_cents.size());
    strategy_matrix("incremental_margin_by_step_cents",
                    st.incremental_margin_by_step_cents.size());

    if (!r.customers) return;
    const Population& p = *r.customers;
    const std::size_t n = p.size();
    const auto column = [&](const char* name, std::size_t size) {
        // Empty columns are those the behaviour model does not use; they are not written.
        if (size != 0) {
            expect_length(path, std::string("customers/") + name, size, n, "customers (key)");
        }
    };
    column("lambda_per_day", p.lambda_per_day.size());
    column("dropout_p", p.dropout_p.size());
    column("churn_theta", p.churn_theta.size());
    column("spend_rate", p.spend_rate.size());
    column("death_day", p.death_day.size());
    column("next_event_day", p.next_event_day.size());
    column("birth_day", p.birth_day.size());
    column("last_purchase_day", p.last_purchase_day.size());
    column("repeat_purchases", p.repeat_purchases.size());
    column("spend_cents", p.spend_cents.size());
    column("stage", p.stage.size());
    column("stage_since_day", p.stage_since_day.size());
    column("review_day", p.review_day.size());
    column("cohort", r.customer_cohort.size());
    column("channel", r.customer_channel.size());
}

// ---- The groups of the layout

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += '\n';
        out += lines[i];
    }
    return out;
}

void write_root_attributes(const Context& ctx, hid_t file, const RunResult& r,
                           const RunMetadata& meta) {
    const std::string root = "/";
    write_string_attribute(ctx, file, root, "format_version", kFormatVersion);
    write_string_attribute(ctx, file, root, "program", "retsim");
    write_string_attribute(ctx, file, root, "program_version", meta.program_version);
    write_string_attribute(ctx, file, root, "git_commit", meta.git_commit);
    write_string_attribute(ctx, file, root, "scenario_name", meta.scenario_name);
    write_string_attribute(ctx, file, root, "scenario_text", meta.scenario_text);
    write_string_attribute(ctx, file, root, "overrides", join_lines(meta.overrides));
    write_scalar_attribute(ctx, file, root, "seed", std::uint64_t{meta.seed});
    write_scalar_attribute(ctx, file, root, "replicate", std::uint64_t{meta.replicate});
    write_scalar_attribute(ctx, file, root, "threads", std::int32_t{meta.threads});
    write_string_attribute(ctx, file, root, "created_utc", meta.created_utc);
    write_scalar_attribute(ctx, file, root, "step_days", r.step_days);
    write_scalar_attribute(ctx, file, root, "steps", std::uint64_t{r.steps});
}

void write_time_series(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/time_series";
    Handle g = create_group(ctx, file, "time_series");
    const TimeSeries& ts = r.series;
    const hsize_t steps = r.steps;
    write_vector(ctx, g, at, "time_days", ts.time_days,
                 {"days", "end of the step, days since the start of the run", "step"});
    write_vector(ctx, g, at, "customers", ts.customers,
                 {"customers", "customers acquired so far, initial base included", "step"});
    write_vector(ctx, g, at, "acquired", ts.acquired,
                 {"customers", "customers acquired during the step", "step"});
    write_vector(ctx, g, at, "alive", ts.alive,
                 {"customers", "truth: customers not yet gone at the end of the step", "step"});
    {
        const std::string where = at + "/stage_counts";
        write_array(ctx, g, at, "stage_counts", ts.stage_counts.data(), {steps, kStageCount},
                    {"customers", "firm's view: customers in each lifecycle stage at the end of "
                                  "the step", "step, stage"});
        Handle d = ctx.own(H5Dopen2(g, "stage_counts", H5P_DEFAULT), H5Dclose, "open " + where);
        write_strings_attribute(ctx, d, where, "stage_names", kStageNames);
    }
    {
        const std::string where = at + "/stage_by_truth";
        write_array(ctx, g, at, "stage_by_truth", ts.stage_by_truth.data(),
                    {steps, kStageCount, kTruthCount},
                    {"customers", "customers by firm-view stage and truth (alive or gone) at the "
                                  "end of the step", "step, stage, truth"});
        Handle d = ctx.own(H5Dopen2(g, "stage_by_truth", H5P_DEFAULT), H5Dclose, "open " + where);
        write_strings_attribute(ctx, d, where, "stage_names", kStageNames);
        write_strings_attribute(ctx, d, where, "truth_names", kTruthNames);
    }
    write_vector(ctx, g, at, "purchases", ts.purchases,
                 {"purchases", "all purchases in the step, first purchases included", "step"});
    write_vector(ctx, g, at, "repeat_purchases", ts.repeat_purchases,
                 {"purchases", "purchases after a customer's first, in the step", "step"});
    write_vector(ctx, g, at, "revenue_cents", ts.revenue_cents,
                 {"cents", "revenue in the step", "step"});
    write_vector(ctx, g, at, "margin_cents", ts.margin_cents,
                 {"cents", "gross margin in the step", "step"});
    write_vector(ctx, g, at, "acquisition_cost_cents", ts.acquisition_cost_cents,
                 {"cents", "acquisition spend in the step", "step"});
    write_vector(ctx, g, at, "fixed_cost_cents", ts.fixed_cost_cents,
                 {"cents", "fixed costs in the step", "step"});
    write_vector(ctx, g, at, "strategy_cost_cents", ts.strategy_cost_cents,
                 {"cents", "retention strategies' costs in the step: contacts, incentives, "
                           "redeemed rewards, rebates and fixed costs, all strategies", "step"});
    write_vector(ctx, g, at, "fee_income_cents", ts.fee_income_cents,
                 {"cents", "reward-program membership fees in the step, all strategies", "step"});
    write_vector(ctx, g, at, "service_failures", ts.service_failures,
                 {"events", "truth: service failures in the step ([service])", "step"});
    write_vector(ctx, g, at, "complaints", ts.complaints,
                 {"events", "service failures the firm heard about (complaints) in the step", "step"});
    write_vector(ctx, g, at, "started_considering", ts.started_considering,
                 {"customers", "truth: customers who began to consider leaving in the step ([attrition])", "step"});
    write_vector(ctx, g, at, "started_switching", ts.started_switching,
                 {"customers", "truth: customers who chose a competitor in the step", "step"});
    write_vector(ctx, g, at, "departures", ts.departures,
                 {"customers", "truth: customers who left for a competitor in the step", "step"});
    write_vector(ctx, g, at, "risk_signals", ts.risk_signals,
                 {"events", "risk signals the firm saw in the step (considering or switching)", "step"});
    write_vector(ctx, g, at, "profit_cents", ts.profit_cents,
                 {"cents", "margin + fee income - acquisition cost - fixed cost - strategy cost, "
                           "in the step", "step"});
    write_vector(ctx, g, at, "discount_factor", ts.discount_factor,
                 {"1", "(1 + annual discount rate)^(-time_days/365)", "step"});
    write_vector(ctx, g, at, "discounted_profit_cents", ts.discounted_profit_cents,
                 {"cents", "profit_cents * discount_factor", "step"});
}

void write_cohorts(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/cohorts";
    Handle g = create_group(ctx, file, "cohorts");
    const CohortTable& c = r.cohorts;
    const hsize_t groups = c.cohort.size();
    const hsize_t steps = r.steps;
    write_vector(ctx, g, at, "cohort", c.cohort,
                 {"1", "0 = initial base, k = k-th acquisition cohort", "group"});
    write_vector(ctx, g, at, "channel", c.channel,
                 {"1", "row of /channels the group came from; -1 = initial base", "group"});
    write_vector(ctx, g, at, "start_day", c.start_day,
                 {"days", "first day of the cohort's acquisition window", "group"});
    write_vector(ctx, g, at, "customers", c.customers,
                 {"customers", "customers in the group", "group"});
    write_vector(ctx, g, at, "acquisition_cost_cents", c.acquisition_cost_cents,
                 {"cents", "acquisition spend that bought the group", "group"});
    write_vector(ctx, g, at, "cac_cents", c.cac_cents,
                 {"cents per customer", "acquisition cost per customer", "group"});
    write_vector(ctx, g, at, "revenue_cents", c.revenue_cents,
                 {"cents", "revenue of the group over the horizon", "group"});
    write_vector(ctx, g, at, "margin_cents", c.margin_cents,
                 {"cents", "gross margin of the group over the horizon", "group"});
    write_vector(ctx, g, at, "realised_clv_cents", c.realised_clv_cents,
                 {"cents per customer",
                  "realised CLV: margin discounted to start_day, per customer", "group"});
    write_array(ctx, g, at, "alive", c.alive.data(), {groups, steps},
                {"customers", "truth: customers of the group not yet gone at the end of the step",
                 "group, step"});
    write_array(ctx, g, at, "active", c.active.data(), {groups, steps},
                {"customers", "firm's view: customers of the group in stage new, active or "
                              "won_back at the end of the step", "group, step"});
    write_array(ctx, g, at, "purchases_by_step", c.purchases_by_step.data(), {groups, steps},
                {"purchases", "purchases by the group in the step", "group, step"});
    write_array(ctx, g, at, "margin_by_step_cents", c.margin_by_step_cents.data(),
                {groups, steps}, {"cents", "gross margin of the group in the step", "group, step"});
    const std::string where = at + "/stage_by_truth";
    write_array(ctx, g, at, "stage_by_truth", c.stage_by_truth.data(),
                {groups, steps, kStageCount, kTruthCount},
                {"customers", "customers of the group by firm-view stage and truth at the end "
                              "of the step", "group, step, stage, truth"});
    Handle d = ctx.own(H5Dopen2(g, "stage_by_truth", H5P_DEFAULT), H5Dclose, "open " + where);
    write_strings_attribute(ctx, d, where, "stage_names", kStageNames);
    write_strings_attribute(ctx, d, where, "truth_names", kTruthNames);
}

void write_channels(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/channels";
    Handle g = create_group(ctx, file, "channels");
    const ChannelTable& ch = r.channels;
    write_string_vector(ctx, g, at, "name", ch.name,
                        {"", "channel name from the scenario", "channel"});
    write_vector(ctx, g, at, "spend_cents", ch.spend_cents,
                 {"cents", "acquisition spend over the horizon", "channel"});
    write_vector(ctx, g, at, "acquired", ch.acquired,
                 {"customers", "customers acquired over the horizon", "channel"});
    write_vector(ctx, g, at, "cac_cents", ch.cac_cents,
                 {"cents per customer", "acquisition cost per acquired customer", "channel"});
    write_vector(ctx, g, at, "margin_cents", ch.margin_cents,
                 {"cents", "gross margin of the channel's customers over the horizon", "channel"});
    write_vector(ctx, g, at, "discounted_margin_cents", ch.discounted_margin_cents,
                 {"cents", "the same margin, discounted to the start of the run", "channel"});
    write_vector(ctx, g, at, "roi", ch.roi,
                 {"1", "(discounted margin - spend) / spend; NaN when spend is 0", "channel"});
}

void write_strategies(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/strategies";
    Handle g = create_group(ctx, file, "strategies");
    const StrategyTable& st = r.strategies;
    const hsize_t strategies = st.name.size();
    const hsize_t steps = r.steps;
    const char* row = "strategy";
    const char* by_step = "strategy, step";
    write_string_vector(ctx, g, at, "name", st.name,
                        {"", "strategy name from the scenario ([[strategies]] in order)", row});
    write_string_vector(ctx, g, at, "kind", st.kind,
                        {"", "what a response does: contact, win_back or reward", row});

    // Totals over the run.
    write_vector(ctx, g, at, "candidates", st.candidates,
                 {"customer-epochs", "eligible customers considered, summed over decision "
                                     "epochs (holdout included)", row});
    write_vector(ctx, g, at, "held_out", st.held_out,
                 {"customer-epochs", "chosen customers in the holdout (control), not contacted, "
                                     "summed over epochs", row});
    write_vector(ctx, g, at, "contacts", st.contacts,
                 {"contacts", "contacts made over the run", row});
    write_vector(ctx, g, at, "contacts_on_gone", st.contacts_on_gone,
                 {"contacts", "truth: contacts of customers who had already left", row});
    write_vector(ctx, g, at, "responses", st.responses,
                 {"responses", "contacted customers who responded, over the run; win-back: "
                               "revivals included", row});
    write_vector(ctx, g, at, "revived", st.revived,
                 {"customers", "win-back: contacted customers who had left and came back", row});
    write_vector(ctx, g, at, "unsubscribed", st.unsubscribed,
                 {"customers", "contacted customers who opted out of the strategy for good",
                  row});
    write_vector(ctx, g, at, "contact_cost_cents", st.contact_cost_cents,
                 {"cents", "contacts x cost_per_contact_cents", row});
    write_vector(ctx, g, at, "incentive_cost_cents", st.incentive_cost_cents,
                 {"cents", "responses x cost_per_incentive_cents", row});
    write_vector(ctx, g, at, "redemption_cost_cents", st.redemption_cost_cents,
                 {"cents", "reward program: rewards_redeemed x reward_cost_cents", row});
    write_vector(ctx, g, at, "rebate_cost_cents", st.rebate_cost_cents,
                 {"cents", "reward program: volume rebates paid", row});
    write_vector(ctx, g, at, "fixed_cost_cents", st.fixed_cost_cents,
                 {"cents", "fixed costs while the strategy runs", row});
    write_vector(ctx, g, at, "cost_cents", st.cost_cents,
                 {"cents", "contact + incentive + redemption + rebate + fixed cost", row});
    write_vector(ctx, g, at, "spent_on_gone_cents", st.spent_on_gone_cents,
                 {"cents", "truth: contact cost spent on customers who had already left", row});
    write_vector(ctx, g, at, "fee_income_cents", st.fee_income_cents,
                 {"cents", "reward program: membership fees", row});
    write_vector(ctx, g, at, "points_issued", st.points_issued,
                 {"points", "reward program: points earned by members", row});
    write_vector(ctx, g, at, "points_redeemed", st.points_redeemed,
                 {"points", "reward program: points spent on rewards", row});
    write_vector(ctx, g, at, "points_expired", st.points_expired,
                 {"points", "reward program: points lost to expiry", row});
    write_vector(ctx, g, at, "points_outstanding", st.points_outstanding,
                 {"points", "reward program: points held by members at the end; "
                            "points_issued = points_redeemed + points_expired + "
                            "points_outstanding", row});
    write_vector(ctx, g, at, "rewards_redeemed", st.rewards_redeemed,
                 {"rewards", "reward program: rewards claimed", row});
    write_vector(ctx, g, at, "members", st.members,
                 {"customers", "reward program: members at the end", row});
    write_vector(ctx, g, at, "liability_cents", st.liability_cents,
                 {"cents", "reward program: points_outstanding x reward_cost_cents / "
                           "reward_threshold_points, at the end", row});
    write_vector(ctx, g, at, "breakage_fraction", st.breakage_fraction,
                 {"1", "points_expired / (points_expired + points_redeemed); NaN when both "
                       "are 0", row});

    // Treated against holdout, at the end of the run.
    write_vector(ctx, g, at, "treated", st.treated,
                 {"customers", "customers chosen at least once and contacted (not in the "
                               "holdout)", row});
    write_vector(ctx, g, at, "control", st.control,
                 {"customers", "holdout customers chosen at least once by the same rules, "
                               "never contacted", row});
    write_vector(ctx, g, at, "treated_revenue_per_customer_cents",
                 st.treated_revenue_per_customer_cents,
                 {"cents per customer", "mean revenue of the treated since each was first "
                                        "chosen; NaN without treated customers", row});
    write_vector(ctx, g, at, "control_revenue_per_customer_cents",
                 st.control_revenue_per_customer_cents,
                 {"cents per customer", "mean revenue of the control since each was first "
                                        "chosen; NaN without a holdout", row});
    write_vector(ctx, g, at, "incremental_margin_cents", st.incremental_margin_cents,
                 {"cents", "(treated mean revenue - control mean revenue) x treated x "
                           "margin_fraction; NaN without a holdout", row});
    write_vector(ctx, g, at, "incremental_margin_low_cents", st.incremental_margin_low_cents,
                 {"cents", "lower end of the 95% Welch interval of incremental_margin_cents "
                           "(normal quantile)", row});
    write_vector(ctx, g, at, "incremental_margin_high_cents", st.incremental_margin_high_cents,
                 {"cents", "upper end of the 95% Welch interval of incremental_margin_cents "
                           "(normal quantile)", row});
    write_vector(ctx, g, at, "roi", st.roi,
                 {"1", "(incremental margin + fees - cost) / cost; NaN when cost is 0 or "
                       "without a holdout", row});
    write_vector(ctx, g, at, "roi_low", st.roi_low,
                 {"1", "roi at incremental_margin_low_cents", row});
    write_vector(ctx, g, at, "roi_high", st.roi_high,
                 {"1", "roi at incremental_margin_high_cents", row});
    write_vector(ctx, g, at, "incremental_retained", st.incremental_retained,
                 {"customers", "truth: treated x (alive share of treated - alive share of "
                               "control) at the end; NaN without a holdout", row});
    write_vector(ctx, g, at, "cost_per_retained_cents", st.cost_per_retained_cents,
                 {"cents per customer", "cost / incremental_retained; NaN when "
                                        "incremental_retained <= 0 or NaN", row});
    write_vector(ctx, g, at, "payback_days", st.payback_days,
                 {"days", "first step end at which the cumulative incremental margin reaches "
                          "the cumulative cost net of fees; NaN when never", row});

    // [strategy][step]
    write_array(ctx, g, at, "cost_by_step_cents", st.cost_by_step_cents.data(),
                {strategies, steps},
                {"cents", "contact + incentive + redemption + rebate + fixed cost in the step",
                 by_step});
    write_array(ctx, g, at, "contacts_by_step", st.contacts_by_step.data(), {strategies, steps},
                {"contacts", "contacts made at the step's decision epoch", by_step});
    write_array(ctx, g, at, "responses_by_step", st.responses_by_step.data(),
                {strategies, steps},
                {"responses", "responses at the step's decision epoch", by_step});
    write_array(ctx, g, at, "members_by_step", st.members_by_step.data(), {strategies, steps},
                {"customers", "reward program: members at the step's decision epoch, before "
                              "that epoch's new members join", by_step});
    write_array(ctx, g, at, "points_outstanding_by_step", st.points_outstanding_by_step.data(),
                {strategies, steps},
                {"points", "reward program: points held by members at the step's decision "
                           "epoch", by_step});
    write_array(ctx, g, at, "liability_by_step_cents", st.liability_by_step_cents.data(),
                {strategies, steps},
                {"cents", "points_outstanding_by_step x reward_cost_cents / "
                          "reward_threshold_points", by_step});
    write_array(ctx, g, at, "incremental_margin_by_step_cents",
                st.incremental_margin_by_step_cents.data(), {strategies, steps},
                {"cents", "cumulative incremental margin at the step's decision epoch, as "
                          "incremental_margin_cents; NaN until both treated and control have "
                          "customers", by_step});
}

void write_summary(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/summary";
    Handle g = create_group(ctx, file, "summary");
    const Summary& s = r.summary;
    write_scalar(ctx, g, at, "customers", s.customers,
                 {"customers", "customers acquired over the run, initial base included"});
    write_scalar(ctx, g, at, "initial_customers", s.initial_customers,
                 {"customers", "customers in the initial base"});
    write_scalar(ctx, g, at, "acquired_customers", s.acquired_customers,
                 {"customers", "customers acquired during the run"});
    write_scalar(ctx, g, at, "alive_at_end", s.alive_at_end,
                 {"customers", "truth: customers not yet gone at the end of the run"});
    write_scalar(ctx, g, at, "purchases", s.purchases,
                 {"purchases", "all purchases, first purchases included"});
    write_scalar(ctx, g, at, "repeat_purchases", s.repeat_purchases,
                 {"purchases", "purchases after a customer's first"});
    write_scalar(ctx, g, at, "revenue_cents", s.revenue_cents, {"cents", "total revenue"});
    write_scalar(ctx, g, at, "margin_cents", s.margin_cents, {"cents", "total gross margin"});
    write_scalar(ctx, g, at, "acquisition_cost_cents", s.acquisition_cost_cents,
                 {"cents", "total acquisition spend"});
    write_scalar(ctx, g, at, "fixed_cost_cents", s.fixed_cost_cents,
                 {"cents", "total fixed costs"});
    write_scalar(ctx, g, at, "strategy_cost_cents", s.strategy_cost_cents,
                 {"cents", "total cost of the retention strategies"});
    write_scalar(ctx, g, at, "fee_income_cents", s.fee_income_cents,
                 {"cents", "total reward-program membership fees"});
    write_scalar(ctx, g, at, "profit_cents", s.profit_cents,
                 {"cents", "margin + fee income - acquisition cost - fixed cost - strategy cost"});
    write_scalar(ctx, g, at, "discounted_profit_cents", s.discounted_profit_cents,
                 {"cents", "profit discounted to the start of the run"});
    write_scalar(ctx, g, at, "cac_cents", s.cac_cents,
                 {"cents per customer", "acquisition cost per acquired customer"});
    write_scalar(ctx, g, at, "mean_spend_cents", s.mean_spend_cents,
                 {"cents per purchase", "revenue per purchase"});
    write_scalar(ctx, g, at, "customer_days", s.customer_days,
                 {"customer-days", "simulated customer-days (for throughput)"});
    write_scalar(ctx, g, at, "wall_seconds", s.wall_seconds,
                 {"s", "wall-clock time of the simulation, output excluded"});
    write_scalar(ctx, g, at, "bytes_per_customer", std::uint64_t{s.bytes_per_customer},
                 {"bytes", "bytes of customer state per customer"});
    write_scalar(ctx, g, at, "threads", std::int32_t{s.threads},
                 {"1", "worker threads used (results do not depend on it)"});
}

void write_model(const Context& ctx, hid_t file, const RunResult& r) {
    const std::string at = "/model";
    Handle g = create_group(ctx, file, "model");
    std::vector<std::string> names;
    std::vector<double> values;
    for (const auto& [name, value] : r.model_parameters) {
        names.push_back(name);
        values.push_back(value);
    }
    write_string_vector(ctx, g, at, "parameter_names", names,
                        {"", "dotted parameter names, e.g. spend.p", "parameter"});
    write_vector(ctx, g, at, "parameter_values", values,
                 {"", "parameter values, in the units of each parameter's name", "parameter"});
}

template <class T>
void write_column(const Context& ctx, hid_t group, const char* name, const Column<T>& values, const Meta& meta,
                  bool even_empty = false) {
    if (values.empty() && !even_empty) return;
    write_array(ctx, group, "/customers", name, values.data(), {hsize_t(values.size())}, meta, Storage::Compressed);
}
template <class T>
void write_column(const Context& ctx, hid_t group, const char* name, const std::vector<T>& values, const Meta& meta) {
    if (values.empty()) return;
    write_vector(ctx, group, "/customers", name, values, meta, Storage::Compressed);
}

void write_customers(const Context& ctx, hid_t file, const RunResult& r) {
    Handle g = create_group(ctx, file, "customers");
    const Population& p = *r.customers;
    const char* dim = "customer";
    // The key is written even for an empty population, so the group always has a length.
    write_column(ctx, g, "key", p.key, {"1", "stable random-number identity of the customer", dim}, true);
    write_column(ctx, g, "lambda_per_day", p.lambda_per_day,
                 {"purchases per day", "truth: purchase rate while alive", dim});
    write_column(ctx, g, "dropout_p", p.dropout_p,
                 {"1", "truth: probability of leaving after a repeat purchase", dim});
    write_column(ctx, g, "churn_theta", p.churn_theta,
                 {"1", "truth: probability of cancelling at a renewal", dim});
    write_column(ctx, g, "spend_rate", p.spend_rate,
                 {"1/cents", "truth: Gamma-Gamma nu; mean spend = p / nu cents", dim});
    write_column(ctx, g, "death_day", p.death_day,
                 {"days", "truth: day the customer left for good; +inf while alive", dim});
    write_column(ctx, g, "next_event_day", p.next_event_day,
                 {"days", "truth: next purchase or renewal; +inf when none", dim});
    write_column(ctx, g, "birth_day", p.birth_day,
                 {"days", "first purchase (acquisition)", dim});
    write_column(ctx, g, "last_purchase_day", p.last_purchase_day,
                 {"days", "most recent purchase", dim});
    write_column(ctx, g, "repeat_purchases", p.repeat_purchases,
                 {"purchases", "purchases after the first", dim});
    write_column(ctx, g, "spend_cents", p.spend_cents,
                 {"cents", "total spend, first purchase included", dim});
    if (!p.stage.empty()) {
        write_column(ctx, g, "stage", p.stage,
                     {"1", "lifecycle stage at the last step, index into stage_names", dim});
        Handle d = ctx.own(H5Dopen2(g, "stage", H5P_DEFAULT), H5Dclose, "open /customers/stage");
        write_strings_attribute(ctx, d, "/customers/stage", "stage_names", kStageNames);
    }
    write_column(ctx, g, "stage_since_day", p.stage_since_day,
                 {"days", "when the current stage began", dim});
    write_column(ctx, g, "review_day", p.review_day,
                 {"days", "day by which the engine looks at the stage again: it cannot change "
                          "earlier without an event (a purchase may put the first possible change "
                          "later); +inf when only an event changes it", dim});
    write_column(ctx, g, "cohort", r.customer_cohort,
                 {"1", "cohort of the customer (see /cohorts/cohort)", dim});
    write_column(ctx, g, "channel", r.customer_channel,
                 {"1", "row of /channels; -1 = initial base", dim});
}

/// Writes the whole file at `temporary`; messages name `path`, the name the user gave.
void write_file(const std::string& temporary, const std::string& path, const RunResult& r,
                const RunMetadata& meta) {
    const Context ctx(path);
    Handle fapl = ctx.own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "set file access properties");
    // The 1.8 file format stores attributes over 64 KiB (a long scenario_text) and is read by
    // every HDF5 from 1.8 on, h5py included. Semi close refuses to close with objects open.
    ctx.check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18),
              "set file format bounds");
    ctx.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI), "set file close degree");
    Handle file = ctx.own(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl),
                          H5Fclose, "create file (temporary " + temporary + ")");
    write_root_attributes(ctx, file, r, meta);
    write_time_series(ctx, file, r);
    write_cohorts(ctx, file, r);
    write_channels(ctx, file, r);
    write_strategies(ctx, file, r);
    write_summary(ctx, file, r);
    write_model(ctx, file, r);
    if (r.customers) write_customers(ctx, file, r);
    ctx.check(file.close(), "close file (temporary " + temporary + ")");
}

}  // namespace

void keep_hdf5_from_closing_files_at_exit() { H5dont_atexit(); }

void write_result(const std::string& path, const RunResult& result, const RunMetadata& meta,
                  bool overwrite) {
    silence_hdf5();
    check_shapes(path, result);
    write_through_temporary(path, overwrite,
                            [&](const std::string& temporary) { write_file(temporary, path, result, meta); });
}

}  // namespace retsim
