"""How a resident judges a case, rates it, complains, and how trust moves.

Every closed or abandoned case that has a resident is judged from the resident's whole
experience (:meth:`ExperienceModel.judge`): the outcome, lateness against the promised time,
trips, bounces, time spent waiting at channels, failed attempts, and the fit of the intake
channel to the resident's digital literacy. An abandoned case is never satisfied. Whether the
resident rates the case (好差评) or complains depends on the verdict. The verdict then moves
the resident's trust and, by word of mouth, the trust of a few others in the same community
(:meth:`ExperienceModel.learn`); trust in turn shapes reporting and channel choice.

All random numbers are the case's own (:class:`~gridtwin.sim.casedraws.Draw`): a policy that
changes one case's experience leaves every other case's draws in place.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from gridtwin.agents.population import AGE_GROUPS, Population
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.scenarios.schema import SatisfactionModel
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Outcome
from gridtwin.vocab import CHANNEL_ORDER

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo

__all__ = ["ExperienceModel", "Verdict"]

# Enum members read for every case, bound once (see gridtwin.vocab on Python 3.11).
_RESOLVED, _ABANDONED = Outcome.RESOLVED, Outcome.ABANDONED


def _logistic(x: float) -> float:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


Verdict = tuple[int, int, bool]
"""What a resident made of a case: ``(satisfied, rating, complaint)``.

