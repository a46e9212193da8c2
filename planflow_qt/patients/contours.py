"""Masks to planar contours, slice by slice, with contourpy (the contour engine matplotlib uses).

Each axial slice of a mask is contoured at level 0.5 on the mask subdivided `SUPERSAMPLE` times per voxel: the
contours follow the voxels' edges, cutting their corners by an eighth of a voxel at most, so every voxel
center of the mask lies inside and every other outside (the even-odd fill of the contours gives back the mask
on its grid), and the area inside is the voxels' area, so a one-voxel-wide ROI keeps its volume when read on
a finer CT. Points along straight edges are dropped. Holes come out as contours of their own, as DICOM expects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planflow_qt.patients.grid import Grid

SUPERSAMPLE = 4


def slice_contours(mask_xy: np.ndarray, x_mm: np.ndarray, y_mm: np.ndarray,
                   supersample: int = SUPERSAMPLE) -> list[np.ndarray]:
    """Closed contours (n x 2 arrays of x, y mm, not repeating the first point) of one slice [x, y], drawn on
    the mask subdivided `supersample` times per voxel (1: between voxel centers)."""
    from contourpy import LineType, contour_generator

    if not mask_xy.any():
        return []
    k = supersample
    h_x, h_y = x_mm[1] - x_mm[0] if len(x_mm) > 1 else 1.0, y_mm[1] - y_mm[0] if len(y_mm) > 1 else 1.0
    padded = np.pad(mask_xy, 1).repeat(k, axis=0).repeat(k, axis=1).astype(np.float32)
    xs = x_mm[0] - 1.5 * h_x + (np.arange(padded.shape[0]) + 0.5) * h_x / k
    ys = y_mm[0] - 1.5 * h_y + (np.arange(padded.shape[1]) + 0.5) * h_y / k
    lines = contour_generator(x=xs, y=ys, z=padded.T, line_type=LineType.Separate).lines(0.5)
    closed = [line[:-1] if np.allclose(line[0], line[-1]) else line for line in lines if len(line) >= 4]
    return [_corners(line) for line in closed]


def _corners(polygon: np.ndarray) -> np.ndarray:
    """The polygon without the points that lie on a straight line between their neighbours."""
    before = polygon - np.roll(polygon, 1, axis=0)
    after = np.roll(polygon, -1, axis=0) - polygon
    turn = np.abs(before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0])
    scale = np.abs(before).max() * np.abs(after).max()
    keep = turn > 1e-9 * max(scale, 1e-12)
    return polygon[keep] if keep.sum() >= 3 else polygon


def mask_contours(mask: np.ndarray, grid: Grid, planes_mm: Sequence[float] = (),
                  supersample: int = SUPERSAMPLE) -> list[tuple[float, np.ndarray]]:
    """(z mm, contour) of every axial slice of a mask on `grid`; with `planes_mm` (the z of the CT slices) on
    each of those planes instead, from the grid slice nearest to it, as structure sets are drawn on the CT."""
    x_mm, y_mm, z_mm = (grid.origin_mm[a] + grid.voxel_mm * np.arange(grid.shape[a]) for a in range(3))
    occupied = set(np.flatnonzero(mask.any(axis=(0, 1))).tolist())
    if not len(planes_mm):
        return [(float(z_mm[k]), c) for k in sorted(occupied)
                for c in slice_contours(mask[:, :, k], x_mm, y_mm, supersample)]
    cache: dict[int, list[np.ndarray]] = {}
    out = []
    for z in planes_mm:
        k = round((z - grid.origin_mm[2]) / grid.voxel_mm)
        if k not in occupied:
            continue
        if k not in cache:
            cache[k] = slice_contours(mask[:, :, k], x_mm, y_mm, supersample)
        out += [(float(z), c) for c in cache[k]]
    return out
