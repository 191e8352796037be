"""Which engine runs: the hot modules compiled with mypyc, or the same modules as Python.

The modules in :data:`COMPILED` are plain, fully typed Python. An install compiles them with
mypyc (``setup.py``) into C extensions next to their sources, and records a hash of each source
in :data:`STAMP`. Compiled, they compute exactly what the Python does (the test suite runs
both and compares every output), only faster.

At ``import gridtwin`` :func:`select` decides, before any of them is imported:

- ``GRIDTWIN_PURE=1`` in the environment: run the Python sources;
- not every module compiled (installed with ``GRIDTWIN_PURE=1``, or some left from another
  build): the sources;
- a source edited since the build (its hash differs from the stamp): the sources, all of them
  (compiled and source modules do not mix: most compiled classes cannot be the base of a
  class from a source), with a warning that names the file and the command that rebuilds;
- otherwise: the compiled modules.

Only the standard library is used here: ``setup.py`` reads :data:`COMPILED` from this file
without importing the package, and the Makefile runs it (``python -P gridtwin/_compiled.py``)
for the list of the compiled sources.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = [
    "COMPILED",
    "GROUP",
    "PURE",
    "STAMP",
    "decide",
    "pure_requested",
    "select",
    "source_files",
    "source_hashes",
    "source_path",
]

COMPILED: tuple[str, ...] = (
    "gridtwin.scenarios.calendar",
    "gridtwin.scenarios.quantiles",
    "gridtwin.sim.casedraws",
    "gridtwin.sim.cases",
    "gridtwin.sim.levels",
    "gridtwin.sim.lifecycle",
    "gridtwin.sim.patrol",
    "gridtwin.sim.processes",
    "gridtwin.sim.runloop",
    "gridtwin.sim.sampling",
    "gridtwin.sim.servers",
    "gridtwin.sim.typhoon",
    "gridtwin.sim.writers",
    "gridtwin.agents.accountability",
    "gridtwin.agents.alarms",
    "gridtwin.agents.apps",
    "gridtwin.agents.assisted",
    "gridtwin.agents.channels",
    "gridtwin.agents.departments",
    "gridtwin.agents.experience",
    "gridtwin.agents.halls",
    "gridtwin.agents.levers",
    "gridtwin.agents.phone",
    "gridtwin.agents.photo",
    "gridtwin.agents.population",
    "gridtwin.agents.privacy",
    "gridtwin.agents.relief",
    "gridtwin.agents.residents",
    "gridtwin.agents.rosters",
    "gridtwin.agents.sensors",
    "gridtwin.agents.tasks",
    "gridtwin.agents.visits",
    "gridtwin.agents.workers",
    "gridtwin.model",
)
"""The modules compiled: what runs for every case and every event."""

GROUP = "gridtwin.engine"
"""mypyc's group name: its shared library is the extension module ``gridtwin.engine__mypyc``."""

PURE = "GRIDTWIN_PURE"
"""The environment variable that asks for the Python sources (at import and at install)."""

STAMP = "_compiled.json"
"""The build's record, in the package folder: ``{module: sha256 of its source}``."""

_ROOT = Path(__file__).resolve().parent.parent


def source_path(module: str, root: Path = _ROOT) -> Path:
    """The source file of ``module`` (a dotted name under ``root``)."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def source_files() -> list[str]:
    """The compiled modules' sources, relative to the project's folder."""
    return [str(source_path(m, Path())) for m in COMPILED]


def pure_requested(value: str | None = None) -> bool:
    """Whether :data:`PURE` asks for the Python sources: set to anything but "" or "0".

    Args:
        value: The variable's value; ``None`` reads it from the environment.
    """
    if value is None:
        value = os.environ.get(PURE, "")
    return value not in ("", "0")


def source_hashes(modules: Sequence[str] = COMPILED, root: Path = _ROOT) -> dict[str, str]:
    """The sha256 of each module's source, by module name."""
    return {m: hashlib.sha256(source_path(m, root).read_bytes()).hexdigest() for m in modules}


def _is_compiled(module: str, root: Path) -> bool:
    """Whether a compiled extension of ``module`` sits next to its source."""
    stem = source_path(module, root).with_suffix("")
    return any(
        Path(f"{stem}{suffix}").exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def _stale(root: Path) -> list[str]:
    """The compiled modules whose source differs from the one they were built from."""
    try:
        built = json.loads((root / "gridtwin" / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return list(COMPILED)
    now = source_hashes(root=root)
    return [m for m in COMPILED if built.get(m) != now[m]]


def decide(root: Path = _ROOT, pure: str = "") -> tuple[str, list[str]]:
    """Which engine the folder ``root`` can run, and the sources edited since its build.

    Args:
        root: The folder holding the ``gridtwin`` package.
        pure: The value of ``GRIDTWIN_PURE`` ("" or "0": compiled if possible).

    Returns:
        ``("compiled", [])`` or ``("interpreted", stale modules)``.
    """
    if pure_requested(pure) or not all(_is_compiled(m, root) for m in COMPILED):
        return "interpreted", []  # asked for, or none built (or some left from another build)
    stale = _stale(root)
    return ("interpreted" if stale else "compiled"), stale


class _SourceFinder:
    """A meta-path finder that loads the compiled modules from their Python sources."""

    @classmethod
    def find_spec(
        cls, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        """The source spec of ``name`` if it is one of :data:`COMPILED`, else ``None``."""
        if name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(name, source_path(name))


def _use_sources() -> None:
    """Load every module of :data:`COMPILED` from its source from now on."""
    if _SourceFinder not in sys.meta_path:
        sys.meta_path.insert(0, _SourceFinder)  # type: ignore[arg-type]


def select() -> str:
    """Choose the engine before any of its modules is imported; returns which.

    Returns:
        ``"compiled"`` or ``"interpreted"`` (see :func:`decide`).
    """
    engine, stale = decide(pure=os.environ.get(PURE, ""))
    if engine == "interpreted":
        _use_sources()
    if stale:
        shown = ", ".join(str(source_path(m, Path())) for m in stale[:3])
        more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
        warnings.warn(
            f"gridtwin: {shown}{more} changed since the engine was compiled; running the "
            "Python sources (slower). Rebuild with `make` (or `pip install -e .`), or set "
            "GRIDTWIN_PURE=1 to silence this.",
            RuntimeWarning,
            stacklevel=2,
        )
    return engine


if __name__ == "__main__":  # the Makefile's list of what a rebuild depends on
    print(*source_files())
