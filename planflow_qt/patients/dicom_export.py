"""A simulated plan exported as DICOM RT: RTPLAN, RTDOSE and RTSTRUCT referencing the patient's CT.

The three files share the patient's study and frame of reference, so a DICOM RT viewer overlays the dose and
the ROIs (the case's and every helper ROI the flow made) on the CT they were read from; a phantom, read from
no CT, has its CT written beside them. The plan is marked
for review, not delivery: its intent is RESEARCH and it is UNAPPROVED; its beams carry the geometry (arcs or
proton beam angles, isocenter) but no MLC or spot map, so it can be inspected, not treated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planflow_qt.model.planning import Arc, Direction, PlanSetup, Prescription, ProtonBeam
from planflow_qt.patients.dicom_files import new_dataset, write_dataset
from planflow_qt.patients.dicom_phantom import write_ct_series
from planflow_qt.patients.dicom_rtstruct import structure_set
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.patient import Patient
from planflow_qt.patients.uids import new_uid

RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5"
RT_ION_PLAN = "1.2.840.10008.5.1.4.1.1.481.8"
RT_DOSE = "1.2.840.10008.5.1.4.1.1.481.2"


@dataclass
class PlanExport:
    """What is exported of a plan: its setup, prescription, isocenter (mm), beams, and the final total dose."""

    setup: PlanSetup
    dose_cgy: np.ndarray
    grid: Grid
    prescription: Prescription | None = None
    iso_mm: tuple[float, float, float] | None = None
    arcs: list[Arc] = field(default_factory=list)
    proton_beams: list[ProtonBeam] = field(default_factory=list)


def export_plan(folder: str | Path, patient: Patient, plan: PlanExport, rois: Mapping[str, np.ndarray],
                roi_types: Mapping[str, str]) -> dict[str, Path]:
    """Write `RTSTRUCT.dcm`, `RTPLAN.dcm` and `RTDOSE.dcm` into `folder`, and for a phantom (no CT read) its CT
    on the dose grid as `CT_NNNN.dcm`; returns the RT files' paths by modality."""
    folder = Path(folder)
    if patient.ct is not None:
        ct_z = [patient.ct.origin_mm[2] + patient.ct.spacing_mm[2] * k for k in range(patient.ct.shape[2])]
    else:
        identity, ct_z = write_ct_series(patient, folder)
        patient = dataclasses.replace(patient, identity=identity)
    identity = patient.identity
    struct_uid, plan_uid, dose_uid = new_uid(), new_uid(), new_uid()
    rs = structure_set(identity, plan.grid, rois, roi_types, struct_uid, new_uid(), label=plan.setup.name,
                       pois_mm=patient.pois_mm, ct_z_mm=ct_z)
    numbers = {item.ROIName: int(item.ROINumber) for item in rs.StructureSetROISequence}
    paths = {"RTSTRUCT": write_dataset(rs, folder / "RTSTRUCT.dcm")}
    paths["RTPLAN"] = write_dataset(_plan_dataset(patient, plan, plan_uid, struct_uid, numbers),
                                    folder / "RTPLAN.dcm")
    paths["RTDOSE"] = write_dataset(_dose_dataset(patient, plan, dose_uid, plan_uid), folder / "RTDOSE.dcm")
    return paths


def _referenced(sop_class: str, uid: str):
    from pydicom.dataset import Dataset

    item = Dataset()
    item.ReferencedSOPClassUID = sop_class
    item.ReferencedSOPInstanceUID = uid
    return item


def _plan_dataset(patient: Patient, plan: PlanExport, uid: str, struct_uid: str, numbers: dict[str, int]):
    from pydicom.dataset import Dataset

    ion = bool(plan.proton_beams)
    ds = new_dataset(patient.identity, RT_ION_PLAN if ion else RT_PLAN, "RTPLAN", new_uid(), uid,
                     f"{plan.setup.name} (for review)")
    setup = plan.setup
    ds.RTPlanLabel = setup.beam_set[:16]
    ds.RTPlanName = setup.name[:64]
    ds.RTPlanDescription = "Simulated by PlanFlow: for review, not for delivery"
    ds.RTPlanDate, ds.RTPlanTime = ds.InstanceCreationDate, ds.InstanceCreationTime
    ds.RTPlanGeometry = "PATIENT"
    ds.PlanIntent = "RESEARCH"
    ds.ApprovalStatus = "UNAPPROVED"
    ds.ReferencedStructureSetSequence = [_referenced("1.2.840.10008.5.1.4.1.1.481.3", struct_uid)]
    position = Dataset()
    position.PatientSetupNumber = 1
    position.PatientPosition = patient.identity.patient_position  # as the CT was taken and the dose computed
    ds.PatientSetupSequence = [position]
    rx = plan.prescription
    if rx is not None:
        reference = Dataset()
        reference.DoseReferenceNumber = 1
        reference.DoseReferenceUID = new_uid()
        reference.DoseReferenceStructureType = "VOLUME"
        reference.DoseReferenceDescription = f"{rx.kind.value} {rx.volume_percent:g} %"
        if rx.roi in numbers:
            reference.ReferencedROINumber = numbers[rx.roi]
        reference.DoseReferenceType = "TARGET"
        reference.TargetPrescriptionDose = f"{rx.dose_cgy / 100.0:.4g}"
        ds.DoseReferenceSequence = [reference]
    beams = [_ion_beam(b, i, setup, plan.iso_mm) for i, b in enumerate(plan.proton_beams, start=1)] if ion else [
        _arc_beam(a, i, setup, plan.iso_mm) for i, a in enumerate(plan.arcs, start=1)]
    if ion:
        ds.IonBeamSequence = beams
    else:
        ds.BeamSequence = beams
    group = Dataset()
    group.FractionGroupNumber = 1
    group.NumberOfFractionsPlanned = setup.fractions
    group.NumberOfBeams = len(beams)
    group.NumberOfBrachyApplicationSetups = 0
    referenced = []
    for i in range(1, len(beams) + 1):
        item = Dataset()
        item.ReferencedBeamNumber = i
        referenced.append(item)
    group.ReferencedBeamSequence = referenced
    ds.FractionGroupSequence = [group]
    return ds


