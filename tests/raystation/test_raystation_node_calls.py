"""The RayStation calls each node type makes, with their exact keyword names, units and types.

One flow with every kind of node runs through RayStationBackend against the 2025 double; each test reads
the calls recorded inside the node's `CompositeAction`.
"""

from __future__ import annotations

import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.engine.events import EventKind
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.planning import DoseAlgorithm
from planflow_qt.runner import execute

ARC = {"name": "A1", "energy": "6 FFF", "gantry_start_deg": 182, "gantry_stop_deg": 230, "direction": "Clockwise",
       "collimator_deg": 10}
ARC2 = {"name": "A2", "energy": "6 FFF", "gantry_start_deg": 230, "gantry_stop_deg": 182,
        "direction": "CounterClockwise", "collimator_deg": 350, "couch_deg": 10}
GOALS = [{"roi": "PTV", "criterion": "AtLeast", "type": "VolumeAtDose", "level": 95, "parameter": 6000},
         {"roi": "PTV", "criterion": "AtMost", "type": "DoseAtAbsoluteVolume", "level": 6900, "parameter": 0.03},
         {"roi": "Lung_Both", "criterion": "AtMost", "type": "DoseAtVolume", "level": 2000, "parameter": 30,
          "priority": 2},
         {"roi": "Lung_Both", "criterion": "AtMost", "type": "AverageDose", "level": 1250, "priority": 2}]
MUTATING = {"AddNewPlan", "AddNewBeamSet", "SetDefaultDoseGrid", "CreateRoi", "CreateAlgebraGeometry",
            "CreateMarginGeometry", "CreateWallGeometry", "CreateRoiGeometryFromDose", "DeleteRoi",
            "AddRoiPrescriptionDoseReference", "AddDosePrescriptionToRoi", "CreateDefaultIsocenterData",
            "CreateArcBeam", "CreatePBSIonBeam", "AddClinicalGoal", "ApplyClinicalGoalTemplate",
            "SaveRobustnessParameters", "AddOptimizationFunction", "EditOptimizationFunction", "DeleteFunction",
            "RunOptimization", "ResetOptimization", "ScaleToPrimaryPrescriptionDoseReference",
            "NormalizeToPrescription", "ComputeDose", "Save"}


def uniform(cm: float) -> dict:
    return {"type": "Expand", **{f"{d}_cm": cm for d in ("superior", "inferior", "anterior", "posterior", "right",
                                                         "left")}}


