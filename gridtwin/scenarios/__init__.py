"""The scenario format: validated schema, loader and the built-in scenario library.

The names below are the package's public face; the submodules hold the rest:
:mod:`~gridtwin.scenarios.schema` (the models), :mod:`~gridtwin.scenarios.checks` (cross
checks), :mod:`~gridtwin.scenarios.loader` (reading, overrides, hashing) and
:mod:`~gridtwin.scenarios.errors` (pydantic's errors as problems).
"""

from gridtwin.scenarios.checks import Problem, cross_check
from gridtwin.scenarios.loader import (
    ScenarioError,
    builtin_names,
    load_scenario,
    scenario_sha256,
    scenario_to_yaml,
)
from gridtwin.scenarios.schema import Scenario

__all__ = [
    "Problem",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "cross_check",
    "load_scenario",
    "scenario_sha256",
    "scenario_to_yaml",
]
