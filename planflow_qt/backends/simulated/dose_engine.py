"""Photon pencil-beam dose: the beamlet influence matrix of VMAT arcs, and the scatter bath.

Each control point of an arc carries a grid of 5 mm beamlets covering the target's projection plus a
margin. A beamlet's dose at a voxel is the depth dose at the voxel's radiological depth (build-up times
attenuation) times the inverse square, times the lateral profile: the integral of a Gaussian over the
beamlet's width (an error-function difference) whose sigma grows in low density (3 mm + 1.6 mm x
(1/rho - 1), at most 9 mm), so the penumbra widens in lung. Entries below 0.2 % of a beamlet's maximum
are dropped; the matrix is CSR float32 with voxels (the dose rows) as rows, kept with its transpose.
The scatter bath is a broad Gaussian blur (15 %, sigma 20 mm) of the dose inside the body.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse, special

from planflow_qt.backends.simulated.beams import SAD_MM, ControlPoint, beam_frame
from planflow_qt.backends.simulated.grid import Grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeamModel:
    """Constants of the 6 MV pencil-beam model."""

    mu_per_mm: float = 0.0042
    buildup_per_mm: float = 0.3
    sigma_mm: float = 3.0
    sigma_lung_mm: float = 1.6
    sigma_max_mm: float = 9.0
    beamlet_mm: float = 5.0
    target_margin_mm: float = 5.0
    cutoff: float = 0.002
    scatter_fraction: float = 0.15
    scatter_sigma_mm: float = 20.0

    def depth_dose(self, depth_mm: np.ndarray) -> np.ndarray:
        """Build-up times attenuation, 1 at the depth of maximum dose."""
        k, mu = self.buildup_per_mm, self.mu_per_mm
        d_max = math.log((k + mu) / mu) / k
        peak = (1.0 - math.exp(-k * d_max)) * math.exp(-mu * d_max)
        return (1.0 - np.exp(-k * depth_mm)) * np.exp(-mu * depth_mm) / peak

    def sigma(self, density: np.ndarray) -> np.ndarray:
        """Lateral spread (mm) of a beamlet in tissue of this relative density."""
        rho = np.maximum(density, 0.05)
        return np.minimum(self.sigma_mm + self.sigma_lung_mm * (1.0 / rho - 1.0), self.sigma_max_mm)


@dataclass
class Influence:
    """Dose per unit beamlet weight: `matrix` (rows x beamlets) and its transpose, both CSR float32."""

    matrix: sparse.csr_matrix
    transposed: sparse.csr_matrix
    beamlet_arc: np.ndarray
    arcs: tuple[str, ...]
    n_control_points: int
    seconds: float

    @property
    def n_beamlets(self) -> int:
        return self.matrix.shape[1]

    def arc_columns(self, arcs: Sequence[str]) -> np.ndarray:
        """Boolean mask of the beamlets of these arcs."""
        wanted = [self.arcs.index(a) for a in arcs]
        return np.isin(self.beamlet_arc, wanted)


class DoseGeometry:
    """The voxels a dose is computed on (the body), their positions, densities and beamlet sigmas."""

    def __init__(self, grid: Grid, density: np.ndarray, body: np.ndarray, model: BeamModel):
        self.grid, self.density, self.model = grid, density, model
        self.rows = np.flatnonzero(body).astype(np.int64)
        self.positions = grid.positions_mm(self.rows).astype(np.float32)
        # Lateral electron transport sees the density around a voxel, not the voxel alone.
        smooth = ndimage.gaussian_filter(density, sigma=5.0 / grid.voxel_mm, mode="nearest")
        self.sigma = model.sigma(smooth.ravel()[self.rows]).astype(np.float32)

    def row_index(self, flat: np.ndarray) -> np.ndarray:
        """Positions in `rows` of these flat grid indices (which must lie in the body)."""
        return np.searchsorted(self.rows, flat)


def _active_beamlets(p: np.ndarray, q: np.ndarray, width: float, margin_mm: float) -> np.ndarray:
    """Integer beamlet cells (n x 2) covering the projected target points plus a margin."""
    a, b = np.floor(p / width).astype(int), np.floor(q / width).astype(int)
    pad = math.ceil(margin_mm / width) + 1
    a0, b0 = a.min() - pad, b.min() - pad
    occ = np.zeros((a.max() - a0 + pad + 1, b.max() - b0 + pad + 1), dtype=bool)
    occ[a - a0, b - b0] = True
    near = ndimage.distance_transform_edt(~occ, sampling=width) <= margin_mm + 1e-6
    cells = np.argwhere(near)
    return cells + np.array([a0, b0])


def _control_point_columns(geo: DoseGeometry, iso: np.ndarray, cp: ControlPoint, target_rows: np.ndarray,
                           radius_mm: float):
    """Yield (row indices, values) of each beamlet of one control point."""
    model, grid, h = geo.model, geo.grid, geo.grid.voxel_mm
    direction, eu, ev = beam_frame(cp.gantry_deg, cp.couch_deg)
    rel = geo.positions - iso.astype(np.float32)
    t = rel @ direction.astype(np.float32)
    f = SAD_MM / (SAD_MM + t)
    ui, vi = (rel @ eu.astype(np.float32)) * f, (rel @ ev.astype(np.float32)) * f
    cc, sc = math.cos(math.radians(cp.collimator_deg)), math.sin(math.radians(cp.collimator_deg))
    p, q = ui * cc + vi * sc, -ui * sc + vi * cc

    width = model.beamlet_mm
    cells = _active_beamlets(p[target_rows], q[target_rows], width, model.target_margin_mm)
    reach = 3.0 * model.sigma_max_mm
    (a_lo, b_lo), (a_hi, b_hi) = cells.min(axis=0), cells.max(axis=0)
    band = np.flatnonzero((p >= a_lo * width - reach) & (p <= (a_hi + 1) * width + reach)
                          & (q >= b_lo * width - reach) & (q <= (b_hi + 1) * width + reach))
    ub, vb, tb, fb = ui[band], vi[band], t[band], f[band]

    # Radiological depth along diverging rays: sample the density on a fan grid, integrate, read back.
    dt = h / 2.0
    u_ax = np.arange(ub.min() - h, ub.max() + 2 * h, h)
    v_ax = np.arange(vb.min() - h, vb.max() + 2 * h, h)
    t_ax = np.arange(-radius_mm - h, tb.max() + 2 * dt, dt)
    uu, vv, tt = np.meshgrid(u_ax, v_ax, t_ax, indexing="ij", sparse=True)
    scale = (SAD_MM + tt) / SAD_MM
    pts = [iso[k] + tt * direction[k] + scale * (uu * eu[k] + vv * ev[k]) for k in range(3)]
    idx = [(pts[k] - grid.origin_mm[k]) / h for k in range(3)]
    shape = (u_ax.size, v_ax.size, t_ax.size)
    rho = ndimage.map_coordinates(geo.density, [np.broadcast_to(i, shape).ravel() for i in idx], order=1,
                                  mode="constant", cval=0.0).reshape(shape)
    stretch = np.sqrt(1.0 + (uu**2 + vv**2) / SAD_MM**2)
    depth_grid = (np.cumsum(rho, axis=2) - 0.5 * rho) * dt * stretch
    depth = ndimage.map_coordinates(depth_grid, [(ub - u_ax[0]) / h, (vb - v_ax[0]) / h, (tb - t_ax[0]) / dt],
                                    order=1, mode="nearest")
    amp = (model.depth_dose(depth) * fb**2).astype(np.float32)

    # Lateral profiles: erf differences at the beamlet edges along p and q.
    s = (geo.sigma[band] * fb * math.sqrt(2.0))[:, None]
    edges_p = (np.arange(a_lo, a_hi + 2) * width).astype(np.float32)
    edges_q = (np.arange(b_lo, b_hi + 2) * width).astype(np.float32)
    ep = special.erf((p[band][:, None] - edges_p) / s)
    eq = special.erf((q[band][:, None] - edges_q) / s)
    lp, lq = 0.5 * (ep[:, :-1] - ep[:, 1:]), 0.5 * (eq[:, :-1] - eq[:, 1:])

    order = np.lexsort((cells[:, 1], cells[:, 0]))
    cells = cells[order]
    for a in np.unique(cells[:, 0]):
        bs = cells[cells[:, 0] == a, 1] - b_lo
        col = lp[:, a - a_lo]
        sel = np.flatnonzero(col > 1e-4)
        vals = (amp[sel] * col[sel])[:, None] * lq[sel][:, bs]
        keep = vals >= model.cutoff * vals.max(axis=0)
        for j in range(bs.size):
            hit = keep[:, j]
            yield band[sel[hit]], vals[hit, j]


def build_influence(geo: DoseGeometry, iso_mm: Sequence[float], control_points: Sequence[ControlPoint],
                    target: np.ndarray) -> Influence:
    """The influence matrix of these control points at the isocenter, beamlets covering `target` (mask)."""
    start = time.perf_counter()
    iso = np.asarray(iso_mm, dtype=float)
    target_rows = geo.row_index(np.flatnonzero(target & (geo.density > 0)))
    if target_rows.size == 0:
        raise ValueError("the target has no voxel inside the body")
    radius = float(np.sqrt(((geo.positions - iso) ** 2).sum(axis=1)).max())
    arcs = tuple(dict.fromkeys(cp.arc for cp in control_points))
    indices, data, counts, beamlet_arc = [], [], [], []
    for cp in control_points:
        arc = arcs.index(cp.arc)
        for rows, vals in _control_point_columns(geo, iso, cp, target_rows, radius):
            indices.append(rows.astype(np.int32))
            data.append(vals.astype(np.float32))
            counts.append(rows.size)
            beamlet_arc.append(arc)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64
    # Free the pieces as soon as they are joined: the 2.5 mm grid holds a gigabyte of nonzeros.
    all_data = np.concatenate(data)
    data.clear()
    all_indices = np.concatenate(indices).astype(index_type, copy=False)
    indices.clear()
    csc = sparse.csc_matrix((all_data, all_indices, indptr.astype(index_type)), shape=(geo.rows.size, len(counts)))
    del all_data, all_indices
    influence = Influence(matrix=csc.tocsr(), transposed=csc.T, beamlet_arc=np.asarray(beamlet_arc), arcs=arcs,
                          n_control_points=len(control_points), seconds=time.perf_counter() - start)
    log.info("influence matrix: %d control points, %d beamlets, %.1f M nonzeros, %.0f MB, %.2f s",
             len(control_points), influence.n_beamlets, csc.nnz / 1e6,
             2 * (csc.data.nbytes + csc.indices.nbytes) / 1e6, influence.seconds)
    return influence


_CACHE: OrderedDict[Hashable, Influence] = OrderedDict()
CACHE_SIZE = 2


def cached_influence(key: Hashable, build: Callable[[], Influence]) -> Influence:
    """The influence matrix stored under `key`, built on a miss (a small LRU shared by backends)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    influence = build()
    _CACHE[key] = influence
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return influence


