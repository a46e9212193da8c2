"""The study's mechanism on the simulated lung patient (seed 0, 7.5 mm grid).

`lung_progressive.json` must stop by its own rule (the Ring, nt and Body fall-off functions all above 4e-4)
before the round cap, never raise a fall-off's low level, and meet every clinical criterion of the study. The
report compares it with `lung_single_pass.json` and with that flow's iteration-matched control, counting the
target's costs in the verdict.
"""

import json
from pathlib import Path

import pytest

from planflow_qt.cli import main

FLOWS = Path(__file__).parents[2] / "flows"
GRID_MM = "7.5"


@pytest.fixture(scope="module")
def lung_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("lung")
    code = main(["run", str(FLOWS / "lung_progressive.json"), "--case", "lung", "--grid", GRID_MM, "--seed", "0",
                 "--baseline", str(FLOWS / "lung_single_pass.json"), "--out", str(out)])
    progressive = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    single = json.loads((out / "baseline" / "summary.json").read_text(encoding="utf-8"))
    matched = json.loads((out / "matched" / "summary.json").read_text(encoding="utf-8"))
    return code, out, progressive, single, matched


def _events(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines()]


def test_the_stop_rule_ends_the_rounds_before_the_cap(lung_runs):
    code, out, progressive, single, matched = lung_runs
    assert code == 0
    assert progressive["status"] == single["status"] == matched["status"] == "completed"
    assert 2 <= progressive["rounds"] < 7
    steep = [e for e in _events(out) if e["node_id"] == "steep" and e["kind"] == "node_finished"]
    assert [e["data"]["outputs"]["result"] for e in steep] == [False] * (len(steep) - 1) + [True]


def test_fall_off_low_levels_never_rise(lung_runs):
    _, out, _, _, _ = lung_runs
    adjusted = [e["data"] for e in _events(out) if e["node_id"] == "tighten" and e["kind"] == "log"]
    assert adjusted and all({"tag", "field", "old", "new"} <= d.keys() for d in adjusted)
    fall_offs = [d for d in adjusted if d["field"] == "low_dose_cgy"]
    assert all(d["new"] <= d["old"] for d in fall_offs), "tightening raised a fall-off"


def test_the_replaced_dose_grid_is_a_run_warning(lung_runs):
    _, out, _, _, _ = lung_runs
    warnings = [e["message"] for e in _events(out) if e["kind"] == "warning"]
    assert sum("0.25 cm dose grid is replaced by the patient's 0.75 cm grid" in w for w in warnings) == 1


def test_progressive_meets_every_clinical_criterion(lung_runs):
    _, _, progressive, _, _ = lung_runs
    failed = [f"{g['roi']} {g['text']} = {g['value']:.4g}" for g in progressive["goals"] if not g["met"]]
    assert not failed, f"criteria not met: {failed}"
    assert len(progressive["goals"]) == 9
    last_round = [m for label, m in progressive["metrics"].items() if label.startswith("round")][-1]
    assert last_round["PTV Paddick CI"] > 0.8


def test_the_control_has_the_progressive_runs_iterations(lung_runs):
    _, _, progressive, single, matched = lung_runs
    assert progressive["optimization_iterations"] == 80 * progressive["rounds"]
    assert single["optimization_iterations"] == 80
    assert matched["optimization_iterations"] == progressive["optimization_iterations"]


def test_report_compares_three_runs_with_target_costs(lung_runs):
    _, out, _, _, _ = lung_runs
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Comparison with the baseline" in report
    assert "Lung single pass (iteration-matched)" in report
    assert "PTV D98 (cGy)" in report and "PTV Paddick CI" in report
    assert report.count("Verdict:") == 2 and "target costs:" in report
    assert "Optimization functions per round" in report and "gradients_steep &gt; 0.0004" in report
    assert report.count("data:image/png;base64,") >= 3
