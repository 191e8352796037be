"""The scale factors uncertainties need: all demand, and callers' patience."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridtwin.runner import run
from gridtwin.scenarios.loader import ScenarioError, load_scenario

TINY = Path(__file__).parent / "data" / "tiny.yaml"


def test_demand_scale_multiplies_every_arrival_rate():
    base = run(load_scenario(TINY, ["run.horizon_days=40"]), seed=4).kpis["cases_by_kind"]
    double = run(
        load_scenario(TINY, ["run.horizon_days=40", "services.demand_scale=2"]), seed=4
    ).kpis["cases_by_kind"]
    for kind, n in base.items():
        assert n > 20
        assert 1.6 < double[kind] / n < 2.4, kind


def test_patience_scale_multiplies_callers_patience():
    one_seat = ["run.horizon_days=30", "channels.hotline.seats=1",
                "services.surges=[{start_day: 0, end_day: 30, factor: 8}]"]
    impatient = run(load_scenario(TINY, [*one_seat, "behaviour.patience_scale=0.25"]), seed=2)
    patient = run(load_scenario(TINY, [*one_seat, "behaviour.patience_scale=4"]), seed=2)

    def hung_up(result):
        ev = result.events.to_pandas()
        hung = ev[ev["stage"] == "hung_up"]
        return hung, (hung["end"] - hung["start"]).mean()

    few, few_wait = hung_up(impatient)
    many, many_wait = hung_up(patient)
    assert impatient.kpis["hotline_abandon_rate"] > patient.kpis["hotline_abandon_rate"]
    assert len(few) > 10
    assert few_wait < many_wait or len(many) == 0


@pytest.mark.parametrize("field", ["services.demand_scale", "behaviour.patience_scale"])
@pytest.mark.parametrize("value", ["0", "-1", ".nan", ".inf", "11"])
def test_scales_are_finite_positive_and_bounded(field, value):
    with pytest.raises(ScenarioError) as err:
        load_scenario(TINY, [f"{field}={value}"])
    assert [p.path for p in err.value.problems] == [field]