class ScatterBath:
    """Dose -> (1 - f) dose + f x Gaussian blur of the dose, within the body; the operator is symmetric."""

    def __init__(self, geo: DoseGeometry):
        model, grid = geo.model, geo.grid
        self.fraction = model.scatter_fraction
        self.shape, self.rows = grid.shape, geo.rows
        sigma = model.scatter_sigma_mm / grid.voxel_mm
        self.kernels = []
        for n in grid.shape:
            offsets = np.arange(n)[:, None] - np.arange(n)[None, :]
            k = np.exp(-0.5 * (offsets / sigma) ** 2)
            norm = np.exp(-0.5 * (np.arange(-4 * n, 4 * n + 1) / sigma) ** 2).sum()
            self.kernels.append((k / norm).astype(np.float32))

    def blur(self, rows_dose: np.ndarray) -> np.ndarray:
        """Gaussian blur of a dose given on the body rows, read back on the body rows."""
        nx, ny, nz = self.shape
        full = np.zeros(nx * ny * nz, dtype=np.float32)
        full[self.rows] = rows_dose
        gx, gy, gz = self.kernels
        out = (gx @ full.reshape(nx, ny * nz)).reshape(nx, ny, nz)
        out = gy @ out
        out = out @ gz
        return out.ravel()[self.rows]

    def __call__(self, rows_dose: np.ndarray) -> np.ndarray:
        """The bath applied to a dose (or, the operator being symmetric, to a gradient)."""
        return (1.0 - self.fraction) * rows_dose + self.fraction * self.blur(rows_dose)
