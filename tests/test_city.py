"""Tests for gridtwin.sim.city: the district → street → grid → community graph."""

from __future__ import annotations

import copy
import itertools
import json
import math
import pickle
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Geod, Transformer

from gridtwin.scenarios.schema import City
from gridtwin.sim.city import LEVELS, CityError, CityGrid, build_city, utm_crs

DATA = Path(__file__).parent / "data"
FIXTURE = DATA / "small_city.geojson"
GEOD = Geod(ellps="WGS84")


def synthetic(communities: int = 300, grids: int = 63, streets: int = 13,
              area_km2: float = 54.93, lon: float = 121.47, lat: float = 31.23) -> City:
    return City(synthetic={"center_lon": lon, "center_lat": lat, "area_km2": area_km2,
                           "streets": streets, "grids": grids, "communities": communities})


@pytest.fixture(scope="module")
def xdistrict() -> CityGrid:
    return build_city(synthetic())


@pytest.fixture(scope="module")
def small() -> CityGrid:
    return build_city(City(geojson=FIXTURE.name), base_dir=DATA)


def levels(city: CityGrid) -> Counter[str]:
    return Counter(d["level"] for _, d in city.graph.nodes(data=True))


def geodesic_m(lonlat_a: np.ndarray, lonlat_b: np.ndarray) -> float:
    return GEOD.inv(lonlat_a[0], lonlat_a[1], lonlat_b[0], lonlat_b[1])[2]


# ----------------------------------------------------------------------------- synthetic
def test_synthetic_counts_per_level(xdistrict: CityGrid) -> None:
    assert levels(xdistrict) == {"district": 1, "street": 13, "grid": 63, "community": 300}
    assert xdistrict.n_communities == 300
    assert len(xdistrict.grid_ids) == 63 and len(xdistrict.street_ids) == 13
    assert len(xdistrict.grid_members) == 63 and xdistrict.street_centres.shape == (13,)
    assert xdistrict.crs == "EPSG:32651"
    for name in ("community_grid", "community_street", "community_area_km2", "community_weight"):
        assert getattr(xdistrict, name).shape == (300,), name
    assert xdistrict.community_xy.shape == xdistrict.community_lonlat.shape == (300, 2)
    assert len(xdistrict.community_polygons) == 300


def test_containment_edges_follow_the_hierarchy(xdistrict: CityGrid) -> None:
    g = xdistrict.graph
    contains = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "contains"]
    assert len(contains) == 13 + 63 + 300
    for node, d in g.nodes(data=True):
        if d["level"] == "district":
            assert d["parent"] is None
            continue
        parent = g.nodes[d["parent"]]
        assert LEVELS.index(parent["level"]) == LEVELS.index(d["level"]) - 1
        assert g.edges[node, d["parent"]]["kind"] == "contains"
    for i, cid in enumerate(xdistrict.community_ids):
        grid = g.nodes[cid]["parent"]
        assert xdistrict.grid_ids[xdistrict.community_grid[i]] == grid
        assert xdistrict.street_ids[xdistrict.community_street[i]] == g.nodes[grid]["parent"]
        assert i in xdistrict.grid_members[xdistrict.community_grid[i]]


def test_synthetic_runs_are_contiguous_and_balanced(xdistrict: CityGrid) -> None:
    sizes = [len(m) for m in xdistrict.grid_members]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 300
    assert np.all(np.diff(xdistrict.community_grid) >= 0)
    assert np.all(np.diff(xdistrict.community_street) >= 0)
    grids_per_street = np.bincount(
        [xdistrict.street_ids.index(xdistrict.graph.nodes[gid]["parent"])
         for gid in xdistrict.grid_ids])
    assert grids_per_street.max() - grids_per_street.min() <= 1
    # snake order: consecutive communities are lattice neighbours
    for a, b in itertools.pairwise(xdistrict.community_ids):
        assert xdistrict.graph.edges[a, b]["kind"] == "adjacent"


