"""``gridtwin experiment run | report | export``: experiments from the command line.

Mistakes (a bad experiment file, a store of another experiment, a bad ``--baseline``) print
``error:`` with every problem and exit with status 2, as the rest of the command line does.
This module imports only click at load time: the engine, DuckDB and Dask are imported by the
commands that need them, so ``gridtwin --help`` stays quick.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from gridtwin.scenarios.loader import ScenarioError

__all__ = ["experiment"]


def _fail(lines: list[str]) -> NoReturn:
    from gridtwin.cli import _fail as fail

    fail(lines)


def _fail_problems(err: ScenarioError) -> NoReturn:
    problems = [str(p) for p in err.problems] or [str(err)]
    if len(problems) == 1:
        _fail([f"{err.source}: {problems[0]}" if err.source else problems[0]])
    _fail([f"{len(problems)} problems in {err.source or 'the experiment'}:", *problems])


@click.group("experiment")
def experiment() -> None:
    """Run experiments (policies x futures x replications) and report on them."""


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int, int], None]]:
    """A callback taking (done, failed, total), drawing a bar (done, failed, ETA) if ``show``."""
    if not show:
        yield lambda done, failed, total: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"), TextColumn("ETA"), TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("runs", total=None, failed=0)

        def update(done: int, failed: int, total: int) -> None:
            bar.update(task, completed=done + failed, total=total, failed=failed)

        yield update


@experiment.command("run")
@click.argument("source", metavar="FILE_OR_NAME")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Local worker processes (default: the number of cores; 1 runs here).")
@click.option("--dask", "dask", metavar="ADDRESS",
              help="Run on an existing Dask cluster, e.g. tcp://host:8786.")
@click.option("--dask-local", type=click.IntRange(min=1), metavar="N",
              help="Start a Dask LocalCluster of N workers on this machine.")
@click.option("--store", type=click.Path(path_type=Path), metavar="PATH",
              help="The DuckDB results file (default: results.duckdb beside the file, "
              "runs/NAME/results.duckdb for a built-in).")
@click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
def run_command(
    source: str,
    workers: int | None,
    dask: str | None,
    dask_local: int | None,
    store: Path | None,
    no_progress: bool,
) -> None:
    """Run an experiment FILE or built-in NAME; run it again to resume."""
    from gridtwin.experiments.loader import ExperimentError, load_experiment
    from gridtwin.experiments.runner import default_store, run_experiment
    from gridtwin.experiments.store import StoreError

    if dask is not None and dask_local is not None:
        _fail(["--dask and --dask-local: give one of them"])
    try:
        loaded = load_experiment(source)
    except ExperimentError as err:
        _fail_problems(err)
    path = store if store is not None else default_store(loaded)
    if path.exists() and path.is_dir():
        _fail([f"--store {path}: is a directory; give a .duckdb file"])
    show = sys.stderr.isatty() and not no_progress
    try:
        with _progress(show) as progress:
            runs = run_experiment(loaded, path, workers, dask, dask_local, progress)
    except StoreError as err:
        _fail([str(err)])
    except (OSError, TimeoutError) as exc:
        if dask is None:
            raise
        _fail([f"--dask {dask}: cannot use the cluster: {exc}"])
    except KeyboardInterrupt:
        click.echo(
            f"interrupted: every finished run is in {path}; run the same command to resume",
            err=True,
        )
        raise click.exceptions.Exit(130) from None
    status = runs.column("status").to_pylist()
    failed = status.count("failed")
    click.echo(
        f"{len(status)} runs in {path}: {len(status) - failed} succeeded, {failed} failed",
        err=True,
    )
    if failed:
        errors = {e for e in runs.column("error").to_pylist() if e}
        for e in sorted(errors)[:3]:
            click.echo(f"  failed: {e}", err=True)


@experiment.command("report")
@click.argument("store", metavar="STORE", type=click.Path(path_type=Path))
@click.option("--baseline", metavar="POINT_OR_LEVERS",
              help="The policy to compare with: a design point number or "
              "lever=value[,lever=value] (default: the file's baseline, else policy 0).")
@click.option("--out", type=click.Path(path_type=Path), metavar="DIR",
              help="Where report.md and report.html go (default: beside the store).")
@click.option("--half-width", type=click.FloatRange(min=0, min_open=True), default=0.05,
              show_default=True,
              help="Relative half-width (share of the baseline's mean) the 'needed' column "
              "counts paired runs for.")
def report_command(store: Path, baseline: str | None, out: Path | None, half_width: float) -> None:
    """Analyse a STORE: policies, paired comparisons, robustness, sensitivity."""
    from rich.console import Console

    from gridtwin.experiments.analysis import BaselineError, analyse
    from gridtwin.experiments.report import print_summary, write_report

    with _opened(store) as con:
        try:
            analysis = analyse(con, baseline, half_width)
        except BaselineError as err:
            _fail([str(err)])
    target = out if out is not None else store.parent
    try:
        written = write_report(analysis, target)
    except OSError as exc:
        _fail([f"--out {target}: cannot write the report: {exc}"])
    console = Console()
    if not console.is_terminal:  # piped: wide enough for the outcome columns
        console = Console(width=max(console.width, 160))
    print_summary(console, analysis)
    click.echo("report written to " + ", ".join(str(p) for p in written), err=True)


@contextmanager
def _opened(store: Path) -> Iterator[Any]:
    """The store opened read-only (exit 2 if it is not one), closed afterwards."""
    from gridtwin.experiments.store import StoreError, open_existing

    try:
        con = open_existing(store)
    except StoreError as err:
        _fail([str(err)])
    try:
        yield con
    finally:
        con.close()


@experiment.command("export")
@click.argument("store", metavar="STORE", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True)
@click.option("--out", type=click.Path(path_type=Path), metavar="DIR", required=True,
              help="Directory for one file per table.")
def export_command(store: Path, fmt: str, out: Path) -> None:
    """Export a STORE's tables (experiment, points, runs, timeseries) as Parquet or CSV."""
    from gridtwin.experiments.store import export_tables

    with _opened(store) as con:
        try:
            written = export_tables(con, out, fmt)
        except OSError as exc:
            _fail([f"--out {out}: cannot write: {exc}"])
    for p in written:
        click.echo(str(p))
