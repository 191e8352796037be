"""Reading YAML the safe way, and strictly: no duplicate keys, no alias bombs, bounded size.

:func:`read_yaml` is PyYAML's ``safe_load`` with three more refusals, each reported with the
line and column at fault:

- a key given twice in one mapping (PyYAML silently keeps the last one: a ``run:`` block given
  twice would lose its seed without a word); merge keys (``<<: *base``) may still be overridden;
- a document whose anchors and aliases expand to more than :data:`MAX_VALUES` values, or that
  refers to itself (both would make validation spin for minutes or forever);
- a text longer than :data:`MAX_BYTES` or nested deeper than Python can follow.

Scenario files, ``--set`` values and experiment files all go through it.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

__all__ = ["MAX_BYTES", "MAX_VALUES", "YamlProblem", "read_yaml"]

MAX_BYTES = 10_000_000
"""Longest YAML text read (a full district scenario is about 30 kB)."""
MAX_VALUES = 200_000
"""Most values (scalars, lists and mappings, counting every alias expanded) in one document.
The built-in district scenario has a few thousand."""
_MERGE = "tag:yaml.org,2002:merge"


class YamlProblem(ValueError):
    """YAML that cannot be read; ``str(err)`` starts with the line and column when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line, self.column, self.message = line, column, message
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that records aliases and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases: list[tuple[Any, str, Node]] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node: Node = super().compose_node(parent, index)  # type: ignore[misc]
            self.aliases.append((event.start_mark, str(event.anchor), node))
            return node
        return super().compose_node(parent, index)  # type: ignore[misc, no-any-return]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # unhashable: the base class reports it
                continue
            if first is not key_node.start_mark:
                mark = key_node.start_mark
                raise YamlProblem(
                    f"duplicate key {key!r} (first given at line {first.line + 1}); "
                    "each key may appear once in a mapping",
                    mark.line + 1,
                    mark.column + 1,
                )
        return super().construct_mapping(node, deep=deep)


def _expanded_sizes(root: Node, limit: int) -> tuple[int, dict[int, int], Node | None]:
    """Values in the document with aliases expanded, per-node sizes, and a node on a cycle.

    Counting stops early once ``limit`` is passed (the total is then just above it).
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    total = 0

    def size(node: Node) -> int:
        nonlocal total
        key = id(node)
        if key in sizes:
            total += sizes[key]
            return sizes[key]
        if key in on_path:
            raise _Cycle(node)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        on_path.add(key)
        start = total
        total += 1
        for child in children:
            size(child)
            if total > limit:
                break
        on_path.discard(key)
        sizes[key] = total - start
        return sizes[key]

    try:
        size(root)
    except _Cycle as cycle:
        return total, sizes, cycle.node
    return total, sizes, None


class _Cycle(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _too_large(
    aliases: list[tuple[Any, str, Node]], sizes: dict[int, int], root: Node, limit: int
) -> YamlProblem:
    """The problem of a document past ``limit`` values, at its largest alias if it has one."""
    what, mark = "the document has", root.start_mark
    if aliases:
        mark, anchor, _ = max(aliases, key=lambda a: sizes.get(id(a[2]), 0))
        what = f"alias *{anchor} expands the document to"
    return YamlProblem(
        f"{what} more than {limit:,} values; anchors and aliases may share a block, "
        f"not multiply it (allowed: at most {limit:,})",
        mark.line + 1,
        mark.column + 1,
    )


def read_yaml(text: str, max_values: int = MAX_VALUES) -> Any:
    """Parse one YAML document strictly (see the module docstring).

    Args:
        text: The YAML text.
        max_values: Most values the document may expand to.

    Returns:
        What :func:`yaml.safe_load` would return (None for an empty document).

    Raises:
        YamlProblem: With the line and column where the problem is, when known.
    """
    if len(text) > MAX_BYTES:
        raise YamlProblem(f"is {len(text):,} characters long; allowed: at most {MAX_BYTES:,}")
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        total, sizes, cycle = _expanded_sizes(root, max_values)
        if cycle is not None:
            mark, anchor = next(
                ((m, a) for m, a, n in loader.aliases if n is cycle),
                (cycle.start_mark, "?"),
            )
            raise YamlProblem(
                f"alias *{anchor} refers to a block that contains it (a cycle)",
                mark.line + 1,
                mark.column + 1,
            )
        if total > max_values:
            raise _too_large(loader.aliases, sizes, root, max_values)
        return loader.construct_document(root)
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        context = getattr(exc, "context", None)
        detail = f"{problem or exc} ({context})" if context else str(problem or exc)
        if mark is None:
            raise YamlProblem(f"invalid YAML: {detail}") from None
        raise YamlProblem(detail, mark.line + 1, mark.column + 1) from None
    except RecursionError:
        raise YamlProblem("is nested too deeply to be a scenario") from None
    finally:
        loader.dispose()
