"""The levers a planner edits, grouped by the stage of the case life cycle they act on.

A lever is a scenario field with a label, a unit, a range and a help text. Edits become
``dotted.path=value`` overrides, the same the command line's ``--set`` takes, so the loader
validates them and a link (the URL's ``set`` items) reproduces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from gridtwin.sim.trace import STAGE_TERMS, JourneyStage

__all__ = [
    "STAGE_TITLES",
    "Lever",
    "LeverKind",
    "LeverStage",
    "apply_seats_delta",
    "format_override",
    "get_value",
    "grouped",
    "levers_for",
    "lifecycle_dot",
    "override_for",
    "parse_override",
    "widget_default",
]


class LeverStage(StrEnum):
    """Where in the life cycle a lever acts."""

    STAFFING = "staffing"
    CHANNELS = "channels"
    DATA_SHARING = "data_sharing"
    ROUTING = "routing"
    DISCOVERY = "discovery"
    FEEDBACK = "feedback"


STAGE_TITLES = {
    LeverStage.STAFFING: "Staffing (人员配置)",
    LeverStage.CHANNELS: "Channels (渠道)",
    LeverStage.DATA_SHARING: "Data sharing (数据共享)",
    LeverStage.ROUTING: "Routing (派单)",
    LeverStage.DISCOVERY: "Discovery (发现)",
    LeverStage.FEEDBACK: "Feedback (评价)",
}

ACTS_ON = {
    LeverStage.DISCOVERY: (JourneyStage.DISCOVERY,),
    LeverStage.CHANNELS: (JourneyStage.CHANNEL,),
    LeverStage.STAFFING: (JourneyStage.QUEUE, JourneyStage.PROCESSING),
    LeverStage.ROUTING: (JourneyStage.ROUTING,),
    LeverStage.DATA_SHARING: (JourneyStage.MATERIALS,),
    LeverStage.FEEDBACK: (JourneyStage.RATING,),
}
"""The life-cycle stages each group of levers changes (drawn on the Overview's diagram)."""


class LeverKind(StrEnum):
    """The widget a lever needs."""

    INT = "int"
    FLOAT = "float"
    SHARE = "share"
    BOOL = "bool"
    CHOICE = "choice"
    SEATS = "seats"
    """A change added to every hour of a seat roster (a number or 24 numbers)."""


@dataclass(frozen=True, slots=True)
class Lever:
    """One editable scenario field."""

    path: str
    label: str
    stage: LeverStage
    kind: LeverKind
    unit: str = ""
    help: str = ""
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The widget key."""
        return f"lever:{self.path}"

    @property
    def title(self) -> str:
        """Label with the unit, as the widget shows it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


_S, _C, _D, _R, _F, _V = (
    LeverStage.STAFFING,
    LeverStage.CHANNELS,
    LeverStage.DATA_SHARING,
    LeverStage.ROUTING,
    LeverStage.FEEDBACK,
    LeverStage.DISCOVERY,
)
_I, _FL, _SH, _B, _CH = (
    LeverKind.INT,
    LeverKind.FLOAT,
    LeverKind.SHARE,
    LeverKind.BOOL,
    LeverKind.CHOICE,
)

_FIXED: tuple[Lever, ...] = (
    Lever(
        "channels.hotline.seats",
        "12345 hotline seats, change in every hour",
        _S,
        LeverKind.SEATS,
        "seats",
        "Added to (or taken from) the seats of every hour of the hotline's daily roster; "
        "an hour never goes below 0 seats.",
        -20,
        50,
        1,
    ),
    Lever(
        "channels.window.windows_per_hall",
        "Windows per service hall",
        _S,
        _I,
        "windows",
        "Counters open in each hall. Too few and the queue outlasts the opening hours: "
        "residents come back another day (another trip).",
        1,
        100,
        1,
    ),
    Lever("channels.hotline.enabled", "12345 hotline open", _C, _B, "", "The 24 h city hotline."),
    Lever(
        "channels.consultation.enabled",
        "Consultation line open (一按灵)",
        _C,
        _B,
        "",
        "A help line that answers questions without creating a case.",
    ),
    Lever(
        "channels.portal.enabled",
        "Online portal open (一网通办)",
        _C,
        _B,
        "",
        "Apply or report online; fails more often for residents with low digital literacy.",
    ),
    Lever(
        "channels.portal.apps",
        "Apps a resident must choose from",
        _C,
        _I,
        "apps",
        "App sprawl: every extra app adds to the chance an online submission fails.",
        1,
        200,
        1,
    ),
    Lever("channels.window.enabled", "Service-hall windows open", _C, _B, "", "Walk-in counters."),
    Lever(
        "channels.window.mode",
        "Window mode",
        _C,
        _CH,
        "",
        "Comprehensive windows accept every item; specialised windows serve one department.",
        choices=("comprehensive", "specialised"),
    ),
    Lever(
        "channels.window.halls",
        "Service halls",
        _C,
        _I,
        "halls",
        "Halls are placed at street centres; a resident walks to the nearest one.",
        1,
        100,
        1,
    ),
    Lever("channels.kiosk.enabled", "Self-service kiosks open", _C, _B, "", "24 h terminals."),
    Lever("channels.kiosk.sites", "Kiosk sites", _C, _I, "sites", "Places with kiosks.", 1, 500, 1),
    Lever(
        "channels.kiosk.terminals",
        "Kiosk terminals",
        _C,
        _I,
        "terminals",
        "Terminals per site.",
        1,
        1000,
        1,
    ),
    Lever(
        "channels.photo.enabled",
        "Photo reports open (随手拍)",
        _C,
        _B,
        "",
        "Residents snap and upload a problem; it also makes them more likely to report.",
    ),
    Lever(
        "policies.data_sharing.mode",
        "Data sharing between departments",
        _D,
        _CH,
        "",
        "none: the resident fetches every material in person; pairs: listed department pairs "
        "share; library: a shared electronic certificate library.",
        choices=("none", "pairs", "library"),
    ),
    Lever(
        "policies.data_sharing.library_coverage",
        "Certificate library coverage",
        _D,
        _SH,
        "share of materials",
        "Share of materials found in the library (X district: 93.52%).",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "policies.platforms",
        "Platforms each case is entered into",
        _D,
        _I,
        "platforms",
        "Unconnected platforms cost staff time for duplicate entry (machines adding people).",
        1,
        20,
        1,
    ),
    Lever(
        "policies.dispatch_accuracy",
        "Dispatch accuracy",
        _R,
        _SH,
        "probability",
        "Chance that the operations centre sends a case with unclear responsibility to the "
        "right department. No trustworthy published figure exists: explore it.",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "policies.max_bounces",
        "Bounces before closing unresolved",
        _R,
        _I,
        "bounces",
        "A wrong department sends an order back (退单); after this many the case is closed "
        "unresolved (or, with the whistle, the responsible department is summoned).",
        0,
        20,
        1,
    ),
    Lever(
        "policies.whistle",
        "Blow the whistle (吹哨报到)",
        _R,
        _B,
        "",
        "Instead of closing a case that bounced too often, the street summons the department.",
    ),
    Lever(
        "policies.joint_dispatch",
        "Joint dispatch (联派联办)",
        _R,
        _B,
        "",
        "Departments of a case that needs several work in parallel, not one after another.",
    ),
    Lever(
        "policies.one_thing",
        "One thing (一件事)",
        _R,
        _B,
        "",
        "A bundle of items is one application, its items processed in parallel.",
    ),
    Lever(
        "channels.patrol.workers_per_grid",
        "Grid workers per grid (网格员)",
        _V,
        _I,
        "workers",
        "Workers patrolling each grid: they find problems and hidden needs.",
        0,
        100,
        1,
    ),
    Lever(
        "channels.patrol.detect_probability",
        "Patrol: chance to spot a problem on a visit",
        _V,
        _SH,
        "probability",
        "Per inspection of a community with an open, unreported event.",
        0.0,
        1.0,
        0.01,
    ),
    Lever("channels.sensor.enabled", "Sensors on", _V, _B, "", "IoT sensors and water meters."),
    Lever(
        "channels.sensor.community_coverage",
        "Communities with event sensors",
        _V,
        _SH,
        "share of communities",
        "Sensors find leaks and flooding in covered communities.",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "channels.sensor.water_meter_coverage",
        "Elderly living alone with a smart water meter (水管家)",
        _V,
        _SH,
        "share of residents",
        "A meter flags abnormal water use: the only way besides visits to find a hidden need.",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "behaviour.satisfaction.rating_probability",
        "Residents who rate the service (好差评)",
        _F,
        _SH,
        "probability",
        "Chance a resident rates a closed case.",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "behaviour.satisfaction.trust_learning_rate",
        "How far one rating moves trust",
        _F,
        _SH,
        "fraction",
        "Trust moves this far towards 1 after a good experience, towards 0 after a bad one; "
        "trust shapes later reporting and channel choice.",
        0.0,
        1.0,
        0.01,
    ),
    Lever(
        "policies.response_limit_h",
        "Response counted within",
        _F,
        _FL,
        "h",
        "A case counts as responded to (response rate) if its intake completes this soon.",
        0.5,
        720.0,
        0.5,
    ),
)


def get_value(values: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of a resolved scenario mapping (None if absent)."""
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def levers_for(values: Mapping[str, Any]) -> list[Lever]:
    """The levers of a scenario (one staff lever per department), present fields only.

    Args:
        values: The fully resolved scenario as a mapping (``model_dump(mode="json")``).
    """
    out = []
    for dept_id, dept in (values.get("departments") or {}).items():
        name = str(dept.get("name") or dept_id)
        out.append(
            Lever(
                f"departments.{dept_id}.staff",
                f"{name}: staff",
                _S,
                _I,
                "people",
                f"Staff of {name} processing cases in its working hours.",
                1,
                10_000,
                1,
            )
        )
    out.extend(lever for lever in _FIXED if get_value(values, lever.path) is not None)
    return out


def grouped(levers: Iterable[Lever]) -> dict[LeverStage, list[Lever]]:
    """Levers by life-cycle stage, in the stages' order (empty stages left out)."""
    out: dict[LeverStage, list[Lever]] = {}
    for stage in LeverStage:
        mine = [lever for lever in levers if lever.stage is stage]
        if mine:
            out[stage] = mine
    return out


def apply_seats_delta(seats: int | Sequence[int], delta: int) -> int | list[int]:
    """Seats with ``delta`` added to every hour, never below 0."""
    if isinstance(seats, int):
        return max(0, seats + delta)
    return [max(0, int(s) + delta) for s in seats]


def _seats_delta(base: int | Sequence[int], edited: Any) -> int:
    """The change that turns ``base`` seats into ``edited`` (0 if none does)."""
    top = max(base) if isinstance(base, Sequence) else base
    for delta in range(-int(top) - 1, 1001):
        if apply_seats_delta(base, delta) == edited:
            return delta
    return 0


def format_override(path: str, value: Any) -> str:
    """``path=value`` as the loader reads it (``--set``)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        text = "[" + ",".join(str(v) for v in value) + "]"
    elif isinstance(value, float):
        text = f"{value:.10g}"
    else:
        text = str(value)
    return f"{path}={text}"


def parse_override(item: str) -> tuple[str, Any]:
    """``(path, value)`` of a ``path=value`` item (the value read as YAML, as the loader does)."""
    path, _, text = item.partition("=")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        value = text
    return path.strip(), value


def widget_default(lever: Lever, values: Mapping[str, Any], overrides: Sequence[str]) -> Any:
    """What the lever's widget shows: the override if one is set, else the scenario's value."""
    base = get_value(values, lever.path)
    current = base
    for item in overrides:
        path, value = parse_override(item)
        if path == lever.path:
            current = value
    if lever.kind is LeverKind.SEATS:
        return _seats_delta(base, current) if current != base else 0
    if lever.kind is LeverKind.CHOICE:
        return str(current) if str(current) in lever.choices else lever.choices[0]
    if lever.kind is LeverKind.BOOL:
        return bool(current)
    if lever.kind is LeverKind.INT:
        return int(current)
    return float(current)


def override_for(lever: Lever, chosen: Any, values: Mapping[str, Any]) -> str | None:
    """The override a widget's value makes, or None when it equals the scenario's value."""
    base = get_value(values, lever.path)
    if lever.kind is LeverKind.SEATS:
        if not chosen:
            return None
        return format_override(lever.path, apply_seats_delta(base, int(chosen)))
    if lever.kind in (LeverKind.FLOAT, LeverKind.SHARE):
        same = abs(float(chosen) - float(base)) < 1e-12
    else:
        same = chosen == base
    return None if same else format_override(lever.path, chosen)


def lifecycle_dot() -> str:
    """The case life cycle as a Graphviz diagram, with each lever group beside its stages."""
    lines = [
        "digraph lifecycle {",
        "  rankdir=TB; bgcolor=transparent; nodesep=0.4; ranksep=0.25;",
        '  node [shape=box, style="rounded,filled", fillcolor="#e8f0fe", fontname=Helvetica];',
        '  edge [color="#555555"];',
    ]
    stages = list(JourneyStage)
    for stage in stages:
        en, zh = STAGE_TERMS[stage]
        lines.append(f'  {stage.value} [label="{en}\\n{zh}"];')
    lines.append("  " + " -> ".join(s.value for s in stages) + ";")
    lines.append(
        '  node [shape=note, style=filled, fillcolor="#fff4d6", fontname=Helvetica, fontsize=10];'
    )
    for group, targets in ACTS_ON.items():
        lines.append(f'  lever_{group.value} [label="lever: {STAGE_TITLES[group]}"];')
        for target in targets:
            lines.append(f"  lever_{group.value} -> {target.value} [style=dashed];")
    lines.append("}")
    return "\n".join(lines)
