"""What differs between RayStation 2024B and 2025, decided once and logged once; plans as clinics really hold
them: foreign function types, an existing primary prescription, ROI centres of any shape."""

from __future__ import annotations

import logging
import sys

import pytest

from planflow_qt.backends.raystation import RayStationBackend
from planflow_qt.backends.raystation.beams import coordinates
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.planning import (
    Arc,
    BeamSettings,
    DoseAlgorithm,
    FunctionSpec,
    FunctionType,
    JawMotion,
    Prescription,
    ProtonBeam,
)
from planflow_qt.runner import execute


def _photon_plan(backend: RayStationBackend) -> None:
    from planflow_qt.model.planning import PlanSetup

    backend.create_plan(PlanSetup(name="P", beam_set="BS", machine="Halcyon"))
    backend.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    backend.set_isocenter(roi="PTV")
    backend.add_vmat_arcs([Arc(name="A1", gantry_start_deg=181, gantry_stop_deg=179)])


@pytest.mark.parametrize(("profile", "edit"), [("2025", True), ("2025-stubs", False), ("2024B", False)])
def test_a_type_change_edits_the_function_or_deletes_and_adds_it_again(install, caplog, profile, edit):
    world = install(profile)
    caplog.set_level(logging.INFO, logger="planflow_qt.backends.raystation.adapters")
    backend = RayStationBackend()
    _photon_plan(backend)
    backend.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="Heart", dose_cgy=3000, weight=5, tag="h"))
    backend.update_function("h", FunctionSpec(type=FunctionType.MAX_EUD, roi="Heart", dose_cgy=1500, eud_a=1,
                                              weight=7))
    backend.update_function("h", FunctionSpec(type=FunctionType.MAX_EUD, roi="Heart", dose_cgy=1400, eud_a=1,
                                              weight=7))
    state = backend.function_state("h")
    assert (state.spec.type, state.spec.dose_cgy, state.spec.weight) == (FunctionType.MAX_EUD, 1400.0, 7.0)
    assert backend.function_tags() == ["h"]
    calls = world.recorder
    assert calls.count("EditOptimizationFunction") == (1 if edit else 0)
    assert calls.count("DeleteFunction") == (0 if edit else 1)
    assert calls.count("AddOptimizationFunction") == (1 if edit else 2)
    messages = [r.getMessage() for r in caplog.records if "changing a function" in r.getMessage()]
    way = "EditOptimizationFunction" if edit else "DeleteFunction and AddOptimizationFunction"
    assert len(messages) == 1 and way in messages[0], "decided by feature test and logged once"


@pytest.mark.parametrize(("profile", "spot_tune", "algorithm"),
                         [("2025", False, "SpotWeightPencilBeam"), ("2024B", True, "IonPencilBeam")])
def test_proton_beams_and_final_dose_use_the_version_names(install, profile, spot_tune, algorithm):
    from planflow_qt.model.planning import PlanSetup, Technique

    world = install(profile, case="prostate")
    backend = RayStationBackend()
    backend.create_plan(PlanSetup(name="P", beam_set="BS", machine="ProteusPLUS", technique=Technique.IMPT))
    backend.set_prescription(Prescription(roi="CTV", dose_cgy=7800))
    backend.set_isocenter(roi="CTV")
    backend.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90), ProtonBeam(name="G270", gantry_deg=270)])
    backend.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="CTV", dose_cgy=7800, weight=10, tag="c"))
    backend.run_optimization()
    backend.compute_final_dose(DoseAlgorithm.PENCIL_BEAM)
    beams = world.recorder.of("CreatePBSIonBeam")
    assert [("SpotTuneId" in c.kwargs) for c in beams] == [spot_tune, spot_tune]
    assert [c.kwargs["value"] for c in world.recorder.of("DoseAlgorithm")] == [algorithm]
    with pytest.raises(Exception, match="no CollapsedCone final dose for protons"):
        backend.compute_final_dose(DoseAlgorithm.COLLAPSED_CONE)


@pytest.mark.parametrize(("profile", "method"), [("2025-stubs", "SetFluenceProtectRoi"),
                                                  ("2024B", "SetTreatOrProtectRoi")])
