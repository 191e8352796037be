"""How well common random numbers pair runs: the variance of paired differences.

Runs the design of the built-in ``staffing-demo`` experiment (hotline seats × windows per hall
× two demand/patience futures on ``street``) with plain :func:`gridtwin.simulate`, so it also
runs on trees older than the experiments package, and prints, per outcome, the variance of the
paired differences ``policy - baseline`` over replications (mean over policies and futures).
Compare it before and after an engine change; smaller is better pairing.

    python benchmarks/crn_variance.py [--replications 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import gridtwin

SEATS = (1, 2, 4)
WINDOWS = (1, 2)
FUTURES = ((0.9, 1.2), (1.15, 0.8))  # (services.demand_scale, behaviour.patience_scale)
OUTCOMES = (
    "hotline_abandon_rate",
    "window_mean_wait_min",
    "mean_time_to_close_h",
    "resolution_rate",
    "satisfaction_rate",
    "hidden_needs_found_share",
    "utilisation_by_department.urban_management",
)


def _one(args: tuple[int, int, float, float, int]) -> tuple[tuple[int, int, int, int], dict]:
    seats, windows, demand, patience, r = args
    s = gridtwin.load_scenario(
        "street",
        overrides=[
            f"channels.hotline.seats={seats}",
            f"channels.window.windows_per_hall={windows}",
            f"services.demand_scale={demand}",
            f"behaviour.patience_scale={patience}",
        ],
    )
    k = gridtwin.simulate(s, seed=1000 + r)
    out = {}
    for name in OUTCOMES:
        v = k
        for part in name.split("."):
            v = v[part]
        out[name] = float(v)
    f = next(i for i, fu in enumerate(FUTURES) if fu == (demand, patience))
    return (seats, windows, f, r), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    jobs = [
        (s, w, d, p, r)
        for (s, w), (d, p), r in itertools.product(
            itertools.product(SEATS, WINDOWS), FUTURES, range(a.replications)
        )
    ]
    with ProcessPoolExecutor(a.workers) as ex:
        res = dict(ex.map(_one, jobs))
    base = (SEATS[-1], WINDOWS[-1])
    print(f"gridtwin {gridtwin.__version__}, {a.replications} replications, baseline {base}")
    print(f"{'outcome':45s} {'var(paired diff)':>18s} {'var(independent)':>18s}")
    for name in OUTCOMES:
        paired, indep = [], []
        for s, w in itertools.product(SEATS, WINDOWS):
            if (s, w) == base:
                continue
            for f in range(len(FUTURES)):
                b = np.array([res[(*base, f, r)][name] for r in range(a.replications)])
                x = np.array([res[(s, w, f, r)][name] for r in range(a.replications)])
                paired.append(np.nanvar(x - b, ddof=1))
                # independent streams: pair replication r with the baseline's r+1 (other seed)
                indep.append(np.nanvar(x - np.roll(b, 1), ddof=1))
        print(f"{name:45s} {np.nanmean(paired):18.6g} {np.nanmean(indep):18.6g}")


if __name__ == "__main__":
    main()
