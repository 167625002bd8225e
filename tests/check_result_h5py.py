#!/usr/bin/python3
"""Opens a retsim result with h5py, as a user would, and checks its layout and identities.

Usage: tests/check_result_h5py.py FILE.h5 [--budget STRATEGY CONTACT_CENTS INCENTIVE_CENTS
                                           BUDGET_CENTS]

Checks (layout: docs/hdf5_layout.md, format 1.1 or later 1.x): the required root attributes;
every time-series dataset has length `steps` and the stage axes match the stage_names and
truth_names attributes; stage_counts equals stage_by_truth summed over truth; profit =
margin + fee income - acquisition - fixed - strategy cost in every step; the summary totals
equal the sums of the time series; the cohort tables add up to the time series (customers,
margin, revenue, purchases, alive, stage_by_truth); the /strategies table has the documented
shapes, its costs add up (cost = contact + incentive + redemption + rebate + fixed, per
strategy, per step and to the time series) and its points
balance (issued = redeemed + expired + outstanding). --budget also checks that the named
strategy never spent more than BUDGET_CENTS in a step on contacts and incentives:
contacts_by_step x CONTACT_CENTS + responses_by_step x INCENTIVE_CENTS <= BUDGET_CENTS.
Prints one OK line, or every failure and exits 1.
"""

import sys

import h5py
import numpy as np

REQUIRED_ROOT = {
    "format_version": str,
    "program": str,
    "program_version": str,
    "git_commit": str,
    "scenario_name": str,
    "scenario_text": str,
    "overrides": str,
    "seed": np.uint64,
    "replicate": np.uint64,
    "threads": np.int32,
    "created_utc": str,
    "step_days": np.float64,
    "steps": np.uint64,
}

SERIES_1D = [
    "time_days", "customers", "acquired", "alive", "purchases", "repeat_purchases",
    "revenue_cents", "margin_cents", "acquisition_cost_cents", "fixed_cost_cents",
    "strategy_cost_cents", "fee_income_cents", "profit_cents", "discount_factor",
    "discounted_profit_cents",
]

COHORT_ROWS = [
    "cohort", "channel", "start_day", "customers", "acquisition_cost_cents", "cac_cents",
    "revenue_cents", "margin_cents", "realised_clv_cents",
]
COHORT_MATRICES = ["alive", "active", "purchases_by_step", "margin_by_step_cents"]

CHANNEL_COLUMNS = [
    "name", "spend_cents", "acquired", "cac_cents", "margin_cents", "discounted_margin_cents",
    "roi",
]

SUMMARY_FIELDS = [
    "customers", "initial_customers", "acquired_customers", "alive_at_end", "purchases",
    "repeat_purchases", "revenue_cents", "margin_cents", "acquisition_cost_cents",
    "fixed_cost_cents", "strategy_cost_cents", "fee_income_cents", "profit_cents",
    "discounted_profit_cents", "cac_cents",
    "mean_spend_cents", "customer_days", "wall_seconds", "bytes_per_customer", "threads",
]

# /strategies (format 1.1): one row per strategy, then [strategy, step] matrices.
STRATEGY_ROWS = {
    "name": "O", "kind": "O",
    "candidates": "i8", "held_out": "i8", "contacts": "i8", "contacts_on_gone": "i8",
    "responses": "i8", "revived": "i8", "unsubscribed": "i8", "contact_cost_cents": "i8",
    "incentive_cost_cents": "i8", "redemption_cost_cents": "i8", "rebate_cost_cents": "i8",
    "fixed_cost_cents": "i8",
    "cost_cents": "i8", "spent_on_gone_cents": "i8", "fee_income_cents": "i8",
    "points_issued": "i8", "points_redeemed": "i8", "points_expired": "i8",
    "points_outstanding": "i8", "rewards_redeemed": "i8", "members": "i8",
    "liability_cents": "f8", "breakage_fraction": "f8", "treated": "i8", "control": "i8",
    "treated_revenue_per_customer_cents": "f8", "control_revenue_per_customer_cents": "f8",
    "incremental_margin_cents": "f8", "incremental_margin_low_cents": "f8",
    "incremental_margin_high_cents": "f8", "roi": "f8", "roi_low": "f8", "roi_high": "f8",
    "incremental_retained": "f8", "cost_per_retained_cents": "f8", "payback_days": "f8",
}
STRATEGY_MATRICES = {
    "cost_by_step_cents": "i8", "contacts_by_step": "i8", "responses_by_step": "i8",
    "members_by_step": "i8", "points_outstanding_by_step": "i8",
    "liability_by_step_cents": "f8", "incremental_margin_by_step_cents": "f8",
}


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, message):
        self.failures.append(message)

    def expect(self, condition, message):
        if not condition:
            self.fail(message)
        return bool(condition)

    def equal(self, what, actual, expected):
        """Exact equality of integer totals (money is integer cents, counts are integers)."""
        actual = np.asarray(actual)
        expected = np.asarray(expected)
        if actual.shape != expected.shape or not np.array_equal(actual, expected):
            self.fail(f"{what}: {format_values(actual)} != {format_values(expected)}")

    def close(self, what, actual, expected, rel=1e-9):
        actual = np.asarray(actual, dtype=np.float64)
        expected = np.asarray(expected, dtype=np.float64)
        scale = np.maximum(np.abs(expected), 1.0)
        if actual.shape != expected.shape or not np.all(np.abs(actual - expected) <= rel * scale):
            self.fail(f"{what}: {format_values(actual)} != {format_values(expected)} "
                      f"(relative tolerance {rel})")


def format_values(a):
    a = np.asarray(a)
    if a.size > 8:
        return f"array{list(a.shape)} starting {a.ravel()[:8].tolist()}"
    return str(a.tolist())


def names_of(dataset, attribute):
    return [str(x) for x in dataset.attrs[attribute]]


