"""A patient read from DICOM: one CT series and its RTSTRUCT in a folder, resampled to the dose grid.

The folder (searched with its subfolders) holds one CT series and one RTSTRUCT, under any file names; other
modalities (RTPLAN, RTDOSE, MR...) and files that are not DICOM are ignored with a note. The CT becomes
relative electron density through a CT calibration (`calibration`), set to 0 outside the body outline (the
couch and the air around the patient); the ROIs are rasterized on the CT grid (`structures`) and resampled to
a grid of cubic voxels fitted to the body (`resample`). Every problem raises `PatientError` with a one-line
message naming the file and what to do.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from planflow_qt.patients.calibration import Calibration
from planflow_qt.patients.ct import CtImage, read_ct
from planflow_qt.patients.errors import PatientError
from planflow_qt.patients.patient import Patient, PatientIdentity
from planflow_qt.patients.resample import density_on_grid, dose_grid, roi_on_grid
from planflow_qt.patients.structures import check_frame, read_structures

log = logging.getLogger(__name__)

CT_MODALITY = "CT"
STRUCTURE_MODALITY = "RTSTRUCT"


def is_patient_folder(folder: Path) -> bool:
    """Whether `folder` itself holds DICOM files (a patient), rather than only subfolders of patients."""
    return any(_is_dicom(p) for p in folder.iterdir() if p.is_file())


def patient_folders(paths: list[Path]) -> list[Path]:
    """Each path a patient folder, or a folder of patient folders (its subfolders, sorted by name)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise PatientError(f"{path}: not a folder: give a patient folder or a folder of patient folders")
        if is_patient_folder(path):
            found.append(path)
            continue
        subfolders = sorted(p for p in path.iterdir() if p.is_dir() and is_patient_folder(p))
        if not subfolders:
            raise PatientError(f"{path}: no DICOM files here or in its subfolders: give a folder holding a CT "
                               "series and an RTSTRUCT")
        found += subfolders
    return found


def _is_dicom(path: Path) -> bool:
    """A DICOM file by its `DICM` prefix, or by its `.dcm` name (older exports write no prefix)."""
    if path.suffix.lower() == ".dcm":
        return True
    try:
        with path.open("rb") as handle:
            handle.seek(128)
            return handle.read(4) == b"DICM"
    except OSError:
        return False


def _header(path: Path):
    """The dataset of a file without its pixel data, or None when it is not DICOM; files without the `DICM`
    prefix are read when they hold a modality."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    failures = (InvalidDicomError, OSError, EOFError, ValueError, TypeError, KeyError, AttributeError,
                IndexError, OverflowError, NotImplementedError)
    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        pass
    except failures:
        return None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        return ds if "Modality" in ds else None
    except failures:
        return None


def _read_headers(folder: Path, notes: list[str]) -> tuple[dict[str, list[Path]], list[Path]]:
    """CT slice paths by series UID, and the RTSTRUCT paths, of the DICOM files under `folder`."""
    series: dict[str, list] = {}
    structures: list = []
    ignored: Counter = Counter()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        ds = _header(path)
        if ds is None:
            ignored["not DICOM"] += 1
            continue
        modality = str(ds.get("Modality", "") or "").upper()
        if modality == CT_MODALITY:
            series.setdefault(str(ds.get("SeriesInstanceUID", "") or ""), []).append(path)
        elif modality == STRUCTURE_MODALITY:
            structures.append(path)
        else:
            ignored[modality or "no modality"] += 1
    if ignored:
        notes.append("ignored: " + ", ".join(f"{n} {kind} file(s)" for kind, n in sorted(ignored.items())))
    return series, structures


def _choose(folder: Path, series: dict[str, list], structures: list[Path]) -> tuple[list[Path], Path]:
    if not series:
        raise PatientError(f"{folder}: no CT slices found: put the planning CT series in the patient folder")
    if len(series) > 1:
        sizes = ", ".join(str(len(v)) for v in series.values())
        raise PatientError(f"{folder}: {len(series)} CT series ({sizes} slices): keep only the planning CT series "
                           "in the patient folder")
    if not structures:
        raise PatientError(f"{folder}: no RTSTRUCT found: export the structure set drawn on the CT into the "
                           "patient folder")
    if len(structures) > 1:
        raise PatientError(f"{folder}: {len(structures)} RTSTRUCT files ({', '.join(p.name for p in structures)}):"
                           " keep the one to plan on")
    return next(iter(series.values())), structures[0]


def read_patient(folder: str | Path, grid_mm: float = 5.0, calibration: Calibration | None = None) -> Patient:
    """The patient in `folder` on a dose grid of `grid_mm` cubic voxels; `PatientError` when it cannot be used.

    Never raises anything else for a damaged folder: an unexpected failure while reading a file is reported as a
    `PatientError` naming the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PatientError(f"{folder}: no such patient folder: give a folder holding a CT series and an RTSTRUCT")
    if not (np.isfinite(grid_mm) and grid_mm > 0):
        raise PatientError(f"dose grid {grid_mm} mm: give a positive voxel size")
    reading = [folder]
    try:
        return _read(folder, grid_mm, calibration or Calibration.default(), reading)
    except PatientError:
        raise
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a damaged header pydicom accepted and later choked on
        raise PatientError(f"{reading[0]}: damaged DICOM ({type(exc).__name__}: {exc}): export the patient "
                           "again") from exc


