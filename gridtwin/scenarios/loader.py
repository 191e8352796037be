"""Reading scenarios: built-in names or YAML files, ``--set`` overrides, validation, hashing.

:func:`load_scenario` is the one way in. It reads a built-in scenario or a file, applies
``dotted.path=value`` overrides, validates against :class:`~.schema.Scenario`, then runs
:func:`~.schema.cross_check`. Every problem is raised at once in a :class:`ScenarioError`
whose lines name the field path, the value and what is allowed::

    services.case_types[1].handling_min.mean: -1 is not > 0
    polices: unknown key; did you mean 'policies'?

:func:`scenario_to_yaml` writes the fully resolved scenario (every default filled in) and
:func:`scenario_sha256` fingerprints it, so a stored result names exactly what it ran.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from gridtwin.scenarios.schema import Problem, Scenario, cross_check

__all__ = [
    "ScenarioError",
    "apply_overrides",
    "builtin_names",
    "builtin_path",
    "format_path",
    "load_scenario",
    "read_scenario_data",
    "scenario_sha256",
    "scenario_to_yaml",
    "validation_problems",
]

_SUFFIX = ".yaml"
_IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
_SEGMENT = re.compile(r"\[(-?\d+)\]|(?:^|\.)([^.\[\]]+)")
_COMPARISONS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
                "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}
_INTERNAL_TAG = re.compile(r"^(function-(before|after|wrap|plain)|tagged-union|nullable|"
                           r"lax-or-strict|json-or-python|chain|default)\[")


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
    return sorted(e.name.removesuffix(_SUFFIX) for e in library.iterdir()
                  if e.name.endswith(_SUFFIX) and e.is_file())


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

    Returns:
        The mapping :func:`yaml.safe_load` gives, and the directory that relative paths in it
        (``city.geojson``) are read from: the file's directory, or the library directory for
        a built-in (``None`` if the library is not on a file system).

    Raises:
        ScenarioError: If the file is missing or unreadable, the YAML is invalid (the
            problem gives line and column) or its top level is not a mapping.
    """
    label = str(source)
    path = Path(source)
    base_dir: Path | None
    if (isinstance(source, Path) or path.is_file() or len(path.parts) > 1
            or path.suffix in {".yaml", ".yml"}):
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise _fail(label, f"{what}; give a scenario file or a name of the {_builtin_list()}")
        try:
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
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        context = getattr(exc, "context", None)
        detail = f"{problem or exc} ({context})" if context else str(problem or exc)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "invalid YAML"
        raise _fail(label, f"{where}: {detail}") from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        raise _fail(label, f"top level must be a mapping (name:, city:, ...), got {got}")
    return data, base_dir