def every_node_flow() -> FlowBuilder:
    b = FlowBuilder("every node")
    b.add("plan.create", "plan", {"name": "Calls", "beam_set": "BS1", "machine": "Halcyon", "fractions": 30,
                                  "dose_grid_cm": 0.3}, title="New plan")
    b.add("roi.match", "ptv", {"name": "PTV", "aliases": ["PTV_60"]}, title="PTV")
    b.add("roi.match", "lungs", {"name": "Lung_Both", "aliases": ["Lungs"]}, title="Lungs")
    b.add("roi.ring", "ring", {"name": "Ring", "outward_cm": 2.0, "inward_cm": 0.5}, title="Ring as wall")
    b.add("roi.algebra", "shell", {"name": "Shell", "a": {"margin": uniform(2.5)}, "b": {"margin": uniform(0.5)},
                                   "operation": "Subtraction", "color": "0, 160, 255"}, title="Ring as algebra")
    b.add("roi.margin", "ptv1", {"name": "PTV+1", "margin": uniform(1.0), "roi_type": "Ptv"}, title="PTV + 1 cm")
    b.add("plan.prescription", "rx", {"dose_cgy": 6000, "volume_percent": 95}, title="Prescription")
    b.add("plan.isocenter", "iso", {"method": "roi_center"}, title="Isocenter")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [ARC, ARC2]}, title="Arcs")
    b.add("plan.clinical_goals", "goals", {"goals": GOALS}, title="Goals")
    b.add("plan.robustness", "robust", {"superior_cm": 0.7, "density_percent": 3.5, "method": "VoxelwiseWorstCase"},
          title="Robustness")
    b.add("opt.settings", "settings", {"iterations": 8, "tolerance": 1e-4}, title="Settings")
    b.add("opt.function", "f_ptv", {"type": "MinDvh", "dose_cgy": 6000, "volume_percent": 98, "weight": 200,
                                    "robust": True, "tag": "ptv_d98"}, title="PTV D98")
    b.add("opt.function", "f_lungs", {"type": "MaxDvh", "dose_cgy": 2000, "volume_percent": 28, "weight": 20,
                                      "tag": "lungs_v20"}, title="Lungs V20")
    b.add("opt.function", "f_ring", {"type": "MaxEud", "dose_cgy": 4800, "eud_a": 150, "weight": 8},
          title="Ring EUD")
    b.add("opt.function", "f_falloff", {"type": "DoseFallOff", "high_dose_cgy": 6000, "low_dose_cgy": 3000,
                                        "low_dose_distance_cm": 2.0, "weight": 10, "beams": ["A1"],
                                        "tag": "falloff"}, title="Fall-off")
    b.add("opt.function", "f_max", {"type": "MaxDose", "dose_cgy": 6600, "constraint": True, "tag": "ptv_max"},
          title="PTV max constraint")
    b.add("opt.run", "run", title="Optimize")
    b.add("dose.normalize", "norm", title="Normalize")
    b.add("cond.function_value", "fv", {"name": "lungs_value", "comparison": ">=", "threshold": 0},
          title="Lungs value")
    b.add("cond.dvh", "dcc", {"name": "ptv_d2cc", "volume": 2, "volume_unit": "cc"}, title="PTV D2cc")
    b.add("cond.dvh", "vcc", {"name": "lungs_v20cc", "metric": "volume_at_dose", "dose_cgy": 2000,
                              "volume_unit": "cc"}, title="Lungs V2000 cc")
    b.add("cond.goal", "met", title="Goals met")
    b.add("opt.adjust", "up", {"field": "weight", "mode": "scale", "amount": 2}, title="Lungs weight x 2")
    b.add("opt.adjust", "eud", {"selector": {"tags": ["Ring_*"]}, "field": "dose", "mode": "achieved_factor",
                                "amount": 0.98}, title="Ring EUD to achieved")
    b.add("dose.final", "final", {"algorithm": "CollapsedCone"}, title="Final dose")
    b.add("flow.wait_user", "wait", {"message": "Check the plan."}, title="Check")
    b.add("flow.save", "save", title="Save")
    b.chain("plan", "rx", "iso", "arcs", "goals", "robust", "settings", "f_ptv", "f_lungs", "f_ring", "f_falloff",
            "f_max", "run", "norm", "up", "eud", "final", "wait", "save")
    for src, dst in [("ptv.roi", "ring.roi"), ("ptv.roi", "shell.a"), ("ptv.roi", "shell.b"), ("ptv.roi", "ptv1.roi"),
                     ("ptv.roi", "rx.roi"), ("ptv.roi", "iso.roi"), ("ptv.roi", "f_ptv.roi"),
                     ("lungs.roi", "f_lungs.roi"), ("ring.roi", "f_ring.roi"), ("shell.roi", "f_falloff.roi"),
                     ("ptv.roi", "f_max.roi"), ("norm", "fv.plan"), ("f_lungs.function", "fv.function"),
                     ("norm", "dcc.plan"), ("ptv.roi", "dcc.roi"), ("norm", "vcc.plan"), ("lungs.roi", "vcc.roi"),
                     ("norm", "met.plan"), ("f_lungs.function", "up.function"), ("fv.result", "up.when")]:
        b.wire(src, dst)
    return b


@pytest.fixture(scope="module")
def run():
    """The flow run once: (world, outcome, events)."""
    world = install_double("2025", case="lung", grid_mm=10.0)
    try:
        events = []
        outcome = execute(every_node_flow().build(), RayStationBackend(), observers=[events.append])
    finally:
        uninstall_double()
    assert outcome.result.status == "completed", outcome.result.error
    return world, outcome, events


def steps(world) -> list[tuple[str, list]]:
    """(CompositeAction name, the calls inside it) in order."""
    out, inside = [], None
    for call in world.recorder.calls:
        if call.method == "CompositeAction.__enter__":
            inside = (call.kwargs["name"], [])
            out.append(inside)
        elif call.method == "CompositeAction.__exit__":
            inside = None
        elif inside is not None and call.kind != "global":
            inside[1].append(call)
    return out


def calls_of(world, title: str) -> list:
    found = [calls for name, calls in steps(world) if name == title]
    assert found, f"no CompositeAction {title!r}"
    return found[0]


