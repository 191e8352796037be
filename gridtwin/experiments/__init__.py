"""Batch runs, replications, sweeps and sensitivity analysis (to come)."""

__all__: list[str] = []
