"""Scenarios that extend others: the merge rules, loading, relative paths, loops and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from gridtwin.scenarios.inherit import merge
from gridtwin.scenarios.loader import (
    ScenarioError,
    load_scenario,
    read_scenario_data,
    scenario_sha256,
)

# ------------------------------------------------------------------------------ merge rules
leaves = st.one_of(st.integers(-5, 5), st.text("ab", max_size=2), st.none())
trees = st.recursive(
    leaves,
    lambda inner: st.dictionaries(st.sampled_from("xyz"), inner, max_size=3),
    max_leaves=10,
)


@given(trees)
def test_an_empty_change_keeps_the_base(base: Any) -> None:
    if isinstance(base, dict):
        assert merge(base, {}) == base


@given(trees)
def test_a_scenario_laid_over_itself_is_itself(base: Any) -> None:
    assert merge(base, base) == base


@given(trees, trees)
def test_merge_leaves_its_inputs_alone(base: Any, change: Any) -> None:
    before = (repr(base), repr(change))
    merge(base, change)
    assert (repr(base), repr(change)) == before


def test_mappings_merge_key_by_key_and_other_values_replace() -> None:
    base = {"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": "x"}
    got = merge(base, {"b": {"d": [3]}, "e": None, "f": 4})
    assert got == {"a": 1, "b": {"c": 2, "d": [3]}, "e": None, "f": 4}


def test_items_with_ids_merge_by_id_in_base_order_new_ones_last() -> None:
    base = [{"id": "a", "v": 1, "w": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}]
    change = [{"id": "d", "v": 4}, {"id": "a", "v": 10}, {"id": "b", "remove": True}]
    assert merge(base, change) == [
        {"id": "a", "v": 10, "w": 1},
        {"id": "c", "v": 3},
        {"id": "d", "v": 4},
    ]


def test_a_key_given_remove_true_is_dropped_from_the_mapping() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": 3}
    got = merge(base, {"a": {"y": {"remove": True}}, "b": {"remove": True}, "c": {"remove": True}})
    assert got == {"a": {"x": 1}}
    # Only exactly ``{remove: true}`` drops: a mapping with more keys merges as usual.
    assert merge({"a": {"x": 1}}, {"a": {"remove": True, "y": 2}}) == {
        "a": {"x": 1, "remove": True, "y": 2}
    }


def test_remove_false_keeps_the_item_and_is_not_passed_on() -> None:
    assert merge([{"id": "a", "v": 1}], [{"id": "a", "remove": False, "v": 2}]) == [
        {"id": "a", "v": 2}
    ]


# ---------------------------------------------------------------------------------- loading
def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_extending_a_builtin_equals_setting_the_same_fields(tmp_path: Path) -> None:
    child = _write(
        tmp_path / "slow.yaml",
        "extends: street\n"
        "name: street\n"
        "policies:\n  dispatch_accuracy: 0.4\n"
        "services:\n  case_types:\n    - {id: noise, promised_days: 3}\n",
    )
    a = load_scenario(child)
    b = load_scenario(
        "street",
        ["policies.dispatch_accuracy=0.4", "services.case_types.noise.promised_days=3"],
    )
    assert scenario_sha256(a) == scenario_sha256(b)
    assert a.policies.dispatch_accuracy == 0.4


def test_a_removed_case_type_is_gone(tmp_path: Path) -> None:
    child = _write(
        tmp_path / "quiet.yaml",
        "extends: street\nname: quiet\nservices:\n  case_types:\n    - {id: noise, remove: true}\n",
    )
    ids = [t.id for t in load_scenario(child).services.case_types]
    assert "noise" not in ids
    assert len(ids) == len(load_scenario("street").services.case_types) - 1


def test_chains_and_relative_geojson_resolve_against_each_file(tmp_path: Path) -> None:
    geojson = Path(__file__).parent / "data" / "small_city.geojson"
    sub = tmp_path / "base"
    sub.mkdir()
    (sub / geojson.name).write_bytes(geojson.read_bytes())
    data, _ = read_scenario_data("street")
    data["city"] = {"name": "from-file", "geojson": geojson.name}
    _write(sub / "base.yaml", yaml.safe_dump(data))
    _write(tmp_path / "mid.yaml", "extends: base/base.yaml\nname: mid\n")
    top = _write(tmp_path / "top.yaml", "extends: mid.yaml\nname: top\n")
    scenario = load_scenario(top)
    assert scenario.name == "top"
    assert scenario.city.geojson == str(sub / geojson.name)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("extends: nowhere\nname: x\n", "neither a scenario file nor a built-in name"),
        ("extends: [street]\nname: x\n", "must name a built-in scenario or a scenario file"),
        ("extends: self.yaml\nname: x\n", "makes a loop"),
    ],
)
def test_bad_extends_is_refused_at_its_path(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "self.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.problems[0].path == "extends"
    assert message in str(err.value)


def test_a_bad_field_in_the_change_names_its_path(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.yaml", "extends: street\nname: x\npolicies:\n  max_bounces: -1\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "policies.max_bounces" in str(err.value)


def test_the_cli_refuses_a_loop_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "extends: b.yaml\nname: a\n")
    _write(tmp_path / "b.yaml", "extends: a.yaml\nname: b\n")
    proc = subprocess.run(
        [sys.executable, "-m", "gridtwin", "validate", str(tmp_path / "a.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "makes a loop" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr
