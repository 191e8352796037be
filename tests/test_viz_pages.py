"""Every viewer page under Streamlit's AppTest: it renders, and its main interaction works."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridtwin.runner import run
from gridtwin.viz.cli import APP, OPEN_ENV

TINY = Path(__file__).parent / "data" / "tiny.yaml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("viewer-run")
    run(TINY, seed=2, days=10).write(out)
    return out


def app(monkeypatch, run_dir: Path | None = None) -> AppTest:
    if run_dir is None:
        monkeypatch.delenv(OPEN_ENV, raising=False)
    else:
        monkeypatch.setenv(OPEN_ENV, str(run_dir))
    return AppTest.from_file(str(APP), default_timeout=60)


def page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    return "\n".join(str(p) for p in parts)


def test_overview_explains_the_twin_with_the_life_cycle_diagram(monkeypatch):
    at = app(monkeypatch).run()
    assert not at.exception
    assert "digital twin" in texts(at)
    assert "How to use the pages" in texts(at)
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    assert "lever_routing -> routing" in charts[0].proto.spec


def test_scenario_groups_levers_by_stage_and_downloads_yaml(monkeypatch):
    at = page(app(monkeypatch).run(), "scenario")
    assert [t.label for t in at.tabs] == [
        "Staffing (人员配置)",
        "Channels (渠道)",
        "Data sharing (数据共享)",
        "Routing (派单)",
        "Discovery (发现)",
        "Feedback (评价)",
    ]
    assert "The scenario is valid." in texts(at)
    assert not at.button(key="run_scenario").disabled
    accuracy = next(s for s in at.slider if s.label.startswith("Dispatch accuracy"))
    assert accuracy.label == "Dispatch accuracy (probability)"
    assert accuracy.help
    accuracy.set_value(0.5).run()
    assert "policies.dispatch_accuracy=0.5" in texts(at)
    assert at.session_state["overrides"] == ["policies.dispatch_accuracy=0.5"]
    assert len(at.get("download_button")) == 1


def test_scenario_bad_upload_lists_problems_and_disables_run(monkeypatch):
    at = page(app(monkeypatch).run(), "scenario")
    at.radio(key="source_kind").set_value("upload").run()
    bad = b"name: broken\ncity:\n  synthetic: {streets: 0}\npolices: {}\n"
    at.file_uploader[0].set_value(("broken.yaml", bad, "application/x-yaml")).run()
    assert not at.exception
    assert at.error, "no error shown"
    assert "problem" in at.error[0].value
    listed = texts(at)
    assert "`polices`" in listed  # field paths, not a traceback
    assert "Traceback" not in listed
    assert at.button(key="run_scenario").disabled


def test_scenario_bad_change_lists_its_path_and_disables_run(monkeypatch):
    at = page(app(monkeypatch).run(), "scenario")
    at.text_area[0].set_value("channels.hotline.seats=-1").run()
    assert "`channels.hotline.seats`" in texts(at)
    assert at.button(key="run_scenario").disabled


def test_run_shows_kpi_cards_with_intervals_and_serves_repeats_from_cache(monkeypatch):
    at = page(app(monkeypatch).run(), "run")
    at.number_input[1].set_value(4.0)
    at.number_input[2].set_value(2)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert len(metrics) == 11
    assert metrics["Resolution rate (解决率)"].endswith("%")
    assert any(ch.isdigit() for ch in metrics["Time to close"])
    assert sum("95% CI" in c.value for c in at.caption) >= 10
    assert len(at.session_state["history"].batches) == 1
    at.button(key="run").click().run()  # the same run again: from the cache
    history = at.session_state["history"]
    assert len(history.batches) == 2
    assert history.batches[1].results is history.batches[0].results
    assert "paired by seed" in texts(at)


def test_run_cancel_adds_nothing(monkeypatch):
    at = page(app(monkeypatch).run(), "run")
    at.button(key="cancel").click().run()
    assert "cancelled" in texts(at)
    assert at.session_state["history"].shown() is None


def test_opened_run_folder_shows_the_map_and_the_series(monkeypatch, run_dir):
    at = app(monkeypatch, run_dir).run()
    assert not at.exception
    page(at, "map")
    assert len(at.get("deck_gl_json_chart")) == 1
    assert "6 communities" in texts(at)
    at.selectbox[0].select_index(1).run()  # colour by resolution rate
    assert not at.exception
    page(at, "dynamics")
    assert len(at.get("plotly_chart")) == 5  # arrivals, queues, backlog, utilisation, heatmap
    at.selectbox(key="heat_series").set_value("queue").run()
    assert not at.exception


def test_scenario_page_opens_a_run_folder(monkeypatch, run_dir, tmp_path):
    at = page(app(monkeypatch).run(), "scenario")
    at.radio(key="source_kind").set_value("run_dir").run()
    at.text_input[0].set_value(str(tmp_path)).run()
    at.button[0].click().run()
    assert "is not a gridtwin run folder" in texts(at)
    at.text_input[0].set_value(str(run_dir)).run()
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["history"].shown() is not None
    assert "Tiny synthetic district" in texts(at)


def test_compare_runs_a_policy_with_the_same_seeds(monkeypatch):
    at = page(app(monkeypatch).run(), "run")
    at.number_input[1].set_value(4.0)
    at.number_input[2].set_value(3)
    at.button(key="run").click().run()
    page(at, "compare")
    assert "pick at least two runs" in texts(at)
    at.text_area(key="policy_changes").set_value("policies.dispatch_accuracy=0.2").run()
    at.button(key="run_policy").click().run()
    assert not at.exception, at.exception
    history = at.session_state["history"]
    assert len(history.batches) == 2
    assert history.batches[1].seeds == history.batches[0].seeds
    wins = at.dataframe[0].value
    assert "misrouted_share" in set(wins["KPI"])
    assert len(at.get("plotly_chart")) == 2  # differences and distribution


def test_case_journey_steps_through_the_stages(monkeypatch, run_dir):
    at = page(app(monkeypatch, run_dir).run(), "journey")
    heads = [m.value for m in at.markdown if m.value.startswith("### Stage")]
    assert heads == ["### Stage 1 of 9: Need (诉求)"]
    first = at.info[0].value
    at.button(key="journey_next").click().run()
    heads = [m.value for m in at.markdown if m.value.startswith("### Stage")]
    assert heads == ["### Stage 2 of 9: Discovery (发现)"]
    assert at.info[0].value != first
    at.button(key="journey_prev").click().run()
    assert at.info[0].value == first
    at.radio(key="journey_story").set_value("elderly").run()
    assert "elderly resident" in texts(at)
    assert len(at.get("deck_gl_json_chart")) == 1


def test_url_query_sets_scenario_seed_and_page(monkeypatch):
    at = app(monkeypatch)
    at.query_params["scenario"] = "street"
    at.query_params["seed"] = "7"
    at.query_params["set"] = "policies.whistle=true"
    at.query_params["page"] = "run"
    at.run()
    assert not at.exception
    assert at.number_input[0].value == 7
    assert "`policies.whistle=true`" in texts(at)
    assert at.query_params["page"] == "run"


def test_run_too_large_for_this_machine_is_refused_before_it_starts(monkeypatch):
    monkeypatch.setenv("GRIDTWIN_MAX_MEMORY", "50MB")
    at = page(app(monkeypatch).run(), "run")
    assert "is too large" in texts(at)
    assert at.button(key="run").disabled
    assert any(c.value.startswith("Each replication: about") for c in at.caption)


def test_scenario_run_button_runs_the_edited_scenario_on_the_run_page(monkeypatch):
    at = app(monkeypatch).run()
    at.session_state["run_days"] = 3.0
    at.session_state["run_reps"] = 2
    page(at, "scenario")
    at.text_area[0].set_value("policies.whistle=true").run()
    at.button(key="run_scenario").click().run()
    assert not at.exception, at.exception
    history = at.session_state["history"]
    assert len(history.batches) == 1
    assert history.batches[0].overrides == ("policies.whistle=true",)
    assert history.batches[0].scenario.policies.whistle
    assert len(at.metric) == 11
