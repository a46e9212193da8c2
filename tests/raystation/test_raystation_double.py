"""The double behaves as RayStation's scripting API: imports, keyword-only methods, errors, collections, log."""

from __future__ import annotations

import importlib
import sys

import pytest

from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.model.planning import DoseStatistic


def test_2025_is_importable_as_connect_raystation_and_v2025(double):
    import connect
    import raystation
    from raystation.v2025 import get_current

    assert get_current("Case") is connect.get_current("Case") is raystation.get_current("Case")
    assert {"get_current", "CompositeAction", "await_user_input", "set_progress"} <= set(raystation.__all__)


def test_older_generations_have_connect_only(install):
    install("2023B")
    assert importlib.import_module("connect").get_current("Case").CaseName == "Phantom lung"
    with pytest.raises(ImportError):
        importlib.import_module("raystation")


def test_uninstall_restores_sys_modules():
    before = {n: sys.modules.get(n) for n in ("connect", "raystation", "raystation.v2025")}
    install_double("2025")
    uninstall_double()
    assert {n: sys.modules.get(n) for n in before} == before


def test_positional_argument_and_unknown_keyword_raise_type_error(double):
    case = double.case
    with pytest.raises(TypeError, match=r"^Method must be called with named arguments\.$"):
        case.AddNewPlan("P")
    with pytest.raises(TypeError, match="unexpected keyword argument 'PlanNme'"):
        case.AddNewPlan(PlanNme="P", ExaminationName="CT 1")
    with pytest.raises(TypeError, match="missing required keyword"):
        case.AddNewPlan(PlanName="P")
    assert [c.error.split(":")[0] for c in double.recorder.of("AddNewPlan")] == ["TypeError"] * 3


def test_keyword_names_follow_the_generation(install):
    plan = _plan(install("2023B"))
    es = plan.TreatmentCourse.EvaluationSetup
    goal = {"RoiName": "PTV", "GoalCriteria": "AtLeast", "GoalType": "VolumeAtDose", "ParameterValue": 6000.0}
    with pytest.raises(TypeError, match="PrimaryAcceptanceLevel"):
        es.AddClinicalGoal(**goal, PrimaryAcceptanceLevel=0.95)
    es.AddClinicalGoal(**goal, AcceptanceLevel=0.95)
    assert es.EvaluationFunctions[0].PlanningGoal.AcceptanceLevel == 0.95
    assert not hasattr(es.EvaluationFunctions[0].PlanningGoal, "PrimaryAcceptanceLevel")
    beam_set = plan.BeamSets[0]
    assert hasattr(beam_set, "NormalizeToPrescription")
    assert not hasattr(beam_set, "ScaleToPrimaryPrescriptionDoseReference")
    beam_set = _plan(install("8B")).BeamSets[0]
    assert hasattr(beam_set, "AddDosePrescriptionToRoi") and not hasattr(beam_set, "AddRoiPrescriptionDoseReference")


def _plan(world):
    plan = world.case.AddNewPlan(PlanName="P", ExaminationName="CT 1")
    plan.AddNewBeamSet(Name="BS", ExaminationName="CT 1", MachineName="Halcyon", Modality="Photons",
                       TreatmentTechnique="VMAT", PatientPosition="HeadFirstSupine", NumberOfFractions=30)
    return plan


def test_raystation_errors_are_system_errors(double):
    model = double.case.PatientModel
    with pytest.raises(SystemError, match="already exists"):
        model.CreateRoi(Name="PTV", Color="Red", Type="Ptv")
    ring = model.CreateRoi(Name="Ring", Color="Yellow", Type="Control")
    with pytest.raises(SystemError, match="'Nope' not found"):
        ring.CreateWallGeometry(Examination=double.examination, SourceRoiName="Nope", OutwardDistance=1.0,
                                InwardDistance=0.0)
    with pytest.raises(SystemError, match="0-5"):
        ring.CreateWallGeometry(Examination=double.examination, SourceRoiName="PTV", OutwardDistance=6.0,
                                InwardDistance=0.0)
    with pytest.raises(SystemError, match="No Plan is loaded"):
        sys.modules["connect"].get_current("Plan")
    es = _plan(double).TreatmentCourse.EvaluationSetup
    goal = {"RoiName": "PTV", "GoalCriteria": "AtLeast", "GoalType": "VolumeAtDose", "PrimaryAcceptanceLevel": 0.95,
            "ParameterValue": 6000.0}
    es.AddClinicalGoal(**goal)
    with pytest.raises(SystemError, match=r"^An identical clinical goal already exists\.$"):
        es.AddClinicalGoal(**goal)
    with pytest.raises(SystemError, match=r"fraction|outside"):
        es.AddClinicalGoal(**{**goal, "PrimaryAcceptanceLevel": 95.0})


