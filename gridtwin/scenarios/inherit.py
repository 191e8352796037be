"""Scenarios built on others: ``extends:`` and how a scenario's changes merge onto its base.

A scenario file may start from another scenario (a built-in name or a file) and give only what
differs::

    extends: district
    name: district-2021
    policies:
      data_sharing: {mode: full}          # mappings merge key by key
    services:
      case_types:                         # lists of items with an ``id`` merge by id
        - {id: birth_registration, on_the_spot_share: 0.4}
        - {id: noise, remove: true}       # ``remove: true`` drops the base's item
    channels:
      window:
        specialised_windows:
          tax: {remove: true}             # a key given ``{remove: true}`` drops the base's key

Any other value (a number, a string, a list without ids) replaces the base's value. The base
may itself extend another, up to :data:`MAX_DEPTH` levels; a loop is refused.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["EXTENDS", "MAX_DEPTH", "REMOVE", "merge"]

EXTENDS = "extends"
"""The key naming a scenario's base."""
REMOVE = "remove"
"""In a list item with an ``id``: ``remove: true`` drops the base's item of that id. As the
whole value of a mapping's key (``key: {remove: true}``): drops the base's key."""
MAX_DEPTH = 8
"""Longest chain of bases."""


def merge(base: Any, change: Any) -> Any:
    """``change`` laid over ``base`` (neither is modified).

    Args:
        base: The base scenario's value at some path.
        change: The extending scenario's value at the same path.

    Returns:
        Mappings merged key by key (a key whose value is ``{remove: true}`` dropped), lists
        of ``id``-keyed mappings merged by id (base order first, new items appended,
        ``remove: true`` items dropped), anything else ``change``.

    Example:
        >>> merge({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"d": 4}})
        {'a': 1, 'b': {'c': 2, 'd': 4}}
        >>> merge({"a": 1, "b": 2}, {"b": {"remove": True}})
        {'a': 1}
        >>> merge([{"id": "x", "v": 1}, {"id": "y", "v": 2}], [{"id": "y", "remove": True}])
        [{'id': 'x', 'v': 1}]
    """
    if isinstance(base, dict) and isinstance(change, dict):
        out = copy.deepcopy(base)
        for key, value in change.items():
            if _drops(value):
                out.pop(key, None)
                continue
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if isinstance(base, list) and _by_id(base) and _by_id(change) and change:
        return _merge_items(base, change)
    return copy.deepcopy(change)


def _drops(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and value.get(REMOVE) is True


def _by_id(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict) and isinstance(v.get("id"), str) for v in value
    )


def _merge_items(base: list[dict[str, Any]], change: list[dict[str, Any]]) -> list[Any]:
    items: dict[str, Any] = {item["id"]: copy.deepcopy(item) for item in base}
    for item in change:
        key = item["id"]
        if item.get(REMOVE) is True:
            items.pop(key, None)
            continue
        item = {k: v for k, v in item.items() if k != REMOVE}
        items[key] = merge(items[key], item) if key in items else copy.deepcopy(item)
    return list(items.values())
