"""Calibration end to end on every shipped slice: import → fit → scenario → run → report.

Each figure checked here is recomputed independently from the CSV/JSON with the csv module
and datetime, not with the calibration's own code.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

import gridtwin
from gridtwin.calibrate.pipeline import Options, calibrate
from gridtwin.cli import cli

DATA = Path(__file__).parent / "data" / "311"

# slice, mapping, created, closed, channel column, personal columns, id column, zone
SLICES: dict[str, dict[str, Any]] = {
    "la": {"file": "la311_slice.csv", "created": "createddate", "closed": "closeddate",
           "channel": "requestsource", "type": "requesttype", "id": "srnumber",
           "status": "status", "closed_statuses": {"closed", "cancelled", "referred out"},
           "zone": "America/Los_Angeles",
           "personal": ["address", "streetname", "approximateaddress", "location"]},
    "nyc": {"file": "nyc311_slice.csv", "created": "created_date", "closed": "closed_date",
            "channel": "open_data_channel_type", "type": "complaint_type", "id": "unique_key",
            "status": "status", "closed_statuses": {"closed"}, "zone": "America/New_York",
            "personal": ["incident_address", "street_name", "cross_street_1", "descriptor",
                         "resolution_description", "landmark"]},
    "chicago": {"file": "chicago311_slice.csv", "created": "created_date",
                "closed": "closed_date", "channel": "origin", "type": "sr_type",
                "id": "sr_number", "status": "status",
                "closed_statuses": {"completed", "canceled"}, "zone": "America/Chicago",
                "personal": ["street_address", "street_name", "location"]},
    "boston": {"file": "boston311_slice.csv", "created": "open_dt", "closed": "closed_dt",
               "channel": "source", "type": "type", "id": "case_enquiry_id",
               "status": "case_status", "closed_statuses": {"closed"},
               "zone": "America/New_York",
               "personal": ["location", "closure_reason", "case_title", "location_street_name"]},
    "open311_json": {"file": "open311_sample.json", "mapping": "open311",
                     "created": "requested_datetime", "closed": "updated_datetime",
                     "channel": "source", "type": "service_name", "id": "service_request_id",
                     "status": "status", "closed_statuses": {"closed"},
                     "zone": "America/New_York",
                     "personal": ["address", "description", "status_notes"]},
    "open311_csv": {"file": "open311_sample.csv", "mapping": "open311",
                    "created": "requested_datetime", "closed": "closed_date",
                    "channel": "source", "type": "service_name", "id": "service_request_id",
                    "status": "status", "closed_statuses": {"closed"},
                    "zone": "America/New_York",
                    "personal": ["address", "description", "status_notes"]},
}
MISSING = {"", "na", "n/a", "null", "none", "nan"}


def _rows(spec: dict[str, Any]) -> list[dict[str, str]]:
    path = DATA / spec["file"]
    if path.suffix == ".json":
        return [{k: "" if v is None else str(v) for k, v in r.items()}
                for r in json.loads(path.read_text(encoding="utf-8"))]
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _time(text: str, zone: str) -> datetime | None:
    """(aware) datetime of a log time, or None."""
    if text.strip().lower() in MISSING:
        return None
    dt = datetime.fromisoformat(text.strip())
    return dt.astimezone(ZoneInfo(zone)) if dt.tzinfo else dt.replace(tzinfo=ZoneInfo(zone))


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for key, spec in SLICES.items():
        folder = tmp_path_factory.mktemp(key) / "out"
        calibrate(Options(log=DATA / spec["file"], mapping=spec.get("mapping", key), out=folder,
                          replications=2, seed=3, follow_up_days=7))
        out[key] = folder
    return out


def _fit(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "fit.json").read_text(encoding="utf-8"))


def _training(spec: dict[str, Any], fit: dict[str, Any]) -> list[dict[str, str]]:
    """Rows the importer keeps that were created before the held-out start (local time)."""
    until = datetime.fromisoformat(fit["validation"]["window"]["start"])
    rows = []
    for r in _rows(spec):
        if r.get("duplicate", "").lower() == "true":
            continue
        created = _time(r[spec["created"]], spec["zone"])
        assert created is not None
        if created.replace(tzinfo=None) < until:
            rows.append(r)
    return rows


@pytest.mark.parametrize("key", list(SLICES))
def test_outputs_load_and_the_contract_keys_are_there(calibrated: dict[str, Path], key: str):
    folder = calibrated[key]
    for name in ("scenario.yaml", "city.geojson", "report.md", "fit.json",
                 "arrivals_held_out.png", "time_to_close.png"):
        assert (folder / name).is_file(), name
    fit = _fit(folder)
    for k in ("hourly_arrivals_mape", "hourly_arrivals_chi2", "hourly_arrivals_r2",
              "time_to_close", "rates", "channel_mix", "staffing", "cleaning", "seed",
              "versions", "backtest"):
        assert k in fit, k
    assert fit["seed"] == 3
    mape = fit["hourly_arrivals_mape"]["overall"]
    assert mape is None or 0 <= mape < 10
    assert 0 <= fit["hourly_arrivals_chi2"]["p_value"] <= 1
    assert set(fit["time_to_close"]["all"]) >= {"p50", "p90"}
    scenario = gridtwin.load_scenario(folder / "scenario.yaml")
    residents = scenario.population.residents
    for ct in scenario.services.case_types:
        fitted = fit["rates"][ct.id]["per_year"]
        assert ct.rate_per_resident_year * residents == pytest.approx(fitted, rel=1e-4)
        lo, hi = fit["rates"][ct.id]["per_year_ci"]
        assert lo <= fitted <= hi
    assert "## Where the twin is off" in (folder / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", ["la", "chicago"])
def test_the_written_scenario_runs_with_gridtwin_run(calibrated: dict[str, Path], key: str):
    result = CliRunner().invoke(cli, ["run", str(calibrated[key] / "scenario.yaml"), "--days",
                                      "1", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "cases" in result.output


@pytest.mark.parametrize("key", list(SLICES))
def test_peak_hour_equals_the_observed_one(calibrated: dict[str, Path], key: str):
    spec = SLICES[key]
    fit = _fit(calibrated[key])
    hours = Counter(_time(r[spec["created"]], spec["zone"]).hour  # type: ignore[union-attr]
                    for r in _training(spec, fit))
    top = max(hours.values())
    peaks = {h for h, n in hours.items() if n == top}
    assert fit["observed_peak_hour"] in peaks
    pooled = fit["pooled_hourly_profile"]
    assert pooled.index(max(pooled)) in peaks


@pytest.mark.parametrize("key", list(SLICES))
def test_channel_shares_equal_the_counted_ones(calibrated: dict[str, Path], key: str):
    spec = SLICES[key]
    fit = _fit(calibrated[key])
    rows = _training(spec, fit)
    counted = Counter(r[spec["channel"]].strip() or "(none)" for r in rows)
    shares = fit["channel_mix"]["overall_raw"]
    assert set(shares) == set(counted)
    for label, n in counted.items():
        assert shares[label] == pytest.approx(n / len(rows), abs=1e-12)


@pytest.mark.parametrize("key", ["la", "chicago"])
def test_median_time_to_close_matches_the_observed_one(calibrated: dict[str, Path], key: str):
    """Almost everything closed: the Kaplan–Meier median is the empirical one (open = ∞)."""
    spec = SLICES[key]
    fit = _fit(calibrated[key])
    rows = _training(spec, fit)
    top = max(fit["rates"], key=lambda t: fit["rates"][t]["requests"])
    members = set(fit["rates"][top]["members"])
    durations = []
    for r in rows:
        if r[spec["type"]] not in members:
            continue
        created = _time(r[spec["created"]], spec["zone"])
        closed = _time(r[spec["closed"]], spec["zone"])
        closed_status = r[spec["status"]].strip().lower() in spec["closed_statuses"]
        if closed is None:
            if closed_status:
                continue  # closed without a time: not usable
            durations.append(math.inf)
        elif closed >= created:  # type: ignore[operator]
            durations.append((closed - created).total_seconds() / 3600)  # type: ignore[operator]
    durations.sort()
    lower_median = durations[math.ceil(len(durations) / 2) - 1]
    km = fit["time_to_close_fit"][top]["kaplan_meier"]["p50"]["value"]
    assert km == pytest.approx(lower_median, abs=1e-6)
    chosen = fit["time_to_close_fit"][top]["best_parametric"]
    fitted = fit["time_to_close_fit"][top]["fits"][chosen]["median_h"]
    # the fits are in the scenario's terms (working hours where a calendar was inferred)
    basis = fit["time_to_close_fit"][top]["kaplan_meier_basis"]["p50"]["value"]
    if fit["time_to_close_fit"][top]["basis"] == "elapsed":
        assert basis == km
    floor = max(basis, 1 / 60)  # parametric fits take durations under a minute as one
    assert floor / 1.6 <= fitted <= floor * 1.6


def test_cleaning_counts_match_independent_counts(calibrated: dict[str, Path]):
    nyc = SLICES["nyc"]
    rows = _rows(nyc)
    before = 0
    for r in rows:
        created, closed = _time(r["created_date"], nyc["zone"]), _time(r["closed_date"],
                                                                          nyc["zone"])
        before += closed is not None and created is not None and closed < created
    cleaning = _fit(calibrated["nyc"])["cleaning"]
    assert before > 0
    assert cleaning["closed_before_created"] == before
    assert cleaning["rows_read"] == len(rows)
    chicago = _rows(SLICES["chicago"])
    dup = _fit(calibrated["chicago"])["cleaning"]
    assert dup["flagged_duplicates"] == sum(r["duplicate"] == "True" for r in chicago) > 0
    assert dup["rows_kept"] == len(chicago) - dup["flagged_duplicates"]
    la = _rows(SLICES["la"])
    cl = _fit(calibrated["la"])["cleaning"]
    assert cl["missing_coordinates"] == sum(not r["latitude"] or not r["longitude"] for r in la)
    assert cl["still_open"] == sum(not r["closeddate"] and r["status"] not in
                                   ("Closed", "Cancelled", "Referred Out") for r in la)
    assert "address" in cl["personal_columns_dropped"]


_PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]\d{3}[-. ]\d{4}\b")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")


def _outputs(folder: Path) -> str:
    return "\n".join((folder / n).read_text(encoding="utf-8")
                     for n in ("scenario.yaml", "report.md", "fit.json", "city.geojson"))


@pytest.mark.parametrize("key", list(SLICES))
def test_no_personal_data_in_any_output(calibrated: dict[str, Path], key: str):
    spec = SLICES[key]
    text = _outputs(calibrated[key])
    lowered = text.lower()
    rows = _rows(spec)
    # a categorical value that is also a type or channel label (NYC's descriptor "Derelict
    # Vehicles" is also a complaint type) is not personal
    labels = {(r.get(spec[c]) or "").strip().lower() for r in rows for c in ("type", "channel")}
    numbers = set(re.findall(r"-?\d+\.\d+", text))
    pairs = {(round(float(a), 6), round(float(b), 6))
             for a, b in re.findall(r"(-?\d+\.\d+),\s*(-?\d+\.\d+)", text)}
    tokens = set(re.findall(r"[\w-]+", text))
    checked = 0
    for r in rows:
        for col in spec["personal"]:
            value = (r.get(col) or "").strip()
            if len(value) >= 8 and value.lower() not in MISSING | labels:
                assert value.lower() not in lowered, f"{col}: {value!r}"
                checked += 1
        rid = r[spec["id"]].strip()
        assert rid not in tokens and rid not in numbers, rid
        lat = (r.get("latitude") or r.get("lat") or "").strip()
        lon = (r.get("longitude") or r.get("long") or "").strip()
        if lat.lower() in MISSING or lon.lower() in MISSING:
            continue
        for v in (lat, lon):  # precise values, as numbers of their own (a short one such as
            if len(v.split(".")[-1]) >= 6:  # Boston's 42.2884 meets a cell corner by chance)
                assert v not in numbers, v
        # the position to 0.1 m as a pair, either order (single numbers at six decimals meet
        # cell corners by chance: a pair does not)
        here = (round(float(lon), 6), round(float(lat), 6))
        assert here not in pairs and here[::-1] not in pairs, (lat, lon)
    assert checked > 0
    assert not _PHONE.search(text)
    assert not _EMAIL.search(text)
    centroids = _fit(calibrated[key])["cells"]["centroids"]
    assert centroids and all(len(c) == 2 for c in centroids.values())


def test_same_seed_same_figures(calibrated: dict[str, Path], tmp_path: Path):
    again = tmp_path / "again"
    calibrate(Options(log=DATA / SLICES["boston"]["file"], mapping="boston", out=again,
                      replications=2, seed=3, follow_up_days=7))
    a, b = _fit(calibrated["boston"]), _fit(again)
    assert a == b
    assert (again / "scenario.yaml").read_text() == (
        calibrated["boston"] / "scenario.yaml").read_text()


def test_holidays_are_flagged(calibrated: dict[str, Path]):
    flagged = _fit(calibrated["la"])["holidays"]
    assert [h["date"] for h in flagged] == ["2020-01-01"]
    assert flagged[0]["holiday"] == "New Year's Day"
    assert datetime(2020, 1, 1, tzinfo=UTC).weekday() == 2
