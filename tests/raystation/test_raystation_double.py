"""The double behaves as RayStation's scripting API of each profile: imports, typed wrappers, keyword-only
methods checked against the 2025 stubs' facts, errors, collections, the call log."""

from __future__ import annotations

import importlib
import sys

import pytest

from planflow_qt.backends.raystation.double import install_double, uninstall_double
from planflow_qt.model.planning import DoseStatistic


def current(kind: str):
    return sys.modules["connect"].get_current(kind)


def _plan(machine: str = "Halcyon", modality: str = "Photons", technique: str = "VMAT"):
    case = current("Case")
    plan = case.AddNewPlan(PlanName="P", ExaminationName="CT 1")
    plan.AddNewBeamSet(Name="BS", ExaminationName="CT 1", MachineName=machine, Modality=modality,
                       TreatmentTechnique=technique, PatientPosition="HeadFirstSupine", NumberOfFractions=30)
    return plan


@pytest.mark.parametrize("generation", ["2025", "2025-stubs"])
def test_2025_is_importable_as_connect_raystation_and_v2025(install, generation):
    install(generation)
    import connect
    import raystation
    from raystation.v2025 import get_current

    assert get_current("Case") == connect.get_current("Case") == raystation.get_current("Case")
    assert {"get_current", "CompositeAction", "await_user_input", "set_progress"} <= set(raystation.__all__)


def test_2024b_has_connect_only(install):
    install("2024B")
    assert importlib.import_module("connect").get_current("Case").CaseName == "Phantom lung"
    with pytest.raises(ImportError):
        importlib.import_module("raystation")


def test_uninstall_restores_sys_modules():
    before = {n: sys.modules.get(n) for n in ("connect", "raystation", "raystation.v2025")}
    install_double("2025")
    uninstall_double()
    assert {n: sys.modules.get(n) for n in before} == before


def test_every_access_gives_a_new_wrapper_of_the_declared_class(double):
    plan = _plan()
    assert current("Case") is not current("Case") and current("Case") == current("Case")
    assert plan.BeamSets[0] is not plan.BeamSets[0]
    assert repr(plan.BeamSets[0]).startswith("<TreatmentSetupIncludingRadiationSet"), "declared RadiationSet"
    assert repr(current("Case")).startswith("<TreatmentCaseIncludingStudy")
    assert repr(plan.PlanOptimizations[0]).startswith("<PlanningPhase")


def test_methods_take_the_stubs_keywords_only(double):
    case = current("Case")
    with pytest.raises(TypeError, match=r"^Method must be called with named arguments\.$"):
        case.AddNewPlan("P")
    with pytest.raises(TypeError, match="unexpected keyword argument 'PlanNme'"):
        case.AddNewPlan(PlanNme="P", ExaminationName="CT 1")
    with pytest.raises(TypeError, match=r"missing required keyword argument.*PlanName"):
        case.AddNewPlan(ExaminationName="CT 1")
    model = case.PatientModel
    with pytest.raises(TypeError, match="TissueName: None where the API expects str"):
        model.CreateRoi(Name="Ring", Color="Yellow", Type="Control", TissueName=None)
    with pytest.raises(TypeError, match="'Organs' is not one of"):
        model.CreateRoi(Name="Ring", Color="Yellow", Type="Organs")
    assert not double.recorder.of("AddNewPlan") and not double.recorder.of("CreateRoi"), "refused before the call"
    assert [r["member"] for r in double.refusals] == ["AddNewPlan"] * 3 + ["CreateRoi"] * 2


def test_members_absent_from_the_stubs_and_read_only_properties_are_refused(install):
    install("2025-stubs")
    po = _plan().PlanOptimizations[0]
    assert not hasattr(po, "EditOptimizationFunction"), "absent from the 2025 stubs"
    with pytest.raises(AttributeError, match="read-only"):
        po.AutoScaleToPrescription = False
    with pytest.raises(AttributeError, match="no attribute 'NumberOfFractions'"):
        current("Case").TreatmentPlans["P"].BeamSets[0].NumberOfFractions  # noqa: B018
    with pytest.raises(TypeError, match="expects int"):
        po.OptimizationParameters.Algorithm.MaxNumberOfIterations = "80"


