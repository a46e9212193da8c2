"""The example flows run from the command line on the simulated patient and leave complete outputs."""

import itertools
import json
from pathlib import Path

import pytest

from planflow_qt.cli import main
from planflow_qt.engine.events import read_log

FLOWS = Path(__file__).parents[2] / "flows"
GRID = "10"


@pytest.mark.parametrize(("flow", "case"), [("lung_single_pass.json", "lung_left"),
                                            ("esophagus_vmat.json", "esophagus")])
def test_example_flow_runs_from_the_cli(tmp_path, capsys, flow, case):
    code = main(["run", str(FLOWS / flow), "--case", case, "--grid", GRID, "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "report:" in out
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "completed"
    assert summary["elapsed_s"] > 0
    assert {"PTV", "Heart", "SpinalCord"} <= set(summary["rois"])
    for roi, stats in summary["rois"].items():
        assert stats["volume_cc"] > 0, roi
        assert stats["min_cgy"] <= stats["mean_cgy"] <= stats["max_cgy"], roi
        doses = [d for d, _ in stats["dvh"]]
        assert doses[0] == 0 and all(0 < b - a <= 10.0 + 1e-6 for a, b in itertools.pairwise(doses)), roi
        volumes = [v for _, v in stats["dvh"]]
        assert volumes == sorted(volumes, reverse=True), f"{roi}: a cumulative DVH never rises"
    events = read_log(tmp_path / "run.jsonl")
    assert events[0]["kind"] == "run_started" and events[-1]["kind"] == "run_finished"
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in report and "Clinical goals per round" in report


def test_esophagus_flow_rounds_and_conditional_roi(tmp_path):
    assert main(["run", str(FLOWS / "esophagus_vmat.json"), "--case", "esophagus", "--grid", GRID,
                 "--out", str(tmp_path)]) == 0
    events = read_log(tmp_path / "run.jsonl")
    rounds = [e for e in events if e["kind"] == "round_finished"]
    assert 1 <= len(rounds) <= 3
    conditions = [e for e in events if e["kind"] == "metric" and e["data"]["name"] in ("heart_mean_high", "ptv_hot")]
    assert len(conditions) == 2 * len(rounds), "each DVH condition is evaluated once per round"


def test_invalid_flow_exits_1(tmp_path, capsys):
    flow = json.loads((FLOWS / "lung_single_pass.json").read_text(encoding="utf-8"))
    flow["nodes"][0]["type"] = "plan.creat"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(flow), encoding="utf-8")
    assert main(["run", str(bad), "--grid", GRID, "--out", str(tmp_path / "out")]) == 1
    assert "did you mean 'plan.create'" in capsys.readouterr().err


def test_missing_roi_refuses_the_run_with_exit_3(tmp_path, capsys):
    flow = json.loads((FLOWS / "lung_single_pass.json").read_text(encoding="utf-8"))
    for node in flow["nodes"]:
        if node["type"] == "roi.match" and node["params"]["name"] == "Heart":
            node["params"]["name"], node["params"]["aliases"] = "Hart", []
        for goal in node["params"].get("goals", []):  # goals name flow ROIs
            goal["roi"] = "Hart" if goal["roi"] == "Heart" else goal["roi"]
    bad = tmp_path / "missing.json"
    bad.write_text(json.dumps(flow), encoding="utf-8")
    assert main(["run", str(bad), "--case", "lung", "--grid", GRID, "--out", str(tmp_path / "out")]) == 3
    err = capsys.readouterr().err
    assert "required ROI 'Hart' is not in the case" in err
    events = read_log(tmp_path / "out" / "run.jsonl")
    assert [e["kind"] for e in events] == ["run_failed"], "nothing ran before the preflight refused"
