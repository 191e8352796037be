"""Residents, grid workers, departments and channels: Mesa agents with SimPy processes.

The key classes of the submodules are listed in ``__all__`` and resolved on first access
(PEP 562): the agents import :mod:`gridtwin.scenarios.schema` and :mod:`gridtwin.sim`, and
parts of the engine import the agents, so importing them here eagerly would risk a cycle.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "CHANNEL_ORDER": "channels",
    "Channel": "channels",
    "OnlineChannel": "channels",
    "PhotoChannel": "channels",
    "DepartmentAgent": "departments",
    "KioskChannel": "halls",
    "WindowChannel": "halls",
    "ConsultationLine": "phone",
    "Hotline": "phone",
    "Population": "population",
    "build_population": "population",
    "ChoiceModel": "residents",
    "ResidentAgent": "residents",
    "ResidentRegistry": "residents",
    "SensorNetwork": "sensors",
    "GridWorker": "workers",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """Import a name of ``__all__`` from its submodule on first access."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
