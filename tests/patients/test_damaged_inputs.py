"""Damaged patient folders: each refused with one line naming the file and what to do (exit code 2 from the
command, never a traceback); what can be skipped is skipped with a note."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from planflow_qt.cli import EXIT_UNREADABLE, main
from planflow_qt.patients.dicom_dose import read_dose
from planflow_qt.patients.dicom_import import read_patient
from planflow_qt.patients.errors import PatientError


def _refused(folder, *fragments: str) -> str:
    with pytest.raises(PatientError) as caught:
        read_patient(folder, grid_mm=10.0)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


def _edit(path, change) -> None:
    ds = pydicom.dcmread(path)
    change(ds)
    ds.save_as(path)


def test_a_missing_slice_names_the_slice_after_the_gap(patient_copy):
    (patient_copy / "CT_0010.dcm").unlink()
    _refused(patient_copy, str(patient_copy / "CT_0011.dcm"), "slice(s) missing from the CT between z = -15 and 5 mm",
             "export the complete series")


def test_no_structure_set(patient_copy):
    (patient_copy / "RS.dcm").unlink()
    _refused(patient_copy, str(patient_copy), "no RTSTRUCT found", "export the structure set")


def test_a_structure_set_on_another_frame_of_reference(patient_copy):
    def other_frame(ds):
        ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = "1.2.3.4"

    _edit(patient_copy / "RS.dcm", other_frame)
    _refused(patient_copy, str(patient_copy / "RS.dcm"), "frame of reference 1.2.3.4, not the CT's",
             "export it together with the CT")


def test_a_contour_off_the_ct(patient_copy):
    def lift(ds):
        item = ds.ROIContourSequence[2].ContourSequence[0]
        points = np.array([float(v) for v in item.ContourData]).reshape(-1, 3)
        points[:, 2] += 500.0
        item.ContourData = [f"{v:.2f}" for v in points.ravel()]

    _edit(patient_copy / "RS.dcm", lift)
    name = pydicom.dcmread(patient_copy / "RS.dcm").StructureSetROISequence[2].ROIName
    _refused(patient_copy, str(patient_copy / "RS.dcm"), f"ROI {name!r} has a contour off the CT (z",
             "the CT spans -100.0 to 100.0 mm", "export the structure set with the CT it was drawn on")


def test_duplicate_roi_names(patient_copy):
    def duplicate(ds):
        ds.StructureSetROISequence[3].ROIName = ds.StructureSetROISequence[1].ROIName.upper()

    _edit(patient_copy / "RS.dcm", duplicate)
    _refused(patient_copy, str(patient_copy / "RS.dcm"), "two ROIs named", "(numbers 2 and 4)", "rename one")


def test_a_non_axial_series(patient_copy):
    for path in patient_copy.glob("CT_*.dcm"):
        _edit(path, lambda ds: setattr(ds, "ImageOrientationPatient", [0, 1, 0, 0, 0, -1]))
    _refused(patient_copy, "the CT is not axial (ImageOrientationPatient 0/1/0/0/0/-1)",
             "reconstruct the series as axial slices")


def test_a_600_slice_series(patient_copy):
    template = pydicom.dcmread(patient_copy / "CT_0001.dcm")
    for path in patient_copy.glob("CT_*.dcm"):
        path.unlink()
    template.Rows = template.Columns = 2
    template.PixelData = np.zeros((2, 2), dtype=np.uint16).tobytes()
    for k in range(600):
        template.SOPInstanceUID = f"1.2.826.0.1.3680043.8.498.{k + 1}"
        template.ImagePositionPatient = [0, 0, 2.0 * k]
        template.save_as(patient_copy / f"slice{k:03d}.dcm")
    _refused(patient_copy, str(patient_copy), "the CT series has 600 slices (at most 500)",
             "export only the planning scan")


def test_a_duplicate_slice(patient_copy):
    shutil.copy(patient_copy / "CT_0005.dcm", patient_copy / "copy.dcm")
    _edit(patient_copy / "copy.dcm", lambda ds: setattr(ds, "SOPInstanceUID", "1.2.3.4.5"))
    _refused(patient_copy, "two CT slices at z = -55 mm", "remove the duplicate slice")


def test_two_series_and_two_structure_sets(patient_copy, coarse_dicom):
    shutil.copy(patient_copy / "RS.dcm", patient_copy / "RS2.dcm")
    _refused(patient_copy, "2 RTSTRUCT files (RS.dcm, RS2.dcm)", "keep the one to plan on")
    (patient_copy / "RS2.dcm").unlink()
    _edit(patient_copy / "CT_0003.dcm", lambda ds: setattr(ds, "SeriesInstanceUID", "1.2.3"))
    _refused(patient_copy, "2 CT series (19, 1 slices)", "keep only the planning CT series")


def test_undecodable_pixel_data(patient_copy):
    _edit(patient_copy / "CT_0004.dcm", lambda ds: setattr(ds, "PixelData", b"\0\0"))
    _refused(patient_copy, str(patient_copy / "CT_0004.dcm"), "cannot decode the pixel data")


def test_no_body_outline(patient_copy):
    def no_external(ds):
        for observation in ds.RTROIObservationsSequence:
            if observation.RTROIInterpretedType == "EXTERNAL":
                observation.RTROIInterpretedType = "ORGAN"
        ds.StructureSetROISequence[0].ROIName = "Skin_contour"

    _edit(patient_copy / "RS.dcm", no_external)
    _refused(patient_copy, "no body outline (an ROI of type EXTERNAL, or named External or Body)")


def test_open_contours_points_empty_rois_and_other_files_are_skipped_with_a_note(patient_copy):
    def damage(ds):
        for item in ds.ROIContourSequence[4].ContourSequence:  # Heart
            item.ContourGeometricType = "OPEN_PLANAR"
        ds.ROIContourSequence[5].ContourSequence = []  # Esophagus

    _edit(patient_copy / "RS.dcm", damage)
    plan = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    plan.save_as(patient_copy / "plan.dcm")
    (patient_copy / "readme.txt").write_text("exported by hand", encoding="utf-8")
    patient = read_patient(patient_copy, grid_mm=10.0)
    assert "Heart" not in patient.rois and "Esophagus" not in patient.rois
    notes = "\n".join(patient.notes)
    assert "ROI Heart: 9 open planar contour(s) skipped" in notes and "ROI Heart: no contour" not in notes
    assert "ROI Esophagus: no contour, skipped" in notes
    assert "ignored: 1 RTPLAN file(s)" in notes
    assert set(patient.pois_mm) == {"ISO", "REF"}


def test_the_command_exits_2_without_a_traceback(patient_copy, small_flows, capsys):
    (patient_copy / "CT_0010.dcm").unlink()
    code = main(["run", str(small_flows[1]), "--patient", str(patient_copy), "--grid", "10", "--out",
                 str(patient_copy.parent / "run")])
    err = capsys.readouterr().err
    assert code == EXIT_UNREADABLE
    assert err.startswith("planflow run: ") and err.count("\n") == 1 and "CT_0011.dcm" in err


def test_pydicom_sample_files_structure_set_on_another_frame(tmp_path):
    shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path)
    shutil.copy(get_testdata_file("rtstruct.dcm"), tmp_path)
    _refused(tmp_path, str(tmp_path / "rtstruct.dcm"),
             "is on frame of reference 1.2.826.0.1.3680043.8.498.2010020400001.2")


def test_pydicom_sample_structure_set_drawn_off_the_sample_ct(tmp_path):
    """The sample RTSTRUCT, moved onto the sample CT's frame: its body box lies far from the CT's one slice."""
    shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path)
    frame = pydicom.dcmread(tmp_path / "CT_small.dcm").FrameOfReferenceUID
    rs = pydicom.dcmread(get_testdata_file("rtstruct.dcm"), force=True)
    rs.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = frame
    rs.save_as(tmp_path / "rs.dcm", enforce_file_format=False)
    _refused(tmp_path, "ROI 'patient' has a contour off the CT")


def test_pydicom_sample_ct_reads_as_a_feet_first_patient_with_our_structure_set(tmp_path):
    """The sample CT (one 128 x 128 slice, FFS) with a body contour drawn on it."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    shutil.copy(get_testdata_file("CT_small.dcm"), tmp_path)
    ct = pydicom.dcmread(tmp_path / "CT_small.dcm")
    x0, y0, z0 = (float(v) for v in ct.ImagePositionPatient)
    rs = Dataset()
    rs.Modality, rs.SOPInstanceUID = "RTSTRUCT", "1.2.3.9"
    frame = Dataset()
    frame.FrameOfReferenceUID = ct.FrameOfReferenceUID
    rs.ReferencedFrameOfReferenceSequence = Sequence([frame])
    entry, roi, observation, contour = Dataset(), Dataset(), Dataset(), Dataset()
    entry.ROINumber, entry.ROIName = 1, "BODY"
    observation.ReferencedROINumber, observation.RTROIInterpretedType = 1, "EXTERNAL"
    contour.ContourGeometricType = "CLOSED_PLANAR"
    contour.ContourData = [x0 + 10, y0 + 10, z0, x0 + 70, y0 + 10, z0, x0 + 70, y0 + 70, z0, x0 + 10, y0 + 70, z0]
    roi.ReferencedROINumber, roi.ContourSequence = 1, Sequence([contour])
    rs.StructureSetROISequence, rs.RTROIObservationsSequence = Sequence([entry]), Sequence([observation])
    rs.ROIContourSequence = Sequence([roi])
    rs.save_as(tmp_path / "rs.dcm", implicit_vr=True, little_endian=True)
    patient = read_patient(tmp_path, grid_mm=5.0)
    assert patient.identity.patient_position == "FFS" and patient.body == "BODY"
    assert patient.rois["BODY"].sum() == pytest.approx(12 * 12 * patient.grid.shape[2], rel=0.3)
    assert patient.density[patient.rois["BODY"]].mean() > 0.5
    assert (patient.density[~patient.rois["BODY"]] == 0).all()


