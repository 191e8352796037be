"""The ``gridtwin levers`` command (also ``gridtwin scenarios levers``): the lever catalogue.

Every scenario field with its meaning, unit, allowed range and default, generated from the
schema by :func:`gridtwin.scenarios.catalogue.lever_rows`.
"""

from __future__ import annotations

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gridtwin.scenarios.catalogue import lever_rows, rows_to_json, rows_to_markdown

__all__ = ["levers"]


@click.command("levers")
@click.argument("prefix", default="", metavar="[PREFIX]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def levers(prefix: str, fmt: str) -> None:
    """Print the lever catalogue: every scenario field, or those whose path starts with PREFIX.

    For each: its path (as --set takes it), meaning, unit, allowed values and default,
    generated from the scenario schema. Example: gridtwin levers policies.
    """
    rows = lever_rows(prefix)
    if not rows:
        click.echo(f"error: no scenario field's path starts with {prefix!r}", err=True)
        raise click.exceptions.Exit(2)
    if fmt == "markdown":
        click.echo(rows_to_markdown(rows), nl=False)
    elif fmt == "json":
        click.echo(rows_to_json(rows), nl=False)
    else:
        console = Console()
        if not console.is_terminal:  # piped: wide enough to keep each row readable
            console = Console(width=max(console.width, 200))
        table = Table(box=box.SIMPLE_HEAD, show_lines=False, title=f"{len(rows)} scenario fields")
        for column in ("path", "unit", "allowed", "default", "meaning"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(*(Text(v) for v in (r.path, r.unit, r.allowed, r.default, r.meaning)))
        console.print(table)
