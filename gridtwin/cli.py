"""The ``gridtwin`` command line: run, validate and browse scenarios.

User mistakes (a bad scenario or GeoJSON city, a bad ``--set``, a missing file, an unusable
``--out``, a run too large for the machine) print a message starting with ``error:`` that lists
every problem, and exit with status 2, never with a traceback; each command reads its scenario
file once. Anything else is a bug of gridtwin: it prints one ``error: internal error`` line
naming the file the full traceback was saved to, and exits with status 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gridtwin.kpiformat import PROVENANCE, compare_kpis, flatten_kpis, format_value
from gridtwin.rundir import RunFolderError, prepare, verify_run
from gridtwin.scenarios.geojson import CityError
from gridtwin.scenarios.loader import (
    ScenarioError,
    apply_overrides,
    builtin_names,
    load_scenario,
    read_scenario_data,
    scenario_from_data,
    scenario_to_yaml,
)
from gridtwin.scenarios.schema import Scenario
from gridtwin.scenarios.size import estimate_size, size_problem

__all__ = ["cli", "format_value", "main", "print_kpis"]

USER_ERROR = 2
"""Exit status for a mistake in the command or the scenario (as click's usage errors)."""
INTERNAL_ERROR = 1
"""Exit status for a failure of the engine itself."""

THREE_RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
SECTIONS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("Cases", lambda k: k.startswith("cases_")),
    ("Three rates", lambda k: k in THREE_RATES),
    ("Times and trips", lambda k: "time" in k or "trip" in k),
    ("Hotline and windows", lambda k: k.startswith(("hotline_", "consultation_", "window_"))),
    ("Other", lambda k: True),
)
"""Sections of the KPI table: each key goes to the first section whose test it passes."""
SUB_TABLES = ("utilisation_by_department", "kpis_by_age_group")


# ----------------------------------------------------------------------------------- errors
def _fail(lines: Sequence[str], code: int = USER_ERROR) -> NoReturn:
    """Print ``error:`` and the lines on stderr and exit with ``code``."""
    first, *rest = lines
    click.echo(f"error: {first}", err=True)
    for line in rest:
        click.echo(f"  {line}", err=True)
    raise click.exceptions.Exit(code)


def _fail_scenario(err: ScenarioError) -> NoReturn:
    problems = [str(p) for p in err.problems] or [str(err)]
    if len(problems) == 1:
        _fail(problems)
    _fail([f"{len(problems)} problems in {err.source or 'the scenario'}:", *problems])


def _load(source: str, overrides: Sequence[str]) -> Scenario:
    try:
        return load_scenario(source, overrides)
    except ScenarioError as err:
        _fail_scenario(err)


def _read(source: str) -> tuple[dict[str, Any], Path | None]:
    """Read a scenario file or built-in once (each command parses its file once)."""
    try:
        return read_scenario_data(source)
    except ScenarioError as err:
        _fail_scenario(err)


def _validate(
    source: str, data: dict[str, Any], base_dir: Path | None, overrides: Sequence[str]
) -> Scenario:
    try:
        return scenario_from_data(data, overrides, base_dir, source)
    except ScenarioError as err:
        _fail_scenario(err)


