"""Analytic thorax and pelvis phantoms, generated in memory and deterministic from their parameters.

A thorax: body ellipse 340 x 230 mm, two lungs (density 0.25), heart, esophagus, vertebra and posterior
arch (density 1.5), spinal canal and cord. The tumor is a GTV sphere in a lung (`lung`, `lung_left`) or
a thickened segment of the esophagus (`esophagus`); CTV = GTV + 5 mm, PTV = CTV + 5 mm within the body.
A pelvis (`prostate`): body ellipse 380 x 250 mm, the prostate (CTV) between the bladder (anterior,
superior) and the rectum (posterior), femoral heads (density 1.3) on both sides in the path of lateral
beams, pubic symphysis and sacrum (density 1.5); PTV = CTV + the PTV margin (5 mm) within the body.
ROI names are those a clinic would use (`External`, `Lung_L`, `Lung_R`, `Lungs`, `SpinalCord`...), so
flows exercise their ROI aliases. Coordinates: DICOM patient coordinates (x left, y posterior,
z superior), mm inside the package.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from planflow_qt.patients import masks
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.patient import Patient, PatientIdentity
from planflow_qt.patients.uids import derived_uid

CASES: tuple[str, ...] = ("lung", "lung_left", "esophagus", "prostate")
"""Names of the phantom cases `make_case` builds."""

EXTENT_MM = (360.0, 250.0, 200.0)
BODY_SEMI_AXES_MM = (170.0, 115.0)
LUNG_SEMI_AXES_MM = (58.0, 80.0, 90.0)
LUNG_CENTER_X_MM = 75.0
HEART_CENTER_MM = (25.0, -35.0, -35.0)
HEART_SEMI_AXES_MM = (55.0, 45.0, 50.0)
ESOPHAGUS_CENTER_MM = (-5.0, 22.0)
VERTEBRA_CENTER_MM = (0.0, 50.0)
CANAL_CENTER_MM = (0.0, 80.0)

DENSITY_LUNG = 0.25
DENSITY_BONE = 1.5
DENSITY_FEMUR = 1.3

PELVIS_EXTENT_MM = (380.0, 260.0, 160.0)
PELVIS_SEMI_AXES_MM = (185.0, 120.0)
PROSTATE_SEMI_AXES = (1.4, 1.15, 1.25)
"""Prostate semi-axes (x, y, z) as multiples of the `tumor_radius_mm` parameter."""

# Default tumor centers (mm): right lung, left lung next to the heart, mid-thorax esophagus.
_TUMOR_CENTER_MM = {
    ("lung", "right"): (-70.0, -5.0, 15.0),
    ("lung", "left"): (66.0, -8.0, 0.0),
    ("esophagus", "right"): (ESOPHAGUS_CENTER_MM[0], ESOPHAGUS_CENTER_MM[1], 10.0),
    ("prostate", "right"): (0.0, 10.0, 0.0),
}


class CaseParams(BaseModel):
    """What makes one phantom patient different from another."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: Literal["lung", "esophagus", "prostate"] = "lung"
    side: Literal["right", "left"] = Field("right", description="Lung of the tumor (lung site)")
    tumor_radius_mm: float = Field(15.0, ge=5, le=40, description="GTV radius (mm); prostate: its mean semi-axis")
    tumor_offset_mm: tuple[float, float, float] = Field(
        (0.0, 0.0, 0.0), description="Shift of the tumor from the site's default position (x, y, z mm)")
    tumor_length_mm: float = Field(40.0, ge=10, le=120, description="GTV length along z (esophagus site)")
    ctv_margin_mm: float = Field(5.0, ge=0, le=20)
    ptv_margin_mm: float = Field(5.0, ge=0, le=20)

    @property
    def tumor_center_mm(self) -> tuple[float, float, float]:
        side = self.side if self.site == "lung" else "right"
        (bx, by, bz), (ox, oy, oz) = _TUMOR_CENTER_MM[(self.site, side)], self.tumor_offset_mm
        return bx + ox, by + oy, bz + oz

    @classmethod
    def for_case(cls, name: str, seed: int | None = None) -> CaseParams:
        """The parameters of case `name`; a seed draws a plausible tumor size, position and side."""
        if name not in CASES:
            raise ValueError(f"unknown phantom case {name!r}; cases: {', '.join(CASES)}")
        site = name if name in ("esophagus", "prostate") else "lung"
        side = "left" if name == "lung_left" else "right"
        if seed is None:
            return cls(site=site, side=side)
        rng = np.random.default_rng(seed)
        if site == "prostate":
            return cls(site=site, tumor_radius_mm=float(rng.uniform(12.0, 18.0)),
                       tumor_offset_mm=tuple(float(v) for v in rng.uniform(-5.0, 5.0, size=3)))
        if site == "esophagus":
            return cls(site=site, tumor_radius_mm=float(rng.uniform(10.0, 15.0)),
                       tumor_length_mm=float(rng.uniform(30.0, 70.0)),
                       tumor_offset_mm=(0.0, 0.0, float(rng.uniform(-25.0, 25.0))))
        if name == "lung":
            side = str(rng.choice(["right", "left"]))
        radius = float(rng.uniform(10.0, 25.0))
        for _ in range(200):
            offset = tuple(float(v) for v in rng.uniform(-25.0, 25.0, size=3))
            params = cls(site=site, side=side, tumor_radius_mm=radius, tumor_offset_mm=offset)
            if _tumor_fits(params):
                return params
            radius = max(10.0, radius * 0.95)
        return cls(site=site, side=side, tumor_radius_mm=radius)


