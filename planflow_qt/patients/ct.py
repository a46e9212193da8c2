"""A CT series as one volume in patient coordinates: slices sorted, checked and rescaled to HU.

Whatever the patient position (HFS, HFP, FFS, FFP), the volume is indexed [x, y, z] with each index running
along +x (to the patient's left), +y (posterior) and +z (superior), as the phantoms' grids are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planflow_qt.patients.errors import PatientError

log = logging.getLogger(__name__)

MAX_SLICES = 500
"""More slices than this is a whole-body or duplicated series, not a planning CT of one site."""
HU_RANGE = (-1024, 3071)
AXIAL_TOLERANCE = 1e-3
GAP_FACTOR = 1.5
"""A step between two slices this many times the usual spacing means slices are missing."""
VARYING_SPACING = 0.02
"""Relative spread of slice steps beyond which the volume is resampled to a uniform spacing."""

_POSITION_FROM_AXES = {(1, 1): "HFS", (-1, -1): "HFP", (-1, 1): "FFS", (1, -1): "FFP"}


@dataclass
class CtImage:
    """A CT volume in HU (int16), indexed [x, y, z] along +x, +y, +z; `origin_mm` is voxel [0, 0, 0]'s center."""

    hu: np.ndarray
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float]

    @property
    def shape(self) -> tuple[int, int, int]:
        """Voxels along x, y, z."""
        return self.hu.shape

    def axis_mm(self, axis: int) -> np.ndarray:
        """Voxel-center coordinates (mm) along one axis."""
        return self.origin_mm[axis] + self.spacing_mm[axis] * np.arange(self.hu.shape[axis])

    @property
    def center_mm(self) -> np.ndarray:
        """The center of the volume (mm)."""
        return np.array([o + s * (n - 1) / 2.0 for o, s, n in zip(self.origin_mm, self.spacing_mm, self.shape,
                                                                     strict=True)])

    @property
    def extent_mm(self) -> np.ndarray:
        """Size of the volume (mm), voxel edges included."""
        return np.array(self.spacing_mm) * np.array(self.shape)


@dataclass(frozen=True)
class SliceGeometry:
    """What the slices of a series share: direction signs of rows and columns, pixel spacing, position."""

    x_sign: int
    y_sign: int
    rows: int
    columns: int
    spacing_xy: tuple[float, float]
    patient_position: str


def _floats(ds, keyword: str, count: int, path: Path) -> list[float]:
    value = ds.get(keyword)
    try:
        numbers = [float(v) for v in (value if value is not None and not isinstance(value, str | bytes)
                                      else [value])]
    except (TypeError, ValueError):
        numbers = []
    if len(numbers) != count or not all(np.isfinite(numbers)):
        raise PatientError(f"{path}: {keyword} is missing or not {count} numbers ({value!r}): the file is not "
                           "a usable CT slice; export the series again")
    return numbers


def slice_geometry(ds, path: Path) -> SliceGeometry:
    """The geometry of one CT slice; `PatientError` when it is not an axial slice of a supported series."""
    orientation = np.array(_floats(ds, "ImageOrientationPatient", 6, path))
    row, col = orientation[:3], orientation[3:]
    axial = (abs(abs(row[0]) - 1) < AXIAL_TOLERANCE and abs(abs(col[1]) - 1) < AXIAL_TOLERANCE
             and max(abs(row[1]), abs(row[2]), abs(col[0]), abs(col[2])) < AXIAL_TOLERANCE)
    if not axial:
        raise PatientError(f"{path}: the CT is not axial (ImageOrientationPatient "
                           f"{'/'.join(f'{v:g}' for v in orientation)}): reconstruct the series as axial slices "
                           "without gantry tilt and export it again")
    x_sign, y_sign = int(np.sign(row[0])), int(np.sign(col[1]))
    spacing = _floats(ds, "PixelSpacing", 2, path)
    if min(spacing) <= 0:
        raise PatientError(f"{path}: PixelSpacing {spacing} is not positive: export the series again")
    try:
        rows, columns = int(ds.Rows), int(ds.Columns)
    except (AttributeError, TypeError, ValueError):
        raise PatientError(f"{path}: Rows or Columns missing: the file is not a usable CT slice") from None
    if rows < 1 or columns < 1:
        raise PatientError(f"{path}: the image has {rows} x {columns} pixels: export the series again")
    stated = str(ds.get("PatientPosition", "") or "").upper()
    inferred = _POSITION_FROM_AXES[(x_sign, y_sign)]
    position = stated if stated in ("HFS", "HFP", "FFS", "FFP") else inferred
    if stated and stated != position:
        log.info("%s: patient position %s read as %s from the image axes", path, stated, position)
    # PixelSpacing is (between rows, between columns): rows run along y, columns along x.
    return SliceGeometry(x_sign, y_sign, rows, columns, (spacing[1], spacing[0]), position)


def _slice_z(ds, path: Path) -> tuple[float, float, float]:
    x, y, z = _floats(ds, "ImagePositionPatient", 3, path)
    return x, y, z


def _rescale(ds, keyword: str, default: float, path: Path) -> float:
    """An optional rescale number of a slice (`default` when absent)."""
    value = ds.get(keyword)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number):
        raise PatientError(f"{path}: {keyword} {value!r} is not a number: export the series again")
    return number


