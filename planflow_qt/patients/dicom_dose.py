"""An RTDOSE read back: the dose (cGy) on its grid, to check an export or compare doses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from planflow_qt.patients.errors import PatientError
from planflow_qt.patients.grid import Grid


def read_dose(path: str | Path) -> tuple[np.ndarray, Grid]:
    """The dose (cGy, [x, y, z]) of an axial RTDOSE with cubic voxels, and its grid."""
    import pydicom

    path = Path(path)
    ds = pydicom.dcmread(path)
    if str(ds.get("Modality", "")) != "RTDOSE":
        raise PatientError(f"{path}: not an RTDOSE file (modality {ds.get('Modality', 'none')})")
    if [round(float(v)) for v in ds.ImageOrientationPatient] != [1, 0, 0, 0, 1, 0]:
        raise PatientError(f"{path}: only doses on axial head-first grids are read")
    frames = np.asarray(ds.pixel_array, dtype=np.float64).reshape(int(ds.get("NumberOfFrames", 1)), ds.Rows,
                                                                     ds.Columns)
    dose = frames.transpose(2, 1, 0) * float(ds.DoseGridScaling) * 100.0
    offsets = [float(v) for v in ds.GridFrameOffsetVector]
    spacing = [float(v) for v in ds.PixelSpacing]
    voxel = spacing[0]
    steps = np.diff(offsets) if len(offsets) > 1 else np.array([voxel])
    if not (np.allclose(spacing, voxel) and np.allclose(steps, voxel, atol=1e-3)):
        raise PatientError(f"{path}: only doses on grids of cubic voxels are read")
    origin = tuple(float(v) for v in ds.ImagePositionPatient)
    return dose, Grid(shape=dose.shape, voxel_mm=voxel, origin_mm=origin)