def test_beam_settings_fix_jaws_convert_arcs_and_protect_an_roi(install, profile, method):
    world = install(profile)
    backend = RayStationBackend()
    _photon_plan(backend)
    backend.set_beam_settings(BeamSettings(jaw_motion=JawMotion.LOCK_TO_LIMITS, left_jaw_cm=-5, right_jaw_cm=6,
                                           top_jaw_cm=7, bottom_jaw_cm=-8, gantry_spacing_deg=2, dual_arcs=True,
                                           avoid_roi="Heart"))
    edit = world.recorder.of("EditBeamOptimizationSettings")[0].kwargs
    assert (edit["JawMotion"], edit["LeftJaw"], edit["RightJaw"], edit["TopJaw"], edit["BottomJaw"]) == (
        "LockToLimits", -5.0, 6.0, 7.0, -8.0)
    arc = world.recorder.of("EditArcBasedBeamOptimizationSettings")[0].kwargs
    assert (arc["CreateDualArcs"], arc["FinalGantrySpacing"]) == (True, 2.0)
    assert world.recorder.of(method)[0].kwargs["RoiName"] == "Heart"


def test_proton_avoidance_structures(install):
    from planflow_qt.model.planning import PlanSetup, Technique

    world = install("2025-stubs", case="prostate")
    backend = RayStationBackend()
    backend.create_plan(PlanSetup(name="P", beam_set="BS", machine="ProteusPLUS", technique=Technique.IMPT))
    backend.set_isocenter(roi="CTV")
    backend.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90)])
    backend.set_beam_settings(BeamSettings(avoid_roi="Rectum"))
    assert world.recorder.of("SetAvoidanceStructures")[0].kwargs == {"RoiNames": ["Rectum"]}


def test_dicom_export_names_the_exam_structures_plan_and_dose(install):
    world = install("2025-stubs")
    backend = RayStationBackend()
    _photon_plan(backend)
    backend.export_dicom("C:/export")
    export = world.case._exports[0]
    assert export["ExportFolderPath"] == "C:/export" and export["Examinations"] == ["CT 1"]
    assert export["BeamSets"] == export["PhysicalBeamSetDoseForBeamSets"] == ["P:BS"]


@pytest.mark.parametrize("point", [{"x": 1.0, "y": 2.0, "z": 3.0}, (1.0, 2.0, 3.0)])
def test_roi_centres_are_read_in_every_shape(point):
    class Attributes:
        x, y, z = 1.0, 2.0, 3.0

    assert coordinates(point) == coordinates(Attributes()) == (1.0, 2.0, 3.0)


def _current_plan_with_foreign_functions(world, primary_dose: float = 6000.0):
    """A plan a clinic made by hand: a prescription, an arc and functions of every kind, made current."""
    case = sys.modules["connect"].get_current("Case")
    plan = case.AddNewPlan(PlanName="Clinic", ExaminationName="CT 1")
    beam_set = plan.AddNewBeamSet(Name="BS", ExaminationName="CT 1", MachineName="Halcyon", Modality="Photons",
                                  TreatmentTechnique="VMAT", PatientPosition="HeadFirstSupine", NumberOfFractions=30)
    beam_set.AddRoiPrescriptionDoseReference(RoiName="PTV", DoseVolume=95.0, PrescriptionType="DoseAtVolume",
                                             DoseValue=primary_dose)
    iso = beam_set.CreateDefaultIsocenterData(Position={"x": -7.0, "y": -0.5, "z": 1.5})
    beam_set.CreateArcBeam(ArcStopGantryAngle=179.0, ArcRotationDirection="Clockwise", BeamQualityId="6",
                           IsocenterData=iso, Name="A1", GantryAngle=181.0)
    po = plan.PlanOptimizations[0]
    ptv = po.AddOptimizationFunction(FunctionType="MinDose", RoiName="PTV")
    ptv.DoseFunctionParameters.DoseLevel = 5900.0
    ptv.DoseFunctionParameters.Weight = 50.0
    lungs = po.AddOptimizationFunction(FunctionType="MaxDvh", RoiName="Lungs")
    lungs.DoseFunctionParameters.DoseLevel = 2000.0
    lungs.DoseFunctionParameters.PercentVolume = 25.0
    smooth = po.AddOptimizationFunction(FunctionType="SmoothMaxDvh", RoiName="Heart")
    smooth.DoseFunctionParameters.DoseLevel = 2500.0
    uniform = po.AddOptimizationFunction(FunctionType="UniformityConstraint", RoiName="PTV", IsConstraint=True)
    uniform.DoseFunctionParameters.PercentStdDeviation = 4.0
    raw_plan = world.case.TreatmentPlans["Clinic"]
    raw_plan._optimization._add_composite("Template composite")
    world.set_current(raw_plan)


