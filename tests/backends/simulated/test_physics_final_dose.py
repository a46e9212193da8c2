"""The collapsed-cone final dose: the pencil beam's dose in water, lower and broader in lung."""

import numpy as np
import pytest

from planflow_qt.backends.simulated import beams, dose_engine, final_dose
from planflow_qt.model.planning import Arc
from planflow_qt.patients.grid import Grid


def _plan(lung: bool):
    """A 20 x 20 x 12 cm box (5 mm voxels), one 60 degree arc on a 3 cm target; with `lung`, the target is
    a 1.6 cm tumor in lung plus its margin (as a PTV in lung)."""
    grid = Grid.centered((200.0, 200.0, 120.0), 5.0)
    x, y, z = grid.mesh_mm
    density = np.ones(grid.shape, dtype=np.float32)
    r2 = x**2 + y**2 + z**2
    target = r2 <= 15.0**2
    if lung:
        density[(np.abs(x) < 60.0) & (np.abs(y) < 60.0) & (r2 > 8.0**2)] = 0.25
    geo = dose_engine.DoseGeometry(grid, density, density > 0, dose_engine.BeamModel())
    cps = beams.control_points(Arc(name="A", gantry_start_deg=330, gantry_stop_deg=30), 20.0)
    influence = dose_engine.build_influence(geo, (0.0, 0.0, 0.0), cps, target)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, influence.n_beamlets).astype(np.float32)
    bath = dose_engine.ScatterBath(geo)
    pencil = bath(influence.matrix @ weights)
    collapsed = final_dose.collapsed_cone_dose(geo, (0.0, 0.0, 0.0), cps, target, weights)
    return pencil, collapsed, target.ravel()[geo.rows]


def test_in_water_the_collapsed_cone_dose_is_the_pencil_beam_dose():
    pencil, collapsed, target = _plan(lung=False)
    assert collapsed[target] == pytest.approx(pencil[target], rel=0.01)
    assert collapsed.max() == pytest.approx(pencil.max(), rel=0.01)


def test_in_lung_the_collapsed_cone_dose_of_a_small_target_is_lower():
    """Electrons carry dose out of the target into the lung: the pencil beam overestimates the PTV."""
    pencil, collapsed, target = _plan(lung=True)
    assert collapsed[target].mean() < 0.99 * pencil[target].mean()
    assert np.percentile(collapsed[target], 5) < 0.98 * np.percentile(pencil[target], 5)  # the cold edge
    with pytest.raises(ValueError, match="weights"):
        grid = Grid.centered((60.0, 60.0, 60.0), 5.0)
        geo = dose_engine.DoseGeometry(grid, np.ones(grid.shape, np.float32), np.ones(grid.shape, bool),
                                       dose_engine.BeamModel())
        cp = beams.ControlPoint(arc="A", gantry_deg=0.0, collimator_deg=0.0, couch_deg=0.0)
        final_dose.collapsed_cone_dose(geo, (0.0, 0.0, 0.0), [cp], np.ones(grid.shape, bool), np.ones(3))
