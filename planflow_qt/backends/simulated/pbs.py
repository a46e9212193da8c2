"""Pencil-beam scanning: energy layers and spots of proton beams, and their influence matrix.

Beams are parallel (the scanning magnets' divergence is ignored). For each beam the water-equivalent
depth (WET) of every voxel is traced along the beam through the density grid. Energy layers are placed
from the target's deepest WET to its shallowest, one Bragg peak width (at 80 %) times the layer spacing
scale apart, plus the beam's distal and proximal extra layers. Each layer holds spots on a square
lateral grid, the spot spacing scale times the spot sigma at the layer's peak apart, where the target
(grown by the lateral margin) reaches that layer's depth along the spot's ray, give or take the extra
layers. A spot's dose is its layer's Bragg curve at the voxel's WET times a Gaussian of the lateral
sigma at that depth, normalized so a uniform layer of unit spots gives the Bragg curve. Entries beyond
3 sigma laterally or below `CUTOFF` of the peak are dropped; matrices are CSR float32. Every snout sits
`SNOUT_TO_ISO_MM` from the isocenter (the snout id is not modelled); the air gap is measured from there to
the skin along the central axis.

Scenarios move the isocenter by a setup shift (a rigid shift of the patient relative to the beams, the
spots and energies unchanged) and scale every density (which scales the WET), then recompute.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse

from planflow_qt.backends.simulated.beams import beam_frame
from planflow_qt.backends.simulated.dose_engine import DoseGeometry, Influence
from planflow_qt.backends.simulated.protons import E_MAX_MEV, E_MIN_MEV, Layer, range_mm, shifter_wet_mm
from planflow_qt.model.planning import ProtonBeam

log = logging.getLogger(__name__)

CUTOFF = 1e-3
"""Entries below this fraction of a spot's peak dose are dropped."""
SNOUT_TO_ISO_MM = 300.0
"""Distance from the downstream face of the snout (and its range shifter) to the isocenter."""
MIN_AIR_GAP_MM = 20.0


@dataclass
class BeamSpots:
    """One beam's geometry, energy layers and spots (integer cells of each layer's lateral grid)."""

    beam: ProtonBeam
    axes: tuple[np.ndarray, np.ndarray, np.ndarray]
    air_gap_mm: float
    layers: list[Layer]
    spacing_mm: list[float]
    cells: list[np.ndarray]

    @property
    def n_spots(self) -> int:
        return sum(len(c) for c in self.cells)


@dataclass
class SpotPlan:
    """The spots of all beams at an isocenter (mm); columns of the influence matrix in beam, layer order."""

    iso_mm: np.ndarray
    beams: list[BeamSpots]

    @property
    def n_spots(self) -> int:
        return sum(b.n_spots for b in self.beams)


def _wet(geo: DoseGeometry, positions: np.ndarray, axes, iso: np.ndarray, density_scale: float) -> np.ndarray:
    """Water-equivalent depth (mm) of `positions` along a parallel beam through `iso`."""
    direction, eu, ev = axes
    h = geo.grid.voxel_mm
    rel = positions - iso
    t, u, v = rel @ direction, rel @ eu, rel @ ev
    radius = 0.5 * h * float(np.linalg.norm(geo.grid.shape))
    center = np.asarray(geo.grid.origin_mm) + 0.5 * h * (np.asarray(geo.grid.shape) - 1) - iso
    t0 = float(center @ direction) - radius
    dt = h / 2.0
    u_ax = np.arange(u.min() - h, u.max() + 2 * h, h)
    v_ax = np.arange(v.min() - h, v.max() + 2 * h, h)
    t_ax = np.arange(t0, t.max() + 2 * dt, dt)
    uu, vv, tt = np.meshgrid(u_ax, v_ax, t_ax, indexing="ij", sparse=True)
    idx = [(iso[k] + tt * direction[k] + uu * eu[k] + vv * ev[k] - geo.grid.origin_mm[k]) / h for k in range(3)]
    shape = (u_ax.size, v_ax.size, t_ax.size)
    rho = ndimage.map_coordinates(geo.density, [np.broadcast_to(i, shape).ravel() for i in idx], order=1,
                                  mode="constant", cval=0.0).reshape(shape)
    depth = (np.cumsum(rho, axis=2) - 0.5 * rho) * (dt * density_scale)
    return ndimage.map_coordinates(depth, [(u - u_ax[0]) / h, (v - v_ax[0]) / h, (t - t_ax[0]) / dt],
                                   order=1, mode="nearest")