# ------------------------------------------------------------------------------ schema paths
def format_path(parts: Sequence[str | int]) -> str:
    """Write path segments as ``a.b[2].c``."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(tp: Any, disc: str | None = None) -> tuple[Any, str | None]:
    """Strip ``Annotated`` layers, picking up a union discriminator found on the way."""
    while get_origin(tp) is Annotated:
        tp, *meta = get_args(tp)
        for m in meta:
            if isinstance(m, FieldInfo) and isinstance(m.discriminator, str):
                disc = m.discriminator
    return tp, disc


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _members(tp: Any) -> list[Any]:
    return [m for m in get_args(tp) if m is not NoneType]


def _shape(value_or_type: Any, *, is_type: bool = False) -> str:
    """``list``, ``mapping`` or ``scalar``: of a value, or of what a type accepts."""
    if is_type:
        tp, _ = _unwrap(value_or_type)
        if get_origin(tp) in (tuple, list):
            return "list"
        return "mapping" if _is_model(tp) or get_origin(tp) is dict else "scalar"
    if isinstance(value_or_type, list | tuple):
        return "list"
    return "mapping" if isinstance(value_or_type, dict) else "scalar"


def _member_for_tag(members: list[Any], tag: str) -> Any:
    """The union member pydantic calls ``tag`` in a location (``int``, ``literal['all']``)."""
    tag = tag.removeprefix("constrained-")
    for member in members:
        m, _ = _unwrap(member)
        origin = get_origin(m)
        name = "literal" if origin is Literal else getattr(origin or m, "__name__", "")
        if name and (tag == name or tag.startswith(name + "[")):
            return member
    return None


@dataclass(frozen=True, slots=True)
class _Walk:
    """Where a path leads in the schema: the type there and the path as the user reads it."""

    tp: Any = Scenario  # the type here (maybe Annotated); None once off the schema
    disc: str | None = None  # discriminator of the union here, when the field gives it
    parts: tuple[str | int, ...] = ()  # keys and list indexes, without pydantic's union tags
    owner: Any = None  # the model whose field the last key named (or failed to name)
    union_at: int | None = None  # len(parts) where the path took one member of a plain union
    union_shape: str | None = None  # what that member accepts: list, mapping or scalar
    key_tp: Any = None  # key type of the last mapping (for pydantic's "[key]" items)

    def step(self, item: str | int) -> _Walk:
        """Follow one error-location item or path segment."""
        if item == "[key]":
            return replace(self, tp=self.key_tp, disc=None)
        tp, disc = _unwrap(self.tp, self.disc)
        if tp is None:
            return replace(self, parts=(*self.parts, item))
        if _is_union(tp):
            members = _members(tp)
            if len(members) == 1:
                return replace(self, tp=members[0], disc=None).step(item)
            if disc is not None:
                for m in members:
                    field = m.model_fields.get(disc) if _is_model(m) else None
                    if field is not None and field.default == item:
                        return replace(self, tp=m, disc=None)
            elif isinstance(item, str) and (m := _member_for_tag(members, item)) is not None:
                if self.union_at is not None:
                    return replace(self, tp=m, disc=None)
                return replace(self, tp=m, disc=None, union_at=len(self.parts),
                               union_shape=_shape(m, is_type=True))
            for m in members:  # a field or an index: the first alternative that has it
                nxt = replace(self, tp=m, disc=None).step(item)
                if nxt.tp is not None:
                    return nxt
            return replace(self, tp=None, parts=(*self.parts, item))
        parts = (*self.parts, item)
        if _is_model(tp):
            for name, field in tp.model_fields.items():
                if item in (name, field.alias):
                    d = field.discriminator if isinstance(field.discriminator, str) else None
                    return replace(self, tp=field.annotation, disc=d, parts=parts, owner=tp)
            return replace(self, tp=None, parts=parts, owner=tp)
        origin, args = get_origin(tp), get_args(tp)
        if origin is dict:
            return replace(self, tp=args[1], disc=None, parts=parts, key_tp=args[0])
        if origin in (tuple, list) and isinstance(item, int):
            if origin is list or (len(args) == 2 and args[1] is Ellipsis):
                return replace(self, tp=args[0], disc=None, parts=parts)
            elt = args[item] if 0 <= item < len(args) else None
            return replace(self, tp=elt, disc=None, parts=parts)
        return replace(self, tp=None, parts=parts)

    @property
    def discriminator(self) -> str | None:
        """The discriminator key when the path ends at a tagged union."""
        tp, disc = _unwrap(self.tp, self.disc)
        return disc if _is_union(tp) else None

    def tags(self) -> list[str]:
        """Allowed tags of the tagged union the path ends at."""
        tp, disc = _unwrap(self.tp, self.disc)
        if not _is_union(tp) or disc is None:
            return []
        return [str(m.model_fields[disc].default) for m in _members(tp)
                if _is_model(m) and disc in m.model_fields]

    def owner_fields(self) -> list[str]:
        """Keys the model of the last step allows."""
        if not _is_model(self.owner):
            return []
        return [f.alias or name for name, f in self.owner.model_fields.items()]

    def is_entries(self) -> bool:
        """Whether the path is at a mapping of user-named entries (``departments``)."""
        return get_origin(_unwrap(self.tp)[0]) is dict

    def field_default(self, key: str) -> Any:
        """The schema default of field ``key`` here, as plain data (``None`` if none)."""
        tp, _ = _unwrap(self.tp)
        for model in (m for m in (_members(tp) if _is_union(tp) else [tp]) if _is_model(m)):
            for name, field in model.model_fields.items():
                if key in (name, field.alias) and not field.is_required():
                    return to_jsonable_python(field.get_default(call_default_factory=True),
                                              by_alias=True)
        return None


def _did_you_mean(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# -------------------------------------------------------------------------------- overrides
def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``dotted.path=value`` overrides (``--set``) to a raw scenario mapping.

    Each value is read with :func:`yaml.safe_load` (``5`` an int, ``[1, 2]`` a list, ``true``
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
        return Problem(path="--set", value=item, message="needs the form dotted.path=value, "
                       "e.g. services.case_types[2].rate_per_resident_year=0.3")
    try:
        value = yaml.safe_load(raw_value)
    except yaml.YAMLError as exc:
        return Problem(path=format_path(path), value=raw_value,
                       message=f"cannot be read as a YAML value: {getattr(exc, 'problem', exc)}")
    walk, node, done = _Walk(), data, []
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
                    return Problem(path=format_path([*done, key]),
                                   message=f"no such entry{hint} (to add one, set it whole)")
                default = walk.field_default(key)
                node[key] = default if isinstance(default, dict | list) else {}
        else:
            return Problem(path=format_path(done), value=node,
                           message=f"is not a mapping or list, so it has no {seg!r}; "
                                   f"set the whole value instead")
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
    return next((i for i, e in enumerate(node) if isinstance(e, dict) and e.get("id") == seg),
                None)


def _bad_list_step(done: list[str | int], seg: str | int, node: list[Any]) -> Problem:
    size = f"the list has {len(node)} item{'' if len(node) == 1 else 's'}"
    if node:
        size += f" ([0] to [{len(node) - 1}])"
    if isinstance(seg, int) or seg.isdigit():
        return Problem(path=format_path([*done, int(seg)]), message=f"index out of range; {size}")
    ids = [str(e["id"]) for e in node if isinstance(e, dict) and "id" in e]
    hint = _did_you_mean(seg, ids) or (f"; ids: {', '.join(ids)}" if ids else "")
    return Problem(path=format_path([*done, seg]),
                   message=f"no item with this id{hint} (or give an index: {size})")


# ------------------------------------------------------------------------------- validation
def load_scenario(source: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override, validate and cross-check a scenario.

    A relative ``city.geojson`` is made absolute against the scenario file's directory.

    Args:
        source: A YAML file or a built-in name (see :func:`read_scenario_data`).
        overrides: ``"dotted.path=value"`` items (see :func:`apply_overrides`).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem: bad overrides and structural problems together;
            the cross checks run once the structure is valid.
    """
    label = str(source)
    data, base_dir = read_scenario_data(source)
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
        geojson = scenario.city.geojson
        if geojson is not None and not Path(geojson).is_file():
            problems.append(Problem(path="city.geojson", value=geojson, message="is not a file "
                                    "(a relative path is read from the scenario's directory)"))
    if problems:
        raise ScenarioError(problems, source=label)
    return scenario


