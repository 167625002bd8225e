#!/usr/bin/python3
"""numpy/scipy reference of retsim's customer scoring, for bench/bench_scoring.cpp.

The same formulas as models/scoring.hpp, vectorised over the same synthetic customers as the
benchmark (ten million, SplitMix64 draws, identical values), printing customers per second for
each scorer:
  - BG/NBD P(alive), E[Y(52 weeks)], Gamma-Gamma E[M] and the 52-week CLV, combined
    (Fader, Hardie & Lee 2005, Marketing Science 24(2), eq. 10 and 13; JMR 42(4) eq. 5);
  - RFM quintile scores and cells (cut points from every 16th customer);
  - logistic response propensity.
Processed in blocks of a million customers (whole-array numpy on ten million would need
tens of GB of temporaries for the CLV). Single threaded, as numpy is.

--check SCORES.h5 INPUT.csv compares a `retsim score` output (BG/NBD, CSV input) with these
formulas and exits 1 on a difference larger than 1e-9 relative.

Debian packages: python3-numpy, python3-scipy (scripts/setup.sh), python3-h5py for --check.
"""
import argparse
import sys
import time

import numpy as np
from scipy.special import hyp2f1

# CDNOW fits: BG/NBD (FHL 2005) and Gamma-Gamma (FHL 2005, JMR), money in cents.
R, ALPHA, A, B = 0.2426, 4.4137, 0.7930, 2.4262
P, Q, GAMMA = 6.25, 3.74, 1544.0
FORECAST_WEEKS = 52.0
CLV_WEEKS, PERIOD_WEEKS, RATE, MARGIN = 52.0, 1.0, 0.1, 0.3
WEEKS_PER_YEAR = 52.1775
PROPENSITY = dict(intercept=-2.0, recency=-0.05, frequency=0.2, monetary=0.3, tenure=0.0)

MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(seed, n):
    """Output n (uint64 array, from 1) of SplitMix64 seeded with seed; wraps mod 2^64."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + n * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unit(i, j):
    return (splitmix64(20261123, np.uint64(6) * i + np.uint64(j + 1)) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def histories(begin, end):
    """Customers [begin, end) of the benchmark population: x, t_x, T, m, spend_count."""
    i = np.arange(begin, end, dtype=np.uint64)
    repeat = unit(i, 0) >= 0.6
    x = np.where(repeat, np.floor(-np.log1p(-unit(i, 1)) * 4.0) + 1.0, 0.0)
    T = 1.0 + 77.0 * unit(i, 2)
    t_x = np.where(x > 0, T * unit(i, 3), 0.0)
    m = 500.0 + 9500.0 * unit(i, 4) * unit(i, 5)
    return x, t_x, T, m, x + 1.0


def bgnbd_p_alive(x, t_x, T):
    ratio = np.exp((R + x) * np.log((ALPHA + T) / (ALPHA + t_x)))
    return np.where(x > 0, 1.0 / (1.0 + A / (B + x - 1.0) * ratio), 1.0)


def bgnbd_expected(x, T, t, p_alive):
    """E[Y(t) | x, t_x, T] = P(alive) * E'[X(t)] with the posterior r+x, alpha+T, a, b+x (eq. 10)."""
    rr, aa, bb = R + x, ALPHA + T, B + x
    z = t / (aa + t)
    fresh = (A + bb - 1.0) / (A - 1.0) * (1.0 - np.power(aa / (aa + t), rr) * hyp2f1(rr, bb, A + bb - 1.0, z))
    return p_alive * fresh


def gamma_gamma(spend_count, m):
    return (GAMMA + m * spend_count) * P / (P * spend_count + Q - 1.0)


def clv(x, T, p_alive, spend):
    periods = int(np.ceil(CLV_WEEKS / PERIOD_WEEKS))
    step = (1.0 + RATE) ** (-PERIOD_WEEKS / WEEKS_PER_YEAR)
    total = np.zeros_like(x)
    previous = np.zeros_like(x)
    for k in range(1, periods + 1):
        t_k = min(k * PERIOD_WEEKS, CLV_WEEKS)
        current = bgnbd_expected(x, T, t_k, p_alive)
        discount = step**k if k < periods else (1.0 + RATE) ** (-CLV_WEEKS / WEEKS_PER_YEAR)
        total += (current - previous) * discount
        previous = current
    return total * spend * MARGIN