def test_plans_with_uniformity_constraints_smooth_and_composite_functions_run(install, caplog):
    world = install("2025-stubs")
    _current_plan_with_foreign_functions(world)
    caplog.set_level(logging.INFO, logger="planflow_qt.backends.raystation.optimization")
    b = FlowBuilder("foreign functions")
    b.add("plan.current", "plan")
    b.add("opt.settings", "settings", {"iterations": 5})
    b.add("opt.run", "run")
    b.add("cond.function_value", "value", {"aggregate": "any", "comparison": ">", "threshold": 0.0})
    b.add("opt.adjust", "adjust", {"field": "weight", "mode": "scale", "amount": 1.5})
    b.add("opt.adjust", "std", {"selector": {"types": ["UniformityConstraint"]}, "field": "std_dev", "mode": "set",
                                "amount": 3.0})
    b.add("opt.run", "again")
    b.chain("plan", "settings", "run", "adjust", "std", "again")
    b.wire("run", "value.plan")
    b.wire("value.result", "adjust.when")
    result = execute(b.build(), RayStationBackend()).result
    assert result.status == "completed", result.error
    backend = RayStationBackend()
    backend.use_current_plan()
    assert backend.function_tags() == ["PTV_MinDose_1", "Lungs_MaxDvh_1", "PTV_UniformityConstraint_1"]
    uniformity = backend.function_state("PTV_UniformityConstraint_1")
    assert uniformity.spec.std_dev_percent == 3.0 and uniformity.spec.constraint
    assert backend.function_state("Lungs_MaxDvh_1").spec.weight == 1.5
    smooth = world.case.TreatmentPlans["Clinic"]._optimization._functions()[2]
    assert smooth._parameters.Weight == 1.0, "a foreign function is left as it is"
    assert sum("left as it is" in r.getMessage() for r in caplog.records) >= 2


def test_a_different_primary_prescription_refuses_a_current_plan_flow(install):
    world = install("2025-stubs")
    _current_plan_with_foreign_functions(world, primary_dose=6600.0)
    b = FlowBuilder("rx")
    b.add("plan.current", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.run", "run")
    b.chain("plan", "rx", "run")
    b.wire("ptv.roi", "rx.roi")
    before = len(world.recorder.calls)
    result = execute(b.build(), RayStationBackend()).result
    assert result.status == "refused", result.error
    problem = next(p for p in result.problems if p.node_id == "rx")
    assert "primary prescription is D95 % of PTV = 6600 cGy" in problem.message
    assert "flow prescribes D95 % of PTV = 6000 cGy" in problem.message
    changed = [c for c in world.recorder.calls[before:] if c.kind == "set" or c.method.startswith(("Add", "Run"))]
    assert changed == [], "refused before any change"


def test_the_same_primary_prescription_is_kept(install):
    world = install("2025-stubs")
    _current_plan_with_foreign_functions(world, primary_dose=6000.0)
    backend = RayStationBackend()
    backend.use_current_plan()
    before = world.recorder.count("AddRoiPrescriptionDoseReference")
    backend.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    assert world.recorder.count("AddRoiPrescriptionDoseReference") == before


def test_avoidance_sectors_split_arcs_in_both_backends(install):
    from planflow_qt.backends.simulated import SimulatedBackend

    b = FlowBuilder("sector")
    b.add("plan.create", "plan", {"name": "P", "beam_set": "BS"})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("plan.isocenter", "iso")
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}],
                                     "avoid_sectors": [{"start_deg": 60, "stop_deg": 120}]})
    b.chain("plan", "rx", "iso", "arcs")
    b.wire("ptv.roi", "rx.roi")
    b.wire("ptv.roi", "iso.roi")
    flow = b.build()
    world = install("2025-stubs")
    assert Interpreter(flow, RayStationBackend()).run().status == "completed"
    arcs = [(c.kwargs["Name"], c.kwargs["GantryAngle"], c.kwargs["ArcStopGantryAngle"])
            for c in world.recorder.of("CreateArcBeam")]
    assert arcs == [("A1a", 181.0, 60.0), ("A1b", 120.0, 179.0)]
    simulated = SimulatedBackend(case="lung", grid_mm=10.0)
    assert Interpreter(flow, simulated).run().status == "completed"
    assert [(a.name, a.gantry_start_deg, a.gantry_stop_deg) for a in simulated._current().arcs] == arcs


