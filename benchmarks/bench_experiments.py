"""Experiment throughput: runs per minute of a street-month, by executor.

Runs the same small experiment (``street`` for its 28 days, three hotline-seat levels x N
replications) in this process (1 worker), on 2 local worker processes and on a 2-worker Dask
``LocalCluster``, each into a fresh DuckDB store, and prints a table. The time includes starting
the workers (and the cluster) and committing every run, as a researcher would see it. The goal
on a 2-core machine is 2 workers >= 1.8 x one. Not a test: it is CPU-heavy.

    python benchmarks/bench_experiments.py [--replications 4]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import yaml

from gridtwin.experiments.loader import load_experiment
from gridtwin.experiments.runner import run_experiment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=4)
    a = ap.parse_args()
    spec = {
        "name": "bench",
        "scenario": "street",
        "levers": {"channels.hotline.seats": [1, 2, 4]},
        "replications": a.replications,
        "seed": 1,
        "outcomes": {"resolution_rate": "max"},
    }
    configs = [("1 worker (in process)", {"workers": 1}),
               ("2 local processes", {"workers": 2}),
               ("Dask LocalCluster, 2 workers", {"dask_local": 2})]
    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(yaml.safe_dump(spec))
        loaded = load_experiment(path)
        for i, (label, kwargs) in enumerate(configs):
            finished: list[float] = []

            def progress(done: int, failed: int, total: int, at: list[float] = finished) -> None:
                at.append(time.perf_counter())

            t0 = time.perf_counter()
            runs = run_experiment(loaded, Path(tmp) / f"s{i}.duckdb", **kwargs,
                                  on_progress=progress)
            wall = time.perf_counter() - t0
            n = runs.num_rows
            assert runs.column("status").to_pylist().count("succeeded") == n
            # steady state: after the first round of runs (worker start-up left out)
            k = int(kwargs.get("workers", kwargs.get("dask_local", 1)))
            steady = 60.0 * (n - k) / (finished[-1] - finished[k])
            rows.append((label, n, wall, 60.0 * n / wall, steady))
    base, base_steady = rows[0][3], rows[0][4]
    print(f"street-month runs; {os.cpu_count()} cores; load average at the start: {load:.2f}")
    print(f"{'executor':30s} {'runs':>5s} {'seconds':>8s} {'runs/min':>9s} {'speed-up':>9s}"
          f" {'steady runs/min':>16s} {'speed-up':>9s}")
    for label, n, wall, rate, steady in rows:
        print(f"{label:30s} {n:5d} {wall:8.1f} {rate:9.1f} {rate / base:8.2f}x"
              f" {steady:16.1f} {steady / base_steady:8.2f}x")


if __name__ == "__main__":
    main()
