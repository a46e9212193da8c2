"""An RTSTRUCT written from masks: one ROI per mask, contoured slice by slice (`contours`), with its type.

The structure set references the CT series (and each slice whose z a contour lies on, when the slice UIDs
are known) and the frame of reference of the patient, so viewers show it over that CT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from planflow_qt.patients.contours import SUPERSAMPLE, mask_contours
from planflow_qt.patients.dicom_files import new_dataset
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.patient import PatientIdentity
from planflow_qt.patients.structures import ROI_TYPES

RT_STRUCTURE_SET = "1.2.840.10008.5.1.4.1.1.481.3"
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
_DICOM_TYPES = {v: k for k, v in ROI_TYPES.items()}
PALETTE = ((230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128), (170, 110, 40))


def dicom_roi_type(roi_type: str) -> str:
    """The RT ROI Interpreted Type of a planning ROI type (`Ptv` -> `PTV`); unknown types are `ORGAN`."""
    if roi_type in _DICOM_TYPES:
        return _DICOM_TYPES[roi_type]
    upper = roi_type.upper()
    return upper if upper in ROI_TYPES else "ORGAN"


def _reference_ct(ds, identity: PatientIdentity, ct_z_mm: Sequence[float]):
    from pydicom.dataset import Dataset

    frame = Dataset()
    frame.FrameOfReferenceUID = identity.frame_uid
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management (as exporters write)
    study.ReferencedSOPInstanceUID = identity.study_uid
    series = Dataset()
    series.SeriesInstanceUID = identity.ct_series_uid
    images = []
    for uid in identity.ct_instance_uids:
        image = Dataset()
        image.ReferencedSOPClassUID = CT_IMAGE
        image.ReferencedSOPInstanceUID = uid
        images.append(image)
    series.ContourImageSequence = images
    study.RTReferencedSeriesSequence = [series]
    frame.RTReferencedStudySequence = [study]
    ds.ReferencedFrameOfReferenceSequence = [frame]
    return dict(zip((round(z, 2) for z in ct_z_mm), identity.ct_instance_uids, strict=False))


def _set_contour_data(item, points: np.ndarray) -> None:
    """ContourData as the encoded DS text, written as is: converting each number to a pydicom DS value costs
    ten times as much for the thousands of points of a structure set."""
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    text = "\\".join(f"{v:.2f}" for v in points.ravel()).encode("ascii")
    text += b" " * (len(text) % 2)
    tag = Tag(0x3006, 0x0050)
    item[tag] = RawDataElement(tag, "DS", len(text), text, 0, False, True)
    item.set_original_encoding(False, True, item._character_set)


def structure_set(identity: PatientIdentity, grid: Grid, rois: Mapping[str, np.ndarray],
                  roi_types: Mapping[str, str], instance_uid: str, series_uid: str, label: str = "PlanFlow",
                  pois_mm: Mapping[str, tuple[float, float, float]] | None = None,
                  ct_z_mm: Sequence[float] = (), supersample: int = SUPERSAMPLE):
    """The RTSTRUCT dataset of `rois` (masks on `grid`) and `pois_mm`; `ct_z_mm` are the z of the CT slices
    listed in `identity.ct_instance_uids`: contours are drawn on those planes and reference their slice.
    `supersample` 1 draws contours between voxel centers (enough when the CT grid is the masks' grid)."""
    contours = {name: mask_contours(mask, grid, ct_z_mm, supersample) for name, mask in rois.items() if mask.any()}
    return contoured_structure_set(identity, contours, roi_types, instance_uid, series_uid, label, pois_mm, ct_z_mm)


def contoured_structure_set(identity: PatientIdentity, contours: Mapping[str, list[tuple[float, np.ndarray]]],
                            roi_types: Mapping[str, str], instance_uid: str, series_uid: str,
                            label: str = "PlanFlow", pois_mm: Mapping[str, tuple[float, float, float]] | None = None,
                            ct_z_mm: Sequence[float] = ()):
    """The RTSTRUCT dataset of ROIs given as (z mm, polygon of x, y mm) contours, and of `pois_mm`."""
    from pydicom.dataset import Dataset

    ds = new_dataset(identity, RT_STRUCTURE_SET, "RTSTRUCT", series_uid, instance_uid, f"{label} structures")
    ds.StructureSetLabel = label[:16]
    ds.StructureSetName = label[:64]
    ds.StructureSetDate, ds.StructureSetTime = ds.InstanceCreationDate, ds.InstanceCreationTime
    slice_of = _reference_ct(ds, identity, ct_z_mm)
    entries, sequences, observations = [], [], []
    items = [(name, polygons, "CLOSED_PLANAR") for name, polygons in contours.items() if polygons]
    items += [(name, [(float(point[2]), np.asarray(point, dtype=float)[None, :2])], "POINT")
              for name, point in (pois_mm or {}).items() if name not in contours]
    for number, (name, polygons, kind) in enumerate(items, start=1):
        entry = Dataset()
        entry.ROINumber = number
        entry.ReferencedFrameOfReferenceUID = identity.frame_uid
        entry.ROIName = name
        entry.ROIGenerationAlgorithm = "AUTOMATIC" if kind == "CLOSED_PLANAR" else "MANUAL"
        entries.append(entry)
        roi = Dataset()
        roi.ReferencedROINumber = number
        roi.ROIDisplayColor = list(PALETTE[(number - 1) % len(PALETTE)])
        sequence = []
        for z, polygon in polygons:
            item = Dataset()
            item.ContourGeometricType = kind
            item.NumberOfContourPoints = len(polygon)
            _set_contour_data(item, np.column_stack([polygon, np.full(len(polygon), z)]))
            uid = slice_of.get(round(z, 2))
            if uid:
                image = Dataset()
                image.ReferencedSOPClassUID = CT_IMAGE
                image.ReferencedSOPInstanceUID = uid
                item.ContourImageSequence = [image]
            sequence.append(item)
        roi.ContourSequence = sequence
        sequences.append(roi)
        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        observation.RTROIInterpretedType = (dicom_roi_type(roi_types.get(name, "Organ")) if kind == "CLOSED_PLANAR"
                                            else "MARKER")
        observation.ROIInterpreter = ""
        observations.append(observation)
    ds.StructureSetROISequence = entries
    ds.ROIContourSequence = sequences
    ds.RTROIObservationsSequence = observations
    return ds
