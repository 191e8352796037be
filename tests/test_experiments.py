"""Experiment files, designs, the store, the report and the Python API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from gridtwin.experiments import (
    ExperimentError,
    build_design,
    builtin_experiments,
    load_experiment,
    replication_seed,
    run,
)
from gridtwin.experiments.analysis import BaselineError, analyse
from gridtwin.experiments.design import run_seed
from gridtwin.experiments.report import html_page, markdown, write_report
from gridtwin.experiments.store import StoreError, export_tables, open_existing

DATA = Path(__file__).parent / "data"
EXP = DATA / "exp_tiny.yaml"


def write_experiment(tmp_path: Path, **changes) -> Path:
    data = yaml.safe_load(EXP.read_text())
    data["scenario"] = str(DATA / "tiny.yaml")
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems(source) -> list[str]:
    with pytest.raises(ExperimentError) as err:
        load_experiment(source)
    return [str(p) for p in err.value.problems]


# ------------------------------------------------------------------------------ the format
def test_builtin_experiments_load_and_have_their_designs():
    assert {"staffing-demo", "lhs-demo", "sobol-demo"} <= set(builtin_experiments())
    staffing = load_experiment("staffing-demo")
    design = build_design(staffing.spec)
    assert len({p.policy for p in design.points}) == 6
    assert len({p.future for p in design.points}) == 2
    assert len(design.points) * staffing.spec.replications == 36
    assert build_design(load_experiment("lhs-demo").spec).method == "latin_hypercube"
    sobol = build_design(load_experiment("sobol-demo").spec)
    assert sobol.unit_sample is not None and len(sobol.points) == 32 * (3 + 2)


def test_every_problem_at_once_with_field_paths(tmp_path):
    path = write_experiment(
        tmp_path,
        levers={"channels.window.windows_per_hall": {"low": 3, "high": 1, "step": 1}},
        design={"method": "fractional"},
        replications=0,
    )
    found = problems(path)
    assert any(p.startswith("levers.channels.window.windows_per_hall.high:") for p in found)
    assert any(p.startswith("design.method: 'fractional' is not one of:") for p in found)
    assert "replications: 0 is not >= 1" in found


def test_a_lever_path_that_is_not_in_the_scenario_is_refused_before_any_run(tmp_path):
    path = write_experiment(
        tmp_path,
        levers={"channels.hotline.seatz": [1, 2], "policies.dispatch_accuracy": [0.5, 1.5]},
        outcomes={"hotline_abandon_rte": "min"},
    )
    found = problems(path)
    assert "levers.channels.hotline.seatz: unknown key; did you mean 'seats'?" in found
    assert any(p.startswith("levers.policies.dispatch_accuracy: 1.5 is not <= 1") for p in found)
    assert "outcomes.hotline_abandon_rte: is not a KPI; did you mean 'hotline_abandon_rate'?" in (
        found)
    assert not (tmp_path / "results.duckdb").exists()


def test_design_specific_checks(tmp_path):
    path = write_experiment(
        tmp_path,
        levers={"channels.hotline.seats": {"low": 1, "high": 3}},
        uncertainties={"services.demand_scale": {"low": 0.5, "high": 2}},
        baseline={"channels.hotlin.seats": 1},
    )
    found = problems(path)
    assert "levers.channels.hotline.seats: a range needs a step in a full_factorial design" in found
    assert any(p.startswith("uncertainties.services.demand_scale: is not a list") for p in found)
    assert any(p.startswith("baseline.channels.hotlin.seats: is not a lever") for p in found)


def test_unknown_builtin_name():
    assert "built-ins: " in problems("stafing-demo")[0]
    assert "did you mean 'staffing-demo'" in problems("stafing-demo")[0]


def test_seeds_are_common_random_numbers_unless_switched_off():
    spec = load_experiment(EXP).spec
    assert run_seed(spec, 0, 1) == run_seed(spec, 5, 1) == replication_seed(spec.seed, 1)
    assert run_seed(spec, 0, 0) != run_seed(spec, 0, 1)
    independent = spec.model_copy(update={"common_random_numbers": False})
    assert run_seed(independent, 0, 1) != run_seed(independent, 5, 1)
    assert 0 <= replication_seed(2**63 - 1, 3) < 2**63


# ------------------------------------------------------------------- runs, store, report
@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("store")
    path = write_experiment(tmp, keep=["timeseries"])
    run(path, store=tmp / "results.duckdb")
    return tmp / "results.duckdb"


def test_the_store_has_the_documented_tables(stored):
    con = open_existing(stored)
    runs = con.sql("SELECT * FROM runs ORDER BY run_id").df()
    assert list(runs["run_id"]) == list(range(16))
    assert set(runs["status"]) == {"succeeded"}
    for col in ("point", "replication", "seed", "channels.hotline.seats",
                "services.demand_scale", "error", "wall_seconds", "gridtwin_version",
                "scenario_sha256", "resolution_rate", "utilisation_by_department"):
        assert col in runs.columns
    assert json.loads(runs["utilisation_by_department"][0])["urban_management"] >= 0
    # replication r has the same seed at every point
    assert runs.groupby("replication")["seed"].nunique().eq(1).all()
    text, sha = con.execute("SELECT text, sha256 FROM experiment").fetchall()[0]
    assert "exp-tiny" in text and len(sha) == 64
    series = con.sql("SELECT DISTINCT run_id FROM timeseries").df()
    assert sorted(series["run_id"]) == list(range(16))
    con.close()


def test_a_store_of_another_experiment_is_refused(stored, tmp_path):
    other = write_experiment(tmp_path, replications=1)
    with pytest.raises(StoreError, match="another experiment file"):
        run(other, store=stored)


def test_a_run_that_raises_is_recorded_and_the_batch_goes_on(tmp_path):
    table = tmp_path / "points.csv"
    table.write_text("channels.hotline.seats\n1\n-1\n2\n")
    path = write_experiment(
        tmp_path, levers={"channels.hotline.seats": [1, 2]}, uncertainties={},
        design={"method": "table", "file": "points.csv"}, replications=1,
    )
    df = run(path, store=tmp_path / "r.duckdb")
    assert list(df["status"]) == ["succeeded", "failed", "succeeded"]
    assert "seats" in df["error"][1]


def test_report_tables_and_pages(stored, tmp_path):
    con = open_existing(stored)
    a = analyse(con)
    assert a.baseline == 0 and a.runs == 16 and a.failed == 0
    assert set(a.summary["outcome"]) == set(a.experiment.outcomes)
    staff = a.paired[(a.paired["outcome"] == "utilisation_by_department.urban_management")]
    # two staff instead of one halve the department's utilisation: a clear paired difference
    assert staff.set_index("policy").loc[1, "better"]
    assert staff.set_index("policy").loc[1, "diff"] < 0
    robust = a.robustness.set_index(["policy", "outcome"])
    assert robust.loc[(1, "utilisation_by_department.urban_management"),
                      "share_beating_baseline"] == 1.0
    page = html_page(a)
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "<script" not in page
    assert "## Paired comparison with the baseline" in markdown(a)
    assert [p.name for p in write_report(a, tmp_path)] == ["report.md", "report.html"]
    assert analyse(con, "channels.hotline.seats=3,departments.urban_management.staff=2").baseline \
        == 3
    assert analyse(con, "2").baseline == 1  # design point 2 has policy 1
    with pytest.raises(BaselineError):
        analyse(con, "channels.hotline.seats=9")
    con.close()


def test_export_parquet(stored, tmp_path):
    con = open_existing(stored)
    written = export_tables(con, tmp_path, "parquet")
    con.close()
    assert [p.name for p in written] == [
        "experiment.parquet", "points.parquet", "runs.parquet", "timeseries.parquet"]
    assert pq.read_table(tmp_path / "runs.parquet").num_rows == 16


def test_importing_experiments_has_no_side_effects():
    code = ("import sys, multiprocessing, gridtwin.experiments as e; e.__all__; "
            "print(multiprocessing.get_start_method(allow_none=True), "
            "any(m in sys.modules for m in ('duckdb', 'distributed', 'SALib', 'gridtwin.model')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "False"]


def test_the_readme_example_file_loads(tmp_path):
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = next(b for b in readme.split("```yaml\n")[1:] if "levers:" in b).split("```")[0]
    path = tmp_path / "example.yaml"
    path.write_text(block)
    loaded = load_experiment(path)
    assert loaded.spec.keep == ("timeseries",)
    assert len(build_design(loaded.spec).points) == 12


def test_kpi_names_an_outcome_may_name_are_the_engines():
    from gridtwin.experiments.spec import KPI_NAMES
    from gridtwin.kpiformat import PROVENANCE
    from gridtwin.runner import simulate
    from gridtwin.scenarios.loader import load_scenario

    kpis = simulate(load_scenario(DATA / "tiny.yaml", ["run.horizon_days=2"]), seed=1)
    produced = set(kpis) - set(PROVENANCE)
    assert produced == set(KPI_NAMES) - {"events_processed"}
