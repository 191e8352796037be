"""What the pages share through Streamlit: session state, caches, the URL query, downloads.

The only module besides the pages that imports Streamlit. It keeps, per browser session, the
scenario source, the lever edits, the run settings and the run history (with its pinned
baseline); across sessions, the cache of identical runs and the built cities.

The URL query holds the built-in scenario, the lever edits (``set`` items), seed, days,
replications and the page, so a link reproduces a view.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from gridtwin.rundir import MANIFEST
from gridtwin.scenarios.checks import Problem
from gridtwin.scenarios.loader import builtin_names
from gridtwin.scenarios.schema import City, Scenario
from gridtwin.sim.city import CityGrid, build_city
from gridtwin.viz.cli import OPEN_ENV, STORE_ENV
from gridtwin.viz.data import (
    DEFAULT_REPLICATIONS,
    Batch,
    History,
    RunCache,
    RunFolderError,
    Source,
    batch_from_run_dir,
    csv_bytes,
    load,
    run_overrides,
)

__all__ = [
    "OPEN_ENV",
    "PAGES",
    "city",
    "download_csv",
    "edited_scenario",
    "history",
    "load_cached",
    "need_run",
    "pick_replication",
    "overrides",
    "problem_list",
    "require_run",
    "run_cache",
    "run_settings",
    "set_overrides",
    "set_source",
    "source",
    "start_session",
    "write_query",
]

PAGES = (
    ("overview", "Overview", "views/overview.py"),
    ("scenario", "Scenario", "views/scenario.py"),
    ("run", "Run", "views/run.py"),
    ("map", "Map", "views/map.py"),
    ("dynamics", "Dynamics", "views/dynamics.py"),
    ("compare", "Compare", "views/compare.py"),
    ("journey", "Case journey", "views/journey.py"),
    ("experiments", "Experiments", "views/experiments.py"),
)
"""URL path, title and file of each page, in the menu's order."""

_HISTORY, _SOURCE, _OVERRIDES, _STARTED = "history", "source", "overrides", "started"
DEFAULT_SOURCE = Source.builtin("street")


# ------------------------------------------------------------------------------ shared caches
@st.cache_resource
def run_cache() -> RunCache:
    """Identical runs (same scenario, seed, replications) across every session."""
    return RunCache(size=8)


@st.cache_resource(max_entries=4)
def _city(city_json: str) -> CityGrid:
    return build_city(City.model_validate_json(city_json))


def city(scenario: Scenario) -> CityGrid:
    """The scenario's city grid, built once per distinct city."""
    return _city(scenario.city.model_dump_json())


@st.cache_resource(max_entries=4)
def _run_folder(path: str, mtime: float) -> Batch:
    return batch_from_run_dir(path)


def open_folder(path: str | Path) -> Batch:
    """A run folder as a batch, read once per folder (and again if it changed).

    Raises:
        RunFolderError: If it is not a complete run.
    """
    folder = Path(path).expanduser()
    manifest = folder / MANIFEST  # rewritten with every run written to the folder
    return _run_folder(
        str(folder.resolve()), manifest.stat().st_mtime if manifest.exists() else 0.0
    )


@st.cache_resource(max_entries=64)
def _load(
    src: Source, overrides: tuple[str, ...], mtime: float
) -> tuple[Scenario | None, list[Problem]]:
    return load(src, overrides)


def load_cached(
    src: Source, items: list[str] | tuple[str, ...] = ()
) -> tuple[Scenario | None, list[Problem]]:
    """:func:`~gridtwin.viz.data.load`, remembered until the source file changes.

    Every page run validates the edited scenario; the loader takes a tenth of a second or more.
    """
    mtime = src.path.stat().st_mtime if src.path is not None and src.path.exists() else 0.0
    return _load(src, tuple(items), mtime)


