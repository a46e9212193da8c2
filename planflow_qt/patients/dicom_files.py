"""What every DICOM file PlanFlow writes shares: patient and study modules, UIDs, and writing it atomically."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from planflow_qt.patients.errors import PatientError
from planflow_qt.patients.patient import PatientIdentity

MANUFACTURER = "PlanFlow"


def new_dataset(identity: PatientIdentity, sop_class_uid: str, modality: str, series_uid: str, instance_uid: str,
                series_description: str = "", series_number: int = 1):
    """A dataset with the patient, study, series, frame of reference and SOP common modules filled."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class_uid
    meta.MediaStorageSOPInstanceUID = instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    now = datetime.now()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = instance_uid
    ds.InstanceCreationDate = ds.StudyDate = ds.SeriesDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = ds.StudyTime = ds.SeriesTime = now.strftime("%H%M%S")
    ds.Modality = modality
    ds.Manufacturer = MANUFACTURER
    ds.PatientName = identity.patient_name
    ds.PatientID = identity.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = identity.study_uid
    ds.StudyID = "1"
    ds.StudyDescription = identity.study_description
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = series_number
    ds.SeriesDescription = series_description
    ds.FrameOfReferenceUID = identity.frame_uid
    ds.PositionReferenceIndicator = ""
    return ds


def write_dataset(ds, path: Path) -> Path:
    """Write `ds` as a DICOM file (preamble and meta header) through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    try:
        ds.save_as(temporary, enforce_file_format=True)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        reason = exc.strerror or str(exc).splitlines()[0]
        raise PatientError(f"{path}: cannot be written ({reason}): choose another folder") from None
    return path