def _tumor_fits(params: CaseParams) -> bool:
    """A lung tumor plus its CTV margin lies inside the lung and outside the heart."""
    c = np.asarray(params.tumor_center_mm)
    r = params.tumor_radius_mm + params.ctv_margin_mm
    sx = LUNG_CENTER_X_MM if params.side == "left" else -LUNG_CENTER_X_MM
    lung = np.asarray(LUNG_SEMI_AXES_MM)
    inside_lung = np.sum(((c - (sx, 0.0, 0.0)) / (lung - r)) ** 2) <= 1.0
    outside_heart = np.sum(((c - HEART_CENTER_MM) / (np.asarray(HEART_SEMI_AXES_MM) + r)) ** 2) >= 1.0
    return bool(inside_lung and outside_heart)


def phantom_identity(name: str, params: CaseParams, seed: int | None = None) -> PatientIdentity:
    """The anonymized DICOM identity of phantom case `name` (drawn by `seed`): `PHANTOM^LUNG_LEFT`, an ID,
    and UIDs derived from its parameters, so every export of the same phantom patient references one study."""
    suffix = "" if seed is None else f"-S{seed}"
    what = params.model_dump_json()
    return PatientIdentity(patient_name=f"PHANTOM^{name.upper()}", patient_id=f"PHANTOM-{name.upper()}{suffix}",
                           study_uid=derived_uid("planflow phantom study", name, what),
                           frame_uid=derived_uid("planflow phantom frame", name, what),
                           study_description=f"PlanFlow phantom {name}")


def _ellipsoid(grid: Grid, center, semi) -> np.ndarray:
    x, y, z = grid.mesh_mm
    return (((x - center[0]) / semi[0]) ** 2 + ((y - center[1]) / semi[1]) ** 2
            + ((z - center[2]) / semi[2]) ** 2) <= 1.0


def _cylinder(grid: Grid, center_xy, semi_xy, z_range=(-np.inf, np.inf)) -> np.ndarray:
    x, y, z = grid.mesh_mm
    disk = ((x - center_xy[0]) / semi_xy[0]) ** 2 + ((y - center_xy[1]) / semi_xy[1]) ** 2 <= 1.0
    return disk & (z >= z_range[0]) & (z <= z_range[1])


def make_case(name: str = "lung", grid_mm: float = 5.0, seed: int | None = None,
              params: CaseParams | None = None) -> Patient:
    """Build phantom case `name` on a grid of `grid_mm` (2.5-10 mm); `seed` draws a new patient."""
    if not 2.5 <= grid_mm <= 10.0:
        raise ValueError(f"grid_mm must be within 2.5-10 mm, not {grid_mm}")
    params = params or CaseParams.for_case(name, seed)
    patient = _pelvis(name, params, grid_mm) if params.site == "prostate" else _thorax(name, params, grid_mm)
    patient.identity = phantom_identity(name, params, seed)
    return patient


