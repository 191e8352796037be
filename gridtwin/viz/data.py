"""Loading, choosing and running for the viewer: plain functions, tested without Streamlit.

Pages only lay out. What they show comes from here:

- where a scenario comes from (:class:`Source`: a built-in name, an uploaded file, a run
  folder) and whether it is valid with the planner's lever edits (:func:`load`, which never
  raises for a bad scenario: it returns the loader's problems with their field paths);
- running a scenario for several replications with progress and cancel (:func:`run_batch`), a
  cache of identical runs (:class:`RunCache`) and the session's run history with its pinned
  baseline (:class:`History`);
- reading a written run folder (:func:`open_run_dir`, the one place that knows its layout);
- tables as CSV with the scenario hash, seed and version on every row (:func:`csv_bytes`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import gridtwin
from gridtwin.kpiformat import PROVENANCE, flatten_kpis
from gridtwin.rundir import RunFolderError, verify_run
from gridtwin.runner import RunResult
from gridtwin.scenarios.checks import Problem
from gridtwin.scenarios.loader import (
    ScenarioError,
    builtin_names,
    load_scenario,
    scenario_sha256,
    scenario_to_yaml,
)
from gridtwin.scenarios.schema import Scenario
from gridtwin.scenarios.size import estimate_size, size_problem
from gridtwin.sim.city import CityError

__all__ = [
    "DEFAULT_REPLICATIONS",
    "MAX_UPLOAD_BYTES",
    "Batch",
    "History",
    "RunCache",
    "RunCancelled",
    "RunFolderError",
    "Source",
    "batch_from_run_dir",
    "builtin_choices",
    "cache_key",
    "csv_bytes",
    "load",
    "open_run_dir",
    "run_batch",
    "run_overrides",
    "scenario_yaml",
    "size_check",
    "source_from_upload",
]

MAX_UPLOAD_BYTES = 1_000_000
"""Largest scenario file the viewer accepts (a full district scenario is about 40 kB)."""
DEFAULT_REPLICATIONS = 3
"""Replications per run unless the planner asks otherwise: enough for a first interval."""


# -------------------------------------------------------------------------------- run folders
def open_run_dir(path: str | Path) -> RunResult:
    """Read a run folder written by ``gridtwin run --out`` (or :meth:`RunResult.write`).

    The viewer's one reader of run folders: :func:`gridtwin.rundir.verify_run` checks the
    folder against its manifest (every file present, sizes and hashes as written) first.

    Raises:
        RunFolderError: If the folder is not a complete run or cannot be read.
    """
    folder = Path(path).expanduser()
    verify_run(folder)
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        tables = {
            name: pq.read_table(folder / f"{name}.parquet")
            for name in ("events", "timeseries", "cells", "cases")
        }
        scenario = load_scenario(folder / "scenario.yaml")
    except ScenarioError as exc:
        raise RunFolderError(f"{folder}: its scenario.yaml is not valid: {exc}") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise RunFolderError(f"{folder}: cannot be read: {exc}") from None
    return RunResult(scenario=scenario, kpis=kpis, **tables)


# ------------------------------------------------------------------------------------ sources
@dataclass(frozen=True, slots=True)
class Source:
    """Where the scenario being edited comes from."""

    kind: str
    """``builtin``, ``upload`` or ``run_dir``."""
    name: str
    """The built-in name, the uploaded file's name or the run folder."""
    path: Path | None = None
    """The file the loader reads (``None`` for a built-in)."""

    @property
    def location(self) -> str | Path:
        """What :func:`~gridtwin.scenarios.loader.load_scenario` is given."""
        return self.path if self.path is not None else self.name

    @property
    def label(self) -> str:
        """How the source reads on a page."""
        return {
            "builtin": f"built-in scenario '{self.name}'",
            "upload": f"uploaded file {self.name}",
            "run_dir": f"run folder {self.name}",
        }.get(self.kind, self.name)

    @classmethod
    def builtin(cls, name: str) -> Source:
        """A built-in scenario (the name is checked when loading)."""
        return cls("builtin", name)

    @classmethod
    def run_dir(cls, path: str | Path) -> Source:
        """The scenario a run folder ran (its ``scenario.yaml``)."""
        return cls("run_dir", str(path), Path(path) / "scenario.yaml")


def source_from_upload(name: str, content: bytes, folder: Path) -> Source | Problem:
    """Keep an uploaded scenario file for the loader, or say why it is refused.

    The file is size-capped and must be UTF-8 text; it is stored under ``folder`` by the hash
    of its content and read with the loader (``yaml.safe_load``) like any scenario file.
    """
    if len(content) > MAX_UPLOAD_BYTES:
        return Problem(
            path=name,
            message=f"is {len(content):,} bytes; the viewer takes scenario files up to "
            f"{MAX_UPLOAD_BYTES:,} bytes",
        )
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return Problem(path=name, message="is not UTF-8 text; a scenario is a YAML file")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = folder / f"upload-{digest}.yaml"
    path.write_bytes(content)
    return Source("upload", name, path)


