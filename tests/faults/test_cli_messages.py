"""Bad options, folders and files given to `planflow`: one line naming the option or file and what to do, the
documented exit code, no traceback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from planflow_qt.cli import main

ROOT = Path(__file__).resolve().parents[2]
SINGLE = ROOT / "flows" / "lung_single_pass.json"
LEGACY = ROOT / "tests" / "legacy" / "files" / "esophagus_4140.json"


@pytest.mark.parametrize(("options", "message"), [
    (["--case", "nowhere"], "--case 'nowhere': no such simulated case; use one of lung, lung_left, esophagus, "
                            "prostate"),
    (["--grid", "0"], "--grid 0: the simulated dose grid must be 2.5 to 10 mm"),
    (["--grid", "-5"], "--grid -5: the simulated dose grid must be 2.5 to 10 mm"),
    (["--grid", "nan"], "--grid nan: the simulated dose grid must be 2.5 to 10 mm"),
    (["--grid", "inf"], "--grid inf: the simulated dose grid must be 2.5 to 10 mm"),
    (["--seed", "-1"], "--seed -1: a patient seed is a whole number from 0 to 4294967295"),
])
def test_run_refuses_bad_simulated_options(tmp_path, capsys, options, message):
    assert main(["run", str(SINGLE), "--out", str(tmp_path / "out"), *options]) == 1
    assert capsys.readouterr().err == f"planflow run: {message}\n"
    assert not (tmp_path / "out").exists()


def test_run_on_raystation_outside_raystation(tmp_path, capsys):
    assert main(["run", str(SINGLE), "--backend", "raystation", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("planflow run: --backend raystation: RayStation's scripting module was not found")
    assert err.count("\n") == 1


def test_convert_onto_a_folder(tmp_path, capsys):
    assert main(["convert", str(LEGACY), "-o", str(tmp_path)]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == f"planflow convert: -o {tmp_path}: is a folder: choose a file name"


def test_validate_a_device_reads_no_more_than_the_limit(capsys):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this platform")
    assert main(["validate", "/dev/zero"]) == 2
    assert capsys.readouterr().err == "/dev/zero: file larger than 20 MB: not a flow file\n"


def _study(tmp_path, *extra):
    return main(["study", str(SINGLE), str(SINGLE), "--cohort", "1", "--grid", "10", "--quiet",
                 "--out", str(tmp_path / "study"), *extra])


@pytest.mark.parametrize(("options", "message"), [
    (["--grid", "0"], "--grid 0: the simulated dose grid must be 2.5 to 10 mm"),
    (["--case", "liver"], "--case 'liver': no such simulated case; use one of lung, lung_left, esophagus, prostate"),
    (["--seed", "-3"], "--seed -3: a patient seed is a whole number from 0 to 4294967295"),
])
def test_study_refuses_bad_options_up_front(tmp_path, capsys, options, message):
    assert _study(tmp_path, *options) == 1
    assert capsys.readouterr().err == f"planflow study: {message}\n"


def test_study_with_an_empty_manifest(tmp_path, capsys):
    (tmp_path / "study").mkdir()
    (tmp_path / "study" / "study.json").write_text("", encoding="utf-8")
    assert _study(tmp_path) == 2
    err = capsys.readouterr().err
    assert err == f"{tmp_path / 'study' / 'study.json'}: line 1 column 1: not valid JSON: Expecting value\n"


def test_study_into_a_file(tmp_path, capsys):
    (tmp_path / "study").write_text("x", encoding="utf-8")
    assert _study(tmp_path) == 2
    assert capsys.readouterr().err == (f"planflow study: output folder {tmp_path / 'study'} is a file: choose a "
                                       "folder with --out\n")


def test_study_computes_again_result_files_that_are_not_results(tmp_path, capsys, caplog):
    assert _study(tmp_path) == 0
    results = sorted((tmp_path / "study" / "results").glob("*.json"))
    results[0].write_text("{}", encoding="utf-8")
    results[1].write_text("[]", encoding="utf-8")
    capsys.readouterr()
    with caplog.at_level(logging.WARNING):
        assert _study(tmp_path) == 0
    assert "2 result(s) computed, 0 reused, 0 failed" in capsys.readouterr().out
    assert all(json.loads(r.read_text(encoding="utf-8"))["status"] == "completed" for r in results)
    assert sum("is not a patient result, computing it again" in r.message for r in caplog.records) == 2


def test_study_reads_planning_flow_files(tmp_path, capsys):
    code = main(["study", str(LEGACY), str(LEGACY), "--case", "esophagus", "--cohort", "1", "--grid", "10",
                 "--quiet", "--out", str(tmp_path / "study")])
    assert code in (0, 3), capsys.readouterr().err
    assert "no 'schema' key" not in capsys.readouterr().err


def test_study_with_an_unreachable_scheduler(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("planflow_qt.study.execution.CONNECT_TIMEOUT_S", 1)
    assert _study(tmp_path, "--scheduler", "tcp://127.0.0.1:1") == 1
    err = capsys.readouterr().err
    assert err.startswith("--scheduler tcp://127.0.0.1:1: cannot reach the Dask scheduler (")
    assert err.endswith("): start it, check the address, or leave --scheduler out to run here\n")
    assert err.count("\n") == 1