def _pixels_hu(ds, path: Path, geometry: SliceGeometry) -> np.ndarray:
    """One slice's HU as [x, y] along +x, +y."""
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # pydicom raises many kinds for missing, truncated or undecodable pixel data
        raise PatientError(f"{path}: cannot decode the pixel data ({type(exc).__name__}: {exc}): export the CT "
                           "uncompressed or install the pydicom decoder for its transfer syntax") from None
    if pixels.shape != (geometry.rows, geometry.columns):
        raise PatientError(f"{path}: pixel data of shape {pixels.shape} for {geometry.rows} x {geometry.columns} "
                           "pixels: export the series again")
    slope, intercept = _rescale(ds, "RescaleSlope", 1.0, path), _rescale(ds, "RescaleIntercept", 0.0, path)
    hu = np.clip(np.rint(pixels.astype(np.float32) * slope + intercept), *HU_RANGE).astype(np.int16)
    hu = hu.T  # [column, row] = [x, y]
    return hu[:: geometry.x_sign, :: geometry.y_sign]


def read_ct(slices: list[tuple[Path, object]], notes: list[str]) -> tuple[CtImage, SliceGeometry, list[str]]:
    """The CT volume of one series' slices (path, dataset), and the SOP instance UIDs inferior to superior (none
    when the slices were resampled to an even spacing).

    Raises `PatientError` for non-axial or inconsistent slices, duplicate or missing slices, too many slices or
    unreadable pixel data; appends to `notes` what was adjusted (uneven slice spacing).
    """
    if len(slices) > MAX_SLICES:
        raise PatientError(f"{slices[0][0].parent}: the CT series has {len(slices)} slices (at most {MAX_SLICES}): "
                           "export only the planning scan of the treated site, or crop it to the region planned")
    geometries = [(path, slice_geometry(ds, path)) for path, ds in slices]
    first_path, geometry = geometries[0]
    for path, other in geometries[1:]:
        if other != geometry:
            raise PatientError(f"{path}: this slice's size, pixel spacing or orientation differs from {first_path}'s:"
                               " keep one CT series in the folder")
    positions = [(_slice_z(ds, path), path, ds) for path, ds in slices]
    positions.sort(key=lambda p: p[0][2])
    z = np.array([p[0][2] for p in positions])
    xy = np.array([p[0][:2] for p in positions])
    if len(z) > 1:
        steps = np.diff(z)
        if steps.min() < 1e-3:
            k = int(np.argmin(steps))
            raise PatientError(f"{positions[k + 1][1]}: two CT slices at z = {z[k]:g} mm (with {positions[k][1].name}):"
                               " remove the duplicate slice")
        if np.abs(xy - xy[0]).max() > 0.01:
            raise PatientError(f"{positions[int(np.argmax(np.abs(xy - xy[0]).max(axis=1)))][1]}: the slices are not "
                               "stacked (ImagePositionPatient x, y differ): keep one CT series in the folder")
        usual = float(np.median(steps))
        if steps.max() > GAP_FACTOR * usual:
            k = int(np.argmax(steps))
            raise PatientError(f"{positions[k + 1][1]}: slice(s) missing from the CT between z = {z[k]:g} and "
                               f"{z[k + 1]:g} mm (spacing {usual:g} mm elsewhere): export the complete series")
    else:
        usual = float(slices[0][1].get("SliceThickness", 0) or 0) or min(geometry.spacing_xy)
    hu = np.empty((geometry.columns, geometry.rows, len(positions)), dtype=np.int16)
    for k, (_, path, ds) in enumerate(positions):
        hu[:, :, k] = _pixels_hu(ds, path, geometry)
    x0, y0 = xy[0]
    sx, sy = geometry.spacing_xy
    origin = (x0 if geometry.x_sign > 0 else x0 - sx * (geometry.columns - 1),
              y0 if geometry.y_sign > 0 else y0 - sy * (geometry.rows - 1), float(z[0]))
    uids = [str(ds.get("SOPInstanceUID", "")) for _, _, ds in positions]
    if len(z) > 1 and (np.diff(z).max() - np.diff(z).min()) > VARYING_SPACING * usual:
        notes.append(f"CT slice spacing varies from {np.diff(z).min():g} to {np.diff(z).max():g} mm: resampled "
                     f"to {usual:g} mm")
        hu = _uniform_z(hu, z, usual)
        uids = []  # the resampled planes are no longer the slices: exported contours reference none
    return CtImage(hu, (sx, sy, usual), (float(origin[0]), float(origin[1]), float(origin[2]))), geometry, uids


def _uniform_z(hu: np.ndarray, z: np.ndarray, step: float) -> np.ndarray:
    """The volume linearly interpolated along z onto slices `step` apart from the first one."""
    n = int(np.floor((z[-1] - z[0]) / step + 1e-6)) + 1
    target = z[0] + step * np.arange(n)
    upper = np.clip(np.searchsorted(z, target, side="right"), 1, len(z) - 1)
    weight = ((target - z[upper - 1]) / (z[upper] - z[upper - 1])).astype(np.float32)
    out = np.empty((*hu.shape[:2], n), dtype=np.int16)
    for k in range(n):
        below, above = hu[:, :, upper[k] - 1], hu[:, :, upper[k]]
        out[:, :, k] = np.rint(below + weight[k] * (above.astype(np.float32) - below))
    return out
