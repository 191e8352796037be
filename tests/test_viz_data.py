"""The viewer's plain modules, tested without Streamlit (data, levers, cards, map, compare)."""

from __future__ import annotations

import io
import json
import math
import shutil
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from gridtwin.scenarios.loader import load_scenario
from gridtwin.sim.city import build_city
from gridtwin.viz import cards as cardmod
from gridtwin.viz.cli import OPEN_ENV, viewer_command
from gridtwin.viz.compare import (
    comparable_keys,
    differences,
    distribution_frame,
    pairing_problem,
    wins_table,
)
from gridtwin.viz.data import (
    MAX_UPLOAD_BYTES,
    Batch,
    History,
    RunCache,
    RunCancelled,
    RunFolderError,
    Source,
    csv_bytes,
    load,
    open_run_dir,
    run_batch,
    run_overrides,
    source_from_upload,
)
from gridtwin.viz.dynamics import hour_of_week, series_keys, window
from gridtwin.viz.levers import (
    LeverKind,
    LeverStage,
    grouped,
    levers_for,
    lifecycle_dot,
    override_for,
    widget_default,
)
from gridtwin.viz.mapview import FIGURES, cell_frame, deck, sites_frame

TINY = Path(__file__).parent / "data" / "tiny.yaml"


def tiny_with(*overrides: str, days: float = 10, seed: int = 3):
    scenario, problems = load(
        Source("upload", "tiny.yaml", TINY), [*overrides, *run_overrides(seed, days, 0)]
    )
    assert not problems, problems
    assert scenario is not None
    return scenario


@pytest.fixture(scope="module")
def batch() -> Batch:
    return run_batch(tiny_with(), 3, label="base")