def check_layout(f, c):
    """Required groups, attributes and shapes. Returns (steps, stages, truth) or None."""
    for name, kind in REQUIRED_ROOT.items():
        if name not in f.attrs:
            c.fail(f"root attribute {name!r} is missing")
            continue
        value = f.attrs[name]
        if kind is str:
            c.expect(isinstance(value, str),
                     f"root attribute {name!r} should read as str, got {type(value).__name__}")
        else:
            c.expect(np.asarray(value).dtype == np.dtype(kind) and np.ndim(value) == 0,
                     f"root attribute {name!r} should be a scalar {np.dtype(kind)}, "
                     f"got {np.asarray(value).dtype} {np.shape(value)}")
    if c.failures:
        return None
    c.expect(f.attrs["program"] == "retsim", f"program is {f.attrs['program']!r}, not 'retsim'")
    major, _, minor = str(f.attrs["format_version"]).partition(".")
    c.expect(major == "1" and minor.isdigit() and int(minor) >= 1,
             f"format_version {f.attrs['format_version']!r} is not 1.1 or a later 1.x")

    for group in ["time_series", "cohorts", "channels", "strategies", "summary", "model"]:
        c.expect(group in f and isinstance(f[group], h5py.Group), f"group /{group} is missing")
    if c.failures:
        return None

    steps = int(f.attrs["steps"])
    ts = f["time_series"]
    for name in SERIES_1D + ["stage_counts", "stage_by_truth"]:
        if c.expect(name in ts, f"/time_series/{name} is missing"):
            c.expect("units" in ts[name].attrs, f"/time_series/{name} has no units attribute")
            c.expect("description" in ts[name].attrs,
                     f"/time_series/{name} has no description attribute")
    if c.failures:
        return None
    for name in SERIES_1D:
        c.expect(ts[name].shape == (steps,),
                 f"/time_series/{name} has shape {ts[name].shape}, expected ({steps},)")

    counts = ts["stage_counts"]
    by_truth = ts["stage_by_truth"]
    for dataset, attrs in [(counts, ["stage_names"]), (by_truth, ["stage_names", "truth_names"])]:
        for a in attrs:
            c.expect(a in dataset.attrs, f"{dataset.name} has no {a} attribute")
    if c.failures:
        return None
    stages = names_of(counts, "stage_names")
    truth = names_of(by_truth, "truth_names")
    c.expect(counts.shape == (steps, len(stages)),
             f"/time_series/stage_counts has shape {counts.shape}, expected "
             f"({steps}, {len(stages)}) from its stage_names {stages}")
    c.expect(names_of(by_truth, "stage_names") == stages,
             "/time_series/stage_by_truth stage_names differ from stage_counts'")
    c.expect(by_truth.shape == (steps, len(stages), len(truth)),
             f"/time_series/stage_by_truth has shape {by_truth.shape}, expected "
             f"({steps}, {len(stages)}, {len(truth)}) from its stage_names and truth_names")
    c.expect("alive" in truth, f"truth_names {truth} has no 'alive'")

    cohorts = f["cohorts"]
    for name in COHORT_ROWS + COHORT_MATRICES + ["stage_by_truth"]:
        c.expect(name in cohorts, f"/cohorts/{name} is missing")
    channels = f["channels"]
    for name in CHANNEL_COLUMNS:
        c.expect(name in channels, f"/channels/{name} is missing")
    for name in SUMMARY_FIELDS:
        if c.expect(name in f["summary"], f"/summary/{name} is missing"):
            c.expect(f["summary"][name].shape == (), f"/summary/{name} is not a scalar")
            c.expect("units" in f["summary"][name].attrs,
                     f"/summary/{name} has no units attribute")
    for name in ["parameter_names", "parameter_values"]:
        c.expect(name in f["model"], f"/model/{name} is missing")
    if c.failures:
        return None

    groups = cohorts["cohort"].shape[0]
    for name in COHORT_ROWS:
        c.expect(cohorts[name].shape == (groups,),
                 f"/cohorts/{name} has shape {cohorts[name].shape}, expected ({groups},)")
    for name in COHORT_MATRICES:
        c.expect(cohorts[name].shape == (groups, steps),
                 f"/cohorts/{name} has shape {cohorts[name].shape}, expected ({groups}, {steps})")
    c.expect(cohorts["stage_by_truth"].shape == (groups, steps, len(stages), len(truth)),
             f"/cohorts/stage_by_truth has shape {cohorts['stage_by_truth'].shape}, expected "
             f"({groups}, {steps}, {len(stages)}, {len(truth)})")
    n_channels = channels["name"].shape[0]
    for name in CHANNEL_COLUMNS:
        c.expect(channels[name].shape == (n_channels,),
                 f"/channels/{name} has shape {channels[name].shape}, expected ({n_channels},)")
    c.expect(f["model/parameter_names"].shape == f["model/parameter_values"].shape,
             "/model/parameter_names and parameter_values differ in length")

    strategies = f["strategies"]
    for name in list(STRATEGY_ROWS) + list(STRATEGY_MATRICES):
        if not c.expect(name in strategies, f"/strategies/{name} is missing"):
            continue
        for a in ["units", "description", "dimensions"]:
            c.expect(a in strategies[name].attrs, f"/strategies/{name} has no {a} attribute")
    if c.failures:
        return None
    n_strategies = strategies["name"].shape[0]
    for name, kind in STRATEGY_ROWS.items():
        d = strategies[name]
        c.expect(d.shape == (n_strategies,),
                 f"/strategies/{name} has shape {d.shape}, expected ({n_strategies},)")
        c.expect(d.dtype.kind == "O" if kind == "O" else d.dtype == np.dtype(kind),
                 f"/strategies/{name} has dtype {d.dtype}, expected {kind}")
        c.expect(d.attrs["dimensions"] == "strategy",
                 f"/strategies/{name} dimensions {d.attrs['dimensions']!r}, expected 'strategy'")
    for name, kind in STRATEGY_MATRICES.items():
        d = strategies[name]
        c.expect(d.shape == (n_strategies, steps),
                 f"/strategies/{name} has shape {d.shape}, expected ({n_strategies}, {steps})")
        c.expect(d.dtype == np.dtype(kind),
                 f"/strategies/{name} has dtype {d.dtype}, expected {kind}")
        c.expect(d.attrs["dimensions"] == "strategy, step",
                 f"/strategies/{name} dimensions {d.attrs['dimensions']!r}, "
                 "expected 'strategy, step'")

    if "customers" in f:
        customers = f["customers"]
        lengths = {name: d.shape for name, d in customers.items()}
        c.expect(len(set(lengths.values())) == 1 and all(len(s) == 1 for s in lengths.values()),
                 f"/customers columns differ in shape: {lengths}")
        if "stage" in customers:
            c.expect(names_of(customers["stage"], "stage_names") == stages,
                     "/customers/stage stage_names differ from /time_series/stage_counts'")
            c.expect(customers["stage"].dtype == np.uint8, "/customers/stage is not uint8")
    return None if c.failures else (steps, stages, truth)


