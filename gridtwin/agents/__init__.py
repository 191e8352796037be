"""Residents, grid workers, departments and channels: Mesa agents with SimPy processes.

The key classes of the submodules are listed in ``__all__`` and resolved on first access
(PEP 562): the agents import :mod:`gridtwin.scenarios.schema` and :mod:`gridtwin.sim`, and
parts of the engine import the agents, so importing them here eagerly would risk a cycle.
"""

from __future__ import annotations

from gridtwin._lazy import lazy_exports

_LAZY = {
    "CHANNEL_ORDER": ".channels",
    "Channel": ".channels",
    "OnlineChannel": ".channels",
    "PhotoChannel": ".channels",
    "DepartmentAgent": ".departments",
    "KioskChannel": ".halls",
    "WindowChannel": ".halls",
    "ConsultationLine": ".phone",
    "Hotline": ".phone",
    "Population": ".population",
    "build_population": ".population",
    "ChoiceModel": ".residents",
    "ResidentAgent": ".residents",
    "ResidentRegistry": ".residents",
    "SensorNetwork": ".sensors",
    "GridWorker": ".workers",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
