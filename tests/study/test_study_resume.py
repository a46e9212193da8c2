"""A tiny study end to end: its files, resuming, the manifest check and a failed patient."""

from __future__ import annotations

import csv
import json

import pytest

import planflow_qt.backends.simulated as simulated
from planflow_qt.study import execution
from planflow_qt.study.runner import run_study
from planflow_qt.study.spec import StudyError, StudySpec


@pytest.fixture
def counted(monkeypatch):
    """Count the patients actually run (in this process: jobs=1)."""
    names: list[str] = []
    real = execution.run_patient

    def run_patient(task):
        names.append(task.name)
        return real(task)

    monkeypatch.setattr(execution, "run_patient", run_patient)
    return names


@pytest.fixture(scope="module")
def first_run(small_flows, tmp_path_factory):
    """A two-patient study run once; later tests resume copies of it."""
    out = tmp_path_factory.mktemp("study")
    spec = StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=2, seed=3, matched=False)
    return spec, out, run_study(spec, out)


def test_outputs(first_run):
    _, out, study = first_run
    for name in ("patients.csv", "table.csv", "table.md", "boxplots.png", "study.html", "study.json"):
        assert (out / name).stat().st_size > 0, name
    assert sorted(p.name for p in (out / "results").glob("*.json")) == [
        "a-seed0003.json", "a-seed0004.json", "b-seed0003.json", "b-seed0004.json"]
    rows = list(csv.DictReader((out / "patients.csv").open(encoding="utf-8")))
    assert [(r["variant"], r["seed"], r["status"]) for r in rows] == [
        ("a", "3", "completed"), ("b", "3", "completed"), ("a", "4", "completed"), ("b", "4", "completed")]
    metrics = [row.metric for row in study.tables["a"]]
    for name in ("Lungs Dmean <= 1250 cGy", "Lungs V2000cGy <= 28 %", "Heart Dmean <= 2500 cGy",
                 "PTV Paddick CI", "SpinalCord D0.03cc (cGy)", "run time (s)", "rounds"):
        assert name in metrics
    assert "functions adjusted" not in metrics  # recorded by flow A only
    html = (out / "study.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "Lungs Dmean" in html
    assert json.loads((out / "study.json").read_text(encoding="utf-8"))["seeds"] == [3, 4]


def test_resume_computes_only_missing_results(first_run, counted):
    spec, out, _ = first_run
    (out / "results" / "b-seed0004.json").unlink()
    again = run_study(spec, out)
    assert counted == ["b-seed0004"]
    assert (again.computed, again.reused) == (1, 3)
    counted.clear()
    grown = run_study(StudySpec(spec.flow_a, spec.flow_b, "lung", 10.0, cohort=3, seed=3, matched=False), out)
    assert counted == ["a-seed0005", "b-seed0005"] and grown.reused == 4


def test_other_study_in_the_folder_is_refused(first_run, counted):
    spec, out, _ = first_run
    other = StudySpec(spec.flow_b, spec.flow_a, "lung", 10.0, cohort=2, seed=3, matched=False)
    with pytest.raises(StudyError, match=r"different study.*--fresh"):
        run_study(other, out)
    assert counted == []


def test_fresh_discards_results(small_flows, tmp_path, counted):
    spec = StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=1, seed=0)
    run_study(spec, tmp_path)
    run_study(StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=1, seed=0, sweep={}), tmp_path,
              fresh=True)
    assert counted == ["a-seed0000", "b-seed0000", "ma-seed0000"] * 2


def test_failed_patient_is_recorded_and_study_goes_on(small_flows, tmp_path, monkeypatch):
    real = simulated.SimulatedBackend

    def backend(case, grid_mm, seed, **options):
        if seed == 1:
            raise ValueError("phantom has no lungs")
        return real(case=case, grid_mm=grid_mm, seed=seed, **options)

    monkeypatch.setattr(simulated, "SimulatedBackend", backend)
    study = run_study(StudySpec(*small_flows, case="lung", grid_mm=10.0, cohort=2, seed=0), tmp_path)
    assert sorted(study.failed) == ["a-seed0001", "b-seed0001"]  # and no control for the failed A
    assert study.tables["a"][0].n == 1
    rows = {(r["variant"], r["seed"]): r for r in csv.DictReader((tmp_path / "patients.csv").open(encoding="utf-8"))}
    assert rows[("a", "1")]["status"] == "failed"
    assert "phantom has no lungs" in rows[("a", "1")]["error"]
    assert rows[("a", "0")]["status"] == "completed"
    assert "phantom has no lungs" in (tmp_path / "study.html").read_text(encoding="utf-8")