@st.cache_resource
def upload_dir() -> Path:
    """Where uploaded scenario files are kept for the loader (one folder per process).

    The folder is removed when the viewer's process exits.
    """
    folder = Path(tempfile.mkdtemp(prefix="gridtwin-viewer-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


# ------------------------------------------------------------------------------ session state
def history() -> History:
    """The session's runs and pinned baseline."""
    if _HISTORY not in st.session_state:
        st.session_state[_HISTORY] = History()
    found: History = st.session_state[_HISTORY]
    return found


def source() -> Source:
    """Where the scenario being edited comes from."""
    found: Source = st.session_state.get(_SOURCE, DEFAULT_SOURCE)
    return found


def set_source(new: Source) -> None:
    """Edit another scenario (its lever edits start afresh)."""
    if new != source():
        st.session_state[_SOURCE] = new
        st.session_state[_OVERRIDES] = []


def overrides() -> list[str]:
    """The lever edits as ``path=value`` items."""
    return list(st.session_state.get(_OVERRIDES, []))


def set_overrides(items: list[str]) -> None:
    """Replace the lever edits."""
    st.session_state[_OVERRIDES] = list(items)


def run_settings(scenario: Scenario | None) -> tuple[int, float, int]:
    """Seed, days and replications: the planner's, else the scenario's (days capped at 28)."""
    seed = st.session_state.get("run_seed")
    days = st.session_state.get("run_days")
    reps = st.session_state.get("run_reps", DEFAULT_REPLICATIONS)
    if scenario is not None:
        seed = scenario.run.seed if seed is None else seed
        horizon = scenario.run.horizon_days
        days = (horizon if horizon <= 60 else 28.0) if days is None else days
    return int(seed or 0), float(days or 28.0), int(reps)


def edited_scenario() -> tuple[Scenario | None, list[Problem]]:
    """The scenario with the lever edits and run settings, or its problems."""
    base, problems = load_cached(source())
    if base is None:
        return None, problems
    seed, days, _ = run_settings(base)
    return load_cached(source(), [*overrides(), *run_overrides(seed, days, base.run.warmup_days)])


def need_run() -> Batch | None:
    """The run on show; if there is none, say how to get one and return None."""
    shown = history().shown()
    if shown is None:
        st.info(
            "No run yet: run a scenario on the **Run** page, or open a run folder on the "
            "**Scenario** page (or start the viewer with `gridtwin viewer RUN_DIR`)."
        )
    return shown


def pick_replication(shown: Batch, key: str) -> int:
    """A replication of the run on show, chosen by the user (0 when there is one)."""
    choice = st.selectbox(
        "Replication",
        list(range(shown.replications)),
        format_func=lambda i: f"{i + 1} (seed {shown.seeds[i]})",
        key=key,
    )
    return int(choice or 0)


def require_run() -> Batch:
    """The run on show; without one the page says how to get one and stops here."""
    shown = need_run()
    if shown is None:
        st.stop()
        raise RuntimeError("st.stop() returned")  # it raises; this line tells the type checker
    return shown


# ------------------------------------------------------------------------------- URL and start
def start_session() -> str | None:
    """Once per session: read the URL and open the run folder given to ``gridtwin viewer``.

    The URL gives the built-in scenario, the lever edits, seed, days, replications and page.

    Returns:
        The URL path of the page the URL asks for, if any (the caller switches to it).
    """
    if st.session_state.get(_STARTED):
        return None
    st.session_state[_STARTED] = True
    query = st.query_params
    name = query.get("scenario")
    if name in builtin_names():
        set_source(Source.builtin(name))
        set_overrides([s for s in query.get_all("set") if "=" in s])
    for key, target, kind in (
        ("seed", "run_seed", int),
        ("days", "run_days", float),
        ("reps", "run_reps", int),
    ):
        text = query.get(key)
        if text is not None:
            with contextlib.suppress(ValueError):
                st.session_state[target] = kind(text)
    folder = os.environ.get(OPEN_ENV)
    if folder:
        try:
            history().add(open_folder(folder))
            set_source(Source.run_dir(folder))
        except RunFolderError as exc:
            st.session_state["open_error"] = str(exc)
    page = query.get("page")
    if page is None and os.environ.get(STORE_ENV):
        page = "experiments"  # `gridtwin viewer STORE` opens on its page
    return page if page in {p[0] for p in PAGES} else None


def write_query(page: str) -> None:
    """Put the scenario, edits, settings and page in the URL."""
    wanted: dict[str, Any] = {"page": page}
    src = source()
    if src.kind == "builtin":
        wanted["scenario"] = src.name
        if overrides():
            wanted["set"] = overrides()
    for key, target in (("seed", "run_seed"), ("days", "run_days"), ("reps", "run_reps")):
        if st.session_state.get(target) is not None:
            wanted[key] = f"{st.session_state[target]:g}"
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}:
        st.query_params.from_dict(wanted)


# ---------------------------------------------------------------------------------- elements
def problem_list(problems: list[Problem], what: str = "The scenario") -> None:
    """Validation problems as a list with their field paths (never a traceback)."""
    n = len(problems)
    st.error(
        f"{what} has {n} problem{'s' if n != 1 else ''}; fix {'them' if n != 1 else 'it'} "
        "to run it."
    )
    st.markdown(
        "\n".join(
            f"- `{p.path}`: "
            + (f"`{str(p.value)[:80]}` " if p.value is not None else "")
            + p.message.replace("\n", " ")
            for p in problems
        )
    )


def download_csv(label: str, frame: pd.DataFrame, name: str, batch: Batch | None) -> None:
    """A CSV download of ``frame``, every row with the scenario hash, seed and version."""
    st.download_button(
        f"Download {label} (CSV)",
        csv_bytes(frame, batch),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download:{name}",
        on_click="ignore",
    )
