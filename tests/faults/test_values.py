"""Numbers a flow may hold: finite, in their clinical range, checked before the run, clamped when computed."""

from __future__ import annotations

import pytest

from planflow_qt.engine.events import EventKind
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.engine.validation import validate
from planflow_qt.model.builder import FlowBuilder


def adjust_flow(adjust: dict, goals: dict | None = None) -> FlowBuilder:
    b = FlowBuilder("values")
    b.add("plan.create", "plan", {"name": "P"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.isocenter", "iso", {"method": "coordinates"})
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 5800, "tag": "PTV_min"})
    b.add("opt.adjust", "tighten", {"selector": {"tags": ["PTV_min"]}, **adjust})
    b.add("opt.run", "run")
    chain = ["plan", "iso", "arcs", "rx", "f_ptv", "tighten", "run"]
    if goals is not None:
        b.add("plan.clinical_goals", "goals", goals)
        chain.insert(4, "goals")
    b.chain(*chain)
    b.wire("ptv.roi", "rx.roi")
    b.wire("ptv.roi", "f_ptv.roi")
    return b


def problems(flow) -> list[tuple[str, str, str]]:
    return [(p.node_id, p.field, p.message) for p in validate(flow)]


def test_an_adjustment_set_beyond_the_dose_limit_is_refused_before_the_run():
    assert problems(adjust_flow({"mode": "set", "amount": 1e6}).build()) == [
        ("tighten", "params", "Value error, amount 1e+06 is outside what a function's dose may be (0 to 50000 cGy): "
                              "give a value in that range")]


@pytest.mark.parametrize("minimum", ["inf", "nan", "Infinity"])
def test_an_infinite_adjustment_limit_is_refused(minimum):
    assert problems(adjust_flow({"field": "weight", "minimum": minimum}).build()) == [
        ("tighten", "params.minimum", "Input should be a finite number")]


def test_a_computed_adjustment_is_clamped_with_a_warning_naming_the_node():
    flow = adjust_flow({"mode": "scale", "amount": 1000}).build()
    backend = RecordingBackend(rois=["PTV"])
    events = []
    result = Interpreter(flow, backend, [events.append]).run()
    assert result.status == "completed"
    assert backend.functions["PTV_min"].dose_cgy == 50000
    warnings = [(e.node_id, e.message) for e in events if e.kind is EventKind.WARNING]
    assert warnings == [("tighten", "PTV_min: dose_cgy 5.8e+06 is outside its range 0 to 50000; clamped to 50000")]


@pytest.mark.parametrize(("goal", "field", "message"), [
    ({"roi": "PTV", "criterion": "AtLeast", "type": "DoseAtVolume", "level": 5700, "parameter": 150},
     "params.goals.0", "Value error, DoseAtVolume parameter 150 % is above 100 %: give a value within 0-100 %"),
    ({"roi": "PTV", "criterion": "AtMost", "type": "VolumeAtDose", "level": 150, "parameter": 2000},
     "params.goals.0", "Value error, VolumeAtDose level 150 % is above 100 %: give a value within 0-100 %"),
    ({"roi": "PTV", "criterion": "AtLeast", "type": "AverageDose", "level": "inf"},
     "params.goals.0.level", "Input should be a finite number"),
    ({"roi": "PTV", "criterion": "AtLeast", "type": "AverageDose", "level": 1e12},
     "params.goals.0.level", "Input should be less than or equal to 100000"),
    ({"roi": "Heart", "criterion": "AtMost", "type": "AverageDose", "level": 2000},
     "params.goals.0.roi", "ROI 'Heart' is not an ROI of the flow (flow ROIs: PTV): match it with an ROI node or "
                           "use one of these"),
])
def test_clinical_goals_are_checked_against_ranges_and_the_flow_rois(goal, field, message):
    flow = adjust_flow({}, goals={"goals": [goal]}).build()
    assert problems(flow) == [("goals", field, message)]


@pytest.mark.parametrize("dose", [1e12, "inf", "nan"])
def test_a_prescription_out_of_range_is_refused(dose):
    b = adjust_flow({})
    flow = b.build()
    flow.node("rx").params["dose_cgy"] = dose
    assert [p[:2] for p in problems(flow)] == [("rx", "params.dose_cgy")]
