"""The whole calibration: import, clean, cells, fit, validate, write — in that order.

:func:`calibrate` is what ``gridtwin calibrate`` runs. The output folder is written whole or
not at all (:func:`gridtwin.rundir.write_run`: files in a temporary folder, a manifest with
their hashes, one atomic swap), so a failed or killed calibration never leaves half a folder.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gridtwin
from gridtwin.calibrate import CalibrationError
from gridtwin.calibrate.cells import geojson_cells, grid_cells
from gridtwin.calibrate.cleaning import CleaningReport
from gridtwin.calibrate.fit import Fit, fit_log
from gridtwin.calibrate.importer import RequestLog, TimeParser, read_log
from gridtwin.calibrate.mappings import load_mapping
from gridtwin.calibrate.privacy import Hasher
from gridtwin.calibrate.report import write_report
from gridtwin.calibrate.summary import fit_json, statements
from gridtwin.calibrate.validate import Window, compare, local_iso
from gridtwin.calibrate.writer import GEOJSON_NAME, scenario_data, scenario_yaml
from gridtwin.rundir import RunFolderError, prepare, write_run
from gridtwin.runner import versions

__all__ = ["Calibration", "Options", "calibrate", "choose_windows"]

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Options:
    """What ``gridtwin calibrate`` was asked to do."""

    log: Path
    mapping: str
    out: Path
    cells: Path | None = None
    train_until: str | None = None
    replications: int = 5
    seed: int = 1
    follow_up_days: float = 14.0
    min_type_count: int = 30
    scenario_days: float = 28.0
    close_time: str = "km"
    calendars: bool = True
    overwrite: bool = False


@dataclass
class Calibration:
    """What a calibration produced."""

    fit: Fit
    cleaning: CleaningReport
    figures: dict[str, Any]
    """The content of ``fit.json``."""
    files: list[Path]


def _hour(x: float, up: bool = False) -> float:
    return (math.ceil(x / 3600.0) if up else math.floor(x / 3600.0)) * 3600.0


def choose_windows(log: RequestLog, train_until: str | None, tz: str | None,
                   follow_up_days: float) -> tuple[Window, Window]:
    """The training window (back-test) and the held-out window after ``train_until``.

    Without ``train_until`` the last calendar day is held out when the log spans two days or
    more, else its last quarter (whole hours).

    Raises:
        CalibrationError: ``train_until`` unreadable, outside the log, or leaving less than
            an hour on either side.
    """
    start = _hour(float(log.created_local.min()))
    last = float(log.created_local.max())
    end = _hour(last)
    if end - start < 2 * 3600:
        raise CalibrationError(
            "the log covers less than two whole hours of requests: nothing to fit and validate"
        )
    if train_until is None:
        day = math.floor(last / 86400.0) * 86400.0
        until = day if day - start >= 86400.0 and end - day >= 3600 else _hour(
            start + 0.75 * (end - start))
    else:
        parsed = TimeParser(tz, None, CleaningReport())(train_until)
        if parsed is None:
            raise CalibrationError(
                f"--train-until {train_until!r}: not a time (give ISO 8601, e.g. 2020-01-03T00:00)"
            )
        until = parsed[1]
        if not start + 3600 <= until <= end - 3600:
            raise CalibrationError(
                f"--train-until {train_until}: outside the log, which has whole hours of "
                f"requests from {local_iso(start)} to {local_iso(end)} (local time); T must "
                "leave at least an hour on each side"
            )
    follow = follow_up_days * 86400.0
    return (Window("training", start, until, until + follow),
            Window("held_out", until, end, end + follow))


def calibrate(opts: Options, progress: Progress | None = None,
              hasher: Hasher | None = None) -> Calibration:
    """Run a whole calibration and write ``opts.out``.

    Raises:
        CalibrationError: Bad input (the message says what and where).
    """
    def tell(stage: str, frac: float) -> None:
        if progress is not None:
            progress(stage, frac)

    try:
        prepare(opts.out, opts.overwrite)
    except RunFolderError as exc:
        raise CalibrationError(str(exc)) from None
    mapping = load_mapping(opts.mapping)
    tell("import", 0.0)
    log, cleaning = read_log(opts.log, mapping, hasher)
    cells = (geojson_cells(opts.cells, log.lat, log.lon) if opts.cells is not None
             else grid_cells(log.lat, log.lon))
    cleaning.outside_cells = cells.outside
    train, held = choose_windows(log, opts.train_until, mapping.timezone, opts.follow_up_days)
    mask = (log.created_local >= train.start) & (log.created_local < train.end)
    if not mask.any():
        raise CalibrationError("no request in the training period: nothing to fit")
    tell("fit", 0.0)
    fit = fit_log(log.subset(mask), cells.assigned[mask], len(cells.ids), cells.ids,
                  train.start, train.end, log.snapshot, opts.min_type_count, opts.close_time,
                  opts.calendars)
    results: dict[str, dict[str, Any]] = {}
    for window in (held, train):
        stage = f"simulate {window.label.replace('_', '-')}"

        def step(fraction: float, stage: str = stage) -> None:
            tell(stage, fraction)

        results[window.label] = compare(fit, log, cells, window, opts.seed, opts.replications,
                                        step)
    name = f"calibrated_{mapping.name}".lower().replace("-", "_")
    data = scenario_data(fit, name, opts.scenario_days, opts.seed)
    provenance = [
        f"log: {opts.log.name} (mapping '{mapping.name}'), {cleaning.rows_kept:,} requests kept "
        f"of {cleaning.rows_read:,}",
        f"training period: {results['training']['window']['start']} to "
        f"{results['training']['window']['end']} (local time); held out after it: "
        f"{results['held_out']['window']['start']} to {results['held_out']['window']['end']}",
        f"cells: {cells.source}; seed {opts.seed}; see report.md and fit.json beside this file",
    ]
    figures = fit_json(fit, cleaning, cells, results, opts, mapping.name, versions())
    figures["statements"] = statements(fit, results)

    def write_files(tmp: Path) -> list[str]:
        tell("write", 0.0)
        cells.write_geojson(tmp / GEOJSON_NAME, fit.cell_weights, name)
        (tmp / "scenario.yaml").write_text(scenario_yaml(data, fit, provenance), encoding="utf-8")
        gridtwin.load_scenario(tmp / "scenario.yaml")  # the written file must load as written
        (tmp / "fit.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False,
                                                 allow_nan=False) + "\n", encoding="utf-8")
        plots = write_report(tmp, fit, cleaning, cells, results, figures, opts)
        return ["scenario.yaml", GEOJSON_NAME, "fit.json", "report.md", *plots]

    about = {"kind": "calibration", "seed": opts.seed, "versions": versions()}
    try:
        files = write_run(opts.out, write_files, about, overwrite=True)
    except RunFolderError as exc:
        raise CalibrationError(str(exc)) from None
    return Calibration(fit, cleaning, figures, files)


