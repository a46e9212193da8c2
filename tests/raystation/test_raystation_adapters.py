"""Version adapters: the names used for each API generation, decided once and logged once."""

from __future__ import annotations

import logging

import pytest

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.planning import FunctionSpec, FunctionType

ARC = {"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179, "couch_deg": 5}
EXPECTED = {
    "2025": {"prescription": "AddRoiPrescriptionDoseReference", "normalization":
             "ScaleToPrimaryPrescriptionDoseReference", "goal": "PrimaryAcceptanceLevel",
             "restriction": ("RestrictToBeams", ["A1"]), "beam": ("BeamQualityId", "CouchRotationAngle")},
    "2023B": {"prescription": "AddRoiPrescriptionDoseReference", "normalization": "NormalizeToPrescription",
              "goal": "AcceptanceLevel", "restriction": ("RestrictToBeams", ["A1"]),
              "beam": ("BeamQualityId", "CouchRotationAngle")},
    "8B": {"prescription": "AddDosePrescriptionToRoi", "normalization": "NormalizeToPrescription",
           "goal": "AcceptanceLevel", "restriction": ("RestrictToBeam", "A1"), "beam": ("Energy", "CouchAngle")},
}


def small_flow() -> FlowBuilder:
    b = FlowBuilder("adapters")
    b.add("plan.create", "plan", {"name": "P", "beam_set": "BS"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("roi.match", "lungs", {"name": "Lungs"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("plan.isocenter", "iso")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [ARC, {**ARC, "name": "A2", "direction": "CounterClockwise"}]})
    b.add("plan.clinical_goals", "goals", {"goals": [
        {"roi": "PTV", "criterion": "AtLeast", "type": "VolumeAtDose", "level": 95, "parameter": 6000},
        {"roi": "Lungs", "criterion": "AtMost", "type": "VolumeAtDose", "level": 28, "parameter": 2000}]})
    b.add("opt.settings", "settings", {"iterations": 5})
    b.add("opt.function", "f1", {"type": "MinDose", "dose_cgy": 5900, "weight": 50, "beams": ["A1"]})
    b.add("opt.function", "f2", {"type": "MaxDvh", "dose_cgy": 2000, "volume_percent": 28})
    b.add("opt.run", "run")
    b.add("dose.normalize", "norm")
    b.add("cond.goal", "met")
    b.chain("plan", "rx", "iso", "arcs", "goals", "settings", "f1", "f2", "run", "norm")
    for src, dst in [("ptv.roi", "rx.roi"), ("ptv.roi", "iso.roi"), ("ptv.roi", "f1.roi"), ("lungs.roi", "f2.roi"),
                     ("norm", "met.plan")]:
        b.wire(src, dst)
    return b


@pytest.mark.parametrize("generation", list(EXPECTED))
def test_each_generation_gets_its_names(install, generation, caplog):
    world = install(generation)
    caplog.set_level(logging.INFO, logger="planflow_qt.backends.raystation.adapters")
    result = Interpreter(small_flow().build(), RayStationBackend()).run()
    assert result.status == "completed", result.error
    expected, recorder = EXPECTED[generation], world.recorder
    assert recorder.count(expected["prescription"]) == 1
    rx = recorder.of(expected["prescription"])[0].kwargs
    assert (rx["RoiName"], rx["DoseValue"], rx["DoseVolume"]) == ("PTV", 6000.0, 95.0)
    assert recorder.count(expected["normalization"]) == 1
    goals = [c for c in recorder.of("AddClinicalGoal") if c.error is None]
    assert [g.kwargs[expected["goal"]] for g in goals] == [0.95, 0.28]
    keyword, value = expected["restriction"]
    added = [c for c in recorder.of("AddOptimizationFunction") if c.error is None]
    other = ({"RestrictToBeams", "RestrictToBeam"} - {keyword}).pop()
    assert added[0].kwargs[keyword] == value and other not in added[0].kwargs
    quality, couch = expected["beam"]
    arcs = [c for c in recorder.of("CreateArcBeam") if c.error is None]
    assert [(a.kwargs[quality], a.kwargs[couch]) for a in arcs] == [("6", 5.0), ("6", 5.0)]
    choices = [r.getMessage() for r in caplog.records if r.name.endswith("adapters")]
    assert len(choices) == 5 and all(generation in c for c in choices), "each choice is logged once"


def test_refused_keywords_are_tried_once_then_remembered(install):
    world = install("2023B")
    Interpreter(small_flow().build(), RayStationBackend()).run()
    attempts = [c.error is None for c in world.recorder.of("AddClinicalGoal")]
    assert attempts == [False, True, True], "PrimaryAcceptanceLevel refused once, AcceptanceLevel from then on"


def test_old_api_cannot_restrict_a_function_to_two_beams(install):
    install("8B")
    backend = RayStationBackend()
    flow = small_flow().build()
    Interpreter(flow, backend).run()
    spec = FunctionSpec(type=FunctionType.MAX_DOSE, roi="Lungs", dose_cgy=3000, beams=["A1", "A2"], tag="two")
    with pytest.raises(BackendError, match="only has RestrictToBeam"):
        backend.add_function(spec)


def test_2023b_goal_levels_read_back_from_acceptance_level(install):
    install("2023B")
    backend = RayStationBackend()
    assert Interpreter(small_flow().build(), backend).run().status == "completed"
    results = backend.evaluate_goals()
    assert [(r.goal.roi, r.goal.level) for r in results] == [("PTV", 95.0), ("Lungs", 28.0)]
    assert results[0].value == pytest.approx(95.0, abs=0.01) and results[0].met
