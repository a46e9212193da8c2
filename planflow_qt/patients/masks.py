"""ROI masks and their algebra: margins, booleans, walls, isodose ROIs, volumes.

Masks are boolean arrays on a grid of cubic voxels indexed [x, y, z] (x to the patient's left,
y posterior, z superior). A voxel belongs to an expanded ROI when its center lies within the margin of the
ROI's surface; that surface is taken a fraction of a voxel beyond the outermost voxel centers (`EXPAND_OFFSET`,
`CONTRACT_OFFSET`: the offsets that make margins of voxelized spheres match the analytic volumes on 2-5 mm
grids), and a margin of half a voxel or more moves a flat face by at least one voxel. Outside the grid is
outside every ROI.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import ndimage

from planflow_qt.model.planning import BooleanOperation, Margin, MarginType

EXPAND_OFFSET = 0.3
"""Distance (voxels) added to an expansion: the ROI surface lies beyond the outermost voxel centers."""
CONTRACT_OFFSET = 0.25
"""Distance (voxels) added to a contraction, for the same reason."""


def volume_cc(mask: np.ndarray, voxel_mm: float) -> float:
    """Volume of a mask (cc): voxel count x voxel volume."""
    return float(np.count_nonzero(mask)) * voxel_mm**3 / 1000.0


def _reach(mm: float, voxel_mm: float, offset: float) -> float:
    """Distance from the outermost voxel centers that a margin of `mm` reaches (0 for no margin)."""
    if mm <= 0:
        return 0.0
    reach = mm + offset * voxel_mm
    return max(reach, voxel_mm) if mm >= voxel_mm / 2.0 else reach


def _box(mask: np.ndarray, pad: int) -> tuple[slice, ...] | None:
    """The bounding box of `mask` grown by `pad` voxels and clipped to the array; None if empty."""
    box = []
    for axis, n in enumerate(mask.shape):
        hit = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        if hit.size == 0:
            return None
        box.append(slice(max(0, int(hit[0]) - pad), min(n, int(hit[-1]) + pad + 1)))
    return tuple(box)


def expand(mask: np.ndarray, mm: float, voxel_mm: float) -> np.ndarray:
    """Expand a mask by `mm` in every direction (Euclidean distance transform)."""
    if mm <= 0:
        return mask.copy()
    reach = _reach(mm, voxel_mm, EXPAND_OFFSET)
    box = _box(mask, int(np.ceil(reach / voxel_mm)) + 1)
    out = np.zeros_like(mask, dtype=bool)
    if box is None:
        return out
    dist = ndimage.distance_transform_edt(~mask[box], sampling=voxel_mm)
    out[box] = dist <= reach + 1e-6
    return out


def contract(mask: np.ndarray, mm: float, voxel_mm: float) -> np.ndarray:
    """Contract a mask by `mm` in every direction (Euclidean distance transform)."""
    if mm <= 0:
        return mask.copy()
    out = np.zeros_like(mask, dtype=bool)
    box = _box(mask, 1)
    if box is None:
        return out
    sub = np.pad(mask[box], 1)
    dist = ndimage.distance_transform_edt(sub, sampling=voxel_mm)[1:-1, 1:-1, 1:-1]
    out[box] = dist > _reach(mm, voxel_mm, CONTRACT_OFFSET) + 1e-6
    return out


def _element(reach_mm: dict[str, float], voxel_mm: float) -> np.ndarray:
    """Structuring element of a six-direction margin: one ellipsoid per octant, centered array."""
    terms = []
    for neg, pos in (("right", "left"), ("anterior", "posterior"), ("inferior", "superior")):
        n = int(np.floor(max(reach_mm[neg], reach_mm[pos]) / voxel_mm + 1e-9))
        term = np.zeros(2 * n + 1)
        for i, off in enumerate(np.arange(-n, n + 1) * voxel_mm):
            semi = reach_mm[neg] if off < 0 else reach_mm[pos]
            if off != 0:
                term[i] = (off / semi) ** 2 if semi > 0 else np.inf
        terms.append(term)
    ex, ey, ez = terms
    return (ex[:, None, None] + ey[None, :, None] + ez[None, None, :]) <= 1.0 + 1e-9


def _dilate(mask: np.ndarray, element: np.ndarray) -> np.ndarray:
    """Minkowski sum of `mask` and a centered element (offsets point from a mask voxel to the result)."""
    pad = max(element.shape) // 2
    out = np.zeros_like(mask, dtype=bool)
    box = _box(mask, pad + 1)
    if box is None:
        return out
    out[box] = ndimage.binary_dilation(mask[box], structure=element)
    return out


def apply_margin(mask: np.ndarray, margin: Margin, voxel_mm: float) -> np.ndarray:
    """Expand or contract a mask by a six-direction margin (cm in `margin`)."""
    mm = {k: getattr(margin, f"{k}_cm") * 10.0
          for k in ("superior", "inferior", "anterior", "posterior", "right", "left")}
    values = set(mm.values())
    if values == {0.0}:
        return mask.copy()
    if margin.type is MarginType.EXPAND:
        if len(values) == 1:
            return expand(mask, values.pop(), voxel_mm)
        reach = {k: _reach(v, voxel_mm, EXPAND_OFFSET) for k, v in mm.items()}
        return _dilate(mask, _element(reach, voxel_mm))
    if len(values) == 1:
        return contract(mask, values.pop(), voxel_mm)
    # Erosion = complement of the dilation of the complement by the mirrored margin; the grid's
    # outside counts as outside the ROI.
    mirror = {"superior": "inferior", "inferior": "superior", "anterior": "posterior",
              "posterior": "anterior", "right": "left", "left": "right"}
    reach = {mirror[k]: _reach(v, voxel_mm, CONTRACT_OFFSET) for k, v in mm.items()}
    element = _element(reach, voxel_mm)
    pad = max(element.shape) // 2 + 1
    outside = np.pad(~mask, pad, constant_values=True)
    grown = ndimage.binary_dilation(outside, structure=element)
    return ~grown[pad:-pad, pad:-pad, pad:-pad]


def combine(masks: Iterable[np.ndarray], how: str = "Union") -> np.ndarray:
    """Union or intersection of masks."""
    masks = list(masks)
    op = np.logical_or if how == "Union" else np.logical_and
    return op.reduce(masks) if len(masks) > 1 else masks[0].copy()


def boolean(a: np.ndarray, b: np.ndarray | None, operation: BooleanOperation) -> np.ndarray:
    """A op B; with operation None (or no B) the result is A."""
    if b is None or operation is BooleanOperation.NONE:
        return a.copy()
    if operation is BooleanOperation.UNION:
        return a | b
    if operation is BooleanOperation.INTERSECTION:
        return a & b
    return a & ~b


def wall(mask: np.ndarray, outward_mm: float, inward_mm: float, voxel_mm: float) -> np.ndarray:
    """A shell: `outward_mm` outside the ROI surface and `inward_mm` inside it."""
    return expand(mask, outward_mm, voxel_mm) & ~contract(mask, inward_mm, voxel_mm)


def from_dose(dose: np.ndarray, threshold: float) -> np.ndarray:
    """The voxels receiving at least `threshold`."""
    return dose >= threshold


def distance_outside_mm(mask: np.ndarray, voxel_mm: float) -> np.ndarray:
    """Distance (mm) of each voxel center from the ROI surface; 0 inside the ROI."""
    dist = ndimage.distance_transform_edt(~mask, sampling=voxel_mm) - EXPAND_OFFSET * voxel_mm
    return np.where(mask, 0.0, np.maximum(dist, 0.0)).astype(np.float32)
