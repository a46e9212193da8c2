"""ROI margins, booleans and walls against analytic shapes."""

import math

import numpy as np
import pytest

from planflow_qt.model.planning import BooleanOperation, Margin, MarginType
from planflow_qt.patients import masks

H = 2.0  # mm


def _ball(radius_mm: float, n: int = 60, center=(0.7, -0.4, 0.3)) -> tuple[np.ndarray, tuple]:
    ax = (np.arange(n) - n / 2) * H
    x, y, z = np.meshgrid(ax, ax, ax, indexing="ij")
    return (x - center[0]) ** 2 + (y - center[1]) ** 2 + (z - center[2]) ** 2 <= radius_mm**2, (x, y, z)


def _sphere_cc(radius_mm: float) -> float:
    return 4.0 / 3.0 * math.pi * radius_mm**3 / 1000.0


def test_volume_is_count_times_voxel_volume():
    mask = np.zeros((4, 4, 4), dtype=bool)
    mask[:2, :3, :1] = True
    assert masks.volume_cc(mask, 5.0) == pytest.approx(6 * 0.125)


@pytest.mark.parametrize(("radius", "margin"), [(20.0, 10.0), (15.0, 10.0), (25.0, 20.0), (30.0, 6.0)])
def test_sphere_expansion_matches_the_analytic_sphere(radius, margin):
    ball, _ = _ball(radius)
    grown = masks.apply_margin(ball, Margin.uniform(margin / 10.0), H)
    assert masks.volume_cc(grown, H) == pytest.approx(_sphere_cc(radius + margin), rel=0.03)


@pytest.mark.parametrize(("radius", "margin"), [(40.0, 15.0), (30.0, 10.0), (25.0, 5.0)])
def test_sphere_contraction_matches_the_analytic_sphere(radius, margin):
    ball, _ = _ball(radius)
    shrunk = masks.apply_margin(ball, Margin.uniform(margin / 10.0, MarginType.CONTRACT), H)
    assert masks.volume_cc(shrunk, H) == pytest.approx(_sphere_cc(radius - margin), rel=0.05)


def test_six_direction_margin_grows_only_toward_the_patients_left():
    ball, (x, _, _) = _ball(20.0)
    grown = masks.apply_margin(ball, Margin(left_cm=1.0), H)
    added = grown & ~ball
    assert added.any() and x[added].min() > 0  # +x is the patient's left
    # The added volume is the ball's cross-section swept over 10 mm (a half-ellipsoid cap beyond).
    expected = math.pi * 20.0**2 * 10.0 / 1000.0 + 0.0
    assert masks.volume_cc(added, H) == pytest.approx(expected, rel=0.1)


def test_asymmetric_margin_directions():
    box = np.zeros((20, 20, 20), dtype=bool)
    box[8:12, 8:12, 8:12] = True
    grown = masks.apply_margin(box, Margin(superior_cm=0.4, anterior_cm=0.2), H)
    idx = np.argwhere(grown)
    assert idx[:, 2].max() == 11 + 2 and idx[:, 2].min() == 8  # superior is +z
    assert idx[:, 1].min() == 8 - 1 and idx[:, 1].max() == 11  # anterior is -y
    assert (idx[:, 0].min(), idx[:, 0].max()) == (8, 11)
    shrunk = masks.apply_margin(box, Margin(type=MarginType.CONTRACT, left_cm=0.2, inferior_cm=0.2), H)
    idx = np.argwhere(shrunk)
    assert (idx[:, 0].min(), idx[:, 0].max()) == (8, 10)
    assert (idx[:, 2].min(), idx[:, 2].max()) == (9, 11)


def test_uniform_and_six_direction_margins_agree():
    ball, _ = _ball(12.0, n=30)
    uniform = masks.apply_margin(ball, Margin.uniform(0.6), H)
    element = masks._dilate(ball, masks._element(dict.fromkeys(
        ("superior", "inferior", "anterior", "posterior", "right", "left"), 6.0 + masks.EXPAND_OFFSET * H), H))
    assert np.array_equal(uniform, element)


def test_a_margin_of_half_a_voxel_moves_a_flat_face_by_one_voxel():
    cord = np.zeros((9, 9, 9), dtype=bool)
    cord[4, 4, :] = True
    grown = masks.apply_margin(cord, Margin.uniform(0.3), 5.0)  # 3 mm on a 5 mm grid
    assert grown.sum() == 5 * cord.sum()
    assert masks.apply_margin(cord, Margin.uniform(0.2), 5.0).sum() == cord.sum()
    box = np.zeros((9, 9, 9), dtype=bool)
    box[2:7, 2:7, 2:7] = True
    assert masks.apply_margin(box, Margin.uniform(0.3, MarginType.CONTRACT), 5.0).sum() == 27
    assert masks.apply_margin(box, Margin(type=MarginType.CONTRACT, left_cm=0.3), 5.0).sum() == 100


def test_zero_margin_is_a_copy():
    ball, _ = _ball(10.0, n=20)
    same = masks.apply_margin(ball, Margin(), H)
    assert np.array_equal(same, ball) and same is not ball


def test_contraction_treats_the_grid_edge_as_outside():
    full = np.ones((10, 10, 10), dtype=bool)
    assert np.argwhere(masks.contract(full, 2.0, H)).min() == 1


def test_booleans():
    a = np.zeros((10, 10, 10), dtype=bool)
    b = np.zeros_like(a)
    a[:6], b[4:] = True, True
    assert masks.boolean(a, b, BooleanOperation.UNION).sum() == 1000
    assert masks.boolean(a, b, BooleanOperation.INTERSECTION).sum() == 200
    assert masks.boolean(a, b, BooleanOperation.SUBTRACTION).sum() == 400
    assert masks.boolean(a, b, BooleanOperation.NONE).sum() == 600
    assert masks.combine([a, b], "Intersection").sum() == 200


def test_wall_is_the_shell_between_the_surfaces():
    ball, _ = _ball(20.0)
    ring = masks.wall(ball, 10.0, 0.0, H)
    assert not (ring & ball).any()
    assert masks.volume_cc(ring, H) == pytest.approx(_sphere_cc(30.0) - _sphere_cc(20.0), rel=0.05)
    both = masks.wall(ball, 5.0, 5.0, H)  # margins of 2.5 voxels: quantization costs a few %
    assert masks.volume_cc(both, H) == pytest.approx(_sphere_cc(25.0) - _sphere_cc(15.0), rel=0.1)


def test_roi_from_dose_and_distance():
    dose = np.arange(27, dtype=float).reshape(3, 3, 3)
    assert masks.from_dose(dose, 20.0).sum() == 7
    point = np.zeros((1, 1, 9), dtype=bool)
    point[0, 0, 0] = True
    dist = masks.distance_outside_mm(point, H)
    assert dist[0, 0, 0] == 0.0
    assert np.all(np.diff(dist[0, 0, 1:]) == pytest.approx(H))
