"""Pydantic's validation errors, translated into problems a scenario author can act on.

Pydantic reports an error at a location such as ``("services", "case_types", 1, "event",
"handling_min", "exponential", "mean")``, with the tags of the unions it passed.
:class:`_Walk` follows such a location through the
:class:`~gridtwin.scenarios.schema.Scenario` schema to recover the path as the author wrote it
(``services.case_types[1].handling_min.mean``), the keys allowed there and the tags of a
tagged union; :func:`validation_problems` then rewrites each error as a
:class:`~gridtwin.scenarios.checks.Problem`::

    services.case_types[1].handling_min.mean: -1 is not > 0
    polices: unknown key; did you mean 'policies'?

The walker also serves the ``--set`` overrides of :mod:`gridtwin.scenarios.loader`, which
need the schema's defaults and the keys of mappings along a path.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from gridtwin.scenarios.checks import Problem
from gridtwin.scenarios.schema import Scenario

__all__ = ["format_path", "validation_problems"]

_IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
_COMPARISONS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}
_INTERNAL_TAG = re.compile(
    r"^(function-(before|after|wrap|plain)|tagged-union|nullable|"
    r"lax-or-strict|json-or-python|chain|default)\["
)


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
                return replace(
                    self,
                    tp=m,
                    disc=None,
                    union_at=len(self.parts),
                    union_shape=_shape(m, is_type=True),
                )
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
        return [
            str(m.model_fields[disc].default)
            for m in _members(tp)
            if _is_model(m) and disc in m.model_fields
        ]

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
                    return to_jsonable_python(
                        field.get_default(call_default_factory=True), by_alias=True
                    )
        return None


def _did_you_mean(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


# ------------------------------------------------------------------------------- validation
def validation_problems(exc: ValidationError, data: Any, root: Any = Scenario) -> list[Problem]:
    """Turn pydantic's errors into problems that read ``path: value message``.

    Args:
        exc: The error raised by validating ``data`` as a :class:`Scenario` (or ``root``).
        data: The mapping that was validated (to see the value where a union failed).
        root: The model ``data`` was validated as (experiment files reuse this translation).

    Returns:
        One problem per error, except that the errors of the alternatives of a plain union
        (``int | list``) are narrowed to the alternative shaped like the value.
    """
    entries = [(_walk_loc(err["loc"], root), err) for err in exc.errors(include_url=False)]
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
        problem = _problem(walk, dict(err))
        if i not in dropped and problem not in problems:
            problems.append(problem)
    return problems


def _walk_loc(loc: Sequence[str | int], root: Any = Scenario) -> _Walk:
    walk = _Walk(tp=root)
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
        return Problem(
            path=f"{path}.{disc}", value=ctx.get("tag"), message=f"is not one of: {tags}"
        )
    if kind == "union_tag_not_found":
        return Problem(path=f"{path}.{disc}", message=f"is required; allowed: {tags}")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if disc:
            number = "a number or " if disc == "dist" else ""
            return Problem(
                path=path,
                value=value,
                message=f"is not {number}a mapping with a {disc!r} key; allowed {disc}: {tags}",
            )
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
    prefixes = {
        "int_from_float": "a whole number",
        "int_": "an integer",
        "float_": "a number",
        "finite_": "a finite number",
        "bool_": "true or false",
        "string_": "a text string",
        "tuple_": "a list",
        "list_": "a list",
    }
    for prefix, what in prefixes.items():
        if kind.startswith(prefix):
            return f"is not {what}"
    return msg.replace("Input should be", "should be")


def _num(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
