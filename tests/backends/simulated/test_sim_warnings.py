"""Run warnings of the simulated backend: the flow's dose grid replaced by the phantom's (once), and a
constraint still violated after normalization to the prescription."""

from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.engine.backend_log import backend_warnings
from planflow_qt.model.planning import (
    Arc,
    FunctionSpec,
    FunctionType,
    OptimizationSettings,
    PlanSetup,
    Prescription,
)


def test_a_replaced_dose_grid_is_warned_once_naming_both():
    backend = SimulatedBackend("lung", grid_mm=10.0)
    warnings: list[str] = []
    with backend_warnings(warnings.append):
        backend.create_plan(PlanSetup(name="P", dose_grid_cm=0.25))
        backend.create_plan(PlanSetup(name="Q", dose_grid_cm=0.25))
    assert len(warnings) == 1
    assert "0.25 cm dose grid is replaced by the patient's 1.00 cm grid" in warnings[0]
    with backend_warnings(warnings.append):
        SimulatedBackend("lung", grid_mm=10.0).create_plan(PlanSetup(name="P", dose_grid_cm=1.0))
    assert len(warnings) == 1, "the phantom's own grid is not warned"


def test_a_constraint_violated_after_normalization_is_warned():
    backend = SimulatedBackend("lung", grid_mm=10.0)
    backend.create_plan(PlanSetup(name="P", dose_grid_cm=1.0))
    backend.set_prescription(Prescription(roi="PTV", dose_cgy=6000))
    backend.set_isocenter(roi="PTV")
    backend.add_vmat_arcs([Arc(name="A1", gantry_start_deg=182, gantry_stop_deg=178)])
    backend.set_optimization_settings(OptimizationSettings(iterations=10))
    backend.add_function(FunctionSpec(type=FunctionType.MIN_DOSE, roi="PTV", dose_cgy=6000, weight=50))
    backend.add_function(FunctionSpec(type=FunctionType.MAX_DOSE, roi="PTV", dose_cgy=5000, constraint=True,
                                      tag="impossible"))
    warnings: list[str] = []
    with backend_warnings(warnings.append):
        backend.run_optimization()
        assert warnings == [], "judged after normalization, not after each optimization"
        backend.normalize_to_prescription()
    assert len(warnings) == 1 and "constraint impossible is violated after normalization" in warnings[0]
