"""Figures per cell: communities, and the grids and streets they make up."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from gridtwin.sim.cases import Outcome
from gridtwin.sim.city import CityGrid

__all__ = ["cell_figures"]


def _aggregate(owner: np.ndarray, n: int, cases: dict[str, np.ndarray], win: np.ndarray) -> dict:
    out = cases["outcome"][win]
    who = owner[win]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(who[mask], minlength=n)

    total = np.bincount(who, minlength=n)
    resolved = count(out == Outcome.RESOLVED)
    unresolved = count(out == Outcome.CLOSED_UNRESOLVED)
    abandoned = count(out == Outcome.ABANDONED)
    still_open = count(out == Outcome.OPEN)
    closed = (out == Outcome.RESOLVED) | (out == Outcome.CLOSED_UNRESOLVED)
    closed &= cases["reported"][win] >= 0
    ttc = (cases["closed"][win] - cases["reported"][win]) / 60.0
    ttc_sum = np.bincount(who[closed], weights=ttc[closed], minlength=n)
    n_closed = np.bincount(who[closed], minlength=n)
    ended = resolved + unresolved + abandoned
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "cases": total,
            "resolved": resolved,
            "closed_unresolved": unresolved,
            "abandoned": abandoned,
            "open_at_end": still_open,
            "resolution_rate": np.where(ended > 0, resolved / np.maximum(ended, 1), np.nan),
            "mean_time_to_close_h": np.where(
                n_closed > 0, ttc_sum / np.maximum(n_closed, 1), np.nan
            ),
            "backlog_at_end": still_open,
        }


def cell_figures(city: CityGrid, cases: dict[str, np.ndarray], warmup: float) -> pa.Table:
    """One row per community, grid and street (``level`` says which) with case figures.

    Covers cases that arose after the warm-up. ``backlog_at_end`` counts those still open.
    """
    win = cases["arise"] >= warmup
    comm = cases["community"].astype(np.int64)
    parts = []
    levels = (
        ("community", city.community_ids, np.arange(city.n_communities), city.community_lonlat),
        ("grid", city.grid_ids, city.community_grid, None),
        ("street", city.street_ids, city.community_street, None),
    )
    for level, ids, owner_of_comm, lonlat in levels:
        n = len(ids)
        owner = np.asarray(owner_of_comm)[comm]
        figures = _aggregate(owner, n, cases, win)
        if lonlat is None:
            w = np.bincount(owner_of_comm, minlength=n)
            lon = np.bincount(owner_of_comm, weights=city.community_lonlat[:, 0], minlength=n) / w
            lat = np.bincount(owner_of_comm, weights=city.community_lonlat[:, 1], minlength=n) / w
        else:
            lon, lat = lonlat[:, 0], lonlat[:, 1]
        parts.append(
            pa.table(
                {
                    "level": pa.array([level] * n),
                    "cell": pa.array(list(ids)),
                    "lon": pa.array(lon),
                    "lat": pa.array(lat),
                    **{k: pa.array(v, from_pandas=True) for k, v in figures.items()},
                }
            )
        )
    return pa.concat_tables(parts)
