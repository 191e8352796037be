"""Experiments: policies x futures x replications, run anywhere, stored, compared honestly.

An experiment file names a scenario, its **levers** (policy choices) and **uncertainties**
(futures), a **design** that crosses them, **replications** with common random numbers, and the
**outcomes** to compare (see :mod:`~gridtwin.experiments.spec`). :func:`run` runs it through a
``concurrent.futures`` executor (in this process, local processes or a Dask cluster) into a
DuckDB store (:mod:`~gridtwin.experiments.store`) and returns the runs as a pandas DataFrame;
:func:`analyse` and :mod:`~gridtwin.experiments.report` turn a store into tables and a report.
:mod:`~gridtwin.experiments.stats` holds the confidence intervals every comparison uses (the
viewer's too).

Names are loaded on first use (PEP 562): importing the package imports nothing heavy and has
no side effect (no multiprocessing start method is set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridtwin._lazy import lazy_exports

if TYPE_CHECKING:
    from gridtwin.experiments.analysis import Analysis, analyse
    from gridtwin.experiments.design import Design, Point, build_design, replication_seed
    from gridtwin.experiments.loader import (
        ExperimentError,
        LoadedExperiment,
        builtin_experiments,
        load_experiment,
    )
    from gridtwin.experiments.runner import run, run_experiment
    from gridtwin.experiments.spec import Direction, Experiment
    from gridtwin.experiments.stats import Interval, mean_ci, paired_ci, replications_needed
    from gridtwin.experiments.store import Store, StoreError

__all__ = [
    "Analysis",
    "Design",
    "Direction",
    "Experiment",
    "ExperimentError",
    "Interval",
    "LoadedExperiment",
    "Point",
    "Store",
    "StoreError",
    "analyse",
    "build_design",
    "builtin_experiments",
    "load_experiment",
    "mean_ci",
    "paired_ci",
    "replication_seed",
    "replications_needed",
    "run",
    "run_experiment",
]

_LAZY = {
    "Analysis": ".analysis",
    "analyse": ".analysis",
    "Design": ".design",
    "Point": ".design",
    "build_design": ".design",
    "replication_seed": ".design",
    "ExperimentError": ".loader",
    "LoadedExperiment": ".loader",
    "builtin_experiments": ".loader",
    "load_experiment": ".loader",
    "run": ".runner",
    "run_experiment": ".runner",
    "Direction": ".spec",
    "Experiment": ".spec",
    "Interval": ".stats",
    "mean_ci": ".stats",
    "paired_ci": ".stats",
    "replications_needed": ".stats",
    "Store": ".store",
    "StoreError": ".store",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