def validation_problems(exc: ValidationError, data: Any) -> list[Problem]:
    """Turn pydantic's errors into problems that read ``path: value message``.

    Args:
        exc: The error raised by validating ``data`` as a :class:`Scenario`.
        data: The mapping that was validated (to see the value where a union failed).

    Returns:
        One problem per error, except that the errors of the alternatives of a plain union
        (``int | list``) are narrowed to the alternative shaped like the value.
    """
    entries = [(_walk_loc(err["loc"]), err) for err in exc.errors(include_url=False)]
    groups: dict[tuple[str | int, ...], list[int]] = {}
    for i, (walk, _) in enumerate(entries):
        if walk.union_at is not None:
            groups.setdefault(walk.parts[: walk.union_at], []).append(i)
    dropped: set[int] = set()
    for where, members in groups.items():
        shape = _shape(_get(data, where))
        fitting = {i for i in members if entries[i][0].union_shape == shape}
        if fitting:
            dropped.update(set(members) - fitting)
    problems: list[Problem] = []
    for i, (walk, err) in enumerate(entries):
        problem = _problem(walk, err)
        if i not in dropped and problem not in problems:
            problems.append(problem)
    return problems


def _walk_loc(loc: Sequence[str | int]) -> _Walk:
    walk = _Walk()
    for item in loc:
        if not (isinstance(item, str) and _INTERNAL_TAG.match(item)):
            walk = walk.step(item)
    return walk


