"""Reading scenarios: built-in names or YAML files, ``--set`` overrides, validation, hashing.

:func:`load_scenario` is the one way in. It reads a built-in scenario or a file, applies
``dotted.path=value`` overrides, validates against :class:`~.schema.Scenario`, then runs
:func:`~.checks.cross_check`. Every problem is raised at once in a :class:`ScenarioError`
whose lines name the field path, the value and what is allowed (pydantic's errors are
translated by :mod:`~.errors`)::

    services.case_types[1].handling_min.mean: -1 is not > 0
    polices: unknown key; did you mean 'policies'?

:func:`scenario_to_yaml` writes the fully resolved scenario (every default filled in) and
:func:`scenario_sha256` fingerprints it, so a stored result names exactly what it ran.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gridtwin.scenarios.checks import Problem, cross_check, geojson_problems
from gridtwin.scenarios.errors import _did_you_mean, _Walk, format_path, validation_problems
from gridtwin.scenarios.inherit import EXTENDS, MAX_DEPTH, merge
from gridtwin.scenarios.schema import Scenario
from gridtwin.scenarios.yamlfile import MAX_BYTES, YamlProblem, read_yaml

__all__ = [
    "ScenarioError",
    "apply_overrides",
    "builtin_names",
    "builtin_path",
    "format_path",
    "load_scenario",
    "read_scenario_data",
    "scenario_from_data",
    "scenario_sha256",
    "scenario_to_yaml",
    "validation_problems",
]

_SUFFIX = ".yaml"
_SEGMENT = re.compile(r"\[(-?\d+)\]|(?:^|\.)([^.\[\]]+)")


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``str(err)`` lists every problem, one per line.

    Attributes:
        problems: What is wrong, each with the path of the field at fault, in order found.
        source: The file or built-in name the scenario came from, if known.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__("\n".join(str(p) for p in self.problems))


def _fail(path: str, message: str, value: Any = None, source: str | None = None) -> ScenarioError:
    return ScenarioError([Problem(path=path, value=value, message=message)], source=source or path)


# ---------------------------------------------------------------------------------- library
def _library() -> Traversable:
    return files("gridtwin.scenarios").joinpath("library")


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (the YAML files of the package's library), sorted."""
    library = _library()
    if not library.is_dir():
        return []
    return sorted(
        e.name.removesuffix(_SUFFIX)
        for e in library.iterdir()
        if e.name.endswith(_SUFFIX) and e.is_file()
    )


def _builtin_list() -> str:
    return "built-in scenarios: " + (", ".join(builtin_names()) or "(none installed)")


def builtin_path(name: str) -> Traversable | Path:
    """The file of built-in scenario ``name``.

    Raises:
        ScenarioError: If there is no such built-in scenario (the message lists them).
    """
    if name not in builtin_names():
        raise _fail(name, f"is neither a scenario file nor a built-in name; {_builtin_list()}")
    return _library().joinpath(name + _SUFFIX)


# ---------------------------------------------------------------------------------- reading
def read_scenario_data(source: str | Path) -> tuple[dict[str, Any], Path | None]:
    """Read a scenario's raw mapping from a file or a built-in name, without validating it.

    A ``source`` that is a :class:`~pathlib.Path`, an existing file or looks like a path
    (has a directory part or a ``.yaml``/``.yml`` suffix) is read as a file; anything else
    must be a built-in name.

    The YAML is read strictly (:func:`~.yamlfile.read_yaml`): duplicate keys, alias bombs and
    oversized files are refused with their line and column. A scenario that ``extends``
    another (a built-in name, or a file relative to its own) is laid over it
    (:func:`~.inherit.merge`); a relative ``city.geojson`` of a base is made absolute against
    the base's directory on the way.

    Returns:
        The mapping the YAML holds, and the directory that relative paths in it
        (``city.geojson``) are read from: the file's directory, or the library directory for
        a built-in (``None`` if the library is not on a file system).

    Raises:
        ScenarioError: If the file is missing or unreadable, the YAML is invalid (the
            problem gives line and column), its top level is not a mapping, or its
            ``extends`` names no scenario, loops or goes deeper than
            :data:`~.inherit.MAX_DEPTH` levels.
    """
    data, base_dir, label = _read_one(source)
    return _resolve_extends(data, base_dir, label, (_key(base_dir, label),)), base_dir


def _key(base_dir: Path | None, label: str) -> str:
    """What names a scenario file in a chain of ``extends``, however it was reached."""
    return str(base_dir / Path(label).name) if base_dir is not None else label