def test_pydicom_sample_dose_is_refused_for_its_non_cubic_grid_and_our_own_reads(tmp_path):
    with pytest.raises(PatientError, match="only doses on grids of cubic voxels are read"):
        read_dose(get_testdata_file("rtdose.dcm"))


def test_any_file_names_in_any_order_and_subfolders(patient_copy, coarse_dicom):
    expected = read_patient(coarse_dicom, grid_mm=10.0)
    rng = np.random.default_rng(3)
    (patient_copy / "images").mkdir()
    for path, new in zip(sorted(patient_copy.glob("*.dcm")), rng.permutation(21), strict=True):
        path.rename(patient_copy / ("images" if new % 2 else ".") / f"{new:x}.IMA")
    got = read_patient(patient_copy, grid_mm=10.0)
    assert all(np.array_equal(got.rois[n], m) for n, m in expected.rois.items())
    assert np.array_equal(got.density, expected.density)


def test_uneven_slice_spacing_is_resampled_with_a_note(patient_copy, coarse_dicom):
    def nudge(ds):
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        ds.ImagePositionPatient = [x, y, z + 0.6]

    _edit(patient_copy / "CT_0007.dcm", nudge)
    patient = read_patient(patient_copy, grid_mm=10.0)
    assert any("CT slice spacing varies from 9.4 to 10.6 mm: resampled to 10 mm" in n for n in patient.notes)
    expected = read_patient(coarse_dicom, grid_mm=10.0)
    assert patient.grid == expected.grid
    assert np.abs(patient.density - expected.density).mean() < 0.01


def test_the_notes_reach_the_console_and_the_report(patient_copy, small_flows, capsys):
    (patient_copy / "readme.txt").write_text("exported by hand", encoding="utf-8")
    out = patient_copy.parent / "run"
    assert main(["run", str(small_flows[1]), "--patient", str(patient_copy), "--grid", "10", "--out", str(out)]) == 0
    assert "note: ignored: 1 not DICOM file(s)" in capsys.readouterr().err
    assert "<li>ignored: 1 not DICOM file(s)</li>" in (out / "report.html").read_text(encoding="utf-8")
