"""Errors of the engine itself (as opposed to a user's bad input)."""

from __future__ import annotations

__all__ = ["ConservationError"]


class ConservationError(RuntimeError):
    """Cases were lost or counted twice: the run is wrong and must not be reported."""
