"""Benchmark: from the click on **Run** to the KPI cards, for a 30-day `street` run.

Two measurements, each the median of a few runs with different seeds (so none comes from the
cache of identical runs):

1. in process, what the Run page does between the click and the cards: validate the edited
   scenario, run it (:func:`gridtwin.viz.data.run_batch`), compute the cards and the growth
   warnings;
2. through the browser: ``gridtwin viewer`` on 127.0.0.1 driven by Debian's chromium, from the
   click on Run until the eleven KPI cards are on the page; then the same run again (served from
   the cache).

Run it on a quiet machine (needs /usr/bin/chromium for the second part):

    python benchmarks/bench_viewer.py [--days 30] [--replications 1] [--repeats 3] [--no-browser]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from gridtwin.viz.cards import cards, growth_warnings
from gridtwin.viz.data import Source, load, run_batch, run_overrides

ROOT = Path(__file__).resolve().parent.parent


def in_process(days: float, reps: int, seed: int) -> float:
    """Seconds from the click to the cards, without the browser."""
    t0 = time.perf_counter()
    src = Source.builtin("street")
    base, _ = load(src)
    assert base is not None
    scenario, problems = load(src, run_overrides(seed, days, base.run.warmup_days))
    assert scenario is not None, problems
    batch = run_batch(scenario, reps)
    cards(batch)
    for result in batch.results:
        growth_warnings(result.timeseries, scenario.run.warmup_days)
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def through_browser(days: float, reps: int, seeds: list[int]) -> tuple[list[float], float]:
    """Seconds from the click on Run to eleven cards, per seed; and a repeat from the cache."""
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gridtwin", "viewer", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    times: list[float] = []
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            app = page.locator('[data-testid="stApp"]')
            for seed in seeds:
                page.goto(f"{base}/run?scenario=street&days={days:g}&reps={reps}&seed={seed}")
                expect(app).to_have_attribute(
                    "data-test-script-state", "notRunning", timeout=60_000
                )
                metrics = page.locator('[data-testid="stMetric"]')
                t0 = time.perf_counter()
                page.get_by_role("button", name="Run", exact=True).click()
                expect(metrics).to_have_count(11, timeout=120_000)
                expect(app).to_have_attribute(
                    "data-test-script-state", "notRunning", timeout=120_000
                )
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            page.get_by_role("button", name="Run", exact=True).click()
            expect(page.get_by_text("served from the cache")).to_be_visible(timeout=60_000)
            expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=60_000)
            cached = time.perf_counter() - t0
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return times, cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    seeds = [101 + i for i in range(args.repeats)]
    in_process(3, 1, 1)  # warm the imports and the loader
    plain = [in_process(args.days, args.replications, s) for s in seeds]
    print(
        f"street, {args.days:g} days, {args.replications} replication(s): click to cards "
        f"in process: median {statistics.median(plain):.2f} s "
        f"({', '.join(f'{t:.2f}' for t in plain)})"
    )
    if not args.no_browser:
        times, cached = through_browser(args.days, args.replications, [s + 100 for s in seeds])
        print(
            f"through the browser: median {statistics.median(times):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in times)}); the same run again (cache): "
            f"{cached:.2f} s"
        )


if __name__ == "__main__":
    main()
