"""Reading experiment files: built-in names or YAML files, validated like scenarios.

:func:`load_experiment` reads the file (``yaml.safe_load``), validates it against
:class:`~gridtwin.experiments.spec.Experiment` and then checks it against its scenario before
any run: the scenario loads with the ``set`` constants, every lever and uncertainty path exists
and accepts the ends of its range (each applied with
:func:`~gridtwin.scenarios.loader.load_scenario`), the design fits the factors, the outcomes
are KPIs. Every problem is raised at once in an :class:`ExperimentError` whose lines name the
experiment's field path::

    levers.channels.hotline.seatz: channels.hotline.seatz: unknown key; did you mean 'seats'?
    replications: 0 is not >= 1
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gridtwin.experiments.spec import (
    KPI_NAMES,
    Experiment,
    FullFactorial,
    LeverRange,
    Table,
    UncertaintyRange,
    factor_from_unit,
    factor_values,
)
from gridtwin.scenarios.checks import Problem
from gridtwin.scenarios.errors import _did_you_mean, validation_problems
from gridtwin.scenarios.loader import ScenarioError, load_scenario
from gridtwin.scenarios.schema import Scenario

__all__ = [
    "ExperimentError",
    "LoadedExperiment",
    "builtin_experiments",
    "load_experiment",
    "override",
]

_SUFFIX = ".yaml"


class ExperimentError(ScenarioError):
    """An experiment file that cannot be used; ``problems`` lists every problem with its path."""


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with what it was read from."""

    spec: Experiment
    text: str
    """The file's text (stored with the results)."""
    sha256: str
    """SHA-256 of the text: a store belongs to exactly one experiment file."""
    source: str
    """The file or built-in name."""
    base_dir: Path | None
    """The file's directory (None for a built-in)."""
    scenario: Scenario
    """The scenario with the ``set`` constants applied: what every point starts from."""
    scenario_source: str


def _library() -> Any:
    return files("gridtwin.experiments").joinpath("library")


def builtin_experiments() -> list[str]:
    """Names of the built-in experiments, sorted."""
    lib = _library()
    if not lib.is_dir():
        return []
    return sorted(e.name.removesuffix(_SUFFIX) for e in lib.iterdir() if e.name.endswith(_SUFFIX))


def override(path: str, value: Any) -> str:
    """A ``dotted.path=value`` item for :func:`load_scenario` (the value written as YAML)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return f"{path}={text.removesuffix('...').strip()}"


def _read(source: str | Path) -> tuple[str, str, Path | None]:
    path = Path(source)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), str(path), path.resolve().parent
        except (OSError, UnicodeDecodeError) as exc:
            problem = Problem(path=str(path), message=f"cannot be read: {exc}")
            raise ExperimentError([problem]) from None
    name = str(source)
    if name in builtin_experiments():
        return _library().joinpath(name + _SUFFIX).read_text(encoding="utf-8"), name, None
    names = ", ".join(builtin_experiments()) or "(none)"
    hint = _did_you_mean(name, builtin_experiments())
    message = f"is neither an experiment file nor a built-in name{hint}; built-ins: {names}"
    raise ExperimentError([Problem(path=name, message=message)], source=name)


def load_experiment(source: str | Path) -> LoadedExperiment:
    """Read, validate and check an experiment against its scenario.

    Raises:
        ExperimentError: With every problem found (nothing has run yet).
    """
    text, label, base_dir = _read(source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ExperimentError([Problem(path=label, message=f"{where}{problem}")], label) from None
    if not isinstance(data, dict):
        raise ExperimentError(
            [Problem(path=label, message="top level must be a mapping (scenario:, levers:, ...)")],
            label,
        )
    try:
        spec = Experiment.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(validation_problems(exc, data, root=Experiment), label) from None
    scenario_source = _scenario_source(spec.scenario, base_dir)
    problems, scenario = _check(spec, scenario_source, base_dir)
    if problems or scenario is None:
        raise ExperimentError(problems, label)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedExperiment(spec, text, sha, label, base_dir, scenario, scenario_source)


def _scenario_source(name: str, base_dir: Path | None) -> str:
    if base_dir is not None and (base_dir / name).is_file():
        return str(base_dir / name)
    return name


def _under(prefix: str, err: ScenarioError, at: str | None = None) -> list[Problem]:
    """A scenario's problems reported under an experiment field."""
    out = []
    for p in err.problems:
        where = "" if at is not None and p.path == at else f"{p.path}: "
        value = "" if p.value is None else f"{p.value!r} "
        out.append(Problem(path=prefix, message=f"{where}{value}{p.message}"))
    return out