``satisfied`` is 1 or 0; ``rating`` 1 a good rating, 0 a bad one, -1 no rating; ``complaint``
whether they complained. A plain tuple: a million cases are judged in a district-year, and a
frozen dataclass costs half a microsecond to make.
"""


class ExperienceModel:
    """Satisfaction, ratings, complaints and trust of the residents.

    Args:
        spec: The scenario's ``behaviour.satisfaction``.
        population: The residents (trust is updated in place).
    """

    def __init__(self, spec: SatisfactionModel, population: Population) -> None:
        self.spec = spec
        self.population = population
        self.trust = population.trust
        self._literacy = population.literacy
        self._offsets = population.offsets
        self._age = population.age_group
        self._ages = population.age_group.tolist()
        self._fit = [spec.literacy_gap.get(k, 0.0) for k in CHANNEL_ORDER]
        self._terms = (
            spec.base,
            spec.resolved,
            spec.per_day_late / MINUTES_PER_DAY,
            spec.per_extra_trip,
            spec.per_bounce,
            spec.per_hour_waiting / 60.0,
            spec.per_failed_attempt,
        )
        self._rate_yes = spec.rating_probability
        self._rate_no = (
            spec.rating_probability
            if spec.rating_probability_unsatisfied is None
            else spec.rating_probability_unsatisfied
        )
        self._complain = spec.complaint_probability
        self._up = spec.trust_learning_rate
        self._down = (
            spec.trust_learning_rate if spec.trust_loss_rate is None else spec.trust_loss_rate
        )
        self._wom = spec.word_of_mouth_rate if spec.word_of_mouth_contacts > 0 else 0.0
        self._contacts = spec.word_of_mouth_contacts
        self._heard: list[tuple[int, int, float, float, float]] = []
        """Experiences not yet told: (resident, community, draw, verdict, rate)."""
        age = population.age_group
        self.age_counts = np.bincount(age, minlength=len(AGE_GROUPS)).astype(float)
        self.trust_sums = self._by_age(population.trust)
        """Sum of trust per age group, kept current as trust moves (for the trust series)."""
        self._under: np.ndarray | None = None
        """Residents whose trust drifts (:meth:`sense`), a mask; None: nobody's does."""
        self._under_flags = b""
        """The same mask as bytes, for one resident at a time."""
        self._under_sums: list[float] = []
        """Sum of trust per age group of the residents under :attr:`_under`, kept current."""

    def trust_means(self) -> list[float]:
        """Mean trust per age group (NaN for an empty group), then over everyone."""
        counts = self.age_counts
        means = [s / n if n else math.nan for s, n in zip(self.trust_sums, counts, strict=True)]
        return [*means, sum(self.trust_sums) / max(1.0, float(counts.sum()))]

    def judge(self, case: Case, info: CaseTypeInfo, outcome: Outcome, now: float) -> Verdict:
        """The resident's verdict on a closed or abandoned case."""
        if outcome is _ABANDONED:
            satisfied = 0
        else:
            base, resolved, per_late_min, per_trip, per_bounce, per_wait_min, per_fail = self._terms
            since = case.reported if case.reported >= 0 else case.arise
            late_min = now - since - info.promised_min
            x = base + per_bounce * case.bounces + per_wait_min * case.waited
            if outcome is _RESOLVED:
                x += resolved
            if late_min > 0:
                x += per_late_min * late_min
            if case.trips > 1:
                x += per_trip * (case.trips - 1)
            if case.failures:
                x += per_fail * case.failures
            if case.channel >= 0 and case.resident >= 0:
                fit = self._fit[case.channel]
                if fit:
                    x += fit * (1.0 - self._literacy.item(case.resident))
            satisfied = 1 if case.u(Draw.SATISFACTION) < _logistic(x) else 0
        p_rate = self._rate_yes if satisfied else self._rate_no
        rating = satisfied if case.u(Draw.RATE) < p_rate else -1
        complaint = not satisfied and case.u(Draw.COMPLAINT) < self._complain
        return satisfied, rating, complaint

    def learn(self, case: Case, satisfied: int) -> None:
        """Move the resident's trust towards the verdict now; neighbours hear of it later.

        Word of mouth is told at the end of the hour (:meth:`tell`), for all the hour's
        experiences at once.
        """
        trust = self.trust
        row = case.resident
        target = float(satisfied)
        rate = self._up if satisfied else self._down
        old = trust.item(row)
        delta = rate * (target - old)
        trust[row] = old + delta
        age = self._ages[row]
        self.trust_sums[age] += delta
        if self._under_flags and self._under_flags[row]:
            self._under_sums[age] += delta
        if self._wom:
            u = case.u(Draw.WORD_OF_MOUTH)
            self._heard.append((row, case.community, u, target, self._wom * rate))

    def sense(self, under: np.ndarray) -> None:
        """Let the trust of the residents ``under`` (a mask) drift (:meth:`drift`) from now on.

        Their trust's sum per age group is kept from here on, so that a drift moves each age
        group's sum without a pass over the population.
        """
        self._under = under
        self._under_flags = under.astype(np.uint8).tobytes()
        self._under_sums = self._by_age(np.where(under, self.trust, 0.0))

    def _by_age(self, values: np.ndarray) -> list[float]:
        """Sums of ``values`` (one per resident) by age group."""
        return np.bincount(self._age, weights=values, minlength=len(AGE_GROUPS)).tolist()

    def drift(self, factor: float) -> None:
        """Scale the trust of the residents under sensing (:meth:`sense`) by ``factor``.

        A drift to 0: what residents learn of how much personal data is collected on them moves
        their trust this way (:mod:`gridtwin.agents.privacy`). Each age group's sum moves by
        ``factor - 1`` times the trust its residents under sensing had, which :meth:`learn` and
        :meth:`tell` keep current: the one pass over a million residents is the scaling itself.
        """
        under = self._under
        if under is None:
            raise RuntimeError("drift() before sense(): whose trust drifts is not known")
        np.multiply(self.trust, factor, out=self.trust, where=under)
        sums, had = self.trust_sums, self._under_sums
        for g, s in enumerate(had):
            sums[g] += (factor - 1.0) * s
            had[g] = s * factor

    def tell(self) -> None:
        """Word of mouth: the experiences heard since the last call move neighbours' trust.

        Each experience reaches ``word_of_mouth_contacts`` other residents of its community,
        spread evenly through the community's rows from a point its case's own number picks
        (rows are in random order within a community), and moves each one's trust by
        ``word_of_mouth_rate`` times the resident's own rate towards the verdict.
        """
        heard = self._heard
        if not heard:
            return
        self._heard = []
        rows, comm, u, target, w = (np.array(col) for col in zip(*heard, strict=True))
        comm = comm.astype(np.int64)
        offsets = self._offsets
        lo = offsets[comm]
        n = offsets[comm + 1] - lo
        k = np.minimum(self._contacts, n - 1)
        first = (u * n).astype(np.int64)
        stride = np.maximum(1, (n - 1) // np.maximum(k, 1))
        trust, age = self.trust, self._age
        sums = np.zeros(len(self.trust_sums))
        under = self._under
        sensed = np.zeros(len(sums) if under is not None else 0)
        for j in range(1, self._contacts + 1):
            on = j <= k
            if not on.any():
                break
            other = lo[on] + (first[on] + j * stride[on]) % n[on]
            other = np.where(other == rows[on], lo[on] + (other - lo[on] + 1) % n[on], other)
            before = trust[other]
            np.add.at(trust, other, w[on] * (target[on] - before))
            after = np.clip(trust[other], 0.0, 1.0)
            trust[other] = after
            # a neighbour told twice in one round counts once here (after - before is the total)
            _, once = np.unique(other, return_index=True)
            told, moved = age[other[once]], (after - before)[once]
            sums += np.bincount(told, weights=moved, minlength=len(sums))
            if under is not None:
                sensed += np.bincount(
                    told, weights=np.where(under[other[once]], moved, 0.0), minlength=len(sums)
                )
        for g, d in enumerate(sums.tolist()):
            self.trust_sums[g] += d
        for g, d in enumerate(sensed.tolist()):
            self._under_sums[g] += d
