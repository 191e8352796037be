"""The results store: one DuckDB file per experiment, written only by the process that owns it.

Layout (a contract: the viewer reads it):

``experiment``
    one row: ``name``, ``sha256`` (of the experiment file's text), ``text`` (the file),
    ``scenario`` (what it names), ``method`` (the design), ``created``, ``gridtwin_version``.
``points``
    one row per design point: ``point``, ``policy``, ``future``, then one column per lever and
    uncertainty, named by its scenario path (``"channels.hotline.seats"``).
``runs``
    one row per run: ``run_id`` (``point * replications + replication``), ``point``,
    ``policy``, ``future``, ``replication``, ``seed``, one column per lever and uncertainty,
    ``status`` (``succeeded`` / ``failed``), ``error``, ``wall_seconds``,
    ``gridtwin_version``, ``scenario_sha256``, then one column per KPI (numbers as DOUBLE,
    nested KPIs as JSON text).
``timeseries`` (with ``keep: [timeseries]``)
    ``run_id``, ``hour``, ``series``, ``key``, ``value``: the run's hourly series.

Factor values that are numbers are DOUBLE columns; anything else is JSON text.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import gridtwin
from gridtwin.experiments.design import Point

__all__ = ["RUN_COLUMNS", "Store", "StoreError", "export_tables", "open_existing", "quote"]

RUN_COLUMNS = (
    "run_id",
    "point",
    "policy",
    "future",
    "replication",
    "seed",
    "status",
    "error",
    "wall_seconds",
    "gridtwin_version",
    "scenario_sha256",
)
"""The fixed columns of ``runs`` (factor and KPI columns come in between and after)."""

_PROVENANCE = {"seed", "scenario_sha256", "gridtwin_version", "wall_seconds", "versions"}


class StoreError(Exception):
    """A store that cannot be used for this experiment (made by another file, unreadable)."""


def quote(name: str) -> str:
    """A DuckDB identifier (paths contain dots)."""
    return '"' + name.replace('"', '""') + '"'


def _sql_type(values: Iterable[Any]) -> str:
    vals = [v for v in values if v is not None]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
    return "DOUBLE" if vals and numeric else "VARCHAR"


def _cell(value: Any, sql_type: str) -> Any:
    if value is None:
        return None
    if sql_type == "DOUBLE":
        try:
            v = float(value)
        except (TypeError, ValueError):
            return None  # a column typed by a number in an earlier run: keep the run
        return v if math.isfinite(v) else None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


class Store:
    """An experiment's DuckDB file.

    Args:
        path: The database file (``":memory:"`` for none).
        experiment_sha256: The experiment file's hash; a store holding another is refused.
    """

    def __init__(self, path: str | Path, experiment_sha256: str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path)
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
        self.sha256 = experiment_sha256
        self._kpi_types: dict[str, str] = {}
        self._factor_types: dict[str, str] = {}
        if self._has("experiment"):
            rows = self.con.execute("SELECT sha256, name FROM experiment").fetchall()
            row = rows[0] if rows else None
            if row is None or row[0] != experiment_sha256:
                raise StoreError(
                    f"{self.path} holds the results of another experiment file "
                    f"({row[1] if row else 'unknown'}, sha256 {row[0][:12] if row else '?'}...); "
                    "give another --store, or delete it to start again"
                )
            self._load_types()

    def close(self) -> None:
        """Close the connection (every finished run is already committed)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _has(self, table: str) -> bool:
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        rows = self.con.execute(q, [table]).fetchall()
        return bool(rows and rows[0][0])

    def _columns(self, table: str) -> dict[str, str]:
        q = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?"
        return dict(self.con.execute(q, [table]).fetchall())

    def _load_types(self) -> None:
        cols = self._columns("runs")
        points = self._columns("points")
        self._factor_types = {k: v for k, v in points.items() if k not in RUN_COLUMNS}
        self._kpi_types = {
            k: v for k, v in cols.items() if k not in RUN_COLUMNS and k not in points
        }

    def initialise(
        self, name: str, text: str, scenario: str, method: str, points: list[Point]
    ) -> None:
        """Create the tables (once) and record the experiment and its points."""
        if self._has("experiment"):
            return
        factors = list(points[0].values) if points else []
        self._factor_types = {
            f: _sql_type(p.values[f] for p in points) for f in factors
        }
        fcols = "".join(f", {quote(f)} {t}" for f, t in self._factor_types.items())
        con = self.con
        con.execute("BEGIN")
        con.execute(
            "CREATE TABLE experiment (name VARCHAR, sha256 VARCHAR, text VARCHAR, "
            "scenario VARCHAR, method VARCHAR, created TIMESTAMP, gridtwin_version VARCHAR)"
        )
        con.execute(
            "INSERT INTO experiment VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, self.sha256, text, scenario, method,
             _dt.datetime.now(_dt.UTC).replace(tzinfo=None), gridtwin.__version__],
        )
        con.execute(f"CREATE TABLE points (point INTEGER, policy INTEGER, future INTEGER{fcols})")
        if points:
            rows = [
                [p.id, p.policy, p.future,
                 *(_cell(p.values[f], t) for f, t in self._factor_types.items())]
                for p in points
            ]
            marks = ", ".join("?" * (3 + len(self._factor_types)))
            con.executemany(f"INSERT INTO points VALUES ({marks})", rows)
        con.execute(
            "CREATE TABLE runs (run_id BIGINT PRIMARY KEY, point INTEGER, policy INTEGER, "
            f"future INTEGER, replication INTEGER, seed UBIGINT{fcols}, status VARCHAR, "
            "error VARCHAR, wall_seconds DOUBLE, gridtwin_version VARCHAR, "
            "scenario_sha256 VARCHAR)"
        )
        con.execute(
            "CREATE TABLE timeseries (run_id BIGINT, hour INTEGER, series VARCHAR, "
            "key VARCHAR, value DOUBLE)"
        )
        con.execute("COMMIT")

    def done(self) -> set[int]:
        """Run ids that succeeded (a resumed experiment skips them)."""
        rows = self.con.execute("SELECT run_id FROM runs WHERE status = 'succeeded'").fetchall()
        return {int(r[0]) for r in rows}

    def _kpi_column(self, key: str, value: Any) -> str:
        t = self._kpi_types.get(key)
        if t is None:
            t = _sql_type([value]) if value is not None else "DOUBLE"
            t = "DOUBLE" if t == "DOUBLE" else "VARCHAR"
            self.con.execute(f"ALTER TABLE runs ADD COLUMN IF NOT EXISTS {quote(key)} {t}")
            self._kpi_types[key] = t
        return t

    def add_run(
        self,
        run_id: int,
        point: Point,
        replication: int,
        seed: int,
        status: str,
        error: str | None,
        wall_seconds: float,
        kpis: Mapping[str, Any] | None,
        scenario_sha256: str | None,
        timeseries: pa.Table | None = None,
    ) -> None:
        """Commit one finished run (and its series), replacing an earlier failed attempt."""
        kpis = {k: v for k, v in (kpis or {}).items() if k not in _PROVENANCE}
        con = self.con
        con.execute("BEGIN")
        types = {k: self._kpi_column(k, v) for k, v in kpis.items()}
        con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
        con.execute("DELETE FROM timeseries WHERE run_id = ?", [run_id])
        names = [
            "run_id", "point", "policy", "future", "replication", "seed",
            *self._factor_types, "status", "error", "wall_seconds", "gridtwin_version",
            "scenario_sha256", *types,
        ]
        values = [
            run_id, point.id, point.policy, point.future, replication, seed,
            *(_cell(point.values.get(f), t) for f, t in self._factor_types.items()),
            status, error, wall_seconds, gridtwin.__version__, scenario_sha256,
            *(_cell(kpis[k], t) for k, t in types.items()),
        ]
        cols = ", ".join(quote(n) for n in names)
        con.execute(
            f"INSERT INTO runs ({cols}) VALUES ({', '.join('?' * len(values))})", values
        )
        if timeseries is not None and timeseries.num_rows:
            ts = timeseries.select(["hour", "series", "key", "value"])
            ts = ts.add_column(0, "run_id", pa.array([run_id] * ts.num_rows, pa.int64()))
            con.register("_ts", ts)
            con.execute(
                "INSERT INTO timeseries SELECT run_id, CAST(hour AS INTEGER), "
                "CAST(series AS VARCHAR), CAST(key AS VARCHAR), CAST(value AS DOUBLE) FROM _ts"
            )
            con.unregister("_ts")
        con.execute("COMMIT")

    def runs(self) -> pa.Table:
        """The ``runs`` table, ordered by run id."""
        return self.con.sql("SELECT * FROM runs ORDER BY run_id").to_arrow_table()


def open_existing(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open a finished store read-only (report, export).

    Raises:
        StoreError: If it is missing or is no experiment store.
    """
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"{path}: no such store (give the .duckdb file an experiment wrote)")
    try:
        con = duckdb.connect(str(p), read_only=True)
        con.execute("SELECT sha256 FROM experiment").fetchall()
    except duckdb.Error as exc:
        raise StoreError(f"{path}: is not an experiment store ({exc})") from None
    return con


def export_tables(con: duckdb.DuckDBPyConnection, out_dir: str | Path, fmt: str) -> list[Path]:
    """Write every table of a store as ``TABLE.parquet`` or ``TABLE.csv`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in ("experiment", "points", "runs", "timeseries"):
        target = out / f"{table}.{fmt}"
        options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
        path = str(target).replace("'", "''")
        con.execute(f"COPY (SELECT * FROM {table}) TO '{path}' ({options})")
        written.append(target)
    return written
