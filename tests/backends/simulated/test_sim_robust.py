"""Robust IMPT: scenarios, worst-case optimization, robust evaluation, and the IMPT robust example flow."""

from pathlib import Path

import numpy as np
import pytest

from planflow_qt.backends.base import BackendError
from planflow_qt.backends.simulated import SimulatedBackend
from planflow_qt.backends.simulated.robust import power_mean
from planflow_qt.backends.simulated.scenarios import NOMINAL, scenarios
from planflow_qt.engine.events import EventKind
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.builder import FlowBuilder
from planflow_qt.model.files import load_flow
from planflow_qt.model.planning import (
    FunctionSpec,
    FunctionType,
    PlanSetup,
    Prescription,
    ProtonBeam,
    RobustMethod,
    Robustness,
    Technique,
)
from planflow_qt.report.writer import write_report
from planflow_qt.runner import execute

FLOW = Path(__file__).resolve().parents[3] / "flows" / "impt_robust.json"
GRID = 7.5
RX = 7800.0


def test_scenarios_combine_six_shifts_with_three_densities():
    full = scenarios(Robustness())
    assert len(full) == 21 and full[0].name == NOMINAL and len({s.name for s in full}) == 21
    assert sorted({s.density_scale for s in full}) == pytest.approx([0.965, 1.0, 1.035])
    assert max(np.abs(s.shift_mm).max() for s in full) == pytest.approx(5.0)
    left = next(s for s in full if s.name == "left 0.5 cm")
    assert left.shift_mm == (5.0, 0.0, 0.0)  # patient's left is +x
    assert len(scenarios(Robustness(density_percent=0, superior_cm=0, inferior_cm=0))) == 5


def test_power_mean_approaches_the_maximum_with_its_gradient():
    values = np.array([1.0, 3.0, 2.0])
    value, slopes = power_mean(values)
    assert 3.0 * 3 ** (-1 / 12) <= value <= 3.0
    step = 1e-6
    for i in range(3):
        bumped = values.copy()
        bumped[i] += step
        assert (power_mean(bumped)[0] - value) / step == pytest.approx(slopes[i], rel=1e-3, abs=1e-9)


def impt_plan(method: RobustMethod = RobustMethod.COMPOSITE_WORST_CASE, robust: bool = True) -> SimulatedBackend:
    b = SimulatedBackend("prostate", grid_mm=GRID)
    b.create_plan(PlanSetup(name="P", technique=Technique.IMPT, fractions=39))
    b.set_prescription(Prescription(roi="CTV", dose_cgy=RX))
    b.set_isocenter(roi="CTV")
    b.add_proton_beams([ProtonBeam(name="G90", gantry_deg=90), ProtonBeam(name="G270", gantry_deg=270,
                                                                          range_shifter="RS40")])
    b.set_robustness(Robustness(method=method))
    b.add_function(FunctionSpec(roi="CTV", type=FunctionType.MIN_DVH, dose_cgy=RX, volume_percent=98, weight=100,
                                robust=robust))
    b.add_function(FunctionSpec(roi="CTV", type=FunctionType.MAX_DOSE, dose_cgy=1.05 * RX, weight=50,
                                robust=robust))
    b.add_function(FunctionSpec(roi="Rectum", type=FunctionType.MAX_DVH, dose_cgy=7000, volume_percent=5,
                                weight=10))
    return b


@pytest.mark.parametrize("method", list(RobustMethod))
def test_robust_gradient_matches_finite_differences(method):
    b = impt_plan(method)
    problem = b._problem(b._current())
    n = problem.influence.n_beamlets
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 1.5, n) * 30.0
    direction = rng.normal(size=n)
    value, grad = problem.objective(w)
    step = 1e-2  # float32 matrices: smaller steps drown in rounding
    numeric = (problem.objective(w + step * direction)[0] - problem.objective(w - step * direction)[0]) / (2 * step)
    assert value > 0
    assert float(grad @ direction) == pytest.approx(numeric, rel=0.03)


def worst_d98(b: SimulatedBackend, roi: str = "CTV") -> tuple[float, float]:
    values = {}
    for name in b.dose_scenarios():
        with b.scenario(name):
            values[name] = b.dose_at_volume(roi, 98)
    return values[NOMINAL], min(values.values())


