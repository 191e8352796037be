"""Tests of the gridtwin command line (everything but a real simulation run)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from gridtwin.cli import cli, format_value, print_kpis
from gridtwin.scenarios.loader import builtin_names, load_scenario, scenario_to_yaml

TINY = Path(__file__).parent / "data" / "tiny.yaml"
GRIDTWIN = [sys.executable, "-m", "gridtwin"]  # the installed entry point's module


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    result = runner.invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output + result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    return result


# --------------------------------------------------------------------------------- validate
def test_validate_ok(runner):
    result = invoke(runner, "validate", TINY)
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: tiny (4 case types, 3 departments); a run: about ")
    assert re.search(r"about [\d.]+ cases, [\d.]+ k events, \d+ MB of memory, \d+ s\n$",
                     result.stdout)
    assert result.stderr == ""


def test_validate_lists_every_problem_and_exits_2(runner, tmp_path):
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["polices"] = {}
    data["run"]["seed"] = -1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = invoke(runner, "validate", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: 2 problems in {bad}:"
    assert sorted(lines[1:]) == ["  polices: unknown key; did you mean 'policies'?",
                                 "  run.seed: -1 is not >= 0"]


def test_validate_single_problem_on_one_line(runner, tmp_path):
    result = invoke(runner, "validate", tmp_path / "missing.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'missing.yaml'}: does not exist")
    assert len(result.stderr.splitlines()) == 1


def test_validate_yaml_syntax_error(runner, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\n  city: 1\n", encoding="utf-8")
    result = invoke(runner, "validate", bad)
    assert result.exit_code == 2
    assert "line 2, column 7: mapping values are not allowed here" in result.stderr


def test_validate_with_set(runner):
    result = invoke(runner, "validate", TINY, "--set", "services.case_types[1].department=parks",
                    "--set", "services.case_types[9].id=x")
    assert result.exit_code == 2
    assert "services.case_types[9]: index out of range" in result.stderr
    ok = invoke(runner, "validate", TINY, "--set", "departments.parks={staff: 1}")
    assert ok.stdout.startswith("ok: tiny (4 case types, 4 departments); a run: about ")


def test_validate_real_process_exit_code_and_stderr(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncity: {synthetic: {streets: 0}}\n", encoding="utf-8")
    proc = subprocess.run([*GRIDTWIN, "validate", str(bad)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert "city.synthetic.streets: 0 is not >= 1" in proc.stderr
    assert "population: is required" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = subprocess.run([*GRIDTWIN, "validate", str(TINY)], capture_output=True, text=True,
                        timeout=60, check=False)
    assert ok.returncode == 0
    assert ok.stdout.startswith("ok: tiny (4 case types, 3 departments); a run: about ")


def test_click_usage_errors_exit_2(runner):
    assert invoke(runner, "validate").exit_code == 2
    assert invoke(runner, "no-such-command").exit_code == 2
    assert invoke(runner, "run", "--no-such-option").exit_code == 2


# -------------------------------------------------------------------------------- scenarios
def test_scenarios_list_shows_every_builtin(runner):
    result = invoke(runner, "scenarios", "list")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == builtin_names()


def test_scenarios_show_prints_resolved_yaml(runner):
    for name in builtin_names():
        result = invoke(runner, "scenarios", "show", name)
        assert result.exit_code == 0, result.stderr
        assert yaml.safe_load(result.stdout) == yaml.safe_load(
            scenario_to_yaml(load_scenario(name)))


def test_scenarios_show_a_file(runner):
    result = invoke(runner, "scenarios", "show", TINY)
    assert result.exit_code == 0
    assert result.stdout == scenario_to_yaml(load_scenario(TINY))


def test_scenarios_show_missing_name_lists_available(runner):
    result = invoke(runner, "scenarios", "show", "no_such_scenario")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no_such_scenario: is neither")
    assert "built-in scenarios: " in result.stderr
    for name in builtin_names():
        assert name in result.stderr


# -------------------------------------------------------------------- run: user error paths
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "run.seed: -1 is not >= 0"),
        (["--seed", "abc"], "run.seed: 'abc' is not an integer"),
        (["--days", "0"], "run.horizon_days: 0 is not > 0"),
        (["--set", "channels.hotline.seats=-1"], "channels.hotline.seats: "),
        (["--set", "nope"], "--set: 'nope' needs the form dotted.path=value"),
    ],
)
def test_run_rejects_bad_options_before_running(runner, args, message):
    result = invoke(runner, "run", TINY, "--no-progress", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_run_reports_all_option_problems_at_once(runner):
    result = invoke(runner, "run", TINY, "--seed", "-1", "--days", "x")
    assert result.exit_code == 2
    assert "run.seed: -1 is not >= 0" in result.stderr
    assert "run.horizon_days: 'x' is not a number" in result.stderr


def test_run_missing_scenario(runner):
    result = invoke(runner, "run", "no_such_scenario")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no_such_scenario: ")


def test_run_out_is_a_file(runner, tmp_path):
    out = tmp_path / "file.txt"
    out.write_text("x")
    result = invoke(runner, "run", TINY, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == f"error: --out {out}: is a file; give a folder " \
                            "(it is created if missing)\n"
    below = invoke(runner, "run", TINY, "--out", out / "sub")
    assert below.exit_code == 2
    assert "is a file, so the folder cannot be created" in below.stderr


# -------------------------------------------------------------------------------- KPI table
def test_format_value():
    assert format_value("response_rate", 0.9512) == "95.1%"
    assert format_value("share_at_most_one_trip", 0.5) == "50.0%"
    assert format_value("hotline_answered_within_15s", 0.25) == "25.0%"
    assert format_value("mean_time_to_close_h", 30.5) == "30.50 h"
    assert format_value("hotline_mean_wait_s", 3) == "3.00 s"
    assert format_value("cases_total", 12345) == "12,345"
    assert format_value("satisfaction_rate", None) == "-"


def test_print_kpis_plain_when_piped():
    kpis = {
        "cases_total": 10, "response_rate": 0.5, "resolution_rate": 0.25,
        "satisfaction_rate": None, "mean_time_to_close_h": 2.0, "hotline_calls": 3,
        "utilisation_by_department": {"health": 0.75},
        "kpis_by_age_group": {"elderly": {"cases": 4, "response_rate": 0.5}},
        "cases_by_kind": {"admin": 10},
        "seed": 7, "scenario_sha256": "f" * 64, "gridtwin_version": "0.1.0",
        "wall_seconds": 1.5, "events_processed": 1234,
    }
    console = Console(width=100, force_terminal=False, color_system=None, record=True)
    print_kpis(console, kpis, title="tiny")
    text = console.export_text()
    assert "\x1b[" not in text
    for needle in ("cases_total", "50.0%", "25.0%", "2.00 h", "cases_by_kind.admin", "health",
                   "75.0%", "elderly", "f" * 64, "1,234"):
        assert needle in text
    assert text.index("Three rates") < text.index("Utilisation") < text.index("By age group")
    assert text.index("By age group") < text.index("provenance")


def test_run_prints_the_table_and_writes_the_outputs(runner, tmp_path):
    out = tmp_path / "out"
    done = runner.invoke(cli, ["run", str(TINY), "--days", "3", "--seed", "4", "--out", str(out),
                               "--csv"])
    assert done.exit_code == 0, done.output
    for key in ("cases_total", "resolution_rate", "scenario_sha256", "events_processed"):
        assert key in done.output
    for name in ("kpis.json", "events.parquet", "timeseries.parquet", "cells.parquet",
                 "cases.parquet", "scenario.yaml", "events.csv"):
        assert (out / name).is_file(), name
    assert not any(p.name.startswith(".gridtwin-") for p in out.iterdir())


def test_run_piped_shows_no_progress_bar_and_no_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "gridtwin", "run", str(TINY), "--days", "2"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "simulating" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_run_bad_out_keeps_what_was_written(runner, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(cli, ["run", str(TINY), "--days", "2", "--out", str(out)]).exit_code == 0
    before = (out / "kpis.json").read_bytes()
    bad = runner.invoke(cli, ["run", str(TINY), "--days", "2", "--set", "run.seed=-3",
                              "--out", str(out)])
    assert bad.exit_code == 2
    assert "run.seed" in bad.output
    assert (out / "kpis.json").read_bytes() == before


def test_compare_puts_two_runs_side_by_side(runner, tmp_path):
    for name, seats in (("a", 3), ("b", 1)):
        done = runner.invoke(cli, ["run", str(TINY), "--days", "4", "--out", str(tmp_path / name),
                                   "--set", f"channels.hotline.seats={seats}"])
        assert done.exit_code == 0, done.output
    done = runner.invoke(cli, ["compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    line = next(x for x in done.output.splitlines() if "hotline_mean_wait_s" in x)
    assert line.count(" s ") >= 2 or line.count(" s") >= 3
    assert "scenario_sha256" not in done.output  # provenance is not a KPI to compare
    assert " pp" in done.output


def test_compare_missing_run_is_a_user_error(runner, tmp_path):
    done = runner.invoke(cli, ["compare", str(tmp_path), str(tmp_path)])
    assert done.exit_code == 2
    assert "is not a gridtwin run folder (no run.json)" in done.output
    missing = runner.invoke(cli, ["compare", str(tmp_path / "a.json"), str(tmp_path)])
    assert missing.exit_code == 2
    assert "cannot read the KPIs" in missing.output


def test_console_script_is_installed_and_runs():
    script = Path(sys.executable).parent / "gridtwin"
    assert script.exists(), "pip install should put the gridtwin command beside the interpreter"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "gridtwin" in done.stdout


# ------------------------------------------------------------------------------ run folders
def test_out_that_cannot_be_written_fails_before_the_run(runner):
    done = invoke(runner, "run", TINY, "--days", "1", "--out", "/proc/gridtwin-out")
    assert done.exit_code == 2
    assert "cannot be written" in done.stderr
    assert "cases_total" not in done.stdout  # refused before simulating


def test_out_holding_other_files_is_refused(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = invoke(runner, "run", TINY, "--days", "1", "--out", tmp_path)
    assert done.exit_code == 2
    assert "is not empty and is not a gridtwin run (it holds notes.txt)" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_earlier_run_needs_overwrite_and_changed_files_are_refused(runner, tmp_path):
    out = tmp_path / "run"
    assert invoke(runner, "run", TINY, "--days", "1", "--out", out).exit_code == 0
    before = (out / "kpis.json").read_bytes()
    again = invoke(runner, "run", TINY, "--days", "1", "--seed", "9", "--out", out)
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert (out / "kpis.json").read_bytes() == before
    replaced = invoke(runner, "run", TINY, "--days", "1", "--seed", "9", "--out", out,
                      "--overwrite")
    assert replaced.exit_code == 0
    assert '"seed": 9' in (out / "kpis.json").read_text()
    with (out / "cases.parquet").open("ab") as fh:
        fh.write(b"x")
    for command in (["trace", out], ["compare", out, out]):
        done = invoke(runner, *command)
        assert done.exit_code == 2
        assert "incomplete or changed run: cases.parquet has" in done.stderr


def test_a_bug_prints_one_line_and_saves_the_traceback(runner, monkeypatch):
    import gridtwin.runner

    def broken(*args, **kwargs):
        raise ZeroDivisionError("deliberate")

    monkeypatch.setattr(gridtwin.runner, "run", broken)
    done = runner.invoke(cli, ["run", str(TINY), "--days", "1"])
    assert done.exit_code == 1
    line, = done.stderr.splitlines()
    assert line.startswith("error: internal error (a bug in gridtwin, not in your input): "
                           "ZeroDivisionError: deliberate; the full traceback is in ")
    saved = Path(line.rsplit(" ", 1)[1])
    assert "Traceback" in saved.read_text() and "deliberate" in saved.read_text()
    saved.unlink()
