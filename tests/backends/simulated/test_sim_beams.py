"""Beam geometry: IEC 61217 gantry convention pinned on the dose, control points of arcs."""

import numpy as np
import pytest

from planflow_qt.backends.simulated import beams, dose_engine
from planflow_qt.model.planning import Arc, Direction
from planflow_qt.patients.grid import Grid


@pytest.fixture(scope="module")
def water():
    """A 200 x 200 x 100 mm water box on a 5 mm grid, centered on the origin."""
    grid = Grid.centered((200.0, 200.0, 100.0), 5.0)
    density = np.ones(grid.shape, dtype=np.float32)
    geo = dose_engine.DoseGeometry(grid, density, density > 0, dose_engine.BeamModel())
    x, y, z = grid.mesh_mm
    target = (x**2 + y**2 + z**2) <= 15.0**2
    return geo, target


def _single_beam_dose(water, gantry: float) -> np.ndarray:
    geo, target = water
    cp = beams.ControlPoint(arc="A", gantry_deg=gantry, collimator_deg=0.0, couch_deg=0.0)
    influence = dose_engine.build_influence(geo, (0.0, 0.0, 0.0), [cp], target)
    dose = np.zeros(geo.grid.size)
    dose[geo.rows] = influence.matrix @ np.ones(influence.n_beamlets, dtype=np.float32)
    return dose.reshape(geo.grid.shape)


def _at(grid: Grid, dose: np.ndarray, x: float, y: float) -> float:
    i = round((x - grid.origin_mm[0]) / grid.voxel_mm)
    j = round((y - grid.origin_mm[1]) / grid.voxel_mm)
    k = round(-grid.origin_mm[2] / grid.voxel_mm)
    return float(dose[i, j, k])


def test_gantry_90_enters_from_the_patients_left(water):
    grid = water[0].grid
    dose = _single_beam_dose(water, 90.0)
    left, right = _at(grid, dose, 62.5, 2.5), _at(grid, dose, -62.5, 2.5)  # +x is the patient's left
    assert left > 1.3 * right > 0
    assert _at(grid, dose, 2.5, 62.5) < 0.01 * left  # nothing far off the axis


def test_gantry_270_enters_from_the_right_and_gantry_0_from_anterior(water):
    grid = water[0].grid
    dose = _single_beam_dose(water, 270.0)
    assert _at(grid, dose, -62.5, 2.5) > 1.3 * _at(grid, dose, 62.5, 2.5)
    dose = _single_beam_dose(water, 0.0)
    assert _at(grid, dose, 2.5, -62.5) > 1.3 * _at(grid, dose, 2.5, 62.5)  # -y is anterior


def test_beam_frame_vectors():
    direction, u, v = beams.beam_frame(90.0)
    assert direction == pytest.approx([-1.0, 0.0, 0.0])
    direction, u, v = beams.beam_frame(0.0)
    assert direction == pytest.approx([0.0, 1.0, 0.0])
    assert u == pytest.approx([1.0, 0.0, 0.0]) and v == pytest.approx([0.0, 0.0, 1.0])
    direction, u, v = beams.beam_frame(0.0, couch_deg=90.0)
    assert direction == pytest.approx([0.0, 1.0, 0.0])  # a vertical beam ignores the couch
    assert abs(np.dot(u, [0.0, 0.0, 1.0])) == pytest.approx(1.0)


def test_control_points_wrap_through_zero_in_both_directions():
    cw = beams.control_points(Arc(name="A", gantry_start_deg=300, gantry_stop_deg=60), 12.0)
    ccw = beams.control_points(Arc(name="B", gantry_start_deg=60, gantry_stop_deg=300,
                                   direction=Direction.CCW), 12.0)
    for cps in (cw, ccw):
        assert len(cps) == 10
        assert all(a.gantry_deg >= 300 or a.gantry_deg <= 60 for a in cps)
    # An arc and its opposite sample interleaved angles.
    assert not {round(c.gantry_deg, 6) for c in cw} & {round(c.gantry_deg, 6) for c in ccw}
    assert beams.arc_span_deg(Arc(name="C", gantry_start_deg=181, gantry_stop_deg=179)) == pytest.approx(358)
    assert beams.arc_span_deg(Arc(name="D", gantry_start_deg=10, gantry_stop_deg=10)) == 360.0


@pytest.mark.parametrize(("position", "gantry_0", "gantry_90", "v_at_couch_0"), [
    ("HFS", [0, 1, 0], [-1, 0, 0], [0, 0, 1]),
    ("HFP", [0, -1, 0], [1, 0, 0], [0, 0, 1]),   # prone: gantry 0 enters from posterior
    ("FFS", [0, 1, 0], [1, 0, 0], [0, 0, -1]),   # feet first: the gantry side is inferior
    ("FFP", [0, -1, 0], [-1, 0, 0], [0, 0, -1]),
])
def test_beam_frame_turns_with_the_patient_position(position, gantry_0, gantry_90, v_at_couch_0):
    direction, u, v = beams.beam_frame(0.0, position=position)
    assert direction == pytest.approx(gantry_0) and v == pytest.approx(v_at_couch_0)
    assert np.cross(u, v) == pytest.approx(-direction), "u, v and the beam form a right-handed frame"
    assert beams.beam_frame(90.0, position=position)[0] == pytest.approx(gantry_90)
