"""Function values on the lung phantom: a fall-off tightened the way the lung flow does it reads about
weight x 4e-4 (docs/function_values.md), so the study's 4e-4 threshold means something for fall-offs too."""

import pytest

from nodes.objectives import AdjustParams, adjusted
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.model.planning import (
    Arc,
    Direction,
    FunctionSpec,
    FunctionType,
    OptimizationSettings,
    PlanSetup,
    Prescription,
)

T = FunctionType


@pytest.fixture(scope="module")
def lung() -> SimulatedBackend:
    b = SimulatedBackend("lung", grid_mm=7.5, seed=0)
    b.create_plan(PlanSetup(name="P", dose_grid_cm=0.75))
    b.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    b.set_isocenter(roi="PTV")
    b.add_vmat_arcs([Arc(name="A1", gantry_start_deg=182, gantry_stop_deg=230, collimator_deg=10),
                     Arc(name="A2", gantry_start_deg=300, gantry_stop_deg=60, collimator_deg=10),
                     Arc(name="A3", gantry_start_deg=178, gantry_stop_deg=130, direction=Direction.CCW)])
    b.set_optimization_settings(OptimizationSettings(iterations=40))
    b.add_function(FunctionSpec(type=T.MIN_DVH, roi="PTV", dose_cgy=6000, volume_percent=98, weight=200))
    b.add_function(FunctionSpec(type=T.MAX_EUD, roi="PTV", dose_cgy=6300, eud_a=150, weight=100))
    for low, cm in ((5700, 0.5), (5100, 1.0), (4500, 1.5), (4200, 2.0)):
        b.add_function(FunctionSpec(type=T.DOSE_FALL_OFF, roi="External", high_dose_cgy=6000, low_dose_cgy=low,
                                    low_dose_distance_cm=cm, weight=20, tag=f"fall-off {cm:g} cm"))
    b.run_optimization()
    b.normalize_to_prescription()
    return b


@pytest.mark.parametrize("tag", ["fall-off 0.5 cm", "fall-off 1 cm", "fall-off 1.5 cm", "fall-off 2 cm"])
def test_a_tightened_fall_off_reads_about_weight_times_4e_4(lung, tag):
    state = lung.function_state(tag)
    tightened = adjusted(state, AdjustParams(field="dose", mode="achieved_factor", amount=0.98))
    assert tightened.low_dose_cgy < state.spec.low_dose_cgy, "tightening lowers the low level"
    lung.update_function(tag, tightened)
    try:
        value = lung.function_state(tag).value
    finally:
        lung.update_function(tag, state.spec)
    assert value > state.value, "a tightened function reads more"
    assert 4e-5 < value / state.spec.weight < 4e-3, f"{tag}: weight x {value / state.spec.weight:.2g}"
