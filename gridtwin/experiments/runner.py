"""Running an experiment: every (point, replication) through a ``concurrent.futures`` executor.

The process that owns the store submits the runs and commits each one as it finishes, so a
killed runner loses no finished run and the same command resumes where it stopped. The
scenario (with the ``set`` constants) is shipped to each worker once — a process pool's
initializer, or one broadcast ``scatter`` on a Dask cluster — and a run carries only its
point's ``dotted.path=value`` items and its seed.

Executors: the runs of one worker go in this process, one after another (no pool);
``workers > 1`` uses a :class:`~concurrent.futures.ProcessPoolExecutor`; a Dask cluster (an
address, or a ``LocalCluster`` of this machine) is used through ``Client.get_executor()``, the
same interface, so an experiment moves from a laptop to a cluster unchanged.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from gridtwin.experiments.design import Design, build_design, run_seed
from gridtwin.experiments.loader import LoadedExperiment, load_experiment, override
from gridtwin.experiments.store import Store

__all__ = ["RunRecord", "Task", "default_store", "execute", "run", "run_experiment"]


@dataclass(frozen=True, slots=True)
class Task:
    """One run to do: what a worker receives besides the (once shipped) scenario."""

    run_id: int
    point: int
    replication: int
    seed: int
    overrides: tuple[str, ...]
    keep_timeseries: bool = False


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What came back from one run."""

    run_id: int
    status: str
    """``succeeded`` or ``failed``."""
    error: str | None
    wall_seconds: float
    kpis: dict[str, Any] | None
    scenario_sha256: str | None
    timeseries: pa.Table | None = None


_WORKER_SCENARIO: dict[str, Any] = {}
"""The scenario a pool worker received once from its initializer."""


def _install(scenario: Any) -> None:
    _WORKER_SCENARIO["base"] = scenario


def execute(task: Task, scenario: Any = None) -> RunRecord:
    """Run one task (in a worker): the point's scenario, the seed, the KPIs; never raises.

    Args:
        task: The run.
        scenario: The base scenario; None in a pool worker, which got it once at start-up.
    """
    from gridtwin.runner import run as run_scenario
    from gridtwin.runner import simulate
    from gridtwin.scenarios.checks import cross_check
    from gridtwin.scenarios.loader import ScenarioError, apply_overrides
    from gridtwin.scenarios.schema import Scenario

    t0 = time.perf_counter()
    try:
        base = scenario if scenario is not None else _WORKER_SCENARIO["base"]
        data = apply_overrides(base.model_dump(mode="json", by_alias=True), task.overrides)
        s = Scenario.model_validate(data)
        problems = cross_check(s)
        if problems:
            raise ScenarioError(problems, source="design point")
        series = None
        if task.keep_timeseries:
            result = run_scenario(s, seed=task.seed)
            kpis, series = result.kpis, result.timeseries
        else:
            kpis = simulate(s, seed=task.seed)
        sha = str(kpis["scenario_sha256"])
        wall = time.perf_counter() - t0
        return RunRecord(task.run_id, "succeeded", None, wall, kpis, sha, series)
    except Exception as exc:  # a failed run is recorded and the batch goes on
        wall = time.perf_counter() - t0
        text = f"{type(exc).__name__}: {exc}"
        return RunRecord(task.run_id, "failed", text, wall, None, None)


def default_store(loaded: LoadedExperiment) -> Path:
    """``results.duckdb`` beside the experiment file, or ``runs/NAME/`` for a built-in."""
    if loaded.base_dir is not None:
        return loaded.base_dir / "results.duckdb"
    return Path("runs") / loaded.source / "results.duckdb"


def tasks(loaded: LoadedExperiment, design: Design) -> list[Task]:
    """Every run of the experiment, in run-id order."""
    spec = loaded.spec
    keep = "timeseries" in spec.keep
    out = []
    for p in design.points:
        items = tuple(override(k, v) for k, v in p.values.items())
        for r in range(spec.replications):
            out.append(
                Task(p.id * spec.replications + r, p.id, r, run_seed(spec, p.id, r), items, keep)
            )
    return out


def _results(
    todo: list[Task], scenario: Any, workers: int, dask: str | None, dask_local: int | None
) -> Iterator[RunRecord]:
    """Each run's record as soon as it finishes (in this process: one after another)."""
    if dask is None and dask_local is None and workers <= 1:
        for t in todo:
            yield execute(t, scenario)
        return
    with _executor(scenario, workers, dask, dask_local) as (ex, arg):
        futures = [ex.submit(execute, t, arg) for t in todo]
        for fut in as_completed(futures):
            yield fut.result()


