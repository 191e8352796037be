"""Residents while they have an open case: channel choice, ratings, trust.

The population's lasting traits live in arrays (:mod:`gridtwin.agents.population`); a
:class:`ResidentAgent` stands for a resident only while they have at least one open case, so the
model holds thousands of resident agents at a time, not a million.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import mesa
import numpy as np

from gridtwin.scenarios.schema import Behaviour
from gridtwin.vocab import AGE_GROUPS, CHANNEL_ORDER

__all__ = ["ChoiceModel", "ResidentAgent", "ResidentRegistry"]


class ChoiceModel:
    """Multinomial-logit channel choice.

    Utility of channel ``k`` for a resident of age group ``a``, literacy ``l``, trust ``r`` in
    community ``c``::

        V_k = asc_k + age_{a,k} + beta_lit_k * l + beta_trust_k * r + beta_dist_k * d_k(c)

    where ``d_k(c)`` is the network distance (km) from ``c`` to the nearest hall (windows) or
    kiosk site (kiosks), 0 for other channels.

    Args:
        behaviour: The scenario's behaviour part.
        distances: Per channel code, distance (km) per community, for channels at places.
    """

    def __init__(self, behaviour: Behaviour, distances: dict[int, np.ndarray]) -> None:
        cc = behaviour.channel_choice
        n = len(CHANNEL_ORDER)
        self.intercepts = [
            [cc.asc.get(k, 0.0) + cc.age.get(a, {}).get(k, 0.0) for k in CHANNEL_ORDER]
            for a in AGE_GROUPS
        ]
        self.lit = [cc.literacy.get(k, 0.0) for k in CHANNEL_ORDER]
        self.trust = [cc.trust.get(k, 0.0) for k in CHANNEL_ORDER]
        dist_coef = [cc.distance_per_km.get(k, 0.0) for k in CHANNEL_ORDER]
        self.dist: list[list[float] | None] = [None] * n
        for code, d in distances.items():
            if dist_coef[code]:
                self.dist[code] = (dist_coef[code] * np.asarray(d)).tolist()

    def utilities(
        self, age: int, literacy: float, trust: float, community: int, options: Sequence[int]
    ) -> list[float]:
        """Utilities of the given channel codes."""
        base, lit, tr, dist = self.intercepts[age], self.lit, self.trust, self.dist
        out = []
        for k in options:
            v = base[k] + lit[k] * literacy + tr[k] * trust
            d = dist[k]
            if d is not None:
                v += d[community]
            out.append(v)
        return out

    def choose(
        self,
        u: float,
        age: int,
        literacy: float,
        trust: float,
        community: int,
        options: Sequence[int],
    ) -> int:
        """The channel code that uniform draw ``u`` picks (-1 when there is no option)."""
        if not options:
            return -1
        if len(options) == 1:
            return options[0]
        v = self.utilities(age, literacy, trust, community, options)
        top = max(v)
        w = [math.exp(x - top) for x in v]
        target = u * sum(w)
        acc = 0.0
        for k, wk in zip(options, w, strict=True):
            acc += wk
            if target < acc:
                return k
        return options[-1]


class ResidentAgent(mesa.Agent):
    """The agent of a resident with at least one open case.

    Args:
        model: The Mesa model it belongs to (the governance model).
        row: The resident's row in the population arrays.
    """

    __slots__ = ("row", "open_cases")

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row
        """The resident's row, or -1 while the agent waits in its registry's pool."""
        self.open_cases = 0


class ResidentRegistry:
    """Gives a resident an agent when their first case opens; takes it back when the last closes.

    Agents taken back wait in a pool for the next resident instead of leaving the Mesa model:
    a district-year opens a million cases, and Mesa's registering and removing an agent
    (weak-reference sets, an id) cost more than a case's own bookkeeping. The model thus keeps
    as many resident agents as were ever busy at once; those of residents with an open case are
    the ones this registry holds (``len``), the others have ``row`` -1.
    """

    __slots__ = ("_model", "_agents", "_idle")

    def __init__(self, model: mesa.Model) -> None:
        self._model = model
        self._agents: dict[int, ResidentAgent] = {}
        self._idle: list[ResidentAgent] = []

    def __len__(self) -> int:
        return len(self._agents)

    def attach(self, row: int) -> ResidentAgent:
        """The resident's agent, given if needed; counts one more open case."""
        agent = self._agents.get(row)
        if agent is None:
            if self._idle:
                agent = self._idle.pop()
                agent.row = row
            else:
                agent = ResidentAgent(self._model, row)
            self._agents[row] = agent
        agent.open_cases += 1
        return agent

    def release(self, agent: ResidentAgent) -> None:
        """One case of the agent's resident closed; take the agent back if it was the last."""
        agent.open_cases -= 1
        if agent.open_cases == 0:
            del self._agents[agent.row]
            agent.row = -1
            self._idle.append(agent)