def only(calls, method: str):
    matching = [c for c in calls if c.method == method]
    assert len(matching) == 1, [str(c) for c in calls]
    return matching[0]


def test_each_node_is_one_composite_action_named_by_its_title(run):
    world, _, events = run
    started = [e.message for e in events if e.kind is EventKind.NODE_STARTED]
    assert [name for name, _ in steps(world)] == started
    depth = 0
    for call in world.recorder.calls:
        if call.method == "CompositeAction.__enter__":
            depth += 1
            assert depth == 1, "composite actions are never nested"
        elif call.method == "CompositeAction.__exit__":
            depth -= 1
        elif call.method in MUTATING or call.kind == "set":
            assert depth == 1, f"{call} changes the case outside a node's CompositeAction"


def test_ring_as_wall(run):
    world, _, _ = run
    create, wall = calls_of(world, "Ring as wall")
    assert (create.method, create.kwargs) == ("CreateRoi", {"Name": "Ring", "Color": "Yellow", "Type": "Control"})
    assert wall.method == "CreateWallGeometry" and wall.path.endswith("RegionsOfInterest['Ring']")
    assert wall.kwargs["Examination"] is world.examination
    assert {k: v for k, v in wall.kwargs.items() if k != "Examination"} == {
        "SourceRoiName": "PTV", "OutwardDistance": 2.0, "InwardDistance": 0.5}
    assert all(isinstance(wall.kwargs[k], float) for k in ("OutwardDistance", "InwardDistance"))


def test_ring_as_algebra_with_margins_in_cm(run):
    world, _, _ = run
    algebra = only(calls_of(world, "Ring as algebra"), "CreateAlgebraGeometry")
    margin = {"Type": "Expand", "Superior": 2.5, "Inferior": 2.5, "Anterior": 2.5, "Posterior": 2.5, "Right": 2.5,
              "Left": 2.5}
    assert algebra.kwargs["ExpressionA"] == {"Operation": "Union", "SourceRoiNames": ["PTV"], "MarginSettings": margin}
    assert algebra.kwargs["ExpressionB"]["MarginSettings"] == {**margin, **dict.fromkeys(list(margin)[1:], 0.5)}
    assert algebra.kwargs["ResultOperation"] == "Subtraction" and algebra.kwargs["Algorithm"] == "Auto"
    assert set(algebra.kwargs["ResultMarginSettings"].values()) == {"Expand", 0.0}
    margin_call = only(calls_of(world, "PTV + 1 cm"), "CreateMarginGeometry")
    assert margin_call.kwargs["SourceRoiName"] == "PTV" and margin_call.kwargs["MarginSettings"]["Left"] == 1.0
    assert only(calls_of(world, "PTV + 1 cm"), "CreateRoi").kwargs["Type"] == "Ptv"


def test_plan_prescription_isocenter_and_arcs(run):
    world, _, _ = run
    plan_calls = calls_of(world, "New plan")
    assert only(plan_calls, "AddNewBeamSet").kwargs == {
        "Name": "BS1", "ExaminationName": "CT 1", "MachineName": "Halcyon", "Modality": "Photons",
        "TreatmentTechnique": "VMAT", "PatientPosition": "HeadFirstSupine", "NumberOfFractions": 30,
        "CreateSetupBeams": False, "UseLocalizationPointAsSetupIsocenter": False, "Comment": ""}
    assert only(plan_calls, "SetDefaultDoseGrid").kwargs == {"VoxelSize": {"x": 0.3, "y": 0.3, "z": 0.3}}
    assert only(calls_of(world, "Prescription"), "AddRoiPrescriptionDoseReference").kwargs == {
        "RoiName": "PTV", "DoseVolume": 95.0, "PrescriptionType": "DoseAtVolume", "DoseValue": 6000.0,
        "RelativePrescriptionLevel": 1.0}
    iso_calls = calls_of(world, "Isocenter")
    assert [c.method for c in iso_calls] == ["GetCenterOfRoi", "CreateDefaultIsocenterData"]
    assert iso_calls[1].kwargs["Position"] == pytest.approx({"x": -7.0, "y": -0.5, "z": 1.5})
    arcs = [c for c in calls_of(world, "Arcs") if c.method == "CreateArcBeam"]
    assert {k: v for k, v in arcs[1].kwargs.items() if k != "IsocenterData"} == {
        "ArcStopGantryAngle": 182.0, "ArcRotationDirection": "CounterClockwise", "Name": "A2", "Description": "",
        "GantryAngle": 230.0, "CollimatorAngle": 350.0, "CouchRotationAngle": 10.0, "CouchPitchAngle": 0.0,
        "CouchRollAngle": 0.0, "BeamQualityId": "6 FFF"}


