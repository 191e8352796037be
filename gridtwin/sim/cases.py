"""The case life cycle's vocabulary: stages, outcomes and the state of one open case."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

from gridtwin.sim.casedraws import ENDS, OFFSETS, WIDTH, case_key, keyed_uniform

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.agents.residents import ResidentAgent

__all__ = ["Case", "Outcome", "Stage"]


class Stage(IntEnum):
    """A step of a case's trace. Stored as small integers; exported by name."""

    PENDING = 0
    """The need or event exists but nobody has reported or found it yet."""
    TRAVEL = 1
    """The resident travels to a hall or kiosk."""
    QUEUE = 2
    """Waiting at a channel (hotline seat, window, kiosk terminal)."""
    INTAKE = 3
    """Being served at a channel (talk time, window service, online submission)."""
    HUNG_UP = 4
    """Waited on the hotline past their patience and hung up."""
    INTAKE_FAILED = 5
    """An online or photo submission failed (low literacy, app sprawl)."""
    RETRY_WAIT = 6
    """Between a failed attempt and the next one."""
    MATERIAL_TRIP = 7
    """The resident fetches a material in person from the issuing department."""
    MATERIAL_FETCH = 8
    """The department fetches a shared material itself."""
    DISPATCH = 9
    """The work order travels from intake to a department."""
    BOUNCE = 10
    """A wrong department reviews the order and sends it back (退单)."""
    PROCESS_WAIT = 11
    """Waiting for department staff."""
    PROCESS = 12
    """Processed by department staff (in working hours)."""
    ON_SPOT = 13
    """Settled on the spot by a grid worker, or approved at intake."""
    RESOLVED = 14
    """Terminal: the problem is solved."""
    CLOSED_UNRESOLVED = 15
    """Terminal: closed without solving it (not handleable, bounced too often)."""
    ABANDONED = 16
    """Terminal: the resident gave up."""
    WHISTLE = 17
    """The street summons the responsible department (吹哨报到) after too many bounces."""
    BOUNCE_WAIT = 18
    """A misrouted order waits in the wrong department's inbox before its review."""
    HANDOVER = 19
    """A level (district, street, community platform) re-enters the work order it received."""
    HANDOVER_STALLED = 20
    """A hand-over between levels stalled until someone chased it."""


class Outcome(IntEnum):
    """How a case ended (or not) by the end of the run."""

    OPEN = 0
    RESOLVED = 1
    CLOSED_UNRESOLVED = 2
    ABANDONED = 3


TERMINAL_STAGE = {
    Outcome.RESOLVED: Stage.RESOLVED,
    Outcome.CLOSED_UNRESOLVED: Stage.CLOSED_UNRESOLVED,
    Outcome.ABANDONED: Stage.ABANDONED,
}


class Case:
    """The mutable state of one case while it is open.

    Slotted so that a misspelt attribute fails loudly. When the case closes its state is copied
    into the columnar case table and the object is dropped.
    """

    __slots__ = (
        "id",
        "type_index",
        "community",
        "resident",
        "arise",
        "reported",
        "responded",
        "channel",
        "department",
        "trips",
        "bounces",
        "misrouted",
        "waited",
        "failures",
        "materials",
        "exempt",
        "on_spot",
        "shared",
        "found",
        "patrol_left",
        "patrol_at",
        "patrol_seq",
        "agent",
        "_row",
        "_base",
        "_used",
        "_ends",
        "_seed",
        "_key",
        "_plan",
    )

    def __init__(
        self,
        case_id: int,
        type_index: int,
        community: int,
        resident: int,
        arise: float,
        draws: Sequence[float] = (),
        seed: int = 0,
        base: int = 0,
        plan: tuple[tuple[int, int], ...] | None = None,
    ):
        self.id = case_id
        self.type_index = type_index
        self.community = community
        self.resident = resident
        """Resident index, or -1 when no resident is attached (an event nobody reported)."""
        self.arise = arise
        self.reported = -1.0
        """When the case entered a channel or was found (-1: not yet)."""
        self.responded = -1.0
        """When intake completed (-1: not yet)."""
        self.channel = -1
        """Index of the channel that took the case in (-1: none yet)."""
        self.department = -1
        """Index of the department that handled it (-1: none)."""
        self.trips = 0
        self.bounces = 0
        self.misrouted = False
        self.waited = 0.0
        """Minutes spent waiting at channels (hotline hold, window and kiosk queues)."""
        self.failures = 0
        """Failed intake attempts (calls that hung up, failed online submissions)."""
        self.materials = 0
        """Materials from other departments the applications needed."""
        self.exempt = 0
        """Of those, materials the resident did not have to fetch (shared data)."""
        self.on_spot = False
        """Completed at intake (approved on the spot, settled by a grid worker)."""
        self.shared: tuple[int, ...] = ()
        """Issuers of the materials the lead department fetches itself (shared data)."""
        self.found: Event | None = None
        """SimPy event triggered when an undiscovered case is found."""
        self.patrol_left = -1
        """Patrol visits it needs from its listing until a grid worker spots it (-1: not drawn
        yet; see :mod:`gridtwin.sim.patrol`)."""
        self.patrol_at = -1
        """The visit to its community at which patrol spots it, while listed."""
        self.patrol_seq = -1
        """Its current listing for patrol (-1: not listed)."""
        self.agent: ResidentAgent | None = None
        """The Mesa agent of the resident while the case is open."""
        self._row = draws
        """The case's uniform numbers: ``draws[base:base + WIDTH]`` (a week's arrivals share one
        flat array, so a case costs no objects for the numbers it never uses)."""
        self._base = base
        self._used = list(OFFSETS)
        """Per purpose, where its next number is in the row: its offset plus the numbers it
        drew (past its slots, the count goes on for its hashed numbers)."""
        self._ends = ENDS if draws else OFFSETS
        """Per purpose, the end of its slots in the row (at its offset: no row, no slots)."""
        self._seed = seed
        self._key = -1
        """The key of the case's hashed numbers, once it needs them (-1: not yet)."""
        self._plan = plan
        """Hashed numbers computed at arrival, kept after the row (``Prefetch.table``), or
        None."""

    def u(self, purpose: int) -> float:
        """The case's next uniform number for ``purpose`` (a :class:`~.casedraws.Draw`).

        The numbers are the case's own (drawn at arrival, see :mod:`gridtwin.sim.casedraws`):
        what other cases do never moves them.
        """
        used = self._used
        at = used[purpose]
        used[purpose] = at + 1
        if at < self._ends[purpose]:
            return self._row[self._base + at]
        k = at - OFFSETS[purpose]  # the purpose's own count of draws
        plan = self._plan
        if plan is not None:
            start, n = plan[purpose]
            if k < n:  # computed at arrival (a lever's purpose has no slots: k counts from 0)
                return self._row[self._base + WIDTH + start + k]
        key = self._key
        if key < 0:
            key = self._key = case_key(self._seed, self.id)
        return keyed_uniform(key, purpose, k)