def check_identities(f, c, stages, truth):
    ts = {name: f["time_series"][name][()] for name in SERIES_1D}
    counts = f["time_series/stage_counts"][()]
    by_truth = f["time_series/stage_by_truth"][()]
    summary = {name: f["summary"][name][()] for name in SUMMARY_FIELDS}
    cohorts = f["cohorts"]
    alive_column = truth.index("alive")

    # Stages and truth.
    c.equal("stage_counts vs stage_by_truth summed over truth", counts, by_truth.sum(axis=2))
    c.equal("stage_counts summed over stages vs time_series/customers", counts.sum(axis=1),
            ts["customers"])
    c.equal("stage_by_truth[:, :, alive] summed over stages vs time_series/alive",
            by_truth[:, :, alive_column].sum(axis=1), ts["alive"])

    # Money per step.
    c.equal("profit_cents vs margin + fees - acquisition - fixed - strategy cost, per step",
            ts["profit_cents"],
            ts["margin_cents"] + ts["fee_income_cents"] - ts["acquisition_cost_cents"]
            - ts["fixed_cost_cents"] - ts["strategy_cost_cents"])
    c.close("discounted_profit_cents vs profit_cents * discount_factor",
            ts["discounted_profit_cents"], ts["profit_cents"] * ts["discount_factor"])

    # Customers accumulate.
    c.equal("time_series/customers vs initial_customers + cumulative acquired", ts["customers"],
            summary["initial_customers"] + np.cumsum(ts["acquired"]))

    # Summary totals vs the time series.
    for name in ["purchases", "repeat_purchases", "revenue_cents", "margin_cents",
                 "acquisition_cost_cents", "fixed_cost_cents", "strategy_cost_cents",
                 "fee_income_cents", "profit_cents"]:
        c.equal(f"summary/{name} vs sum of time_series/{name}", summary[name],
                ts[name].sum())
    c.equal("summary/acquired_customers vs sum of time_series/acquired",
            summary["acquired_customers"], ts["acquired"].sum())
    c.equal("summary/customers vs initial_customers + acquired_customers", summary["customers"],
            summary["initial_customers"] + summary["acquired_customers"])
    if len(ts["customers"]) > 0:
        c.equal("summary/customers vs last time_series/customers", summary["customers"],
                ts["customers"][-1])
        c.equal("summary/alive_at_end vs last time_series/alive", summary["alive_at_end"],
                ts["alive"][-1])
    c.close("summary/discounted_profit_cents vs sum of time_series/discounted_profit_cents",
            summary["discounted_profit_cents"], ts["discounted_profit_cents"].sum())

    # Cohorts add up to the time series.
    c.equal("sum of cohorts/customers vs summary/customers", cohorts["customers"][()].sum(),
            summary["customers"])
    c.equal("sum of cohorts/margin_cents vs sum of time_series/margin_cents",
            cohorts["margin_cents"][()].sum(), ts["margin_cents"].sum())
    c.equal("sum of cohorts/revenue_cents vs sum of time_series/revenue_cents",
            cohorts["revenue_cents"][()].sum(), ts["revenue_cents"].sum())
    c.equal("cohorts/margin_by_step_cents summed over groups vs time_series/margin_cents",
            cohorts["margin_by_step_cents"][()].sum(axis=0), ts["margin_cents"])
    c.equal("cohorts/margin_by_step_cents summed over steps vs cohorts/margin_cents",
            cohorts["margin_by_step_cents"][()].sum(axis=1), cohorts["margin_cents"][()])
    c.equal("cohorts/purchases_by_step summed over groups vs time_series/purchases",
            cohorts["purchases_by_step"][()].sum(axis=0), ts["purchases"])
    c.equal("cohorts/alive summed over groups vs time_series/alive",
            cohorts["alive"][()].sum(axis=0), ts["alive"])
    c.equal("cohorts/stage_by_truth summed over groups vs time_series/stage_by_truth",
            cohorts["stage_by_truth"][()].sum(axis=0), by_truth)

    if "customers" in f and "key" in f["customers"]:
        c.equal("rows of /customers vs summary/customers", f["customers/key"].shape[0],
                summary["customers"])

    check_strategies(f, c, ts)


