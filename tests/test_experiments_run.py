"""Running experiments for real: Dask equals local, kill -9 and resume, CRN, Sobol, the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from gridtwin.experiments import load_experiment, run
from gridtwin.experiments.analysis import analyse
from gridtwin.experiments.store import open_existing

DATA = Path(__file__).parent / "data"
EXP = DATA / "exp_tiny.yaml"
GRIDTWIN = [sys.executable, "-m", "gridtwin"]
TIMING = {"wall_seconds"}


def experiment(tmp_path: Path, name: str = "exp.yaml", **changes) -> Path:
    data = yaml.safe_load(EXP.read_text())
    data["scenario"] = str(DATA / "tiny.yaml")
    data.update(changes)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def kpi_rows(df):
    return df.drop(columns=sorted(TIMING)).sort_values("run_id").reset_index(drop=True)


def test_a_dask_local_cluster_gives_the_same_rows_bit_for_bit(tmp_path):
    path = experiment(tmp_path, replications=1)
    here = run(path, workers=1)
    pool = run(path, workers=2)
    dask = run(path, dask_local=2)
    assert len(here) == 8 and set(here["status"]) == {"succeeded"}
    assert kpi_rows(pool).equals(kpi_rows(here))
    assert kpi_rows(dask).equals(kpi_rows(here))


KILLER = """
import sys
from gridtwin.experiments.loader import load_experiment
from gridtwin.experiments.runner import run_experiment

def progress(done, failed, total):
    print(done, total, flush=True)

