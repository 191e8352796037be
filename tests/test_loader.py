"""Tests of gridtwin.scenarios.loader: reading, overrides, error messages, YAML and hashing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gridtwin.scenarios.distributions import Exponential, Fixed, LogNormal
from gridtwin.scenarios.loader import (
    ScenarioError,
    apply_overrides,
    builtin_names,
    builtin_path,
    format_path,
    load_scenario,
    read_scenario_data,
    scenario_sha256,
    scenario_to_yaml,
)
from gridtwin.scenarios.schema import Scenario, cross_check

TINY = Path(__file__).parent / "data" / "tiny.yaml"


@pytest.fixture
def tiny_data() -> dict:
    return yaml.safe_load(TINY.read_text(encoding="utf-8"))


@pytest.fixture
def write(tmp_path: Path):
    """Write a scenario (a mapping or YAML text) to a file and return its path."""

    def _write(content: dict | str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def problems_of(source: str | Path, overrides: tuple[str, ...] = ()) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    return [str(p) for p in info.value.problems]


def only_problem(source: str | Path, *overrides: str) -> str:
    problems = problems_of(source, overrides)
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------------------ the fixture
def test_tiny_fixture_is_valid_and_complete():
    s = load_scenario(TINY)
    assert cross_check(s) == []
    assert s.name == "tiny"
    assert s.run.horizon_days == 7
    assert s.population.residents == 5000
    assert {g.value for g in s.population.age_groups} == {"young", "adult", "elderly"}
    assert 2 <= len(s.departments) <= 3
    kinds = sorted(ct.kind for ct in s.services.case_types)
    assert kinds == ["admin", "event", "hidden", "inquiry"]
    syn = s.city.synthetic
    assert (syn.streets, syn.grids, syn.communities) == (1, 2, 6)


def test_defaults_are_resolved_to_models():
    s = load_scenario(TINY)
    assert isinstance(s.channels.hotline.talk_time_s, LogNormal)
    assert isinstance(s.channels.hotline.patience_s, Exponential)
    assert s.channels.photo.submit_min == Fixed(value=3)


# ---------------------------------------------------------------------------- bad structure
@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # wrong type
        ("departments.health.staff=many", "departments.health.staff: 'many' is not an integer"),
        ("departments.health.staff=1.5", "departments.health.staff: 1.5 is not a whole number"),
        ("run.horizon_days=soon", "run.horizon_days: 'soon' is not a number"),
        ("services=5", "services: 5 is not a mapping"),
        # out of range
        ("run.horizon_days=0", "run.horizon_days: 0 is not > 0"),
        ("population.age_groups.young.share=1.5",
         "population.age_groups.young.share: 1.5 is not <= 1"),
        ("services.case_types[0].rate_per_resident_year=-1",
         "services.case_types[0].rate_per_resident_year: -1 is not >= 0"),
        ("channels.hotline.seats=[a]", "channels.hotline.seats[0]: 'a' is not an integer"),
        ("channels.hotline.seats=many", "channels.hotline.seats: 'many' is not an integer"),
        # unknown key with did-you-mean, at the top, in a model, in a dict of models
        ("polices={}", "polices: unknown key; did you mean 'policies'?"),
        ("channels.hotline.seets=3",
         "channels.hotline.seets: unknown key; did you mean 'seats'?"),
        ("departments.health.staf=2",
         "departments.health.staf: unknown key; did you mean 'staff'?"),
        ("services.case_types[1].departmnt=x",
         "services.case_types[1].departmnt: unknown key; did you mean 'department'?"),
        # bad enum / literal / dict key
        ("policies.data_sharing.mode=all",
         "policies.data_sharing.mode: 'all' is not one of: none, pairs, library"),
        ("channels.window.mode=mixed",
         "channels.window.mode: 'mixed' is not one of: comprehensive, specialised"),
        ("services.case_types[0].channels=[portal, fax]",
         "services.case_types[0].channels[1]: 'fax' is not one of: hotline, consultation, "
         "portal, window, kiosk, photo, patrol, sensor"),
        ("population.age_groups.old={share: 0, literacy: {a: 1, b: 1}}",
         "population.age_groups.old: 'old' is not one of: young, adult, elderly"),
        ("departments.Health={staff: 1}",
         "departments.Health: 'Health' is not a valid name: lowercase letters, digits and '_', "
         "starting with a letter"),
        # distributions: bad parameters, bad and missing tag, bad shape
        ("services.case_types[1].handling_min={dist: exponential, mean: -1}",
         "services.case_types[1].handling_min.mean: -1 is not > 0"),
        ("services.case_types[1].handling_min={dist: expo, mean: 1}",
         "services.case_types[1].handling_min.dist: 'expo' is not one of: fixed, exponential, "
         "lognormal, gamma, triangular, empirical"),
        ("services.case_types[1].handling_min={mean: 1}",
         "services.case_types[1].handling_min.dist: is required; allowed: fixed, exponential, "
         "lognormal, gamma, triangular, empirical"),
        ("services.case_types[1].handling_min={dist: exponential, mean: 1, sd: 2}",
         "services.case_types[1].handling_min.sd: unknown key; allowed: dist, mean"),
        ("services.case_types[1].handling_min=-3",
         "services.case_types[1].handling_min.value: -3 is not >= 0"),
        ("services.case_types[1].handling_min=fast",
         "services.case_types[1].handling_min: 'fast' is not a number or a mapping with a 'dist' "
         "key; allowed dist: fixed, exponential, lognormal, gamma, triangular, empirical"),
        ("services.case_types[1].handling_min={dist: triangular, low: 3, mode: 1, high: 2}",
         "services.case_types[1].handling_min: needs low <= mode <= high and low < high, "
         "got low=3.0, mode=1.0, high=2.0"),
        # case-type kind tag
        ("services.case_types[1].kind=evnt",
         "services.case_types[1].kind: 'evnt' is not one of: admin, event, hidden, inquiry"),
        # missing required
        ("population={residents: 10}", "population.age_groups: is required"),
        ("services.case_types[0].lead_department=null",
         "services.case_types[0].lead_department: is empty (null), not a text string"),
        # validators of the schema keep their message
        ("channels.window.calendar={days: [monday]}",
         "channels.window.calendar.days: 'monday' is not a weekday; "
         "allowed: mon, tue, wed, thu, fri, sat, sun"),
        ("channels.kiosk.items=some", "channels.kiosk.items: 'some' is not one of: all"),
        ("services.case_types=[]", "services.case_types: [] has 0 items; allowed: at least 1"),
    ],
)
def test_structural_problem_names_path_value_and_rule(override: str, expected: str):
    assert only_problem(TINY, override) == expected


def test_missing_top_level_section(tiny_data, write):
    del tiny_data["population"]
    assert only_problem(write(tiny_data)) == "population: is required"


def test_missing_case_type_kind(tiny_data, write):
    del tiny_data["services"]["case_types"][2]["kind"]
    assert only_problem(write(tiny_data)) == (
        "services.case_types[2].kind: is required; allowed: admin, event, hidden, inquiry"
    )


def test_unknown_key_without_close_match_lists_allowed_keys():
    problem = only_problem(TINY, "zzz=1")
    assert problem.startswith("zzz: unknown key; allowed: name, description, city,")


def test_every_structural_problem_is_reported_at_once(tiny_data, write):
    tiny_data["polices"] = {}
    tiny_data["departments"]["health"]["staff"] = -1
    tiny_data["run"]["horizon_days"] = "x"
    tiny_data["services"]["case_types"][1]["handling_min"] = {"dist": "gamma", "shape": 0}
    problems = problems_of(write(tiny_data))
    assert sorted(problems) == [
        "departments.health.staff: -1 is not >= 1",
        "polices: unknown key; did you mean 'policies'?",
        "run.horizon_days: 'x' is not a number",
        "services.case_types[1].handling_min.scale: is required",
        "services.case_types[1].handling_min.shape: 0 is not > 0",
    ]


def test_seat_out_of_range_names_its_index():
    seats = [1] * 9 + [-2] + [1] * 14
    assert only_problem(TINY, f"channels.hotline.seats={seats}") == (
        "channels.hotline.seats[9]: -2 is not >= 0"
    )


def test_scenario_error_str_lists_problems_one_per_line(tiny_data, write):
    tiny_data["run"] = {"seed": -1, "horizon_days": 0}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tiny_data))
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]
    assert len(info.value.problems) == 2
    assert isinstance(info.value, ValueError)


# ----------------------------------------------------------------------------- cross checks
def test_unknown_department_via_cross_check():
    assert only_problem(TINY, "services.case_types[1].department=parks") == (
        "services.case_types[1].department: 'parks' is not a department; "
        "allowed: civil_affairs, health, urban_management"
    )


def test_shares_not_summing_to_one():
    assert only_problem(TINY, "population.age_groups.young.share=0.5") == (
        "population.age_groups: 1.3 shares must add up to 1"
    )


def test_cross_checks_are_all_reported():
    problems = problems_of(TINY, ("population.age_groups.young.share=0.5",
                                  "services.case_types[0].materials[0].issuer=nobody"))
    assert len(problems) == 2


def test_cross_checks_wait_for_a_valid_structure():
    # the share problem is not reported while the structure is broken
    problems = problems_of(TINY, ("population.age_groups.young.share=0.5", "run.seed=-1"))
    assert problems == ["run.seed: -1 is not >= 0"]


# ----------------------------------------------------------------------------- files, YAML
def test_yaml_syntax_error_gives_line_and_column(write):
    path = write("name: tiny\ncity:\n  name: [a, b\npopulation: {}\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}: line 4, column 11: ")
    path = write("name: tiny\n  city: 3\n")
    assert only_problem(path) == f"{path}: line 2, column 7: mapping values are not allowed here"


def test_file_not_found_lists_builtin_names(tmp_path):
    missing = tmp_path / "missing.yaml"
    problem = only_problem(missing)
    assert problem.startswith(f"{missing}: does not exist")
    assert "built-in scenarios: " in problem
    for name in builtin_names():
        assert name in problem


def test_unknown_builtin_name_lists_builtin_names():
    problem = only_problem("no_such_scenario")
    assert problem.startswith("no_such_scenario: is neither a scenario file nor a built-in name")
    for name in builtin_names():
        assert name in problem
    with pytest.raises(ScenarioError):
        builtin_path("no_such_scenario")


@pytest.mark.parametrize(("text", "got"), [("- 1\n- 2\n", "a list"), ("", "nothing"),
                                           ("just text\n", "a str")])
def test_top_level_must_be_a_mapping(write, text, got):
    path = write(text)
    expected = f"{path}: top level must be a mapping (name:, city:, ...), got {got}"
    assert only_problem(path) == expected


def test_read_scenario_data_returns_raw_mapping_and_directory(tiny_data):
    data, base = read_scenario_data(TINY)
    assert data == tiny_data
    assert base == TINY.parent.resolve()
    data2, _ = read_scenario_data(str(TINY))
    assert data2 == data


def test_builtin_names_are_sorted_and_loadable():
    names = builtin_names()
    assert names == sorted(names)
    for name in names:
        assert Path(str(builtin_path(name))).name == f"{name}.yaml"
        data, _ = read_scenario_data(name)
        assert isinstance(data, dict)


def test_relative_geojson_is_read_from_the_scenario_directory(tiny_data, write, tmp_path):
    fixture = Path(__file__).parent / "data" / "small_city.geojson"
    (tmp_path / "city.geojson").write_text(fixture.read_text(encoding="utf-8"))
    tiny_data["city"] = {"name": "x", "geojson": "city.geojson"}
    s = load_scenario(write(tiny_data))
    assert s.city.geojson == str(tmp_path / "city.geojson")
    tiny_data["city"]["geojson"] = "elsewhere.geojson"
    problem = only_problem(write(tiny_data))
    assert problem.startswith("city.geojson: ") and "is not a file" in problem


# -------------------------------------------------------------------------------- overrides
def test_set_parses_values_as_yaml(tiny_data):
    data = apply_overrides(tiny_data, [
        "run.seed=5",
        "run.horizon_days=2.5",
        "channels.portal.enabled=false",
        "city.name=two words",
        "services.case_types[2].rate_per_eligible_year=0.3",
        "policies.data_sharing.pairs=[[civil_affairs, health]]",
    ])
    assert data["run"]["seed"] == 5 and isinstance(data["run"]["seed"], int)
    assert data["run"]["horizon_days"] == 2.5
    assert data["channels"]["portal"]["enabled"] is False
    assert data["city"]["name"] == "two words"
    assert data["services"]["case_types"][2]["rate_per_eligible_year"] == 0.3
    assert data["policies"]["data_sharing"]["pairs"] == [["civil_affairs", "health"]]
    assert tiny_data["run"]["seed"] == 7  # the input is not modified


def test_set_nested_list_index_and_list_value():
    seats = [0] * 8 + [5] * 12 + [2] * 4
    s = load_scenario(TINY, [f"channels.hotline.seats={seats}",
                             "services.case_types[0].materials[0].issuer=civil_affairs"])
    assert s.channels.hotline.seats == tuple(seats)
    assert s.services.case_types[0].materials[0].issuer == "civil_affairs"
    assert only_problem(TINY, "channels.hotline.seats=[3, 4]", "channels.hotline.seats[1]=9") == (
        "channels.hotline.seats: needs 1 or 24 values (one per hour of day), got 2"
    )


def test_set_inside_a_list_value(tiny_data):
    tiny_data["channels"]["hotline"]["seats"] = [1] * 24
    data = apply_overrides(tiny_data, ["channels.hotline.seats[9]=7",
                                       "channels.hotline.seats[-1]=3"])
    assert data["channels"]["hotline"]["seats"][9] == 7
    assert data["channels"]["hotline"]["seats"][23] == 3


def test_set_by_case_type_id():
    s = load_scenario(TINY, ["services.case_types.noise.clarity=0.25"])
    assert s.case_type("noise").clarity == 0.25


def test_set_fills_a_missing_mapping_from_the_schema_default():
    s = load_scenario(TINY, ["channels.hotline.talk_time_s.mean=100"])
    assert s.channels.hotline.talk_time_s == LogNormal(mean=100, sd=90)


def test_set_can_add_a_whole_entry():
    s = load_scenario(TINY, ["departments.parks={staff: 2}"])
    assert s.departments["parks"].staff == 2


def test_seed_and_days_overrides_are_validated():
    s = load_scenario(TINY, ["run.seed=11", "run.horizon_days=3"])
    assert (s.run.seed, s.run.horizon_days) == (11, 3)
    assert problems_of(TINY, ("run.seed=-1", "run.horizon_days=x")) == [
        "run.horizon_days: 'x' is not a number",
        "run.seed: -1 is not >= 0",
    ]


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("services.case_types[9].clarity=0.2",
         "services.case_types[9]: index out of range; the list has 4 items ([0] to [3])"),
        ("services.case_types.nois.clarity=0.2",
         "services.case_types.nois: no item with this id; did you mean 'noise'? "
         "(or give an index: the list has 4 items ([0] to [3]))"),
        ("departments.helth.staff=3",
         "departments.helth: no such entry; did you mean 'health'? (to add one, set it whole)"),
        ("run.seed.value=3",
         "run.seed: 7 is not a mapping or list, so it has no 'value'; set the whole value instead"),
        ("run.seed", "--set: 'run.seed' needs the form dotted.path=value, "
                     "e.g. services.case_types[2].rate_per_resident_year=0.3"),
        ("run..seed=1", "--set: 'run..seed=1' needs the form dotted.path=value, "
                        "e.g. services.case_types[2].rate_per_resident_year=0.3"),
        ("run.seed=[1", "run.seed: '[1' cannot be read as a YAML value: "
                        "expected ',' or ']', but got '<stream end>' "
                            "(while parsing a flow sequence)"),
    ],
)
def test_bad_set_path(tiny_data, override: str, expected: str):
    with pytest.raises(ScenarioError) as info:
        apply_overrides(tiny_data, [override])
    assert [str(p) for p in info.value.problems] == [expected]


def test_set_unknown_key_is_left_to_validation():
    assert only_problem(TINY, "chanels.hotline.seats=3") == (
        "chanels: unknown key; did you mean 'channels'?"
    )


def test_bad_sets_and_structural_problems_are_reported_together():
    problems = problems_of(TINY, ("services.case_types[7].id=x", "run.seed=-1", "zz"))
    assert problems[0].startswith("services.case_types[7]: index out of range")
    assert problems[1].startswith("--set: 'zz' needs the form")
    assert problems[2] == "run.seed: -1 is not >= 0"


# ------------------------------------------------------------------------- YAML and hashing
def test_scenario_to_yaml_round_trips(write):
    s = load_scenario(TINY, ["channels.hotline.seats=" + str([2] * 24)])
    text = scenario_to_yaml(s)
    assert Scenario.model_validate(yaml.safe_load(text)) == s
    assert load_scenario(write(text)) == s
    assert scenario_to_yaml(load_scenario(write(text))) == text


def test_scenario_to_yaml_is_fully_resolved():
    data = yaml.safe_load(scenario_to_yaml(load_scenario(TINY)))
    hotline = data["channels"]["hotline"]
    assert hotline["talk_time_s"] == {"dist": "lognormal", "mean": 150.0, "sd": 90.0}
    assert data["channels"]["photo"]["submit_min"] == {"dist": "fixed", "value": 3.0}
    assert data["policies"]["data_sharing"]["mode"] == "none"  # enums as plain strings
    assert data["services"]["case_types"][1]["channels"] == ["hotline", "photo", "portal"]
    assert data["behaviour"]["satisfaction"]["rating_probability"] == 0.7
    assert "description" in data and "\n" in data["description"]


def test_sha256_is_stable_and_changes_with_a_value(write):
    a = load_scenario(TINY)
    b = load_scenario(write(scenario_to_yaml(a)))
    assert scenario_sha256(a) == scenario_sha256(b)
    assert len(scenario_sha256(a)) == 64
    assert scenario_sha256(a) == scenario_sha256(load_scenario(TINY))
    c = load_scenario(TINY, ["channels.hotline.patience_s.mean=181"])
    assert scenario_sha256(c) != scenario_sha256(a)
    d = load_scenario(TINY, ["run.seed=8"])
    assert scenario_sha256(d) != scenario_sha256(a)


def test_format_path():
    assert format_path(["a", "b", 2, "c", 0, 1]) == "a.b[2].c[0][1]"
    assert format_path([]) == ""