def _resolve_extends(
    data: dict[str, Any], base_dir: Path | None, label: str, chain: tuple[str, ...]
) -> dict[str, Any]:
    if EXTENDS not in data:
        return data
    data = dict(data)
    parent = data.pop(EXTENDS)
    if not isinstance(parent, str) or not parent.strip():
        raise _fail(EXTENDS, "must name a built-in scenario or a scenario file", parent, label)
    target: str | Path = parent
    if base_dir is not None and (len(Path(parent).parts) > 1 or Path(parent).suffix):
        target = base_dir / Path(parent).expanduser()
    if len(chain) > MAX_DEPTH:
        raise _fail(EXTENDS, f"chains more than {MAX_DEPTH} scenarios deep", parent, label)
    try:
        base, parent_dir, parent_label = _read_one(target)
    except ScenarioError as err:
        problems = [Problem(path=EXTENDS, value=parent, message=p.message) for p in err.problems]
        raise ScenarioError(problems, source=label) from None
    key = _key(parent_dir, parent_label)
    if key in chain:
        raise _fail(EXTENDS, f"makes a loop: {' -> '.join((*chain, key))}", parent, label)
    base = _resolve_extends(base, parent_dir, parent_label, (*chain, key))
    city = base.get("city")
    if parent_dir is not None and isinstance(city, dict) and isinstance(city.get("geojson"), str):
        city["geojson"] = str(parent_dir / Path(city["geojson"]).expanduser())
    merged = merge(base, data)
    assert isinstance(merged, dict)
    return merged


def _read_one(source: str | Path) -> tuple[dict[str, Any], Path | None, str]:
    """Read one scenario file or built-in, without resolving its ``extends``.

    A ``source`` that is a :class:`~pathlib.Path`, an existing file or looks like a path
    (has a directory part or a ``.yaml``/``.yml`` suffix) is read as a file; anything else
    must be a built-in name.

    The YAML is read strictly (:func:`~.yamlfile.read_yaml`): duplicate keys, alias bombs and
    oversized files are refused with their line and column.

    Returns:
        The mapping, the directory relative paths in it are read from, and its label.
    """
    label = str(source)
    path = Path(source)
    base_dir: Path | None
    if (
        isinstance(source, Path)
        or path.is_file()
        or len(path.parts) > 1
        or path.suffix in {".yaml", ".yml"}
    ):
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise _fail(label, f"{what}; give a scenario file or a name of the {_builtin_list()}")
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise _fail(label, f"is {size:,} bytes long; allowed: at most {MAX_BYTES:,}")
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(label, f"cannot be read: {exc}") from None
        base_dir = path.resolve().parent
    else:
        text = builtin_path(label).read_text(encoding="utf-8")
        library = _library()
        base_dir = library if isinstance(library, Path) else None
        label += _SUFFIX
    try:
        data = read_yaml(text)
    except YamlProblem as exc:
        raise _fail(label, str(exc)) from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        raise _fail(label, f"top level must be a mapping (name:, city:, ...), got {got}")
    return data, base_dir, label


