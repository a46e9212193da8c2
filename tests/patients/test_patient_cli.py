"""`planflow phantom --dicom` and `planflow run --patient --export-dicom`: the exported RTDOSE and RTSTRUCT read
back with the CT give the DVH metrics of `summary.json`; a folder that cannot be used exits 2 in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest

from planflow_qt.cli import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, main
from planflow_qt.patients.dicom_dose import read_dose
from planflow_qt.patients.dicom_import import read_patient


@pytest.fixture(scope="module")
def exported_run(lung_left_dicom, small_flows, tmp_path_factory):
    """The short lung progressive flow run on the DICOM lung_left phantom at 10 mm, exported."""
    out = tmp_path_factory.mktemp("run")
    code = main(["run", str(small_flows[0]), "--patient", str(lung_left_dicom), "--grid", "10", "--export-dicom",
                 "--out", str(out)])
    assert code == EXIT_OK
    return out


def test_phantom_command_writes_an_anonymized_ct_and_structure_set(tmp_path, capsys):
    assert main(["phantom", "lung_left", "--seed", "4", "--grid", "10", "--dicom", str(tmp_path)]) == EXIT_OK
    assert "PHANTOM^LUNG_LEFT (PHANTOM-LUNG_LEFT-S4)" in capsys.readouterr().out
    files = sorted(tmp_path.iterdir())
    assert len(files) == 21 and files[-1].name == "RS.dcm"
    ct = pydicom.dcmread(files[0])
    assert (ct.Modality, str(ct.PatientName), ct.PatientID) == ("CT", "PHANTOM^LUNG_LEFT", "PHANTOM-LUNG_LEFT-S4")
    rs = pydicom.dcmread(files[-1])
    assert rs.FrameOfReferenceUID == ct.FrameOfReferenceUID and rs.StudyInstanceUID == ct.StudyInstanceUID


def test_the_report_names_the_patient_and_shows_the_dose_over_the_ct(exported_run):
    html = (exported_run / "report.html").read_text(encoding="utf-8")
    assert "patient <b>PHANTOM^LUNG_LEFT (PHANTOM-LUNG_LEFT)" in html
    assert "Dose over the CT: axial, coronal and sagittal" in html
    assert "Reading the patient:" not in html, "nothing was skipped"


def test_the_export_references_the_ct_and_marks_the_plan_for_review(exported_run, lung_left_dicom):
    ct = pydicom.dcmread(lung_left_dicom / "CT_0001.dcm")
    plan, dose, rs = (pydicom.dcmread(exported_run / "dicom" / f"{m}.dcm") for m in ("RTPLAN", "RTDOSE", "RTSTRUCT"))
    for ds in (plan, dose, rs):
        assert ds.StudyInstanceUID == ct.StudyInstanceUID and ds.FrameOfReferenceUID == ct.FrameOfReferenceUID
        assert ds.PatientID == ct.PatientID
    assert (plan.ApprovalStatus, plan.PlanIntent) == ("UNAPPROVED", "RESEARCH")
    assert plan.FractionGroupSequence[0].NumberOfFractionsPlanned == 30
    assert float(plan.DoseReferenceSequence[0].TargetPrescriptionDose) == pytest.approx(60.0)
    assert [b.BeamName for b in plan.BeamSequence][:2] == ["A1", "A2"]
    assert plan.ReferencedStructureSetSequence[0].ReferencedSOPInstanceUID == rs.SOPInstanceUID
    assert dose.ReferencedRTPlanSequence[0].ReferencedSOPInstanceUID == plan.SOPInstanceUID
    assert dose.DoseUnits == "GY" and float(dose.DoseGridScaling) > 0
    series = rs.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
    assert series.SeriesInstanceUID == ct.SeriesInstanceUID
    names = [item.ROIName for item in rs.StructureSetROISequence]
    assert {"PTV", "Lungs", "Ring", "nt", "sp0.3", "Lung-PTV"} <= set(names), "case ROIs and the flow's helpers"


def test_the_exported_dose_and_rois_read_back_to_the_summary_metrics(exported_run, lung_left_dicom, tmp_path):
    for path in lung_left_dicom.glob("CT_*.dcm"):
        shutil.copy(path, tmp_path)
    shutil.copy(exported_run / "dicom" / "RTSTRUCT.dcm", tmp_path)
    patient = read_patient(tmp_path, grid_mm=10.0)
    dose, grid = read_dose(exported_run / "dicom" / "RTDOSE.dcm")
    assert grid == patient.grid
    summary = json.loads((exported_run / "summary.json").read_text(encoding="utf-8"))["rois"]
    assert {"PTV", "Lungs", "Heart", "SpinalCord"} <= set(summary)
    for roi, stats in summary.items():
        values = dose[patient.rois[roi]]
        assert values.size * 1.0 == pytest.approx(stats["volume_cc"], rel=0.01), roi
        assert float(values.mean()) == pytest.approx(stats["mean_cgy"], rel=0.01), roi
        assert float(values.max()) == pytest.approx(stats["max_cgy"], rel=0.01), roi


def test_a_phantom_run_exports_with_the_phantoms_own_uids(small_flows, tmp_path):
    assert main(["run", str(small_flows[1]), "--case", "lung_left", "--grid", "10", "--export-dicom",
                 "--out", str(tmp_path)]) == EXIT_OK
    assert main(["phantom", "lung_left", "--grid", "10", "--dicom", str(tmp_path / "ct")]) == EXIT_OK
    dose = pydicom.dcmread(tmp_path / "dicom" / "RTDOSE.dcm")
    ct = pydicom.dcmread(tmp_path / "ct" / "CT_0001.dcm")
    assert (dose.StudyInstanceUID, dose.FrameOfReferenceUID) == (ct.StudyInstanceUID, ct.FrameOfReferenceUID)
    assert np.asarray(dose.pixel_array).max() > 0
    exported = read_patient(tmp_path / "dicom", grid_mm=10.0)
    assert exported.notes == ["ignored: 1 RTDOSE file(s), 1 RTPLAN file(s)"]
    assert exported.identity.frame_uid == ct.FrameOfReferenceUID, "the export's own CT and RTSTRUCT read back"
    assert {"PTV", "Lungs", "Ring"} <= set(exported.rois)


def test_an_unusable_patient_folder_exits_2_in_one_line(small_flows, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("no images here", encoding="utf-8")
    code = main(["run", str(small_flows[1]), "--patient", str(tmp_path), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == EXIT_UNREADABLE
    assert err.count("\n") == 1 and "no CT slices found" in err and str(tmp_path) in err
    assert "Traceback" not in err


def test_options_that_do_not_go_with_a_patient_are_refused(small_flows, tmp_path, capsys):
    assert main(["run", str(small_flows[1]), "--patient", str(tmp_path), "--seed", "3"]) == EXIT_INVALID
    assert "--seed draws a phantom patient" in capsys.readouterr().err
    assert main(["run", str(small_flows[1]), "--calibration", str(tmp_path / "ct.csv")]) == EXIT_INVALID


def test_make_backend_reads_a_patient_folder(coarse_dicom):
    from planflow_qt.backends import make_backend

    backend = make_backend("simulated", grid_mm=10.0, patient=str(coarse_dicom))
    assert backend.patient.label == "PHANTOM^LUNG (PHANTOM-LUNG)" and "PTV" in backend.roi_names()
    assert backend.case_info()["patient"]["name"] == "PHANTOM^LUNG"


def test_a_proton_plan_exports_as_an_ion_plan(tmp_path):
    flows = Path(__file__).resolve().parents[2] / "flows"
    assert main(["run", str(flows / "impt_robust.json"), "--case", "prostate", "--grid", "10", "--export-dicom",
                 "--out", str(tmp_path)]) == EXIT_OK
    plan = pydicom.dcmread(tmp_path / "dicom" / "RTPLAN.dcm")
    assert plan.SOPClassUID == "1.2.840.10008.5.1.4.1.1.481.8"
    assert [b.RadiationType for b in plan.IonBeamSequence] == ["PROTON"] * len(plan.IonBeamSequence) != []
    assert (tmp_path / "dicom" / "CT_0001.dcm").exists(), "a phantom's CT is written beside the RT files"
