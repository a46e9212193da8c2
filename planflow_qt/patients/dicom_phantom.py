"""A simulated patient written as DICOM: a CT series and an RTSTRUCT, as a planning system exports them.

The CT's HU are the patient's densities through the inverse of the CT calibration, so reading the folder
back gives the same densities; outside the body it is air (-1000 HU) with a treatment couch (a 2 cm board of
-300 HU below the patient) that the import must leave out of the body. ROIs are contoured on the CT slices.
Any patient position can be written (the slice axes follow it), to exercise the import.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from planflow_qt.patients.calibration import Calibration
from planflow_qt.patients.dicom_files import new_dataset, write_dataset
from planflow_qt.patients.dicom_rtstruct import CT_IMAGE, structure_set
from planflow_qt.patients.patient import Patient, PatientIdentity
from planflow_qt.patients.uids import derived_uid

AIR_HU = -1000
COUCH_HU = -300
COUCH_MM = 20.0
HU_OFFSET = 1024
"""Stored pixel value = HU + 1024 (RescaleIntercept -1024), as CT scanners write."""
AXIS_SIGNS = {"HFS": (1, 1), "HFP": (-1, -1), "FFS": (-1, 1), "FFP": (1, -1)}


def phantom_hu(patient: Patient, calibration: Calibration) -> np.ndarray:
    """The CT in HU of a simulated patient: its densities through the inverse calibration, air and a couch
    outside the body."""
    body = patient.rois[patient.body]
    hu = np.where(body, calibration.to_hu(patient.density), np.int16(AIR_HU)).astype(np.int16)
    y = patient.grid.mesh_mm[1][0, :, 0]
    back = np.flatnonzero(body.any(axis=(0, 2)))
    if back.size:
        below = (y > y[back[-1]] + patient.grid.voxel_mm) & (y <= y[back[-1]] + patient.grid.voxel_mm + COUCH_MM)
        hu[:, below, :] = np.where(body[:, below, :], hu[:, below, :], np.int16(COUCH_HU))
    return hu


def write_patient_dicom(patient: Patient, folder: str | Path, calibration: Calibration | None = None,
                        position: str = "HFS") -> PatientIdentity:
    """Write `patient` into `folder` as `CT_NNNN.dcm` slices and `RS.dcm`; returns its identity with the CT's
    UIDs (what an export referencing this CT uses)."""
    folder = Path(folder)
    identity, z_mm = write_ct_series(patient, folder, calibration, position)
    rs = structure_set(identity, patient.grid, patient.rois, patient.roi_types, identity.structure_set_uid,
                       derived_uid(identity.study_uid, "RTSTRUCT series"), label=patient.name,
                       pois_mm=patient.pois_mm, ct_z_mm=z_mm, supersample=1)
    write_dataset(rs, folder / "RS.dcm")
    return identity


def write_ct_series(patient: Patient, folder: Path, calibration: Calibration | None = None,
                    position: str = "HFS") -> tuple[PatientIdentity, list[float]]:
    """Write the CT of a simulated patient on its grid as `CT_NNNN.dcm` slices; returns the identity with the
    series' UIDs and the slices' z (mm)."""
    calibration = calibration or Calibration.default()
    grid = patient.grid
    study = patient.identity.study_uid
    series_uid = derived_uid(study, "CT", grid)
    uids = tuple(derived_uid(series_uid, k) for k in range(grid.shape[2]))
    identity = dataclasses.replace(patient.identity, ct_series_uid=series_uid, ct_instance_uids=uids,
                                   patient_position=position,
                                   structure_set_uid=derived_uid(study, "RTSTRUCT", grid))
    hu = phantom_hu(patient, calibration)
    x_sign, y_sign = AXIS_SIGNS[position]
    z_mm = [grid.origin_mm[2] + grid.voxel_mm * k for k in range(grid.shape[2])]
    first_x = grid.origin_mm[0] if x_sign > 0 else grid.origin_mm[0] + grid.voxel_mm * (grid.shape[0] - 1)
    first_y = grid.origin_mm[1] if y_sign > 0 else grid.origin_mm[1] + grid.voxel_mm * (grid.shape[1] - 1)
    for k, z in enumerate(z_mm):
        pixels = (hu[::x_sign, ::y_sign, k].T.astype(np.int32) + HU_OFFSET).astype(np.uint16)
        write_dataset(ct_slice(identity, uids[k], k, pixels, (first_x, first_y, z), (x_sign, y_sign),
                               (grid.voxel_mm, grid.voxel_mm, grid.voxel_mm)), folder / f"CT_{k + 1:04d}.dcm")
    return identity, z_mm


def ct_slice(identity: PatientIdentity, uid: str, index: int, pixels: np.ndarray, first: tuple[float, ...],
             signs: tuple[int, int], spacing_mm: tuple[float, float, float]):
    """One CT slice: `pixels` (rows x columns, stored values = HU + 1024), its first pixel's position `first`,
    the signs of its row and column directions along x and y, and the spacing (x, y, slice thickness) in mm."""
    ds = new_dataset(identity, CT_IMAGE, "CT", identity.ct_series_uid, uid, "PlanFlow phantom CT")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.PatientPosition = identity.patient_position
    ds.InstanceNumber = index + 1
    ds.ImagePositionPatient = [f"{v:.3f}" for v in first]
    ds.ImageOrientationPatient = [signs[0], 0, 0, 0, signs[1], 0]
    ds.SliceThickness = f"{spacing_mm[2]:g}"
    ds.SliceLocation = f"{first[2]:.3f}"
    ds.PixelSpacing = [f"{spacing_mm[1]:g}", f"{spacing_mm[0]:g}"]
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.RescaleIntercept = -HU_OFFSET
    ds.RescaleSlope = 1
    ds.RescaleType = "HU"
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.KVP = 120
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds
