"""The cleaning report: what the importer refused, repaired or set aside, never silently.

Counts and examples only; an example names the row (its line in the file) and the offending
non-personal values (times, a channel or status label), never an address, a description or
an id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_EXAMPLES", "CleaningReport"]

MAX_EXAMPLES = 5
"""Examples kept per kind of problem."""


@dataclass
class CleaningReport:
    """Counts of every cleaning decision, with a few examples each."""

    rows_read: int = 0
    rows_kept: int = 0
    created_unparsable: int = 0
    """Rows whose created time cannot be read (dropped)."""
    closed_unparsable: int = 0
    """Close times that cannot be read (the close time is treated as unknown)."""
    closed_before_created: int = 0
    """Impossible times: closed before created (kept for arrivals, left out of time to close)."""
    closed_without_time: int = 0
    """A closed status without a close time (left out of time to close)."""
    still_open: int = 0
    """Requests with no close time: right-censored at the log's snapshot time."""
    missing_coordinates: int = 0
    """No or impossible coordinates (kept for arrivals, spread over cells by their weights)."""
    outside_cells: int = 0
    """Coordinates outside every cell (assigned to the nearest cell)."""
    unknown_types: int = 0
    """No type given (grouped with the rare types)."""
    missing_channel: int = 0
    unknown_channels: Counter[str] = field(default_factory=Counter)
    """Channel values the mapping does not translate (given its default channel)."""
    duplicate_ids: int = 0
    """Rows repeating an earlier row's request id (dropped)."""
    flagged_duplicates: int = 0
    """Rows the log marks as duplicates of another request (dropped)."""
    timezone: str | None = None
    times_with_offset: int = 0
    naive_times: int = 0
    nonexistent_local_times: int = 0
    """Naive times in a daylight-saving gap (read as the clock before the change)."""
    ambiguous_local_times: int = 0
    """Naive times in the repeated daylight-saving hour (read as the first)."""
    personal_columns_dropped: list[str] = field(default_factory=list)
    other_columns_dropped: int = 0
    absent_columns: list[str] = field(default_factory=list)
    """Optional columns the mapping names that the log does not have."""
    examples: dict[str, list[str]] = field(default_factory=dict)

    def example(self, kind: str, text: str) -> None:
        """Keep an example of a problem (at most :data:`MAX_EXAMPLES` per kind)."""
        shown = self.examples.setdefault(kind, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append(text)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``fit.json``."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = dict(value.most_common()) if isinstance(value, Counter) else value
        return out

    def lines(self) -> list[str]:
        """The report as Markdown bullet lines (only what happened)."""
        labels = [
            ("rows_read", "rows read"),
            ("rows_kept", "rows kept"),
            ("created_unparsable", "created time unreadable (row dropped)"),
            ("duplicate_ids", "repeated request id (row dropped)"),
            ("flagged_duplicates", "marked as a duplicate by the log (row dropped)"),
            ("closed_unparsable", "close time unreadable (treated as unknown)"),
            ("closed_before_created", "closed before created (left out of time to close)"),
            ("closed_without_time", "closed status without a close time (left out of time "
             "to close)"),
            ("still_open", "still open at the snapshot (right-censored)"),
            ("missing_coordinates", "no usable coordinates (spread over cells by weight)"),
            ("outside_cells", "outside every cell (nearest cell)"),
            ("unknown_types", "no type (grouped as other)"),
            ("missing_channel", "no channel (default channel)"),
            ("nonexistent_local_times", "local time in a daylight-saving gap"),
            ("ambiguous_local_times", "local time in a repeated daylight-saving hour"),
        ]
        out: list[str] = [f"- time zone: {self.timezone or 'as written in the log'} "
               f"({self.times_with_offset} times with an offset, {self.naive_times} without)"]
        for key, label in labels:
            value = getattr(self, key)
            if value or key in ("rows_read", "rows_kept"):
                out.append(f"- {label}: {value:,}")
        if self.unknown_channels:
            shown = ", ".join(f"{k!r} ({v})" for k, v in self.unknown_channels.most_common(8))
            out.append(f"- channel values without a mapping (default channel): {shown}")
        if self.personal_columns_dropped:
            out.append("- personal columns dropped unread: "
                       + ", ".join(sorted(self.personal_columns_dropped)))
        if self.other_columns_dropped:
            out.append(f"- other columns not used: {self.other_columns_dropped}")
        if self.absent_columns:
            out.append("- optional columns absent from the log: " + ", ".join(self.absent_columns))
        for kind, examples in self.examples.items():
            out.append(f"- examples of {kind}: " + "; ".join(examples))
        return out