def check_strategies(f, c, ts):
    """Costs add up, points balance, and the strategies account for the time-series columns."""
    g = f["strategies"]
    st = {name: g[name][()] for name in list(STRATEGY_ROWS) + list(STRATEGY_MATRICES)
          if STRATEGY_ROWS.get(name) != "O"}
    names = list(g["name"].asstr()[()])
    steps = ts["profit_cents"].shape[0]
    # With no strategies the sums are zeros, and so must the time-series columns be.
    c.equal("time_series/strategy_cost_cents vs cost_by_step_cents summed over strategies",
            ts["strategy_cost_cents"], st["cost_by_step_cents"].sum(axis=0, dtype=np.int64))
    c.equal("sum of time_series/fee_income_cents vs sum of strategies/fee_income_cents",
            ts["fee_income_cents"].sum(), st["fee_income_cents"].sum(dtype=np.int64))
    for k, name in enumerate(names):
        row = {key: value[k] for key, value in st.items()}
        where = f"strategy {name!r}"
        c.equal(f"{where}: points_issued vs points_redeemed + points_expired + "
                f"points_outstanding", row["points_issued"],
                row["points_redeemed"] + row["points_expired"] + row["points_outstanding"])
        c.equal(f"{where}: cost_cents vs contact + incentive + redemption + rebate + fixed cost",
                row["cost_cents"],
                row["contact_cost_cents"] + row["incentive_cost_cents"]
                + row["redemption_cost_cents"] + row["rebate_cost_cents"]
                + row["fixed_cost_cents"])
        c.equal(f"{where}: cost_by_step_cents summed over steps vs cost_cents",
                row["cost_by_step_cents"].sum(), row["cost_cents"])
        c.equal(f"{where}: contacts_by_step summed over steps vs contacts",
                row["contacts_by_step"].sum(), row["contacts"])
        c.equal(f"{where}: responses_by_step summed over steps vs responses",
                row["responses_by_step"].sum(), row["responses"])
        if steps > 0:
            c.equal(f"{where}: last points_outstanding_by_step vs points_outstanding",
                    row["points_outstanding_by_step"][-1], row["points_outstanding"])
            c.equal(f"{where}: last members_by_step vs members",
                    row["members_by_step"][-1], row["members"])
        c.expect(row["contacts_on_gone"] <= row["contacts"],
                 f"{where}: contacts_on_gone {row['contacts_on_gone']} > contacts "
                 f"{row['contacts']}")
        c.expect(row["unsubscribed"] <= row["contacts"],
                 f"{where}: unsubscribed {row['unsubscribed']} > contacts {row['contacts']}")
        c.expect(row["responses"] <= row["contacts"],
                 f"{where}: responses {row['responses']} > contacts {row['contacts']}")
        c.expect(row["spent_on_gone_cents"] <= row["cost_cents"],
                 f"{where}: spent_on_gone_cents {row['spent_on_gone_cents']} > cost_cents "
                 f"{row['cost_cents']}")
        used = row["points_expired"] + row["points_redeemed"]
        if used > 0:
            c.close(f"{where}: breakage_fraction vs expired / (expired + redeemed)",
                    row["breakage_fraction"], row["points_expired"] / used)
        else:
            c.expect(np.isnan(row["breakage_fraction"]),
                     f"{where}: breakage_fraction {row['breakage_fraction']} without points "
                     "expired or redeemed, expected NaN")
        if steps > 0:
            c.close(f"{where}: liability_cents vs last liability_by_step_cents",
                    row["liability_cents"], row["liability_by_step_cents"][-1])
        cost = float(row["cost_cents"])
        fees = float(row["fee_income_cents"])
        for roi, margin in [("roi", "incremental_margin_cents"),
                            ("roi_low", "incremental_margin_low_cents"),
                            ("roi_high", "incremental_margin_high_cents")]:
            expected = (row[margin] + fees - cost) / cost if cost > 0 else np.nan
            if np.isnan(expected):
                c.expect(np.isnan(row[roi]), f"{where}: {roi} {row[roi]} should be NaN")
            else:
                c.close(f"{where}: {roi} vs ({margin} + fees - cost) / cost", row[roi],
                        expected)
        if row["control"] == 0 or row["treated"] == 0:
            c.expect(np.isnan(row["incremental_margin_cents"]),
                     f"{where}: incremental_margin_cents without a treated or control group "
                     "should be NaN")
        elif row["control"] >= 2 and row["treated"] >= 2:
            c.expect(row["incremental_margin_low_cents"] <= row["incremental_margin_cents"]
                     <= row["incremental_margin_high_cents"],
                     f"{where}: incremental margin {row['incremental_margin_cents']} outside "
                     f"its interval [{row['incremental_margin_low_cents']}, "
                     f"{row['incremental_margin_high_cents']}]")


