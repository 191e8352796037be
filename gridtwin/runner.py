"""Run a scenario: the model entry point and its result.

:func:`simulate` is the pure function experiments call (scenario + seed in, a record of
outcomes out); :func:`run` keeps everything a planner or a viewer wants: the KPIs, the event
log, hourly series and per-cell figures, which :meth:`RunResult.write` saves.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import simpy

import gridtwin
from gridtwin.agents.rosters import staff_hours_by_role
from gridtwin.model import GovernanceModel
from gridtwin.rundir import MANIFEST, RUN_FILES, write_run
from gridtwin.scenarios.loader import (
    ScenarioError,
    load_scenario,
    scenario_sha256,
    scenario_to_yaml,
)
from gridtwin.scenarios.schema import CaseKind, ChannelKind, Scenario
from gridtwin.scenarios.size import estimate_size, size_problem
from gridtwin.sim.cases import Outcome
from gridtwin.sim.cells import cell_figures
from gridtwin.sim.eventlog import dictionary_column, events_table
from gridtwin.sim.kpis import KpiInputs, compute_kpis
from gridtwin.sim.lever_kpis import lever_kpis
from gridtwin.sim.timeseries import hourly_series
from gridtwin.vocab import AGE_GROUPS, CHANNEL_ORDER

__all__ = ["OUTPUT_FILES", "RunResult", "run", "simulate"]

OUTPUT_FILES = (*RUN_FILES, MANIFEST)
"""What :meth:`RunResult.write` writes (``events.csv`` too on request)."""


@dataclass(frozen=True)
class RunResult:
    """Everything one run produced."""

    scenario: Scenario
    """The fully resolved scenario that ran (seed and horizon included)."""
    kpis: dict[str, Any]
    events: pa.Table
    """One row per stage of every case (see :mod:`gridtwin.sim.eventlog`)."""
    timeseries: pa.Table
    """Hourly series, long format (see :mod:`gridtwin.sim.timeseries`)."""
    cells: pa.Table
    """Figures per community, grid and street."""
    cases: pa.Table
    """One row per case: type, cell, times, outcome, trips, rating."""

    def kpis_json(self) -> str:
        """The KPIs as JSON text (stable key order, so equal runs give equal bytes)."""
        return json.dumps(self.kpis, indent=2, ensure_ascii=False) + "\n"

    def provenance(self) -> dict[str, str]:
        """Seed, scenario hash and versions: stored with every table so none loses its origin."""
        k = self.kpis
        return {
            "gridtwin.seed": str(k["seed"]),
            "gridtwin.scenario_sha256": str(k["scenario_sha256"]),
            "gridtwin.version": str(k["gridtwin_version"]),
            "gridtwin.versions": json.dumps(k["versions"], sort_keys=True),
        }

    def _stamped(self, table: pa.Table) -> pa.Table:
        return table.replace_schema_metadata({**(table.schema.metadata or {}), **self.provenance()})

    def write(self, out_dir: str | Path, csv: bool = False, overwrite: bool = False) -> list[Path]:
        """Save the outputs into the run folder ``out_dir``, whole or not at all.

        The files and the manifest ``run.json`` are written into a temporary folder beside
        ``out_dir``, which then takes its place in one step (see :mod:`gridtwin.rundir`): the
        folder is always the complete old run or the complete new one.

        Args:
            out_dir: The folder (created if needed). It must be new, empty or, with
                ``overwrite``, an earlier run.
            csv: Also write ``events.csv``.
            overwrite: Replace an earlier run in ``out_dir``.

        Returns:
            The paths written, ``run.json`` last.

        Raises:
            RunFolderError: If ``out_dir`` cannot be written, holds something that is not a
                run, or holds an earlier run and ``overwrite`` is false.
        """

        def write_files(tmp: Path) -> list[str]:
            (tmp / "kpis.json").write_text(self.kpis_json(), encoding="utf-8")
            for name, table in (
                ("events", self.events),
                ("timeseries", self.timeseries),
                ("cells", self.cells),
                ("cases", self.cases),
            ):
                pq.write_table(self._stamped(table), tmp / f"{name}.parquet")
            (tmp / "scenario.yaml").write_text(scenario_to_yaml(self.scenario), encoding="utf-8")
            names = list(RUN_FILES)
            if csv:
                pacsv.write_csv(
                    self.events.cast(_plain_schema(self.events.schema)), tmp / "events.csv"
                )
                names.append("events.csv")
            return names

        k = self.kpis
        about = {
            "scenario": self.scenario.name,
            "seed": k["seed"],
            "scenario_sha256": k["scenario_sha256"],
            "gridtwin_version": k["gridtwin_version"],
            "versions": k["versions"],
            "horizon_days": k["horizon_days"],
            "warmup_days": k["warmup_days"],
        }
        return write_run(out_dir, write_files, about, overwrite=overwrite)


def _plain_schema(schema: pa.Schema) -> pa.Schema:
    """Dictionary columns as plain strings (CSV has no dictionaries)."""
    return pa.schema(
        [pa.field(f.name, pa.string()) if pa.types.is_dictionary(f.type) else f for f in schema]
    )


def versions() -> dict[str, str]:
    """Versions of the interpreter and the libraries that shape the results, and the engine run."""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "simpy": simpy.__version__,
        "mesa": mesa.__version__,
        "engine": gridtwin.ENGINE,
    }


def _resolve(
    scenario: Scenario | str | Path, seed: int | None, days: float | None, allow_large: bool
) -> Scenario:
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    changes: dict[str, Any] = {}
    if seed is not None:
        changes["seed"] = int(seed)
    if days is not None:
        changes["horizon_days"] = float(days)
        if scenario.run.warmup_days >= float(days):
            changes["warmup_days"] = 0.0
    if changes:
        data = scenario.model_dump(mode="json", by_alias=True)
        data["run"].update(changes)
        scenario = Scenario.model_validate(data)
    if not allow_large:
        problem = size_problem(estimate_size(scenario))
        if problem is not None:
            raise ScenarioError([problem], source=scenario.name)
    return scenario


def _execute(
    scenario: Scenario, progress: Callable[[float], None] | None, base_dir: Path | None
) -> tuple[GovernanceModel, float]:
    t0 = time.perf_counter()
    model = GovernanceModel(scenario, base_dir=base_dir)
    model.run(progress)
    return model, time.perf_counter() - t0


def _staff_hours(model: GovernanceModel) -> dict[str, float]:
    """Paid staff hours per role, rework desks included."""
    acc = model.accountability
    return staff_hours_by_role(model, acc.pools if acc is not None else ())


def _kpis(
    model: GovernanceModel, cases: dict[str, np.ndarray], events: dict[str, np.ndarray], wall: float
) -> dict[str, Any]:
    s = model.config
    figures = compute_kpis(
        KpiInputs(
            cases=cases,
            events=events,
            type_kinds=[t.kind for t in model.types],
            resident_age=model.population.age_group,
            department_ids=model.department_ids,
            department_staff=[d.spec.staff for d in model.departments],
            department_calendars=[d.calendar for d in model.departments],
            department_capacity_min=[
                d.pool.capacity_minutes(model.warmup, model.horizon) for d in model.departments
            ],
            warmup=model.warmup,
            horizon=model.horizon,
            response_limit_min=s.policies.response_limit_h * 60.0,
            type_ids=[t.id for t in model.types],
            trust=np.asarray(model.trust_track, dtype=float),
        )
    )
    return {
        **figures,
        **lever_kpis(model, cases, events, int(figures["cases_resolved"]), _staff_hours(model)),  # type: ignore[call-overload]
        **model.levers.kpis(cases),
        "seed": model.seed_value,
        "scenario_sha256": scenario_sha256(s),
        "gridtwin_version": gridtwin.__version__,
        "versions": versions(),
        "horizon_days": s.run.horizon_days,
        "warmup_days": s.run.warmup_days,
        "events_processed": model.events_processed,
        "wall_seconds": round(wall, 3),
    }


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    base_dir: Path | None = None,
    allow_large: bool = False,
) -> dict[str, Any]:
    """Run once and return the KPIs only: the pure function experiments map over seeds.

    Args:
        scenario: A validated scenario (cheap to pickle to a worker process).
        seed: Overrides ``scenario.run.seed``.
        base_dir: Where relative paths in the scenario are resolved.
        allow_large: Run even if the size estimate says it would not fit on this machine.

    Raises:
        ScenarioError: If the run would not fit (see :mod:`gridtwin.scenarios.size`).
    """
    scenario = _resolve(scenario, seed, None, allow_large)
    model, wall = _execute(scenario, None, base_dir)
    return _kpis(model, model.cases.arrays(), model.log.arrays(), wall)


def run(
    scenario: Scenario | str | Path,
    seed: int | None = None,
    days: float | None = None,
    progress: Callable[[float], None] | None = None,
    base_dir: Path | None = None,
    allow_large: bool = False,
) -> RunResult:
    """Run a scenario and keep everything it produced.

    Args:
        scenario: A validated scenario, a built-in name or a YAML file.
        seed: Overrides ``run.seed``.
        days: Overrides ``run.horizon_days`` (the warm-up is dropped if it no longer fits).
        progress: Called with the fraction of simulated time done, once a simulated day.
        base_dir: Where relative paths in the scenario are resolved.
        allow_large: Run even if the size estimate says it would not fit on this machine.

    Raises:
        ScenarioError: If the scenario (or an override) is invalid, or the run would not fit
            on this machine (see :mod:`gridtwin.scenarios.size`).
        ConservationError: If a case was lost: the run is wrong.
    """
    scenario = _resolve(scenario, seed, days, allow_large)
    model, wall = _execute(scenario, progress, base_dir)
    cases = model.cases.arrays()
    events = model.log.arrays()
    kpis = _kpis(model, cases, events, wall)
    n_min = int(np.ceil(model.horizon / 60)) * 60
    dept_cap = [
        np.sum([n * cal.minute_mask(n_min) for n, cal in d.pool.groups()], axis=0)
        for d in model.departments
    ]
    seats = model.seats(ChannelKind.HOTLINE)
    hot_cap = None
    if seats is not None:
        hot_cap = np.sum([n * cal.minute_mask(n_min) for n, cal in seats.groups()], axis=0)
    type_ids = [t.id for t in model.types]
    channel_names = [k.value for k in CHANNEL_ORDER]
    return RunResult(
        scenario=scenario,
        kpis=kpis,
        events=events_table(
            model.log,
            cases,
            type_ids,
            model.city.community_ids,
            channel_names,
            model.department_ids,
        ),
        timeseries=hourly_series(
            cases,
            events,
            model.horizon,
            model.department_ids,
            dept_cap,
            hot_cap,
            trust=np.asarray(model.trust_track, dtype=float),
        ),
        cells=cell_figures(model.city, cases, model.warmup),
        cases=_case_table(cases, model, type_ids, channel_names),
    )


def _case_table(
    cases: dict[str, np.ndarray],
    model: GovernanceModel,
    type_ids: list[str],
    channel_names: list[str],
) -> pa.Table:
    outcome_names = [o.name.lower() for o in Outcome]
    age = np.full(len(cases["id"]), -1)
    has = cases["resident"] >= 0
    age[has] = model.population.age_group[cases["resident"][has]]
    return pa.table(
        {
            "case_id": cases["id"],
            "type": dictionary_column(cases["type_index"], type_ids),
            "kind": dictionary_column(_kind_codes(cases, model), [k.value for k in CaseKind]),
            "cell": dictionary_column(cases["community"], model.city.community_ids),
            "resident": cases["resident"],
            "age_group": dictionary_column(age, [g.value for g in AGE_GROUPS]),
            "arise": cases["arise"],
            "reported": _optional(cases["reported"]),
            "responded": _optional(cases["responded"]),
            "closed": _optional(cases["closed"]),
            "outcome": dictionary_column(cases["outcome"], outcome_names),
            "channel": dictionary_column(cases["channel"], channel_names),
            "department": dictionary_column(cases["department"], model.department_ids),
            "trips": cases["trips"],
            "bounces": cases["bounces"],
            "misrouted": cases["misrouted"].astype(bool),
            "rating": pa.array(
                np.where(cases["rating"] >= 0, cases["rating"], 0), mask=cases["rating"] < 0
            ),
            "satisfied": pa.array(
                np.where(cases["satisfied"] >= 0, cases["satisfied"], 0),
                mask=cases["satisfied"] < 0,
            ),
            "complaint": cases["complaint"].astype(bool),
            "warmup": cases["arise"] < model.warmup,
        }
    )


def _kind_codes(cases: dict[str, np.ndarray], model: GovernanceModel) -> np.ndarray:
    kinds = list(CaseKind)
    per_type = np.array([kinds.index(t.kind) for t in model.types], dtype=np.int32)
    return per_type[cases["type_index"]]


def _optional(times: np.ndarray) -> pa.Array:
    """Times with -1 for "not yet" as a column with nulls."""
    return pa.array(np.where(times >= 0, times, 0.0), mask=times < 0)
