"""The Experiments page's plain functions: open a results store and shape its tables.

A store is the DuckDB file ``gridtwin experiment run`` writes (tables ``experiment``,
``points``, ``runs`` and, on request, ``timeseries``). Everything the page shows comes from
:func:`gridtwin.experiments.analyse`, the same tables the command ``gridtwin experiment
report`` prints, so the viewer and the report never disagree.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from gridtwin.experiments.analysis import Analysis, BaselineError, analyse
from gridtwin.experiments.report import markdown
from gridtwin.experiments.store import StoreError, open_existing

__all__ = [
    "StoreView",
    "find_stores",
    "open_store",
    "outcome_by_lever",
    "policy_labels",
]


@dataclass(frozen=True)
class StoreView:
    """A store read once: its runs and its analysis against a baseline."""

    path: Path
    runs: pd.DataFrame
    """Every run, one row each, as stored (failed runs included)."""
    analysis: Analysis

    @property
    def levers(self) -> list[str]:
        """The experiment's lever paths."""
        return list(self.analysis.experiment.levers)

    @property
    def outcomes(self) -> list[str]:
        """The experiment's outcome names."""
        return list(self.analysis.experiment.outcomes)

    def report(self) -> str:
        """The Markdown report (as ``gridtwin experiment report`` writes it)."""
        return markdown(self.analysis)


def find_stores(root: str | Path = ".", limit: int = 50) -> list[Path]:
    """DuckDB files under ``root/runs`` and beside the working directory, newest first."""
    base = Path(root)
    found = {p.resolve() for p in base.glob("*.duckdb")}
    runs = base / "runs"
    if runs.is_dir():
        found |= {p.resolve() for p in runs.rglob("*.duckdb")}
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:limit]


def open_store(path: str | Path, baseline: str | None = None) -> StoreView:
    """Read a store and analyse it.

    Args:
        path: The ``.duckdb`` file.
        baseline: A design point number or ``lever=value,...`` (None: the file's baseline).

    Raises:
        StoreError: If the file is missing, is not a store, is being written by a running
            experiment, or the baseline names no policy.
    """
    con = open_existing(path)
    try:
        runs = con.sql("SELECT * FROM runs ORDER BY run_id").df()
        try:
            analysis = analyse(con, baseline)
        except BaselineError as exc:
            raise StoreError(str(exc)) from None
    finally:
        with contextlib.suppress(Exception):
            con.close()
    return StoreView(Path(path), runs, analysis)


def policy_labels(view: StoreView) -> dict[int, str]:
    """Each policy as ``seats=2, windows_per_hall=1`` (last segment of each lever path)."""
    levers = view.levers
    labels = {}
    for _, row in view.analysis.policies.iterrows():
        parts = [f"{lever.rsplit('.', 1)[-1]}={_show(row[lever])}" for lever in levers]
        labels[int(row["policy"])] = ", ".join(parts) or f"policy {int(row['policy'])}"
    return labels


def _show(value: object) -> str:
    """A lever value as written in an experiment file (``2``, not ``2.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def outcome_by_lever(view: StoreView, outcome: str, lever: str) -> pd.DataFrame:
    """Per policy: the lever's value, the outcome's mean and 95% interval, and the label.

    Sorted by the lever's value, so a line through the means reads as the outcome's response
    to the lever (other levers vary between rows with the same value: the label tells them).
    """
    summary = view.analysis.summary
    rows = summary[summary["outcome"] == outcome].merge(
        view.analysis.policies[["policy", lever]], on="policy"
    )
    labels = policy_labels(view)
    rows = rows.assign(label=rows["policy"].map(labels))
    return rows.sort_values([lever, "policy"]).reset_index(drop=True)
