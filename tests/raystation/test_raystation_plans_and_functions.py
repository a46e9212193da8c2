"""Working on the open plan, editing functions, goal templates, isodose ROIs, protons and DVH curves."""

from __future__ import annotations

import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.planning import DoseStatistic, OptimizationSettings

ARC = {"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}


def manual_plan(world):
    """A plan made by hand in RayStation (one untagged function), current in the GUI."""
    plan = world.case.AddNewPlan(PlanName="Manual", ExaminationName="CT 1")
    beam_set = plan.AddNewBeamSet(Name="BS", ExaminationName="CT 1", MachineName="TrueBeam", Modality="Photons",
                                  TreatmentTechnique="VMAT", PatientPosition="HeadFirstSupine", NumberOfFractions=30)
    beam_set.AddRoiPrescriptionDoseReference(RoiName="PTV", DoseVolume=95.0, PrescriptionType="DoseAtVolume",
                                             DoseValue=6000.0)
    iso = beam_set.CreateDefaultIsocenterData(Position={"x": -7.0, "y": -0.5, "z": 1.5})
    beam_set.CreateArcBeam(ArcStopGantryAngle=179.0, ArcRotationDirection="Clockwise", BeamQualityId="6",
                           IsocenterData=iso, Name="A1", GantryAngle=181.0)
    po = plan.PlanOptimizations[0]
    tagged = po.AddOptimizationFunction(FunctionType="MinDose", RoiName="PTV")
    tagged.Tag = "ptv_min"
    tagged.DoseFunctionParameters.DoseLevel = 5900.0
    untagged = po.AddOptimizationFunction(FunctionType="MaxDose", RoiName="Heart")
    untagged.DoseFunctionParameters.DoseLevel = 1000.0
    po.OptimizationParameters.Algorithm.MaxNumberOfIterations = 5
    world.set_current(plan)
    world.recorder.clear()
    return plan


def test_current_plan_functions_are_found_and_untagged_ones_named(double):
    manual_plan(double)
    b = FlowBuilder("continue")
    b.add("plan.current", "plan")
    b.add("opt.adjust", "heart", {"selector": {"rois": ["Heart"]}, "field": "weight", "mode": "scale", "amount": 2})
    b.add("opt.run", "run")
    b.add("dose.normalize", "norm")
    b.chain("plan", "heart", "run", "norm")
    backend = RayStationBackend()
    result = Interpreter(b.build(), backend).run()
    assert result.status == "completed", result.error
    assert backend.function_tags() == ["ptv_min", "Heart_MaxDose_1"]
    sets = [(c.method, c.kwargs["value"]) for c in double.recorder.calls if c.kind == "set"]
    assert sets == [("Weight", 2.0)], "the untagged function's name is not written into the plan"
    assert backend.function_state("Heart_MaxDose_1").value is not None


def test_changing_type_or_roi_uses_edit_optimization_function(double):
    manual_plan(double)
    b = FlowBuilder("edit")
    b.add("plan.current", "plan")
    b.add("roi.match", "lungs", {"name": "Lungs"})
    b.add("roi.match", "heart", {"name": "Heart"})
    b.add("opt.function", "f", {"type": "MaxDose", "dose_cgy": 3000, "tag": "oar"})
    b.add("opt.function", "g", {"type": "MaxEud", "dose_cgy": 1200, "eud_a": 1, "weight": 5, "tag": "oar",
                                "updates_existing": True})
    b.chain("plan", "f", "g")
    b.wire("lungs.roi", "f.roi")
    b.wire("heart.roi", "g.roi")
    result = Interpreter(b.build(), RayStationBackend()).run()
    assert result.status == "completed", result.error
    edit = double.recorder.of("EditOptimizationFunction")[0].kwargs
    function = double.current["Plan"].PlanOptimizations[0].Objective.ConstituentFunctions[2]
    assert edit["DoseBasedRoiFunction"] is function
    assert {k: edit[k] for k in ("FunctionType", "RoiName", "IsConstraint", "RestrictToBeams")} == {
        "FunctionType": "MaxEud", "RoiName": "Heart", "IsConstraint": False, "RestrictToBeams": []}
    params = function.DoseFunctionParameters
    assert (params.FunctionType, params.DoseLevel, params.EudParameterA, params.Weight) == ("MaxEud", 1200.0, 1.0,
                                                                                             5.0)
    assert function.Tag == "oar" and double.recorder.count("AddOptimizationFunction") == 1


def test_goal_template_is_applied_with_the_roi_mapping(double):
    manual_plan(double)
    b = FlowBuilder("template")
    b.add("plan.current", "plan")
    b.add("roi.match", "cord", {"name": "Cord", "aliases": ["SpinalCord"]})
    b.add("plan.clinical_goals", "goals", {"template": "Lung", "roi_map": {"SpinalCord": "Cord"}})
    b.add("opt.run", "run")
    b.add("cond.goal", "met")
    b.chain("plan", "goals", "run")
    b.wire("run", "met.plan")
    backend = RayStationBackend()
    assert Interpreter(b.build(), backend).run().status == "completed"
    applied = double.recorder.of("ApplyClinicalGoalTemplate")[0].kwargs
    assert applied["Template"].Name == "Lung" and applied["AssociatedRoisAndPois"] == {"SpinalCord": "SpinalCord"}
    assert applied["ReplaceExistingClinicalGoals"] is False
    results = backend.evaluate_goals()
    assert len(results) == 9 and results[0].goal.level == pytest.approx(95.0)
    cord = next(r for r in results if r.goal.roi == "SpinalCord")
    assert cord.value == pytest.approx(backend.dose_at_volume("SpinalCord", volume_cc=0.03))


def test_unknown_goal_template_lists_the_templates(double):
    manual_plan(double)
    backend = RayStationBackend()
    backend.use_current_plan()
    with pytest.raises(Exception, match="templates: Lung, Esophagus"):
        backend.add_clinical_goals([], "Prostate", {})


def test_isodose_roi_is_created_once_then_replaced(double):
    manual_plan(double)
    backend = RayStationBackend()
    backend.use_current_plan()
    backend.run_optimization()
    backend.create_roi_from_dose("Hot", 6200.0, "Control", "Red")
    backend.create_roi_from_dose("Hot", 6000.0, "Control", "Red")
    assert double.recorder.count("CreateRoi") == 1 and double.recorder.count("CreateRoiGeometryFromDose") == 2
    dose_call = double.recorder.of("CreateRoiGeometryFromDose")[1].kwargs
    assert dose_call == {"DoseDistribution": double.current["Plan"].TreatmentCourse.TotalDose, "ThresholdLevel": 6000.0}
    assert "Hot" in backend.roi_names()


def test_dvh_curve_and_statistics_match_the_engine(double):
    manual_plan(double)
    backend = RayStationBackend()
    backend.use_current_plan()
    backend.run_optimization()
    curve = backend.dvh("Lungs", step_cgy=50.0)
    engine = double.sim.dvh("Lungs", step_cgy=50.0)
    assert [d for d, _ in curve][:len(engine)] == [d for d, _ in engine]
    assert [v for _, v in curve][:len(engine)] == pytest.approx([v for _, v in engine], abs=1e-6)
    assert backend.dose_statistic("PTV", DoseStatistic.MAX) == pytest.approx(
        double.sim.dose_statistic("PTV", DoseStatistic.MAX))


def test_proton_beams_are_created_with_pbs_keywords(double):
    b = FlowBuilder("impt")
    b.add("plan.create", "plan", {"name": "Protons", "machine": "ProteusPLUS", "technique": "IMPT"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.isocenter", "iso")
    b.add("plan.impt_beams", "beams", {"beams": [{"name": "G90", "gantry_deg": 90, "snout": "S1",
                                                  "range_shifter": "RS5"}]})
    b.chain("plan", "iso", "beams")
    b.wire("ptv.roi", "iso.roi")
    result = Interpreter(b.build(), RayStationBackend()).run()
    beam = double.recorder.of("CreatePBSIonBeam")[0]
    assert {k: beam.kwargs[k] for k in ("Name", "GantryAngle", "SnoutId", "RangeShifter", "ArcRotationDirection",
                                        "CouchRotationAngle")} == {
        "Name": "G90", "GantryAngle": 90.0, "SnoutId": "S1", "RangeShifter": "RS5", "ArcRotationDirection": "None",
        "CouchRotationAngle": 0.0}
    assert double.recorder.of("AddNewBeamSet")[0].kwargs["TreatmentTechnique"] == "ProtonPencilBeamScanning"
    assert result.status == "completed", result.error


def test_auto_scaling_to_the_prescription_can_be_switched_off(double):
    plan = manual_plan(double)
    backend = RayStationBackend()
    backend.use_current_plan()
    backend.set_optimization_settings(OptimizationSettings(iterations=5, auto_scale_to_prescription=False))
    assert plan.PlanOptimizations[0].AutoScaleToPrescription is False
    backend.run_optimization()
    assert backend.function_state("ptv_min").value is not None


def test_isocenter_at_a_poi_or_coordinates(double):
    manual_plan(double)
    backend = RayStationBackend()
    backend.use_current_plan()
    assert backend.set_isocenter(poi="ISO") == pytest.approx((-7.0, -0.5, 1.5))
    assert backend.set_isocenter(position_cm=(1, 2, 3)) == (1.0, 2.0, 3.0)
    assert double.recorder.of("CreateDefaultIsocenterData")[-1].kwargs == {"Position": {"x": 1.0, "y": 2.0, "z": 3.0}}
    with pytest.raises(Exception, match="no POI named 'Iso'; POIs: ISO, REF"):
        backend.set_isocenter(poi="Iso")
