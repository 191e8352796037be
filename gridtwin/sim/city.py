"""The city as a networked grid: district → streets → grids → communities (网格化管理).

:func:`build_city` turns a scenario's :class:`~gridtwin.scenarios.schema.City` into a
:class:`CityGrid`: a networkx graph of cells at four levels plus flat numpy arrays indexed by
community, which the engine uses in its hot loops. Every position is in metres in the UTM zone
of the district's centroid; degrees are kept only for maps.

Synthetic layout: communities are equal squares of side ``sqrt(area_km2 / n)`` on a lattice of
``cols = ceil(sqrt(n))`` columns and ``rows = ceil(n / cols)`` rows, so the ``n`` cells tile
exactly ``area_km2`` (the last row may be partly filled). The lattice is shifted so that the mean
of the community centroids is the scenario's centre. Communities are numbered in boustrophedon
(snake) order, so consecutive communities are neighbours; grids are contiguous runs of that
order and streets contiguous runs of grids, with run lengths differing by at most one.
Community adjacency is the lattice's four-neighbourhood; two grids (streets) are adjacent when
any of their communities are.

GeoJSON layout: cells are polygons; two cells of the same level are adjacent when their
projected polygons touch, overlap or lie within :data:`ADJACENCY_TOLERANCE_M` of each other
(a shared edge or just a shared vertex both count; the tolerance absorbs digitising slivers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from gridtwin.scenarios.geojson import LEVELS, Cell, CityError, read_cells, utm_crs

if TYPE_CHECKING:
    from gridtwin.scenarios.schema import City, SyntheticCity

__all__ = ["ADJACENCY_TOLERANCE_M", "LEVELS", "CityError", "CityGrid", "build_city", "utm_crs"]

ADJACENCY_TOLERANCE_M = 1.0
"""GeoJSON cells closer than this (metres, projected) count as neighbours."""
_ROW_CACHE_BYTES = 32_000_000  # memory budget of cached single-source distance rows


@dataclass(frozen=True, slots=True, eq=False)
class CityGrid:
    """The district's cells, their hierarchy and adjacency, with per-community arrays.

    Attributes:
        graph: Nodes are cell ids with attributes ``level``, ``name``, ``parent``, ``x``, ``y``
            (metres), ``lon``, ``lat``, ``area_km2`` and, on communities, ``population_weight``.
            Edges have ``kind="contains"`` (parent-child) or ``kind="adjacent"`` (same level,
            with ``distance_km`` between centroids).
        crs: The projected CRS of ``x``/``y``, e.g. ``"EPSG:32651"``.
        community_ids: Community ids sorted by street, grid, then id; index i is community i.
        grid_ids: Grid ids sorted by street, then id.
        street_ids: Street ids sorted by id.
        community_grid: Index into ``grid_ids`` per community (int32).
        community_street: Index into ``street_ids`` per community (int32).
        community_xy: (C, 2) centroids in metres.
        community_lonlat: (C, 2) centroids in degrees.
        community_area_km2: (C,) areas.
        community_weight: (C,) population weights summing to 1.
        community_polygons: One closed lon/lat ring per community (the largest part's exterior
            for a MultiPolygon).
        grid_members: Community indices of each grid, ascending.
        street_centres: Per street, the index of its own community nearest the street's
            centroid (where a service hall goes).
    """

    graph: nx.Graph
    crs: str
    community_ids: tuple[str, ...]
    grid_ids: tuple[str, ...]
    street_ids: tuple[str, ...]
    community_grid: np.ndarray
    community_street: np.ndarray
    community_xy: np.ndarray
    community_lonlat: np.ndarray
    community_area_km2: np.ndarray
    community_weight: np.ndarray
    community_polygons: tuple[tuple[tuple[float, float], ...], ...]
    grid_members: tuple[np.ndarray, ...]
    street_centres: np.ndarray
    _cache: dict[Any, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def n_communities(self) -> int:
        """Number of communities."""
        return len(self.community_ids)

    def _csgraph(self) -> csr_matrix:
        """Community adjacency as a sparse matrix of km weights (built once, then cached)."""
        m = self._cache.get("csgraph")
        if m is None:
            index = {cid: i for i, cid in enumerate(self.community_ids)}
            edges = [
                (index[u], index[v], max(float(d["distance_km"]), 1e-9))  # 0: no edge
                for u, v, d in self.graph.edges(data=True)
                if d.get("kind") == "adjacent" and u in index and v in index
            ]
            i, j, w = (list(t) for t in zip(*edges, strict=True)) if edges else ([], [], [])
            n = self.n_communities
            m = csr_matrix((w, (i, j)), shape=(n, n))
            self._cache["csgraph"] = m
        return m

    def _check(self, idx: np.ndarray) -> np.ndarray:
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_communities):
            raise IndexError(f"community index out of range 0..{self.n_communities - 1}")
        return idx

    def _row(self, a: int) -> np.ndarray:
        """Network distances (km) from community ``a`` to all, cached within a memory budget."""
        rows: dict[int, np.ndarray] = self._cache.setdefault("rows", {})
        row = rows.get(a)
        if row is None:
            if len(rows) >= max(16, _ROW_CACHE_BYTES // (8 * max(self.n_communities, 1))):
                rows.pop(next(iter(rows)))  # evict the oldest row
            row = dijkstra(self._csgraph(), directed=False, indices=a)
            row.setflags(write=False)
            rows[a] = row
        return row

    def distances_from(self, sources: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Multi-source shortest network distance over community adjacency edges.

        Args:
            sources: Community indices (at least one; duplicates allowed).

        Returns:
            ``(dist_km, nearest)``: per community, the network distance in km to the nearest
            source, and that source's position in ``sources`` (so ``sources[nearest[i]]`` is a
            community index). Unreachable communities get ``inf`` and ``-1``.
        """
        src = self._check(np.asarray(sources, dtype=np.int64).ravel())
        if src.size == 0:
            raise ValueError("distances_from needs at least one source")
        dist, _pred, nearest = dijkstra(
            self._csgraph(), directed=False, indices=src, min_only=True, return_predecessors=True
        )
        position = np.full(self.n_communities, -1, dtype=np.int64)
        uniq, first = np.unique(src, return_index=True)
        position[uniq] = first
        reached = nearest >= 0
        out = np.where(reached, position[np.where(reached, nearest, 0)], -1)
        return np.asarray(dist, dtype=float), out.astype(np.int64)

    def path_km(self, a: int, b: int) -> float:
        """Network distance in km between communities ``a`` and ``b`` (``inf`` if cut off)."""
        lo, hi = (int(a), int(b)) if a <= b else (int(b), int(a))
        if lo < 0 or hi >= self.n_communities:  # called per patrol call-out: no array here
            raise IndexError(f"community index out of range 0..{self.n_communities - 1}")
        return float(self._row(lo)[hi])

    def patrol_route(self, members: Sequence[int] | np.ndarray) -> list[int]:
        """A closed tour through the given communities, deterministic.

        Nearest neighbour over network distance, starting at the lowest index; ties go to the
        lower index. The tour returns to its start after the last element, which is not
        repeated. Duplicates in ``members`` are visited once.

        Args:
            members: Community indices to visit.

        Returns:
            The community indices in visiting order.
        """
        m = self._check(np.unique(np.asarray(members, dtype=np.int64).ravel()))
        if m.size <= 2:
            return [int(i) for i in m]
        d = dijkstra(self._csgraph(), directed=False, indices=m)[:, m]
        visited = np.zeros(m.size, dtype=bool)
        visited[0] = True
        tour, cur = [0], 0
        for _ in range(m.size - 1):
            left = np.flatnonzero(~visited)
            cur = int(left[np.argmin(d[cur, left])])
            visited[cur] = True
            tour.append(cur)
        return [int(m[i]) for i in tour]


