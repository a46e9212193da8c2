"""Beam settings on the simulated patient: what jaws, protected or avoided ROIs and dual arcs do to the beams.

- Fixed jaws (`LockToLimits`, `UseLimitsAsMax`): beamlets whose centre lies outside the jaw rectangle (cm at
  the isocenter, in the collimator frame) are closed.
- A fluence-protected ROI (photons): beamlets whose central ray crosses the ROI before the isocenter plane
  (entrance only) or anywhere in the body are closed.
- Dual arcs: every arc is delivered twice, the second pass in the opposite direction; its control points
  interleave with the first pass's (`beams.control_points`) and belong to the same beam.
- Final gantry spacing: the simulated control points are `CONTROL_POINT_FACTOR` times RayStation's final
  gantry spacing apart (4 degrees there, 12 here), so a finer spacing gives proportionally more directions.
- An avoided ROI (protons): no Bragg peak is placed in or behind it: a spot is removed when the ROI lies on
  its ray at a water-equivalent depth shallower than the spot's range.
Closed beamlets keep a zero weight: their columns of the influence matrix are zeroed, so the optimizer never
opens them and every dose computed from the weights leaves them out. The maximum delivery time is not
modelled: the simulated patient has no MLC and no monitor units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from planflow_qt.backends.simulated.beams import SAD_MM, ControlPoint, beam_frame, control_points
from planflow_qt.backends.simulated.dose_engine import DoseGeometry, Influence, beamlet_cells
from planflow_qt.backends.simulated.pbs import SpotPlan, _wet
from planflow_qt.model.planning import Arc, BeamSettings, Direction

CONTROL_POINT_FACTOR = 3.0
"""Simulated control-point spacing per degree of RayStation's final gantry spacing."""


def arc_control_points(arcs: Sequence[Arc], settings: BeamSettings) -> list[ControlPoint]:
    """The control points of the arcs at the spacing the settings ask for, twice over for dual arcs."""
    spacing = CONTROL_POINT_FACTOR * settings.gantry_spacing_deg
    points = []
    for arc in arcs:
        points += control_points(arc, spacing)
        if settings.dual_arcs:
            back = arc.model_copy(update={
                "gantry_start_deg": arc.gantry_stop_deg, "gantry_stop_deg": arc.gantry_start_deg,
                "direction": Direction.CCW if arc.direction is Direction.CW else Direction.CW})
            points += control_points(back, spacing)
    return points


def open_beamlets(geo: DoseGeometry, iso_mm: Sequence[float], points: Sequence[ControlPoint], target: np.ndarray,
                  settings: BeamSettings, protected: np.ndarray | None) -> np.ndarray:
    """Which beamlets (influence columns, in build order) the jaws and the protected ROI leave open."""
    iso = np.asarray(iso_mm, dtype=float)
    target_rows = geo.target_rows(target)
    radius = geo.radius_mm(iso)
    width = geo.model.beamlet_mm
    open_ = []
    for cp in points:
        cells = beamlet_cells(geo, iso, cp, target_rows)
        centre = (cells + 0.5) * width
        keep = np.ones(len(cells), dtype=bool)
        if settings.fixed_jaws:
            keep &= (centre[:, 0] >= 10 * settings.left_jaw_cm) & (centre[:, 0] <= 10 * settings.right_jaw_cm)
            keep &= (centre[:, 1] >= 10 * settings.bottom_jaw_cm) & (centre[:, 1] <= 10 * settings.top_jaw_cm)
        if protected is not None:
            keep &= ~_rays_cross(geo, iso, cp, centre, protected, radius, settings.entrance_only)
        open_.append(keep)
    return np.concatenate(open_) if open_ else np.zeros(0, dtype=bool)


def _rays_cross(geo: DoseGeometry, iso: np.ndarray, cp: ControlPoint, centre: np.ndarray, mask: np.ndarray,
                radius: float, entrance_only: bool) -> np.ndarray:
    """Whether the central ray of each beamlet (centre in the collimator frame, mm at the isocenter) passes
    through `mask` before the isocenter plane, or anywhere."""
    direction, eu, ev = beam_frame(cp.gantry_deg, cp.couch_deg, geo.position)
    c, s = math.cos(math.radians(cp.collimator_deg)), math.sin(math.radians(cp.collimator_deg))
    u, v = centre[:, 0] * c - centre[:, 1] * s, centre[:, 0] * s + centre[:, 1] * c
    h = geo.grid.voxel_mm
    t = np.arange(-radius, 0.0 if entrance_only else radius, h / 2.0)
    scale = (SAD_MM + t) / SAD_MM
    points = (iso[None, None, :] + t[None, :, None] * direction[None, None, :]
              + scale[None, :, None] * (u[:, None, None] * eu + v[:, None, None] * ev))
    index = np.rint((points - np.asarray(geo.grid.origin_mm)) / h).astype(int)
    inside = np.all((index >= 0) & (index < np.asarray(mask.shape)), axis=2)
    hit = np.zeros(inside.shape, dtype=bool)
    hit[inside] = mask[tuple(index[inside].T)]
    return hit.any(axis=1)


def close_beamlets(influence: Influence, open_: np.ndarray) -> Influence:
    """The influence matrix with the closed beamlets' columns zeroed (they deliver nothing)."""
    keep = sparse.diags(open_.astype(np.float32))
    matrix = (influence.matrix @ keep).tocsr()
    matrix.eliminate_zeros()
    return Influence(matrix=matrix, transposed=matrix.T.tocsr(), beamlet_arc=influence.beamlet_arc,
                     arcs=influence.arcs, n_control_points=influence.n_control_points, seconds=influence.seconds)


def avoid_spots(geo: DoseGeometry, spots: SpotPlan, avoided: np.ndarray) -> SpotPlan:
    """The spot plan without the spots whose Bragg peak would lie in or behind the avoided ROI."""
    flat = np.flatnonzero(avoided & (geo.density > 0))
    if flat.size == 0:
        return spots
    positions = geo.grid.positions_mm(flat).astype(float)
    iso = spots.iso_mm
    for beam in spots.beams:
        wet = _wet(geo, positions, beam.axes, iso, 1.0)
        rel = positions - iso
        u, v = rel @ beam.axes[1], rel @ beam.axes[2]
        for i, (layer, delta) in enumerate(zip(beam.layers, beam.spacing_mm, strict=True)):
            shallow = wet <= layer.residual_mm
            blocked = {(a, b) for a, b in zip(np.rint(u[shallow] / delta).astype(int),
                                              np.rint(v[shallow] / delta).astype(int), strict=True)}
            cells = beam.cells[i]
            keep = np.array([(a, b) not in blocked for a, b in cells], dtype=bool)
            beam.cells[i] = cells[keep] if len(cells) else cells
    return spots
