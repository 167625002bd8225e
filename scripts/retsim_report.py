#!/usr/bin/python3
"""Charts and a web page from a retsim HDF5 file: a run result, a comparison or a sweep.

    /usr/bin/python3 scripts/retsim_report.py RESULT.h5 -o DIR [--force]
                     [--x KEY --y KEY --metric NAME]          (sweeps)

Writes PNG charts and DIR/index.html, which shows them with short captions. The report is
built in DIR.partial-<pid> and renamed to DIR when complete; a non-empty DIR is replaced only
with --force. `retsim report` runs this script. Every chart comes from data in the file; a
chart whose data the file does not have is left out with a note on the page.
Exit codes: 0 ok, 1 runtime failure, 2 bad input (missing, foreign or wrong kind of file,
unknown --x/--y/--metric, existing DIR).
Layouts read: docs/hdf5_layout.md, docs/compare_layout.md, docs/sweep_layout.md.
Needs Debian's python3-matplotlib, python3-h5py and python3-numpy (scripts/setup.sh).
"""

import argparse
import html
import math
import os
import re
import shutil
import sys
import textwrap

try:
    import tomllib
except ImportError:  # Python < 3.11: budgets read from the scenario text are then unknown
    tomllib = None

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

DPI = 150
FIGSIZE = (10, 5.6)
WIDE_FIGSIZE = (12, 5.6)

# One colour per lifecycle stage, used by every chart. Stage names come from the file's
# stage_names attribute; a stage added later gets a colour from EXTRA_COLOURS, by position.
STAGE_COLOURS = {
    "prospect": "#b0bec5",
    "new": "#42a5f5",
    "active": "#2e7d32",
    "silent_attrition": "#9ccc65",
    "unhappy": "#fdd835",
    "at_risk_considering": "#fb8c00",
    "at_risk_switching": "#d84315",
    "lapsed": "#8d6e63",
    "inactive": "#9e9e9e",
    "lost": "#37474f",
    "won_back": "#8e24aa",
}
EXTRA_COLOURS = ["#00897b", "#c2185b", "#5c6bc0", "#afb42b", "#6d4c41"]
# Money and plan colours shared by the charts.
COLOURS = {
    "revenue": "#1565c0",
    "margin": "#2e7d32",
    "cost": "#c62828",
    "fee": "#6a1b9a",
    "profit": "#212121",
    "incremental": "#2e7d32",
    "a": "#78909c",
    "b": "#1565c0",
    "paired": "#1565c0",
    "unpaired": "#b0bec5",
    "alive": "#2e7d32",
    "gone": "#c62828",
    "first": "#1565c0",
    "total": "#ef6c00",
}
SERIES_COLOURS = plt.get_cmap("tab10").colors

plt.rcParams.update({
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
})


class BadInput(Exception):
    """The user's input is wrong: exit code 2."""


# ---------------------------------------------------------------------------------------
# Small helpers


