"""Proactive relief (精准救助): households in hardship found from data shared across departments.

Shanghai's need model scores households over several dimensions (DOMAIN §2.3: 7 dimensions,
22 indicators). Here each household the relief case type can arise in has, per indicator, a
standard-normal level of its own (drawn once); hardship (a need of that type that nobody has
found yet) moves indicator ``k`` by ``signal_k``. Every ``scan_interval_days`` the data are
scored with fresh measurement noise::

    score = sum_k weight_k * (z_k + need * signal_k + noise_k) / sum_k weight_k

and every household above ``threshold`` is visited by a grid worker (a call-out, see
:mod:`gridtwin.agents.tasks`). A visited household with a need of that type has it found; one
without is a false positive (the visit is spent). A lower threshold finds more, sooner, at
the price of more false positives.
"""

from __future__ import annotations

from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from gridtwin.agents.tasks import Task, TaskBoard, TaskKind
from gridtwin.agents.visits import HiddenWatch, reveal
from gridtwin.scenarios.calendar import MINUTES_PER_DAY
from gridtwin.sim.sampling import quantile

if TYPE_CHECKING:
    from simpy.events import Event

    from gridtwin.model import GovernanceModel
    from gridtwin.scenarios.discovery_schema import Relief

__all__ = ["ReliefScan"]


class ReliefScan:
    """The periodic scan of the shared data and the verification visits it sends.

    Args:
        model: The governance model.
        spec: ``policies.relief`` (enabled).
        board: The grid workers' call-outs.
        watch: The hidden needs not yet found.
    """

    def __init__(
        self, model: GovernanceModel, spec: Relief, board: TaskBoard, watch: HiddenWatch
    ) -> None:
        self.env = model.env
        self.board = board
        self.watch = watch
        self._warmup = model.warmup
        self.type_index = next(t.index for t in model.types if t.id == spec.case_type)
        pop = model.population
        self.rows = pop.eligible
        self._community = pop.community[pop.eligible]
        w = np.array([ind.weight for ind in spec.indicators.values()])
        signal = np.array([ind.signal for ind in spec.indicators.values()])
        total = float(w.sum()) or 1.0
        levels = model.streams.rng("population", "relief/levels")
        z = levels.standard_normal((len(self.rows), len(w)))
        self.base = z @ w / total
        """Each household's score without hardship and without noise."""
        self.shift = float(w @ signal) / total
        """What hardship adds to the score."""
        self.noise_sd = spec.noise_sd * float(np.sqrt(w @ w)) / total
        """Standard deviation of the score's measurement noise at one scan."""
        self.threshold = spec.threshold
        self.interval = spec.scan_interval_days * MINUTES_PER_DAY
        self._noise = model.streams.rng("population", "relief/noise")
        self._minutes = quantile(spec.visit_min)
        self._queued: set[int] = set()
        self.flagged = 0
        self.visits = 0
        """Verification visits made after the warm-up."""
        self.false_positives = 0
        """Of those, households without a need of the type."""
        self.found = 0
        """Needs found by these visits after the warm-up."""
        self.env.process(self._scan())

    def scores(self, need: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """The scores of every household, given who is in need and the scan's noise."""
        return self.base + need * self.shift + self.noise_sd * noise

    def _scan(self) -> Generator[Event, Any, None]:
        env = self.env
        while True:
            yield env.timeout(self.interval)
            need = np.zeros(len(self.rows))
            in_need = self.watch.rows_in_need(self.type_index)
            if in_need:
                need[np.searchsorted(self.rows, in_need)] = 1.0
            noise = self._noise.standard_normal(len(self.rows))
            u = self._noise.random(len(self.rows))
            flagged = np.flatnonzero(self.scores(need, noise) > self.threshold)
            for j in flagged.tolist():
                row = int(self.rows[j])
                if row in self._queued:
                    continue
                self._queued.add(row)
                done = partial(self._visit, row)
                community = int(self._community[j])
                self.board.post(Task(TaskKind.RELIEF, community, self._minutes(float(u[j])), done))

    def _visit(self, row: int, now: float) -> None:
        self._queued.discard(row)
        pending = self.watch.pending(row, self.type_index)
        counted = now >= self._warmup
        self.visits += counted
        if not pending:
            self.false_positives += counted
        for case in pending:
            reveal(case)
            self.found += counted
