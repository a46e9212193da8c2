"""Water-tank dosimetry of the simulated engine: the measurements a physicist makes to commission a beam.

Phantoms are a water tank (40 x 40 x 40 cm, 5 mm voxels) and the same tank with a lung slab (density
0.25). A square open field enters at gantry 0 with the isocenter on the surface (SSD 100 cm), and its
dose is the engine's own: the primary dose of the beamlets of the field (`dose_engine.beam_view`) and
the scatter bath. Profiles are sampled every millimetre by shifting the field across the voxel grid.
Proton depth doses come from `protons.Layer`, the curve the spot model uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planflow_qt.backends.simulated import protons
from planflow_qt.backends.simulated.beams import SAD_MM, ControlPoint
from planflow_qt.backends.simulated.dose_engine import (
    BeamModel,
    DoseGeometry,
    ScatterBath,
    beam_view,
    view_dose,
)
from planflow_qt.patients.grid import Grid

TANK_MM = (400.0, 400.0, 400.0)
"""Lateral (x), depth (y) and lateral (z) size of the tank."""
VOXEL_MM = 5.0
LUNG_DENSITY = 0.25


@dataclass
class Tank:
    """A phantom whose surface is the plane y = `surface_mm`; the beam travels toward +y."""

    geo: DoseGeometry
    bath: ScatterBath
    surface_mm: float

    @property
    def grid(self) -> Grid:
        return self.geo.grid


def tank(slab_mm: tuple[float, float] | None = None, density: float = LUNG_DENSITY,
         model: BeamModel | None = None, size_mm: tuple[float, float, float] = TANK_MM) -> Tank:
    """A water tank, with a slab of this density between these depths (mm) if given."""
    grid = Grid.centered(size_mm, VOXEL_MM)
    rho = np.ones(grid.shape, dtype=np.float32)
    surface = grid.origin_mm[1] - 0.5 * VOXEL_MM
    if slab_mm is not None:
        depth = grid.mesh_mm[1][0, :, 0] - surface
        rho[:, (depth > slab_mm[0]) & (depth < slab_mm[1]), :] = density
    geo = DoseGeometry(grid, rho, np.ones(grid.shape, dtype=bool), model or BeamModel())
    return Tank(geo, ScatterBath(geo), surface)


def field_dose(phantom: Tank, field_mm: float, shift_mm: float = 0.0, density_scaled: bool = False) -> np.ndarray:
    """Dose (grid array, arbitrary units) of a square field (side at the isocenter on the surface),
    shifted by `shift_mm` along x; a collapsed-cone lateral spread when `density_scaled`."""
    geo, model = phantom.geo, phantom.geo.model
    n = round(field_mm / model.beamlet_mm)
    a = np.arange(n) - n // 2
    cells = np.stack(np.meshgrid(a, a, indexing="ij"), axis=-1).reshape(-1, 2)
    iso = np.array([shift_mm - (n % 2) * 0.5 * model.beamlet_mm, phantom.surface_mm,
                    -(n % 2) * 0.5 * model.beamlet_mm])
    cp = ControlPoint(arc="field", gantry_deg=0.0, collimator_deg=0.0, couch_deg=0.0)
    view = beam_view(geo, iso, cp, cells, geo.radius_mm(iso), density_scaled)
    primary = np.zeros(geo.rows.size, dtype=np.float32)
    primary[view.band] = view_dose(view, np.ones(len(cells), dtype=np.float32))
    dose = np.zeros(geo.grid.size)
    dose[geo.rows] = phantom.bath(primary)
    return dose.reshape(geo.grid.shape)


def _depths(phantom: Tank) -> np.ndarray:
    return phantom.grid.mesh_mm[1][0, :, 0] - phantom.surface_mm


def central_axis(phantom: Tank, field_mm: float, density_scaled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Depths (mm) and dose on the central axis of a square field."""
    h = phantom.grid.voxel_mm
    dose = field_dose(phantom, field_mm, shift_mm=-0.5 * h, density_scaled=density_scaled)
    i, k = _index(phantom.grid, 0, 0.0), _index(phantom.grid, 2, 0.0)
    # The field's center lies between two voxel columns along z: average them.
    return _depths(phantom), 0.5 * (dose[i, :, k] + dose[i, :, k + 1])


def _index(grid: Grid, axis: int, position_mm: float) -> int:
    return math.floor((position_mm - grid.origin_mm[axis]) / grid.voxel_mm)


