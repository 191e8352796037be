"""The compiled engine: installed by default, identical to the Python, never stale."""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gridtwin
from gridtwin import _compiled
from gridtwin._compiled import COMPILED, STAMP, decide, pure_requested, source_hashes, source_path

ROOT = Path(gridtwin.__file__).resolve().parent.parent
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]

# A district month with every lever on (the typhoon moved into it), digested: every column of
# the case table and the event log, and every KPI that is not a timing.
DIGEST = textwrap.dedent(
    """
    import hashlib, json, sys
    sys.path.insert(0, sys.argv[1])
    from bench_district import ALL_LEVERS
    import gridtwin, gridtwin.sim.lifecycle
    from gridtwin import run, load_scenario
    levers = [o.replace("start_day: 250, end_day: 252", "start_day: 12, end_day: 14")
              for o in ALL_LEVERS]
    result = run(load_scenario("district", ["run.horizon_days=24", *levers]), seed=7)
    h = hashlib.sha256()
    for table in (result.cases, result.events):
        h.update(json.dumps(table.to_pydict(), sort_keys=True, default=str).encode())
    kpis = {k: v for k, v in result.kpis.items() if k not in ("wall_seconds", "versions")}
    h.update(json.dumps(kpis, sort_keys=True, default=str).encode())
    print(json.dumps({"engine": gridtwin.ENGINE, "lifecycle": gridtwin.sim.lifecycle.__file__,
                      "cases": result.cases.num_rows, "digest": h.hexdigest()}))
    """
)


def _run_digest(pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "GRIDTWIN_PURE"}
    if pure:
        env["GRIDTWIN_PURE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", DIGEST, str(ROOT / "benchmarks")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_compiled_and_the_python_engine_give_identical_runs() -> None:
    compiled, python = _run_digest(pure=False), _run_digest(pure=True)
    assert compiled["engine"] == "compiled", "the install did not build the compiled engine"
    assert str(compiled["lifecycle"]).endswith(".so")
    assert python["engine"] == "interpreted" and str(python["lifecycle"]).endswith(".py")
    assert int(compiled["cases"]) > 1000
    assert compiled["digest"] == python["digest"]


def test_this_process_runs_the_engine_the_install_built() -> None:
    expected = "interpreted" if pure_requested() else "compiled"
    assert expected == gridtwin.ENGINE
    assert gridtwin.run.__module__ == "gridtwin.runner"
    from gridtwin.runner import versions

    assert versions()["engine"] == expected


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A copy of the compiled modules' sources with a fresh stamp and stand-in extensions."""
    for module in COMPILED:
        target = source_path(module, tmp_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source_path(module, ROOT), target)
        target.with_suffix(SUFFIX).write_bytes(b"")
    (tmp_path / "gridtwin" / STAMP).write_text(json.dumps(source_hashes(root=tmp_path)))
    return tmp_path


def test_a_fresh_build_is_run_compiled(built: Path) -> None:
    assert decide(built) == ("compiled", [])


def test_an_edited_source_sends_every_module_back_to_python(built: Path) -> None:
    edited = source_path("gridtwin.sim.lifecycle", built)
    edited.write_text(edited.read_text() + "\n# edited\n")
    assert decide(built) == ("interpreted", ["gridtwin.sim.lifecycle"])


def test_a_missing_or_broken_stamp_counts_as_stale(built: Path) -> None:
    stamp = built / "gridtwin" / STAMP
    stamp.write_text("{not json")
    assert decide(built) == ("interpreted", list(COMPILED))
    stamp.unlink()
    assert decide(built) == ("interpreted", list(COMPILED))


def test_pure_is_honoured_and_a_partial_build_is_not_used(built: Path) -> None:
    assert decide(built, pure="1") == ("interpreted", [])
    assert decide(built, pure="0") == ("compiled", [])
    source_path(COMPILED[0], built).with_suffix(SUFFIX).unlink()
    assert decide(built) == ("interpreted", [])


def test_the_source_finder_loads_only_the_compiled_modules_from_source() -> None:
    spec = _compiled._SourceFinder.find_spec("gridtwin.sim.cases")
    assert spec is not None and spec.origin == str(source_path("gridtwin.sim.cases"))
    assert _compiled._SourceFinder.find_spec("gridtwin.runner") is None