def text(value):
    """An HDF5 string (bytes or str, scalar or numpy) as str."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return text(value[()])
    return str(value)


def texts(values):
    return [text(v) for v in np.asarray(values).ravel()]


def attr(obj, name, default=""):
    return obj.attrs[name] if name in obj.attrs else default


def money_units(cents):
    """Cents as currency units."""
    return np.asarray(cents, dtype=float) / 100.0


def human_number(v, _pos=None):
    """Axis labels: 1,234 / 12.3k / 4.5M."""
    if not np.isfinite(v):
        return ""
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.1f}bn"
    if a >= 1e6:
        return f"{v / 1e6:.1f}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 100 or v == round(v):
        return f"{v:,.0f}"
    return f"{v:.2f}"


def money_text(cents):
    if cents is None or not np.isfinite(cents):
        return "n/a"
    return f"{cents / 100:,.2f}"


def percent_text(fraction):
    if fraction is None or not np.isfinite(fraction):
        return "n/a"
    return f"{fraction * 100:.0f}%"


def number_axis(axis):
    axis.set_major_formatter(FuncFormatter(human_number))


def stage_colour(name, index):
    return STAGE_COLOURS.get(name, EXTRA_COLOURS[index % len(EXTRA_COLOURS)])


def pretty(name):
    """A dataset or key name for people: 'profit_cents' -> 'profit'."""
    name = re.sub(r"_cents$", "", name)
    return name.replace("_", " ")


def short_key(key):
    """A scenario key for an axis label: the last two parts."""
    parts = key.split(".")
    return ".".join(parts[-2:]) if len(parts) > 2 else key


def is_money_units(units):
    return units.startswith("cents")


def scenario_question(scenario_text):
    """The '# Question:' line(s) that open a library scenario, or ''."""
    question, reading = [], False
    for line in scenario_text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if not reading:
            if body.startswith("Question:"):
                question.append(body[len("Question:"):].strip())
                reading = True
        elif body:
            question.append(body)
        else:
            break
    return " ".join(question)


class Report:
    """Collects charts (or notes on charts left out) and writes them into a directory."""

    def __init__(self, directory):
        self.directory = directory
        self.items = []  # (kind, title, file or None, caption)

    def save(self, fig, name, title, caption):
        path = os.path.join(self.directory, name)
        fig.savefig(path, dpi=DPI, facecolor="white")
        plt.close(fig)
        self.items.append(("chart", title, name, caption))

    def skip(self, title, reason):
        self.items.append(("skipped", title, None, reason))


def new_figure(figsize=FIGSIZE, ncols=1, nrows=1, **kwargs):
    return plt.subplots(nrows, ncols, figsize=figsize, layout="constrained", **kwargs)


# ---------------------------------------------------------------------------------------
# Run results


def read_stage_names(dataset, count):
    names = texts(dataset.attrs["stage_names"]) if "stage_names" in dataset.attrs else []
    if len(names) != count:
        names = [f"stage {i}" for i in range(count)]
    return names


def run_charts(f, report):
    ts = f["time_series"]
    weeks = ts["time_days"][()] / 7.0
    stage_counts = ts["stage_counts"][()]
    stages = read_stage_names(ts["stage_counts"], stage_counts.shape[1])
    strategies = f["strategies"] if "strategies" in f else None
    k = strategies["name"].shape[0] if strategies is not None and "name" in strategies else 0
    names = texts(strategies["name"][()]) if k else []
    kinds = texts(strategies["kind"][()]) if k else []

    chart_stages(report, weeks, stage_counts, stages)
    chart_retention(f, report, weeks)
    chart_clv(f, report)
    chart_money_over_time(report, ts, weeks)
    if k:
        chart_strategy_money(report, strategies, names)
    else:
        report.skip("Revenue, costs and profit per strategy", "The scenario has no retention strategies.")
    chart_roi(f, report, strategies, names)
    chart_truth(f, report, stages, strategies, names)
    reward = [i for i, kind in enumerate(kinds) if kind == "reward"]
    if reward:
        chart_rewards(report, strategies, names, reward, weeks)
    else:
        report.skip("Reward program: liability and breakage", "The scenario has no reward program.")


def chart_stages(report, weeks, counts, stages):
    fig, ax = new_figure()
    shown = [i for i in range(len(stages)) if counts[:, i].any()]
    ax.stackplot(weeks, counts[:, shown].T, labels=[pretty(stages[i]) for i in shown],
                 colors=[stage_colour(stages[i], i) for i in shown], alpha=0.9, linewidth=0)
    ax.set_xlabel("time (weeks)")
    ax.set_ylabel("customers")
    number_axis(ax.yaxis)
    ax.set_xlim(weeks[0] if len(weeks) else 0, weeks[-1] if len(weeks) else 1)
    ax.set_title("Customers by lifecycle stage (the firm's view)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    left_out = [pretty(s) for i, s in enumerate(stages) if i not in shown]
    caption = ("Customers in each stage at the end of every step, as the firm labels them "
               "(/time_series/stage_counts).")
    if left_out:
        caption += " Stages with nobody in them at any step are not drawn: " + ", ".join(left_out) + "."
    report.save(fig, "stages.png", "Customers by lifecycle stage", caption)


def cohort_table(c, weeks):
    """Per cohort: start week, customers, alive and active counts by step, the step at which it
    is fully acquired, CLV and CAC per customer (groups of one cohort summed over channels)."""
    cohort = c["cohort"][()]
    customers = c["customers"][()]
    start = c["start_day"][()] / 7.0
    alive = c["alive"][()]
    active = c["active"][()]
    acquired = c["stage_by_truth"][()].sum(axis=(2, 3)) if "stage_by_truth" in c else None
    clv = c["realised_clv_cents"][()]
    spend = c["acquisition_cost_cents"][()]
    rows = []
    for k in np.unique(cohort):
        g = cohort == k
        n = customers[g].sum()
        if n == 0:
            continue
        full = 0
        if acquired is not None:
            done = np.nonzero(acquired[g].sum(axis=0) >= n)[0]
            full = int(done[0]) if len(done) else len(weeks) - 1
        with np.errstate(invalid="ignore"):
            clv_mean = float(np.nansum(clv[g] * customers[g]) / n)
        rows.append({
            "cohort": int(k), "start_week": float(start[g].min()), "customers": int(n),
            "alive": alive[g].sum(axis=0), "active": active[g].sum(axis=0), "full_step": full,
            "clv_cents": clv_mean, "cac_cents": float(spend[g].sum() / n) if spend[g].sum() > 0 else float("nan"),
        })
    return rows


def cohort_label(row):
    return "initial base" if row["cohort"] == 0 else f"cohort {row['cohort']} (week {row['start_week']:.0f})"


def chart_retention(f, report, weeks):
    title = "Retention by cohort"
    if "cohorts" not in f or f["cohorts/cohort"].shape[0] == 0:
        report.skip(title, "The file has no cohorts.")
        return
    rows = cohort_table(f["cohorts"], weeks)
    fig, axes = new_figure(WIDE_FIGSIZE, ncols=2, sharey=True)
    acquired_cohorts = [r for r in rows if r["cohort"] != 0]
    cmap = plt.get_cmap("viridis")
    last = max([r["start_week"] for r in acquired_cohorts], default=1.0) or 1.0
    for r in rows:
        s0 = r["full_step"]
        t = weeks[s0:] - r["start_week"]
        colour = "black" if r["cohort"] == 0 else cmap(0.9 * r["start_week"] / last)
        width = 2.6 if r["cohort"] == 0 else 1.4
        label = "initial base" if r["cohort"] == 0 else None
        axes[0].plot(t, r["alive"][s0:] / r["customers"], color=colour, lw=width, label=label)
        axes[1].plot(t, r["active"][s0:] / r["customers"], color=colour, lw=width, label=label)
    axes[0].set_title("Still customers (the truth)")
    axes[1].set_title("Active in the firm's view")
    for ax in axes:
        ax.set_xlabel("weeks since the cohort's first day")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylim(0, 1.02)
    axes[0].set_ylabel("share of the cohort's customers")
    if any(r["cohort"] == 0 for r in rows):
        axes[0].legend(loc="lower left", frameon=False)
    if acquired_cohorts:
        sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, last / 0.9))
        bar = fig.colorbar(sm, ax=axes, pad=0.01, fraction=0.04)
        bar.set_label("cohort's first week")
    fig.suptitle("Retention curves by cohort", fontweight="bold", fontsize=14)
    report.save(fig, "retention.png", title,
                "Share of each cohort still alive (left: the truth, which only the simulator knows) and in "
                "the stages new, active or won back (right: what the firm sees), from the step at which the "
                "cohort is fully acquired (/cohorts/alive, /cohorts/active). Black: the initial base.")


def chart_clv(f, report):
    title = "Customer lifetime value by cohort"
    if "cohorts" not in f or f["cohorts/cohort"].shape[0] == 0:
        report.skip(title, "The file has no cohorts.")
    else:
        c = f["cohorts"]
        channel_names = texts(f["channels/name"][()]) if "channels" in f else []
        cohort = c["cohort"][()]
        channel = c["channel"][()]
        customers = c["customers"][()]
        start = c["start_day"][()] / 7.0
        clv = money_units(c["realised_clv_cents"][()])
        cac = money_units(c["cac_cents"][()])
        cohorts = [k for k in np.unique(cohort) if customers[cohort == k].sum() > 0]
        channels = sorted({int(ch) for ch in channel})
        fig, ax = new_figure(WIDE_FIGSIZE)
        width = 0.8 / max(1, len(channels))
        x = np.arange(len(cohorts))
        for j, ch in enumerate(channels):
            values, costs = [], []
            for k in cohorts:
                g = (cohort == k) & (channel == ch) & (customers > 0)
                values.append(float(np.average(clv[g], weights=customers[g])) if g.any() else np.nan)
                costs.append(float(np.average(cac[g], weights=customers[g])) if g.any() and ch >= 0 else np.nan)
            name = "initial base" if ch < 0 else (channel_names[ch] if ch < len(channel_names) else f"channel {ch}")
            pos = x - 0.4 + width * (j + 0.5)
            ax.bar(pos, values, width * 0.95, color=SERIES_COLOURS[j % 10], label=f"CLV: {name}")
            if ch >= 0 and np.isfinite(costs).any():
                ax.scatter(pos, costs, marker="_", s=400 * width, linewidths=3, color="#c62828", zorder=3,
                           label="CAC (acquisition cost per customer)" if j == len(channels) - 1 else None)
        labels = ["base" if k == 0 else f"wk {start[cohort == k].min():.0f}" for k in cohorts]
        ax.set_xticks(x, labels, rotation=45 if len(cohorts) > 12 else 0, ha="right" if len(cohorts) > 12 else "center")
        ax.set_xlabel("cohort (week of its first day)")
        ax.set_ylabel("currency units per customer")
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title("Realised CLV per customer by cohort, against what a customer cost")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        report.save(fig, "clv_cohorts.png", title,
                    "Gross margin per customer over the horizon, discounted to the cohort's first day "
                    "(/cohorts/realised_clv_cents), per cohort and acquisition channel; red dashes: the "
                    "acquisition cost per customer of the cohort (CAC). Later cohorts had less time to earn.")

    title = "Customer lifetime value per customer"
    if "customers" not in f or "spend_cents" not in f["customers"]:
        report.skip(title, "Per-customer values are stored only by `retsim run --customers`.")
        return
    spend = f["customers/spend_cents"][()].astype(float)
    s = f["summary"]
    revenue = float(s["revenue_cents"][()])
    margin_share = float(s["margin_cents"][()]) / revenue if revenue > 0 else float("nan")
    if not np.isfinite(margin_share) or len(spend) == 0:
        report.skip(title, "The run has no revenue.")
        return
    value = money_units(spend * margin_share)
    order = np.sort(spend)[::-1]
    top = max(1, int(round(0.2 * len(order))))
    top_share = order[:top].sum() / order.sum() if order.sum() > 0 else float("nan")
    cap = np.percentile(value, 99)
    fig, ax = new_figure()
    ax.hist(np.minimum(value, cap), bins=60, color=COLOURS["margin"], alpha=0.85)
    ax.axvline(value.mean(), color="black", lw=1.5, ls="--", label=f"mean {value.mean():,.2f}")
    ax.set_xlabel("margin per customer over the horizon (currency units; top 1% drawn at the edge)")
    ax.set_ylabel("customers")
    number_axis(ax.yaxis)
    number_axis(ax.xaxis)
    ax.set_title(f"Value per customer: the top 20% bring {percent_text(top_share)} of revenue")
    ax.legend(frameon=False)
    report.save(fig, "clv_customers.png", title,
                "Every customer's spend over the horizon (/customers/spend_cents) times the run's margin share "
                f"({margin_share:.1%}), undiscounted. The Pareto rule says the top fifth bring about 80% of revenue; "
                f"here they bring {percent_text(top_share)}.")


def chart_money_over_time(report, ts, weeks):
    fig, ax = new_figure()
    series = [("revenue", "revenue_cents", COLOURS["revenue"], "-")]
    series.append(("gross margin", "margin_cents", COLOURS["margin"], "-"))
    costs = np.zeros(len(weeks))
    for name in ("acquisition_cost_cents", "fixed_cost_cents", "strategy_cost_cents"):
        if name in ts:
            costs += ts[name][()]
    if "fee_income_cents" in ts:
        costs -= ts["fee_income_cents"][()]
    for label, name, colour, style in series:
        ax.plot(weeks, money_units(np.cumsum(ts[name][()])), color=colour, ls=style, lw=2, label=label)
    ax.plot(weeks, money_units(np.cumsum(costs)), color=COLOURS["cost"], lw=2, label="all costs, net of fees")
    ax.plot(weeks, money_units(np.cumsum(ts["profit_cents"][()])), color=COLOURS["profit"], lw=2.6, label="profit")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("time (weeks)")
    ax.set_ylabel("cumulative, currency units")
    number_axis(ax.yaxis)
    ax.set_title("Revenue, costs and profit of the whole firm")
    ax.legend(loc="upper left", frameon=False)
    report.save(fig, "money.png", "Revenue, costs and profit over time",
                "Running totals from /time_series: revenue, gross margin, every cost (acquisition, fixed, "
                "retention strategies) net of reward-program fees, and profit = margin - costs.")


def chart_strategy_money(report, st, names):
    k = len(names)
    cost = money_units(st["cost_cents"][()])
    fee = money_units(st["fee_income_cents"][()]) if "fee_income_cents" in st else np.zeros(k)
    inc = money_units(st["incremental_margin_cents"][()])
    low = money_units(st["incremental_margin_low_cents"][()])
    high = money_units(st["incremental_margin_high_cents"][()])
    net = inc + fee - cost
    fig, ax = new_figure(figsize=(10, 1.6 + 1.3 * k))
    y = np.arange(k)
    h = 0.2
    ax.barh(y - 1.5 * h, cost, h, color=COLOURS["cost"], label="cost")
    ax.barh(y - 0.5 * h, fee, h, color=COLOURS["fee"], label="membership fees")
    err = np.vstack([inc - low, high - inc])
    err = np.where(np.isfinite(err), np.abs(err), 0)
    ax.barh(y + 0.5 * h, np.nan_to_num(inc), h, color=COLOURS["incremental"], label="incremental margin (95% interval)",
            xerr=err, error_kw={"ecolor": "black", "capsize": 4, "lw": 1.2})
    ax.barh(y + 1.5 * h, np.nan_to_num(net), h, color=COLOURS["profit"], label="net: margin + fees - cost")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("currency units over the horizon")
    number_axis(ax.xaxis)
    ax.set_title("What each retention strategy cost and earned")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    no_holdout = [n for n, v in zip(names, inc) if not np.isfinite(v)]
    caption = ("Per strategy (/strategies): its cost (contacts, incentives, rewards, rebates, fixed cost), membership "
               "fees, the incremental margin of the customers it chose against its holdout with the 95% interval, "
               "and the net contribution.")
    if no_holdout:
        caption += " Without a holdout there is no incremental figure: " + ", ".join(no_holdout) + "."
    report.save(fig, "strategies_money.png", "Revenue, costs and profit per strategy", caption)


def chart_roi(f, report, st, names):
    title = "Return on investment"
    rows = []
    if st is not None and names:
        roi, lo, hi = st["roi"][()], st["roi_low"][()], st["roi_high"][()]
        rows += [(f"strategy: {n}", roi[i], lo[i], hi[i], True) for i, n in enumerate(names)]
    if "channels" in f and f["channels/name"].shape[0] > 0:
        for n, r in zip(texts(f["channels/name"][()]), f["channels/roi"][()]):
            rows.append((f"channel: {n}", r, np.nan, np.nan, False))
    rows = [r for r in rows if np.isfinite(r[1])]
    if not rows:
        report.skip(title, "No strategy with a holdout and costs, and no channel with spend: no ROI to show.")
        return
    fig, ax = new_figure(figsize=(10, max(3.8, 1.8 + 0.7 * len(rows))))
    ax.margins(x=0.08, y=0.25)
    y = np.arange(len(rows))
    for i, (label, r, lo, hi, strategy) in enumerate(rows):
        colour = COLOURS["incremental"] if strategy else COLOURS["revenue"]
        if np.isfinite(lo) and np.isfinite(hi):
            ax.errorbar(r, i, xerr=[[r - lo], [hi - r]], fmt="o", ms=9, color=colour, capsize=6, lw=2)
        else:
            ax.plot(r, i, "D", ms=9, color=colour, mfc="white", mew=2)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("ROI: (margin returned - cost) / cost")
    ax.set_title("ROI per strategy (95% interval) and per acquisition channel")
    ax.legend(handles=[
        plt.Line2D([], [], marker="o", color=COLOURS["incremental"], ls="-", label="strategy: incremental, against holdout"),
        plt.Line2D([], [], marker="D", color=COLOURS["revenue"], mfc="white", ls="", label="channel: discounted margin of its customers"),
    ], loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    report.save(fig, "roi.png", "ROI per strategy with confidence intervals",
                "Strategies: (incremental margin + fees - cost) / cost, with the interval of the incremental margin "
                "(/strategies/roi, roi_low, roi_high). Channels: (discounted margin of the channel's customers - "
                "spend) / spend over the horizon (/channels/roi), no interval. Right of the line pays back.")


def chart_truth(f, report, stages, st, names):
    sbt = f["time_series/stage_by_truth"][()][-1]  # [stage, truth] at the end
    truth = texts(f["time_series/stage_by_truth"].attrs.get("truth_names", np.array(["alive", "gone"])))
    alive_i = truth.index("alive") if "alive" in truth else 0
    gone_i = truth.index("gone") if "gone" in truth else 1
    shown = [i for i in range(len(stages)) if sbt[i].sum() > 0]
    has_spend = st is not None and names and "spent_on_gone_cents" in st
    ncols = 2 if has_spend else 1
    fig, axes = new_figure(WIDE_FIGSIZE if has_spend else FIGSIZE, ncols=ncols)
    ax = axes[0] if has_spend else axes
    y = np.arange(len(shown))
    for j, i in enumerate(shown):
        colour = stage_colour(stages[i], i)
        ax.barh(j, sbt[i, alive_i], color=colour, edgecolor=colour)
        ax.barh(j, sbt[i, gone_i], left=sbt[i, alive_i], color="white", edgecolor=colour, hatch="///", lw=1)
    ax.set_yticks(y, [pretty(stages[i]) for i in shown])
    ax.invert_yaxis()
    ax.set_xlabel("customers at the end")
    number_axis(ax.xaxis)
    ax.set_title("Stage the firm sees, by the truth")
    ax.legend(handles=[Patch(facecolor="#607d8b", label="still a customer"),
                       Patch(facecolor="white", edgecolor="#607d8b", hatch="///", label="already gone")],
              loc="lower right", frameon=False)
    caption = ("Left: customers in each stage of the firm's view at the end, split by the truth "
               "(/time_series/stage_by_truth): hatched ones had already left for good.")
    if has_spend:
        ax2 = axes[1]
        contacts = st["contacts"][()].astype(float)
        on_gone = st["contacts_on_gone"][()].astype(float)
        gone_money = st["spent_on_gone_cents"][()]
        yk = np.arange(len(names))
        ax2.barh(yk, contacts - on_gone, color=COLOURS["alive"], label="of customers still there")
        ax2.barh(yk, on_gone, left=contacts - on_gone, color=COLOURS["gone"], label="of customers already gone")
        for i in range(len(names)):
            if contacts[i] > 0:
                ax2.text(contacts[i], i, f"  {on_gone[i] / contacts[i]:.0%}, {money_text(float(gone_money[i]))} spent",
                         va="center", fontsize=10)
        ax2.set_yticks(yk, names)
        ax2.invert_yaxis()
        ax2.set_xlabel("contacts made")
        number_axis(ax2.xaxis)
        ax2.set_xlim(0, max(1.0, float(np.nanmax(contacts))) * 1.45)
        ax2.set_title("Contacts of customers already gone")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
        caption += (" Right: each strategy's contacts, split by whether the customer was still there or had already "
                    "left, with the share and the contact money spent on those already gone "
                    "(/strategies/contacts_on_gone, spent_on_gone_cents), which a real firm cannot see.")
    fig.suptitle("What the firm saw against the truth", fontweight="bold", fontsize=14)
    report.save(fig, "truth.png", "What the firm saw against the truth", caption)


def chart_rewards(report, st, names, reward, weeks):
    fig, axes = new_figure((13, 5.2), ncols=3)
    liability = st["liability_by_step_cents"][()]
    members = st["members_by_step"][()]
    for j, i in enumerate(reward):
        colour = SERIES_COLOURS[j % 10]
        axes[0].plot(weeks, money_units(liability[i]), color=colour, lw=2, label=names[i])
        axes[1].plot(weeks, members[i], color=colour, lw=2, label=names[i])
    axes[0].set_title("Liability of outstanding points")
    axes[0].set_ylabel("currency units, at reward cost")
    axes[1].set_title("Members")
    axes[1].set_ylabel("customers")
    for ax in axes[:2]:
        ax.set_xlabel("time (weeks)")
        number_axis(ax.yaxis)
    if len(reward) > 1:
        axes[0].legend(frameon=False)
    redeemed = st["points_redeemed"][()]
    expired = st["points_expired"][()]
    outstanding = st["points_outstanding"][()]
    x = np.arange(len(reward))
    r = np.array([redeemed[i] for i in reward], dtype=float)
    e = np.array([expired[i] for i in reward], dtype=float)
    o = np.array([outstanding[i] for i in reward], dtype=float)
    axes[2].bar(x, r, color=COLOURS["margin"], label="redeemed")
    axes[2].bar(x, e, bottom=r, color=COLOURS["cost"], label="expired (breakage)")
    axes[2].bar(x, o, bottom=r + e, color="#90a4ae", label="outstanding")
    breakage = st["breakage_fraction"][()]
    for j, i in enumerate(reward):
        axes[2].text(j, r[j] + e[j] + o[j], f"breakage {percent_text(breakage[i])}", ha="center", va="bottom", fontsize=10)
    axes[2].set_xticks(x, [names[i] for i in reward])
    axes[2].set_ylabel("points issued")
    number_axis(axes[2].yaxis)
    axes[2].set_title("Where the points went")
    axes[2].legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False, fontsize=9)
    axes[2].set_ylim(0, float(np.max(r + e + o)) * 1.15 if np.max(r + e + o) > 0 else 1)
    fig.suptitle("Reward program: liability and breakage", fontweight="bold", fontsize=14)
    report.save(fig, "rewards.png", "Reward program: liability and breakage over time",
                "Liability of the points members hold, valued at reward cost, and membership, at every decision "
                "epoch (/strategies/liability_by_step_cents, members_by_step); right: points issued over the run "
                "split into redeemed, expired and still outstanding, with breakage = expired / (expired + "
                "redeemed).")


# ---------------------------------------------------------------------------------------
# Comparisons


def comparison_charts(f, report):
    s = f["summary"]
    metrics = texts(s["names"][()])
    units = texts(s["units"][()])
    get = {k: s[k][()] for k in ("mean_a", "mean_b", "mean_difference", "ci_low", "ci_high",
                                  "unpaired_ci_low", "unpaired_ci_high") if k in s}
    name_a = os.path.basename(text(attr(f, "scenario_a_name", "A")))
    name_b = os.path.basename(text(attr(f, "scenario_b_name", "B")))
    verdict = text(attr(f, "verdict", ""))
    if "profit_cents" not in metrics:
        report.skip("Incremental profit", "The comparison has no profit_cents metric.")
    else:
        i = metrics.index("profit_cents")
        fig, axes = new_figure(WIDE_FIGSIZE, ncols=2, gridspec_kw={"width_ratios": [1, 1.4]})
        a, b = money_units(get["mean_a"][i]), money_units(get["mean_b"][i])
        axes[0].bar([0, 1], [a, b], color=[COLOURS["a"], COLOURS["b"]], width=0.6)
        axes[0].set_xticks([0, 1], [f"A: {name_a}", f"B: {name_b}"])
        for lbl in axes[0].get_xticklabels():
            lbl.set_wrap(True)
        axes[0].set_ylabel("mean profit, currency units")
        number_axis(axes[0].yaxis)
        axes[0].axhline(0, color="black", lw=0.8)
        axes[0].set_title("Profit of each plan")
        d = money_units(get["mean_difference"][i])
        lo, hi = money_units(get["ci_low"][i]), money_units(get["ci_high"][i])
        ulo, uhi = money_units(get["unpaired_ci_low"][i]), money_units(get["unpaired_ci_high"][i])
        ax = axes[1]
        ax.errorbar(d, 1, xerr=[[d - lo], [hi - d]], fmt="o", ms=10, color=COLOURS["paired"], capsize=8, lw=3,
                    label="paired 95% interval (common random numbers)")
        if np.isfinite(ulo) and np.isfinite(uhi):
            ax.errorbar(d, 0, xerr=[[d - ulo], [uhi - d]], fmt="o", ms=8, color=COLOURS["unpaired"], capsize=8, lw=3,
                        label="unpaired interval, for reference")
        ax.axvline(0, color="black", lw=1)
        ax.set_yticks([0, 1], ["unpaired", "paired"])
        ax.set_ylim(-0.8, 1.8)
        ax.set_xlabel("profit B - A, currency units")
        number_axis(ax.xaxis)
        ax.set_title("Incremental profit of B over A")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, ncol=1)
        roi = f["roi/value"][()] if "roi" in f else float("nan")
        roi_lo = f["roi/ci_low"][()] if "roi" in f else float("nan")
        roi_hi = f["roi/ci_high"][()] if "roi" in f else float("nan")
        fig.suptitle(f"{verdict}" if verdict else "Incremental profit", fontweight="bold", fontsize=14)
        n = int(attr(f, "replicates", 0))
        report.save(fig, "incremental_profit.png", "Incremental profit of B over A",
                    f"Mean profit of A ({name_a}) and B ({name_b}) over {n} paired replicates, and the mean "
                    f"difference B - A = {d:,.2f} with its paired 95% t-interval [{lo:,.2f}, {hi:,.2f}] "
                    f"(/summary); grey: the interval independent runs would give. Incremental ROI of B over A: "
                    f"{percent_text(roi)} [{percent_text(roi_lo)}, {percent_text(roi_hi)}] (/roi, paired "
                    f"bootstrap). Verdict: {verdict}.")

    m = len(metrics)
    ncols = min(4, m)
    nrows = int(math.ceil(m / ncols))
    fig, axes = new_figure((3.4 * ncols, 2.9 * nrows + 0.6), ncols=ncols, nrows=nrows, squeeze=False)
    for j in range(nrows * ncols):
        ax = axes[j // ncols][j % ncols]
        if j >= m:
            ax.axis("off")
            continue
        scale = 0.01 if is_money_units(units[j]) else 1.0
        d, lo, hi = (get[k][j] * scale for k in ("mean_difference", "ci_low", "ci_high"))
        ulo, uhi = get["unpaired_ci_low"][j] * scale, get["unpaired_ci_high"][j] * scale
        if np.isfinite(ulo) and np.isfinite(uhi):
            ax.plot([ulo, uhi], [0, 0], color=COLOURS["unpaired"], lw=6, solid_capstyle="butt")
        ax.errorbar(d, 0, xerr=[[max(d - lo, 0)], [max(hi - d, 0)]], fmt="o", ms=8, color=COLOURS["paired"],
                    capsize=6, lw=2.5)
        ax.axvline(0, color="black", lw=0.8)
        ax.margins(x=0.15)
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_title(pretty(metrics[j]), fontsize=12)
        ax.set_xlabel("currency units" if is_money_units(units[j]) else units[j], fontsize=10)
        number_axis(ax.xaxis)
        ax.tick_params(axis="x", labelsize=9)
        ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    fig.suptitle("Each metric, B - A: paired 95% interval (blue) and unpaired (grey)", fontweight="bold", fontsize=14)
    report.save(fig, "metrics.png", "Every metric's paired interval",
                "Mean difference B - A of each metric with its paired 95% t-interval (blue) and the Welch interval "
                "unpaired runs would give (grey bar), from /summary. An interval clear of the line is a difference "
                "the replicates can tell from noise.")

    if "replicates" in f and "profit_cents_a" in f["replicates"]:
        pa = money_units(f["replicates/profit_cents_a"][()])
        pb = money_units(f["replicates/profit_cents_b"][()])
        fig, ax = new_figure()
        for a, b in zip(pa, pb):
            ax.plot([0, 1], [a, b], color=COLOURS["b"] if b > a else COLOURS["cost"], alpha=0.6, lw=1.5)
        ax.scatter(np.zeros(len(pa)), pa, color=COLOURS["a"], zorder=3, s=30)
        ax.scatter(np.ones(len(pb)), pb, color=COLOURS["b"], zorder=3, s=30)
        ax.set_xticks([0, 1], [f"A: {name_a}", f"B: {name_b}"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_ylabel("profit, currency units")
        number_axis(ax.yaxis)
        better = int(np.sum(pb > pa))
        ax.set_title(f"Profit per replicate: B earns more in {better} of {len(pa)}")
        report.save(fig, "replicates.png", "Profit per paired replicate",
                    "Each line joins replicate r of A and of B, which share customers and random draws "
                    "(/replicates/profit_cents_a, _b); blue when B earned more, red when A did. The spread between "
                    "replicates is much larger than the change within a pair: that is what pairing removes.")


# ---------------------------------------------------------------------------------------
# Sweeps

SPEND_KEY = re.compile(r"(acquisition\.channels\[\d+\]\.spend_per_week_cents|strategies\[\d+\]\.budget_per_week_cents)$")


def scenario_budgets(scenario_text, overrides):
    """Weekly acquisition spend per channel and budget per strategy, from the scenario text with
    the --set overrides applied: {key: cents}."""
    out = {}
    if tomllib is not None:
        try:
            doc = tomllib.loads(scenario_text)
        except tomllib.TOMLDecodeError:
            doc = {}
        for i, ch in enumerate(doc.get("acquisition", {}).get("channels", [])):
            out[f"acquisition.channels[{i}].spend_per_week_cents"] = float(ch.get("spend_per_week_cents", 0))
        for i, s in enumerate(doc.get("strategies", [])):
            if "budget_per_week_cents" in s:
                out[f"strategies[{i}].budget_per_week_cents"] = float(s["budget_per_week_cents"])
    for line in overrides.splitlines():
        key, _, value = line.partition("=")
        if SPEND_KEY.search(key.strip()):
            try:
                out[key.strip()] = float(value.replace("_", ""))
            except ValueError:
                pass
    return out


def sweep_charts(f, report, args):
    names = texts(f["design/names"][()])
    units = texts(f["design/units"][()]) if "units" in f["design"] else [""] * len(names)
    values = f["design/values"][()]
    points = f["points"]
    metrics = [k[: -len("_mean")] for k in points if k.endswith("_mean")]
    metric = args.metric or "profit_cents"
    if metric not in metrics and metric + "_cents" in metrics:
        metric += "_cents"
    if metric not in metrics:
        raise BadInput(f"--metric {args.metric}: the sweep has no such metric; it has {', '.join(metrics)}")
    for option, key in (("--x", args.x), ("--y", args.y)):
        if key and key not in names:
            raise BadInput(f"{option} {key}: not a factor of this sweep; its factors are {', '.join(names)}")
    mean = points[metric + "_mean"][()]
    low = points[metric + "_ci_low"][()]
    high = points[metric + "_ci_high"][()]
    metric_units = text(points[metric + "_mean"].attrs.get("units", ""))
    money = is_money_units(metric_units)
    scale = 0.01 if money else 1.0
    metric_label = f"{pretty(metric)} ({'currency units' if money else metric_units})"

    def factor_scale(j):
        return 0.01 if is_money_units(units[j]) else 1.0

    def factor_label(j):
        u = "currency units" if is_money_units(units[j]) else units[j]
        return re.sub(r"_cents$", "", short_key(names[j])) + (f" ({u})" if u else "")

    chart_heatmap(report, names, values, mean * scale, metric_label, args, factor_scale, factor_label)
    chart_sweep_curve(f, report, names, values, mean * scale, low * scale, high * scale, metric, metric_label,
                      factor_scale, factor_label)
    chart_sobol(f, report, metric, names)


def chart_heatmap(report, names, values, mean, metric_label, args, factor_scale, factor_label):
    title = "Heat map over two factors"
    if len(names) < 2:
        report.skip(title, "The sweep varies one factor only.")
        return
    xi = names.index(args.x) if args.x else 0
    yi = names.index(args.y) if args.y else (1 if xi != 1 else 0)
    if xi == yi:
        report.skip(title, "--x and --y name the same factor.")
        return
    ok = np.isfinite(mean)
    x = values[ok, xi] * factor_scale(xi)
    y = values[ok, yi] * factor_scale(yi)
    z = mean[ok]
    if len(z) == 0:
        report.skip(title, "No point of the sweep has a finished run.")
        return
    ux, uy = np.unique(x), np.unique(y)
    fig, ax = new_figure()
    averaged = len(names) > 2
    if len(ux) * len(uy) <= max(4 * len(z), 1) and len(ux) > 1 and len(uy) > 1 and len(ux) * len(uy) <= 400:
        grid = np.full((len(uy), len(ux)), np.nan)
        for a in range(len(ux)):
            for b in range(len(uy)):
                sel = (x == ux[a]) & (y == uy[b])
                if sel.any():
                    grid[b, a] = z[sel].mean()
    else:
        grid = None
    if grid is not None and np.isfinite(grid).sum() >= 0.75 * grid.size:
        mesh = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn",
                         extent=None)
        ax.set_xticks(range(len(ux)), [human_number(v) for v in ux], rotation=45 if len(ux) > 8 else 0)
        ax.set_yticks(range(len(uy)), [human_number(v) for v in uy])
        if grid.size <= 64:
            span = np.nanmax(grid) - np.nanmin(grid)
            for b in range(len(uy)):
                for a in range(len(ux)):
                    if np.isfinite(grid[b, a]):
                        dark = span > 0 and abs(grid[b, a] - np.nanmean(grid)) > 0.35 * span
                        ax.text(a, b, human_number(grid[b, a]), ha="center", va="center", fontsize=9,
                                color="white" if dark else "black")
        ax.grid(False)
        kind = "cells: mean over the points with these two values" + (" (other factors averaged)" if averaged else "")
    else:
        mesh = ax.scatter(x, y, c=z, cmap="RdYlGn", s=70, edgecolors="black", linewidths=0.4)
        number_axis(ax.xaxis)
        number_axis(ax.yaxis)
        kind = "one dot per design point" + (" (other factors vary too)" if averaged else "")
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(metric_label)
    bar.formatter = FuncFormatter(human_number)
    bar.update_ticks()
    ax.set_xlabel(factor_label(xi))
    ax.set_ylabel(factor_label(yi))
    title_text = (f"{metric_label.split(' (')[0].capitalize()} over {re.sub('_cents$', '', short_key(names[xi]))} "
                  f"and {re.sub('_cents$', '', short_key(names[yi]))}")
    ax.set_title("\n".join(textwrap.wrap(title_text, 60)))
    report.save(fig, "heatmap.png", title,
                f"Mean {metric_label} over each point's replicates (/points), {kind}. Choose the axes and the metric "
                "with --x, --y and --metric.")


def chart_sweep_curve(f, report, names, values, mean, low, high, metric, metric_label, factor_scale, factor_label):
    spend = [j for j, n in enumerate(names) if SPEND_KEY.search(n)]
    ok = np.isfinite(mean)
    if not ok.any():
        report.skip("Profit curve", "No point of the sweep has a finished run.")
        return
    fig, ax = new_figure()
    if spend:
        base = scenario_budgets(text(attr(f, "scenario_text", "")), text(attr(f, "overrides", "")))
        acquisition = np.zeros(len(values))
        total = np.zeros(len(values))
        for key, cents in base.items():
            column = names.index(key) if key in names else None
            v = values[:, column] if column is not None else np.full(len(values), cents)
            total += v
            if key.startswith("acquisition."):
                acquisition += v
        for j in spend:  # a varied key the scenario text does not set
            if names[j] not in base:
                total += values[:, j]
                if names[j].startswith("acquisition."):
                    acquisition += values[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            x = np.where(total > 0, acquisition / total, np.nan)
        xlabel = "acquisition share of the weekly budget (channel spend / (channel spend + retention budgets))"
        title = f"{pretty(metric).capitalize()} against the acquisition share of the budget"
        share = True
    else:
        x = values[:, 0] * factor_scale(0)
        xlabel = factor_label(0)
        title = f"{pretty(metric).capitalize()} against {short_key(names[0])}"
        share = False
    sel = ok & np.isfinite(x)
    order = np.argsort(x[sel], kind="stable")
    xs, ms, ls, hs = x[sel][order], mean[sel][order], low[sel][order], high[sel][order]
    ux = np.unique(xs)
    if len(ux) < len(xs):  # several points per x (other factors vary): dots, and the mean per x
        ax.scatter(xs, ms, color=COLOURS["a"], s=18, alpha=0.6, label="design points")
        if len(ux) <= 50:
            curve = np.array([ms[xs == u].mean() for u in ux])
            ax.plot(ux, curve, color=COLOURS["b"], lw=2.2, marker="o", label="mean at this value")
    else:
        ax.plot(xs, ms, color=COLOURS["b"], lw=2.2, marker="o", label="mean over replicates")
        if np.isfinite(ls).any():
            ax.fill_between(xs, ls, hs, color=COLOURS["b"], alpha=0.18, label="95% interval")
    best = int(np.nanargmax(mean[sel]))
    bx, by = x[sel][best], mean[sel][best]
    ax.plot(bx, by, marker="*", ms=22, color="#f9a825", mec="black", zorder=5, label="best point")
    label = f"{bx:.0%}" if share else human_number(bx)
    left_half = bx <= np.nanmin(xs) + 0.5 * (np.nanmax(xs) - np.nanmin(xs))
    ax.annotate(f"optimum at {label}: {human_number(by)}", (bx, by), xytext=(12 if left_half else -12, 16),
                textcoords="offset points", ha="left" if left_half else "right", fontsize=11, fontweight="bold")
    ax.margins(y=0.15)
    if share:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        number_axis(ax.xaxis)
    number_axis(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(metric_label)
    ax.set_title(title)
    ax.legend(loc="best", frameon=False)
    if share:
        caption = (f"Mean {metric_label} per design point (/points) against the share of the weekly budget that goes "
                   "to acquisition channels; the retention budgets are the strategies' budget_per_week_cents, "
                   "taken from the design where varied and from the scenario otherwise. The star marks the best point.")
    else:
        caption = (f"Mean {metric_label} per design point (/points) against the first factor, {names[0]} (no factor is "
                   "an acquisition spend or retention budget). The star marks the best point.")
    report.save(fig, "profit_curve.png", title, caption)


def chart_sobol(f, report, metric, names):
    title = "Sobol sensitivity indices"
    if "sensitivity" not in f:
        report.skip(title, "Sobol indices exist only for --design sobol sweeps.")
        return
    s = f["sensitivity"]
    metrics = texts(s["metrics"][()])
    factors = texts(s["factors"][()])
    if metric not in metrics:
        report.skip(title, f"No indices for {metric}.")
        return
    m = metrics.index(metric)
    first, total = s["first"][()][m], s["total"][()][m]
    if not (np.isfinite(first).any() or np.isfinite(total).any()):
        report.skip(title, f"{pretty(metric)} does not vary over the design, so its indices are undefined.")
        return
    fl, fh, tl, th = (s[k][()][m] for k in ("first_low", "first_high", "total_low", "total_high"))
    k = len(factors)
    fig, ax = new_figure(figsize=(10, 1.8 + 1.0 * k))
    y = np.arange(k)
    h = 0.36

    def err(v, lo, hi):
        e = np.vstack([v - lo, hi - v])
        return np.where(np.isfinite(e), np.maximum(e, 0), 0)

    ax.barh(y - h / 2, np.nan_to_num(first), h, color=COLOURS["first"], label="first order S_i (alone)",
            xerr=err(first, fl, fh), error_kw={"capsize": 4, "lw": 1.2})
    ax.barh(y + h / 2, np.nan_to_num(total), h, color=COLOURS["total"], label="total S_Ti (with interactions)",
            xerr=err(total, tl, th), error_kw={"capsize": 4, "lw": 1.2})
    ax.set_yticks(y, [short_key(n) for n in factors])
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"share of the variance of {pretty(metric)}")
    ax.set_title(f"What drives {pretty(metric)}: Sobol indices (95% bootstrap intervals)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    n = int(attr(f["design"], "saltelli_base", 0))
    report.save(fig, "sobol.png", title,
                f"First-order and total Sobol indices of {pretty(metric)} per factor (/sensitivity, Jansen estimators "
                f"over N = {n} Saltelli blocks) with percentile-bootstrap 95% intervals. Few blocks give wide "
                "intervals; estimates can fall below 0 or above 1 by noise.")


# ---------------------------------------------------------------------------------------
# The page


def file_kind(f, path):
    if "format_version" not in f.attrs:
        raise BadInput(f"{path}: not a retsim result (no format_version attribute)")
    content = text(f.attrs["content"]) if "content" in f.attrs else ""
    if content == "comparison":
        return "comparison"
    if content == "sweep":
        return "sweep"
    if content == "":
        if "time_series" not in f:
            raise BadInput(f"{path}: a retsim file without /time_series, so not a run result")
        return "run"
    raise BadInput(f"{path}: a retsim {content} file; a report is made from a run result, a comparison or a sweep")


def facts(f, kind, path):
    """(label, value) pairs for the top of the page."""
    a = f.attrs
    rows = [("file", path), ("kind", {"run": "run result", "comparison": "comparison", "sweep": "sweep"}[kind])]
    if kind == "comparison":
        for role in ("a", "b"):
            name = text(attr(f, f"scenario_{role}_name"))
            q = scenario_question(text(attr(f, f"scenario_{role}_text")))
            rows.append((f"plan {role.upper()}", name + (f": {q}" if q else "")))
        rows.append(("replicates", str(attr(f, "replicates"))))
        rows.append(("verdict", text(attr(f, "verdict"))))
    else:
        rows.append(("scenario", text(attr(f, "scenario_name"))))
        q = scenario_question(text(attr(f, "scenario_text")))
        if q:
            rows.append(("question", q))
    overrides = text(attr(f, "overrides")).strip()
    if overrides:
        rows.append(("overrides", overrides.replace("\n", "  ")))
    if kind == "sweep":
        rows.append(("varied", text(attr(f, "vary_specs")).replace("\n", "  ") or "(design file)"))
        rows.append(("design", f"{text(attr(f, 'design_kind'))}, {attr(f, 'points')} points x "
                               f"{attr(f, 'replicates')} replicates; {attr(f, 'runs_done')} of {attr(f, 'runs')} "
                               f"runs done, {attr(f, 'runs_failed')} failed"))
    seed = f"{attr(f, 'seed')}" + (f", replicate {attr(f, 'replicate')}" if "replicate" in a else "")
    rows.append(("seed", seed))
    if kind == "run":
        s = f["summary"]
        rows.append(("horizon", f"{int(attr(f, 'steps'))} steps of {float(attr(f, 'step_days')):g} days"))
        rows.append(("customers", f"{int(s['customers'][()]):,} ({int(s['alive_at_end'][()]):,} still alive at the "
                                  "end, the truth)"))
        rows.append(("revenue", money_text(float(s["revenue_cents"][()]))))
        rows.append(("profit", money_text(float(s["profit_cents"][()]))))
    rows.append(("written by", f"{text(attr(f, 'program', 'retsim'))} {text(attr(f, 'program_version'))}, commit "
                               f"{text(attr(f, 'git_commit'))}, {text(attr(f, 'created_utc'))}"))
    return rows


def write_page(directory, report, rows, source):
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>retsim report: {e(os.path.basename(source))}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<style>",
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:2em auto;"
        "max-width:1200px;padding:0 1em;color:#212121;background:#fff;line-height:1.45}",
        "h1{font-size:1.7em;margin-bottom:.2em} table{border-collapse:collapse;margin:1em 0 2em}",
        "th{text-align:left;padding:.2em 1.2em .2em 0;color:#555;font-weight:600;vertical-align:top}",
        "td{padding:.2em 0} figure{margin:2.5em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}",
        "figcaption{color:#444;margin-top:.5em;max-width:60em} .skipped{color:#777;font-style:italic}",
        "h2{font-size:1.25em;margin-bottom:.3em}",
        "</style></head><body>",
        f"<h1>retsim report: {e(os.path.basename(source))}</h1>",
        "<table>",
    ]
    for label, value in rows:
        parts.append(f"<tr><th>{e(label)}</th><td>{e(str(value))}</td></tr>")
    parts.append("</table>")
    for kind, title, name, caption in report.items:
        if kind == "chart":
            parts.append(f'<figure><h2>{e(title)}</h2><img src="{e(name)}" alt="{e(title)}">'
                         f"<figcaption>{e(caption)}</figcaption></figure>")
        else:
            parts.append(f'<p class="skipped"><strong>{e(title)}</strong>: not drawn. {e(caption)}</p>')
    parts.append("<p class=\"skipped\">Money is shown in currency units (the file holds cents). "
                 "Made by scripts/retsim_report.py.</p></body></html>")
    with open(os.path.join(directory, "index.html"), "w", encoding="utf-8") as out:
        out.write("\n".join(parts) + "\n")


def prepare_output(directory, force):
    if os.path.lexists(directory):
        if not os.path.isdir(directory):
            raise BadInput(f"{directory} exists and is not a directory")
        if os.listdir(directory) and not force:
            raise BadInput(f"{directory} exists and is not empty; use --force to replace it or -o to choose another")
    parent = os.path.dirname(os.path.abspath(directory))
    if not os.path.isdir(parent):
        raise BadInput(f"cannot write {directory}: directory {parent} does not exist")
    temporary = f"{directory.rstrip('/')}.partial-{os.getpid()}"
    shutil.rmtree(temporary, ignore_errors=True)
    os.makedirs(temporary)
    return temporary


def publish(temporary, directory):
    """Moves the finished report under its final name; an old one is removed only afterwards."""
    directory = directory.rstrip("/")
    old = None
    if os.path.lexists(directory):
        old = f"{directory}.old-{os.getpid()}"
        os.rename(directory, old)
    os.rename(temporary, directory)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def main(argv):
    p = argparse.ArgumentParser(description="Charts and an index.html page from a retsim HDF5 file "
                                            "(run result, comparison or sweep).")
    p.add_argument("file", help="retsim HDF5 file")
    p.add_argument("-o", "--output", help="report directory (default: <file stem>_report)")
    p.add_argument("--force", action="store_true", help="replace a non-empty output directory")
    p.add_argument("--x", help="sweeps: factor on the heat map's x axis (default: the first)")
    p.add_argument("--y", help="sweeps: factor on the heat map's y axis (default: the second)")
    p.add_argument("--metric", help="sweeps: metric of the heat map, curve and Sobol chart (default: profit)")
    args = p.parse_args(argv)
    out = args.output or os.path.splitext(os.path.basename(args.file))[0] + "_report"
    temporary = None
    try:
        if not os.path.exists(args.file):
            raise BadInput(f"cannot open {args.file}: no such file")
        if not h5py.is_hdf5(args.file):
            raise BadInput(f"{args.file}: not an HDF5 file, so not a retsim result")
        with h5py.File(args.file, "r") as f:
            kind = file_kind(f, args.file)
            if kind != "sweep" and (args.x or args.y or args.metric):
                raise BadInput("--x, --y and --metric apply to sweeps only")
            temporary = prepare_output(out, args.force)
            report = Report(temporary)
            if kind == "run":
                run_charts(f, report)
            elif kind == "comparison":
                comparison_charts(f, report)
            else:
                sweep_charts(f, report, args)
            write_page(temporary, report, facts(f, kind, args.file), args.file)
        publish(temporary, out)
        temporary = None
        charts = sum(1 for item in report.items if item[0] == "chart")
        print(f"report: {os.path.join(out, 'index.html')} ({charts} charts)")
        return 0
    except BadInput as error:
        print(f"retsim_report: bad input: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - any other failure is a runtime failure (exit 1)
        print(f"retsim_report: failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
