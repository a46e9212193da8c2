"""Photon pencil-beam dose: the beamlet influence matrix of VMAT arcs, and the scatter bath.

A 6 MV beam is modelled as primary dose plus phantom scatter. Each control point of an arc carries a
grid of 5 mm beamlets covering the target's projection plus a margin. A beamlet's primary dose at a
voxel is the primary depth dose at the voxel's radiological depth (build-up times the attenuation of the
primary photons) times the inverse square, times the lateral profile: the integral of a Gaussian over
the beamlet's width (an error-function difference). The Gaussian's sigma adds in quadrature the source
and collimator blur, the voxel's width (a voxel's dose is its mean across the voxel), the lateral
range of the secondary electrons and a term growing with depth (phantom scatter and the spectrum
softening), so the penumbra widens with depth. The electron range grows in low density (as
density^-0.9 in this pencil beam, as 1/density in the collapsed-cone final dose of `final_dose`), so
the penumbra widens in lung and a narrow field loses dose inside a lung slab and builds it up again
after it. Entries below 0.2 % of a beamlet's maximum are dropped; the matrix is
CSR float32 with voxels (the dose rows) as rows, kept with its transpose.

The scatter bath adds the phantom-scatter dose: Gaussian blurs (sigma 20 and 70 mm) of the primary
dose inside the body, weighted at both ends by how deep below the skin the voxels lie. Scatter builds up
with depth and a larger field gathers more of it, so larger fields have a higher depth dose at depth,
and the blur gives the low-dose tail outside the field. Constants and their references:
`benchmarks/bench_physics.py`.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, sparse, special

from planflow_qt.backends.simulated.beams import SAD_MM, ControlPoint, beam_frame
from planflow_qt.backends.simulated.parallel import ordered_map
from planflow_qt.patients.grid import Grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BeamModel:
    """Constants of the 6 MV pencil-beam model (lengths in mm)."""

    mu_per_mm: float = 0.0052
    hardening_mm: float = 500.0
    buildup_per_mm: float = 0.3
    source_sigma_mm: float = 0.7
    electron_sigma_mm: float = 1.4
    depth_sigma_per_mm: float = 0.011
    pencil_beam_density_power: float = 0.9
    sigma_max_mm: float = 9.0
    beamlet_mm: float = 5.0
    target_margin_mm: float = 5.0
    cutoff: float = 0.002
    scatter_kernels: tuple[tuple[float, float], ...] = ((0.14, 20.0), (0.20, 70.0))
    """(fraction, sigma mm) of each Gaussian of the scatter kernel."""
    scatter_buildup_mm: float = 50.0

    def attenuation(self, depth_mm: np.ndarray) -> np.ndarray:
        """Transmission of the primary photons; the beam hardens, its attenuation coefficient falls from
        `mu_per_mm` as mu / (1 + depth / hardening)."""
        return np.power(1.0 + np.asarray(depth_mm) / self.hardening_mm, -self.mu_per_mm * self.hardening_mm)

    def depth_dose(self, depth_mm: np.ndarray) -> np.ndarray:
        """Primary depth dose: build-up times attenuation, 1 at its maximum."""
        k, mu = self.buildup_per_mm, self.mu_per_mm
        d_max = math.log((k + mu) / mu) / k
        peak = (1.0 - math.exp(-k * d_max)) * self.attenuation(d_max)
        return (1.0 - np.exp(-k * depth_mm)) * self.attenuation(depth_mm) / peak

    def electron_sigma(self, density: np.ndarray, density_scaled: bool = False) -> np.ndarray:
        """Lateral range (sigma, mm) of the secondary electrons in tissue of this relative density.

        A collapsed-cone engine scales the kernel with 1/density; the pencil beam widens it less
        (1/density to the power `pencil_beam_density_power`).
        """
        rho = np.maximum(density, 0.05)
        power = 1.0 if density_scaled else self.pencil_beam_density_power
        return self.electron_sigma_mm * np.power(rho, -power)

    def sigma(self, density: np.ndarray, depth_mm: np.ndarray, density_scaled: bool = False) -> np.ndarray:
        """Lateral spread (mm) of a beamlet at this radiological depth in tissue of this density."""
        electron = self.electron_sigma(density, density_scaled)
        spread = np.sqrt(self.source_sigma_mm**2 + electron**2 + (self.depth_sigma_per_mm * depth_mm) ** 2)
        return np.minimum(spread, self.reach_sigma_mm(density_scaled))

    def reach_sigma_mm(self, density_scaled: bool = False) -> float:
        """Largest lateral sigma (mm): the collapsed-cone kernel reaches further in lung."""
        return 1.5 * self.sigma_max_mm if density_scaled else self.sigma_max_mm


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
    """The voxels a dose is computed on (the body), their positions, densities and local densities, and the
    position the patient lies in (HFS, HFP, FFS, FFP), which turns the beams (`beams.beam_frame`)."""

    def __init__(self, grid: Grid, density: np.ndarray, body: np.ndarray, model: BeamModel, position: str = "HFS"):
        self.grid, self.density, self.model, self.position = grid, density, model, position
        self.rows = np.flatnonzero(body).astype(np.int64)
        self.positions = grid.positions_mm(self.rows).astype(np.float32)
        # Lateral electron transport sees the density around a voxel, not the voxel alone.
        smooth = ndimage.gaussian_filter(density, sigma=5.0 / grid.voxel_mm, mode="nearest")
        self.local_density = smooth.ravel()[self.rows].astype(np.float32)

    def row_index(self, flat: np.ndarray) -> np.ndarray:
        """Positions in `rows` of these flat grid indices (which must lie in the body)."""
        return np.searchsorted(self.rows, flat)

    def target_rows(self, target: np.ndarray) -> np.ndarray:
        """Rows of the voxels of a target mask that lie in the body."""
        rows = self.row_index(np.flatnonzero(target & (self.density > 0)))
        if rows.size == 0:
            raise ValueError("the target has no voxel inside the body")
        return rows

    def radius_mm(self, iso: np.ndarray) -> float:
        """Distance from the isocenter to the farthest body voxel."""
        return float(np.sqrt(((self.positions - iso) ** 2).sum(axis=1)).max())


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


@dataclass
class BeamView:
    """One control point seen by the body voxels it reaches: the primary dose of its beamlet grid.

    `cells` are the beamlet cells (integer indices of `beamlet_mm` squares in the isocenter plane, in
    column order), `band` the rows within reach, `amp` their depth dose times the inverse square and
    `lp`/`lq` the lateral profiles of the beamlet columns/rows at these voxels.
    """

    cells: np.ndarray
    band: np.ndarray
    amp: np.ndarray
    lp: np.ndarray
    lq: np.ndarray
    lo: tuple[int, int]


def _projection(geo: DoseGeometry, iso: np.ndarray, cp: ControlPoint, rows: np.ndarray | None = None):
    """Depth along the beam, divergence factor and collimator coordinates (isocenter plane) of every row
    (or of these rows)."""
    direction, eu, ev = beam_frame(cp.gantry_deg, cp.couch_deg, geo.position)
    positions = geo.positions if rows is None else geo.positions[rows]
    rel = positions - iso.astype(np.float32)
    t = rel @ direction.astype(np.float32)
    f = SAD_MM / (SAD_MM + t)
    ui, vi = (rel @ eu.astype(np.float32)) * f, (rel @ ev.astype(np.float32)) * f
    cc, sc = math.cos(math.radians(cp.collimator_deg)), math.sin(math.radians(cp.collimator_deg))
    return (direction, eu, ev), t, f, ui, vi, ui * cc + vi * sc, -ui * sc + vi * cc


def beamlet_cells(geo: DoseGeometry, iso: np.ndarray, cp: ControlPoint, target_rows: np.ndarray) -> np.ndarray:
    """The beamlet cells of a control point covering the target's projection plus the margin, in column
    order."""
    *_, p, q = _projection(geo, iso, cp, target_rows)
    width = geo.model.beamlet_mm
    cells = _active_beamlets(p, q, width, geo.model.target_margin_mm)
    return cells[np.lexsort((cells[:, 1], cells[:, 0]))]


def _radiological_depth(geo: DoseGeometry, iso: np.ndarray, axes, ub, vb, tb, radius_mm: float) -> np.ndarray:
    """Radiological depth along diverging rays: sample the density on a fan grid, integrate, read back."""
    direction, eu, ev = axes
    grid, h = geo.grid, geo.grid.voxel_mm
    dt = h / 2.0
    u_ax = np.arange(ub.min() - h, ub.max() + 2 * h, h)
    v_ax = np.arange(vb.min() - h, vb.max() + 2 * h, h)
    t_ax = np.arange(-radius_mm - h, tb.max() + 2 * dt, dt)
    uu, vv, tt = np.meshgrid(u_ax, v_ax, t_ax, indexing="ij", sparse=True)
    scale = (SAD_MM + tt) / SAD_MM
    shape = (u_ax.size, v_ax.size, t_ax.size)
    idx = []
    for k in range(3):  # voxel coordinates of the fan grid's points, in place (a fine grid has millions)
        point = iso[k] + tt * direction[k] + scale * (uu * eu[k] + vv * ev[k])  # a new array of `shape`
        point -= grid.origin_mm[k]
        point /= h
        idx.append(point.ravel())
    rho = ndimage.map_coordinates(geo.density, idx, order=1, mode="constant", cval=0.0).reshape(shape)
    del idx
    stretch = np.sqrt(1.0 + (uu**2 + vv**2) / SAD_MM**2)
    depth_grid = np.cumsum(rho, axis=2)
    rho *= 0.5
    depth_grid -= rho
    del rho
    depth_grid *= dt
    depth_grid = depth_grid * stretch  # float64, as the density's float32 times the float64 stretch
    return ndimage.map_coordinates(depth_grid, [(ub - u_ax[0]) / h, (vb - v_ax[0]) / h, (tb - t_ax[0]) / dt],
                                   order=1, mode="nearest")


def beam_view(geo: DoseGeometry, iso: np.ndarray, cp: ControlPoint, cells: np.ndarray, radius_mm: float,
              density_scaled: bool = False) -> BeamView:
    """The primary dose of these beamlet cells of a control point (a collapsed-cone lateral spread when
    `density_scaled`)."""
    model = geo.model
    axes, t, f, ui, vi, p, q = _projection(geo, iso, cp)
    width = model.beamlet_mm
    reach = 3.0 * model.reach_sigma_mm(density_scaled)
    (a_lo, b_lo), (a_hi, b_hi) = cells.min(axis=0), cells.max(axis=0)
    band = np.flatnonzero((p >= a_lo * width - reach) & (p <= (a_hi + 1) * width + reach)
                          & (q >= b_lo * width - reach) & (q <= (b_hi + 1) * width + reach))
    # Keep the band's rows only: the whole body's arrays would stay alive through the depth computation.
    t, fb, ui, vi, p, q = (x[band] for x in (t, f, ui, vi, p, q))
    del f
    depth = _radiological_depth(geo, iso, axes, ui, vi, t, radius_mm)
    amp = (model.depth_dose(depth) * fb**2).astype(np.float32)
    # Lateral profiles: erf differences at the beamlet edges along p and q.
    # The dose of a voxel is its mean over the voxel's width (variance h^2 / 12): a coarse grid does not
    # alias the beamlet edges.
    sigma = np.sqrt(model.sigma(geo.local_density[band], depth, density_scaled) ** 2 + geo.grid.voxel_mm**2 / 12.0)
    s = (sigma * fb * math.sqrt(2.0)).astype(np.float32)[:, None]
    edges_p = (np.arange(a_lo, a_hi + 2) * width).astype(np.float32)
    edges_q = (np.arange(b_lo, b_hi + 2) * width).astype(np.float32)
    return BeamView(cells, band, amp, _profile(p, edges_p, s), _profile(q, edges_q, s),
                    (int(a_lo), int(b_lo)))


ERF_SATURATED = np.float32(4.0)
"""In float32, erf(z) rounds to exactly +-1 from |z| = 3.92 on: beyond 4 it is not computed (float32 only)."""
PROFILE_BLOCK = 32_768
"""Voxels per block of a lateral profile."""


def _profile(x: np.ndarray, edges: np.ndarray, s: np.ndarray) -> np.ndarray:
    """0.5 (erf((x - e_k) / s) - erf((x - e_k+1) / s)) for each pair of neighbouring edges.

    For two thirds of the voxel-edge pairs the erf's argument is beyond 4 (5.7 sigma), where the float32
    erf is exactly +-1: only the others are computed, which gives the same numbers in about half the time.
    The voxels go by blocks, so the temporaries stay small (a fine grid's band holds a million voxels).
    """
    profile = np.empty((x.size, edges.size - 1), dtype=np.result_type(x, edges, s))
    cut = ERF_SATURATED if profile.dtype == np.float32 else np.inf
    for start in range(0, x.size, PROFILE_BLOCK):
        stop = start + PROFILE_BLOCK
        e = x[start:stop, None] - edges
        e /= s[start:stop]
        near = np.abs(e) < cut
        values = e[near]
        special.erf(values, out=values)
        np.sign(e, out=e)
        e[near] = values
        block = profile[start:stop]
        np.subtract(e[:, :-1], e[:, 1:], out=block)
        block *= 0.5
    return profile


def _columns(view: BeamView, cutoff: float) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(row indices, values) of each beamlet of a view, in column order."""
    a_lo, b_lo = view.lo
    cells = view.cells
    for a in np.unique(cells[:, 0]):
        bs = cells[cells[:, 0] == a, 1] - b_lo
        col = view.lp[:, a - a_lo]
        sel = np.flatnonzero(col > 1e-4)
        vals = (view.amp[sel] * col[sel])[:, None] * view.lq[np.ix_(sel, bs)]
        keep = vals >= cutoff * vals.max(axis=0)
        for j in range(bs.size):
            hit = keep[:, j]
            yield view.band[sel[hit]], vals[hit, j]


def view_dose(view: BeamView, weights: np.ndarray) -> np.ndarray:
    """Primary dose at the view's band rows of its beamlets with these weights (one per cell)."""
    a_lo, b_lo = view.lo
    fluence = np.zeros((view.lp.shape[1], view.lq.shape[1]), dtype=np.float32)
    fluence[view.cells[:, 0] - a_lo, view.cells[:, 1] - b_lo] = weights
    return view.amp * np.einsum("ra,ra->r", view.lp, view.lq @ fluence.T)


def build_influence(geo: DoseGeometry, iso_mm: Sequence[float], control_points: Sequence[ControlPoint],
                    target: np.ndarray) -> Influence:
    """The influence matrix of these control points at the isocenter, beamlets covering `target` (mask)."""
    start = time.perf_counter()
    iso = np.asarray(iso_mm, dtype=float)
    target_rows = geo.target_rows(target)
    radius = geo.radius_mm(iso)
    arcs = tuple(dict.fromkeys(cp.arc for cp in control_points))
    indices, data, counts, beamlet_arc = [], [], [], []

    def columns(cp: ControlPoint) -> list[tuple[np.ndarray, np.ndarray]]:
        view = beam_view(geo, iso, cp, beamlet_cells(geo, iso, cp, target_rows), radius)
        return [(rows.astype(np.int32), vals.astype(np.float32)) for rows, vals in _columns(view, geo.model.cutoff)]

    # Control points on the engine's threads, joined in order: the matrix is the same as in one thread.
    for cp, pieces in zip(control_points, ordered_map(columns, control_points), strict=True):
        arc = arcs.index(cp.arc)
        for rows, vals in pieces:
            indices.append(rows)
            data.append(vals)
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


def _gaussian_matrices(grid: Grid, sigma_mm: float) -> list[np.ndarray]:
    """One dense matrix per axis applying a normalized Gaussian blur (tissue beyond the grid is lost)."""
    sigma = sigma_mm / grid.voxel_mm
    out = []
    for n in grid.shape:
        offsets = np.arange(n)[:, None] - np.arange(n)[None, :]
        k = np.exp(-0.5 * (offsets / sigma) ** 2)
        reach = max(4 * n, math.ceil(5 * sigma))
        norm = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2).sum()
        out.append((k / norm).astype(np.float32))
    return out