@pytest.fixture(scope="module")
def folder(batch, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    batch.results[0].write(out)
    return out


# ------------------------------------------------------------------------------- run folders
def test_open_run_dir_reads_what_was_written(folder, batch):
    result = open_run_dir(folder)
    assert result.kpis == json.loads(batch.results[0].kpis_json())
    assert result.events.num_rows == batch.results[0].events.num_rows
    assert result.scenario.name == "tiny"


def test_open_run_dir_checks_the_manifest(folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    (copy / "events.parquet").unlink()
    with pytest.raises(RunFolderError, match="events.parquet is missing"):
        open_run_dir(copy)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "kpis.json").write_text("{}")
    with pytest.raises(RunFolderError, match="run.json"):
        open_run_dir(tmp_path / "other")
    with pytest.raises(RunFolderError, match="does not exist"):
        open_run_dir(tmp_path / "nothing")


# ----------------------------------------------------------------------------------- sources
def test_load_returns_problems_with_field_paths_instead_of_raising():
    bad = ["channels.hotline.seats=-1", "polices.x=1"]
    scenario, problems = load(Source.builtin("street"), bad)
    assert scenario is None
    paths = [p.path for p in problems]
    assert "channels.hotline.seats" in paths
    assert "polices" in paths


def test_upload_is_size_capped_and_must_be_text(tmp_path):
    big = source_from_upload("big.yaml", b"x" * (MAX_UPLOAD_BYTES + 1), tmp_path)
    assert not isinstance(big, Source)
    assert "bytes" in big.message
    binary = source_from_upload("bin.yaml", b"\xff\xfe\x00", tmp_path)
    assert not isinstance(binary, Source)
    assert "UTF-8" in binary.message


def test_uploaded_bad_yaml_is_a_problem_with_a_line(tmp_path):
    src = source_from_upload("bad.yaml", b"name: x\ncity: [unclosed\n", tmp_path)
    assert isinstance(src, Source)
    scenario, problems = load(src)
    assert scenario is None
    assert "line" in problems[0].message


def test_uploaded_yaml_is_safe_loaded(tmp_path):
    evil = b"name: !!python/object/apply:os.system ['echo hi']\n"
    src = source_from_upload("evil.yaml", evil, tmp_path)
    assert isinstance(src, Source)
    scenario, problems = load(src)
    assert scenario is None and problems


def test_run_overrides_drop_a_warmup_that_does_not_fit():
    assert run_overrides(4, 2, 3) == ["run.seed=4", "run.horizon_days=2", "run.warmup_days=0"]
    assert run_overrides(4, 10, 3) == ["run.seed=4", "run.horizon_days=10"]


# ----------------------------------------------------------------------------------- running
def test_replications_run_consecutive_seeds(batch):
    assert batch.seeds == (3, 4, 5)
    rows = batch.kpi_rows()
    assert [r["replication"] for r in rows] == [0, 1, 2]
    # the seed is part of the resolved scenario: each replication has its own hash
    assert [r["scenario_sha256"] for r in rows] == [
        r.kpis["scenario_sha256"] for r in batch.results
    ]
    assert rows[0]["scenario_sha256"] == batch.sha256
    assert len(set(batch.values("cases_total"))) > 1  # different seeds, different runs


def test_identical_runs_come_from_the_cache():
    cache = RunCache(size=2)
    first = run_batch(tiny_with(days=3), 2, cache=cache)
    seen: list[str] = []
    again = run_batch(tiny_with(days=3), 2, cache=cache, progress=lambda f, t: seen.append(t))
    assert again.results is first.results
    assert cache.hits == 1
    assert "cache" in seen[-1]
    other = run_batch(tiny_with(days=3, seed=9), 2, cache=cache)
    assert other.results is not first.results


def test_progress_and_cancel():
    fractions: list[float] = []
    run_batch(tiny_with(days=4), 2, progress=lambda f, t: fractions.append(f))
    assert fractions == sorted(fractions)
    assert fractions[-1] == pytest.approx(1.0)
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2

    with pytest.raises(RunCancelled, match="replication 1 of 2"):
        run_batch(tiny_with(days=4), 2, should_stop=stop)


def test_csv_rows_carry_seed_hash_and_version(batch):
    table = batch.per_replication(lambda r: r.cells)
    frame = pd.read_csv(io.BytesIO(csv_bytes(table, batch)))
    assert set(frame["seed"]) == {3, 4, 5}
    assert set(frame["scenario_sha256"]) == {r.kpis["scenario_sha256"] for r in batch.results}
    assert frame["gridtwin_version"].notna().all()
    with pytest.raises(ValueError, match="needs"):
        csv_bytes(pd.DataFrame({"x": [1]}))


def test_history_pins_the_first_run_and_can_repin(batch):
    history = History()
    assert history.shown() is None
    history.add(batch)
    history.add(batch)
    assert history.baseline == 0 and history.current == 1
    history.pin(1)
    assert history.pinned() is history.batches[1]
    assert history.labels()[0].startswith("#1 base (3 rep., seeds 3–5)")
    with pytest.raises(IndexError):
        history.pin(5)


# ------------------------------------------------------------------------------------ levers
def test_levers_cover_every_life_cycle_stage_and_validate():
    scenario = load_scenario("street")
    values = scenario.model_dump(mode="json", by_alias=True)
    levers = levers_for(values)
    assert set(grouped(levers)) == set(LeverStage)
    assert sum(lv.path.startswith("departments.") for lv in levers) == len(scenario.departments)
    changed = []
    for lever in levers:
        default = widget_default(lever, values, [])
        assert override_for(lever, default, values) is None, lever.path
        assert lever.help and lever.label
        if lever.kind is LeverKind.BOOL:
            changed.append(override_for(lever, not default, values))
        elif lever.kind is LeverKind.CHOICE:
            other = next(c for c in lever.choices if c != default and c != "pairs")
            changed.append(override_for(lever, other, values))
        elif lever.kind is LeverKind.SEATS:
            changed.append(override_for(lever, 1, values))
        elif lever.kind is LeverKind.SHARE:
            changed.append(override_for(lever, 0.5 if default != 0.5 else 0.4, values))
        else:
            changed.append(override_for(lever, default + 1, values))
    assert all(changed)
    edited = load_scenario("street", changed)  # every edit is a valid --set
    assert edited.policies.data_sharing.mode.value == "none"
    assert edited.channels.hotline.seats[0] == scenario.channels.hotline.seats[0] + 1


def test_widgets_show_overrides_from_a_link():
    values = load_scenario("street").model_dump(mode="json", by_alias=True)
    levers = {lv.path: lv for lv in levers_for(values)}
    seats = levers["channels.hotline.seats"]
    item = override_for(seats, -1, values)
    assert item is not None
    assert widget_default(seats, values, [item]) == -1
    accuracy = levers["policies.dispatch_accuracy"]
    assert widget_default(accuracy, values, ["policies.dispatch_accuracy=0.6"]) == 0.6


def test_lifecycle_diagram_shows_where_each_lever_group_acts():
    dot = lifecycle_dot()
    for stage in LeverStage:
        assert f"lever_{stage.value} ->" in dot
    assert "need -> discovery -> channel" in dot


# ------------------------------------------------------------------------------------- cards
def test_cards_have_means_intervals_and_paired_deltas(batch):
    worse = run_batch(tiny_with("policies.dispatch_accuracy=0.1"), 3, label="worse")
    shown = cardmod.cards(worse, batch)
    assert [c.spec.key for c in shown] == [s.key for s in cardmod.CARDS]
    assert len(shown) == 11
    misrouted = next(c for c in shown if c.spec.key == "misrouted_share")
    assert misrouted.paired
    assert misrouted.delta is not None and misrouted.delta.mean > 0
    assert misrouted.delta_color == "inverse"
    assert misrouted.ci_text.startswith("95% CI")
    assert misrouted.delta_text is not None and misrouted.delta_text.startswith("+")
    alone = cardmod.cards(batch)
    assert all(c.delta is None for c in alone)


def series_table(values: dict[str, np.ndarray]) -> pa.Table:
    rows = []
    for key, v in values.items():
        series = "backlog" if key == "all" else "queue"
        rows += [
            {"hour": h, "series": series, "key": key, "value": float(x)} for h, x in enumerate(v)
        ]
    return pa.Table.from_pylist(rows)


def test_growth_warning_for_a_queue_without_bound_only():
    hours = np.arange(21 * 24)
    daily_rhythm = 5 + 5 * np.sin(hours / 24 * 2 * np.pi).clip(0)  # busy but drains
    growing = hours / 10.0 + daily_rhythm  # rises by 2.4 a day and never drains
    found = cardmod.growth_warnings(series_table({"busy": daily_rhythm, "housing": growing}))
    assert [g.key for g in found] == ["housing"]
    assert "keeps growing" in found[0].text and "housing" in found[0].text
    short = cardmod.growth_warnings(series_table({"housing": growing[: 6 * 24]}))
    assert [g.key for g in short] == ["housing"]
    assert cardmod.growth_warnings(series_table({"all": daily_rhythm[: 6 * 24]})) == []


def test_growth_warning_on_an_understaffed_run():
    busy = "services.case_types.noise.rate_per_resident_year=1"
    small = run_batch(tiny_with("departments.urban_management.staff=1", busy, days=21), 1)
    found = cardmod.growth_warnings(small.results[0].timeseries)
    assert {g.key for g in found} == {"urban_management", "all"}
    calm = run_batch(tiny_with(busy, days=21), 1)
    assert cardmod.growth_warnings(calm.results[0].timeseries) == []


# --------------------------------------------------------------------------------------- map
def test_map_cells_sites_and_no_base_map(batch):
    city = build_city(batch.scenario.city)
    cells = cell_frame(city, batch.results, FIGURES[1])
    assert list(cells["cell"]) == list(city.community_ids)
    assert all(len(c) == 4 for c in cells["colour"])
    assert cells["cases"].sum() == pytest.approx(
        np.mean(
            [
                r.cells.to_pandas().query("level == 'community'")["cases"].sum()
                for r in batch.results
            ]
        )
    )
    sites = sites_frame(city, batch.scenario, batch.results[0])
    assert (sites["kind"] == "service hall").sum() == batch.scenario.channels.window.halls
    spec = json.loads(deck(cells, sites, highlight=cells["cell"][0]).to_json())
    assert "mapProvider" not in spec
    assert spec.get("mapStyle") in (None, "__MAP_STYLE__")  # Streamlit draws no base map
    assert "http" not in json.dumps(spec)


# ---------------------------------------------------------------------------------- dynamics
def test_series_windows_and_hour_of_week(batch):
    ts = batch.results[0].timeseries
    assert "hotline" in series_keys(ts, "arrivals")
    wide = window(ts, "arrivals", (2, 4))
    assert wide["day"].min() == 2 and wide["day"].max() < 4
    assert len(wide) == 48
    grid = hour_of_week(ts, "arrivals", "all")
    assert grid.shape == (7, 24)
    assert list(grid.index)[:2] == ["Mon", "Tue"]


# ----------------------------------------------------------------------------------- compare
def test_compare_pairs_by_seed_and_names_the_winner(batch):
    worse = run_batch(tiny_with("policies.dispatch_accuracy=0.1"), 3, label="worse")
    assert pairing_problem([batch, worse]) is None
    other_seeds = run_batch(tiny_with(seed=50), 3)
    assert "same seed" in (pairing_problem([batch, other_seeds]) or "")
    keys = comparable_keys([batch, worse])
    assert "misrouted_share" in keys and "seed" not in keys
    diffs = differences([worse, batch], ["misrouted_share"])
    assert diffs[0].verdict == "better"
    wins = wins_table(diffs)
    assert wins.loc[0, "wins"] == "base"
    frame = distribution_frame([batch, worse], "misrouted_share")
    assert len(frame) == 6 and set(frame["seed"]) == {3, 4, 5}


# ----------------------------------------------------------------------------------- command
def test_viewer_command_is_headless_local_and_offline(folder, tmp_path):
    argv, env = viewer_command(folder, 8599, "127.0.0.1")
    text = " ".join(argv)
    for part in (
        "streamlit run",
        "--server.headless true",
        "--browser.gatherUsageStats false",
        "--server.fileWatcherType none",
        "--server.address 127.0.0.1",
        "--server.port 8599",
    ):
        assert part in text
    assert env[OPEN_ENV] == str(folder.resolve())
    _, plain = viewer_command(None, 8599, "127.0.0.1")
    assert OPEN_ENV not in plain
    store = tmp_path / "results.duckdb"
    store.write_bytes(b"")
    with pytest.raises(click.UsageError, match="is not an experiment store"):
        viewer_command(store, 8599, "127.0.0.1")
    with pytest.raises(click.UsageError, match="not a gridtwin run folder"):
        viewer_command(tmp_path, 8599, "127.0.0.1")


def test_no_nan_in_card_texts(batch):
    for card in cardmod.cards(batch):
        assert "nan" not in card.value_text.lower()
        assert not math.isnan(card.interval.mean) or card.value_text == "-"
