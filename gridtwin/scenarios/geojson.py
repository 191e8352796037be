"""Reading a GeoJSON city and checking it whole: structure, hierarchy, geometry, populations.

A GeoJSON city is a FeatureCollection of cells. Each feature has the properties ``id``,
``parent`` (null for the district), ``level`` (district, street, grid, community), ``name``
and, on communities, ``population``; its geometry is a Polygon or MultiPolygon in lon/lat
degrees (EPSG:4326). :func:`check_cells` reports *every* problem at once, each with its path
into the file (``features[3].properties.parent``) and the feature's id; :func:`read_cells`
returns the checked cells or raises :class:`CityError` with those problems. The scenario
loader runs the same check, so ``gridtwin validate`` finds what building the city would.

Geometry validity is shapely's (GEOS): a self-intersecting ("bow-tie") ring, a ring of fewer
than four points or a polygon with no area is refused with GEOS's reason.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

__all__ = [
    "LEVELS",
    "MAX_FEATURES",
    "MAX_FILE_BYTES",
    "Cell",
    "CityError",
    "CityProblem",
    "check_cells",
    "read_cells",
    "utm_crs",
]

LEVELS = ("district", "street", "grid", "community")
"""The hierarchy, top down: each cell's parent is on the level just above it."""
MAX_FEATURES = 60_000
"""Most features in a GeoJSON city (the schema allows 50,000 synthetic communities)."""
MAX_FILE_BYTES = 200_000_000
"""Largest GeoJSON file read."""
MAX_POPULATION = 50_000_000
"""Largest population of one community (the scenario's ``population.residents`` bound)."""
_SHOWN = 50  # problems listed before "and N more"


@dataclass(frozen=True, slots=True)
class CityProblem:
    """One thing wrong with a GeoJSON city: where in the file, what value, what is allowed."""

    path: str
    """Path into the file, e.g. ``features[3].properties.parent`` (empty: the whole file)."""
    message: str
    value: Any = None

    def __str__(self) -> str:
        value = "" if self.value is None else f"{self.value!r} "
        return f"{self.path}: {value}{self.message}" if self.path else f"{value}{self.message}"


class CityError(ValueError):
    """The city description cannot be turned into a grid (bad GeoJSON, missing file...).

    Attributes:
        problems: Every problem found, each with its path into the file.
        file: The file's name, when the city came from a file.
    """

    def __init__(self, problems: list[CityProblem] | str, file: str = "") -> None:
        self.problems = [CityProblem("", problems)] if isinstance(problems, str) else problems
        self.file = file
        lines = [str(p) for p in self.problems[:_SHOWN]]
        if len(self.problems) > _SHOWN:
            lines.append(f"and {len(self.problems) - _SHOWN} more problems")
        prefix = f"{file}: " if file else ""
        super().__init__("\n".join(prefix + line for line in lines))