def test_collections_by_index_name_keys_and_membership(double):
    rois = double.case.PatientModel.RegionsOfInterest
    assert rois[0].Name == "External" and rois["PTV"].Type == "Ptv"
    assert "Lungs" in rois and "Lung" not in rois and len(rois) == len(rois.Keys)
    assert [r.Name for r in rois] == rois.Keys
    with pytest.raises(SystemError):
        rois["Lung"]
    geometries = double.case.PatientModel.StructureSets["CT 1"].RoiGeometries
    assert geometries["PTV"].HasContours() and geometries["PTV"].GetRoiVolume() == pytest.approx(56.0)
    assert double.case.PatientModel.StructureSets["CT 1"].PoiGeometries["ISO"].Point.x == pytest.approx(-7.0)


def test_properties_check_types_and_the_log_records_them(double):
    po = _plan(double).PlanOptimizations[0]
    with pytest.raises(TypeError, match="expects int"):
        po.OptimizationParameters.Algorithm.MaxNumberOfIterations = "80"
    po.OptimizationParameters.Algorithm.MaxNumberOfIterations = 80
    with pytest.raises(AttributeError):
        po.OptimizationParameters.Algorithm.Iterations = 80
    sets = double.recorder.of("MaxNumberOfIterations")
    assert [(c.kind, c.kwargs["value"], bool(c.error)) for c in sets] == [("set", "80", True), ("set", 80, False)]
    assert str(sets[1]).endswith("Algorithm.MaxNumberOfIterations = 80")


def test_fail_on_raises_system_error_on_the_nth_call(double):
    double.recorder.fail_on("HasContours", nth=2, message="database locked")
    geometries = double.case.PatientModel.StructureSets["CT 1"].RoiGeometries
    assert geometries["PTV"].HasContours()
    with pytest.raises(SystemError, match="database locked"):
        geometries["PTV"].HasContours()
    assert double.recorder.of("HasContours")[1].error == "SystemError: database locked"


def test_dose_numbers_come_from_the_simulated_engine(double):
    plan = _plan(double)
    beam_set, po = plan.BeamSets[0], plan.PlanOptimizations[0]
    beam_set.AddRoiPrescriptionDoseReference(RoiName="PTV", DoseVolume=95.0, PrescriptionType="DoseAtVolume",
                                             DoseValue=6000.0)
    iso = beam_set.CreateDefaultIsocenterData(Position={"x": -7.0, "y": -0.5, "z": 1.5})
    beam_set.CreateArcBeam(ArcStopGantryAngle=179.0, ArcRotationDirection="Clockwise", BeamQualityId="6",
                           IsocenterData=iso, Name="A1", GantryAngle=181.0)
    f = po.AddOptimizationFunction(FunctionType="MinDose", RoiName="PTV")
    f.DoseFunctionParameters.DoseLevel = 6000.0
    assert f.FunctionValue is None
    po.OptimizationParameters.Algorithm.MaxNumberOfIterations = 5
    po.RunOptimization()
    sim, dose = double.sim, plan.TreatmentCourse.TotalDose
    assert dose.GetDoseAtRelativeVolumes(RoiName="PTV", RelativeVolumes=[0.5])[0] == pytest.approx(
        sim.dose_at_volume("PTV", volume_percent=50.0))
    assert dose.GetRelativeVolumeAtDoseValues(RoiName="Lungs", DoseValues=[500.0])[0] == pytest.approx(
        sim.volume_at_dose("Lungs", 500.0) / 100.0)
    assert dose.GetDoseStatistic(RoiName="Heart", DoseType="Average") == pytest.approx(
        sim.dose_statistic("Heart", DoseStatistic.MEAN))
    assert f.FunctionValue.FunctionValue == pytest.approx(sim.function_state(f._key).value)