@contextmanager
def _executor(
    scenario: Any, workers: int, dask: str | None, dask_local: int | None
) -> Iterator[tuple[Executor, Any]]:
    """The executor and the scenario argument each run gets (None: installed in the worker)."""
    if dask is not None or dask_local is not None:
        from distributed import Client, LocalCluster

        cluster = None
        if dask_local is not None:
            cluster = LocalCluster(
                n_workers=dask_local,
                threads_per_worker=1,
                dashboard_address=None,
                host="127.0.0.1",
            )
        client = Client(cluster if cluster is not None else dask)
        try:
            shipped = client.scatter(scenario, broadcast=True, hash=False)
            with client.get_executor() as ex:
                yield ex, shipped
        finally:
            client.close()
            if cluster is not None:
                # workers still unwinding are killed after a grace period: not worth a warning
                nanny = logging.getLogger("distributed.nanny")
                level = nanny.level
                nanny.setLevel(logging.ERROR)
                try:
                    cluster.close()
                finally:
                    nanny.setLevel(level)
    else:
        # An explicit start method, whatever an imported library set globally (Mesa's batch
        # runner forces "spawn" when imported): fresh interpreters, safe beside DuckDB's threads.
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_install,
            initargs=(scenario,),
        ) as ex:
            yield ex, None


def run_experiment(
    loaded: LoadedExperiment,
    store: str | Path,
    workers: int | None = None,
    dask: str | None = None,
    dask_local: int | None = None,
    on_progress: Callable[[int, int, int], None] | None = None,
) -> pa.Table:
    """Run what is not done yet and return the ``runs`` table.

    Args:
        loaded: The experiment.
        store: The DuckDB file (``":memory:"`` for none).
        workers: Local processes (default: the number of cores; 1 runs here).
        dask: Address of a Dask scheduler (``tcp://host:8786``).
        dask_local: Start a Dask ``LocalCluster`` of this many workers.
        on_progress: Called with (done, failed, total) as runs finish.

    Raises:
        StoreError: If the store holds another experiment's results.
    """
    design = build_design(loaded.spec, loaded.base_dir)
    spec = loaded.spec
    with Store(store, loaded.sha256) as db:
        db.initialise(
            spec.name or Path(loaded.source).stem, loaded.text, spec.scenario,
            design.method, design.points,
        )
        done = db.done()
        every = tasks(loaded, design)
        todo = [t for t in every if t.run_id not in done]
        points = {p.id: p for p in design.points}
        n_done, n_failed = len(every) - len(todo), 0
        if on_progress is not None:
            on_progress(n_done, n_failed, len(every))
        if todo:
            n = workers if workers is not None else (os.cpu_count() or 1)
            by_id = {t.run_id: t for t in todo}
            for rec in _results(todo, loaded.scenario, n, dask, dask_local):
                t = by_id[rec.run_id]
                db.add_run(
                    rec.run_id, points[t.point], t.replication, t.seed, rec.status,
                    rec.error, rec.wall_seconds, rec.kpis, rec.scenario_sha256, rec.timeseries,
                )
                n_done += rec.status == "succeeded"
                n_failed += rec.status == "failed"
                if on_progress is not None:
                    on_progress(n_done, n_failed, len(every))
        return db.runs()


def run(
    experiment: str | Path | LoadedExperiment,
    store: str | Path | None = None,
    workers: int = 1,
    dask: str | None = None,
    dask_local: int | None = None,
) -> Any:
    """Run an experiment from Python (a notebook) and return its runs as a pandas DataFrame.

    Args:
        experiment: A built-in name, an experiment file or an already loaded experiment.
        store: The DuckDB file to keep (and resume) the results in; None keeps them in memory.
        workers: Local processes; 1 (the default) runs in this process.
        dask: Address of a Dask scheduler.
        dask_local: Start a Dask ``LocalCluster`` of this many workers.

    Raises:
        ExperimentError: If the experiment file is invalid (nothing has run).
        StoreError: If the store holds another experiment's results.
    """
    loaded = experiment if isinstance(experiment, LoadedExperiment) else load_experiment(experiment)
    where = ":memory:" if store is None else store
    return run_experiment(loaded, where, workers, dask, dask_local).to_pandas()
