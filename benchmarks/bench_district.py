"""Benchmark: the `district` scenario for a simulated year, against a bare SimPy M/M/c queue.

Prints wall seconds, cases per second, events per second and peak memory of the district run,
and, measured in the same process before and after it, the customers per second of a bare
SimPy single-queue M/M/c loop (request, grant, timeout, release) as the reference cost of one
queue pass. Run it on a quiet machine:

    python benchmarks/bench_district.py [--days 365] [--scenario NAME] [--all-levers]
                                        [--repeat N] [--profile]

``--all-levers`` switches on every lever of docs/policies.md at once (``ALL_LEVERS``): the
district-year with every mechanism on. ``--repeat N`` runs it N times, each in a process of
its own, and prints the median and range: identical runs on a shared machine differ by 10% or
more, so one run says little. It runs the engine the install compiled; ``GRIDTWIN_PURE=1`` in
front runs the same modules as Python, for comparison.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import simpy

import gridtwin
from gridtwin.model import GovernanceModel
from gridtwin.runner import run
from gridtwin.scenarios.loader import load_scenario

ALL_LEVERS: tuple[str, ...] = (
    # 1 staffing and cost: a Monday shift, department shifts, staff costs, a backlog roster
    "channels.hotline.shifts=[{days: [mon], hours: ['08:00-20:00'], staff: 20}]",
    "departments.civil_affairs.shifts=[{days: [sat], hours: ['09:00-12:00'], staff: 5}]",
    "staffing.cost_per_hour={hotline: 60, window: 70, department: 90, grid_worker: 50,"
    " rework: 90, surge: 135}",
    "staffing.surge_rosters=[{name: backlog, trigger: backlog, watch: hotline,"
    " backlog_above_h: 0.05, hold_h: 4, hotline: 10},"
    " {name: emergency, trigger: typhoon, hold_h: 72, hotline: 10,"
    " departments: {emergency: 10, urban_management: 10}}]",
    # 2 vertical levels, not integrated
    "policies.levels.crossings=2",
    # 3 channels: assisted service, staff apps, kiosk sites left automatic
    "channels.portal.assisted.enabled=true",
    "channels.portal.staff_apps.apps=5",
    # 4 discovery: typed sensors with false alarms, camera checks, home visits, photo uptake
    "channels.sensor.by_type={flooding: {coverage: 0.5, false_alarms_per_year: 12},"
    " water_leak: {coverage: 0.3}}",
    "channels.sensor.camera_confirm.enabled=true",
    "channels.patrol.home_visits.per_month=1",
    "channels.photo.uptake.enabled=true",
    # 5 accountability: rework and three-rates pressure
    "policies.accountability.rework=true",
    "policies.accountability.pressure=0.3",
    # 6 proactive relief
    "policies.relief.enabled=true",
    # 7 a typhoon in the autumn
    "services.typhoon={start_day: 250, end_day: 252, case_type: flooding, events_per_day: 300}",
    # 8 privacy
    "policies.privacy.personal_data_level=0.5",
)
"""Every lever on (see docs/policies.md)."""


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
    ap.add_argument("--all-levers", action="store_true", help="every lever of docs/policies.md on")
    ap.add_argument("--repeat", type=int, default=1, help="runs, each in its own process")
    args = ap.parse_args()
    if args.repeat > 1:
        child = ["--scenario", args.scenario, "--days", str(args.days)]
        repeat(args.repeat, child + (["--all-levers"] if args.all_levers else []))
        return

    levers = ALL_LEVERS if args.all_levers else ()
    scenario = load_scenario(args.scenario, [f"run.horizon_days={args.days}", *levers])
    if args.profile:
        model = GovernanceModel(scenario)
        cProfile.runctx("model.run()", globals(), {"model": model}, "/tmp/gridtwin.prof")
        pstats.Stats("/tmp/gridtwin.prof").sort_stats("tottime").print_stats(30)
        return

    ref_before = bare_simpy_mmc()
    t0 = time.perf_counter()
    result = run(scenario)
    total = time.perf_counter() - t0
    k = result.kpis
    sim = k["wall_seconds"]
    cases = result.cases.num_rows
    on = ", every lever on" if args.all_levers else ""
    print(f"scenario            {args.scenario}, {args.days:g} days{on}")
    print(f"python              {platform.python_version()} ({sys.base_prefix})")
    print(f"engine              {gridtwin.ENGINE} (gridtwin/_compiled.py)")
    print(f"cases               {cases:,} ({k['cases_total']:,} after warm-up)")
    print(f"events processed    {k['events_processed']:,}")
    print(f"event-log records   {result.events.num_rows:,}")
    print(f"simulation seconds  {sim:.1f}  (build + run)")
    print(f"total seconds       {total:.1f}  (with KPIs, series, cells, event table)")
    print(f"cases per second    {cases / sim:,.0f}")
    print(f"events per second   {k['events_processed'] / sim:,.0f}")
    print(f"peak memory MB      {peak_rss_mb():,.0f}")
    ref_after = bare_simpy_mmc()
    ref = (ref_before + ref_after) / 2
    print(
        f"bare SimPy M/M/c    {ref:,.0f} customers per second (reference: the mean of "
        f"{ref_before:,.0f} before the run and {ref_after:,.0f} after)"
    )
    print(f"cost per case       {ref / (cases / sim):.2f} x a bare SimPy queue pass")


def repeat(n: int, child: list[str]) -> None:
    """Run the benchmark ``n`` times, each in a fresh process; print each run and a summary."""
    sims, costs = [], []
    for i in range(n):
        out = subprocess.run(
            [sys.executable, __file__, *child], capture_output=True, text=True, check=True
        ).stdout
        print(f"--- run {i + 1} of {n}")
        print(out, end="")
        for line in out.splitlines():
            if line.startswith("simulation seconds"):
                sims.append(float(line.split()[2]))
            elif line.startswith("cost per case"):
                costs.append(float(line.split()[3]))
    print(f"--- {n} runs")
    for name, values in (("simulation seconds", sims), ("cost per case", costs)):
        print(
            f"{name:<19} median {statistics.median(values):.2f}"
            f"  (min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