def load(source: Source, overrides: Sequence[str] = ()) -> tuple[Scenario | None, list[Problem]]:
    """The scenario with the overrides applied, or every problem (never a traceback).

    Returns:
        ``(scenario, [])`` when valid, ``(None, problems)`` otherwise; each problem has the
        field path, the value and what is allowed.
    """
    try:
        return load_scenario(source.location, list(overrides)), []
    except ScenarioError as exc:
        return None, list(exc.problems) or [Problem(path=source.name, message=str(exc))]
    except CityError as exc:
        return None, [Problem(path="city", message=str(exc))]


def size_check(scenario: Scenario) -> tuple[str, Problem | None]:
    """One replication's expected size in words, and why it would not fit here (if it would not).

    The engine refuses such a run (:mod:`gridtwin.scenarios.size`); the Run page says so before.
    """
    estimate = estimate_size(scenario)
    return str(estimate), size_problem(estimate)


def run_overrides(seed: int, days: float, warmup_days: float) -> list[str]:
    """The ``run.*`` overrides for a run of ``days`` with ``seed`` (no warm-up if it won't fit)."""
    out = [f"run.seed={int(seed)}", f"run.horizon_days={float(days):g}"]
    if warmup_days >= days:
        out.append("run.warmup_days=0")
    return out


# ------------------------------------------------------------------------------------ running
class RunCancelled(Exception):
    """The planner cancelled a run before it finished."""


@dataclass(frozen=True, slots=True)
class Batch:
    """The replications of one scenario: what a run on the Run page produces.

    Replication ``r`` runs with seed ``scenario.run.seed + r``, so two batches with the same
    first seed and count share their random streams (common random numbers) and pair up.
    """

    label: str
    scenario: Scenario
    results: tuple[RunResult, ...]
    overrides: tuple[str, ...] = ()
    """The lever edits against the source, as ``path=value`` items."""
    source: str = ""
    """Where the scenario came from, in words."""
    wall_seconds: float = 0.0

    @property
    def sha256(self) -> str:
        """The hash of the fully resolved scenario (seed and horizon included)."""
        return str(self.results[0].kpis["scenario_sha256"])

    @property
    def seeds(self) -> tuple[int, ...]:
        """Seed of each replication."""
        return tuple(int(r.kpis["seed"]) for r in self.results)

    @property
    def replications(self) -> int:
        """Number of replications."""
        return len(self.results)

    def kpi_rows(self) -> list[dict[str, Any]]:
        """One flat row of KPIs per replication, provenance first."""
        rows = []
        for i, result in enumerate(self.results):
            k = result.kpis
            row: dict[str, Any] = {
                "run": self.label,
                "replication": i,
                "seed": k["seed"],
                "scenario_sha256": k["scenario_sha256"],
                "gridtwin_version": k["gridtwin_version"],
            }
            row.update(
                (key, value)
                for key, value in flatten_kpis(k)
                if key.split(".")[0] not in PROVENANCE
            )
            rows.append(row)
        return rows

    def values(self, key: str) -> list[float]:
        """A flattened KPI per replication (NaN where missing or not a number)."""
        out = []
        for result in self.results:
            value = dict(flatten_kpis(result.kpis)).get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                out.append(float(value))
            else:
                out.append(float("nan"))
        return out

    def per_replication(self, table: Callable[[RunResult], pa.Table]) -> pd.DataFrame:
        """A table of every replication stacked, with replication, seed, hash and version."""
        frames = []
        for i, result in enumerate(self.results):
            frame = table(result).to_pandas()
            frame.insert(0, "replication", i)
            frames.append(_stamp(frame, result.kpis))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _stamp(frame: pd.DataFrame, kpis: dict[str, Any]) -> pd.DataFrame:
    for column in ("seed", "scenario_sha256", "gridtwin_version"):
        if column not in frame.columns:
            frame[column] = kpis[column]
    return frame


def csv_bytes(frame: pd.DataFrame, batch: Batch | None = None) -> bytes:
    """A table as CSV, every row carrying the scenario hash, seed and version.

    Rows without them get the batch's (the first replication's seed if the table does not say
    which replication a row belongs to).
    """
    frame = frame.copy()
    if batch is not None:
        if "replication" in frame.columns and "seed" not in frame.columns:
            frame.insert(1, "seed", [batch.seeds[int(r)] for r in frame["replication"]])
        frame = _stamp(frame, batch.results[0].kpis)
    missing = {"seed", "scenario_sha256", "gridtwin_version"} - set(frame.columns)
    if missing:
        raise ValueError(f"a table to download needs {', '.join(sorted(missing))}")
    return frame.to_csv(index=False).encode("utf-8")


