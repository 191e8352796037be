"""Run folders: written whole or not at all, with a manifest that proves them complete.

A run folder (``gridtwin run ... --out DIR``) holds the output files of one run and a manifest,
``run.json``, that lists every file with its size and SHA-256 and says what ran (seed, scenario
hash, versions). The rules:

- **Checked before the run.** :func:`prepare` creates the folder (so an unwritable path fails
  in a second, not after an hour of simulation), refuses a folder that holds something other
  than a gridtwin run, and refuses to replace an earlier run unless asked to (``overwrite``).
- **Never half-written.** :func:`write_run` writes everything into a fresh temporary folder
  beside the target, the manifest last, and then swaps the two folders in one atomic step
  (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, with the old run restored
  by the next run if a kill falls between them). At any moment the target is the complete old
  run or the complete new one.
- **Leftovers are cleaned.** A temporary folder whose writing process is gone (killed) is
  removed by the next :func:`prepare` in the same parent folder.
- **Readers check.** :func:`verify_run` refuses a folder without a manifest, with a file
  missing, or with a file whose size or hash differs from the manifest.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT",
    "MANIFEST",
    "RunFolderError",
    "is_run_folder",
    "prepare",
    "verify_run",
    "write_run",
]

MANIFEST = "run.json"
"""The manifest's file name."""
FORMAT = "gridtwin-run"
"""The manifest's ``format`` value (with ``format_version``)."""
FORMAT_VERSION = 1
LEGACY_FILES = frozenset(
    {
        "kpis.json",
        "events.parquet",
        "timeseries.parquet",
        "cells.parquet",
        "cases.parquet",
        "scenario.yaml",
        "events.csv",
    }
)
"""Files a run folder written before manifests existed may hold (and nothing else)."""
_TEMP = ".gridtwin-"
_TEMP_NAME = re.compile(r"^\.gridtwin-(tmp|old)-(?P<pid>\d+)-(?P<name>.*)-[a-z0-9_]{8}$")
_CHUNK = 1 << 20


class RunFolderError(ValueError):
    """A run folder that cannot be used: not writable, not a run, incomplete or changed."""


