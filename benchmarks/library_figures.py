"""The scenario library against the published figures: replications, means and 95% intervals.

Runs the built-in library scenarios over seeds 1..N at their own horizons (six weeks for the
district stages, four for the street) and prints, as Markdown, the tables of
``docs/scenarios.md``:

1. ``district-2021`` against X district's published figures (at most one trip, materials
   exempt, completed on the spot) and ``street-hotline-unclear`` against Beijing's 30-40% of
   work orders not handleable: mean and Student-t 95% interval over the replications;
2. ``district-2015`` against ``district-2021`` (and ``district-2019`` beside them): trips,
   window waits, times, with the paired difference 2015 - 2021 under common random numbers.

    python benchmarks/library_figures.py [--replications 10] [--workers 2]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import gridtwin
from gridtwin.experiments.stats import Interval, mean_ci, paired_ci

STAGES = ("district-2015", "district-2019", "district-2021")
STREET = "street-hotline-unclear"
FIGURES = (
    ("district-2021", "share_at_most_one_trip", "at least 95% of items need at most one trip", 100),
    ("district-2021", "materials_exempt_share", "93.52% of materials exempt", 100),
    ("district-2021", "share_completed_on_spot", "68% of hall cases completed on the spot", 100),
    (STREET, "not_handleable_share", "30-40% of work orders not handleable", 100),
)
COMPARED = (
    ("trips_per_case_mean", "trips per admin application", 1),
    ("share_at_most_one_trip", "share of items with at most one trip (%)", 100),
    ("window_mean_wait_min", "mean window wait (min)", 1),
    ("mean_time_to_complete_h", "mean time to complete (h, need to closure)", 1),
    ("mean_time_to_close_h", "mean time to close (h, report to closure)", 1),
    ("materials_exempt_share", "materials exempt (%)", 100),
    ("share_completed_on_spot", "hall cases completed on the spot (%)", 100),
    ("resolution_rate", "resolution rate (%)", 100),
    ("satisfaction_all_rate", "satisfied, all cases (%)", 100),
)


def _one(job: tuple[str, int]) -> tuple[str, int, dict[str, Any]]:
    name, seed = job
    return name, seed, gridtwin.simulate(gridtwin.load_scenario(name), seed=seed)


def _fmt(i: Interval, scale: float, digits: int = 2) -> str:
    return f"{i.mean * scale:.{digits}f} [{i.low * scale:.{digits}f}, {i.high * scale:.{digits}f}]"


def run(replications: int, workers: int) -> dict[str, list[dict[str, Any]]]:
    """KPIs per scenario, in seed order."""
    jobs = [(name, seed) for name in (*STAGES, STREET) for seed in range(1, replications + 1)]
    results: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in (*STAGES, STREET)}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for name, seed, kpis in pool.map(_one, jobs):
            results[name][seed] = kpis
    return {name: [by_seed[s] for s in sorted(by_seed)] for name, by_seed in results.items()}


def tables(kpis: dict[str, list[dict[str, Any]]]) -> str:
    """The two Markdown tables."""
    n = len(kpis[STREET])
    lines = [
        f"Published figures ({n} replications, seeds 1-{n}; mean [95% CI]):",
        "",
        "| scenario | figure | target | achieved |",
        "| --- | --- | --- | ---: |",
    ]
    for name, key, target, scale in FIGURES:
        i = mean_ci([k[key] for k in kpis[name]])
        lines.append(f"| `{name}` | `{key}` | {target} | {_fmt(i, scale)} |")
    lines += [
        "",
        f"Stages compared ({n} replications; mean [95% CI]; difference paired by seed):",
        "",
        "| outcome | 2015 | 2019 | 2021 | 2015 - 2021 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for key, label, scale in COMPARED:
        cells = [_fmt(mean_ci(_values(kpis[s], key)), scale) for s in STAGES]
        diff = paired_ci(_values(kpis["district-2021"], key), _values(kpis["district-2015"], key))
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_fmt(diff, scale)} |")
    lines.append("")
    lines.append(
        "Cases per run (mean): "
        + ", ".join(
            f"{s} {sum(k['cases_total'] for k in kpis[s]) / n:,.0f}" for s in (*STAGES, STREET)
        )
    )
    return "\n".join(lines) + "\n"


def _values(runs: Sequence[dict[str, Any]], key: str) -> list[float]:
    return [float("nan") if k[key] is None else float(k[key]) for k in runs]


def main() -> None:
    """Run the replications and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(tables(run(args.replications, args.workers)), end="")


if __name__ == "__main__":
    main()