def cache_key(scenario: Scenario, replications: int) -> tuple[str, int, int]:
    """What makes two runs identical: the resolved scenario (with seed), first seed, count."""
    return (scenario_sha256(scenario), int(scenario.run.seed), int(replications))


class RunCache:
    """Identical runs served from memory: the last ``size`` batches by :func:`cache_key`."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, int], tuple[RunResult, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: tuple[str, int, int]) -> tuple[RunResult, ...] | None:
        """The results of an identical run, if kept."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: tuple[str, int, int], results: tuple[RunResult, ...]) -> None:
        """Keep a run's results, dropping the oldest beyond ``size``."""
        with self._lock:
            self._items[key] = results
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def run_batch(
    scenario: Scenario,
    replications: int = DEFAULT_REPLICATIONS,
    *,
    label: str = "",
    overrides: Sequence[str] = (),
    source: str = "",
    progress: Callable[[float, str], object] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cache: RunCache | None = None,
) -> Batch:
    """Run ``scenario`` ``replications`` times (seeds ``run.seed``, ``run.seed + 1``, ...).

    Args:
        scenario: A validated scenario; its ``run`` section sets seed and horizon.
        replications: How many (at least one).
        label: A name for the run history.
        overrides: The lever edits it was made with (kept for the history and CSVs).
        source: Where the scenario came from, in words.
        progress: Called with the fraction done over all replications and a status text.
        should_stop: Asked once a simulated day; True cancels the run.
        cache: Identical runs (same scenario, seed and replications) come from here.

    Raises:
        RunCancelled: When ``should_stop`` said so.
    """
    import time

    if replications < 1:
        raise ValueError(f"replications must be >= 1, got {replications}")
    key = cache_key(scenario, replications)
    t0 = time.perf_counter()
    cached = cache.get(key) if cache is not None else None
    label = label or f"{scenario.name} seed {scenario.run.seed}"
    if cached is not None:
        if progress is not None:
            progress(1.0, "served from the cache of identical runs")
        return Batch(label, scenario, cached, tuple(overrides), source, 0.0)
    results = []
    base = int(scenario.run.seed)
    for r in range(replications):

        def tick(fraction: float, r: int = r) -> None:
            if should_stop is not None and should_stop():
                raise RunCancelled(f"cancelled in replication {r + 1} of {replications}")
            if progress is not None:
                progress(
                    (r + fraction) / replications,
                    f"replication {r + 1} of {replications}: day "
                    f"{fraction * scenario.run.horizon_days:.0f} of "
                    f"{scenario.run.horizon_days:g}",
                )

        results.append(gridtwin.run(scenario, seed=base + r, progress=tick))
    done = tuple(results)
    if cache is not None:
        cache.put(key, done)
    return Batch(label, scenario, done, tuple(overrides), source, time.perf_counter() - t0)


def batch_from_run_dir(path: str | Path) -> Batch:
    """A written run as a one-replication batch (for the history and every page)."""
    result = open_run_dir(path)
    name = Path(path).name or str(path)
    return Batch(f"{name} (folder)", result.scenario, (result,), (), f"run folder {path}")


# ------------------------------------------------------------------------------------ history
@dataclass
class History:
    """The session's runs, in order, with the one on show and the pinned baseline."""

    batches: list[Batch] = field(default_factory=list)
    current: int | None = None
    """Index of the run the pages show."""
    baseline: int | None = None
    """Index of the pinned baseline that KPI deltas are taken against."""

    def add(self, batch: Batch) -> int:
        """Append a run and show it; the first run becomes the baseline."""
        self.batches.append(batch)
        self.current = len(self.batches) - 1
        if self.baseline is None:
            self.baseline = self.current
        return self.current

    def shown(self) -> Batch | None:
        """The run the pages show."""
        return self.batches[self.current] if self.current is not None else None

    def pinned(self) -> Batch | None:
        """The pinned baseline."""
        return self.batches[self.baseline] if self.baseline is not None else None

    def pin(self, index: int) -> None:
        """Pin run ``index`` as the baseline."""
        if not 0 <= index < len(self.batches):
            raise IndexError(f"no run {index} in the history")
        self.baseline = index

    def labels(self) -> list[str]:
        """One line per run: number, label, replications and seeds."""
        return [
            f"#{i + 1} {b.label} ({b.replications} rep., seeds {_seed_span(b.seeds)})"
            for i, b in enumerate(self.batches)
        ]


def _seed_span(seeds: Iterable[int]) -> str:
    s = list(seeds)
    return str(s[0]) if len(s) == 1 else f"{s[0]}–{s[-1]}"


def builtin_choices() -> list[str]:
    """The built-in scenarios, ``street`` first (it runs in seconds)."""
    names = builtin_names()
    return sorted(names, key=lambda n: (n != "street", n))


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as YAML (every default filled in) for download."""
    return scenario_to_yaml(scenario)