def _read(folder: Path, grid_mm: float, calibration: Calibration, reading: list[Path]) -> Patient:
    """Read the patient; `reading[0]` is the file being read (or the folder), for the message of a failure."""
    import pydicom

    notes: list[str] = []
    series, structures = _read_headers(folder, notes)
    ct_paths, rs_path = _choose(folder, series, structures)
    reading[0] = ct_paths[0].parent
    slices = [(path, pydicom.dcmread(path, force=True)) for path in ct_paths]
    first = slices[0][1]
    frame_uid = str(first.get("FrameOfReferenceUID", "") or "")
    ct, geometry, instance_uids = read_ct(slices, notes)
    del slices
    reading[0] = rs_path
    rs = pydicom.dcmread(rs_path, force=True)
    check_frame(rs, rs_path, frame_uid)
    structure_set = read_structures(rs, rs_path, ct, notes)
    body_raster = next(r for r in structure_set.rois if r.name == structure_set.body)
    grid = dose_grid(ct, grid_mm, body_raster.box)
    body_ct = np.zeros(ct.shape, dtype=bool)
    body_ct[body_raster.box] = body_raster.mask
    rois = {r.name: roi_on_grid(ct, grid, r) for r in structure_set.rois}
    density = density_on_grid(ct, grid, calibration.lookup(ct.hu), body_ct, rois[structure_set.body])
    del body_ct
    identity = PatientIdentity(
        patient_name=str(first.get("PatientName", "") or ""), patient_id=str(first.get("PatientID", "") or ""),
        study_uid=str(first.get("StudyInstanceUID", "") or ""), frame_uid=frame_uid,
        ct_series_uid=str(first.get("SeriesInstanceUID", "") or ""), structure_set_uid=structure_set.uid,
        patient_position=geometry.patient_position,
        study_description=str(first.get("StudyDescription", "") or ""), ct_instance_uids=tuple(instance_uids))
    for note in notes:
        log.info("%s: %s", folder, note)
    name = identity.patient_id or folder.name
    return Patient(name=name, grid=grid, density=density, rois=rois,
                   roi_types={r.name: r.roi_type for r in structure_set.rois}, pois_mm=structure_set.pois_mm,
                   body=structure_set.body, identity=identity, ct=_display_ct(ct), notes=notes, source=str(folder))


def _display_ct(ct: CtImage) -> CtImage:
    """The CT kept for reports: at most about 2 mm in-plane, so a large CT does not stay in memory whole."""
    step = max(1, int(2.0 // min(ct.spacing_mm[:2])))
    if step == 1:
        return ct
    hu = np.ascontiguousarray(ct.hu[::step, ::step, :])
    spacing = (ct.spacing_mm[0] * step, ct.spacing_mm[1] * step, ct.spacing_mm[2])
    return CtImage(hu, spacing, ct.origin_mm)