def _iso(iso_mm) -> list[str]:
    return [f"{v:.2f}" for v in (iso_mm or (0.0, 0.0, 0.0))]


def _beam(number: int, name: str, beam_type: str, radiation: str, setup: PlanSetup):
    """What every beam of the plan states: number, name, type, radiation, machine, no accessories."""
    from pydicom.dataset import Dataset

    beam = Dataset()
    beam.BeamNumber = number
    beam.BeamName = name
    beam.BeamType = beam_type
    beam.RadiationType = radiation
    beam.TreatmentMachineName = setup.machine[:16]
    beam.PrimaryDosimeterUnit = "MU"
    beam.TreatmentDeliveryType = "TREATMENT"
    beam.NumberOfWedges = beam.NumberOfCompensators = beam.NumberOfBoli = beam.NumberOfBlocks = 0
    beam.FinalCumulativeMetersetWeight = "1"
    return beam


def _arc_beam(arc: Arc, number: int, setup: PlanSetup, iso_mm):
    from pydicom.dataset import Dataset

    beam = _beam(number, arc.name, "DYNAMIC", "PHOTON", setup)
    beam.SourceAxisDistance = "1000"
    energy = "".join(ch for ch in arc.energy if ch.isdigit() or ch == ".") or "6"
    first, last = Dataset(), Dataset()
    first.ControlPointIndex, last.ControlPointIndex = 0, 1
    first.NominalBeamEnergy = energy
    first.GantryAngle, last.GantryAngle = f"{arc.gantry_start_deg:g}", f"{arc.gantry_stop_deg:g}"
    first.GantryRotationDirection = "CW" if arc.direction is Direction.CW else "CC"
    last.GantryRotationDirection = "NONE"
    first.BeamLimitingDeviceAngle = f"{arc.collimator_deg:g}"
    first.BeamLimitingDeviceRotationDirection = "NONE"
    first.PatientSupportAngle = f"{arc.couch_deg:g}"
    first.PatientSupportRotationDirection = "NONE"
    first.TableTopEccentricAngle = "0"
    first.TableTopEccentricRotationDirection = "NONE"
    first.IsocenterPosition = _iso(iso_mm)
    first.CumulativeMetersetWeight, last.CumulativeMetersetWeight = "0", "1"
    beam.NumberOfControlPoints = 2
    beam.ControlPointSequence = [first, last]
    beam.ReferencedPatientSetupNumber = 1
    return beam


def _ion_beam(proton: ProtonBeam, number: int, setup: PlanSetup, iso_mm):
    from pydicom.dataset import Dataset

    beam = _beam(number, proton.name, "STATIC", "PROTON", setup)
    beam.ScanMode = "MODULATED"
    beam.VirtualSourceAxisDistances = [2000.0, 2000.0]
    beam.NumberOfRangeShifters = 1 if proton.range_shifter else 0
    beam.NumberOfLateralSpreadingDevices = beam.NumberOfRangeModulators = 0
    beam.PatientSupportType = "TABLE"
    point = Dataset()
    point.ControlPointIndex = 0
    point.GantryAngle = f"{proton.gantry_deg:g}"
    point.GantryRotationDirection = "NONE"
    point.PatientSupportAngle = f"{proton.couch_deg:g}"
    point.PatientSupportRotationDirection = "NONE"
    point.IsocenterPosition = _iso(iso_mm)
    point.CumulativeMetersetWeight = "0"
    beam.NumberOfControlPoints = 1
    beam.IonControlPointSequence = [point]
    beam.ReferencedPatientSetupNumber = 1
    return beam


def _dose_dataset(patient: Patient, plan: PlanExport, uid: str, plan_uid: str):
    """The total dose (Gy) on the dose grid as 32-bit integers times DoseGridScaling."""
    grid = plan.grid
    ds = new_dataset(patient.identity, RT_DOSE, "RTDOSE", new_uid(), uid, f"{plan.setup.name} dose")
    gray = np.asarray(plan.dose_cgy, dtype=np.float64) / 100.0
    peak = float(gray.max()) if gray.size else 0.0
    scaling = peak / 4_000_000_000 if peak > 0 else 1.0
    pixels = np.rint(np.clip(gray, 0, None) / scaling).astype(np.uint32).transpose(2, 1, 0)  # frames, rows, columns
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.DoseGridScaling = f"{scaling:.10g}"
    ds.ReferencedRTPlanSequence = [_referenced(RT_ION_PLAN if plan.proton_beams else RT_PLAN, plan_uid)]
    ds.ImagePositionPatient = [f"{v:.3f}" for v in grid.origin_mm]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [f"{grid.voxel_mm:g}", f"{grid.voxel_mm:g}"]
    ds.SliceThickness = f"{grid.voxel_mm:g}"
    ds.GridFrameOffsetVector = [f"{grid.voxel_mm * k:g}" for k in range(grid.shape[2])]
    ds.FrameIncrementPointer = 0x3004000C
    ds.NumberOfFrames, ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds
