"""Benchmark: the `district` scenario for a simulated year, against a bare SimPy M/M/c queue.

Prints wall seconds, cases per second, events per second and peak memory of the district run,
and, measured in the same process afterwards, the customers per second of a bare SimPy
single-queue M/M/c loop (request, grant, timeout, release) as the reference cost of one queue
pass. Run it on a quiet machine:

    python benchmarks/bench_district.py [--days 365] [--scenario district] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import time

import numpy as np
import simpy

from gridtwin.model import GovernanceModel
from gridtwin.runner import run
from gridtwin.scenarios.loader import load_scenario


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_simpy_mmc(customers: int = 300_000, servers: int = 5, seed: int = 1) -> float:
    """Customers per second of a plain SimPy M/M/c queue at utilisation 0.8."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1.0, customers).tolist()
    services = rng.exponential(0.8 * servers, customers).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)

    def customer(service: float):
        with desk.request() as req:
            yield req
            yield env.timeout(service)

    def source():
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    t0 = time.perf_counter()
    env.run()
    return customers / (time.perf_counter() - t0)


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="district")
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--profile", action="store_true", help="profile the simulation itself")
    args = ap.parse_args()

    scenario = load_scenario(args.scenario, [f"run.horizon_days={args.days}"])
    if args.profile:
        model = GovernanceModel(scenario)
        cProfile.runctx("model.run()", globals(), {"model": model}, "/tmp/gridtwin.prof")
        pstats.Stats("/tmp/gridtwin.prof").sort_stats("tottime").print_stats(30)
        return

    t0 = time.perf_counter()
    result = run(scenario)
    total = time.perf_counter() - t0
    k = result.kpis
    sim = k["wall_seconds"]
    cases = result.cases.num_rows
    print(f"scenario            {args.scenario}, {args.days:g} days")
    print(f"cases               {cases:,} ({k['cases_total']:,} after warm-up)")
    print(f"events processed    {k['events_processed']:,}")
    print(f"event-log records   {result.events.num_rows:,}")
    print(f"simulation seconds  {sim:.1f}  (build + run)")
    print(f"total seconds       {total:.1f}  (with KPIs, series, cells, event table)")
    print(f"cases per second    {cases / sim:,.0f}")
    print(f"events per second   {k['events_processed'] / sim:,.0f}")
    print(f"peak memory MB      {peak_rss_mb():,.0f}")
    ref = bare_simpy_mmc()
    print(f"bare SimPy M/M/c    {ref:,.0f} customers per second (reference)")
    print(f"cost per case       {ref / (cases / sim):.2f} x a bare SimPy queue pass")


if __name__ == "__main__":
    main()