def test_synthetic_area_matches_spec(xdistrict: CityGrid) -> None:
    assert xdistrict.community_area_km2.sum() == pytest.approx(54.93, rel=0.01)
    assert xdistrict.graph.nodes["D"]["area_km2"] == pytest.approx(54.93, rel=0.01)
    # the lon/lat polygons enclose the same ground area (geodesic, independent of UTM)
    geodesic = sum(abs(GEOD.polygon_area_perimeter(*zip(*ring, strict=True))[0])
                   for ring in xdistrict.community_polygons) / 1e6
    assert geodesic == pytest.approx(54.93, rel=0.01)
    assert xdistrict.community_weight.sum() == pytest.approx(1.0)
    assert np.allclose(xdistrict.community_weight, 1 / 300)


def test_synthetic_centroid_is_the_given_centre(xdistrict: CityGrid) -> None:
    d = xdistrict.graph.nodes["D"]
    assert (d["lon"], d["lat"]) == (pytest.approx(121.47), pytest.approx(31.23))
    assert xdistrict.community_lonlat.mean(axis=0) == pytest.approx([121.47, 31.23], abs=1e-3)


def test_utm_zone_choice() -> None:
    assert utm_crs(121.47, 31.23) == "EPSG:32651"
    assert utm_crs(-0.12, 51.5) == "EPSG:32630"
    assert utm_crs(151.2, -33.87) == "EPSG:32756"
    assert utm_crs(180.0, 0.0) == "EPSG:32660"
    city = build_city(synthetic(communities=4, grids=2, streets=1, lon=-74.0, lat=40.7))
    assert city.crs == "EPSG:32618"


def test_projection_distance_matches_geodesic(xdistrict: CityGrid) -> None:
    a, b = (121.4737, 31.2304), (121.5064, 31.2456)  # People's Square, Lujiazui: ~3.5 km
    fwd = Transformer.from_crs("EPSG:4326", utm_crs(*a), always_xy=True)
    (xa, xb), (ya, yb) = fwd.transform([a[0], b[0]], [a[1], b[1]])
    geodesic = GEOD.inv(a[0], a[1], b[0], b[1])[2]
    assert 3000 < geodesic < 4000
    assert math.hypot(xb - xa, yb - ya) == pytest.approx(geodesic, rel=0.005)
    # the city's own metres agree with geodesics between its lon/lat centroids
    for i, j in [(0, 299), (17, 150), (42, 43)]:
        xy = math.dist(xdistrict.community_xy[i], xdistrict.community_xy[j])
        ll = geodesic_m(xdistrict.community_lonlat[i], xdistrict.community_lonlat[j])
        assert xy == pytest.approx(ll, rel=0.005)


def test_distances_are_metric(xdistrict: CityGrid) -> None:
    xy = xdistrict.community_xy
    diameter_km = math.dist(xy.min(axis=0), xy.max(axis=0)) / 1000
    assert 5 < diameter_km < 15  # sqrt(54.93) = 7.4 km a side
    g = xdistrict.graph
    km = [d["distance_km"] for u, _, d in g.edges(data=True)
          if d["kind"] == "adjacent" and g.nodes[u]["level"] == "community"]
    assert np.allclose(km, math.sqrt(54.93 / 300))  # neighbours are one cell side apart
    dist, _ = xdistrict.distances_from([0])
    assert 5 < dist.max() < 30


def test_adjacency_is_symmetric_and_same_level(xdistrict: CityGrid) -> None:
    g = xdistrict.graph
    adjacent = [(u, v, d) for u, v, d in g.edges(data=True) if d["kind"] == "adjacent"]
    assert len(adjacent) > 300
    for u, v, d in adjacent:
        assert g.nodes[u]["level"] == g.nodes[v]["level"]
        assert u in g[v] and v in g[u]
        assert d["distance_km"] > 0
    for a, b in [(0, 299), (5, 77), (123, 4)]:
        assert xdistrict.path_km(a, b) == xdistrict.path_km(b, a)
    assert xdistrict.path_km(7, 7) == 0