def _get(data: Any, parts: Sequence[str | int]) -> Any:
    for part in parts:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _problem(walk: _Walk, err: dict[str, Any]) -> Problem:
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value, path = err.get("input"), format_path(walk.parts)
    if kind == "missing":
        return Problem(path=path, message="is required")
    if kind == "extra_forbidden":
        names = walk.owner_fields()
        hint = _did_you_mean(str(walk.parts[-1]), names) if walk.parts else ""
        hint = hint or (f"; allowed: {', '.join(names)}" if names else "")
        return Problem(path=path, message=f"unknown key{hint}")
    if kind in _COMPARISONS:
        op, key = _COMPARISONS[kind]
        return Problem(path=path, value=value, message=f"is not {op} {_num(ctx.get(key))}")
    if kind in {"enum", "literal_error"}:
        allowed = re.findall(r"'((?:[^'\\]|\\.)*)'", str(ctx.get("expected", "")))
        return Problem(path=path, value=value, message=f"is not one of: {', '.join(allowed)}")
    disc, tags = walk.discriminator, ", ".join(walk.tags())
    if kind == "union_tag_invalid":
        return Problem(path=f"{path}.{disc}", value=ctx.get("tag"),
                       message=f"is not one of: {tags}")
    if kind == "union_tag_not_found":
        return Problem(path=f"{path}.{disc}", message=f"is required; allowed: {tags}")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if disc:
            number = "a number or " if disc == "dist" else ""
            return Problem(path=path, value=value, message=f"is not {number}a mapping with a "
                           f"{disc!r} key; allowed {disc}: {tags}")
        return Problem(path=path, value=value, message="is not a mapping")
    message = _plain_message(kind, ctx, err.get("msg", ""))
    if value is None and message.startswith("is not"):
        message = "is empty (null), not" + message.removeprefix("is not")
    if isinstance(value, list | dict) and kind in {"value_error", "assertion_error"}:
        value = None  # the message names the item at fault; the whole list is noise
    return Problem(path=path, value=None if isinstance(value, dict) else value, message=message)


def _plain_message(kind: str, ctx: dict[str, Any], msg: str) -> str:
    if kind in {"value_error", "assertion_error"}:
        return re.sub(r"^(Value|Assertion) error, ", "", msg)
    if kind in {"too_short", "too_long"}:
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"has {ctx.get('actual_length')} items; allowed: {bound} {limit}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _IDENTIFIER_PATTERN:
            return "is not a valid name: lowercase letters, digits and '_', starting with a letter"
        return f"does not match the pattern {ctx.get('pattern')}"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    prefixes = {"int_from_float": "a whole number", "int_": "an integer", "float_": "a number",
                "finite_": "a finite number", "bool_": "true or false", "string_": "a text string",
                "tuple_": "a list", "list_": "a list"}
    for prefix, what in prefixes.items():
        if kind.startswith(prefix):
            return f"is not {what}"
    return msg.replace("Input should be", "should be")


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# ------------------------------------------------------------------------------- resolution
def _dump(s: Scenario) -> dict[str, Any]:
    return s.model_dump(mode="json", by_alias=True)


class _Dumper(yaml.SafeDumper):
    """Writes multi-line text as ``|`` blocks."""


_Dumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def scenario_to_yaml(s: Scenario) -> str:
    """The fully resolved scenario as YAML: every default filled in, loadable again.

    Enums are written as their values and distributions as mappings with a ``dist`` key.
    """
    return yaml.dump(_dump(s), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=None, width=100)


def scenario_sha256(s: Scenario) -> str:
    """The SHA-256 of the fully resolved scenario as canonical JSON (sorted keys)."""
    text = json.dumps(_dump(s), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
