"""Documents that are JSON but not valid flows, Planning-Flow files with values out of range, and a report
measurement the backend refuses: each said once, in the usual format, with the usual exit code."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from planflow_qt.cli import main
from planflow_qt.engine.events import read_log
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.errors import FlowFileError
from planflow_qt.model.legacy import convert_legacy
from planflow_qt.runner import execute

ROOT = Path(__file__).resolve().parents[2]
LEGACY = json.loads((ROOT / "tests" / "legacy" / "files" / "esophagus_4140.json").read_text(encoding="utf-8"))


def _document(tmp_path, change) -> Path:
    data = json.loads((ROOT / "flows" / "lung_single_pass.json").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_schema_level_problems_are_invalid_flows_in_the_usual_format(tmp_path, capsys):
    def change(data):
        data["nodes"][0]["active_rounds"] = 3
        data["meta"]["status"] = "finished"

    path = _document(tmp_path, change)
    node = json.loads(path.read_text(encoding="utf-8"))["nodes"][0]
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: meta.status: String should match pattern '^(draft|review|approved|retired)$'",
        f"{path}: node {node['id']} ({node['type']}): active_rounds: Input should be a valid string"]
    assert main(["run", str(path), "--grid", "10", "--out", str(tmp_path / "out")]) == 1


def test_a_wire_between_two_unknown_nodes_is_a_problem_of_the_wire(tmp_path, capsys):
    path = _document(tmp_path, lambda data: data["edges"].append({"src": ["g1", "x"], "dst": ["g2", "y"]}))
    index = len(json.loads(path.read_text(encoding="utf-8"))["edges"]) - 1
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().err == (f"{path}: edges.{index}: wire from unknown node 'g1' to unknown node 'g2': "
                                       "delete the wire\n")


def _legacy(change) -> dict:
    data = copy.deepcopy(LEGACY)
    change(data)
    return data


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["prescription"].update(num_fractions="0"),
     "prescription.num_fractions: 0 fractions: give the number of fractions, 1 to 100"),
    (lambda d: d["prescription"].update(num_fractions="400"),
     "prescription.num_fractions: 400 fractions: give the number of fractions, 1 to 100"),
    (lambda d: d["vmat_beam"][0].update(gantry_start="400"),
     "vmat_beam[0] '1CW181-180': gantry_start: 400 degrees is more than a full turn: give an angle from 0 to 360"),
])
def test_legacy_values_out_of_range_are_refused_where_they_are(change, message):
    with pytest.raises(FlowFileError) as info:
        convert_legacy(_legacy(change), "legacy.json")
    assert str(info.value) == f"legacy.json: {message}"


def test_a_numeric_legacy_active_round_is_that_round():
    def change(data):
        data["check_conditions"][0]["active_round"] = 2

    flow, _ = convert_legacy(_legacy(change), "legacy.json")
    assert "2" in {node.active_rounds for node in flow.nodes}


def test_a_failed_report_measurement_is_a_logged_warning(tmp_path, capsys, small_flow):
    class NoDvh(RecordingBackend):
        def dvh(self, roi, step_cgy=10.0):
            raise RuntimeError(f"no dose for {roi}")

    outcome = execute(small_flow("measured").build(), NoDvh(rois=["PTV"]), tmp_path)
    assert outcome.result.status == "completed"
    assert outcome.report_warnings == ["report: no dose statistics for PTV: no dose for PTV"]
    events = read_log(tmp_path / "run.jsonl")
    assert [(e["kind"], e["message"]) for e in events[-2:]] == [
        ("warning", "report: no dose statistics for PTV: no dose for PTV"), ("run_finished", events[-1]["message"])]
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["report_warnings"] == [
        "report: no dose statistics for PTV: no dose for PTV"]


def test_run_flow_in_raystation_reads_planning_flow_files(capsys):
    from planflow_qt.backends.raystation.double import install_double, uninstall_double
    from planflow_qt.raystation import run_flow

    install_double("2025", case="esophagus", grid_mm=10.0)
    try:
        result = run_flow(ROOT / "tests" / "legacy" / "files" / "esophagus_4140.json")
    finally:
        uninstall_double()
    out = capsys.readouterr().out
    assert result.status == "completed", result.error
    assert "no 'schema' key" not in out and "esophagus_4140.json: warning: plan:" in out
