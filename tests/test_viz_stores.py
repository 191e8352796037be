"""The viewer's Experiments page: a real results store, its plain functions, the page itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

import gridtwin.experiments as experiments
from gridtwin.experiments.store import StoreError
from gridtwin.viz.cli import APP, OPEN_ENV, STORE_ENV, viewer_command
from gridtwin.viz.stores import find_stores, open_store, outcome_by_lever, policy_labels

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("store")
    data = yaml.safe_load((DATA / "exp_tiny.yaml").read_text())
    data.update(scenario=str(DATA / "tiny.yaml"), set={"run.horizon_days": 5})
    spec = folder / "exp.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    path = folder / "runs" / "results.duckdb"
    path.parent.mkdir()
    experiments.run(spec, store=path)
    return path


def test_open_store_reads_the_runs_and_the_analysis(store):
    view = open_store(store)
    assert len(view.runs) == 2 * 2 * 2 * 2  # policies x futures x replications
    assert view.levers == ["channels.hotline.seats", "departments.urban_management.staff"]
    assert "resolution_rate" in view.outcomes
    labels = policy_labels(view)
    assert sorted(labels.values()) == sorted(
        f"seats={s}, staff={t}" for s in (1, 3) for t in (1, 2)
    )
    frame = outcome_by_lever(view, "hotline_abandon_rate", "channels.hotline.seats")
    assert list(frame["channels.hotline.seats"]) == sorted(frame["channels.hotline.seats"])
    assert ((frame["low"] <= frame["mean"]) & (frame["mean"] <= frame["high"])).all()
    assert "exp-tiny" in view.report()


def test_a_baseline_of_lever_values_and_a_bad_one(store):
    view = open_store(store, "channels.hotline.seats=3,departments.urban_management.staff=2")
    assert policy_labels(view)[view.analysis.baseline] == "seats=3, staff=2"
    with pytest.raises(StoreError, match="no such design point"):
        open_store(store, "999")


def test_not_a_store_is_refused(tmp_path):
    with pytest.raises(StoreError, match="no such store"):
        open_store(tmp_path / "missing.duckdb")
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    with pytest.raises(StoreError, match="is not an experiment store"):
        open_store(bad)


def test_find_stores_lists_the_stores_under_runs(store):
    assert find_stores(store.parent.parent) == [store.resolve()]


def test_viewer_command_opens_a_store_on_the_experiments_page(store, tmp_path):
    _, env = viewer_command(store, 8600, "127.0.0.1")
    assert env[STORE_ENV] == str(store.resolve())
    bad = tmp_path / "x.duckdb"
    bad.write_text("no")
    with pytest.raises(Exception, match="is not an experiment store"):
        viewer_command(bad, 8600, "127.0.0.1")


def test_experiments_page_shows_the_store(monkeypatch, store):
    monkeypatch.delenv(OPEN_ENV, raising=False)
    monkeypatch.setenv(STORE_ENV, str(store))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    at.switch_page("views/experiments.py").run()
    assert not at.exception, at.exception
    assert any("exp-tiny: 16 runs (0 failed)" in h.value for h in at.subheader)
    assert len(at.get("plotly_chart")) == 1
    assert len(at.dataframe) == 3  # paired, robustness, runs
    at.text_input(key="store_baseline").set_value("nonsense").run()
    assert not at.exception
    assert any("--baseline nonsense" in e.value for e in at.error)