def combined(x, t_x, T, m, spend_count):
    p_alive = bgnbd_p_alive(x, t_x, T)
    expected = bgnbd_expected(x, T, FORECAST_WEEKS, p_alive)
    spend = gamma_gamma(spend_count, m)
    return p_alive, expected, spend, clv(x, T, p_alive, spend)


def rfm(x, t_x, T, m, cuts):
    recency = T - t_x
    # Lower recency is better: the most recent quintile scores 5.
    r = 5 - np.searchsorted(cuts[0], recency, side="left")
    f = 1 + np.searchsorted(cuts[1], x, side="right")
    mm = 1 + np.searchsorted(cuts[2], m, side="right")
    return r.astype(np.uint8), f.astype(np.uint8), mm.astype(np.uint8), (100 * r + 10 * f + mm).astype(np.uint16)


def propensity(x, t_x, T, m):
    c = PROPENSITY
    v = c["intercept"] + c["recency"] * (T - t_x) + c["frequency"] * x + c["monetary"] * np.log1p(m / 100.0) + c["tenure"] * T
    return 1.0 / (1.0 + np.exp(-v))


def timed(label, customers, block, body):
    seconds = 0.0
    for begin in range(0, customers, block):
        cols = histories(begin, min(customers, begin + block))
        started = time.perf_counter()
        body(*cols)
        seconds += time.perf_counter() - started
    print(f"{label:<44} {customers:>11,} customers  {customers / seconds:12.4g} customers/s")
    return customers / seconds


def check(scores_path, csv_path):
    import h5py
    data = np.genfromtxt(csv_path, delimiter=",", names=True)
    x, t_x, T, m = data["x"], data["t_x"], data["T"], data["m_x"]
    spend_count = data["spend_count"] if "spend_count" in data.dtype.names else x
    with h5py.File(scores_path, "r") as f:
        got = {k: f["scores/" + k][()] for k in ("p_alive", "expected_purchases", "expected_spend_cents", "clv_cents", "propensity")}
        forecast = f.attrs["forecast_weeks"]
    p_alive = bgnbd_p_alive(x, t_x, T)
    want = {
        "p_alive": p_alive,
        "expected_purchases": bgnbd_expected(x, T, forecast, p_alive),
        "expected_spend_cents": gamma_gamma(spend_count, m),
        "propensity": propensity(x, t_x, T, m),
    }
    want["clv_cents"] = clv(x, T, p_alive, want["expected_spend_cents"])
    worst = 0.0
    for k, w in want.items():
        rel = np.max(np.abs(got[k] - w) / np.maximum(np.abs(w), 1e-300))
        print(f"{k:<22} max relative difference {rel:.3g}")
        worst = max(worst, rel)
    return 0 if worst <= 1e-9 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=10_000_000, help="customers for RFM and propensity")
    ap.add_argument("--combined-customers", type=int, default=10_000_000,
                    help="customers for the combined BG/NBD scoring (the first ones of the same population)")
    ap.add_argument("--block", type=int, default=1_000_000)
    ap.add_argument("--check", nargs=2, metavar=("SCORES_H5", "INPUT_CSV"))
    a = ap.parse_args()
    if a.check:
        return check(*a.check)

    print(f"numpy {np.__version__}, one thread; population generation not timed")
    timed("BG/NBD P(alive)+E[Y]+E[M]+CLV (52 weeks)", a.combined_customers, a.block, combined)
    sample = histories(0, a.customers)
    stride = slice(0, None, 16)
    qs = [0.2, 0.4, 0.6, 0.8]
    cuts = (np.quantile((sample[2] - sample[1])[stride], qs), np.quantile(sample[0][stride], qs),
            np.quantile(sample[3][stride], qs))
    del sample
    timed("RFM (quintiles)", a.customers, a.block, lambda x, t_x, T, m, sc: rfm(x, t_x, T, m, cuts))
    timed("logistic propensity", a.customers, a.block, lambda x, t_x, T, m, sc: propensity(x, t_x, T, m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
