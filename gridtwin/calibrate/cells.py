"""Cells for calibration: a square grid over the log's extent, or a scenario's GeoJSON cells.

The grid is laid out in metres in the extent's UTM zone (pyproj) over the central 99% of the
requests' coordinates (a stray point far away would otherwise stretch it), its corners on a
lattice of whole cells (so that no corner is a request's position); requests beyond it go to
the nearest edge cell. Each request with coordinates is assigned to one cell; outputs
carry only cells (polygons and centroids), never a request's own position.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, mapping

from gridtwin.calibrate import CalibrationError
from gridtwin.scenarios.geojson import CityError, read_cells, utm_crs

__all__ = ["MAX_SIDE", "CellSet", "geojson_cells", "grid_cells"]

MAX_SIDE = 10
"""Cells along the longer side of a calibration grid (at most 100 cells)."""
MIN_SIZE_M = 250.0
"""Smallest grid cell side, in metres."""


@dataclass
class CellSet:
    """Cells and the requests' cell (-1: no coordinates)."""

    ids: list[str]
    polygons: list[Any]
    """Shapely polygons in lon/lat degrees."""
    centroids: np.ndarray
    """``(cells, 2)`` lon, lat of each cell's centroid."""
    assigned: np.ndarray
    """Per request: index of its cell, -1 without coordinates."""
    outside: int
    """Requests outside every cell (assigned to the nearest)."""
    source: str
    """``grid (N m)`` or the GeoJSON file's name."""
    features: list[dict[str, Any]]
    """The non-community features (district, streets, grids) of a GeoJSON city."""
    parents: list[str | None] = field(default_factory=list)
    """Each cell's parent in a GeoJSON city (empty for a grid: one grid holds them all)."""

    def counts(self) -> np.ndarray:
        """Requests per cell."""
        a = self.assigned[self.assigned >= 0]
        return np.bincount(a, minlength=len(self.ids)).astype(float)

    def write_geojson(self, path: Path, weights: np.ndarray, name: str) -> None:
        """Write the cells as a gridtwin city with ``weights`` as community populations."""
        feats = list(self.features)
        if not feats:
            hull = shapely.unary_union(self.polygons).envelope
            for fid, parent, level in (("d", None, "district"), ("s1", "d", "street"),
                                       ("g1", "s1", "grid")):
                feats.append({"type": "Feature", "geometry": mapping(hull), "properties": {
                    "id": fid, "parent": parent, "level": level, "name": f"{name} {level}"}})
        parent = next((f["properties"]["id"] for f in reversed(feats)
                       if f["properties"]["level"] == "grid"), "g1")
        parents = self.parents or [parent] * len(self.ids)
        for cid, poly, w, par in zip(self.ids, self.polygons, weights, parents, strict=True):
            feats.append({"type": "Feature", "geometry": _rounded(mapping(poly)), "properties": {
                "id": cid, "parent": par, "level": "community", "name": cid,
                "population": round(float(w), 4)}})
        path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}) + "\n",
                        encoding="utf-8")


def _rounded(geom: dict[str, Any]) -> dict[str, Any]:
    def walk(x: Any) -> Any:
        if isinstance(x, list | tuple):
            return [walk(v) for v in x]
        return round(float(x), 6) if isinstance(x, float) else x

    return {"type": geom["type"], "coordinates": walk(geom["coordinates"])}


def grid_cells(lat: np.ndarray, lon: np.ndarray) -> CellSet:
    """A square grid (at most :data:`MAX_SIDE` cells a side) over the requests' extent.

    Args:
        lat: Latitudes in degrees (NaN: none).
        lon: Longitudes in degrees (NaN: none).
    """
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():  # no coordinates at all: one nominal cell of one km²
        lon0, lat0 = 0.0, 0.0
        lonp, latp = np.array([lon0]), np.array([lat0])
    else:
        lonp, latp = lon[ok], lat[ok]
        lon0, lat0 = float(np.median(lonp)), float(np.median(latp))
    crs = utm_crs(lon0, lat0)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    x, y = fwd.transform(lonp, latp)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x0, x1 = np.quantile(x, [0.005, 0.995])
    y0, y1 = np.quantile(y, [0.005, 0.995])
    side = max(x1 - x0, y1 - y0, MIN_SIZE_M)
    size = max(MIN_SIZE_M, math.ceil(side / MAX_SIDE / 50.0) * 50.0)
    # corners on a lattice of whole cells in UTM metres: no corner reveals a request's position
    x0, y0 = math.floor(x0 / size) * size, math.floor(y0 / size) * size
    nx = max(1, math.ceil((x1 - x0) / size + 1e-9))
    ny = max(1, math.ceil((y1 - y0) / size + 1e-9))
    ix = np.floor((x - x0) / size).astype(int)
    iy = np.floor((y - y0) / size).astype(int)
    outside = int(((ix < 0) | (ix >= nx) | (iy < 0) | (iy >= ny)).sum()) if ok.any() else 0
    ix, iy = np.clip(ix, 0, nx - 1), np.clip(iy, 0, ny - 1)
    ids, polys, cents = [], [], []
    for j in range(ny):
        for i in range(nx):
            xs = np.array([x0 + i * size, x0 + (i + 1) * size, x0 + (i + 1) * size, x0 + i * size])
            ys = np.array([y0 + j * size, y0 + j * size, y0 + (j + 1) * size, y0 + (j + 1) * size])
            lo, la = back.transform(xs, ys)
            poly = Polygon(list(zip(lo, la, strict=True)))
            ids.append(f"cell_{j:02d}_{i:02d}")
            polys.append(poly)
            c = back.transform(x0 + (i + 0.5) * size, y0 + (j + 0.5) * size)
            cents.append((round(c[0], 6), round(c[1], 6)))
    assigned = np.full(len(lat), -1, dtype=np.int64)
    if ok.any():
        assigned[ok] = iy * nx + ix
    return CellSet(ids, polys, np.asarray(cents), assigned, outside,
                   f"grid of {nx} x {ny} cells of {size:.0f} m", [])


def geojson_cells(path: str | Path, lat: np.ndarray, lon: np.ndarray) -> CellSet:
    """A GeoJSON city's communities as cells; each request goes to the cell containing it.

    Raises:
        CalibrationError: The file is not a valid gridtwin city (every problem listed).
    """
    try:
        cells = read_cells(path)
    except CityError as exc:
        lines = "\n  ".join(str(p) for p in exc.problems[:20])
        raise CalibrationError(f"--cells {path}: not a usable city:\n  {lines}") from None
    comms = [c for c in cells if c.level == "community"]
    polys = [c.geom for c in comms]
    tree = shapely.STRtree(polys)
    ok = np.isfinite(lat) & np.isfinite(lon)
    points = shapely.points(lon[ok], lat[ok])
    assigned = np.full(len(lat), -1, dtype=np.int64)
    inside = np.full(int(ok.sum()), -1, dtype=np.int64)
    pairs = tree.query(points, predicate="within")
    inside[pairs[0][::-1]] = pairs[1][::-1]  # the first containing cell wins
    lost = inside < 0
    if lost.any():
        inside[lost] = tree.nearest(points[lost])
    assigned[ok] = inside
    cents = np.array([(round(p.centroid.x, 6), round(p.centroid.y, 6)) for p in polys])
    others = [{"type": "Feature", "geometry": _rounded(mapping(c.geom)), "properties": {
        "id": c.id, "parent": c.parent, "level": c.level, "name": c.name}}
        for c in cells if c.level != "community"]
    return CellSet([c.id for c in comms], polys, cents, assigned, int(lost.sum()),
                   Path(path).name, others, [c.parent for c in comms])