@pytest.mark.parametrize("method", list(RobustMethod))
def test_robust_optimization_raises_the_worst_scenario_coverage(method):
    robust, plain = impt_plan(method), impt_plan(method, robust=False)
    for b in (robust, plain):
        b.run_optimization()
        b.normalize_to_prescription()
    assert worst_d98(robust)[1] > worst_d98(plain)[1] + 300.0


def test_scenario_context_reads_a_scenario_dose():
    b = impt_plan()
    b.run_optimization()
    names = b.dose_scenarios()
    assert names[0] == NOMINAL and len(names) == 21
    nominal = b.dose_at_volume("CTV", 98)
    with b.scenario(NOMINAL):
        assert b.dose_at_volume("CTV", 98) == nominal
    with b.scenario("posterior 0.5 cm, density +3.5 %"):
        shifted = b.dose_at_volume("CTV", 98)
    assert shifted != nominal and b.dose_at_volume("CTV", 98) == nominal
    with pytest.raises(BackendError, match="no dose scenario"), b.scenario("sideways"):
        pass


@pytest.fixture(scope="module")
def flow_runs(tmp_path_factory):
    """The example flow as it is (robust) and with every function non-robust, on the prostate case."""
    out = {}
    for robust in (True, False):
        flow = load_flow(FLOW)
        if not robust:
            for node in flow.nodes:
                if node.type == "opt.function":
                    node.params["robust"] = False
        backend = SimulatedBackend("prostate", grid_mm=GRID)
        out[robust] = execute(flow, backend, tmp_path_factory.mktemp(f"robust{robust}"), case="prostate")
    return out


def test_impt_robust_flow_keeps_the_worst_scenario_d98_higher(flow_runs):
    robust, plain = flow_runs[True], flow_runs[False]
    assert robust.result.status == plain.result.status == "completed"
    nominal_r, worst_r = worst_d98(robust.backend)
    nominal_p, worst_p = worst_d98(plain.backend)
    assert nominal_r == pytest.approx(nominal_p, rel=0.02)  # both normalized (CTV D95 = prescription)
    assert worst_r > worst_p + 500.0
    assert worst_r >= 0.95 * RX
    metrics = robust.result.metrics
    assert any("ctv_d98_worst_low" in m for m in metrics.values())


def test_report_shows_scenario_dvh_bands(flow_runs):
    outcome = flow_runs[True]
    html = write_report(outcome).read_text(encoding="utf-8")
    assert "DVH over the robustness scenarios" in html


def dvh_condition_flow(scenario_value: str) -> FlowBuilder:
    b = FlowBuilder("robust condition")
    b.add("plan.current", "plan")
    b.add("roi.match", "ctv", {"name": "CTV"})
    b.add("cond.dvh", "cov", {"name": "cov", "metric": "dose_at_volume", "volume": 98, "scenarios": scenario_value,
                              "comparison": "<", "threshold": 7410})
    b.wire("plan", "cov")
    b.wire("ctv.roi", "cov.roi")
    return b


@pytest.mark.parametrize(("choice", "expected"), [("nominal", 7700.0), ("lowest", 7200.0), ("highest", 7900.0)])
def test_dvh_condition_over_scenarios(choice, expected):
    rb = RecordingBackend(rois=["CTV"], scenarios=["nominal", "left", "right"],
                          answers={"dose_at_volume:CTV": 7700.0, "dose_at_volume:CTV@left": 7200.0,
                                   "dose_at_volume:CTV@right": 7900.0})
    result = Interpreter(dvh_condition_flow(choice).build(), rb, []).run()
    assert result.status == "completed", result.error
    assert result.metrics[0]["cov"] == expected
    assert ("scenario" in rb.names()) == (choice != "nominal")


def test_dvh_condition_without_scenarios_warns_and_reads_the_nominal_dose():
    rb = RecordingBackend(rois=["CTV"], answers={"dose_at_volume:CTV": 7700.0})
    events = []
    result = Interpreter(dvh_condition_flow("lowest").build(), rb, [events.append]).run()
    assert result.metrics[0]["cov"] == 7700.0
    assert any(e.kind is EventKind.WARNING and "no robustness scenarios" in e.message for e in events)
