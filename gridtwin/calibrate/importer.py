"""Reading a service-request log (CSV or Open311 JSON) into a clean table.

Only the columns a :class:`~gridtwin.calibrate.mappings.Mapping` names are read; the rest,
personal data included, is dropped unread (:mod:`gridtwin.calibrate.privacy`). Every repair
or refusal is counted in a :class:`~gridtwin.calibrate.cleaning.CleaningReport`.

Times are kept twice: as UTC epoch seconds (for durations) and as the city's local wall clock
written as epoch seconds (``local``; for hours of the week and days), so that daylight saving
moves neither.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from gridtwin.calibrate import CalibrationError
from gridtwin.calibrate.cleaning import CleaningReport
from gridtwin.calibrate.mappings import Mapping
from gridtwin.calibrate.privacy import Hasher, looks_personal

__all__ = ["MAX_LOG_BYTES", "RequestLog", "TimeParser", "read_log"]

MAX_LOG_BYTES = 2_000_000_000
"""Largest log file read."""
_FALLBACK_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y/%m/%d %H:%M:%S")
_TRUE = {"true", "t", "yes", "y", "1"}


@dataclass
class RequestLog:
    """The cleaned requests, one entry per kept row (personal data already dropped)."""

    id_hash: list[str]
    created: np.ndarray
    """UTC epoch seconds."""
    created_local: np.ndarray
    """Local wall clock as epoch seconds (hour of week: ``(local // 3600 + 72) % 168``)."""
    closed: np.ndarray
    """UTC epoch seconds; NaN: no usable close time."""
    open: np.ndarray
    """True: no close time and not closed (censored at :attr:`snapshot`)."""
    usable_close: np.ndarray
    """True: the request enters the time-to-close fit (closed with a sound time, or open)."""
    type: np.ndarray
    agency: np.ndarray
    channel_raw: np.ndarray
    channel: np.ndarray
    """gridtwin channel names (hotline, portal, photo)."""
    lat: np.ndarray
    lon: np.ndarray
    row: np.ndarray
    """Line of the request in the file (CSV) or its index in the list (JSON)."""
    snapshot: float
    """UTC epoch seconds of the latest time in the log: when it was taken."""
    offset: float
    """Seconds to add to a UTC time to get the local clock (the log's median)."""

    def __len__(self) -> int:
        return len(self.created)

    def subset(self, keep: np.ndarray) -> RequestLog:
        """The requests where ``keep`` is true."""
        arrays = {k: v[keep] for k, v in self.__dict__.items() if isinstance(v, np.ndarray)}
        ids = [h for h, k in zip(self.id_hash, keep, strict=True) if k]
        return RequestLog(id_hash=ids, snapshot=self.snapshot, offset=self.offset, **arrays)


class TimeParser:
    """Reads times in ISO 8601 (or a given format) into (UTC, local) epoch seconds.

    Args:
        timezone: IANA zone of the city; None keeps the clock the times show.
        fmt: A :func:`datetime.strptime` format tried first.
        report: Where daylight-saving gaps and repeats and offsets are counted.
    """

    def __init__(self, timezone: str | None, fmt: str | None, report: CleaningReport) -> None:
        self.zone: tzinfo | None = ZoneInfo(timezone) if timezone else None
        self.fmt = fmt
        self.report = report

    def _datetime(self, text: str) -> datetime | None:
        formats = ((self.fmt,) if self.fmt else ()) + _FALLBACK_FORMATS
        if not self.fmt:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                pass
        for f in formats:
            try:
                return datetime.strptime(text, f)
            except ValueError:
                continue
        return None

    def __call__(self, text: str) -> tuple[float, float] | None:
        """``(utc, local)`` epoch seconds, or None if ``text`` is not a time."""
        dt = self._datetime(text.strip())
        if dt is None or not 1800 < dt.year < 2200:
            return None
        if dt.tzinfo is not None:
            self.report.times_with_offset += 1
            local = dt.astimezone(self.zone) if self.zone else dt
        else:
            self.report.naive_times += 1
            if self.zone is None:
                dt = local = dt.replace(tzinfo=UTC)
            else:
                local = dt = dt.replace(tzinfo=self.zone)
                back = datetime.fromtimestamp(dt.timestamp(), self.zone)
                if back.replace(tzinfo=None) != dt.replace(tzinfo=None):
                    self.report.nonexistent_local_times += 1
                elif dt.utcoffset() != dt.replace(fold=1).utcoffset():
                    self.report.ambiguous_local_times += 1
        clock = local.replace(tzinfo=UTC).timestamp()
        return dt.timestamp(), clock


def _rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and ``(line or index, row)`` pairs of a CSV or JSON log."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CalibrationError(f"{path}: cannot be read ({exc.strerror})") from None
    if size > MAX_LOG_BYTES:
        raise CalibrationError(f"{path}: {size:,} bytes; at most {MAX_LOG_BYTES:,} are read")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            if isinstance(data, dict):
                lists = [v for v in data.values() if isinstance(v, list)]
                data = lists[0] if len(lists) == 1 else None
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise CalibrationError(f"{path}: an Open311 JSON log is a list of requests")
            header: list[str] = []
            for r in data:
                header.extend(k for k in r if k not in header)
            return header, [(i, r) for i, r in enumerate(data)]
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = [(reader.line_num, r) for r in reader]
            return header, rows
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise CalibrationError(f"{path}: cannot be read as a log ({exc})") from None


def _text(value: Any, missing: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in missing else text


def _coordinate(value: str | None, bound: float) -> float:
    if value is None:
        return math.nan
    try:
        x = float(value)
    except ValueError:
        return math.nan
    return x if math.isfinite(x) and abs(x) <= bound and x != 0.0 else math.nan


def read_log(path: str | Path, mapping: Mapping, hasher: Hasher | None = None) -> tuple[
    RequestLog, CleaningReport
]:
    """Import a log: read, drop personal data, parse, clean and count.

    Args:
        path: A CSV file or an Open311 JSON file (``.json``).
        mapping: The log's column mapping.
        hasher: Salted hashing of request ids (a fresh random salt by default).

    Raises:
        CalibrationError: No such file, unreadable, required columns missing (named), or no
            created time readable.
    """
    path = Path(path)
    if not path.is_file():
        raise CalibrationError(f"{path}: no such file")
    header, rows = _rows(path)
    cols = mapping.columns
    named = {k: v for k, v in cols.model_dump().items() if v is not None}
    missing_required = [f"{v} ({k})" for k, v in named.items()
                        if k in ("created", "type") and v not in header]
    if missing_required:
        raise CalibrationError(
            f"{path}: the mapping '{mapping.name}' needs the column(s) "
            f"{', '.join(missing_required)}; the log has: {', '.join(header[:12])}"
            + (", ..." if len(header) > 12 else "")
        )
    rep = CleaningReport(timezone=mapping.timezone)
    used = {v for v in named.values() if v in header}
    rep.absent_columns = [f"{v} ({k})" for k, v in named.items() if v not in header]
    dropped = [c for c in header if c not in used]
    personal = set(mapping.personal) | set(looks_personal(dropped))
    rep.personal_columns_dropped = [c for c in dropped if c in personal]
    rep.other_columns_dropped = len(dropped) - len(rep.personal_columns_dropped)
    hasher = hasher or Hasher()
    parse = TimeParser(mapping.timezone, mapping.time_format, rep)
    miss = mapping.missing
    closed_statuses = set(mapping.closed_statuses)

    def get(row: dict[str, Any], key: str) -> str | None:
        column = named.get(key)
        return _text(row.get(column), miss) if column is not None and column in used else None

    seen: set[str] = set()
    out: dict[str, list[Any]] = {k: [] for k in (
        "id_hash", "created", "created_local", "closed", "open", "usable_close", "type",
        "agency", "channel_raw", "channel", "lat", "lon", "row")}
    latest = -math.inf
    rep.rows_read = len(rows)
    for line, row in rows:
        created_text = get(row, "created")
        created = parse(created_text) if created_text else None
        if created is None:
            rep.created_unparsable += 1
            rep.example("unreadable created times", f"row {line}: {created_text!r}")
            continue
        rid = get(row, "id")
        if rid is not None:
            if rid in seen:
                rep.duplicate_ids += 1
                rep.example("repeated request ids", f"row {line}")
                continue
            seen.add(rid)
        dup = get(row, "duplicate")
        if dup is not None and dup.lower() in _TRUE:
            rep.flagged_duplicates += 1
            continue
        status = (get(row, "status") or "").lower()
        is_closed_status = status in closed_statuses
        closed_text = get(row, "closed")
        if closed_text is None and is_closed_status:
            closed_text = get(row, "closed_fallback")
        closed = parse(closed_text) if closed_text else None
        usable = True
        closed_utc = math.nan
        if closed_text and closed is None:
            rep.closed_unparsable += 1
            rep.example("unreadable close times", f"row {line}: {closed_text!r}")
            usable = False
        elif closed is not None and closed[0] < created[0]:
            rep.closed_before_created += 1
            rep.example(
                "closed before created",
                f"row {line}: created {created_text}, closed {closed_text}",
            )
            usable = False
        elif closed is not None:
            closed_utc = closed[0]
            latest = max(latest, closed_utc)
        is_open = closed is None and usable and not is_closed_status
        if closed is None and usable and is_closed_status:
            rep.closed_without_time += 1
            usable = False
        rep.still_open += int(is_open)
        latest = max(latest, created[0])
        kind = get(row, "type") or get(row, "type_code")
        if kind is None:
            rep.unknown_types += 1
            kind = ""
        raw = get(row, "channel")
        if raw is None:
            rep.missing_channel += int(cols.channel is not None)
            channel = mapping.default_channel.value
        else:
            known = mapping.channels.get(raw.lower())
            if known is None:
                rep.unknown_channels[raw] += 1
            channel = (known or mapping.default_channel).value
        lat = _coordinate(get(row, "latitude"), 90.0)
        lon = _coordinate(get(row, "longitude"), 180.0)
        if math.isnan(lat) or math.isnan(lon):
            rep.missing_coordinates += 1
            lat = lon = math.nan
        out["id_hash"].append(hasher(rid if rid is not None else f"row:{line}"))
        out["created"].append(created[0])
        out["created_local"].append(created[1])
        out["closed"].append(closed_utc)
        out["open"].append(is_open)
        out["usable_close"].append(usable)
        out["type"].append(kind)
        out["agency"].append(get(row, "agency") or "unknown")
        out["channel_raw"].append(raw or "")
        out["channel"].append(channel)
        out["lat"].append(lat)
        out["lon"].append(lon)
        out["row"].append(line)
    if not out["created"]:
        column = named["created"]
        raise CalibrationError(
            f"{path}: no readable created time in column '{column}' "
            f"({rep.created_unparsable} rows; e.g. "
            f"{rep.examples.get('unreadable created times', ['-'])[0]})"
        )
    rep.rows_kept = len(out["created"])
    created_arr = np.asarray(out["created"], dtype=float)
    local_arr = np.asarray(out["created_local"], dtype=float)
    log = RequestLog(
        id_hash=out["id_hash"],
        created=created_arr,
        created_local=local_arr,
        closed=np.asarray(out["closed"], dtype=float),
        open=np.asarray(out["open"], dtype=bool),
        usable_close=np.asarray(out["usable_close"], dtype=bool),
        type=np.asarray(out["type"], dtype=object),
        agency=np.asarray(out["agency"], dtype=object),
        channel_raw=np.asarray(out["channel_raw"], dtype=object),
        channel=np.asarray(out["channel"], dtype=object),
        lat=np.asarray(out["lat"], dtype=float),
        lon=np.asarray(out["lon"], dtype=float),
        row=np.asarray(out["row"], dtype=np.int64),
        snapshot=float(latest),
        offset=float(np.median(local_arr - created_arr)),
    )
    return log, rep
