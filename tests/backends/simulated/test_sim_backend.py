"""The simulated backend against the Backend protocol: every call, its errors and its units."""

import numpy as np
import pytest

from planflow_qt.backends.base import Backend, BackendError
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.planning import (
    Arc,
    BooleanOperation,
    ClinicalGoal,
    Direction,
    DoseAlgorithm,
    DoseStatistic,
    FunctionSpec,
    FunctionType,
    GoalCriterion,
    GoalType,
    Margin,
    OptimizationSettings,
    PlanSetup,
    Prescription,
    PrescriptionType,
    ProtonBeam,
    Robustness,
    RoiOperand,
    Technique,
)

GRID = 10.0
ARCS = [Arc(name="A1", gantry_start_deg=182, gantry_stop_deg=230, collimator_deg=10),
        Arc(name="A2", gantry_start_deg=300, gantry_stop_deg=60, collimator_deg=10),
        Arc(name="A3", gantry_start_deg=60, gantry_stop_deg=300, direction=Direction.CCW, collimator_deg=350)]


def planned(iterations: int = 40) -> SimulatedBackend:
    b = SimulatedBackend("lung", grid_mm=GRID)
    b.create_plan(PlanSetup(name="P"))
    b.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    b.set_isocenter(roi="PTV")
    b.add_vmat_arcs(ARCS)
    b.set_optimization_settings(OptimizationSettings(iterations=iterations))
    b.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="PTV", dose_cgy=6000, weight=50))
    b.add_function(FunctionSpec(type=FunctionType.MAX_EUD, roi="PTV", dose_cgy=6300, eud_a=150, weight=50))
    b.add_function(FunctionSpec(type=FunctionType.MAX_DVH, roi="Lungs", dose_cgy=2000, volume_percent=10,
                                weight=5))
    return b


@pytest.fixture(scope="module")
def optimized() -> SimulatedBackend:
    b = planned()
    b.run_optimization()
    b.normalize_to_prescription()
    return b


def test_it_is_a_backend():
    b = SimulatedBackend("lung", grid_mm=GRID)
    assert isinstance(b, Backend) and b.name == "simulated"
    assert {"External", "Lungs", "PTV", "SpinalCord"} <= set(b.roi_names())
    assert b.roi_volume_cc("PTV") == pytest.approx(np.count_nonzero(b.roi_mask("PTV")) * 1.0)


def test_unknown_names_are_refused():
    b = SimulatedBackend("lung", grid_mm=GRID)
    with pytest.raises(BackendError, match="no ROI named 'Cord'"):
        b.roi_volume_cc("Cord")
    with pytest.raises(BackendError, match="no plan"):
        b.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    with pytest.raises(BackendError, match="unknown phantom case"):
        SimulatedBackend("pancreas")
    b.create_plan(PlanSetup(name="P"))
    with pytest.raises(BackendError, match="already exists"):
        b.create_plan(PlanSetup(name="P"))
    with pytest.raises(BackendError, match="no POI"):
        b.set_isocenter(poi="Marker")
    with pytest.raises(BackendError, match="isocenter"):
        b.add_vmat_arcs(ARCS)
    with pytest.raises(BackendError, match="no function tagged"):
        b.function_state("nope")
    with pytest.raises(BackendError, match="no dose"):
        b.dose_at_volume("PTV", volume_percent=95)
    with pytest.raises(BackendError, match="no dose"):
        b.create_roi_from_dose("Iso95", 5700, "Control", "Red")
    with pytest.raises(BackendError, match="no clinical goal template"):
        b.add_clinical_goals([], "Prostate", {})


def test_roi_creation_creates_or_replaces():
    b = SimulatedBackend("lung", grid_mm=GRID)
    b.create_roi_margin("PTV+1", "PTV", Margin.uniform(1.0), "Control", "Blue")
    assert b.roi_volume_cc("PTV+1") > b.roi_volume_cc("PTV")
    b.create_roi_margin("PTV+1", "PTV", Margin.uniform(0.0), "Control", "Blue")
    assert b.roi_volume_cc("PTV+1") == b.roi_volume_cc("PTV")
    b.create_roi_algebra("Lung-PTV", RoiOperand(rois=["Lung_L", "Lung_R"]), RoiOperand(rois=["PTV"]),
                         BooleanOperation.SUBTRACTION, Margin(), "Organ", "")
    assert not (b.roi_mask("Lung-PTV") & b.roi_mask("PTV")).any()
    b.create_roi_wall("Ring", "PTV", 2.0, 0.0, "Control", "")
    assert not (b.roi_mask("Ring") & b.roi_mask("PTV")).any() and b.roi_volume_cc("Ring") > 0
    with pytest.raises(BackendError, match="wall"):
        b.create_roi_wall("Bad", "PTV", 0.0, 0.0, "Control", "")
    assert {"PTV+1", "Lung-PTV", "Ring"} <= set(b.roi_names())


