"""KPIs for reading: formatting with units, flattening nested figures, comparing two runs.

The command line (``gridtwin compare``, the KPI table) and the viewer both show KPIs; this
module is the one place that knows how a KPI key reads (a rate as a percentage, a time with its
unit) and how two runs' figures line up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PROVENANCE",
    "CompareRow",
    "compare_kpis",
    "flatten_kpis",
    "format_difference",
    "format_value",
    "is_share",
    "kpi_leaf",
]

PROVENANCE = (
    "seed",
    "scenario_sha256",
    "gridtwin_version",
    "versions",
    "horizon_days",
    "warmup_days",
    "wall_seconds",
    "events_processed",
)
"""KPI keys that say what was run rather than how it went."""

_UNITS = {"_s": "s", "_min": "min", "_h": "h", "_days": "days", "_seconds": "s"}


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def is_share(key: str) -> bool:
    """Whether the KPI ``key`` is a rate or share in [0, 1] (shown as a percentage)."""
    return key.endswith(("_rate", "_share")) or key.startswith("share_") or "_within_" in key


def format_value(key: str, value: Any) -> str:
    """Format one KPI for reading: rates and shares as percentages, times with units."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if is_share(key):
        return f"{value:.1%}"
    for suffix, unit in _UNITS.items():
        if key.endswith(suffix):
            return f"{value:,.2f} {unit}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}"


def format_difference(key: str, a: Any, b: Any) -> str:
    """``b - a`` for reading: percentage points for shares, the KPI's unit otherwise."""
    if not _numbers(a, b):
        return ""
    if is_share(key):
        return f"{(b - a) * 100:+.1f} pp"
    text = format_value(key, b - a)
    return text if text.startswith("-") else f"+{text}"


def flatten_kpis(kpis: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested KPIs as ``("kpis_by_age_group.elderly.resolution_rate", value)`` pairs."""
    for key, value in kpis.items():
        if isinstance(value, Mapping):
            yield from flatten_kpis(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def kpi_leaf(key: str) -> str:
    """The name that says how a flattened KPI is formatted (its unit or kind)."""
    if key.startswith("utilisation_by_department"):
        return "utilisation_share"
    return key.split(".")[-1] if key.startswith("kpis_by_") else key.split(".")[0]


@dataclass(frozen=True, slots=True)
class CompareRow:
    """One KPI of two runs side by side."""

    key: str
    """The flattened key (``kpis_by_age_group.elderly.resolution_rate``)."""
    a: Any
    b: Any

    @property
    def leaf(self) -> str:
        """The name that decides the formatting."""
        return kpi_leaf(self.key)

    @property
    def difference(self) -> float | None:
        """``b - a`` when both are numbers, else None."""
        return float(self.b - self.a) if _numbers(self.a, self.b) else None

    def texts(self) -> tuple[str, str, str, str]:
        """Key, A, B and B - A as text."""
        leaf = self.leaf
        return (
            self.key,
            format_value(leaf, self.a),
            format_value(leaf, self.b),
            format_difference(leaf, self.a, self.b),
        )


def compare_kpis(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[CompareRow]:
    """The outcome KPIs of two runs, in A's order, provenance left out."""
    flat_b = dict(flatten_kpis(b))
    skip = set(PROVENANCE)
    return [
        CompareRow(key, va, flat_b.get(key))
        for key, va in flatten_kpis(a)
        if key.split(".")[0] not in skip
    ]
