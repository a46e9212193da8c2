"""`planflow study --patients`: a cohort of DICOM patients (a folder of patient folders) gives the same table,
report and resume as phantom cohorts; ROI aliases match clinic names, and the preflight lists per patient the
ROIs a flow does not find before anything runs."""

from __future__ import annotations

import csv
import json

import pytest

from planflow_qt.cli import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, main
from planflow_qt.model.files import load_flow, save_flow
from planflow_qt.patients.dicom_phantom import write_patient_dicom
from planflow_qt.patients.phantoms import make_case

CLINIC_NAMES = {"Lungs": "LUNG_TOTAL", "SpinalCord": "SPINAL_CORD", "External": "BODY"}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Five lung_left phantoms (seeds 0-4) as DICOM patient folders under one folder (10 mm CT)."""
    root = tmp_path_factory.mktemp("cohort")
    for seed in range(5):
        write_patient_dicom(make_case("lung_left", grid_mm=10.0, seed=seed), root / f"patient{seed}")
    return root


def _clinic_patient(folder):
    """The lung phantom with the ROI names of another clinic, and a cord PRV beside the cord."""
    patient = make_case("lung", grid_mm=10.0)
    for old, new in CLINIC_NAMES.items():
        patient.rois[new] = patient.rois.pop(old)
        patient.roi_types[new] = patient.roi_types.pop(old)
    patient.body = "BODY"
    patient.rois["SpinalCord_PRV"] = patient.rois["SpinalCanal"].copy()
    patient.roi_types["SpinalCord_PRV"] = "Avoidance"
    write_patient_dicom(patient, folder)


def test_a_study_runs_over_a_folder_of_dicom_patients_and_resumes(cohort, small_flows, tmp_path, capsys):
    out = tmp_path / "study"
    args = ["study", *map(str, small_flows), "--patients", str(cohort), "--grid", "10", "--no-matched", "--quiet",
            "--out", str(out)]
    assert main(args) == EXIT_OK
    printed = capsys.readouterr().out
    assert "10 result(s) computed, 0 reused, 0 failed" in printed
    assert "| Metric |" in (out / "table.md").read_text(encoding="utf-8")
    rows = list(csv.DictReader((out / "patients.csv").open(encoding="utf-8")))
    assert sorted({r["patient"] for r in rows}) == [f"patient{s}" for s in range(5)]
    assert all(r["status"] == "completed" for r in rows)
    assert "5 DICOM patients (patient0, patient1" in (out / "study.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "study.json").read_text(encoding="utf-8"))
    assert len(manifest["patients"]) == 5
    assert main(args) == EXIT_OK
    assert "0 result(s) computed, 10 reused" in capsys.readouterr().out


def test_the_preflight_lists_unmatched_rois_per_patient_before_anything_runs(cohort, small_flows, tmp_path, capsys):
    _clinic_patient(tmp_path / "clinic")
    out = tmp_path / "study"
    code = main(["study", *map(str, small_flows), "--patients", str(cohort / "patient0"), str(tmp_path / "clinic"),
                 "--grid", "10", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_INVALID
    assert "nothing was run" in err
    assert "clinic (PHANTOM^LUNG (PHANTOM-LUNG))" in err and "required ROI 'Lungs' is not in the case" in err
    assert "patient0" not in err
    assert not (out / "results").exists()


def test_aliases_match_clinic_names_and_not_a_prv(small_flows, tmp_path):
    _clinic_patient(tmp_path / "clinic")
    flow = load_flow(small_flows[1])
    for node_id, alias in (("roi-lungs", "Lung_Total"), ("roi-cord", "Spinal_Cord")):
        node = flow.node(node_id)
        node.params = {**node.params, "aliases": [*node.params["aliases"], alias]}
    save_flow(flow, tmp_path / "clinic_flow.json", touch=False)
    assert main(["run", str(tmp_path / "clinic_flow.json"), "--patient", str(tmp_path / "clinic"), "--grid", "10",
                 "--out", str(tmp_path / "run")]) == EXIT_OK
    log = (tmp_path / "run" / "run.jsonl").read_text(encoding="utf-8")
    for name, clinic in CLINIC_NAMES.items():
        if name != "External":
            assert f"ROI '{name}' matched to '{clinic}'" in log
    assert "matched to 'BODY'" in log and "SpinalCord_PRV'" not in log


def test_a_patients_folder_without_dicom_exits_2(small_flows, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["study", *map(str, small_flows), "--patients", str(tmp_path / "empty")]) == EXIT_UNREADABLE
    assert "no DICOM files here or in its subfolders" in capsys.readouterr().err