def test_plan_setup_calls():
    b = SimulatedBackend("lung", grid_mm=GRID)
    assert b.use_current_plan() == "PlanFlow"
    assert b.use_current_plan() == "PlanFlow"
    iso = b.set_isocenter(roi="PTV")
    assert iso[0] == pytest.approx(-7.0, abs=0.6) and len(iso) == 3
    assert b.set_isocenter(poi="ISO") == pytest.approx((-7.0, -0.5, 1.5))
    assert b.set_isocenter(position_cm=(1.0, 2.0, 3.0)) == (1.0, 2.0, 3.0)
    b.add_vmat_arcs(ARCS[:1])
    with pytest.raises(BackendError, match="already exists"):
        b.add_vmat_arcs(ARCS[:1])
    with pytest.raises(BackendError, match="is VMAT, not IMPT"):
        b.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90)])
    b.set_robustness(Robustness(density_percent=3.0))
    b.create_plan(PlanSetup(name="Protons", technique=Technique.IMPT))
    with pytest.raises(BackendError, match="IMPT"):
        b.add_vmat_arcs(ARCS[:1])


def test_function_tags_and_states_before_optimization():
    b = planned()
    assert b.function_tags() == ["PTV_MinDose_1", "PTV_MaxEud_1", "Lungs_MaxDvh_1"]
    b.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="PTV", dose_cgy=5900))
    assert b.function_tags()[-1] == "PTV_MinDose_2"
    with pytest.raises(BackendError, match="already exists"):
        b.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="PTV", dose_cgy=5900, tag="PTV_MinDose_2"))
    with pytest.raises(BackendError, match="no beam named"):
        b.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="Heart", dose_cgy=100, beams=["X"]))
    state = b.function_state("PTV_MinDose_1")
    assert state.value is None and state.achieved is None and state.spec.tag == "PTV_MinDose_1"
    b.update_function("PTV_MinDose_2", FunctionSpec(type=FunctionType.MAX_DOSE, roi="Heart", dose_cgy=900))
    assert b.function_state("PTV_MinDose_2").spec.roi == "Heart"


def test_optimization_gives_values_and_normalization_meets_the_prescription(optimized):
    b = optimized
    assert b.dose_at_volume("PTV", volume_percent=95) == pytest.approx(6000.0)
    assert b.volume_at_dose("PTV", 6000.0) == pytest.approx(95.0) and b.volume_at_dose("PTV", 6000.0) >= 95.0
    for tag in b.function_tags():
        state = b.function_state(tag)
        assert state.value is not None and state.value >= 0 and state.achieved is not None
    lungs = b.function_state("Lungs_MaxDvh_1")
    assert lungs.achieved == pytest.approx(b.dose_at_volume("Lungs", volume_percent=10))
    assert b.function_state("PTV_MinDose_1").achieved == pytest.approx(b.dose_statistic("PTV", DoseStatistic.MIN))


def test_dose_queries(optimized):
    b = optimized
    volume = b.roi_volume_cc("Lungs")
    v2000 = b.volume_at_dose("Lungs", 2000.0)
    assert b.volume_at_dose("Lungs", 2000.0, absolute=True) == pytest.approx(v2000 * volume / 100.0)
    assert b.dose_at_volume("PTV", volume_cc=0.03) == pytest.approx(b.dose_statistic("PTV", DoseStatistic.MAX))
    assert b.dose_at_volume("Lungs", volume_cc=0.1 * volume) == pytest.approx(
        b.dose_at_volume("Lungs", volume_percent=10.0))
    assert b.dose_statistic("PTV", DoseStatistic.MIN) < b.dose_statistic("PTV", DoseStatistic.MEAN)
    curve = b.dvh("Lungs", step_cgy=100.0)
    assert curve[0] == (0.0, 100.0) and curve[-1][1] == 0.0
    assert dict(curve)[2000.0] == pytest.approx(v2000)
    with pytest.raises(BackendError, match="exactly one"):
        b.dose_at_volume("PTV")
    grid = b.dose_grid()
    assert grid.dose.shape == b.patient.grid.shape and grid.voxel_mm == GRID
    assert grid.dose[~b.roi_mask("External")].max() == 0.0
    info = b.case_info()
    assert info["case"] == "lung" and info["rois"]["PTV"]["type"] == "Ptv" and "ISO" in info["pois_cm"]