def _write_traceback(exc: BaseException) -> Path | None:
    """Save the traceback of an internal error to a file; its path (None if it cannot)."""
    text = "".join(traceback.format_exception(exc))
    try:
        fd, name = tempfile.mkstemp(prefix="gridtwin-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"gridtwin {_version()}, python {sys.version.split()[0]}\n")
            fh.write(f"command: {' '.join(sys.argv)}\n\n{text}")
    except OSError:
        return None
    return Path(name)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("gridtwin")
    except Exception:  # a source tree without metadata
        return "unknown"


class _Commands(click.Group):
    """The command group: a user's mistake exits 2; anything else is a bug, said in one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except ScenarioError as err:
            _fail_scenario(err)
        except (RunFolderError, CityError) as err:
            _fail(str(err).splitlines() or [type(err).__name__])
        except Exception as exc:
            where = _write_traceback(exc)
            saved = f"; the full traceback is in {where}" if where else ""
            _fail(
                [
                    f"internal error (a bug in gridtwin, not in your input): "
                    f"{type(exc).__name__}: {exc}{saved}"
                ],
                INTERNAL_ERROR,
            )


# -------------------------------------------------------------------------------- commands
@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gridtwin", prog_name="gridtwin")
def cli() -> None:
    """A digital twin and policy sandbox for grid-based city governance."""


@cli.command()
@click.argument("scenario", default="district", metavar="[SCENARIO|FILE]")
@click.option("--seed", metavar="N", help="Random seed (sets run.seed).")
@click.option("--days", metavar="D", help="Days to simulate (sets run.horizon_days).")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a scenario value, e.g. --set channels.hotline.seats=12 "
    "(YAML value; repeatable).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Write kpis.json, the Parquet tables and scenario.yaml to DIR.",
)
@click.option("--csv", "csv", is_flag=True, help="With --out: also write events.csv.")
@click.option("--overwrite", is_flag=True, help="With --out: replace an earlier run in DIR.")
@click.option(
    "--allow-large",
    is_flag=True,
    help="Run even if the size estimate says the run would not fit on this machine.",
)
@click.option("--no-progress", is_flag=True, help="Do not show a progress bar.")
def run(
    scenario: str,
    seed: str | None,
    days: str | None,
    sets: tuple[str, ...],
    out: Path | None,
    csv: bool,
    overwrite: bool,
    allow_large: bool,
    no_progress: bool,
) -> None:
    """Simulate SCENARIO (a built-in name or a YAML file; default: district)."""
    data, base_dir = _read(scenario)
    s = _validate(scenario, data, base_dir, _run_overrides(data, sets, seed, days))
    if not allow_large:
        problem = size_problem(estimate_size(s))
        if problem is not None:
            _fail([str(problem)])
    if out is not None:
        prepare(out, overwrite)
    from gridtwin.runner import run as run_scenario

    console = Console()
    if not console.is_terminal:  # wide enough that piped output keeps the hash on one line
        console = Console(width=max(console.width, 100))
    with _progress(console, console.is_terminal and not no_progress) as progress:
        result = run_scenario(s, progress=progress, allow_large=True)
    print_kpis(
        console, result.kpis, title=f"{s.name}: {s.run.horizon_days:g} days, seed {s.run.seed}"
    )
    if out is not None:
        result.write(out, csv=csv, overwrite=overwrite)
        click.echo(f"results written to {out}", err=True)


def _run_overrides(
    data: dict[str, Any], sets: Sequence[str], seed: str | None, days: str | None
) -> list[str]:
    """``--set`` items with ``--seed`` and ``--days`` added as overrides of ``run``."""
    overrides = list(sets)
    if seed is not None:
        overrides.append(f"run.seed={seed}")
    if days is not None:
        overrides.append(f"run.horizon_days={days}")
        overrides = _drop_warmup_if_longer(data, overrides, days)
    return overrides


def _drop_warmup_if_longer(data: dict[str, Any], overrides: list[str], days: str) -> list[str]:
    """With ``--days`` shorter than the scenario's warm-up, run without a warm-up (and say so)."""
    explicit = any(o.startswith("run.warmup_days=") for o in overrides)
    try:
        horizon = float(days)
        run_part = apply_overrides(data, [o for o in overrides if o.startswith("run.")])["run"]
        warmup = float(run_part.get("warmup_days", 0.0))
    except (ValueError, TypeError, KeyError, AttributeError, ScenarioError):
        return overrides  # validation reports the problem
    if not explicit and 0 < horizon <= warmup:
        click.echo(
            f"note: --days {days} is not longer than the {warmup:g}-day "
            "warm-up; running without a warm-up",
            err=True,
        )
        return [*overrides, "run.warmup_days=0"]
    return overrides


@contextmanager
def _progress(console: Console, show: bool) -> Iterator[Callable[[float], None]]:
    """A callback taking the fraction of simulated time done, drawing a bar if ``show``."""
    if not show:
        yield lambda fraction: None
        return
    columns = (TextColumn("simulating"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("simulating", total=1.0)
        shown = [-1.0]

        def update(fraction: float) -> None:
            if abs(fraction - shown[0]) >= 0.001:  # the engine may report often: redraw rarely
                shown[0] = fraction
                bar.update(task, completed=min(max(fraction, 0.0), 1.0))

        yield update


@cli.command()
@click.argument("file", metavar="FILE")
@click.option("--seed", metavar="N", help="Random seed to check (sets run.seed).")
@click.option("--days", metavar="D", help="Days to check (sets run.horizon_days).")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Override a scenario value before validating (repeatable).",
)
def validate(file: str, seed: str | None, days: str | None, sets: tuple[str, ...]) -> None:
    """Check FILE (a YAML file or a built-in name) and list every problem.

    Checks everything a run would (a GeoJSON city included) and tells the run's estimated
    size: cases, events, memory and time.
    """
    data, base_dir = _read(file)
    s = _validate(file, data, base_dir, _run_overrides(data, sets, seed, days))
    estimate = estimate_size(s)
    click.echo(
        f"ok: {s.name} ({len(s.services.case_types)} case types, {len(s.departments)} "
        f"departments); a run: {estimate}"
    )
    problem = size_problem(estimate)
    if problem is not None:
        click.echo(f"note: {problem}", err=True)


@cli.group()
def scenarios() -> None:
    """The built-in scenarios."""


@scenarios.command("list")
def list_scenarios() -> None:
    """Name and first line of the description of each built-in scenario."""
    names = builtin_names()
    if not names:
        click.echo("no built-in scenarios are installed", err=True)
    width = max((len(n) for n in names), default=0)
    for name in names:
        try:
            data, _ = read_scenario_data(name)
            text = str(data.get("description") or "").strip()
            line = text.splitlines()[0] if text else ""
            if len(line) > 120 and ". " in line:  # a folded paragraph: its first sentence
                line = line[: line.index(". ") + 1]
        except ScenarioError as err:
            line = f"(cannot be read: {err})"
        click.echo(f"{name:<{width}}  {line}".rstrip())


@scenarios.command("show")
@click.argument("name")
def show_scenario(name: str) -> None:
    """Print scenario NAME fully resolved (every default filled in) as YAML."""
    click.echo(scenario_to_yaml(_load(name, ())), nl=False)


# ------------------------------------------------------------------------------------ KPIs
@cli.command()
@click.argument("run_dir", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--case",
    "case_id",
    type=int,
    metavar="ID",
    help="The case to follow (default: a misrouted one, else the longest).",
)
def trace(run_dir: Path, case_id: int | None) -> None:
    """Follow one case of a run written with --out DIR, from the need to its closure."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from gridtwin.sim.trace import case_steps, clock, pick_case

    verify_run(run_dir)
    paths = [run_dir / "events.parquet", run_dir / "cases.parquet"]
    events, cases = (pq.read_table(p) for p in paths)
    if case_id is None:
        case_id = pick_case(cases, events)
    rows = cases.filter(pc.equal(cases["case_id"], case_id)).to_pylist()
    if not rows:
        _fail(
            [
                f"--case {case_id}: no such case in {run_dir} "
                f"(ids run from 0 to {cases.num_rows - 1})"
            ]
        )
    row = rows[0]
    who = f", {_article(row['age_group'])} {row['age_group']} resident" if row["age_group"] else ""
    console = Console()
    console.print(f"case {case_id}: {row['kind']} '{row['type']}' in cell {row['cell']}{who}")
    table = Table("from", "to", "step", box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII)
    steps = case_steps(events, case_id)
    if not steps:
        table.add_row(clock(row["arise"]), "", "the need exists; nobody has reported or found it")
    for step in steps:
        table.add_row(
            clock(step.start), clock(step.end) if step.end > step.start else "", step.says
        )
    console.print(table)
    rating = (
        ""
        if row["rating"] is None
        else (f"; rating: {'satisfied' if row['rating'] else 'not satisfied'}")
    )
    console.print(
        f"outcome: {row['outcome']}; trips: {row['trips']}; bounces: {row['bounces']}{rating}"
    )


@cli.command()
@click.argument("base", metavar="A", type=click.Path(path_type=Path))
@click.argument("other", metavar="B", type=click.Path(path_type=Path))
def compare(base: Path, other: Path) -> None:
    """Put the KPIs of two runs written with --out side by side (B minus A).

    A and B are run folders (checked against their run.json manifests) or kpis.json files.
    """
    import json

    loaded = []
    for path in (base, other):
        if path.is_dir():
            verify_run(path)
        file = path / "kpis.json" if path.is_dir() else path
        try:
            loaded.append(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            _fail([f"{file}: cannot read the KPIs of a run ({exc})"])
    a, b = loaded
    console = Console()
    table = Table(
        "KPI",
        "A",
        "B",
        "B - A",
        box=box.SIMPLE_HEAD if console.is_terminal else box.ASCII,
        caption=f"A = {base}, B = {other}",
    )
    for column in table.columns[1:]:
        column.justify = "right"
    for row in compare_kpis(a, b):
        table.add_row(*row.texts())
    console.print(table)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def print_kpis(console: Console, kpis: Mapping[str, Any], title: str | None = None) -> None:
    """Print the KPIs of a run as tables.

    The scalar figures come first, grouped (case counts, the three rates, times, hotline and
    window figures, the rest); then utilisation by department and the per-age-group figures;
    provenance (seed, scenario hash, version, wall time, events) last.
    """
    style = box.SIMPLE_HEAD if console.is_terminal else box.ASCII
    provenance = dict(kpis.get("provenance") or {})
    provenance.update({k: kpis[k] for k in PROVENANCE if k in kpis})
    rest = {
        k: v
        for k, v in kpis.items()
        if k not in provenance and k != "provenance" and k not in SUB_TABLES
    }
    main = Table("KPI", "value", title=title, box=style, title_justify="left")
    main.columns[1].justify = "right"
    for heading, belongs in SECTIONS:
        rows = [(k, v) for k, v in flatten_kpis(rest) if belongs(k.split(".")[0])]
        rest = {k: v for k, v in rest.items() if not belongs(k)}
        if rows:
            main.add_row(Text(heading, style="bold"), "", end_section=False)
            for key, value in rows:
                main.add_row(Text(f"  {key}"), Text(format_value(key.split(".")[0], value)))
    console.print(main)
    util = kpis.get("utilisation_by_department")
    if isinstance(util, Mapping) and util:
        table = Table(
            "department",
            "utilisation",
            title="Utilisation by department",
            box=style,
            title_justify="left",
        )
        table.columns[1].justify = "right"
        for dept, value in util.items():
            table.add_row(Text(str(dept)), Text(format_value("utilisation_share", value)))
        console.print(table)
    ages = kpis.get("kpis_by_age_group")
    if isinstance(ages, Mapping) and ages:
        metrics = list(
            dict.fromkeys(m for row in ages.values() if isinstance(row, Mapping) for m in row)
        )
        table = Table(
            "age group",
            *(m.removesuffix("_rate").replace("_", " ") for m in metrics),
            title="By age group",
            box=style,
            title_justify="left",
        )
        for column in table.columns[1:]:
            column.justify = "right"
        for group, row in ages.items():
            row = row if isinstance(row, Mapping) else {}
            table.add_row(Text(str(group)), *(Text(format_value(m, row.get(m))) for m in metrics))
        console.print(table)
    if provenance:
        table = Table("provenance", "", box=style)
        for key, value in provenance.items():
            if isinstance(value, Mapping):
                text = ", ".join(f"{k} {v}" for k, v in value.items())
            elif key == "wall_seconds" and isinstance(value, float):
                text = f"{value:.2f} s"
            else:
                text = f"{value:,}" if isinstance(value, int) and key != "seed" else str(value)
            table.add_row(Text(key), Text(text))
        console.print(table)


from gridtwin.calibrate.cli import calibrate  # noqa: E402 (click only)
from gridtwin.catalogue_cli import levers  # noqa: E402 (click only)
from gridtwin.experiments.cli import experiment as _experiment  # noqa: E402 (click only)
from gridtwin.viz.cli import viewer  # noqa: E402 - the viewer's command, registered last

cli.add_command(levers)
scenarios.add_command(levers, "levers")  # the same catalogue under the scenarios group
cli.add_command(_experiment)
cli.add_command(calibrate)
cli.add_command(viewer)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``gridtwin`` command."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="gridtwin")
