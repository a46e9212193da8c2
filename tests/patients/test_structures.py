"""Contours to masks and back: the even-odd rule for holes and several polygons, contourpy contours."""

from __future__ import annotations

import numpy as np

from planflow_qt.patients.contours import mask_contours, slice_contours
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.structures import even_odd_fill


def _square(x0, y0, x1, y1, clockwise=False):
    points = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)
    return points[::-1] if clockwise else points


def test_a_contour_inside_another_is_a_hole_whatever_its_winding():
    for clockwise in (False, True):
        mask = even_odd_fill([_square(1.5, 1.5, 8.5, 8.5), _square(3.5, 3.5, 6.5, 6.5, clockwise)], (10, 10))
        assert mask[2, 2] and mask[8, 8] and not mask[5, 5] and not mask[0, 0]
        assert mask.sum() == 49 - 9


def test_two_polygons_on_a_slice_are_both_filled_and_their_overlap_is_not():
    mask = even_odd_fill([_square(0.5, 0.5, 3.5, 3.5), _square(6.5, 6.5, 8.5, 8.5)], (10, 10))
    assert mask.sum() == 9 + 4
    overlap = even_odd_fill([_square(0.5, 0.5, 4.5, 4.5), _square(2.5, 2.5, 6.5, 6.5)], (10, 10))
    assert not overlap[3, 3] and overlap[1, 1] and overlap[5, 5]


def test_polygons_beyond_the_image_are_clipped():
    mask = even_odd_fill([_square(-5.0, -5.0, 2.5, 2.5)], (4, 4))
    assert mask.sum() == 9


def test_contours_of_a_mask_rasterize_back_to_the_mask():
    rng = np.random.default_rng(1)
    mask = np.zeros((30, 20), dtype=bool)
    mask[4:25, 3:17] = True
    mask[10:14, 6:9] = False  # a hole
    mask[rng.integers(0, 30, 12), rng.integers(0, 20, 12)] = True  # specks, some touching diagonally
    x_mm, y_mm = 2.0 * np.arange(30) - 20.0, 2.0 * np.arange(20) + 5.0
    polygons = [np.column_stack([(c[:, 0] + 20.0) / 2.0, (c[:, 1] - 5.0) / 2.0])
                for c in slice_contours(mask, x_mm, y_mm)]
    assert np.array_equal(even_odd_fill(polygons, mask.shape), mask)


def test_mask_contours_follow_the_ct_planes_when_given():
    grid = Grid(shape=(6, 6, 3), voxel_mm=10.0, origin_mm=(0.0, 0.0, 0.0))
    mask = np.zeros(grid.shape, dtype=bool)
    mask[2:4, 2:4, 1] = True
    assert [z for z, _ in mask_contours(mask, grid)] == [10.0]
    assert [z for z, _ in mask_contours(mask, grid, planes_mm=[4.0, 7.5, 10.0, 12.5, 16.0])] == [7.5, 10.0, 12.5]
