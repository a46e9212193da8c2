"""Masks to planar contours, slice by slice, with contourpy (the contour engine matplotlib uses).

Each axial slice of a mask is contoured at level 0.5 between voxel centers: every voxel center of the mask
lies inside the contours and every other one outside, so rasterizing the contours by the even-odd rule gives
back the mask on its grid. Holes come out as contours of their own, as DICOM expects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planflow_qt.patients.grid import Grid


def slice_contours(mask_xy: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray) -> list[np.ndarray]:
    """Closed contours (n x 2 arrays of x, y mm, not repeating the first point) of one slice [x, y]."""
    from contourpy import LineType, contour_generator

    if not mask_xy.any():
        return []
    h_x, h_y = x_mm[1] - x_mm[0] if len(x_mm) > 1 else 1.0, y_mm[1] - y_mm[0] if len(y_mm) > 1 else 1.0
    padded = np.pad(mask_xy, 1).astype(np.float32)
    xs = np.concatenate([[x_mm[0] - h_x], x_mm, [x_mm[-1] + h_x]])
    ys = np.concatenate([[y_mm[0] - h_y], y_mm, [y_mm[-1] + h_y]])
    lines = contour_generator(x=xs, y=ys, z=padded.T, line_type=LineType.Separate).lines(0.5)
    return [line[:-1] if np.allclose(line[0], line[-1]) else line for line in lines if len(line) >= 4]


def mask_contours(mask: np.ndarray, grid: Grid, planes_mm: Sequence[float] = ()) -> list[tuple[float, np.ndarray]]:
    """(z mm, contour) of every axial slice of a mask on `grid`; with `planes_mm` (the z of the CT slices) on
    each of those planes instead, from the grid slice nearest to it, as structure sets are drawn on the CT."""
    x_mm, y_mm, z_mm = (grid.origin_mm[a] + grid.voxel_mm * np.arange(grid.shape[a]) for a in range(3))
    occupied = set(np.flatnonzero(mask.any(axis=(0, 1))).tolist())
    if not len(planes_mm):
        return [(float(z_mm[k]), c) for k in sorted(occupied) for c in slice_contours(mask[:, :, k], x_mm, y_mm)]
    cache: dict[int, list[np.ndarray]] = {}
    out = []
    for z in planes_mm:
        k = round((z - grid.origin_mm[2]) / grid.voxel_mm)
        if k not in occupied:
            continue
        if k not in cache:
            cache[k] = slice_contours(mask[:, :, k], x_mm, y_mm)
        out += [(float(z), c) for c in cache[k]]
    return out