def test_the_function_list_is_read_once_per_node(install):
    world = install("2025-stubs")
    backend = RayStationBackend()
    _photon_plan(backend)
    for i in range(12):
        backend.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="Heart", dose_cgy=3000 + i, weight=1,
                                          tag=f"h{i}"))
    with backend.step("adjust"):
        before = len(world.accesses)
        for tag in backend.function_tags():
            backend.function_state(tag)
        reads = [a for a in world.accesses[before:] if a["member"] in ("Objective", "Constraints")]
    assert len(reads) == 2, "one listing of objectives and constraints for 12 functions"


def test_robust_evaluation_on_a_current_plan_uses_its_saved_robustness(install):
    world = install("2025-stubs", case="prostate")
    case = sys.modules["connect"].get_current("Case")
    plan = case.AddNewPlan(PlanName="Clinic", ExaminationName="CT 1")
    beam_set = plan.AddNewBeamSet(Name="BS", ExaminationName="CT 1", MachineName="ProteusPLUS", Modality="Protons",
                                  TreatmentTechnique="ProtonPencilBeamScanning", PatientPosition="HeadFirstSupine",
                                  NumberOfFractions=39)
    beam_set.AddRoiPrescriptionDoseReference(RoiName="CTV", DoseVolume=95.0, PrescriptionType="DoseAtVolume",
                                             DoseValue=7800.0)
    centre = case.PatientModel.StructureSets["CT 1"].RoiGeometries["CTV"].GetCenterOfRoi()
    iso = beam_set.CreateDefaultIsocenterData(Position={k: centre[k] for k in "xyz"})
    for name, gantry in (("G90", 90.0), ("G270", 270.0)):
        beam_set.CreatePBSIonBeam(IsocenterData=iso, Name=name, GantryAngle=gantry)
    po = plan.PlanOptimizations[0]
    ctv = po.AddOptimizationFunction(FunctionType="MinDose", RoiName="CTV", IsRobust=True)
    ctv.DoseFunctionParameters.DoseLevel = 7800.0
    po.OptimizationParameters.SaveRobustnessParameters(
        PositionUncertaintyAnterior=0.4, PositionUncertaintyPosterior=0.4, PositionUncertaintySuperior=0.4,
        PositionUncertaintyInferior=0.4, PositionUncertaintyLeft=0.4, PositionUncertaintyRight=0.4,
        DensityUncertainty=0.03)
    world.set_current(world.case.TreatmentPlans["Clinic"])
    b = FlowBuilder("current robust")
    b.add("plan.current", "plan")
    b.add("roi.match", "ctv", {"name": "CTV"})
    b.add("opt.settings", "settings", {"iterations": 5})
    b.add("opt.run", "run")
    b.add("cond.dvh", "worst", {"metric": "dose_at_volume", "volume": 98, "comparison": "<", "threshold": 7400,
                                "scenarios": "lowest"})
    b.chain("plan", "settings", "run")
    b.wire("run", "worst.plan")
    b.wire("ctv.roi", "worst.roi")
    events = []
    result = execute(b.build(), RayStationBackend(), observers=[events.append]).result
    assert result.status == "completed", result.error
    assert any("lowest of" in e.message and "scenarios" in e.message for e in events if e.node_id == "worst")
    group = world.recorder.of("CreateRadiationSetScenarioGroup")[0].kwargs
    assert group["PositionUncertaintyLeft"] == 0.4 and group["DensityUncertaintyPercent"] == pytest.approx(3.0)
