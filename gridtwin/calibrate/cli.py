"""``gridtwin calibrate``: from an observed service-request log to a calibrated, validated twin.

Kept light at import (the pipeline, scipy and matplotlib load when the command runs), so the
``gridtwin`` command stays quick to start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridtwin.calibrate import CalibrationError
from gridtwin.calibrate.mappings import BUILTIN

__all__ = ["calibrate"]

USER_ERROR = 2


@contextmanager
def _progress(console: Console, show: bool) -> Iterator[Callable[[str, float], None]]:
    if not show:
        yield lambda stage, fraction: None
        return
    columns = (TextColumn("{task.description:<20}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("import", total=1.0)

        def update(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=min(max(fraction, 0.0), 1.0))

        yield update


@click.command()
@click.argument("log", metavar="LOG", type=click.Path(path_type=Path))
@click.option("--mapping", required=True, metavar="{" + ",".join(BUILTIN) + ",FILE}",
              help="The log's column mapping: a built-in one or a YAML mapping file.")
@click.option("--cells", type=click.Path(path_type=Path), metavar="GEOJSON",
              help="A gridtwin GeoJSON city whose communities are the cells (default: a grid "
                   "over the log's extent).")
@click.option("--train-until", metavar="T",
              help="Fit on requests before T (local time, ISO 8601) and validate on those "
                   "after it (default: the last day, or the last quarter of a shorter log).")
@click.option("--replications", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Simulated replications of the held-out and training periods.")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True,
              help="Seed of the first replication and of the written scenario.")
@click.option("--follow-up-days", type=click.FloatRange(0, 365, min_open=True), default=14.0,
              show_default=True, help="Days after a period during which closures are followed.")
@click.option("--min-type-count", type=click.IntRange(1, 1_000_000), default=30,
              show_default=True, help="Types with fewer training requests are grouped as other.")
@click.option("--scenario-days", type=click.FloatRange(1, 3660), default=28.0,
              show_default=True, help="horizon_days of the written scenario.")
@click.option("--close-time", type=click.Choice(["km", "parametric"]), default="km",
              show_default=True,
              help="Time to close in the scenario: Kaplan–Meier points with a fitted tail, or "
                   "the best log-normal/gamma fit alone.")
@click.option("--calendars", type=click.Choice(["inferred", "always"]), default="inferred",
              show_default=True,
              help="Departments' working hours: inferred from when they close requests, or "
                   "around the clock.")
@click.option("--out", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Folder for scenario.yaml, city.geojson, report.md (with plots), fit.json.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier calibration in DIR.")
@click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
def calibrate(log: Path, mapping: str, cells: Path | None, train_until: str | None,
              replications: int, seed: int, follow_up_days: float, min_type_count: int,
              scenario_days: float, close_time: str, calendars: str, out: Path,
              overwrite: bool, no_progress: bool) -> None:
    """Calibrate a scenario from an observed service-request LOG and validate it."""
    from gridtwin.calibrate.pipeline import Options
    from gridtwin.calibrate.pipeline import calibrate as run_calibration
    from gridtwin.calibrate.summary import summary_rows

    opts = Options(log=log, mapping=mapping, out=out, cells=cells, train_until=train_until,
                   replications=replications, seed=seed, follow_up_days=follow_up_days,
                   min_type_count=min_type_count, scenario_days=scenario_days,
                   close_time=close_time, calendars=calendars == "inferred",
                   overwrite=overwrite)
    console = Console()
    try:
        with _progress(Console(stderr=True), not no_progress and sys.stderr.isatty()) as tell:
            result = run_calibration(opts, tell)
    except CalibrationError as err:
        first, *rest = str(err).splitlines() or [type(err).__name__]
        click.echo(f"error: {first}", err=True)
        for line in rest:
            click.echo(f"  {line.strip()}", err=True)
        raise click.exceptions.Exit(USER_ERROR) from None
    table = Table(title=f"Calibration of {log.name} → {out}", show_header=False)
    for key, value in summary_rows(result.figures):
        table.add_row(key, value)
    console.print(table)