def pdd(phantom: Tank, field_mm: float, depths_mm: np.ndarray, normalize_mm: float = 15.0) -> np.ndarray:
    """Percentage depth dose at these depths, 100 at `normalize_mm` (d_max of 6 MV)."""
    depth, dose = central_axis(phantom, field_mm)
    values = np.interp(np.append(depths_mm, normalize_mm), depth, dose)
    return 100.0 * values[:-1] / values[-1]


def profiles(phantom: Tank, field_mm: float, depths_mm: list[float], step_mm: float = 1.0,
             density_scaled: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Off-axis positions (mm, along x) and dose of a square field at each depth, every `step_mm`."""
    grid, h = phantom.grid, phantom.grid.voxel_mm
    x = grid.mesh_mm[0][:, 0, 0]
    k = _index(grid, 2, 0.0)
    shifts = np.arange(0.0, h, step_mm) - 0.5 * h
    lines = []
    for shift in shifts:
        dose = field_dose(phantom, field_mm, shift, density_scaled)
        # The field's center lies between two voxel rows along z: average them.
        lines.append(0.5 * (dose[:, :, k] + dose[:, :, k + 1]))
    out = []
    for depth_mm in depths_mm:
        j = _index(grid, 1, phantom.surface_mm + depth_mm - 0.5 * h)
        frac = (phantom.surface_mm + depth_mm - (grid.origin_mm[1] + j * h)) / h
        positions = np.concatenate([x - shift for shift in shifts])
        values = np.concatenate([(1.0 - frac) * line[:, j] + frac * line[:, j + 1] for line in lines])
        order = np.argsort(positions)
        out.append((positions[order], values[order]))
    return out


def profile(phantom: Tank, field_mm: float, depth_mm: float, step_mm: float = 1.0,
            density_scaled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Off-axis positions (mm, along x, at the depth) and dose of a square field, every `step_mm`."""
    return profiles(phantom, field_mm, [depth_mm], step_mm, density_scaled)[0]


def penumbra_80_20(x: np.ndarray, dose: np.ndarray) -> float:
    """Distance (mm) between the 80 % and 20 % points of the central-axis dose on the +x edge."""
    side = x >= 0
    xs, rel = x[side], dose[side] / np.interp(0.0, x, dose)
    falling = rel[::-1], xs[::-1]
    return float(np.interp(0.2, *falling) - np.interp(0.8, *falling))


def out_of_field(phantom: Tank, field_mm: float, depth_mm: float, distances_mm: np.ndarray) -> np.ndarray:
    """Dose (% of the central axis) at these distances outside the geometric field edge at the depth."""
    x, dose = profile(phantom, field_mm, depth_mm, step_mm=phantom.grid.voxel_mm)  # the tail is smooth
    edge = 0.5 * field_mm * (SAD_MM + depth_mm) / SAD_MM
    return 100.0 * np.interp(edge + np.asarray(distances_mm), x, dose) / np.interp(0.0, x, dose)


def r80_mm(depth_mm: np.ndarray, dose: np.ndarray) -> float:
    """Depth (mm) distal to the maximum where the dose falls to 80 % of it."""
    peak = int(np.argmax(dose))
    tail = dose[peak:] / dose[peak]
    return float(np.interp(0.8, tail[::-1], depth_mm[peak:][::-1]))


def proton_r80_mm(energy_mev: float, shifter_mm: float = 0.0, step_mm: float = 0.05) -> float:
    """R80 (mm) in water of a pristine peak of this nozzle energy, through a range shifter of this WET."""
    layer = protons.Layer(float(protons.range_mm(energy_mev)) - shifter_mm, shifter_mm)
    depth = np.arange(0.0, layer.reach_mm(), step_mm)
    return r80_mm(depth, layer.depth_dose(depth))


def radiological_correction(slab: Tank, water: Tank, field_mm: float,
                            density_scaled: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Depths (mm) and the central-axis dose of the slab phantom over the water dose at the same
    radiological depth (inverse square corrected): 1 where a radiological-path correction is right,
    below 1 where electrons leave a narrow field in lung (build-down), rising again after it."""
    depth, dose = central_axis(slab, field_mm, density_scaled)
    water_depth, water_dose = central_axis(water, field_mm, density_scaled)
    h = slab.grid.voxel_mm
    rho = slab.geo.density[_index(slab.grid, 0, 0.0), :, _index(slab.grid, 2, 0.0)]
    rad = (np.cumsum(rho) - 0.5 * rho) * h
    same = np.interp(rad, water_depth, water_dose) * ((SAD_MM + rad) / (SAD_MM + depth)) ** 2
    return depth, dose / same
