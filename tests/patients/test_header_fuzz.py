"""Import never raises anything but `PatientError` on a patient whose DICOM headers were damaged at random:
elements deleted or overwritten with arbitrary bytes, in the CT slices and deep in the structure set."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from planflow_qt.patients.dicom_import import read_patient
from planflow_qt.patients.dicom_phantom import write_patient_dicom
from planflow_qt.patients.errors import PatientError
from planflow_qt.patients.grid import Grid
from planflow_qt.patients.patient import Patient
from planflow_qt.patients.phantoms import CaseParams, phantom_identity

CT_KEYWORDS = ["ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns", "RescaleSlope",
               "RescaleIntercept", "Modality", "SeriesInstanceUID", "FrameOfReferenceUID", "SOPInstanceUID",
               "PatientPosition", "BitsAllocated", "BitsStored", "PixelRepresentation", "SamplesPerPixel",
               "PhotometricInterpretation", "PixelData", "SliceThickness", "PatientName", "PatientID",
               "StudyInstanceUID", "SpecificCharacterSet"]
RS_PATHS = ["Modality", "SOPInstanceUID", "SpecificCharacterSet", "StructureSetROISequence",
            "ROIContourSequence", "RTROIObservationsSequence", "ReferencedFrameOfReferenceSequence",
            "ReferencedFrameOfReferenceSequence.0.FrameOfReferenceUID",
            "StructureSetROISequence.*.ROIName", "StructureSetROISequence.*.ROINumber",
            "RTROIObservationsSequence.*.RTROIInterpretedType", "RTROIObservationsSequence.*.ReferencedROINumber",
            "ROIContourSequence.*.ReferencedROINumber", "ROIContourSequence.*.ContourSequence",
            "ROIContourSequence.*.ContourSequence.*.ContourData",
            "ROIContourSequence.*.ContourSequence.*.ContourGeometricType",
            "ROIContourSequence.*.ContourSequence.*.NumberOfContourPoints"]
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**40), 2**40)).map(str)
VALUES = st.one_of(
    st.binary(max_size=24),
    st.text(max_size=12).map(lambda t: t.encode("utf-8")),
    st.lists(NUMBERS, max_size=7).map(lambda v: "\\".join(v).encode("ascii")),
    st.sampled_from([b"", b"0", b"-1", b"1e309", b"nan", b"CT", b"RTSTRUCT", b"HFP", b"0\\1\\0\\0\\0\\1"]),
)


def _small_patient() -> Patient:
    """A 12 x 10 pixel, 4 slice CT (10 mm voxels) with a body and a target: quick to write and read."""
    grid = Grid(shape=(12, 10, 4), voxel_mm=10.0, origin_mm=(-55.0, -45.0, -15.0))
    x, y, _ = grid.mesh_mm
    body = np.broadcast_to(((x / 50.0) ** 2 + (y / 40.0) ** 2) <= 1.0, grid.shape).copy()
    target = np.zeros(grid.shape, dtype=bool)
    target[5:7, 4:6, 1:3] = True
    density = np.where(body, 1.0, 0.0).astype(np.float32)
    name = "fuzz"
    return Patient(name=name, grid=grid, density=density, rois={"External": body, "PTV": target},
                   roi_types={"External": "External", "PTV": "Ptv"}, pois_mm={"ISO": (5.0, 5.0, 0.0)},
                   identity=phantom_identity(name, CaseParams()))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """The small patient's datasets, read once: (CT slices, RTSTRUCT)."""
    folder = tmp_path_factory.mktemp("fuzz")
    write_patient_dicom(_small_patient(), folder)
    cts = [pydicom.dcmread(p) for p in sorted(folder.glob("CT_*.dcm"))]
    return cts, pydicom.dcmread(folder / "RS.dcm")


def _targets(ds, path: str, choice: int) -> list[tuple[object, str]]:
    """The (dataset, keyword) pairs that `path` (keywords and item indices, `*` = the chosen item) names."""
    *parents, keyword = path.split(".")
    holders = [ds]
    for part in parents:
        nxt = []
        for holder in holders:
            try:
                if part.isdigit() or part == "*":
                    items = list(holder)
                    if items:
                        nxt.append(items[int(part) if part.isdigit() else choice % len(items)])
                elif part in holder:
                    nxt.append(holder[part].value)
            except Exception:  # an earlier mutation made this sequence unreadable: nothing to damage below it
                continue
        holders = nxt
    return [(h, keyword) for h in holders]


def _mutate(ds, path: str, choice: int, value: bytes | None) -> None:
    for holder, keyword in _targets(ds, path, choice):
        tag = Tag(tag_for_keyword(keyword))
        if value is None:
            if keyword in holder:
                del holder[keyword]
            continue
        text = value + b" " * (len(value) % 2)
        vr = dictionary_VR(tag)
        if vr == "SQ":
            vr = "UN"
        holder[tag] = RawDataElement(tag, vr, len(text), text, 0, False, True)


MUTATION = st.tuples(st.integers(0, 4), st.integers(0, 40), st.one_of(st.none(), VALUES))


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=3), keywords=st.lists(st.integers(0, 1000), min_size=3,
                                                                                 max_size=3))
def test_damaged_headers_raise_only_patient_errors(pristine, mutations, keywords):
    cts, rs = pristine
    cts, rs = [copy.deepcopy(ds) for ds in cts], copy.deepcopy(rs)
    for (file_index, choice, value), pick in zip(mutations, keywords, strict=False):
        if file_index < len(cts):
            _mutate(cts[file_index], CT_KEYWORDS[pick % len(CT_KEYWORDS)], choice, value)
        else:
            _mutate(rs, RS_PATHS[pick % len(RS_PATHS)], choice, value)
    with tempfile.TemporaryDirectory() as folder:
        try:
            for k, ds in enumerate(cts):
                ds.save_as(Path(folder) / f"CT_{k}.dcm")
            rs.save_as(Path(folder) / "RS.dcm")
        except Exception:  # the damage cannot even be written: nothing to read
            return
        try:
            read_patient(folder, grid_mm=10.0)
        except PatientError as exc:
            assert "\n" not in str(exc) and folder in str(exc), "one line naming the folder or its file"