def test_network_distance_at_least_straight_line(xdistrict: CityGrid) -> None:
    rng = np.random.default_rng(3)
    for a, b in rng.integers(0, 300, size=(50, 2)):
        straight = math.dist(xdistrict.community_xy[a], xdistrict.community_xy[b]) / 1000
        assert xdistrict.path_km(int(a), int(b)) >= straight - 1e-9
    # on a rook lattice the network distance is the Manhattan distance
    dx, dy = np.abs(xdistrict.community_xy[0] - xdistrict.community_xy[299]) / 1000
    assert xdistrict.path_km(0, 299) == pytest.approx(dx + dy)


def test_distances_from_multiple_sources(xdistrict: CityGrid) -> None:
    sources = [250, 3, 120, 3]
    dist, nearest = xdistrict.distances_from(sources)
    rows = np.array([[xdistrict.path_km(s, i) for i in range(300)] for s in sources])
    assert np.allclose(dist, rows.min(axis=0))
    assert np.allclose(rows[nearest, np.arange(300)], dist)
    assert nearest[250] == 0 and nearest[3] == 1 and nearest[120] == 2
    assert set(nearest.tolist()) <= {0, 1, 2}
    with pytest.raises(ValueError):
        xdistrict.distances_from([])
    with pytest.raises(IndexError):
        xdistrict.distances_from([300])


def test_street_centres_lie_in_their_street(xdistrict: CityGrid) -> None:
    for s, c in enumerate(xdistrict.street_centres):
        assert xdistrict.community_street[c] == s
        node = xdistrict.graph.nodes[xdistrict.street_ids[s]]
        own = np.flatnonzero(xdistrict.community_street == s)
        gaps = np.hypot(*(xdistrict.community_xy[own] - [node["x"], node["y"]]).T)
        assert math.dist(xdistrict.community_xy[c], (node["x"], node["y"])) == gaps.min()


def test_patrol_route_visits_every_member_once(xdistrict: CityGrid) -> None:
    for members in xdistrict.grid_members:
        route = xdistrict.patrol_route(members)
        assert sorted(route) == sorted(members.tolist())
        assert route[0] == members.min()
    scattered = [290, 5, 140, 5, 77, 200]
    route = xdistrict.patrol_route(scattered)
    assert sorted(route) == [5, 77, 140, 200, 290] and route[0] == 5
    assert route == xdistrict.patrol_route(list(reversed(scattered)))
    # nearest neighbour: each step goes to the closest unvisited member
    for k in range(len(route) - 1):
        here, left = route[k], route[k + 1:]
        assert xdistrict.path_km(here, route[k + 1]) == min(xdistrict.path_km(here, x)
                                                            for x in left)
    assert xdistrict.patrol_route([]) == []


def test_build_is_fast_and_deterministic() -> None:
    t0 = time.perf_counter()
    a = build_city(synthetic())
    assert time.perf_counter() - t0 < 1.0
    b = build_city(synthetic())
    assert a.community_ids == b.community_ids
    assert np.array_equal(a.community_xy, b.community_xy)
    assert a.community_polygons == b.community_polygons
    assert sorted(a.graph.edges) == sorted(b.graph.edges)
    t0 = time.perf_counter()
    big = build_city(synthetic(communities=5000, grids=1000, streets=50))
    big.distances_from(big.street_centres)
    assert time.perf_counter() - t0 < 5.0
    assert big.community_area_km2.sum() == pytest.approx(54.93)


def test_small_synthetic_cities() -> None:
    one = build_city(synthetic(communities=1, grids=1, streets=1))
    assert one.distances_from([0])[0].tolist() == [0.0]
    assert one.patrol_route([0]) == [0]
    odd = build_city(synthetic(communities=7, grids=3, streets=2))
    assert [len(m) for m in odd.grid_members] == [2, 2, 3]
    assert np.isfinite(odd.distances_from([6])[0]).all()  # partial last row stays connected


def test_arrays_are_read_only_and_grid_pickles(xdistrict: CityGrid) -> None:
    with pytest.raises(ValueError):
        xdistrict.community_xy[0, 0] = 0.0
    with pytest.raises(AttributeError):
        xdistrict.crs = "EPSG:4326"  # type: ignore[misc]
    clone = pickle.loads(pickle.dumps(xdistrict))
    assert clone.path_km(0, 299) == xdistrict.path_km(0, 299)


