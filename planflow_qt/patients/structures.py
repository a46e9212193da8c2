"""An RTSTRUCT read onto its CT: ROI names and types, contours rasterized on the CT grid, points as POIs.

A voxel belongs to an ROI when its center lies inside the ROI's contours on its slice by the even-odd rule:
holes (a contour inside another) and several polygons per slice come out right whatever their winding.
Open contours, single points and ROIs without contours are reported in the notes and skipped. Each mask is
kept within its bounding box (`RoiRaster`), so thirty ROIs on a 512 x 512 x 200 CT stay small.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planflow_qt.patients.ct import CtImage
from planflow_qt.patients.errors import PatientError

ROI_TYPES = {"EXTERNAL": "External", "PTV": "Ptv", "CTV": "Ctv", "GTV": "Gtv", "ORGAN": "Organ",
             "AVOIDANCE": "Avoidance", "BOLUS": "Bolus", "SUPPORT": "Support", "FIXATION": "Fixation",
             "CONTROL": "Control", "CAVITY": "Cavity", "TREATED_VOLUME": "TreatedVolume",
             "IRRAD_VOLUME": "IrradiatedVolume", "CONTRAST_AGENT": "ContrastAgent", "DOSE_REGION": "DoseRegion",
             "REGISTRATION": "Registration", "BRACHY_CHANNEL": "BrachyChannel", "MARKER": "Marker",
             "ISOCENTER": "Isocenter"}
"""RT ROI Interpreted Type -> the ROI type a planning system shows (RayStation's names)."""
BODY_NAMES = ("external", "body", "outline", "skin")
CONTOUR_DATA = 0x30060050
OFF_CT_TOLERANCE = 0.5
"""How far (in voxels) a contour may reach beyond the CT before it counts as drawn on another scan."""


@dataclass
class RoiRaster:
    """An ROI mask on the CT grid, kept within its bounding box: `mask` covers `box` (three slices)."""

    name: str
    roi_type: str
    box: tuple[slice, slice, slice]
    mask: np.ndarray


@dataclass
class StructureSet:
    """The ROIs of an RTSTRUCT rasterized on the CT, its POIs (mm) and the name of the body ROI."""

    rois: list[RoiRaster]
    pois_mm: dict[str, tuple[float, float, float]]
    body: str
    uid: str


def _text(item, keyword: str) -> str:
    value = item.get(keyword, "")
    return str(value).strip() if value is not None else ""


def _number(item, keyword: str, path: Path, what: str) -> int:
    try:
        return int(item.get(keyword))
    except (TypeError, ValueError):
        raise PatientError(f"{path}: {what} has no valid {keyword}: export the structure set again") from None


def _sequence(ds, keyword: str) -> list:
    value = ds.get(keyword)
    try:
        return list(value) if value is not None else []
    except TypeError:
        return []


def _names(ds, path: Path) -> dict[int, str]:
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    for item in _sequence(ds, "StructureSetROISequence"):
        number = _number(item, "ROINumber", path, "an ROI")
        name = _text(item, "ROIName") or f"ROI {number}"
        if name.lower() in seen:
            raise PatientError(f"{path}: two ROIs named {name!r} (numbers {seen[name.lower()]} and {number}): "
                               "rename one in the planning system and export the structure set again")
        seen[name.lower()] = number
        names[number] = name
    if not names:
        raise PatientError(f"{path}: the structure set lists no ROI: export the one with the patient's contours")
    return names


def _types(ds, path: Path) -> dict[int, str]:
    types = {}
    for item in _sequence(ds, "RTROIObservationsSequence"):
        try:
            number = int(item.get("ReferencedROINumber"))
        except (TypeError, ValueError):
            continue
        kind = _text(item, "RTROIInterpretedType").upper()
        types[number] = ROI_TYPES.get(kind, "Organ" if not kind else kind.title())
    return types


def check_frame(ds, path: Path, frame_uid: str) -> None:
    """`PatientError` when the structure set is drawn on another frame of reference than the CT's."""
    frames = {_text(item, "FrameOfReferenceUID") for item in _sequence(ds, "ReferencedFrameOfReferenceSequence")}
    frames.discard("")
    if frames and frame_uid not in frames:
        raise PatientError(f"{path}: the structure set is on frame of reference {sorted(frames)[0]}, not the CT's "
                           f"({frame_uid}): export it together with the CT it was drawn on")


def _contour_points(item, path: Path, name: str) -> np.ndarray | None:
    """The contour's points (n x 3, mm); the DS text is parsed by NumPy, a hundred times faster than pydicom's
    DS values for the million numbers of a clinical structure set."""
    from pydicom.dataelem import RawDataElement

    element = item.get_item(CONTOUR_DATA) if CONTOUR_DATA in item else None
    try:
        if element is None or element.value is None:
            points = np.empty(0)
        elif isinstance(element, RawDataElement):
            text = element.value.decode("ascii").strip(" \0")
            points = np.array(text.split("\\"), dtype=float) if text else np.empty(0)
        else:
            values = item.ContourData
            many = hasattr(values, "__iter__") and not isinstance(values, str | bytes)
            points = np.asarray([float(v) for v in (values if many else [values])], dtype=float)
    except (TypeError, ValueError, UnicodeDecodeError):
        points = np.empty(1)
    if points.size % 3 or not np.isfinite(points).all():
        raise PatientError(f"{path}: ROI {name!r} has a contour whose ContourData is not x, y, z triplets: "
                           "export the structure set again")
    return points.reshape(-1, 3) if points.size else None


def read_structures(ds, path: Path, ct: CtImage, notes: list[str]) -> StructureSet:
    """The ROIs of an RTSTRUCT dataset rasterized on `ct`; raises `PatientError` for duplicate names, contours
    off the CT or no body outline; notes skipped contours and ROIs."""
    names = _names(ds, path)
    types = _types(ds, path)
    contours: dict[int, list[np.ndarray]] = {n: [] for n in names}
    pois: dict[str, tuple[float, float, float]] = {}
    skipped: dict[str, list[str]] = {}
    for roi in _sequence(ds, "ROIContourSequence"):
        number = _number(roi, "ReferencedROINumber", path, "an ROI contour")
        if number not in names:
            continue
        name = names[number]
        for item in _sequence(roi, "ContourSequence"):
            points = _contour_points(item, path, name)
            kind = _text(item, "ContourGeometricType").upper() or "CLOSED_PLANAR"
            if points is None:
                continue
            if kind == "POINT" or len(points) == 1:
                pois[name] = tuple(float(v) for v in points[0])
            elif kind != "CLOSED_PLANAR" or len(points) < 3:
                skipped.setdefault(name, []).append(kind.lower().replace("_", " "))
            else:
                contours[number].append(points)
    for name, kinds in skipped.items():
        notes.append(f"ROI {name}: {len(kinds)} {'/'.join(sorted(set(kinds)))} contour(s) skipped (only closed "
                     "planar contours make a volume)")
    rasters = []
    for number, name in names.items():
        if not contours[number]:
            if name not in pois and name not in skipped:
                notes.append(f"ROI {name}: no contour, skipped")
            continue
        raster = _rasterize(name, types.get(number, "Organ"), contours[number], ct, path)
        if raster is None:
            notes.append(f"ROI {name}: its contours enclose no voxel center of the CT, skipped")
            continue
        rasters.append(raster)
    body = _body(rasters, path)
    return StructureSet(rasters, pois, body, _text(ds, "SOPInstanceUID"))


def _body(rasters: list[RoiRaster], path: Path) -> str:
    by_type = [r.name for r in rasters if r.roi_type == "External"]
    if by_type:
        return by_type[0]
    by_name = [r.name for r in rasters if r.name.lower() in BODY_NAMES]
    if by_name:
        return by_name[0]
    raise PatientError(f"{path}: no body outline (an ROI of type EXTERNAL, or named External or Body): contour the "
                       "body and export the structure set again")


def _rasterize(name: str, roi_type: str, polygons: list[np.ndarray], ct: CtImage,
               path: Path) -> RoiRaster | None:
    """The even-odd fill of an ROI's contours on the CT grid, within its bounding box (None when empty)."""
    origin, spacing, shape = np.array(ct.origin_mm), np.array(ct.spacing_mm), np.array(ct.shape)
    by_slice: dict[int, list[np.ndarray]] = {}
    for points in polygons:
        index = (points - origin) / spacing
        k = float(np.median(index[:, 2]))
        low, high = index.min(axis=0), index.max(axis=0)
        if (low < -0.5 - OFF_CT_TOLERANCE).any() or (high > shape - 0.5 + OFF_CT_TOLERANCE).any():
            axis = int(np.argmax(np.maximum(-0.5 - low, high - (shape - 0.5))))
            where = "xyz"[axis]
            span = (origin[axis] - spacing[axis] / 2, origin[axis] + spacing[axis] * (shape[axis] - 0.5))
            raise PatientError(f"{path}: ROI {name!r} has a contour off the CT ({where} up to "
                               f"{points[:, axis].min():.1f} to {points[:, axis].max():.1f} mm, the CT spans "
                               f"{span[0]:.1f} to {span[1]:.1f} mm): export the structure set with the CT it was "
                               "drawn on")
        by_slice.setdefault(int(np.clip(round(k), 0, shape[2] - 1)), []).append(index[:, :2])
    all_xy = np.concatenate([p for ps in by_slice.values() for p in ps])
    x_lo, y_lo = (max(0, int(np.floor(v))) for v in all_xy.min(axis=0))
    x_hi, y_hi = (min(int(n), int(np.ceil(v)) + 1) for v, n in zip(all_xy.max(axis=0), shape[:2], strict=True))
    z_lo, z_hi = min(by_slice), max(by_slice) + 1
    if x_hi <= x_lo or y_hi <= y_lo:
        return None
    mask = np.zeros((x_hi - x_lo, y_hi - y_lo, z_hi - z_lo), dtype=bool)
    for k, slice_polygons in by_slice.items():
        mask[:, :, k - z_lo] = even_odd_fill([p - (x_lo, y_lo) for p in slice_polygons], mask.shape[:2])
    if not mask.any():
        return None
    return RoiRaster(name, roi_type, (slice(x_lo, x_hi), slice(y_lo, y_hi), slice(z_lo, z_hi)), mask)


def even_odd_fill(polygons: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """The pixels [x, y] of a `shape` image whose centers (at integer coordinates) lie inside the polygons by
    the even-odd rule: a scanline per row of pixel centers, crossings counted left of each center."""
    nx, ny = shape
    crossings = np.zeros((ny, nx + 1), dtype=np.int32)
    for polygon in polygons:
        x0, y0 = polygon[:, 0], polygon[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        rows_lo = np.ceil(np.minimum(y0, y1)).astype(int)
        rows_hi = np.ceil(np.maximum(y0, y1)).astype(int)  # half-open: an edge covers rows y0 <= r < y1
        counts = np.clip(rows_hi, 0, ny) - np.clip(rows_lo, 0, ny)
        keep = counts > 0
        if not keep.any():
            continue
        edge = np.repeat(np.flatnonzero(keep), counts[keep])
        start = np.repeat(np.clip(rows_lo, 0, ny)[keep], counts[keep])
        offset = np.arange(edge.size) - np.repeat(np.cumsum(counts[keep]) - counts[keep], counts[keep])
        row = start + offset
        t = (row - y0[edge]) / (y1[edge] - y0[edge])
        x = x0[edge] + t * (x1[edge] - x0[edge])
        column = np.clip(np.floor(x).astype(int) + 1, 0, nx)  # centers right of the crossing flip parity
        np.add.at(crossings, (row, column), 1)
    inside = (np.cumsum(crossings, axis=1)[:, :nx] % 2).astype(bool)
    return inside.T
