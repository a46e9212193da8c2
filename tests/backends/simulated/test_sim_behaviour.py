"""The engine answers like a planning system: tightening an objective moves the dose the expected way."""

import pytest

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.planning import (
    Arc,
    Direction,
    DoseStatistic,
    FunctionSpec,
    FunctionType,
    OptimizationSettings,
    PlanSetup,
    Prescription,
)

T = FunctionType
GRID = 7.5


def plan(*extra: FunctionSpec, lung_weight: float = 1.0) -> SimulatedBackend:
    """The lung case with the study's six arcs, a few target functions and `extra`; optimized, normalized."""
    b = SimulatedBackend("lung", grid_mm=GRID)
    b.create_plan(PlanSetup(name="P"))
    b.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    b.set_isocenter(roi="PTV")
    arcs = []
    for i, (start, stop) in enumerate([(182, 230), (300, 60), (130, 178)]):
        arcs.append(Arc(name=f"CW{i}", gantry_start_deg=start, gantry_stop_deg=stop, collimator_deg=10))
        arcs.append(Arc(name=f"CCW{i}", gantry_start_deg=stop, gantry_stop_deg=start, direction=Direction.CCW,
                        collimator_deg=350))
    b.add_vmat_arcs(arcs)
    b.set_optimization_settings(OptimizationSettings(iterations=60))
    for spec in (
        FunctionSpec(type=T.MIN_DOSE, roi="PTV", dose_cgy=6000, weight=50),
        FunctionSpec(type=T.MIN_DVH, roi="PTV", dose_cgy=6000, volume_percent=98, weight=200),
        FunctionSpec(type=T.MAX_EUD, roi="PTV", dose_cgy=6300, eud_a=150, weight=50),
        FunctionSpec(type=T.DOSE_FALL_OFF, roi="External", high_dose_cgy=6000, low_dose_cgy=3000,
                     low_dose_distance_cm=2.0, weight=10),
        FunctionSpec(type=T.MAX_DVH, roi="Lungs", dose_cgy=2000, volume_percent=5, weight=lung_weight),
        *extra,
    ):
        b.add_function(spec)
    b.run_optimization()
    b.normalize_to_prescription()
    return b


@pytest.fixture(scope="module")
def baseline() -> SimulatedBackend:
    return plan()


def test_raising_a_lung_max_dvh_weight_lowers_lung_v20(baseline):
    heavy = plan(lung_weight=1000.0)
    assert heavy.volume_at_dose("Lungs", 2000.0) < baseline.volume_at_dose("Lungs", 2000.0) - 0.5
    assert heavy.volume_at_dose("PTV", 6000.0) == pytest.approx(95.0)


def test_adding_a_cord_max_dose_lowers_the_cord_maximum(baseline):
    before = baseline.dose_at_volume("SpinalCord", volume_cc=0.03)
    spared = plan(FunctionSpec(type=T.MAX_DOSE, roi="SpinalCord", dose_cgy=0.5 * before, weight=100))
    assert spared.dose_at_volume("SpinalCord", volume_cc=0.03) < 0.8 * before


def test_a_met_objective_barely_moves_the_plan(baseline):
    heart = baseline.dose_statistic("Heart", DoseStatistic.MEAN)
    met = FunctionSpec(type=T.MAX_EUD, roi="Heart", dose_cgy=3.0 * heart + 100.0, eud_a=1)
    light = plan(met.model_copy(update={"weight": 1.0}))
    heavy = plan(met.model_copy(update={"weight": 1000.0}))
    assert heavy.function_state("Heart_MaxEud_1").value == 0.0
    for roi in ("Lungs", "Heart", "PTV"):
        a, b = light.dose_statistic(roi, DoseStatistic.MEAN), heavy.dose_statistic(roi, DoseStatistic.MEAN)
        assert b == pytest.approx(a, rel=0.01)