def _check(
    spec: Experiment, source: str, base_dir: Path | None
) -> tuple[list[Problem], Scenario | None]:
    constants = [override(k, v) for k, v in spec.set_.items()]
    try:
        scenario = load_scenario(source, constants)
    except ScenarioError as err:
        at = "scenario" if not constants else "set"
        return _under(at, err), None
    problems: list[Problem] = []
    for kind, factors in (("levers", spec.levers), ("uncertainties", spec.uncertainties)):
        for path, f in factors.items():
            if path in spec.set_:
                problems.append(
                    Problem(path=f"{kind}.{path}", message="is also a constant under set:")
                )
            values = factor_values(f)
            if values is None:
                # a range at its ends; a distribution at its 0.1% and 99.9% quantiles
                ends: list[Any] = (
                    [f.low, f.high]
                    if isinstance(f, LeverRange | UncertaintyRange)
                    else [factor_from_unit(f, 0.001), factor_from_unit(f, 0.999)]
                )
            else:
                ends = values if len(values) <= 8 else [values[0], values[-1]]
            for value in ends:
                try:
                    load_scenario(source, [*constants, override(path, value)])
                except ScenarioError as err:
                    problems.extend(_under(f"{kind}.{path}", err, at=path))
                    break
    if spec.levers.keys() & spec.uncertainties.keys():
        both = ", ".join(sorted(spec.levers.keys() & spec.uncertainties.keys()))
        problems.append(Problem(path="uncertainties", message=f"also levers: {both}"))
    problems += _check_design(spec, base_dir)
    for name in spec.outcomes:
        top = name.split(".")[0]
        if top not in KPI_NAMES:
            problems.append(
                Problem(
                    path=f"outcomes.{name}",
                    message=f"is not a KPI{_did_you_mean(top, KPI_NAMES)}",
                )
            )
        elif top == "utilisation_by_department" and name.count(".") == 1:
            dept = name.split(".")[1]
            if dept not in scenario.departments:
                hint = _did_you_mean(dept, list(scenario.departments))
                problems.append(
                    Problem(path=f"outcomes.{name}", message=f"no such department{hint}")
                )
    for path, value in spec.baseline.items():
        if path not in spec.levers:
            hint = _did_you_mean(path, list(spec.levers)) or f"; levers: {', '.join(spec.levers)}"
            problems.append(Problem(path=f"baseline.{path}", message=f"is not a lever{hint}"))
        elif (values := factor_values(spec.levers[path])) is not None and value not in values:
            problems.append(
                Problem(path=f"baseline.{path}", value=value, message=f"is not one of {values}")
            )
    return problems, scenario


def _check_design(spec: Experiment, base_dir: Path | None) -> list[Problem]:
    d = spec.design
    problems = []
    if isinstance(d, FullFactorial):
        for path, lever in spec.levers.items():
            if factor_values(lever) is None:
                problems.append(
                    Problem(
                        path=f"levers.{path}",
                        message="a range needs a step in a full_factorial design",
                    )
                )
        if d.futures is None:
            for path, unc in spec.uncertainties.items():
                if factor_values(unc) is None:
                    problems.append(
                        Problem(
                            path=f"uncertainties.{path}",
                            message="is not a list of values: set design.futures "
                            "(how many samples of the uncertainties to cross with the levers)",
                        )
                    )
    elif isinstance(d, Table):
        table = Path(d.file) if base_dir is None else base_dir / d.file
        if not table.is_file():
            return [Problem(path="design.file", value=d.file, message="is not a file")]
        with table.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
        factors = list(spec.factors)
        for col in header:
            if col not in factors:
                hint = _did_you_mean(col, factors)
                problems.append(
                    Problem(path="design.file", message=f"column {col!r} is no factor{hint}")
                )
        for name in factors:
            if name not in header:
                problems.append(Problem(path="design.file", message=f"has no column {name!r}"))
    elif not spec.factors:
        problems.append(
            Problem(path="design.method", value=d.method, message="needs levers or uncertainties")
        )
    return problems