def test_profiles_differ_where_public_scripts_show_it(install):
    install("2025")
    assert hasattr(_plan().PlanOptimizations[0], "EditOptimizationFunction"), "2025 scripts call it"
    install("2024B")
    plan = _plan("ProteusPLUS", "Protons", "ProtonPencilBeamScanning")
    assert not hasattr(plan.PlanOptimizations[0], "EditOptimizationFunction")
    iso = plan.BeamSets[0].CreateDefaultIsocenterData(Position={"x": 0.0, "y": 0.0, "z": 0.0})
    plan.BeamSets[0].CreatePBSIonBeam(SpotTuneId="4.0", IsocenterData=iso, Name="G90", GantryAngle=90.0)
    install("2025-stubs")
    plan = _plan("ProteusPLUS", "Protons", "ProtonPencilBeamScanning")
    iso = plan.BeamSets[0].CreateDefaultIsocenterData(Position={"x": 0.0, "y": 0.0, "z": 0.0})
    with pytest.raises(TypeError, match="unexpected keyword argument 'SpotTuneId'"):
        plan.BeamSets[0].CreatePBSIonBeam(SpotTuneId="4.0", IsocenterData=iso, Name="G90", GantryAngle=90.0)


def test_roi_centre_is_a_dict_with_attribute_access(double):
    centre = current("Case").PatientModel.StructureSets["CT 1"].RoiGeometries["PTV"].GetCenterOfRoi()
    assert centre.x == centre["x"] and set(centre) == {"x", "y", "z"}


def test_raystation_errors_are_system_errors(double):
    model = current("Case").PatientModel
    with pytest.raises(SystemError, match="already exists"):
        model.CreateRoi(Name="PTV", Color="Red", Type="Ptv")
    ring = model.CreateRoi(Name="Ring", Color="Yellow", Type="Control")
    exam = current("Examination")
    with pytest.raises(SystemError, match="'Nope' not found"):
        ring.CreateWallGeometry(Examination=exam, SourceRoiName="Nope", OutwardDistance=1.0, InwardDistance=0.0)
    with pytest.raises(SystemError, match="0-5"):
        ring.CreateWallGeometry(Examination=exam, SourceRoiName="PTV", OutwardDistance=6.0, InwardDistance=0.0)
    with pytest.raises(SystemError, match="No Plan is loaded"):
        current("Plan")
    es = _plan().TreatmentCourse.EvaluationSetup
    goal = {"RoiName": "PTV", "GoalCriteria": "AtLeast", "GoalType": "VolumeAtDose", "PrimaryAcceptanceLevel": 0.95,
            "ParameterValue": 6000.0}
    es.AddClinicalGoal(**goal)
    with pytest.raises(SystemError, match=r"^An identical clinical goal already exists\.$"):
        es.AddClinicalGoal(**goal)
    with pytest.raises(SystemError, match=r"fraction|outside"):
        es.AddClinicalGoal(**{**goal, "PrimaryAcceptanceLevel": 95.0})


def test_collections_by_index_name_and_membership(double):
    rois = current("Case").PatientModel.RegionsOfInterest
    assert rois[0].Name == "External" and rois["PTV"].Type == "Ptv"
    assert "Lungs" in rois and "Lung" not in rois and len(rois) == len(list(rois))
    with pytest.raises(SystemError):
        rois["Lung"]
    structures = current("Case").PatientModel.StructureSets["CT 1"]
    assert structures.RoiGeometries["PTV"].HasContours()
    assert structures.RoiGeometries["PTV"].GetRoiVolume() == pytest.approx(56.0)
    assert structures.PoiGeometries["ISO"].Point.x == pytest.approx(-7.0)


def test_the_access_log_names_classes_members_keywords_and_nodes(double):
    double.node = "n-plan"
    _plan()
    entries = [(a["kind"], a["class"], a["member"]) for a in double.accesses]
    assert ("call", "TreatmentCaseIncludingStudy", "AddNewPlan") in entries
    assert ("call", "TreatmentPlan", "AddNewBeamSet") in entries
    add = next(a for a in double.accesses if a["member"] == "AddNewBeamSet")
    assert add["keywords"] == sorted(["Name", "ExaminationName", "MachineName", "Modality", "TreatmentTechnique",
                                      "PatientPosition", "NumberOfFractions"]) and add["node"] == "n-plan"


def test_fail_on_raises_system_error_on_the_nth_call(double):
    double.recorder.fail_on("HasContours", nth=2, message="database locked")
    geometries = current("Case").PatientModel.StructureSets["CT 1"].RoiGeometries
    assert geometries["PTV"].HasContours()
    with pytest.raises(SystemError, match="database locked"):
        geometries["PTV"].HasContours()
    assert double.recorder.of("HasContours")[1].error == "SystemError: database locked"


def test_dose_numbers_come_from_the_simulated_engine(double):
    plan = _plan()
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
    fraction = beam_set.FractionDose.GetDoseStatistic(RoiName="Heart", DoseType="Average")
    assert fraction == pytest.approx(sim.dose_statistic("Heart", DoseStatistic.MEAN) / 30)
    assert f.FunctionValue.FunctionValue == pytest.approx(sim.function_state(sim.function_tags()[0]).value)
