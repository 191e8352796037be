"""Public holidays to flag in a log (US federal holidays, observed dates).

The shipped logs are from US cities; a day of the log that is a holiday is flagged in the
fit and the report with its volume against the other days', so that a reader knows a day of
the fitted profile may be atypical (Los Angeles' log starts on New Year's Day).
"""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["us_federal_holidays"]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    d = date(year, month, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(weeks=n - 1)


def _last_weekday(year: int, month: int, weekday: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1)
    return d - timedelta(days=(d.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


def us_federal_holidays(year: int) -> dict[date, str]:
    """US federal holidays of ``year`` (fixed-date ones also on their observed weekday)."""
    fixed = {date(year, 1, 1): "New Year's Day", date(year, 7, 4): "Independence Day",
             date(year, 11, 11): "Veterans Day", date(year, 12, 25): "Christmas Day"}
    if year >= 2021:
        fixed[date(year, 6, 19)] = "Juneteenth"
    out: dict[date, str] = {}
    for d, name in fixed.items():
        out[d] = name
        out[_observed(d)] = f"{name} (observed)" if _observed(d) != d else name
    out[_nth_weekday(year, 1, 0, 3)] = "Martin Luther King Jr. Day"
    out[_nth_weekday(year, 2, 0, 3)] = "Washington's Birthday"
    out[_last_weekday(year, 5, 0)] = "Memorial Day"
    out[_nth_weekday(year, 9, 0, 1)] = "Labor Day"
    out[_nth_weekday(year, 10, 0, 2)] = "Columbus Day"
    out[_nth_weekday(year, 11, 3, 4)] = "Thanksgiving Day"
    return out
