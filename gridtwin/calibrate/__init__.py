"""Calibration of a scenario from an observed service-request log, and its validation.

``gridtwin calibrate LOG --mapping NAME --out DIR`` imports a 311 / Open311 log (dropping
personal data), cleans it with a report, fits arrival rates, profiles, channel mix, time to
close and staffing, writes a scenario that ``gridtwin run`` accepts, and validates the twin on
the part of the log after ``--train-until``. The package reads the engine only through its
public API (:func:`gridtwin.run`, :func:`gridtwin.load_scenario`) and never the other way round.
"""

from __future__ import annotations

__all__ = ["CalibrationError"]


class CalibrationError(ValueError):
    """The log, the mapping or an option cannot be used; the message says why and where."""
