"""The bad-input corpus: every file of tests/data/bad/ through `validate` and `run`, for real.

Each entry of ``tests/data/bad/cases.yaml`` names a bad input (a file, maybe with options), why
it is bad and the field path (or the line, for YAML that cannot be read) that the error must
name. Both commands run in a subprocess with a time limit: a hang is a failure, not a wait.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))
LIMIT_S = 30.0
"""Much more than any refusal takes (about a second); the hangs it guards against took minutes."""


def gridtwin(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "gridtwin", *args],
        capture_output=True, text=True, timeout=LIMIT_S, cwd=cwd, check=False,
    )
    return done, time.perf_counter() - t0


def test_the_corpus_covers_every_class_of_the_hardening_issue():
    whys = " ".join(c["why"] for c in CASES)
    for needle in ("infinite", "NaN", "10^12", "hundreds of GiB", "alias", "twice", "GeoJSON",
                   "parents loop", "two points", "not degrees", "not JSON", "negative population",
                   "bow-tie", "FeatureCollection", "memory"):
        assert needle in whys, needle
    assert len(CASES) >= 50


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file']}:{c['why']}" for c in CASES])
def test_bad_input_is_refused_cleanly_by_validate_and_run(case: dict[str, Any], tmp_path: Path):
    args = [case["file"], *case.get("args", [])]
    validate, took = gridtwin("validate", *args, cwd=BAD)
    assert took < LIMIT_S
    assert "Traceback" not in validate.stderr + validate.stdout
    assert validate.returncode == case.get("validate_exit", 2), validate.stderr
    if validate.returncode == 2:
        assert validate.stderr.startswith("error: ")
        assert case["path"] in validate.stderr, validate.stderr
        assert validate.stdout == ""
    else:  # valid, but the note tells why a run would be refused
        assert case["path"] in validate.stderr and "--allow-large" in validate.stderr

    out = tmp_path / "out"
    run, took = gridtwin("run", *args, "--out", str(out), "--no-progress", cwd=BAD)
    assert took < LIMIT_S
    assert "Traceback" not in run.stderr + run.stdout
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: ")
    assert case["path"] in run.stderr, run.stderr
    assert not out.exists(), "a refused run must not create its output folder"


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path):
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("name: big\ndescription: |\n")
        line = "  " + "x" * 998 + "\n"
        for _ in range(10_100):
            fh.write(line)
    done, took = gridtwin("validate", str(big), cwd=tmp_path)
    assert done.returncode == 2
    assert "bytes long; allowed: at most 10,000,000" in done.stderr
    assert took < LIMIT_S


def test_allow_large_goes_past_the_size_estimate(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GRIDTWIN_MAX_MEMORY", "100MB")  # less than any run needs
    refused, _ = gridtwin("run", "../tiny.yaml", "--days", "1", cwd=BAD)
    assert refused.returncode == 2
    assert "run: is too large" in refused.stderr and "--allow-large" in refused.stderr
    note, _ = gridtwin("validate", "../tiny.yaml", cwd=BAD)
    assert note.returncode == 0 and "note: run: is too large" in note.stderr
    done, _ = gridtwin("run", "../tiny.yaml", "--days", "1", "--allow-large", cwd=BAD)
    assert done.returncode == 0, done.stderr
    assert "cases_total" in done.stdout
    monkeypatch.setenv("GRIDTWIN_MAX_MEMORY", "lots")
    bad, _ = gridtwin("run", "../tiny.yaml", "--days", "1", cwd=BAD)
    assert bad.returncode == 2 and "GRIDTWIN_MAX_MEMORY: 'lots' is not a size" in bad.stderr


def test_the_size_estimate_follows_the_demand_scale():
    from gridtwin.scenarios.loader import load_scenario
    from gridtwin.scenarios.size import estimate_size

    base = estimate_size(load_scenario("street"))
    doubled = estimate_size(load_scenario("street", ["services.demand_scale=2"]))
    assert doubled.cases == pytest.approx(2 * base.cases)


def test_the_size_estimate_counts_bounces_up_to_max_bounces():
    from gridtwin.scenarios.loader import load_scenario
    from gridtwin.scenarios.size import estimate_size

    always_wrong = ["policies.dispatch_accuracy=0", "services.case_types.noise.clarity=0"]
    none = estimate_size(load_scenario(DATA / "tiny.yaml", [*always_wrong,
                                                             "policies.max_bounces=0"]))
    more = estimate_size(load_scenario(DATA / "tiny.yaml", [*always_wrong,
                                                             "policies.max_bounces=5"]))
    base = estimate_size(load_scenario(DATA / "tiny.yaml"))
    assert base.events < none.events < more.events < 10 * base.events