# ------------------------------------------------------------------------------- manifests
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(folder: Path, names: Iterable[str], about: Mapping[str, Any]) -> dict[str, Any]:
    files = {
        name: {"bytes": (folder / name).stat().st_size, "sha256": _sha256(folder / name)}
        for name in sorted(names)
    }
    return {"format": FORMAT, "format_version": FORMAT_VERSION, **about, "files": files}


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` holds a gridtwin run (with a manifest, or an older one without)."""
    if (path / MANIFEST).is_file():
        return True
    names = {p.name for p in path.iterdir()} if path.is_dir() else set()
    return "kpis.json" in names and names <= LEGACY_FILES


def verify_run(path: str | Path, hashes: bool = True) -> dict[str, Any]:
    """Check that ``path`` is a complete run folder and return its manifest.

    Args:
        path: The run folder.
        hashes: Also compare every file's SHA-256 with the manifest (sizes are always compared).

    Raises:
        RunFolderError: With a message that names the folder and what is wrong.
    """
    folder = Path(path)
    hint = f"write it with `gridtwin run SCENARIO --out {folder}`"
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise RunFolderError(f"{folder}: {what}; give a run folder ({hint})")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        if is_run_folder(folder):
            raise RunFolderError(
                f"{folder}: has no {MANIFEST} manifest (written by an older gridtwin, or "
                f"incomplete); {hint} again"
            )
        raise RunFolderError(f"{folder}: is not a gridtwin run folder (no {MANIFEST}); {hint}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(f"{manifest_path}: cannot be read as a manifest ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(files, dict)
    ):
        raise RunFolderError(f"{manifest_path}: is not a gridtwin run manifest")
    problems = []
    for name, entry in files.items():
        file = folder / name
        if not file.is_file():
            problems.append(f"{name} is missing")
        elif file.stat().st_size != entry.get("bytes"):
            problems.append(
                f"{name} has {file.stat().st_size} bytes, the manifest says {entry.get('bytes')}"
            )
        elif hashes and _sha256(file) != entry.get("sha256"):
            problems.append(f"{name} does not match the SHA-256 in the manifest")
    if problems:
        raise RunFolderError(f"{folder}: incomplete or changed run: {'; '.join(problems)}")
    return manifest


# --------------------------------------------------------------------------------- writing
def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _leftovers(parent: Path, target: Path) -> list[tuple[str, Path]]:
    """Temporary folders of dead writers: beside the target, and inside it (older layout)."""
    found = []
    for where in (parent, target):
        if not where.is_dir():
            continue
        for entry in where.iterdir():
            if not entry.name.startswith(_TEMP) or not entry.is_dir():
                continue
            m = _TEMP_NAME.match(entry.name)
            if m is None:
                if where == target:  # an older gridtwin's temporary folder inside the run
                    found.append(("tmp", entry))
                continue
            if not _pid_alive(int(m["pid"])):
                found.append((m.group(1), entry))
    return found


def _clean_up(parent: Path, target: Path) -> None:
    """Remove dead writers' temporary folders; restore an old run a kill left aside."""
    for kind, folder in _leftovers(parent, target):
        m = _TEMP_NAME.match(folder.name)
        if (
            kind == "old"
            and m is not None
            and m["name"] == target.name
            and not target.exists()
            and (folder / MANIFEST).is_file()
        ):
            with contextlib.suppress(OSError):
                os.rename(folder, target)  # the swap was cut between its two renames
                continue
        shutil.rmtree(folder, ignore_errors=True)


def prepare(out: str | Path, overwrite: bool = False) -> Path:
    """Make sure a run can be written to ``out``: call before the run starts.

    Creates ``out`` if it is missing (proving it writable), removes temporary folders left by
    killed runs, and refuses a folder whose content would be lost.

    Args:
        out: The run folder to be.
        overwrite: Allow replacing an earlier run in ``out``.

    Returns:
        ``out`` as an absolute path.

    Raises:
        RunFolderError: ``out`` is a file, cannot be created or written, holds an earlier run
            (without ``overwrite``) or holds something that is not a gridtwin run.
    """
    target = Path(out).expanduser().absolute()
    if target.exists() and not target.is_dir():
        raise RunFolderError(f"--out {out}: is a file; give a folder (it is created if missing)")
    above = next((p for p in target.parents if p.exists()), None)
    if above is not None and not above.is_dir():
        raise RunFolderError(f"--out {out}: {above} is a file, so the folder cannot be created")
    try:
        _clean_up(target.parent, target)
        target.mkdir(parents=True, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=f"{_TEMP}probe-", dir=target.parent)
        os.rmdir(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RunFolderError(f"--out {out}: cannot be written ({reason})") from None
    entries = sorted(p.name for p in target.iterdir())
    if not entries:
        return target
    if is_run_folder(target):
        if overwrite:
            return target
        raise RunFolderError(
            f"--out {out}: holds an earlier run; give --overwrite to replace it, or another folder"
        )
    shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
    raise RunFolderError(
        f"--out {out}: is not empty and is not a gridtwin run (it holds {shown}); "
        "give a new or empty folder"
    )


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not possible."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(result == 0)


def _temp_folder(target: Path, kind: str) -> Path:
    return Path(
        tempfile.mkdtemp(prefix=f"{_TEMP}{kind}-{os.getpid()}-{target.name}-", dir=target.parent)
    )


def _swap_into_place(new: Path, target: Path) -> None:
    """Put folder ``new`` at ``target``; whatever was there is removed after."""
    if not target.exists():
        os.rename(new, target)
        return
    if _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old content
        return
    aside = _temp_folder(target, "old")
    os.rmdir(aside)
    os.rename(target, aside)
    os.rename(new, target)
    shutil.rmtree(aside, ignore_errors=True)


def write_run(
    out: str | Path,
    write_files: Callable[[Path], Iterable[str]],
    about: Mapping[str, Any],
    overwrite: bool = False,
) -> list[Path]:
    """Write a run folder whole: files into a temporary folder, manifest last, one swap.

    Args:
        out: The run folder.
        write_files: Writes the output files into the folder it is given and returns their
            names.
        about: What ran (seed, scenario hash, versions...), stored in the manifest.
        overwrite: Allow replacing an earlier run.

    Returns:
        The paths of the files written, the manifest last.

    Raises:
        RunFolderError: As :func:`prepare`, or if the files cannot be written.
    """
    target = prepare(out, overwrite)
    tmp = _temp_folder(target, "tmp")
    try:
        names = list(write_files(tmp))
        manifest = _manifest(tmp, names, about)
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
        _swap_into_place(tmp, target)
    except OSError as exc:
        raise RunFolderError(f"--out {out}: cannot write the results ({exc})") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return [target / name for name in [*names, MANIFEST]]