# ------------------------------------------------------------------------------- assembling
@dataclass
class _Level:
    """One level's cells, already in their final order."""

    ids: list[str]
    names: list[str]
    parent: np.ndarray  # index into the level above (0 for streets: the district)
    xy: np.ndarray  # (k, 2) metres
    area_km2: np.ndarray
    adjacent: np.ndarray  # (m, 2) index pairs, i < j


def _pairs_up(pairs: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Map adjacent pairs of children to distinct pairs of their owners."""
    a, b = owner[pairs[:, 0]], owner[pairs[:, 1]]
    keep = a != b
    up = np.column_stack([np.minimum(a, b), np.maximum(a, b)])[keep]
    return np.unique(up, axis=0) if len(up) else np.empty((0, 2), dtype=np.int64)


def _readonly(a: np.ndarray, dtype: Any) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=dtype)
    out.setflags(write=False)
    return out


def _assemble(
    crs: str,
    district: tuple[str, str, np.ndarray, float],
    streets: _Level,
    grids: _Level,
    comms: _Level,
    weights: np.ndarray,
    rings: list[tuple[tuple[float, float], ...]],
) -> CityGrid:
    """Build the graph and the arrays from the four levels."""
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    g = nx.Graph()
    d_id, d_name, d_xy, d_area = district
    d_lon, d_lat = inv.transform(d_xy[0], d_xy[1])
    g.add_node(
        d_id,
        level="district",
        name=d_name,
        parent=None,
        x=float(d_xy[0]),
        y=float(d_xy[1]),
        lon=float(d_lon),
        lat=float(d_lat),
        area_km2=float(d_area),
    )
    above_ids = [d_id]
    lonlat = np.empty((0, 2))
    for level, lv in (("street", streets), ("grid", grids), ("community", comms)):
        lon, lat = inv.transform(lv.xy[:, 0], lv.xy[:, 1])
        lonlat = np.column_stack([lon, lat])
        for i, cid in enumerate(lv.ids):
            parent = above_ids[int(lv.parent[i])]
            attrs: dict[str, Any] = {
                "level": level,
                "name": lv.names[i],
                "parent": parent,
                "x": float(lv.xy[i, 0]),
                "y": float(lv.xy[i, 1]),
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "area_km2": float(lv.area_km2[i]),
            }
            if level == "community":
                attrs["population_weight"] = float(weights[i])
            g.add_node(cid, **attrs)
            g.add_edge(parent, cid, kind="contains")
        if len(lv.adjacent):
            first, second = lv.adjacent[:, 0], lv.adjacent[:, 1]
            km = np.hypot(*(lv.xy[first] - lv.xy[second]).T) / 1000.0
            g.add_edges_from(
                (lv.ids[a], lv.ids[b], {"kind": "adjacent", "distance_km": float(d)})
                for a, b, d in zip(first, second, km, strict=True)
            )
        above_ids = lv.ids
    c_grid = comms.parent.astype(np.int32)
    c_street = grids.parent[c_grid].astype(np.int32)
    order = np.argsort(c_grid, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(c_grid, minlength=len(grids.ids)))[:-1])
    centres = np.empty(len(streets.ids), dtype=np.int64)
    for s in range(len(streets.ids)):
        own = np.flatnonzero(c_street == s)
        centres[s] = own[np.argmin(np.hypot(*(comms.xy[own] - streets.xy[s]).T))]
    return CityGrid(
        graph=g,
        crs=crs,
        community_ids=tuple(comms.ids),
        grid_ids=tuple(grids.ids),
        street_ids=tuple(streets.ids),
        community_grid=_readonly(c_grid, np.int32),
        community_street=_readonly(c_street, np.int32),
        community_xy=_readonly(comms.xy, float),
        community_lonlat=_readonly(lonlat, float),
        community_area_km2=_readonly(comms.area_km2, float),
        community_weight=_readonly(weights, float),
        community_polygons=tuple(rings),
        grid_members=tuple(_readonly(m, np.int64) for m in members),
        street_centres=_readonly(centres, np.int64),
    )


# -------------------------------------------------------------------------------- synthetic
def _runs(n_items: int, n_runs: int) -> np.ndarray:
    """Owner index of each of ``n_items`` split into ``n_runs`` contiguous near-equal runs."""
    bounds = (np.arange(n_runs + 1) * n_items) // n_runs
    return np.searchsorted(bounds, np.arange(n_items), side="right") - 1


def _synthetic(syn: SyntheticCity, name: str) -> CityGrid:
    n, n_grids, n_streets = syn.communities, syn.grids, syn.streets
    crs = utm_crs(syn.center_lon, syn.center_lat)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cx, cy = fwd.transform(syn.center_lon, syn.center_lat)
    side = math.sqrt(syn.area_km2 / n) * 1000.0
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    k = np.arange(n)
    r = k // cols
    c = np.where(r % 2 == 0, k % cols, cols - 1 - k % cols)  # snake order
    xy = np.column_stack([(c + 0.5) * side, (r + 0.5) * side])
    xy += np.array([cx, cy]) - xy.mean(axis=0)  # centroid of the used cells on the centre
    lattice = np.full((rows, cols), -1, dtype=np.int64)
    lattice[r, c] = k
    pairs = []
    for a, b in ((lattice[:, :-1], lattice[:, 1:]), (lattice[:-1, :], lattice[1:, :])):
        ok = (a >= 0) & (b >= 0)
        pairs.append(np.column_stack([a[ok], b[ok]]))
    c_pairs = np.sort(np.concatenate(pairs), axis=1)
    c_pairs = c_pairs[np.lexsort((c_pairs[:, 1], c_pairs[:, 0]))]

    c_grid = _runs(n, n_grids)
    g_street = _runs(n_grids, n_streets)
    cell_km2 = side * side / 1e6

    def level(
        prefix: str, label: str, count: int, owner: np.ndarray, of: np.ndarray, adjacent: np.ndarray
    ) -> _Level:
        size = np.bincount(of, minlength=count)
        xy_l = np.column_stack([np.bincount(of, xy[:, j], minlength=count) / size for j in (0, 1)])
        w = max(2, len(str(count)))
        return _Level(
            [f"{prefix}{i + 1:0{w}d}" for i in range(count)],
            [f"{label} {i + 1}" for i in range(count)],
            owner,
            xy_l,
            size * cell_km2,
            adjacent,
        )

    street_of_c = g_street[c_grid]
    streets = level(
        "S",
        "Street",
        n_streets,
        np.zeros(n_streets, dtype=np.int64),
        street_of_c,
        _pairs_up(c_pairs, street_of_c),
    )
    grids = level("G", "Grid", n_grids, g_street, c_grid, _pairs_up(c_pairs, c_grid))
    comms = level("C", "Community", n, c_grid, k, c_pairs)
    h = side / 2
    corners_x = xy[:, :1] + np.array([-h, h, h, -h, -h])
    corners_y = xy[:, 1:] + np.array([-h, -h, h, h, -h])
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        corners_x.ravel(), corners_y.ravel()
    )
    lon, lat = np.reshape(lon, (n, 5)), np.reshape(lat, (n, 5))
    rings = [tuple(zip(lon[i].tolist(), lat[i].tolist(), strict=True)) for i in range(n)]
    district = ("D", name, np.array([cx, cy]), float(syn.area_km2))
    return _assemble(crs, district, streets, grids, comms, np.full(n, 1.0 / n), rings)


# ---------------------------------------------------------------------------------- GeoJSON
def _geo_adjacency(geoms: list[Any]) -> np.ndarray:
    """Index pairs (i < j) of projected polygons that touch, overlap or nearly touch."""
    if len(geoms) < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="dwithin", distance=ADJACENCY_TOLERANCE_M)
    pairs = np.column_stack([i, j])[i < j]
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))].astype(np.int64)


def _geojson(path: Path, name: str) -> CityGrid:
    cells = read_cells(path)
    district = next(c for c in cells if c.level == "district")
    centre = district.geom.centroid  # in degrees: only to pick the UTM zone
    crs = utm_crs(centre.x, centre.y)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def project(geom: Any) -> Any:
        out = shapely.transform(geom, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
        return out if out.is_valid else shapely.make_valid(out)

    metres = {c.id: project(c.geom) for c in cells}
    streets = sorted((c for c in cells if c.level == "street"), key=lambda c: c.id)
    s_index = {c.id: i for i, c in enumerate(streets)}
    grids = sorted(
        (c for c in cells if c.level == "grid"), key=lambda c: (s_index[str(c.parent)], c.id)
    )
    g_index = {c.id: i for i, c in enumerate(grids)}
    comms = sorted(
        (c for c in cells if c.level == "community"),
        key=lambda c: (
            s_index[str(grids[g_index[str(c.parent)]].parent)],
            g_index[str(c.parent)],
            c.id,
        ),
    )

    def level(items: list[Cell], parent: dict[str, int] | None) -> _Level:
        geoms = [metres[c.id] for c in items]
        return _Level(
            [c.id for c in items],
            [c.name for c in items],
            np.array([0 if parent is None else parent[str(c.parent)] for c in items], np.int64),
            np.array([(g.centroid.x, g.centroid.y) for g in geoms], dtype=float).reshape(-1, 2),
            np.array([g.area / 1e6 for g in geoms], dtype=float),
            _geo_adjacency(geoms),
        )

    pops = np.array([c.population for c in comms])
    rings = []
    for c in comms:
        main = max(getattr(c.geom, "geoms", [c.geom]), key=lambda p: p.area)
        rings.append(tuple((float(x), float(y)) for x, y, *_ in main.exterior.coords))
    dm = metres[district.id].centroid
    city = _assemble(
        crs,
        (
            district.id,
            district.name or name,
            np.array([dm.x, dm.y]),
            metres[district.id].area / 1e6,
        ),
        level(streets, None),
        level(grids, s_index),
        level(comms, g_index),
        pops / pops.sum(),
        rings,
    )
    for c in cells:
        if c.flood_risk:  # the optional property, kept as a node attribute
            city.graph.nodes[c.id]["flood_risk"] = True
    return city


def build_city(spec: City, base_dir: Path | None = None) -> CityGrid:
    """Build the city grid from a scenario's city spec.

    Args:
        spec: The scenario's ``city`` section (``synthetic`` or ``geojson``).
        base_dir: Directory a relative GeoJSON path is resolved against (usually the
            scenario file's directory); the working directory if None.

    Returns:
        The grid, with positions in metres in the UTM zone of the district's centroid.

    Raises:
        CityError: The GeoJSON is missing, unreadable or breaks the format; the message names
            the file, the feature id and the field at fault.
    """
    if spec.synthetic is not None:
        return _synthetic(spec.synthetic, spec.name)
    if spec.geojson is None:  # pragma: no cover - the schema forbids it
        raise CityError("city needs 'synthetic' or 'geojson'")
    path = Path(spec.geojson)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return _geojson(path, spec.name)
