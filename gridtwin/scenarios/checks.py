"""Cross checks: the scenario rules that tie parts together, and the :class:`Problem` report.

Structural rules (types, ranges) are checked by pydantic, field by field, when a
:class:`~gridtwin.scenarios.schema.Scenario` is validated. The rules checked here span several
parts (a case type names a department that exists, age-group shares add up to one), so they
run on an already valid scenario. :func:`cross_check` returns every problem found, each with
the path of the field at fault, instead of stopping at the first.

This module imports :mod:`gridtwin.scenarios.schema`, never the other way round.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from gridtwin.scenarios.discovery_checks import lever_problems
from gridtwin.scenarios.geojson import check_cells
from gridtwin.scenarios.schema import (
    AdminItem,
    AgeGroup,
    ChannelKind,
    DiscoveryMode,
    HiddenNeed,
    Scenario,
    UrbanEvent,
)
from gridtwin.scenarios.staffing_checks import check_staffing

__all__ = ["Problem", "cross_check", "geojson_problems"]


class Problem(BaseModel):
    """One thing wrong with a scenario: where, what value, what is allowed."""

    model_config = ConfigDict(frozen=True)

    path: str
    value: Any = None
    message: str

    def __str__(self) -> str:
        value = "" if self.value is None else f"{_short(self.value)} "
        return f"{self.path}: {value}{self.message}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def cross_check(s: Scenario) -> list[Problem]:
    """Check the rules that tie parts of a scenario together.

    Returns:
        Every problem found, in a stable order (empty when the scenario is consistent).
    """
    problems: list[Problem] = []
    depts = sorted(s.departments)
    dept_list = ", ".join(depts)

    def add(path: str, value: Any, message: str) -> None:
        problems.append(Problem(path=path, value=value, message=message))

    def need_dept(path: str, dept: str | None) -> None:
        if dept is not None and dept not in s.departments:
            add(path, dept, f"is not a department; allowed: {dept_list}")

    shares = sum(g.share for g in s.population.age_groups.values())
    if not math.isclose(shares, 1.0, abs_tol=1e-6):
        add("population.age_groups", round(shares, 6), "shares must add up to 1")
    profiles = {"flat", *s.services.profiles}
    seen: set[str] = set()
    type_ids = {ct.id for ct in s.services.case_types}
    by_id = {ct.id: ct for ct in s.services.case_types}
    plain_items = {
        ct.id for ct in s.services.case_types if isinstance(ct, AdminItem) and not ct.bundle_of
    }
    for i, ct in enumerate(s.services.case_types):
        base = f"services.case_types[{i}]"
        if ct.id in seen:
            add(f"{base}.id", ct.id, "is used by another case type")
        seen.add(ct.id)
        if ct.profile not in profiles:
            add(
                f"{base}.profile",
                ct.profile,
                f"is not a profile; allowed: {', '.join(sorted(profiles))}",
            )
        if isinstance(ct, AdminItem):
            need_dept(f"{base}.lead_department", ct.lead_department)
            for j, part in enumerate(ct.bundle_of):
                target = by_id.get(part)
                if not isinstance(target, AdminItem) or target.bundle_of or part == ct.id:
                    others = ", ".join(sorted(plain_items - {ct.id}))
                    add(
                        f"{base}.bundle_of[{j}]",
                        part,
                        f"must name another admin item that is not a bundle; allowed: {others}",
                    )
            for j, m in enumerate(ct.materials):
                need_dept(f"{base}.materials[{j}].issuer", m.issuer)
            allowed = {
                ChannelKind.PORTAL,
                ChannelKind.WINDOW,
                ChannelKind.KIOSK,
                ChannelKind.HOTLINE,
            }
            _check_channels(problems, f"{base}.channels", ct.channels, allowed)
        elif isinstance(ct, UrbanEvent):
            need_dept(f"{base}.department", ct.department)
            for j, dept in enumerate(ct.joint_departments):
                need_dept(f"{base}.joint_departments[{j}]", dept)
                if dept == ct.department:
                    add(
                        f"{base}.joint_departments[{j}]",
                        dept,
                        "is the responsible department itself; list the others",
                    )
            allowed = {ChannelKind.HOTLINE, ChannelKind.PHOTO, ChannelKind.PORTAL}
            _check_channels(problems, f"{base}.channels", ct.channels, allowed)
        elif isinstance(ct, HiddenNeed):
            need_dept(f"{base}.department", ct.department)
            if DiscoveryMode.RESIDENT in ct.discoverable_by:
                add(
                    f"{base}.discoverable_by",
                    "resident",
                    "hidden needs are never reported; allowed: patrol, sensor",
                )
        else:
            need_dept(f"{base}.department", ct.department)
            if ct.operator_resolution_share < 1 and ct.department is None:
                add(f"{base}.department", None, "is needed when operator_resolution_share < 1")
            allowed = {ChannelKind.HOTLINE, ChannelKind.CONSULTATION, ChannelKind.PORTAL}
            _check_channels(problems, f"{base}.channels", ct.channels, allowed)
    for j, surge in enumerate(s.services.surges):
        if surge.case_types != "all":
            for i, tid in enumerate(surge.case_types):
                if tid not in type_ids:
                    add(
                        f"services.surges[{j}].case_types[{i}]",
                        tid,
                        f"is not a case type; allowed: {', '.join(sorted(type_ids))}",
                    )
    for tid in s.policies.channel_overrides:
        if tid not in type_ids:
            add(
                f"policies.channel_overrides.{tid}",
                tid,
                f"is not a case type; allowed: {', '.join(sorted(type_ids))}",
            )
    for j, (a, b) in enumerate(s.policies.data_sharing.pairs):
        need_dept(f"policies.data_sharing.pairs[{j}][0]", a)
        need_dept(f"policies.data_sharing.pairs[{j}][1]", b)
    for j, dept in enumerate(s.policies.data_sharing.library_issuers):
        need_dept(f"policies.data_sharing.library_issuers[{j}]", dept)
    names = {m.name for ct in s.services.case_types if isinstance(ct, AdminItem)
             for m in ct.materials}
    for j, name in enumerate(s.policies.data_sharing.library_materials):
        if name not in names:
            add(f"policies.data_sharing.library_materials[{j}]", name,
                f"is no item's material; allowed: {', '.join(sorted(names)) or '(none)'}")
    for right, wrongs in s.policies.confusion.items():
        need_dept(f"policies.confusion.{right}", right)
        for wrong in wrongs:
            need_dept(f"policies.confusion.{right}.{wrong}", wrong)
            if wrong == right:
                add(f"policies.confusion.{right}.{wrong}", wrong, "a department cannot be "
                    "confused with itself")
        if wrongs and sum(wrongs.values()) <= 0:
            add(f"policies.confusion.{right}", dict(wrongs), "weights must not all be zero")
    centre = s.channels.window.district_centre
    if centre is not None:
        for dept in centre.specialised_windows:
            need_dept(f"channels.window.district_centre.specialised_windows.{dept}", dept)
        if s.channels.window.mode == "comprehensive" and centre.windows == 0:
            add("channels.window.district_centre.windows", 0,
                "a comprehensive district centre needs windows (is not > 0)")
    for dept in s.channels.window.specialised_windows:
        need_dept(f"channels.window.specialised_windows.{dept}", dept)
    items = s.channels.kiosk.items
    if items != "all":
        admin_ids = {ct.id for ct in s.services.case_types if isinstance(ct, AdminItem)}
        for j, item in enumerate(items):
            if item not in admin_ids:
                add(
                    f"channels.kiosk.items[{j}]",
                    item,
                    f"is not an admin item; allowed: {', '.join(sorted(admin_ids))}",
                )
    w = s.channels.window
    if w.enabled and w.mode == "specialised" and not w.specialised_windows:
        add(
            "channels.window.specialised_windows",
            {},
            "needs at least one department with windows in specialised mode",
        )
    check_staffing(s, add)
    if s.city.synthetic is not None:
        missing = [g.value for g in AgeGroup if g not in s.population.age_groups]
        if missing:
            add(
                "population.age_groups",
                sorted(s.population.age_groups),
                f"needs every age group; missing: {', '.join(missing)}",
            )
    problems += lever_problems(s)
    return problems


def _check_channels(
    problems: list[Problem], path: str, channels: tuple[ChannelKind, ...], allowed: set[ChannelKind]
) -> None:
    for j, ch in enumerate(channels):
        if ch not in allowed:
            problems.append(
                Problem(
                    path=f"{path}[{j}]",
                    value=ch.value,
                    message=f"is not a channel for this kind; allowed: "
                    f"{', '.join(sorted(c.value for c in allowed))}",
                )
            )
    if not channels:
        problems.append(Problem(path=path, value=[], message="needs at least one channel"))


def geojson_problems(path: str) -> list[Problem]:
    """Every problem of the GeoJSON city at ``path``, as scenario problems.

    Each is placed at ``city.geojson`` and carries its path into the file after a ``#``
    (``city.geojson#features[3].properties.parent``), so a user can find it in either file.
    """
    if not Path(path).is_file():
        return [
            Problem(
                path="city.geojson",
                value=path,
                message="is not a file (a relative path is read from the scenario's directory)",
            )
        ]
    return [
        Problem(
            path=f"city.geojson#{p.path}" if p.path else "city.geojson",
            value=_plain(p.value),
            message=p.message,
        )
        for p in check_cells(path)
    ]


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)