# ------------------------------------------------------------------------------- GeoJSON
def test_geojson_fixture_loads(small: CityGrid) -> None:
    assert levels(small) == {"district": 1, "street": 2, "grid": 4, "community": 12}
    assert small.crs == "EPSG:32651"
    assert small.street_ids == ("s1", "s2")
    assert small.grid_ids == ("g1", "g2", "g3", "g4")
    assert small.community_ids == tuple(f"c{i:02d}" for i in range(1, 13))
    assert [m.tolist() for m in small.grid_members] == [[0, 1, 2], [3, 4, 5], [6, 7, 8],
                                                        [9, 10, 11]]
    assert small.community_street.tolist() == [0] * 6 + [1] * 6
    # squares of about 0.5 km x 0.5 km
    assert np.allclose(small.community_area_km2, 0.25, rtol=0.02)
    assert small.graph.nodes["xd"]["area_km2"] == pytest.approx(12 * 0.25, rel=0.02)
    assert small.path_km(0, 1) == pytest.approx(0.5, rel=0.02)
    assert small.community_polygons[0][0] == small.community_polygons[0][-1]


def test_geojson_weights_follow_population(small: CityGrid) -> None:
    features = json.loads(FIXTURE.read_text())["features"]
    pops = {f["properties"]["id"]: f["properties"]["population"]
            for f in features if f["properties"]["level"] == "community"}
    expected = np.array([pops[c] for c in small.community_ids], dtype=float)
    assert small.community_weight.sum() == pytest.approx(1.0)
    assert np.allclose(small.community_weight, expected / expected.sum())
    assert small.community_weight[small.community_ids.index("c10")] == 0.0
    for i, cid in enumerate(small.community_ids):
        assert small.graph.nodes[cid]["population_weight"] == small.community_weight[i]


def test_geojson_adjacency(small: CityGrid) -> None:
    g = small.graph
    assert g.edges["c01", "c02"]["kind"] == "adjacent"  # shared edge
    assert g.edges["c01", "c05"]["kind"] == "adjacent"  # shared vertex only
    assert not g.has_edge("c01", "c03")
    assert g.has_edge("g1", "g2") and not g.has_edge("g1", "g3")
    assert g.has_edge("s1", "s2")
    n_adjacent = sum(1 for u, _, d in g.edges(data=True)
                     if d["kind"] == "adjacent" and g.nodes[u]["level"] == "community")
    assert n_adjacent == 17 + 12  # 4x3 lattice: rook pairs plus diagonal pairs
    for i, j in itertools.combinations(range(12), 2):
        straight = math.dist(small.community_xy[i], small.community_xy[j]) / 1000
        assert small.path_km(i, j) >= straight - 1e-9
        # with diagonal (shared-vertex) neighbours, detours stay short on a square lattice
        assert small.path_km(i, j) <= 1.1 * straight


# ---------------------------------------------------------------------------- bad GeoJSON
def features() -> list[dict[str, Any]]:
    return copy.deepcopy(json.loads(FIXTURE.read_text())["features"])


def feature(feats: list[dict[str, Any]], fid: str) -> dict[str, Any]:
    return next(f for f in feats if f["properties"]["id"] == fid)


def write(tmp_path: Path, feats: list[dict[str, Any]]) -> Path:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def _drop_level(f: list[dict[str, Any]]) -> None:
    del feature(f, "c05")["properties"]["level"]


def _drop_population(f: list[dict[str, Any]]) -> None:
    del feature(f, "c07")["properties"]["population"]


def _negative_population(f: list[dict[str, Any]]) -> None:
    feature(f, "c07")["properties"]["population"] = -3


def _unknown_parent(f: list[dict[str, Any]]) -> None:
    feature(f, "c08")["properties"]["parent"] = "g9"


def _out_of_order(f: list[dict[str, Any]]) -> None:
    feature(f, "c09")["properties"]["parent"] = "s1"


def _unknown_level(f: list[dict[str, Any]]) -> None:
    feature(f, "g2")["properties"]["level"] = "block"


def _point(f: list[dict[str, Any]]) -> None:
    feature(f, "c03")["geometry"] = {"type": "Point", "coordinates": [121.47, 31.23]}


