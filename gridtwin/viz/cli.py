"""``gridtwin viewer``: start the Streamlit viewer on this machine.

Kept free of Streamlit imports, so the ``gridtwin`` command stays quick to start.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

__all__ = ["APP", "OPEN_ENV", "STORE_ENV", "viewer", "viewer_command"]

APP = Path(__file__).with_name("app.py")
"""The Streamlit entry point."""
OPEN_ENV = "GRIDTWIN_VIEWER_OPEN"
"""Environment variable through which ``gridtwin viewer RUN_DIR`` names the folder to open."""
STORE_ENV = "GRIDTWIN_VIEWER_STORE"
"""Environment variable through which ``gridtwin viewer STORE`` names the results store."""


def viewer_command(
    source: Path | None, port: int, address: str
) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` command line and environment for the viewer.

    Raises:
        click.UsageError: If ``source`` is neither a run folder nor a results store.
    """
    env = {k: v for k, v in os.environ.items() if k not in (OPEN_ENV, STORE_ENV)}
    if source is not None:
        if source.is_dir():
            from gridtwin.viz.data import RunFolderError, open_run_dir

            try:
                open_run_dir(source)
            except RunFolderError as exc:
                raise click.UsageError(str(exc)) from None
            env[OPEN_ENV] = str(source.resolve())
        elif source.is_file():
            from gridtwin.experiments.store import StoreError, open_existing

            try:
                open_existing(source).close()
            except StoreError as exc:
                raise click.UsageError(str(exc)) from None
            env[STORE_ENV] = str(source.resolve())
        else:
            raise click.UsageError(f"{source}: no such run folder or results store")
    argv = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.maxUploadSize",
        "1",
    ]
    return argv, env


@click.command()
@click.argument(
    "source", required=False, metavar="[RUN_DIR or STORE]", type=click.Path(path_type=Path)
)
@click.option("--port", type=int, default=8501, show_default=True, help="Port to serve on.")
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on (127.0.0.1: this machine only).",
)
def viewer(source: Path | None, port: int, address: str) -> None:
    """Open the viewer in a browser: what-if runs, maps, comparisons, case journeys.

    RUN_DIR is a folder written by `gridtwin run --out`; it is on show when the viewer opens.
    STORE is a results store written by `gridtwin experiment run`; it opens on the
    Experiments page.
    """
    argv, env = viewer_command(source, port, address)
    click.echo(f"gridtwin viewer: http://{address}:{port}/  (Ctrl+C stops it)", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)  # the server takes over this process (and its id)