class ScatterBath:
    """Primary dose -> (primary + phantom scatter) / (1 + sum f_i), on the body rows.

    The scatter is h . sum_i f_i blur_i(h . primary): Gaussian blurs (one dense matrix per axis) weighted at
    the source and at the receiving voxel by h = 1 - exp(-depth / buildup), the depth below the skin.
    Scatter builds up with depth (it comes from the tissue upstream, and near the skin there is none
    beyond it), and a larger field gathers more of it. The operator is symmetric, so it also maps a
    gradient with respect to the dose back to the primary.
    """

    def __init__(self, geo: DoseGeometry):
        model, grid = geo.model, geo.grid
        self.shape, self.rows = grid.shape, geo.rows
        self.fraction = sum(f for f, _ in model.scatter_kernels)
        self.kernels = [(f, _gaussian_matrices(grid, sigma_mm)) for f, sigma_mm in model.scatter_kernels]
        body = np.zeros(grid.size, dtype=bool)
        body[self.rows] = True
        # The grid's border counts as skin: outside the grid there is no tissue either.
        depth = ndimage.distance_transform_edt(np.pad(body.reshape(grid.shape), 1), sampling=grid.voxel_mm)
        depth = depth[1:-1, 1:-1, 1:-1].ravel()[self.rows] - 0.5 * grid.voxel_mm
        weight = 1.0 - np.exp(-np.maximum(depth, 0.0) / model.scatter_buildup_mm)
        self.weight = weight.astype(np.float32)

    def scatter(self, rows_dose: np.ndarray) -> np.ndarray:
        """The scatter dose (before normalization) of a primary dose given on the body rows."""
        nx, ny, nz = self.shape
        full = np.zeros(nx * ny * nz, dtype=np.float32)
        full[self.rows] = rows_dose * self.weight
        total = np.zeros(self.rows.size, dtype=np.float32)

        def blur(kernel: tuple[float, list[np.ndarray]]) -> np.ndarray:
            gx, gy, gz = kernel[1]
            out = (gx @ full.reshape(nx, ny * nz)).reshape(nx, ny, nz)
            out = gy @ out
            out = out @ gz
            return out.ravel()[self.rows]

        # The blurs on the engine's threads (BLAS in one thread each), summed in order.
        for (fraction, _), blurred in zip(self.kernels, ordered_map(blur, self.kernels), strict=True):
            total += fraction * blurred
        return self.weight * total

    def __call__(self, rows_dose: np.ndarray) -> np.ndarray:
        """The bath applied to a primary dose (or, the operator being symmetric, to a gradient)."""
        return (rows_dose + self.scatter(rows_dose)) / (1.0 + self.fraction)
