"""Design points: which lever and uncertainty values run, and with which seeds.

Every design is built in the unit hypercube and mapped to values factor by factor
(:func:`~gridtwin.experiments.spec.factor_from_unit`): Latin hypercubes by SciPy's
``qmc.LatinHypercube``, Sobol and Morris samples by SALib's own samplers, so that SALib's
analyzers can read the results back in the same order. A point is one combination of values;
its **policy** is its lever values and its **future** its uncertainty values, numbered in order
of first appearance.

Seeds: replication ``r`` of every point runs with :func:`replication_seed` ``(seed, r)``, the
same under every policy and every future (common random numbers).
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gridtwin.experiments.spec import (
    Experiment,
    FullFactorial,
    LatinHypercube,
    Morris,
    Sobol,
    Table,
    factor_from_unit,
    factor_values,
)

__all__ = ["Design", "Point", "build_design", "replication_seed", "run_seed"]


@dataclass(frozen=True, slots=True)
class Point:
    """One design point."""

    id: int
    policy: int
    """Number of its lever values (equal lever values, equal policy)."""
    future: int
    """Number of its uncertainty values."""
    values: dict[str, Any]
    """Scenario path → value, levers first."""


@dataclass(frozen=True)
class Design:
    """The points of an experiment and, for sensitivity designs, SALib's problem and sample."""

    points: list[Point]
    method: str
    problem: dict[str, Any] | None = None
    """SALib's problem (factor names, unit bounds) for Sobol and Morris designs."""
    unit_sample: np.ndarray | None = field(default=None, repr=False)
    """The sample in the unit hypercube, one row per point (Sobol, Morris)."""


def replication_seed(seed: int, replication: int) -> int:
    """The seed of replication ``replication``: the same for every point (CRN)."""
    state = np.random.SeedSequence([seed, replication]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def run_seed(spec: Experiment, point: int, replication: int) -> int:
    """The seed of one run: :func:`replication_seed`, or one of its own without CRN."""
    if spec.common_random_numbers:
        return replication_seed(spec.seed, replication)
    state = np.random.SeedSequence([spec.seed, replication, point + 1]).generate_state(
        2, np.uint32
    )
    return int((int(state[0]) << 31) ^ int(state[1]))


def _map(spec: Experiment, names: list[str], unit: np.ndarray) -> list[dict[str, Any]]:
    factors = spec.factors
    return [
        {n: _plain(factor_from_unit(factors[n], u)) for n, u in zip(names, row, strict=True)}
        for row in unit
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _lhs(d: int, n: int, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, seed=seed).random(n)


def _grid(factors: dict[str, Any]) -> list[dict[str, Any]]:
    lists = [factor_values(f) or [] for f in factors.values()]
    return [dict(zip(factors, combo, strict=True)) for combo in itertools.product(*lists)]


def build_design(spec: Experiment, base_dir: Path | None = None) -> Design:
    """The design points of an (already checked) experiment."""
    d = spec.design
    names = list(spec.factors)
    problem = None
    unit = None
    if isinstance(d, FullFactorial):
        policies = _grid(spec.levers)
        unc = list(spec.uncertainties)
        if d.futures is not None and unc:
            futures = _map(spec, unc, _lhs(len(unc), d.futures, d.seed))
        else:
            futures = _grid(spec.uncertainties)
        rows = [{**p, **f} for p in policies for f in futures]
    elif isinstance(d, LatinHypercube):
        rows = _map(spec, names, _lhs(len(names), d.n, d.seed))
    elif isinstance(d, Sobol | Morris):
        problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
        if isinstance(d, Sobol):
            from SALib.sample import sobol

            unit = sobol.sample(problem, d.n, calc_second_order=False, seed=d.seed)
        else:
            from SALib.sample import morris

            unit = morris.sample(problem, d.n, num_levels=d.levels, seed=d.seed)
        rows = _map(spec, names, unit)
    else:
        assert isinstance(d, Table)
        rows = _read_table(Path(d.file) if base_dir is None else base_dir / d.file, names)
    return Design(_number(spec, rows), d.method, problem, unit)


def _read_table(path: Path, names: list[str]) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            {n: yaml.safe_load(row[n]) if row[n] != "" else None for n in names}
            for row in csv.DictReader(fh)
        ]


def _number(spec: Experiment, rows: list[dict[str, Any]]) -> list[Point]:
    policies: dict[str, int] = {}
    futures: dict[str, int] = {}
    points = []
    for i, row in enumerate(rows):
        lever = json.dumps([row.get(k) for k in spec.levers])
        unc = json.dumps([row.get(k) for k in spec.uncertainties])
        p = policies.setdefault(lever, len(policies))
        f = futures.setdefault(unc, len(futures))
        points.append(Point(i, p, f, {k: row.get(k) for k in spec.factors}))
    return points
