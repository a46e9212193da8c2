"""From the CT grid to the dose grid: the fraction of each dose voxel an ROI (or the body) fills.

A dose voxel's fraction is the mean of the CT voxels within its footprint (a box filter as wide as the dose
voxel), read at the dose voxel's center; a dose voxel belongs to the ROI when more than half of it does (ties
are broken by a wider box, see `roi_on_grid`). An ROI
too small to fill half of any dose voxel keeps the voxel it fills most, so small helper ROIs never vanish.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from planflow_qt.patients.ct import CtImage
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.structures import RoiRaster

INSIDE = 0.5
BODY_MARGIN_MM = 10.0
TIE = 1e-4


def dose_grid(ct: CtImage, voxel_mm: float, body: tuple[slice, slice, slice] | None = None) -> Grid:
    """The dose grid of cubic `voxel_mm` voxels over the CT, or over the box `body` (CT indices) grown by
    `BODY_MARGIN_MM` within the CT, as planning systems fit the dose grid to the body: the same center, as many
    voxels as fit the extent."""
    low = np.array(ct.origin_mm) - np.array(ct.spacing_mm) / 2
    high = low + ct.extent_mm
    if body is not None:
        spacing = np.array(ct.spacing_mm)
        box_low = low + spacing * [b.start for b in body]
        box_high = low + spacing * [b.stop for b in body]
        low, high = np.maximum(low, box_low - BODY_MARGIN_MM), np.minimum(high, box_high + BODY_MARGIN_MM)
    shape = tuple(max(1, round(e / voxel_mm)) for e in high - low)
    center = (low + high) / 2
    origin = tuple(float(c - (n - 1) * voxel_mm / 2.0) for c, n in zip(center, shape, strict=True))
    return Grid(shape=shape, voxel_mm=float(voxel_mm), origin_mm=origin)


def _footprint(ct: CtImage, grid: Grid) -> tuple[int, int, int]:
    return tuple(max(1, round(grid.voxel_mm / s)) for s in ct.spacing_mm)


def _coordinates(ct: CtImage, grid: Grid, size: tuple[int, int, int], box=None):
    """CT index coordinates (per axis) of the dose voxel centers, shifted for an even-sized box filter
    (`uniform_filter` centers an even window half a voxel low)."""
    out = []
    for axis in range(3):
        centers = grid.origin_mm[axis] + grid.voxel_mm * np.arange(grid.shape[axis])
        index = (centers - ct.origin_mm[axis]) / ct.spacing_mm[axis]
        if size[axis] % 2 == 0:
            index = index + 0.5
        if box is not None:
            index = index - box[axis].start
        out.append(index)
    return out


def _sample(volume: np.ndarray, coords: list[np.ndarray], cval: float) -> np.ndarray:
    """`volume` linearly interpolated at the outer product of per-axis coordinates (only where they fall)."""
    inside = [np.flatnonzero((c >= -0.5) & (c <= n - 0.5)) for c, n in zip(coords, volume.shape, strict=True)]
    out = np.full(tuple(len(c) for c in coords), cval, dtype=np.float32)
    if any(i.size == 0 for i in inside):
        return out
    mesh = np.meshgrid(*(np.clip(c[i], 0, n - 1) for c, i, n in zip(coords, inside, volume.shape, strict=True)),
                       indexing="ij")
    values = ndimage.map_coordinates(volume, mesh, order=1, mode="nearest")
    out[np.ix_(*inside)] = values
    return out


def fraction_on_grid(ct: CtImage, grid: Grid, box: tuple[slice, slice, slice], mask: np.ndarray,
                     widen: int = 1) -> np.ndarray:
    """The fraction (0-1) of each dose voxel that a mask on the CT grid (within `box`) fills; with `widen` 2,
    of a box twice as wide around each dose voxel's center."""
    size = tuple(s * widen for s in _footprint(ct, grid))
    pad = [s // 2 + 1 for s in size]
    padded = np.pad(mask.astype(np.float32), [(p, p) for p in pad])
    smooth = ndimage.uniform_filter(padded, size=size, mode="constant")
    shifted = tuple(slice(b.start - p, b.stop + p) for b, p in zip(box, pad, strict=True))
    return _sample(smooth, _coordinates(ct, grid, size, shifted), 0.0)


def roi_on_grid(ct: CtImage, grid: Grid, roi: RoiRaster) -> np.ndarray:
    """The ROI's mask on the dose grid: voxels more than half inside. A voxel exactly half inside (the surface
    through its center, common when the CT voxels divide the dose voxel evenly) is inside when the ROI fills at
    least half of a box twice as wide around it: out on a convex surface, in on a concave one. An ROI filling
    no voxel by half keeps the voxel it fills most."""
    fraction = fraction_on_grid(ct, grid, roi.box, roi.mask)
    mask = fraction > INSIDE + TIE
    ties = np.abs(fraction - INSIDE) <= TIE
    if ties.any():
        mask |= ties & (fraction_on_grid(ct, grid, roi.box, roi.mask, widen=2) >= INSIDE - TIE)
    if not mask.any() and fraction.max() > 0:
        mask[np.unravel_index(int(np.argmax(fraction)), fraction.shape)] = True
    return mask


def density_on_grid(ct: CtImage, grid: Grid, density_ct: np.ndarray, body_ct: np.ndarray,
                    body: np.ndarray) -> np.ndarray:
    """Relative electron density on the dose grid: the mean density of the body's part of each voxel (air and
    couch outside the body count for nothing), 0 outside the body. `density_ct` is overwritten (it is the
    largest array of an import; working in place keeps a 512 x 512 x 200 CT within memory)."""
    size = _footprint(ct, grid)
    coords = _coordinates(ct, grid, size)
    density_ct *= body_ct
    ndimage.uniform_filter(density_ct, size=size, output=density_ct, mode="nearest")
    tissue = _sample(density_ct, coords, 0.0)
    density_ct[...] = body_ct
    ndimage.uniform_filter(density_ct, size=size, output=density_ct, mode="nearest")
    share = _sample(density_ct, coords, 0.0)
    return np.where(body & (share > 0), tissue / np.maximum(share, 1e-6), 0.0).astype(np.float32)