@dataclass(frozen=True, slots=True)
class Cell:
    """One checked feature."""

    id: str
    level: str
    name: str
    parent: str | None
    geom: BaseGeometry
    """Valid, non-empty polygon(s) in lon/lat degrees."""
    population: float
    flood_risk: bool = False
    """The optional ``flood_risk`` property: the cell lies low (a typhoon floods it first)."""


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 / UTM zone containing a point (no Norway/Svalbard exceptions).

    Args:
        lon: Longitude in degrees.
        lat: Latitude in degrees.

    Returns:
        An EPSG code string: ``EPSG:326zz`` north of the equator, ``EPSG:327zz`` south.
    """
    zone = min(max(int(math.floor((lon + 180.0) / 6.0)) + 1, 1), 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


# ------------------------------------------------------------------------------- reading
def _load_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CityError(
                f"is {size:,} bytes long; allowed: at most {MAX_FILE_BYTES:,}", path.name
            )
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CityError(f"GeoJSON file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CityError(f"cannot read GeoJSON file {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CityError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", path.name
        ) from None
    except RecursionError:
        raise CityError("invalid JSON: nested too deeply", path.name) from None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Checker:
    """Collects the problems of one file."""

    def __init__(self) -> None:
        self.problems: list[CityProblem] = []

    def add(self, path: str, message: str, value: Any = None) -> None:
        self.problems.append(CityProblem(path, message, value))

    def feature(self, i: int, feat: Any) -> Cell | None:
        """Check one feature's properties and geometry; the cell if they are usable."""
        where = f"features[{i}]"
        if not isinstance(feat, dict):
            self.add(where, "is not a GeoJSON Feature object")
            return None
        props = feat.get("properties")
        if not isinstance(props, dict):
            self.add(f"{where}.properties", "is missing or not an object")
            return None
        fid = props.get("id")
        whole = isinstance(fid, int) and not isinstance(fid, bool)
        if not (isinstance(fid, str) and fid) and not whole:
            self.add(f"{where}.properties.id", "is required: a text or whole-number id", fid)
            return None
        fid = str(fid)
        of = f"(feature {fid!r})"
        ok = True
        for key in ("parent", "level", "name"):
            if key not in props:
                self.add(f"{where}.properties.{key}", f"{of} is required")
                ok = False
        level = props.get("level")
        if "level" in props and level not in LEVELS:
            self.add(
                f"{where}.properties.level",
                f"{of} is not one of: {', '.join(LEVELS)}",
                level,
            )
            ok = False
        parent = props.get("parent")
        if parent is not None and not isinstance(parent, str | int):
            self.add(f"{where}.properties.parent", f"{of} must be an id or null", parent)
            ok = False
        flood_risk = props.get("flood_risk", False)
        if not isinstance(flood_risk, bool):
            self.add(f"{where}.properties.flood_risk", f"{of} must be true or false", flood_risk)
            ok = False
        population = self._population(where, of, level, props)
        geom = self._geometry(where, of, feat.get("geometry"))
        if not ok or population is None or geom is None:
            return None
        return Cell(
            fid,
            str(level),
            str(props["name"]),
            None if parent is None else str(parent),
            geom,
            population,
            flood_risk,
        )

    def _population(self, where: str, of: str, level: Any, props: dict[str, Any]) -> float | None:
        if level != "community":
            return 0.0
        path = f"{where}.properties.population"
        if "population" not in props:
            self.add(path, f"{of} is required on communities")
            return None
        pop = props["population"]
        if not _number(pop) or not math.isfinite(pop) or not 0 <= pop <= MAX_POPULATION:
            self.add(path, f"{of} needs a number from 0 to {MAX_POPULATION:,}", pop)
            return None
        return float(pop)

    def _geometry(self, where: str, of: str, geom: Any) -> BaseGeometry | None:
        path = f"{where}.geometry"
        gtype = geom.get("type") if isinstance(geom, dict) else None
        if gtype not in ("Polygon", "MultiPolygon"):
            self.add(path, f"{of} must be a Polygon or MultiPolygon, got {gtype}")
            return None
        try:
            shp = shape(geom)
        except Exception as exc:  # shapely raises several types on malformed coordinates
            self.add(f"{path}.coordinates", f"{of} malformed {gtype} coordinates: {exc}")
            return None
        if shp.is_empty:
            self.add(path, f"{of} is empty")
            return None
        x0, y0, x1, y1 = shp.bounds
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
            self.add(f"{path}.coordinates", f"{of} has coordinates that are not finite numbers")
            return None
        if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
            self.add(
                f"{path}.coordinates",
                f"{of} coordinates are not lon/lat degrees (EPSG:4326): longitudes must be "
                f"in [-180, 180] and latitudes in [-90, 90], found x {x0:g}..{x1:g}, "
                f"y {y0:g}..{y1:g}",
            )
            return None
        if not shp.is_valid:
            reason = shapely.is_valid_reason(shp)
            self.add(
                path,
                f"{of} is not a valid polygon ({reason}); rings must not cross themselves "
                "or each other",
            )
            return None
        if shp.area <= 0:
            self.add(path, f"{of} has no area")
            return None
        return shp

    def hierarchy(self, cells: list[tuple[int, Cell]]) -> None:
        """One district; every other cell's parent exists, is one level up; no loops."""
        by_id = {c.id: (i, c) for i, c in cells}
        districts = [c.id for _, c in cells if c.level == "district"]
        if len(districts) != 1:
            listed = f" ({', '.join(districts)})" if districts else ""
            self.add(
                "features", f"needs exactly one district feature, found {len(districts)}" + listed
            )
        has_child: set[str] = set()
        for i, c in cells:
            path = f"features[{i}].properties.parent"
            of = f"(feature {c.id!r})"
            rank = LEVELS.index(c.level)
            if c.level == "district":
                if c.parent is not None:
                    self.add(path, f"{of} must be null on the district", c.parent)
                continue
            if c.parent is None:
                self.add(path, f"{of} is null; a {c.level} needs a {LEVELS[rank - 1]} parent")
                continue
            loop = self._loop(c, by_id)
            if loop:
                self.add(path, f"{of} parents loop back: {' -> '.join(loop)}", c.parent)
                continue
            found = by_id.get(c.parent)
            if found is None:
                self.add(path, f"{of} is not the id of any feature", c.parent)
                continue
            parent = found[1]
            if parent.level != LEVELS[rank - 1]:
                self.add(
                    path,
                    f"{of} level out of order: a {c.level}'s parent must be a "
                    f"{LEVELS[rank - 1]}, but {c.parent!r} is a {parent.level}",
                    c.parent,
                )
            has_child.add(parent.id)
        for i, c in cells:
            if c.level != "community" and c.id not in has_child:
                below = LEVELS[LEVELS.index(c.level) + 1]
                self.add(f"features[{i}]", f"(feature {c.id!r}) {c.level} has no {below} features")

    @staticmethod
    def _loop(cell: Cell, by_id: dict[str, tuple[int, Cell]]) -> list[str]:
        seen = [cell.id]
        parent = cell.parent
        while parent is not None and parent in by_id and len(seen) <= len(LEVELS) + 1:
            if parent in seen:
                return [*seen, parent]
            seen.append(parent)
            parent = by_id[parent][1].parent
        return []

    def projected_areas(self, cells: list[tuple[int, Cell]]) -> None:
        """Every cell keeps an area in metres in the district's UTM zone."""
        district = next((c for _, c in cells if c.level == "district"), None)
        if district is None:
            return
        centre = district.geom.centroid
        fwd = Transformer.from_crs("EPSG:4326", utm_crs(centre.x, centre.y), always_xy=True)
        for i, c in cells:
            out = shapely.transform(
                c.geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1]))
            )
            if not out.area > 0:
                self.add(
                    f"features[{i}].geometry", f"(feature {c.id!r}) has no area when projected"
                )