def _air_gap(geo: DoseGeometry, axes, iso: np.ndarray) -> float:
    """Air gap (mm) between the snout and the skin along the central axis."""
    direction = axes[0]
    h = geo.grid.voxel_mm
    steps = np.arange(-SNOUT_TO_ISO_MM, 0.0, h / 2.0)
    pts = iso[None, :] + steps[:, None] * direction[None, :]
    idx = (pts - np.asarray(geo.grid.origin_mm)) / h
    rho = ndimage.map_coordinates(geo.density, idx.T, order=0, mode="constant", cval=0.0)
    inside = np.flatnonzero(rho > 0.5)
    skin = -steps[inside[0]] if inside.size else 0.0
    return max(SNOUT_TO_ISO_MM - skin, MIN_AIR_GAP_MM)


def _layers(beam: ProtonBeam, shifter: float, wet_min: float, wet_max: float) -> list[Layer]:
    """Residual ranges from the deepest (distal extra layers) to the shallowest (proximal extra layers)."""
    lo_r, hi_r = float(range_mm(E_MIN_MEV)) - shifter, float(range_mm(E_MAX_MEV)) - shifter
    ranges = [wet_max]
    for _ in range(beam.distal_layers):
        ranges.insert(0, ranges[0] + beam.layer_spacing_scale * Layer(ranges[0], shifter).peak_width_mm())
    extra = beam.proximal_layers
    while True:
        r = ranges[-1] - beam.layer_spacing_scale * Layer(ranges[-1], shifter).peak_width_mm()
        if r < wet_min or r <= 1.0:
            if extra == 0 or r <= 1.0:
                break
            extra -= 1
        ranges.append(r)
    kept = [r for r in ranges if lo_r <= r <= hi_r]
    if len(kept) < len(ranges):
        log.warning("beam %s: %d energy layers lie outside %g-%g MeV and are dropped%s", beam.name,
                    len(ranges) - len(kept), E_MIN_MEV, E_MAX_MEV,
                    "" if shifter else " (a range shifter reaches shallower targets)")
    return [Layer(round(r, 2), shifter) for r in kept]


def _disk(radius_cells: float) -> np.ndarray:
    r = max(math.ceil(radius_cells), 0)
    i, j = np.mgrid[-r:r + 1, -r:r + 1]
    return i * i + j * j <= radius_cells * radius_cells + 1e-9


def plan_spots(geo: DoseGeometry, iso_mm: Sequence[float], beams: Sequence[ProtonBeam],
               target_rows: np.ndarray) -> SpotPlan:
    """Energy layers and spots of each beam covering the target (rows of `geo`) at the isocenter."""
    iso = np.asarray(iso_mm, dtype=float)
    positions = geo.positions[target_rows].astype(float)
    out = []
    for beam in beams:
        axes = beam_frame(beam.gantry_deg, beam.couch_deg, geo.position)
        shifter = shifter_wet_mm(beam.range_shifter)
        gap = _air_gap(geo, axes, iso)
        wet = _wet(geo, positions, axes, iso, 1.0)
        rel = positions - iso
        u, v = rel @ axes[1], rel @ axes[2]
        layers = _layers(beam, shifter, float(wet.min()), float(wet.max()))
        spacing, cells = [], []
        for layer in layers:
            delta = beam.spot_spacing_scale * float(layer.sigma_mm(np.array([layer.residual_mm]), gap)[0])
            width = beam.layer_spacing_scale * layer.peak_width_mm()
            ci, cj = np.rint(u / delta).astype(int), np.rint(v / delta).astype(int)
            pad = math.ceil((beam.lateral_margin_cm * 10.0 + geo.grid.voxel_mm) / delta) + 1
            i0, j0 = ci.min() - pad, cj.min() - pad
            shape = (ci.max() - i0 + pad + 1, cj.max() - j0 + pad + 1)
            near = np.full(shape, np.inf)
            far = np.full(shape, -np.inf)
            np.minimum.at(near, (ci - i0, cj - j0), wet)
            np.maximum.at(far, (ci - i0, cj - j0), wet)
            foot = _disk((beam.lateral_margin_cm * 10.0 + 0.5 * geo.grid.voxel_mm) / delta)
            near = ndimage.grey_erosion(near, footprint=foot, mode="constant", cval=np.inf)
            far = ndimage.grey_dilation(far, footprint=foot, mode="constant", cval=-np.inf)
            low = near - (beam.proximal_layers + 0.5) * width
            high = far + (beam.distal_layers + 0.5) * width
            hit = np.argwhere((low <= layer.residual_mm) & (layer.residual_mm <= high))
            spacing.append(delta)
            cells.append(hit + np.array([i0, j0]))
        spots = BeamSpots(beam, axes, gap, layers, spacing, cells)
        log.info("beam %s: %d layers (%.0f-%.0f MeV), %d spots, air gap %.0f mm%s", beam.name, len(layers),
                 layers[-1].energy if layers else 0, layers[0].energy if layers else 0, spots.n_spots, gap,
                 f", range shifter {shifter:g} mm WET" if shifter else "")
        out.append(spots)
    return SpotPlan(iso, out)