run_experiment(load_experiment(sys.argv[1]), sys.argv[2], workers=2, on_progress=progress)
"""


def test_sigkill_mid_experiment_then_resume_runs_everything_exactly_once(tmp_path):
    path = experiment(tmp_path, replications=4)  # 32 runs
    store = tmp_path / "results.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(path), str(store)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        done, total = map(int, line.split())
        if done >= 5:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    con = duckdb.connect(str(store), read_only=True)
    before = con.sql("SELECT run_id, seed, wall_seconds FROM runs ORDER BY run_id").df()
    con.close()
    assert 5 <= len(before) < 32  # finished runs survived the kill; the rest is to do
    resumed = subprocess.run(
        [*GRIDTWIN, "experiment", "run", str(path), "--store", str(store), "--workers", "2"],
        capture_output=True, text=True, timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    con = open_existing(store)
    after = con.sql("SELECT run_id, seed, wall_seconds, status FROM runs ORDER BY run_id").df()
    con.close()
    assert list(after["run_id"]) == list(range(32))  # every run exactly once
    assert set(after["status"]) == {"succeeded"}
    kept = after.set_index("run_id").loc[before["run_id"]]
    assert list(kept["wall_seconds"]) == list(before["wall_seconds"])  # done runs not redone


STREET = {
    "scenario": "street",
    "set": {"run.horizon_days": 7, "run.warmup_days": 1},
    "levers": {"channels.hotline.seats": [1, 3]},
    "replications": 6,
    "seed": 9,
    "outcomes": {"mean_time_to_close_h": "min", "satisfaction_rate": "max"},
}


def test_common_random_numbers_narrow_the_paired_interval(tmp_path):
    widths = {}
    for crn in (True, False):
        path = tmp_path / f"crn-{crn}.yaml"
        path.write_text(yaml.safe_dump({**STREET, "common_random_numbers": crn}))
        store = tmp_path / f"crn-{crn}.duckdb"
        run(path, store=store, workers=2)
        con = open_existing(store)
        paired = analyse(con).paired.set_index("outcome")
        con.close()
        widths[crn] = (paired["high"] - paired["low"]) / 2
    for outcome in STREET["outcomes"]:
        assert widths[True][outcome] < 0.6 * widths[False][outcome], outcome


def test_sobol_ranks_a_driving_lever_above_an_inert_one(tmp_path):
    path = experiment(
        tmp_path,
        levers={"departments.urban_management.staff": {"low": 1, "high": 3, "step": 1},
                "channels.hotline.seats": {"low": 2, "high": 4, "step": 1}},
        uncertainties={},
        design={"method": "sobol", "n": 8, "seed": 1},
        replications=1,
        outcomes={"utilisation_by_department.urban_management": "min"},
    )
    store = tmp_path / "sobol.duckdb"
    run(path, store=store, workers=2)
    con = open_existing(store)
    sens = analyse(con).sensitivity
    con.close()
    assert sens is not None
    st = sens.set_index("factor")["ST"]
    assert st["departments.urban_management.staff"] > 0.5
    assert st["departments.urban_management.staff"] > st["channels.hotline.seats"] + 0.3


def test_morris_gives_elementary_effects(tmp_path):
    path = experiment(
        tmp_path,
        levers={"departments.urban_management.staff": {"low": 1, "high": 3, "step": 1}},
        uncertainties={"services.demand_scale": {"low": 0.5, "high": 1.5}},
        design={"method": "morris", "n": 4, "levels": 4, "seed": 2},
        replications=1,
        outcomes={"utilisation_by_department.urban_management": "min"},
    )
    store = tmp_path / "morris.duckdb"
    run(path, store=store)
    con = open_existing(store)
    sens = analyse(con).sensitivity
    con.close()
    assert sens is not None and {"mu_star", "sigma"} <= set(sens.columns)
    assert (sens["mu_star"] > 0).all()


# ----------------------------------------------------------------------- CLI, real process
def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*GRIDTWIN, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"levers": {"channels.hotline.seatz": [1, 2]}},
         "levers.channels.hotline.seatz: unknown key; did you mean 'seats'?"),
        ({"levers": {"channels.hotline.seats": {"low": 4, "high": 1, "step": 1}}},
         "levers.channels.hotline.seats.high: 1 is < low (4): the range is empty"),
        ({"levers": {"channels.hotline.seats": []}},
         "levers.channels.hotline.seats: [] has 0 items; allowed: at least 1"),
        ({"design": "fractional_factorial"}, "design.method: 'fractional_factorial' is not one of"),
        ({"replications": 0}, "replications: 0 is not >= 1"),
    ],
)
def test_bad_experiment_files_exit_2_with_field_paths(tmp_path, changes, expected):
    result = cli("experiment", "run", str(experiment(tmp_path, **changes)), "--workers", "1")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results.duckdb").exists()


def test_cli_run_report_export_and_refusals(tmp_path):
    path = experiment(tmp_path, replications=1)
    done = cli("experiment", "run", str(path), "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert "8 runs in" in done.stderr and "8 succeeded, 0 failed" in done.stderr
    store = tmp_path / "results.duckdb"
    again = cli("experiment", "run", str(path), "--workers", "1")  # resumes: nothing to do
    assert again.returncode == 0 and "8 succeeded" in again.stderr
    report = cli("experiment", "report", str(store), "--baseline", "channels.hotline.seats=3")
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "report.html").is_file() and "exp-tiny" in report.stdout
    bad_baseline = cli("experiment", "report", str(store), "--baseline", "nonsense")
    assert bad_baseline.returncode == 2 and "--baseline nonsense" in bad_baseline.stderr
    export = cli("experiment", "export", str(store), "--format", "csv", "--out",
                 str(tmp_path / "csv"))
    assert export.returncode == 0 and (tmp_path / "csv" / "runs.csv").is_file()
    other = experiment(tmp_path, name="other.yaml", replications=2)
    refused = cli("experiment", "run", str(other), "--store", str(store))
    assert refused.returncode == 2 and "another experiment file" in refused.stderr
    missing = cli("experiment", "report", str(tmp_path / "nope.duckdb"))
    assert missing.returncode == 2 and "no such store" in missing.stderr
    both = cli("experiment", "run", str(path), "--dask", "tcp://x:1", "--dask-local", "2")
    assert both.returncode == 2


def test_python_api_with_a_builtin_loaded_experiment():
    loaded = load_experiment("sobol-demo")
    assert loaded.scenario.run.horizon_days == 7
    assert loaded.spec.design.method == "sobol"