def test_clinical_goals(optimized):
    b = optimized
    mine = ClinicalGoal(roi="PTV", criterion=GoalCriterion.AT_LEAST, type=GoalType.DOSE_AT_VOLUME, level=5000,
                        parameter=95)
    b.add_clinical_goals([mine], "Lung", {"Lungs": "Lungs"})
    with pytest.raises(BackendError, match="identical clinical goal"):
        b.add_clinical_goals([mine], None, {})
    results = b.evaluate_goals()
    assert len(results) == 1 + 9
    first = results[0]
    assert first.goal == mine and first.value == pytest.approx(6000.0) and first.met
    v6000 = next(r for r in results if r.goal.type is GoalType.VOLUME_AT_DOSE and r.goal.roi == "PTV")
    assert v6000.value == pytest.approx(95.0) and v6000.met
    mean_lung = next(r for r in results if r.goal.roi == "Lungs" and r.goal.type is GoalType.AVERAGE_DOSE)
    assert mean_lung.value == pytest.approx(b.dose_statistic("Lungs", DoseStatistic.MEAN))


def test_roi_from_dose_final_dose_and_session_calls(optimized):
    b = optimized
    b.create_roi_from_dose("Iso95", 5700.0, "Control", "Red")
    assert b.roi_mask("PTV").sum() * 0.5 < b.roi_mask("Iso95").sum()
    before = b.dose_grid().dose.copy()
    b.compute_final_dose(DoseAlgorithm.PENCIL_BEAM)
    assert np.allclose(b.dose_grid().dose, before, rtol=1e-5, atol=1e-3)  # the optimization's own engine
    b.compute_final_dose(DoseAlgorithm.COLLAPSED_CONE)
    collapsed_cone = b.dose_grid().dose
    lungs = b.roi_mask("Lungs")
    assert not np.allclose(collapsed_cone, before, rtol=1e-3, atol=1.0)
    assert collapsed_cone[lungs].mean() == pytest.approx(before[lungs].mean(), rel=0.1)
    b.compute_final_dose(DoseAlgorithm.PENCIL_BEAM)
    b.wait_for_user("check the plan")
    b.progress("half way", 50.0)
    b.save()
    b.save()
    assert b.saves == 2
    with b.step("a node"):
        pass


def test_other_prescription_kinds_normalize():
    b = planned(iterations=15)
    b.run_optimization()
    b.set_prescription(Prescription(roi="PTV", dose_cgy=5000, kind=PrescriptionType.AVERAGE_DOSE))
    b.normalize_to_prescription()
    assert b.dose_statistic("PTV", DoseStatistic.MEAN) == pytest.approx(5000.0)
    b.set_prescription(Prescription(roi="PTV", dose_cgy=5000, kind=PrescriptionType.MEDIAN_DOSE))
    b.normalize_to_prescription()
    assert b.dose_at_volume("PTV", volume_percent=50) == pytest.approx(5000.0)


def test_reset_discards_the_dose_and_values():
    b = planned(iterations=10)
    b.run_optimization()
    b.reset_optimization()
    assert b.function_state("PTV_MinDose_1").value is None
    with pytest.raises(BackendError, match="no dose"):
        b.dose_statistic("PTV", DoseStatistic.MEAN)
    b.run_optimization()
    assert b.function_state("PTV_MinDose_1").value is not None


def test_constraints_beam_restrictions_and_every_function_type_optimize():
    b = planned(iterations=15)
    b.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="SpinalCord", dose_cgy=2000, constraint=True))
    b.add_function(FunctionSpec(type=FunctionType.UNIFORMITY_CONSTRAINT, roi="CTV", std_dev_percent=5,
                                constraint=True))
    b.add_function(FunctionSpec(type=FunctionType.MIN_DVH, roi="CTV", dose_cgy=6000, volume_percent=99))
    b.add_function(FunctionSpec(type=FunctionType.UNIFORM_DOSE, roi="GTV", dose_cgy=6200))
    b.add_function(FunctionSpec(type=FunctionType.TARGET_EUD, roi="CTV", dose_cgy=6100, eud_a=-10))
    b.add_function(FunctionSpec(type=FunctionType.MIN_EUD, roi="CTV", dose_cgy=6000, eud_a=-150))
    b.add_function(FunctionSpec(type=FunctionType.MAX_EUD, roi="Heart", dose_cgy=300, eud_a=1, beams=["A2"]))
    b.add_function(FunctionSpec(type=FunctionType.DOSE_FALL_OFF, roi="External", high_dose_cgy=6000,
                                low_dose_cgy=3000, low_dose_distance_cm=2.0, robust=True))
    b.run_optimization()
    states = [b.function_state(t) for t in b.function_tags()]
    assert all(s.value is not None for s in states)
    assert b.function_state("CTV_UniformityConstraint_1").achieved is None
    assert b.dose_at_volume("SpinalCord", volume_percent=0.1) < 2100.0
