"""The patient a simulated run plans on: a grid of cubic voxels with density, ROI masks and POIs.

A `Patient` comes from an analytic phantom (`phantoms.make_case`) or from a DICOM CT and structure set
(`dicom_import.read_patient`); its `identity` carries what DICOM export needs to reference the source
(patient name and ID, study and frame-of-reference UIDs), and `ct` the CT on its own grid when it was read
from DICOM, so a report can show the dose over it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from planflow_qt.patients.grid import Grid

if TYPE_CHECKING:
    from planflow_qt.patients.ct import CtImage
    from planflow_qt.patients.phantoms import CaseParams


@dataclass(frozen=True)
class PatientIdentity:
    """Who the patient is in DICOM terms, and the UIDs exported files reference."""

    patient_name: str
    patient_id: str
    study_uid: str
    frame_uid: str
    ct_series_uid: str = ""
    structure_set_uid: str = ""
    patient_position: str = "HFS"
    study_description: str = ""
    ct_instance_uids: tuple[str, ...] = ()
    """SOP instance UIDs of the CT slices, inferior to superior (what an exported structure set references)."""


@dataclass
class Patient:
    """One patient on a grid of cubic voxels: relative electron density, ROI masks and types, POIs (mm).

    `params` are the phantom's parameters (None for a patient read from DICOM); `notes` what reading it
    found worth telling the planner (other modalities ignored, ROIs skipped...).
    """

    name: str
    grid: Grid
    density: np.ndarray
    rois: dict[str, np.ndarray]
    roi_types: dict[str, str]
    pois_mm: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    body: str = "External"
    params: CaseParams | None = None
    identity: PatientIdentity | None = None
    ct: CtImage | None = None
    notes: list[str] = field(default_factory=list)
    source: str = ""
    """Where the patient was read from (a folder), or empty for a phantom."""

    @property
    def key(self) -> tuple:
        """What identifies this patient for caching (name, parameters or source, grid)."""
        what = self.params.model_dump_json() if self.params is not None else self.source
        return (self.name, what, self.grid)

    @property
    def label(self) -> str:
        """`NAME (ID)` for reports, or the case name of a phantom without an identity."""
        if self.identity is None:
            return self.name
        return f"{self.identity.patient_name} ({self.identity.patient_id})"
