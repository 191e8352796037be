"""``gridtwin calibrate`` on the command line: the table, the folder, and bad input refused.

Every refusal exits with code 2, starts with ``error:``, says what is wrong and where, and
leaves no output file behind; none prints a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridtwin.cli import cli

DATA = Path(__file__).parent / "data"
SLICES = DATA / "311"
BAD = DATA / "bad" / "calibrate"


def _calibrate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["calibrate", *args, "--no-progress"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_calibrate_prints_the_key_figures_and_writes_the_folder(tmp_path: Path):
    out = tmp_path / "boston"
    code, output = _calibrate(str(SLICES / "boston311_slice.csv"), "--mapping", "boston",
                              "--replications", "2", "--out", str(out))
    assert code == 0, output
    for row in ("hourly arrivals MAPE", "chi-square", "time to close p50", "mix distance"):
        assert row in output
    assert {p.name for p in out.iterdir()} >= {"scenario.yaml", "report.md", "fit.json",
                                               "city.geojson", "run.json"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["kind"] == "calibration" and "fit.json" in manifest["files"]
    code, output = _calibrate(str(SLICES / "boston311_slice.csv"), "--mapping", "boston",
                              "--replications", "2", "--out", str(out))
    assert code == 2 and "--overwrite" in output
    code, output = _calibrate(str(SLICES / "boston311_slice.csv"), "--mapping", "boston",
                              "--replications", "2", "--out", str(out), "--overwrite",
                              "--seed", "9")
    assert code == 0, output
    assert json.loads((out / "fit.json").read_text())["seed"] == 9


def test_the_train_until_option_splits_where_asked(tmp_path: Path):
    code, output = _calibrate(str(SLICES / "la311_slice.csv"), "--mapping", "la",
                              "--train-until", "2020-01-02T12:00", "--replications", "2",
                              "--follow-up-days", "3", "--out", str(tmp_path / "o"))
    assert code == 0, output
    fit = json.loads((tmp_path / "o" / "fit.json").read_text())
    assert fit["validation"]["window"]["start"] == "2020-01-02T12:00"
    assert fit["backtest"]["window"]["end"] == "2020-01-02T12:00"
    assert fit["backtest"]["window"]["start"] == "2020-01-01T00:00"


NYC = str(SLICES / "nyc311_slice.csv")
CASES = [
    pytest.param([NYC, "--mapping", "paris"], "not a built-in mapping (open311, la, nyc",
                 id="unknown mapping"),
    pytest.param([NYC, "--mapping", "la"], "needs the column(s) createddate (created), "
                 "requesttype (type)", id="missing columns named"),
    pytest.param([str(BAD / "unreadable_times.csv"), "--mapping", "nyc"],
                 "no readable created time in column 'created_date'", id="unparsable times"),
    pytest.param([str(BAD / "header_only.csv"), "--mapping", "nyc"],
                 "no readable created time", id="empty log"),
    pytest.param([str(BAD / "too_short.csv"), "--mapping", "nyc"],
                 "less than two whole hours", id="log too short"),
    pytest.param([NYC, "--mapping", "nyc", "--train-until", "1999-01-01"],
                 "--train-until 1999-01-01: outside the log", id="T before the log"),
    pytest.param([NYC, "--mapping", "nyc", "--train-until", "2021-09-21T23:30"],
                 "outside the log", id="T leaves no held-out hour"),
    pytest.param([NYC, "--mapping", "nyc", "--train-until", "soon"], "not a time",
                 id="T unreadable"),
    pytest.param([NYC, "--mapping", str(BAD / "bad_mapping.yaml")], "columns.type: is required",
                 id="bad mapping file"),
    pytest.param([NYC, "--mapping", str(BAD / "bad_mapping.yaml")],
                 "timezon: unknown key; did you mean 'timezone'?", id="misspelt mapping key"),
    pytest.param([NYC, "--mapping", str(BAD / "bad_mapping.yaml")],
                 "channel 'window' cannot be calibrated", id="channel not calibratable"),
    pytest.param([NYC, "--mapping", str(BAD / "duplicate_key_mapping.yaml")], "line 5",
                 id="mapping key given twice"),
    pytest.param([NYC, "--mapping", str(BAD / "bad_zone_mapping.yaml")],
                 "timezone: 'Mars/Olympus_Mons' unknown time zone", id="unknown time zone"),
    pytest.param([str(BAD / "not_a_list.json"), "--mapping", "open311"],
                 "a list of requests", id="Open311 JSON not a list"),
    pytest.param([str(BAD / "missing.csv"), "--mapping", "nyc"], "no such file",
                 id="log missing"),
    pytest.param([NYC, "--mapping", "nyc", "--cells", str(DATA / "bad" / "geo_bowtie.geojson")],
                 "not a usable city", id="bad cells"),
    pytest.param([NYC, "--mapping", "nyc", "--replications", "0"], "0 is not in the range",
                 id="no replications"),
]


@pytest.mark.parametrize(("args", "message"), CASES)
def test_bad_input_is_refused_with_exit_2(args: list[str], message: str, tmp_path: Path):
    out = tmp_path / "out"
    code, output = _calibrate(*args, "--out", str(out))
    assert code == 2, output
    assert message in output, output
    assert "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_an_output_path_that_is_a_file_is_refused(tmp_path: Path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, output = _calibrate(NYC, "--mapping", "nyc", "--out", str(target))
    assert code == 2 and "is a file" in output
    assert target.read_text() == "x"


def test_a_refusal_in_a_real_process_has_no_traceback(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "gridtwin", "calibrate", NYC, "--mapping", "la", "--out",
         str(tmp_path / "o")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "Traceback" not in done.stderr + done.stdout
