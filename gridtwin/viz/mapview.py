"""The Map page's data: the city's cells coloured by a per-cell figure, and the service sites.

Cells are drawn from their own coordinates (the synthetic squares or the GeoJSON polygons of
:class:`~gridtwin.sim.city.CityGrid`) with pydeck and no map provider, so no tile server is
asked for anything: the map works offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pydeck as pdk

from gridtwin.agents.halls import place_sites
from gridtwin.runner import RunResult
from gridtwin.scenarios.schema import Scenario
from gridtwin.sim.city import CityGrid

__all__ = ["FIGURES", "SITE_COLOURS", "Figure", "cell_frame", "deck", "sites_frame"]


@dataclass(frozen=True, slots=True)
class Figure:
    """A per-cell figure the map can be coloured by."""

    column: str
    label: str
    fmt: str


FIGURES = (
    Figure("cases", "Cases", "{:,.0f}"),
    Figure("resolution_rate", "Resolution rate", "{:.1%}"),
    Figure("mean_time_to_close_h", "Mean time to close (h)", "{:,.1f} h"),
    Figure("backlog_at_end", "Backlog at the end", "{:,.1f}"),
)
"""The figures of ``cells.parquet`` the map offers."""

SITE_COLOURS = {
    "service hall": [220, 50, 47, 255],
    "kiosk site": [38, 139, 210, 255],
    "sensor alarm": [133, 153, 0, 255],
    "water meter alarm": [108, 113, 196, 255],
}

_LOW, _HIGH = np.array([255, 247, 188]), np.array([189, 0, 38])  # pale yellow to deep red


def _colours(values: np.ndarray) -> list[list[int]]:
    finite = np.isfinite(values)
    if not finite.any():
        return [[200, 200, 200, 160]] * len(values)
    lo, hi = float(values[finite].min()), float(values[finite].max())
    t = np.zeros(len(values)) if hi <= lo else (np.nan_to_num(values, nan=lo) - lo) / (hi - lo)
    rgb = (_LOW[None, :] + (t[:, None] * (_HIGH - _LOW)[None, :])).round().astype(int)
    return [
        [*map(int, c), 200] if ok else [200, 200, 200, 160]
        for c, ok in zip(rgb, finite, strict=True)
    ]


def cell_frame(city: CityGrid, results: tuple[RunResult, ...], figure: Figure) -> pd.DataFrame:
    """One row per community: its polygon, every figure (mean over replications), a colour.

    Raises:
        ValueError: If the results' cells are not the city's communities.
    """
    frames = [r.cells.to_pandas() for r in results]
    cells = pd.concat(frames, ignore_index=True)
    cells = cells[cells["level"] == "community"]
    columns = [f.column for f in FIGURES]
    means = cells.groupby("cell", sort=False)[columns].mean()
    unknown = set(means.index) - set(city.community_ids)
    if unknown:
        raise ValueError(f"cells {sorted(unknown)[:3]} are not communities of this city")
    means = means.reindex(list(city.community_ids))
    frame = pd.DataFrame(
        {
            "cell": list(city.community_ids),
            "name": [city.graph.nodes[c]["name"] for c in city.community_ids],
            "polygon": [[list(p) for p in ring] for ring in city.community_polygons],
            "lon": city.community_lonlat[:, 0],
            "lat": city.community_lonlat[:, 1],
        }
    )
    for f in FIGURES:
        values = means[f.column].to_numpy(dtype=float)
        frame[f.column] = values
        frame[f"{f.column}_text"] = [f.fmt.format(v) if math.isfinite(v) else "-" for v in values]
    frame["colour"] = _colours(frame[figure.column].to_numpy(dtype=float))
    frame["replications"] = len(results)
    return frame


def sites_frame(city: CityGrid, scenario: Scenario, result: RunResult) -> pd.DataFrame:
    """Service halls and kiosk sites (placed as the engine places them) and sensor alarms.

    Sensor coverage is drawn per run, so the map shows the communities where an event sensor
    or an elderly resident's water meter raised at least one case in ``result``.
    """
    rows: list[dict[str, Any]] = []
    n = city.n_communities
    channels = scenario.channels

    def add(kind: str, idx: int) -> None:
        lon, lat = city.community_lonlat[idx]
        rows.append(
            {"kind": kind, "cell": city.community_ids[idx], "lon": float(lon), "lat": float(lat)}
        )

    if channels.window.enabled:
        for idx in place_sites(channels.window.halls, city.street_centres, n):
            add("service hall", int(idx))
    if channels.kiosk.enabled:
        for idx in place_sites(channels.kiosk.sites, city.street_centres[::-1], n):
            add("kiosk site", int(idx))
    cases = result.cases.select(["cell", "channel", "kind"]).to_pandas()
    by_sensor = cases[cases["channel"] == "sensor"]
    index = {c: i for i, c in enumerate(city.community_ids)}
    for kind, hidden in (("sensor alarm", False), ("water meter alarm", True)):
        found = by_sensor.loc[(by_sensor["kind"] == "hidden") == hidden, "cell"].astype(str)
        for cell in sorted(found.unique()):
            if cell in index:
                add(kind, index[cell])
    frame = pd.DataFrame(rows, columns=["kind", "cell", "lon", "lat"])
    frame["colour"] = [SITE_COLOURS[k] for k in frame["kind"]]
    frame["radius"] = frame["kind"].map(
        {"service hall": 70, "kiosk site": 50, "sensor alarm": 30, "water meter alarm": 20}
    )
    return frame


def _zoom(frame: pd.DataFrame, height: int) -> float:
    """The web-mercator zoom at which the cells fill about two thirds of ``height`` pixels."""
    lat = math.radians(float(frame["lat"].mean()))
    span = max(float(np.ptp(frame["lon"])), float(np.ptp(frame["lat"])) / math.cos(lat), 1e-3)
    # at zoom z, 512 * 2**z pixels span 360 degrees of longitude (deck.gl's web mercator)
    return float(np.clip(math.log2(height * 0.65 * 360.0 / (512.0 * span)), 3, 17))


def deck(
    cells: pd.DataFrame,
    sites: pd.DataFrame | None = None,
    highlight: str | None = None,
    height: int = 520,
) -> pdk.Deck:
    """The map: cells as polygons, sites as dots, a tooltip with every figure; no base map.

    Args:
        cells: From :func:`cell_frame`.
        sites: From :func:`sites_frame`.
        highlight: A community to outline (the case journey's place).
        height: Pixels.
    """
    texts = ["cell", "name", *(f"{f.column}_text" for f in FIGURES)]
    cells = cells.assign(kind="")
    layers = [
        pdk.Layer(
            "PolygonLayer",
            cells,
            id="cells",
            get_polygon="polygon",
            get_fill_color="colour",
            get_line_color=[80, 80, 80, 200],
            line_width_min_pixels=1,
            stroked=True,
            pickable=True,
            auto_highlight=True,
        )
    ]
    if highlight is not None:
        layers.append(
            pdk.Layer(
                "PolygonLayer",
                cells[cells["cell"] == highlight],
                id="highlight",
                get_polygon="polygon",
                get_fill_color=[0, 0, 0, 0],
                get_line_color=[0, 90, 200, 255],
                line_width_min_pixels=4,
                stroked=True,
                filled=False,
            )
        )
    if sites is not None and len(sites):
        sites = sites.merge(cells[texts], on="cell", how="left")
        sites["kind"] = sites["kind"] + ": "
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                sites,
                id="sites",
                get_position=["lon", "lat"],
                get_fill_color="colour",
                get_radius="radius",
                radius_min_pixels=4,
                pickable=True,
            )
        )
    view = pdk.ViewState(
        longitude=float(cells["lon"].mean()),
        latitude=float(cells["lat"].mean()),
        zoom=_zoom(cells, height),
    )
    tooltip = {
        "html": "<b>{cell}</b> {name}<br/>{kind}cases: {cases_text}<br/>"
        "resolution: {resolution_rate_text}<br/>time to close: {mean_time_to_close_h_text}"
        "<br/>backlog at end: {backlog_at_end_text}",
    }
    # map_provider=None and no map_style: pydeck writes a placeholder style that Streamlit
    # drops, so no base map (and no request to a tile server) is made.
    return pdk.Deck(
        layers=layers,
        initial_view_state=view,
        map_provider=None,
        tooltip=tooltip,  # type: ignore[arg-type]
        height=height,
    )
