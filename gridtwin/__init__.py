"""gridtwin: a digital twin and policy sandbox for grid-based city governance.

Run a scenario in a few lines::

    import gridtwin

    result = gridtwin.run(gridtwin.load_scenario("tests/data/tiny.yaml"), seed=1, days=3)
    print(result.kpis["cases_total"])

``run``, ``simulate`` and ``load_scenario`` are loaded on first use (PEP 562), so
``import gridtwin`` stays cheap. ``ENGINE`` says which engine runs: ``"compiled"`` (the hot
modules built with mypyc, the default install) or ``"interpreted"`` (the same modules as
Python: ``GRIDTWIN_PURE=1``, or a source edited since the build); see :mod:`gridtwin._compiled`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from gridtwin._compiled import select
from gridtwin._lazy import lazy_exports

ENGINE = select()
"""Which engine runs: ``"compiled"`` or ``"interpreted"`` (same results, different speed)."""

try:
    __version__ = version("gridtwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from gridtwin.runner import run, simulate
    from gridtwin.scenarios.loader import load_scenario

__all__ = ["ENGINE", "__version__", "load_scenario", "run", "simulate"]

_LAZY = {
    "load_scenario": "gridtwin.scenarios.loader",
    "run": "gridtwin.runner",
    "simulate": "gridtwin.runner",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