def _layer_entries(layer: Layer, delta: float, cells: np.ndarray, u: np.ndarray, v: np.ndarray,
                   wet: np.ndarray, gap: float):
    """(local rows, spot indices within the layer, values) of one layer at these voxels."""
    i0, j0 = cells.min(axis=0)
    lookup = np.full(tuple(cells.max(axis=0) - (i0, j0) + 1), -1, dtype=np.int64)
    lookup[cells[:, 0] - i0, cells[:, 1] - j0] = np.arange(len(cells))
    sigma = layer.sigma_mm(wet, gap)
    reach = 3.0 * float(sigma.max())
    lo_u, hi_u = (i0 * delta - reach, (i0 + lookup.shape[0] - 1) * delta + reach)
    lo_v, hi_v = (j0 * delta - reach, (j0 + lookup.shape[1] - 1) * delta + reach)
    sel = np.flatnonzero((wet < layer.reach_mm()) & (u >= lo_u) & (u <= hi_u) & (v >= lo_v) & (v <= hi_v))
    if sel.size == 0:
        return None
    dose = layer.depth_dose(wet[sel])
    s2 = sigma[sel] ** 2
    norm = dose * delta * delta / (2.0 * math.pi * s2)
    ui, vi = u[sel] / delta, v[sel] / delta
    bi, bj = np.rint(ui).astype(np.int64), np.rint(vi).astype(np.int64)
    k = math.ceil(reach / delta)
    rows, spots, vals = [], [], []
    for di in range(-k, k + 1):
        si = bi + di - i0
        for dj in range(-k, k + 1):
            sj = bj + dj - j0
            ok = (si >= 0) & (si < lookup.shape[0]) & (sj >= 0) & (sj < lookup.shape[1])
            spot = np.full(sel.size, -1, dtype=np.int64)
            spot[ok] = lookup[si[ok], sj[ok]]
            r2 = ((bi + di - ui) ** 2 + (bj + dj - vi) ** 2) * (delta * delta)
            val = norm * np.exp(-0.5 * r2 / s2)
            keep = (spot >= 0) & (r2 < 9.0 * s2) & (val > CUTOFF * delta * delta / (2.0 * math.pi * s2))
            rows.append(sel[keep])
            spots.append(spot[keep])
            vals.append(val[keep])
    return np.concatenate(rows), np.concatenate(spots), np.concatenate(vals)


def build_influence(geo: DoseGeometry, spots: SpotPlan, rows: np.ndarray | None = None,
                    shift_mm: Sequence[float] = (0.0, 0.0, 0.0), density_scale: float = 1.0) -> Influence:
    """Dose per unit spot weight at `rows` of `geo` (all rows when None) for a setup shift of the isocenter
    (mm) and a density scale; rows of the matrix follow `rows`."""
    start = time.perf_counter()
    rows = np.arange(geo.rows.size) if rows is None else rows
    positions = geo.positions[rows].astype(float)
    iso = spots.iso_mm + np.asarray(shift_mm, dtype=float)
    r_all, c_all, v_all, beam_of = [], [], [], []
    column = 0
    for b, beam in enumerate(spots.beams):
        _, eu, ev = beam.axes
        rel = positions - iso
        u, v = rel @ eu, rel @ ev
        wet = _wet(geo, positions, beam.axes, iso, density_scale)
        for layer, delta, cells in zip(beam.layers, beam.spacing_mm, beam.cells, strict=True):
            if len(cells):
                entries = _layer_entries(layer, delta, cells, u, v, wet, beam.air_gap_mm)
                if entries is not None:
                    r_all.append(entries[0])
                    c_all.append(entries[1] + column)
                    v_all.append(entries[2].astype(np.float32))
            column += len(cells)
        beam_of.append(np.full(beam.n_spots, b))
    coo = sparse.coo_matrix((np.concatenate(v_all) if v_all else np.zeros(0, np.float32),
                             (np.concatenate(r_all) if r_all else np.zeros(0, int),
                              np.concatenate(c_all) if c_all else np.zeros(0, int))),
                            shape=(rows.size, column))
    matrix = coo.tocsr()
    influence = Influence(matrix=matrix, transposed=matrix.T.tocsr(),
                          beamlet_arc=np.concatenate(beam_of) if beam_of else np.zeros(0, int),
                          arcs=tuple(b.beam.name for b in spots.beams), n_control_points=len(spots.beams),
                          seconds=time.perf_counter() - start)
    log.debug("proton influence: %d rows, %d spots, %.2f M nonzeros, %.2f s", rows.size, column,
              matrix.nnz / 1e6, influence.seconds)
    return influence