def _thorax(name: str, params: CaseParams, grid_mm: float) -> Patient:
    """A thorax with a lung or esophagus tumor (see the module's description)."""
    grid = Grid.centered(EXTENT_MM, grid_mm)
    h = grid.voxel_mm

    body = _cylinder(grid, (0.0, 0.0), BODY_SEMI_AXES_MM)
    heart = _ellipsoid(grid, HEART_CENTER_MM, HEART_SEMI_AXES_MM)
    vertebra = _cylinder(grid, VERTEBRA_CENTER_MM, (18.0, 18.0))
    canal = _cylinder(grid, CANAL_CENTER_MM, (9.0, 9.0))
    cord = _cylinder(grid, CANAL_CENTER_MM, (5.0, 5.0))
    arch = _cylinder(grid, CANAL_CENTER_MM, (17.0, 17.0)) & ~canal & ~vertebra
    esophagus = _cylinder(grid, ESOPHAGUS_CENTER_MM, (8.0, 8.0))

    def tumor(grow_mm: float) -> np.ndarray:
        """The GTV grown analytically by `grow_mm` (CTV and PTV are margins of the GTV)."""
        c, r = params.tumor_center_mm, params.tumor_radius_mm + grow_mm
        if params.site == "esophagus":
            half = params.tumor_length_mm / 2.0 + grow_mm
            return _cylinder(grid, c[:2], (r, r), (c[2] - half, c[2] + half))
        return _ellipsoid(grid, c, (r, r, r))

    gtv = tumor(0.0) & body
    ctv = tumor(params.ctv_margin_mm) & body & ~vertebra & ~arch
    ptv = tumor(params.ctv_margin_mm + params.ptv_margin_mm) & body

    heart_guard = masks.expand(heart, 3.0, h)
    lung_r = _ellipsoid(grid, (-LUNG_CENTER_X_MM, 0.0, 0.0), LUNG_SEMI_AXES_MM) & ~heart_guard
    lung_l = _ellipsoid(grid, (LUNG_CENTER_X_MM, 0.0, 0.0), LUNG_SEMI_AXES_MM) & ~heart_guard
    if params.site == "esophagus":
        heart &= ~gtv
    else:
        lung_r &= ~gtv
        lung_l &= ~gtv

    density = np.where(body, 1.0, 0.0).astype(np.float32)
    density[lung_r | lung_l] = DENSITY_LUNG
    density[vertebra | arch] = DENSITY_BONE
    density[gtv] = 1.0

    rois = {
        "External": body, "Lung_R": lung_r, "Lung_L": lung_l, "Lungs": lung_r | lung_l, "Heart": heart,
        "Esophagus": esophagus, "SpinalCanal": canal, "SpinalCord": cord, "Vertebra": vertebra | arch,
        "GTV": gtv, "CTV": ctv, "PTV": ptv,
    }
    types = {name_: "Organ" for name_ in rois}
    types.update(External="External", GTV="Gtv", CTV="Ctv", PTV="Ptv", SpinalCanal="Avoidance")
    ptv_center = grid.positions_mm(np.flatnonzero(ptv)).mean(axis=0)
    pois = {"ISO": tuple(float(v) for v in np.round(ptv_center)),
            "REF": (0.0, float(-BODY_SEMI_AXES_MM[1]), float(np.round(ptv_center[2])))}
    return Patient(name=name, params=params, grid=grid, density=density, rois=rois, roi_types=types,
                   pois_mm=pois)


def _pelvis(name: str, params: CaseParams, grid_mm: float) -> Patient:
    """A male pelvis: prostate CTV, PTV = CTV + the PTV margin, rectum, bladder, femoral heads, bones."""
    grid = Grid.centered(PELVIS_EXTENT_MM, grid_mm)
    h = grid.voxel_mm
    c = params.tumor_center_mm
    r = params.tumor_radius_mm
    body = _cylinder(grid, (0.0, 0.0), PELVIS_SEMI_AXES_MM)
    ctv = _ellipsoid(grid, c, tuple(r * k for k in PROSTATE_SEMI_AXES)) & body
    ptv = masks.expand(ctv, params.ptv_margin_mm, h) & body
    rectum = _cylinder(grid, (c[0], c[1] + 1.15 * r + 12.0), (16.0, 14.0), (c[2] - 55.0, c[2] + 45.0)) & ~ctv
    bladder = _ellipsoid(grid, (c[0], c[1] - 30.0, c[2] + 45.0), (40.0, 32.0, 30.0)) & ~ctv
    femur_r = _ellipsoid(grid, (-95.0, 10.0, c[2]), (24.0, 24.0, 24.0))
    femur_l = _ellipsoid(grid, (95.0, 10.0, c[2]), (24.0, 24.0, 24.0))
    necks = _cylinder(grid, (0.0, 10.0), (130.0, 14.0), (c[2] - 14.0, c[2] + 14.0)) & ~_cylinder(
        grid, (0.0, 10.0), (100.0, 60.0))
    pubis = _cylinder(grid, (0.0, -70.0), (30.0, 12.0), (c[2] - 30.0, c[2] + 10.0))
    sacrum = _cylinder(grid, (0.0, 95.0), (45.0, 14.0), (c[2] + 10.0, np.inf))
    femurs = (femur_r | femur_l | necks) & body

    density = np.where(body, 1.0, 0.0).astype(np.float32)
    density[femurs] = DENSITY_FEMUR
    density[(pubis | sacrum) & body] = DENSITY_BONE
    rois = {
        "External": body, "CTV": ctv, "PTV": ptv, "Rectum": rectum & body, "Bladder": bladder & body,
        "FemoralHead_L": femur_l & body, "FemoralHead_R": femur_r & body, "Bones": (pubis | sacrum) & body,
    }
    types = {name_: "Organ" for name_ in rois}
    types.update(External="External", CTV="Ctv", PTV="Ptv")
    center = grid.positions_mm(np.flatnonzero(ctv)).mean(axis=0)
    pois = {"ISO": tuple(float(v) for v in np.round(center)),
            "REF": (0.0, float(-PELVIS_SEMI_AXES_MM[1]), float(np.round(center[2])))}
    return Patient(name=name, params=params, grid=grid, density=density, rois=rois, roi_types=types,
                   pois_mm=pois)
