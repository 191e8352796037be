"""The optional mechanisms of channels, discovery, proactive relief and privacy, wired in.

:class:`Levers` is built once the model's agents exist. It builds only what the scenario turns
on; the engine reads its hooks as ``model.levers.<hook>``, each None when off, so a lever
that is off costs one attribute test where it would act:

- ``tasks``: grid workers' call-outs (:mod:`gridtwin.agents.tasks`);
- ``watch``: hidden needs not yet found, by resident (:mod:`gridtwin.agents.visits`);
- ``alarms``: typed sensors, false alarms, camera check (:mod:`gridtwin.agents.alarms`);
- ``app_entry``: duplicate entry into staff apps (:mod:`gridtwin.agents.apps`);
- ``photo_uptake``: who reports by photo (:mod:`gridtwin.agents.photo`);
- the portal's assisted service (:mod:`gridtwin.agents.assisted`), home visits, the relief
  scan (:mod:`gridtwin.agents.relief`) and the privacy drift (:mod:`gridtwin.agents.privacy`).

:meth:`Levers.kpis` gives their outcome figures for ``kpis.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gridtwin.agents.alarms import AlarmDesk
from gridtwin.agents.apps import DuplicateEntry
from gridtwin.agents.assisted import AssistedIntake
from gridtwin.agents.channels import CHANNEL_ORDER, OnlineChannel
from gridtwin.agents.photo import PhotoReporters
from gridtwin.agents.privacy import TrustDrift, sensed_residents
from gridtwin.agents.relief import ReliefScan
from gridtwin.agents.tasks import TaskBoard, TaskKind
from gridtwin.agents.visits import HiddenWatch, VisitSchedule
from gridtwin.scenarios.base import CaseKind, ChannelKind
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.sim.kpis import rounded

if TYPE_CHECKING:
    from gridtwin.model import GovernanceModel

__all__ = ["LEVER_KPI_NAMES", "Levers"]

LEVER_KPI_NAMES = (
    "assisted_cases",
    "assisted_staff_hours",
    "app_entry_staff_hours",
    "false_alarms",
    "false_alarm_visits",
    "camera_checks",
    "camera_check_hours",
    "home_visits",
    "worker_visit_hours",
    "photo_report_share",
    "relief_found_share",
    "relief_delay_days",
    "relief_false_positives",
    "relief_visits",
    "relief_found_by_data",
)
"""The top-level KPI keys these mechanisms add to ``kpis.json``, in order."""


class Levers:
    """Builds the mechanisms a scenario turns on and sets the model's hooks.

    Args:
        model: The governance model, its agents and case types built.
    """

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        s = model.config
        ch, pol = s.channels, s.policies
        patrol_workers = bool(model.workers)
        portal = ch.portal
        assisted = portal.assisted.enabled and portal.enabled
        false_alarms = any(t.false_alarms_per_year > 0 for t in ch.sensor.by_type.values())
        visits = ch.patrol.home_visits.per_month > 0 and patrol_workers
        relief = pol.relief.enabled and patrol_workers
        needs_board = (
            (assisted and portal.assisted.provider == "grid_worker") or false_alarms or visits
        ) or relief
        self.watch = HiddenWatch(model.env) if visits or relief else None
        self.tasks = TaskBoard(model, self.watch) if needs_board and patrol_workers else None
        sensing = ch.sensor.by_type or ch.sensor.camera_confirm.enabled
        self.alarms = AlarmDesk(model, ch.sensor, self.tasks) if sensing else None
        unified = portal.unified.enabled
        apps = None if unified or portal.staff_apps.apps <= 1 else portal.staff_apps
        self.app_entry = DuplicateEntry(apps, model.warmup) if apps is not None else None
        self.assist: AssistedIntake | None = None
        online = model.channels.get(model.channel_code[ChannelKind.PORTAL])
        if assisted and isinstance(online, OnlineChannel):
            self.assist = online.assist = AssistedIntake(model, portal.assisted, self.tasks)
        photo_on = model.channel_code[ChannelKind.PHOTO] in model.channels
        self.photo_uptake: PhotoReporters | None = (
            PhotoReporters(model, ch.photo.uptake) if ch.photo.uptake.enabled and photo_on else None
        )
        self.visits = (
            VisitSchedule(model, ch.patrol.home_visits, self.tasks, self.watch)
            if visits and self.tasks is not None and self.watch is not None
            else None
        )
        self.relief = (
            ReliefScan(model, pol.relief, self.tasks, self.watch)
            if relief and self.tasks is not None and self.watch is not None
            else None
        )
        self.drift: TrustDrift | None = None
        if pol.privacy.personal_data_level > 0 and ch.sensor.enabled:
            typed = []
            if self.alarms is not None:
                typed = [np.asarray(cov, dtype=bool) for cov, _ in self.alarms.typed.values()]
            rows = sensed_residents(model, typed)
            if len(rows):
                self.drift = TrustDrift(model, pol.privacy, rows)

    def kpis(self, cases: dict[str, np.ndarray]) -> dict[str, object]:
        """The outcome figures of these mechanisms (cases and work after the warm-up)."""
        m = self.model
        board = self.tasks
        task_min = board.minutes if board is not None else [0.0] * len(TaskKind)
        task_n = board.count if board is not None else [0] * len(TaskKind)
        assisted_min = task_min[TaskKind.ASSISTED]
        if self.assist is not None:
            assisted_min += self.assist.minutes
        alarms = self.alarms
        win = cases["arise"] >= m.warmup
        reported = cases["reported"] >= 0
        kinds = np.array([t.kind is CaseKind.EVENT for t in m.types], dtype=bool)
        events = win & reported & kinds[cases["type_index"]] if len(m.types) else win
        photo = CHANNEL_ORDER.index(ChannelKind.PHOTO)
        n_events = int(events.sum())
        wanted = m.config.policies.relief.case_type
        relief_type = next((t.index for t in m.types if t.id == wanted), -1)
        needy = win & (cases["type_index"] == relief_type)
        found = needy & reported
        # Until found, or until the end of the run for a need nobody found (a restricted mean:
        # finding more needs can only lower it, never raise it by adding late finds).
        until = np.where(found, cases["reported"], m.horizon)[needy]
        delay = (until - cases["arise"][needy]) / MINUTES_PER_DAY
        relief = self.relief
        return {
            "assisted_cases": self.assist.cases if self.assist is not None else 0,
            "assisted_staff_hours": rounded(assisted_min / 60.0),
            "app_entry_staff_hours": rounded(
                self.app_entry.minutes / 60.0 if self.app_entry is not None else 0.0
            ),
            "false_alarms": alarms.false_alarms if alarms is not None else 0,
            "false_alarm_visits": task_n[TaskKind.FALSE_ALARM],
            "camera_checks": alarms.checks if alarms is not None else 0,
            "camera_check_hours": rounded(alarms.check_minutes / 60.0 if alarms else 0.0),
            "home_visits": task_n[TaskKind.HOME_VISIT],
            "worker_visit_hours": rounded(sum(task_min) / 60.0),
            "photo_report_share": (
                rounded((events & (cases["channel"] == photo)).sum() / n_events)
                if n_events
                else None
            ),
            "relief_found_share": (
                rounded(found.sum() / needy.sum()) if relief_type >= 0 and needy.any() else None
            ),
            "relief_delay_days": rounded(delay.mean()) if len(delay) else None,
            "relief_false_positives": relief.false_positives if relief is not None else 0,
            "relief_visits": relief.visits if relief is not None else 0,
            "relief_found_by_data": relief.found if relief is not None else 0,
        }