def test_clinical_goals_in_raystation_units(run):
    world, _, _ = run
    goals = [c.kwargs for c in calls_of(world, "Goals") if c.method == "AddClinicalGoal"]
    assert goals[0] == {"RoiName": "PTV", "GoalCriteria": "AtLeast", "GoalType": "VolumeAtDose",
                        "PrimaryAcceptanceLevel": 0.95, "ParameterValue": 6000.0, "IsComparativeGoal": False,
                        "Priority": 1, "AssociateToPlan": True}
    assert (goals[1]["PrimaryAcceptanceLevel"], goals[1]["ParameterValue"]) == (6900.0, 0.03)
    assert (goals[2]["RoiName"], goals[2]["PrimaryAcceptanceLevel"], goals[2]["ParameterValue"]) == ("Lungs", 2000.0,
                                                                                                      0.3)
    evaluated = calls_of(world, "Goals met")
    assert [c.method for c in evaluated] == ["GetClinicalGoalValue", "EvaluateClinicalGoal"] * 4


def test_robustness_in_cm_and_density_as_a_fraction(run):
    world, _, _ = run
    saved = only(calls_of(world, "Robustness"), "SaveRobustnessParameters").kwargs
    assert saved["DensityUncertainty"] == pytest.approx(0.035)
    assert (saved["PositionUncertaintySuperior"], saved["PositionUncertaintyInferior"]) == (0.7, 0.5)
    assert saved["RobustMethodPerTreatmentCourse"] == "VoxelwiseWorstCase"
    assert saved["PositionUncertaintyFormation"] == "Automatic" and saved["TreatmentCourseScenariosFactor"] == 1000


def test_settings_assign_an_int_and_floats(run):
    world, _, _ = run
    assigned = {c.method: c.kwargs["value"] for c in calls_of(world, "Settings") if c.kind == "set"}
    assert assigned == {"MaxNumberOfIterations": 8, "OptimalityTolerance": 1e-4, "ComputeIntermediateDose": True,
                        "ComputeFinalDose": True}
    assert type(assigned["MaxNumberOfIterations"]) is int and type(assigned["OptimalityTolerance"]) is float
    scaling = only(calls_of(world, "Settings"), "SetAutoScaleToPrimaryPrescription")
    assert scaling.kwargs == {"AutoScale": True}, "the optimization's AutoScaleToPrescription is read-only"


def test_objective_is_added_then_tagged_then_its_parameters_set(run):
    world, _, _ = run
    calls = calls_of(world, "Lungs V20")
    added = only(calls, "AddOptimizationFunction")
    assert added.kwargs == {"FunctionType": "MaxDvh", "RoiName": "Lungs", "IsConstraint": False,
                            "RestrictAllBeamsIndividually": False, "IsRobust": False, "UseRbeDose": False,
                            "RestrictToBeams": []}
    sets = [(c.method, c.kwargs["value"]) for c in calls if c.kind == "set"]
    assert sets == [("Tag", "lungs_v20"), ("DoseLevel", 2000.0), ("IsAbsoluteVolume", False),
                    ("PercentVolume", 28.0), ("Weight", 20.0)]
    assert [c.path for c in calls if c.kind == "set"][1].endswith("Objective.ConstituentFunctions[1]"
                                                                  ".DoseFunctionParameters")


