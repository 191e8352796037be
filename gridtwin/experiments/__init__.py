"""Batch runs, replications, sweeps and sensitivity analysis.

:mod:`~gridtwin.experiments.stats` holds the confidence intervals that every comparison of
replications uses (the viewer's too).
"""

from gridtwin.experiments.stats import Interval, mean_ci, paired_ci, replications_needed

__all__ = ["Interval", "mean_ci", "paired_ci", "replications_needed"]
