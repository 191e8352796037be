"""Mappings from a city's log columns to the fields calibration reads.

A mapping is a small YAML file naming which column holds the created time, the closed time,
the type, the agency, the intake channel, the coordinates and the status, how the city's
channel names translate into gridtwin's channels, and which columns carry personal data
(they are never read). Built-in mappings: ``open311`` (GeoReport v2 with the bulk extension),
``la``, ``nyc``, ``chicago`` and ``boston``; any other value is read as a mapping file and
validated like a scenario (every problem with its path).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gridtwin.calibrate import CalibrationError
from gridtwin.scenarios.base import ChannelKind
from gridtwin.scenarios.errors import validation_problems
from gridtwin.scenarios.yamlfile import YamlProblem, read_yaml

__all__ = ["BUILTIN", "INTAKE_CHANNELS", "Columns", "Mapping", "load_mapping"]

BUILTIN = ("open311", "la", "nyc", "chicago", "boston")
"""Names of the built-in mappings (files in ``gridtwin/calibrate/mappings/``)."""

INTAKE_CHANNELS = (ChannelKind.HOTLINE, ChannelKind.PORTAL, ChannelKind.PHOTO)
"""The channels a calibrated scenario uses (a log's channels are mapped onto these)."""

Column = str | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Which column of the log holds each field (None: the log has no such column)."""

    created: str = Field(min_length=1)
    """When the request was made (required)."""
    type: str = Field(min_length=1)
    """The request type (required)."""
    id: Column = None
    """The request id (replaced by a salted hash on import)."""
    closed: Column = None
    closed_fallback: Column = None
    """Used as the close time when ``closed`` is empty and the status is a closed one."""
    type_code: Column = None
    agency: Column = None
    channel: Column = None
    status: Column = None
    latitude: Column = None
    longitude: Column = None
    duplicate: Column = None
    """A true/false column marking duplicates of another request."""


class Mapping(_Strict):
    """A city's log format."""

    name: str = Field(min_length=1, max_length=64)
    timezone: str | None = None
    """IANA zone of the city (``America/Chicago``): naive times are read in it and times with
    an offset are converted to it. None: times with an offset keep the clock they show,
    naive times are taken as they are."""
    columns: Columns
    closed_statuses: tuple[str, ...] = ("closed",)
    """Statuses (any case) of a closed request."""
    channels: dict[str, ChannelKind] = Field(default_factory=dict)
    """The log's channel values (any case) → gridtwin channel."""
    default_channel: ChannelKind = ChannelKind.HOTLINE
    """Channel of values not in ``channels`` (they are counted in the cleaning report)."""
    personal: tuple[str, ...] = ()
    """Columns with personal data (addresses, names, free text): never read."""
    missing: tuple[str, ...] = ("", "na", "n/a", "null", "none", "nan")
    """Cell values (any case) read as missing."""
    time_format: str | None = None
    """A :func:`datetime.strptime` format for times that are not ISO 8601."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (give an IANA name such as "
                             "'America/New_York')") from None
        return v

    @field_validator("channels")
    @classmethod
    def _intake(cls, v: dict[str, ChannelKind]) -> dict[str, ChannelKind]:
        bad = [c.value for c in v.values() if c not in INTAKE_CHANNELS]
        if bad:
            allowed = ", ".join(c.value for c in INTAKE_CHANNELS)
            raise ValueError(f"channel {bad[0]!r} cannot be calibrated; allowed: {allowed}")
        return {k.strip().lower(): c for k, c in v.items()}

    @field_validator("closed_statuses", "missing")
    @classmethod
    def _lower(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(s.strip().lower() for s in v)


def load_mapping(spec: str) -> Mapping:
    """A built-in mapping by name, or a mapping file.

    Args:
        spec: One of :data:`BUILTIN` or the path of a YAML mapping file.

    Raises:
        CalibrationError: Unknown name, unreadable file or invalid mapping (with every
            problem's path).
    """
    if spec in BUILTIN:
        text = files("gridtwin.calibrate").joinpath("mappings", f"{spec}.yaml").read_text("utf-8")
        label = spec
    else:
        path = Path(spec)
        if not path.is_file():
            raise CalibrationError(
                f"--mapping {spec}: not a built-in mapping ({', '.join(BUILTIN)}) "
                "and no such file"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CalibrationError(f"--mapping {spec}: cannot be read ({exc})") from None
        label = str(path)
    try:
        data = read_yaml(text)
    except YamlProblem as exc:
        raise CalibrationError(f"{label}: {exc}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{label}: a mapping file is a YAML mapping (name, columns, ...)")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, data, root=Mapping)
        lines = "\n  ".join(str(p) for p in problems)
        raise CalibrationError(f"{len(problems)} problem(s) in {label}:\n  {lines}") from None
