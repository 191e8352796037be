"""Rebuild the slices in this folder from the full logs in ../shared/data/311 (see README.md).

Run from the repository root: ``python tests/data/311/make_slices.py``. Every k-th row is
kept (so a slice spans the whole period of its log), unchanged; the Open311 samples rename a
slice's columns to the GeoReport v2 fields.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "311"
HERE = Path(__file__).resolve().parent
NEW_YORK = ZoneInfo("America/New_York")
SLICES = {
    "la311_slice.csv": ("la311_2020-01-01_to_2020-01-03_first10000.csv", 25),
    "nyc311_slice.csv": ("nyc311_2021-09-21_fullday.csv", 20),
    "chicago311_slice.csv": ("chicago311_2021-01-01_to_2021-01-02_first5000.csv", 15),
    "boston311_slice.csv": ("boston311_jan2022_100rows_qsv_fixture.csv", 1),
}


def _slice(source: str, step: int) -> tuple[list[str], list[dict[str, str]]]:
    with (SHARED / source).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [r for i, r in enumerate(reader) if i % step == 0]
        return list(reader.fieldnames or []), rows


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def _open311(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """NYC rows as GeoReport v2 requests (times with their offset, bulk extension fields)."""
    out: list[dict[str, object]] = []
    for r in rows:
        created = datetime.fromisoformat(r["created_date"]).astimezone(NEW_YORK)
        closed_text = r["closed_date"] if r["closed_date"] not in ("", "NA") else ""
        closed = (datetime.fromisoformat(closed_text).astimezone(NEW_YORK).isoformat()
                  if closed_text else "")
        out.append({
            "service_request_id": r["unique_key"],
            "status": "closed" if r["status"] == "Closed" else "open",
            "status_notes": r["resolution_description"],
            "service_name": r["complaint_type"],
            "service_code": r["complaint_type"].upper().replace(" ", "_")[:12],
            "description": r["descriptor"],
            "agency_responsible": r["agency"],
            "requested_datetime": created.isoformat(),
            "updated_datetime": closed or r["created_date"],
            "closed_date": closed,
            "source": {"PHONE": "phone", "ONLINE": "web", "MOBILE": "mobile"}.get(
                r["open_data_channel_type"], "phone"),
            "address": r["incident_address"],
            "zipcode": r["incident_zip"],
            "lat": float(r["latitude"]) if r["latitude"] not in ("", "NA") else None,
            "long": float(r["longitude"]) if r["longitude"] not in ("", "NA") else None,
            "media_url": "",
        })
    return out


def main() -> None:
    """Write every slice and the two Open311 samples."""
    for name, (source, step) in SLICES.items():
        header, rows = _slice(source, step)
        _write(HERE / name, header, rows)
    _, nyc = _slice("nyc311_2021-09-21_fullday.csv", 20)
    requests = _open311(nyc)
    json_requests = [{k: v for k, v in r.items() if k != "closed_date"} for r in requests]
    (HERE / "open311_sample.json").write_text(json.dumps(json_requests, indent=1) + "\n",
                                              encoding="utf-8")
    _write(HERE / "open311_sample.csv", list(requests[0]), [
        {k: "" if v is None else v for k, v in r.items()} for r in requests])


if __name__ == "__main__":
    main()