def test_every_function_type_sets_its_own_fields(run):
    world, _, _ = run

    def fields(title):
        return {c.method: c.kwargs["value"] for c in calls_of(world, title) if c.kind == "set" and c.method != "Tag"}

    assert only(calls_of(world, "PTV D98"), "AddOptimizationFunction").kwargs["IsRobust"] is True
    ring = calls_of(world, "Ring EUD")
    assert only(ring, "AddOptimizationFunction").kwargs["RestrictToBeams"] == []
    assert only(ring, "Tag").kwargs["value"] == "Ring_MaxEud_1"
    assert only(calls_of(world, "Fall-off"), "AddOptimizationFunction").kwargs["RestrictToBeams"] == ["A1"]
    assert fields("Ring EUD") == {"DoseLevel": 4800.0, "EudParameterA": 150.0, "Weight": 8.0}
    assert fields("Fall-off") == {"HighDoseLevel": 6000.0, "LowDoseLevel": 3000.0, "LowDoseDistance": 2.0,
                                  "AdaptToTargetDoseLevels": False, "Weight": 10.0}
    constraint = calls_of(world, "PTV max constraint")
    assert only(constraint, "AddOptimizationFunction").kwargs["IsConstraint"] is True
    assert fields("PTV max constraint") == {"DoseLevel": 6600.0}, "a constraint has no Weight"


def test_optimize_normalize_and_final_dose(run):
    world, _, _ = run
    assert [c.method for c in calls_of(world, "Optimize")] == ["RunOptimization"]
    assert only(calls_of(world, "Normalize"), "ScaleToPrimaryPrescriptionDoseReference").kwargs == {
        "LockedBeamNames": [], "EvaluateOptimizationFunctionsAfterScaling": True}
    final = calls_of(world, "Final dose")
    algorithm = [c for c in final if c.kind == "set"]
    assert [(c.method, c.kwargs["value"]) for c in algorithm] == [("DoseAlgorithm", "CCDose")]
    assert algorithm[0].path.endswith("FractionDose.InputSettingsForFinalDose")
    assert only(final, "ComputeDose").kwargs == {"RunEntryValidation": True}
    assert final.index(algorithm[0]) < final.index(only(final, "ComputeDose"))


def test_function_value_condition_reads_the_feedback_value(run):
    world, outcome, _ = run
    reads = [c for c in calls_of(world, "Lungs value") if c.method == "FunctionValue"]
    assert len(reads) == 1 and reads[0].path.endswith("ConstituentFunctions[1]")
    assert outcome.result.metrics[0]["lungs_value"] == pytest.approx(reads[0].kwargs["value"])


def test_dvh_conditions_in_cc_use_the_roi_volume(run):
    world, outcome, _ = run
    d2cc = calls_of(world, "PTV D2cc")
    assert [c.method for c in d2cc] == ["GetRoiVolume", "GetDoseAtRelativeVolumes"]
    volume = world.sim.roi_volume_cc("PTV")
    assert d2cc[1].kwargs == {"RoiName": "PTV", "RelativeVolumes": [pytest.approx(2.0 / volume)]}
    v20 = calls_of(world, "Lungs V2000 cc")
    assert [c.method for c in v20] == ["GetRelativeVolumeAtDoseValues", "GetRoiVolume"]
    assert v20[0].kwargs == {"RoiName": "Lungs", "DoseValues": [2000.0]}
    metrics = outcome.result.metrics[0]
    assert metrics["ptv_d2cc"] > 5000 and 0 < metrics["lungs_v20cc"] < world.sim.roi_volume_cc("Lungs")


def test_adjustments_change_only_the_adjusted_field(run):
    world, _, _ = run
    up = [c for c in calls_of(world, "Lungs weight x 2") if c.kind == "set"]
    assert [(c.method, c.kwargs["value"]) for c in up] == [("Weight", 40.0)]
    eud = calls_of(world, "Ring EUD to achieved")
    new_level = only(eud, "DoseLevel").kwargs["value"]
    ring = world.case.TreatmentPlans["Calls"].PlanOptimizations[0].Objective.ConstituentFunctions[2]
    world.sim.compute_final_dose(DoseAlgorithm.PENCIL_BEAM)  # back to the dose the adjustment read
    exact_eud = world.sim.function_state(ring._key).achieved
    assert new_level == pytest.approx(0.98 * exact_eud, rel=0.01), "EUD read from the DVH, times 0.98"
    assert not any(c.method in MUTATING for c in eud), "a parameter change needs no EditOptimizationFunction"


def test_wait_for_user_and_save(run):
    world, _, _ = run
    assert world.messages == ["Check the plan."]
    assert [c.method for c in calls_of(world, "Save")] == ["Save"] and world.saves == 1
    assert only(world.recorder.calls, "await_user_input").kwargs == {"message": "Check the plan."}