def _check(path: Path) -> tuple[list[Cell], list[CityProblem]]:
    data = _load_json(path)
    checker = _Checker()
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        checker.add("type", "must be 'FeatureCollection'", got)
        return [], checker.problems
    feats = data.get("features")
    if not isinstance(feats, list) or not feats:
        checker.add("features", "needs a non-empty list of features")
        return [], checker.problems
    if len(feats) > MAX_FEATURES:
        checker.add("features", f"has {len(feats):,} features; allowed: at most {MAX_FEATURES:,}")
        return [], checker.problems
    cells: list[tuple[int, Cell]] = []
    first: dict[str, int] = {}
    for i, feat in enumerate(feats):
        cell = checker.feature(i, feat)
        if cell is None:
            continue
        if cell.id in first:
            checker.add(
                f"features[{i}].properties.id",
                f"duplicate id (also features[{first[cell.id]}])",
                cell.id,
            )
            continue
        first[cell.id] = i
        cells.append((i, cell))
    checker.hierarchy(cells)
    communities = [c for _, c in cells if c.level == "community"]
    if communities and sum(c.population for c in communities) <= 0:
        checker.add("features", "every community has population 0; the total must be positive")
    if not checker.problems:
        checker.projected_areas(cells)
    return [c for _, c in cells], checker.problems


def check_cells(path: str | Path) -> list[CityProblem]:
    """Every problem of a GeoJSON city file (empty when it can be built)."""
    try:
        return _check(Path(path))[1]
    except CityError as exc:
        return exc.problems


def read_cells(path: str | Path) -> list[Cell]:
    """The checked cells of a GeoJSON city file.

    Raises:
        CityError: With every problem, each with its path into the file.
    """
    file = Path(path)
    cells, problems = _check(file)
    if problems:
        raise CityError(problems, file.name)
    return cells
