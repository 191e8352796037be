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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gridtwin.agents.channels import CHANNEL_ORDER
from gridtwin.agents.population import AGE_GROUPS, Population
from gridtwin.scenarios.schema import SatisfactionModel
from gridtwin.sim.calendar import MINUTES_PER_DAY
from gridtwin.sim.casedraws import Draw
from gridtwin.sim.cases import Case, Outcome

if TYPE_CHECKING:
    from gridtwin.model import CaseTypeInfo

__all__ = ["ExperienceModel", "Verdict"]


def _logistic(x: float) -> float:
    """``1 / (1 + exp(-x))`` without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a resident made of a case."""

    satisfied: int
    """1 satisfied, 0 not."""
    rating: int
    """1 a good rating, 0 a bad one, -1 no rating."""
    complaint: bool


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
        self._offsets = population.offsets.tolist()
        self._fit = [spec.literacy_gap.get(k, 0.0) for k in CHANNEL_ORDER]
        self._rate_yes = spec.rating_probability
        self._rate_no = (
            spec.rating_probability
            if spec.rating_probability_unsatisfied is None
            else spec.rating_probability_unsatisfied
        )
        self._up = spec.trust_learning_rate
        self._down = (
            spec.trust_learning_rate if spec.trust_loss_rate is None else spec.trust_loss_rate
        )
        self._wom = spec.word_of_mouth_rate if spec.word_of_mouth_contacts > 0 else 0.0
        self._contacts = spec.word_of_mouth_contacts
        age = population.age_group
        self.age_counts = np.bincount(age, minlength=len(AGE_GROUPS)).astype(float)
        sums = np.bincount(age, weights=population.trust, minlength=len(AGE_GROUPS))
        self.trust_sums = sums.tolist()
        """Sum of trust per age group, kept current as trust moves (for the trust series)."""

    def trust_means(self) -> list[float]:
        """Mean trust per age group (NaN for an empty group), then over everyone."""
        counts = self.age_counts
        means = [s / n if n else math.nan for s, n in zip(self.trust_sums, counts, strict=True)]
        return [*means, sum(self.trust_sums) / max(1.0, float(counts.sum()))]

    def judge(self, case: Case, info: CaseTypeInfo, outcome: Outcome, now: float) -> Verdict:
        """The resident's verdict on a closed or abandoned case."""
        spec = self.spec
        if outcome is Outcome.ABANDONED:
            satisfied = 0
        else:
            since = case.reported if case.reported >= 0 else case.arise
            late_days = max(0.0, (now - since - info.promised_min) / MINUTES_PER_DAY)
            x = (
                spec.base
                + (spec.resolved if outcome is Outcome.RESOLVED else 0.0)
                + spec.per_day_late * late_days
                + spec.per_extra_trip * max(0, case.trips - 1)
                + spec.per_bounce * case.bounces
                + spec.per_hour_waiting * case.waited / 60.0
                + spec.per_failed_attempt * case.failures
            )
            if case.channel >= 0 and case.resident >= 0:
                fit = self._fit[case.channel]
                if fit:
                    x += fit * (1.0 - float(self.population.literacy[case.resident]))
            satisfied = 1 if case.u(Draw.SATISFACTION) < _logistic(x) else 0
        p_rate = self._rate_yes if satisfied else self._rate_no
        rating = satisfied if case.u(Draw.RATE) < p_rate else -1
        complaint = not satisfied and case.u(Draw.COMPLAINT) < spec.complaint_probability
        return Verdict(satisfied, rating, complaint)

    def learn(self, case: Case, satisfied: int) -> None:
        """Move the resident's trust towards the verdict, and by word of mouth their neighbours'."""
        trust, sums, age = self.trust, self.trust_sums, self.population.age_group
        row = case.resident
        target = float(satisfied)
        rate = self._up if satisfied else self._down
        old = float(trust[row])
        delta = rate * (target - old)
        trust[row] = old + delta
        sums[age[row]] += delta
        wom = self._wom * rate
        if wom:
            lo, hi = self._offsets[case.community], self._offsets[case.community + 1]
            n = hi - lo
            if n <= 1:
                return
            k = min(self._contacts, n - 1)
            first = int(case.u(Draw.WORD_OF_MOUTH) * n)
            stride = max(1, (n - 1) // k)
            for j in range(1, k + 1):
                other = lo + (first + j * stride) % n
                if other == row:
                    other = lo + (first + j * stride + 1) % n
                t = float(trust[other])
                d = wom * (target - t)
                trust[other] = t + d
                sums[age[other]] += d
