#!/usr/bin/python3
"""Reference point for bench/bench_engine.cpp: a vectorised numpy day-step simulation of a plain
BG/NBD population (CDNOW parameters), the approach a user would write instead of retsim.

Each day every alive customer buys with probability 1 - exp(-lambda) (at most one purchase a
day: the bias retsim's continuous-time simulation does not have) and, after a purchase, leaves
with probability p. Prints customer-days per second.

Needs Debian's python3-numpy: run with /usr/bin/python3 (installed by scripts/setup.sh).
Usage: /usr/bin/python3 scripts/numpy_daystep_bgnbd.py [customers] [days]
"""
import sys
import time

import numpy as np


def simulate(customers: int, days: int, seed: int = 1) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    r, alpha_weeks, a, b = 0.2426, 4.4137, 0.7930, 2.4262
    lam_per_day = rng.gamma(r, 1.0 / alpha_weeks, customers) / 7.0
    p = rng.beta(a, b, customers)
    buy_prob = -np.expm1(-lam_per_day)
    alive = np.ones(customers, dtype=bool)
    repeat = np.zeros(customers, dtype=np.int32)
    start = time.perf_counter()
    for _ in range(days):
        buys = alive & (rng.random(customers) < buy_prob)
        repeat += buys
        alive &= ~(buys & (rng.random(customers) < p))
    elapsed = time.perf_counter() - start
    return elapsed, repeat.mean()


def main() -> None:
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 546
    elapsed, mean_repeat = simulate(customers, days)
    rate = customers * days / elapsed
    print(f"numpy day-step BG/NBD: {customers} customers x {days} days in {elapsed:.2f} s "
          f"= {rate:.3g} customer-days/s (mean repeat purchases {mean_repeat:.3f}; "
          f"closed form E[X(78 weeks)] = 1.858)")


if __name__ == "__main__":
    main()
