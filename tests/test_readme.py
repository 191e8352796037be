"""The README's commands and snippets run as written, so the README cannot drift from the code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
GRIDTWIN = [sys.executable, "-m", "gridtwin"]


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def make_dry_run(*args: str) -> subprocess.CompletedProcess[str]:
    """``make -n ARGS`` in the project, as from a shell: not as a sub-make of ``make test``,
    whose variables (``make test PYTHON=...``) a sub-make would inherit."""
    if shutil.which("make") is None:
        pytest.fail("make is needed by the README's set-up commands")
    inherited = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTHON", "SYSTEM_PYTHON"}
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(["make", "-n", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)


def commands(prefix: str) -> list[str]:
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(prefix):
                out.append(line)
    return out


def test_readme_names_the_two_setup_commands():
    assert commands("make ") == ["make run", "make test"]


@pytest.mark.parametrize("target", ["run", "test"])
def test_make_targets_expand_to_real_commands(target):
    dry = make_dry_run(target)
    assert dry.returncode == 0, dry.stderr
    wanted = "gridtwin run district" if target == "run" else "pytest"
    assert wanted in dry.stdout


def _venv_interpreter(*make_args: str) -> str:
    """The interpreter the Makefile would build ``.venv`` with (a dry run, nothing built)."""
    dry = make_dry_run("-B", ".venv/.installed", *make_args)
    assert dry.returncode == 0, dry.stderr
    first = dry.stdout.splitlines()[0]
    assert first.endswith(" -m venv .venv"), first
    return first.removesuffix(" -m venv .venv")


def test_make_builds_the_venv_on_the_distribution_python_only_when_it_qualifies(tmp_path):
    """The README's set-up: the distribution's Python when it is 3.11+ and can make a venv
    with pip, else python3 from PATH; PYTHON= always wins."""
    failing = tmp_path / "python-that-fails"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    assert _venv_interpreter(f"SYSTEM_PYTHON={tmp_path / 'missing'}") == "python3"
    assert _venv_interpreter(f"SYSTEM_PYTHON={failing}") == "python3"
    assert _venv_interpreter(f"SYSTEM_PYTHON={sys.executable}") == sys.executable
    assert _venv_interpreter(f"SYSTEM_PYTHON={sys.executable}", "PYTHON=python3.13") == "python3.13"


def test_make_run_command_runs(tmp_path):
    """The main job's command exactly as the Makefile has it, shortened to two simulated days."""
    dry = make_dry_run("run", f"OUT={tmp_path / 'out'}")
    assert dry.returncode == 0, dry.stderr
    line = next(x for x in dry.stdout.splitlines() if "gridtwin run district" in x)
    args = line.split()[line.split().index("run"):]
    done = subprocess.run([*GRIDTWIN, *args, "--days", "2"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cases_total" in done.stdout
    assert (tmp_path / "out" / "kpis.json").is_file()


QUICK_TOUR = commands("gridtwin ")


def test_quick_tour_commands_run_in_order(tmp_path):
    """Each line as a reader would type it, in order (later lines use what earlier ones wrote)."""
    shutil.copytree(ROOT / "tests" / "data", tmp_path / "tests" / "data")
    for line in QUICK_TOUR:
        args = line.split()[1:]
        done = subprocess.run([*GRIDTWIN, *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{line}: {done.stderr}"
        assert "Traceback" not in done.stderr
        if "--out" in args:
            assert (tmp_path / args[args.index("--out") + 1] / "events.parquet").is_file()
        if args[0] == "trace":
            assert "outcome:" in done.stdout


def test_quick_tour_is_not_empty():
    assert len(QUICK_TOUR) >= 5


def test_error_example_matches_the_cli():
    """The console example: a file that really fails, and exactly what validate prints."""
    example = next(b for b in blocks("console") if "gridtwin validate" in b)
    command, *output = example.strip().splitlines()
    args = command.removeprefix("$ gridtwin ").split()
    done = subprocess.run([*GRIDTWIN, *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == "\n".join(output).strip()
    assert done.stdout == ""


def test_python_snippet_runs():
    snippet = blocks("python")[0]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["result"].kpis["cases_total"] > 0
    assert namespace["kpis_only"]["seed"] == 12


def test_inline_set_examples_validate_on_the_street_scenario():
    examples = re.findall(r"`--set ([^`]+)`", README)
    assert len(examples) >= 2
    for example in examples:
        done = subprocess.run([*GRIDTWIN, "validate", "street", "--set", example], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{example}: {done.stderr}"
