"""Channels: how a case enters the system. One class per kind, registered in one place.

A channel is a Mesa agent with a SimPy intake process. :meth:`Channel.intake` is a generator
the case's process delegates to (``ok = yield from channel.intake(case, info)``): it records
the case's queue and service stages in the event log and returns whether the case was taken
in. A new channel is a new subclass added to :data:`CHANNEL_CLASSES`; the engine does not
change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
from mypy_extensions import mypyc_attr

from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.sampling import quantile
from gridtwin.vocab import CHANNEL_ORDER, ChannelKind

if TYPE_CHECKING:
    from gridtwin.agents.assisted import AssistedIntake
    from gridtwin.model import CaseTypeInfo, GovernanceModel
    from gridtwin.sim.servers import ServerPool

__all__ = ["CHANNEL_CLASSES", "CHANNEL_ORDER", "Channel", "OnlineChannel", "PhotoChannel"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_INTAKE, _INTAKE_FAILED = Stage.INTAKE, Stage.INTAKE_FAILED


Intake = Generator[Any, Any, bool]
"""What :meth:`Channel.intake` is: a SimPy sub-process returning whether the case was taken in."""


@mypyc_attr(allow_interpreted_subclasses=True)
class Channel(mesa.Agent, ABC):
    """Base of every channel.

    Args:
        model: The governance model.
        kind: Which channel this is.
    """

    kind: ClassVar[ChannelKind]

    def __init__(self, model: GovernanceModel, spec: Any) -> None:
        super().__init__(model)
        self.spec = spec
        self.code = CHANNEL_ORDER.index(self.kind)
        self.env = model.env
        self.log = model.record

    def available(self, info: CaseTypeInfo) -> bool:
        """Whether this channel can take a case of this type (beyond the type's channel list)."""
        return True

    def seats(self) -> ServerPool | None:
        """The pool of seats when this channel's staff are one pool, else ``None``."""
        return None

    @abstractmethod
    def intake(self, case: Case, info: CaseTypeInfo) -> Intake:
        """Take the case in; record its stages; return True if accepted."""

    def on_spot(self, case: Case, info: CaseTypeInfo) -> float | None:
        """Whether an application taken in here is approved at once.

        Returns the minutes the approval takes at intake (0: at once), or None when it goes
        on to the back office (the lead department's processing). Here: an item's
        ``on_the_spot_share`` of its applications are simple enough, and the channel
        approves every one of them (portal and kiosk rules, a department's own window).
        """
        return 0.0 if case.u(Draw.AT_INTAKE) < info.on_spot_share else None


@mypyc_attr(allow_interpreted_subclasses=True)
class OnlineChannel(Channel):
    """Online portal and apps (一网通办): no queue, but submissions can fail.

    The failure probability grows as digital literacy falls and with every extra app a resident
    has to pick from (app sprawl); a unified portal has no sprawl and may have its own base
    failure. With assisted service (:attr:`assist`) a helper applies for residents who
    cannot.
    """

    kind = ChannelKind.PORTAL
    assist: AssistedIntake | None = None
    """Assisted digital service, when the scenario turns it on (set by the model's levers)."""

    def __init__(self, model: GovernanceModel, spec: Any) -> None:
        super().__init__(model, spec)
        self.submit = quantile(spec.submit_min)
        self.population = model.population
        self.base_failure, self.literacy_failure, self.sprawl = self._failure_terms(model, spec)

    @staticmethod
    def _failure_terms(model: GovernanceModel, spec: Any) -> tuple[float, float, float]:
        """Base failure, added failure at literacy 0, added failure for app sprawl."""
        unified = spec.unified
        if unified.enabled:
            base = spec.base_failure if unified.base_failure is None else unified.base_failure
            return base, spec.literacy_failure, 0.0
        return (
            spec.base_failure,
            spec.literacy_failure,
            spec.sprawl_failure_per_app * (spec.apps - 1),
        )

    def failure_probability(self, literacy: float) -> float:
        """Probability that a submission by a resident with this literacy fails."""
        p = self.base_failure + self.literacy_failure * (1.0 - literacy) + self.sprawl
        return min(p, 1.0)

    def intake(self, case: Case, info: CaseTypeInfo) -> Intake:
        """Submit online: takes ``submit_min``; fails with :meth:`failure_probability`."""
        assist = self.assist
        if assist is not None and assist.wants(case):
            return (yield from assist.intake(self, case, info))
        now = self.env.now
        duration = self.submit(case.u(Draw.SUBMIT))
        literacy = self.population.literacy.item(case.resident) if case.resident >= 0 else 1.0
        ok = case.u(Draw.INTAKE_FAIL) >= self.failure_probability(literacy)
        self.log(case.id, _INTAKE if ok else _INTAKE_FAILED, self.code, -1, now, now + duration)
        if not ok:
            case.failures += 1
        yield self.env.timeout(duration)
        return ok


@mypyc_attr(allow_interpreted_subclasses=True)
class PhotoChannel(OnlineChannel):
    """Citizen photo report (随手拍): a quick upload; needs some digital literacy."""

    kind = ChannelKind.PHOTO

    @staticmethod
    def _failure_terms(model: GovernanceModel, spec: Any) -> tuple[float, float, float]:
        """Failure falls with literacy as on the portal; one app, so no sprawl."""
        portal = model.config.channels.portal
        return portal.base_failure, portal.literacy_failure, 0.0


def _registry() -> dict[ChannelKind, type[Channel]]:
    from gridtwin.agents.halls import KioskChannel, WindowChannel
    from gridtwin.agents.phone import ConsultationLine, Hotline

    return {
        ChannelKind.HOTLINE: Hotline,
        ChannelKind.CONSULTATION: ConsultationLine,
        ChannelKind.PORTAL: OnlineChannel,
        ChannelKind.WINDOW: WindowChannel,
        ChannelKind.KIOSK: KioskChannel,
        ChannelKind.PHOTO: PhotoChannel,
    }


CHANNEL_CLASSES: dict[ChannelKind, type[Channel]] = {}
"""Resident-facing channel classes by kind (filled on first use; patrol and sensors are not
chosen by residents and live in :mod:`gridtwin.agents.workers` and
:mod:`gridtwin.agents.sensors`)."""


def channel_classes() -> dict[ChannelKind, type[Channel]]:
    """The registry, filled on first use (the channel modules import this one)."""
    if not CHANNEL_CLASSES:
        CHANNEL_CLASSES.update(_registry())
    return CHANNEL_CLASSES
