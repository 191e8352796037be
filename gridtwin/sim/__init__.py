"""The engine: SimPy time, calendars, the city grid, the case life cycle, event log and KPIs.

The key classes and functions of the submodules are listed in ``__all__`` and resolved on
first access (PEP 562): importing them here eagerly would form a cycle, since
:mod:`gridtwin.scenarios.schema` imports this package's calendar and distributions while
:mod:`~gridtwin.sim.kpis` and others import the schema and the agents.
"""

from __future__ import annotations

from gridtwin._lazy import lazy_exports

_LAZY = {
    "ArrivalProcess": ".arrivals",
    "WeeklyCalendar": ".calendar",
    "Case": ".cases",
    "Outcome": ".cases",
    "Stage": ".cases",
    "CityError": ".city",
    "CityGrid": ".city",
    "build_city": ".city",
    "Distribution": ".distributions",
    "ConservationError": ".errors",
    "CaseTable": ".eventlog",
    "EventLog": ".eventlog",
    "KpiInputs": ".kpis",
    "compute_kpis": ".kpis",
    "Streams": ".rng",
    "ServerPool": ".servers",
    "hourly_series": ".timeseries",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)