# -------------------------------------------------------------------------------- overrides
def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``dotted.path=value`` overrides (``--set``) to a raw scenario mapping.

    Each value is read as YAML (``5`` an int, ``[1, 2]`` a list, ``true``
    a bool). Segments are mapping keys, list indexes (``case_types[2]``) or, in a list of
    mappings with an ``id``, that id (``case_types.noise``). A missing key is created (from
    the schema's default when the path goes on into it); whether the schema allows it is
    left to validation. A path cannot go on into an entry a mapping of user-named entries
    (``departments``) does not have: set the new entry whole.

    Returns:
        A new mapping with the overrides applied in order (``data`` is not modified).

    Raises:
        ScenarioError: With every malformed item and every path that leads nowhere.
    """
    result, problems = _apply_overrides(data, overrides)
    if problems:
        raise ScenarioError(problems, source="--set")
    return result


def _apply_overrides(
    data: dict[str, Any], overrides: Sequence[str]
) -> tuple[dict[str, Any], list[Problem]]:
    result = copy.deepcopy(data)
    problems = [p for item in overrides if (p := _apply_one(result, item)) is not None]
    return result, problems


def _parse_path(text: str) -> list[str | int] | None:
    segments: list[str | int] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _SEGMENT.match(text, pos)
        if m is None:
            return None
        index, key = m.groups()
        segments.append(int(index) if index is not None else key.strip())
        pos = m.end()
    return segments if segments and isinstance(segments[0], str) else None


def _apply_one(data: dict[str, Any], item: str) -> Problem | None:
    raw_path, eq, raw_value = item.partition("=")
    path = _parse_path(raw_path)
    if not eq or path is None:
        return Problem(
            path="--set",
            value=item,
            message="needs the form dotted.path=value, "
            "e.g. services.case_types[2].rate_per_resident_year=0.3",
        )
    try:
        value = read_yaml(raw_value)
    except YamlProblem as exc:
        return Problem(
            path=format_path(path),
            value=raw_value,
            message=f"cannot be read as a YAML value: {exc.message}",
        )
    walk, node = _Walk(), data
    done: list[str | int] = []
    for i, seg in enumerate(path):
        if isinstance(node, list):
            key: str | int | None = _list_index(node, seg)
            if key is None:
                return _bad_list_step(done, seg, node)
        elif isinstance(node, dict):
            key = str(seg)
            if key not in node and i < len(path) - 1:
                if walk.is_entries():
                    hint = _did_you_mean(key, [str(k) for k in node])
                    return Problem(
                        path=format_path([*done, key]),
                        message=f"no such entry{hint} (to add one, set it whole)",
                    )
                default = walk.field_default(key)
                node[key] = default if isinstance(default, dict | list) else {}
        else:
            return Problem(
                path=format_path(done),
                value=node,
                message=f"is not a mapping or list, so it has no {seg!r}; "
                f"set the whole value instead",
            )
        if i == len(path) - 1:
            node[key] = value
            break
        walk, node = walk.step(key), node[key]
        done.append(key)
    return None


def _list_index(node: list[Any], seg: str | int) -> int | None:
    if isinstance(seg, int):
        return seg if -len(node) <= seg < len(node) else None
    if seg.isdigit():
        return _list_index(node, int(seg))
    return next((i for i, e in enumerate(node) if isinstance(e, dict) and e.get("id") == seg), None)


def _bad_list_step(done: list[str | int], seg: str | int, node: list[Any]) -> Problem:
    size = f"the list has {len(node)} item{'' if len(node) == 1 else 's'}"
    if node:
        size += f" ([0] to [{len(node) - 1}])"
    if isinstance(seg, int) or seg.isdigit():
        return Problem(path=format_path([*done, int(seg)]), message=f"index out of range; {size}")
    ids = [str(e["id"]) for e in node if isinstance(e, dict) and "id" in e]
    hint = _did_you_mean(seg, ids) or (f"; ids: {', '.join(ids)}" if ids else "")
    return Problem(
        path=format_path([*done, seg]),
        message=f"no item with this id{hint} (or give an index: {size})",
    )


# ------------------------------------------------------------------------------- validation
def load_scenario(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override, validate and cross-check a scenario.

    A relative ``city.geojson`` is made absolute against the scenario file's directory, and
    the GeoJSON file is checked as thoroughly as building the city would.

    Args:
        source: A YAML file or a built-in name (see :func:`read_scenario_data`).
        overrides: ``"dotted.path=value"`` items (see :func:`apply_overrides`).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem: bad overrides and structural problems together;
            the cross checks run once the structure is valid.
    """
    data, base_dir = read_scenario_data(source)
    return scenario_from_data(data, overrides, base_dir, str(source))


def scenario_from_data(
    data: dict[str, Any],
    overrides: Sequence[str] = (),
    base_dir: Path | None = None,
    label: str = "the scenario",
) -> Scenario:
    """Validate a scenario mapping already read (see :func:`load_scenario`).

    Lets a command read its file once and validate it more than once (``data`` is not
    modified).

    Args:
        data: The raw mapping, as :func:`read_scenario_data` returns it.
        overrides: ``"dotted.path=value"`` items.
        base_dir: Where a relative ``city.geojson`` is read from.
        label: The source named in errors.

    Raises:
        ScenarioError: With every problem found.
    """
    data, problems = _apply_overrides(data, overrides)
    city = data.get("city")
    if base_dir is not None and isinstance(city, dict) and isinstance(city.get("geojson"), str):
        city["geojson"] = str(base_dir / Path(city["geojson"]).expanduser())
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems + validation_problems(exc, data), source=label) from None
    if not problems:
        problems = cross_check(scenario)
        if scenario.city.geojson is not None:
            problems += geojson_problems(scenario.city.geojson)
    if problems:
        raise ScenarioError(problems, source=label)
    return scenario


# ------------------------------------------------------------------------------- resolution
def _dump(s: Scenario) -> dict[str, Any]:
    return s.model_dump(mode="json", by_alias=True)


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as ``|`` blocks."""


_Dumper.add_representer(
    str,
    lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


def scenario_to_yaml(s: Scenario) -> str:
    """The fully resolved scenario as YAML: every default filled in, loadable again.

    Enums are written as their values and distributions as mappings with a ``dist`` key.
    """
    return yaml.dump(
        _dump(s),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )


def scenario_sha256(s: Scenario) -> str:
    """The SHA-256 of the fully resolved scenario as canonical JSON (sorted keys)."""
    text = json.dumps(
        _dump(s), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