def check_budget(f, c, strategy, contact_cents, incentive_cents, budget_cents):
    """The named strategy's contacts and incentives stay within its budget in every step."""
    names = list(f["strategies/name"].asstr()[()])
    if not c.expect(strategy in names, f"--budget: no strategy named {strategy!r} in {names}"):
        return
    k = names.index(strategy)
    spent = (f["strategies/contacts_by_step"][k].astype(np.int64) * contact_cents
             + f["strategies/responses_by_step"][k].astype(np.int64) * incentive_cents)
    over = np.flatnonzero(spent > budget_cents)
    c.expect(over.size == 0,
             f"strategy {strategy!r} spent over its budget of {budget_cents} cents in steps "
             f"{over.tolist()}: {spent[over].tolist()}")
    c.expect(spent.sum() > 0, f"strategy {strategy!r} never contacted anyone (nothing checked)")


def main(argv):
    budget = None
    if len(argv) == 7 and argv[2] == "--budget":
        try:
            budget = (argv[3], int(argv[4]), int(argv[5]), int(argv[6]))
        except ValueError:
            budget = None
        if budget is None:
            print(f"{argv[0]}: --budget needs STRATEGY and three integers (cents)",
                  file=sys.stderr)
            return 2
    elif len(argv) != 2:
        print(f"usage: {argv[0]} FILE.h5 [--budget STRATEGY CONTACT_CENTS INCENTIVE_CENTS "
              "BUDGET_CENTS]", file=sys.stderr)
        return 2
    path = argv[1]
    c = Checker()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        print(f"FAIL {path}: cannot open as HDF5: {e}", file=sys.stderr)
        return 1
    with f:
        shape = check_layout(f, c)
        if shape is not None:
            steps, stages, truth = shape
            check_identities(f, c, stages, truth)
            if budget is not None:
                check_budget(f, c, *budget)
        if c.failures:
            print(f"FAIL {path}: {len(c.failures)} problem(s):", file=sys.stderr)
            for message in c.failures:
                print(f"  {message}", file=sys.stderr)
            return 1
        stored = (f"{f['customers/key'].shape[0]} customers stored" if "customers" in f
                  else "customers not stored")
        print(f"OK {path}: format {f.attrs['format_version']}, {steps} steps of "
              f"{f.attrs['step_days']:g} days, {len(stages)} stages, "
              f"{f['cohorts/cohort'].shape[0]} cohort groups, {f['channels/name'].shape[0]} "
              f"channels, {f['strategies/name'].shape[0]} strategies, {stored}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
