"""The engine: SimPy time, the city grid, the case life cycle, samplers, event log and KPIs.

The engine reads the scenario format (:mod:`gridtwin.scenarios`: the schema, its calendars,
distributions and GeoJSON cells) and the shared vocabulary (:mod:`gridtwin.vocab`); neither of
them imports the engine. The key classes and functions of the submodules are listed in
``__all__`` and resolved on first access (PEP 562), so importing the package stays cheap.
"""

from __future__ import annotations

from gridtwin._lazy import lazy_exports

_LAZY = {
    "ArrivalProcess": ".arrivals",
    "Case": ".cases",
    "Outcome": ".cases",
    "Stage": ".cases",
    "CityError": ".city",
    "CityGrid": ".city",
    "build_city": ".city",
    "Quantile": ".sampling",
    "quantile": ".sampling",
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
