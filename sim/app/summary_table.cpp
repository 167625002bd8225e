// Summary table (see summary_table.hpp).
#include "sim/app/summary_table.hpp"

#include "sim/format.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace retsim {
namespace {

std::string pad_left(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string pad_right(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string format_summary(const Scenario& sc, const RunResult& r) {
    const Summary& s = r.summary;
    std::ostringstream out;
    out << "retsim run: " << sc.source_name << ", seed " << sc.run.seed << ", replicate " << sc.run.replicate
        << ", model " << sc.population.model << "\n";
    out << "  horizon " << sc.run.horizon_days << " days in " << r.steps << " steps of " << r.step_days
        << " days\n";
    out << "  customers " << format_count(s.customers) << " (" << format_count(s.initial_customers)
        << " initial + " << format_count(s.acquired_customers) << " acquired), "
        << format_count(s.alive_at_end) << " still alive at the end (truth)\n\n";

    // Stage (firm's view) against truth at the last step.
    const std::size_t last = r.steps - 1;
    out << "  " << pad_right("stage at end", 20) << pad_left("alive", 14) << pad_left("gone", 14)
        << pad_left("total", 14) << "\n";
    for (std::size_t k = 0; k < kStageCount; ++k) {
        const std::int64_t alive = r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount];
        const std::int64_t gone = r.series.stage_by_truth[(last * kStageCount + k) * kTruthCount + 1];
        out << "  " << pad_right(std::string(kStageNames[k]), 20) << pad_left(format_count(alive), 14)
            << pad_left(format_count(gone), 14) << pad_left(format_count(alive + gone), 14) << "\n";
    }

    out << "\n  money (currency units)\n";
    const auto line = [&](const char* label, double cents) {
        out << "  " << pad_right(label, 26) << pad_left(format_money(cents), 20) << "\n";
    };
    out << "  " << pad_right("purchases", 26) << pad_left(format_count(s.purchases), 20) << "\n";
    line("revenue", double(s.revenue_cents));
    line("mean spend per purchase", s.mean_spend_cents);
    line("margin", double(s.margin_cents));
    line("acquisition spend", double(s.acquisition_cost_cents));
    line("fixed costs", double(s.fixed_cost_cents));
    if (!r.strategies.name.empty()) {
        line("strategy costs", double(s.strategy_cost_cents));
        if (s.fee_income_cents != 0) line("membership fees", double(s.fee_income_cents));
    }
    line("profit", double(s.profit_cents));
    line("discounted profit", s.discounted_profit_cents);
    if (s.acquired_customers > 0) line("cost per acquired customer", s.cac_cents);

    if (!r.channels.name.empty()) {
        out << "\n  " << pad_right("channel", 16) << pad_left("spend", 16) << pad_left("acquired", 12)
            << pad_left("CAC", 12) << pad_left("ROI", 10) << "\n";
        for (std::size_t c = 0; c < r.channels.name.size(); ++c) {
            char roi[32];
            if (std::isfinite(r.channels.roi[c])) {
                std::snprintf(roi, sizeof roi, "%.1f%%", 100.0 * r.channels.roi[c]);
            } else {
                std::snprintf(roi, sizeof roi, "n/a");
            }
            out << "  " << pad_right(r.channels.name[c], 16) << pad_left(format_money(double(r.channels.spend_cents[c])), 16)
                << pad_left(format_count(r.channels.acquired[c]), 12)
                << pad_left(format_money(r.channels.cac_cents[c]), 12) << pad_left(roi, 10) << "\n";
        }
    }

    const StrategyTable& st = r.strategies;
    if (!st.name.empty()) {
        const auto percent = [](double v) {
            char b[32];
            if (std::isfinite(v)) {
                std::snprintf(b, sizeof b, "%.0f%%", 100.0 * v);
            } else {
                std::snprintf(b, sizeof b, "n/a");
            }
            return std::string(b);
        };
        const auto money_or_na = [](double v) { return std::isfinite(v) ? format_money(v) : std::string("n/a"); };
        out << "\n  strategies (incremental: treated against holdout, 95% interval)\n";
        out << "  " << pad_right("strategy", 18) << pad_left("contacts", 11) << pad_left("responses", 11)
            << pad_left("cost", 14) << pad_left("incremental margin", 34) << pad_left("ROI", 22)
            << pad_left("on gone", 12) << "\n";
        for (std::size_t k = 0; k < st.name.size(); ++k) {
            std::string margin = money_or_na(st.incremental_margin_cents[k]);
            if (std::isfinite(st.incremental_margin_low_cents[k])) {
                margin += " [" + format_money(st.incremental_margin_low_cents[k]) + ", " +
                          format_money(st.incremental_margin_high_cents[k]) + "]";
            }
            std::string roi = percent(st.roi[k]);
            if (std::isfinite(st.roi_low[k])) roi += " [" + percent(st.roi_low[k]) + ", " + percent(st.roi_high[k]) + "]";
            out << "  " << pad_right(st.name[k], 18) << pad_left(format_count(st.contacts[k]), 11)
                << pad_left(format_count(st.responses[k]), 11) << pad_left(format_money(double(st.cost_cents[k])), 14) << " "
                << pad_left(margin, 34) << pad_left(roi, 22)
                << pad_left(format_money(double(st.spent_on_gone_cents[k])), 12) << "\n";
            if (st.kind[k] == "reward") {
                out << "  " << pad_right("", 18) << "members " << format_count(st.members[k]) << ", points issued "
                    << format_count(st.points_issued[k]) << " = redeemed " << format_count(st.points_redeemed[k])
                    << " + expired " << format_count(st.points_expired[k]) << " + outstanding "
                    << format_count(st.points_outstanding[k]) << "; liability " << format_money(st.liability_cents[k])
                    << ", breakage " << percent(st.breakage_fraction[k]) << "\n";
            }
        }
    }

    // Where the next currency unit earns more: margin returned per unit of acquisition spend
    // (discounted margin of the channels' customers) against incremental margin per unit of
    // retention spend (strategies measured against their holdouts).
    double acquisition_spend = 0, acquisition_margin = 0, retention_cost = 0, retention_margin = 0;
    for (std::size_t c = 0; c < r.channels.name.size(); ++c) {
        acquisition_spend += double(r.channels.spend_cents[c]);
        acquisition_margin += r.channels.discounted_margin_cents[c];
    }
    for (std::size_t k = 0; k < st.name.size(); ++k) {
        if (!std::isfinite(st.incremental_margin_cents[k])) continue;
        retention_cost += double(st.cost_cents[k]);
        retention_margin += st.incremental_margin_cents[k] + double(st.fee_income_cents[k]);
    }
    if (acquisition_spend > 0 || retention_cost > 0) {
        out << "\n  margin returned per currency unit spent\n";
        char line_text[160];
        if (acquisition_spend > 0) {
            std::snprintf(line_text, sizeof line_text, "  %-26s%20.2f   (channels' customers, discounted, over the horizon)\n",
                          "on acquisition", acquisition_margin / acquisition_spend);
            out << line_text;
        }
        if (retention_cost > 0) {
            std::snprintf(line_text, sizeof line_text, "  %-26s%20.2f   (strategies, incremental against their holdouts)\n",
                          "on retention", retention_margin / retention_cost);
            out << line_text;
        }
    }

    char perf[160];
    std::snprintf(perf, sizeof perf, "\n  %.4g customer-days in %.3f s on %d threads: %.3g customer-days/s, %zu bytes per customer\n",
                  s.customer_days, s.wall_seconds, s.threads,
                  s.wall_seconds > 0 ? s.customer_days / s.wall_seconds : 0.0, s.bytes_per_customer);
    out << perf;
    return out.str();
}

}  // namespace retsim
