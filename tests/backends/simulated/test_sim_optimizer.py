"""The optimization problem: gradient of the whole objective (bath, auto-scaling, beam restriction)."""

import numpy as np
import pytest

from planflow_qt.backends.simulated import beams, dose_engine, dvh
from planflow_qt.backends.simulated.objectives import Term
from planflow_qt.backends.simulated.optimizer import AutoScale, Problem, optimize
from planflow_qt.model.planning import Arc, Direction, FunctionSpec, FunctionType
from planflow_qt.patients.grid import Grid

T = FunctionType


@pytest.fixture(scope="module")
def setup():
    grid = Grid.centered((160.0, 160.0, 80.0), 10.0)
    x, y, z = grid.mesh_mm
    density = np.where(x**2 / 70.0**2 + y**2 / 60.0**2 + 0.0 * z <= 1.0, 1.0, 0.0).astype(np.float32)
    density[(density > 0) & (x < -20.0)] = 0.25
    geo = dose_engine.DoseGeometry(grid, density, density > 0, dose_engine.BeamModel())
    target = ((x + 10.0) ** 2 + y**2 + z**2 <= 20.0**2) & (density > 0)
    arcs = [Arc(name="A1", gantry_start_deg=300, gantry_stop_deg=60),
            Arc(name="A2", gantry_start_deg=60, gantry_stop_deg=300, direction=Direction.CCW, collimator_deg=350)]
    cps = [cp for arc in arcs for cp in beams.control_points(arc, 40.0)]
    influence = dose_engine.build_influence(geo, (-10.0, 0.0, 0.0), cps, target)
    target_rows = np.flatnonzero(target.ravel()[geo.rows])
    all_rows = np.arange(geo.rows.size)
    terms = [
        Term(FunctionSpec(type=T.MIN_DOSE, roi="PTV", dose_cgy=6000, weight=50), target_rows, 1.0),
        Term(FunctionSpec(type=T.MAX_EUD, roi="PTV", dose_cgy=6100, eud_a=20, weight=10), target_rows, 1.0),
        Term(FunctionSpec(type=T.MAX_DVH, roi="Body", dose_cgy=2000, volume_percent=10, weight=5), all_rows, 1.0),
        Term(FunctionSpec(type=T.MAX_EUD, roi="Body", dose_cgy=500, eud_a=1, weight=3, beams=["A2"]), all_rows, 1.0),
    ]
    return geo, influence, terms, target_rows


def test_objective_gradient_matches_finite_differences(setup):
    geo, influence, terms, target_rows = setup
    problem = Problem(influence, terms, dose_engine.ScatterBath(geo),
                      AutoScale(rows=target_rows, dose_cgy=6000.0, fraction=0.95))
    rng = np.random.default_rng(2)
    weights = rng.uniform(50.0, 150.0, influence.n_beamlets)
    value, grad = problem.objective(weights)
    assert value > 0
    # Directional derivatives: doses are float32, so steps must move the dose well above rounding.
    for _ in range(6):
        direction = rng.normal(size=weights.size)
        step = 0.05  # small enough not to cross the kinks of the DVH terms and the auto-scale
        numeric = (problem.objective(weights + step * direction)[0]
                   - problem.objective(weights - step * direction)[0]) / (2 * step)
        assert float(grad @ direction) == pytest.approx(numeric, rel=0.02)


def test_auto_scaled_objective_ignores_the_dose_level(setup):
    _, influence, terms, target_rows = setup
    problem = Problem(influence, terms, None, AutoScale(rows=target_rows, dose_cgy=6000.0, fraction=None))
    weights = np.random.default_rng(4).uniform(50.0, 150.0, influence.n_beamlets)
    value, grad = problem.objective(weights)
    assert problem.objective(3.0 * weights)[0] == pytest.approx(value, rel=1e-5)
    assert float(grad @ weights) == pytest.approx(0.0, abs=1e-6 * np.abs(grad).sum() * weights.max())


def test_optimize_lowers_the_objective_and_meets_the_prescription(setup):
    geo, influence, terms, target_rows = setup
    problem = Problem(influence, terms, dose_engine.ScatterBath(geo),
                      AutoScale(rows=target_rows, dose_cgy=6000.0, fraction=0.95))
    start = np.full(influence.n_beamlets, 100.0)
    result = optimize(problem, start, iterations=40, tolerance=1e-5)
    assert result.objective < problem.objective(start)[0]
    assert (result.weights >= 0).all() and result.iterations <= 40
    d95 = dvh.dose_at_volume(problem.dose(result.weights)[target_rows].astype(float), 0.95)
    assert d95 == pytest.approx(6000.0, rel=0.02)