def _no_geometry(f: list[dict[str, Any]]) -> None:
    feature(f, "c03")["geometry"] = None


def _second_district(f: list[dict[str, Any]]) -> None:
    other = copy.deepcopy(feature(f, "xd"))
    other["properties"]["id"] = "xd2"
    f.append(other)


def _duplicate_id(f: list[dict[str, Any]]) -> None:
    feature(f, "c12")["properties"]["id"] = "c11"


def _childless_grid(f: list[dict[str, Any]]) -> None:
    for cid in ("c10", "c11", "c12"):
        feature(f, cid)["properties"]["parent"] = "g3"


def _projected(f: list[dict[str, Any]]) -> None:
    feature(f, "c04")["geometry"]["coordinates"] = [[[350000, 3456000], [350500, 3456000],
                                                     [350500, 3456500], [350000, 3456000]]]


def _missing_id(f: list[dict[str, Any]]) -> None:
    del feature(f, "c06")["properties"]["id"]


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        pytest.param(_drop_level, ["features[9].properties.level", "'c05'", "required"],
                     id="drop_level"),
        pytest.param(_drop_population, ["features[12].properties.population", "'c07'"],
                     id="drop_population"),
        pytest.param(_negative_population, ["features[12].properties.population", "'c07'", "-3"],
                     id="negative_population"),
        pytest.param(_unknown_parent, ["features[13].properties.parent", "'c08'", "'g9'"],
                     id="unknown_parent"),
        pytest.param(_out_of_order, ["features[14].properties.parent", "'c09'", "out of order",
                                     "grid", "'s1'"], id="out_of_order"),
        pytest.param(_unknown_level, ["features[7].properties.level", "'g2'", "'block'"],
                     id="unknown_level"),
        pytest.param(_point, ["features[6].geometry", "'c03'", "Point", "Polygon"], id="point"),
        pytest.param(_no_geometry, ["features[6].geometry", "'c03'"], id="no_geometry"),
        pytest.param(_second_district, ["features:", "exactly one district", "xd2"],
                     id="second_district"),
        pytest.param(_duplicate_id, ["features[18].properties.id", "'c11'", "duplicate",
                                     "features[17]"], id="duplicate_id"),
        pytest.param(_childless_grid, ["features[15]", "'g4'", "no community"],
                     id="childless_grid"),
        pytest.param(_projected, ["features[8].geometry.coordinates", "'c04'", "lon/lat"],
                     id="projected"),
        pytest.param(_missing_id, ["features[10].properties.id", "required"], id="missing_id"),
    ],
)
def test_bad_geojson_names_feature_and_field(tmp_path: Path, mutate: Any,
                                             needles: list[str]) -> None:
    feats = features()
    mutate(feats)
    with pytest.raises(CityError) as err:
        build_city(City(geojson=str(write(tmp_path, feats))))
    message = str(err.value)
    for needle in needles:
        assert needle in message, message
    assert "bad.geojson" in message


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(CityError, match="not found") as err:
        build_city(City(geojson="nowhere.geojson"), base_dir=tmp_path)
    assert str(tmp_path / "nowhere.geojson") in str(err.value)


def test_invalid_json_names_the_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [\n{"type": }]}')
    with pytest.raises(CityError, match=r"broken\.geojson: invalid JSON at line 2"):
        build_city(City(geojson=path.name), base_dir=tmp_path)


def test_not_a_feature_collection(tmp_path: Path) -> None:
    path = tmp_path / "plain.geojson"
    path.write_text(json.dumps({"type": "Feature", "properties": {}}))
    with pytest.raises(CityError, match="FeatureCollection"):
        build_city(City(geojson=str(path)))


def test_all_zero_population_is_rejected(tmp_path: Path) -> None:
    feats = features()
    for f in feats:
        if f["properties"]["level"] == "community":
            f["properties"]["population"] = 0
    with pytest.raises(CityError, match="population"):
        build_city(City(geojson=str(write(tmp_path, feats))))


def test_city_error_is_a_value_error() -> None:
    assert issubclass(CityError, ValueError)
