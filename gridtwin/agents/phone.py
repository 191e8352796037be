"""Telephone lines: the 12345 hotline and the consultation line.

Seats follow a daily roster. Callers are served first come, first served; a caller whose wait
would exceed their patience hangs up when their patience runs out, and may call again later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mypy_extensions import mypyc_attr

from gridtwin.agents.channels import Channel, Intake
from gridtwin.agents.rosters import shift_groups
from gridtwin.scenarios.schema import ChannelKind, HotlineSpec
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Stage
from gridtwin.sim.sampling import quantile
from gridtwin.sim.servers import ServerPool, roster_groups

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo, GovernanceModel

__all__ = ["ConsultationLine", "Hotline"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_QUEUE, _INTAKE = Stage.QUEUE, Stage.INTAKE


@mypyc_attr(allow_interpreted_subclasses=True)
class Hotline(Channel):
    """The 12345 city hotline: an operator answers and creates a work order."""

    kind = ChannelKind.HOTLINE

    def __init__(self, model: GovernanceModel, spec: HotlineSpec) -> None:
        super().__init__(model, spec)
        seats = roster_groups(spec.seats_by_hour()) + shift_groups(spec.shifts)
        self.pool = ServerPool(self.kind.value, seats, pause_off_shift=False)
        self.talk = quantile(spec.talk_time_s, 1 / 60)
        self.patience = quantile(spec.patience_s, model.config.behaviour.patience_scale / 60)
        self.retry_delay = quantile(spec.retry_delay_min)

    def seats(self) -> ServerPool:
        """The operators' seats (one pool, rosters and surges added to it)."""
        return self.pool

    def intake(self, case: Case, info: CaseTypeInfo) -> Intake:
        """Call, wait for a seat or hang up, maybe call again; True once a call is answered."""
        env, log, code, pool = self.env, self.log, self.code, self.pool
        spec = self.spec
        attempts = 0
        while True:
            now = env.now
            start, group = pool.earliest(now)
            patience = self.patience(case.u(Draw.PATIENCE))
            if start - now > patience:
                log(case.id, Stage.HUNG_UP, code, -1, now, now + patience)
                case.waited += patience
                case.failures += 1
                yield env.timeout(patience)
                attempts += 1
                if attempts >= spec.max_attempts or case.u(Draw.RETRY) >= spec.retry_probability:
                    return False
                delay = self.retry_delay(case.u(Draw.RETRY_DELAY))
                log(case.id, Stage.RETRY_WAIT, code, -1, env.now, env.now + delay)
                yield env.timeout(delay)
                continue
            end = pool.commit(start, group, self.talk(case.u(Draw.TALK)))
            log(case.id, _QUEUE, code, -1, now, start)
            case.waited += start - now
            log(case.id, _INTAKE, code, -1, start, end)
            yield env.timeout(end - now)
            return True


@mypyc_attr(allow_interpreted_subclasses=True)
class ConsultationLine(Hotline):
    """The 24 h consultation line (一按灵): answers questions without creating a case."""

    kind = ChannelKind.CONSULTATION
